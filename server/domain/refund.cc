#include "domain/refund.h"

#include <algorithm>

#include "domain/limits.h"

namespace coalition::domain {
namespace {

// GCC extension; exact for the product of two int64 values.
__extension__ using Int128 = __int128;

// floor(value * numerator / denominator) for non-negative terms.
int64_t MulDiv(int64_t value, int64_t numerator, int64_t denominator) {
  return static_cast<int64_t>(static_cast<Int128>(value) * numerator / denominator);
}

std::optional<Error> CheckTotals(const PurchaseTotals& p, int64_t point_value_micros,
                                 int64_t minor_unit_micros) {
  const bool consistent =
      p.price_minor > 0 && p.price_minor <= kMaxAmountMinor && p.cash_paid_minor >= 0 &&
      p.cash_paid_minor <= p.price_minor && p.points_paid >= 0 && p.points_earned >= 0 &&
      static_cast<Int128>(p.cash_paid_minor) * minor_unit_micros +
              static_cast<Int128>(p.points_paid) * point_value_micros ==
          static_cast<Int128>(p.price_minor) * minor_unit_micros &&
      p.amount_refunded_minor >= 0 && p.amount_refunded_minor <= p.price_minor &&
      p.cash_returned_minor >= 0 && p.cash_returned_minor <= p.cash_paid_minor &&
      p.points_returned >= 0 && p.points_returned <= p.points_paid && p.points_clawed_back >= 0 &&
      p.points_clawed_back <= p.points_earned;
  if (!consistent) return Error::Internal("purchase totals are inconsistent");
  return std::nullopt;
}

struct Totals {
  int64_t cash = 0;
  int64_t points = 0;
  int64_t clawed_back = 0;
};

// What should have come back once `refunded` (R) of the purchase is refunded.
Totals TargetsAfter(const PurchaseTotals& p, int64_t refunded, RefundPolicy policy,
                    int64_t point_value_micros, int64_t minor_unit_micros) {
  if (refunded == p.price_minor) {
    return {p.cash_paid_minor, policy == RefundPolicy::kPointsForfeited ? 0 : p.points_paid,
            p.points_earned};
  }
  Totals totals;
  totals.clawed_back = MulDiv(p.points_earned, refunded, p.price_minor);
  switch (policy) {
    case RefundPolicy::kProportional:
      totals.cash = MulDiv(p.cash_paid_minor, refunded, p.price_minor);
      totals.points = MulDiv(p.points_paid, refunded, p.price_minor);
      break;
    case RefundPolicy::kCashFirst:
      totals.cash = std::min(p.cash_paid_minor, refunded);
      totals.points = std::min(
          p.points_paid, MulDiv(refunded - totals.cash, minor_unit_micros, point_value_micros));
      break;
    case RefundPolicy::kPointsFirst: {
      totals.points =
          std::min(p.points_paid, MulDiv(refunded, minor_unit_micros, point_value_micros));
      // The value of all the points paid, rounded up to whole minor units.
      const Int128 points_micros = static_cast<Int128>(p.points_paid) * point_value_micros;
      const auto points_value =
          static_cast<int64_t>((points_micros + minor_unit_micros - 1) / minor_unit_micros);
      totals.cash = std::clamp<int64_t>(refunded - points_value, 0, p.cash_paid_minor);
      break;
    }
    case RefundPolicy::kPointsForfeited:
      totals.cash = std::min(p.cash_paid_minor, refunded);
      break;
  }
  return totals;
}

}  // namespace

Result<RefundOutcome> ComputeRefund(const PurchaseTotals& purchase,
                                    std::optional<int64_t> refund_amount_minor, RefundPolicy policy,
                                    int64_t point_value_micros, int64_t minor_unit_micros) {
  if (refund_amount_minor && *refund_amount_minor <= 0) {
    return Error::InvalidArgument("amount", "must be positive");
  }
  if (point_value_micros <= 0 || point_value_micros > kMaxPointValueMicros) {
    return Error::InvalidArgument("point_value_micros", "must be between 1 and 1000000000");
  }
  if (minor_unit_micros <= 0 || minor_unit_micros > 1'000'000) {
    return Error::InvalidArgument("minor_unit_micros", "must be between 1 and 1000000");
  }
  if (auto error = CheckTotals(purchase, point_value_micros, minor_unit_micros)) return *error;

  const int64_t remaining = purchase.price_minor - purchase.amount_refunded_minor;
  if (remaining == 0) {
    return Error::FailedPrecondition("PURCHASE_FULLY_REFUNDED",
                                     "the purchase has already been refunded in full");
  }
  const int64_t amount = refund_amount_minor.value_or(remaining);
  if (amount > remaining) {
    return Error::FailedPrecondition("REFUND_EXCEEDS_PURCHASE",
                                     "the refund is larger than what is left of the purchase");
  }

  const Totals target = TargetsAfter(purchase, purchase.amount_refunded_minor + amount, policy,
                                     point_value_micros, minor_unit_micros);
  RefundOutcome outcome;
  outcome.amount_refunded_minor = amount;
  outcome.cash_to_return_minor = std::max<int64_t>(0, target.cash - purchase.cash_returned_minor);
  outcome.points_to_return = std::max<int64_t>(0, target.points - purchase.points_returned);
  outcome.points_to_claw_back =
      std::max<int64_t>(0, target.clawed_back - purchase.points_clawed_back);
  return outcome;
}

std::optional<int64_t> PointsValueMinor(int64_t points, int64_t point_value_micros,
                                        int64_t minor_unit_micros) {
  if (points < 0 || point_value_micros <= 0 || minor_unit_micros <= 0) return std::nullopt;
  const Int128 micros = static_cast<Int128>(points) * point_value_micros;
  if (micros % minor_unit_micros != 0) return std::nullopt;
  const Int128 minor = micros / minor_unit_micros;
  if (minor > kMaxAmountMinor) return std::nullopt;
  return static_cast<int64_t>(minor);
}

std::vector<Allocation> AllocateInOrder(const std::vector<int64_t>& needs,
                                        const std::vector<int64_t>& supplies, int64_t total) {
  std::vector<Allocation> allocations;
  size_t need = 0;
  size_t supply = 0;
  int64_t need_left = needs.empty() ? 0 : needs[0];
  int64_t supply_left = supplies.empty() ? 0 : supplies[0];
  while (total > 0 && need < needs.size() && supply < supplies.size()) {
    const int64_t amount = std::min({total, need_left, supply_left});
    if (amount > 0) {
      allocations.push_back({need, supply, amount});
      total -= amount;
      need_left -= amount;
      supply_left -= amount;
    }
    if (need_left <= 0 && ++need < needs.size()) need_left = needs[need];
    if (supply_left <= 0 && ++supply < supplies.size()) supply_left = supplies[supply];
  }
  return allocations;
}

}  // namespace coalition::domain
