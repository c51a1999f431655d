// Targeted bonuses, the first-purchase-at-a-new-brand campaign, the
// redemption forecast and the settlement of campaign funders, against a real
// PostgreSQL.
#include <atomic>
#include <thread>
#include <vector>

#include "crypto/crypto.h"
#include "integration/ledger_fixture.h"
#include "service/bonus_service.h"
#include "service/settlement_service.h"

namespace coalition::testing {
namespace {

using domain::ErrorCode;

class BonusesTest : public LedgerFixture {
 protected:
  BonusesTest()
      : bonus_store_(database_),
        bonuses_(bonus_store_, clock_),
        market_(CreatePartner("market", {1, 100}, true)),
        fuel_(CreatePartner("fuel", {1, 100}, true)) {}

  int64_t Accrue(const domain::Partner& partner, const std::string& id, const std::string& card,
                 int64_t amount_minor) {
    auto result = ledger_.Accrue(partner, AccrueCommand(id, card, amount_minor));
    EXPECT_TRUE(result.ok()) << result.error().message;
    return result.ok() ? result->points_earned : 0;
  }

  // `request_id` with parameters whose hash stands for `payload`.
  domain::NewBonusGrant TopSpenders(const std::string& request_id, int percent, int64_t points,
                                    const std::string& payload = "") {
    domain::NewBonusGrant grant;
    grant.request_id = request_id;
    grant.request_hash = crypto::Sha256(request_id + "|top|" + std::to_string(percent) + "|" +
                                        std::to_string(points) + "|" + payload);
    grant.segment = domain::GrantSegment::kTopSpenders;
    grant.top_percent = percent;
    // Transfers carry the database's time; the period spans it generously.
    grant.spend_from = domain::Timestamp{};
    grant.spend_to = clock_.Now() + std::chrono::hours(24 * 365 * 100);
    grant.points = points;
    grant.reason = "thank our best customers";
    grant.actor = "operator";
    return grant;
  }

  int64_t Count(const std::string& sql) { return std::stoll(db_.QueryValue(sql)); }

  static int64_t Component(const domain::AccrueResult& result, const std::string& kind) {
    int64_t points = 0;
    for (const auto& part : result.breakdown) {
      if (part.kind == kind) points += part.points;
    }
    return points;
  }

  domain::NewCampaign FirstAtBrand(int64_t points, int64_t budget, bool operator_funded) {
    domain::NewCampaign campaign;
    campaign.name = "welcome to fuel";
    campaign.starts_at = clock_.Now() - std::chrono::hours(1);
    campaign.ends_at = clock_.Now() + std::chrono::hours(24 * 30);
    campaign.fixed_points = points;
    campaign.operator_funded = operator_funded;
    campaign.budget_points = budget;
    campaign.first_at_brand = true;
    return campaign;
  }

  storage::PgBonusStore bonus_store_;
  service::BonusService bonuses_;
  domain::Partner market_;
  domain::Partner fuel_;
};

// Ten members spend 100..1000; the top 20% are the two biggest spenders,
// and the grant is theirs alone, once, however often it is sent.
TEST_F(BonusesTest, TopSpendersGrantIsOneIdempotentOperation) {
  for (int i = 1; i <= 10; ++i) {
    Accrue(market_, "spend-" + std::to_string(i), "TOP-" + std::to_string(i), i * 10'000);
  }
  auto granted = bonuses_.GrantTargetedBonus(TopSpenders("grant-1", 20, 500));
  ASSERT_TRUE(granted.ok()) << granted.error().message;
  EXPECT_EQ(granted->member_count, 2);
  EXPECT_EQ(granted->total_points, 1'000);
  EXPECT_EQ(granted->granted_members, 2);
  EXPECT_TRUE(granted->complete());
  EXPECT_EQ(granted->terms.actor, "operator");
  const std::string reference = "'grant:" + std::to_string(granted->id) + "'";
  EXPECT_EQ(db_.QueryValue("SELECT string_agg(c.card_number, ',' ORDER BY c.card_number) "
                           "FROM transfers t JOIN cards c ON c.member_id = t.member_id "
                           "WHERE t.kind = 'BONUS' AND t.reference = " + reference),
            "TOP-10,TOP-9");
  // Operator-funded: the lot has no issuer, the balance holds it.
  EXPECT_EQ(Count("SELECT count(*) FROM lots l JOIN transfers t ON t.member_id = l.member_id "
                  "AND t.id = l.source_transfer_id WHERE l.issuer_partner_id IS NULL AND "
                  "t.reference = " + reference),
            2);
  EXPECT_EQ(ledger_.GetMember({"TOP-10", {}})->balance, 1'000 + 500);

  const auto before = db_.Fingerprint();
  auto again = bonuses_.GrantTargetedBonus(TopSpenders("grant-1", 20, 500));
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(again->id, granted->id);
  EXPECT_EQ(again->total_points, 1'000);
  EXPECT_EQ(db_.Fingerprint(), before);

  // The same request_id with other parameters is refused and writes nothing.
  auto reused = bonuses_.GrantTargetedBonus(TopSpenders("grant-1", 50, 500));
  ASSERT_FALSE(reused.ok());
  EXPECT_EQ(reused.error().code, ErrorCode::kAlreadyExists);
  EXPECT_EQ(reused.error().reason, "REQUEST_ID_REUSED");
  EXPECT_EQ(db_.Fingerprint(), before);

  auto shown = bonuses_.GetGrant(granted->id);
  ASSERT_TRUE(shown.ok());
  EXPECT_EQ(shown->terms.reason, "thank our best customers");
  EXPECT_EQ(shown->terms.top_percent, 20);
  ExpectLedgerConsistent();
}

TEST_F(BonusesTest, ConcurrentRequestsWithOneRequestIdGrantOnce) {
  for (int i = 1; i <= 12; ++i) {
    Accrue(market_, "c-spend-" + std::to_string(i), "CON-" + std::to_string(i), i * 1'000);
  }
  constexpr int kThreads = 8;
  std::vector<int64_t> ids(kThreads, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      auto granted = bonuses_.GrantTargetedBonus(TopSpenders("grant-con", 50, 7));
      ASSERT_TRUE(granted.ok()) << granted.error().message;
      EXPECT_TRUE(granted->complete());
      ids[t] = granted->id;
    });
  }
  for (auto& thread : threads) thread.join();
  for (const auto id : ids) EXPECT_EQ(id, ids.front());
  EXPECT_EQ(Count("SELECT count(*) FROM bonus_grants"), 1);
  EXPECT_EQ(Count("SELECT count(*) FROM transfers WHERE kind = 'BONUS'"), 6);
  EXPECT_EQ(Count("SELECT sum(points) FROM transfers WHERE kind = 'BONUS'"), 42);
  ExpectLedgerConsistent();
}

// A grant that stopped half-way (the server died after the grant and one
// member's credit) is finished by the retry: everyone else gets their
// points, nobody gets them twice.
TEST_F(BonusesTest, RetryCompletesAGrantInterruptedHalfWay) {
  for (int i = 1; i <= 4; ++i) {
    Accrue(market_, "p-spend-" + std::to_string(i), "HALF-" + std::to_string(i), i * 1'000);
  }
  auto request = TopSpenders("grant-half", 100, 25);
  request.as_of = clock_.Now();
  auto created = bonus_store_.CreateGrant(request);
  ASSERT_TRUE(created.ok()) << created.error().message;
  ASSERT_EQ(created->member_count, 4);
  auto pending = bonus_store_.PendingGrantMembers(created->id, 10);
  ASSERT_TRUE(pending.ok());
  ASSERT_EQ(pending->size(), 4u);
  ASSERT_TRUE(*bonus_store_.CreditGrantMember(created->id, pending->front(), std::nullopt));
  // Crediting the same member again is a no-op.
  ASSERT_FALSE(*bonus_store_.CreditGrantMember(created->id, pending->front(), std::nullopt));
  EXPECT_EQ(bonus_store_.GetGrant(created->id)->granted_members, 1);

  auto finished = bonuses_.GrantTargetedBonus(TopSpenders("grant-half", 100, 25));
  ASSERT_TRUE(finished.ok()) << finished.error().message;
  EXPECT_EQ(finished->id, created->id);
  EXPECT_TRUE(finished->complete());
  EXPECT_EQ(Count("SELECT count(*) FROM transfers WHERE kind = 'BONUS'"), 4);
  EXPECT_EQ(Count("SELECT count(DISTINCT member_id) FROM transfers WHERE kind = 'BONUS'"), 4);
  EXPECT_EQ(Count("SELECT sum(points) FROM transfers WHERE kind = 'BONUS'"), 100);
  ExpectLedgerConsistent();
}

TEST_F(BonusesTest, LapsingSegmentIsMembersWithoutRecentActivity) {
  Accrue(market_, "old-1", "LAPSE-OLD", 5'000);
  clock_.Advance(std::chrono::hours(24 * 40));
  Accrue(market_, "new-1", "LAPSE-NEW", 5'000);
  domain::NewBonusGrant grant;
  grant.request_id = "grant-lapse";
  grant.request_hash = crypto::Sha256("grant-lapse");
  grant.segment = domain::GrantSegment::kLapsing;
  grant.lapsed_days = 30;
  grant.points = 200;
  grant.reason = "we miss you";
  grant.actor = "operator";
  auto granted = bonuses_.GrantTargetedBonus(grant);
  ASSERT_TRUE(granted.ok()) << granted.error().message;
  EXPECT_EQ(granted->member_count, 1);
  EXPECT_EQ(ledger_.GetMember({"LAPSE-OLD", {}})->balance, 50 + 200);
  EXPECT_EQ(ledger_.GetMember({"LAPSE-NEW", {}})->balance, 50);
  ExpectLedgerConsistent();
}

TEST_F(BonusesTest, BadGrantsAreRejectedWithReasonsAndWriteNothing) {
  Accrue(market_, "bad-1", "BAD-1", 5'000);
  const auto before = db_.Fingerprint();
  struct Case {
    std::string name;
    std::function<void(domain::NewBonusGrant&)> spoil;
    ErrorCode code;
    std::string reason;
    std::string field;
  };
  const std::vector<Case> cases = {
      {"no request id", [](auto& g) { g.request_id = ""; }, ErrorCode::kInvalidArgument,
       "INVALID_ARGUMENT", "request_id"},
      {"zero points", [](auto& g) { g.points = 0; }, ErrorCode::kInvalidArgument,
       "INVALID_ARGUMENT", "points"},
      {"no reason", [](auto& g) { g.reason = ""; }, ErrorCode::kInvalidArgument,
       "INVALID_ARGUMENT", "reason"},
      {"percent 0", [](auto& g) { g.top_percent = 0; }, ErrorCode::kInvalidArgument,
       "INVALID_ARGUMENT", "top_spenders.percent"},
      {"percent 101", [](auto& g) { g.top_percent = 101; }, ErrorCode::kInvalidArgument,
       "INVALID_ARGUMENT", "top_spenders.percent"},
      {"empty period", [](auto& g) { g.spend_to = g.spend_from; }, ErrorCode::kInvalidArgument,
       "INVALID_ARGUMENT", "top_spenders.to"},
      {"nobody spent then",
       [](auto& g) {
         g.spend_from = domain::Timestamp{std::chrono::seconds(1'000)};
         g.spend_to = domain::Timestamp{std::chrono::seconds(2'000)};
       },
       ErrorCode::kFailedPrecondition, "SEGMENT_EMPTY", ""},
      {"lapsing days 0",
       [](auto& g) {
         g.segment = domain::GrantSegment::kLapsing;
         g.lapsed_days = 0;
       },
       ErrorCode::kInvalidArgument, "INVALID_ARGUMENT", "lapsing.days"},
      {"nobody lapsing",
       [](auto& g) {
         g.segment = domain::GrantSegment::kLapsing;
         g.lapsed_days = 10;
       },
       ErrorCode::kFailedPrecondition, "SEGMENT_EMPTY", ""},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    const auto& c = cases[i];
    SCOPED_TRACE(c.name);
    auto grant = TopSpenders("bad-" + std::to_string(i), 10, 100);
    c.spoil(grant);
    auto rejected = bonuses_.GrantTargetedBonus(grant);
    ASSERT_FALSE(rejected.ok());
    EXPECT_EQ(rejected.error().code, c.code);
    EXPECT_EQ(rejected.error().reason, c.reason);
    EXPECT_EQ(rejected.error().field, c.field);
  }
  EXPECT_EQ(db_.Fingerprint(), before);
  EXPECT_EQ(bonuses_.GetGrant(1).error().reason, "GRANT_NOT_FOUND");
}

// A member who earned at the market earns a first-at-brand bonus on their
// first purchase at fuel, and only then.
TEST_F(BonusesTest, FirstPurchaseAtANewBrandEarnsTheBonusOnce) {
  auto campaign = admin_.CreateCampaign("fuel", FirstAtBrand(50, 10'000, false));
  ASSERT_TRUE(campaign.ok()) << campaign.error().message;
  Accrue(market_, "m-1", "CROSS-1", 2'000);
  auto first = ledger_.Accrue(fuel_, AccrueCommand("f-1", "CROSS-1", 1'000));
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_EQ(Component(*first, "base"), 10);
  EXPECT_EQ(Component(*first, "first_at_brand"), 50);
  EXPECT_EQ(first->points_earned, 60);
  ASSERT_EQ(first->breakdown.back().campaign_id, *campaign);
  auto second = ledger_.Accrue(fuel_, AccrueCommand("f-2", "CROSS-1", 1'000));
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(Component(*second, "first_at_brand"), 0);
  EXPECT_EQ(second->points_earned, 10);

  // A member new to the coalition earns no cross-brand bonus at fuel…
  auto newcomer = ledger_.Accrue(fuel_, AccrueCommand("f-3", "CROSS-2", 1'000));
  ASSERT_TRUE(newcomer.ok());
  EXPECT_EQ(Component(*newcomer, "first_at_brand"), 0);
  // …nor at the market afterwards (market has no such campaign).
  Accrue(market_, "m-3", "CROSS-2", 1'000);
  EXPECT_EQ(Count("SELECT count(*) FROM first_brand_awards"), 1);
  // Partner-funded: an ACCRUAL from fuel's issuance account, issued by fuel.
  EXPECT_EQ(db_.QueryValue("SELECT kind || ' ' || points FROM transfers WHERE reference = "
                           "'campaign:" + std::to_string(*campaign) + "'"),
            "ACCRUAL 50");
  ExpectLedgerConsistent();
}

TEST_F(BonusesTest, ConcurrentFirstPurchasesAtABrandEarnOneBonus) {
  ASSERT_TRUE(admin_.CreateCampaign("", FirstAtBrand(40, 10'000, true)).ok());
  Accrue(market_, "m-race", "RACE-1", 2'000);
  constexpr int kThreads = 8;
  std::atomic<int64_t> bonus{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      auto earned =
          ledger_.Accrue(fuel_, AccrueCommand("race-" + std::to_string(t), "RACE-1", 1'000));
      ASSERT_TRUE(earned.ok()) << earned.error().message;
      bonus += Component(*earned, "first_at_brand");
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(bonus.load(), 40);
  EXPECT_EQ(ledger_.GetMember({"RACE-1", {}})->balance, 20 + kThreads * 10 + 40);
  ExpectLedgerConsistent();
}

TEST_F(BonusesTest, FirstAtBrandCampaignNeedsFixedPointsOnly) {
  auto with_multiplier = FirstAtBrand(50, 1'000, false);
  with_multiplier.multiplier_bps = 10'000;
  const auto before = db_.Fingerprint();
  auto rejected = admin_.CreateCampaign("fuel", with_multiplier);
  ASSERT_FALSE(rejected.ok());
  EXPECT_EQ(rejected.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(rejected.error().field, "first_purchase_at_new_brand");
  auto without_points = FirstAtBrand(0, 1'000, false);
  EXPECT_FALSE(admin_.CreateCampaign("fuel", without_points).ok());
  EXPECT_EQ(db_.Fingerprint(), before);
}

// 1,000 points issued this month, 250 redeemed, none expired: a single cohort
// of age 0, whose ratio is the forecast.
TEST_F(BonusesTest, ForecastBuildsCohortsFromTheLedger) {
  Accrue(market_, "fc-1", "FC-1", 60'000);
  Accrue(fuel_, "fc-2", "FC-2", 40'000);
  ASSERT_TRUE(ledger_.Redeem(fuel_, RedeemCommand("fc-r", "FC-1", 250)).ok());
  auto forecast = bonuses_.Forecast(domain::Timestamp{}, std::nullopt);
  ASSERT_TRUE(forecast.ok()) << forecast.error().message;
  ASSERT_EQ(forecast->cohorts.size(), 1u);
  EXPECT_EQ(forecast->cohorts[0].cohort.issued, 1'000);
  EXPECT_EQ(forecast->cohorts[0].cohort.redeemed, 250);
  EXPECT_EQ(forecast->cohorts[0].cohort.expired, 0);
  EXPECT_EQ(forecast->redemption_rate_bps, 2'500);
  EXPECT_EQ(forecast->breakage_rate_bps, 7'500);
  EXPECT_EQ(forecast->estimated_breakage_points, 750);

  auto bad = bonuses_.Forecast(clock_.Now(), clock_.Now());
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().field, "from");
}

// Settlement charges each campaign's funder: fuel pays the issuance price for
// its own double-points bonus; the operator-funded campaign and the targeted
// grant are the operator's, charged to no partner; and the batch reconciles.
TEST_F(BonusesTest, SettlementChargesEachCampaignsFunder) {
  domain::NewCampaign doubled;
  doubled.name = "double points at fuel";
  doubled.starts_at = clock_.Now() - std::chrono::hours(1);
  doubled.ends_at = clock_.Now() + std::chrono::hours(48);
  doubled.multiplier_bps = 10'000;
  doubled.budget_points = 1'000;
  ASSERT_TRUE(admin_.CreateCampaign("fuel", doubled).ok());
  auto coalition_wide = doubled;
  coalition_wide.name = "operator treat";
  coalition_wide.multiplier_bps = 0;
  coalition_wide.fixed_points = 7;
  coalition_wide.operator_funded = true;
  ASSERT_TRUE(admin_.CreateCampaign("", coalition_wide).ok());

  EXPECT_EQ(Accrue(fuel_, "s-f", "SETTLE-1", 10'000), 100 + 100 + 7);
  EXPECT_EQ(Accrue(market_, "s-m", "SETTLE-2", 10'000), 100 + 7);
  auto granted = bonuses_.GrantTargetedBonus(TopSpenders("s-grant", 100, 30));
  ASSERT_TRUE(granted.ok()) << granted.error().message;
  ASSERT_EQ(granted->total_points, 60);

  storage::PgSettlementStore settlement_store(database_);
  service::SettlementService settlement(settlement_store, partner_store_, "USD");
  auto batch = settlement.Run("settle-bonuses", std::nullopt, domain::settlement::Mode::kHub);
  ASSERT_TRUE(batch.ok()) << batch.error().reason << ": " << batch.error().message;
  const auto& report = batch->report;
  const domain::settlement::PartnerLine* fuel_line = nullptr;
  const domain::settlement::PartnerLine* market_line = nullptr;
  for (const auto& line : report.lines) {
    if (line.partner == fuel_.id) fuel_line = &line;
    if (line.partner == market_.id) market_line = &line;
  }
  ASSERT_NE(fuel_line, nullptr);
  ASSERT_NE(market_line, nullptr);
  // Base 100 + its own campaign's 100, at 10,000 micros a point.
  EXPECT_EQ(fuel_line->points_issued, 200);
  EXPECT_EQ(fuel_line->issuance_fees_micros, 200 * 10'000);
  EXPECT_EQ(market_line->points_issued, 100);
  EXPECT_EQ(market_line->issuance_fees_micros, 100 * 10'000);
  // Operator-funded: 7 + 7 from the campaign, 60 from the grant.
  EXPECT_EQ(report.operator_line.points_bonus, 74);
  EXPECT_TRUE(report.reconciliation.ok());
  EXPECT_EQ(report.reconciliation.points_bonus, 74);
  EXPECT_EQ(report.reconciliation.points_issued, 300);
  ExpectLedgerConsistent();
}

TEST_F(BonusesTest, EarnRulesAndCampaignsReadBack) {
  domain::EarnRules rules;
  rules.base = {1, 600};
  rules.multipliers.push_back({"premium", "", 15'000});
  rules.excluded_skus = {"CIG-20"};
  rules.rounding = domain::EarnRounding::kHalfEven;
  ASSERT_TRUE(admin_.SetEarnRules(std::nullopt, "fuel", clock_.Now(), rules).ok());
  ASSERT_TRUE(admin_
                  .SetEarnRules(std::nullopt, "fuel", clock_.Now() + std::chrono::hours(24),
                                domain::EarnRules{{2, 600}, {}, {}, {}, 0, 0, {}})
                  .ok());
  auto versions = bonuses_.GetEarnRules(std::nullopt, "fuel");
  ASSERT_TRUE(versions.ok()) << versions.error().message;
  EXPECT_EQ(versions->first, fuel_.id);
  ASSERT_EQ(versions->second.size(), 2u);
  EXPECT_EQ(versions->second[0].effective_from, clock_.Now());
  EXPECT_EQ(versions->second[0].rules.multipliers.at(0).multiplier_bps, 15'000);
  EXPECT_EQ(versions->second[0].rules.excluded_skus, std::vector<std::string>{"CIG-20"});
  EXPECT_EQ(versions->second[1].rules.base.points, 2);
  EXPECT_TRUE(bonuses_.GetEarnRules(market_.id, "")->second.empty());
  EXPECT_EQ(bonuses_.GetEarnRules(std::nullopt, "nope").error().reason, "PARTNER_NOT_FOUND");
  EXPECT_EQ(bonuses_.GetEarnRules(fuel_.id, "fuel").error().code, ErrorCode::kInvalidArgument);

  ASSERT_TRUE(admin_.CreateCampaign("fuel", FirstAtBrand(50, 1'000, false)).ok());
  auto everywhere = FirstAtBrand(20, 500, true);
  everywhere.name = "everywhere";
  ASSERT_TRUE(admin_.CreateCampaign("", everywhere).ok());
  Accrue(market_, "rb-m", "READ-1", 1'000);
  Accrue(fuel_, "rb-f", "READ-1", 1'000);  // takes the fuel campaign (lower id)
  auto all = bonuses_.ListCampaigns("", 0, 0);
  ASSERT_TRUE(all.ok()) << all.error().message;
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].partner_code, "fuel");
  EXPECT_TRUE((*all)[0].campaign.first_at_brand);
  EXPECT_EQ((*all)[0].awarded_points, 50);
  EXPECT_EQ((*all)[1].partner_code, "");
  EXPECT_TRUE((*all)[1].campaign.operator_funded);
  EXPECT_EQ((*all)[1].awarded_points, 0);
  auto fuel_only = bonuses_.ListCampaigns("fuel", 0, 0);
  ASSERT_EQ(fuel_only->size(), 1u);
  auto after_first = bonuses_.ListCampaigns("", (*all)[0].id, 1);
  ASSERT_EQ(after_first->size(), 1u);
  EXPECT_EQ(after_first->front().id, (*all)[1].id);
  EXPECT_EQ(bonuses_.ListCampaigns("", 0, 501).error().field, "page_size");
}

}  // namespace
}  // namespace coalition::testing
