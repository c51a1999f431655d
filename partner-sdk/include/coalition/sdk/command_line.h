#pragma once

#include <grpcpp/support/status.h>

namespace coalition::sdk {

/// Exit codes for command-line tools built on the SDK (coalitionctl, the
/// till example), distinct so that scripts can branch without parsing text.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
/// Bad command line or configuration, or the server said INVALID_ARGUMENT.
inline constexpr int kExitUsage = 2;
inline constexpr int kExitNotFound = 3;
/// FAILED_PRECONDITION or ALREADY_EXISTS: the request conflicts with state.
inline constexpr int kExitConflict = 4;
/// UNAUTHENTICATED or PERMISSION_DENIED.
inline constexpr int kExitAuth = 5;

/// The exit code for a call that ended with `code`.
int ExitCodeFor(grpc::StatusCode code);

/// gRPC core reports transport failures (a failed TLS handshake, say) on
/// stderr by itself, while the tool prints the final status in one line;
/// this silences the core unless GRPC_VERBOSITY is set (for debugging).
void QuietGrpcLogs();

}  // namespace coalition::sdk
