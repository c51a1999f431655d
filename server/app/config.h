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
  // Optional staff roles (>= 16 chars when set; unset disables the role).
  std::string finance_key;                 // COALITION_FINANCE_KEY: settlement and ledger reads
  std::string auditor_key;                 // COALITION_AUDITOR_KEY: read-only, audit log
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
  int tier_job_seconds = 3600;             // COALITION_TIER_JOB_SECONDS: tier review period
  // COALITION_METRICS_LISTEN: host:port of the Prometheus /metrics endpoint;
  // empty turns it off.
  std::string metrics_listen = "127.0.0.1:9464";
  // COALITION_KEY_CACHE_SECONDS: how long a partner found by its API key is
  // remembered (0: look it up on every call). A key revoked through this
  // instance stops working at once; on other instances within this time.
  int key_cache_seconds = 2;

  // Limits (SPEC §8). Generous defaults: a till fleet, not one partner's
  // batch job, is what they are sized for.
  int rate_limit_per_second = 1000;        // COALITION_RATE_LIMIT_PER_SECOND: per partner
  int rate_limit_burst = 2000;             // COALITION_RATE_LIMIT_BURST
  int max_message_bytes = 1 << 20;         // COALITION_MAX_MESSAGE_BYTES: largest request
  int db_statement_timeout_ms = 5000;      // COALITION_DB_STATEMENT_TIMEOUT_MS
  // COALITION_VERIFY_STATEMENT_TIMEOUT_MS: per statement inside VerifyLedger,
  // whose whole-ledger scans take longer than any request (0: no limit).
  int verify_statement_timeout_ms = 10 * 60 * 1000;

  // COALITION_APPLY_MIGRATIONS: false when the service's database role may
  // not change the schema and `coalition-server migrate` runs as the owner
  // role instead (deploy/README.md).
  bool apply_migrations = true;

  // TLS (SPEC §8). Required outside dev mode unless allow_insecure says the
  // network in front (a TLS-terminating proxy or mesh) already provides it.
  std::string tls_cert_file;               // COALITION_TLS_CERT_FILE: PEM chain
  std::string tls_key_file;                // COALITION_TLS_KEY_FILE: PEM private key
  // COALITION_TLS_CLIENT_CA_FILE: enables mTLS. Client certificates signed by
  // this CA are verified when presented, and one registered to a partner
  // (AdminService RegisterClientCertificate: its SHA-256 fingerprint or a
  // SAN) authenticates as that partner without an API key.
  std::string tls_client_ca_file;
  bool allow_insecure = false;             // COALITION_ALLOW_INSECURE

  // Member PII encryption (SPEC §8, crypto/pii.h). Required outside dev mode;
  // dev mode generates throwaway keys when none are given.
  // COALITION_PII_KEYS: "id:base64,id:base64" or, in the JSON file, a list of
  // {"id": ..., "key": ...}; each key is 32 random bytes in base64
  // (`openssl rand -base64 32`). Old keys stay listed until rotation is done.
  std::map<std::string, std::string> pii_keys;  // id -> 32 raw bytes
  std::string pii_active_key_id;                // COALITION_PII_ACTIVE_KEY_ID: seals new data
  std::string pii_index_key;  // COALITION_PII_INDEX_KEY: base64, >= 32 bytes; never rotated
};

// Reads `file` (if given) then applies `environment` (name -> value).
// Throws std::runtime_error naming the offending setting.
Config LoadConfig(const std::optional<std::string>& file,
                  const std::map<std::string, std::string>& environment);

// The process environment's COALITION_* variables.
std::map<std::string, std::string> CoalitionEnvironment();

}  // namespace coalition::app
