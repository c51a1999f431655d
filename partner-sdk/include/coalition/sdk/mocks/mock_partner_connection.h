#pragma once

#include <gmock/gmock.h>

#include "coalition/sdk/partner_connection.h"

namespace coalition::sdk::mocks {

/// A GMock PartnerConnection, for testing code that uses PartnerClient
/// without a server:
///
///     auto mock = std::make_shared<coalition::sdk::mocks::MockPartnerConnection>();
///     EXPECT_CALL(*mock, Accrue).WillOnce(Return(grpc::Status(
///         grpc::StatusCode::NOT_FOUND, "member not found")));
///     coalition::sdk::PartnerClient client(mock);
class MockPartnerConnection : public PartnerConnection {
 public:
  MOCK_METHOD(StatusOr<v1::EnrollMemberResponse>, EnrollMember,
              (const v1::EnrollMemberRequest& request), (override));
  MOCK_METHOD(StatusOr<v1::GetMemberResponse>, GetMember, (const v1::GetMemberRequest& request),
              (override));
  MOCK_METHOD(StatusOr<v1::AccrueResponse>, Accrue, (const v1::AccrueRequest& request), (override));
  MOCK_METHOD(StatusOr<v1::RedeemResponse>, Redeem, (const v1::RedeemRequest& request), (override));
  MOCK_METHOD(StatusOr<v1::ListTransactionsResponse>, ListTransactions,
              (const v1::ListTransactionsRequest& request), (override));
  MOCK_METHOD(StatusOr<v1::HoldPointsResponse>, HoldPoints,
              (const v1::HoldPointsRequest& request), (override));
  MOCK_METHOD(StatusOr<v1::CapturePointsResponse>, CapturePoints,
              (const v1::CapturePointsRequest& request), (override));
  MOCK_METHOD(StatusOr<v1::VoidHoldResponse>, VoidHold, (const v1::VoidHoldRequest& request),
              (override));
  MOCK_METHOD(StatusOr<v1::QuotePriceResponse>, QuotePrice,
              (const v1::QuotePriceRequest& request), (override));
  MOCK_METHOD(StatusOr<v1::GetPurchaseResponse>, GetPurchase,
              (const v1::GetPurchaseRequest& request), (override));
  MOCK_METHOD(StatusOr<v1::RefundPurchaseResponse>, RefundPurchase,
              (const v1::RefundPurchaseRequest& request), (override));
};

}  // namespace coalition::sdk::mocks
