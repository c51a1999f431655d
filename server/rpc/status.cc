#include "rpc/status.h"

#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"

namespace coalition::rpc {

namespace {

grpc::StatusCode ToCode(domain::ErrorCode code) {
  switch (code) {
    case domain::ErrorCode::kInvalidArgument: return grpc::StatusCode::INVALID_ARGUMENT;
    case domain::ErrorCode::kNotFound: return grpc::StatusCode::NOT_FOUND;
    case domain::ErrorCode::kAlreadyExists: return grpc::StatusCode::ALREADY_EXISTS;
    case domain::ErrorCode::kFailedPrecondition: return grpc::StatusCode::FAILED_PRECONDITION;
    case domain::ErrorCode::kUnauthenticated: return grpc::StatusCode::UNAUTHENTICATED;
    case domain::ErrorCode::kPermissionDenied: return grpc::StatusCode::PERMISSION_DENIED;
    case domain::ErrorCode::kResourceExhausted: return grpc::StatusCode::RESOURCE_EXHAUSTED;
    case domain::ErrorCode::kUnavailable: return grpc::StatusCode::UNAVAILABLE;
    case domain::ErrorCode::kInternal: return grpc::StatusCode::INTERNAL;
  }
  return grpc::StatusCode::INTERNAL;
}

}  // namespace

grpc::Status ToStatus(const domain::Error& error) {
  const auto code = ToCode(error.code);
  std::string message = error.message;
  if (!error.field.empty()) message = error.field + ": " + message;

  google::rpc::ErrorInfo info;
  info.set_reason(error.reason);
  info.set_domain(kErrorDomain);
  if (!error.field.empty()) (*info.mutable_metadata())["field"] = error.field;
  google::rpc::Status details;
  details.set_code(static_cast<int>(code));
  details.set_message(message);
  details.add_details()->PackFrom(info);
  if (!error.field.empty()) {
    google::rpc::BadRequest bad_request;
    auto* violation = bad_request.add_field_violations();
    violation->set_field(error.field);
    violation->set_description(error.message);
    details.add_details()->PackFrom(bad_request);
  }
  return grpc::Status(code, message, details.SerializeAsString());
}

const char* StatusCodeName(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK: return "OK";
    case grpc::StatusCode::CANCELLED: return "CANCELLED";
    case grpc::StatusCode::UNKNOWN: return "UNKNOWN";
    case grpc::StatusCode::INVALID_ARGUMENT: return "INVALID_ARGUMENT";
    case grpc::StatusCode::DEADLINE_EXCEEDED: return "DEADLINE_EXCEEDED";
    case grpc::StatusCode::NOT_FOUND: return "NOT_FOUND";
    case grpc::StatusCode::ALREADY_EXISTS: return "ALREADY_EXISTS";
    case grpc::StatusCode::PERMISSION_DENIED: return "PERMISSION_DENIED";
    case grpc::StatusCode::RESOURCE_EXHAUSTED: return "RESOURCE_EXHAUSTED";
    case grpc::StatusCode::FAILED_PRECONDITION: return "FAILED_PRECONDITION";
    case grpc::StatusCode::ABORTED: return "ABORTED";
    case grpc::StatusCode::OUT_OF_RANGE: return "OUT_OF_RANGE";
    case grpc::StatusCode::UNIMPLEMENTED: return "UNIMPLEMENTED";
    case grpc::StatusCode::INTERNAL: return "INTERNAL";
    case grpc::StatusCode::UNAVAILABLE: return "UNAVAILABLE";
    case grpc::StatusCode::DATA_LOSS: return "DATA_LOSS";
    case grpc::StatusCode::UNAUTHENTICATED: return "UNAUTHENTICATED";
    default: return "UNKNOWN";
  }
}

grpc::Status RateLimitedStatus(std::chrono::nanoseconds retry_after) {
  const auto code = grpc::StatusCode::RESOURCE_EXHAUSTED;
  const std::string message = "too many requests from this partner; retry later";
  google::rpc::ErrorInfo info;
  info.set_reason("RATE_LIMITED");
  info.set_domain(kErrorDomain);
  google::rpc::RetryInfo retry;
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(retry_after);
  retry.mutable_retry_delay()->set_seconds(seconds.count());
  retry.mutable_retry_delay()->set_nanos(static_cast<int32_t>((retry_after - seconds).count()));
  google::rpc::Status details;
  details.set_code(static_cast<int>(code));
  details.set_message(message);
  details.add_details()->PackFrom(info);
  details.add_details()->PackFrom(retry);
  return grpc::Status(code, message, details.SerializeAsString());
}

}  // namespace coalition::rpc
