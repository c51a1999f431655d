// Unit tests of server/domain/pricing: redemption policy validation and
// QuotePrice, table-driven and property-based (fixed-seed random policies).

#include "domain/pricing.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <numeric>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "domain/earn.h"
#include "domain/error.h"
#include "domain/limits.h"
#include "domain/model.h"

namespace coalition::domain::test {
namespace {

__extension__ using Int128 = __int128;

constexpr int64_t kUsdMinorMicros = 10'000;
const EarnRate kOnePointPerDollar{1, 100};

RedemptionPolicy HalfCentPolicy() {
  RedemptionPolicy policy;
  policy.point_value_micros = 5'000;  // half a cent
  policy.block_size_points = 2'000;   // 2,000 points = $10
  policy.split_points_share_bps = {8000, 6000};
  return policy;
}

std::vector<PaymentOption> Quote(int64_t price_minor, const RedemptionPolicy& policy,
                                 std::optional<int64_t> available = std::nullopt,
                                 int64_t minor_unit_micros = kUsdMinorMicros,
                                 const EarnRate& rate = kOnePointPerDollar) {
  auto result = QuotePrice(price_minor, minor_unit_micros, policy, rate, available);
  EXPECT_TRUE(result.ok()) << result.error().field << ": " << result.error().message;
  return result.ok() ? *result : std::vector<PaymentOption>{};
}

struct Expected {
  OptionKind kind;
  int32_t share_bps;
  int64_t cash_minor;
  int64_t points;
  int64_t points_earned;
};

void ExpectOptions(const std::vector<PaymentOption>& actual,
                   const std::vector<Expected>& expected) {
  ASSERT_EQ(actual.size(), expected.size());
  for (size_t i = 0; i < actual.size(); ++i) {
    SCOPED_TRACE("option " + std::to_string(i));
    EXPECT_EQ(actual[i].kind, expected[i].kind);
    EXPECT_EQ(actual[i].points_share_bps, expected[i].share_bps);
    EXPECT_EQ(actual[i].cash_minor, expected[i].cash_minor);
    EXPECT_EQ(actual[i].points, expected[i].points);
    EXPECT_EQ(actual[i].points_earned, expected[i].points_earned);
  }
}

TEST(PricingValidation, AcceptsSensiblePolicies) {
  EXPECT_FALSE(ValidateRedemptionPolicy(HalfCentPolicy()).has_value());
  RedemptionPolicy edges;
  edges.point_value_micros = 1'000'000'000;
  edges.block_size_points = 1'000'000'000;
  edges.min_points = 1'000'000'000'000;
  edges.max_points_share_bps = 0;
  edges.min_cash_minor = kMaxAmountMinor;
  edges.split_points_share_bps = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10000};
  EXPECT_FALSE(ValidateRedemptionPolicy(edges).has_value());
}

TEST(PricingValidation, RejectsEachBadField) {
  struct Case {
    std::string name;
    void (*mutate)(RedemptionPolicy&);
    std::string field;
  };
  const std::vector<Case> cases = {
      {"value 0", [](RedemptionPolicy& p) { p.point_value_micros = 0; }, "point_value_micros"},
      {"value -1", [](RedemptionPolicy& p) { p.point_value_micros = -1; }, "point_value_micros"},
      {"value huge", [](RedemptionPolicy& p) { p.point_value_micros = 1'000'000'001; },
       "point_value_micros"},
      {"block 0", [](RedemptionPolicy& p) { p.block_size_points = 0; }, "block_size_points"},
      {"block huge", [](RedemptionPolicy& p) { p.block_size_points = 1'000'000'001; },
       "block_size_points"},
      {"min points -1", [](RedemptionPolicy& p) { p.min_points = -1; }, "min_points"},
      {"min points huge", [](RedemptionPolicy& p) { p.min_points = 1'000'000'000'001; },
       "min_points"},
      {"share -1", [](RedemptionPolicy& p) { p.max_points_share_bps = -1; },
       "max_points_share_bps"},
      {"share 10001", [](RedemptionPolicy& p) { p.max_points_share_bps = 10001; },
       "max_points_share_bps"},
      {"min cash -1", [](RedemptionPolicy& p) { p.min_cash_minor = -1; }, "min_cash_minor"},
      {"min cash huge", [](RedemptionPolicy& p) { p.min_cash_minor = kMaxAmountMinor + 1; },
       "min_cash_minor"},
      {"split 0",
       [](RedemptionPolicy& p) {
         p.split_points_share_bps = {8000, 0};
       },
       "split_points_share_bps"},
      {"split 10001", [](RedemptionPolicy& p) { p.split_points_share_bps = {10001}; },
       "split_points_share_bps"},
      {"split duplicate",
       [](RedemptionPolicy& p) {
         p.split_points_share_bps = {8000, 6000, 8000};
       },
       "split_points_share_bps"},
      {"11 splits",
       [](RedemptionPolicy& p) { p.split_points_share_bps = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}; },
       "split_points_share_bps"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    RedemptionPolicy policy = HalfCentPolicy();
    c.mutate(policy);
    auto error = ValidateRedemptionPolicy(policy);
    ASSERT_TRUE(error.has_value());
    EXPECT_EQ(error->code, ErrorCode::kInvalidArgument);
    EXPECT_EQ(error->reason, "INVALID_ARGUMENT");
    EXPECT_EQ(error->field, c.field);
    EXPECT_FALSE(error->message.empty());
    // QuotePrice refuses the same policy with the same error.
    auto quote = QuotePrice(10'000, kUsdMinorMicros, policy, kOnePointPerDollar, std::nullopt);
    ASSERT_FALSE(quote.ok());
    EXPECT_EQ(quote.error().field, c.field);
  }
}

TEST(QuotePrice, RejectsBadPrices) {
  for (int64_t price : {int64_t{0}, int64_t{-1}, kMaxAmountMinor + 1}) {
    auto quote = QuotePrice(price, kUsdMinorMicros, HalfCentPolicy(), kOnePointPerDollar, 1000);
    ASSERT_FALSE(quote.ok()) << price;
    EXPECT_EQ(quote.error().code, ErrorCode::kInvalidArgument);
    EXPECT_EQ(quote.error().field, "price.amount_minor");
  }
  EXPECT_TRUE(QuotePrice(kMaxAmountMinor, kUsdMinorMicros, HalfCentPolicy(), kOnePointPerDollar,
                         std::nullopt)
                  .ok());
}

TEST(QuotePrice, RejectsBadMinorUnitAndEarnRate) {
  auto quote = QuotePrice(100, 0, HalfCentPolicy(), kOnePointPerDollar, std::nullopt);
  ASSERT_FALSE(quote.ok());
  EXPECT_EQ(quote.error().field, "minor_unit_micros");
  quote = QuotePrice(100, kUsdMinorMicros, HalfCentPolicy(), EarnRate{0, 100}, std::nullopt);
  ASSERT_FALSE(quote.ok());
  EXPECT_EQ(quote.error().field, "earn_rate.points");
}

TEST(QuotePrice, HundredDollarsAtHalfACent) {
  // $100 = 20,000 points; blocks of 2,000 points = $10.
  ExpectOptions(Quote(10'000, HalfCentPolicy()), {{OptionKind::kAllCash, 0, 10'000, 0, 100},
                                                  {OptionKind::kAllPoints, 10000, 0, 20'000, 0},
                                                  {OptionKind::kSplit, 8000, 2'000, 16'000, 20},
                                                  {OptionKind::kSplit, 6000, 4'000, 12'000, 40}});
}

TEST(QuotePrice, KnownMemberGetsOnlyWhatTheyCanAffordAndTheirMaximum) {
  // 13,500 points: the 80% split and all points are out of reach; the
  // largest affordable amount is the 60% split itself, so it is not repeated.
  ExpectOptions(
      Quote(10'000, HalfCentPolicy(), 13'500),
      {{OptionKind::kAllCash, 0, 10'000, 0, 100}, {OptionKind::kSplit, 6000, 4'000, 12'000, 40}});
  // 15,000 points: 14,000 (7 blocks) is the member's maximum.
  ExpectOptions(Quote(10'000, HalfCentPolicy(), 15'000),
                {{OptionKind::kAllCash, 0, 10'000, 0, 100},
                 {OptionKind::kSplit, 6000, 4'000, 12'000, 40},
                 {OptionKind::kMaxAffordable, 7000, 3'000, 14'000, 30}});
  // Rich member: every option, and the maximum is all points (already listed).
  ExpectOptions(Quote(10'000, HalfCentPolicy(), 1'000'000),
                {{OptionKind::kAllCash, 0, 10'000, 0, 100},
                 {OptionKind::kAllPoints, 10000, 0, 20'000, 0},
                 {OptionKind::kSplit, 8000, 2'000, 16'000, 20},
                 {OptionKind::kSplit, 6000, 4'000, 12'000, 40}});
  // Less than a block, no points, or clawback debt: cash only.
  for (int64_t available : {int64_t{1'999}, int64_t{0}, int64_t{-500}}) {
    ExpectOptions(Quote(10'000, HalfCentPolicy(), available),
                  {{OptionKind::kAllCash, 0, 10'000, 0, 100}});
  }
}

TEST(QuotePrice, SplitsRoundPointsDownToWholeBlocks) {
  // $95: 80% = 15,200 points -> 14,000 (7 blocks, $70), cash $25.
  // 60% = 11,400 -> 10,000 ($50), cash $45. All points (19,000) is not a
  // whole number of blocks.
  ExpectOptions(Quote(9'500, HalfCentPolicy()), {{OptionKind::kAllCash, 0, 9'500, 0, 95},
                                                 {OptionKind::kSplit, 8000, 2'500, 14'000, 25},
                                                 {OptionKind::kSplit, 6000, 4'500, 10'000, 45}});
}

TEST(QuotePrice, SplitsThatComeToTheSamePointsAreOfferedOnce) {
  RedemptionPolicy policy = HalfCentPolicy();
  policy.split_points_share_bps = {6500, 6000, 100};
  // $100: 65% = 13,000 -> 12,000 = 60%; 1% = 200 points -> 0 blocks, omitted.
  ExpectOptions(Quote(10'000, policy), {{OptionKind::kAllCash, 0, 10'000, 0, 100},
                                        {OptionKind::kAllPoints, 10000, 0, 20'000, 0},
                                        {OptionKind::kSplit, 6500, 4'000, 12'000, 40}});
}

TEST(QuotePrice, ValueNotExactInMinorUnits) {
  // A point worth 0.3 cents: only multiples of 10 points are a whole number of cents.
  RedemptionPolicy policy;
  policy.point_value_micros = 3'000;
  policy.split_points_share_bps = {5000};
  // $10.01: all points would be 3,336.67 points -> not offered. 50% = 1,668.33
  // points -> 1,660 points = $4.98, cash $5.03.
  ExpectOptions(
      Quote(1'001, policy, std::nullopt, kUsdMinorMicros, EarnRate{1, 1}),
      {{OptionKind::kAllCash, 0, 1'001, 0, 1'001}, {OptionKind::kSplit, 5000, 503, 1'660, 503}});
  // $10.02 = 3,340 points exactly; 50% = 1,670 points = $5.01.
  ExpectOptions(Quote(1'002, policy, std::nullopt, kUsdMinorMicros, EarnRate{1, 1}),
                {{OptionKind::kAllCash, 0, 1'002, 0, 1'002},
                 {OptionKind::kAllPoints, 10000, 0, 3'340, 0},
                 {OptionKind::kSplit, 5000, 501, 1'670, 501}});
}

TEST(QuotePrice, MaxShareMinCashAndMinPoints) {
  RedemptionPolicy policy = HalfCentPolicy();
  policy.max_points_share_bps = 7000;  // at most $70 of $100 in points
  policy.min_cash_minor = 3'500;       // and at least $35 cash
  policy.min_points = 4'000;
  policy.split_points_share_bps = {8000, 6000, 1000};
  // No all points; 80% capped to the bounds: $65 max -> 12,000 points (6 blocks);
  // 60% -> 12,000 too: offered once; 10% = 2,000 points < min_points: omitted.
  ExpectOptions(Quote(10'000, policy), {{OptionKind::kAllCash, 0, 10'000, 0, 100},
                                        {OptionKind::kSplit, 8000, 4'000, 12'000, 40}});
  // A member with 9,000 points: only their maximum, 8,000.
  ExpectOptions(Quote(10'000, policy, 9'000),
                {{OptionKind::kAllCash, 0, 10'000, 0, 100},
                 {OptionKind::kMaxAffordable, 4000, 6'000, 8'000, 60}});
  // A member with 3,999 points: below min_points.
  ExpectOptions(Quote(10'000, policy, 3'999), {{OptionKind::kAllCash, 0, 10'000, 0, 100}});
  // Price at or below the minimum cash: cash only.
  ExpectOptions(Quote(3'500, policy, 1'000'000), {{OptionKind::kAllCash, 0, 3'500, 0, 35}});
}

TEST(QuotePrice, ZeroShareMeansCashOnly) {
  RedemptionPolicy policy = HalfCentPolicy();
  policy.max_points_share_bps = 0;
  ExpectOptions(Quote(10'000, policy, 1'000'000), {{OptionKind::kAllCash, 0, 10'000, 0, 100}});
}

TEST(QuotePrice, ZeroDecimalCurrencyAndHugeAmounts) {
  // JPY: one minor unit = 1,000,000 micros; a point worth 1 yen.
  RedemptionPolicy policy;
  policy.point_value_micros = 1'000'000;
  policy.split_points_share_bps = {5000};
  ExpectOptions(Quote(1'001, policy, std::nullopt, 1'000'000, EarnRate{1, 100}),
                {{OptionKind::kAllCash, 0, 1'001, 0, 10},
                 {OptionKind::kAllPoints, 10000, 0, 1'001, 0},
                 {OptionKind::kSplit, 5000, 501, 500, 5}});
  // A point worth 1 micro-yen: all points would exceed what one request may carry.
  policy.point_value_micros = 1;
  auto options =
      Quote(kMaxAmountMinor, policy, kMaxPointsPerRequest * 10, 1'000'000, EarnRate{1, 1'000'000});
  ASSERT_EQ(options.size(), 2u);
  EXPECT_EQ(options[0].kind, OptionKind::kAllCash);
  // 50% would be 5 * 10^23 points; capped at kMaxPointsPerRequest.
  EXPECT_EQ(options[1].kind, OptionKind::kSplit);
  EXPECT_EQ(options[1].points, kMaxPointsPerRequest);
  EXPECT_EQ(options[1].cash_minor, kMaxAmountMinor - 1'000'000);
}

TEST(QuotePrice, EarningOverflowIsAnError) {
  auto quote = QuotePrice(kMaxAmountMinor, kUsdMinorMicros, HalfCentPolicy(),
                          EarnRate{1'000'000'000, 1}, std::nullopt);
  ASSERT_FALSE(quote.ok());
  EXPECT_EQ(quote.error().reason, "POINTS_LIMIT_EXCEEDED");
}

// ---- Properties over random prices and policies ----

struct Scenario {
  int64_t price_minor;
  int64_t minor_unit_micros;
  RedemptionPolicy policy;
  EarnRate rate;
  std::optional<int64_t> available;
};

Scenario RandomScenario(std::mt19937_64& rng, bool small) {
  auto uniform = [&rng](int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(rng);
  };
  auto pick = [&](std::initializer_list<int64_t> values) {
    return *(values.begin() + uniform(0, static_cast<int64_t>(values.size()) - 1));
  };
  Scenario s;
  s.minor_unit_micros = pick({10'000, 10'000, 1'000'000, 1'000});
  s.price_minor = small ? uniform(1, 5'000)
                        : pick({uniform(1, 100), uniform(1, 100'000), uniform(1, kMaxAmountMinor),
                                kMaxAmountMinor});
  auto& p = s.policy;
  p.point_value_micros =
      small ? pick({uniform(1'000, 50'000), uniform(1, 1'000'000) + 2'000})
            : pick({5'000, 3'000, 12'500, 7, uniform(1, 1'000'000'000), uniform(1, 100'000)});
  p.block_size_points = pick({1, 1, 10, 2'000, uniform(1, 50), uniform(1, 1'000'000'000)});
  p.min_points = pick({0, 0, uniform(0, 5'000), uniform(0, kMaxMinPoints)});
  p.max_points_share_bps = static_cast<int32_t>(pick({10000, 10000, uniform(0, 10000)}));
  p.min_cash_minor = pick({0, 0, uniform(0, 1'000), uniform(0, kMaxAmountMinor)});
  const int64_t splits = uniform(0, kMaxSplits);
  for (int64_t i = 0; i < splits; ++i) {
    const auto share = static_cast<int32_t>(pick({8000, 6000, 5000, 10000, uniform(1, 10000)}));
    if (std::find(p.split_points_share_bps.begin(), p.split_points_share_bps.end(), share) ==
        p.split_points_share_bps.end()) {
      p.split_points_share_bps.push_back(share);
    }
  }
  s.rate = {pick({1, uniform(1, 100)}), pick({100, 1, uniform(1, 1'000'000'000)})};
  if (uniform(0, 3) != 0) {
    s.available = pick({0, -10, uniform(0, 100'000), uniform(0, kMaxPointsPerRequest),
                        kMaxPointsPerRequest * 100});
  }
  return s;
}

// Whether `points` is a valid points payment under every rule of the policy.
bool IsValid(const Scenario& s, int64_t points) {
  const auto& p = s.policy;
  const Int128 price_micros = static_cast<Int128>(s.price_minor) * s.minor_unit_micros;
  const Int128 points_micros = static_cast<Int128>(points) * p.point_value_micros;
  if (points == 0) return true;
  if (points < 0 || points > kMaxPointsPerRequest) return false;
  if (points % p.block_size_points != 0 || points < p.min_points) return false;
  if (points_micros % s.minor_unit_micros != 0) return false;
  if (points_micros * 10000 > price_micros * p.max_points_share_bps) return false;
  const Int128 cash = s.price_minor - points_micros / s.minor_unit_micros;
  return cash >= p.min_cash_minor && cash >= 0;
}

void CheckProperties(const Scenario& s, const std::vector<PaymentOption>& options) {
  const auto& p = s.policy;
  const Int128 price_micros = static_cast<Int128>(s.price_minor) * s.minor_unit_micros;
  ASSERT_FALSE(options.empty());
  EXPECT_EQ(options[0].kind, OptionKind::kAllCash);
  EXPECT_EQ(options[0].points, 0);
  EXPECT_EQ(options[0].cash_minor, s.price_minor);

  const std::optional<int64_t> available =
      s.available ? std::optional<int64_t>(std::max<int64_t>(*s.available, 0)) : std::nullopt;
  int last_kind = -1;
  size_t next_split = 0;
  for (size_t i = 0; i < options.size(); ++i) {
    const auto& o = options[i];
    SCOPED_TRACE("option " + std::to_string(i));
    // Exactness.
    EXPECT_TRUE(static_cast<Int128>(o.cash_minor) * s.minor_unit_micros +
                    static_cast<Int128>(o.points) * p.point_value_micros ==
                price_micros);
    EXPECT_GE(o.cash_minor, 0);
    EXPECT_GE(o.points, 0);
    EXPECT_TRUE(IsValid(s, o.points)) << o.points;
    if (available) {
      EXPECT_LE(o.points, *available);
    }
    EXPECT_EQ(o.points_earned, *PointsForAmount(s.rate, o.cash_minor));
    // Order, and distinct points.
    EXPECT_GE(static_cast<int>(o.kind), last_kind);
    last_kind = static_cast<int>(o.kind);
    for (size_t j = 0; j < i; ++j) {
      EXPECT_NE(options[j].points, o.points);
    }
    if (i > 0) {
      EXPECT_GT(o.points, 0);
    }
    switch (o.kind) {
      case OptionKind::kAllCash:
        EXPECT_EQ(i, 0u);
        break;
      case OptionKind::kAllPoints:
        EXPECT_EQ(o.cash_minor, 0);
        EXPECT_EQ(o.points_share_bps, 10000);
        EXPECT_EQ(p.max_points_share_bps, 10000);
        EXPECT_EQ(p.min_cash_minor, 0);
        break;
      case OptionKind::kSplit: {
        // Splits keep their configured order; the points are the largest valid
        // amount within the split's nominal share.
        auto it =
            std::find(p.split_points_share_bps.begin() + static_cast<std::ptrdiff_t>(next_split),
                      p.split_points_share_bps.end(), o.points_share_bps);
        ASSERT_NE(it, p.split_points_share_bps.end());
        next_split = static_cast<size_t>(it - p.split_points_share_bps.begin()) + 1;
        EXPECT_LE(static_cast<Int128>(o.points) * p.point_value_micros * 10000,
                  price_micros * o.points_share_bps);
        break;
      }
      case OptionKind::kMaxAffordable:
        ASSERT_TRUE(available.has_value());
        EXPECT_EQ(i, options.size() - 1);
        break;
    }
  }

  // All points offered exactly when it is valid and affordable.
  const bool all_points_possible =
      p.max_points_share_bps == 10000 && p.min_cash_minor == 0 &&
      price_micros % p.point_value_micros == 0 &&
      IsValid(s, static_cast<int64_t>(std::min<Int128>(price_micros / p.point_value_micros,
                                                       kMaxPointsPerRequest + 1))) &&
      (!available || price_micros / p.point_value_micros <= *available);
  const bool all_points_offered = options.size() > 1 && options[1].kind == OptionKind::kAllPoints;
  EXPECT_EQ(all_points_offered, all_points_possible);

  // The member's maximum is maximal: listed (as some option) whenever positive.
  if (available) {
    const int64_t best =
        std::max_element(options.begin(), options.end(), [](const auto& a, const auto& b) {
          return a.points < b.points;
        })->points;
    // Nothing valid between the best offered and the member's points: the
    // next candidate multiple of the step is invalid or unaffordable.
    const int64_t exact_step =
        s.minor_unit_micros / std::gcd(p.point_value_micros, s.minor_unit_micros);
    const int64_t step = std::lcm(p.block_size_points, exact_step);
    const Int128 next = static_cast<Int128>(best) + step;
    EXPECT_TRUE(next > *available || next > kMaxPointsPerRequest ||
                !IsValid(s, static_cast<int64_t>(next)))
        << "best " << best << " step " << step;
    if (best == 0) {
      // Nothing at all: no multiple of the step within reach is valid.
      for (Int128 candidate = step; candidate <= std::min<Int128>(*available, 10 * step) &&
                                    candidate <= kMaxPointsPerRequest;
           candidate += step) {
        EXPECT_FALSE(IsValid(s, static_cast<int64_t>(candidate)));
      }
    }
  }
}

TEST(QuotePriceProperty, RandomPricesAndPolicies) {
  std::mt19937_64 rng(20240605);
  int kinds_seen[4] = {0, 0, 0, 0};
  for (int i = 0; i < 20'000; ++i) {
    const Scenario s = RandomScenario(rng, /*small=*/false);
    auto result = QuotePrice(s.price_minor, s.minor_unit_micros, s.policy, s.rate, s.available);
    if (!result.ok()) {
      // Only earning more than one request may carry is acceptable.
      EXPECT_EQ(result.error().reason, "POINTS_LIMIT_EXCEEDED");
      continue;
    }
    SCOPED_TRACE("case " + std::to_string(i));
    CheckProperties(s, *result);
    for (const auto& option : *result) ++kinds_seen[static_cast<int>(option.kind)];
    if (HasFailure()) return;
  }
  // The random policies reach every kind of option often.
  for (int kind = 0; kind < 4; ++kind) EXPECT_GT(kinds_seen[kind], 200) << "kind " << kind;
}

// Small prices: compare with a brute-force search over every points amount.
TEST(QuotePriceProperty, MatchesBruteForceOnSmallPrices) {
  std::mt19937_64 rng(7);
  int checked = 0;
  for (int i = 0; i < 5'000; ++i) {
    Scenario s = RandomScenario(rng, /*small=*/true);
    const Int128 price_micros = static_cast<Int128>(s.price_minor) * s.minor_unit_micros;
    const Int128 max_points = price_micros / s.policy.point_value_micros;
    if (max_points > 200'000) continue;
    auto result = QuotePrice(s.price_minor, s.minor_unit_micros, s.policy, s.rate, s.available);
    ASSERT_TRUE(result.ok());
    SCOPED_TRACE("case " + std::to_string(i));
    CheckProperties(s, *result);
    const auto& options = *result;
    // Largest valid points <= limit, by brute force.
    auto brute = [&](Int128 limit) -> int64_t {
      for (auto points = static_cast<int64_t>(std::min(limit, max_points)); points > 0; --points) {
        if (IsValid(s, points)) return points;
      }
      return 0;
    };
    std::vector<int64_t> expected_points = {0};
    const bool known = s.available.has_value();
    const int64_t available = known ? std::max<int64_t>(*s.available, 0) : 0;
    auto affordable = [&](int64_t points) { return !known || points <= available; };
    if (price_micros % s.policy.point_value_micros == 0 && s.policy.max_points_share_bps == 10000 &&
        s.policy.min_cash_minor == 0 && IsValid(s, static_cast<int64_t>(max_points)) &&
        affordable(static_cast<int64_t>(max_points))) {
      expected_points.push_back(static_cast<int64_t>(max_points));
    }
    auto listed = [&](int64_t points) {
      return std::find(expected_points.begin(), expected_points.end(), points) !=
             expected_points.end();
    };
    for (int32_t share : s.policy.split_points_share_bps) {
      const int64_t points =
          brute(price_micros * share / (static_cast<Int128>(s.policy.point_value_micros) * 10000));
      if (points > 0 && !listed(points) && affordable(points)) expected_points.push_back(points);
    }
    if (known) {
      const int64_t points = brute(available);
      if (points > 0 && !listed(points)) expected_points.push_back(points);
    }
    std::vector<int64_t> actual_points;
    for (const auto& o : options) actual_points.push_back(o.points);
    EXPECT_EQ(actual_points, expected_points);
    ++checked;
    if (HasFailure()) return;
  }
  EXPECT_GT(checked, 2'000);
}

}  // namespace
}  // namespace coalition::domain::test
