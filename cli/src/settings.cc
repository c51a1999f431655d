#include "coalition/cli/settings.h"

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <ostream>
#include <set>
#include <system_error>
#include <utility>

namespace coalition::cli {

namespace {

namespace fs = std::filesystem;

const std::set<std::string>& KnownConfigKeys() {
  static const std::set<std::string> kKeys = {"endpoint", "key",       "tls",
                                              "ca_file",  "cert_file", "key_file",
                                              "output",   "timeout_seconds"};
  return kKeys;
}

std::string Describe(const fs::path& path) { return "config file " + path.string(); }

std::optional<std::string> ConfigString(const nlohmann::json& config, const char* key) {
  if (!config.is_object() || !config.contains(key)) return std::nullopt;
  return config.at(key).get<std::string>();
}

// Picks the first source that has a value: flag, then environment, then file.
std::optional<std::string> FirstOf(const std::optional<std::string>& flag,
                                   const std::optional<std::string>& env,
                                   const std::optional<std::string>& file) {
  if (flag) return flag;
  if (env) return env;
  return file;
}

}  // namespace

OutputFormat ParseOutputFormat(const std::string& text) {
  if (text == "table") return OutputFormat::kTable;
  if (text == "json") return OutputFormat::kJson;
  throw ConfigError("output must be \"table\" or \"json\", not \"" + text + "\"");
}

Environment ProcessEnvironment() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());
    if (value == nullptr || *value == '\0') return std::nullopt;
    return std::string(value);
  };
}

std::optional<fs::path> FindConfigFile(const FlagValues& flags, const Environment& env) {
  std::optional<std::string> named = flags.config;
  const char* source = "--config";
  if (!named) {
    named = env(kConfigEnv);
    source = kConfigEnv;
  }
  if (named) {
    std::error_code ec;
    if (!fs::is_regular_file(*named, ec)) {
      throw ConfigError(std::string(source) + " names " + *named +
                        ", which is not a readable file");
    }
    return fs::path(*named);
  }

  fs::path base;
  if (auto xdg = env("XDG_CONFIG_HOME")) {
    base = *xdg;
  } else if (auto home = env("HOME")) {
    base = fs::path(*home) / ".config";
  } else {
    return std::nullopt;
  }
  fs::path candidate = base / "coalition" / "coalitionctl.json";
  std::error_code ec;
  if (fs::is_regular_file(candidate, ec)) return candidate;
  return std::nullopt;
}

nlohmann::json LoadConfigFile(const fs::path& path) {
  std::ifstream in(path);
  if (!in) throw ConfigError(Describe(path) + ": cannot open");
  nlohmann::json config;
  try {
    config = nlohmann::json::parse(in);
  } catch (const nlohmann::json::parse_error& e) {
    throw ConfigError(Describe(path) + ": not valid JSON: " + e.what());
  }
  if (!config.is_object()) throw ConfigError(Describe(path) + ": must be a JSON object");

  for (const auto& [key, value] : config.items()) {
    if (!KnownConfigKeys().contains(key)) {
      throw ConfigError(Describe(path) + ": unknown key \"" + key +
                        "\" (known: endpoint, key, tls, ca_file, cert_file, key_file, output, "
                        "timeout_seconds)");
    }
    if (key == "tls") {
      if (!value.is_boolean()) {
        throw ConfigError(Describe(path) + ": \"tls\" must be true or false");
      }
    } else if (key == "timeout_seconds") {
      if (!value.is_number_integer() || value.get<std::int64_t>() <= 0) {
        throw ConfigError(Describe(path) + ": \"timeout_seconds\" must be a positive integer");
      }
    } else if (!value.is_string()) {
      throw ConfigError(Describe(path) + ": \"" + key + "\" must be a string");
    }
  }
  if (config.contains("output")) {
    try {
      ParseOutputFormat(config.at("output").get<std::string>());
    } catch (const ConfigError& e) {
      throw ConfigError(Describe(path) + ": " + e.what());
    }
  }
  return config;
}

Settings ResolveSettings(const FlagValues& flags, const Environment& env,
                         const nlohmann::json& config) {
  Settings settings;

  if (auto endpoint =
          FirstOf(flags.endpoint, env(kEndpointEnv), ConfigString(config, "endpoint"))) {
    settings.channel.endpoint = *endpoint;
  }
  if (settings.channel.endpoint.empty()) throw ConfigError("the endpoint must not be empty");

  if (auto key = FirstOf(flags.key, env(kOperatorKeyEnv), ConfigString(config, "key"))) {
    settings.channel.api_key = *key;
  }
  // A finance team's machine may hold only the finance key.
  if (settings.channel.api_key.empty()) {
    if (auto finance_key = env(kFinanceKeyEnv)) settings.channel.api_key = *finance_key;
  }

  if (auto ca_file = FirstOf(flags.ca_file, std::nullopt, ConfigString(config, "ca_file"))) {
    settings.channel.root_ca_file = *ca_file;
  }
  if (auto cert = FirstOf(flags.cert_file, std::nullopt, ConfigString(config, "cert_file"))) {
    settings.channel.client_cert_file = *cert;
  }
  if (auto key = FirstOf(flags.key_file, std::nullopt, ConfigString(config, "key_file"))) {
    settings.channel.client_key_file = *key;
  }
  if (settings.channel.client_cert_file.empty() != settings.channel.client_key_file.empty()) {
    throw ConfigError("a client certificate needs its key: give both cert_file and key_file");
  }
  std::optional<bool> tls = flags.tls;
  if (!tls && config.is_object() && config.contains("tls")) tls = config.at("tls").get<bool>();
  // A CA file only makes sense with TLS, so naming one turns TLS on unless
  // the user said otherwise.
  settings.channel.tls = tls.value_or(!settings.channel.root_ca_file.empty());

  if (auto output = FirstOf(flags.output, std::nullopt, ConfigString(config, "output"))) {
    settings.output = ParseOutputFormat(*output);
  }

  if (flags.timeout) {
    settings.timeout = flags.timeout;
  } else if (config.is_object() && config.contains("timeout_seconds")) {
    settings.timeout = std::chrono::seconds(config.at("timeout_seconds").get<std::int64_t>());
  }
  if (settings.timeout && settings.timeout->count() <= 0) {
    throw ConfigError("the timeout must be positive");
  }
  return settings;
}

Settings LoadSettings(const FlagValues& flags, const Environment& env, std::ostream& warnings) {
  std::optional<fs::path> path = FindConfigFile(flags, env);
  nlohmann::json config;
  if (path) {
    config = LoadConfigFile(*path);
    // Like ssh with private keys: an operator key in a file that others can
    // read is a leaked key, but refusing would break shared CI runners.
    std::error_code ec;
    const fs::perms perms = fs::status(*path, ec).permissions();
    if (!ec && config.contains("key") &&
        (perms & (fs::perms::group_read | fs::perms::others_read)) != fs::perms::none) {
      warnings << "warning: " << Describe(*path)
               << " holds an operator key and is readable by other users; chmod 600 it\n";
    }
  }
  Settings settings = ResolveSettings(flags, env, config);
  settings.config_path = std::move(path);
  return settings;
}

}  // namespace coalition::cli
