#pragma once

#include <grpcpp/support/status.h>

#include <map>
#include <string>

namespace coalition::sdk {

/// A failed call, decoded: the gRPC code and message plus the machine-readable
/// google.rpc.ErrorInfo that Coalition sends in the `grpc-status-details-bin`
/// trailer. Branch on `code` and `reason`; `message` is for humans and may change.
struct ErrorDetails {
  grpc::StatusCode code = grpc::StatusCode::OK;
  std::string message;
  /// UPPER_SNAKE_CASE, e.g. "INSUFFICIENT_POINTS". Empty when the status
  /// carried no ErrorInfo (errors raised by gRPC itself, e.g. UNAVAILABLE).
  std::string reason;
  /// "coalition.v1" for errors from the service.
  std::string domain;
  /// Extra facts, e.g. {"field": "card_number"}.
  std::map<std::string, std::string> metadata;
};

/// Decodes `status`. Never fails: malformed or missing details leave
/// `reason`, `domain` and `metadata` empty.
ErrorDetails DecodeError(const grpc::Status& status);

/// The canonical upper-case name of `code`, e.g. "NOT_FOUND".
std::string StatusCodeName(grpc::StatusCode code);

/// One line for logs and terminals, e.g.
/// `NOT_FOUND (MEMBER_NOT_FOUND): member not found [field=card_number]`.
std::string FormatError(const grpc::Status& status);
std::string FormatError(const ErrorDetails& details);

}  // namespace coalition::sdk
