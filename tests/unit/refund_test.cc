// Unit tests of server/domain/refund: ComputeRefund under each refund policy,
// hand-computed cases and property tests over random refund sequences.

#include "domain/refund.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <numeric>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "domain/error.h"
#include "domain/limits.h"
#include "domain/pricing.h"

namespace coalition::domain::test {
namespace {

__extension__ using Int128 = __int128;

constexpr int64_t kUsdMinorMicros = 10'000;
constexpr int64_t kHalfCent = 5'000;

const RefundPolicy kAllPolicies[] = {RefundPolicy::kProportional, RefundPolicy::kCashFirst,
                                     RefundPolicy::kPointsFirst, RefundPolicy::kPointsForfeited};

std::string Name(RefundPolicy policy) {
  switch (policy) {
    case RefundPolicy::kProportional:
      return "PROPORTIONAL";
    case RefundPolicy::kCashFirst:
      return "CASH_FIRST";
    case RefundPolicy::kPointsFirst:
      return "POINTS_FIRST";
    case RefundPolicy::kPointsForfeited:
      return "POINTS_FORFEITED";
  }
  return "?";
}

// $100 paid as $20 cash + 16,000 points at half a cent; the cash earned 20 points.
PurchaseTotals HundredDollarPurchase() {
  PurchaseTotals p{};
  p.price_minor = 10'000;
  p.cash_paid_minor = 2'000;
  p.points_paid = 16'000;
  p.points_earned = 20;
  return p;
}

// Records `outcome` as done in `p`.
void Apply(PurchaseTotals& p, const RefundOutcome& outcome) {
  p.amount_refunded_minor += outcome.amount_refunded_minor;
  p.cash_returned_minor += outcome.cash_to_return_minor;
  p.points_returned += outcome.points_to_return;
  p.points_clawed_back += outcome.points_to_claw_back;
}

TEST(RefundHandComputed, EachPolicy) {
  struct Case {
    RefundPolicy policy;
    std::optional<int64_t> amount;
    int64_t cash;
    int64_t points;
    int64_t claw_back;
  };
  const std::vector<Case> cases = {
      {RefundPolicy::kProportional, 5'000, 1'000, 8'000, 10},
      {RefundPolicy::kProportional, 1, 0, 1, 0},
      {RefundPolicy::kProportional, std::nullopt, 2'000, 16'000, 20},
      {RefundPolicy::kProportional, 10'000, 2'000, 16'000, 20},
      {RefundPolicy::kCashFirst, 1'500, 1'500, 0, 3},
      {RefundPolicy::kCashFirst, 5'000, 2'000, 6'000, 10},
      {RefundPolicy::kCashFirst, std::nullopt, 2'000, 16'000, 20},
      {RefundPolicy::kPointsFirst, 5'000, 0, 10'000, 10},
      {RefundPolicy::kPointsFirst, 8'000, 0, 16'000, 16},
      {RefundPolicy::kPointsFirst, 9'000, 1'000, 16'000, 18},
      {RefundPolicy::kPointsFirst, std::nullopt, 2'000, 16'000, 20},
      {RefundPolicy::kPointsForfeited, 1'000, 1'000, 0, 2},
      {RefundPolicy::kPointsForfeited, 5'000, 2'000, 0, 10},
      {RefundPolicy::kPointsForfeited, std::nullopt, 2'000, 0, 20},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(Name(c.policy) + " amount " + (c.amount ? std::to_string(*c.amount) : "all"));
    auto outcome =
        ComputeRefund(HundredDollarPurchase(), c.amount, c.policy, kHalfCent, kUsdMinorMicros);
    ASSERT_TRUE(outcome.ok()) << outcome.error().message;
    EXPECT_EQ(outcome->amount_refunded_minor, c.amount.value_or(10'000));
    EXPECT_EQ(outcome->cash_to_return_minor, c.cash);
    EXPECT_EQ(outcome->points_to_return, c.points);
    EXPECT_EQ(outcome->points_to_claw_back, c.claw_back);
  }
}

TEST(RefundHandComputed, ProportionalThirdsAddUp) {
  PurchaseTotals p = HundredDollarPurchase();
  struct Step {
    std::optional<int64_t> amount;
    int64_t cash;
    int64_t points;
    int64_t claw_back;
  };
  // Cumulative: R=3333 -> 666 / 5332 / 6; R=6666 -> 1333 / 10665 / 13; R=10000 -> all.
  const std::vector<Step> steps = {
      {3'333, 666, 5'332, 6}, {3'333, 667, 5'333, 7}, {std::nullopt, 667, 5'335, 7}};
  for (const auto& step : steps) {
    auto outcome =
        ComputeRefund(p, step.amount, RefundPolicy::kProportional, kHalfCent, kUsdMinorMicros);
    ASSERT_TRUE(outcome.ok());
    EXPECT_EQ(outcome->cash_to_return_minor, step.cash);
    EXPECT_EQ(outcome->points_to_return, step.points);
    EXPECT_EQ(outcome->points_to_claw_back, step.claw_back);
    Apply(p, *outcome);
  }
  EXPECT_EQ(p.cash_returned_minor, 2'000);
  EXPECT_EQ(p.points_returned, 16'000);
  EXPECT_EQ(p.points_clawed_back, 20);
}

TEST(RefundHandComputed, PointsFirstWithPointsWorthAFractionOfAMinorUnit) {
  // A point worth 1.5 cents; 10 cents paid as 4 cents + 4 points (6 cents).
  PurchaseTotals p{};
  p.price_minor = 10;
  p.cash_paid_minor = 4;
  p.points_paid = 4;
  p.points_earned = 0;
  struct Step {
    int64_t amount;
    int64_t cash;
    int64_t points;
  };
  // Cumulative points: floor(R / 1.5) up to 4; cash only beyond 6 cents.
  const std::vector<Step> steps = {{1, 0, 0}, {1, 0, 1}, {1, 0, 1},
                                   {3, 0, 2}, {1, 1, 0}, {3, 3, 0}};
  for (const auto& step : steps) {
    SCOPED_TRACE("after " + std::to_string(p.amount_refunded_minor + step.amount));
    auto outcome =
        ComputeRefund(p, step.amount, RefundPolicy::kPointsFirst, 15'000, kUsdMinorMicros);
    ASSERT_TRUE(outcome.ok());
    EXPECT_EQ(outcome->cash_to_return_minor, step.cash);
    EXPECT_EQ(outcome->points_to_return, step.points);
    Apply(p, *outcome);
  }
  EXPECT_EQ(p.cash_returned_minor, 4);
  EXPECT_EQ(p.points_returned, 4);
}

TEST(RefundHandComputed, CashOnlyAndPointsOnlyPurchases) {
  PurchaseTotals cash_only{};
  cash_only.price_minor = 999;
  cash_only.cash_paid_minor = 999;
  cash_only.points_earned = 9;
  PurchaseTotals points_only{};
  points_only.price_minor = 1'000;
  points_only.points_paid = 2'000;
  for (RefundPolicy policy : kAllPolicies) {
    SCOPED_TRACE(Name(policy));
    auto outcome = ComputeRefund(cash_only, 500, policy, kHalfCent, kUsdMinorMicros);
    ASSERT_TRUE(outcome.ok());
    EXPECT_EQ(outcome->cash_to_return_minor, 500);
    EXPECT_EQ(outcome->points_to_return, 0);
    EXPECT_EQ(outcome->points_to_claw_back, 4);
    outcome = ComputeRefund(points_only, 500, policy, kHalfCent, kUsdMinorMicros);
    ASSERT_TRUE(outcome.ok());
    EXPECT_EQ(outcome->cash_to_return_minor, 0);
    EXPECT_EQ(outcome->points_to_return, policy == RefundPolicy::kPointsForfeited ? 0 : 1'000);
    EXPECT_EQ(outcome->points_to_claw_back, 0);
  }
}

TEST(RefundErrors, BadAmounts) {
  for (int64_t amount : {int64_t{0}, int64_t{-1}}) {
    auto outcome = ComputeRefund(HundredDollarPurchase(), amount, RefundPolicy::kProportional,
                                 kHalfCent, kUsdMinorMicros);
    ASSERT_FALSE(outcome.ok());
    EXPECT_EQ(outcome.error().code, ErrorCode::kInvalidArgument);
    EXPECT_EQ(outcome.error().field, "amount");
  }
  PurchaseTotals p = HundredDollarPurchase();
  p.amount_refunded_minor = 6'000;
  p.cash_returned_minor = 1'200;
  p.points_returned = 9'600;
  p.points_clawed_back = 12;
  auto outcome = ComputeRefund(p, 4'001, RefundPolicy::kProportional, kHalfCent, kUsdMinorMicros);
  ASSERT_FALSE(outcome.ok());
  EXPECT_EQ(outcome.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_EQ(outcome.error().reason, "REFUND_EXCEEDS_PURCHASE");
  EXPECT_TRUE(
      ComputeRefund(p, 4'000, RefundPolicy::kProportional, kHalfCent, kUsdMinorMicros).ok());

  p.amount_refunded_minor = 10'000;
  p.cash_returned_minor = 2'000;
  p.points_returned = 16'000;
  p.points_clawed_back = 20;
  for (std::optional<int64_t> amount : {std::optional<int64_t>(), std::optional<int64_t>(1)}) {
    outcome = ComputeRefund(p, amount, RefundPolicy::kProportional, kHalfCent, kUsdMinorMicros);
    ASSERT_FALSE(outcome.ok());
    EXPECT_EQ(outcome.error().code, ErrorCode::kFailedPrecondition);
    EXPECT_EQ(outcome.error().reason, "PURCHASE_FULLY_REFUNDED");
  }
}

TEST(RefundErrors, InconsistentTotalsOrUnits) {
  auto check = [](PurchaseTotals p, ErrorCode code, int64_t value = kHalfCent,
                  int64_t minor = kUsdMinorMicros) {
    auto outcome = ComputeRefund(p, 100, RefundPolicy::kProportional, value, minor);
    ASSERT_FALSE(outcome.ok());
    EXPECT_EQ(outcome.error().code, code);
  };
  check(HundredDollarPurchase(), ErrorCode::kInvalidArgument, 0);
  check(HundredDollarPurchase(), ErrorCode::kInvalidArgument, kHalfCent, 0);
  PurchaseTotals p = HundredDollarPurchase();
  p.points_paid = 16'001;  // no longer adds up to the price
  check(p, ErrorCode::kInternal);
  p = HundredDollarPurchase();
  p.price_minor = 0;
  check(p, ErrorCode::kInternal);
  p = HundredDollarPurchase();
  p.cash_returned_minor = 2'001;
  check(p, ErrorCode::kInternal);
  p = HundredDollarPurchase();
  p.points_returned = -1;
  check(p, ErrorCode::kInternal);
  p = HundredDollarPurchase();
  p.points_clawed_back = 21;
  check(p, ErrorCode::kInternal);
  p = HundredDollarPurchase();
  p.amount_refunded_minor = 10'001;
  check(p, ErrorCode::kInternal);
}

// ---- Properties over random purchases and refund sequences ----

struct RandomPurchase {
  PurchaseTotals totals;
  int64_t point_value_micros;
  int64_t minor_unit_micros;
};

RandomPurchase MakeRandomPurchase(std::mt19937_64& rng) {
  auto uniform = [&rng](int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(rng);
  };
  auto pick = [&](std::initializer_list<int64_t> values) {
    return *(values.begin() + uniform(0, static_cast<int64_t>(values.size()) - 1));
  };
  RandomPurchase r{};
  r.minor_unit_micros = pick({10'000, 10'000, 1'000'000, 1'000});
  r.point_value_micros =
      pick({kHalfCent, 12'500, 15'000, 3'000, 7, uniform(1, 1'000'000), uniform(1, 1'000'000'000)});
  // Points whose value is a whole number of minor units.
  const int64_t step = r.minor_unit_micros / std::gcd(r.point_value_micros, r.minor_unit_micros);
  const int64_t scale = pick({100, 10'000, 1'000'000, kMaxAmountMinor / 2});
  const int64_t cash = pick({0, uniform(0, scale)});
  // Value of the points, in minor units, at most `scale`.
  const int64_t max_units =
      scale /
      std::max<int64_t>(1, static_cast<int64_t>(static_cast<Int128>(step) * r.point_value_micros /
                                                r.minor_unit_micros));
  int64_t units = pick({0, uniform(0, max_units), max_units});
  if (cash == 0 && units == 0) units = 1;
  r.totals.points_paid = units * step;
  r.totals.cash_paid_minor = cash;
  r.totals.price_minor = cash + static_cast<int64_t>(static_cast<Int128>(r.totals.points_paid) *
                                                     r.point_value_micros / r.minor_unit_micros);
  r.totals.points_earned = pick({0, uniform(0, 1'000), uniform(0, kMaxPointsPerRequest)});
  return r;
}

TEST(RefundProperty, RandomSequencesAddUpAndNeverOverReturn) {
  std::mt19937_64 rng(42);
  auto uniform = [&rng](int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(rng);
  };
  int sequences = 0;
  int steps_total = 0;
  for (int i = 0; i < 5'000; ++i) {
    const RandomPurchase r = MakeRandomPurchase(rng);
    if (r.totals.price_minor > kMaxAmountMinor) continue;
    for (RefundPolicy policy : kAllPolicies) {
      SCOPED_TRACE("case " + std::to_string(i) + " " + Name(policy) + " price " +
                   std::to_string(r.totals.price_minor) + " cash " +
                   std::to_string(r.totals.cash_paid_minor) + " points " +
                   std::to_string(r.totals.points_paid) + " value " +
                   std::to_string(r.point_value_micros) + " minor " +
                   std::to_string(r.minor_unit_micros));
      ++sequences;
      PurchaseTotals p = r.totals;
      for (int step = 0; p.amount_refunded_minor < p.price_minor; ++step) {
        const int64_t remaining = p.price_minor - p.amount_refunded_minor;
        std::optional<int64_t> amount;
        switch (uniform(0, 5)) {
          case 0:
            amount = std::nullopt;
            break;
          case 1:
            amount = std::min<int64_t>(remaining, uniform(1, 3));
            break;
          case 2:
            amount = remaining;
            break;
          default:
            amount = uniform(1, std::max<int64_t>(1, remaining / uniform(1, 4)));
        }
        if (step > 30) amount = std::nullopt;
        // Too much is refused and changes nothing.
        auto over = ComputeRefund(p, remaining + uniform(1, 1000), policy, r.point_value_micros,
                                  r.minor_unit_micros);
        ASSERT_FALSE(over.ok());
        EXPECT_EQ(over.error().reason, "REFUND_EXCEEDS_PURCHASE");

        auto outcome = ComputeRefund(p, amount, policy, r.point_value_micros, r.minor_unit_micros);
        ASSERT_TRUE(outcome.ok()) << outcome.error().message;
        // A retry with the same state computes the same outcome.
        auto retry = ComputeRefund(p, amount, policy, r.point_value_micros, r.minor_unit_micros);
        ASSERT_TRUE(retry.ok());
        EXPECT_EQ(retry->cash_to_return_minor, outcome->cash_to_return_minor);
        EXPECT_EQ(retry->points_to_return, outcome->points_to_return);
        EXPECT_EQ(retry->points_to_claw_back, outcome->points_to_claw_back);
        EXPECT_EQ(outcome->amount_refunded_minor, amount.value_or(remaining));
        EXPECT_GE(outcome->cash_to_return_minor, 0);
        EXPECT_GE(outcome->points_to_return, 0);
        EXPECT_GE(outcome->points_to_claw_back, 0);
        Apply(p, *outcome);
        ++steps_total;

        // Never more than the purchase involved.
        EXPECT_LE(p.cash_returned_minor, p.cash_paid_minor);
        EXPECT_LE(p.points_returned, p.points_paid);
        EXPECT_LE(p.points_clawed_back, p.points_earned);
        if (policy == RefundPolicy::kPointsForfeited) {
          EXPECT_EQ(p.points_returned, 0);
        }
        // The value returned so far never exceeds the value refunded.
        EXPECT_TRUE(static_cast<Int128>(p.cash_returned_minor) * r.minor_unit_micros +
                        static_cast<Int128>(p.points_returned) * r.point_value_micros <=
                    static_cast<Int128>(p.amount_refunded_minor) * r.minor_unit_micros);
        // Partial refunds add up: the same as refunding everything so far at once.
        PurchaseTotals fresh = r.totals;
        auto at_once = ComputeRefund(fresh, p.amount_refunded_minor, policy, r.point_value_micros,
                                     r.minor_unit_micros);
        ASSERT_TRUE(at_once.ok());
        EXPECT_EQ(at_once->cash_to_return_minor, p.cash_returned_minor);
        EXPECT_EQ(at_once->points_to_return, p.points_returned);
        EXPECT_EQ(at_once->points_to_claw_back, p.points_clawed_back);
        // Clawback is proportional, rounded down.
        EXPECT_TRUE(static_cast<Int128>(p.points_clawed_back) * p.price_minor <=
                    static_cast<Int128>(p.points_earned) * p.amount_refunded_minor);
        if (HasFailure()) return;
      }
      // The full sequence returns exactly what was paid and claws back what was earned.
      EXPECT_EQ(p.cash_returned_minor, p.cash_paid_minor);
      EXPECT_EQ(p.points_returned, policy == RefundPolicy::kPointsForfeited ? 0 : p.points_paid);
      EXPECT_EQ(p.points_clawed_back, p.points_earned);
      // And nothing more, however often it is retried.
      auto again =
          ComputeRefund(p, std::nullopt, policy, r.point_value_micros, r.minor_unit_micros);
      ASSERT_FALSE(again.ok());
      EXPECT_EQ(again.error().reason, "PURCHASE_FULLY_REFUNDED");
      if (HasFailure()) return;
    }
  }
  EXPECT_GT(sequences, 10'000);
  EXPECT_GT(steps_total, 30'000);
}

// Refund outcomes are monotone in the amount: refunding more never returns
// less of anything (so no later refund has a negative delta to hide).
TEST(RefundProperty, MonotoneInTheAmount) {
  std::mt19937_64 rng(99);
  for (int i = 0; i < 5'000; ++i) {
    const RandomPurchase r = MakeRandomPurchase(rng);
    if (r.totals.price_minor > kMaxAmountMinor) continue;
    const int64_t price = r.totals.price_minor;
    std::uniform_int_distribution<int64_t> amounts(1, price);
    int64_t a = amounts(rng);
    int64_t b = amounts(rng);
    if (a > b) std::swap(a, b);
    for (RefundPolicy policy : kAllPolicies) {
      SCOPED_TRACE("case " + std::to_string(i) + " " + Name(policy));
      auto first = ComputeRefund(r.totals, a, policy, r.point_value_micros, r.minor_unit_micros);
      auto second = ComputeRefund(r.totals, b, policy, r.point_value_micros, r.minor_unit_micros);
      ASSERT_TRUE(first.ok() && second.ok());
      EXPECT_LE(first->cash_to_return_minor, second->cash_to_return_minor);
      EXPECT_LE(first->points_to_return, second->points_to_return);
      EXPECT_LE(first->points_to_claw_back, second->points_to_claw_back);
      if (HasFailure()) return;
    }
  }
}

}  // namespace
}  // namespace coalition::domain::test
