#pragma once

#include "coalition/sdk/command_line.h"

namespace coalition::cli {

// The SDK's exit codes for command-line tools, plus verify's own.
using sdk::ExitCodeFor;
using sdk::kExitAuth;
using sdk::kExitConflict;
using sdk::kExitFailure;
using sdk::kExitNotFound;
using sdk::kExitOk;
using sdk::kExitUsage;
/// `verify` ran and found at least one violated ledger invariant.
inline constexpr int kExitInvariantViolated = 6;

}  // namespace coalition::cli
