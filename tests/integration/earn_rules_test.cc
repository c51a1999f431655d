// Earn rules and campaigns against a real PostgreSQL: the breakdown of an
// accrual, effective dates, and campaign budgets and member caps that hold
// under concurrent accruals.
#include <atomic>
#include <thread>

#include "ledger_fixture.h"

namespace coalition::testing {
namespace {

class EarnRulesTest : public LedgerFixture {
 protected:
  EarnRulesTest() : fuel_(CreatePartner("fuel", {1, 100})) {}

  domain::AccrueCommand Purchase(const std::string& request_id, const std::string& card,
                                 int64_t amount_minor,
                                 std::vector<domain::LineItem> lines = {}) {
    auto command = AccrueCommand(request_id, card, amount_minor);
    command.line_items = std::move(lines);
    return command;
  }

  int64_t Component(const domain::AccrueResult& result, const std::string& kind) {
    int64_t points = 0;
    for (const auto& part : result.breakdown) {
      if (part.kind == kind) points += part.points;
    }
    return points;
  }

  domain::NewCampaign Campaign(int64_t budget, int64_t member_cap, bool operator_funded) {
    domain::NewCampaign campaign;
    campaign.name = "double points weekend";
    campaign.starts_at = clock_.Now() - std::chrono::hours(1);
    campaign.ends_at = clock_.Now() + std::chrono::hours(48);
    campaign.multiplier_bps = 10'000;
    campaign.operator_funded = operator_funded;
    campaign.budget_points = budget;
    campaign.member_cap_points = member_cap;
    return campaign;
  }

  domain::Partner fuel_;
};

TEST_F(EarnRulesTest, MultipliersAndExclusionsShowInTheBreakdown) {
  domain::EarnRules rules;
  rules.base = {1, 100};
  rules.multipliers.push_back({"fuel", "", 20'000});
  rules.excluded_categories = {"tobacco"};
  ASSERT_TRUE(admin_.SetEarnRules(std::nullopt, "fuel", clock_.Now(), rules).ok());
  Enroll(fuel_, "RULES-1");
  auto earned = ledger_.Accrue(
      fuel_, Purchase("r-1", "RULES-1", 5'000,
                      {{"", "fuel", {"USD", 3'000}}, {"", "tobacco", {"USD", 1'000}}}));
  ASSERT_TRUE(earned.ok()) << earned.error().message;
  EXPECT_EQ(Component(*earned, "base"), 40);
  EXPECT_EQ(Component(*earned, "multiplier"), 30);
  EXPECT_EQ(earned->points_earned, 70);
  EXPECT_EQ(earned->balance, 70);
  // The stored response of a retry carries the same breakdown.
  auto retried = ledger_.Accrue(
      fuel_, Purchase("r-1", "RULES-1", 5'000,
                      {{"", "fuel", {"USD", 3'000}}, {"", "tobacco", {"USD", 1'000}}}));
  ASSERT_TRUE(retried.ok());
  EXPECT_EQ(retried->breakdown.size(), earned->breakdown.size());
  ExpectLedgerConsistent();
}

TEST_F(EarnRulesTest, RulesApplyFromTheirEffectiveTimeNeverBefore) {
  domain::EarnRules triple;
  triple.base = {3, 100};
  ASSERT_TRUE(admin_.SetEarnRules(std::nullopt, "fuel", clock_.Now() + std::chrono::hours(24),
                                  triple)
                  .ok());
  Enroll(fuel_, "RULES-2");
  auto before = ledger_.Accrue(fuel_, Purchase("r-2a", "RULES-2", 1'000));
  ASSERT_TRUE(before.ok());
  EXPECT_EQ(before->points_earned, 10);
  clock_.Advance(std::chrono::hours(25));
  auto after = ledger_.Accrue(fuel_, Purchase("r-2b", "RULES-2", 1'000));
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->points_earned, 30);
}

TEST_F(EarnRulesTest, InvalidRulesAreRejectedAndWriteNothing) {
  domain::EarnRules rules;
  rules.base = {0, 100};
  const auto before = db_.Fingerprint();
  auto rejected = admin_.SetEarnRules(std::nullopt, "fuel", clock_.Now(), rules);
  ASSERT_FALSE(rejected.ok());
  EXPECT_EQ(rejected.error().code, domain::ErrorCode::kInvalidArgument);
  EXPECT_EQ(rejected.error().field.rfind("rules.base", 0), 0u) << rejected.error().field;
  EXPECT_EQ(db_.QueryValue("SELECT count(*) FROM earn_rules"), "0");
  EXPECT_EQ(db_.Fingerprint(), before);
}

// Sixteen members accrue at once during a double-points campaign with a
// 100-point budget: exactly 100 campaign points go out, never more.
TEST_F(EarnRulesTest, ConcurrentAccrualsNeverOverspendACampaignBudget) {
  auto campaign = admin_.CreateCampaign("fuel", Campaign(100, 0, false));
  ASSERT_TRUE(campaign.ok()) << campaign.error().message;
  constexpr int kMembers = 16;
  for (int i = 0; i < kMembers; ++i) Enroll(fuel_, "CAMP-" + std::to_string(i));
  std::atomic<int64_t> bonus{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kMembers; ++i) {
    threads.emplace_back([&, i] {
      const std::string card = "CAMP-" + std::to_string(i);
      auto earned = ledger_.Accrue(fuel_, Purchase("camp-" + card, card, 2'000));
      ASSERT_TRUE(earned.ok()) << earned.error().message;
      EXPECT_EQ(Component(*earned, "base"), 20);
      bonus += Component(*earned, "campaign");
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(bonus.load(), 100);
  EXPECT_EQ(db_.QueryValue("SELECT awarded_points FROM campaigns"), "100");
  EXPECT_EQ(db_.QueryValue("SELECT sum(points) FROM transfers WHERE reference LIKE 'campaign:%'"),
            "100");
  ExpectLedgerConsistent();
}

TEST_F(EarnRulesTest, OperatorFundedCampaignRespectsTheMemberCap) {
  auto fixed = Campaign(1'000, 10, true);
  fixed.multiplier_bps = 0;
  fixed.fixed_points = 5;
  ASSERT_TRUE(admin_.CreateCampaign("", fixed).ok());
  Enroll(fuel_, "CAP-1");
  int64_t bonus = 0;
  for (int i = 0; i < 3; ++i) {
    auto earned = ledger_.Accrue(fuel_, Purchase("cap-" + std::to_string(i), "CAP-1", 1'000));
    ASSERT_TRUE(earned.ok()) << earned.error().message;
    bonus += Component(*earned, "campaign");
  }
  EXPECT_EQ(bonus, 10);
  EXPECT_EQ(db_.QueryValue("SELECT count(*) || ' ' || sum(t.points) FROM transfers t JOIN lots l "
                           "ON l.member_id = t.member_id AND l.source_transfer_id = t.id "
                           "WHERE t.kind = 'BONUS' AND l.issuer_partner_id IS NULL"),
            "2 10");
  ExpectLedgerConsistent();
}

}  // namespace
}  // namespace coalition::testing
