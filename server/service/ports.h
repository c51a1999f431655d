#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "domain/bulk_accrual.h"
#include "domain/bonus.h"
#include "domain/error.h"
#include "domain/model.h"
#include "domain/pricing.h"
#include "domain/refund.h"
#include "domain/rules.h"
#include "domain/settlement.h"

namespace coalition::service {

using domain::Result;

// Persistence of the member ledger. Every money-moving call is one database
// transaction that also records the request for idempotency: a repeat of
// `key` with the same hash returns the stored result, with another hash
// ALREADY_EXISTS/REQUEST_ID_REUSED, and nothing is written either way.
class LedgerStore {
 public:
  virtual ~LedgerStore() = default;
  virtual Result<domain::EnrollResult> Enroll(const domain::Partner& partner,
                                              const domain::EnrollCommand& command,
                                              const domain::CreditTerms& terms) = 0;
  // `now` decides which open holds have expired: they no longer count in
  // the returned `held` even before the sweeper releases them.
  virtual Result<domain::MemberView> GetMember(const domain::MemberRef& member,
                                               domain::Timestamp now) = 0;
  // `points` already computed from the partner's rules; 0 posts no transfer.
  virtual Result<domain::AccrueResult> Accrue(const domain::Partner& partner,
                                              const domain::AccrueCommand& command,
                                              int64_t points, domain::Timestamp now,
                                              const domain::CreditTerms& terms) = 0;
  // Accrues `lines` (already validated, request_ids distinct) in ONE
  // transaction, set-based; `plain_points[i]` is line i at the plain earn
  // rate. Earn rules apply; campaigns, tiers and auto-enrolment do not (an
  // unknown card is rejected). One outcome per line, in order; a rejected
  // line writes nothing, the others are applied or replayed as Accrue would.
  virtual Result<std::vector<domain::BulkAccrualOutcome>> BatchAccrue(
      const domain::Partner& partner, const std::vector<domain::AccrueCommand>& lines,
      const std::vector<int64_t>& plain_points, domain::Timestamp now,
      const domain::CreditTerms& terms) = 0;
  // `terms`: the point value and refund policy a payment towards
  // command.receipt_id fixes for its purchase (required with a receipt_id).
  virtual Result<domain::RedeemResult> Redeem(
      const domain::Partner& partner, const domain::RedeemCommand& command,
      domain::Timestamp now, const std::optional<domain::PurchaseTerms>& terms) = 0;
  // The member's transfers at `partner` with id < `before`, newest first.
  virtual Result<std::pair<domain::MemberId, domain::TransactionPage>> ListTransactions(
      const domain::Partner& partner, const domain::MemberRef& member,
      domain::TransferId before, int page_size) = 0;
  virtual Result<domain::LedgerReport> Verify() = 0;

  // Holds. `now` is the service clock's time: a hold whose expires_at <= now
  // is expired, whatever its stored status says.
  virtual Result<domain::HoldResult> HoldPoints(const domain::Partner& partner,
                                                const domain::HoldCommand& command,
                                                domain::Timestamp now,
                                                domain::Timestamp expires_at) = 0;
  virtual Result<domain::CaptureResult> CapturePoints(
      const domain::Partner& partner, const domain::CaptureCommand& command,
      domain::Timestamp now, const std::optional<domain::PurchaseTerms>& terms) = 0;
  virtual Result<domain::VoidResult> VoidHold(const domain::Partner& partner,
                                              const domain::VoidCommand& command,
                                              domain::Timestamp now) = 0;
  // Releases up to `limit` open holds that expired by `now`; returns how many.
  virtual Result<int> ExpireDueHolds(domain::Timestamp now, int limit) = 0;

  // Expires up to `limit` members' points: lots past their expiry by `now`,
  // and every lot of members with no earn or spend since `inactive_since`.
  // Points covering open holds wait until the hold closes. Idempotent and
  // safe to run concurrently with traffic and with itself.
  virtual Result<domain::ExpiryRun> ExpireLots(domain::Timestamp now,
                                               std::optional<domain::Timestamp> inactive_since,
                                               int limit) = 0;
  // Expired points per issuer, by transfer time in [from, to).
  virtual Result<std::vector<domain::BreakageLine>> BreakageReport(domain::Timestamp from,
                                                                   domain::Timestamp to) = 0;

  // Tiers (SPEC §5). Appends a version of the tier table; one for the same
  // effective_from as an earlier one supersedes it.
  virtual Result<domain::Ok> AddTierTable(const domain::TierTable& table) = 0;
  struct TierTables {
    std::optional<domain::TierTable> current;  // in force at `now`
    std::vector<domain::TierTable> scheduled;  // later, by effective_from
  };
  virtual Result<TierTables> ListTierTables(domain::Timestamp now) = 0;
  // Reviews the tiers of up to `limit` members with id > `after` that hold a
  // tier or have qualifying points (domain::ReviewTier under the table in
  // force at `now`), each in its own transaction with the member row locked.
  // `last` is the last member looked at (0: none left). Idempotent.
  struct TierReviewStep {
    domain::TierReviewRun run;
    domain::MemberId last = 0;
  };
  virtual Result<TierReviewStep> ReviewTiers(domain::Timestamp now, domain::MemberId after,
                                             int limit) = 0;

  // Purchases: the calling partner's receipt; another partner's is not found.
  virtual Result<domain::PurchaseView> GetPurchase(const domain::Partner& partner,
                                                   const std::string& receipt_id) = 0;
  // Points whose lot expired by `now` come back expiring at `grace_expires_at`.
  virtual Result<domain::RefundResult> RefundPurchase(const domain::Partner& partner,
                                                      const domain::RefundCommand& command,
                                                      domain::Timestamp now,
                                                      domain::Timestamp grace_expires_at) = 0;
  // Member PII, sealed at rest (crypto/pii.h). The profile `partner`
  // supplied for `member`, decrypted; nothing when that partner supplied none
  // (another partner's profile is invisible). INTERNAL/PII_UNREADABLE when
  // its key is not configured or it does not authenticate.
  virtual Result<std::optional<domain::MemberProfile>> GetMemberProfile(
      domain::MemberId member, domain::PartnerId partner) = 0;
  // Members whose profile `partner` supplied with this email (or, when
  // `email` is empty, phone), by blind index; at most two.
  virtual Result<std::vector<domain::MemberId>> FindMembersByContact(
      domain::PartnerId partner, const std::string& email, const std::string& phone) = 0;
  // Re-seals up to `batch_size` profiles under the active key (with
  // `legacy_only`, only plaintext rows from before encryption), one
  // transaction per batch. FAILED_PRECONDITION/PII_KEY_MISSING when a row's
  // key is not configured.
  virtual Result<domain::PiiRotationStep> RotatePiiKeys(int batch_size, bool legacy_only) = 0;
};

// Partners and their API keys. Keys are handled as SHA-256 hashes only.
class PartnerStore {
 public:
  virtual ~PartnerStore() = default;
  virtual Result<std::pair<domain::Partner, domain::ApiKeyRecord>> CreatePartner(
      const domain::NewPartner& partner, const std::string& key_hash,
      const std::string& key_prefix) = 0;
  // Partners with id > `after`, by id.
  virtual Result<std::vector<domain::Partner>> ListPartners(domain::PartnerId after,
                                                            int limit) = 0;
  virtual Result<domain::Partner> FindPartnerById(domain::PartnerId id) = 0;
  virtual Result<domain::Partner> FindPartnerByCode(const std::string& code) = 0;
  // The partner owning an active (unrevoked) key with this hash.
  virtual Result<domain::Partner> FindPartnerByKeyHash(const std::string& key_hash) = 0;
  virtual Result<domain::ApiKeyRecord> CreateApiKey(domain::PartnerId partner,
                                                    const std::string& key_hash,
                                                    const std::string& key_prefix) = 0;
  virtual Result<domain::ApiKeyRecord> RevokeApiKey(int64_t key_id) = 0;
  virtual Result<domain::Ok> SetRedemptionPolicy(domain::PartnerId partner,
                                                 const domain::RedemptionPolicy& policy) = 0;
  // Earn rules from `effective_from` on (replaces a version with the same time).
  virtual Result<domain::Ok> SetEarnRules(domain::PartnerId partner,
                                          domain::Timestamp effective_from,
                                          const domain::EarnRules& rules) = 0;
  virtual Result<int64_t> CreateCampaign(const domain::NewCampaign& campaign) = 0;
  // Nothing when the partner has not configured one.
  virtual Result<std::optional<domain::RedemptionPolicy>> FindRedemptionPolicy(
      domain::PartnerId partner) = 0;

  // mTLS identities (V0013). `identity` is already normalised (a fingerprint
  // in lowercase hex). NOT_FOUND/PARTNER_NOT_FOUND for an unknown partner;
  // ALREADY_EXISTS/CLIENT_CERTIFICATE_TAKEN when the identity is active for
  // any partner.
  virtual Result<domain::ClientCertificateRecord> RegisterClientCertificate(
      domain::PartnerId partner, domain::CertificateMatch match, const std::string& identity) = 0;
  // Revoking twice is harmless; NOT_FOUND/CLIENT_CERTIFICATE_NOT_FOUND.
  virtual Result<domain::ClientCertificateRecord> RevokeClientCertificate(
      int64_t certificate_id) = 0;
  // Identities with id > `after` (of `partner` when given), by id, revoked included.
  virtual Result<std::vector<domain::ClientCertificateRecord>> ListClientCertificates(
      std::optional<domain::PartnerId> partner, int64_t after, int limit) = 0;
  // The partner an active identity of `peer` maps to: its fingerprint first,
  // else its subject alternative names. NOT_FOUND when none is mapped;
  // UNAUTHENTICATED/CLIENT_CERTIFICATE_AMBIGUOUS when its names map to
  // different partners.
  virtual Result<domain::Partner> FindPartnerByClientCertificate(
      const domain::PeerCertificate& peer) = 0;
};

// Settlement batches and partner economics (SPEC §6).
class SettlementStore {
 public:
  virtual ~SettlementStore() = default;
  // Cuts a batch: claims every committed, unsettled transfer created before
  // the cutoff, in one transaction serialized against other runs. A repeat
  // of the request_id, or another run with the same cutoff and mode, returns
  // the existing batch (`created` false). ALREADY_EXISTS/REQUEST_ID_REUSED
  // when the request_id was used with another cutoff or mode;
  // FAILED_PRECONDITION for a cutoff in the future or not after the last
  // batch's, or a cutoff settled before in the other mode.
  struct RunOutcome {
    domain::settlement::BatchContents contents;
    bool created = false;
  };
  virtual Result<RunOutcome> RunSettlement(const domain::settlement::RunCommand& command) = 0;
  virtual Result<domain::settlement::BatchContents> GetBatch(int64_t batch_id) = 0;
  // Batches with id < `before`, newest first.
  virtual Result<std::vector<domain::settlement::Batch>> ListBatches(int64_t before,
                                                                      int limit) = 0;
  // Schedules a partner's new prices from `effective_from` (nullopt: now);
  // FAILED_PRECONDITION/EFFECTIVE_FROM_IN_PAST for a time already past.
  virtual Result<domain::settlement::EconomicsPeriod> SetEconomics(
      const domain::settlement::EconomicsPeriod& period) = 0;
  virtual Result<std::vector<domain::settlement::EconomicsPeriod>> ListEconomics(
      domain::PartnerId partner) = 0;
};

// The append-only audit log. Nothing here updates or deletes a record.
class AuditLog {
 public:
  virtual ~AuditLog() = default;
  // Writes `record` (its id and time are assigned by the store); returns the
  // id, which an OUTCOME record names as its `intent_id`.
  virtual Result<int64_t> Append(const domain::AuditRecord& record) = 0;
  // Records with id < `before` (0: from the newest), newest first.
  virtual Result<std::vector<domain::AuditRecord>> List(int64_t before, int limit) = 0;
};

// Targeted bonuses and the redemption forecast (SPEC §3, §5).
class BonusStore {
 public:
  virtual ~BonusStore() = default;
  // The grant with `grant.request_id`, created with its member set fixed if
  // there is none yet (`points` each; the segment as of `grant.as_of`).
  // ALREADY_EXISTS/REQUEST_ID_REUSED when that request_id was used with
  // other parameters; FAILED_PRECONDITION/SEGMENT_EMPTY when nobody is in
  // the segment (nothing written).
  virtual Result<domain::BonusGrant> CreateGrant(const domain::NewBonusGrant& grant) = 0;
  // Up to `limit` members of the grant not credited yet, by id.
  virtual Result<std::vector<domain::MemberId>> PendingGrantMembers(int64_t grant_id,
                                                                    int limit) = 0;
  // Credits one member their points in one transaction (operator-funded
  // BONUS, reference "grant:<id>", lot expiring at `lot_expires_at`).
  // Returns false when they already had them.
  virtual Result<bool> CreditGrantMember(int64_t grant_id, domain::MemberId member,
                                         std::optional<domain::Timestamp> lot_expires_at) = 0;
  // NOT_FOUND/GRANT_NOT_FOUND when there is none.
  virtual Result<domain::BonusGrant> GetGrant(int64_t grant_id) = 0;
  // Monthly earning cohorts of the points credited in [from, as_of), with
  // what was redeemed and expired of them before as_of.
  virtual Result<std::vector<domain::CohortView>> RedemptionCohorts(domain::Timestamp from,
                                                                    domain::Timestamp as_of) = 0;
  // Read side of the programme rules, for coalitionctl.
  // The partner named by id or code (exactly one set); NOT_FOUND otherwise.
  virtual Result<domain::PartnerId> FindPartnerId(std::optional<domain::PartnerId> id,
                                                  const std::string& code) = 0;
  // Every version of the partner's earn rules, oldest first.
  virtual Result<std::vector<domain::EarnRulesVersion>> EarnRulesVersions(
      domain::PartnerId partner) = 0;
  // Campaigns with id > `after` (of partner `partner_code` when not empty),
  // by id.
  virtual Result<std::vector<domain::CampaignView>> ListCampaigns(const std::string& partner_code,
                                                                  int64_t after, int limit) = 0;
};

}  // namespace coalition::service
