#pragma once

#include <string>
#include <string_view>

#include "domain/clock.h"
#include "domain/limits.h"
#include "domain/model.h"
#include "service/ports.h"

namespace coalition::service {

// The partner-facing ledger operations: validate the command, apply the
// partner's rules, then let the store apply it atomically.
class LedgerService {
 public:
  LedgerService(LedgerStore& store, std::string programme_currency, const domain::Clock& clock,
                int32_t max_hold_ttl_seconds = domain::kMaxHoldTtlSeconds,
                domain::ProgrammeRules rules = {})
      : store_(store),
        programme_currency_(std::move(programme_currency)),
        clock_(clock),
        max_hold_ttl_seconds_(max_hold_ttl_seconds),
        rules_(rules) {}

  Result<domain::EnrollResult> Enroll(const domain::Partner& partner,
                                      const domain::EnrollCommand& command);
  Result<domain::MemberView> GetMember(const domain::MemberRef& member);
  Result<domain::AccrueResult> Accrue(const domain::Partner& partner,
                                      const domain::AccrueCommand& command);
  // Accrues a chunk of a partner's bulk file in one transaction (see
  // LedgerStore::BatchAccrue for what bulk applies). Each line is validated
  // as Accrue validates it; a request_id repeated within the chunk gets the
  // first line's outcome when the lines are identical, REQUEST_ID_REUSED
  // otherwise. One outcome per line, in order.
  Result<std::vector<domain::BulkAccrualOutcome>> BatchAccrue(
      const domain::Partner& partner, const std::vector<domain::AccrueCommand>& lines);
  // `terms` (see PricingService::PurchaseTermsFor) are required when the
  // command names a receipt_id.
  Result<domain::RedeemResult> Redeem(const domain::Partner& partner,
                                      const domain::RedeemCommand& command,
                                      const std::optional<domain::PurchaseTerms>& terms = {});
  Result<std::pair<domain::MemberId, domain::TransactionPage>> ListTransactions(
      const domain::Partner& partner, const domain::MemberRef& member,
      domain::TransferId before, int page_size);
  Result<domain::LedgerReport> Verify() { return store_.Verify(); }

  Result<domain::HoldResult> HoldPoints(const domain::Partner& partner,
                                        const domain::HoldCommand& command);
  Result<domain::CaptureResult> CapturePoints(
      const domain::Partner& partner, const domain::CaptureCommand& command,
      const std::optional<domain::PurchaseTerms>& terms = {});
  Result<domain::VoidResult> VoidHold(const domain::Partner& partner,
                                      const domain::VoidCommand& command);
  // The sweeper's step: releases up to `limit` holds past their expiry.
  Result<int> ExpireDueHolds(int limit) { return store_.ExpireDueHolds(clock_.Now(), limit); }

  Result<domain::PurchaseView> GetPurchase(const domain::Partner& partner,
                                           const std::string& receipt_id);
  // Applies the purchase's refund policy; points whose lot expired meanwhile
  // come back for kRefundGraceSeconds.
  Result<domain::RefundResult> RefundPurchase(const domain::Partner& partner,
                                              const domain::RefundCommand& command);

  // The expiry job's step: expires the points of up to `limit` members.
  Result<domain::ExpiryRun> ExpireLots(int limit);
  // The whole expiry job: steps of `batch` members until one comes back
  // short, so everything due now has expired.
  Result<domain::ExpiryRun> ExpireAllDue(int batch);
  Result<std::vector<domain::BreakageLine>> BreakageReport(domain::Timestamp from,
                                                           domain::Timestamp to);
  // Tiers (SPEC §5). A new version of the tier table from
  // `table.effective_from` (nullopt: now) on. INVALID_ARGUMENT for a bad table
  // (ValidateTiers) or grace period; FAILED_PRECONDITION/EFFECTIVE_FROM_IN_PAST
  // for a time already past. Returns the stored version.
  Result<domain::TierTable> SetTiers(std::vector<domain::TierRule> tiers, int64_t grace_days,
                                     std::optional<domain::Timestamp> effective_from);
  Result<LedgerStore::TierTables> GetTiers() { return store_.ListTierTables(clock_.Now()); }
  // The whole tier review: batches of `batch` members until none are left.
  // Safe to run concurrently with traffic and with itself.
  Result<domain::TierReviewRun> ReviewAllTiers(int batch);

  // Member PII for the partner that supplied it (see LedgerStore).
  Result<std::optional<domain::MemberProfile>> GetMemberProfile(const domain::Partner& partner,
                                                                domain::MemberId member) {
    return store_.GetMemberProfile(member, partner.id);
  }
  // The member whose profile `partner` supplied with this email (or phone:
  // exactly one of them is set). NOT_FOUND/MEMBER_NOT_FOUND when none;
  // FAILED_PRECONDITION/MEMBER_AMBIGUOUS when several share it.
  Result<domain::MemberId> FindMemberByContact(const domain::Partner& partner,
                                               const std::string& email,
                                               const std::string& phone);
  // One batch of re-sealing member profiles under the active PII key.
  Result<domain::PiiRotationStep> RotatePiiKeys(int batch_size, bool legacy_only = false);

  const std::string& programme_currency() const { return programme_currency_; }
  domain::Timestamp Now() const { return clock_.Now(); }

 private:
  // Expiry and sign-up bonus of points credited at `now`.
  domain::CreditTerms CreditTermsAt(domain::Timestamp now) const;

  LedgerStore& store_;
  const std::string programme_currency_;
  const domain::Clock& clock_;
  const int32_t max_hold_ttl_seconds_;
  const domain::ProgrammeRules rules_;
};

// A freshly generated API key: the secret goes to the caller once, only the
// hash is stored.
struct GeneratedApiKey {
  std::string secret;
  std::string hash;
  std::string prefix;
};

// "ck_<partner code>_<43 chars of base64url>" from 256 random bits.
GeneratedApiKey GenerateApiKey(const std::string& partner_code);
std::string HashApiKey(const std::string& secret);

// Operator actions on partners and keys.
class PartnerAdmin {
 public:
  explicit PartnerAdmin(PartnerStore& store) : store_(store) {}

  struct CreatedPartner {
    domain::Partner partner;
    domain::ApiKeyRecord key;
    std::string secret;
  };
  Result<CreatedPartner> CreatePartner(const domain::NewPartner& partner);
  Result<std::vector<domain::Partner>> ListPartners(domain::PartnerId after, int page_size);
  struct CreatedKey {
    domain::ApiKeyRecord key;
    std::string secret;
  };
  // Exactly one of id / code names the partner.
  Result<CreatedKey> CreateApiKey(std::optional<domain::PartnerId> partner_id,
                                  const std::string& partner_code);
  Result<domain::ApiKeyRecord> RevokeApiKey(int64_t key_id);

  struct PolicyView {
    domain::Partner partner;
    domain::RedemptionPolicy policy;
    bool configured = false;
  };
  Result<PolicyView> SetRedemptionPolicy(std::optional<domain::PartnerId> partner_id,
                                         const std::string& partner_code,
                                         const domain::RedemptionPolicy& policy);
  Result<PolicyView> GetRedemptionPolicy(std::optional<domain::PartnerId> partner_id,
                                         const std::string& partner_code);

  // Earn rules of a partner from `effective_from` on; never retroactive to
  // purchases already made.
  Result<domain::Partner> SetEarnRules(std::optional<domain::PartnerId> partner_id,
                                       const std::string& partner_code,
                                       domain::Timestamp effective_from,
                                       const domain::EarnRules& rules);
  // `partner_code` empty: a coalition-wide campaign (operator-funded only).
  Result<int64_t> CreateCampaign(const std::string& partner_code, domain::NewCampaign campaign);

  // mTLS identities: a client certificate matching `identity` then
  // authenticates as the partner (see PartnerStore for the errors).
  Result<domain::ClientCertificateRecord> RegisterClientCertificate(
      std::optional<domain::PartnerId> partner_id, const std::string& partner_code,
      domain::CertificateMatch match, std::string_view identity);
  Result<domain::ClientCertificateRecord> RevokeClientCertificate(int64_t certificate_id);
  // Of one partner when named (id or code), else of all; by id after `after`.
  Result<std::vector<domain::ClientCertificateRecord>> ListClientCertificates(
      std::optional<domain::PartnerId> partner_id, const std::string& partner_code,
      int64_t after, int page_size);

 private:
  // Exactly one of id / code names the partner.
  Result<domain::Partner> FindPartner(std::optional<domain::PartnerId> partner_id,
                                      const std::string& partner_code);

  PartnerStore& store_;
};

}  // namespace coalition::service
