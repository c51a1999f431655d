// Purchases and refunds against a real PostgreSQL: cash and points linked by
// receipt, refund policies, lots restored exactly, clawback debt, retries and
// races that must never return more than the purchase involved.
#include <atomic>
#include <random>
#include <thread>

#include "ledger_fixture.h"

namespace coalition::testing {
namespace {

using domain::ErrorCode;
using domain::RefundPolicy;

constexpr int64_t kCentPerPoint = 10'000;  // one point = $0.01

class RefundsTest : public LedgerFixture {
 protected:
  // Earn rate 10 points per dollar of cash.
  RefundsTest() : issuer_(CreatePartner("fuel", {10, 100})), shop_(CreatePartner("shop", {10, 100})) {}

  static domain::PurchaseTerms Terms(RefundPolicy policy, int64_t value = kCentPerPoint) {
    return {"USD", value, policy};
  }

  // Gives the member `points` earned at the issuer, with no receipt.
  void Fund(const std::string& card, int64_t points) {
    auto earned = ledger_.Accrue(issuer_, AccrueCommand("fund-" + card + std::to_string(++seq_),
                                                        card, points * 10));
    ASSERT_TRUE(earned.ok()) << earned.error().message;
  }

  // A purchase at the shop: `points` redeemed and `cash_minor` paid (earning
  // 10 points per dollar), both under `receipt`.
  void Buy(const std::string& card, const std::string& receipt, int64_t points,
           int64_t cash_minor, RefundPolicy policy) {
    if (points > 0) {
      auto redeem = RedeemCommand("buy-p-" + receipt, card, points);
      redeem.receipt_id = receipt;
      auto redeemed = ledger_.Redeem(shop_, redeem, Terms(policy));
      ASSERT_TRUE(redeemed.ok()) << redeemed.error().message;
    }
    if (cash_minor > 0) {
      auto accrue = AccrueCommand("buy-c-" + receipt, card, cash_minor);
      accrue.receipt_id = receipt;
      auto accrued = ledger_.Accrue(shop_, accrue);
      ASSERT_TRUE(accrued.ok()) << accrued.error().message;
    }
  }

  domain::Result<domain::RefundResult> Refund(const std::string& request_id,
                                              const std::string& receipt,
                                              std::optional<int64_t> amount_minor) {
    domain::RefundCommand command;
    command.key = Key(request_id, receipt + ":" + std::to_string(amount_minor.value_or(-1)));
    command.receipt_id = receipt;
    if (amount_minor) command.amount = domain::Money{"USD", *amount_minor};
    return ledger_.RefundPurchase(shop_, command);
  }

  domain::MemberView Member(const std::string& card) {
    auto member = ledger_.GetMember({card, {}});
    EXPECT_TRUE(member.ok());
    return *member;
  }

  std::string Lots(const std::string& card) {
    return db_.QueryValue(
        "SELECT string_agg(l.id || ':' || l.remaining, ',' ORDER BY l.id) FROM lots l "
        "JOIN cards c ON c.member_id = l.member_id WHERE c.card_number = '" + card + "'");
  }

  domain::Partner issuer_;
  domain::Partner shop_;
  int seq_ = 0;
};

TEST_F(RefundsTest, ProportionalPartialThenFullRefundReturnsExactlyWhatWasPaid) {
  Enroll(issuer_, "CARD-1");
  Fund("CARD-1", 1000);
  Buy("CARD-1", "R1", 400, 600, RefundPolicy::kProportional);  // $10: $4 in points, $6 cash
  EXPECT_EQ(Member("CARD-1").balance, 1000 - 400 + 60);

  auto purchase = ledger_.GetPurchase(shop_, "R1");
  ASSERT_TRUE(purchase.ok());
  EXPECT_EQ(purchase->totals.price_minor, 1000);
  EXPECT_EQ(purchase->totals.cash_paid_minor, 600);
  EXPECT_EQ(purchase->totals.points_paid, 400);
  EXPECT_EQ(purchase->totals.points_earned, 60);

  auto half = Refund("ref-1", "R1", 500);
  ASSERT_TRUE(half.ok()) << half.error().message;
  EXPECT_EQ(half->outcome.cash_to_return_minor, 300);
  EXPECT_EQ(half->outcome.points_to_return, 200);
  EXPECT_EQ(half->outcome.points_to_claw_back, 30);
  EXPECT_EQ(half->balance, 660 + 200 - 30);
  ExpectLedgerConsistent();

  auto rest = Refund("ref-2", "R1", std::nullopt);
  ASSERT_TRUE(rest.ok()) << rest.error().message;
  EXPECT_EQ(rest->outcome.cash_to_return_minor, 300);
  EXPECT_EQ(rest->outcome.points_to_return, 200);
  EXPECT_EQ(rest->outcome.points_to_claw_back, 30);
  EXPECT_EQ(rest->balance, 1000);
  EXPECT_EQ(rest->purchase.totals.amount_refunded_minor, 1000);
  ExpectLedgerConsistent();

  const auto before = db_.Fingerprint();
  auto again = Refund("ref-3", "R1", 1);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().reason, "PURCHASE_FULLY_REFUNDED");
  EXPECT_EQ(db_.Fingerprint(), before);
}

TEST_F(RefundsTest, RefundedPointsGoBackToTheLotsTheyCameFrom) {
  Enroll(issuer_, "CARD-2");
  Fund("CARD-2", 300);
  Fund("CARD-2", 500);
  const auto lots_before = Lots("CARD-2");
  Buy("CARD-2", "R2", 700, 0, RefundPolicy::kProportional);
  EXPECT_NE(Lots("CARD-2"), lots_before);
  ASSERT_TRUE(Refund("ref-lots", "R2", std::nullopt).ok());
  EXPECT_EQ(Lots("CARD-2"), lots_before);
  EXPECT_EQ(db_.QueryValue("SELECT count(*) FROM lot_restorations"), "2");
  ExpectLedgerConsistent();
}

TEST_F(RefundsTest, PointsOfALotThatExpiredMeanwhileComeBackWithAGraceExpiry) {
  Enroll(issuer_, "CARD-3");
  Fund("CARD-3", 500);
  Buy("CARD-3", "R3", 200, 0, RefundPolicy::kProportional);
  // The lot expired after the purchase (as the expiry rules will make it).
  db_.QueryValue("UPDATE lots SET expires_at = to_timestamp(1800000000) RETURNING 1");
  auto refunded = Refund("ref-grace", "R3", std::nullopt);
  ASSERT_TRUE(refunded.ok()) << refunded.error().message;
  EXPECT_EQ(refunded->outcome.points_to_return, 200);
  const auto now_seconds = std::chrono::duration_cast<std::chrono::seconds>(
                               clock_.Now().time_since_epoch()).count();
  EXPECT_EQ(db_.QueryValue("SELECT count(*) || ' ' || sum(l.points) || ' ' || "
                           "min(extract(epoch from l.expires_at)::bigint) || ' ' || "
                           "min(issuer_partner_id) FROM lots l JOIN transfers t ON "
                           "t.member_id = l.member_id AND t.id = l.source_transfer_id "
                           "WHERE t.kind = 'REFUND'"),
            "1 200 " + std::to_string(now_seconds + domain::kRefundGraceSeconds) + " " +
                std::to_string(issuer_.id));
  // The expired lot itself stays spent.
  EXPECT_EQ(db_.QueryValue("SELECT remaining FROM lots WHERE expires_at = to_timestamp(1800000000)"),
            "300");
  ExpectLedgerConsistent();
}

TEST_F(RefundsTest, ClawbackOfSpentPointsLeavesDebtThatBlocksRedemptionAndIsRepaidFirst) {
  Enroll(issuer_, "CARD-4");
  Buy("CARD-4", "R4", 0, 1000, RefundPolicy::kProportional);  // $10 cash earns 100
  auto spent = ledger_.Redeem(issuer_, RedeemCommand("spend-4", "CARD-4", 100));
  ASSERT_TRUE(spent.ok());

  auto refunded = Refund("ref-4", "R4", std::nullopt);
  ASSERT_TRUE(refunded.ok()) << refunded.error().message;
  EXPECT_EQ(refunded->outcome.cash_to_return_minor, 1000);
  EXPECT_EQ(refunded->outcome.points_to_claw_back, 100);
  EXPECT_EQ(refunded->debt, 100);
  EXPECT_EQ(refunded->balance, -100);
  EXPECT_EQ(refunded->available, -100);
  ExpectLedgerConsistent();

  const auto before = db_.Fingerprint();
  auto blocked = ledger_.Redeem(issuer_, RedeemCommand("spend-4b", "CARD-4", 1));
  ASSERT_FALSE(blocked.ok());
  EXPECT_EQ(blocked.error().reason, "INSUFFICIENT_POINTS");
  EXPECT_EQ(db_.Fingerprint(), before);

  Fund("CARD-4", 60);
  auto member = Member("CARD-4");
  EXPECT_EQ(member.balance, -40);
  EXPECT_EQ(member.debt, 40);
  Fund("CARD-4", 70);
  member = Member("CARD-4");
  EXPECT_EQ(member.balance, 30);
  EXPECT_EQ(member.debt, 0);
  ExpectLedgerConsistent();
  EXPECT_TRUE(ledger_.Redeem(issuer_, RedeemCommand("spend-4c", "CARD-4", 30)).ok());
  ExpectLedgerConsistent();
}

TEST_F(RefundsTest, ClawbackLeavesPointsCoveringOpenHoldsToTheirHolds) {
  Enroll(issuer_, "CARD-5");
  Buy("CARD-5", "R5", 0, 1000, RefundPolicy::kProportional);  // earns 100
  domain::HoldCommand hold;
  hold.key = Key("hold-5");
  hold.member.card_number = "CARD-5";
  hold.points = 80;
  auto held = ledger_.HoldPoints(issuer_, hold);
  ASSERT_TRUE(held.ok());
  auto refunded = Refund("ref-5", "R5", std::nullopt);
  ASSERT_TRUE(refunded.ok()) << refunded.error().message;
  EXPECT_EQ(refunded->debt, 80);
  EXPECT_EQ(refunded->balance, 0);
  EXPECT_EQ(refunded->available, -80);
  ExpectLedgerConsistent();
  // The hold can still be captured in full: its points were left in the lots.
  auto captured = ledger_.CapturePoints(issuer_, {Key("cap-5"), held->hold.id, 0, ""});
  ASSERT_TRUE(captured.ok()) << captured.error().message;
  EXPECT_EQ(captured->balance, -80);
  ExpectLedgerConsistent();
}

TEST_F(RefundsTest, RetriesReturnTheStoredOutcomeAndReusedIdsAreRejected) {
  Enroll(issuer_, "CARD-6");
  Fund("CARD-6", 1000);
  Buy("CARD-6", "R6", 500, 500, RefundPolicy::kCashFirst);
  auto first = Refund("ref-6", "R6", 700);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->outcome.cash_to_return_minor, 500);
  EXPECT_EQ(first->outcome.points_to_return, 200);
  const auto after_first = db_.Fingerprint();
  auto retry = Refund("ref-6", "R6", 700);
  ASSERT_TRUE(retry.ok());
  EXPECT_EQ(retry->outcome.points_to_return, 200);
  EXPECT_EQ(retry->purchase.totals.amount_refunded_minor, 700);
  EXPECT_EQ(db_.Fingerprint(), after_first);
  auto reused = Refund("ref-6", "R6", 100);
  ASSERT_FALSE(reused.ok());
  EXPECT_EQ(reused.error().reason, "REQUEST_ID_REUSED");
  auto too_much = Refund("ref-7", "R6", 301);
  ASSERT_FALSE(too_much.ok());
  EXPECT_EQ(too_much.error().reason, "REFUND_EXCEEDS_PURCHASE");
  EXPECT_EQ(db_.Fingerprint(), after_first);
}

TEST_F(RefundsTest, RejectedPaymentsAndRefundsWriteNothing) {
  Enroll(issuer_, "CARD-7");
  Enroll(issuer_, "CARD-8");
  Fund("CARD-7", 1000);
  Fund("CARD-8", 1000);
  Buy("CARD-7", "R7", 100, 100, RefundPolicy::kProportional);
  const auto before = db_.Fingerprint();

  auto unknown = Refund("x1", "NOPE", std::nullopt);
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(unknown.error().reason, "PURCHASE_NOT_FOUND");

  domain::RefundCommand foreign;
  foreign.key = Key("x2");
  foreign.receipt_id = "R7";
  auto other_partner = ledger_.RefundPurchase(issuer_, foreign);
  ASSERT_FALSE(other_partner.ok());
  EXPECT_EQ(other_partner.error().reason, "PURCHASE_NOT_FOUND");

  domain::RefundCommand euros;
  euros.key = Key("x3");
  euros.receipt_id = "R7";
  euros.amount = domain::Money{"EUR", 100};
  auto wrong_currency = ledger_.RefundPurchase(shop_, euros);
  ASSERT_FALSE(wrong_currency.ok());
  EXPECT_EQ(wrong_currency.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(wrong_currency.error().field, "amount.currency_code");

  auto zero = Refund("x4", "R7", 0);
  ASSERT_FALSE(zero.ok());
  EXPECT_EQ(zero.error().code, ErrorCode::kInvalidArgument);

  // Another member's receipt.
  auto stranger = RedeemCommand("x5", "CARD-8", 10);
  stranger.receipt_id = "R7";
  auto mixed_up = ledger_.Redeem(shop_, stranger, Terms(RefundPolicy::kProportional));
  ASSERT_FALSE(mixed_up.ok());
  EXPECT_EQ(mixed_up.error().reason, "RECEIPT_OF_ANOTHER_MEMBER");

  // Points not worth whole cents at 0.8 cents a point.
  auto fractional = RedeemCommand("x6", "CARD-7", 3);
  fractional.receipt_id = "R8";
  auto inexact = ledger_.Redeem(shop_, fractional, Terms(RefundPolicy::kProportional, 8'000));
  ASSERT_FALSE(inexact.ok());
  EXPECT_EQ(inexact.error().reason, "POINTS_VALUE_NOT_WHOLE");
  EXPECT_EQ(db_.Fingerprint(), before);

  // Once refunds began, nothing more can be paid towards the receipt.
  ASSERT_TRUE(Refund("x7", "R7", 10).ok());
  const auto refunded = db_.Fingerprint();
  auto late = RedeemCommand("x8", "CARD-7", 10);
  late.receipt_id = "R7";
  auto too_late = ledger_.Redeem(shop_, late, Terms(RefundPolicy::kProportional));
  ASSERT_FALSE(too_late.ok());
  EXPECT_EQ(too_late.error().reason, "PURCHASE_ALREADY_REFUNDED");
  EXPECT_EQ(db_.Fingerprint(), refunded);
}

// Random partial refunds under every policy: the totals never exceed the
// purchase, each refund's outcome adds up, the last one squares everything
// and the ledger invariants hold after each step.
TEST_F(RefundsTest, RandomPartialRefundsNeverExceedThePurchase) {
  std::mt19937_64 random(20261123);
  const RefundPolicy policies[] = {RefundPolicy::kProportional, RefundPolicy::kCashFirst,
                                   RefundPolicy::kPointsFirst, RefundPolicy::kPointsForfeited};
  int purchase_number = 0;
  for (const auto policy : policies) {
    for (int round = 0; round < 6; ++round) {
      const std::string card = "RND-" + std::to_string(++purchase_number);
      const std::string receipt = "RR-" + std::to_string(purchase_number);
      Enroll(issuer_, card);
      Fund(card, 5000);
      const int64_t points = std::uniform_int_distribution<int64_t>(0, 3000)(random);
      const int64_t cash = std::uniform_int_distribution<int64_t>(points == 0 ? 1 : 0, 4000)(random);
      Buy(card, receipt, points, cash, policy);
      const auto balance_after_purchase = Member(card).balance;
      const int64_t price = points + cash;  // one point = one cent
      const int64_t earned = cash / 10;

      int64_t refunded = 0, cash_back = 0, points_back = 0, clawed = 0;
      int step = 0;
      while (refunded < price) {
        const bool last = std::uniform_int_distribution<int>(0, 4)(random) == 0;
        std::optional<int64_t> amount;
        if (!last) {
          amount = std::uniform_int_distribution<int64_t>(1, price - refunded)(random);
        }
        const std::string request = receipt + "-" + std::to_string(++step);
        auto outcome = Refund(request, receipt, amount);
        ASSERT_TRUE(outcome.ok()) << outcome.error().message;
        // A retry changes nothing.
        auto retry = Refund(request, receipt, amount);
        ASSERT_TRUE(retry.ok());
        EXPECT_EQ(retry->outcome.points_to_return, outcome->outcome.points_to_return);
        refunded += outcome->outcome.amount_refunded_minor;
        cash_back += outcome->outcome.cash_to_return_minor;
        points_back += outcome->outcome.points_to_return;
        clawed += outcome->outcome.points_to_claw_back;
        ASSERT_LE(cash_back, cash);
        ASSERT_LE(points_back, points);
        ASSERT_LE(clawed, earned);
        // Value returned never exceeds the value of the goods returned.
        ASSERT_LE(cash_back + points_back, refunded);
        EXPECT_EQ(outcome->purchase.totals.amount_refunded_minor, refunded);
        EXPECT_EQ(Member(card).balance, balance_after_purchase + points_back - clawed);
      }
      EXPECT_EQ(cash_back, cash);
      EXPECT_EQ(points_back, policy == RefundPolicy::kPointsForfeited ? 0 : points);
      EXPECT_EQ(clawed, earned);
      auto over = Refund(receipt + "-over", receipt, std::nullopt);
      ASSERT_FALSE(over.ok());
      EXPECT_EQ(over.error().reason, "PURCHASE_FULLY_REFUNDED");
      ExpectLedgerConsistent();
    }
  }
}

// Concurrent refunds of one purchase with different request ids: together
// they never refund more than the price.
TEST_F(RefundsTest, ConcurrentRefundsOfOnePurchaseNeverExceedIt) {
  Enroll(issuer_, "CARD-9");
  Fund("CARD-9", 2000);
  Buy("CARD-9", "R9", 1000, 1000, RefundPolicy::kProportional);  // price $20
  constexpr int kThreads = 12;
  std::atomic<int> succeeded{0};
  std::atomic<int64_t> points_back{0};
  std::atomic<int64_t> cash_back{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      auto refunded = Refund("race-" + std::to_string(i), "R9", 500);
      if (refunded.ok()) {
        ++succeeded;
        points_back += refunded->outcome.points_to_return;
        cash_back += refunded->outcome.cash_to_return_minor;
      } else {
        EXPECT_TRUE(refunded.error().reason == "PURCHASE_FULLY_REFUNDED" ||
                    refunded.error().reason == "REFUND_EXCEEDS_PURCHASE")
            << refunded.error().reason;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(succeeded.load(), 4);
  EXPECT_EQ(points_back.load(), 1000);
  EXPECT_EQ(cash_back.load(), 1000);
  ExpectLedgerConsistent();
}

}  // namespace
}  // namespace coalition::testing
