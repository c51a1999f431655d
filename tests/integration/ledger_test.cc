#include <thread>
#include <vector>

#include "integration/ledger_fixture.h"

namespace coalition::testing {
namespace {

using domain::ErrorCode;

class LedgerTest : public LedgerFixture {};

TEST_F(LedgerTest, AccrualCreditsBalanceLotAndTransfer) {
  const auto market = CreatePartner("market", {1, 100});
  Enroll(market, "CARD-0001");
  auto accrued = ledger_.Accrue(market, AccrueCommand("a1", "CARD-0001", 12'399));
  ASSERT_TRUE(accrued.ok()) << accrued.error().message;
  EXPECT_EQ(accrued->points_earned, 123);  // rounded down
  EXPECT_EQ(accrued->balance, 123);
  ASSERT_TRUE(accrued->transfer_id.has_value());
  EXPECT_EQ(db_.QueryValue("SELECT issuer_partner_id || ':' || points || ':' || remaining "
                           "FROM lots"),
            std::to_string(market.id) + ":123:123");
  EXPECT_EQ(db_.QueryValue("SELECT debit_account_id FROM transfers"),
            std::to_string(market.issuance_account_id));
  ExpectLedgerConsistent();
}

TEST_F(LedgerTest, UnknownCardIsEnrolledOnlyWhenPartnerAutoEnrols) {
  const auto strict = CreatePartner("strict", {1, 100}, false);
  const auto open = CreatePartner("open", {1, 100}, true);
  const auto before = db_.Fingerprint();
  auto rejected = ledger_.Accrue(strict, AccrueCommand("s1", "NEW-CARD-1", 500));
  ASSERT_FALSE(rejected.ok());
  EXPECT_EQ(rejected.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(rejected.error().reason, "MEMBER_NOT_FOUND");
  EXPECT_EQ(db_.Fingerprint(), before);

  auto enrolled = ledger_.Accrue(open, AccrueCommand("o1", "NEW-CARD-1", 500));
  ASSERT_TRUE(enrolled.ok()) << enrolled.error().message;
  EXPECT_TRUE(enrolled->member_enrolled);
  EXPECT_EQ(enrolled->balance, 5);
  auto again = ledger_.Accrue(open, AccrueCommand("o2", "NEW-CARD-1", 500));
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->member_enrolled);
  EXPECT_EQ(again->member_id, enrolled->member_id);
  EXPECT_EQ(again->balance, 10);
  ExpectLedgerConsistent();
}

TEST_F(LedgerTest, AccrualEarningZeroPointsPostsNoTransfer) {
  const auto market = CreatePartner("market", {1, 100});
  Enroll(market, "CARD-0002");
  auto accrued = ledger_.Accrue(market, AccrueCommand("tiny", "CARD-0002", 99));
  ASSERT_TRUE(accrued.ok());
  EXPECT_EQ(accrued->points_earned, 0);
  EXPECT_FALSE(accrued->transfer_id.has_value());
  EXPECT_EQ(db_.QueryValue("SELECT count(*) FROM transfers"), "0");
  // The request is still recorded, so a retry is answered, not re-applied.
  EXPECT_EQ(db_.QueryValue("SELECT count(*) FROM idempotency_keys WHERE request_id = 'tiny'"),
            "1");
}

TEST_F(LedgerTest, RedemptionConsumesEarliestExpiringLotsFirst) {
  const auto market = CreatePartner("market", {1, 1});
  const auto fuel = CreatePartner("fuel", {1, 1});
  Enroll(market, "CARD-0003");
  ASSERT_TRUE(ledger_.Accrue(market, AccrueCommand("m1", "CARD-0003", 100)).ok());
  ASSERT_TRUE(ledger_.Accrue(fuel, AccrueCommand("f1", "CARD-0003", 60)).ok());
  ASSERT_TRUE(ledger_.Accrue(market, AccrueCommand("m2", "CARD-0003", 40)).ok());
  // The fuel lot expires first, the first market lot never.
  db_.QueryValue("UPDATE lots SET expires_at = now() + interval '1 day' "
                 "WHERE issuer_partner_id = " + std::to_string(fuel.id) + " RETURNING 1");
  db_.QueryValue("UPDATE lots SET expires_at = now() + interval '9 days' WHERE points = 40 "
                 "RETURNING 1");

  auto redeemed = ledger_.Redeem(fuel, RedeemCommand("r1", "CARD-0003", 90));
  ASSERT_TRUE(redeemed.ok()) << redeemed.error().message;
  EXPECT_EQ(redeemed->balance, 110);
  EXPECT_EQ(db_.QueryValue("SELECT string_agg(l.points || '->' || c.points, ',' ORDER BY "
                           "l.expires_at) FROM lot_consumptions c JOIN lots l ON l.id = c.lot_id"),
            "60->60,40->30");
  EXPECT_EQ(db_.QueryValue("SELECT string_agg(remaining::text, ',' ORDER BY id) FROM lots"),
            "100,0,10");
  ExpectLedgerConsistent();
}

TEST_F(LedgerTest, RedemptionBeyondAvailablePointsWritesNothing) {
  const auto market = CreatePartner("market", {1, 1});
  Enroll(market, "CARD-0004");
  ASSERT_TRUE(ledger_.Accrue(market, AccrueCommand("m1", "CARD-0004", 50)).ok());
  const auto before = db_.Fingerprint();
  auto redeemed = ledger_.Redeem(market, RedeemCommand("r1", "CARD-0004", 51));
  ASSERT_FALSE(redeemed.ok());
  EXPECT_EQ(redeemed.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_EQ(redeemed.error().reason, "INSUFFICIENT_POINTS");
  EXPECT_EQ(db_.Fingerprint(), before);
  // Not recorded: once the member has the points, the same request succeeds.
  ASSERT_TRUE(ledger_.Accrue(market, AccrueCommand("m2", "CARD-0004", 1)).ok());
  EXPECT_TRUE(ledger_.Redeem(market, RedeemCommand("r1", "CARD-0004", 51)).ok());
  ExpectLedgerConsistent();
}

TEST_F(LedgerTest, RetryReturnsStoredResultAndReuseIsRejected) {
  const auto market = CreatePartner("market", {1, 1});
  Enroll(market, "CARD-0005");
  auto first = ledger_.Accrue(market, AccrueCommand("same", "CARD-0005", 70));
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(ledger_.Accrue(market, AccrueCommand("other", "CARD-0005", 5)).ok());
  const auto before = db_.Fingerprint();

  auto retry = ledger_.Accrue(market, AccrueCommand("same", "CARD-0005", 70));
  ASSERT_TRUE(retry.ok());
  EXPECT_EQ(retry->transfer_id, first->transfer_id);
  EXPECT_EQ(retry->balance, 70);  // the stored response, not today's balance
  EXPECT_EQ(db_.Fingerprint(), before);

  auto reused = ledger_.Accrue(market, AccrueCommand("same", "CARD-0005", 71));
  ASSERT_FALSE(reused.ok());
  EXPECT_EQ(reused.error().code, ErrorCode::kAlreadyExists);
  EXPECT_EQ(reused.error().reason, "REQUEST_ID_REUSED");
  auto reused_as_redeem = ledger_.Redeem(market, RedeemCommand("same", "CARD-0005", 1));
  ASSERT_FALSE(reused_as_redeem.ok());
  EXPECT_EQ(reused_as_redeem.error().reason, "REQUEST_ID_REUSED");
  EXPECT_EQ(db_.Fingerprint(), before);
}

TEST_F(LedgerTest, RequestIdsAreScopedPerPartner) {
  const auto market = CreatePartner("market", {1, 1});
  const auto fuel = CreatePartner("fuel", {1, 1});
  Enroll(market, "CARD-0006");
  ASSERT_TRUE(ledger_.Accrue(market, AccrueCommand("r-1", "CARD-0006", 10)).ok());
  auto other = ledger_.Accrue(fuel, AccrueCommand("r-1", "CARD-0006", 10));
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(other->balance, 20);
}

TEST_F(LedgerTest, ConcurrentDuplicatesOfOneRequestApplyOnce) {
  const auto market = CreatePartner("market", {1, 1});
  Enroll(market, "CARD-0007");
  constexpr int kThreads = 8;
  std::vector<domain::Result<domain::AccrueResult>> results(
      kThreads, domain::Error::Internal("not run"));
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back(
        [&, i] { results[i] = ledger_.Accrue(market, AccrueCommand("dup", "CARD-0007", 25)); });
  }
  for (auto& thread : threads) thread.join();
  for (const auto& result : results) {
    ASSERT_TRUE(result.ok()) << result.error().message;
    EXPECT_EQ(result->transfer_id, results[0]->transfer_id);
    EXPECT_EQ(result->balance, 25);
  }
  EXPECT_EQ(db_.QueryValue("SELECT count(*) FROM transfers"), "1");
  ExpectLedgerConsistent();
}

TEST_F(LedgerTest, ConcurrentAutoEnrolmentsOfOneCardCreateOneMember) {
  const auto open = CreatePartner("open", {1, 1}, true);
  constexpr int kThreads = 8;
  std::vector<std::thread> threads;
  std::atomic<int> enrolled{0};
  std::atomic<int> failed{0};
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      auto result = ledger_.Accrue(open, AccrueCommand("race-" + std::to_string(i), "RACE-CARD", 10));
      if (!result.ok()) ++failed;
      else if (result->member_enrolled) ++enrolled;
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(enrolled.load(), 1);
  EXPECT_EQ(db_.QueryValue("SELECT count(*) FROM members"), "1");
  EXPECT_EQ(db_.QueryValue("SELECT balance FROM members"), "80");
  ExpectLedgerConsistent();
}

TEST_F(LedgerTest, ConcurrentRedemptionsNeverOverspend) {
  const auto market = CreatePartner("market", {1, 1});
  Enroll(market, "CARD-0008");
  ASSERT_TRUE(ledger_.Accrue(market, AccrueCommand("m1", "CARD-0008", 300)).ok());
  ASSERT_TRUE(ledger_.Accrue(market, AccrueCommand("m2", "CARD-0008", 200)).ok());
  constexpr int kThreads = 16;
  std::atomic<int> succeeded{0};
  std::atomic<int> insufficient{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      auto result = ledger_.Redeem(market, RedeemCommand("r" + std::to_string(i), "CARD-0008", 70));
      if (result.ok()) ++succeeded;
      else if (result.error().reason == "INSUFFICIENT_POINTS") ++insufficient;
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(succeeded.load(), 7);  // 7 x 70 = 490 <= 500 < 8 x 70
  EXPECT_EQ(insufficient.load(), kThreads - 7);
  EXPECT_EQ(db_.QueryValue("SELECT balance FROM members"), "10");
  ExpectLedgerConsistent();
}

TEST_F(LedgerTest, TransactionsArePagedNewestFirstAndScopedToThePartner) {
  const auto market = CreatePartner("market", {1, 1});
  const auto fuel = CreatePartner("fuel", {1, 1});
  Enroll(market, "CARD-0009");
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(ledger_.Accrue(market, AccrueCommand("m" + std::to_string(i), "CARD-0009", 10 + i)).ok());
  }
  ASSERT_TRUE(ledger_.Accrue(fuel, AccrueCommand("f", "CARD-0009", 99)).ok());
  const domain::MemberRef ref{"CARD-0009", {}};
  auto first = ledger_.ListTransactions(market, ref, INT64_MAX, 3);
  ASSERT_TRUE(first.ok());
  ASSERT_EQ(first->second.transactions.size(), 3u);
  EXPECT_EQ(first->second.transactions[0].points, 14);
  EXPECT_EQ(first->second.transactions[2].points, 12);
  ASSERT_TRUE(first->second.next_after.has_value());
  auto second = ledger_.ListTransactions(market, ref, *first->second.next_after, 3);
  ASSERT_TRUE(second.ok());
  ASSERT_EQ(second->second.transactions.size(), 2u);
  EXPECT_EQ(second->second.transactions[1].points, 10);
  EXPECT_FALSE(second->second.next_after.has_value());
  auto fuel_view = ledger_.ListTransactions(fuel, ref, INT64_MAX, 50);
  ASSERT_TRUE(fuel_view.ok());
  ASSERT_EQ(fuel_view->second.transactions.size(), 1u);
  EXPECT_EQ(fuel_view->second.transactions[0].points, 99);
}

TEST_F(LedgerTest, VerifyReportsEachKindOfCorruption) {
  const auto market = CreatePartner("market", {1, 1});
  Enroll(market, "CARD-0010");
  ASSERT_TRUE(ledger_.Accrue(market, AccrueCommand("m1", "CARD-0010", 100)).ok());
  ASSERT_TRUE(ledger_.Redeem(market, RedeemCommand("r1", "CARD-0010", 30)).ok());
  ExpectLedgerConsistent();

  // A balance changed behind the ledger's back.
  db_.QueryValue("UPDATE members SET balance = balance + 5 RETURNING 1");
  // A lot consumed with no consumption row.
  db_.QueryValue("UPDATE lots SET remaining = remaining - 1 RETURNING 1");
  auto report = ledger_.Verify();
  ASSERT_TRUE(report.ok());
  EXPECT_FALSE(report->ok());
  std::map<std::string, int64_t> violations;
  for (const auto& check : report->checks) violations[check.name] = check.violations;
  EXPECT_EQ(violations["member_balance_matches_transfers"], 1);
  EXPECT_EQ(violations["member_balance_matches_lots"], 1);
  EXPECT_EQ(violations["lots_match_consumptions"], 1);
  EXPECT_EQ(violations["ledger_sums_to_zero"], 0);
  EXPECT_EQ(violations["debits_consume_lots"], 0);
}

TEST_F(LedgerTest, DebitsThatLotsCannotCoverAreRefusedAndWriteNothing) {
  const auto market = CreatePartner("market", {1, 1});
  Enroll(market, "CARD-0012");
  ASSERT_TRUE(ledger_.Accrue(market, AccrueCommand("m1", "CARD-0012", 100)).ok());
  // Corrupt the ledger: the balance says 100, the lots only back 40.
  db_.QueryValue("UPDATE lots SET remaining = 40 RETURNING 1");
  const auto before = db_.Fingerprint();
  auto redeemed = ledger_.Redeem(market, RedeemCommand("r1", "CARD-0012", 60));
  ASSERT_FALSE(redeemed.ok());
  EXPECT_EQ(redeemed.error().code, ErrorCode::kInternal);
  EXPECT_EQ(db_.Fingerprint(), before);

  domain::HoldCommand hold;
  hold.key = Key("h1");
  hold.member.card_number = "CARD-0012";
  hold.points = 60;
  auto held = ledger_.HoldPoints(market, hold);
  ASSERT_TRUE(held.ok());
  const auto with_hold = db_.Fingerprint();
  auto captured = ledger_.CapturePoints(market, {Key("c1"), held->hold.id, 60, ""});
  ASSERT_FALSE(captured.ok());
  EXPECT_EQ(captured.error().code, ErrorCode::kInternal);
  EXPECT_EQ(db_.Fingerprint(), with_hold);
}

TEST_F(LedgerTest, DatabaseConstraintsRejectWhatCodeMustNeverWrite) {
  const auto market = CreatePartner("market", {1, 1});
  const auto member = Enroll(market, "CARD-0011");
  const auto id = std::to_string(member.id);
  EXPECT_THROW(db_.QueryValue("UPDATE members SET balance = -1 WHERE id = " + id + " RETURNING 1"),
               pqxx::check_violation);
  EXPECT_THROW(db_.QueryValue("INSERT INTO transfers (member_id, debit_account_id, "
                              "credit_account_id, points, kind) VALUES (" + id + ", " +
                              std::to_string(market.issuance_account_id) + ", " + id +
                              ", 0, 'ACCRUAL') RETURNING 1"),
               pqxx::check_violation);
  EXPECT_THROW(db_.QueryValue("INSERT INTO transfers (member_id, debit_account_id, "
                              "credit_account_id, points, kind) VALUES (" + id + ", " +
                              std::to_string(market.issuance_account_id) + ", " +
                              std::to_string(market.redemption_account_id) +
                              ", 5, 'ACCRUAL') RETURNING 1"),
               pqxx::check_violation);
}

}  // namespace
}  // namespace coalition::testing
