// Expiry, inactivity lapse, breakage and the sign-up bonus against a real
// PostgreSQL, with the clock moved by the test instead of waiting.
#include <atomic>
#include <thread>

#include "ledger_fixture.h"

namespace coalition::testing {
namespace {

class ExpiryTest : public LedgerFixture {
 protected:
  ExpiryTest()
      : rules_ledger_(ledger_store_, "USD", clock_, domain::kMaxHoldTtlSeconds,
                      domain::ProgrammeRules{30, 90, 50}),
        fuel_(CreatePartner("fuel", {1, 100})) {}

  int64_t Balance(const std::string& card) {
    auto member = rules_ledger_.GetMember({card, {}});
    EXPECT_TRUE(member.ok());
    return member->balance;
  }

  void Earn(const std::string& request_id, const std::string& card, int64_t points) {
    auto earned = rules_ledger_.Accrue(fuel_, AccrueCommand(request_id, card, points * 100));
    ASSERT_TRUE(earned.ok()) << earned.error().message;
  }

  service::LedgerService rules_ledger_;
  domain::Partner fuel_;
};

TEST_F(ExpiryTest, SignupBonusIsOperatorFundedAndGrantedOnce) {
  auto enrolled = rules_ledger_.Enroll(fuel_, {Key("enrol-1"), "BONUS-1", {}});
  ASSERT_TRUE(enrolled.ok());
  EXPECT_EQ(enrolled->member.balance, 50);
  auto retried = rules_ledger_.Enroll(fuel_, {Key("enrol-1"), "BONUS-1", {}});
  ASSERT_TRUE(retried.ok());
  EXPECT_EQ(Balance("BONUS-1"), 50);
  EXPECT_EQ(db_.QueryValue("SELECT count(*) || ' ' || min(a.kind) || ' ' || "
                           "coalesce(min(l.issuer_partner_id)::text, 'none') FROM transfers t "
                           "JOIN accounts a ON a.id = t.debit_account_id JOIN lots l ON "
                           "l.member_id = t.member_id AND l.source_transfer_id = t.id "
                           "WHERE t.kind = 'BONUS'"),
            "1 OPERATOR none");
  // A second grant for the same member is refused by the database itself.
  EXPECT_ANY_THROW(db_.QueryValue(
      "INSERT INTO transfers (member_id, debit_account_id, credit_account_id, points, kind, "
      "reference) SELECT t.member_id, t.debit_account_id, t.credit_account_id, 1, 'BONUS', "
      "'SIGNUP' FROM transfers t WHERE kind = 'BONUS' RETURNING 1"));

  // An auto-enrolling accrual gets the bonus too.
  const auto shop = CreatePartner("shop", {1, 100}, true);
  auto accrued = rules_ledger_.Accrue(shop, AccrueCommand("auto-1", "BONUS-2", 1000));
  ASSERT_TRUE(accrued.ok());
  EXPECT_TRUE(accrued->member_enrolled);
  EXPECT_EQ(accrued->balance, 60);
  ExpectLedgerConsistent();
}

TEST_F(ExpiryTest, LotsExpireIntoBreakagePerIssuerOnceAndOnlyWhenDue) {
  ASSERT_TRUE(rules_ledger_.Enroll(fuel_, {Key("e-1"), "EXP-1", {}}).ok());  // 50 bonus
  Earn("earn-1", "EXP-1", 100);
  clock_.Advance(std::chrono::hours(24 * 29));
  auto early = rules_ledger_.ExpireLots(100);
  ASSERT_TRUE(early.ok());
  EXPECT_EQ(early->points, 0);
  EXPECT_EQ(Balance("EXP-1"), 150);

  clock_.Advance(std::chrono::hours(24 * 2));
  auto due = rules_ledger_.ExpireLots(100);
  ASSERT_TRUE(due.ok()) << due.error().message;
  EXPECT_EQ(due->members, 1);
  EXPECT_EQ(due->lots, 2);
  EXPECT_EQ(due->points, 150);
  EXPECT_EQ(Balance("EXP-1"), 0);
  const auto after = db_.Fingerprint();
  auto again = rules_ledger_.ExpireLots(100);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->points, 0);
  EXPECT_EQ(db_.Fingerprint(), after);

  auto report = rules_ledger_.BreakageReport(domain::Timestamp{}, domain::SystemClock().Now() +
                                                                      std::chrono::hours(1));
  ASSERT_TRUE(report.ok());
  ASSERT_EQ(report->size(), 2u);
  EXPECT_FALSE((*report)[0].issuer.has_value());  // the operator's bonus
  EXPECT_EQ((*report)[0].points, 50);
  EXPECT_EQ((*report)[1].issuer, fuel_.id);
  EXPECT_EQ((*report)[1].issuer_code, "fuel");
  EXPECT_EQ((*report)[1].points, 100);
  ExpectLedgerConsistent();
}

TEST_F(ExpiryTest, PointsCoveringAnOpenHoldWaitForTheHold) {
  Enroll(fuel_, "EXP-2");
  Earn("earn-2", "EXP-2", 100);
  domain::HoldCommand hold;
  hold.key = Key("hold-2");
  hold.member.card_number = "EXP-2";
  hold.points = 60;
  hold.ttl_seconds = 7 * 24 * 3600;
  clock_.Advance(std::chrono::hours(24 * 28));
  auto held = rules_ledger_.HoldPoints(fuel_, hold);
  ASSERT_TRUE(held.ok());
  clock_.Advance(std::chrono::hours(24 * 3));
  auto run = rules_ledger_.ExpireLots(100);
  ASSERT_TRUE(run.ok());
  EXPECT_EQ(run->points, 40);
  auto captured = rules_ledger_.CapturePoints(fuel_, {Key("cap-2"), held->hold.id, 0, ""});
  ASSERT_TRUE(captured.ok()) << captured.error().message;
  EXPECT_EQ(captured->balance, 0);
  ExpectLedgerConsistent();
}

TEST_F(ExpiryTest, InactiveMembersLapseAndActiveOnesKeepTheirPoints) {
  service::LedgerService lapse_only(ledger_store_, "USD", clock_, domain::kMaxHoldTtlSeconds,
                                    domain::ProgrammeRules{0, 90, 0});
  Enroll(fuel_, "IDLE");
  Enroll(fuel_, "BUSY");
  ASSERT_TRUE(lapse_only.Accrue(fuel_, AccrueCommand("idle-1", "IDLE", 10'000)).ok());
  ASSERT_TRUE(lapse_only.Accrue(fuel_, AccrueCommand("busy-1", "BUSY", 10'000)).ok());
  clock_.Advance(std::chrono::hours(24 * 60));
  ASSERT_TRUE(lapse_only.Redeem(fuel_, RedeemCommand("busy-2", "BUSY", 10)).ok());
  clock_.Advance(std::chrono::hours(24 * 31));
  auto run = lapse_only.ExpireLots(100);
  ASSERT_TRUE(run.ok()) << run.error().message;
  EXPECT_EQ(run->members, 1);
  EXPECT_EQ(run->points, 100);
  EXPECT_EQ(lapse_only.GetMember({"IDLE", {}})->balance, 0);
  EXPECT_EQ(lapse_only.GetMember({"BUSY", {}})->balance, 90);
  ExpectLedgerConsistent();
}

// The expiry job (twice at once) racing redemptions of the same points: no
// point is both spent and expired, and the invariants hold.
TEST_F(ExpiryTest, ExpiryRacingRedemptionsNeverSpendsAPointTwice) {
  constexpr int kMembers = 20;
  for (int i = 0; i < kMembers; ++i) {
    const std::string card = "RACE-" + std::to_string(i);
    Enroll(fuel_, card);
    Earn("race-earn-" + std::to_string(i), card, 100);
  }
  clock_.Advance(std::chrono::hours(24 * 31));
  std::atomic<int64_t> redeemed{0};
  std::atomic<int64_t> expired{0};
  std::vector<std::thread> threads;
  for (int job = 0; job < 2; ++job) {
    threads.emplace_back([&] {
      auto run = rules_ledger_.ExpireLots(kMembers);
      ASSERT_TRUE(run.ok()) << run.error().message;
      expired += run->points;
    });
  }
  for (int worker = 0; worker < 4; ++worker) {
    threads.emplace_back([&, worker] {
      for (int i = worker; i < kMembers; i += 4) {
        const std::string card = "RACE-" + std::to_string(i);
        auto spent = rules_ledger_.Redeem(fuel_, RedeemCommand("race-spend-" + card, card, 70));
        if (spent.ok()) {
          redeemed += 70;
        } else {
          EXPECT_EQ(spent.error().reason, "INSUFFICIENT_POINTS");
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  // Each member's 100 points were either spent (70, the other 30 expired)
  // or expired before the redemption came: every point went exactly once.
  EXPECT_EQ(redeemed + expired, kMembers * 100);
  for (int i = 0; i < kMembers; ++i) EXPECT_EQ(Balance("RACE-" + std::to_string(i)), 0);
  EXPECT_EQ(db_.QueryValue("SELECT coalesce(sum(points), 0) FROM transfers WHERE kind = 'EXPIRY'"),
            std::to_string(expired.load()));
  ExpectLedgerConsistent();
}

}  // namespace
}  // namespace coalition::testing
