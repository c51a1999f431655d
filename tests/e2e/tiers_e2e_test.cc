// Tiers over real gRPC: the operator sets a tier table, a member earns into
// Gold, GetMember shows the tier and the progress to the next, the accrual
// breakdown shows the tier multiplier, and a bad table is refused with a
// machine-readable reason.
#include <tuple>

#include "e2e/e2e_fixture.h"

namespace coalition::testing {
namespace {

class TiersE2eTest : public E2eFixture {
 protected:
  static v1::SetTiersRequest ProgrammeTiers() {
    v1::SetTiersRequest request;
    for (const auto& [name, threshold, bps] :
         {std::tuple{"Member", 0, 10'000}, std::tuple{"Silver", 1'000, 12'500},
          std::tuple{"Gold", 5'000, 15'000}}) {
      auto* tier = request.add_tiers();
      tier->set_name(name);
      tier->set_threshold_points(threshold);
      tier->set_earn_multiplier_bps(bps);
    }
    request.set_grace_days(30);
    return request;
  }
};

TEST_F(TiersE2eTest, GetMemberShowsTierAndProgress) {
  const auto market = CreatePartner("market", 1, 100);
  v1::SetTiersResponse set;
  auto status = AdminStub()->SetTiers(Context(kOperatorKey).get(), ProgrammeTiers(), &set);
  ASSERT_TRUE(status.ok()) << sdk::FormatError(status);
  EXPECT_EQ(set.table().tiers_size(), 3);
  EXPECT_EQ(set.table().grace_days(), 30);

  ASSERT_TRUE(Enroll(market.api_key, "TIER-0001").ok());
  auto member = GetMember(market.api_key, "TIER-0001");
  EXPECT_EQ(member.tier_name(), "Member");
  EXPECT_EQ(member.qualifying_points(), 0);
  EXPECT_EQ(member.next_tier_name(), "Silver");
  EXPECT_EQ(member.points_to_next_tier(), 1000);

  // $50 to Gold at once; the next purchase earns 1.5x.
  ASSERT_TRUE(Accrue(market.api_key, "till-1", "TIER-0001", 5'000'00).ok());
  member = GetMember(market.api_key, "TIER-0001");
  EXPECT_EQ(member.tier_name(), "Gold");
  EXPECT_EQ(member.qualifying_points(), 5000);
  EXPECT_EQ(member.next_tier_name(), "");
  EXPECT_EQ(member.points_to_next_tier(), 0);

  v1::AccrueResponse accrued;
  ASSERT_TRUE(Accrue(market.api_key, "till-2", "TIER-0001", 100'00, &accrued).ok());
  EXPECT_EQ(accrued.points_earned(), 150);
  bool saw_tier = false;
  for (const auto& component : accrued.breakdown()) {
    if (component.kind() == "tier") {
      saw_tier = true;
      EXPECT_EQ(component.points(), 50);
    }
  }
  EXPECT_TRUE(saw_tier);

  v1::GetTiersResponse tiers;
  ASSERT_TRUE(AdminStub()->GetTiers(Context(kOperatorKey).get(), {}, &tiers).ok());
  ASSERT_TRUE(tiers.has_current());
  EXPECT_EQ(tiers.current().tiers(2).name(), "Gold");

  v1::RunTierReviewResponse reviewed;
  ASSERT_TRUE(AdminStub()->RunTierReview(Context(kOperatorKey).get(), {}, &reviewed).ok());
  EXPECT_EQ(reviewed.downgraded(), 0);
  ExpectLedgerConsistent();
}

TEST_F(TiersE2eTest, BadTableIsRefusedWithReasonAndField) {
  auto request = ProgrammeTiers();
  request.mutable_tiers(1)->set_threshold_points(9'000);  // above Gold's 5000
  v1::SetTiersResponse set;
  auto status = AdminStub()->SetTiers(Context(kOperatorKey).get(), request, &set);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Reason(status), "INVALID_ARGUMENT");
  EXPECT_EQ(Field(status), "tiers[2].threshold_points");

  request = ProgrammeTiers();
  request.mutable_effective_from()->set_seconds(1'000'000'000);  // 2001
  status = AdminStub()->SetTiers(Context(kOperatorKey).get(), request, &set);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(Reason(status), "EFFECTIVE_FROM_IN_PAST");

  v1::GetTiersResponse tiers;
  ASSERT_TRUE(AdminStub()->GetTiers(Context(kOperatorKey).get(), {}, &tiers).ok());
  EXPECT_FALSE(tiers.has_current());
  EXPECT_EQ(tiers.scheduled_size(), 0);
  EXPECT_EQ(db_.QueryValue("SELECT count(*) FROM tier_tables"), "0");
}

}  // namespace
}  // namespace coalition::testing
