#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

#include <grpcpp/server.h>

#include "app/config.h"
#include "metrics/metrics.h"
#include "crypto/pii.h"
#include "rpc/admin_service.h"
#include "rpc/auth.h"
#include "rpc/page_token.h"
#include "rpc/partner_service.h"
#include "rpc/settlement_service.h"
#include "service/ledger_service.h"
#include "storage/database.h"
#include "storage/pg_stores.h"

namespace coalition::app {

// The composition of one server: pool -> stores -> services -> gRPC. Used by
// main and, on a loopback port, by the end-to-end tests.
class CoalitionServer {
 public:
  // `clock` (tests) replaces the system clock for hold expiry.
  explicit CoalitionServer(const Config& config, const domain::Clock* clock = nullptr);
  ~CoalitionServer();

  // Applies pending migrations, binds the listen address (port 0 picks a free
  // one) and starts serving. Throws std::runtime_error when it cannot.
  void Start();
  int port() const { return port_; }
  // The port of the /metrics endpoint; 0 when metrics_listen is empty.
  int metrics_port() const { return metrics_ ? metrics_->port() : 0; }

  // Health goes NOT_SERVING, new calls are refused, in-flight calls get
  // `grace` to finish, then the rest are cancelled.
  void Shutdown(std::chrono::milliseconds grace);
  void Wait();

  service::LedgerService& ledger() { return ledger_; }
  service::PartnerAdmin& partner_admin() { return partner_admin_; }

 private:
  // Expires due points in batches (lot expiry, inactivity lapse).
  void RunExpiryJob();
  void RunTierJob();
  void SweepHolds();
  void SealLegacyProfiles();

  Config config_;
  domain::SystemClock system_clock_;
  const domain::Clock& clock_;
  crypto::PiiKeyRing pii_keys_;
  storage::Database database_;
  storage::PgLedgerStore ledger_store_;
  storage::PgPartnerStore partner_store_;
  storage::PgSettlementStore settlement_store_;
  storage::PgAuditLog audit_log_;
  storage::PgBonusStore bonus_store_;
  domain::RateLimiter rate_limiter_;
  service::LedgerService ledger_;
  service::PartnerAdmin partner_admin_;
  service::PricingService pricing_;
  service::SettlementService settlement_;
  service::BonusService bonuses_;
  rpc::Authenticator authenticator_;
  rpc::PageTokenCodec page_tokens_;
  rpc::PartnerServiceImpl partner_service_;
  rpc::AdminServiceImpl admin_service_;
  rpc::SettlementServiceImpl settlement_service_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  std::unique_ptr<metrics::MetricsEndpoint> metrics_;
  // The hold sweeper: releases expired holds every hold_sweep_seconds.
  std::thread sweeper_;
  std::mutex sweeper_mutex_;
  std::condition_variable sweeper_wake_;
  bool stopping_ = false;
};

}  // namespace coalition::app
