#pragma once

#include <chrono>

#include <grpcpp/support/status.h>

#include "domain/error.h"

namespace coalition::rpc {

inline constexpr const char* kErrorDomain = "coalition.v1";

// An error as a gRPC status whose details carry a google.rpc.Status with a
// google.rpc.ErrorInfo (reason, domain, {"field": ...}).
grpc::Status ToStatus(const domain::Error& error);

// The canonical name of `code` ("OK", "NOT_FOUND", ...), for metrics labels.
const char* StatusCodeName(grpc::StatusCode code);
// RESOURCE_EXHAUSTED/RATE_LIMITED with a google.rpc.RetryInfo saying when a
// retry may succeed.
grpc::Status RateLimitedStatus(std::chrono::nanoseconds retry_after);

}  // namespace coalition::rpc
