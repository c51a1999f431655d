#include <thread>

#include "integration/ledger_fixture.h"

namespace coalition::testing {
namespace {

using domain::ErrorCode;

class HoldsTest : public LedgerFixture {
 protected:
  void SetUp() override {
    market_ = CreatePartner("market", {1, 1});
    fuel_ = CreatePartner("fuel", {1, 1});
    Enroll(market_, "HOLD-CARD");
    ASSERT_TRUE(ledger_.Accrue(market_, AccrueCommand("seed", "HOLD-CARD", 1000)).ok());
  }

  domain::Result<domain::HoldResult> Hold(const domain::Partner& partner, const std::string& id,
                                          int64_t points, int32_t ttl_seconds = 60) {
    domain::HoldCommand command;
    command.key = Key(id, std::to_string(points));
    command.member.card_number = "HOLD-CARD";
    command.points = points;
    command.ttl_seconds = ttl_seconds;
    command.reference = "order-" + id;
    return ledger_.HoldPoints(partner, command);
  }

  domain::Result<domain::CaptureResult> Capture(const domain::Partner& partner,
                                                const std::string& id, domain::HoldId hold,
                                                int64_t points = 0) {
    return ledger_.CapturePoints(
        partner, {Key(id, std::to_string(hold) + ":" + std::to_string(points)), hold, points, ""});
  }

  domain::Result<domain::VoidResult> Void(const domain::Partner& partner, const std::string& id,
                                          domain::HoldId hold) {
    return ledger_.VoidHold(partner, {Key(id, std::to_string(hold)), hold});
  }

  domain::MemberView Member() {
    auto member = ledger_.GetMember({"HOLD-CARD", {}});
    EXPECT_TRUE(member.ok());
    return *member;
  }

  domain::Partner market_;
  domain::Partner fuel_;
};

TEST_F(HoldsTest, PartialCaptureSpendsPartAndReleasesTheRest) {
  auto hold = Hold(fuel_, "h1", 600);
  ASSERT_TRUE(hold.ok()) << hold.error().message;
  EXPECT_EQ(hold->available, 400);
  EXPECT_EQ(hold->hold.status, domain::HoldStatus::kOpen);
  EXPECT_EQ(hold->hold.expires_at - hold->hold.created_at, std::chrono::seconds(60));
  EXPECT_EQ(Member().held, 600);

  // Held points cannot be redeemed twice.
  auto redeem = ledger_.Redeem(market_, RedeemCommand("r1", "HOLD-CARD", 401));
  ASSERT_FALSE(redeem.ok());
  EXPECT_EQ(redeem.error().reason, "INSUFFICIENT_POINTS");

  auto captured = Capture(fuel_, "c1", hold->hold.id, 450);
  ASSERT_TRUE(captured.ok()) << captured.error().message;
  EXPECT_EQ(captured->points_captured, 450);
  EXPECT_EQ(captured->points_released, 150);
  EXPECT_EQ(captured->balance, 550);
  EXPECT_EQ(captured->available, 550);
  EXPECT_EQ(captured->hold.status, domain::HoldStatus::kCaptured);
  EXPECT_EQ(captured->hold.capture_transfer_id, captured->transfer_id);
  EXPECT_EQ(Member().held, 0);
  EXPECT_EQ(db_.QueryValue("SELECT kind || ':' || points || ':' || reference FROM transfers "
                           "WHERE id = " + std::to_string(captured->transfer_id)),
            "HOLD_CAPTURE:450:order-h1");
  ExpectLedgerConsistent();
}

TEST_F(HoldsTest, CaptureWithoutPointsTakesTheWholeHoldAndRetriesAreAnsweredOnce) {
  auto hold = Hold(fuel_, "h1", 300);
  ASSERT_TRUE(hold.ok());
  auto first = Capture(fuel_, "c1", hold->hold.id);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->points_captured, 300);
  const auto before = db_.Fingerprint();
  auto retry = Capture(fuel_, "c1", hold->hold.id);
  ASSERT_TRUE(retry.ok());
  EXPECT_EQ(retry->transfer_id, first->transfer_id);
  EXPECT_EQ(db_.Fingerprint(), before);
  ExpectLedgerConsistent();
}

TEST_F(HoldsTest, ClosedHoldsSayWhyTheyCannotBeCapturedOrVoided) {
  auto voided_hold = Hold(fuel_, "h1", 100);
  auto captured_hold = Hold(fuel_, "h2", 100);
  ASSERT_TRUE(voided_hold.ok() && captured_hold.ok());
  auto voided = Void(fuel_, "v1", voided_hold->hold.id);
  ASSERT_TRUE(voided.ok());
  EXPECT_EQ(voided->points_released, 100);
  EXPECT_EQ(voided->available, 900);
  ASSERT_TRUE(Capture(fuel_, "c2", captured_hold->hold.id).ok());
  const auto before = db_.Fingerprint();

  struct Case {
    std::string name;
    domain::Result<domain::Ok> outcome;
    std::string reason;
  };
  auto ok_of = [](const auto& result) -> domain::Result<domain::Ok> {
    if (result.ok()) return domain::Ok{};
    return result.error();
  };
  const std::vector<Case> cases = {
      {"capture voided", ok_of(Capture(fuel_, "x1", voided_hold->hold.id)), "HOLD_VOIDED"},
      {"void voided", ok_of(Void(fuel_, "x2", voided_hold->hold.id)), "HOLD_VOIDED"},
      {"capture captured", ok_of(Capture(fuel_, "x3", captured_hold->hold.id)), "HOLD_CAPTURED"},
      {"void captured", ok_of(Void(fuel_, "x4", captured_hold->hold.id)), "HOLD_CAPTURED"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    ASSERT_FALSE(c.outcome.ok());
    EXPECT_EQ(c.outcome.error().code, ErrorCode::kFailedPrecondition);
    EXPECT_EQ(c.outcome.error().reason, c.reason);
  }
  EXPECT_EQ(db_.Fingerprint(), before);
}

TEST_F(HoldsTest, AnotherPartnersHoldIsNotFound) {
  auto hold = Hold(fuel_, "h1", 100);
  ASSERT_TRUE(hold.ok());
  const auto before = db_.Fingerprint();
  auto captured = Capture(market_, "c1", hold->hold.id);
  ASSERT_FALSE(captured.ok());
  EXPECT_EQ(captured.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(captured.error().reason, "HOLD_NOT_FOUND");
  auto voided = Void(market_, "v1", hold->hold.id);
  ASSERT_FALSE(voided.ok());
  EXPECT_EQ(voided.error().reason, "HOLD_NOT_FOUND");
  EXPECT_EQ(Void(fuel_, "v2", 987654).error().reason, "HOLD_NOT_FOUND");
  EXPECT_EQ(db_.Fingerprint(), before);
}

TEST_F(HoldsTest, RejectedHoldsAndCapturesWriteNothing) {
  auto hold = Hold(fuel_, "h1", 400);
  ASSERT_TRUE(hold.ok());
  const auto before = db_.Fingerprint();
  auto too_much = Hold(fuel_, "h2", 601);
  ASSERT_FALSE(too_much.ok());
  EXPECT_EQ(too_much.error().reason, "INSUFFICIENT_POINTS");
  auto over = Capture(fuel_, "c1", hold->hold.id, 401);
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.error().reason, "CAPTURE_EXCEEDS_HOLD");
  auto bad_ttl = Hold(fuel_, "h3", 1, domain::kMaxHoldTtlSeconds + 1);
  ASSERT_FALSE(bad_ttl.ok());
  EXPECT_EQ(bad_ttl.error().field, "ttl_seconds");
  auto negative = Capture(fuel_, "c2", hold->hold.id, -5);
  ASSERT_FALSE(negative.ok());
  EXPECT_EQ(negative.error().field, "points");
  EXPECT_EQ(db_.Fingerprint(), before);
}

TEST_F(HoldsTest, ExpiredHoldStopsCountingAtOnceAndTheSweeperReleasesIt) {
  auto hold = Hold(fuel_, "h1", 700, 60);
  ASSERT_TRUE(hold.ok());
  clock_.Advance(std::chrono::seconds(59));
  EXPECT_EQ(Member().held, 700);
  clock_.Advance(std::chrono::seconds(1));
  // Read: no longer held, although nothing was written yet.
  EXPECT_EQ(Member().held, 0);
  EXPECT_EQ(Member().available(), 1000);
  EXPECT_EQ(db_.QueryValue("SELECT held FROM members"), "700");

  auto captured = Capture(fuel_, "c1", hold->hold.id);
  ASSERT_FALSE(captured.ok());
  EXPECT_EQ(captured.error().reason, "HOLD_EXPIRED");

  auto swept = ledger_.ExpireDueHolds(100);
  ASSERT_TRUE(swept.ok());
  EXPECT_EQ(*swept, 1);
  EXPECT_EQ(db_.QueryValue("SELECT held FROM members"), "0");
  EXPECT_EQ(db_.QueryValue("SELECT status FROM holds"), "EXPIRED");
  EXPECT_EQ(*ledger_.ExpireDueHolds(100), 0);
  EXPECT_EQ(Void(fuel_, "v1", hold->hold.id).error().reason, "HOLD_EXPIRED");
  ExpectLedgerConsistent();
}

TEST_F(HoldsTest, SpendingReleasesExpiredHoldsFirst) {
  ASSERT_TRUE(Hold(fuel_, "h1", 1000, 30).ok());
  EXPECT_EQ(ledger_.Redeem(market_, RedeemCommand("r1", "HOLD-CARD", 800)).error().reason,
            "INSUFFICIENT_POINTS");
  clock_.Advance(std::chrono::seconds(31));
  auto redeemed = ledger_.Redeem(market_, RedeemCommand("r2", "HOLD-CARD", 800));
  ASSERT_TRUE(redeemed.ok()) << redeemed.error().message;
  EXPECT_EQ(redeemed->available, 200);
  auto held_again = Hold(fuel_, "h2", 200);
  ASSERT_TRUE(held_again.ok());
  EXPECT_EQ(held_again->available, 0);
  ExpectLedgerConsistent();
}

TEST_F(HoldsTest, ConcurrentCaptureAndVoidOfOneHoldExactlyOneWins) {
  for (int round = 0; round < 20; ++round) {
    SCOPED_TRACE(round);
    const auto suffix = std::to_string(round);
    auto hold = Hold(fuel_, "h" + suffix, 40);
    ASSERT_TRUE(hold.ok());
    domain::Result<domain::CaptureResult> captured = domain::Error::Internal("not run");
    domain::Result<domain::VoidResult> voided = domain::Error::Internal("not run");
    std::thread capture([&] { captured = Capture(fuel_, "c" + suffix, hold->hold.id, 25); });
    std::thread void_hold([&] { voided = Void(fuel_, "v" + suffix, hold->hold.id); });
    capture.join();
    void_hold.join();
    EXPECT_NE(captured.ok(), voided.ok());
    if (captured.ok()) {
      EXPECT_EQ(voided.error().reason, "HOLD_CAPTURED");
    } else {
      EXPECT_EQ(captured.error().reason, "HOLD_VOIDED");
    }
  }
  EXPECT_EQ(Member().held, 0);
  ExpectLedgerConsistent();
}

TEST_F(HoldsTest, ConcurrentHoldsNeverReserveMoreThanAvailable) {
  constexpr int kThreads = 16;
  std::atomic<int> held{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      if (Hold(fuel_, "race-" + std::to_string(i), 150).ok()) ++held;
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(held.load(), 6);  // 6 x 150 = 900 <= 1000 < 7 x 150
  EXPECT_EQ(Member().held, 900);
  ExpectLedgerConsistent();
}

TEST_F(HoldsTest, SweeperRacingCapturesAndVoidsLeavesEveryHoldClosedOnce) {
  // Half the holds expire at once (ttl 1 s, clock moved past them); the
  // sweeper releases them while tills capture and void the others.
  std::vector<domain::HoldId> short_lived;
  std::vector<domain::HoldId> live;
  for (int i = 0; i < 20; ++i) {
    auto hold = Hold(fuel_, "h" + std::to_string(i), 20, i % 2 == 0 ? 1 : 600);
    ASSERT_TRUE(hold.ok()) << hold.error().message;
    (i % 2 == 0 ? short_lived : live).push_back(hold->hold.id);
  }
  clock_.Advance(std::chrono::seconds(2));
  std::atomic<int> swept{0};
  std::atomic<int> failures{0};
  std::thread sweeper([&] {
    for (int round = 0; round < 5; ++round) {
      auto released = ledger_.ExpireDueHolds(3);
      if (released.ok()) swept += *released;
      else ++failures;
    }
  });
  std::vector<std::thread> tills;
  for (size_t i = 0; i < live.size(); ++i) {
    tills.emplace_back([&, i] {
      const auto id = std::to_string(i);
      const bool ok = i % 2 == 0 ? Capture(fuel_, "c" + id, live[i], 15).ok()
                                 : Void(fuel_, "v" + id, live[i]).ok();
      if (!ok) ++failures;
    });
  }
  for (auto& till : tills) till.join();
  sweeper.join();
  EXPECT_EQ(failures.load(), 0);
  // Whatever the sweeper did not reach in its rounds, one more pass does.
  auto rest = ledger_.ExpireDueHolds(100);
  ASSERT_TRUE(rest.ok());
  EXPECT_EQ(swept.load() + *rest, 10);
  EXPECT_EQ(db_.QueryValue("SELECT string_agg(status || ':' || n, ',' ORDER BY status) FROM "
                           "(SELECT status, count(*) AS n FROM holds GROUP BY status) s"),
            "CAPTURED:5,EXPIRED:10,VOIDED:5");
  EXPECT_EQ(Member().held, 0);
  EXPECT_EQ(Member().balance, 1000 - 5 * 15);
  ExpectLedgerConsistent();
}

}  // namespace
}  // namespace coalition::testing
