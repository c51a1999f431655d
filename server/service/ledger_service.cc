#include "service/ledger_service.h"

#include <algorithm>
#include <string_view>
#include <unordered_map>

#include "crypto/crypto.h"
#include "domain/earn.h"
#include "domain/limits.h"
#include "domain/validation.h"
#include "service/pricing_service.h"

namespace coalition::service {

using domain::Error;

Result<domain::EnrollResult> LedgerService::Enroll(const domain::Partner& partner,
                                                   const domain::EnrollCommand& command) {
  if (auto e = domain::ValidateRequestId(command.key.request_id)) return *e;
  if (auto e = domain::ValidateCardNumber(command.card_number, "card_number")) return *e;
  if (auto e = domain::ValidateProfile(command.profile)) return *e;
  return store_.Enroll(partner, command, CreditTermsAt(clock_.Now()));
}

domain::CreditTerms LedgerService::CreditTermsAt(domain::Timestamp now) const {
  domain::CreditTerms terms;
  if (rules_.lot_lifetime_days > 0) {
    terms.lot_expires_at = now + std::chrono::hours(24 * rules_.lot_lifetime_days);
  }
  terms.signup_bonus_points = rules_.signup_bonus_points;
  return terms;
}

Result<domain::ExpiryRun> LedgerService::ExpireLots(int limit) {
  const auto now = clock_.Now();
  std::optional<domain::Timestamp> inactive_since;
  if (rules_.inactivity_lapse_days > 0) {
    inactive_since = now - std::chrono::hours(24 * rules_.inactivity_lapse_days);
  }
  return store_.ExpireLots(now, inactive_since, limit);
}

Result<domain::ExpiryRun> LedgerService::ExpireAllDue(int batch) {
  domain::ExpiryRun total;
  for (int64_t members = batch; members == batch;) {
    auto run = ExpireLots(batch);
    if (!run) return run.error();
    members = run->members;
    total.members += run->members;
    total.lots += run->lots;
    total.points += run->points;
  }
  return total;
}

Result<std::vector<domain::BreakageLine>> LedgerService::BreakageReport(domain::Timestamp from,
                                                                        domain::Timestamp to) {
  if (to <= from) return Error::InvalidArgument("to", "must be after from");
  return store_.BreakageReport(from, to);
}

Result<domain::TierTable> LedgerService::SetTiers(
    std::vector<domain::TierRule> tiers, int64_t grace_days,
    std::optional<domain::Timestamp> effective_from) {
  if (auto e = domain::ValidateTiers(tiers)) return *e;
  if (grace_days < 0 || grace_days > domain::kMaxTierGraceDays) {
    return Error::InvalidArgument("grace_days", "must be between 0 and " +
                                                    std::to_string(domain::kMaxTierGraceDays));
  }
  const auto now = clock_.Now();
  // Tiers already held and multipliers already earned under the table in
  // force stay as they are: a new version only ever starts from now.
  if (effective_from && *effective_from < now) {
    return Error::FailedPrecondition("EFFECTIVE_FROM_IN_PAST",
                                     "effective_from must not be in the past");
  }
  domain::TierTable table{effective_from.value_or(now), std::move(tiers), grace_days};
  auto stored = store_.AddTierTable(table);
  if (!stored) return stored.error();
  return table;
}

Result<domain::TierReviewRun> LedgerService::ReviewAllTiers(int batch) {
  domain::TierReviewRun total;
  const auto now = clock_.Now();
  for (domain::MemberId after = 0;;) {
    auto step = store_.ReviewTiers(now, after, batch);
    if (!step) return step.error();
    total.members += step->run.members;
    total.upgraded += step->run.upgraded;
    total.downgraded += step->run.downgraded;
    if (step->last == 0) return total;
    after = step->last;
  }
}

Result<domain::MemberView> LedgerService::GetMember(const domain::MemberRef& member) {
  if (auto e = domain::ValidateMemberRef(member)) return *e;
  return store_.GetMember(member, clock_.Now());
}

Result<domain::MemberId> LedgerService::FindMemberByContact(const domain::Partner& partner,
                                                          const std::string& email,
                                                          const std::string& phone) {
  if (email.empty() == phone.empty()) {
    return Error::InvalidArgument("member", "give one of email or phone");
  }
  if (auto e = domain::ValidateProfile({"", "", email, phone, ""})) {
    e->field = email.empty() ? "phone" : "email";  // not "profile.*": a lookup has no profile
    return *e;
  }
  auto members = store_.FindMembersByContact(partner.id, email, phone);
  if (!members) return members.error();
  if (members->empty()) return Error::NotFound("MEMBER_NOT_FOUND", "member not found");
  if (members->size() > 1) {
    return Error::FailedPrecondition("MEMBER_AMBIGUOUS",
                                     "several members match; look up by card instead");
  }
  return members->front();
}

Result<domain::PiiRotationStep> LedgerService::RotatePiiKeys(int batch_size, bool legacy_only) {
  if (batch_size < 0 || batch_size > domain::kMaxPiiRotationBatch) {
    return Error::InvalidArgument("batch_size", "must be between 0 (default) and " +
                                                    std::to_string(domain::kMaxPiiRotationBatch));
  }
  return store_.RotatePiiKeys(batch_size == 0 ? domain::kDefaultPiiRotationBatch : batch_size,
                              legacy_only);
}

Result<domain::AccrueResult> LedgerService::Accrue(const domain::Partner& partner,
                                                   const domain::AccrueCommand& command) {
  if (auto e = domain::ValidateAccrue(command, programme_currency_)) return *e;
  auto points = domain::PointsForAmount(partner.earn_rate, command.amount.amount_minor);
  if (!points) return points.error();
  const auto now = clock_.Now();
  return store_.Accrue(partner, command, *points, now, CreditTermsAt(now));
}

Result<std::vector<domain::BulkAccrualOutcome>> LedgerService::BatchAccrue(
    const domain::Partner& partner, const std::vector<domain::AccrueCommand>& lines) {
  using Outcome = domain::BulkAccrualOutcome;
  std::vector<Outcome> outcomes(lines.size());
  // For each line, the earlier line with its request_id, or itself.
  std::vector<size_t> first_with_id(lines.size());
  std::unordered_map<std::string_view, size_t> seen;
  std::vector<domain::AccrueCommand> valid;
  std::vector<int64_t> plain_points;
  std::vector<size_t> valid_index;  // position in `lines` of each of `valid`
  for (size_t i = 0; i < lines.size(); ++i) {
    const auto& line = lines[i];
    first_with_id[i] = i;
    if (auto e = domain::ValidateAccrue(line, programme_currency_)) {
      outcomes[i].error = *e;
      continue;
    }
    const auto [earlier, inserted] = seen.emplace(line.key.request_id, i);
    if (!inserted) {
      first_with_id[i] = earlier->second;
      continue;
    }
    auto points = domain::PointsForAmount(partner.earn_rate, line.amount.amount_minor);
    if (!points) {
      outcomes[i].error = points.error();
      continue;
    }
    valid.push_back(line);
    plain_points.push_back(*points);
    valid_index.push_back(i);
  }
  if (!valid.empty()) {
    const auto now = clock_.Now();
    auto applied = store_.BatchAccrue(partner, valid, plain_points, now, CreditTermsAt(now));
    if (!applied) return applied.error();
    for (size_t k = 0; k < valid.size(); ++k) outcomes[valid_index[k]] = std::move((*applied)[k]);
  }
  for (size_t i = 0; i < lines.size(); ++i) {
    const size_t first = first_with_id[i];
    if (first == i) continue;
    if (lines[first].key.request_hash != lines[i].key.request_hash) {
      outcomes[i].error = domain::Error::AlreadyExists(
          "REQUEST_ID_REUSED", "request_id was already used for a different request");
      continue;
    }
    // The same line twice in one file: the second is a retry of the first.
    outcomes[i] = outcomes[first];
    if (outcomes[i].kind == Outcome::Kind::kApplied) outcomes[i].kind = Outcome::Kind::kReplayed;
  }
  return outcomes;
}

Result<domain::RedeemResult> LedgerService::Redeem(
    const domain::Partner& partner, const domain::RedeemCommand& command,
    const std::optional<domain::PurchaseTerms>& terms) {
  if (auto e = domain::ValidateRedeem(command)) return *e;
  return store_.Redeem(partner, command, clock_.Now(), terms);
}

Result<domain::HoldResult> LedgerService::HoldPoints(const domain::Partner& partner,
                                                     const domain::HoldCommand& command) {
  if (auto e = domain::ValidateHold(command, max_hold_ttl_seconds_)) return *e;
  const auto now = clock_.Now();
  const int32_t ttl = command.ttl_seconds == 0
                          ? std::min(domain::kDefaultHoldTtlSeconds, max_hold_ttl_seconds_)
                          : command.ttl_seconds;
  return store_.HoldPoints(partner, command, now, now + std::chrono::seconds(ttl));
}

Result<domain::CaptureResult> LedgerService::CapturePoints(
    const domain::Partner& partner, const domain::CaptureCommand& command,
    const std::optional<domain::PurchaseTerms>& terms) {
  if (auto e = domain::ValidateCapture(command)) return *e;
  return store_.CapturePoints(partner, command, clock_.Now(), terms);
}

Result<domain::PurchaseView> LedgerService::GetPurchase(const domain::Partner& partner,
                                                        const std::string& receipt_id) {
  if (auto e = domain::ValidateRequiredText(receipt_id, domain::kMaxShortTextLength,
                                            "receipt_id")) {
    return *e;
  }
  return store_.GetPurchase(partner, receipt_id);
}

Result<domain::RefundResult> LedgerService::RefundPurchase(const domain::Partner& partner,
                                                           const domain::RefundCommand& command) {
  if (auto e = domain::ValidateRefund(command, programme_currency_)) return *e;
  const auto now = clock_.Now();
  return store_.RefundPurchase(partner, command, now,
                               now + std::chrono::seconds(domain::kRefundGraceSeconds));
}

Result<domain::VoidResult> LedgerService::VoidHold(const domain::Partner& partner,
                                                   const domain::VoidCommand& command) {
  if (auto e = domain::ValidateVoid(command)) return *e;
  return store_.VoidHold(partner, command, clock_.Now());
}

Result<std::pair<domain::MemberId, domain::TransactionPage>> LedgerService::ListTransactions(
    const domain::Partner& partner, const domain::MemberRef& member, domain::TransferId before,
    int page_size) {
  if (auto e = domain::ValidateMemberRef(member)) return *e;
  if (page_size < 0 || page_size > domain::kMaxPageSize) {
    return Error::InvalidArgument("page_size", "must be between 0 and 500");
  }
  if (page_size == 0) page_size = domain::kDefaultPageSize;
  return store_.ListTransactions(partner, member, before, page_size);
}

GeneratedApiKey GenerateApiKey(const std::string& partner_code) {
  GeneratedApiKey key;
  key.secret = "ck_" + partner_code + "_" + crypto::Base64UrlEncode(crypto::RandomBytes(32));
  key.hash = HashApiKey(key.secret);
  key.prefix = key.secret.substr(0, partner_code.size() + 8);
  return key;
}

std::string HashApiKey(const std::string& secret) { return crypto::Sha256(secret); }

Result<PartnerAdmin::CreatedPartner> PartnerAdmin::CreatePartner(
    const domain::NewPartner& partner) {
  if (auto e = domain::ValidateNewPartner(partner)) return *e;
  auto key = GenerateApiKey(partner.code);
  auto created = store_.CreatePartner(partner, key.hash, key.prefix);
  if (!created) return created.error();
  return CreatedPartner{created->first, created->second, key.secret};
}

Result<std::vector<domain::Partner>> PartnerAdmin::ListPartners(domain::PartnerId after,
                                                                int page_size) {
  if (page_size < 0 || page_size > domain::kMaxPageSize) {
    return Error::InvalidArgument("page_size", "must be between 0 and 500");
  }
  if (page_size == 0) page_size = domain::kDefaultPageSize;
  return store_.ListPartners(after, page_size);
}

Result<domain::Partner> PartnerAdmin::FindPartner(std::optional<domain::PartnerId> partner_id,
                                                  const std::string& partner_code) {
  if (partner_id) return store_.FindPartnerById(*partner_id);
  if (partner_code.empty()) {
    return Error::InvalidArgument("partner", "partner_id or partner_code is required");
  }
  return store_.FindPartnerByCode(partner_code);
}

Result<PartnerAdmin::PolicyView> PartnerAdmin::SetRedemptionPolicy(
    std::optional<domain::PartnerId> partner_id, const std::string& partner_code,
    const domain::RedemptionPolicy& policy) {
  if (auto e = domain::ValidateRedemptionPolicy(policy)) return *e;
  auto partner = FindPartner(partner_id, partner_code);
  if (!partner) return partner.error();
  auto stored = store_.SetRedemptionPolicy(partner->id, policy);
  if (!stored) return stored.error();
  return PolicyView{*partner, policy, true};
}

Result<PartnerAdmin::PolicyView> PartnerAdmin::GetRedemptionPolicy(
    std::optional<domain::PartnerId> partner_id, const std::string& partner_code) {
  auto partner = FindPartner(partner_id, partner_code);
  if (!partner) return partner.error();
  auto configured = store_.FindRedemptionPolicy(partner->id);
  if (!configured) return configured.error();
  return PolicyView{*partner, EffectiveRedemptionPolicy(*partner, *configured),
                    configured->has_value()};
}

Result<domain::Partner> PartnerAdmin::SetEarnRules(std::optional<domain::PartnerId> partner_id,
                                                   const std::string& partner_code,
                                                   domain::Timestamp effective_from,
                                                   const domain::EarnRules& rules) {
  if (auto e = domain::ValidateEarnRules(rules)) return *e;
  auto partner = FindPartner(partner_id, partner_code);
  if (!partner) return partner.error();
  auto stored = store_.SetEarnRules(partner->id, effective_from, rules);
  if (!stored) return stored.error();
  return *partner;
}

Result<int64_t> PartnerAdmin::CreateCampaign(const std::string& partner_code,
                                             domain::NewCampaign campaign) {
  if (auto e = domain::ValidateRequiredText(campaign.name, domain::kMaxNameLength, "name")) return *e;
  if (campaign.ends_at <= campaign.starts_at) {
    return Error::InvalidArgument("ends_at", "must be after starts_at");
  }
  if (campaign.multiplier_bps < 0 || campaign.multiplier_bps > domain::kMaxMultiplierBps) {
    return Error::InvalidArgument("multiplier_bps", "must be between 0 and 1000000");
  }
  if (campaign.fixed_points < 0 || campaign.fixed_points > 1'000'000'000) {
    return Error::InvalidArgument("fixed_points", "must be between 0 and 1000000000");
  }
  if (campaign.first_at_brand && (campaign.fixed_points == 0 || campaign.multiplier_bps != 0 ||
                                  !campaign.categories.empty())) {
    return Error::InvalidArgument("first_purchase_at_new_brand",
                                  "a first-at-brand campaign gives fixed points only, to every "
                                  "category");
  }
  if (campaign.multiplier_bps == 0 && campaign.fixed_points == 0) {
    return Error::InvalidArgument("multiplier_bps", "a campaign needs a multiplier or fixed points");
  }
  if (campaign.min_spend_minor < 0 || campaign.min_spend_minor > domain::kMaxAmountMinor) {
    return Error::InvalidArgument("min_spend_minor", "must be between 0 and 1000000000000");
  }
  if (campaign.budget_points <= 0 || campaign.budget_points > domain::kMaxPointsPerRequest) {
    return Error::InvalidArgument("budget_points", "must be between 1 and 1000000000000");
  }
  if (campaign.member_cap_points < 0 || campaign.member_cap_points > domain::kMaxPointsPerRequest) {
    return Error::InvalidArgument("member_cap_points", "must be between 0 and 1000000000000");
  }
  for (size_t i = 0; i < campaign.categories.size(); ++i) {
    if (auto e = domain::ValidateRequiredText(campaign.categories[i], domain::kMaxShortTextLength,
                                              "categories[" + std::to_string(i) + "]")) {
      return *e;
    }
  }
  if (partner_code.empty()) {
    if (!campaign.operator_funded) {
      return Error::InvalidArgument("funded_by", "a coalition-wide campaign is operator-funded");
    }
  } else {
    auto partner = store_.FindPartnerByCode(partner_code);
    if (!partner) return partner.error();
    campaign.partner_id = partner->id;
  }
  return store_.CreateCampaign(campaign);
}

Result<PartnerAdmin::CreatedKey> PartnerAdmin::CreateApiKey(
    std::optional<domain::PartnerId> partner_id, const std::string& partner_code) {
  auto partner = FindPartner(partner_id, partner_code);
  if (!partner) return partner.error();
  auto key = GenerateApiKey(partner->code);
  auto record = store_.CreateApiKey(partner->id, key.hash, key.prefix);
  if (!record) return record.error();
  return CreatedKey{*record, key.secret};
}

Result<domain::ApiKeyRecord> PartnerAdmin::RevokeApiKey(int64_t key_id) {
  if (key_id <= 0) return Error::InvalidArgument("key_id", "is not a key id");
  return store_.RevokeApiKey(key_id);
}

Result<domain::ClientCertificateRecord> PartnerAdmin::RegisterClientCertificate(
    std::optional<domain::PartnerId> partner_id, const std::string& partner_code,
    domain::CertificateMatch match, std::string_view identity) {
  auto normalised = domain::NormaliseCertificateIdentity(match, identity);
  if (!normalised) return normalised.error();
  auto partner = FindPartner(partner_id, partner_code);
  if (!partner) return partner.error();
  return store_.RegisterClientCertificate(partner->id, match, *normalised);
}

Result<domain::ClientCertificateRecord> PartnerAdmin::RevokeClientCertificate(
    int64_t certificate_id) {
  if (certificate_id <= 0) {
    return Error::InvalidArgument("certificate_id", "is not a certificate id");
  }
  return store_.RevokeClientCertificate(certificate_id);
}

Result<std::vector<domain::ClientCertificateRecord>> PartnerAdmin::ListClientCertificates(
    std::optional<domain::PartnerId> partner_id, const std::string& partner_code, int64_t after,
    int page_size) {
  if (page_size < 0 || page_size > domain::kMaxPageSize) {
    return Error::InvalidArgument("page_size", "must be between 0 and 500");
  }
  if (page_size == 0) page_size = domain::kDefaultPageSize;
  std::optional<domain::PartnerId> partner;
  if (partner_id || !partner_code.empty()) {
    auto found = FindPartner(partner_id, partner_code);
    if (!found) return found.error();
    partner = found->id;
  }
  return store_.ListClientCertificates(partner, after, page_size);
}

}  // namespace coalition::service
