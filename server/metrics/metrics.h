#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace prometheus {
class Exposer;
class Registry;
}  // namespace prometheus

// The service's Prometheus metrics. One process-wide registry, like the
// default registry of Prometheus client libraries: every layer records into
// it without the metrics being threaded through each constructor, and
// MetricsEndpoint serves it over HTTP at /metrics.
namespace coalition::metrics {

// One finished RPC: `method` as "/coalition.v1.PartnerService/Accrue",
// `code` the gRPC code name ("OK", "NOT_FOUND", ...).
void RecordRpc(std::string_view method, std::string_view code, double seconds);

// A transaction attempt that failed and will be tried again; `cause` is
// "serialization_failure", "deadlock", "connection_lost" or "connect_failed".
void RecordDbRetry(std::string_view operation, std::string_view cause);

// Connection pool: its size, a connection leased or returned, and a request
// that found no connection free within its timeout.
void SetDbPoolSize(int connections);
void RecordDbPoolAcquire(double waited_seconds);
void RecordDbPoolRelease();
void RecordDbPoolExhausted();

// A call whose credentials did not authenticate; `reason` is one of the
// server's fixed reasons (UNAUTHENTICATED, CLIENT_CERTIFICATE_NOT_REGISTERED, ...).
void RecordAuthFailure(std::string_view reason);
// The sum over reasons, for tests and diagnostics.
double AuthFailuresTotal();

// One run of the hold sweeper.
void RecordHoldSweep(bool succeeded, int64_t holds_released);

// One run of the tier review and the members it moved up and down.
void RecordTierReview(bool succeeded, int64_t upgraded, int64_t downgraded);

std::shared_ptr<prometheus::Registry> Registry();

// Serves the registry in the Prometheus text format at http://<listen>/metrics.
class MetricsEndpoint {
 public:
  // `listen` is host:port (port 0 picks a free one). Throws
  // std::runtime_error when it cannot listen there.
  explicit MetricsEndpoint(const std::string& listen);
  ~MetricsEndpoint();
  MetricsEndpoint(const MetricsEndpoint&) = delete;
  MetricsEndpoint& operator=(const MetricsEndpoint&) = delete;

  int port() const { return port_; }

 private:
  std::unique_ptr<prometheus::Exposer> exposer_;
  int port_ = 0;
};

}  // namespace coalition::metrics
