#include "rpc/call.h"

#include <chrono>
#include <exception>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "metrics/metrics.h"
#include "rpc/status.h"

namespace coalition::rpc {

grpc::Status RunCall(const Authenticator& auth, const grpc::ServerContext& context,
                     std::string_view method, std::string_view request_id,
                     const CallBody& body) {
  const auto started = std::chrono::steady_clock::now();
  std::optional<domain::Error> error;
  std::string caller = "-";
  try {
    auto principal = auth.Authorize(context, method);
    if (!principal) {
      error = principal.error();
    } else {
      caller = principal->partner                   ? principal->partner->code
               : principal->role == Role::kFinance ? "finance"
                                                   : "operator";
      auto outcome = body(*principal);
      if (!outcome) error = outcome.error();
    }
  } catch (const std::exception& e) {
    spdlog::error(nlohmann::json{{"event", "unhandled_exception"},
                                 {"method", method},
                                 {"what", e.what()}}
                      .dump());
    error = domain::Error::Internal("internal error");
  }
  const grpc::Status status = error ? ToStatus(*error) : grpc::Status::OK;
  const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(
                          std::chrono::steady_clock::now() - started)
                          .count();
  metrics::RecordRpc(method, StatusCodeName(status.error_code()),
                     static_cast<double>(micros) / 1e6);
  nlohmann::json line{{"event", "rpc"},
                      {"method", method},
                      {"caller", caller},
                      {"request_id", request_id},
                      {"code", static_cast<int>(status.error_code())},
                      {"latency_ms", static_cast<double>(micros) / 1000.0}};
  if (error) line["reason"] = error->reason;
  // Invalid UTF-8 from a hostile client must not break the log line.
  spdlog::info(line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  return status;
}

}  // namespace coalition::rpc
