// Targeted-bonus validation and totals, and the redemption forecast built
// from cohorts (domain/bonus.h).
#include <gtest/gtest.h>

#include "domain/bonus.h"

namespace coalition::domain {
namespace {

NewBonusGrant ValidGrant() {
  NewBonusGrant grant;
  grant.request_id = "grant-1";
  grant.segment = GrantSegment::kTopSpenders;
  grant.top_percent = 10;
  grant.as_of = Timestamp{std::chrono::hours(24 * 400)};
  grant.spend_from = Timestamp{std::chrono::hours(24 * 300)};
  grant.spend_to = Timestamp{std::chrono::hours(24 * 330)};
  grant.points = 500;
  grant.reason = "best customers";
  return grant;
}

TEST(BonusGrantValidation, AcceptsAValidGrantOfEitherSegment) {
  EXPECT_FALSE(ValidateNewBonusGrant(ValidGrant()).has_value());
  auto lapsing = ValidGrant();
  lapsing.segment = GrantSegment::kLapsing;
  lapsing.lapsed_days = 90;
  EXPECT_FALSE(ValidateNewBonusGrant(lapsing).has_value());
}

TEST(BonusGrantValidation, NamesTheFieldOfEachProblem) {
  struct Case {
    void (*spoil)(NewBonusGrant&);
    const char* field;
  };
  const Case cases[] = {
      {[](NewBonusGrant& g) { g.request_id.clear(); }, "request_id"},
      {[](NewBonusGrant& g) { g.points = 0; }, "points"},
      {[](NewBonusGrant& g) { g.points = -5; }, "points"},
      {[](NewBonusGrant& g) { g.points = kMaxGrantPointsPerMember + 1; }, "points"},
      {[](NewBonusGrant& g) { g.reason.clear(); }, "reason"},
      {[](NewBonusGrant& g) { g.reason.assign(201, 'x'); }, "reason"},
      {[](NewBonusGrant& g) { g.top_percent = 0; }, "top_spenders.percent"},
      {[](NewBonusGrant& g) { g.top_percent = 101; }, "top_spenders.percent"},
      {[](NewBonusGrant& g) { g.spend_to = g.spend_from; }, "top_spenders.to"},
      {[](NewBonusGrant& g) {
         g.spend_from = g.as_of + std::chrono::hours(1);
         g.spend_to = g.spend_from + std::chrono::hours(24);
       },
       "top_spenders.from"},
      {[](NewBonusGrant& g) {
         g.segment = GrantSegment::kLapsing;
         g.lapsed_days = 0;
       },
       "lapsing.days"},
      {[](NewBonusGrant& g) {
         g.segment = GrantSegment::kLapsing;
         g.lapsed_days = kMaxLapsedDays + 1;
       },
       "lapsing.days"},
  };
  for (const auto& c : cases) {
    auto grant = ValidGrant();
    c.spoil(grant);
    const auto error = ValidateNewBonusGrant(grant);
    ASSERT_TRUE(error.has_value()) << c.field;
    EXPECT_EQ(error->code, ErrorCode::kInvalidArgument) << c.field;
    EXPECT_EQ(error->field, c.field);
  }
}

TEST(BonusGrantTotals, MultipliesAndRefusesOverflowAndHugeSegments) {
  EXPECT_EQ(*GrantTotalPoints(500, 2), 1'000);
  auto too_many_points = GrantTotalPoints(kMaxGrantPointsPerMember, 10'000);
  ASSERT_FALSE(too_many_points.ok());
  EXPECT_EQ(too_many_points.error().reason, "POINTS_LIMIT_EXCEEDED");
  auto too_many_members = GrantTotalPoints(1, kMaxGrantMembers + 1);
  ASSERT_FALSE(too_many_members.ok());
  EXPECT_EQ(too_many_members.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_EQ(too_many_members.error().reason, "SEGMENT_TOO_LARGE");
}

CohortView At(int age, int64_t issued, int64_t redeemed, int64_t expired) {
  CohortView view;
  view.cohort = {issued, redeemed, expired, age};
  return view;
}

TEST(RedemptionForecast, NoCohortsForecastNothing) {
  const auto forecast = BuildRedemptionForecast({});
  EXPECT_EQ(forecast.redemption_rate_bps, 0);
  EXPECT_EQ(forecast.breakage_rate_bps, 0);
  EXPECT_EQ(forecast.estimated_breakage_points, 0);
}

TEST(RedemptionForecast, TotalsAndBreakageFollowTheForecastRate) {
  // A mature cohort (age 24) redeemed 60%; a young one (age 0) nothing yet,
  // so it develops by the whole curve: 60% of it too.
  const std::vector<CohortView> cohorts = {At(24, 1'000, 600, 100), At(0, 500, 0, 0)};
  const auto forecast = BuildRedemptionForecast(cohorts);
  std::vector<Cohort> plain = {cohorts[0].cohort, cohorts[1].cohort};
  EXPECT_EQ(forecast.redemption_rate_bps, ForecastRedemptionRateBps(plain));
  EXPECT_EQ(forecast.redemption_rate_bps, 6'000);
  EXPECT_EQ(forecast.breakage_rate_bps, 4'000);
  EXPECT_EQ(forecast.issued_points, 1'500);
  EXPECT_EQ(forecast.redeemed_points, 600);
  EXPECT_EQ(forecast.expired_points, 100);
  EXPECT_EQ(forecast.estimated_breakage_points, 600);
  ASSERT_EQ(forecast.cohorts.size(), 2u);
}

TEST(RedemptionForecast, EstimateRoundsHalfUpAndDoesNotOverflow) {
  // 1 point at 50% breakage: 0.5 rounds to 1.
  EXPECT_EQ(BuildRedemptionForecast({At(12, 2, 1, 0)}).estimated_breakage_points, 1);
  const int64_t huge = 4'000'000'000'000'000'000;
  const auto forecast = BuildRedemptionForecast({At(12, huge, huge / 2, 0)});
  EXPECT_EQ(forecast.breakage_rate_bps, 5'000);
  EXPECT_EQ(forecast.estimated_breakage_points, huge / 2);
}

}  // namespace
}  // namespace coalition::domain
