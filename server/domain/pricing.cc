#include "domain/pricing.h"

#include <algorithm>
#include <numeric>
#include <string>

#include "domain/earn.h"
#include "domain/limits.h"

namespace coalition::domain {
namespace {

// GCC extension; exact for the product of two int64 values.
__extension__ using Int128 = __int128;

// The price and the policy in the terms the search for valid points needs.
struct PointsBounds {
  int64_t price_minor = 0;
  int64_t minor_unit_micros = 0;
  int64_t point_value_micros = 0;
  // Valid points amounts are the multiples of `step`: of the block size, and
  // of the smallest count whose value is a whole number of minor units.
  int64_t step = 1;
  int64_t min_points = 0;
  // The largest points amount the share, minimum cash and request limits
  // allow; 0 when no option may use points.
  int64_t max_points = 0;
};

int64_t ClampToInt64(Int128 value) {
  return value > kMaxPointsPerRequest ? kMaxPointsPerRequest : static_cast<int64_t>(value);
}

PointsBounds MakeBounds(int64_t price_minor, int64_t minor_unit_micros,
                        const RedemptionPolicy& policy) {
  PointsBounds bounds;
  bounds.price_minor = price_minor;
  bounds.minor_unit_micros = minor_unit_micros;
  bounds.point_value_micros = policy.point_value_micros;
  // points * value is a whole number of minor units iff points is a multiple
  // of minor_unit_micros / gcd(value, minor_unit_micros) (at most 10^6), so
  // step <= 10^9 * 10^6.
  const int64_t exact_step =
      minor_unit_micros / std::gcd(policy.point_value_micros, minor_unit_micros);
  bounds.step = std::lcm(policy.block_size_points, exact_step);
  bounds.min_points = policy.min_points;

  const Int128 price_micros = static_cast<Int128>(price_minor) * minor_unit_micros;
  // points * value * 10000 <= price * max_share.
  Int128 max_points = price_micros * policy.max_points_share_bps /
                      (static_cast<Int128>(policy.point_value_micros) * kFullShareBps);
  if (policy.min_cash_minor > 0) {
    // cash = price - points * value >= min_cash.
    if (price_minor <= policy.min_cash_minor) {
      max_points = 0;
    } else {
      const Int128 room = static_cast<Int128>(price_minor - policy.min_cash_minor) *
                          minor_unit_micros / policy.point_value_micros;
      max_points = std::min(max_points, room);
    }
  }
  bounds.max_points = ClampToInt64(max_points);
  return bounds;
}

// The largest valid points amount not above `limit`, or 0 when there is none.
int64_t LargestValidPoints(const PointsBounds& bounds, int64_t limit) {
  const int64_t cap = std::min(limit, bounds.max_points);
  if (cap <= 0) return 0;
  const int64_t points = cap / bounds.step * bounds.step;
  if (points == 0 || points < bounds.min_points) return 0;
  return points;
}

// Cash that covers the rest of the price; `points` must be exact.
int64_t CashFor(const PointsBounds& bounds, int64_t points) {
  const Int128 points_micros = static_cast<Int128>(points) * bounds.point_value_micros;
  return bounds.price_minor - static_cast<int64_t>(points_micros / bounds.minor_unit_micros);
}

}  // namespace

std::optional<Error> ValidateRedemptionPolicy(const RedemptionPolicy& policy) {
  if (policy.point_value_micros <= 0 || policy.point_value_micros > kMaxPointValueMicros) {
    return Error::InvalidArgument("point_value_micros", "must be between 1 and 1000000000");
  }
  if (policy.block_size_points <= 0 || policy.block_size_points > kMaxBlockSizePoints) {
    return Error::InvalidArgument("block_size_points", "must be between 1 and 1000000000");
  }
  if (policy.min_points < 0 || policy.min_points > kMaxMinPoints) {
    return Error::InvalidArgument("min_points", "must be between 0 and 1000000000000");
  }
  if (policy.max_points_share_bps < 0 || policy.max_points_share_bps > kFullShareBps) {
    return Error::InvalidArgument("max_points_share_bps", "must be between 0 and 10000");
  }
  if (policy.min_cash_minor < 0 || policy.min_cash_minor > kMaxAmountMinor) {
    return Error::InvalidArgument("min_cash_minor", "must be between 0 and 1000000000000");
  }
  const auto& splits = policy.split_points_share_bps;
  if (splits.size() > static_cast<size_t>(kMaxSplits)) {
    return Error::InvalidArgument("split_points_share_bps", "must have at most 10 splits");
  }
  for (size_t i = 0; i < splits.size(); ++i) {
    if (splits[i] <= 0 || splits[i] > kFullShareBps) {
      return Error::InvalidArgument("split_points_share_bps",
                                    "each split must be between 1 and 10000 basis points");
    }
    if (std::find(splits.begin(), splits.begin() + static_cast<std::ptrdiff_t>(i), splits[i]) !=
        splits.begin() + static_cast<std::ptrdiff_t>(i)) {
      return Error::InvalidArgument("split_points_share_bps", "splits must be distinct");
    }
  }
  return std::nullopt;
}

Result<std::vector<PaymentOption>> QuotePrice(int64_t price_minor, int64_t minor_unit_micros,
                                              const RedemptionPolicy& policy,
                                              const EarnRate& earn_rate,
                                              std::optional<int64_t> member_available_points) {
  if (price_minor <= 0 || price_minor > kMaxAmountMinor) {
    return Error::InvalidArgument("price.amount_minor", "must be between 1 and 1000000000000");
  }
  if (minor_unit_micros <= 0 || minor_unit_micros > 1'000'000) {
    return Error::InvalidArgument("minor_unit_micros", "must be between 1 and 1000000");
  }
  if (auto error = ValidateRedemptionPolicy(policy)) return *error;
  if (auto error = ValidateEarnRate(earn_rate, "earn_rate")) return *error;

  const PointsBounds bounds = MakeBounds(price_minor, minor_unit_micros, policy);
  std::optional<int64_t> available;
  if (member_available_points) available = std::max<int64_t>(*member_available_points, 0);

  std::vector<PaymentOption> options;
  auto listed = [&options](int64_t points) {
    return std::any_of(options.begin(), options.end(),
                       [points](const PaymentOption& option) { return option.points == points; });
  };
  auto add = [&](OptionKind kind, int32_t share_bps, int64_t points) -> std::optional<Error> {
    const int64_t cash = CashFor(bounds, points);
    auto earned = PointsForAmount(earn_rate, cash);
    if (!earned) return earned.error();
    options.push_back({kind, share_bps, cash, points, *earned});
    return std::nullopt;
  };

  if (auto error = add(OptionKind::kAllCash, 0, 0)) return *error;

  // All points: the whole price, exactly, with nothing left in cash.
  const Int128 price_micros = static_cast<Int128>(price_minor) * minor_unit_micros;
  if (policy.max_points_share_bps == kFullShareBps && policy.min_cash_minor == 0 &&
      price_micros % policy.point_value_micros == 0) {
    const Int128 all_points = price_micros / policy.point_value_micros;
    if (all_points <= kMaxPointsPerRequest &&
        LargestValidPoints(bounds, static_cast<int64_t>(all_points)) == all_points &&
        (!available || all_points <= *available)) {
      if (auto error =
              add(OptionKind::kAllPoints, kFullShareBps, static_cast<int64_t>(all_points))) {
        return *error;
      }
    }
  }

  for (int32_t share_bps : policy.split_points_share_bps) {
    const Int128 target =
        price_micros * share_bps / (static_cast<Int128>(policy.point_value_micros) * kFullShareBps);
    const int64_t points = LargestValidPoints(bounds, ClampToInt64(target));
    if (points == 0 || listed(points)) continue;
    if (available && points > *available) continue;
    if (auto error = add(OptionKind::kSplit, share_bps, points)) return *error;
  }

  if (available) {
    const int64_t points = LargestValidPoints(bounds, *available);
    if (points > 0 && !listed(points)) {
      const auto share_bps = static_cast<int32_t>(
          static_cast<Int128>(points) * policy.point_value_micros * kFullShareBps / price_micros);
      if (auto error = add(OptionKind::kMaxAffordable, share_bps, points)) return *error;
    }
  }
  return options;
}

}  // namespace coalition::domain
