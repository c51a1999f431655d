#pragma once

#include <cstdint>

#include "domain/error.h"
#include "domain/model.h"

namespace coalition::domain {

// Points earned on `amount_minor` at `rate`, rounded down (a member never gets
// a fraction of a point the partner did not buy). Exact: 128-bit intermediate.
Result<int64_t> PointsForAmount(const EarnRate& rate, int64_t amount_minor);

// Checks that a rate is usable: both terms positive and bounded.
std::optional<Error> ValidateEarnRate(const EarnRate& rate, const std::string& field);

}  // namespace coalition::domain
