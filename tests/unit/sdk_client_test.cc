// Unit tests of PartnerClient and the retrying PartnerConnection, over a GMock
// stub: which codes are retried, how often, within which budget, and that
// money moves keep one request_id across retries. No network.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "coalition/sdk/internal/partner_stub.h"
#include "coalition/sdk/mocks/mock_partner_connection.h"
#include "coalition/sdk/partner_client.h"
#include "coalition/sdk/partner_connection.h"
#include "coalition/sdk/status_or.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"

namespace coalition::sdk::test {
namespace {

using ::testing::_;
using ::testing::Invoke;
using ::testing::Return;

class MockPartnerStub : public internal::PartnerStub {
 public:
  MOCK_METHOD(grpc::Status, EnrollMember,
              (grpc::ClientContext&, const v1::EnrollMemberRequest&, v1::EnrollMemberResponse&),
              (override));
  MOCK_METHOD(grpc::Status, GetMember,
              (grpc::ClientContext&, const v1::GetMemberRequest&, v1::GetMemberResponse&),
              (override));
  MOCK_METHOD(grpc::Status, Accrue,
              (grpc::ClientContext&, const v1::AccrueRequest&, v1::AccrueResponse&), (override));
  MOCK_METHOD(grpc::Status, Redeem,
              (grpc::ClientContext&, const v1::RedeemRequest&, v1::RedeemResponse&), (override));
  MOCK_METHOD(grpc::Status, ListTransactions,
              (grpc::ClientContext&, const v1::ListTransactionsRequest&,
               v1::ListTransactionsResponse&),
              (override));
  MOCK_METHOD(grpc::Status, HoldPoints,
              (grpc::ClientContext&, const v1::HoldPointsRequest&, v1::HoldPointsResponse&),
              (override));
  MOCK_METHOD(grpc::Status, CapturePoints,
              (grpc::ClientContext&, const v1::CapturePointsRequest&,
               v1::CapturePointsResponse&),
              (override));
  MOCK_METHOD(grpc::Status, VoidHold,
              (grpc::ClientContext&, const v1::VoidHoldRequest&, v1::VoidHoldResponse&),
              (override));
  MOCK_METHOD(grpc::Status, QuotePrice,
              (grpc::ClientContext&, const v1::QuotePriceRequest&, v1::QuotePriceResponse&),
              (override));
  MOCK_METHOD(grpc::Status, GetPurchase,
              (grpc::ClientContext&, const v1::GetPurchaseRequest&, v1::GetPurchaseResponse&),
              (override));
  MOCK_METHOD(grpc::Status, RefundPurchase,
              (grpc::ClientContext&, const v1::RefundPurchaseRequest&,
               v1::RefundPurchaseResponse&),
              (override));
};

grpc::Status Unavailable() { return {grpc::StatusCode::UNAVAILABLE, "connection reset"}; }


// A status as the server sends it: code, message and an ErrorInfo.
grpc::Status ServerError(grpc::StatusCode code, const std::string& reason) {
  google::rpc::ErrorInfo info;
  info.set_reason(reason);
  info.set_domain("coalition.v1");
  google::rpc::Status rpc_status;
  rpc_status.set_code(static_cast<int>(code));
  rpc_status.set_message("refused");
  rpc_status.add_details()->PackFrom(info);
  return {code, "refused", rpc_status.SerializeAsString()};
}

// Fast backoff so that the tests do not sleep for real.
Options FastOptions() {
  Options options;
  options.api_key = "test-key";
  options.retry.initial_backoff = std::chrono::milliseconds(1);
  options.retry.max_backoff = std::chrono::milliseconds(2);
  return options;
}

struct Recorder {
  std::mutex mu;
  std::vector<AttemptInfo> attempts;  // status pointers are not kept valid
  std::vector<std::string> request_ids;
  std::vector<grpc::StatusCode> codes;
  void Attach(Options& options) {
    options.on_attempt = [this](const AttemptInfo& info) {
      std::lock_guard<std::mutex> lock(mu);
      AttemptInfo copy = info;
      copy.status = nullptr;
      copy.request_id = {};
      copy.method = {};
      attempts.push_back(copy);
      request_ids.emplace_back(info.request_id);
      codes.push_back(info.status->error_code());
    };
  }
};

v1::AccrueRequest SomeAccrual() {
  v1::AccrueRequest request;
  request.set_card_number("6001-0001");
  request.mutable_amount()->set_currency_code("USD");
  request.mutable_amount()->set_amount_minor(1234);
  return request;
}

TEST(SdkClientTest, MoneyMoveWithoutRequestIdGetsOneReusedOnEveryRetry) {
  auto stub = std::make_shared<MockPartnerStub>();
  std::vector<std::string> seen;
  EXPECT_CALL(*stub, Accrue)
      .Times(3)
      .WillRepeatedly(Invoke([&](grpc::ClientContext&, const v1::AccrueRequest& request,
                                 v1::AccrueResponse& response) {
        seen.push_back(request.request_id());
        EXPECT_EQ(request.card_number(), "6001-0001");
        if (seen.size() < 3) return Unavailable();
        response.set_transfer_id("42");
        return grpc::Status::OK;
      }));
  Options options = FastOptions();
  Recorder recorder;
  recorder.Attach(options);
  PartnerClient client(internal::MakePartnerConnection(options, stub));

  const v1::AccrueRequest request = SomeAccrual();
  auto accrued = client.Accrue(request);
  ASSERT_TRUE(accrued.ok()) << FormatError(accrued.error());
  EXPECT_EQ(accrued->transfer_id(), "42");
  EXPECT_EQ(accrued.code(), grpc::StatusCode::OK);
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[0].rfind("req_", 0), 0u) << seen[0];
  EXPECT_EQ(seen[1], seen[0]);
  EXPECT_EQ(seen[2], seen[0]);
  EXPECT_EQ(recorder.request_ids, seen);
  ASSERT_EQ(recorder.attempts.size(), 3u);
  EXPECT_TRUE(recorder.attempts[0].will_retry);
  EXPECT_TRUE(recorder.attempts[1].will_retry);
  EXPECT_FALSE(recorder.attempts[2].will_retry);
  EXPECT_EQ(recorder.attempts[2].attempt, 3);
  EXPECT_TRUE(request.request_id().empty());  // the caller's request is not modified
}

TEST(SdkClientTest, EachCallGetsItsOwnRequestId) {
  auto stub = std::make_shared<MockPartnerStub>();
  std::set<std::string> ids;
  EXPECT_CALL(*stub, Redeem)
      .Times(2)
      .WillRepeatedly(
          Invoke([&](grpc::ClientContext&, const v1::RedeemRequest& request, v1::RedeemResponse&) {
            ids.insert(request.request_id());
            return grpc::Status::OK;
          }));
  EXPECT_CALL(*stub, EnrollMember)
      .WillOnce(Invoke([&](grpc::ClientContext&, const v1::EnrollMemberRequest& request,
                           v1::EnrollMemberResponse&) {
        ids.insert(request.request_id());
        return grpc::Status::OK;
      }));
  PartnerClient client(internal::MakePartnerConnection(FastOptions(), stub));
  v1::RedeemRequest redeem;
  redeem.set_points(5);
  EXPECT_TRUE(client.Redeem(redeem).ok());
  EXPECT_TRUE(client.Redeem(redeem).ok());
  EXPECT_TRUE(client.EnrollMember(v1::EnrollMemberRequest()).ok());
  EXPECT_EQ(ids.size(), 3u);
  EXPECT_EQ(ids.count(""), 0u);
}

TEST(SdkClientTest, CallerRequestIdIsKept) {
  auto stub = std::make_shared<MockPartnerStub>();
  int calls = 0;
  EXPECT_CALL(*stub, Redeem)
      .Times(2)
      .WillRepeatedly(
          Invoke([&](grpc::ClientContext&, const v1::RedeemRequest& request, v1::RedeemResponse&) {
            EXPECT_EQ(request.request_id(), "order-77");
            return ++calls == 1 ? grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED, "slow")
                                : grpc::Status::OK;
          }));
  PartnerClient client(internal::MakePartnerConnection(FastOptions(), stub));
  v1::RedeemRequest request;
  request.set_request_id("order-77");
  request.set_points(10);
  EXPECT_TRUE(client.Redeem(request).ok());
}

TEST(SdkClientTest, ClientErrorsAreNeverRetried) {
  for (const auto& [code, reason] : std::vector<std::pair<grpc::StatusCode, std::string>>{
           {grpc::StatusCode::INVALID_ARGUMENT, "CURRENCY_MISMATCH"},
           {grpc::StatusCode::FAILED_PRECONDITION, "INSUFFICIENT_POINTS"},
           {grpc::StatusCode::NOT_FOUND, "MEMBER_NOT_FOUND"},
           {grpc::StatusCode::ALREADY_EXISTS, "REQUEST_ID_REUSED"},
           {grpc::StatusCode::UNAUTHENTICATED, ""},
           {grpc::StatusCode::PERMISSION_DENIED, ""},
           {grpc::StatusCode::INTERNAL, ""},
           {grpc::StatusCode::UNKNOWN, ""},
           {grpc::StatusCode::ABORTED, ""},
           {grpc::StatusCode::RESOURCE_EXHAUSTED, ""},
           {grpc::StatusCode::CANCELLED, ""}}) {
    SCOPED_TRACE(StatusCodeName(code));
    auto stub = std::make_shared<MockPartnerStub>();
    EXPECT_CALL(*stub, Accrue).WillOnce(Return(ServerError(code, reason)));
    EXPECT_CALL(*stub, GetMember).WillOnce(Return(ServerError(code, reason)));
    Options options = FastOptions();
    Recorder recorder;
    recorder.Attach(options);
    PartnerClient client(internal::MakePartnerConnection(options, stub));
    auto accrued = client.Accrue(SomeAccrual());
    ASSERT_FALSE(accrued.ok());
    EXPECT_EQ(accrued.code(), code);
    EXPECT_EQ(accrued.error().reason, reason);
    EXPECT_EQ(accrued.status().error_code(), code);
    EXPECT_FALSE(client.GetMember(v1::GetMemberRequest()).ok());
    EXPECT_EQ(recorder.attempts.size(), 2u);
  }
}

TEST(SdkClientTest, ReadsAreRetriedOnTransientErrors) {
  auto stub = std::make_shared<MockPartnerStub>();
  EXPECT_CALL(*stub, GetMember)
      .WillOnce(Return(Unavailable()))
      .WillOnce(Return(grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED, "slow")))
      .WillOnce(Invoke(
          [](grpc::ClientContext&, const v1::GetMemberRequest&, v1::GetMemberResponse& response) {
            response.mutable_member()->set_balance(7);
            return grpc::Status::OK;
          }));
  EXPECT_CALL(*stub, ListTransactions)
      .WillOnce(Return(Unavailable()))
      .WillOnce(Return(grpc::Status::OK));
  Options options = FastOptions();
  Recorder recorder;
  recorder.Attach(options);
  PartnerClient client(internal::MakePartnerConnection(options, stub));
  auto member = client.GetMember(v1::GetMemberRequest());
  ASSERT_TRUE(member.ok());
  EXPECT_EQ(member->member().balance(), 7);
  EXPECT_TRUE(client.ListTransactions(v1::ListTransactionsRequest()).ok());
  EXPECT_EQ(recorder.attempts.size(), 5u);
  for (const std::string& id : recorder.request_ids) EXPECT_EQ(id, "");  // reads have none
}

TEST(SdkClientTest, StopsAtMaxAttemptsWithTheLastError) {
  auto stub = std::make_shared<MockPartnerStub>();
  EXPECT_CALL(*stub, Accrue).Times(5).WillRepeatedly(Return(Unavailable()));
  Options options = FastOptions();
  Recorder recorder;
  recorder.Attach(options);
  PartnerClient client(internal::MakePartnerConnection(options, stub));
  auto accrued = client.Accrue(SomeAccrual());
  EXPECT_EQ(accrued.code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(accrued.error().message, "connection reset");
  ASSERT_EQ(recorder.attempts.size(), 5u);
  EXPECT_FALSE(recorder.attempts.back().will_retry);
}

TEST(SdkClientTest, MaxAttemptsOneDisablesRetries) {
  auto stub = std::make_shared<MockPartnerStub>();
  EXPECT_CALL(*stub, Accrue).WillOnce(Return(Unavailable()));
  Options options = FastOptions();
  options.retry.max_attempts = 1;
  PartnerClient client(internal::MakePartnerConnection(options, stub));
  EXPECT_EQ(client.Accrue(SomeAccrual()).code(), grpc::StatusCode::UNAVAILABLE);
}

TEST(SdkClientTest, TotalTimeoutBoundsAttemptsAndTheirDeadlines) {
  auto stub = std::make_shared<MockPartnerStub>();
  const auto start = std::chrono::system_clock::now();
  int calls = 0;
  EXPECT_CALL(*stub, GetMember)
      .WillRepeatedly(Invoke(
          [&](grpc::ClientContext& context, const v1::GetMemberRequest&, v1::GetMemberResponse&) {
            ++calls;
            // No attempt may be allowed to run past the budget.
            EXPECT_LE(context.deadline(),
                      start + std::chrono::milliseconds(300) + std::chrono::milliseconds(50));
            return Unavailable();
          }));
  Options options = FastOptions();
  options.retry.max_attempts = 1'000'000;
  options.retry.initial_backoff = std::chrono::milliseconds(10);
  options.retry.max_backoff = std::chrono::milliseconds(20);
  options.retry.total_timeout = std::chrono::milliseconds(300);
  PartnerClient client(internal::MakePartnerConnection(options, stub));
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(client.GetMember(v1::GetMemberRequest()).code(), grpc::StatusCode::UNAVAILABLE);
  const auto elapsed = std::chrono::steady_clock::now() - t0;
  EXPECT_LT(elapsed, std::chrono::milliseconds(300 + 700));  // slack for loaded CI machines
  EXPECT_GE(calls, 2);
  EXPECT_LT(calls, 1000);
}

TEST(SdkClientTest, PerAttemptDeadlineComesFromOptions) {
  auto stub = std::make_shared<MockPartnerStub>();
  EXPECT_CALL(*stub, GetMember)
      .WillOnce(Invoke(
          [](grpc::ClientContext& context, const v1::GetMemberRequest&, v1::GetMemberResponse&) {
            const auto left = context.deadline() - std::chrono::system_clock::now();
            EXPECT_GT(left, std::chrono::milliseconds(1500));
            EXPECT_LE(left, std::chrono::milliseconds(2000));
            return grpc::Status::OK;
          }));
  Options options = FastOptions();
  options.deadline = std::chrono::milliseconds(2000);
  PartnerClient client(internal::MakePartnerConnection(options, stub));
  EXPECT_TRUE(client.GetMember(v1::GetMemberRequest()).ok());
}

TEST(SdkClientTest, SharedClientIsThreadSafe) {
  auto stub = std::make_shared<MockPartnerStub>();
  std::mutex mu;
  std::set<std::string> ids;
  int calls = 0;
  EXPECT_CALL(*stub, Accrue)
      .WillRepeatedly(
          Invoke([&](grpc::ClientContext&, const v1::AccrueRequest& request, v1::AccrueResponse&) {
            std::lock_guard<std::mutex> lock(mu);
            // Every other attempt fails, so retries interleave between threads.
            const bool fail = ids.insert(request.request_id()).second;
            ++calls;
            return fail ? Unavailable() : grpc::Status::OK;
          }));
  PartnerClient client(internal::MakePartnerConnection(FastOptions(), stub));
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([client]() mutable {
      for (int i = 0; i < 20; ++i) EXPECT_TRUE(client.Accrue(SomeAccrual()).ok());
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(ids.size(), 160u);
  EXPECT_EQ(calls, 320);
}

TEST(SdkClientTest, InvalidOptionsAreRejected) {
  auto stub = std::make_shared<MockPartnerStub>();
  Options options = FastOptions();
  options.retry.max_attempts = 0;
  EXPECT_THROW(internal::MakePartnerConnection(options, stub), std::invalid_argument);
  EXPECT_THROW(MakePartnerConnection(options), std::invalid_argument);
  options = FastOptions();
  options.client_cert_file = "cert.pem";  // without a key
  EXPECT_THROW(MakePartnerConnection(options), std::invalid_argument);
}

TEST(SdkClientTest, DefaultOptionsAreTheDocumentedOnes) {
  const Options options;
  EXPECT_TRUE(options.tls);
  EXPECT_EQ(options.deadline, std::chrono::seconds(5));
  EXPECT_EQ(options.retry.max_attempts, 5);
  EXPECT_EQ(options.retry.initial_backoff, std::chrono::milliseconds(100));
  EXPECT_EQ(options.retry.max_backoff, std::chrono::seconds(2));
  EXPECT_EQ(options.retry.multiplier, 2.0);
  EXPECT_EQ(options.retry.total_timeout, std::chrono::seconds(15));
}

TEST(SdkClientTest, ClientForwardsToAMockConnection) {
  auto mock = std::make_shared<mocks::MockPartnerConnection>();
  EXPECT_CALL(*mock, Redeem(_))
      .WillOnce(Return(ServerError(grpc::StatusCode::FAILED_PRECONDITION, "INSUFFICIENT_POINTS")));
  EXPECT_CALL(*mock, EnrollMember(_)).WillOnce(Invoke([](const v1::EnrollMemberRequest& r) {
    v1::EnrollMemberResponse response;
    response.mutable_member()->add_card_numbers(r.card_number());
    return StatusOr<v1::EnrollMemberResponse>(response);
  }));
  PartnerClient client(mock);
  auto redeemed = client.Redeem(v1::RedeemRequest());
  EXPECT_EQ(redeemed.code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(redeemed.error().reason, "INSUFFICIENT_POINTS");
  EXPECT_EQ(redeemed.error().domain, "coalition.v1");
  v1::EnrollMemberRequest enroll;
  enroll.set_card_number("6001-0002");
  auto enrolled = client.EnrollMember(enroll);
  ASSERT_TRUE(enrolled);
  EXPECT_EQ(enrolled.value().member().card_numbers(0), "6001-0002");
}

TEST(SdkClientTest, StatusOrAccess) {
  StatusOr<v1::AccrueResponse> error(Unavailable());
  EXPECT_FALSE(error.ok());
  EXPECT_THROW(error.value(), BadStatusOrAccess);
  try {
    (void)error.value();
  } catch (const BadStatusOrAccess& e) {
    EXPECT_EQ(e.details().code, grpc::StatusCode::UNAVAILABLE);
    EXPECT_NE(std::string(e.what()).find("UNAVAILABLE"), std::string::npos);
  }
  StatusOr<v1::AccrueResponse> not_really(grpc::Status::OK);
  EXPECT_FALSE(not_really.ok());
  EXPECT_EQ(not_really.code(), grpc::StatusCode::UNKNOWN);

  v1::AccrueResponse response;
  response.set_balance(3);
  StatusOr<v1::AccrueResponse> value(response);
  ASSERT_TRUE(value.ok());
  EXPECT_TRUE(value.status().ok());
  EXPECT_EQ(value.error().code, grpc::StatusCode::OK);
  EXPECT_EQ(std::move(value).value().balance(), 3);
}

// Holds move money too: a retried capture must carry the id of its first attempt.
TEST(SdkClientHoldsTest, CaptureWithoutRequestIdGetsOneIdReusedOnRetry) {
  auto stub = std::make_shared<::testing::StrictMock<MockPartnerStub>>();
  std::vector<std::string> ids;
  EXPECT_CALL(*stub, CapturePoints)
      .WillOnce([&](grpc::ClientContext&, const v1::CapturePointsRequest& request,
                    v1::CapturePointsResponse&) {
        ids.push_back(request.request_id());
        return Unavailable();
      })
      .WillOnce([&](grpc::ClientContext&, const v1::CapturePointsRequest& request,
                    v1::CapturePointsResponse& response) {
        ids.push_back(request.request_id());
        response.set_transfer_id("77");
        return grpc::Status::OK;
      });
  Options options;
  options.retry.initial_backoff = std::chrono::milliseconds(1);
  PartnerClient client(internal::MakePartnerConnection(options, stub));
  v1::CapturePointsRequest request;
  request.set_hold_id("5");
  auto captured = client.CapturePoints(request);
  ASSERT_TRUE(captured.ok());
  EXPECT_EQ(captured->transfer_id(), "77");
  ASSERT_EQ(ids.size(), 2u);
  EXPECT_FALSE(ids[0].empty());
  EXPECT_EQ(ids[0], ids[1]);
}

}  // namespace
}  // namespace coalition::sdk::test
