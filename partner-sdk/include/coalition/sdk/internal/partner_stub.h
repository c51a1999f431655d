#pragma once

#include <grpcpp/channel.h>
#include <grpcpp/client_context.h>
#include <grpcpp/support/status.h>

#include <memory>

#include "coalition/v1/partner_service.grpc.pb.h"

namespace coalition::sdk::internal {

/// One attempt of each RPC, no policies: the layer under the retrying
/// connection. Not part of the stable API; it exists so the retry loop can be
/// tested without a network. The context arrives with metadata and deadline
/// already set.
class PartnerStub {
 public:
  virtual ~PartnerStub() = default;
  virtual grpc::Status EnrollMember(grpc::ClientContext& context,
                                    const v1::EnrollMemberRequest& request,
                                    v1::EnrollMemberResponse& response) = 0;
  virtual grpc::Status GetMember(grpc::ClientContext& context, const v1::GetMemberRequest& request,
                                 v1::GetMemberResponse& response) = 0;
  virtual grpc::Status Accrue(grpc::ClientContext& context, const v1::AccrueRequest& request,
                              v1::AccrueResponse& response) = 0;
  virtual grpc::Status Redeem(grpc::ClientContext& context, const v1::RedeemRequest& request,
                              v1::RedeemResponse& response) = 0;
  virtual grpc::Status ListTransactions(grpc::ClientContext& context,
                                        const v1::ListTransactionsRequest& request,
                                        v1::ListTransactionsResponse& response) = 0;
  virtual grpc::Status HoldPoints(grpc::ClientContext& context,
                                  const v1::HoldPointsRequest& request,
                                  v1::HoldPointsResponse& response) = 0;
  virtual grpc::Status CapturePoints(grpc::ClientContext& context,
                                     const v1::CapturePointsRequest& request,
                                     v1::CapturePointsResponse& response) = 0;
  virtual grpc::Status VoidHold(grpc::ClientContext& context, const v1::VoidHoldRequest& request,
                                v1::VoidHoldResponse& response) = 0;
  virtual grpc::Status QuotePrice(grpc::ClientContext& context,
                                  const v1::QuotePriceRequest& request,
                                  v1::QuotePriceResponse& response) = 0;
  virtual grpc::Status GetPurchase(grpc::ClientContext& context,
                                   const v1::GetPurchaseRequest& request,
                                   v1::GetPurchaseResponse& response) = 0;
  virtual grpc::Status RefundPurchase(grpc::ClientContext& context,
                                      const v1::RefundPurchaseRequest& request,
                                      v1::RefundPurchaseResponse& response) = 0;
};

/// The stub over a real channel.
std::shared_ptr<PartnerStub> MakeDefaultPartnerStub(std::shared_ptr<grpc::Channel> channel);

}  // namespace coalition::sdk::internal
