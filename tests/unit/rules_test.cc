// Unit tests of server/domain/rules: earn rule evaluation (every rule type,
// combinations, rounding, caps, extremes), rule and tier validation, tier
// status and review over a simulated year, targeted-bonus selection and the
// breakage forecast on synthetic cohorts.

#include "domain/rules.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "domain/error.h"
#include "domain/limits.h"
#include "domain/model.h"

namespace coalition::domain::test {
namespace {

__extension__ using Int128 = __int128;

LineItem Line(std::string sku, std::string category, int64_t amount_minor) {
  return LineItem{std::move(sku), std::move(category), Money{"USD", amount_minor}};
}

EarnMultiplier CategoryMultiplier(std::string category, int32_t bps) {
  return EarnMultiplier{std::move(category), "", bps};
}

EarnMultiplier SkuMultiplier(std::string sku, int32_t bps) {
  return EarnMultiplier{"", std::move(sku), bps};
}

CampaignOffer Campaign(int64_t id, std::vector<std::string> categories, int32_t multiplier_bps,
                       int64_t fixed_points = 0, int64_t min_spend_minor = 0) {
  return CampaignOffer{id, std::move(categories), multiplier_bps, fixed_points, min_spend_minor};
}

// 1 point per $1 (100 minor units), rounded down, nothing else.
EarnRules DollarRules() {
  EarnRules rules;
  rules.base = EarnRate{1, 100};
  return rules;
}

EarnRules With(EarnRules rules, EarnRounding rounding) {
  rules.rounding = rounding;
  return rules;
}

EarnInput Purchase(int64_t amount_minor, std::vector<LineItem> lines = {}) {
  EarnInput input;
  input.amount_minor = amount_minor;
  input.line_items = std::move(lines);
  return input;
}

struct Expected {
  int64_t eligible = 0;
  int64_t excluded = 0;
  int64_t base = 0;
  int64_t multiplier = 0;
  int64_t tier = 0;
  std::vector<CampaignPoints> campaigns;
  int64_t capped = 0;
  int64_t total = 0;
};

struct EarnCase {
  std::string name;
  EarnRules rules;
  EarnInput input;
  Expected expected;
};

void PrintTo(const EarnCase& earn_case, std::ostream* os) { *os << earn_case.name; }

void ExpectAddsUp(const EarnBreakdown& breakdown) {
  Int128 sum = static_cast<Int128>(breakdown.base_points) + breakdown.multiplier_points +
               breakdown.tier_points - breakdown.capped_points;
  for (const auto& campaign : breakdown.campaign_points) sum += campaign.points;
  EXPECT_TRUE(sum == breakdown.total_points) << "components do not add up to the total";
  EXPECT_GE(breakdown.base_points, 0);
  EXPECT_GE(breakdown.tier_points, 0);
  EXPECT_GE(breakdown.capped_points, 0);
  EXPECT_GE(breakdown.total_points, 0);
  for (const auto& campaign : breakdown.campaign_points) EXPECT_GT(campaign.points, 0);
}

EarnBreakdown Evaluate(const EarnRules& rules, const EarnInput& input) {
  auto result = EvaluateEarn(rules, input);
  EXPECT_TRUE(result.ok()) << result.error().field << ": " << result.error().message;
  if (!result.ok()) return {};
  EXPECT_EQ(result->eligible_amount_minor + result->excluded_amount_minor, input.amount_minor);
  ExpectAddsUp(*result);
  return *result;
}

// Names each parameterised case after its `name`.
template <typename Case>
std::string CaseName(const ::testing::TestParamInfo<Case>& param_info) {
  return param_info.param.name;
}

class EarnTable : public ::testing::TestWithParam<EarnCase> {};

TEST_P(EarnTable, Breakdown) {
  const EarnCase& c = GetParam();
  const EarnBreakdown actual = Evaluate(c.rules, c.input);
  EXPECT_EQ(actual.eligible_amount_minor, c.expected.eligible);
  EXPECT_EQ(actual.excluded_amount_minor, c.expected.excluded);
  EXPECT_EQ(actual.base_points, c.expected.base);
  EXPECT_EQ(actual.multiplier_points, c.expected.multiplier);
  EXPECT_EQ(actual.tier_points, c.expected.tier);
  ASSERT_EQ(actual.campaign_points.size(), c.expected.campaigns.size());
  for (size_t i = 0; i < actual.campaign_points.size(); ++i) {
    EXPECT_EQ(actual.campaign_points[i].campaign_id, c.expected.campaigns[i].campaign_id);
    EXPECT_EQ(actual.campaign_points[i].points, c.expected.campaigns[i].points);
  }
  EXPECT_EQ(actual.capped_points, c.expected.capped);
  EXPECT_EQ(actual.total_points, c.expected.total);
}

EarnRules FuelDoubleRules() {
  EarnRules rules = DollarRules();
  rules.multipliers = {CategoryMultiplier("fuel", 20000)};
  return rules;
}

EarnRules GroceryAndSkuRules() {
  EarnRules rules = DollarRules();
  rules.multipliers = {CategoryMultiplier("grocery", 20000), SkuMultiplier("A1", 50000)};
  return rules;
}

EarnRules ExclusionRules() {
  EarnRules rules = DollarRules();
  rules.excluded_categories = {"tobacco", "gift-cards"};
  rules.excluded_skus = {"GC100"};
  return rules;
}

// A multiplied SKU sold in an excluded category still earns nothing.
EarnRules SkuAndTobaccoRules() {
  EarnRules rules = DollarRules();
  rules.multipliers = {SkuMultiplier("A1", 30000)};
  rules.excluded_categories = {"tobacco"};
  return rules;
}

EarnRules MinSpendRules(int64_t min_spend_minor) {
  EarnRules rules = ExclusionRules();
  rules.min_spend_minor = min_spend_minor;
  return rules;
}

EarnRules CapRules(int64_t cap) {
  EarnRules rules = DollarRules();
  rules.max_points_per_transaction = cap;
  return rules;
}

EarnRules FuelOneAndHalfRules(EarnRounding rounding) {
  EarnRules rules = DollarRules();
  rules.multipliers = {CategoryMultiplier("fuel", 15000)};
  rules.rounding = rounding;
  return rules;
}

EarnRules SaleRules(int32_t bps) {
  EarnRules rules = DollarRules();
  rules.multipliers = {CategoryMultiplier("sale", bps)};
  return rules;
}

EarnRules SixDollarRules(EarnRounding rounding) {
  EarnRules rules;
  rules.base = EarnRate{1, 600};
  rules.rounding = rounding;
  return rules;
}

EarnInput WithTier(EarnInput input, int32_t tier_bps) {
  input.tier_multiplier_bps = tier_bps;
  return input;
}

EarnInput WithCampaigns(EarnInput input, std::vector<CampaignOffer> campaigns) {
  input.campaigns = std::move(campaigns);
  return input;
}

// Everything at once, computed by hand:
//   PREMIUM (fuel, SKU 3x) 2050, fuel (2x) 1000, tobacco 700 excluded, rest 250.
//   base 33.00; multiplier 20.5·2 + 10·1 = 51; tier 1.25x on 84 = 21;
//   campaign 1 (+1x fuel) 30.5; campaign 2 (25 fixed, min 3000 eligible) 25;
//   exact 160.5 -> half-even 160; campaign 1 truncated to 30, base takes 33.
EarnCase Everything() {
  EarnRules rules = DollarRules();
  rules.multipliers = {CategoryMultiplier("fuel", 20000), SkuMultiplier("PREMIUM", 30000)};
  rules.excluded_categories = {"tobacco"};
  rules.min_spend_minor = 500;
  rules.rounding = EarnRounding::kHalfEven;
  EarnInput input = Purchase(
      4000, {Line("PREMIUM", "fuel", 2050), Line("", "fuel", 1000), Line("CIG", "tobacco", 700)});
  input.tier_multiplier_bps = 12500;
  input.campaigns = {Campaign(1, {"fuel"}, 10000), Campaign(2, {}, 0, 25, 3000)};
  return {"everything_combined", rules, input, {3300, 700, 33, 51, 21, {{1, 30}, {2, 25}}, 0, 160}};
}

const EarnCase kEarnCases[] = {
    // Base rate alone.
    {"base_only", DollarRules(), Purchase(1000), {1000, 0, 10, 0, 0, {}, 0, 10}},
    {"zero_amount", DollarRules(), Purchase(0), {0, 0, 0, 0, 0, {}, 0, 0}},
    {"base_fraction_rounds_down", DollarRules(), Purchase(1099), {1099, 0, 10, 0, 0, {}, 0, 10}},
    {"rate_one_per_six_dollars",
     SixDollarRules(EarnRounding::kDown),
     Purchase(1000),
     {1000, 0, 1, 0, 0, {}, 0, 1}},
    // Rounded once on the total, never per line: 1.5 + 1.5 = 3, not 1 + 1.
    {"rounds_once_not_per_line",
     DollarRules(),
     Purchase(300, {Line("X", "grocery", 150), Line("Y", "grocery", 150)}),
     {300, 0, 3, 0, 0, {}, 0, 3}},
    {"rounds_once_one_per_six",
     SixDollarRules(EarnRounding::kDown),
     Purchase(600, {Line("X", "a", 300), Line("Y", "b", 300)}),
     {600, 0, 1, 0, 0, {}, 0, 1}},
    // Rounding modes: 10.5 points.
    {"down_half", DollarRules(), Purchase(1050), {1050, 0, 10, 0, 0, {}, 0, 10}},
    {"half_even_half_to_even_down",
     With(DollarRules(), EarnRounding::kHalfEven),
     Purchase(1050),
     {1050, 0, 10, 0, 0, {}, 0, 10}},
    {"half_even_half_to_even_up",
     With(DollarRules(), EarnRounding::kHalfEven),
     Purchase(1150),
     {1150, 0, 12, 0, 0, {}, 0, 12}},
    {"half_even_above_half",
     With(DollarRules(), EarnRounding::kHalfEven),
     Purchase(1051),
     {1051, 0, 11, 0, 0, {}, 0, 11}},
    {"half_even_below_half",
     With(DollarRules(), EarnRounding::kHalfEven),
     Purchase(1049),
     {1049, 0, 10, 0, 0, {}, 0, 10}},
    {"up_any_fraction",
     With(DollarRules(), EarnRounding::kUp),
     Purchase(1001),
     {1001, 0, 11, 0, 0, {}, 0, 11}},
    {"up_exact_stays",
     With(DollarRules(), EarnRounding::kUp),
     Purchase(1000),
     {1000, 0, 10, 0, 0, {}, 0, 10}},
    {"half_even_one_per_six",
     SixDollarRules(EarnRounding::kHalfEven),
     Purchase(1000),
     {1000, 0, 2, 0, 0, {}, 0, 2}},
    // Rounding attribution: base 10.5 + multiplier 5.25 = 15.75.
    {"attribution_down",
     FuelOneAndHalfRules(EarnRounding::kDown),
     Purchase(1050, {Line("", "fuel", 1050)}),
     {1050, 0, 10, 5, 0, {}, 0, 15}},
    {"attribution_half_even",
     FuelOneAndHalfRules(EarnRounding::kHalfEven),
     Purchase(1050, {Line("", "fuel", 1050)}),
     {1050, 0, 11, 5, 0, {}, 0, 16}},
    {"attribution_up",
     FuelOneAndHalfRules(EarnRounding::kUp),
     Purchase(1050, {Line("", "fuel", 1050)}),
     {1050, 0, 11, 5, 0, {}, 0, 16}},
    // Category and SKU multipliers.
    {"category_multiplier",
     FuelDoubleRules(),
     Purchase(1500, {Line("", "fuel", 1000)}),
     {1500, 0, 15, 10, 0, {}, 0, 25}},
    {"category_multiplier_other_category_1x",
     FuelDoubleRules(),
     Purchase(1000, {Line("", "grocery", 1000)}),
     {1000, 0, 10, 0, 0, {}, 0, 10}},
    {"sku_multiplier",
     GroceryAndSkuRules(),
     Purchase(1000, {Line("A1", "household", 1000)}),
     {1000, 0, 10, 40, 0, {}, 0, 50}},
    {"sku_wins_over_category",
     GroceryAndSkuRules(),
     Purchase(2000, {Line("A1", "grocery", 1000), Line("B2", "grocery", 1000)}),
     {2000, 0, 20, 50, 0, {}, 0, 70}},
    {"multiplier_below_one",
     SaleRules(5000),
     Purchase(1000, {Line("", "sale", 1000)}),
     {1000, 0, 10, -5, 0, {}, 0, 5}},
    {"multiplier_below_one_fraction",
     SaleRules(5000),
     Purchase(1050, {Line("", "sale", 1050)}),
     {1050, 0, 10, -5, 0, {}, 0, 5}},
    {"multiplier_zero",
     SaleRules(0),
     Purchase(1000, {Line("", "sale", 1000)}),
     {1000, 0, 10, -10, 0, {}, 0, 0}},
    // Exclusions.
    {"excluded_category",
     ExclusionRules(),
     Purchase(1500, {Line("CIG", "tobacco", 1000)}),
     {500, 1000, 5, 0, 0, {}, 0, 5}},
    {"excluded_sku",
     ExclusionRules(),
     Purchase(2500, {Line("GC100", "misc", 2000)}),
     {500, 2000, 5, 0, 0, {}, 0, 5}},
    {"exclusion_beats_sku_multiplier",
     SkuAndTobaccoRules(),
     Purchase(1000, {Line("A1", "tobacco", 600)}),
     {400, 600, 4, 0, 0, {}, 0, 4}},
    {"everything_excluded",
     ExclusionRules(),
     Purchase(3000, {Line("", "tobacco", 1000), Line("", "gift-cards", 2000)}),
     {0, 3000, 0, 0, 0, {}, 0, 0}},
    {"exclusion_beats_campaign",
     ExclusionRules(),
     WithCampaigns(Purchase(1500, {Line("CIG", "tobacco", 1000)}), {Campaign(7, {}, 10000)}),
     {500, 1000, 5, 0, 0, {{7, 5}}, 0, 10}},
    // Minimum spend on the eligible amount.
    {"min_spend_below", MinSpendRules(1000), Purchase(999), {999, 0, 0, 0, 0, {}, 0, 0}},
    {"min_spend_equal", MinSpendRules(1000), Purchase(1000), {1000, 0, 10, 0, 0, {}, 0, 10}},
    {"min_spend_after_exclusions",
     MinSpendRules(1000),
     Purchase(2000, {Line("", "tobacco", 1500)}),
     {500, 1500, 0, 0, 0, {}, 0, 0}},
    {"min_spend_blocks_campaigns",
     MinSpendRules(1000),
     WithCampaigns(Purchase(999), {Campaign(1, {}, 10000, 100)}),
     {999, 0, 0, 0, 0, {}, 0, 0}},
    // Cap, applied last and to bonuses too.
    {"cap_applies", CapRules(60), Purchase(10000), {10000, 0, 100, 0, 0, {}, 40, 60}},
    {"cap_equal_total", CapRules(100), Purchase(10000), {10000, 0, 100, 0, 0, {}, 0, 100}},
    {"cap_includes_bonuses",
     CapRules(120),
     WithCampaigns(WithTier(Purchase(5000), 15000), {Campaign(3, {}, 0, 100)}),
     {5000, 0, 50, 0, 25, {{3, 100}}, 55, 120}},
    {"cap_after_rounding",
     With(CapRules(10), EarnRounding::kUp),
     Purchase(1001),
     {1001, 0, 11, 0, 0, {}, 1, 10}},
    // Tier multiplier: on base + multiplier points, not on campaigns.
    {"tier_multiplier",
     DollarRules(),
     WithTier(Purchase(1000), 15000),
     {1000, 0, 10, 0, 5, {}, 0, 15}},
    {"tier_on_category_multiplier",
     FuelDoubleRules(),
     WithTier(Purchase(1000, {Line("", "fuel", 1000)}), 15000),
     {1000, 0, 10, 10, 10, {}, 0, 30}},
    {"tier_not_on_campaign",
     DollarRules(),
     WithCampaigns(WithTier(Purchase(1000), 15000), {Campaign(1, {}, 10000)}),
     {1000, 0, 10, 0, 5, {{1, 10}}, 0, 25}},
    // Campaigns.
    {"campaign_double_points",
     DollarRules(),
     WithCampaigns(Purchase(1000), {Campaign(1, {}, 10000)}),
     {1000, 0, 10, 0, 0, {{1, 10}}, 0, 20}},
    {"campaign_category_only",
     FuelDoubleRules(),
     WithCampaigns(Purchase(1500, {Line("", "fuel", 1000), Line("", "grocery", 500)}),
                   {Campaign(1, {"fuel"}, 10000)}),
     {1500, 0, 15, 10, 0, {{1, 10}}, 0, 35}},
    {"campaign_category_misses_uncategorised",
     DollarRules(),
     WithCampaigns(Purchase(1000), {Campaign(1, {"fuel"}, 10000)}),
     {1000, 0, 10, 0, 0, {}, 0, 10}},
    {"campaign_fixed_below_min_spend",
     DollarRules(),
     WithCampaigns(Purchase(4999), {Campaign(1, {}, 0, 100, 5000)}),
     {4999, 0, 49, 0, 0, {}, 0, 49}},
    {"campaign_fixed_at_min_spend",
     DollarRules(),
     WithCampaigns(Purchase(5000), {Campaign(1, {}, 0, 100, 5000)}),
     {5000, 0, 50, 0, 0, {{1, 100}}, 0, 150}},
    {"campaign_min_spend_in_its_categories",
     DollarRules(),
     WithCampaigns(Purchase(6000, {Line("", "fuel", 3000), Line("", "grocery", 3000)}),
                   {Campaign(1, {"fuel"}, 0, 100, 5000)}),
     {6000, 0, 60, 0, 0, {}, 0, 60}},
    {"campaign_multiplier_and_fixed",
     DollarRules(),
     WithCampaigns(Purchase(1000), {Campaign(1, {}, 10000, 50)}),
     {1000, 0, 10, 0, 0, {{1, 60}}, 0, 70}},
    {"campaign_needs_eligible_amount",
     ExclusionRules(),
     WithCampaigns(Purchase(1000, {Line("", "tobacco", 1000)}), {Campaign(1, {}, 0, 100)}),
     {0, 1000, 0, 0, 0, {}, 0, 0}},
    {"campaigns_in_order_zero_left_out",
     DollarRules(),
     WithCampaigns(Purchase(1000),
                   {Campaign(9, {}, 5000), Campaign(4, {"toys"}, 10000), Campaign(2, {}, 0, 7)}),
     {1000, 0, 10, 0, 0, {{9, 5}, {2, 7}}, 0, 22}},
    // 0.5 base + 0.5 campaign = 1 point: the campaign's share truncates to 0
    // (left out) and base takes the point.
    {"campaign_fraction_goes_to_base",
     DollarRules(),
     WithCampaigns(Purchase(50), {Campaign(1, {}, 10000)}),
     {50, 0, 1, 0, 0, {}, 0, 1}},
    {"campaign_truncated_rest_to_base",
     DollarRules(),
     WithCampaigns(Purchase(150), {Campaign(1, {}, 10000)}),
     {150, 0, 2, 0, 0, {{1, 1}}, 0, 3}},
    // Line items covering part of the amount.
    {"lines_partly_cover_amount",
     FuelDoubleRules(),
     Purchase(3000, {Line("", "fuel", 1000)}),
     {3000, 0, 30, 10, 0, {}, 0, 40}},
    {"line_without_sku_or_category",
     FuelDoubleRules(),
     Purchase(1000, {Line("", "", 400)}),
     {1000, 0, 10, 0, 0, {}, 0, 10}},
    {"zero_amount_line",
     FuelDoubleRules(),
     Purchase(1000, {Line("", "fuel", 0), Line("", "grocery", 1000)}),
     {1000, 0, 10, 0, 0, {}, 0, 10}},
    Everything(),
};

INSTANTIATE_TEST_SUITE_P(Rules, EarnTable, ::testing::ValuesIn(kEarnCases), CaseName<EarnCase>);

// Extremes: 10^12 amounts with 100x multipliers and 100 campaigns, all exact.
TEST(EarnExtremes, LargestAmountWithEveryMultiplierIsExact) {
  EarnRules rules;
  rules.base = EarnRate{1, kMaxEarnRateTerm};  // 1000 points on 10^12
  rules.multipliers = {SkuMultiplier("BIG", kMaxMultiplierBps)};
  EarnInput input = Purchase(kMaxAmountMinor, {Line("BIG", "x", kMaxAmountMinor)});
  input.tier_multiplier_bps = kMaxMultiplierBps;
  for (int64_t id = 1; id <= static_cast<int64_t>(kMaxCampaignsPerAccrual); ++id) {
    input.campaigns.push_back(Campaign(id, {}, kMaxMultiplierBps, kMaxPointsPerRequest / 1000));
  }
  const EarnBreakdown breakdown = Evaluate(rules, input);
  EXPECT_EQ(breakdown.base_points, 1'000);
  EXPECT_EQ(breakdown.multiplier_points, 99'000);
  EXPECT_EQ(breakdown.tier_points, 9'900'000);
  ASSERT_EQ(breakdown.campaign_points.size(), kMaxCampaignsPerAccrual);
  EXPECT_EQ(breakdown.campaign_points[0].points, 100'000 + 1'000'000'000);
  EXPECT_EQ(breakdown.total_points, 10'000'000 + 100 * (100'000 + 1'000'000'000LL));
}

TEST(EarnExtremes, TotalAtTheLimitIsAccepted) {
  EarnRules rules;
  rules.base = EarnRate{1, 1};
  const EarnBreakdown breakdown = Evaluate(rules, Purchase(kMaxAmountMinor));
  EXPECT_EQ(breakdown.total_points, kMaxPointsPerRequest);
}

TEST(EarnExtremes, TotalAboveTheLimitIsRejectedEvenWhenCapped) {
  EarnRules rules;
  rules.base = EarnRate{1, 1};
  rules.max_points_per_transaction = 100;
  EarnInput input = WithCampaigns(Purchase(kMaxAmountMinor), {Campaign(1, {}, 0, 1)});
  auto result = EvaluateEarn(rules, input);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(result.error().reason, "POINTS_LIMIT_EXCEEDED");
  EXPECT_EQ(result.error().field, "amount");
}

TEST(EarnExtremes, HugeRateTimesHugeMultipliersIsRejectedNotOverflowed) {
  EarnRules rules;
  rules.base = EarnRate{kMaxEarnRateTerm, 1};  // 10^21 base points
  rules.multipliers = {SkuMultiplier("BIG", kMaxMultiplierBps)};
  EarnInput input = Purchase(kMaxAmountMinor, {Line("BIG", "x", kMaxAmountMinor)});
  input.tier_multiplier_bps = kMaxMultiplierBps;
  input.campaigns = {Campaign(1, {}, kMaxMultiplierBps, kMaxPointsPerRequest)};
  auto result = EvaluateEarn(rules, input);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().reason, "POINTS_LIMIT_EXCEEDED");
}

TEST(EarnExtremes, ZeroMultiplierOnAHugeBaseCannotHideAnOversizedComponent) {
  EarnRules rules;
  rules.base = EarnRate{1000, 1};
  rules.multipliers = {CategoryMultiplier("free", 0)};
  auto result = EvaluateEarn(rules, Purchase(kMaxAmountMinor, {Line("", "free", kMaxAmountMinor)}));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().reason, "POINTS_LIMIT_EXCEEDED");
}

TEST(EarnExtremes, AwkwardRateMatchesExactRationalInEveryMode) {
  const EarnRate rate{999'999'999, 999'999'998};
  const int64_t amount = kMaxAmountMinor / 2;
  const Int128 numerator = static_cast<Int128>(amount) * rate.points;
  const int64_t floor = static_cast<int64_t>(numerator / rate.per_amount_minor);
  const Int128 remainder = numerator % rate.per_amount_minor;
  ASSERT_NE(remainder, 0);
  const bool above_half = remainder * 2 > rate.per_amount_minor;
  EarnRules rules;
  rules.base = rate;
  EXPECT_EQ(Evaluate(With(rules, EarnRounding::kDown), Purchase(amount)).total_points, floor);
  EXPECT_EQ(Evaluate(With(rules, EarnRounding::kUp), Purchase(amount)).total_points, floor + 1);
  EXPECT_EQ(Evaluate(With(rules, EarnRounding::kHalfEven), Purchase(amount)).total_points,
            floor + (above_half ? 1 : 0));
}

// Fixed-seed random rules and purchases: the parts always add up, rounding
// modes are ordered and within one point, and the cap is respected.
TEST(EarnProperties, RandomRulesAddUpAndRoundConsistently) {
  std::mt19937_64 rng(20261123);
  const std::vector<std::string> categories = {"fuel", "grocery", "tobacco", "toys", ""};
  const std::vector<std::string> skus = {"A", "B", "C", "D", ""};
  auto pick = [&](const std::vector<std::string>& from) {
    return from[std::uniform_int_distribution<size_t>(0, from.size() - 1)(rng)];
  };
  auto between = [&](int64_t low, int64_t high) {
    return std::uniform_int_distribution<int64_t>(low, high)(rng);
  };
  for (int round = 0; round < 2000; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    EarnRules rules;
    rules.base = EarnRate{between(1, 20), between(1, 1000)};
    rules.multipliers = {CategoryMultiplier("fuel", static_cast<int32_t>(between(0, 50000))),
                         SkuMultiplier("A", static_cast<int32_t>(between(0, 50000)))};
    rules.excluded_categories = {"tobacco"};
    rules.excluded_skus = {"D"};
    rules.min_spend_minor = between(0, 1) == 0 ? 0 : between(0, 5000);
    rules.max_points_per_transaction = between(0, 1) == 0 ? 0 : between(1, 500);
    EarnInput input;
    int64_t covered = 0;
    for (int64_t i = between(0, 6); i > 0; --i) {
      const int64_t amount = between(0, 3000);
      covered += amount;
      input.line_items.push_back(Line(pick(skus), pick(categories), amount));
    }
    input.amount_minor = covered + between(0, 3000);
    input.tier_multiplier_bps = static_cast<int32_t>(between(10000, 30000));
    for (int64_t i = between(0, 3); i > 0; --i) {
      input.campaigns.push_back(Campaign(
          i, between(0, 1) == 0 ? std::vector<std::string>{} : std::vector{pick(categories)},
          static_cast<int32_t>(between(0, 20000)), between(0, 50), between(0, 4000)));
    }
    input.campaigns.erase(std::remove_if(input.campaigns.begin(), input.campaigns.end(),
                                         [](const CampaignOffer& c) {
                                           return !c.categories.empty() && c.categories[0].empty();
                                         }),
                          input.campaigns.end());
    const EarnBreakdown down = Evaluate(With(rules, EarnRounding::kDown), input);
    const EarnBreakdown even = Evaluate(With(rules, EarnRounding::kHalfEven), input);
    const EarnBreakdown up = Evaluate(With(rules, EarnRounding::kUp), input);
    const int64_t uncapped_down = down.total_points + down.capped_points;
    const int64_t uncapped_even = even.total_points + even.capped_points;
    const int64_t uncapped_up = up.total_points + up.capped_points;
    EXPECT_LE(uncapped_down, uncapped_even);
    EXPECT_LE(uncapped_even, uncapped_up);
    EXPECT_LE(uncapped_up, uncapped_down + 1);
    if (rules.max_points_per_transaction > 0) {
      EXPECT_LE(down.total_points, rules.max_points_per_transaction);
      EXPECT_LE(up.total_points, rules.max_points_per_transaction);
    }
    // The non-base parts do not depend on the rounding mode.
    EXPECT_EQ(down.multiplier_points, up.multiplier_points);
    EXPECT_EQ(down.tier_points, up.tier_points);
  }
}

// Validation: each broken rule set is rejected naming its field.
struct RulesErrorCase {
  std::string name;
  EarnRules rules;
  std::string field;
};

void PrintTo(const RulesErrorCase& error_case, std::ostream* os) { *os << error_case.name; }

class RulesValidationTable : public ::testing::TestWithParam<RulesErrorCase> {};

TEST_P(RulesValidationTable, NamesTheField) {
  const RulesErrorCase& c = GetParam();
  auto error = ValidateEarnRules(c.rules);
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(error->field, c.field) << error->message;
  // EvaluateEarn refuses the same rules, with the same field.
  auto result = EvaluateEarn(c.rules, Purchase(1000));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().field, c.field);
}

template <typename Edit>
EarnRules Broken(Edit edit) {
  EarnRules rules = DollarRules();
  rules.multipliers = {CategoryMultiplier("fuel", 20000), SkuMultiplier("A1", 30000)};
  rules.excluded_categories = {"tobacco"};
  rules.excluded_skus = {"GC100"};
  edit(rules);
  return rules;
}

const RulesErrorCase kRulesErrorCases[] = {
    {"base_points_zero", Broken([](EarnRules& r) { r.base.points = 0; }), "rules.base.points"},
    {"base_per_amount_zero", Broken([](EarnRules& r) { r.base.per_amount_minor = 0; }),
     "rules.base.per_amount_minor"},
    {"base_points_too_large", Broken([](EarnRules& r) { r.base.points = kMaxEarnRateTerm + 1; }),
     "rules.base.points"},
    {"multiplier_both_set", Broken([](EarnRules& r) {
       r.multipliers.push_back({"toys", "T1", 20000});
     }),
     "rules.multipliers[2]"},
    {"multiplier_neither_set", Broken([](EarnRules& r) {
       r.multipliers.push_back({"", "", 20000});
     }),
     "rules.multipliers[2]"},
    {"multiplier_bps_negative",
     Broken([](EarnRules& r) { r.multipliers.push_back(CategoryMultiplier("toys", -1)); }),
     "rules.multipliers[2].multiplier_bps"},
    {"multiplier_bps_too_large",
     Broken([](EarnRules& r) { r.multipliers[1].multiplier_bps = kMaxMultiplierBps + 1; }),
     "rules.multipliers[1].multiplier_bps"},
    {"multiplier_duplicate_sku",
     Broken([](EarnRules& r) { r.multipliers.push_back(SkuMultiplier("A1", 20000)); }),
     "rules.multipliers[2].sku"},
    {"multiplier_duplicate_category",
     Broken([](EarnRules& r) { r.multipliers.push_back(CategoryMultiplier("fuel", 30000)); }),
     "rules.multipliers[2].category"},
    {"multiplier_sku_excluded",
     Broken([](EarnRules& r) { r.multipliers.push_back(SkuMultiplier("GC100", 20000)); }),
     "rules.multipliers[2].sku"},
    {"multiplier_category_excluded",
     Broken([](EarnRules& r) { r.multipliers.push_back(CategoryMultiplier("tobacco", 20000)); }),
     "rules.multipliers[2].category"},
    {"multiplier_sku_control_character",
     Broken([](EarnRules& r) { r.multipliers[1].sku = "A\n1"; }), "rules.multipliers[1].sku"},
    {"too_many_multipliers", Broken([](EarnRules& r) {
       for (size_t i = 0; i < kMaxEarnRuleEntries; ++i) {
         r.multipliers.push_back(SkuMultiplier("S" + std::to_string(i), 20000));
       }
     }),
     "rules.multipliers"},
    {"excluded_category_empty", Broken([](EarnRules& r) { r.excluded_categories.push_back(""); }),
     "rules.excluded_categories[1]"},
    {"excluded_sku_duplicate", Broken([](EarnRules& r) { r.excluded_skus.push_back("GC100"); }),
     "rules.excluded_skus[1]"},
    {"min_spend_negative", Broken([](EarnRules& r) { r.min_spend_minor = -1; }),
     "rules.min_spend_minor"},
    {"min_spend_too_large", Broken([](EarnRules& r) { r.min_spend_minor = kMaxAmountMinor + 1; }),
     "rules.min_spend_minor"},
    {"cap_negative", Broken([](EarnRules& r) { r.max_points_per_transaction = -1; }),
     "rules.max_points_per_transaction"},
    {"cap_too_large",
     Broken([](EarnRules& r) { r.max_points_per_transaction = kMaxPointsPerRequest + 1; }),
     "rules.max_points_per_transaction"},
    {"rounding_unknown", Broken([](EarnRules& r) { r.rounding = static_cast<EarnRounding>(7); }),
     "rules.rounding"},
};

INSTANTIATE_TEST_SUITE_P(Rules, RulesValidationTable, ::testing::ValuesIn(kRulesErrorCases),
                         CaseName<RulesErrorCase>);

TEST(RulesValidation, ValidRulesPass) {
  EXPECT_FALSE(ValidateEarnRules(Broken([](EarnRules&) {})).has_value());
  EXPECT_FALSE(ValidateEarnRules(Everything().rules).has_value());
}

// Bad purchase input: rejected, naming the field.
struct InputErrorCase {
  std::string name;
  EarnInput input;
  std::string field;
};

void PrintTo(const InputErrorCase& error_case, std::ostream* os) { *os << error_case.name; }

class EarnInputTable : public ::testing::TestWithParam<InputErrorCase> {};

TEST_P(EarnInputTable, NamesTheField) {
  const InputErrorCase& c = GetParam();
  auto result = EvaluateEarn(DollarRules(), c.input);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(result.error().field, c.field) << result.error().message;
}

const InputErrorCase kInputErrorCases[] = {
    {"amount_negative", Purchase(-1), "amount"},
    {"amount_too_large", Purchase(kMaxAmountMinor + 1), "amount"},
    {"line_negative", Purchase(1000, {Line("", "a", 10), Line("", "b", -1)}),
     "line_items[1].amount"},
    {"lines_exceed_amount", Purchase(1000, {Line("", "a", 600), Line("", "b", 401)}), "line_items"},
    {"tier_below_one", WithTier(Purchase(1000), 9999), "tier_multiplier_bps"},
    {"tier_too_large", WithTier(Purchase(1000), kMaxMultiplierBps + 1), "tier_multiplier_bps"},
    {"campaign_multiplier_negative", WithCampaigns(Purchase(1000), {Campaign(1, {}, -1)}),
     "campaigns[0].multiplier_bps"},
    {"campaign_fixed_negative",
     WithCampaigns(Purchase(1000), {Campaign(1, {}, 0), Campaign(2, {}, 0, -5)}),
     "campaigns[1].fixed_points"},
    {"campaign_min_spend_negative", WithCampaigns(Purchase(1000), {Campaign(1, {}, 0, 0, -1)}),
     "campaigns[0].min_spend_minor"},
    {"campaign_duplicate",
     WithCampaigns(Purchase(1000),
                   {Campaign(4, {}, 10000), Campaign(5, {}, 0, 1), Campaign(4, {}, 10000)}),
     "campaigns[2].campaign_id"},
    {"campaign_empty_category", WithCampaigns(Purchase(1000), {Campaign(1, {""}, 10000)}),
     "campaigns[0].categories[0]"},
};

INSTANTIATE_TEST_SUITE_P(Rules, EarnInputTable, ::testing::ValuesIn(kInputErrorCases),
                         CaseName<InputErrorCase>);

// Tiers.
const std::vector<TierRule> kTiers = {{"Member", 0, 10000},
                                      {"Silver", 1000, 12500},
                                      {"Gold", 5000, 15000},
                                      {"Platinum", 20000, 20000}};

struct TierErrorCase {
  std::string name;
  std::vector<TierRule> tiers;
  std::string field;
};

void PrintTo(const TierErrorCase& error_case, std::ostream* os) { *os << error_case.name; }

class TierValidationTable : public ::testing::TestWithParam<TierErrorCase> {};

TEST_P(TierValidationTable, NamesTheField) {
  const TierErrorCase& c = GetParam();
  auto error = ValidateTiers(c.tiers);
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(error->field, c.field) << error->message;
}

const TierErrorCase kTierErrorCases[] = {
    {"empty", {}, "tiers"},
    {"first_not_zero", {{"Member", 10, 10000}}, "tiers[0].threshold_points"},
    {"not_ascending",
     {{"M", 0, 10000}, {"S", 1000, 10000}, {"G", 900, 10000}},
     "tiers[2].threshold_points"},
    {"equal_thresholds", {{"M", 0, 10000}, {"S", 0, 10000}}, "tiers[1].threshold_points"},
    {"duplicate_name", {{"M", 0, 10000}, {"M", 100, 10000}}, "tiers[1].name"},
    {"empty_name", {{"", 0, 10000}}, "tiers[0].name"},
    {"multiplier_below_one", {{"M", 0, 10000}, {"S", 100, 9000}}, "tiers[1].earn_multiplier_bps"},
    {"threshold_too_large",
     {{"M", 0, 10000}, {"S", kMaxTierThresholdPoints + 1, 10000}},
     "tiers[1].threshold_points"},
};

INSTANTIATE_TEST_SUITE_P(Rules, TierValidationTable, ::testing::ValuesIn(kTierErrorCases),
                         CaseName<TierErrorCase>);

TEST(TierValidation, ValidTablesPass) {
  EXPECT_FALSE(ValidateTiers(kTiers).has_value());
  EXPECT_FALSE(ValidateTiers({{"Only", 0, 10000}}).has_value());
}

struct TierForCase {
  int64_t qualifying_points;
  size_t tier_index;
  std::optional<size_t> next_index;
  int64_t points_to_next;
};

class TierForTable : public ::testing::TestWithParam<TierForCase> {};

TEST_P(TierForTable, TierAndProgress) {
  const TierForCase& c = GetParam();
  const TierStatus status = TierFor(kTiers, c.qualifying_points);
  EXPECT_EQ(status.tier_index, c.tier_index);
  EXPECT_EQ(status.next_index, c.next_index);
  EXPECT_EQ(status.points_to_next, c.points_to_next);
}

INSTANTIATE_TEST_SUITE_P(Rules, TierForTable,
                         ::testing::Values(TierForCase{0, 0, 1, 1000}, TierForCase{999, 0, 1, 1},
                                           TierForCase{1000, 1, 2, 4000},
                                           TierForCase{4999, 1, 2, 1},
                                           TierForCase{5000, 2, 3, 15000},
                                           TierForCase{19999, 2, 3, 1},
                                           TierForCase{20000, 3, std::nullopt, 0},
                                           TierForCase{kMaxTierThresholdPoints, 3, std::nullopt, 0},
                                           TierForCase{-50, 0, 1, 1050}));

TEST(TierFor, ExtremesAndSingleTier) {
  EXPECT_EQ(TierFor(kTiers, std::numeric_limits<int64_t>::min()).points_to_next,
            std::numeric_limits<int64_t>::max());
  EXPECT_EQ(TierFor(kTiers, std::numeric_limits<int64_t>::max()).tier_index, 3u);
  const TierStatus single = TierFor({{"Only", 0, 10000}}, 123);
  EXPECT_EQ(single.tier_index, 0u);
  EXPECT_FALSE(single.next_index.has_value());
  EXPECT_EQ(single.points_to_next, 0);
  EXPECT_EQ(TierFor({}, 5).tier_index, 0u);
}

struct ReviewCase {
  std::string name;
  size_t current;
  int64_t qualifying_points;
  std::optional<int64_t> days_below;
  size_t expected;
};

void PrintTo(const ReviewCase& review_case, std::ostream* os) { *os << review_case.name; }

class TierReviewTable : public ::testing::TestWithParam<ReviewCase> {};

TEST_P(TierReviewTable, HoldsOrMoves) {
  const ReviewCase& c = GetParam();
  EXPECT_EQ(TierAfterReview(kTiers, c.current, c.qualifying_points, c.days_below, 90), c.expected);
}

const ReviewCase kReviewCases[] = {
    {"still_qualifies", 2, 6000, std::nullopt, 2},
    {"below_not_yet_graced", 2, 3000, 89, 2},
    {"below_exactly_grace", 2, 3000, 90, 1},
    {"below_past_grace_drops_to_earned", 2, 3000, 400, 1},
    {"drops_several_tiers_at_once", 3, 0, 120, 0},
    {"below_without_days_holds", 2, 3000, std::nullopt, 2},
    {"review_applies_missed_upgrade", 1, 25000, std::nullopt, 3},
    {"current_beyond_table_is_top", 10, 25000, std::nullopt, 3},
    {"member_tier_never_drops", 0, 0, 1000, 0},
};

INSTANTIATE_TEST_SUITE_P(Rules, TierReviewTable, ::testing::ValuesIn(kReviewCases),
                         CaseName<ReviewCase>);

TEST(TierReview, ZeroGraceDropsAtTheFirstReview) {
  EXPECT_EQ(TierAfterReview(kTiers, 2, 3000, 0, 0), 1u);
}

// A member over two simulated years of daily accruals and monthly reviews,
// with qualifying points over a rolling 365 days, upgrades at once on accrual
// and a 90-day grace before a downgrade. The clock is the simulated day.
class TierYear {
 public:
  explicit TierYear(std::map<int64_t, int64_t> accruals) : accruals_(std::move(accruals)) {}

  // Runs days [from, to], reviewing on every day that is a multiple of 30,
  // and returns the tier held after each review.
  std::vector<std::string> Run(int64_t from, int64_t to) {
    std::vector<std::string> held;
    for (int64_t day = from; day <= to; ++day) {
      const int64_t points = QualifyingPoints(day);
      const size_t earned = TierFor(kTiers, points).tier_index;
      if (earned > current_) current_ = earned;  // upgrade at once
      TrackBelow(day, points);
      if (day > 0 && day % 30 == 0) {
        std::optional<int64_t> days_below;
        if (below_since_) days_below = day - *below_since_;
        current_ = TierAfterReview(kTiers, current_, points, days_below, 90);
        TrackBelow(day, points);
        held.push_back(kTiers[current_].name);
      }
    }
    return held;
  }

 private:
  int64_t QualifyingPoints(int64_t day) const {
    int64_t sum = 0;
    for (const auto& [when, points] : accruals_) {
      if (when <= day && when > day - 365) sum += points;
    }
    return sum;
  }

  void TrackBelow(int64_t day, int64_t points) {
    if (points < kTiers[current_].threshold_points) {
      if (!below_since_) below_since_ = day;
    } else {
      below_since_.reset();
    }
  }

  std::map<int64_t, int64_t> accruals_;
  size_t current_ = 0;
  std::optional<int64_t> below_since_;
};

TEST(TierYear, DowngradeOnlyAfterTheGracePeriod) {
  // Gold from 7500 points earned last year; 6000 of them leave the window on
  // day 65 (Silver earned, grace until day 155, first review after: day 180).
  // A 4000-point accrual on day 200 is Gold at once; 1500 points leave on day
  // 265, so Gold is held until the review of day 360 (95 days below).
  TierYear year({{-300, 6000}, {-100, 1500}, {200, 4000}});
  const std::vector<std::string> expected = {"Gold", "Gold", "Gold", "Gold", "Gold", "Silver",
                                             "Gold", "Gold", "Gold", "Gold", "Gold", "Silver"};
  EXPECT_EQ(year.Run(-300, 360), expected);
}

TEST(TierYear, ADipRecoveredWithinGraceIsForgotten) {
  // Gold (8200) on day 0; the 5000 of day -325 leave on day 40 (3200, below
  // Gold) and day 100 brings 1900 (5100): 60 days below, no downgrade. The 200
  // of day -200 leave on day 165 (4900): a fresh grace period starts there, so
  // the downgrade comes at the review of day 270 (105 days), not day 180.
  TierYear year({{-325, 5000}, {-200, 200}, {0, 3000}, {100, 1900}});
  const std::vector<std::string> expected = {"Gold",   "Gold",   "Gold",   "Gold",
                                             "Gold",   "Gold",   "Gold",   "Gold",
                                             "Silver", "Silver", "Silver", "Silver"};
  EXPECT_EQ(year.Run(-325, 360), expected);
}

TEST(TierYear, LapsedMemberFallsStraightToTheEarnedTier) {
  // Platinum from one big purchase, then nothing: it leaves the window on day
  // 65; the review of day 180 (115 days below) drops straight to Member.
  TierYear year(std::map<int64_t, int64_t>{{-300, 25000}});
  const std::vector<std::string> held = year.Run(-300, 360);
  ASSERT_EQ(held.size(), 12u);
  for (size_t month = 0; month < 5; ++month) EXPECT_EQ(held[month], "Platinum");
  for (size_t month = 5; month < 12; ++month) EXPECT_EQ(held[month], "Member");
}

// Targeted bonuses: top spenders.
struct TopCase {
  std::string name;
  std::vector<std::pair<int64_t, int64_t>> spend;
  int percent;
  std::vector<int64_t> expected;
};

void PrintTo(const TopCase& top_case, std::ostream* os) { *os << top_case.name; }

class TopSpendersTable : public ::testing::TestWithParam<TopCase> {};

TEST_P(TopSpendersTable, Selects) {
  const TopCase& c = GetParam();
  EXPECT_EQ(TopSpenders(c.spend, c.percent), c.expected);
}

std::vector<std::pair<int64_t, int64_t>> Ranked(int64_t members) {
  // Member i spent 100·i: the highest id spent most.
  std::vector<std::pair<int64_t, int64_t>> spend;
  for (int64_t id = 1; id <= members; ++id) spend.emplace_back(id, 100 * id);
  return spend;
}

const TopCase kTopCases[] = {
    {"empty", {}, 10, {}},
    {"ten_percent_of_ten", Ranked(10), 10, {10}},
    {"ten_percent_of_fifteen_rounds_up", Ranked(15), 10, {15, 14}},
    {"ten_percent_of_twenty", Ranked(20), 10, {20, 19}},
    {"at_least_one", Ranked(3), 1, {3}},
    {"everyone", Ranked(4), 100, {4, 3, 2, 1}},
    {"percent_zero_clamped_to_one", Ranked(3), 0, {3}},
    {"percent_above_hundred_clamped", Ranked(2), 150, {2, 1}},
    {"ties_by_member_id", {{5, 100}, {3, 100}, {9, 100}, {1, 50}}, 50, {3, 5}},
    {"ties_everyone_equal", {{8, 7}, {2, 7}, {4, 7}}, 100, {2, 4, 8}},
    {"non_spenders_never_selected", {{1, 0}, {2, -5}, {3, 10}}, 100, {3}},
    {"nobody_spent", {{1, 0}, {2, 0}}, 50, {}},
    {"same_member_summed", {{1, 60}, {2, 100}, {1, 60}}, 1, {1}},
    {"huge_spends_do_not_overflow",
     {{1, std::numeric_limits<int64_t>::max()}, {1, std::numeric_limits<int64_t>::max()}, {2, 1}},
     50,
     {1}},
};

INSTANTIATE_TEST_SUITE_P(Rules, TopSpendersTable, ::testing::ValuesIn(kTopCases),
                         CaseName<TopCase>);

TEST(TopSpenders, TenPercentOfAThousandIsTheTopHundred) {
  std::vector<std::pair<int64_t, int64_t>> spend;
  std::mt19937_64 rng(7);
  for (int64_t id = 1; id <= 1000; ++id) {
    spend.emplace_back(id, std::uniform_int_distribution<int64_t>(1, 50)(rng));
  }
  const std::vector<int64_t> top = TopSpenders(spend, 10);
  ASSERT_EQ(top.size(), 100u);
  std::map<int64_t, int64_t> by_id(spend.begin(), spend.end());
  // Best first, and nobody left out spent more than (or as much with a lower
  // id than) the last one in.
  for (size_t i = 1; i < top.size(); ++i) EXPECT_GE(by_id[top[i - 1]], by_id[top[i]]);
  const int64_t last = top.back();
  for (const auto& [id, amount] : spend) {
    if (std::find(top.begin(), top.end(), id) != top.end()) continue;
    EXPECT_TRUE(amount < by_id[last] || (amount == by_id[last] && id > last)) << id;
  }
}

// Breakage forecast on synthetic cohorts with a known answer.
//
// Every cohort follows one curve: 2.5% of issued points redeemed per month for
// 24 months (60%), then nothing until the 36-month lifetime, when the other
// 40% expire. The ultimate redemption rate is 60% = 6000 bps.
Cohort SyntheticCohort(int age, int64_t issued) {
  Cohort cohort;
  cohort.issued = issued;
  cohort.age_months = age;
  cohort.redeemed = issued * std::min(age, 24) / 40;
  cohort.expired = age >= 36 ? issued - cohort.redeemed : 0;
  return cohort;
}

TEST(Forecast, NoCohortsForecastsNothing) {
  EXPECT_EQ(ForecastRedemptionRateBps({}), 0);
  EXPECT_EQ(ForecastRedemptionRateBps({{0, 0, 0, 5}, {-10, 0, 0, 7}}), 0);
}

TEST(Forecast, FullyResolvedCohortsGiveTheirActualRate) {
  EXPECT_EQ(ForecastRedemptionRateBps({{1000, 700, 300, 40}, {3000, 1800, 1200, 41}}), 6250);
}

TEST(Forecast, SyntheticBookOverFourYearsRecoversTheCurve) {
  std::vector<Cohort> cohorts;
  for (int age = 0; age < 48; ++age) cohorts.push_back(SyntheticCohort(age, 4000 + 400 * age));
  EXPECT_EQ(ForecastRedemptionRateBps(cohorts), 6000);
}

TEST(Forecast, SyntheticBookWithRandomCohortSizes) {
  std::mt19937_64 rng(42);
  std::vector<Cohort> cohorts;
  for (int age = 0; age < 48; ++age) {
    for (int partner = 0; partner < 3; ++partner) {
      cohorts.push_back(
          SyntheticCohort(age, 40 * std::uniform_int_distribution<int64_t>(1, 1'000'000)(rng)));
    }
  }
  EXPECT_EQ(ForecastRedemptionRateBps(cohorts), 6000);
}

TEST(Forecast, YoungBookWhoseCurveHasFlattenedRecoversTheCurve) {
  // Only 30 months of history, no expiry seen yet: the curve is flat after 24.
  std::vector<Cohort> cohorts;
  for (int age = 0; age < 30; ++age) cohorts.push_back(SyntheticCohort(age, 4000 + 400 * age));
  EXPECT_EQ(ForecastRedemptionRateBps(cohorts), 6000);
}

TEST(Forecast, BreakageIsTheComplement) {
  // A second synthetic curve: 1% a month for 36 months, the rest (64%) expires.
  std::vector<Cohort> cohorts;
  for (int age = 0; age < 60; ++age) {
    const int64_t issued = 100 * (50 + age);
    const int64_t redeemed = issued * std::min(age, 36) / 100;
    cohorts.push_back({issued, redeemed, age >= 36 ? issued - redeemed : 0, age});
  }
  EXPECT_EQ(10000 - ForecastRedemptionRateBps(cohorts), 6400);
}

TEST(Forecast, YoungCohortWithoutRedemptionsIsDevelopedNotZeroed) {
  // Multiplicative development would project the new cohort to 0 (2500 bps).
  EXPECT_EQ(ForecastRedemptionRateBps({{1000, 0, 0, 0}, {1000, 500, 0, 30}}), 5000);
}

TEST(Forecast, ExpiredPointsCapACohortsDevelopment) {
  // The young cohort lost 900 points to expiry: at most 100 can be redeemed.
  EXPECT_EQ(ForecastRedemptionRateBps({{1000, 0, 900, 5}, {1000, 500, 0, 30}}), 3000);
}

TEST(Forecast, ADipInTheCurveIsTreatedAsNoise) {
  // The pooled curve 60% / 50% / 70% at ages 10 / 20 / 30 is read as 60% / 60%
  // / 70%: the age-20 cohort develops by the 10 points the curve still adds
  // after age 20 (to 60%), not by 20 points out of a dip; the age-10 cohort by
  // 10 (to 70%). (700 + 600 + 700) / 3000.
  EXPECT_EQ(ForecastRedemptionRateBps({{1000, 600, 0, 10}, {1000, 500, 0, 20}, {1000, 700, 0, 30}}),
            6667);
  // A dip at the oldest age takes nothing away from what cohorts redeemed.
  EXPECT_EQ(ForecastRedemptionRateBps({{1000, 600, 0, 10}, {1000, 500, 0, 20}}), 5500);
}

TEST(Forecast, InconsistentCohortsAreClamped) {
  // Redeemed above issued counts as all redeemed; negative values as zero.
  EXPECT_EQ(ForecastRedemptionRateBps({{1000, 5000, 0, 40}, {1000, -3, 2000, 40}}), 5000);
}

TEST(Forecast, HugeCohortsDoNotOverflow) {
  const int64_t huge = 1'000'000'000'000'000;
  EXPECT_EQ(
      ForecastRedemptionRateBps({{huge, huge / 4, huge - huge / 4, 40}, {huge, huge / 4, 0, 40}}),
      2500);
}

// Tier state over time: upgrade on accrual, grace period, review.
const Timestamp kDay0 = Timestamp(std::chrono::hours(24 * 20'000));

Timestamp Day(int day) { return kDay0 + std::chrono::hours(24 * day); }

TEST(TierAfterAccrual, UpgradesAtOnceAndNeverDowngrades) {
  // kTiers: Member 0, Silver 1000, Gold 5000, Platinum 20000.
  EXPECT_EQ(TierAfterAccrual(kTiers, {0, {}}, 999, Day(0)), (MemberTier{0, {}}));
  EXPECT_EQ(TierAfterAccrual(kTiers, {0, {}}, 1000, Day(0)), (MemberTier{1, {}}));
  // Straight past Silver to Gold.
  EXPECT_EQ(TierAfterAccrual(kTiers, {0, {}}, 6000, Day(0)), (MemberTier{2, {}}));
  // Below the held tier (a clawback, or the window moved): kept, grace starts.
  EXPECT_EQ(TierAfterAccrual(kTiers, {2, {}}, 10, Day(3)), (MemberTier{2, Day(3)}));
  // Grace already running keeps its start.
  EXPECT_EQ(TierAfterAccrual(kTiers, {2, Day(1)}, 10, Day(3)), (MemberTier{2, Day(1)}));
  // Back at the threshold ends the grace period.
  EXPECT_EQ(TierAfterAccrual(kTiers, {2, Day(1)}, 5000, Day(3)), (MemberTier{2, {}}));
}

TEST(TierAfterAccrual, RankBeyondANewSmallerTableIsTheTopTier) {
  const std::vector<TierRule> two = {{"Member", 0, 10000}, {"Gold", 100, 15000}};
  EXPECT_EQ(TierAfterAccrual(two, {3, {}}, 500, Day(0)), (MemberTier{1, {}}));
  EXPECT_EQ(TierAfterAccrual({}, {3, Day(0)}, 500, Day(1)), (MemberTier{3, Day(0)}));
}

TEST(ReviewTier, GracePeriodThenStraightToTheEarnedTier) {
  const int64_t grace = 30;
  // First review below Platinum: grace starts, tier kept.
  EXPECT_EQ(ReviewTier(kTiers, {3, {}}, 1500, Day(0), grace), (MemberTier{3, Day(0)}));
  // 29 whole days below: still kept.
  EXPECT_EQ(ReviewTier(kTiers, {3, Day(0)}, 1500, Day(29), grace), (MemberTier{3, Day(0)}));
  // 30 days: down to Silver (what 1500 earns), not one step to Gold.
  EXPECT_EQ(ReviewTier(kTiers, {3, Day(0)}, 1500, Day(30), grace), (MemberTier{1, {}}));
  // Grace 0: down at the first review that sees it.
  EXPECT_EQ(ReviewTier(kTiers, {2, {}}, 10, Day(5), 0), (MemberTier{0, {}}));
  // Recovered before the end of grace: grace ends, tier kept.
  EXPECT_EQ(ReviewTier(kTiers, {2, Day(0)}, 5000, Day(10), grace), (MemberTier{2, {}}));
  // The review applies an upgrade it sees (e.g. a new table with lower thresholds).
  EXPECT_EQ(ReviewTier(kTiers, {0, {}}, 20000, Day(0), grace), (MemberTier{3, {}}));
  // Nothing to do is nothing changed: the review is idempotent.
  const MemberTier held{1, {}};
  EXPECT_EQ(ReviewTier(kTiers, held, 1200, Day(0), grace), held);
  const MemberTier in_grace{2, Day(0)};
  EXPECT_EQ(ReviewTier(kTiers, in_grace, 10, Day(1), grace), in_grace);
}

TEST(ReviewTier, NoTableChangesNothing) {
  const MemberTier held{2, Day(0)};
  EXPECT_EQ(ReviewTier({}, held, 0, Day(100), 0), held);
}

TEST(HeldTierStatus, ProgressFromTheHeldTier) {
  // Held Gold during grace with Silver's points: next is Platinum.
  const TierStatus gold = HeldTierStatus(kTiers, 2, 1500);
  EXPECT_EQ(gold.tier_index, 2u);
  EXPECT_EQ(gold.next_index, std::optional<size_t>(3));
  EXPECT_EQ(gold.points_to_next, 18500);
  // At the top: no next tier.
  const TierStatus top = HeldTierStatus(kTiers, 3, 50000);
  EXPECT_EQ(top.tier_index, 3u);
  EXPECT_FALSE(top.next_index.has_value());
  EXPECT_EQ(top.points_to_next, 0);
  // Already past the next threshold (not yet upgraded): 0 needed, never negative.
  EXPECT_EQ(HeldTierStatus(kTiers, 0, 7000).points_to_next, 0);
  // Negative points (clawbacks) need more.
  EXPECT_EQ(HeldTierStatus(kTiers, 0, -50).points_to_next, 1050);
  // A rank beyond the table is the top.
  EXPECT_EQ(HeldTierStatus(kTiers, 9, 0).tier_index, 3u);
}

}  // namespace
}  // namespace coalition::domain::test
