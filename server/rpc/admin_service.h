#pragma once

#include "coalition/v1/admin_service.grpc.pb.h"
#include "rpc/auth.h"
#include "rpc/page_token.h"
#include "service/bonus_service.h"
#include "service/ledger_service.h"
#include "service/settlement_service.h"

namespace coalition::rpc {

class AdminServiceImpl final : public coalition::v1::AdminService::Service {
 public:
  // Without `settlement`, the partner economics RPCs are UNIMPLEMENTED.
  AdminServiceImpl(service::PartnerAdmin& partners, service::LedgerService& ledger,
                   const Authenticator& auth, const PageTokenCodec& page_tokens,
                   std::string active_pii_key_id,
                   service::SettlementService* settlement = nullptr)
      : partners_(partners),
        ledger_(ledger),
        auth_(auth),
        page_tokens_(page_tokens),
        active_pii_key_id_(std::move(active_pii_key_id)),
        settlement_(settlement) {}

  grpc::Status CreatePartner(grpc::ServerContext* context,
                             const v1::CreatePartnerRequest* request,
                             v1::CreatePartnerResponse* response) override;
  grpc::Status ListPartners(grpc::ServerContext* context, const v1::ListPartnersRequest* request,
                            v1::ListPartnersResponse* response) override;
  grpc::Status CreateApiKey(grpc::ServerContext* context, const v1::CreateApiKeyRequest* request,
                            v1::CreateApiKeyResponse* response) override;
  grpc::Status RevokeApiKey(grpc::ServerContext* context, const v1::RevokeApiKeyRequest* request,
                            v1::RevokeApiKeyResponse* response) override;
  grpc::Status VerifyLedger(grpc::ServerContext* context, const v1::VerifyLedgerRequest* request,
                            v1::VerifyLedgerResponse* response) override;
  grpc::Status SetRedemptionPolicy(grpc::ServerContext* context,
                                   const v1::SetRedemptionPolicyRequest* request,
                                   v1::RedemptionPolicyResponse* response) override;
  grpc::Status GetRedemptionPolicy(grpc::ServerContext* context,
                                   const v1::GetRedemptionPolicyRequest* request,
                                   v1::RedemptionPolicyResponse* response) override;
  grpc::Status SetPartnerEconomics(grpc::ServerContext* context,
                                   const v1::SetPartnerEconomicsRequest* request,
                                   v1::PartnerEconomicsPeriod* response) override;
  grpc::Status ListPartnerEconomics(grpc::ServerContext* context,
                                    const v1::ListPartnerEconomicsRequest* request,
                                    v1::ListPartnerEconomicsResponse* response) override;
  grpc::Status RotatePiiKeys(grpc::ServerContext* context, const v1::RotatePiiKeysRequest* request,
                             v1::RotatePiiKeysResponse* response) override;
  grpc::Status SetEarnRules(grpc::ServerContext* context, const v1::SetEarnRulesRequest* request,
                            v1::SetEarnRulesResponse* response) override;
  grpc::Status CreateCampaign(grpc::ServerContext* context,
                              const v1::CreateCampaignRequest* request,
                              v1::CreateCampaignResponse* response) override;
  grpc::Status RunExpiry(grpc::ServerContext* context, const v1::RunExpiryRequest* request,
                         v1::RunExpiryResponse* response) override;
  grpc::Status GetBreakageReport(grpc::ServerContext* context,
                                 const v1::GetBreakageReportRequest* request,
                                 v1::GetBreakageReportResponse* response) override;
  grpc::Status SetTiers(grpc::ServerContext* context, const v1::SetTiersRequest* request,
                        v1::SetTiersResponse* response) override;
  grpc::Status GetTiers(grpc::ServerContext* context, const v1::GetTiersRequest* request,
                        v1::GetTiersResponse* response) override;
  grpc::Status RunTierReview(grpc::ServerContext* context,
                             const v1::RunTierReviewRequest* request,
                             v1::RunTierReviewResponse* response) override;
  grpc::Status ListAuditEvents(grpc::ServerContext* context,
                               const v1::ListAuditEventsRequest* request,
                               v1::ListAuditEventsResponse* response) override;

  grpc::Status RegisterClientCertificate(grpc::ServerContext* context,
                                         const v1::RegisterClientCertificateRequest* request,
                                         v1::RegisterClientCertificateResponse* response) override;
  grpc::Status RevokeClientCertificate(grpc::ServerContext* context,
                                       const v1::RevokeClientCertificateRequest* request,
                                       v1::RevokeClientCertificateResponse* response) override;
  grpc::Status ListClientCertificates(grpc::ServerContext* context,
                                      const v1::ListClientCertificatesRequest* request,
                                      v1::ListClientCertificatesResponse* response) override;
  grpc::Status GrantTargetedBonus(grpc::ServerContext* context,
                                  const v1::GrantTargetedBonusRequest* request,
                                  v1::BonusGrant* response) override;
  grpc::Status GetBonusGrant(grpc::ServerContext* context, const v1::GetBonusGrantRequest* request,
                             v1::BonusGrant* response) override;
  grpc::Status GetRedemptionForecast(grpc::ServerContext* context,
                                     const v1::GetRedemptionForecastRequest* request,
                                     v1::GetRedemptionForecastResponse* response) override;
  grpc::Status GetEarnRules(grpc::ServerContext* context, const v1::GetEarnRulesRequest* request,
                            v1::GetEarnRulesResponse* response) override;
  grpc::Status ListCampaigns(grpc::ServerContext* context,
                             const v1::ListCampaignsRequest* request,
                             v1::ListCampaignsResponse* response) override;

  // Where ListAuditEvents reads from (the same log RunCall appends to).
  void AttachAuditLog(service::AuditLog* audit) { audit_ = audit; }
  // Without it, the targeted bonus and forecast RPCs are UNIMPLEMENTED.
  void AttachBonuses(service::BonusService* bonuses) { bonuses_ = bonuses; }

 private:
  service::PartnerAdmin& partners_;
  service::LedgerService& ledger_;
  const Authenticator& auth_;
  const PageTokenCodec& page_tokens_;
  const std::string active_pii_key_id_;
  service::AuditLog* audit_ = nullptr;
  service::BonusService* bonuses_ = nullptr;
  service::SettlementService* settlement_;
};

}  // namespace coalition::rpc
