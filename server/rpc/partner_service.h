#pragma once

#include "coalition/v1/partner_service.grpc.pb.h"
#include "rpc/auth.h"
#include "rpc/page_token.h"
#include "service/ledger_service.h"
#include "service/pricing_service.h"

namespace coalition::rpc {

class PartnerServiceImpl final : public coalition::v1::PartnerService::Service {
 public:
  PartnerServiceImpl(service::LedgerService& ledger, service::PricingService& pricing,
                     const Authenticator& auth, const PageTokenCodec& page_tokens)
      : ledger_(ledger), pricing_(pricing), auth_(auth), page_tokens_(page_tokens) {}

  grpc::Status EnrollMember(grpc::ServerContext* context,
                            const v1::EnrollMemberRequest* request,
                            v1::EnrollMemberResponse* response) override;
  grpc::Status GetMember(grpc::ServerContext* context, const v1::GetMemberRequest* request,
                         v1::GetMemberResponse* response) override;
  grpc::Status Accrue(grpc::ServerContext* context, const v1::AccrueRequest* request,
                      v1::AccrueResponse* response) override;
  grpc::Status Redeem(grpc::ServerContext* context, const v1::RedeemRequest* request,
                      v1::RedeemResponse* response) override;
  grpc::Status ListTransactions(grpc::ServerContext* context,
                                const v1::ListTransactionsRequest* request,
                                v1::ListTransactionsResponse* response) override;
  grpc::Status HoldPoints(grpc::ServerContext* context, const v1::HoldPointsRequest* request,
                          v1::HoldPointsResponse* response) override;
  grpc::Status CapturePoints(grpc::ServerContext* context,
                             const v1::CapturePointsRequest* request,
                             v1::CapturePointsResponse* response) override;
  grpc::Status VoidHold(grpc::ServerContext* context, const v1::VoidHoldRequest* request,
                        v1::VoidHoldResponse* response) override;
  grpc::Status QuotePrice(grpc::ServerContext* context, const v1::QuotePriceRequest* request,
                          v1::QuotePriceResponse* response) override;
  grpc::Status GetPurchase(grpc::ServerContext* context, const v1::GetPurchaseRequest* request,
                           v1::GetPurchaseResponse* response) override;
  grpc::Status BatchAccrue(grpc::ServerContext* context,
                           grpc::ServerReader<v1::BatchAccrueRequest>* reader,
                           v1::BatchAccrueResponse* response) override;
  grpc::Status RefundPurchase(grpc::ServerContext* context,
                              const v1::RefundPurchaseRequest* request,
                              v1::RefundPurchaseResponse* response) override;

 private:
  // The terms a points payment towards `receipt_id` fixes; none without one.
  domain::Result<std::optional<domain::PurchaseTerms>> TermsFor(const domain::Partner& partner,
                                                                const std::string& receipt_id);

  service::LedgerService& ledger_;
  service::PricingService& pricing_;
  const Authenticator& auth_;
  const PageTokenCodec& page_tokens_;
};

}  // namespace coalition::rpc
