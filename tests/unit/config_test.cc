// Unit tests of server/app/config: file + COALITION_* environment, validation.

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>

#include "app/config.h"

namespace coalition::app::test {
namespace {

namespace fs = std::filesystem;

using Environment = std::map<std::string, std::string>;

constexpr char kGoodKey[] = "0123456789abcdef";  // exactly 16 characters
// 32 bytes in base64.
constexpr char kPiiKey[] = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

Environment PiiEnvironment() {
  return {{"COALITION_PII_KEYS", "k1:" + std::string(kPiiKey)},
          {"COALITION_PII_INDEX_KEY", kPiiKey},
          {"COALITION_ALLOW_INSECURE", "1"}};
}

Environment MinimalEnvironment() {
  return {{"COALITION_DATABASE_URL", "postgresql:///coalition"},
          {"COALITION_OPERATOR_KEY", kGoodKey},
          {"COALITION_PII_KEYS", "k1:" + std::string(kPiiKey)},
          {"COALITION_PII_INDEX_KEY", kPiiKey},
          {"COALITION_ALLOW_INSECURE", "1"}};
}

// Expects LoadConfig to throw std::runtime_error whose message contains `needle`.
void ExpectRejected(const std::optional<std::string>& file, const Environment& environment,
                    const std::string& needle) {
  try {
    static_cast<void>(LoadConfig(file, environment));
    ADD_FAILURE() << "expected an error mentioning '" << needle << "'";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos)
        << "message '" << e.what() << "' does not mention '" << needle << "'";
  }
}

class ConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() / ("coalition_config_test_" + std::to_string(::getpid()) +
                                        "_" + info->name());
    fs::create_directories(dir_);
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  std::string WriteFile(const std::string& name, const std::string& contents) {
    const fs::path path = dir_ / name;
    std::ofstream out(path);
    out << contents;
    return path.string();
  }

  fs::path dir_;
};

TEST_F(ConfigTest, DefaultsWithOnlyRequiredSettings) {
  const Config config = LoadConfig(std::nullopt, MinimalEnvironment());
  EXPECT_EQ(config.database_url, "postgresql:///coalition");
  EXPECT_EQ(config.operator_key, kGoodKey);
  EXPECT_EQ(config.listen, "127.0.0.1:50051");
  EXPECT_EQ(config.currency, "USD");
  EXPECT_EQ(config.db_pool_size, 16);
  EXPECT_EQ(config.shutdown_grace_seconds, 10);
  EXPECT_EQ(config.page_token_secret, "");
  EXPECT_EQ(config.log_level, "info");
  EXPECT_FALSE(config.dev_mode);
}

TEST_F(ConfigTest, EveryEnvironmentVariable) {
  Environment env = MinimalEnvironment();
  env["COALITION_LISTEN"] = "0.0.0.0:6000";
  env["COALITION_CURRENCY"] = "EUR";
  env["COALITION_DB_POOL_SIZE"] = "32";
  env["COALITION_SHUTDOWN_GRACE_SECONDS"] = "0";
  env["COALITION_PAGE_TOKEN_SECRET"] = "shared-secret";
  env["COALITION_LOG_LEVEL"] = "debug";
  const Config config = LoadConfig(std::nullopt, env);
  EXPECT_EQ(config.listen, "0.0.0.0:6000");
  EXPECT_EQ(config.currency, "EUR");
  EXPECT_EQ(config.db_pool_size, 32);
  EXPECT_EQ(config.shutdown_grace_seconds, 0);
  EXPECT_EQ(config.page_token_secret, "shared-secret");
  EXPECT_EQ(config.log_level, "debug");
}

TEST_F(ConfigTest, FileProvidesSettings) {
  const std::string file = WriteFile("server.json", R"({
    "database_url": "postgresql://db/file",
    "operator_key": "file-operator-key-0001",
    "listen": "127.0.0.1:7000",
    "currency": "GBP",
    "db_pool_size": 8,
    "shutdown_grace_seconds": "30",
    "page_token_secret": "from-file",
    "log_level": "warn",
    "dev_mode": true
  })");
  const Config config = LoadConfig(file, {});
  EXPECT_EQ(config.database_url, "postgresql://db/file");
  EXPECT_EQ(config.operator_key, "file-operator-key-0001");
  EXPECT_EQ(config.listen, "127.0.0.1:7000");
  EXPECT_EQ(config.currency, "GBP");
  EXPECT_EQ(config.db_pool_size, 8);
  EXPECT_EQ(config.shutdown_grace_seconds, 30);
  EXPECT_EQ(config.page_token_secret, "from-file");
  EXPECT_EQ(config.log_level, "warn");
  EXPECT_TRUE(config.dev_mode);
}

TEST_F(ConfigTest, EnvironmentOverridesFile) {
  const std::string file = WriteFile("server.json", R"({
    "database_url": "postgresql://db/file",
    "operator_key": "file-operator-key-0001",
    "currency": "GBP",
    "db_pool_size": 8,
    "log_level": "warn"
  })");
  Environment env = PiiEnvironment();
  env["COALITION_DATABASE_URL"] = "postgresql://db/env";
  env["COALITION_DB_POOL_SIZE"] = "4";
  const Config config = LoadConfig(file, env);
  EXPECT_EQ(config.database_url, "postgresql://db/env");  // env wins
  EXPECT_EQ(config.db_pool_size, 4);                      // env wins
  EXPECT_EQ(config.operator_key, "file-operator-key-0001");  // file only
  EXPECT_EQ(config.currency, "GBP");                          // file only
  EXPECT_EQ(config.log_level, "warn");                        // file only
  EXPECT_EQ(config.listen, "127.0.0.1:50051");                // default
}

TEST_F(ConfigTest, EnvironmentCanSupplyWhatFileLacks) {
  const std::string file = WriteFile("server.json", R"({"database_url": "postgresql://f"})");
  Environment env = PiiEnvironment();
  env["COALITION_OPERATOR_KEY"] = kGoodKey;
  const Config config = LoadConfig(file, env);
  EXPECT_EQ(config.database_url, "postgresql://f");
  EXPECT_EQ(config.operator_key, kGoodKey);
}

TEST_F(ConfigTest, PiiKeysRequiredOutsideDevMode) {
  Environment env = MinimalEnvironment();
  env.erase("COALITION_PII_KEYS");
  ExpectRejected(std::nullopt, env, "COALITION_PII_KEYS");
  env = MinimalEnvironment();
  env.erase("COALITION_PII_INDEX_KEY");
  ExpectRejected(std::nullopt, env, "COALITION_PII_INDEX_KEY");
  // Dev mode generates throwaway keys.
  env.erase("COALITION_PII_KEYS");
  env["COALITION_DEV_MODE"] = "1";
  const Config dev = LoadConfig(std::nullopt, env);
  ASSERT_EQ(dev.pii_keys.size(), 1u);
  EXPECT_EQ(dev.pii_keys.begin()->second.size(), 32u);
  EXPECT_EQ(dev.pii_active_key_id, dev.pii_keys.begin()->first);
  EXPECT_EQ(dev.pii_index_key.size(), 32u);
}

TEST_F(ConfigTest, PiiKeyRing) {
  const std::string other = "ZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmY=";  // 32 x 'f'
  Environment env = MinimalEnvironment();
  env["COALITION_PII_KEYS"] = "old:" + std::string(kPiiKey) + ",new:" + other;
  env["COALITION_PII_ACTIVE_KEY_ID"] = "new";
  const Config config = LoadConfig(std::nullopt, env);
  ASSERT_EQ(config.pii_keys.size(), 2u);
  EXPECT_EQ(config.pii_keys.at("new"), std::string(32, 'f'));
  EXPECT_EQ(config.pii_active_key_id, "new");
  // With several keys the active one must be named, and must be listed.
  env.erase("COALITION_PII_ACTIVE_KEY_ID");
  ExpectRejected(std::nullopt, env, "active PII key");
  env["COALITION_PII_ACTIVE_KEY_ID"] = "newer";
  ExpectRejected(std::nullopt, env, "active PII key");
  env = MinimalEnvironment();
  env["COALITION_PII_KEYS"] = "k1:c2hvcnQ=";  // "short"
  ExpectRejected(std::nullopt, env, "32 bytes");
  env["COALITION_PII_KEYS"] = "k1:not base64!";
  ExpectRejected(std::nullopt, env, "base64");
  env["COALITION_PII_KEYS"] = "no-colon";
  ExpectRejected(std::nullopt, env, "id:base64");
  env["COALITION_PII_KEYS"] = "k1:" + std::string(kPiiKey) + ",k1:" + other;
  ExpectRejected(std::nullopt, env, "twice");
  env = MinimalEnvironment();
  env["COALITION_PII_INDEX_KEY"] = "c2hvcnQ=";
  ExpectRejected(std::nullopt, env, "index key");
}

TEST_F(ConfigTest, PiiKeysAsAJsonListInTheFile) {
  const std::string file = WriteFile("server.json", std::string(R"({
    "pii_keys": [{"id": "2025-01", "key": ")") + kPiiKey + R"("}],
    "pii_index_key": ")" + kPiiKey + R"("
  })");
  Environment env = MinimalEnvironment();
  env.erase("COALITION_PII_KEYS");
  env.erase("COALITION_PII_INDEX_KEY");
  const Config config = LoadConfig(file, env);
  ASSERT_EQ(config.pii_keys.count("2025-01"), 1u);
  EXPECT_EQ(config.pii_active_key_id, "2025-01");
  const std::string bad = WriteFile("bad.json", R"({"pii_keys": [{"id": "x"}]})");
  ExpectRejected(bad, env, "pii_keys");
}

TEST_F(ConfigTest, TlsRequiredOutsideDevMode) {
  Environment env = MinimalEnvironment();
  env.erase("COALITION_ALLOW_INSECURE");
  ExpectRejected(std::nullopt, env, "TLS is required");
  env["COALITION_TLS_CERT_FILE"] = "/etc/coalition/server.pem";
  ExpectRejected(std::nullopt, env, "go together");
  env["COALITION_TLS_KEY_FILE"] = "/etc/coalition/server.key";
  const Config tls = LoadConfig(std::nullopt, env);
  EXPECT_EQ(tls.tls_cert_file, "/etc/coalition/server.pem");
  EXPECT_EQ(tls.tls_key_file, "/etc/coalition/server.key");
  env["COALITION_TLS_CLIENT_CA_FILE"] = "/etc/coalition/partners-ca.pem";
  EXPECT_EQ(LoadConfig(std::nullopt, env).tls_client_ca_file, "/etc/coalition/partners-ca.pem");
  env.erase("COALITION_TLS_CERT_FILE");
  env.erase("COALITION_TLS_KEY_FILE");
  env["COALITION_ALLOW_INSECURE"] = "1";
  ExpectRejected(std::nullopt, env, "needs server TLS");
  // Dev mode stays plaintext.
  env = MinimalEnvironment();
  env.erase("COALITION_ALLOW_INSECURE");
  env["COALITION_DEV_MODE"] = "1";
  EXPECT_TRUE(LoadConfig(std::nullopt, env).tls_cert_file.empty());
}

TEST_F(ConfigTest, StaffKeysAndLimits) {
  Environment env = MinimalEnvironment();
  env["COALITION_FINANCE_KEY"] = "finance-key-0123456789";
  env["COALITION_AUDITOR_KEY"] = "auditor-key-0123456789";
  env["COALITION_RATE_LIMIT_PER_SECOND"] = "5";
  env["COALITION_RATE_LIMIT_BURST"] = "10";
  env["COALITION_MAX_MESSAGE_BYTES"] = "65536";
  env["COALITION_DB_STATEMENT_TIMEOUT_MS"] = "250";
  const Config config = LoadConfig(std::nullopt, env);
  EXPECT_EQ(config.finance_key, "finance-key-0123456789");
  EXPECT_EQ(config.auditor_key, "auditor-key-0123456789");
  EXPECT_EQ(config.rate_limit_per_second, 5);
  EXPECT_EQ(config.rate_limit_burst, 10);
  EXPECT_EQ(config.max_message_bytes, 65536);
  EXPECT_EQ(config.db_statement_timeout_ms, 250);
  const Config defaults = LoadConfig(std::nullopt, MinimalEnvironment());
  EXPECT_EQ(defaults.verify_statement_timeout_ms, 600'000);
  Environment verify_env = MinimalEnvironment();
  verify_env["COALITION_VERIFY_STATEMENT_TIMEOUT_MS"] = "0";  // no limit
  EXPECT_EQ(LoadConfig(std::nullopt, verify_env).verify_statement_timeout_ms, 0);
  verify_env["COALITION_VERIFY_STATEMENT_TIMEOUT_MS"] = "-1";
  EXPECT_THROW(LoadConfig(std::nullopt, verify_env), std::runtime_error);
  EXPECT_EQ(defaults.finance_key, "");
  EXPECT_EQ(defaults.rate_limit_per_second, 1000);
  EXPECT_EQ(defaults.rate_limit_burst, 2000);
  env["COALITION_FINANCE_KEY"] = "short";
  ExpectRejected(std::nullopt, env, "COALITION_FINANCE_KEY");
  env["COALITION_FINANCE_KEY"] = kGoodKey;  // the operator's
  ExpectRejected(std::nullopt, env, "must all differ");
  env = MinimalEnvironment();
  env["COALITION_RATE_LIMIT_PER_SECOND"] = "0";
  ExpectRejected(std::nullopt, env, "rate_limit_per_second");
}

TEST_F(ConfigTest, DatabaseUrlRequired) {
  Environment env = MinimalEnvironment();
  env.erase("COALITION_DATABASE_URL");
  ExpectRejected(std::nullopt, env, "COALITION_DATABASE_URL");
  env["COALITION_DATABASE_URL"] = "";
  ExpectRejected(std::nullopt, env, "COALITION_DATABASE_URL");
}

TEST_F(ConfigTest, OperatorKeyRequiredAndAtLeast16Characters) {
  Environment env = MinimalEnvironment();
  env.erase("COALITION_OPERATOR_KEY");
  ExpectRejected(std::nullopt, env, "COALITION_OPERATOR_KEY");
  env["COALITION_OPERATOR_KEY"] = "";
  ExpectRejected(std::nullopt, env, "COALITION_OPERATOR_KEY");
  env["COALITION_OPERATOR_KEY"] = "0123456789abcde";  // 15
  ExpectRejected(std::nullopt, env, "COALITION_OPERATOR_KEY");
  env["COALITION_OPERATOR_KEY"] = "0123456789abcdef";  // 16
  EXPECT_EQ(LoadConfig(std::nullopt, env).operator_key, "0123456789abcdef");
}

TEST_F(ConfigTest, FinanceKeyIsOptionalLongAndNotTheOperatorKey) {
  EXPECT_EQ(LoadConfig(std::nullopt, MinimalEnvironment()).finance_key, "");
  auto env = MinimalEnvironment();
  env["COALITION_FINANCE_KEY"] = "finance-key-0123456";
  EXPECT_EQ(LoadConfig(std::nullopt, env).finance_key, "finance-key-0123456");
  env["COALITION_FINANCE_KEY"] = "short";
  ExpectRejected(std::nullopt, env, "COALITION_FINANCE_KEY");
  env["COALITION_FINANCE_KEY"] = kGoodKey;
  ExpectRejected(std::nullopt, env, "must all differ");
}

TEST_F(ConfigTest, CurrencyMustBeThreeUpperCaseLetters) {
  for (const char* bad : {"usd", "US", "USDX", "U5D", "", "Usd", " USD"}) {
    SCOPED_TRACE(bad);
    Environment env = MinimalEnvironment();
    env["COALITION_CURRENCY"] = bad;
    ExpectRejected(std::nullopt, env, "COALITION_CURRENCY");
  }
  Environment env = MinimalEnvironment();
  env["COALITION_CURRENCY"] = "JPY";
  EXPECT_EQ(LoadConfig(std::nullopt, env).currency, "JPY");
}

TEST_F(ConfigTest, PoolSizeMustBeAnIntegerInRange) {
  for (const char* bad : {"0", "-1", "513", "abc", "", "8x", "1.5", "99999999999"}) {
    SCOPED_TRACE(bad);
    Environment env = MinimalEnvironment();
    env["COALITION_DB_POOL_SIZE"] = bad;
    ExpectRejected(std::nullopt, env, "db_pool_size");
  }
  for (const auto& [text, value] : {std::pair{"1", 1}, std::pair{"512", 512}}) {
    Environment env = MinimalEnvironment();
    env["COALITION_DB_POOL_SIZE"] = text;
    EXPECT_EQ(LoadConfig(std::nullopt, env).db_pool_size, value);
  }
}

TEST_F(ConfigTest, ShutdownGraceRange) {
  for (const char* bad : {"-1", "3601", "soon"}) {
    SCOPED_TRACE(bad);
    Environment env = MinimalEnvironment();
    env["COALITION_SHUTDOWN_GRACE_SECONDS"] = bad;
    ExpectRejected(std::nullopt, env, "shutdown_grace_seconds");
  }
  Environment env = MinimalEnvironment();
  env["COALITION_SHUTDOWN_GRACE_SECONDS"] = "3600";
  EXPECT_EQ(LoadConfig(std::nullopt, env).shutdown_grace_seconds, 3600);
}

TEST_F(ConfigTest, TierJobPeriod) {
  EXPECT_EQ(LoadConfig(std::nullopt, MinimalEnvironment()).tier_job_seconds, 3600);
  Environment env = MinimalEnvironment();
  env["COALITION_TIER_JOB_SECONDS"] = "86400";
  EXPECT_EQ(LoadConfig(std::nullopt, env).tier_job_seconds, 86400);
  for (const char* bad : {"0", "604801", "daily"}) {
    SCOPED_TRACE(bad);
    env["COALITION_TIER_JOB_SECONDS"] = bad;
    ExpectRejected(std::nullopt, env, "tier_job_seconds");
  }
}

TEST_F(ConfigTest, ListenMustBeHostPort) {
  Environment env = MinimalEnvironment();
  env["COALITION_LISTEN"] = "localhost";
  ExpectRejected(std::nullopt, env, "COALITION_LISTEN");
  env["COALITION_LISTEN"] = "[::1]:50051";
  EXPECT_EQ(LoadConfig(std::nullopt, env).listen, "[::1]:50051");
}

TEST_F(ConfigTest, DevModeBooleanInFile) {
  for (const auto& [json, expected] :
       {std::pair{R"("1")", true}, std::pair{R"("true")", true}, std::pair{"true", true},
        std::pair{R"("0")", false}, std::pair{R"("false")", false}, std::pair{"false", false},
        std::pair{R"("")", false}}) {
    SCOPED_TRACE(json);
    const std::string file =
        WriteFile("dev.json", std::string(R"({"dev_mode": )") + json + "}");
    EXPECT_EQ(LoadConfig(file, MinimalEnvironment()).dev_mode, expected);
  }
  const std::string bad = WriteFile("bad.json", R"({"dev_mode": "yes"})");
  ExpectRejected(bad, MinimalEnvironment(), "dev_mode");
}

TEST_F(ConfigTest, DevModeFromEnvironment) {
  Environment env = MinimalEnvironment();
  env["COALITION_DEV_MODE"] = "1";
  EXPECT_TRUE(LoadConfig(std::nullopt, env).dev_mode);
}

TEST_F(ConfigTest, UnknownKeyInFileRejected) {
  const std::string file = WriteFile("typo.json", R"({"databse_url": "postgresql://x"})");
  ExpectRejected(file, MinimalEnvironment(), "databse_url");
  // Keys are the lower-case setting names, not the variable names.
  const std::string upper = WriteFile("upper.json", R"({"DATABASE_URL": "postgresql://x"})");
  ExpectRejected(upper, MinimalEnvironment(), "DATABASE_URL");
}

TEST_F(ConfigTest, UnknownEnvironmentSettingRejected) {
  Environment env = MinimalEnvironment();
  env["COALITION_DATABSE_URL"] = "typo";
  ExpectRejected(std::nullopt, env, "databse_url");
}

TEST_F(ConfigTest, BadFilesRejected) {
  ExpectRejected((dir_ / "missing.json").string(), MinimalEnvironment(), "missing.json");
  ExpectRejected(WriteFile("array.json", "[1, 2]"), MinimalEnvironment(), "array.json");
  ExpectRejected(WriteFile("broken.json", "{\"listen\": "), MinimalEnvironment(),
                 "broken.json");
  ExpectRejected(WriteFile("empty.json", ""), MinimalEnvironment(), "empty.json");
  ExpectRejected(WriteFile("pool.json", R"({"db_pool_size": 0})"), MinimalEnvironment(),
                 "db_pool_size");
}

TEST_F(ConfigTest, OtherToolsVariablesIgnored) {
  Environment env = MinimalEnvironment();
  env["COALITION_ENDPOINT"] = "example.com:443";
  env["COALITION_CONFIG"] = "/nonexistent/coalitionctl.json";
  env["COALITION_API_KEY"] = "partner-key";
  env["COALITION_DEV_PG_PORT"] = "54329";
  env["COALITION_DEV_PORT"] = "50051";
  env["COALITION_PG_BINDIR"] = "/usr/lib/postgresql/15/bin";
  env["COALITION_TEST_KEEP_PGDATA"] = "1";
  const Config config = LoadConfig(std::nullopt, env);
  EXPECT_EQ(config.listen, "127.0.0.1:50051");
  EXPECT_EQ(config.database_url, "postgresql:///coalition");
}

TEST_F(ConfigTest, MisspelledVariableStopsTheServer) {
  Environment env = MinimalEnvironment();
  env["COALITION_DB_POOLSIZE"] = "8";
  EXPECT_THROW(LoadConfig(std::nullopt, env), std::runtime_error);
}

TEST_F(ConfigTest, NonCoalitionVariablesIgnored) {
  Environment env = MinimalEnvironment();
  env["PATH"] = "/usr/bin";
  env["DATABASE_URL"] = "postgresql://elsewhere";
  env["XCOALITION_LISTEN"] = "nohostport";
  EXPECT_EQ(LoadConfig(std::nullopt, env).database_url, "postgresql:///coalition");
}

TEST_F(ConfigTest, CoalitionEnvironmentReadsOnlyPrefixedVariables) {
  ASSERT_EQ(::setenv("COALITION_UNIT_TEST_PROBE", "a=b", 1), 0);
  ASSERT_EQ(::setenv("NOT_COALITION_UNIT_TEST_PROBE", "x", 1), 0);
  const auto variables = CoalitionEnvironment();
  ::unsetenv("COALITION_UNIT_TEST_PROBE");
  ::unsetenv("NOT_COALITION_UNIT_TEST_PROBE");
  ASSERT_EQ(variables.count("COALITION_UNIT_TEST_PROBE"), 1u);
  EXPECT_EQ(variables.at("COALITION_UNIT_TEST_PROBE"), "a=b");  // split at the first '='
  EXPECT_EQ(variables.count("NOT_COALITION_UNIT_TEST_PROBE"), 0u);
  for (const auto& [name, value] : variables) {
    EXPECT_EQ(name.rfind("COALITION_", 0), 0u) << name;
  }
}

TEST(MetricsAndKeyCacheConfigTest, DefaultsOverridesAndBadValues) {
  const auto defaults = LoadConfig(std::nullopt, MinimalEnvironment());
  EXPECT_EQ(defaults.metrics_listen, "127.0.0.1:9464");
  EXPECT_EQ(defaults.key_cache_seconds, 2);

  auto environment = MinimalEnvironment();
  environment["COALITION_METRICS_LISTEN"] = "";
  environment["COALITION_KEY_CACHE_SECONDS"] = "0";
  const auto off = LoadConfig(std::nullopt, environment);
  EXPECT_TRUE(off.metrics_listen.empty());
  EXPECT_EQ(off.key_cache_seconds, 0);

  environment["COALITION_METRICS_LISTEN"] = "9464";
  ExpectRejected(std::nullopt, environment, "COALITION_METRICS_LISTEN");
  environment["COALITION_METRICS_LISTEN"] = "0.0.0.0:9464";
  environment["COALITION_KEY_CACHE_SECONDS"] = "61";
  ExpectRejected(std::nullopt, environment, "key_cache_seconds");
}

}  // namespace
}  // namespace coalition::app::test
