#include <thread>

#include "e2e/e2e_fixture.h"

namespace coalition::testing {
namespace {

class HoldsE2eTest : public E2eFixture {};

TEST_F(HoldsE2eTest, OnlineCheckoutHoldsThenCapturesPartOfThePoints) {
  const auto market = CreatePartner("market", 1, 1);
  const auto store = CreatePartner("store", 1, 1);
  ASSERT_TRUE(Enroll(market.api_key, "WEB-CARD").ok());
  ASSERT_TRUE(Accrue(market.api_key, "seed", "WEB-CARD", 2000).ok());
  auto stub = PartnerStub();

  v1::HoldPointsRequest hold_request;
  hold_request.set_request_id("basket-1-hold");
  hold_request.set_card_number("WEB-CARD");
  hold_request.set_points(1500);
  hold_request.set_ttl_seconds(600);
  hold_request.set_reference("basket-1");
  v1::HoldPointsResponse held;
  auto status = stub->HoldPoints(Context(store.api_key).get(), hold_request, &held);
  ASSERT_TRUE(status.ok()) << sdk::FormatError(status);
  EXPECT_EQ(held.available(), 500);
  EXPECT_EQ(held.hold().status(), v1::HOLD_STATUS_OPEN);
  EXPECT_EQ(held.hold().expires_at().seconds() - held.hold().created_at().seconds(), 600);
  EXPECT_EQ(GetMember(market.api_key, "WEB-CARD").held(), 1500);

  // Another partner cannot touch it.
  v1::CapturePointsRequest capture;
  capture.set_request_id("basket-1-capture");
  capture.set_hold_id(held.hold().hold_id());
  capture.set_points(1200);
  v1::CapturePointsResponse captured;
  status = stub->CapturePoints(Context(market.api_key).get(), capture, &captured);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(Reason(status), "HOLD_NOT_FOUND");

  status = stub->CapturePoints(Context(store.api_key).get(), capture, &captured);
  ASSERT_TRUE(status.ok()) << sdk::FormatError(status);
  EXPECT_EQ(captured.points_captured(), 1200);
  EXPECT_EQ(captured.points_released(), 300);
  EXPECT_EQ(captured.balance(), 800);
  EXPECT_EQ(captured.available(), 800);
  EXPECT_EQ(captured.hold().status(), v1::HOLD_STATUS_CAPTURED);

  v1::VoidHoldRequest void_request;
  void_request.set_request_id("basket-1-void");
  void_request.set_hold_id(held.hold().hold_id());
  v1::VoidHoldResponse voided;
  status = stub->VoidHold(Context(store.api_key).get(), void_request, &voided);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(Reason(status), "HOLD_CAPTURED");

  v1::ListTransactionsRequest list;
  list.set_card_number("WEB-CARD");
  v1::ListTransactionsResponse transactions;
  ASSERT_TRUE(stub->ListTransactions(Context(store.api_key).get(), list, &transactions).ok());
  ASSERT_EQ(transactions.transactions_size(), 1);
  EXPECT_EQ(transactions.transactions(0).kind(), v1::TRANSACTION_KIND_HOLD_CAPTURE);
  EXPECT_EQ(transactions.transactions(0).balance_delta(), -1200);
  EXPECT_EQ(transactions.transactions(0).reference(), "basket-1");
  ExpectLedgerConsistent();
}

TEST_F(HoldsE2eTest, TheServersSweeperReleasesExpiredHolds) {
  const auto market = CreatePartner("market", 1, 1);
  ASSERT_TRUE(Enroll(market.api_key, "SWEEP-CARD").ok());
  ASSERT_TRUE(Accrue(market.api_key, "seed", "SWEEP-CARD", 100).ok());
  v1::HoldPointsRequest hold;
  hold.set_request_id("h1");
  hold.set_card_number("SWEEP-CARD");
  hold.set_points(80);
  hold.set_ttl_seconds(60);
  v1::HoldPointsResponse held;
  ASSERT_TRUE(PartnerStub()->HoldPoints(Context(market.api_key).get(), hold, &held).ok());
  EXPECT_EQ(GetMember(market.api_key, "SWEEP-CARD").available(), 20);

  clock_.Advance(std::chrono::seconds(61));
  // The sweeper wakes every second; wait for its write, bounded.
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (db_.QueryValue("SELECT status FROM holds") != "EXPIRED" &&
         std::chrono::steady_clock::now() < give_up) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(db_.QueryValue("SELECT status FROM holds"), "EXPIRED");
  EXPECT_EQ(db_.QueryValue("SELECT held FROM members"), "0");
  EXPECT_EQ(GetMember(market.api_key, "SWEEP-CARD").available(), 100);
  ExpectLedgerConsistent();
}

TEST_F(HoldsE2eTest, MalformedHoldRequestsAreRejectedWithTheField) {
  const auto market = CreatePartner("market", 1, 1);
  ASSERT_TRUE(Enroll(market.api_key, "BAD-HOLD").ok());
  ASSERT_TRUE(Accrue(market.api_key, "seed", "BAD-HOLD", 100).ok());
  auto stub = PartnerStub();
  const auto before = db_.Fingerprint();

  v1::HoldPointsRequest hold;
  hold.set_request_id("h1");
  hold.set_card_number("BAD-HOLD");
  hold.set_points(10);
  hold.set_ttl_seconds(-1);
  v1::HoldPointsResponse held;
  auto status = stub->HoldPoints(Context(market.api_key).get(), hold, &held);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Field(status), "ttl_seconds");

  v1::CapturePointsRequest capture;
  capture.set_request_id("c1");
  capture.set_hold_id("not-a-number");
  v1::CapturePointsResponse captured;
  status = stub->CapturePoints(Context(market.api_key).get(), capture, &captured);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Field(status), "hold_id");
  EXPECT_EQ(db_.Fingerprint(), before);
}

}  // namespace
}  // namespace coalition::testing
