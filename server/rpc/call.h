#pragma once

#include <functional>
#include <string_view>

#include <google/protobuf/message.h>
#include <grpcpp/server_context.h>
#include <grpcpp/support/status.h>

#include "domain/error.h"
#include "rpc/auth.h"

namespace coalition::rpc {

using CallBody = std::function<domain::Result<domain::Ok>(const Principal&)>;

// Runs one RPC the same way everywhere: authorize, apply the partner's rate
// limit, run `body`, turn its error (or an unexpected exception) into a
// status, write one JSON log line with method, caller, request_id, code,
// reason and latency (never PII), and, for administrative and settlement
// methods, one audit record with `request`, for changes `response` (secrets
// removed), and `before_json` when the body filled it in (the state it
// replaced).
grpc::Status RunCall(const Authenticator& auth, const grpc::ServerContext& context,
                     std::string_view method, std::string_view request_id,
                     const CallBody& body, const google::protobuf::Message* request = nullptr,
                     const google::protobuf::Message* response = nullptr,
                     const std::string* before_json = nullptr);

// `message` as JSON with fields that carry secrets (api_key_secret) cleared.
std::string AuditJson(const google::protobuf::Message& message);

}  // namespace coalition::rpc
