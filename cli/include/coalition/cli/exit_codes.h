#pragma once

#include <grpcpp/support/status.h>

namespace coalition::cli {

// Distinct codes so scripts can branch without parsing messages.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
/// Bad command line or config, or the server said INVALID_ARGUMENT.
inline constexpr int kExitUsage = 2;
inline constexpr int kExitNotFound = 3;
/// FAILED_PRECONDITION or ALREADY_EXISTS: the request conflicts with state.
inline constexpr int kExitConflict = 4;
/// UNAUTHENTICATED or PERMISSION_DENIED.
inline constexpr int kExitAuth = 5;
/// `verify` ran and found at least one violated ledger invariant.
inline constexpr int kExitInvariantViolated = 6;

/// The exit code for a failed call with `code`.
int ExitCodeFor(grpc::StatusCode code);

}  // namespace coalition::cli
