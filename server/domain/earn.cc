#include "domain/earn.h"

#include "domain/limits.h"

namespace coalition::domain {

// GCC extension; exact for the product of two int64 values.
__extension__ using Int128 = __int128;

std::optional<Error> ValidateEarnRate(const EarnRate& rate, const std::string& field) {
  if (rate.points <= 0 || rate.points > kMaxEarnRateTerm) {
    return Error::InvalidArgument(field + ".points", "must be between 1 and 1000000000");
  }
  if (rate.per_amount_minor <= 0 || rate.per_amount_minor > kMaxEarnRateTerm) {
    return Error::InvalidArgument(field + ".per_amount_minor", "must be between 1 and 1000000000");
  }
  return std::nullopt;
}

Result<int64_t> PointsForAmount(const EarnRate& rate, int64_t amount_minor) {
  if (auto error = ValidateEarnRate(rate, "earn_rate")) return *error;
  if (amount_minor < 0) return Error::InvalidArgument("amount", "must not be negative");
  const Int128 product = static_cast<Int128>(amount_minor) * rate.points;
  const Int128 points = product / rate.per_amount_minor;
  if (points > kMaxPointsPerRequest) {
    return Error::InvalidArgument("amount", "earns more points than one request may carry",
                                  "POINTS_LIMIT_EXCEEDED");
  }
  return static_cast<int64_t>(points);
}

}  // namespace coalition::domain
