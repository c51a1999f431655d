#include "metrics/metrics.h"

#include <stdexcept>

#include <prometheus/counter.h>
#include <prometheus/exposer.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

namespace coalition::metrics {
namespace {

// Latency buckets from half a millisecond (an answer from the idempotency
// record) to the five-second statement timeout.
const prometheus::Histogram::BucketBoundaries kLatencyBuckets = {
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5};

struct Families {
  std::shared_ptr<prometheus::Registry> registry = std::make_shared<prometheus::Registry>();
  prometheus::Family<prometheus::Counter>& requests =
      prometheus::BuildCounter()
          .Name("coalition_rpc_requests_total")
          .Help("RPCs finished, by method and gRPC status code")
          .Register(*registry);
  prometheus::Family<prometheus::Histogram>& latency =
      prometheus::BuildHistogram()
          .Name("coalition_rpc_latency_seconds")
          .Help("RPC latency in the server (authorization to response), by method and code")
          .Register(*registry);
  prometheus::Family<prometheus::Counter>& retries =
      prometheus::BuildCounter()
          .Name("coalition_db_retries_total")
          .Help("Database transactions tried again, by operation and cause")
          .Register(*registry);
  prometheus::Family<prometheus::Gauge>& pool =
      prometheus::BuildGauge()
          .Name("coalition_db_pool_connections")
          .Help("Database connections of the pool: size, and in_use by requests")
          .Register(*registry);
  prometheus::Gauge& pool_size = pool.Add({{"state", "size"}});
  prometheus::Gauge& pool_in_use = pool.Add({{"state", "in_use"}});
  prometheus::Histogram& pool_wait =
      prometheus::BuildHistogram()
          .Name("coalition_db_pool_wait_seconds")
          .Help("Time requests waited for a free database connection")
          .Register(*registry)
          .Add({}, kLatencyBuckets);
  prometheus::Counter& pool_exhausted =
      prometheus::BuildCounter()
          .Name("coalition_db_pool_exhausted_total")
          .Help("Requests refused (SERVER_BUSY) because no connection became free in time")
          .Register(*registry)
          .Add({});
  prometheus::Family<prometheus::Counter>& sweeps =
      prometheus::BuildCounter()
          .Name("coalition_hold_sweeps_total")
          .Help("Runs of the expired-hold sweeper, by outcome")
          .Register(*registry);
  prometheus::Family<prometheus::Counter>& auth_failures =
      prometheus::BuildCounter()
          .Name("coalition_auth_failures_total")
          .Help("Calls refused before authentication succeeded (never audited), by reason")
          .Register(*registry);
  prometheus::Counter& holds_expired =
      prometheus::BuildCounter()
          .Name("coalition_holds_expired_total")
          .Help("Holds released by the sweeper because they expired")
          .Register(*registry)
          .Add({});
  prometheus::Family<prometheus::Counter>& tier_reviews =
      prometheus::BuildCounter()
          .Name("coalition_tier_reviews_total")
          .Help("Runs of the tier review (scheduled or RunTierReview), by outcome")
          .Register(*registry);
  prometheus::Family<prometheus::Counter>& tier_changes =
      prometheus::BuildCounter()
          .Name("coalition_tier_review_changes_total")
          .Help("Members the tier review moved, by direction (up, down)")
          .Register(*registry);
};

Families& Get() {
  static Families families;
  return families;
}

}  // namespace

void RecordRpc(std::string_view method, std::string_view code, double seconds) {
  auto& families = Get();
  const prometheus::Labels labels{{"method", std::string(method)}, {"code", std::string(code)}};
  families.requests.Add(labels).Increment();
  families.latency.Add(labels, kLatencyBuckets).Observe(seconds);
}

void RecordDbRetry(std::string_view operation, std::string_view cause) {
  Get().retries.Add({{"operation", std::string(operation)}, {"cause", std::string(cause)}})
      .Increment();
}

void SetDbPoolSize(int connections) { Get().pool_size.Set(connections); }

void RecordDbPoolAcquire(double waited_seconds) {
  auto& families = Get();
  families.pool_in_use.Increment();
  families.pool_wait.Observe(waited_seconds);
}

void RecordAuthFailure(std::string_view reason) {
  Get().auth_failures.Add({{"reason", std::string(reason)}}).Increment();
}

double AuthFailuresTotal() {
  double total = 0;
  for (const auto& family : Get().registry->Collect()) {
    if (family.name != "coalition_auth_failures_total") continue;
    for (const auto& metric : family.metric) total += metric.counter.value;
  }
  return total;
}

void RecordDbPoolRelease() { Get().pool_in_use.Decrement(); }

void RecordDbPoolExhausted() { Get().pool_exhausted.Increment(); }

void RecordHoldSweep(bool succeeded, int64_t holds_released) {
  auto& families = Get();
  families.sweeps.Add({{"outcome", succeeded ? "ok" : "failed"}}).Increment();
  if (holds_released > 0) families.holds_expired.Increment(static_cast<double>(holds_released));
}

void RecordTierReview(bool succeeded, int64_t upgraded, int64_t downgraded) {
  auto& families = Get();
  families.tier_reviews.Add({{"outcome", succeeded ? "ok" : "failed"}}).Increment();
  if (upgraded > 0) {
    families.tier_changes.Add({{"direction", "up"}}).Increment(static_cast<double>(upgraded));
  }
  if (downgraded > 0) {
    families.tier_changes.Add({{"direction", "down"}}).Increment(static_cast<double>(downgraded));
  }
}

std::shared_ptr<prometheus::Registry> Registry() { return Get().registry; }

MetricsEndpoint::MetricsEndpoint(const std::string& listen) {
  try {
    // One thread: scrapes are rare and cheap.
    exposer_ = std::make_unique<prometheus::Exposer>(listen, 1);
  } catch (const std::exception& e) {
    throw std::runtime_error("cannot serve metrics on " + listen + ": " + e.what());
  }
  exposer_->RegisterCollectable(Registry());
  const auto ports = exposer_->GetListeningPorts();
  if (ports.empty()) throw std::runtime_error("cannot serve metrics on " + listen);
  port_ = ports.front();
}

MetricsEndpoint::~MetricsEndpoint() = default;

}  // namespace coalition::metrics
