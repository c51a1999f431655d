#pragma once

#include <memory>
#include <vector>

#include <grpcpp/support/server_interceptor.h>

namespace coalition::rpc {

// protobuf refuses a request it cannot parse (most often a proto3 string
// field that is not UTF-8) before any handler runs, and gRPC answers that
// with a bare INTERNAL. This interceptor turns exactly that status (INTERNAL,
// no message, no details: nothing of ours looks like it) into
// INVALID_ARGUMENT/MALFORMED_REQUEST, so a bad client is told it is at fault.
std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>>
MalformedRequestInterceptors();

}  // namespace coalition::rpc
