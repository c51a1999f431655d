#include "app/config.h"

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "crypto/crypto.h"
#include "crypto/pii.h"

extern char** environ;

namespace coalition::app {
namespace {

int ParseInt(const std::string& name, const std::string& value, int min, int max) {
  try {
    size_t used = 0;
    const int parsed = std::stoi(value, &used);
    if (used == value.size() && parsed >= min && parsed <= max) return parsed;
  } catch (const std::exception&) {
  }
  throw std::runtime_error(name + " must be an integer between " + std::to_string(min) +
                           " and " + std::to_string(max));
}

bool ParseBool(const std::string& name, const std::string& value) {
  if (value == "1" || value == "true") return true;
  if (value == "0" || value == "false" || value.empty()) return false;
  throw std::runtime_error(name + " must be true/false or 1/0");
}

std::string DecodeKey(const std::string& name, const std::string& base64) {
  std::string key;
  if (!crypto::Base64Decode(base64, key)) throw std::runtime_error(name + " must be base64");
  return key;
}

// "id:base64,id:base64" or a JSON list of {"id", "key"} objects.
std::map<std::string, std::string> ParsePiiKeys(const std::string& value) {
  std::map<std::string, std::string> keys;
  const auto add = [&keys](const std::string& id, const std::string& base64) {
    if (!keys.emplace(id, DecodeKey("pii_keys key '" + id + "'", base64)).second) {
      throw std::runtime_error("pii_keys lists key '" + id + "' twice");
    }
  };
  if (!value.empty() && value.front() == '[') {
    const auto list = nlohmann::json::parse(value, nullptr, false);
    if (!list.is_array()) throw std::runtime_error("pii_keys is not a JSON list");
    for (const auto& entry : list) {
      if (!entry.is_object() || !entry.contains("id") || !entry.contains("key") ||
          !entry["id"].is_string() || !entry["key"].is_string()) {
        throw std::runtime_error("pii_keys entries are {\"id\": ..., \"key\": ...}");
      }
      add(entry["id"].get<std::string>(), entry["key"].get<std::string>());
    }
    return keys;
  }
  std::stringstream entries(value);
  for (std::string entry; std::getline(entries, entry, ',');) {
    const auto colon = entry.find(':');
    if (colon == std::string::npos) throw std::runtime_error("pii_keys entries are id:base64");
    add(entry.substr(0, colon), entry.substr(colon + 1));
  }
  return keys;
}

void Apply(Config& config, const std::string& key, const std::string& value) {
  if (key == "database_url") config.database_url = value;
  else if (key == "listen") config.listen = value;
  else if (key == "operator_key") config.operator_key = value;
  else if (key == "finance_key") config.finance_key = value;
  else if (key == "auditor_key") config.auditor_key = value;
  else if (key == "currency") config.currency = value;
  else if (key == "db_pool_size") config.db_pool_size = ParseInt(key, value, 1, 512);
  else if (key == "shutdown_grace_seconds")
    config.shutdown_grace_seconds = ParseInt(key, value, 0, 3600);
  else if (key == "page_token_secret") config.page_token_secret = value;
  else if (key == "log_level") config.log_level = value;
  else if (key == "dev_mode") config.dev_mode = ParseBool(key, value);
  else if (key == "hold_max_ttl_seconds")
    config.hold_max_ttl_seconds = ParseInt(key, value, 1, 7 * 24 * 60 * 60);
  else if (key == "hold_sweep_seconds") config.hold_sweep_seconds = ParseInt(key, value, 1, 3600);
  else if (key == "lot_lifetime_days") config.lot_lifetime_days = ParseInt(key, value, 0, 36500);
  else if (key == "inactivity_lapse_days")
    config.inactivity_lapse_days = ParseInt(key, value, 0, 36500);
  else if (key == "signup_bonus_points")
    config.signup_bonus_points = ParseInt(key, value, 0, 1'000'000'000);
  else if (key == "expiry_job_seconds")
    config.expiry_job_seconds = ParseInt(key, value, 1, 7 * 24 * 3600);
  else if (key == "tier_job_seconds")
    config.tier_job_seconds = ParseInt(key, value, 1, 7 * 24 * 3600);
  else if (key == "metrics_listen") config.metrics_listen = value;
  else if (key == "key_cache_seconds") config.key_cache_seconds = ParseInt(key, value, 0, 60);
  else if (key == "rate_limit_per_second")
    config.rate_limit_per_second = ParseInt(key, value, 1, 1'000'000);
  else if (key == "rate_limit_burst") config.rate_limit_burst = ParseInt(key, value, 1, 10'000'000);
  else if (key == "max_message_bytes")
    config.max_message_bytes = ParseInt(key, value, 1024, 64 << 20);
  else if (key == "db_statement_timeout_ms")
    config.db_statement_timeout_ms = ParseInt(key, value, 10, 3'600'000);
  else if (key == "verify_statement_timeout_ms")
    config.verify_statement_timeout_ms = ParseInt(key, value, 0, 24 * 3'600'000);
  else if (key == "apply_migrations") config.apply_migrations = ParseBool(key, value);
  else if (key == "tls_cert_file") config.tls_cert_file = value;
  else if (key == "tls_key_file") config.tls_key_file = value;
  else if (key == "tls_client_ca_file") config.tls_client_ca_file = value;
  else if (key == "allow_insecure") config.allow_insecure = ParseBool(key, value);
  else if (key == "pii_keys") config.pii_keys = ParsePiiKeys(value);
  else if (key == "pii_active_key_id") config.pii_active_key_id = value;
  else if (key == "pii_index_key") config.pii_index_key = DecodeKey(key, value);
  else throw std::runtime_error("unknown configuration setting '" + key + "'");
}

}  // namespace

std::map<std::string, std::string> CoalitionEnvironment() {
  std::map<std::string, std::string> variables;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    const std::string text(*entry);
    const auto equals = text.find('=');
    if (equals != std::string::npos && text.rfind("COALITION_", 0) == 0) {
      variables.emplace(text.substr(0, equals), text.substr(equals + 1));
    }
  }
  return variables;
}

Config LoadConfig(const std::optional<std::string>& file,
                  const std::map<std::string, std::string>& environment) {
  Config config;
  if (file) {
    std::ifstream in(*file);
    if (!in) throw std::runtime_error("cannot read configuration file " + *file);
    const auto doc = nlohmann::json::parse(in, nullptr, false);
    if (!doc.is_object()) throw std::runtime_error(*file + " is not a JSON object");
    for (const auto& [key, value] : doc.items()) {
      Apply(config, key, value.is_string() ? value.get<std::string>() : value.dump());
    }
  }
  static const std::string kPrefix = "COALITION_";
  for (const auto& [name, value] : environment) {
    if (name.rfind(kPrefix, 0) != 0) continue;
    std::string key = name.substr(kPrefix.size());
    for (auto& c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    // Variables of other tools (the CLI, the dev script, the test harness)
    // share the prefix; anything else unknown is a typo and stops the server.
    static const std::set<std::string> kOtherTools = {
        "config", "endpoint", "api_key", "dev_pg_port", "dev_port", "pg_bindir",
        "test_keep_pgdata"};
    if (kOtherTools.contains(key)) continue;
    Apply(config, key, value);
  }
  if (config.database_url.empty()) throw std::runtime_error("COALITION_DATABASE_URL is required");
  if (config.operator_key.size() < 16) {
    throw std::runtime_error("COALITION_OPERATOR_KEY is required (at least 16 characters)");
  }
  for (const auto& [name, key] : {std::pair{"COALITION_FINANCE_KEY", &config.finance_key},
                                  std::pair{"COALITION_AUDITOR_KEY", &config.auditor_key}}) {
    if (!key->empty() && key->size() < 16) {
      throw std::runtime_error(std::string(name) + " must be at least 16 characters");
    }
  }
  if ((!config.finance_key.empty() &&
       (config.finance_key == config.operator_key || config.finance_key == config.auditor_key)) ||
      (!config.auditor_key.empty() && config.auditor_key == config.operator_key)) {
    throw std::runtime_error("the operator, finance and auditor keys must all differ");
  }
  const auto is_upper = [](char c) { return c >= 'A' && c <= 'Z'; };
  if (config.currency.size() != 3 ||
      !std::all_of(config.currency.begin(), config.currency.end(), is_upper)) {
    throw std::runtime_error("COALITION_CURRENCY must be an ISO 4217 code such as USD");
  }
  if (config.listen.find(':') == std::string::npos) {
    throw std::runtime_error("COALITION_LISTEN must be host:port");
  }
  if (!config.metrics_listen.empty() && config.metrics_listen.find(':') == std::string::npos) {
    throw std::runtime_error("COALITION_METRICS_LISTEN must be host:port (or empty for none)");
  }
  if (config.tls_cert_file.empty() != config.tls_key_file.empty()) {
    throw std::runtime_error("COALITION_TLS_CERT_FILE and COALITION_TLS_KEY_FILE go together");
  }
  if (!config.tls_client_ca_file.empty() && config.tls_cert_file.empty()) {
    throw std::runtime_error("COALITION_TLS_CLIENT_CA_FILE (mTLS) needs server TLS too");
  }
  if (config.tls_cert_file.empty() && !config.dev_mode && !config.allow_insecure) {
    throw std::runtime_error(
        "TLS is required outside dev mode: set COALITION_TLS_CERT_FILE and "
        "COALITION_TLS_KEY_FILE (or COALITION_ALLOW_INSECURE=1 behind a TLS-terminating proxy)");
  }
  if (config.pii_keys.empty() && config.dev_mode) {
    // Throwaway keys: profiles written in this run are unreadable after it.
    config.pii_keys = {{"dev", crypto::RandomBytes(crypto::PiiKeyRing::kKeyBytes)}};
    config.pii_active_key_id = "dev";
    if (config.pii_index_key.empty()) {
      config.pii_index_key = crypto::RandomBytes(crypto::PiiKeyRing::kKeyBytes);
    }
  }
  if (config.pii_keys.empty() || config.pii_index_key.empty()) {
    throw std::runtime_error(
        "COALITION_PII_KEYS and COALITION_PII_INDEX_KEY are required outside dev mode");
  }
  if (config.pii_active_key_id.empty() && config.pii_keys.size() == 1) {
    config.pii_active_key_id = config.pii_keys.begin()->first;
  }
  try {
    // Throws on a wrong key size or an active id that is not listed.
    crypto::PiiKeyRing(config.pii_keys, config.pii_active_key_id, config.pii_index_key);
  } catch (const std::invalid_argument& e) {
    throw std::runtime_error(e.what());
  }
  return config;
}

}  // namespace coalition::app
