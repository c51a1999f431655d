#include "domain/bonus.h"

#include <string>

#include "domain/limits.h"
#include "domain/validation.h"

namespace coalition::domain {

std::optional<Error> ValidateNewBonusGrant(const NewBonusGrant& grant) {
  if (auto e = ValidateRequestId(grant.request_id)) return e;
  if (grant.points <= 0 || grant.points > kMaxGrantPointsPerMember) {
    return Error::InvalidArgument("points", "must be between 1 and " +
                                                std::to_string(kMaxGrantPointsPerMember));
  }
  if (auto e = ValidateRequiredText(grant.reason, kMaxNameLength, "reason")) return e;
  switch (grant.segment) {
    case GrantSegment::kTopSpenders:
      if (grant.top_percent < 1 || grant.top_percent > 100) {
        return Error::InvalidArgument("top_spenders.percent", "must be between 1 and 100");
      }
      if (grant.spend_to <= grant.spend_from) {
        return Error::InvalidArgument("top_spenders.to", "must be after from");
      }
      if (grant.spend_from > grant.as_of) {
        return Error::InvalidArgument("top_spenders.from", "must not be in the future");
      }
      break;
    case GrantSegment::kLapsing:
      if (grant.lapsed_days < 1 || grant.lapsed_days > kMaxLapsedDays) {
        return Error::InvalidArgument("lapsing.days",
                                      "must be between 1 and " + std::to_string(kMaxLapsedDays));
      }
      break;
  }
  return std::nullopt;
}

Result<int64_t> GrantTotalPoints(int64_t points_per_member, int64_t members) {
  if (members > kMaxGrantMembers) {
    return Error::FailedPrecondition("SEGMENT_TOO_LARGE",
                                     "the segment has " + std::to_string(members) +
                                         " members, more than the " +
                                         std::to_string(kMaxGrantMembers) + " a grant may reach");
  }
  int64_t total = 0;
  if (__builtin_mul_overflow(points_per_member, members, &total) ||
      total > kMaxPointsPerRequest) {
    return Error::InvalidArgument("points", "points × members exceeds what one grant may carry",
                                  "POINTS_LIMIT_EXCEEDED");
  }
  return total;
}

RedemptionForecast BuildRedemptionForecast(std::vector<CohortView> cohorts) {
  RedemptionForecast forecast;
  std::vector<Cohort> plain;
  plain.reserve(cohorts.size());
  for (const auto& view : cohorts) {
    plain.push_back(view.cohort);
    forecast.issued_points += view.cohort.issued;
    forecast.redeemed_points += view.cohort.redeemed;
    forecast.expired_points += view.cohort.expired;
  }
  forecast.cohorts = std::move(cohorts);
  if (forecast.issued_points <= 0) return forecast;
  forecast.redemption_rate_bps = ForecastRedemptionRateBps(plain);
  forecast.breakage_rate_bps = kOneTimesBps - forecast.redemption_rate_bps;
  // 128-bit: issued may be up to a ledger's total, times 10^4.
  __extension__ using Int128 = __int128;
  const Int128 scaled = static_cast<Int128>(forecast.issued_points) * forecast.breakage_rate_bps;
  forecast.estimated_breakage_points =
      static_cast<int64_t>((scaled + kOneTimesBps / 2) / kOneTimesBps);
  return forecast;
}

}  // namespace coalition::domain
