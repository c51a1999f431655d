// Tiers against a real PostgreSQL (SPEC §5): versioned tier tables, the
// upgrade at once on accrual, the tier multiplier in the breakdown, the
// review with its grace period over a simulated year and a half (the clock is
// moved by the test, never waited for), concurrent reviews, and rejections
// that write nothing.
#include <thread>

#include "ledger_fixture.h"

namespace coalition::testing {
namespace {

using domain::TierRule;

// Member 1x, Silver 1.25x from 1000, Gold 1.5x from 5000, Platinum 2x from
// 20000 qualifying points; 30 days' grace.
const std::vector<TierRule> kProgrammeTiers = {{"Member", 0, 10'000},
                                               {"Silver", 1'000, 12'500},
                                               {"Gold", 5'000, 15'000},
                                               {"Platinum", 20'000, 20'000}};
constexpr int64_t kGraceDays = 30;

class TiersTest : public LedgerFixture {
 protected:
  TiersTest() : fuel_(CreatePartner("fuel", {1, 100})) {}

  void SetProgrammeTiers() {
    auto set = ledger_.SetTiers(kProgrammeTiers, kGraceDays, std::nullopt);
    ASSERT_TRUE(set.ok()) << set.error().message;
  }

  // Spends `dollars` at the fuel partner (1 point per dollar before the tier).
  domain::AccrueResult Spend(const std::string& card, int64_t dollars) {
    auto earned =
        ledger_.Accrue(fuel_, AccrueCommand("spend-" + std::to_string(++seq_), card, dollars * 100));
    EXPECT_TRUE(earned.ok()) << earned.error().message;
    return earned.ok() ? *earned : domain::AccrueResult{};
  }

  static int64_t Component(const domain::AccrueResult& result, const std::string& kind) {
    int64_t points = 0;
    for (const auto& component : result.breakdown) {
      if (component.kind == kind) points += component.points;
    }
    return points;
  }

  domain::MemberView Member(const std::string& card) {
    auto member = ledger_.GetMember({card, {}});
    EXPECT_TRUE(member.ok()) << member.error().message;
    return member.ok() ? *member : domain::MemberView{};
  }

  void AdvanceDays(int days) { clock_.Advance(std::chrono::hours(24 * days)); }

  domain::TierReviewRun Review() {
    auto run = ledger_.ReviewAllTiers(2);
    EXPECT_TRUE(run.ok()) << run.error().message;
    return run.ok() ? *run : domain::TierReviewRun{};
  }

  // Two reviews at once; returns both runs.
  std::pair<domain::TierReviewRun, domain::TierReviewRun> ReviewTwiceAtOnce() {
    domain::TierReviewRun first, second;
    std::thread other([&] { first = Review(); });
    second = Review();
    other.join();
    return {first, second};
  }

  std::string TierTablesFingerprint() {
    return db_.QueryValue(
        "SELECT concat_ws(' ', (SELECT count(*) FROM tier_tables), (SELECT count(*) FROM tiers), "
        "(SELECT count(*) FROM member_tiers), (SELECT count(*) FROM member_qualifying_points))");
  }

  domain::Partner fuel_;
  int seq_ = 0;
};

// The fake clock starts on 2030-03-17 (day 0 below). Rolling 12 months are
// the current calendar month and the 11 before it.
TEST_F(TiersTest, TierOverASimulatedYear) {
  SetProgrammeTiers();
  Enroll(fuel_, "TIER-1");
  auto member = Member("TIER-1");
  EXPECT_EQ(member.tier_name, "Member");
  EXPECT_EQ(member.qualifying_points, 0);
  EXPECT_EQ(member.next_tier_name, "Silver");
  EXPECT_EQ(member.points_to_next_tier, 1000);

  // Day 0. 900 + 200 crosses Silver's 1000: the purchase that crossed earns
  // at the tier held when it was made (1x), the upgrade is at once.
  EXPECT_EQ(Spend("TIER-1", 900).points_earned, 900);
  auto crossing = Spend("TIER-1", 200);
  EXPECT_EQ(crossing.points_earned, 200);
  EXPECT_EQ(Component(crossing, "tier"), 0);
  member = Member("TIER-1");
  EXPECT_EQ(member.tier_name, "Silver");
  EXPECT_EQ(member.qualifying_points, 1100);
  EXPECT_EQ(member.next_tier_name, "Gold");
  EXPECT_EQ(member.points_to_next_tier, 3900);

  // Silver earns 1.25x, shown as its own component of the breakdown; the
  // tier points qualify too.
  auto silver = Spend("TIER-1", 1000);
  EXPECT_EQ(silver.points_earned, 1250);
  EXPECT_EQ(Component(silver, "base"), 1000);
  EXPECT_EQ(Component(silver, "tier"), 250);
  EXPECT_EQ(Spend("TIER-1", 2000).points_earned, 2500);  // 4850 qualifying
  EXPECT_EQ(Spend("TIER-1", 200).points_earned, 250);    // 5100: Gold
  EXPECT_EQ(Member("TIER-1").tier_name, "Gold");
  auto gold = Spend("TIER-1", 100);
  EXPECT_EQ(gold.points_earned, 150);
  EXPECT_EQ(Component(gold, "tier"), 50);
  EXPECT_EQ(Member("TIER-1").qualifying_points, 5250);

  // Day 180 (2030-09): one more Gold purchase, 1500 points.
  AdvanceDays(180);
  EXPECT_EQ(Spend("TIER-1", 1000).points_earned, 1500);
  EXPECT_EQ(Member("TIER-1").qualifying_points, 6750);

  // Day 300 (2031-01): months with no earning; everything is still in the
  // window, so the review changes nothing.
  AdvanceDays(120);
  EXPECT_EQ(Review().members, 0);
  EXPECT_EQ(Member("TIER-1").tier_name, "Gold");

  // Day 350 (2031-03-02): March 2030 left the window; 1500 qualifying points
  // are below Gold. The review starts the grace period; Gold is kept.
  AdvanceDays(50);
  auto started = Review();
  EXPECT_EQ(started.members, 1);
  EXPECT_EQ(started.downgraded, 0);
  member = Member("TIER-1");
  EXPECT_EQ(member.tier_name, "Gold");
  EXPECT_EQ(member.qualifying_points, 1500);
  EXPECT_EQ(member.next_tier_name, "Platinum");
  EXPECT_EQ(member.points_to_next_tier, 18500);
  // Gold still earns 1.5x during grace (this purchase is in a new month).
  AdvanceDays(1);
  EXPECT_EQ(Spend("TIER-1", 10).points_earned, 15);  // 1515 qualifying

  // 29 days of grace: still Gold, and reviewing again changes nothing.
  AdvanceDays(28);
  EXPECT_EQ(Review().members, 0);
  EXPECT_EQ(Member("TIER-1").tier_name, "Gold");

  // 30 days: down to the tier the points earn (Silver), by two reviews at
  // once: exactly one of them moves the member.
  AdvanceDays(1);
  const auto [first, second] = ReviewTwiceAtOnce();
  EXPECT_EQ(first.downgraded + second.downgraded, 1);
  EXPECT_EQ(first.upgraded + second.upgraded, 0);
  member = Member("TIER-1");
  EXPECT_EQ(member.tier_name, "Silver");
  EXPECT_EQ(member.next_tier_name, "Gold");
  EXPECT_EQ(member.points_to_next_tier, 5000 - 1515);
  EXPECT_EQ(db_.QueryValue("SELECT tier_rank || ' ' || (below_since IS NULL) FROM member_tiers"),
            "1 true");
  // A third review has nothing left to do.
  EXPECT_EQ(Review().members, 0);

  // Silver's multiplier applies again.
  EXPECT_EQ(Spend("TIER-1", 100).points_earned, 125);

  // Day 560 (2031-09-28): September 2030 left the window too; 140 points
  // from 2031 remain, below Silver. Grace, then straight to Member.
  AdvanceDays(560 - 380);
  EXPECT_EQ(Member("TIER-1").qualifying_points, 140);
  EXPECT_EQ(Review().downgraded, 0);
  AdvanceDays(kGraceDays);
  EXPECT_EQ(Review().downgraded, 1);
  member = Member("TIER-1");
  EXPECT_EQ(member.tier_name, "Member");
  EXPECT_EQ(member.points_to_next_tier, 1000 - 140);
  EXPECT_EQ(Spend("TIER-1", 100).points_earned, 100);
  ExpectLedgerConsistent();
}

TEST_F(TiersTest, DowngradeGoesStraightToTheQualifyingTier) {
  SetProgrammeTiers();
  Enroll(fuel_, "TIER-2");
  Spend("TIER-2", 20'000);  // Platinum at once
  EXPECT_EQ(Member("TIER-2").tier_name, "Platinum");
  AdvanceDays(400);  // nothing left in the window
  EXPECT_EQ(Review().downgraded, 0);
  AdvanceDays(kGraceDays);
  EXPECT_EQ(Review().downgraded, 1);
  // Platinum to Member in one review, not one step at a time.
  EXPECT_EQ(Member("TIER-2").tier_name, "Member");
}

TEST_F(TiersTest, RecoveringDuringGraceKeepsTheTier) {
  SetProgrammeTiers();
  Enroll(fuel_, "TIER-3");
  Spend("TIER-3", 1'000);  // Silver
  AdvanceDays(400);
  Review();  // grace starts
  EXPECT_EQ(db_.QueryValue("SELECT below_since IS NULL FROM member_tiers"), "f");
  // Earning back to the threshold ends the grace period at once.
  EXPECT_EQ(Spend("TIER-3", 800).points_earned, 1000);  // Silver 1.25x
  EXPECT_EQ(db_.QueryValue("SELECT below_since IS NULL FROM member_tiers"), "t");
  AdvanceDays(kGraceDays);
  EXPECT_EQ(Review().downgraded, 0);
  EXPECT_EQ(Member("TIER-3").tier_name, "Silver");
}

TEST_F(TiersTest, ClawbacksReduceQualifyingPoints) {
  SetProgrammeTiers();
  Enroll(fuel_, "TIER-4");
  auto purchase = AccrueCommand("buy-4", "TIER-4", 1'200 * 100);
  purchase.receipt_id = "R4";
  ASSERT_TRUE(ledger_.Accrue(fuel_, purchase).ok());
  EXPECT_EQ(Member("TIER-4").tier_name, "Silver");
  domain::RefundCommand refund;
  refund.key = Key("refund-4");
  refund.receipt_id = "R4";
  refund.amount = domain::Money{"USD", 500 * 100};
  auto refunded = ledger_.RefundPurchase(fuel_, refund);
  ASSERT_TRUE(refunded.ok()) << refunded.error().message;
  EXPECT_EQ(refunded->outcome.points_to_claw_back, 500);
  auto member = Member("TIER-4");
  EXPECT_EQ(member.qualifying_points, 700);
  // Silver stays through the grace period, then goes.
  EXPECT_EQ(member.tier_name, "Silver");
  Review();
  AdvanceDays(kGraceDays);
  EXPECT_EQ(Review().downgraded, 1);
  EXPECT_EQ(Member("TIER-4").tier_name, "Member");
  ExpectLedgerConsistent();
}

TEST_F(TiersTest, PartnerFundedCampaignsQualifyOperatorBonusesDoNot) {
  SetProgrammeTiers();
  Enroll(fuel_, "TIER-5");
  domain::NewCampaign partner_funded;
  partner_funded.name = "double";
  partner_funded.starts_at = clock_.Now() - std::chrono::hours(1);
  partner_funded.ends_at = clock_.Now() + std::chrono::hours(1);
  partner_funded.multiplier_bps = 10'000;
  partner_funded.budget_points = 1'000'000;
  ASSERT_TRUE(admin_.CreateCampaign("fuel", partner_funded).ok());
  domain::NewCampaign operator_funded = partner_funded;
  operator_funded.name = "bonus";
  operator_funded.multiplier_bps = 0;
  operator_funded.fixed_points = 70;
  operator_funded.operator_funded = true;
  ASSERT_TRUE(admin_.CreateCampaign("", operator_funded).ok());
  const auto earned = Spend("TIER-5", 300);
  EXPECT_EQ(earned.points_earned, 300 + 300 + 70);
  EXPECT_EQ(Member("TIER-5").qualifying_points, 600);
}

TEST_F(TiersTest, NoTierTableMeansNoTierAndPlainEarning) {
  Enroll(fuel_, "TIER-6");
  EXPECT_EQ(Spend("TIER-6", 5'000).points_earned, 5'000);
  const auto member = Member("TIER-6");
  EXPECT_EQ(member.tier_name, "");
  EXPECT_EQ(member.next_tier_name, "");
  EXPECT_EQ(member.qualifying_points, 5'000);
  EXPECT_EQ(Review().members, 0);
  // A table set later counts the points already earned at the next accrual.
  SetProgrammeTiers();
  EXPECT_EQ(Member("TIER-6").tier_name, "Member");
  EXPECT_EQ(Spend("TIER-6", 1).points_earned, 1);
  EXPECT_EQ(Member("TIER-6").tier_name, "Gold");
  // A table with lower thresholds: the review applies the upgrade it sees
  // (to TIER-6; TIER-7 has no points and holds the first tier).
  Enroll(fuel_, "TIER-7");
  ASSERT_TRUE(ledger_
                  .SetTiers({{"Base", 0, 10'000}, {"Star", 1, 10'000}, {"Nova", 2, 10'000},
                             {"Sun", 3, 10'000}},
                            0, std::nullopt)
                  .ok());
  const auto reviewed = Review();
  EXPECT_EQ(reviewed.upgraded, 1);
  EXPECT_EQ(reviewed.members, 1);
  EXPECT_EQ(Member("TIER-6").tier_name, "Sun");
  EXPECT_EQ(Member("TIER-7").tier_name, "Base");
}

TEST_F(TiersTest, ScheduledTableTakesEffectAtItsTimeAndALaterSetReplacesIt) {
  SetProgrammeTiers();
  const auto from = clock_.Now() + std::chrono::hours(24 * 10);
  ASSERT_TRUE(ledger_.SetTiers({{"Blue", 0, 10'000}, {"Black", 100, 30'000}}, 7, from).ok());
  ASSERT_TRUE(ledger_.SetTiers({{"Blue", 0, 10'000}, {"Black", 200, 30'000}}, 7, from).ok());
  auto tables = ledger_.GetTiers();
  ASSERT_TRUE(tables.ok());
  ASSERT_TRUE(tables->current.has_value());
  EXPECT_EQ(tables->current->tiers.size(), 4u);
  EXPECT_EQ(tables->current->grace_days, kGraceDays);
  ASSERT_EQ(tables->scheduled.size(), 1u);
  EXPECT_EQ(tables->scheduled[0].effective_from, from);
  EXPECT_EQ(tables->scheduled[0].tiers[1].threshold_points, 200);

  Enroll(fuel_, "TIER-8");
  Spend("TIER-8", 150);
  EXPECT_EQ(Member("TIER-8").tier_name, "Member");
  AdvanceDays(10);
  auto member = Member("TIER-8");
  EXPECT_EQ(member.tier_name, "Blue");
  EXPECT_EQ(member.points_to_next_tier, 50);
  Spend("TIER-8", 50);
  EXPECT_EQ(Member("TIER-8").tier_name, "Black");
  EXPECT_EQ(Spend("TIER-8", 10).points_earned, 30);
  tables = ledger_.GetTiers();
  ASSERT_TRUE(tables.ok());
  EXPECT_EQ(tables->current->tiers[0].name, "Blue");
  EXPECT_TRUE(tables->scheduled.empty());
}

struct BadTable {
  std::string name;
  std::vector<TierRule> tiers;
  int64_t grace_days;
  std::string field;
};

TEST_F(TiersTest, RejectedTablesWriteNothing) {
  std::vector<TierRule> too_many;
  for (int i = 0; i <= 20; ++i) too_many.push_back({"T" + std::to_string(i), i * 10, 10'000});
  const std::vector<BadTable> cases = {
      {"unsorted", {{"M", 0, 10'000}, {"G", 500, 15'000}, {"S", 100, 12'000}}, 0,
       "tiers[2].threshold_points"},
      {"first threshold not 0", {{"S", 100, 12'000}}, 0, "tiers[0].threshold_points"},
      {"multiplier below 1x", {{"M", 0, 10'000}, {"S", 100, 9'999}}, 0,
       "tiers[1].earn_multiplier_bps"},
      {"too many tiers", too_many, 0, "tiers"},
      {"no tiers", {}, 0, "tiers"},
      {"duplicate name", {{"M", 0, 10'000}, {"M", 100, 12'000}}, 0, "tiers[1].name"},
      {"negative grace", {{"M", 0, 10'000}}, -1, "grace_days"},
      {"grace too long", {{"M", 0, 10'000}}, 3661, "grace_days"},
  };
  const auto before = TierTablesFingerprint();
  for (const auto& c : cases) {
    auto rejected = ledger_.SetTiers(c.tiers, c.grace_days, std::nullopt);
    ASSERT_FALSE(rejected.ok()) << c.name;
    EXPECT_EQ(rejected.error().code, domain::ErrorCode::kInvalidArgument) << c.name;
    EXPECT_EQ(rejected.error().reason, "INVALID_ARGUMENT") << c.name;
    EXPECT_EQ(rejected.error().field, c.field) << c.name;
  }
  auto past = ledger_.SetTiers(kProgrammeTiers, 0, clock_.Now() - std::chrono::seconds(1));
  ASSERT_FALSE(past.ok());
  EXPECT_EQ(past.error().code, domain::ErrorCode::kFailedPrecondition);
  EXPECT_EQ(past.error().reason, "EFFECTIVE_FROM_IN_PAST");
  EXPECT_EQ(TierTablesFingerprint(), before);
  EXPECT_EQ(TierTablesFingerprint(), "0 0 0 0");

  // The database refuses what the service would, too.
  EXPECT_ANY_THROW(db_.QueryValue(
      "WITH t AS (INSERT INTO tier_tables (effective_from, grace_days) VALUES (now(), 0) "
      "RETURNING id) INSERT INTO tiers SELECT id, 0, 'M', 0, 9999 FROM t RETURNING 1"));
  EXPECT_ANY_THROW(db_.QueryValue(
      "WITH t AS (INSERT INTO tier_tables (effective_from, grace_days) VALUES (now(), 0) "
      "RETURNING id) INSERT INTO tiers SELECT id, 0, 'M', 5, 10000 FROM t RETURNING 1"));
  EXPECT_EQ(TierTablesFingerprint(), "0 0 0 0");
}

TEST_F(TiersTest, ConcurrentAccrualsAndReviewsKeepOneConsistentTier) {
  SetProgrammeTiers();
  Enroll(fuel_, "TIER-9");
  Spend("TIER-9", 5'000);  // Gold
  AdvanceDays(400);
  Review();  // grace starts
  AdvanceDays(kGraceDays);
  // Reviews racing accruals that bring the member back above Gold.
  std::thread reviewer([&] {
    for (int i = 0; i < 5; ++i) Review();
  });
  for (int i = 0; i < 5; ++i) Spend("TIER-9", 1'000);
  reviewer.join();
  Review();
  const auto member = Member("TIER-9");
  // Whatever the interleaving, 5 purchases at >= 1x put the member at Gold
  // (possibly after a downgrade in between, then an upgrade at once).
  EXPECT_GE(member.qualifying_points, 5'000);
  EXPECT_EQ(member.tier_name, "Gold");
  EXPECT_EQ(db_.QueryValue("SELECT below_since IS NULL FROM member_tiers"), "t");
  ExpectLedgerConsistent();
}

}  // namespace
}  // namespace coalition::testing
