#pragma once

#include <grpcpp/support/status.h>

#include "domain/error.h"

namespace coalition::rpc {

inline constexpr const char* kErrorDomain = "coalition.v1";

// An error as a gRPC status whose details carry a google.rpc.Status with a
// google.rpc.ErrorInfo (reason, domain, {"field": ...}).
grpc::Status ToStatus(const domain::Error& error);

// The canonical name of `code` ("OK", "NOT_FOUND", ...), for metrics labels.
const char* StatusCodeName(grpc::StatusCode code);

}  // namespace coalition::rpc
