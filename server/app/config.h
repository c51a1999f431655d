#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>

namespace coalition::app {

// Server configuration: a JSON file (optional) overridden by COALITION_*
// environment variables. Validated at start-up; a bad value stops the server.
struct Config {
  std::string database_url;                // COALITION_DATABASE_URL (required)
  std::string listen = "127.0.0.1:50051";  // COALITION_LISTEN
  std::string operator_key;                // COALITION_OPERATOR_KEY (required, >= 16 chars)
  std::string currency = "USD";            // COALITION_CURRENCY: the programme currency
  int db_pool_size = 16;                   // COALITION_DB_POOL_SIZE
  int shutdown_grace_seconds = 10;         // COALITION_SHUTDOWN_GRACE_SECONDS
  // COALITION_PAGE_TOKEN_SECRET: signs page tokens; share it between
  // instances behind one load balancer. Random per process when unset.
  std::string page_token_secret;
  std::string log_level = "info";          // COALITION_LOG_LEVEL
  bool dev_mode = false;                   // COALITION_DEV_MODE
  int hold_max_ttl_seconds = 24 * 60 * 60; // COALITION_HOLD_MAX_TTL_SECONDS: longest hold allowed
  int hold_sweep_seconds = 5;              // COALITION_HOLD_SWEEP_SECONDS: expiry sweep period
  // Programme rules (SPEC §5); 0 turns each off.
  int lot_lifetime_days = 0;               // COALITION_LOT_LIFETIME_DAYS: points expire after
  int inactivity_lapse_days = 0;           // COALITION_INACTIVITY_LAPSE_DAYS: all points lapse after
  int signup_bonus_points = 0;             // COALITION_SIGNUP_BONUS_POINTS: operator-funded
  int expiry_job_seconds = 3600;           // COALITION_EXPIRY_JOB_SECONDS: expiry job period
  // COALITION_METRICS_LISTEN: host:port of the Prometheus /metrics endpoint;
  // empty turns it off.
  std::string metrics_listen = "127.0.0.1:9464";
  // COALITION_KEY_CACHE_SECONDS: how long a partner found by its API key is
  // remembered (0: look it up on every call). A key revoked through this
  // instance stops working at once; on other instances within this time.
  int key_cache_seconds = 2;
  // COALITION_FINANCE_KEY (optional, >= 16 chars): the key of the finance
  // role, which may run and read settlement. Unset: only the operator may.
  std::string finance_key;
};

// Reads `file` (if given) then applies `environment` (name -> value).
// Throws std::runtime_error naming the offending setting.
Config LoadConfig(const std::optional<std::string>& file,
                  const std::map<std::string, std::string>& environment);

// The process environment's COALITION_* variables.
std::map<std::string, std::string> CoalitionEnvironment();

}  // namespace coalition::app
