#pragma once

#include "coalition/v1/settlement_service.grpc.pb.h"
#include "rpc/auth.h"
#include "rpc/page_token.h"
#include "service/settlement_service.h"

namespace coalition::rpc {

class SettlementServiceImpl final : public coalition::v1::SettlementService::Service {
 public:
  SettlementServiceImpl(service::SettlementService& settlement, const Authenticator& auth,
                        const PageTokenCodec& page_tokens)
      : settlement_(settlement), auth_(auth), page_tokens_(page_tokens) {}

  grpc::Status RunSettlement(grpc::ServerContext* context,
                             const v1::RunSettlementRequest* request,
                             v1::RunSettlementResponse* response) override;
  grpc::Status GetSettlementBatch(grpc::ServerContext* context,
                                  const v1::GetSettlementBatchRequest* request,
                                  v1::SettlementBatch* response) override;
  grpc::Status ListSettlementBatches(grpc::ServerContext* context,
                                     const v1::ListSettlementBatchesRequest* request,
                                     v1::ListSettlementBatchesResponse* response) override;
  grpc::Status GetStatement(grpc::ServerContext* context, const v1::GetStatementRequest* request,
                            v1::PartnerStatement* response) override;

 private:
  service::SettlementService& settlement_;
  const Authenticator& auth_;
  const PageTokenCodec& page_tokens_;
};

}  // namespace coalition::rpc
