#include "rpc/admin_service.h"

#include "domain/limits.h"
#include "domain/validation.h"
#include "metrics/metrics.h"
#include "rpc/call.h"
#include "rpc/convert.h"
#include "rpc/request_key.h"

namespace coalition::rpc {

using domain::Ok;
using domain::Result;

namespace {

constexpr std::string_view kCreatePartner = "/coalition.v1.AdminService/CreatePartner";
constexpr std::string_view kListPartners = "/coalition.v1.AdminService/ListPartners";
constexpr std::string_view kCreateApiKey = "/coalition.v1.AdminService/CreateApiKey";
constexpr std::string_view kRevokeApiKey = "/coalition.v1.AdminService/RevokeApiKey";
constexpr std::string_view kVerifyLedger = "/coalition.v1.AdminService/VerifyLedger";
constexpr std::string_view kSetRedemptionPolicy = "/coalition.v1.AdminService/SetRedemptionPolicy";
constexpr std::string_view kGetRedemptionPolicy = "/coalition.v1.AdminService/GetRedemptionPolicy";
constexpr std::string_view kSetPartnerEconomics = "/coalition.v1.AdminService/SetPartnerEconomics";
constexpr std::string_view kListPartnerEconomics =
    "/coalition.v1.AdminService/ListPartnerEconomics";
constexpr std::string_view kRotatePiiKeys = "/coalition.v1.AdminService/RotatePiiKeys";
constexpr std::string_view kSetEarnRules = "/coalition.v1.AdminService/SetEarnRules";
constexpr std::string_view kCreateCampaign = "/coalition.v1.AdminService/CreateCampaign";
constexpr std::string_view kRunExpiry = "/coalition.v1.AdminService/RunExpiry";
constexpr std::string_view kGetBreakageReport = "/coalition.v1.AdminService/GetBreakageReport";
constexpr std::string_view kListAuditEvents = "/coalition.v1.AdminService/ListAuditEvents";
constexpr std::string_view kSetTiers = "/coalition.v1.AdminService/SetTiers";
constexpr std::string_view kGetTiers = "/coalition.v1.AdminService/GetTiers";
constexpr std::string_view kRunTierReview = "/coalition.v1.AdminService/RunTierReview";
constexpr std::string_view kRegisterClientCertificate =
    "/coalition.v1.AdminService/RegisterClientCertificate";
constexpr std::string_view kRevokeClientCertificate =
    "/coalition.v1.AdminService/RevokeClientCertificate";
constexpr std::string_view kListClientCertificates =
    "/coalition.v1.AdminService/ListClientCertificates";
constexpr std::string_view kCertificateListScope = "client_certificates";
constexpr std::string_view kPartnerListScope = "partners";
constexpr std::string_view kAuditListScope = "audit";

// The partner named by a request's `partner` oneof.
template <typename Request>
domain::Result<std::optional<domain::PartnerId>> PartnerIdOf(const Request& request) {
  if (!request.has_partner_id()) return std::optional<domain::PartnerId>();
  auto id = domain::ParseId(request.partner_id());
  if (!id) return domain::Error::InvalidArgument("partner_id", "is not a partner id");
  return std::optional<domain::PartnerId>(*id);
}

void ToProto(const service::PartnerAdmin::PolicyView& view, v1::RedemptionPolicyResponse* out) {
  out->set_partner_id(std::to_string(view.partner.id));
  rpc::ToProto(view.policy, out->mutable_policy());
  out->set_configured(view.configured);
}

void ToProto(const domain::Partner& partner, v1::Partner* out) {
  out->set_partner_id(std::to_string(partner.id));
  out->set_code(partner.code);
  out->set_display_name(partner.display_name);
  out->mutable_earn_rate()->set_points(partner.earn_rate.points);
  out->mutable_earn_rate()->set_per_amount_minor(partner.earn_rate.per_amount_minor);
  out->set_issuance_price_micros(partner.issuance_price_micros);
  out->set_redemption_rate_micros(partner.redemption_rate_micros);
  out->set_auto_enroll(partner.auto_enroll);
  rpc::ToProto(partner.created_at, out->mutable_created_at());
}

void ToProto(const domain::ApiKeyRecord& key, v1::ApiKey* out) {
  out->set_key_id(std::to_string(key.id));
  out->set_partner_id(std::to_string(key.partner_id));
  out->set_prefix(key.prefix);
  rpc::ToProto(key.created_at, out->mutable_created_at());
  if (key.revoked_at) rpc::ToProto(*key.revoked_at, out->mutable_revoked_at());
}

void ToProto(const domain::settlement::EconomicsPeriod& period, v1::PartnerEconomicsPeriod* out) {
  out->set_partner_id(std::to_string(period.partner));
  if (period.effective_from) rpc::ToProto(*period.effective_from, out->mutable_effective_from());
  out->set_issuance_price_micros(period.issuance_price_micros);
  out->set_redemption_rate_micros(period.redemption_rate_micros);
  rpc::ToProto(period.created_at, out->mutable_created_at());
}

void ToProto(const domain::ClientCertificateRecord& record, v1::ClientCertificate* out) {
  out->set_certificate_id(std::to_string(record.id));
  out->set_partner_id(std::to_string(record.partner_id));
  out->set_match(record.match == domain::CertificateMatch::kSubjectAltName
                     ? v1::CERTIFICATE_MATCH_SUBJECT_ALT_NAME
                     : v1::CERTIFICATE_MATCH_SHA256_FINGERPRINT);
  out->set_identity(record.identity);
  rpc::ToProto(record.created_at, out->mutable_created_at());
  if (record.revoked_at) rpc::ToProto(*record.revoked_at, out->mutable_revoked_at());
}

domain::Error EconomicsUnavailable() {
  return {domain::ErrorCode::kInternal, "INTERNAL", "partner economics are not wired", {}};
}

}  // namespace

grpc::Status AdminServiceImpl::CreatePartner(grpc::ServerContext* context,
                                             const v1::CreatePartnerRequest* request,
                                             v1::CreatePartnerResponse* response) {
  return RunCall(auth_, *context, kCreatePartner, "", [&](const Principal&) -> Result<Ok> {
    domain::NewPartner partner{request->code(),
                               request->display_name(),
                               {request->earn_rate().points(),
                                request->earn_rate().per_amount_minor()},
                               request->issuance_price_micros(),
                               request->redemption_rate_micros(),
                               request->auto_enroll()};
    auto created = partners_.CreatePartner(partner);
    if (!created) return created.error();
    ToProto(created->partner, response->mutable_partner());
    ToProto(created->key, response->mutable_api_key());
    response->set_api_key_secret(created->secret);
    return Ok{};
  }, request, response);
}

grpc::Status AdminServiceImpl::ListPartners(grpc::ServerContext* context,
                                            const v1::ListPartnersRequest* request,
                                            v1::ListPartnersResponse* response) {
  return RunCall(auth_, *context, kListPartners, "", [&](const Principal&) -> Result<Ok> {
    domain::PartnerId after = 0;
    if (!request->page_token().empty()) {
      auto position = page_tokens_.Decode(request->page_token(), kPartnerListScope);
      if (!position) {
        return domain::Error::InvalidArgument("page_token", "is not a valid page token",
                                              "INVALID_PAGE_TOKEN");
      }
      after = *position;
    }
    auto partners = partners_.ListPartners(after, request->page_size());
    if (!partners) return partners.error();
    for (const auto& partner : *partners) ToProto(partner, response->add_partners());
    const int page_size = request->page_size() == 0 ? domain::kDefaultPageSize
                                                     : request->page_size();
    if (static_cast<int>(partners->size()) == page_size) {
      response->set_next_page_token(page_tokens_.Encode(kPartnerListScope, partners->back().id));
    }
    return Ok{};
  }, request, response);
}

grpc::Status AdminServiceImpl::CreateApiKey(grpc::ServerContext* context,
                                            const v1::CreateApiKeyRequest* request,
                                            v1::CreateApiKeyResponse* response) {
  return RunCall(auth_, *context, kCreateApiKey, "", [&](const Principal&) -> Result<Ok> {
    auto partner_id = PartnerIdOf(*request);
    if (!partner_id) return partner_id.error();
    auto created = partners_.CreateApiKey(*partner_id, request->partner_code());
    if (!created) return created.error();
    ToProto(created->key, response->mutable_api_key());
    response->set_api_key_secret(created->secret);
    return Ok{};
  }, request, response);
}

grpc::Status AdminServiceImpl::RevokeApiKey(grpc::ServerContext* context,
                                            const v1::RevokeApiKeyRequest* request,
                                            v1::RevokeApiKeyResponse* response) {
  return RunCall(auth_, *context, kRevokeApiKey, "", [&](const Principal&) -> Result<Ok> {
    auto key_id = domain::ParseId(request->key_id());
    if (!key_id) return domain::Error::InvalidArgument("key_id", "is not a key id");
    auto revoked = partners_.RevokeApiKey(*key_id);
    if (!revoked) return revoked.error();
    auth_.ForgetCachedKeys();
    ToProto(*revoked, response->mutable_api_key());
    return Ok{};
  }, request, response);
}

grpc::Status AdminServiceImpl::VerifyLedger(grpc::ServerContext* context,
                                            const v1::VerifyLedgerRequest* request,
                                            v1::VerifyLedgerResponse* response) {
  return RunCall(auth_, *context, kVerifyLedger, "", [&](const Principal&) -> Result<Ok> {
    auto report = ledger_.Verify();
    if (!report) return report.error();
    response->set_ok(report->ok());
    for (const auto& check : report->checks) {
      auto* out = response->add_checks();
      out->set_name(check.name);
      out->set_description(check.description);
      out->set_ok(check.ok());
      out->set_violations(check.violations);
      for (const auto& example : check.examples) out->add_examples(example);
    }
    return Ok{};
  }, request, response);
}

grpc::Status AdminServiceImpl::SetRedemptionPolicy(grpc::ServerContext* context,
                                                   const v1::SetRedemptionPolicyRequest* request,
                                                   v1::RedemptionPolicyResponse* response) {
  std::string before;
  return RunCall(auth_, *context, kSetRedemptionPolicy, "", [&](const Principal&) -> Result<Ok> {
    auto partner_id = PartnerIdOf(*request);
    if (!partner_id) return partner_id.error();
    auto policy = FromProto(request->policy());
    if (!policy) return policy.error();
    // For the audit log: the policy this call replaces.
    if (auto current = partners_.GetRedemptionPolicy(*partner_id, request->partner_code())) {
      v1::RedemptionPolicyResponse replaced;
      ToProto(*current, &replaced);
      before = AuditJson(replaced);
    }
    auto set = partners_.SetRedemptionPolicy(*partner_id, request->partner_code(), *policy);
    if (!set) return set.error();
    ToProto(*set, response);
    return Ok{};
  }, request, response, &before);
}

grpc::Status AdminServiceImpl::GetRedemptionPolicy(grpc::ServerContext* context,
                                                   const v1::GetRedemptionPolicyRequest* request,
                                                   v1::RedemptionPolicyResponse* response) {
  return RunCall(auth_, *context, kGetRedemptionPolicy, "", [&](const Principal&) -> Result<Ok> {
    auto partner_id = PartnerIdOf(*request);
    if (!partner_id) return partner_id.error();
    auto found = partners_.GetRedemptionPolicy(*partner_id, request->partner_code());
    if (!found) return found.error();
    ToProto(*found, response);
    return Ok{};
  }, request, response);
}

grpc::Status AdminServiceImpl::RotatePiiKeys(grpc::ServerContext* context,
                                             const v1::RotatePiiKeysRequest* request,
                                             v1::RotatePiiKeysResponse* response) {
  return RunCall(auth_, *context, kRotatePiiKeys, "", [&](const Principal&) -> Result<Ok> {
    auto step = ledger_.RotatePiiKeys(request->batch_size());
    if (!step) return step.error();
    response->set_resealed(step->resealed);
    response->set_remaining(step->remaining);
    response->set_active_key_id(active_pii_key_id_);
    return Ok{};
  }, request, response);
}

grpc::Status AdminServiceImpl::ListAuditEvents(grpc::ServerContext* context,
                                               const v1::ListAuditEventsRequest* request,
                                               v1::ListAuditEventsResponse* response) {
  return RunCall(auth_, *context, kListAuditEvents, "", [&](const Principal&) -> Result<Ok> {
    if (request->page_size() < 0 || request->page_size() > domain::kMaxPageSize) {
      return domain::Error::InvalidArgument(
          "page_size", "must be between 0 (default) and " + std::to_string(domain::kMaxPageSize));
    }
    const int page_size =
        request->page_size() == 0 ? domain::kDefaultPageSize : request->page_size();
    int64_t before = 0;
    if (!request->page_token().empty()) {
      auto position = page_tokens_.Decode(request->page_token(), kAuditListScope);
      if (!position) {
        return domain::Error::InvalidArgument("page_token", "is not a valid page token",
                                              "INVALID_PAGE_TOKEN");
      }
      before = *position;
    }
    if (audit_ == nullptr) return domain::Error::Internal("no audit log");
    auto records = audit_->List(before, page_size);
    if (!records) return records.error();
    for (const auto& record : *records) {
      auto* out = response->add_events();
      out->set_event_id(std::to_string(record.id));
      rpc::ToProto(record.occurred_at, out->mutable_occurred_at());
      out->set_actor(record.actor);
      out->set_role(record.role);
      out->set_method(record.method);
      out->set_request_id(record.request_id);
      out->set_code(record.code);
      out->set_reason(record.reason);
      out->set_request_json(record.request_json);
      out->set_before_json(record.before_json);
      out->set_after_json(record.after_json);
      out->set_phase(record.phase);
      if (record.intent_id != 0) out->set_intent_event_id(std::to_string(record.intent_id));
    }
    if (static_cast<int>(records->size()) == page_size) {
      response->set_next_page_token(page_tokens_.Encode(kAuditListScope, records->back().id));
    }
    return Ok{};
  }, request);
}

grpc::Status AdminServiceImpl::SetPartnerEconomics(grpc::ServerContext* context,
                                                   const v1::SetPartnerEconomicsRequest* request,
                                                   v1::PartnerEconomicsPeriod* response) {
  return RunCall(auth_, *context, kSetPartnerEconomics, "", [&](const Principal&) -> Result<Ok> {
    if (settlement_ == nullptr) return EconomicsUnavailable();
    auto partner_id = PartnerIdOf(*request);
    if (!partner_id) return partner_id.error();
    std::optional<domain::Timestamp> effective_from;
    if (request->has_effective_from()) {
      auto parsed = FromProto(request->effective_from(), "effective_from");
      if (!parsed) return parsed.error();
      effective_from = *parsed;
    }
    auto period = settlement_->SetEconomics(*partner_id, request->partner_code(), effective_from,
                                            request->issuance_price_micros(),
                                            request->redemption_rate_micros());
    if (!period) return period.error();
    ToProto(*period, response);
    return Ok{};
  });
}

grpc::Status AdminServiceImpl::ListPartnerEconomics(grpc::ServerContext* context,
                                                    const v1::ListPartnerEconomicsRequest* request,
                                                    v1::ListPartnerEconomicsResponse* response) {
  return RunCall(auth_, *context, kListPartnerEconomics, "", [&](const Principal&) -> Result<Ok> {
    if (settlement_ == nullptr) return EconomicsUnavailable();
    auto partner_id = PartnerIdOf(*request);
    if (!partner_id) return partner_id.error();
    auto listed = settlement_->ListEconomics(*partner_id, request->partner_code());
    if (!listed) return listed.error();
    response->set_partner_id(std::to_string(listed->first.id));
    for (const auto& period : listed->second) ToProto(period, response->add_periods());
    return Ok{};
  });
}

namespace {

domain::EarnRules FromProto(const v1::EarnRules& rules) {
  domain::EarnRules out;
  out.base = {rules.base_points(), rules.base_per_amount_minor()};
  for (const auto& m : rules.multipliers()) {
    out.multipliers.push_back({m.category(), m.sku(), m.multiplier_bps()});
  }
  out.excluded_categories.assign(rules.excluded_categories().begin(),
                                 rules.excluded_categories().end());
  out.excluded_skus.assign(rules.excluded_skus().begin(), rules.excluded_skus().end());
  out.min_spend_minor = rules.min_spend_minor();
  out.max_points_per_transaction = rules.max_points_per_transaction();
  out.rounding = rules.rounding() == v1::EARN_ROUNDING_HALF_EVEN ? domain::EarnRounding::kHalfEven
                 : rules.rounding() == v1::EARN_ROUNDING_UP      ? domain::EarnRounding::kUp
                                                                 : domain::EarnRounding::kDown;
  return out;
}

}  // namespace

grpc::Status AdminServiceImpl::SetEarnRules(grpc::ServerContext* context,
                                            const v1::SetEarnRulesRequest* request,
                                            v1::SetEarnRulesResponse* response) {
  return RunCall(auth_, *context, kSetEarnRules, "", [&](const Principal&) -> Result<Ok> {
    auto partner_id = PartnerIdOf(*request);
    if (!partner_id) return partner_id.error();
    domain::Timestamp effective_from = ledger_.Now();
    if (request->has_effective_from()) {
      auto parsed = FromProto(request->effective_from(), "effective_from");
      if (!parsed) return parsed.error();
      effective_from = *parsed;
    }
    auto partner = partners_.SetEarnRules(*partner_id, request->partner_code(), effective_from,
                                          FromProto(request->rules()));
    if (!partner) return partner.error();
    response->set_partner_id(std::to_string(partner->id));
    ToProto(effective_from, response->mutable_effective_from());
    return Ok{};
  }, request, response);
}

grpc::Status AdminServiceImpl::CreateCampaign(grpc::ServerContext* context,
                                              const v1::CreateCampaignRequest* request,
                                              v1::CreateCampaignResponse* response) {
  return RunCall(auth_, *context, kCreateCampaign, "", [&](const Principal&) -> Result<Ok> {
    domain::NewCampaign campaign;
    campaign.name = request->name();
    auto starts = FromProto(request->starts_at(), "starts_at");
    if (!starts) return starts.error();
    auto ends = FromProto(request->ends_at(), "ends_at");
    if (!ends) return ends.error();
    campaign.starts_at = *starts;
    campaign.ends_at = *ends;
    campaign.categories.assign(request->categories().begin(), request->categories().end());
    campaign.multiplier_bps = request->multiplier_bps();
    campaign.fixed_points = request->fixed_points();
    campaign.min_spend_minor = request->min_spend_minor();
    campaign.operator_funded = request->operator_funded();
    campaign.budget_points = request->budget_points();
    campaign.member_cap_points = request->member_cap_points();
    campaign.first_at_brand = request->first_purchase_at_new_brand();
    auto id = partners_.CreateCampaign(request->partner_code(), campaign);
    if (!id) return id.error();
    response->set_campaign_id(std::to_string(*id));
    return Ok{};
  }, request, response);
}

grpc::Status AdminServiceImpl::RunExpiry(grpc::ServerContext* context,
                                         const v1::RunExpiryRequest* request,
                                         v1::RunExpiryResponse* response) {
  return RunCall(auth_, *context, kRunExpiry, "", [&](const Principal&) -> Result<Ok> {
    if (request->batch_size() < 0 || request->batch_size() > 10'000) {
      return domain::Error::InvalidArgument("batch_size", "must be between 0 and 10000");
    }
    auto total = ledger_.ExpireAllDue(request->batch_size() == 0 ? 500 : request->batch_size());
    if (!total) return total.error();
    response->set_members(total->members);
    response->set_lots(total->lots);
    response->set_points(total->points);
    return Ok{};
  }, request, response);
}

grpc::Status AdminServiceImpl::GetBreakageReport(grpc::ServerContext* context,
                                                 const v1::GetBreakageReportRequest* request,
                                                 v1::GetBreakageReportResponse* response) {
  return RunCall(auth_, *context, kGetBreakageReport, "", [&](const Principal&) -> Result<Ok> {
    auto from = FromProto(request->from(), "from");
    if (!from) return from.error();
    auto to = FromProto(request->to(), "to");
    if (!to) return to.error();
    auto lines = ledger_.BreakageReport(*from, *to);
    if (!lines) return lines.error();
    for (const auto& line : *lines) {
      auto* out = response->add_lines();
      if (line.issuer) out->set_issuer_partner_id(std::to_string(*line.issuer));
      out->set_issuer_partner_code(line.issuer_code);
      out->set_lots(line.lots);
      out->set_points(line.points);
    }
    return Ok{};
  }, request, response);
}

namespace {

void ToProto(const domain::TierTable& table, v1::TierTable* out) {
  rpc::ToProto(table.effective_from, out->mutable_effective_from());
  for (const auto& tier : table.tiers) {
    auto* added = out->add_tiers();
    added->set_name(tier.name);
    added->set_threshold_points(tier.threshold_points);
    added->set_earn_multiplier_bps(tier.earn_multiplier_bps);
  }
  out->set_grace_days(static_cast<int32_t>(table.grace_days));
}

}  // namespace

grpc::Status AdminServiceImpl::SetTiers(grpc::ServerContext* context,
                                        const v1::SetTiersRequest* request,
                                        v1::SetTiersResponse* response) {
  return RunCall(auth_, *context, kSetTiers, "", [&](const Principal&) -> Result<Ok> {
    std::optional<domain::Timestamp> effective_from;
    if (request->has_effective_from()) {
      auto parsed = FromProto(request->effective_from(), "effective_from");
      if (!parsed) return parsed.error();
      effective_from = *parsed;
    }
    std::vector<domain::TierRule> tiers;
    for (const auto& tier : request->tiers()) {
      tiers.push_back({tier.name(), tier.threshold_points(), tier.earn_multiplier_bps()});
    }
    auto table = ledger_.SetTiers(std::move(tiers), request->grace_days(), effective_from);
    if (!table) return table.error();
    ToProto(*table, response->mutable_table());
    return Ok{};
  }, request, response);
}

grpc::Status AdminServiceImpl::RegisterClientCertificate(
    grpc::ServerContext* context, const v1::RegisterClientCertificateRequest* request,
    v1::RegisterClientCertificateResponse* response) {
  return RunCall(auth_, *context, kRegisterClientCertificate, "",
                 [&](const Principal&) -> Result<Ok> {
    domain::CertificateMatch match;
    switch (request->match()) {
      case v1::CERTIFICATE_MATCH_SHA256_FINGERPRINT:
        match = domain::CertificateMatch::kSha256Fingerprint;
        break;
      case v1::CERTIFICATE_MATCH_SUBJECT_ALT_NAME:
        match = domain::CertificateMatch::kSubjectAltName;
        break;
      default:
        return domain::Error::InvalidArgument(
            "match", "must be CERTIFICATE_MATCH_SHA256_FINGERPRINT or "
                     "CERTIFICATE_MATCH_SUBJECT_ALT_NAME");
    }
    auto partner_id = PartnerIdOf(*request);
    if (!partner_id) return partner_id.error();
    auto registered = partners_.RegisterClientCertificate(*partner_id, request->partner_code(),
                                                          match, request->identity());
    if (!registered) return registered.error();
    ToProto(*registered, response->mutable_certificate());
    return Ok{};
  }, request, response);
}

grpc::Status AdminServiceImpl::GetTiers(grpc::ServerContext* context,
                                        const v1::GetTiersRequest* /*request*/,
                                        v1::GetTiersResponse* response) {
  return RunCall(auth_, *context, kGetTiers, "", [&](const Principal&) -> Result<Ok> {
    auto tables = ledger_.GetTiers();
    if (!tables) return tables.error();
    if (tables->current) ToProto(*tables->current, response->mutable_current());
    for (const auto& table : tables->scheduled) ToProto(table, response->add_scheduled());
    return Ok{};
  });
}

grpc::Status AdminServiceImpl::RunTierReview(grpc::ServerContext* context,
                                             const v1::RunTierReviewRequest* request,
                                             v1::RunTierReviewResponse* response) {
  return RunCall(auth_, *context, kRunTierReview, "", [&](const Principal&) -> Result<Ok> {
    if (request->batch_size() < 0 || request->batch_size() > 10'000) {
      return domain::Error::InvalidArgument("batch_size", "must be between 0 and 10000");
    }
    auto run = ledger_.ReviewAllTiers(request->batch_size() == 0 ? 500 : request->batch_size());
    if (!run) return run.error();
    metrics::RecordTierReview(true, run->upgraded, run->downgraded);
    response->set_members(run->members);
    response->set_upgraded(run->upgraded);
    response->set_downgraded(run->downgraded);
    return Ok{};
  }, request, response);
}

grpc::Status AdminServiceImpl::RevokeClientCertificate(
    grpc::ServerContext* context, const v1::RevokeClientCertificateRequest* request,
    v1::RevokeClientCertificateResponse* response) {
  return RunCall(auth_, *context, kRevokeClientCertificate, "",
                 [&](const Principal&) -> Result<Ok> {
    auto certificate_id = domain::ParseId(request->certificate_id());
    if (!certificate_id) {
      return domain::Error::InvalidArgument("certificate_id", "is not a certificate id");
    }
    auto revoked = partners_.RevokeClientCertificate(*certificate_id);
    if (!revoked) return revoked.error();
    auth_.ForgetCachedKeys();
    ToProto(*revoked, response->mutable_certificate());
    return Ok{};
  }, request, response);
}

grpc::Status AdminServiceImpl::ListClientCertificates(
    grpc::ServerContext* context, const v1::ListClientCertificatesRequest* request,
    v1::ListClientCertificatesResponse* response) {
  return RunCall(auth_, *context, kListClientCertificates, "",
                 [&](const Principal&) -> Result<Ok> {
    int64_t after = 0;
    if (!request->page_token().empty()) {
      auto position = page_tokens_.Decode(request->page_token(), kCertificateListScope);
      if (!position) {
        return domain::Error::InvalidArgument("page_token", "is not a valid page token",
                                              "INVALID_PAGE_TOKEN");
      }
      after = *position;
    }
    auto partner_id = PartnerIdOf(*request);
    if (!partner_id) return partner_id.error();
    auto records = partners_.ListClientCertificates(*partner_id, request->partner_code(), after,
                                                    request->page_size());
    if (!records) return records.error();
    for (const auto& record : *records) ToProto(record, response->add_certificates());
    const int page_size =
        request->page_size() == 0 ? domain::kDefaultPageSize : request->page_size();
    if (static_cast<int>(records->size()) == page_size) {
      response->set_next_page_token(
          page_tokens_.Encode(kCertificateListScope, records->back().id));
    }
    return Ok{};
  }, request);
}

namespace {

constexpr std::string_view kGrantTargetedBonus = "/coalition.v1.AdminService/GrantTargetedBonus";
constexpr std::string_view kGetBonusGrant = "/coalition.v1.AdminService/GetBonusGrant";
constexpr std::string_view kGetRedemptionForecast =
    "/coalition.v1.AdminService/GetRedemptionForecast";

domain::Error BonusesUnavailable() {
  return {domain::ErrorCode::kInternal, "INTERNAL", "targeted bonuses are not wired", {}};
}

void ToProto(const domain::BonusGrant& grant, v1::BonusGrant* out) {
  out->set_grant_id(std::to_string(grant.id));
  out->set_request_id(grant.terms.request_id);
  if (grant.terms.segment == domain::GrantSegment::kLapsing) {
    out->mutable_lapsing()->set_days(grant.terms.lapsed_days);
  } else {
    auto* top = out->mutable_top_spenders();
    top->set_percent(grant.terms.top_percent);
    rpc::ToProto(grant.terms.spend_from, top->mutable_from());
    rpc::ToProto(grant.terms.spend_to, top->mutable_to());
  }
  out->set_points(grant.terms.points);
  out->set_reason(grant.terms.reason);
  out->set_actor(grant.terms.actor);
  rpc::ToProto(grant.terms.as_of, out->mutable_as_of());
  rpc::ToProto(grant.created_at, out->mutable_created_at());
  out->set_member_count(grant.member_count);
  out->set_total_points(grant.total_points);
  out->set_granted_members(grant.granted_members);
  out->set_complete(grant.complete());
}

// The grant's parameters; the segment's times are validated here because
// only the RPC layer sees whether they were set.
domain::Result<domain::NewBonusGrant> FromProto(const v1::GrantTargetedBonusRequest& request) {
  domain::NewBonusGrant grant;
  grant.request_id = request.request_id();
  grant.points = request.points();
  grant.reason = request.reason();
  switch (request.segment_case()) {
    case v1::GrantTargetedBonusRequest::kTopSpenders: {
      grant.segment = domain::GrantSegment::kTopSpenders;
      grant.top_percent = request.top_spenders().percent();
      auto from = rpc::FromProto(request.top_spenders().from(), "top_spenders.from");
      if (!from) return from.error();
      auto to = rpc::FromProto(request.top_spenders().to(), "top_spenders.to");
      if (!to) return to.error();
      grant.spend_from = *from;
      grant.spend_to = *to;
      break;
    }
    case v1::GrantTargetedBonusRequest::kLapsing:
      grant.segment = domain::GrantSegment::kLapsing;
      grant.lapsed_days = request.lapsing().days();
      break;
    default:
      return domain::Error::InvalidArgument("segment", "give top_spenders or lapsing");
  }
  return grant;
}

}  // namespace

grpc::Status AdminServiceImpl::GrantTargetedBonus(grpc::ServerContext* context,
                                                  const v1::GrantTargetedBonusRequest* request,
                                                  v1::BonusGrant* response) {
  return RunCall(auth_, *context, kGrantTargetedBonus, request->request_id(),
                 [&](const Principal& caller) -> Result<Ok> {
    if (bonuses_ == nullptr) return BonusesUnavailable();
    auto grant = FromProto(*request);
    if (!grant) return grant.error();
    grant->request_hash =
        MakeRequestKey(kGrantTargetedBonus, request->request_id(), *request).request_hash;
    grant->actor = caller.Actor();
    auto granted = bonuses_->GrantTargetedBonus(std::move(*grant));
    if (!granted) return granted.error();
    ToProto(*granted, response);
    return Ok{};
  }, request, response);
}

grpc::Status AdminServiceImpl::GetBonusGrant(grpc::ServerContext* context,
                                             const v1::GetBonusGrantRequest* request,
                                             v1::BonusGrant* response) {
  return RunCall(auth_, *context, kGetBonusGrant, "", [&](const Principal&) -> Result<Ok> {
    if (bonuses_ == nullptr) return BonusesUnavailable();
    auto id = domain::ParseId(request->grant_id());
    if (!id) return domain::Error::InvalidArgument("grant_id", "is not a grant id");
    auto grant = bonuses_->GetGrant(*id);
    if (!grant) return grant.error();
    ToProto(*grant, response);
    return Ok{};
  });
}

grpc::Status AdminServiceImpl::GetRedemptionForecast(
    grpc::ServerContext* context, const v1::GetRedemptionForecastRequest* request,
    v1::GetRedemptionForecastResponse* response) {
  return RunCall(auth_, *context, kGetRedemptionForecast, "", [&](const Principal&) -> Result<Ok> {
    if (bonuses_ == nullptr) return BonusesUnavailable();
    auto from = FromProto(request->from(), "from");
    if (!from) return from.error();
    std::optional<domain::Timestamp> as_of;
    if (request->has_as_of()) {
      auto parsed = FromProto(request->as_of(), "as_of");
      if (!parsed) return parsed.error();
      as_of = *parsed;
    }
    auto forecast = bonuses_->Forecast(*from, as_of);
    if (!forecast) return forecast.error();
    for (const auto& view : forecast->cohorts) {
      auto* out = response->add_cohorts();
      ToProto(view.month, out->mutable_month());
      out->set_issued_points(view.cohort.issued);
      out->set_redeemed_points(view.cohort.redeemed);
      out->set_expired_points(view.cohort.expired);
      out->set_age_months(view.cohort.age_months);
    }
    response->set_redemption_rate_bps(forecast->redemption_rate_bps);
    response->set_breakage_rate_bps(forecast->breakage_rate_bps);
    response->set_issued_points(forecast->issued_points);
    response->set_redeemed_points(forecast->redeemed_points);
    response->set_expired_points(forecast->expired_points);
    response->set_estimated_breakage_points(forecast->estimated_breakage_points);
    return Ok{};
  }, request, response);
}

namespace {

constexpr std::string_view kGetEarnRules = "/coalition.v1.AdminService/GetEarnRules";
constexpr std::string_view kListCampaigns = "/coalition.v1.AdminService/ListCampaigns";

void ToProto(const domain::EarnRules& rules, v1::EarnRules* out) {
  out->set_base_points(rules.base.points);
  out->set_base_per_amount_minor(rules.base.per_amount_minor);
  for (const auto& m : rules.multipliers) {
    auto* multiplier = out->add_multipliers();
    multiplier->set_category(m.category);
    multiplier->set_sku(m.sku);
    multiplier->set_multiplier_bps(m.multiplier_bps);
  }
  for (const auto& category : rules.excluded_categories) out->add_excluded_categories(category);
  for (const auto& sku : rules.excluded_skus) out->add_excluded_skus(sku);
  out->set_min_spend_minor(rules.min_spend_minor);
  out->set_max_points_per_transaction(rules.max_points_per_transaction);
  out->set_rounding(rules.rounding == domain::EarnRounding::kHalfEven ? v1::EARN_ROUNDING_HALF_EVEN
                    : rules.rounding == domain::EarnRounding::kUp     ? v1::EARN_ROUNDING_UP
                                                                      : v1::EARN_ROUNDING_DOWN);
}

void ToProto(const domain::CampaignView& view, v1::Campaign* out) {
  out->set_campaign_id(std::to_string(view.id));
  out->set_name(view.campaign.name);
  out->set_partner_code(view.partner_code);
  rpc::ToProto(view.campaign.starts_at, out->mutable_starts_at());
  rpc::ToProto(view.campaign.ends_at, out->mutable_ends_at());
  for (const auto& category : view.campaign.categories) out->add_categories(category);
  out->set_multiplier_bps(view.campaign.multiplier_bps);
  out->set_fixed_points(view.campaign.fixed_points);
  out->set_min_spend_minor(view.campaign.min_spend_minor);
  out->set_operator_funded(view.campaign.operator_funded);
  out->set_budget_points(view.campaign.budget_points);
  out->set_awarded_points(view.awarded_points);
  out->set_member_cap_points(view.campaign.member_cap_points);
  out->set_first_purchase_at_new_brand(view.campaign.first_at_brand);
}

}  // namespace

grpc::Status AdminServiceImpl::GetEarnRules(grpc::ServerContext* context,
                                            const v1::GetEarnRulesRequest* request,
                                            v1::GetEarnRulesResponse* response) {
  return RunCall(auth_, *context, kGetEarnRules, "", [&](const Principal&) -> Result<Ok> {
    if (bonuses_ == nullptr) return BonusesUnavailable();
    auto partner_id = PartnerIdOf(*request);
    if (!partner_id) return partner_id.error();
    auto rules = bonuses_->GetEarnRules(*partner_id, request->partner_code());
    if (!rules) return rules.error();
    response->set_partner_id(std::to_string(rules->first));
    for (const auto& version : rules->second) {
      auto* out = response->add_versions();
      rpc::ToProto(version.effective_from, out->mutable_effective_from());
      ToProto(version.rules, out->mutable_rules());
    }
    return Ok{};
  });
}

grpc::Status AdminServiceImpl::ListCampaigns(grpc::ServerContext* context,
                                             const v1::ListCampaignsRequest* request,
                                             v1::ListCampaignsResponse* response) {
  return RunCall(auth_, *context, kListCampaigns, "", [&](const Principal&) -> Result<Ok> {
    if (bonuses_ == nullptr) return BonusesUnavailable();
    // The filter is part of the scope: a token of one partner's list is
    // refused for another's.
    const std::string scope = "campaigns:" + request->partner_code();
    int64_t after = 0;
    if (!request->page_token().empty()) {
      auto position = page_tokens_.Decode(request->page_token(), scope);
      if (!position) {
        return domain::Error::InvalidArgument("page_token", "is not a valid page token",
                                              "INVALID_PAGE_TOKEN");
      }
      after = *position;
    }
    auto campaigns = bonuses_->ListCampaigns(request->partner_code(), after, request->page_size());
    if (!campaigns) return campaigns.error();
    for (const auto& view : *campaigns) ToProto(view, response->add_campaigns());
    const int page_size =
        request->page_size() == 0 ? domain::kDefaultPageSize : request->page_size();
    if (static_cast<int>(campaigns->size()) == page_size) {
      response->set_next_page_token(page_tokens_.Encode(scope, campaigns->back().id));
    }
    return Ok{};
  });
}

}  // namespace coalition::rpc
