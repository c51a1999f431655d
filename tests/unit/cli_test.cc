// Unit tests of coalitionctl's library: settings resolution, output
// formatting, exit codes and the commands over a fake AdminService stub.

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "coalition/cli/commands.h"
#include "coalition/cli/exit_codes.h"
#include "coalition/cli/output.h"
#include "coalition/cli/programme_commands.h"
#include "coalition/cli/settings.h"
#include "coalition/v1/admin_service.grpc.pb.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"

namespace coalition::cli::test {
namespace {

namespace fs = std::filesystem;
namespace v1 = ::coalition::v1;
using nlohmann::json;

// ---------------------------------------------------------------------------
// Helpers

// An Environment over a fixed map.
Environment MapEnvironment(std::map<std::string, std::string> variables) {
  return [vars = std::move(variables)](const std::string& name) -> std::optional<std::string> {
    const auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

Environment NoEnvironment() { return MapEnvironment({}); }

// A status as the server sends it: ErrorInfo with reason and optional field.
grpc::Status RichStatus(grpc::StatusCode code, const std::string& message,
                        const std::string& reason, const std::string& field = "") {
  google::rpc::ErrorInfo info;
  info.set_reason(reason);
  info.set_domain("coalition.v1");
  if (!field.empty()) (*info.mutable_metadata())["field"] = field;
  google::rpc::Status details;
  details.set_code(static_cast<int>(code));
  details.set_message(message);
  details.add_details()->PackFrom(info);
  return grpc::Status(code, message, details.SerializeAsString());
}

// Splits printed output into lines (without the newlines).
std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

google::protobuf::Timestamp At(int64_t seconds, int32_t nanos = 0) {
  google::protobuf::Timestamp t;
  t.set_seconds(seconds);
  t.set_nanos(nanos);
  return t;
}

v1::Partner SamplePartner(const std::string& id, const std::string& code,
                          const std::string& name) {
  v1::Partner partner;
  partner.set_partner_id(id);
  partner.set_code(code);
  partner.set_display_name(name);
  partner.mutable_earn_rate()->set_points(1);
  partner.mutable_earn_rate()->set_per_amount_minor(100);
  partner.set_issuance_price_micros(12'500);
  partner.set_redemption_rate_micros(1'000'000);
  partner.set_auto_enroll(true);
  *partner.mutable_created_at() = At(1'714'564'800);  // 2024-05-01T12:00:00Z
  return partner;
}

// Creates and removes a private temporary directory.
class TempDir {
 public:
  TempDir() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    path_ = fs::temp_directory_path() /
            ("coalition_cli_test_" + std::to_string(::getpid()) + "_" + info->test_suite_name() +
             "_" + info->name());
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const fs::path& path() const { return path_; }

  fs::path Write(const fs::path& relative, const std::string& contents) const {
    const fs::path file = path_ / relative;
    fs::create_directories(file.parent_path());
    std::ofstream out(file);
    out << contents;
    return file;
  }

 private:
  fs::path path_;
};

// ---------------------------------------------------------------------------
// Exit codes

TEST(ExitCodeTest, MapsStatusCodes) {
  const std::pair<grpc::StatusCode, int> cases[] = {
      {grpc::StatusCode::OK, kExitOk},
      {grpc::StatusCode::INVALID_ARGUMENT, kExitUsage},
      {grpc::StatusCode::NOT_FOUND, kExitNotFound},
      {grpc::StatusCode::FAILED_PRECONDITION, kExitConflict},
      {grpc::StatusCode::ALREADY_EXISTS, kExitConflict},
      {grpc::StatusCode::UNAUTHENTICATED, kExitAuth},
      {grpc::StatusCode::PERMISSION_DENIED, kExitAuth},
      {grpc::StatusCode::UNAVAILABLE, kExitFailure},
      {grpc::StatusCode::DEADLINE_EXCEEDED, kExitFailure},
      {grpc::StatusCode::INTERNAL, kExitFailure},
      {grpc::StatusCode::UNKNOWN, kExitFailure},
      {grpc::StatusCode::RESOURCE_EXHAUSTED, kExitFailure},
      {grpc::StatusCode::CANCELLED, kExitFailure},
      {grpc::StatusCode::UNIMPLEMENTED, kExitFailure},
  };
  for (const auto& [code, exit_code] : cases) {
    SCOPED_TRACE(static_cast<int>(code));
    EXPECT_EQ(ExitCodeFor(code), exit_code);
  }
}

TEST(ExitCodeTest, CodesAreDistinct) {
  const int codes[] = {kExitOk,      kExitFailure, kExitUsage,
                       kExitNotFound, kExitConflict, kExitAuth, kExitInvariantViolated};
  EXPECT_EQ(std::set<int>(std::begin(codes), std::end(codes)).size(), std::size(codes));
  EXPECT_EQ(kExitOk, 0);
  EXPECT_EQ(kExitUsage, 2);
  EXPECT_EQ(kExitInvariantViolated, 6);
}

// ---------------------------------------------------------------------------
// Settings: output format and environment

TEST(ParseOutputFormatTest, TableOrJsonOnly) {
  EXPECT_EQ(ParseOutputFormat("table"), OutputFormat::kTable);
  EXPECT_EQ(ParseOutputFormat("json"), OutputFormat::kJson);
  for (const char* bad : {"", "JSON", "Table", "yaml", "json "}) {
    SCOPED_TRACE(bad);
    EXPECT_THROW(ParseOutputFormat(bad), ConfigError);
  }
}

TEST(ProcessEnvironmentTest, EmptyCountsAsUnset) {
  const Environment env = ProcessEnvironment();
  ASSERT_EQ(::setenv("COALITION_CLI_TEST_PROBE", "value", 1), 0);
  EXPECT_EQ(env("COALITION_CLI_TEST_PROBE"), "value");
  ASSERT_EQ(::setenv("COALITION_CLI_TEST_PROBE", "", 1), 0);
  EXPECT_EQ(env("COALITION_CLI_TEST_PROBE"), std::nullopt);
  ::unsetenv("COALITION_CLI_TEST_PROBE");
  EXPECT_EQ(env("COALITION_CLI_TEST_PROBE"), std::nullopt);
}

// ---------------------------------------------------------------------------
// ResolveSettings: flags > environment > config file > defaults

TEST(ResolveSettingsTest, Defaults) {
  const Settings settings = ResolveSettings({}, NoEnvironment(), json());
  EXPECT_EQ(settings.channel.endpoint, "127.0.0.1:50051");
  EXPECT_EQ(settings.channel.api_key, "");
  EXPECT_FALSE(settings.channel.tls);
  EXPECT_EQ(settings.channel.root_ca_file, "");
  EXPECT_EQ(settings.channel.deadline, std::chrono::milliseconds(5000));
  EXPECT_EQ(settings.output, OutputFormat::kTable);
  EXPECT_EQ(settings.timeout, std::nullopt);
  EXPECT_EQ(settings.config_path, std::nullopt);
}

TEST(ResolveSettingsTest, ClientCertificateForMtls) {
  FlagValues flags;
  flags.cert_file = "/flag/client.pem";
  const json config = {{"cert_file", "/file/client.pem"}, {"key_file", "/file/client.key"},
                       {"ca_file", "/file/ca.pem"}};
  const Settings settings = ResolveSettings(flags, NoEnvironment(), config);
  EXPECT_EQ(settings.channel.client_cert_file, "/flag/client.pem");
  EXPECT_EQ(settings.channel.client_key_file, "/file/client.key");
  EXPECT_TRUE(settings.channel.tls);
  EXPECT_THROW(ResolveSettings(flags, NoEnvironment(), json::object()), ConfigError);
}

TEST(ResolveSettingsTest, ConfigFileOverDefaults) {
  const json config = {{"endpoint", "file.example:443"}, {"key", "file-key"},
                       {"tls", true},                    {"ca_file", "/etc/ca.pem"},
                       {"output", "json"},               {"timeout_seconds", 30}};
  const Settings settings = ResolveSettings({}, NoEnvironment(), config);
  EXPECT_EQ(settings.channel.endpoint, "file.example:443");
  EXPECT_EQ(settings.channel.api_key, "file-key");
  EXPECT_TRUE(settings.channel.tls);
  EXPECT_EQ(settings.channel.root_ca_file, "/etc/ca.pem");
  EXPECT_EQ(settings.output, OutputFormat::kJson);
  EXPECT_EQ(settings.timeout, std::chrono::seconds(30));
}

TEST(ResolveSettingsTest, PrecedenceForEndpointAndKey) {
  struct Case {
    const char* name;
    std::optional<std::string> flag;
    std::optional<std::string> env;
    std::optional<std::string> file;
    std::string expected;
  };
  const Case cases[] = {
      {"all three", "flag", "env", "file", "flag"},
      {"env and file", std::nullopt, "env", "file", "env"},
      {"flag and file", "flag", std::nullopt, "file", "flag"},
      {"flag and env", "flag", "env", std::nullopt, "flag"},
      {"file only", std::nullopt, std::nullopt, "file", "file"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    FlagValues flags;
    flags.endpoint = c.flag ? std::optional(*c.flag + ":1") : std::nullopt;
    flags.key = c.flag ? std::optional(*c.flag + "-key") : std::nullopt;
    std::map<std::string, std::string> env;
    if (c.env) {
      env[kEndpointEnv] = *c.env + ":1";
      env[kOperatorKeyEnv] = *c.env + "-key";
    }
    json config = json::object();
    if (c.file) {
      config["endpoint"] = *c.file + ":1";
      config["key"] = *c.file + "-key";
    }
    const Settings settings = ResolveSettings(flags, MapEnvironment(env), config);
    EXPECT_EQ(settings.channel.endpoint, c.expected + ":1");
    EXPECT_EQ(settings.channel.api_key, c.expected + "-key");
  }
}

TEST(ResolveSettingsTest, EnvironmentVariableNames) {
  EXPECT_STREQ(kEndpointEnv, "COALITION_ENDPOINT");
  EXPECT_STREQ(kOperatorKeyEnv, "COALITION_OPERATOR_KEY");
  EXPECT_STREQ(kConfigEnv, "COALITION_CONFIG");
  // A partner's variable is not the operator key.
  const Settings settings =
      ResolveSettings({}, MapEnvironment({{"COALITION_API_KEY", "partner"}}), json());
  EXPECT_EQ(settings.channel.api_key, "");
}

TEST(ResolveSettingsTest, FlagGivenEmptyIsNotUnset) {
  FlagValues flags;
  flags.key = "";
  const Settings settings =
      ResolveSettings(flags, MapEnvironment({{kOperatorKeyEnv, "env-key"}}), json());
  EXPECT_EQ(settings.channel.api_key, "");

  FlagValues empty_endpoint;
  empty_endpoint.endpoint = "";
  EXPECT_THROW(ResolveSettings(empty_endpoint, NoEnvironment(), json()), ConfigError);
  EXPECT_THROW(ResolveSettings({}, MapEnvironment({{kEndpointEnv, ""}}), json()), ConfigError);
  EXPECT_THROW(ResolveSettings({}, NoEnvironment(), json{{"endpoint", ""}}), ConfigError);
}

TEST(ResolveSettingsTest, CaFileAndOutputFromFlagsOrFile) {
  FlagValues flags;
  flags.ca_file = "/flag/ca.pem";
  flags.output = "json";
  const json config = {{"ca_file", "/file/ca.pem"}, {"output", "table"}};
  const Settings settings = ResolveSettings(flags, NoEnvironment(), config);
  EXPECT_EQ(settings.channel.root_ca_file, "/flag/ca.pem");
  EXPECT_EQ(settings.output, OutputFormat::kJson);

  FlagValues bad_output;
  bad_output.output = "xml";
  EXPECT_THROW(ResolveSettings(bad_output, NoEnvironment(), json()), ConfigError);
}

TEST(ResolveSettingsTest, TlsRules) {
  struct Case {
    const char* name;
    std::optional<bool> flag;
    std::optional<bool> file;
    std::string ca_file;
    bool expected;
  };
  const Case cases[] = {
      {"nothing", std::nullopt, std::nullopt, "", false},
      {"ca file turns tls on", std::nullopt, std::nullopt, "/ca.pem", true},
      {"flag off beats ca file", false, std::nullopt, "/ca.pem", false},
      {"file off beats ca file", std::nullopt, false, "/ca.pem", false},
      {"file on", std::nullopt, true, "", true},
      {"flag on beats file off", true, false, "", true},
      {"flag off beats file on", false, true, "", false},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    FlagValues flags;
    flags.tls = c.flag;
    json config = json::object();
    if (c.file) config["tls"] = *c.file;
    if (!c.ca_file.empty()) config["ca_file"] = c.ca_file;
    EXPECT_EQ(ResolveSettings(flags, NoEnvironment(), config).channel.tls, c.expected);
  }
}

TEST(ResolveSettingsTest, Timeout) {
  FlagValues flags;
  flags.timeout = std::chrono::seconds(7);
  EXPECT_EQ(ResolveSettings(flags, NoEnvironment(), json{{"timeout_seconds", 30}}).timeout,
            std::chrono::seconds(7));
  EXPECT_EQ(ResolveSettings({}, NoEnvironment(), json{{"timeout_seconds", 30}}).timeout,
            std::chrono::seconds(30));
  for (int64_t bad : {0, -1}) {
    SCOPED_TRACE(bad);
    FlagValues bad_flags;
    bad_flags.timeout = std::chrono::seconds(bad);
    EXPECT_THROW(ResolveSettings(bad_flags, NoEnvironment(), json()), ConfigError);
  }
}

// ---------------------------------------------------------------------------
// FindConfigFile

TEST(FindConfigFileTest, ExplicitFileMustExist) {
  const TempDir dir;
  const fs::path file = dir.Write("ctl.json", "{}");
  FlagValues flags;
  flags.config = file.string();
  EXPECT_EQ(FindConfigFile(flags, NoEnvironment()), file);

  flags.config = (dir.path() / "missing.json").string();
  try {
    static_cast<void>(FindConfigFile(flags, NoEnvironment()));
    ADD_FAILURE() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("--config"), std::string::npos) << e.what();
  }

  flags.config = dir.path().string();  // a directory is not a config file
  EXPECT_THROW(FindConfigFile(flags, NoEnvironment()), ConfigError);
}

TEST(FindConfigFileTest, EnvironmentVariableMustExist) {
  const TempDir dir;
  const fs::path file = dir.Write("ctl.json", "{}");
  EXPECT_EQ(FindConfigFile({}, MapEnvironment({{kConfigEnv, file.string()}})), file);
  try {
    static_cast<void>(
        FindConfigFile({}, MapEnvironment({{kConfigEnv, (dir.path() / "nope").string()}})));
    ADD_FAILURE() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("COALITION_CONFIG"), std::string::npos) << e.what();
  }
}

TEST(FindConfigFileTest, FlagBeatsEnvironment) {
  const TempDir dir;
  const fs::path flag_file = dir.Write("flag.json", "{}");
  const fs::path env_file = dir.Write("env.json", "{}");
  FlagValues flags;
  flags.config = flag_file.string();
  EXPECT_EQ(FindConfigFile(flags, MapEnvironment({{kConfigEnv, env_file.string()}})), flag_file);
  // The environment is not consulted at all, so a stale value does no harm.
  EXPECT_EQ(FindConfigFile(flags, MapEnvironment({{kConfigEnv, "/nonexistent/x.json"}})),
            flag_file);
}

TEST(FindConfigFileTest, DefaultLocations) {
  const TempDir dir;
  const fs::path xdg = dir.path() / "xdg";
  const fs::path home = dir.path() / "home";
  fs::create_directories(xdg);
  fs::create_directories(home);

  // Nothing there.
  EXPECT_EQ(FindConfigFile({}, MapEnvironment({{"XDG_CONFIG_HOME", xdg.string()},
                                                {"HOME", home.string()}})),
            std::nullopt);
  EXPECT_EQ(FindConfigFile({}, NoEnvironment()), std::nullopt);

  // ~/.config when XDG_CONFIG_HOME is unset.
  const fs::path home_file = dir.Write("home/.config/coalition/coalitionctl.json", "{}");
  EXPECT_EQ(FindConfigFile({}, MapEnvironment({{"HOME", home.string()}})), home_file);

  // XDG_CONFIG_HOME replaces ~/.config entirely.
  EXPECT_EQ(FindConfigFile({}, MapEnvironment({{"XDG_CONFIG_HOME", xdg.string()},
                                                {"HOME", home.string()}})),
            std::nullopt);
  const fs::path xdg_file = dir.Write("xdg/coalition/coalitionctl.json", "{}");
  EXPECT_EQ(FindConfigFile({}, MapEnvironment({{"XDG_CONFIG_HOME", xdg.string()},
                                                {"HOME", home.string()}})),
            xdg_file);
}

// ---------------------------------------------------------------------------
// LoadConfigFile

TEST(LoadConfigFileTest, AcceptsEveryKnownKey) {
  const TempDir dir;
  const fs::path file = dir.Write("ctl.json", R"({
    "endpoint": "ledger.example:443", "key": "k", "tls": true,
    "ca_file": "/ca.pem", "output": "json", "timeout_seconds": 12})");
  const json config = LoadConfigFile(file);
  EXPECT_EQ(config.at("endpoint"), "ledger.example:443");
  EXPECT_EQ(config.at("timeout_seconds"), 12);
  EXPECT_EQ(config.size(), 6u);
  EXPECT_TRUE(LoadConfigFile(dir.Write("empty.json", "{}")).empty());
}

TEST(LoadConfigFileTest, RejectsBadFiles) {
  struct Case {
    const char* name;
    const char* contents;
    const char* mention;
  };
  const Case cases[] = {
      {"unknown key", R"({"endpiont": "x:1"})", "endpiont"},
      {"server key", R"({"database_url": "postgresql://"})", "database_url"},
      {"tls string", R"({"tls": "yes"})", "tls"},
      {"tls number", R"({"tls": 1})", "tls"},
      {"timeout zero", R"({"timeout_seconds": 0})", "timeout_seconds"},
      {"timeout negative", R"({"timeout_seconds": -5})", "timeout_seconds"},
      {"timeout string", R"({"timeout_seconds": "10"})", "timeout_seconds"},
      {"timeout fraction", R"({"timeout_seconds": 1.5})", "timeout_seconds"},
      {"endpoint number", R"({"endpoint": 5})", "endpoint"},
      {"key null", R"({"key": null})", "key"},
      {"output unknown", R"({"output": "yaml"})", "yaml"},
      {"not json", "endpoint = x", "not valid JSON"},
      {"array", "[]", "JSON object"},
      {"string", R"("x")", "JSON object"},
  };
  const TempDir dir;
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const fs::path file = dir.Write("ctl.json", c.contents);
    try {
      static_cast<void>(LoadConfigFile(file));
      ADD_FAILURE() << "expected ConfigError";
    } catch (const ConfigError& e) {
      const std::string message = e.what();
      EXPECT_NE(message.find(c.mention), std::string::npos) << message;
      EXPECT_NE(message.find(file.string()), std::string::npos) << message;
    }
  }
  EXPECT_THROW(LoadConfigFile(dir.path() / "missing.json"), ConfigError);
}

// ---------------------------------------------------------------------------
// LoadSettings

TEST(LoadSettingsTest, ReadsFileAndAppliesPrecedence) {
  const TempDir dir;
  const fs::path file =
      dir.Write("ctl.json", R"({"endpoint": "file:1", "output": "json", "timeout_seconds": 9})");
  fs::permissions(file, fs::perms::owner_read | fs::perms::owner_write);
  FlagValues flags;
  flags.config = file.string();
  std::ostringstream warnings;
  const Settings settings =
      LoadSettings(flags, MapEnvironment({{kEndpointEnv, "env:2"}}), warnings);
  EXPECT_EQ(settings.channel.endpoint, "env:2");
  EXPECT_EQ(settings.output, OutputFormat::kJson);
  EXPECT_EQ(settings.timeout, std::chrono::seconds(9));
  EXPECT_EQ(settings.config_path, file);
  EXPECT_EQ(warnings.str(), "");
}

TEST(LoadSettingsTest, WarnsAboutReadableKeyFile) {
  struct Case {
    const char* name;
    const char* contents;
    fs::perms perms;
    bool warns;
  };
  const fs::perms owner = fs::perms::owner_read | fs::perms::owner_write;
  const Case cases[] = {
      {"key, 0600", R"({"key": "secret"})", owner, false},
      {"key, 0644", R"({"key": "secret"})", owner | fs::perms::group_read | fs::perms::others_read,
       true},
      {"key, 0640", R"({"key": "secret"})", owner | fs::perms::group_read, true},
      {"key, 0604", R"({"key": "secret"})", owner | fs::perms::others_read, true},
      {"no key, 0644", R"({"endpoint": "x:1"})",
       owner | fs::perms::group_read | fs::perms::others_read, false},
  };
  const TempDir dir;
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const fs::path file = dir.Write("ctl.json", c.contents);
    fs::permissions(file, c.perms);
    FlagValues flags;
    flags.config = file.string();
    std::ostringstream warnings;
    static_cast<void>(LoadSettings(flags, NoEnvironment(), warnings));
    if (c.warns) {
      EXPECT_NE(warnings.str().find("chmod 600"), std::string::npos) << warnings.str();
      EXPECT_NE(warnings.str().find(file.string()), std::string::npos) << warnings.str();
      // The key itself is never echoed.
      EXPECT_EQ(warnings.str().find("secret"), std::string::npos) << warnings.str();
    } else {
      EXPECT_EQ(warnings.str(), "");
    }
  }
}

TEST(LoadSettingsTest, NoFileMeansDefaults) {
  const TempDir dir;
  std::ostringstream warnings;
  const Settings settings =
      LoadSettings({}, MapEnvironment({{"HOME", dir.path().string()}}), warnings);
  EXPECT_EQ(settings.config_path, std::nullopt);
  EXPECT_EQ(settings.channel.endpoint, "127.0.0.1:50051");
  EXPECT_EQ(warnings.str(), "");
}

// ---------------------------------------------------------------------------
// Output: Table and PrintFields

TEST(TableTest, PadsColumnsToWidestCell) {
  Table table({"CODE", "NAME", "ID"});
  table.AddRow({"acme", "Acme Coffee", "1"});
  table.AddRow({"b", "B", "1234"});
  EXPECT_EQ(table.row_count(), 2u);
  std::ostringstream out;
  table.Print(out);
  EXPECT_EQ(out.str(),
            "CODE  NAME         ID\n"
            "acme  Acme Coffee  1\n"
            "b     B            1234\n");
}

TEST(TableTest, NoTrailingBlanksAndShortRowsPadded) {
  Table table({"A", "BBBBBB", "C"});
  table.AddRow({"x"});              // padded with empty cells
  table.AddRow({"y", "", "z"});     // empty middle cell keeps alignment
  table.AddRow({"", "", "only"});  // leading empties
  table.AddRow({"long-value", "v", ""});
  std::ostringstream out;
  table.Print(out);
  EXPECT_EQ(out.str(),
            "A           BBBBBB  C\n"
            "x\n"
            "y                   z\n"
            "                    only\n"
            "long-value  v\n");
  for (const std::string& line : Lines(out.str())) {
    EXPECT_TRUE(line.empty() || line.back() != ' ') << "'" << line << "'";
  }
}

TEST(TableTest, HeaderOnly) {
  const Table table({"CHECK", "OK"});
  std::ostringstream out;
  table.Print(out);
  EXPECT_EQ(out.str(), "CHECK  OK\n");
  EXPECT_EQ(table.row_count(), 0u);
}

TEST(TableTest, LongerRowThrows) {
  Table table({"A", "B"});
  EXPECT_THROW(table.AddRow({"1", "2", "3"}), std::invalid_argument);
  EXPECT_EQ(table.row_count(), 0u);
}

TEST(TableTest, AlignsNonAsciiCells) {
  Table table({"NAME", "ID"});
  table.AddRow({"Caf\xC3\xA9", "1"});
  table.AddRow({"Cafe", "2"});
  std::ostringstream out;
  table.Print(out);
  EXPECT_EQ(out.str(),
            "NAME  ID\n"
            "Caf\xC3\xA9  1\n"
            "Cafe  2\n");
}

TEST(PrintFieldsTest, AlignsValues) {
  std::ostringstream out;
  PrintFields(out, {{"a", "1"}, {"long_label", "v"}, {"empty", ""}});
  EXPECT_EQ(out.str(),
            "a:           1\n"
            "long_label:  v\n"
            "empty:\n");
  std::ostringstream none;
  PrintFields(none, {});
  EXPECT_EQ(none.str(), "");
}

// ---------------------------------------------------------------------------
// Output: values

TEST(FormatTest, Micros) {
  const std::pair<int64_t, const char*> cases[] = {
      {0, "0.00"},         {1, "0.000001"},   {10'000, "0.01"},       {12'500, "0.0125"},
      {100'000, "0.10"},   {1'000'000, "1.00"}, {1'500'000, "1.50"},  {1'234'567, "1.234567"},
      {1'000'000'000, "1000.00"}, {-12'500, "-0.0125"},
  };
  for (const auto& [micros, expected] : cases) {
    SCOPED_TRACE(micros);
    EXPECT_EQ(FormatMicros(micros), expected);
  }
}

TEST(FormatTest, Timestamp) {
  EXPECT_EQ(FormatTimestamp(At(1'714'564'800)), "2024-05-01T12:00:00Z");
  EXPECT_EQ(FormatTimestamp(At(0)), "1970-01-01T00:00:00Z");
  EXPECT_EQ(FormatTimestamp(At(1'714'564'800, 500'000'000)), "2024-05-01T12:00:00.500Z");
}

TEST(FormatTest, EarnRate) {
  v1::EarnRate rate;
  rate.set_points(3);
  rate.set_per_amount_minor(700);
  EXPECT_EQ(FormatEarnRate(rate), "3 pt per 700");
}

TEST(FormatTest, PartnerFields) {
  const Fields fields = PartnerFields(SamplePartner("17", "acme", "Acme Coffee"));
  const Fields expected = {
      {"partner_id", "17"},
      {"code", "acme"},
      {"display_name", "Acme Coffee"},
      {"earn_rate", "1 pt per 100 (minor units)"},
      {"issuance_price", "0.0125 per point (12500 micros)"},
      {"redemption_rate", "1.00 per point (1000000 micros)"},
      {"auto_enroll", "yes"},
      {"created_at", "2024-05-01T12:00:00Z"},
  };
  EXPECT_EQ(fields, expected);

  v1::Partner bare;
  const Fields bare_fields = PartnerFields(bare);
  ASSERT_EQ(bare_fields.size(), 8u);
  EXPECT_EQ(bare_fields[6].second, "no");
  EXPECT_EQ(bare_fields[7].second, "-");
}

TEST(FormatTest, ApiKeyFields) {
  v1::ApiKey key;
  key.set_key_id("5");
  key.set_partner_id("17");
  key.set_prefix("ck_abcd");
  *key.mutable_created_at() = At(1'714'564'800);
  const Fields active = ApiKeyFields(key);
  const Fields expected_active = {{"key_id", "5"},
                                  {"partner_id", "17"},
                                  {"prefix", "ck_abcd"},
                                  {"created_at", "2024-05-01T12:00:00Z"},
                                  {"revoked_at", "-"}};
  EXPECT_EQ(active, expected_active);

  *key.mutable_revoked_at() = At(1'714'564'860);
  EXPECT_EQ(ApiKeyFields(key).back().second, "2024-05-01T12:01:00Z");
}

TEST(FormatTest, PartnerTable) {
  google::protobuf::RepeatedPtrField<v1::Partner> partners;
  *partners.Add() = SamplePartner("1", "acme", "Acme Coffee");
  v1::Partner other = SamplePartner("22", "bo", "Bo");
  other.set_auto_enroll(false);
  other.clear_created_at();
  other.mutable_earn_rate()->set_points(2);
  *partners.Add() = other;
  std::ostringstream out;
  PartnerTable(partners).Print(out);
  EXPECT_EQ(out.str(),
            "CODE  NAME         PARTNER ID  EARN RATE     ISSUANCE/PT  REDEMPTION/PT  "
            "AUTO-ENROLL  CREATED\n"
            "acme  Acme Coffee  1           1 pt per 100  0.0125       1.00           "
            "yes          2024-05-01T12:00:00Z\n"
            "bo    Bo           22          2 pt per 100  0.0125       1.00           "
            "no           -\n");
}

v1::VerifyLedgerResponse SampleVerify(bool second_ok) {
  v1::VerifyLedgerResponse response;
  response.set_ok(second_ok);
  auto* balanced = response.add_checks();
  balanced->set_name("balanced");
  balanced->set_description("every transfer sums to zero");
  balanced->set_ok(true);
  auto* non_negative = response.add_checks();
  non_negative->set_name("non_negative");
  non_negative->set_description("no member balance below zero");
  non_negative->set_ok(second_ok);
  if (!second_ok) {
    non_negative->set_violations(2);
    non_negative->add_examples("member 5");
    non_negative->add_examples("member 9");
  }
  return response;
}

TEST(FormatTest, InvariantTable) {
  std::ostringstream out;
  InvariantTable(SampleVerify(false)).Print(out);
  EXPECT_EQ(out.str(),
            "CHECK         OK    VIOLATIONS  EXAMPLES\n"
            "balanced      ok    0\n"
            "non_negative  FAIL  2           member 5\n"
            "                                member 9\n");
}

// ---------------------------------------------------------------------------
// Output: JSON

TEST(ToJsonTest, ProtoFieldNamesAndZeroValues) {
  v1::Partner partner = SamplePartner("17", "acme", "Acme");
  partner.set_auto_enroll(false);
  partner.set_redemption_rate_micros(0);
  const std::string text = ToJson(partner);
  ASSERT_FALSE(text.empty());
  EXPECT_EQ(text.back(), '\n');
  const json doc = json::parse(text);
  EXPECT_EQ(doc.at("partner_id"), "17");
  EXPECT_EQ(doc.at("code"), "acme");
  EXPECT_EQ(doc.at("display_name"), "Acme");
  // proto3 JSON renders int64 as strings.
  EXPECT_EQ(doc.at("issuance_price_micros"), "12500");
  EXPECT_EQ(doc.at("redemption_rate_micros"), "0");  // zero value present
  EXPECT_EQ(doc.at("auto_enroll"), false);           // zero value present
  EXPECT_EQ(doc.at("earn_rate").at("points"), "1");
  EXPECT_EQ(doc.at("earn_rate").at("per_amount_minor"), "100");
  EXPECT_EQ(doc.at("created_at"), "2024-05-01T12:00:00Z");
  EXPECT_FALSE(doc.contains("partnerId"));  // not the lowerCamel JSON names
}

TEST(ToJsonTest, EmptyMessageHasEveryPrimitiveField) {
  const json doc = json::parse(ToJson(v1::Partner()));
  for (const char* field : {"partner_id", "code", "display_name", "issuance_price_micros",
                            "redemption_rate_micros", "auto_enroll"}) {
    EXPECT_TRUE(doc.contains(field)) << field;
  }
  const json verify = json::parse(ToJson(v1::VerifyLedgerResponse()));
  EXPECT_EQ(verify.at("ok"), false);
  EXPECT_EQ(verify.at("checks"), json::array());
}

TEST(ToJsonTest, VerifyResponse) {
  const json doc = json::parse(ToJson(SampleVerify(false)));
  EXPECT_EQ(doc.at("ok"), false);
  ASSERT_EQ(doc.at("checks").size(), 2u);
  EXPECT_EQ(doc.at("checks")[1].at("name"), "non_negative");
  EXPECT_EQ(doc.at("checks")[1].at("ok"), false);
  EXPECT_EQ(doc.at("checks")[1].at("violations"), "2");
  EXPECT_EQ(doc.at("checks")[1].at("examples"), json::array({"member 5", "member 9"}));
  EXPECT_EQ(doc.at("checks")[0].at("examples"), json::array());
}

// ---------------------------------------------------------------------------
// ParsePartnerRef

TEST(ParsePartnerRefTest, CodeOrId) {
  struct Case {
    std::string value;
    PartnerRef::Kind kind;
  };
  const Case cases[] = {
      {"acme", PartnerRef::Kind::kCode},
      {"shop-24-7", PartnerRef::Kind::kCode},
      {"a1", PartnerRef::Kind::kCode},
      {std::string(32, 'a'), PartnerRef::Kind::kCode},
      {"42", PartnerRef::Kind::kId},  // digits only: an id, though also a valid code
      {"1234567890", PartnerRef::Kind::kId},
      {"7", PartnerRef::Kind::kId},
      {"a", PartnerRef::Kind::kId},  // too short for a code
      {std::string(33, 'a'), PartnerRef::Kind::kId},
      {"Acme", PartnerRef::Kind::kId},
      {"acme_shop", PartnerRef::Kind::kId},
      {"550e8400-e29b-41d4-a716-446655440000", PartnerRef::Kind::kId},
      {"", PartnerRef::Kind::kId},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE("\"" + c.value + "\"");
    const PartnerRef ref = ParsePartnerRef(c.value);
    EXPECT_EQ(ref.kind, c.kind);
    EXPECT_EQ(ref.value, c.value);
  }
}

v1::RedemptionPolicyResponse SamplePolicy() {
  v1::RedemptionPolicyResponse response;
  response.set_partner_id("17");
  response.set_configured(true);
  v1::RedemptionPolicy* policy = response.mutable_policy();
  policy->set_point_value_micros(5'000);
  policy->set_block_size_points(2'000);
  policy->set_min_points(4'000);
  policy->set_max_points_share_bps(8'000);
  policy->set_min_cash_minor(100);
  policy->add_split_points_share_bps(8'000);
  policy->add_split_points_share_bps(3'350);
  policy->set_refund_policy(v1::REFUND_POLICY_CASH_FIRST);
  return response;
}

TEST(FormatTest, Bps) {
  EXPECT_EQ(FormatBps(10'000), "100%");
  EXPECT_EQ(FormatBps(8'000), "80%");
  EXPECT_EQ(FormatBps(8'050), "80.5%");
  EXPECT_EQ(FormatBps(3'333), "33.33%");
  EXPECT_EQ(FormatBps(1), "0.01%");
  EXPECT_EQ(FormatBps(0), "0%");
}

TEST(RefundPolicyTest, NamesRoundTrip) {
  const std::pair<std::string, v1::RefundPolicy> cases[] = {
      {"proportional", v1::REFUND_POLICY_PROPORTIONAL},
      {"cash-first", v1::REFUND_POLICY_CASH_FIRST},
      {"points-first", v1::REFUND_POLICY_POINTS_FIRST},
      {"points-forfeited", v1::REFUND_POLICY_POINTS_FORFEITED},
  };
  std::vector<std::string> names;
  for (const auto& [name, policy] : cases) {
    SCOPED_TRACE(name);
    EXPECT_EQ(ParseRefundPolicy(name), policy);
    EXPECT_EQ(RefundPolicyName(policy), name);
    names.push_back(name);
  }
  EXPECT_EQ(RefundPolicyNames(), names);
  for (const char* bad : {"", "unspecified", "Proportional", "PROPORTIONAL",
                          "REFUND_POLICY_CASH_FIRST", "cash_first", "cash-first ", "2"}) {
    SCOPED_TRACE(bad);
    EXPECT_EQ(ParseRefundPolicy(bad), std::nullopt);
  }
  EXPECT_EQ(RefundPolicyName(v1::REFUND_POLICY_UNSPECIFIED), "unspecified");
  EXPECT_EQ(RefundPolicyName(static_cast<v1::RefundPolicy>(42)), "unknown (42)");
}

TEST(FormatTest, PolicyFields) {
  const Fields fields = PolicyFields(SamplePolicy());
  const Fields expected = {
      {"partner_id", "17"},
      {"configured", "yes"},
      {"point_value", "0.005 per point (5000 micros)"},
      {"block_size", "2000 points"},
      {"min_points", "4000"},
      {"max_points_share", "80% of the price (8000 bps)"},
      {"min_cash", "100 (minor units)"},
      {"splits", "80% points, 33.5% points"},
      {"refund_policy", "cash-first"},
  };
  EXPECT_EQ(fields, expected);

  v1::RedemptionPolicyResponse fallback = SamplePolicy();
  fallback.set_configured(false);
  fallback.mutable_policy()->clear_split_points_share_bps();
  const Fields fallback_fields = PolicyFields(fallback);
  EXPECT_EQ(fallback_fields[1].second, "no (the server default policy)");
  EXPECT_EQ(fallback_fields[7].second, "none");
}

// ---------------------------------------------------------------------------
// AdminCommands over a fake stub

class FakeAdminStub : public v1::AdminService::StubInterface {
 public:
  grpc::Status CreatePartner(grpc::ClientContext*, const v1::CreatePartnerRequest& request,
                             v1::CreatePartnerResponse* response) override {
    create_partner_requests.push_back(request);
    if (!status.ok()) return status;
    *response = create_partner_response;
    return grpc::Status::OK;
  }
  grpc::Status ListPartners(grpc::ClientContext*, const v1::ListPartnersRequest& request,
                            v1::ListPartnersResponse* response) override {
    list_requests.push_back(request);
    if (!status.ok()) return status;
    const auto it = pages.find(request.page_token());
    if (it == pages.end()) {
      return RichStatus(grpc::StatusCode::INVALID_ARGUMENT, "page_token: is not valid",
                        "INVALID_ARGUMENT", "page_token");
    }
    *response = it->second;
    return grpc::Status::OK;
  }
  grpc::Status CreateApiKey(grpc::ClientContext*, const v1::CreateApiKeyRequest& request,
                            v1::CreateApiKeyResponse* response) override {
    create_key_requests.push_back(request);
    if (!status.ok()) return status;
    *response = create_key_response;
    return grpc::Status::OK;
  }
  grpc::Status RevokeApiKey(grpc::ClientContext*, const v1::RevokeApiKeyRequest& request,
                            v1::RevokeApiKeyResponse* response) override {
    revoke_requests.push_back(request);
    if (!status.ok()) return status;
    *response = revoke_response;
    return grpc::Status::OK;
  }
  grpc::Status VerifyLedger(grpc::ClientContext*, const v1::VerifyLedgerRequest&,
                            v1::VerifyLedgerResponse* response) override {
    ++verify_calls;
    if (!status.ok()) return status;
    *response = verify_response;
    return grpc::Status::OK;
  }

  grpc::Status SetRedemptionPolicy(grpc::ClientContext*,
                                   const v1::SetRedemptionPolicyRequest& request,
                                   v1::RedemptionPolicyResponse* response) override {
    set_policy_requests.push_back(request);
    if (!status.ok()) return status;
    *response = policy_response;
    return grpc::Status::OK;
  }
  grpc::Status GetRedemptionPolicy(grpc::ClientContext*,
                                   const v1::GetRedemptionPolicyRequest& request,
                                   v1::RedemptionPolicyResponse* response) override {
    get_policy_requests.push_back(request);
    if (!status.ok()) return status;
    *response = policy_response;
    return grpc::Status::OK;
  }

  grpc::Status RotatePiiKeys(grpc::ClientContext*, const v1::RotatePiiKeysRequest& request,
                             v1::RotatePiiKeysResponse* response) override {
    rotate_requests.push_back(request);
    if (!status.ok()) return status;
    if (rotate_responses.empty()) return grpc::Status(grpc::StatusCode::INTERNAL, "no response");
    *response = rotate_responses.front();
    rotate_responses.erase(rotate_responses.begin());
    return grpc::Status::OK;
  }
  grpc::Status ListAuditEvents(grpc::ClientContext*, const v1::ListAuditEventsRequest& request,
                               v1::ListAuditEventsResponse* response) override {
    audit_requests.push_back(request);
    if (!status.ok()) return status;
    *response = audit_response;
    return grpc::Status::OK;
  }

  grpc::Status GrantTargetedBonus(grpc::ClientContext*,
                                  const v1::GrantTargetedBonusRequest& request,
                                  v1::BonusGrant* response) override {
    grant_requests.push_back(request);
    if (!status.ok()) return status;
    *response = grant_response;
    return grpc::Status::OK;
  }
  grpc::Status GetBonusGrant(grpc::ClientContext*, const v1::GetBonusGrantRequest& request,
                             v1::BonusGrant* response) override {
    get_grant_requests.push_back(request);
    if (!status.ok()) return status;
    *response = grant_response;
    return grpc::Status::OK;
  }
  grpc::Status GetRedemptionForecast(grpc::ClientContext*,
                                     const v1::GetRedemptionForecastRequest& request,
                                     v1::GetRedemptionForecastResponse* response) override {
    forecast_requests.push_back(request);
    if (!status.ok()) return status;
    *response = forecast_response;
    return grpc::Status::OK;
  }
  grpc::Status GetEarnRules(grpc::ClientContext*, const v1::GetEarnRulesRequest& request,
                            v1::GetEarnRulesResponse* response) override {
    get_rules_requests.push_back(request);
    if (!status.ok()) return status;
    *response = get_rules_response;
    return grpc::Status::OK;
  }
  grpc::Status ListCampaigns(grpc::ClientContext*, const v1::ListCampaignsRequest& request,
                             v1::ListCampaignsResponse* response) override {
    list_campaigns_requests.push_back(request);
    if (!status.ok()) return status;
    *response = list_campaigns_response;
    return grpc::Status::OK;
  }
  std::vector<v1::GetEarnRulesRequest> get_rules_requests;
  v1::GetEarnRulesResponse get_rules_response;
  std::vector<v1::ListCampaignsRequest> list_campaigns_requests;
  v1::ListCampaignsResponse list_campaigns_response;
  std::vector<v1::SetEarnRulesRequest> set_rules_requests;
  std::vector<v1::CreateCampaignRequest> create_campaign_requests;
  std::vector<v1::GrantTargetedBonusRequest> grant_requests;
  std::vector<v1::GetBonusGrantRequest> get_grant_requests;
  v1::BonusGrant grant_response;
  std::vector<v1::GetRedemptionForecastRequest> forecast_requests;
  v1::GetRedemptionForecastResponse forecast_response;

  grpc::Status RegisterClientCertificate(grpc::ClientContext*,
                                         const v1::RegisterClientCertificateRequest& request,
                                         v1::RegisterClientCertificateResponse* response) override {
    register_certificate_requests.push_back(request);
    if (!status.ok()) return status;
    response->mutable_certificate()->set_certificate_id("31");
    response->mutable_certificate()->set_match(request.match());
    response->mutable_certificate()->set_identity(request.identity());
    return grpc::Status::OK;
  }
  grpc::Status RevokeClientCertificate(grpc::ClientContext*,
                                       const v1::RevokeClientCertificateRequest& request,
                                       v1::RevokeClientCertificateResponse* response) override {
    revoke_certificate_requests.push_back(request);
    if (!status.ok()) return status;
    response->mutable_certificate()->set_certificate_id(request.certificate_id());
    return grpc::Status::OK;
  }
  grpc::Status ListClientCertificates(grpc::ClientContext*,
                                      const v1::ListClientCertificatesRequest& request,
                                      v1::ListClientCertificatesResponse* response) override {
    list_certificate_requests.push_back(request);
    if (!status.ok()) return status;
    *response = certificates_response;
    return grpc::Status::OK;
  }

  // Returned by every call when not OK.
  grpc::Status status = grpc::Status::OK;
  std::vector<v1::RegisterClientCertificateRequest> register_certificate_requests;
  std::vector<v1::RevokeClientCertificateRequest> revoke_certificate_requests;
  std::vector<v1::ListClientCertificatesRequest> list_certificate_requests;
  v1::ListClientCertificatesResponse certificates_response;
  std::vector<v1::RotatePiiKeysResponse> rotate_responses;  // one per call, in order
  std::vector<v1::RotatePiiKeysRequest> rotate_requests;
  v1::ListAuditEventsResponse audit_response;
  std::vector<v1::ListAuditEventsRequest> audit_requests;
  v1::CreatePartnerResponse create_partner_response;
  std::map<std::string, v1::ListPartnersResponse> pages;  // by page token
  v1::CreateApiKeyResponse create_key_response;
  v1::RevokeApiKeyResponse revoke_response;
  v1::VerifyLedgerResponse verify_response;
  v1::RedemptionPolicyResponse policy_response;  // for both policy calls

  std::vector<v1::CreatePartnerRequest> create_partner_requests;
  std::vector<v1::ListPartnersRequest> list_requests;
  std::vector<v1::CreateApiKeyRequest> create_key_requests;
  std::vector<v1::RevokeApiKeyRequest> revoke_requests;
  int verify_calls = 0;
  std::vector<v1::SetRedemptionPolicyRequest> set_policy_requests;
  std::vector<v1::GetRedemptionPolicyRequest> get_policy_requests;

 private:
  // Partner economics: covered by the settlement CLI tests.
  grpc::Status SetPartnerEconomics(grpc::ClientContext*, const v1::SetPartnerEconomicsRequest&,
                                   v1::PartnerEconomicsPeriod*) override {
    return {grpc::StatusCode::UNIMPLEMENTED, "not faked"};
  }
  grpc::Status ListPartnerEconomics(grpc::ClientContext*, const v1::ListPartnerEconomicsRequest&,
                                    v1::ListPartnerEconomicsResponse*) override {
    return {grpc::StatusCode::UNIMPLEMENTED, "not faked"};
  }
  grpc::ClientAsyncResponseReaderInterface<v1::PartnerEconomicsPeriod>*
  AsyncSetPartnerEconomicsRaw(grpc::ClientContext*, const v1::SetPartnerEconomicsRequest&,
                              grpc::CompletionQueue*) override {
    return nullptr;
  }
  grpc::ClientAsyncResponseReaderInterface<v1::PartnerEconomicsPeriod>*
  PrepareAsyncSetPartnerEconomicsRaw(grpc::ClientContext*, const v1::SetPartnerEconomicsRequest&,
                                     grpc::CompletionQueue*) override {
    return nullptr;
  }
  grpc::ClientAsyncResponseReaderInterface<v1::ListPartnerEconomicsResponse>*
  AsyncListPartnerEconomicsRaw(grpc::ClientContext*, const v1::ListPartnerEconomicsRequest&,
                               grpc::CompletionQueue*) override {
    return nullptr;
  }
  grpc::ClientAsyncResponseReaderInterface<v1::ListPartnerEconomicsResponse>*
  PrepareAsyncListPartnerEconomicsRaw(grpc::ClientContext*,
                                      const v1::ListPartnerEconomicsRequest&,
                                      grpc::CompletionQueue*) override {
    return nullptr;
  }
  grpc::Status SetEarnRules(grpc::ClientContext*, const v1::SetEarnRulesRequest& request,
                      v1::SetEarnRulesResponse* response) override {
    set_rules_requests.push_back(request);
    if (!status.ok()) return status;
    response->set_partner_id("2");
    return grpc::Status::OK;
  }
  grpc::ClientAsyncResponseReaderInterface<v1::SetEarnRulesResponse>* AsyncSetEarnRulesRaw(
      grpc::ClientContext*, const v1::SetEarnRulesRequest&, grpc::CompletionQueue*) override {
    return nullptr;
  }
  grpc::ClientAsyncResponseReaderInterface<v1::SetEarnRulesResponse>* PrepareAsyncSetEarnRulesRaw(
      grpc::ClientContext*, const v1::SetEarnRulesRequest&, grpc::CompletionQueue*) override {
    return nullptr;
  }
  grpc::Status CreateCampaign(grpc::ClientContext*, const v1::CreateCampaignRequest& request,
                      v1::CreateCampaignResponse* response) override {
    create_campaign_requests.push_back(request);
    if (!status.ok()) return status;
    response->set_campaign_id("9");
    return grpc::Status::OK;
  }
  grpc::ClientAsyncResponseReaderInterface<v1::CreateCampaignResponse>* AsyncCreateCampaignRaw(
      grpc::ClientContext*, const v1::CreateCampaignRequest&, grpc::CompletionQueue*) override {
    return nullptr;
  }
  grpc::ClientAsyncResponseReaderInterface<v1::CreateCampaignResponse>* PrepareAsyncCreateCampaignRaw(
      grpc::ClientContext*, const v1::CreateCampaignRequest&, grpc::CompletionQueue*) override {
    return nullptr;
  }
  grpc::Status RunExpiry(grpc::ClientContext*, const v1::RunExpiryRequest&,
                      v1::RunExpiryResponse*) override {
    return grpc::Status(grpc::StatusCode::UNIMPLEMENTED, "not faked");
  }
  grpc::ClientAsyncResponseReaderInterface<v1::RunExpiryResponse>* AsyncRunExpiryRaw(
      grpc::ClientContext*, const v1::RunExpiryRequest&, grpc::CompletionQueue*) override {
    return nullptr;
  }
  grpc::ClientAsyncResponseReaderInterface<v1::RunExpiryResponse>* PrepareAsyncRunExpiryRaw(
      grpc::ClientContext*, const v1::RunExpiryRequest&, grpc::CompletionQueue*) override {
    return nullptr;
  }
  grpc::Status GetBreakageReport(grpc::ClientContext*, const v1::GetBreakageReportRequest&,
                      v1::GetBreakageReportResponse*) override {
    return grpc::Status(grpc::StatusCode::UNIMPLEMENTED, "not faked");
  }
  grpc::ClientAsyncResponseReaderInterface<v1::GetBreakageReportResponse>* AsyncGetBreakageReportRaw(
      grpc::ClientContext*, const v1::GetBreakageReportRequest&, grpc::CompletionQueue*) override {
    return nullptr;
  }
  grpc::ClientAsyncResponseReaderInterface<v1::GetBreakageReportResponse>* PrepareAsyncGetBreakageReportRaw(
      grpc::ClientContext*, const v1::GetBreakageReportRequest&, grpc::CompletionQueue*) override {
    return nullptr;
  }
  grpc::Status SetTiers(grpc::ClientContext*, const v1::SetTiersRequest& request,
                        v1::SetTiersResponse* response) override {
    set_tiers_requests.push_back(request);
    if (!status.ok()) return status;
    *response = set_tiers_response;
    return grpc::Status::OK;
  }
  grpc::ClientAsyncResponseReaderInterface<v1::SetTiersResponse>* AsyncSetTiersRaw(
      grpc::ClientContext*, const v1::SetTiersRequest&, grpc::CompletionQueue*) override {
    return nullptr;
  }
  grpc::ClientAsyncResponseReaderInterface<v1::SetTiersResponse>* PrepareAsyncSetTiersRaw(
      grpc::ClientContext*, const v1::SetTiersRequest&, grpc::CompletionQueue*) override {
    return nullptr;
  }
  grpc::Status GetTiers(grpc::ClientContext*, const v1::GetTiersRequest&,
                        v1::GetTiersResponse* response) override {
    if (!status.ok()) return status;
    *response = get_tiers_response;
    return grpc::Status::OK;
  }
  grpc::ClientAsyncResponseReaderInterface<v1::GetTiersResponse>* AsyncGetTiersRaw(
      grpc::ClientContext*, const v1::GetTiersRequest&, grpc::CompletionQueue*) override {
    return nullptr;
  }
  grpc::ClientAsyncResponseReaderInterface<v1::GetTiersResponse>* PrepareAsyncGetTiersRaw(
      grpc::ClientContext*, const v1::GetTiersRequest&, grpc::CompletionQueue*) override {
    return nullptr;
  }
  grpc::Status RunTierReview(grpc::ClientContext*, const v1::RunTierReviewRequest& request,
                             v1::RunTierReviewResponse* response) override {
    tier_review_requests.push_back(request);
    if (!status.ok()) return status;
    *response = tier_review_response;
    return grpc::Status::OK;
  }
  grpc::ClientAsyncResponseReaderInterface<v1::RunTierReviewResponse>* AsyncRunTierReviewRaw(
      grpc::ClientContext*, const v1::RunTierReviewRequest&, grpc::CompletionQueue*) override {
    return nullptr;
  }
  grpc::ClientAsyncResponseReaderInterface<v1::RunTierReviewResponse>*
  PrepareAsyncRunTierReviewRaw(grpc::ClientContext*, const v1::RunTierReviewRequest&,
                               grpc::CompletionQueue*) override {
    return nullptr;
  }
 public:
  std::vector<v1::SetTiersRequest> set_tiers_requests;
  v1::SetTiersResponse set_tiers_response;
  v1::GetTiersResponse get_tiers_response;
  std::vector<v1::RunTierReviewRequest> tier_review_requests;
  v1::RunTierReviewResponse tier_review_response;

 private:
  // The asynchronous API is not used by coalitionctl.
  grpc::ClientAsyncResponseReaderInterface<v1::GetEarnRulesResponse>* AsyncGetEarnRulesRaw(
      grpc::ClientContext*, const v1::GetEarnRulesRequest&, grpc::CompletionQueue*) override {
    return nullptr;
  }
  grpc::ClientAsyncResponseReaderInterface<v1::GetEarnRulesResponse>* PrepareAsyncGetEarnRulesRaw(
      grpc::ClientContext*, const v1::GetEarnRulesRequest&, grpc::CompletionQueue*) override {
    return nullptr;
  }
  grpc::ClientAsyncResponseReaderInterface<v1::ListCampaignsResponse>* AsyncListCampaignsRaw(
      grpc::ClientContext*, const v1::ListCampaignsRequest&, grpc::CompletionQueue*) override {
    return nullptr;
  }
  grpc::ClientAsyncResponseReaderInterface<v1::ListCampaignsResponse>*
  PrepareAsyncListCampaignsRaw(grpc::ClientContext*, const v1::ListCampaignsRequest&,
                               grpc::CompletionQueue*) override {
    return nullptr;
  }
  grpc::ClientAsyncResponseReaderInterface<v1::BonusGrant>* AsyncGrantTargetedBonusRaw(
      grpc::ClientContext*, const v1::GrantTargetedBonusRequest&,
      grpc::CompletionQueue*) override {
    return nullptr;
  }
  grpc::ClientAsyncResponseReaderInterface<v1::BonusGrant>* PrepareAsyncGrantTargetedBonusRaw(
      grpc::ClientContext*, const v1::GrantTargetedBonusRequest&,
      grpc::CompletionQueue*) override {
    return nullptr;
  }
  grpc::ClientAsyncResponseReaderInterface<v1::BonusGrant>* AsyncGetBonusGrantRaw(
      grpc::ClientContext*, const v1::GetBonusGrantRequest&, grpc::CompletionQueue*) override {
    return nullptr;
  }
  grpc::ClientAsyncResponseReaderInterface<v1::BonusGrant>* PrepareAsyncGetBonusGrantRaw(
      grpc::ClientContext*, const v1::GetBonusGrantRequest&, grpc::CompletionQueue*) override {
    return nullptr;
  }
  grpc::ClientAsyncResponseReaderInterface<v1::GetRedemptionForecastResponse>*
  AsyncGetRedemptionForecastRaw(grpc::ClientContext*, const v1::GetRedemptionForecastRequest&,
                                grpc::CompletionQueue*) override {
    return nullptr;
  }
  grpc::ClientAsyncResponseReaderInterface<v1::GetRedemptionForecastResponse>*
  PrepareAsyncGetRedemptionForecastRaw(grpc::ClientContext*,
                                       const v1::GetRedemptionForecastRequest&,
                                       grpc::CompletionQueue*) override {
    return nullptr;
  }
  grpc::ClientAsyncResponseReaderInterface<v1::RotatePiiKeysResponse>* AsyncRotatePiiKeysRaw(
      grpc::ClientContext*, const v1::RotatePiiKeysRequest&, grpc::CompletionQueue*) override {
    return nullptr;
  }
  grpc::ClientAsyncResponseReaderInterface<v1::RotatePiiKeysResponse>*
  PrepareAsyncRotatePiiKeysRaw(grpc::ClientContext*, const v1::RotatePiiKeysRequest&,
                               grpc::CompletionQueue*) override {
    return nullptr;
  }
  grpc::ClientAsyncResponseReaderInterface<v1::RegisterClientCertificateResponse>*
  AsyncRegisterClientCertificateRaw(grpc::ClientContext*,
                                    const v1::RegisterClientCertificateRequest&,
                                    grpc::CompletionQueue*) override {
    return nullptr;
  }
  grpc::ClientAsyncResponseReaderInterface<v1::RegisterClientCertificateResponse>*
  PrepareAsyncRegisterClientCertificateRaw(grpc::ClientContext*,
                                           const v1::RegisterClientCertificateRequest&,
                                           grpc::CompletionQueue*) override {
    return nullptr;
  }
  grpc::ClientAsyncResponseReaderInterface<v1::RevokeClientCertificateResponse>*
  AsyncRevokeClientCertificateRaw(grpc::ClientContext*, const v1::RevokeClientCertificateRequest&,
                                  grpc::CompletionQueue*) override {
    return nullptr;
  }
  grpc::ClientAsyncResponseReaderInterface<v1::RevokeClientCertificateResponse>*
  PrepareAsyncRevokeClientCertificateRaw(grpc::ClientContext*,
                                         const v1::RevokeClientCertificateRequest&,
                                         grpc::CompletionQueue*) override {
    return nullptr;
  }
  grpc::ClientAsyncResponseReaderInterface<v1::ListClientCertificatesResponse>*
  AsyncListClientCertificatesRaw(grpc::ClientContext*, const v1::ListClientCertificatesRequest&,
                                 grpc::CompletionQueue*) override {
    return nullptr;
  }
  grpc::ClientAsyncResponseReaderInterface<v1::ListClientCertificatesResponse>*
  PrepareAsyncListClientCertificatesRaw(grpc::ClientContext*,
                                        const v1::ListClientCertificatesRequest&,
                                        grpc::CompletionQueue*) override {
    return nullptr;
  }
  grpc::ClientAsyncResponseReaderInterface<v1::ListAuditEventsResponse>* AsyncListAuditEventsRaw(
      grpc::ClientContext*, const v1::ListAuditEventsRequest&, grpc::CompletionQueue*) override {
    return nullptr;
  }
  grpc::ClientAsyncResponseReaderInterface<v1::ListAuditEventsResponse>*
  PrepareAsyncListAuditEventsRaw(grpc::ClientContext*, const v1::ListAuditEventsRequest&,
                                 grpc::CompletionQueue*) override {
    return nullptr;
  }
  grpc::ClientAsyncResponseReaderInterface<v1::RedemptionPolicyResponse>*
  AsyncSetRedemptionPolicyRaw(grpc::ClientContext*, const v1::SetRedemptionPolicyRequest&,
                              grpc::CompletionQueue*) override {
    return nullptr;
  }
  grpc::ClientAsyncResponseReaderInterface<v1::RedemptionPolicyResponse>*
  PrepareAsyncSetRedemptionPolicyRaw(grpc::ClientContext*, const v1::SetRedemptionPolicyRequest&,
                                     grpc::CompletionQueue*) override {
    return nullptr;
  }
  grpc::ClientAsyncResponseReaderInterface<v1::RedemptionPolicyResponse>*
  AsyncGetRedemptionPolicyRaw(grpc::ClientContext*, const v1::GetRedemptionPolicyRequest&,
                              grpc::CompletionQueue*) override {
    return nullptr;
  }
  grpc::ClientAsyncResponseReaderInterface<v1::RedemptionPolicyResponse>*
  PrepareAsyncGetRedemptionPolicyRaw(grpc::ClientContext*, const v1::GetRedemptionPolicyRequest&,
                                     grpc::CompletionQueue*) override {
    return nullptr;
  }
  grpc::ClientAsyncResponseReaderInterface<v1::CreatePartnerResponse>* AsyncCreatePartnerRaw(
      grpc::ClientContext*, const v1::CreatePartnerRequest&, grpc::CompletionQueue*) override {
    return nullptr;
  }
  grpc::ClientAsyncResponseReaderInterface<v1::CreatePartnerResponse>*
  PrepareAsyncCreatePartnerRaw(grpc::ClientContext*, const v1::CreatePartnerRequest&,
                               grpc::CompletionQueue*) override {
    return nullptr;
  }
  grpc::ClientAsyncResponseReaderInterface<v1::ListPartnersResponse>* AsyncListPartnersRaw(
      grpc::ClientContext*, const v1::ListPartnersRequest&, grpc::CompletionQueue*) override {
    return nullptr;
  }
  grpc::ClientAsyncResponseReaderInterface<v1::ListPartnersResponse>*
  PrepareAsyncListPartnersRaw(grpc::ClientContext*, const v1::ListPartnersRequest&,
                              grpc::CompletionQueue*) override {
    return nullptr;
  }
  grpc::ClientAsyncResponseReaderInterface<v1::CreateApiKeyResponse>* AsyncCreateApiKeyRaw(
      grpc::ClientContext*, const v1::CreateApiKeyRequest&, grpc::CompletionQueue*) override {
    return nullptr;
  }
  grpc::ClientAsyncResponseReaderInterface<v1::CreateApiKeyResponse>*
  PrepareAsyncCreateApiKeyRaw(grpc::ClientContext*, const v1::CreateApiKeyRequest&,
                              grpc::CompletionQueue*) override {
    return nullptr;
  }
  grpc::ClientAsyncResponseReaderInterface<v1::RevokeApiKeyResponse>* AsyncRevokeApiKeyRaw(
      grpc::ClientContext*, const v1::RevokeApiKeyRequest&, grpc::CompletionQueue*) override {
    return nullptr;
  }
  grpc::ClientAsyncResponseReaderInterface<v1::RevokeApiKeyResponse>*
  PrepareAsyncRevokeApiKeyRaw(grpc::ClientContext*, const v1::RevokeApiKeyRequest&,
                              grpc::CompletionQueue*) override {
    return nullptr;
  }
  grpc::ClientAsyncResponseReaderInterface<v1::VerifyLedgerResponse>* AsyncVerifyLedgerRaw(
      grpc::ClientContext*, const v1::VerifyLedgerRequest&, grpc::CompletionQueue*) override {
    return nullptr;
  }
  grpc::ClientAsyncResponseReaderInterface<v1::VerifyLedgerResponse>*
  PrepareAsyncVerifyLedgerRaw(grpc::ClientContext*, const v1::VerifyLedgerRequest&,
                              grpc::CompletionQueue*) override {
    return nullptr;
  }
};

class AdminCommandsTest : public ::testing::Test {
 protected:
  AdminCommands Commands(OutputFormat format = OutputFormat::kTable) {
    sdk::ChannelOptions channel;
    channel.api_key = "operator-key-0123456789";
    return AdminCommands(stub_, channel, format, out_, err_);
  }

  FakeAdminStub stub_;
  std::ostringstream out_;
  std::ostringstream err_;
};

constexpr char kSecretWarning[] = "warning: the API key secret is shown only this once";

TEST_F(AdminCommandsTest, PartnerCreateSendsArgumentsAndPrintsSecret) {
  *stub_.create_partner_response.mutable_partner() = SamplePartner("17", "acme", "Acme Coffee");
  stub_.create_partner_response.mutable_api_key()->set_key_id("5");
  stub_.create_partner_response.mutable_api_key()->set_prefix("ck_abcd");
  stub_.create_partner_response.set_api_key_secret("ck_abcd.s3cr3t");

  PartnerCreateArgs args;
  args.code = "acme";
  args.display_name = "Acme Coffee";
  args.earn_points = 1;
  args.earn_per_minor = 100;
  args.issuance_price_micros = 12'500;
  args.redemption_rate_micros = 1'000'000;
  args.auto_enroll = true;
  EXPECT_EQ(Commands().PartnerCreate(args), kExitOk);

  ASSERT_EQ(stub_.create_partner_requests.size(), 1u);
  const v1::CreatePartnerRequest& request = stub_.create_partner_requests[0];
  EXPECT_EQ(request.code(), "acme");
  EXPECT_EQ(request.display_name(), "Acme Coffee");
  EXPECT_EQ(request.earn_rate().points(), 1);
  EXPECT_EQ(request.earn_rate().per_amount_minor(), 100);
  EXPECT_EQ(request.issuance_price_micros(), 12'500);
  EXPECT_EQ(request.redemption_rate_micros(), 1'000'000);
  EXPECT_TRUE(request.auto_enroll());

  const std::vector<std::string> lines = Lines(out_.str());
  ASSERT_EQ(lines.size(), 11u) << out_.str();
  EXPECT_EQ(lines[0], "partner_id:       17");
  EXPECT_EQ(lines[8], "api_key_id:       5");
  EXPECT_EQ(lines[9], "api_key_prefix:   ck_abcd");
  EXPECT_EQ(lines[10], "api_key_secret:   ck_abcd.s3cr3t");
  EXPECT_NE(err_.str().find(kSecretWarning), std::string::npos) << err_.str();
  EXPECT_EQ(err_.str().find("s3cr3t"), std::string::npos);  // the secret only on stdout
}

TEST_F(AdminCommandsTest, PartnerCreateJson) {
  *stub_.create_partner_response.mutable_partner() = SamplePartner("17", "acme", "Acme Coffee");
  stub_.create_partner_response.set_api_key_secret("ck_abcd.s3cr3t");
  EXPECT_EQ(Commands(OutputFormat::kJson).PartnerCreate({}), kExitOk);
  const json doc = json::parse(out_.str());
  EXPECT_EQ(doc.at("partner").at("code"), "acme");
  EXPECT_EQ(doc.at("api_key_secret"), "ck_abcd.s3cr3t");
  EXPECT_NE(err_.str().find(kSecretWarning), std::string::npos);
}

TEST_F(AdminCommandsTest, FailuresPrintOneLineAndMapExitCode) {
  struct Case {
    grpc::Status status;
    int exit_code;
    std::string line;
  };
  const Case cases[] = {
      {RichStatus(grpc::StatusCode::ALREADY_EXISTS, "partner code already taken",
                  "PARTNER_CODE_TAKEN"),
       kExitConflict, "error: ALREADY_EXISTS (PARTNER_CODE_TAKEN): partner code already taken\n"},
      {RichStatus(grpc::StatusCode::INVALID_ARGUMENT, "code: must be 2-32 characters",
                  "INVALID_ARGUMENT", "code"),
       kExitUsage,
       "error: INVALID_ARGUMENT (INVALID_ARGUMENT): code: must be 2-32 characters [field=code]\n"},
      {RichStatus(grpc::StatusCode::UNAUTHENTICATED, "unknown or revoked API key",
                  "UNAUTHENTICATED"),
       kExitAuth, "error: UNAUTHENTICATED (UNAUTHENTICATED): unknown or revoked API key\n"},
      {grpc::Status(grpc::StatusCode::UNAVAILABLE, "failed to connect\nto all addresses"),
       kExitFailure, "error: UNAVAILABLE: failed to connect to all addresses\n"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.line);
    FakeAdminStub stub;
    stub.status = c.status;
    std::ostringstream out;
    std::ostringstream err;
    AdminCommands commands(stub, sdk::ChannelOptions(), OutputFormat::kTable, out, err);
    EXPECT_EQ(commands.PartnerCreate({}), c.exit_code);
    EXPECT_EQ(err.str(), c.line);
    EXPECT_EQ(out.str(), "");
  }
}

TEST_F(AdminCommandsTest, PartnerListFollowsPagesWithAll) {
  v1::ListPartnersResponse first;
  *first.add_partners() = SamplePartner("1", "acme", "Acme");
  first.set_next_page_token("t1");
  v1::ListPartnersResponse second;
  *second.add_partners() = SamplePartner("2", "bo", "Bo");
  stub_.pages[""] = first;
  stub_.pages["t1"] = second;

  PartnerListArgs args;
  args.page_size = 1;
  args.all = true;
  EXPECT_EQ(Commands(OutputFormat::kJson).PartnerList(args), kExitOk);
  ASSERT_EQ(stub_.list_requests.size(), 2u);
  EXPECT_EQ(stub_.list_requests[0].page_token(), "");
  EXPECT_EQ(stub_.list_requests[1].page_token(), "t1");
  EXPECT_EQ(stub_.list_requests[1].page_size(), 1);
  const json doc = json::parse(out_.str());
  ASSERT_EQ(doc.at("partners").size(), 2u);
  EXPECT_EQ(doc.at("partners")[0].at("code"), "acme");
  EXPECT_EQ(doc.at("partners")[1].at("code"), "bo");
  EXPECT_EQ(doc.at("next_page_token"), "");
  EXPECT_EQ(err_.str(), "");
}

TEST_F(AdminCommandsTest, PartnerListOnePageShowsHowToContinue) {
  v1::ListPartnersResponse first;
  *first.add_partners() = SamplePartner("1", "acme", "Acme");
  first.set_next_page_token("t1");
  stub_.pages["start"] = first;
  PartnerListArgs args;
  args.page_token = "start";
  EXPECT_EQ(Commands().PartnerList(args), kExitOk);
  ASSERT_EQ(stub_.list_requests.size(), 1u);
  EXPECT_EQ(stub_.list_requests[0].page_token(), "start");
  const std::vector<std::string> lines = Lines(out_.str());
  ASSERT_EQ(lines.size(), 3u) << out_.str();
  EXPECT_EQ(lines[0].rfind("CODE  NAME", 0), 0u) << lines[0];
  EXPECT_EQ(lines[2], "more: rerun with --page-token t1, or use --all");
}

TEST_F(AdminCommandsTest, PartnerListEmpty) {
  stub_.pages[""] = v1::ListPartnersResponse();
  EXPECT_EQ(Commands().PartnerList({}), kExitOk);
  EXPECT_EQ(out_.str(), "no partners\n");
}

TEST_F(AdminCommandsTest, PartnerListStopsOnRepeatedToken) {
  v1::ListPartnersResponse first;
  *first.add_partners() = SamplePartner("1", "acme", "Acme");
  first.set_next_page_token("t1");
  v1::ListPartnersResponse looping;
  *looping.add_partners() = SamplePartner("2", "bo", "Bo");
  looping.set_next_page_token("t1");
  stub_.pages[""] = first;
  stub_.pages["t1"] = looping;
  PartnerListArgs args;
  args.all = true;
  EXPECT_EQ(Commands().PartnerList(args), kExitFailure);
  EXPECT_EQ(stub_.list_requests.size(), 2u);
  EXPECT_NE(err_.str().find("\"t1\" twice"), std::string::npos) << err_.str();
  EXPECT_EQ(out_.str(), "");
}

TEST_F(AdminCommandsTest, PartnerListBadTokenIsUsageError) {
  PartnerListArgs args;
  args.page_token = "forged";
  EXPECT_EQ(Commands().PartnerList(args), kExitUsage);
  EXPECT_EQ(err_.str().rfind("error: INVALID_ARGUMENT", 0), 0u) << err_.str();
}

TEST_F(AdminCommandsTest, KeyCreateByIdOrCode) {
  stub_.create_key_response.mutable_api_key()->set_key_id("9");
  stub_.create_key_response.mutable_api_key()->set_partner_id("17");
  stub_.create_key_response.set_api_key_secret("ck_x.y");
  EXPECT_EQ(Commands().KeyCreate({PartnerRef::Kind::kId, "17"}), kExitOk);
  EXPECT_EQ(Commands().KeyCreate({PartnerRef::Kind::kCode, "acme"}), kExitOk);
  ASSERT_EQ(stub_.create_key_requests.size(), 2u);
  EXPECT_EQ(stub_.create_key_requests[0].partner_case(), v1::CreateApiKeyRequest::kPartnerId);
  EXPECT_EQ(stub_.create_key_requests[0].partner_id(), "17");
  EXPECT_EQ(stub_.create_key_requests[1].partner_case(), v1::CreateApiKeyRequest::kPartnerCode);
  EXPECT_EQ(stub_.create_key_requests[1].partner_code(), "acme");
  EXPECT_NE(out_.str().find("api_key_secret:  ck_x.y\n"), std::string::npos) << out_.str();
  EXPECT_NE(err_.str().find(kSecretWarning), std::string::npos);
}

TEST_F(AdminCommandsTest, KeyRevoke) {
  stub_.revoke_response.mutable_api_key()->set_key_id("9");
  *stub_.revoke_response.mutable_api_key()->mutable_revoked_at() = At(1'714'564'800);
  EXPECT_EQ(Commands().KeyRevoke("9"), kExitOk);
  ASSERT_EQ(stub_.revoke_requests.size(), 1u);
  EXPECT_EQ(stub_.revoke_requests[0].key_id(), "9");
  EXPECT_NE(out_.str().find("revoked_at:  2024-05-01T12:00:00Z\n"), std::string::npos)
      << out_.str();
  EXPECT_EQ(err_.str(), "");  // no secret, no warning

  stub_.status = RichStatus(grpc::StatusCode::NOT_FOUND, "api key not found", "KEY_NOT_FOUND");
  EXPECT_EQ(Commands().KeyRevoke("10"), kExitNotFound);
}

TEST_F(AdminCommandsTest, VerifyAllOk) {
  stub_.verify_response = SampleVerify(true);
  EXPECT_EQ(Commands().Verify(), kExitOk);
  EXPECT_NE(out_.str().find("\nledger OK: all 2 checks passed\n"), std::string::npos)
      << out_.str();
}

TEST_F(AdminCommandsTest, VerifyFailedCheck) {
  stub_.verify_response = SampleVerify(false);
  EXPECT_EQ(Commands().Verify(), kExitInvariantViolated);
  EXPECT_NE(out_.str().find("ledger INCONSISTENT: 1 of 2 checks failed\n"
                            "  non_negative: no member balance below zero\n"),
            std::string::npos)
      << out_.str();
}

TEST_F(AdminCommandsTest, VerifyDistrustsContradictorySummary) {
  // Summary says ok but a check failed.
  stub_.verify_response = SampleVerify(false);
  stub_.verify_response.set_ok(true);
  EXPECT_EQ(Commands().Verify(), kExitInvariantViolated);

  // Summary says not ok although every check passed.
  out_.str("");
  stub_.verify_response = SampleVerify(true);
  stub_.verify_response.set_ok(false);
  EXPECT_EQ(Commands().Verify(), kExitInvariantViolated);
  EXPECT_NE(out_.str().find("outside the checks above"), std::string::npos) << out_.str();
}

TEST_F(AdminCommandsTest, VerifyJson) {
  stub_.verify_response = SampleVerify(false);
  EXPECT_EQ(Commands(OutputFormat::kJson).Verify(), kExitInvariantViolated);
  const json doc = json::parse(out_.str());
  EXPECT_EQ(doc.at("ok"), false);

  out_.str("");
  stub_.verify_response = SampleVerify(true);
  EXPECT_EQ(Commands(OutputFormat::kJson).Verify(), kExitOk);
  EXPECT_EQ(json::parse(out_.str()).at("ok"), true);
}

TEST_F(AdminCommandsTest, VerifyRpcFailure) {
  stub_.status = RichStatus(grpc::StatusCode::PERMISSION_DENIED,
                            "this credential may not call this method", "PERMISSION_DENIED");
  EXPECT_EQ(Commands().Verify(), kExitAuth);
  EXPECT_EQ(out_.str(), "");
  EXPECT_EQ(err_.str(),
            "error: PERMISSION_DENIED (PERMISSION_DENIED): this credential may not call this "
            "method\n");
}

TEST_F(AdminCommandsTest, PolicyGetByCodeOrIdPrintsTable) {
  stub_.policy_response = SamplePolicy();
  EXPECT_EQ(Commands().PolicyGet({PartnerRef::Kind::kCode, "acme"}), kExitOk);
  ASSERT_EQ(stub_.get_policy_requests.size(), 1u);
  EXPECT_EQ(stub_.get_policy_requests[0].partner_case(),
            v1::GetRedemptionPolicyRequest::kPartnerCode);
  EXPECT_EQ(stub_.get_policy_requests[0].partner_code(), "acme");
  EXPECT_EQ(out_.str(),
            "partner_id:        17\n"
            "configured:        yes\n"
            "point_value:       0.005 per point (5000 micros)\n"
            "block_size:        2000 points\n"
            "min_points:        4000\n"
            "max_points_share:  80% of the price (8000 bps)\n"
            "min_cash:          100 (minor units)\n"
            "splits:            80% points, 33.5% points\n"
            "refund_policy:     cash-first\n");
  EXPECT_EQ(err_.str(), "");

  EXPECT_EQ(Commands().PolicyGet({PartnerRef::Kind::kId, "17"}), kExitOk);
  ASSERT_EQ(stub_.get_policy_requests.size(), 2u);
  EXPECT_EQ(stub_.get_policy_requests[1].partner_case(),
            v1::GetRedemptionPolicyRequest::kPartnerId);
  EXPECT_EQ(stub_.get_policy_requests[1].partner_id(), "17");
}

TEST_F(AdminCommandsTest, PolicyGetJson) {
  stub_.policy_response = SamplePolicy();
  stub_.policy_response.set_configured(false);
  EXPECT_EQ(Commands(OutputFormat::kJson).PolicyGet({PartnerRef::Kind::kCode, "acme"}), kExitOk);
  const json doc = json::parse(out_.str());
  EXPECT_EQ(doc.at("partner_id"), "17");
  EXPECT_EQ(doc.at("configured"), false);
  const json& policy = doc.at("policy");
  EXPECT_EQ(policy.at("point_value_micros"), "5000");  // int64 as a string, per proto JSON
  EXPECT_EQ(policy.at("block_size_points"), "2000");
  EXPECT_EQ(policy.at("max_points_share_bps"), 8000);
  EXPECT_EQ(policy.at("split_points_share_bps"), json::array({8000, 3350}));
  EXPECT_EQ(policy.at("refund_policy"), "REFUND_POLICY_CASH_FIRST");
}

TEST_F(AdminCommandsTest, PolicyGetUnknownPartner) {
  stub_.status = RichStatus(grpc::StatusCode::NOT_FOUND, "partner not found", "PARTNER_NOT_FOUND");
  EXPECT_EQ(Commands().PolicyGet({PartnerRef::Kind::kCode, "nope"}), kExitNotFound);
  EXPECT_EQ(out_.str(), "");
  EXPECT_EQ(err_.str(), "error: NOT_FOUND (PARTNER_NOT_FOUND): partner not found\n");
}

PolicySetArgs SamplePolicySetArgs() {
  PolicySetArgs args;
  args.partner = {PartnerRef::Kind::kCode, "acme"};
  args.point_value_micros = 5'000;
  args.block_size_points = 2'000;
  args.min_points = 4'000;
  args.max_points_share_bps = 8'000;
  args.min_cash_minor = 100;
  args.split_points_share_bps = {8'000, 3'350};
  args.refund_policy = "cash-first";
  return args;
}

TEST_F(AdminCommandsTest, PolicySetSendsEveryField) {
  stub_.policy_response = SamplePolicy();
  EXPECT_EQ(Commands().PolicySet(SamplePolicySetArgs()), kExitOk);
  ASSERT_EQ(stub_.set_policy_requests.size(), 1u);
  const v1::SetRedemptionPolicyRequest& request = stub_.set_policy_requests[0];
  EXPECT_EQ(request.partner_case(), v1::SetRedemptionPolicyRequest::kPartnerCode);
  EXPECT_EQ(request.partner_code(), "acme");
  const v1::RedemptionPolicy& policy = request.policy();
  EXPECT_EQ(policy.point_value_micros(), 5'000);
  EXPECT_EQ(policy.block_size_points(), 2'000);
  EXPECT_EQ(policy.min_points(), 4'000);
  EXPECT_EQ(policy.max_points_share_bps(), 8'000);
  EXPECT_EQ(policy.min_cash_minor(), 100);
  ASSERT_EQ(policy.split_points_share_bps_size(), 2);
  EXPECT_EQ(policy.split_points_share_bps(0), 8'000);
  EXPECT_EQ(policy.split_points_share_bps(1), 3'350);
  EXPECT_EQ(policy.refund_policy(), v1::REFUND_POLICY_CASH_FIRST);

  // Prints what the server stored.
  const std::vector<std::string> lines = Lines(out_.str());
  ASSERT_EQ(lines.size(), 9u) << out_.str();
  EXPECT_EQ(lines[0], "partner_id:        17");
  EXPECT_EQ(lines[7], "splits:            80% points, 33.5% points");
  EXPECT_EQ(lines[8], "refund_policy:     cash-first");
  EXPECT_EQ(err_.str(), "");
}

TEST_F(AdminCommandsTest, PolicySetDefaults) {
  PolicySetArgs args;
  args.partner = {PartnerRef::Kind::kId, "17"};
  args.point_value_micros = 10'000;
  args.block_size_points = 100;
  EXPECT_EQ(Commands().PolicySet(args), kExitOk);
  ASSERT_EQ(stub_.set_policy_requests.size(), 1u);
  const v1::SetRedemptionPolicyRequest& request = stub_.set_policy_requests[0];
  EXPECT_EQ(request.partner_case(), v1::SetRedemptionPolicyRequest::kPartnerId);
  EXPECT_EQ(request.partner_id(), "17");
  EXPECT_EQ(request.policy().min_points(), 0);
  EXPECT_EQ(request.policy().max_points_share_bps(), 10'000);
  EXPECT_EQ(request.policy().min_cash_minor(), 0);
  EXPECT_EQ(request.policy().split_points_share_bps_size(), 0);
  EXPECT_EQ(request.policy().refund_policy(), v1::REFUND_POLICY_PROPORTIONAL);
}

TEST_F(AdminCommandsTest, PolicySetParsesRefundPolicy) {
  const std::pair<std::string, v1::RefundPolicy> cases[] = {
      {"proportional", v1::REFUND_POLICY_PROPORTIONAL},
      {"cash-first", v1::REFUND_POLICY_CASH_FIRST},
      {"points-first", v1::REFUND_POLICY_POINTS_FIRST},
      {"points-forfeited", v1::REFUND_POLICY_POINTS_FORFEITED},
  };
  for (const auto& [name, policy] : cases) {
    SCOPED_TRACE(name);
    PolicySetArgs args = SamplePolicySetArgs();
    args.refund_policy = name;
    stub_.set_policy_requests.clear();
    EXPECT_EQ(Commands().PolicySet(args), kExitOk);
    ASSERT_EQ(stub_.set_policy_requests.size(), 1u);
    EXPECT_EQ(stub_.set_policy_requests[0].policy().refund_policy(), policy);
  }
}

TEST_F(AdminCommandsTest, PolicySetBadRefundPolicyIsUsageError) {
  PolicySetArgs args = SamplePolicySetArgs();
  args.refund_policy = "cash_first";
  EXPECT_EQ(Commands().PolicySet(args), kExitUsage);
  EXPECT_TRUE(stub_.set_policy_requests.empty());  // nothing sent
  EXPECT_EQ(out_.str(), "");
  EXPECT_EQ(err_.str(),
            "error: --refund-policy: unknown policy \"cash_first\" (expected one of "
            "proportional, cash-first, points-first, points-forfeited)\n"
            "Run with --help for more information.\n");
}

TEST_F(AdminCommandsTest, PolicySetJson) {
  stub_.policy_response = SamplePolicy();
  EXPECT_EQ(Commands(OutputFormat::kJson).PolicySet(SamplePolicySetArgs()), kExitOk);
  const json doc = json::parse(out_.str());
  EXPECT_EQ(doc.at("configured"), true);
  EXPECT_EQ(doc.at("policy").at("refund_policy"), "REFUND_POLICY_CASH_FIRST");
  EXPECT_EQ(doc.at("policy").at("min_cash_minor"), "100");
}

TEST_F(AdminCommandsTest, PolicySetRejectedByServer) {
  stub_.status =
      RichStatus(grpc::StatusCode::INVALID_ARGUMENT, "policy.block_size_points: must be positive",
                 "INVALID_ARGUMENT", "policy.block_size_points");
  EXPECT_EQ(Commands().PolicySet(SamplePolicySetArgs()), kExitUsage);
  EXPECT_EQ(out_.str(), "");
  EXPECT_EQ(err_.str(),
            "error: INVALID_ARGUMENT (INVALID_ARGUMENT): policy.block_size_points: must be "
            "positive [field=policy.block_size_points]\n");
}

}  // namespace
}  // namespace coalition::cli::test

namespace coalition::cli::test {
namespace {

class SecurityCommandsTest : public ::testing::Test {
 protected:
  AdminCommands Commands(OutputFormat format = OutputFormat::kTable) {
    sdk::ChannelOptions channel;
    channel.api_key = "operator-key-0123456789";
    return AdminCommands(stub_, channel, format, out_, err_);
  }
  static v1::RotatePiiKeysResponse Step(int64_t resealed, int64_t remaining) {
    v1::RotatePiiKeysResponse step;
    step.set_resealed(resealed);
    step.set_remaining(remaining);
    step.set_active_key_id("2026-01");
    return step;
  }

  FakeAdminStub stub_;
  std::ostringstream out_;
  std::ostringstream err_;
};

TEST_F(SecurityCommandsTest, KeysRotateCallsUntilNothingRemains) {
  stub_.rotate_responses = {Step(500, 700), Step(500, 200), Step(200, 0)};
  EXPECT_EQ(Commands().KeysRotate(500), kExitOk);
  ASSERT_EQ(stub_.rotate_requests.size(), 3u);
  EXPECT_EQ(stub_.rotate_requests[0].batch_size(), 500);
  EXPECT_NE(out_.str().find("2026-01"), std::string::npos) << out_.str();
  EXPECT_NE(out_.str().find("1200"), std::string::npos) << out_.str();
  EXPECT_EQ(err_.str(), "");
}

TEST_F(SecurityCommandsTest, KeysRotateStopsWhenAnotherRotationHoldsTheRows) {
  stub_.rotate_responses = {Step(0, 50)};
  EXPECT_EQ(Commands().KeysRotate(0), kExitFailure);
  EXPECT_EQ(stub_.rotate_requests.size(), 1u);
  EXPECT_NE(err_.str().find("locked by another rotation"), std::string::npos) << err_.str();
}

TEST_F(SecurityCommandsTest, KeysRotateReportsServerErrors) {
  stub_.status = grpc::Status(grpc::StatusCode::PERMISSION_DENIED, "no");
  EXPECT_EQ(Commands().KeysRotate(0), kExitAuth);
  EXPECT_NE(err_.str().find("PERMISSION_DENIED"), std::string::npos) << err_.str();
}

TEST_F(SecurityCommandsTest, AuditPrintsTheEventsNewestFirst) {
  auto* event = stub_.audit_response.add_events();
  event->set_event_id("42");
  event->mutable_occurred_at()->set_seconds(1'700'000'000);
  event->set_actor("operator");
  event->set_role("OPERATOR");
  event->set_method("/coalition.v1.AdminService/RevokeApiKey");
  event->set_code(5);
  event->set_reason("API_KEY_NOT_FOUND");
  EXPECT_EQ(Commands().Audit(20), kExitOk);
  ASSERT_EQ(stub_.audit_requests.size(), 1u);
  EXPECT_EQ(stub_.audit_requests[0].page_size(), 20);
  const auto text = out_.str();
  EXPECT_NE(text.find("RevokeApiKey"), std::string::npos) << text;
  EXPECT_EQ(text.find("/coalition.v1.AdminService/"), std::string::npos) << text;
  EXPECT_NE(text.find("API_KEY_NOT_FOUND"), std::string::npos) << text;
  EXPECT_NE(text.find("2023-11-14T22:13:20Z"), std::string::npos) << text;

  out_.str("");
  stub_.audit_response.Clear();
  EXPECT_EQ(Commands().Audit(5), kExitOk);
  EXPECT_EQ(out_.str(), "no audit events\n");
}

// ---------------------------------------------------------------------------
// ProgrammeCommands (rules, campaigns, targeted bonuses, forecast) over the
// fake stub

class ProgrammeCommandsTest : public ::testing::Test {
 protected:
  ProgrammeCommands Commands(OutputFormat format = OutputFormat::kTable) {
    return ProgrammeCommands(stub_, sdk::ChannelOptions(), format, out_, err_);
  }

  FakeAdminStub stub_;
  std::ostringstream out_;
  std::ostringstream err_;
};

v1::BonusGrant SampleGrant() {
  v1::BonusGrant grant;
  grant.set_grant_id("4");
  grant.set_request_id("xmas-top10");
  grant.mutable_top_spenders()->set_percent(10);
  grant.mutable_top_spenders()->mutable_from()->set_seconds(1'700'000'000);
  grant.mutable_top_spenders()->mutable_to()->set_seconds(1'700'086'400);
  grant.set_points(500);
  grant.set_reason("thank you");
  grant.set_actor("operator");
  grant.set_member_count(3);
  grant.set_total_points(1'500);
  grant.set_granted_members(3);
  grant.set_complete(true);
  return grant;
}

TEST_F(ProgrammeCommandsTest, BonusGrantSendsTheSegmentAndPrintsTheGrant) {
  stub_.grant_response = SampleGrant();
  BonusGrantArgs args;
  args.request_id = "xmas-top10";
  args.top_percent = 10;
  args.from = "2023-11-14T22:13:20Z";
  args.to = "2023-11-15T22:13:20Z";
  args.points = 500;
  args.reason = "thank you";
  EXPECT_EQ(Commands().BonusGrant(args), kExitOk) << err_.str();
  ASSERT_EQ(stub_.grant_requests.size(), 1u);
  const auto& request = stub_.grant_requests[0];
  EXPECT_EQ(request.request_id(), "xmas-top10");
  EXPECT_EQ(request.top_spenders().percent(), 10);
  EXPECT_EQ(request.top_spenders().from().seconds(), 1'700'000'000);
  EXPECT_EQ(request.top_spenders().to().seconds(), 1'700'086'400);
  EXPECT_EQ(request.points(), 500);
  EXPECT_EQ(request.reason(), "thank you");
  const auto text = out_.str();
  EXPECT_NE(text.find("total_points:  1500"), std::string::npos) << text;
  EXPECT_NE(text.find("granted:       3 of 3"), std::string::npos) << text;
  EXPECT_NE(text.find("top 10% by spend, 2023-11-14T22:13:20Z to 2023-11-15T22:13:20Z"),
            std::string::npos)
      << text;
}

TEST_F(ProgrammeCommandsTest, BonusGrantLapsingAndUsageErrors) {
  stub_.grant_response = SampleGrant();
  BonusGrantArgs lapsing;
  lapsing.request_id = "winback-1";
  lapsing.lapsed_days = 90;
  lapsing.points = 200;
  lapsing.reason = "we miss you";
  EXPECT_EQ(Commands(OutputFormat::kJson).BonusGrant(lapsing), kExitOk);
  ASSERT_EQ(stub_.grant_requests.size(), 1u);
  EXPECT_EQ(stub_.grant_requests[0].lapsing().days(), 90);
  EXPECT_FALSE(stub_.grant_requests[0].has_top_spenders());
  EXPECT_EQ(json::parse(out_.str()).at("grant_id"), "4");

  BonusGrantArgs both = lapsing;
  both.top_percent = 5;
  EXPECT_EQ(Commands().BonusGrant(both), kExitUsage);
  BonusGrantArgs bad_time = lapsing;
  bad_time.lapsed_days = 0;
  bad_time.top_percent = 5;
  bad_time.from = "yesterday";
  EXPECT_EQ(Commands().BonusGrant(bad_time), kExitUsage);
  EXPECT_EQ(stub_.grant_requests.size(), 1u);  // nothing sent for usage errors
}

TEST_F(ProgrammeCommandsTest, BonusShowMapsNotFound) {
  stub_.status = RichStatus(grpc::StatusCode::NOT_FOUND, "no such bonus grant",
                            "GRANT_NOT_FOUND");
  EXPECT_EQ(Commands().BonusShow("77"), kExitNotFound);
  ASSERT_EQ(stub_.get_grant_requests.size(), 1u);
  EXPECT_EQ(stub_.get_grant_requests[0].grant_id(), "77");
  EXPECT_EQ(err_.str(), "error: NOT_FOUND (GRANT_NOT_FOUND): no such bonus grant\n");
}

TEST_F(ProgrammeCommandsTest, BreakageForecastPrintsCohortsAndRates) {
  auto* cohort = stub_.forecast_response.add_cohorts();
  cohort->mutable_month()->set_seconds(1'698'796'800);  // 2023-11-01
  cohort->set_age_months(2);
  cohort->set_issued_points(1'000);
  cohort->set_redeemed_points(250);
  stub_.forecast_response.set_redemption_rate_bps(6'000);
  stub_.forecast_response.set_breakage_rate_bps(4'000);
  stub_.forecast_response.set_issued_points(1'000);
  stub_.forecast_response.set_estimated_breakage_points(400);
  EXPECT_EQ(Commands().BreakageForecast(12), kExitOk);
  ASSERT_EQ(stub_.forecast_requests.size(), 1u);
  const auto& request = stub_.forecast_requests[0];
  EXPECT_EQ(request.as_of().seconds() - request.from().seconds(), 12 * 31 * 24 * 3600);
  const auto text = out_.str();
  EXPECT_NE(text.find("2023-11  2    1000    250       0"), std::string::npos) << text;
  EXPECT_NE(text.find("redemption_rate:            60%"), std::string::npos) << text;
  EXPECT_NE(text.find("estimated_breakage_points:  400"), std::string::npos) << text;
}

TEST_F(ProgrammeCommandsTest, RulesSetFromFlagsAndFromAFile) {
  RulesSetArgs args;
  args.partner = {PartnerRef::Kind::kCode, "fuelco"};
  args.base_points = 1;
  args.base_per_minor = 100;
  args.multipliers = {"fuel=20000", "sku:GIFT-1=5000"};
  args.exclude_categories = {"tobacco"};
  args.rounding = "half-even";
  args.max_points = 500;
  EXPECT_EQ(Commands().RulesSet(args), kExitOk) << err_.str();
  ASSERT_EQ(stub_.set_rules_requests.size(), 1u);
  const auto& sent = stub_.set_rules_requests[0];
  EXPECT_EQ(sent.partner_code(), "fuelco");
  EXPECT_EQ(sent.rules().base_points(), 1);
  EXPECT_EQ(sent.rules().base_per_amount_minor(), 100);
  ASSERT_EQ(sent.rules().multipliers_size(), 2);
  EXPECT_EQ(sent.rules().multipliers(0).category(), "fuel");
  EXPECT_EQ(sent.rules().multipliers(0).multiplier_bps(), 20'000);
  EXPECT_EQ(sent.rules().multipliers(1).sku(), "GIFT-1");
  EXPECT_EQ(sent.rules().excluded_categories(0), "tobacco");
  EXPECT_EQ(sent.rules().rounding(), v1::EARN_ROUNDING_HALF_EVEN);
  EXPECT_EQ(sent.rules().max_points_per_transaction(), 500);
  EXPECT_FALSE(sent.has_effective_from());

  const auto file = fs::temp_directory_path() / ("rules-" + std::to_string(getpid()) + ".json");
  std::ofstream(file) << R"({"base_points": 2, "base_per_amount_minor": 100,
                            "excluded_skus": ["CIG-20"], "min_spend_minor": 500})";
  RulesSetArgs from_file;
  from_file.partner = {PartnerRef::Kind::kId, "3"};
  from_file.file = file.string();
  from_file.effective_from = "2030-01-01T00:00:00Z";
  EXPECT_EQ(Commands().RulesSet(from_file), kExitOk) << err_.str();
  fs::remove(file);
  ASSERT_EQ(stub_.set_rules_requests.size(), 2u);
  const auto& loaded = stub_.set_rules_requests[1];
  EXPECT_EQ(loaded.partner_id(), "3");
  EXPECT_EQ(loaded.rules().base_points(), 2);
  EXPECT_EQ(loaded.rules().excluded_skus(0), "CIG-20");
  EXPECT_EQ(loaded.rules().min_spend_minor(), 500);
  EXPECT_TRUE(loaded.has_effective_from());

  RulesSetArgs bad = args;
  bad.multipliers = {"fuel"};
  EXPECT_EQ(Commands().RulesSet(bad), kExitUsage);
  RulesSetArgs no_base;
  no_base.partner = args.partner;
  EXPECT_EQ(Commands().RulesSet(no_base), kExitUsage);
  EXPECT_EQ(stub_.set_rules_requests.size(), 2u);
}

TEST_F(ProgrammeCommandsTest, CampaignCreateSendsEveryField) {
  CampaignCreateArgs args;
  args.name = "fuel weekend";
  args.partner_code = "fuelco";
  args.starts_at = "2030-01-04T00:00:00Z";
  args.ends_at = "2030-01-06T00:00:00Z";
  args.categories = {"fuel"};
  args.multiplier_bps = 10'000;
  args.budget_points = 100'000;
  args.member_cap_points = 500;
  EXPECT_EQ(Commands().CampaignCreate(args), kExitOk) << err_.str();
  ASSERT_EQ(stub_.create_campaign_requests.size(), 1u);
  const auto& sent = stub_.create_campaign_requests[0];
  EXPECT_EQ(sent.name(), "fuel weekend");
  EXPECT_EQ(sent.partner_code(), "fuelco");
  EXPECT_EQ(sent.categories(0), "fuel");
  EXPECT_EQ(sent.multiplier_bps(), 10'000);
  EXPECT_EQ(sent.budget_points(), 100'000);
  EXPECT_EQ(sent.member_cap_points(), 500);
  EXPECT_FALSE(sent.operator_funded());
  EXPECT_FALSE(sent.first_purchase_at_new_brand());
  EXPECT_EQ(out_.str(), "campaign_id:  9\n");

  CampaignCreateArgs welcome;
  welcome.name = "welcome";
  welcome.starts_at = args.starts_at;
  welcome.ends_at = args.ends_at;
  welcome.fixed_points = 300;
  welcome.operator_funded = true;
  welcome.first_at_new_brand = true;
  welcome.budget_points = 1'000'000;
  EXPECT_EQ(Commands().CampaignCreate(welcome), kExitOk);
  EXPECT_TRUE(stub_.create_campaign_requests[1].first_purchase_at_new_brand());
  EXPECT_TRUE(stub_.create_campaign_requests[1].operator_funded());

  welcome.ends_at = "next week";
  EXPECT_EQ(Commands().CampaignCreate(welcome), kExitUsage);
  EXPECT_EQ(stub_.create_campaign_requests.size(), 2u);
}

TEST_F(ProgrammeCommandsTest, RulesShowPrintsEveryVersion) {
  stub_.get_rules_response.set_partner_id("2");
  auto* version = stub_.get_rules_response.add_versions();
  version->mutable_effective_from()->set_seconds(1'700'000'000);
  auto* rules = version->mutable_rules();
  rules->set_base_points(1);
  rules->set_base_per_amount_minor(600);
  auto* premium = rules->add_multipliers();
  premium->set_category("premium");
  premium->set_multiplier_bps(15'000);
  rules->add_excluded_categories("tobacco");
  rules->set_max_points_per_transaction(1'000);
  rules->set_rounding(v1::EARN_ROUNDING_HALF_EVEN);
  EXPECT_EQ(Commands().RulesShow({PartnerRef::Kind::kCode, "fuelco"}), kExitOk) << err_.str();
  ASSERT_EQ(stub_.get_rules_requests.size(), 1u);
  EXPECT_EQ(stub_.get_rules_requests[0].partner_code(), "fuelco");
  const auto lines = Lines(out_.str());
  ASSERT_EQ(lines.size(), 2u) << out_.str();
  EXPECT_EQ(lines[0].rfind("EFFECTIVE FROM", 0), 0u) << lines[0];
  for (const char* part : {"2023-11-14T22:13:20Z", "1 pt per 600", "premium=150%", "tobacco",
                           "1000", "half-even"}) {
    EXPECT_NE(lines[1].find(part), std::string::npos) << part << " in " << lines[1];
  }

  out_.str("");
  stub_.get_rules_response.clear_versions();
  EXPECT_EQ(Commands().RulesShow({PartnerRef::Kind::kId, "2"}), kExitOk);
  EXPECT_EQ(stub_.get_rules_requests[1].partner_id(), "2");
  EXPECT_EQ(out_.str(), "no earn rules: partner 2 earns at its plain rate\n");
}

TEST_F(ProgrammeCommandsTest, CampaignListShowsKindFunderAndBudget) {
  auto* weekend = stub_.list_campaigns_response.add_campaigns();
  weekend->set_campaign_id("1");
  weekend->set_name("fuel weekend");
  weekend->set_partner_code("fuelco");
  weekend->set_multiplier_bps(10'000);
  weekend->set_budget_points(100'000);
  weekend->set_awarded_points(2'500);
  auto* welcome = stub_.list_campaigns_response.add_campaigns();
  welcome->set_campaign_id("2");
  welcome->set_name("welcome");
  welcome->set_fixed_points(300);
  welcome->set_operator_funded(true);
  welcome->set_first_purchase_at_new_brand(true);
  welcome->set_budget_points(1'000'000);
  welcome->set_member_cap_points(300);
  EXPECT_EQ(Commands().CampaignList("fuelco"), kExitOk) << err_.str();
  ASSERT_EQ(stub_.list_campaigns_requests.size(), 1u);
  EXPECT_EQ(stub_.list_campaigns_requests[0].partner_code(), "fuelco");
  const auto lines = Lines(out_.str());
  ASSERT_EQ(lines.size(), 3u) << out_.str();
  for (const char* part : {"fuel weekend", "fuelco", "purchase", "+100%", "partner",
                           "2500/100000", "none"}) {
    EXPECT_NE(lines[1].find(part), std::string::npos) << part << " in " << lines[1];
  }
  for (const char* part : {"welcome", "(all)", "first-at-brand", "+300 pt", "operator",
                           "0/1000000", "300"}) {
    EXPECT_NE(lines[2].find(part), std::string::npos) << part << " in " << lines[2];
  }
}

TEST_F(SecurityCommandsTest, CertAddSendsTheMatchAndIdentity) {
  CertAddArgs args;
  args.partner = ParsePartnerRef("fuelco");
  args.fingerprint = "AB:CD";
  EXPECT_EQ(Commands().CertAdd(args), kExitOk);
  args.fingerprint.clear();
  args.san = "till.fuelco.example";
  EXPECT_EQ(Commands().CertAdd(args), kExitOk);
  ASSERT_EQ(stub_.register_certificate_requests.size(), 2u);
  EXPECT_EQ(stub_.register_certificate_requests[0].partner_code(), "fuelco");
  EXPECT_EQ(stub_.register_certificate_requests[0].match(),
            v1::CERTIFICATE_MATCH_SHA256_FINGERPRINT);
  EXPECT_EQ(stub_.register_certificate_requests[0].identity(), "AB:CD");
  EXPECT_EQ(stub_.register_certificate_requests[1].match(),
            v1::CERTIFICATE_MATCH_SUBJECT_ALT_NAME);
  EXPECT_EQ(stub_.register_certificate_requests[1].identity(), "till.fuelco.example");
  EXPECT_NE(out_.str().find("till.fuelco.example"), std::string::npos) << out_.str();
  EXPECT_NE(out_.str().find("san"), std::string::npos) << out_.str();
}

TEST_F(SecurityCommandsTest, CertRevokeAndListReachTheServer) {
  EXPECT_EQ(Commands().CertRevoke("31"), kExitOk);
  ASSERT_EQ(stub_.revoke_certificate_requests.size(), 1u);
  EXPECT_EQ(stub_.revoke_certificate_requests[0].certificate_id(), "31");

  auto* listed = stub_.certificates_response.add_certificates();
  listed->set_certificate_id("31");
  listed->set_partner_id("7");
  listed->set_match(v1::CERTIFICATE_MATCH_SHA256_FINGERPRINT);
  listed->set_identity(std::string(64, 'a'));
  out_.str("");
  EXPECT_EQ(Commands().CertList(ParsePartnerRef("fuelco")), kExitOk);
  ASSERT_EQ(stub_.list_certificate_requests.size(), 1u);
  EXPECT_EQ(stub_.list_certificate_requests[0].partner_code(), "fuelco");
  EXPECT_NE(out_.str().find(std::string(64, 'a')), std::string::npos) << out_.str();
  EXPECT_NE(out_.str().find("sha256-fingerprint"), std::string::npos) << out_.str();

  stub_.status = grpc::Status(grpc::StatusCode::NOT_FOUND, "no such certificate");
  EXPECT_NE(Commands().CertRevoke("99"), kExitOk);
  EXPECT_NE(err_.str().find("NOT_FOUND"), std::string::npos) << err_.str();
}

TEST_F(SecurityCommandsTest, AuditShowsIntentsAndTheirOutcomes) {
  auto* outcome = stub_.audit_response.add_events();
  outcome->set_event_id("43");
  outcome->set_method("/coalition.v1.AdminService/CreatePartner");
  outcome->set_phase("OUTCOME");
  outcome->set_intent_event_id("42");
  auto* intent = stub_.audit_response.add_events();
  intent->set_event_id("42");
  intent->set_method("/coalition.v1.AdminService/CreatePartner");
  intent->set_phase("INTENT");
  EXPECT_EQ(Commands().Audit(20), kExitOk);
  EXPECT_NE(out_.str().find("OK (of 42)"), std::string::npos) << out_.str();
  EXPECT_NE(out_.str().find("INTENT"), std::string::npos) << out_.str();
}

}  // namespace
}  // namespace coalition::cli::test

namespace coalition::cli::test {
namespace {

TEST(ParseTierSpecTest, NameThresholdMultiplier) {
  const auto gold = ParseTierSpec("Gold:5000:15000");
  ASSERT_TRUE(gold.has_value());
  EXPECT_EQ(gold->name(), "Gold");
  EXPECT_EQ(gold->threshold_points(), 5000);
  EXPECT_EQ(gold->earn_multiplier_bps(), 15000);
  // The name may hold colons; the last two fields are the numbers.
  const auto odd = ParseTierSpec("A:B:0:10000");
  ASSERT_TRUE(odd.has_value());
  EXPECT_EQ(odd->name(), "A:B");
  for (const char* bad : {"", "Gold", "Gold:5000", ":5000:15000", "Gold::15000", "Gold:5000:",
                          "Gold:5k:15000", "Gold:5000:1.5", "Gold:5000:15000 "}) {
    EXPECT_FALSE(ParseTierSpec(bad).has_value()) << bad;
  }
}

class TierCommandsTest : public ::testing::Test {
 protected:
  AdminCommands Commands(OutputFormat format = OutputFormat::kTable) {
    sdk::ChannelOptions channel;
    channel.api_key = "operator-key-0123456789";
    return AdminCommands(stub_, channel, format, out_, err_);
  }
  static v1::TierTable SampleTable() {
    v1::TierTable table;
    table.mutable_effective_from()->set_seconds(1'796'083'200);  // 2026-12-01T00:00:00Z
    table.set_grace_days(30);
    for (const auto& [name, threshold, bps] :
         {std::tuple{"Member", 0, 10'000}, std::tuple{"Gold", 5'000, 15'000}}) {
      auto* tier = table.add_tiers();
      tier->set_name(name);
      tier->set_threshold_points(threshold);
      tier->set_earn_multiplier_bps(bps);
    }
    return table;
  }

  FakeAdminStub stub_;
  std::ostringstream out_;
  std::ostringstream err_;
};

TEST_F(TierCommandsTest, SetSendsTheTableAndPrintsWhatWasStored) {
  *stub_.set_tiers_response.mutable_table() = SampleTable();
  TiersSetArgs args;
  args.tiers = {"Member:0:10000", "Gold:5000:15000"};
  args.grace_days = 30;
  args.effective_from = "2026-12-01T00:00:00Z";
  EXPECT_EQ(Commands().TiersSet(args), kExitOk);
  ASSERT_EQ(stub_.set_tiers_requests.size(), 1u);
  const v1::SetTiersRequest& request = stub_.set_tiers_requests[0];
  ASSERT_EQ(request.tiers_size(), 2);
  EXPECT_EQ(request.tiers(1).name(), "Gold");
  EXPECT_EQ(request.tiers(1).threshold_points(), 5000);
  EXPECT_EQ(request.tiers(1).earn_multiplier_bps(), 15000);
  EXPECT_EQ(request.grace_days(), 30);
  EXPECT_EQ(request.effective_from().seconds(), 1'796'083'200);
  const std::vector<std::string> lines = Lines(out_.str());
  ASSERT_EQ(lines.size(), 3u) << out_.str();
  EXPECT_NE(lines[2].find("Gold"), std::string::npos);
  EXPECT_NE(lines[2].find("150%"), std::string::npos);
  EXPECT_EQ(err_.str(), "");
}

TEST_F(TierCommandsTest, SetWithoutEffectiveFromMeansNow) {
  TiersSetArgs args;
  args.tiers = {"Member:0:10000"};
  EXPECT_EQ(Commands().TiersSet(args), kExitOk);
  ASSERT_EQ(stub_.set_tiers_requests.size(), 1u);
  EXPECT_FALSE(stub_.set_tiers_requests[0].has_effective_from());
}

TEST_F(TierCommandsTest, SetBadArgumentsAreUsageErrorsAndSendNothing) {
  TiersSetArgs bad_tier;
  bad_tier.tiers = {"Member:0:10000", "Gold:5000"};
  EXPECT_EQ(Commands().TiersSet(bad_tier), kExitUsage);
  EXPECT_NE(err_.str().find("--tier"), std::string::npos);
  TiersSetArgs bad_time;
  bad_time.tiers = {"Member:0:10000"};
  bad_time.effective_from = "tomorrow";
  EXPECT_EQ(Commands().TiersSet(bad_time), kExitUsage);
  EXPECT_NE(err_.str().find("--effective-from"), std::string::npos);
  EXPECT_TRUE(stub_.set_tiers_requests.empty());
  EXPECT_EQ(out_.str(), "");
}

TEST_F(TierCommandsTest, SetRejectedByServerMapsTheExitCode) {
  stub_.status = RichStatus(grpc::StatusCode::INVALID_ARGUMENT,
                            "tiers[0].threshold_points: the first tier starts at 0",
                            "INVALID_ARGUMENT", "tiers[0].threshold_points");
  TiersSetArgs args;
  args.tiers = {"Silver:100:12000"};
  EXPECT_EQ(Commands().TiersSet(args), kExitUsage);
  EXPECT_EQ(out_.str(), "");
  EXPECT_NE(err_.str().find("[field=tiers[0].threshold_points]"), std::string::npos);
}

TEST_F(TierCommandsTest, ShowPrintsCurrentAndScheduled) {
  *stub_.get_tiers_response.mutable_current() = SampleTable();
  *stub_.get_tiers_response.add_scheduled() = SampleTable();
  EXPECT_EQ(Commands().TiersShow(), kExitOk);
  const std::vector<std::string> lines = Lines(out_.str());
  ASSERT_EQ(lines.size(), 5u) << out_.str();
  EXPECT_EQ(lines[1].rfind("current", 0), 0u);
  EXPECT_EQ(lines[3].rfind("scheduled", 0), 0u);
}

TEST_F(TierCommandsTest, ShowWithoutTable) {
  EXPECT_EQ(Commands().TiersShow(), kExitOk);
  EXPECT_EQ(out_.str(), "no tier table\n");
}

TEST_F(TierCommandsTest, ShowJson) {
  *stub_.get_tiers_response.mutable_current() = SampleTable();
  EXPECT_EQ(Commands(OutputFormat::kJson).TiersShow(), kExitOk);
  const auto doc = nlohmann::json::parse(out_.str());
  EXPECT_EQ(doc.at("current").at("tiers").at(1).at("name"), "Gold");
  EXPECT_EQ(doc.at("current").at("grace_days"), 30);
}

TEST_F(TierCommandsTest, ReviewSendsBatchSizeAndPrintsCounts) {
  stub_.tier_review_response.set_members(3);
  stub_.tier_review_response.set_upgraded(1);
  stub_.tier_review_response.set_downgraded(2);
  EXPECT_EQ(Commands().TiersReview(100), kExitOk);
  ASSERT_EQ(stub_.tier_review_requests.size(), 1u);
  EXPECT_EQ(stub_.tier_review_requests[0].batch_size(), 100);
  const std::vector<std::string> lines = Lines(out_.str());
  ASSERT_EQ(lines.size(), 3u) << out_.str();
  EXPECT_NE(lines[2].find("2"), std::string::npos);
  EXPECT_EQ(lines[2].rfind("downgraded:", 0), 0u);
}

}  // namespace
}  // namespace coalition::cli::test
