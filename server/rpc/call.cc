#include "rpc/call.h"

#include <chrono>
#include <exception>
#include <typeinfo>
#include <memory>
#include <mutex>

#include <google/protobuf/util/json_util.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "metrics/metrics.h"
#include "rpc/status.h"

namespace coalition::rpc {
namespace {

// Fields whose values must never reach a log or the audit log.
bool IsSecretField(const google::protobuf::FieldDescriptor& field) {
  return field.name() == "api_key_secret";
}

domain::AuditRecord RecordOf(std::string_view method, std::string_view request_id,
                             const Principal& caller,
                             const google::protobuf::Message* request) {
  domain::AuditRecord record;
  record.actor = caller.Actor();
  record.role = std::string(RoleName(caller.role));
  record.method = std::string(method);
  record.request_id = std::string(request_id);
  if (request != nullptr) record.request_json = AuditJson(*request);
  return record;
}

// Write-ahead for an audited change: the INTENT is committed before the
// change is attempted, so a change can never commit without a record.
domain::Result<int64_t> AuditIntent(const Authenticator& auth, std::string_view method,
                                    std::string_view request_id, const Principal& caller,
                                    const google::protobuf::Message* request) {
  auto record = RecordOf(method, request_id, caller, request);
  record.phase = "INTENT";
  try {
    auto appended = auth.audit_log()->Append(record);
    if (appended) return appended;
  } catch (const std::exception& e) {
    spdlog::error(nlohmann::json{{"event", "audit_write_failed"},
                                 {"method", method},
                                 {"type", typeid(e).name()}}
                      .dump());
  }
  return domain::Error::Unavailable("AUDIT_UNAVAILABLE",
                                    "the audit log cannot be written; nothing was changed");
}

// Callers that did not authenticate are not audited: anyone on the network
// could grow the log without bound. They are counted, and logged at most
// once per interval with the number of refusals since the last line.
void NoteAuthFailure(std::string_view method, const domain::Error& error) {
  metrics::RecordAuthFailure(error.reason);
  static std::mutex mutex;
  static std::chrono::steady_clock::time_point next_log{};
  static int64_t suppressed = 0;
  constexpr auto kInterval = std::chrono::seconds(10);
  const auto now = std::chrono::steady_clock::now();
  std::unique_lock lock(mutex);
  if (now < next_log) {
    ++suppressed;
    return;
  }
  next_log = now + kInterval;
  const int64_t since_last = suppressed;
  suppressed = 0;
  lock.unlock();
  spdlog::warn(nlohmann::json{{"event", "authentication_failed"},
                              {"method", method},
                              {"reason", error.reason},
                              {"suppressed_since_last", since_last}}
                   .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

void Audit(const Authenticator& auth, std::string_view method, std::string_view request_id,
           const Principal& caller, const grpc::Status& status,
           const std::optional<domain::Error>& error, const google::protobuf::Message* request,
           const google::protobuf::Message* response, const std::string* before_json,
           int64_t intent_id) {
  auto record = RecordOf(method, request_id, caller, request);
  if (intent_id != 0) {
    record.phase = "OUTCOME";
    record.intent_id = intent_id;
  }
  record.code = static_cast<int>(status.error_code());
  if (error) record.reason = error->reason;
  if (before_json != nullptr) record.before_json = *before_json;
  if (response != nullptr && status.ok() && Authenticator::Mutates(method)) {
    record.after_json = AuditJson(*response);
  }
  auto appended = auth.audit_log()->Append(record);
  if (!appended) {
    // The call has happened; losing its record is an operator alert.
    spdlog::error(nlohmann::json{{"event", "audit_write_failed"},
                                 {"method", method},
                                 {"reason", appended.error().reason}}
                      .dump());
  }
}

}  // namespace

std::string AuditJson(const google::protobuf::Message& message) {
  std::unique_ptr<google::protobuf::Message> copy(message.New());
  copy->CopyFrom(message);
  const auto* descriptor = copy->GetDescriptor();
  const auto* reflection = copy->GetReflection();
  for (int i = 0; i < descriptor->field_count(); ++i) {
    const auto* field = descriptor->field(i);
    if (IsSecretField(*field)) reflection->ClearField(copy.get(), field);
  }
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  std::string json;
  if (!google::protobuf::util::MessageToJsonString(*copy, &json, options).ok()) return {};
  return json;
}

grpc::Status RunCall(const Authenticator& auth, const grpc::ServerContext& context,
                     std::string_view method, std::string_view request_id,
                     const CallBody& body, const google::protobuf::Message* request,
                     const google::protobuf::Message* response,
                     const std::string* before_json) {
  const auto started = std::chrono::steady_clock::now();
  std::optional<domain::Error> error;
  std::optional<grpc::Status> refused;
  Principal caller{Role::kNone, std::nullopt};
  const bool audited = auth.audit_log() != nullptr && Authenticator::IsAudited(method);
  int64_t intent_id = 0;
  bool intent_failed = false;
  try {
    // Authenticate first so a refused call is still recorded against who made it.
    auto principal = auth.Authenticate(context);
    if (principal) caller = *principal;
    // A partner's rate limit applies before the role check too, so a partner
    // key calling staff methods cannot grow the audit log without bound.
    domain::RateLimiter::Decision decision;
    if (caller.partner && auth.rate_limiter() != nullptr) {
      decision = auth.rate_limiter()->TryAcquire(caller.partner->id, started);
    }
    if (!principal) {
      error = principal.error();
    } else if (!decision.allowed) {
      error = domain::Error{domain::ErrorCode::kResourceExhausted, "RATE_LIMITED",
                            "too many requests", {}};
      refused = RateLimitedStatus(decision.retry_after);
    } else if (auto denied = Authenticator::CheckAllowed(caller, method)) {
      error = std::move(denied);
    } else {
      if (audited && Authenticator::Mutates(method)) {
        auto intent = AuditIntent(auth, method, request_id, caller, request);
        if (intent) {
          intent_id = *intent;
        } else {
          error = intent.error();
          intent_failed = true;
        }
      }
      if (!error) {
        auto outcome = body(caller);
        if (!outcome) error = outcome.error();
      }
    }
  } catch (const std::exception& e) {
    // e.what() may quote a database error with request values in it: the
    // log gets only the exception's type.
    spdlog::error(nlohmann::json{{"event", "unhandled_exception"},
                                 {"method", method},
                                 {"type", typeid(e).name()}}
                      .dump());
    error = domain::Error::Internal("internal error");
  }
  const grpc::Status status = refused ? *refused : error ? ToStatus(*error) : grpc::Status::OK;
  if (caller.role == Role::kNone && error) NoteAuthFailure(method, *error);
  // Audited: authenticated callers, minus partners past their rate limit
  // (those are bounded by the limit and counted in the RPC metrics). An
  // INTENT that could not be written is answered AUDIT_UNAVAILABLE without a
  // record: the log is what failed.
  const bool record = audited && caller.role != Role::kNone && !refused && !intent_failed;
  if (record) {
    try {
      Audit(auth, method, request_id, caller, status, error, request, response, before_json,
            intent_id);
    } catch (const std::exception& e) {
      spdlog::error(nlohmann::json{{"event", "audit_write_failed"},
                                   {"method", method},
                                   {"type", typeid(e).name()}}
                        .dump());
    }
  }
  const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(
                          std::chrono::steady_clock::now() - started)
                          .count();
  metrics::RecordRpc(method, StatusCodeName(status.error_code()),
                     static_cast<double>(micros) / 1e6);
  nlohmann::json line{{"event", "rpc"},
                      {"method", method},
                      {"caller", caller.Actor()},
                      {"request_id", request_id},
                      {"code", static_cast<int>(status.error_code())},
                      {"latency_ms", static_cast<double>(micros) / 1000.0}};
  if (error) line["reason"] = error->reason;
  // Invalid UTF-8 from a hostile client must not break the log line.
  spdlog::info(line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  return status;
}

}  // namespace coalition::rpc
