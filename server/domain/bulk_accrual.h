#pragma once

#include <optional>

#include "domain/error.h"
#include "domain/model.h"

namespace coalition::domain {

// What became of one line of a bulk accrual (LedgerService::BatchAccrue).
struct BulkAccrualOutcome {
  enum class Kind { kApplied, kReplayed, kRejected };
  Kind kind = Kind::kRejected;
  AccrueResult result = {};          // applied, or replayed from the stored response
  std::optional<Error> error = {};   // rejected: nothing was written for the line
};

}  // namespace coalition::domain
