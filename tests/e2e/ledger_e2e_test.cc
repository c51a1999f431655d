#include <atomic>
#include <thread>
#include <vector>

#include <grpcpp/create_channel.h>

#include "grpc/health/v1/health.grpc.pb.h"

#include "e2e/e2e_fixture.h"

namespace coalition::testing {
namespace {

class LedgerE2eTest : public E2eFixture {};

TEST_F(LedgerE2eTest, EarnAtOnePartnerAndRedeemAtAnother) {
  const auto market = CreatePartner("market", 1, 100);
  const auto fuel = CreatePartner("fuel", 1, 600);
  v1::EnrollMemberResponse enrolled;
  ASSERT_TRUE(Enroll(market.api_key, "6001-0001", &enrolled).ok());
  EXPECT_EQ(enrolled.member().balance(), 0);

  v1::AccrueResponse accrued;
  auto status = Accrue(market.api_key, "till-1-0001", "6001-0001", 45'678, &accrued);
  ASSERT_TRUE(status.ok()) << sdk::FormatError(status);
  EXPECT_EQ(accrued.points_earned(), 456);
  EXPECT_EQ(accrued.balance(), 456);
  EXPECT_EQ(accrued.member_id(), enrolled.member().member_id());
  EXPECT_FALSE(accrued.transfer_id().empty());

  ASSERT_TRUE(Accrue(fuel.api_key, "pump-7-0001", "6001-0001", 6'000, &accrued).ok());
  EXPECT_EQ(accrued.points_earned(), 10);  // 1 point per $6

  v1::RedeemResponse redeemed;
  status = Redeem(fuel.api_key, "pump-7-0002", "6001-0001", 400, &redeemed);
  ASSERT_TRUE(status.ok()) << sdk::FormatError(status);
  EXPECT_EQ(redeemed.balance(), 66);
  EXPECT_EQ(redeemed.available(), 66);

  const auto member = GetMember(market.api_key, "6001-0001");
  EXPECT_EQ(member.balance(), 66);
  EXPECT_EQ(member.held(), 0);
  EXPECT_EQ(member.available(), 66);
  ASSERT_EQ(member.card_numbers_size(), 1);
  EXPECT_EQ(member.card_numbers(0), "6001-0001");
  EXPECT_GT(member.enrolled_at().seconds(), 0);
  // Redeemed at fuel, from the older lot issued by market: the flow settlement needs.
  EXPECT_EQ(db_.QueryValue("SELECT string_agg(l.issuer_partner_id || ':' || c.points, ',') "
                           "FROM lot_consumptions c JOIN lots l ON l.id = c.lot_id"),
            market.partner_id + ":400");
  ExpectLedgerConsistent();
}

TEST_F(LedgerE2eTest, ThirtyTwoConcurrentRedemptionsNeverOverspend) {
  const auto market = CreatePartner("market", 1, 1);
  const auto fuel = CreatePartner("fuel", 1, 1);
  ASSERT_TRUE(Enroll(market.api_key, "HOT-MEMBER").ok());
  ASSERT_TRUE(Accrue(market.api_key, "seed-1", "HOT-MEMBER", 600).ok());
  ASSERT_TRUE(Accrue(fuel.api_key, "seed-2", "HOT-MEMBER", 400).ok());

  constexpr int kClients = 32;
  constexpr int64_t kPoints = 70;  // 14 x 70 = 980 <= 1000 < 15 x 70
  std::atomic<int> succeeded{0};
  std::atomic<int> insufficient{0};
  std::atomic<int> other{0};
  std::vector<std::thread> clients;
  for (int i = 0; i < kClients; ++i) {
    clients.emplace_back([&, i] {
      // Each client has its own channel, like separate tills.
      const auto& key = i % 2 == 0 ? market.api_key : fuel.api_key;
      auto status = Redeem(key, "race-" + std::to_string(i), "HOT-MEMBER", kPoints);
      if (status.ok()) ++succeeded;
      else if (status.error_code() == grpc::StatusCode::FAILED_PRECONDITION &&
               Reason(status) == "INSUFFICIENT_POINTS") ++insufficient;
      else {
        ++other;
        ADD_FAILURE() << sdk::FormatError(status);
      }
    });
  }
  for (auto& client : clients) client.join();
  EXPECT_EQ(succeeded.load(), 14);
  EXPECT_EQ(insufficient.load(), kClients - 14);
  EXPECT_EQ(other.load(), 0);
  EXPECT_EQ(GetMember(market.api_key, "HOT-MEMBER").balance(), 20);
  EXPECT_EQ(db_.QueryValue("SELECT count(*) FROM transfers WHERE kind = 'REDEMPTION'"), "14");
  ExpectLedgerConsistent();
}

TEST_F(LedgerE2eTest, ConcurrentAccrualsAndRedemptionsKeepEveryPoint) {
  const auto market = CreatePartner("market", 1, 1);
  ASSERT_TRUE(Enroll(market.api_key, "BUSY-MEMBER").ok());
  ASSERT_TRUE(Accrue(market.api_key, "seed", "BUSY-MEMBER", 100).ok());
  constexpr int kClients = 16;
  std::atomic<int64_t> credited{100};
  std::atomic<int64_t> debited{0};
  std::vector<std::thread> clients;
  for (int i = 0; i < kClients; ++i) {
    clients.emplace_back([&, i] {
      for (int j = 0; j < 10; ++j) {
        const std::string id = "c" + std::to_string(i) + "-" + std::to_string(j);
        if ((i + j) % 2 == 0) {
          if (Accrue(market.api_key, id, "BUSY-MEMBER", 7).ok()) credited += 7;
        } else if (Redeem(market.api_key, id, "BUSY-MEMBER", 9).ok()) {
          debited += 9;
        }
      }
    });
  }
  for (auto& client : clients) client.join();
  EXPECT_EQ(GetMember(market.api_key, "BUSY-MEMBER").balance(), credited - debited);
  EXPECT_EQ(credited.load(), 100 + 80 * 7);  // every accrual succeeded
  ExpectLedgerConsistent();
}

TEST_F(LedgerE2eTest, RetriedRequestIsAppliedOnce) {
  const auto market = CreatePartner("market", 1, 1);
  ASSERT_TRUE(Enroll(market.api_key, "RETRY-CARD").ok());
  v1::AccrueResponse first;
  v1::AccrueResponse second;
  ASSERT_TRUE(Accrue(market.api_key, "receipt-42", "RETRY-CARD", 250, &first).ok());
  ASSERT_TRUE(Accrue(market.api_key, "receipt-42", "RETRY-CARD", 250, &second).ok());
  EXPECT_EQ(first.SerializeAsString(), second.SerializeAsString());
  v1::RedeemResponse redeem_first;
  v1::RedeemResponse redeem_second;
  ASSERT_TRUE(Redeem(market.api_key, "spend-1", "RETRY-CARD", 100, &redeem_first).ok());
  ASSERT_TRUE(Redeem(market.api_key, "spend-1", "RETRY-CARD", 100, &redeem_second).ok());
  EXPECT_EQ(redeem_first.transfer_id(), redeem_second.transfer_id());
  EXPECT_EQ(GetMember(market.api_key, "RETRY-CARD").balance(), 150);
  EXPECT_EQ(db_.QueryValue("SELECT count(*) FROM transfers"), "2");
  ExpectLedgerConsistent();
}

TEST_F(LedgerE2eTest, RequestIdReusedWithAnotherPayloadIsRejected) {
  const auto market = CreatePartner("market", 1, 1);
  ASSERT_TRUE(Enroll(market.api_key, "REUSE-CARD").ok());
  ASSERT_TRUE(Accrue(market.api_key, "receipt-7", "REUSE-CARD", 250).ok());
  const auto before = db_.Fingerprint();
  auto status = Accrue(market.api_key, "receipt-7", "REUSE-CARD", 251);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_EQ(Reason(status), "REQUEST_ID_REUSED");
  status = Redeem(market.api_key, "receipt-7", "REUSE-CARD", 1);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_EQ(Reason(status), "REQUEST_ID_REUSED");
  EXPECT_EQ(db_.Fingerprint(), before);
}

TEST_F(LedgerE2eTest, AutoEnrolmentFollowsThePartnerSetting) {
  const auto strict = CreatePartner("strict", 1, 100, false);
  const auto open = CreatePartner("open", 1, 100, true);
  const auto before = db_.Fingerprint();
  auto status = Accrue(strict.api_key, "a1", "UNKNOWN-CARD", 1000);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(Reason(status), "MEMBER_NOT_FOUND");
  EXPECT_EQ(db_.Fingerprint(), before);
  v1::AccrueResponse accrued;
  ASSERT_TRUE(Accrue(open.api_key, "a1", "UNKNOWN-CARD", 1000, &accrued).ok());
  EXPECT_TRUE(accrued.member_enrolled());
  EXPECT_EQ(accrued.balance(), 10);
}

TEST_F(LedgerE2eTest, EnrollingAnEnrolledCardIsAlreadyExists) {
  const auto market = CreatePartner("market");
  ASSERT_TRUE(Enroll(market.api_key, "TWICE-CARD").ok());
  v1::EnrollMemberRequest request;
  request.set_request_id("another-enrol");
  request.set_card_number("TWICE-CARD");
  v1::EnrollMemberResponse response;
  const auto before = db_.Fingerprint();
  auto status = PartnerStub()->EnrollMember(Context(market.api_key).get(), request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_EQ(Reason(status), "CARD_ALREADY_ENROLLED");
  EXPECT_EQ(db_.Fingerprint(), before);
}

struct BadRequest {
  std::string name;
  std::function<grpc::Status(E2eFixture::PartnerCredentials&, v1::PartnerService::Stub&)> call;
  grpc::StatusCode code;
  std::string reason;
  std::string field;
};

TEST_F(LedgerE2eTest, RejectedRequestsGetCodeReasonFieldAndWriteNothing) {
  auto market = CreatePartner("market", 1, 1);
  ASSERT_TRUE(Enroll(market.api_key, "GOOD-CARD").ok());
  ASSERT_TRUE(Accrue(market.api_key, "seed", "GOOD-CARD", 100).ok());
  auto accrue = [](std::function<void(v1::AccrueRequest&)> mutate) {
    return [mutate](E2eFixture::PartnerCredentials& partner, v1::PartnerService::Stub& stub) {
      v1::AccrueRequest request;
      request.set_request_id("bad-accrue");
      request.set_card_number("GOOD-CARD");
      request.mutable_amount()->set_currency_code("USD");
      request.mutable_amount()->set_amount_minor(100);
      mutate(request);
      v1::AccrueResponse response;
      return stub.Accrue(Context(partner.api_key).get(), request, &response);
    };
  };
  auto redeem = [](std::function<void(v1::RedeemRequest&)> mutate) {
    return [mutate](E2eFixture::PartnerCredentials& partner, v1::PartnerService::Stub& stub) {
      v1::RedeemRequest request;
      request.set_request_id("bad-redeem");
      request.set_card_number("GOOD-CARD");
      request.set_points(10);
      mutate(request);
      v1::RedeemResponse response;
      return stub.Redeem(Context(partner.api_key).get(), request, &response);
    };
  };
  using grpc::StatusCode;
  const std::vector<BadRequest> cases = {
      {"missing request_id", accrue([](auto& r) { r.clear_request_id(); }),
       StatusCode::INVALID_ARGUMENT, "INVALID_ARGUMENT", "request_id"},
      {"request_id too long", accrue([](auto& r) { r.set_request_id(std::string(65, 'x')); }),
       StatusCode::INVALID_ARGUMENT, "INVALID_ARGUMENT", "request_id"},
      {"request_id with spaces", accrue([](auto& r) { r.set_request_id("a b"); }),
       StatusCode::INVALID_ARGUMENT, "INVALID_ARGUMENT", "request_id"},
      {"negative amount", accrue([](auto& r) { r.mutable_amount()->set_amount_minor(-5); }),
       StatusCode::INVALID_ARGUMENT, "INVALID_ARGUMENT", "amount.amount_minor"},
      {"zero amount", accrue([](auto& r) { r.mutable_amount()->set_amount_minor(0); }),
       StatusCode::INVALID_ARGUMENT, "INVALID_ARGUMENT", "amount.amount_minor"},
      {"overflowing amount",
       accrue([](auto& r) { r.mutable_amount()->set_amount_minor(INT64_MAX); }),
       StatusCode::INVALID_ARGUMENT, "INVALID_ARGUMENT", "amount.amount_minor"},
      {"wrong currency", accrue([](auto& r) { r.mutable_amount()->set_currency_code("EUR"); }),
       StatusCode::INVALID_ARGUMENT, "CURRENCY_MISMATCH", "amount.currency_code"},
      {"missing amount", accrue([](auto& r) { r.clear_amount(); }), StatusCode::INVALID_ARGUMENT,
       "CURRENCY_MISMATCH", "amount.currency_code"},
      {"card with bad characters", accrue([](auto& r) { r.set_card_number("12 34;--"); }),
       StatusCode::INVALID_ARGUMENT, "INVALID_ARGUMENT", "card_number"},
      {"huge card number", accrue([](auto& r) { r.set_card_number(std::string(10'000, '1')); }),
       StatusCode::INVALID_ARGUMENT, "INVALID_ARGUMENT", "card_number"},
      // protobuf refuses to parse a proto3 string that is not UTF-8, before our
      // validation sees it; rpc/malformed_request.h names the fault.
      {"invalid UTF-8 store", accrue([](auto& r) { r.set_store_id("\xC0\x80"); }),
       StatusCode::INVALID_ARGUMENT, "MALFORMED_REQUEST", ""},
      {"line items above amount",
       accrue([](auto& r) {
         auto* item = r.add_line_items();
         item->mutable_amount()->set_currency_code("USD");
         item->mutable_amount()->set_amount_minor(101);
       }),
       StatusCode::INVALID_ARGUMENT, "INVALID_ARGUMENT", "line_items"},
      {"occurred_at out of range",
       accrue([](auto& r) { r.mutable_occurred_at()->set_seconds(-5); }),
       StatusCode::INVALID_ARGUMENT, "INVALID_ARGUMENT", "occurred_at"},
      {"unknown card at strict partner", accrue([](auto& r) { r.set_card_number("NOBODY-1"); }),
       StatusCode::NOT_FOUND, "MEMBER_NOT_FOUND", ""},
      {"zero points", redeem([](auto& r) { r.set_points(0); }), StatusCode::INVALID_ARGUMENT,
       "INVALID_ARGUMENT", "points"},
      {"negative points", redeem([](auto& r) { r.set_points(-100); }),
       StatusCode::INVALID_ARGUMENT, "INVALID_ARGUMENT", "points"},
      {"overflowing points", redeem([](auto& r) { r.set_points(INT64_MAX); }),
       StatusCode::INVALID_ARGUMENT, "INVALID_ARGUMENT", "points"},
      {"no member", redeem([](auto& r) { r.clear_card_number(); }), StatusCode::INVALID_ARGUMENT,
       "INVALID_ARGUMENT", "member"},
      {"malformed member_id", redeem([](auto& r) { r.set_member_id("12x"); }),
       StatusCode::INVALID_ARGUMENT, "INVALID_ARGUMENT", "member_id"},
      {"unknown member_id", redeem([](auto& r) { r.set_member_id("999999"); }),
       StatusCode::NOT_FOUND, "MEMBER_NOT_FOUND", ""},
      {"more than available", redeem([](auto& r) { r.set_points(101); }),
       StatusCode::FAILED_PRECONDITION, "INSUFFICIENT_POINTS", ""},
      {"reference too long", redeem([](auto& r) { r.set_reference(std::string(129, 'r')); }),
       StatusCode::INVALID_ARGUMENT, "INVALID_ARGUMENT", "reference"},
  };
  auto stub = PartnerStub();
  const auto before = db_.Fingerprint();
  for (const auto& bad : cases) {
    SCOPED_TRACE(bad.name);
    const auto status = bad.call(market, *stub);
    EXPECT_EQ(status.error_code(), bad.code) << sdk::FormatError(status);
    EXPECT_EQ(Reason(status), bad.reason);
    EXPECT_EQ(Field(status), bad.field);
    EXPECT_EQ(db_.Fingerprint(), before);
  }
}

TEST_F(LedgerE2eTest, TransactionsArePagedWithSignedTokensAndScopedToTheCaller) {
  const auto market = CreatePartner("market", 1, 1);
  const auto fuel = CreatePartner("fuel", 1, 1);
  ASSERT_TRUE(Enroll(market.api_key, "LIST-CARD").ok());
  for (int i = 1; i <= 5; ++i) {
    ASSERT_TRUE(Accrue(market.api_key, "m" + std::to_string(i), "LIST-CARD", i * 10).ok());
  }
  ASSERT_TRUE(Redeem(market.api_key, "r1", "LIST-CARD", 15).ok());
  ASSERT_TRUE(Accrue(fuel.api_key, "f1", "LIST-CARD", 999).ok());

  auto stub = PartnerStub();
  v1::ListTransactionsRequest request;
  request.set_card_number("LIST-CARD");
  request.set_page_size(4);
  v1::ListTransactionsResponse page;
  ASSERT_TRUE(stub->ListTransactions(Context(market.api_key).get(), request, &page).ok());
  ASSERT_EQ(page.transactions_size(), 4);
  EXPECT_EQ(page.transactions(0).kind(), v1::TRANSACTION_KIND_REDEMPTION);
  EXPECT_EQ(page.transactions(0).balance_delta(), -15);
  EXPECT_EQ(page.transactions(1).points(), 50);
  EXPECT_EQ(page.transactions(1).amount().amount_minor(), 50);
  ASSERT_FALSE(page.next_page_token().empty());

  request.set_page_token(page.next_page_token());
  v1::ListTransactionsResponse last;
  ASSERT_TRUE(stub->ListTransactions(Context(market.api_key).get(), request, &last).ok());
  ASSERT_EQ(last.transactions_size(), 2);
  EXPECT_EQ(last.transactions(1).points(), 10);
  EXPECT_TRUE(last.next_page_token().empty());

  // The same token is worthless to another partner.
  auto status = stub->ListTransactions(Context(fuel.api_key).get(), request, &last);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Reason(status), "INVALID_PAGE_TOKEN");
  request.clear_page_token();
  ASSERT_TRUE(stub->ListTransactions(Context(fuel.api_key).get(), request, &last).ok());
  ASSERT_EQ(last.transactions_size(), 1);
  EXPECT_EQ(last.transactions(0).points(), 999);
}

TEST_F(LedgerE2eTest, HealthIsServingAndStopsAnsweringAfterShutdown) {
  auto health = grpc::health::v1::Health::NewStub(
      grpc::CreateChannel(target_, grpc::InsecureChannelCredentials()));
  grpc::health::v1::HealthCheckResponse response;
  grpc::ClientContext context;
  ASSERT_TRUE(health->Check(&context, {}, &response).ok());
  EXPECT_EQ(response.status(), grpc::health::v1::HealthCheckResponse::SERVING);
  server_->Shutdown(std::chrono::milliseconds(100));
  grpc::ClientContext after;
  after.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
  EXPECT_FALSE(health->Check(&after, {}, &response).ok());
}

}  // namespace
}  // namespace coalition::testing
