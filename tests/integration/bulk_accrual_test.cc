// The bulk accrual path (LedgerService::BatchAccrue) against a real database:
// idempotency across imports and with live Accrue, per-line rejections that
// write nothing, and imports racing live traffic on the same members.
#include <atomic>
#include <thread>

#include "integration/ledger_fixture.h"

namespace coalition::testing {
namespace {

using Kind = domain::BulkAccrualOutcome::Kind;

class BulkAccrualTest : public LedgerFixture {
 protected:
  BulkAccrualTest() : market_(CreatePartner("market", {1, 100})) {}

  domain::AccrueCommand Line(const std::string& request_id, const std::string& card,
                             int64_t amount_minor, const std::string& receipt = "") {
    auto line = AccrueCommand(request_id, card, amount_minor);
    line.receipt_id = receipt;
    if (!receipt.empty()) line.key = Key(request_id, card + std::to_string(amount_minor) + receipt);
    return line;
  }

  int64_t Balance(const std::string& card) {
    auto member = ledger_.GetMember({card, {}});
    EXPECT_TRUE(member.ok()) << member.error().message;
    return member.ok() ? member->balance : -1;
  }

  std::string Count(const std::string& sql) { return db_.QueryValue(sql); }

  domain::Partner market_;
};

TEST_F(BulkAccrualTest, ImportingTheSameFileTwiceAppliesItOnce) {
  Enroll(market_, "BULK-1");
  Enroll(market_, "BULK-2");
  const std::vector<domain::AccrueCommand> file = {
      Line("f-1", "BULK-1", 1'000), Line("f-2", "BULK-2", 250, "R-9"),
      Line("f-3", "BULK-1", 99),  // earns nothing: no transfer, still answered
      Line("f-4", "BULK-1", 500, "R-10"), Line("f-5", "BULK-2", 300, "R-9")};

  auto first = ledger_.BatchAccrue(market_, file);
  ASSERT_TRUE(first.ok()) << first.error().message;
  ASSERT_EQ(first->size(), file.size());
  for (const auto& outcome : *first) {
    EXPECT_EQ(outcome.kind, Kind::kApplied) << (outcome.error ? outcome.error->reason : "");
  }
  // Each line sees the balance after the lines before it, as if sent one by one.
  EXPECT_EQ((*first)[0].result.balance, 10);
  EXPECT_EQ((*first)[2].result.points_earned, 0);
  EXPECT_FALSE((*first)[2].result.transfer_id.has_value());
  EXPECT_EQ((*first)[2].result.balance, 10);
  EXPECT_EQ((*first)[3].result.balance, 15);
  EXPECT_EQ((*first)[4].result.balance, 5);
  EXPECT_EQ(Balance("BULK-1"), 15);
  EXPECT_EQ(Balance("BULK-2"), 5);
  EXPECT_EQ(Count("SELECT count(*) FROM transfers"), "4");
  EXPECT_EQ(Count("SELECT cash_paid_minor || '/' || points_earned FROM purchases "
                  "WHERE receipt_id = 'R-9'"),
            "550/5");

  auto again = ledger_.BatchAccrue(market_, file);
  ASSERT_TRUE(again.ok()) << again.error().message;
  for (size_t i = 0; i < file.size(); ++i) {
    EXPECT_EQ((*again)[i].kind, Kind::kReplayed);
    EXPECT_EQ((*again)[i].result.transfer_id, (*first)[i].result.transfer_id);
    EXPECT_EQ((*again)[i].result.balance, (*first)[i].result.balance);
  }
  EXPECT_EQ(Balance("BULK-1"), 15);
  EXPECT_EQ(Balance("BULK-2"), 5);
  EXPECT_EQ(Count("SELECT count(*) FROM transfers"), "4");
  EXPECT_EQ(Count("SELECT cash_paid_minor FROM purchases WHERE receipt_id = 'R-9'"), "550");

  // A till retrying one of the file's lines live gets the stored answer.
  auto live = ledger_.Accrue(market_, file[0]);
  ASSERT_TRUE(live.ok()) << live.error().message;
  EXPECT_EQ(live->transfer_id, (*first)[0].result.transfer_id);
  EXPECT_EQ(Balance("BULK-1"), 15);
  ExpectLedgerConsistent();
}

TEST_F(BulkAccrualTest, BadLinesAreRejectedWithTheirReasonsAndWriteNothing) {
  Enroll(market_, "BULK-1");
  Enroll(market_, "BULK-2");
  auto earlier = ledger_.Accrue(market_, Line("used", "BULK-1", 700));
  ASSERT_TRUE(earlier.ok());
  ASSERT_TRUE(ledger_.Accrue(market_, Line("receipt-2", "BULK-2", 100, "R-OF-2")).ok());
  const std::string keys_before = Count("SELECT count(*) FROM idempotency_keys");

  const std::vector<domain::AccrueCommand> file = {
      Line("ok-1", "BULK-1", 1'000),
      Line("unknown", "NO-SUCH-CARD", 1'000),
      Line("negative", "BULK-1", -5),
      Line("used", "BULK-1", 900),           // the id of an earlier, different accrual
      Line("ok-2", "BULK-2", 200),
      Line("ok-2", "BULK-2", 300),           // the same id again in the file, other content
      Line("ok-1", "BULK-1", 1'000),         // an exact repeat within the file
      Line("theirs", "BULK-1", 400, "R-OF-2"),  // another member's receipt
  };
  auto outcomes = ledger_.BatchAccrue(market_, file);
  ASSERT_TRUE(outcomes.ok()) << outcomes.error().message;
  const auto& out = *outcomes;
  EXPECT_EQ(out[0].kind, Kind::kApplied);
  auto expect_rejected = [&](size_t i, domain::ErrorCode code, const std::string& reason) {
    SCOPED_TRACE("line " + std::to_string(i));
    EXPECT_EQ(out[i].kind, Kind::kRejected);
    ASSERT_TRUE(out[i].error.has_value());
    EXPECT_EQ(out[i].error->code, code);
    EXPECT_EQ(out[i].error->reason, reason);
  };
  expect_rejected(1, domain::ErrorCode::kNotFound, "MEMBER_NOT_FOUND");
  expect_rejected(2, domain::ErrorCode::kInvalidArgument, "INVALID_ARGUMENT");
  EXPECT_EQ(out[2].error->field, "amount.amount_minor");
  expect_rejected(3, domain::ErrorCode::kAlreadyExists, "REQUEST_ID_REUSED");
  EXPECT_EQ(out[4].kind, Kind::kApplied);
  expect_rejected(5, domain::ErrorCode::kAlreadyExists, "REQUEST_ID_REUSED");
  EXPECT_EQ(out[6].kind, Kind::kReplayed);
  EXPECT_EQ(out[6].result.transfer_id, out[0].result.transfer_id);
  expect_rejected(7, domain::ErrorCode::kFailedPrecondition, "RECEIPT_OF_ANOTHER_MEMBER");

  // Only ok-1 and ok-2 were written: two keys, two transfers, their points.
  EXPECT_EQ(std::stoi(Count("SELECT count(*) FROM idempotency_keys")),
            std::stoi(keys_before) + 2);
  EXPECT_EQ(Count("SELECT count(*) FROM transfers WHERE request_id IN ('ok-1', 'ok-2')"), "2");
  EXPECT_EQ(Count("SELECT count(*) FROM transfers WHERE request_id IN "
                  "('unknown', 'negative', 'theirs')"),
            "0");
  EXPECT_EQ(Count("SELECT count(*) FROM cards WHERE card_number = 'NO-SUCH-CARD'"), "0");
  EXPECT_EQ(Count("SELECT cash_paid_minor FROM purchases WHERE receipt_id = 'R-OF-2'"), "100");
  EXPECT_EQ(Balance("BULK-1"), 7 + 10);
  EXPECT_EQ(Balance("BULK-2"), 1 + 2);
  // The reused id still answers with the original accrual.
  auto original = ledger_.Accrue(market_, Line("used", "BULK-1", 700));
  ASSERT_TRUE(original.ok());
  EXPECT_EQ(original->transfer_id, earlier->transfer_id);
  ExpectLedgerConsistent();
}

TEST_F(BulkAccrualTest, EarnRulesApplyToEachLine) {
  domain::EarnRules rules;
  rules.base = {1, 100};
  rules.multipliers.push_back({"fuel", "", 20'000});
  rules.excluded_categories = {"tobacco"};
  ASSERT_TRUE(admin_.SetEarnRules(std::nullopt, "market", clock_.Now(), rules).ok());
  Enroll(market_, "BULK-1");
  auto line = Line("rules-1", "BULK-1", 5'000);
  line.line_items = {{"", "fuel", {"USD", 3'000}}, {"", "tobacco", {"USD", 1'000}}};
  auto outcomes = ledger_.BatchAccrue(market_, {line});
  ASSERT_TRUE(outcomes.ok()) << outcomes.error().message;
  ASSERT_EQ((*outcomes)[0].kind, Kind::kApplied);
  // As Accrue earns it (earn_rules_test): 40 base + 30 from the fuel multiplier.
  EXPECT_EQ((*outcomes)[0].result.points_earned, 70);
  EXPECT_EQ(Balance("BULK-1"), 70);
  ExpectLedgerConsistent();
}

TEST_F(BulkAccrualTest, ImportsRacingLiveTrafficOnTheSameMembersKeepEveryInvariant) {
  constexpr int kMembers = 40;
  constexpr int kChunks = 6;
  constexpr int kLiveThreads = 4;
  constexpr int kLivePerThread = 60;
  for (int m = 0; m < kMembers; ++m) Enroll(market_, "RACE-" + std::to_string(m));

  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  // Two importers, each sending its chunks over every member in a different
  // order (so their lock sets overlap with each other and with live traffic).
  for (int importer = 0; importer < 2; ++importer) {
    threads.emplace_back([&, importer] {
      for (int chunk = 0; chunk < kChunks; ++chunk) {
        std::vector<domain::AccrueCommand> lines;
        for (int k = 0; k < kMembers; ++k) {
          const int m = importer == 0 ? k : kMembers - 1 - k;
          lines.push_back(Line("imp" + std::to_string(importer) + "-" + std::to_string(chunk) +
                                   "-" + std::to_string(m),
                               "RACE-" + std::to_string(m), 100));
        }
        auto outcomes = ledger_.BatchAccrue(market_, lines);
        if (!outcomes.ok()) {
          ++failures;
          ADD_FAILURE() << outcomes.error().reason << ": " << outcomes.error().message;
          continue;
        }
        for (const auto& outcome : *outcomes) {
          if (outcome.kind != Kind::kApplied) ++failures;
        }
      }
    });
  }
  for (int t = 0; t < kLiveThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kLivePerThread; ++i) {
        const std::string card = "RACE-" + std::to_string((i * 7 + t) % kMembers);
        const std::string id = "live" + std::to_string(t) + "-" + std::to_string(i);
        auto accrued = ledger_.Accrue(market_, Line(id, card, 300));
        if (!accrued.ok()) {
          ++failures;
          ADD_FAILURE() << accrued.error().reason << ": " << accrued.error().message;
        }
        // Spending one of them exercises the member lock from the debit side.
        auto redeemed = ledger_.Redeem(market_, RedeemCommand(id + "-r", card, 1));
        if (!redeemed.ok()) {
          ++failures;
          ADD_FAILURE() << redeemed.error().reason << ": " << redeemed.error().message;
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);

  // Every import line earned 1 point, every live accrual 3, every redemption took 1.
  const int64_t expected = 2 * kChunks * kMembers * 1 + kLiveThreads * kLivePerThread * (3 - 1);
  EXPECT_EQ(std::stoll(Count("SELECT sum(balance) FROM members")), expected);
  ExpectLedgerConsistent();
}

}  // namespace
}  // namespace coalition::testing
