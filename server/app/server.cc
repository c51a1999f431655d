#include "app/server.h"

#include <algorithm>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server_builder.h>
#include <grpcpp/resource_quota.h>
#include <spdlog/spdlog.h>

#include "crypto/crypto.h"
#include "rpc/malformed_request.h"
#include "storage/migrations.h"

namespace coalition::app {
namespace {

storage::DatabaseOptions DatabaseOptionsFrom(const Config& config) {
  storage::DatabaseOptions options;
  options.url = config.database_url;
  options.pool_size = config.db_pool_size;
  options.statement_timeout = std::chrono::milliseconds(config.db_statement_timeout_ms);
  return options;
}

std::string ReadPemFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream contents;
  contents << in.rdbuf();
  if (!in || contents.str().empty()) throw std::runtime_error("cannot read " + path);
  return contents.str();
}

// TLS when configured (required outside dev mode, see LoadConfig); with a
// client CA, client certificates are requested and verified but optional,
// so API keys keep working beside mTLS identities.
std::shared_ptr<grpc::ServerCredentials> ServerCredentials(const Config& config) {
  if (config.tls_cert_file.empty()) return grpc::InsecureServerCredentials();
  grpc::SslServerCredentialsOptions options(
      config.tls_client_ca_file.empty() ? GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE
                                        : GRPC_SSL_REQUEST_CLIENT_CERTIFICATE_AND_VERIFY);
  options.pem_key_cert_pairs.push_back(
      {ReadPemFile(config.tls_key_file), ReadPemFile(config.tls_cert_file)});
  if (!config.tls_client_ca_file.empty()) {
    options.pem_root_certs = ReadPemFile(config.tls_client_ca_file);
  }
  return grpc::SslServerCredentials(options);
}

std::string PageTokenSecret(const Config& config) {
  return config.page_token_secret.empty() ? crypto::RandomBytes(32) : config.page_token_secret;
}

}  // namespace

CoalitionServer::CoalitionServer(const Config& config, const domain::Clock* clock)
    : config_(config),
      clock_(clock != nullptr ? *clock : system_clock_),
      pii_keys_(config.pii_keys, config.pii_active_key_id, config.pii_index_key),
      database_(DatabaseOptionsFrom(config)),
      ledger_store_(database_, pii_keys_),
      partner_store_(database_),
      settlement_store_(database_),
      audit_log_(database_),
      bonus_store_(database_),
      rate_limiter_(config.rate_limit_per_second, config.rate_limit_burst),
      ledger_(ledger_store_, config.currency, clock_, config.hold_max_ttl_seconds,
              domain::ProgrammeRules{config.lot_lifetime_days, config.inactivity_lapse_days,
                                     config.signup_bonus_points}),
      partner_admin_(partner_store_),
      pricing_(partner_store_, ledger_),
      settlement_(settlement_store_, partner_store_, config.currency),
      bonuses_(bonus_store_, clock_,
               domain::ProgrammeRules{config.lot_lifetime_days, config.inactivity_lapse_days,
                                      config.signup_bonus_points}),
      authenticator_(partner_store_,
                     rpc::StaffKeys{config.operator_key, config.finance_key, config.auditor_key},
                     std::chrono::seconds(config.key_cache_seconds)),
      page_tokens_(PageTokenSecret(config)),
      partner_service_(ledger_, pricing_, authenticator_, page_tokens_),
      admin_service_(partner_admin_, ledger_, authenticator_, page_tokens_,
                     pii_keys_.active_key_id(), &settlement_),
      settlement_service_(settlement_, authenticator_, page_tokens_) {
  ledger_store_.SetVerifyStatementTimeout(
      std::chrono::milliseconds(config.verify_statement_timeout_ms));
  authenticator_.AttachAuditLog(&audit_log_);
  authenticator_.AttachRateLimiter(&rate_limiter_);
  admin_service_.AttachAuditLog(&audit_log_);
  admin_service_.AttachBonuses(&bonuses_);
}

CoalitionServer::~CoalitionServer() {
  if (server_) Shutdown(std::chrono::milliseconds(0));
}

void CoalitionServer::Start() {
  if (config_.apply_migrations) {
    const auto report = storage::ApplyMigrations(config_.database_url);
    spdlog::info(R"({{"event":"migrations","applied":{},"already_applied":{}}})", report.applied,
                 report.already_applied);
  }
  SealLegacyProfiles();

  if (!config_.metrics_listen.empty()) {
    metrics_ = std::make_unique<metrics::MetricsEndpoint>(config_.metrics_listen);
    spdlog::info(R"({{"event":"metrics_listening","address":"{}","port":{}}})",
                 config_.metrics_listen, metrics_->port());
  }
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  builder.AddListeningPort(config_.listen, ServerCredentials(config_), &port_);
  // gRPC sets SO_REUSEPORT by default: a second server on a busy port would
  // start and silently take half the connections (seen with a forgotten dev
  // server). Refuse to start instead.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.RegisterService(&partner_service_);
  builder.RegisterService(&admin_service_);
  builder.RegisterService(&settlement_service_);
  builder.SetMaxReceiveMessageSize(config_.max_message_bytes);
  builder.experimental().SetInterceptorCreators(rpc::MalformedRequestInterceptors());
  // libpqxx blocks, so each in-flight call holds a thread. gRPC's sync server
  // refuses calls (RESOURCE_EXHAUSTED) once its thread quota is used up rather
  // than queueing them, so the quota is a multiple of the pool: a burst of
  // tills waits briefly for a connection (then UNAVAILABLE/SERVER_BUSY, which
  // clients retry) instead of failing at once, and the thread count stays bounded.
  grpc::ResourceQuota quota("coalition");
  quota.SetMaxThreads(std::max(64, 4 * config_.db_pool_size));
  builder.SetResourceQuota(quota);
  // The sync server ends a request thread when more than MAX_POLLERS threads
  // are idle, so with the default of 2 every burst of concurrent calls
  // created and destroyed threads (measured under load: one new thread per
  // two or three calls). As many as the pool can serve at once stay instead.
  builder.SetSyncServerOption(grpc::ServerBuilder::SyncServerOption::MAX_POLLERS,
                              std::max(2, config_.db_pool_size));
  server_ = builder.BuildAndStart();
  if (!server_ || port_ == 0) {
    server_.reset();
    throw std::runtime_error("cannot listen on " + config_.listen);
  }
  server_->GetHealthCheckService()->SetServingStatus(true);
  sweeper_ = std::thread([this] { SweepHolds(); });
  spdlog::info(R"({{"event":"listening","address":"{}","port":{},"tls":{},"mtls":{}}})",
               config_.listen, port_, !config_.tls_cert_file.empty(),
               !config_.tls_client_ca_file.empty());
}

void CoalitionServer::SealLegacyProfiles() {
  // Profiles written before PII encryption are plaintext until sealed; do it
  // before serving so no plaintext outlives the upgrade. Rotation to a new
  // key is left to `coalitionctl keys rotate`.
  int64_t sealed = 0;
  for (;;) {
    auto step = ledger_.RotatePiiKeys(0, /*legacy_only=*/true);
    if (!step) {
      throw std::runtime_error("sealing plaintext member profiles failed: " +
                               step.error().reason);
    }
    sealed += step->resealed;
    if (step->remaining == 0 || step->resealed == 0) break;
  }
  if (sealed > 0) spdlog::info(R"({{"event":"pii_sealed_legacy_profiles","count":{}}})", sealed);
}

void CoalitionServer::SweepHolds() {
  constexpr int kBatch = 500;
  const auto expiry_period = std::chrono::seconds(config_.expiry_job_seconds);
  auto next_expiry = std::chrono::steady_clock::now();
  const auto tier_period = std::chrono::seconds(config_.tier_job_seconds);
  auto next_tier_review = std::chrono::steady_clock::now();
  std::unique_lock lock(sweeper_mutex_);
  while (!sweeper_wake_.wait_for(lock, std::chrono::seconds(config_.hold_sweep_seconds),
                                 [this] { return stopping_; })) {
    lock.unlock();
    if (std::chrono::steady_clock::now() >= next_expiry) {
      next_expiry = std::chrono::steady_clock::now() + expiry_period;
      RunExpiryJob();
    }
    if (std::chrono::steady_clock::now() >= next_tier_review) {
      next_tier_review = std::chrono::steady_clock::now() + tier_period;
      RunTierJob();
    }
    // A full batch means more may be due: sweep again at once.
    for (int released = kBatch; released == kBatch;) {
      auto swept = ledger_.ExpireDueHolds(kBatch);
      released = swept ? *swept : 0;
      metrics::RecordHoldSweep(swept.ok(), released);
      if (!swept) {
        spdlog::warn(R"({{"event":"hold_sweep_failed","reason":"{}"}})", swept.error().reason);
      } else if (released > 0) {
        spdlog::info(R"({{"event":"holds_expired","count":{}}})", released);
      }
    }
    lock.lock();
  }
}

void CoalitionServer::RunExpiryJob() {
  constexpr int kBatch = 500;
  auto run = ledger_.ExpireAllDue(kBatch);
  if (!run) {
    spdlog::warn(R"({{"event":"expiry_job_failed","reason":"{}"}})", run.error().reason);
  } else if (run->points > 0) {
    spdlog::info(R"({{"event":"points_expired","members":{},"lots":{},"points":{}}})",
                 run->members, run->lots, run->points);
  }
}

void CoalitionServer::RunTierJob() {
  constexpr int kBatch = 500;
  auto run = ledger_.ReviewAllTiers(kBatch);
  metrics::RecordTierReview(run.ok(), run ? run->upgraded : 0, run ? run->downgraded : 0);
  if (!run) {
    spdlog::warn(R"({{"event":"tier_review_failed","reason":"{}"}})", run.error().reason);
  } else if (run->members > 0) {
    spdlog::info(R"({{"event":"tiers_reviewed","members":{},"upgraded":{},"downgraded":{}}})",
                 run->members, run->upgraded, run->downgraded);
  }
}

void CoalitionServer::Shutdown(std::chrono::milliseconds grace) {
  if (sweeper_.joinable()) {
    {
      std::lock_guard lock(sweeper_mutex_);
      stopping_ = true;
    }
    sweeper_wake_.notify_all();
    sweeper_.join();
  }
  if (!server_) return;
  server_->GetHealthCheckService()->SetServingStatus(false);
  server_->Shutdown(std::chrono::system_clock::now() + grace);
  server_->Wait();
  server_.reset();
  metrics_.reset();
}

void CoalitionServer::Wait() {
  if (server_) server_->Wait();
}

}  // namespace coalition::app
