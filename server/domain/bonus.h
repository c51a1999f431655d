#pragma once

// Targeted bonuses and the redemption-rate forecast (SPEC §3, §5): request
// validation and the arithmetic around domain::ForecastRedemptionRateBps.

#include <cstdint>
#include <optional>
#include <vector>

#include "domain/error.h"
#include "domain/model.h"
#include "domain/rules.h"

namespace coalition::domain {

inline constexpr int32_t kMaxLapsedDays = 36'500;
// Members one grant may reach; a larger segment is refused rather than
// granted partly.
inline constexpr int64_t kMaxGrantMembers = 10'000'000;
// Points per member in one grant.
inline constexpr int64_t kMaxGrantPointsPerMember = 1'000'000'000;

// The first problem in a grant request (fields "request_id", "points",
// "reason", "top_spenders.percent", "top_spenders.to", "lapsing.days").
std::optional<Error> ValidateNewBonusGrant(const NewBonusGrant& grant);

// points × members. FAILED_PRECONDITION/SEGMENT_TOO_LARGE beyond
// kMaxGrantMembers; INVALID_ARGUMENT/POINTS_LIMIT_EXCEEDED beyond
// kMaxPointsPerRequest.
Result<int64_t> GrantTotalPoints(int64_t points_per_member, int64_t members);

// One version of a partner's earn rules.
struct EarnRulesVersion {
  Timestamp effective_from{};
  EarnRules rules = {};
};

// One monthly earning cohort with its month (first day, UTC).
struct CohortView {
  Timestamp month{};
  Cohort cohort = {};
};

struct RedemptionForecast {
  std::vector<CohortView> cohorts;
  int32_t redemption_rate_bps = 0;
  // 10000 − redemption_rate_bps (0 without cohorts).
  int32_t breakage_rate_bps = 0;
  int64_t issued_points = 0;
  int64_t redeemed_points = 0;
  int64_t expired_points = 0;
  // Points of these cohorts expected never to be redeemed, expired ones
  // included: issued × breakage rate, rounded half up. An estimate.
  int64_t estimated_breakage_points = 0;
};

// The forecast over `cohorts` (ForecastRedemptionRateBps) with its totals.
RedemptionForecast BuildRedemptionForecast(std::vector<CohortView> cohorts);

}  // namespace coalition::domain
