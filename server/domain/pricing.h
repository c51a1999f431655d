#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "domain/error.h"
#include "domain/model.h"

namespace coalition::domain {

// How the cash and points of a mixed payment come back on a refund (SPEC §4).
enum class RefundPolicy { kProportional, kCashFirst, kPointsFirst, kPointsForfeited };

// A partner's cash-plus-points redemption policy (SPEC §4, issue 5).
struct RedemptionPolicy {
  // Value of one point in micro-units of the major currency (5000 = half a cent).
  int64_t point_value_micros = 0;
  // Points are spent in multiples of this.
  int64_t block_size_points = 1;
  // Smallest non-zero points payment.
  int64_t min_points = 0;
  // Largest share of a price payable by points, in basis points.
  int32_t max_points_share_bps = 10000;
  // Smallest cash part of any option that uses points (0: all-points allowed).
  int64_t min_cash_minor = 0;
  // Fixed splits: the points share of each, in basis points, e.g. {8000, 6000}.
  std::vector<int32_t> split_points_share_bps;
  RefundPolicy refund_policy = RefundPolicy::kProportional;
};

inline constexpr int64_t kMaxPointValueMicros = 1'000'000'000;
inline constexpr int64_t kMaxBlockSizePoints = 1'000'000'000;
inline constexpr int64_t kMaxMinPoints = 1'000'000'000'000;
inline constexpr int kMaxSplits = 10;
inline constexpr int32_t kFullShareBps = 10000;

// Checks a policy: the first problem as an INVALID_ARGUMENT error naming the
// field (point_value_micros, block_size_points, min_points,
// max_points_share_bps, min_cash_minor, split_points_share_bps).
std::optional<Error> ValidateRedemptionPolicy(const RedemptionPolicy& policy);

enum class OptionKind { kAllCash, kAllPoints, kSplit, kMaxAffordable };

struct PaymentOption {
  OptionKind kind = OptionKind::kAllCash;
  // kAllCash: 0; kAllPoints: 10000; kSplit: the configured split; kMaxAffordable:
  // the actual points share of the price, rounded down. The cash and points
  // below are authoritative: block size and exactness may move a split a
  // little below its nominal share.
  int32_t points_share_bps = 0;
  int64_t cash_minor = 0;
  int64_t points = 0;
  // Points the cash part earns at the partner's earn rate (points pay nothing).
  int64_t points_earned = 0;
};

// The payment options for a price of `price_minor` under `policy`.
//
// `minor_unit_micros`: micro-units in one minor unit of the currency (10'000
// for 2-decimal currencies such as USD; see MinorUnitMicros in currency.h).
// `member_available_points`: the member's available points when the member is
// known (a negative value, clawback debt, counts as 0); nullopt otherwise.
//
// Every option is exact, in integers:
//   cash_minor * minor_unit_micros + points * point_value_micros
//     == price_minor * minor_unit_micros
// and honours the policy: points is a multiple of the block size, 0 or at
// least min_points, worth at most max_points_share_bps of the price, at most
// kMaxPointsPerRequest, and an option with points leaves at least
// min_cash_minor in cash.
//
// Rounding (the one place it happens): a split's points are the largest valid
// amount not above its nominal share, i.e. points are rounded DOWN to a
// multiple of the block size whose value is a whole number of minor units,
// and cash covers the rest. An option that cannot be made exact is not
// offered.
//
// Order: all cash (always), all points (when the policy allows it and it is
// exact), the splits in configured order (a split that comes to 0 points, or
// to the same points as an option already listed, is left out), and for a
// known member the largest amount of points they can afford (unless 0 or
// already listed). For a known member, options needing more points than
// available are left out.
//
// Errors: INVALID_ARGUMENT for a price outside 1..kMaxAmountMinor (field
// "price.amount_minor"), a bad minor_unit_micros, policy or earn rate.
Result<std::vector<PaymentOption>> QuotePrice(int64_t price_minor, int64_t minor_unit_micros,
                                              const RedemptionPolicy& policy,
                                              const EarnRate& earn_rate,
                                              std::optional<int64_t> member_available_points);

}  // namespace coalition::domain
