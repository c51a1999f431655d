#pragma once

#include <functional>
#include <string_view>

#include <grpcpp/server_context.h>
#include <grpcpp/support/status.h>

#include "domain/error.h"
#include "rpc/auth.h"

namespace coalition::rpc {

using CallBody = std::function<domain::Result<domain::Ok>(const Principal&)>;

// Runs one RPC the same way everywhere: authorize, run `body`, turn its error
// (or an unexpected exception) into a status, and write one JSON log line
// with method, partner, request_id, code, reason and latency (never PII).
grpc::Status RunCall(const Authenticator& auth, const grpc::ServerContext& context,
                     std::string_view method, std::string_view request_id,
                     const CallBody& body);

}  // namespace coalition::rpc
