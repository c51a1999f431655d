#pragma once

#include <chrono>

#include "crypto/pii.h"
#include "service/ports.h"
#include "storage/database.h"

namespace coalition::storage {

class PgLedgerStore final : public service::LedgerStore {
 public:
  PgLedgerStore(Database& database, const crypto::PiiKeyRing& pii_keys)
      : database_(database), pii_keys_(pii_keys) {}

  domain::Result<domain::EnrollResult> Enroll(const domain::Partner& partner,
                                              const domain::EnrollCommand& command,
                                              const domain::CreditTerms& terms) override;
  domain::Result<domain::MemberView> GetMember(const domain::MemberRef& member,
                                               domain::Timestamp now) override;
  domain::Result<domain::AccrueResult> Accrue(const domain::Partner& partner,
                                              const domain::AccrueCommand& command,
                                              int64_t points, domain::Timestamp now,
                                              const domain::CreditTerms& terms) override;
  domain::Result<std::vector<domain::BulkAccrualOutcome>> BatchAccrue(
      const domain::Partner& partner, const std::vector<domain::AccrueCommand>& lines,
      const std::vector<int64_t>& plain_points, domain::Timestamp now,
      const domain::CreditTerms& terms) override;
  domain::Result<domain::RedeemResult> Redeem(
      const domain::Partner& partner, const domain::RedeemCommand& command, domain::Timestamp now,
      const std::optional<domain::PurchaseTerms>& terms) override;
  domain::Result<std::pair<domain::MemberId, domain::TransactionPage>> ListTransactions(
      const domain::Partner& partner, const domain::MemberRef& member,
      domain::TransferId before, int page_size) override;
  domain::Result<domain::LedgerReport> Verify() override;
  domain::Result<domain::HoldResult> HoldPoints(const domain::Partner& partner,
                                                const domain::HoldCommand& command,
                                                domain::Timestamp now,
                                                domain::Timestamp expires_at) override;
  domain::Result<domain::CaptureResult> CapturePoints(
      const domain::Partner& partner, const domain::CaptureCommand& command, domain::Timestamp now,
      const std::optional<domain::PurchaseTerms>& terms) override;
  domain::Result<domain::VoidResult> VoidHold(const domain::Partner& partner,
                                              const domain::VoidCommand& command,
                                              domain::Timestamp now) override;
  domain::Result<int> ExpireDueHolds(domain::Timestamp now, int limit) override;
  domain::Result<domain::ExpiryRun> ExpireLots(domain::Timestamp now,
                                               std::optional<domain::Timestamp> inactive_since,
                                               int limit) override;
  domain::Result<std::vector<domain::BreakageLine>> BreakageReport(domain::Timestamp from,
                                                                   domain::Timestamp to) override;
  domain::Result<domain::PurchaseView> GetPurchase(const domain::Partner& partner,
                                                   const std::string& receipt_id) override;
  domain::Result<domain::RefundResult> RefundPurchase(const domain::Partner& partner,
                                                      const domain::RefundCommand& command,
                                                      domain::Timestamp now,
                                                      domain::Timestamp grace_expires_at) override;
  domain::Result<std::optional<domain::MemberProfile>> GetMemberProfile(
      domain::MemberId member, domain::PartnerId partner) override;
  domain::Result<std::vector<domain::MemberId>> FindMembersByContact(
      domain::PartnerId partner, const std::string& email, const std::string& phone) override;
  domain::Result<domain::PiiRotationStep> RotatePiiKeys(int batch_size, bool legacy_only) override;
  domain::Result<domain::Ok> AddTierTable(const domain::TierTable& table) override;
  domain::Result<TierTables> ListTierTables(domain::Timestamp now) override;
  domain::Result<TierReviewStep> ReviewTiers(domain::Timestamp now, domain::MemberId after,
                                             int limit) override;

  // The statement timeout inside Verify's transaction, instead of the
  // pool's (DatabaseOptions::statement_timeout); 0 means none.
  void SetVerifyStatementTimeout(std::chrono::milliseconds timeout) {
    verify_statement_timeout_ = timeout;
  }

 private:
  Database& database_;
  const crypto::PiiKeyRing& pii_keys_;
  std::chrono::milliseconds verify_statement_timeout_{10 * 60 * 1000};
};

// Inserts `profile` for a new member, sealed under the active key
// (pg_profile_store.cc); part of the enrolment transaction.
void InsertSealedProfile(pqxx::work& tx, const crypto::PiiKeyRing& keys, domain::MemberId member,
                         domain::PartnerId partner, const domain::MemberProfile& profile);

class PgPartnerStore final : public service::PartnerStore {
 public:
  explicit PgPartnerStore(Database& database) : database_(database) {}

  domain::Result<std::pair<domain::Partner, domain::ApiKeyRecord>> CreatePartner(
      const domain::NewPartner& partner, const std::string& key_hash,
      const std::string& key_prefix) override;
  domain::Result<std::vector<domain::Partner>> ListPartners(domain::PartnerId after,
                                                            int limit) override;
  domain::Result<domain::Partner> FindPartnerById(domain::PartnerId id) override;
  domain::Result<domain::Partner> FindPartnerByCode(const std::string& code) override;
  domain::Result<domain::Partner> FindPartnerByKeyHash(const std::string& key_hash) override;
  domain::Result<domain::ApiKeyRecord> CreateApiKey(domain::PartnerId partner,
                                                    const std::string& key_hash,
                                                    const std::string& key_prefix) override;
  domain::Result<domain::ApiKeyRecord> RevokeApiKey(int64_t key_id) override;
  domain::Result<domain::Ok> SetRedemptionPolicy(domain::PartnerId partner,
                                                 const domain::RedemptionPolicy& policy) override;
  domain::Result<std::optional<domain::RedemptionPolicy>> FindRedemptionPolicy(
      domain::PartnerId partner) override;
  domain::Result<domain::Ok> SetEarnRules(domain::PartnerId partner,
                                          domain::Timestamp effective_from,
                                          const domain::EarnRules& rules) override;
  domain::Result<int64_t> CreateCampaign(const domain::NewCampaign& campaign) override;
  domain::Result<domain::ClientCertificateRecord> RegisterClientCertificate(
      domain::PartnerId partner, domain::CertificateMatch match,
      const std::string& identity) override;
  domain::Result<domain::ClientCertificateRecord> RevokeClientCertificate(
      int64_t certificate_id) override;
  domain::Result<std::vector<domain::ClientCertificateRecord>> ListClientCertificates(
      std::optional<domain::PartnerId> partner, int64_t after, int limit) override;
  domain::Result<domain::Partner> FindPartnerByClientCertificate(
      const domain::PeerCertificate& peer) override;

 private:
  domain::Result<domain::Partner> FindPartnerWhere(const char* statement,
                                                   const std::string& argument);
  Database& database_;
};

class PgSettlementStore final : public service::SettlementStore {
 public:
  explicit PgSettlementStore(Database& database) : database_(database) {}

  domain::Result<RunOutcome> RunSettlement(
      const domain::settlement::RunCommand& command) override;
  domain::Result<domain::settlement::BatchContents> GetBatch(int64_t batch_id) override;
  domain::Result<std::vector<domain::settlement::Batch>> ListBatches(int64_t before,
                                                                      int limit) override;
  domain::Result<domain::settlement::EconomicsPeriod> SetEconomics(
      const domain::settlement::EconomicsPeriod& period) override;
  domain::Result<std::vector<domain::settlement::EconomicsPeriod>> ListEconomics(
      domain::PartnerId partner) override;

 private:
  Database& database_;
};

class PgAuditLog final : public service::AuditLog {
 public:
  explicit PgAuditLog(Database& database) : database_(database) {}

  domain::Result<int64_t> Append(const domain::AuditRecord& record) override;
  domain::Result<std::vector<domain::AuditRecord>> List(int64_t before, int limit) override;

 private:
  Database& database_;
};

class PgBonusStore final : public service::BonusStore {
 public:
  explicit PgBonusStore(Database& database) : database_(database) {}

  domain::Result<domain::BonusGrant> CreateGrant(const domain::NewBonusGrant& grant) override;
  domain::Result<std::vector<domain::MemberId>> PendingGrantMembers(int64_t grant_id,
                                                                    int limit) override;
  domain::Result<bool> CreditGrantMember(
      int64_t grant_id, domain::MemberId member,
      std::optional<domain::Timestamp> lot_expires_at) override;
  domain::Result<domain::BonusGrant> GetGrant(int64_t grant_id) override;
  domain::Result<std::vector<domain::CohortView>> RedemptionCohorts(
      domain::Timestamp from, domain::Timestamp as_of) override;
  domain::Result<domain::PartnerId> FindPartnerId(std::optional<domain::PartnerId> id,
                                                  const std::string& code) override;
  domain::Result<std::vector<domain::EarnRulesVersion>> EarnRulesVersions(
      domain::PartnerId partner) override;
  domain::Result<std::vector<domain::CampaignView>> ListCampaigns(const std::string& partner_code,
                                                                  int64_t after,
                                                                  int limit) override;

 private:
  Database& database_;
};

}  // namespace coalition::storage

// --- tiers (pg_tier_store.cc): steps of the accrual's and GetMember's
// transactions ---------------------------------------------------------------

namespace coalition::storage {

// A member's tier under the tier table in force, read with the member row
// locked. `tiers` is empty when no table is in force.
struct LockedTier {
  std::vector<domain::TierRule> tiers;
  int64_t grace_days = 0;
  domain::MemberTier held;
};
LockedTier LockMemberTier(pqxx::transaction_base& tx, domain::MemberId member,
                          domain::Timestamp now);
// Adds qualifying points (negative: a clawback) in the month of `now`;
// returns the member's rolling 12 months' total.
int64_t AddQualifyingPoints(pqxx::transaction_base& tx, domain::MemberId member, int64_t points,
                            domain::Timestamp now);
void StoreMemberTier(pqxx::transaction_base& tx, domain::MemberId member,
                     const domain::MemberTier& tier, domain::Timestamp now, bool by_review);
// Fills the member's tier, qualifying points and progress as of `now`.
void FillMemberTier(pqxx::transaction_base& tx, domain::MemberView& member,
                    domain::Timestamp now);

}  // namespace coalition::storage
