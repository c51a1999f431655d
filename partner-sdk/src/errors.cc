#include "coalition/sdk/errors.h"

#include <string>
#include <utility>

#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"

namespace coalition::sdk {

namespace {

// Messages from gRPC core can span lines (nested "last error" reports);
// callers promise one line per error, so fold them.
std::string OneLine(std::string text) {
  for (char& c : text) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return text;
}

}  // namespace

ErrorDetails DecodeError(const grpc::Status& status) {
  ErrorDetails details;
  details.code = status.error_code();
  details.message = status.error_message();
  if (status.error_details().empty()) return details;

  google::rpc::Status rpc_status;
  if (!rpc_status.ParseFromString(status.error_details())) return details;
  for (const google::protobuf::Any& any : rpc_status.details()) {
    if (!any.Is<google::rpc::ErrorInfo>()) continue;
    google::rpc::ErrorInfo info;
    if (!any.UnpackTo(&info)) continue;
    details.reason = info.reason();
    details.domain = info.domain();
    details.metadata.insert(info.metadata().begin(), info.metadata().end());
    break;
  }
  return details;
}

std::string StatusCodeName(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK:
      return "OK";
    case grpc::StatusCode::CANCELLED:
      return "CANCELLED";
    case grpc::StatusCode::UNKNOWN:
      return "UNKNOWN";
    case grpc::StatusCode::INVALID_ARGUMENT:
      return "INVALID_ARGUMENT";
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return "DEADLINE_EXCEEDED";
    case grpc::StatusCode::NOT_FOUND:
      return "NOT_FOUND";
    case grpc::StatusCode::ALREADY_EXISTS:
      return "ALREADY_EXISTS";
    case grpc::StatusCode::PERMISSION_DENIED:
      return "PERMISSION_DENIED";
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return "RESOURCE_EXHAUSTED";
    case grpc::StatusCode::FAILED_PRECONDITION:
      return "FAILED_PRECONDITION";
    case grpc::StatusCode::ABORTED:
      return "ABORTED";
    case grpc::StatusCode::OUT_OF_RANGE:
      return "OUT_OF_RANGE";
    case grpc::StatusCode::UNIMPLEMENTED:
      return "UNIMPLEMENTED";
    case grpc::StatusCode::INTERNAL:
      return "INTERNAL";
    case grpc::StatusCode::UNAVAILABLE:
      return "UNAVAILABLE";
    case grpc::StatusCode::DATA_LOSS:
      return "DATA_LOSS";
    case grpc::StatusCode::UNAUTHENTICATED:
      return "UNAUTHENTICATED";
    default:
      return "CODE_" + std::to_string(static_cast<int>(code));
  }
}

std::string FormatError(const ErrorDetails& details) {
  std::string line = StatusCodeName(details.code);
  if (!details.reason.empty()) line += " (" + details.reason + ")";
  if (!details.message.empty()) line += ": " + details.message;
  if (!details.metadata.empty()) {
    line += " [";
    bool first = true;
    for (const auto& [key, value] : details.metadata) {
      if (!first) line += ", ";
      first = false;
      line += key + "=" + value;
    }
    line += "]";
  }
  return OneLine(std::move(line));
}

std::string FormatError(const grpc::Status& status) { return FormatError(DecodeError(status)); }

}  // namespace coalition::sdk
