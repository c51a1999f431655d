#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <iosfwd>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>

#include "coalition/sdk/channel.h"

namespace coalition::cli {

enum class OutputFormat { kTable, kJson };

/// Parses "table" or "json"; throws ConfigError otherwise.
OutputFormat ParseOutputFormat(const std::string& text);

/// A bad config file or a bad combination of settings. Reported as a usage
/// error: nothing was sent to the server.
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// What the command line said. An unset field means the flag was not given,
/// which is different from a flag given an empty value.
struct FlagValues {
  std::optional<std::string> endpoint;
  std::optional<std::string> key;
  std::optional<bool> tls;
  std::optional<std::string> ca_file;
  /// Client certificate chain and key (PEM) for servers that use mTLS.
  std::optional<std::string> cert_file;
  std::optional<std::string> key_file;
  std::optional<std::string> config;
  std::optional<std::string> output;
  std::optional<std::chrono::seconds> timeout;
};

/// Looks up an environment variable; nullopt when unset. Injected so tests do
/// not depend on the process environment.
using Environment = std::function<std::optional<std::string>(const std::string& name)>;

/// The real process environment. Empty variables count as unset, so
/// `COALITION_OPERATOR_KEY= coalitionctl ...` falls back to the config file.
Environment ProcessEnvironment();

inline constexpr char kEndpointEnv[] = "COALITION_ENDPOINT";
inline constexpr char kOperatorKeyEnv[] = "COALITION_OPERATOR_KEY";
/// Used when no operator key is given: enough for `settlement` commands.
inline constexpr char kFinanceKeyEnv[] = "COALITION_FINANCE_KEY";
inline constexpr char kConfigEnv[] = "COALITION_CONFIG";

/// The settings a command runs with, after resolution.
struct Settings {
  /// Endpoint, key and TLS; `channel.deadline` is left at the SDK default
  /// unless a timeout was configured (see `timeout`).
  sdk::ChannelOptions channel;
  OutputFormat output = OutputFormat::kTable;
  /// Set when --timeout or the config file chose one; commands otherwise pick
  /// their own (verify scans the whole ledger and needs far longer).
  std::optional<std::chrono::seconds> timeout;
  /// The config file that was read, if any (for messages).
  std::optional<std::filesystem::path> config_path;
};

/// Which config file to read: --config, else $COALITION_CONFIG (each must
/// exist), else $XDG_CONFIG_HOME/coalition/coalitionctl.json or
/// ~/.config/coalition/coalitionctl.json if that exists. Throws ConfigError
/// when an explicitly named file does not exist.
std::optional<std::filesystem::path> FindConfigFile(const FlagValues& flags,
                                                    const Environment& env);

/// Reads and validates a config file: a JSON object with optional keys
/// "endpoint", "key", "ca_file", "cert_file", "key_file", "output" (strings), "tls" (bool) and
/// "timeout_seconds" (positive integer). Unknown keys are errors, so a typo
/// cannot silently drop a setting. Throws ConfigError.
nlohmann::json LoadConfigFile(const std::filesystem::path& path);

/// Resolves each setting with the precedence flags > environment > config
/// file > defaults. `config` is a validated object (or null for none).
/// TLS is on when chosen explicitly, else whenever a CA file is given.
/// Throws ConfigError.
Settings ResolveSettings(const FlagValues& flags, const Environment& env,
                         const nlohmann::json& config);

/// FindConfigFile + LoadConfigFile + ResolveSettings. Writes a warning to
/// `warnings` when the file holds an operator key and others can read it.
Settings LoadSettings(const FlagValues& flags, const Environment& env, std::ostream& warnings);

}  // namespace coalition::cli
