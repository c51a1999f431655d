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
// methods called by an authenticated caller, audit records with `request`,
// for changes `response` (secrets removed), and `before_json` when the body
// filled it in (the state it replaced).
//
// Audit guarantee: a change (a kWrite method) first commits an INTENT record
// and only then runs `body`; if the INTENT cannot be written the call fails
// UNAVAILABLE/AUDIT_UNAVAILABLE and `body` never runs. Afterwards an OUTCOME
// record names the intent with the final code. So every committed change has
// a record written before it, and a change that failed or rolled back never
// has a success record; a crash between the two leaves an INTENT without an
// OUTCOME (outcome unknown: check the state it names). A body that commits
// in several batches may fail after some of them; its OUTCOME then carries
// the error, and the INTENT still precedes every batch. Reads and refusals
// get one COMPLETED record. Unauthenticated calls are not audited (anyone
// could grow the log): they are counted in coalition_auth_failures_total and
// logged at most every ten seconds. Partner keys are rate limited before the
// role check, so their refused staff calls are bounded too.
grpc::Status RunCall(const Authenticator& auth, const grpc::ServerContext& context,
                     std::string_view method, std::string_view request_id,
                     const CallBody& body, const google::protobuf::Message* request = nullptr,
                     const google::protobuf::Message* response = nullptr,
                     const std::string* before_json = nullptr);

// `message` as JSON with fields that carry secrets (api_key_secret) cleared.
std::string AuditJson(const google::protobuf::Message& message);

}  // namespace coalition::rpc
