#include "storage/database.h"
#include "storage/queries.h"

namespace coalition::storage {

namespace {

void PreparePiiStatements(pqxx::connection& connection) {
  const std::string profile_select = std::string("SELECT ") + sql::kProfileColumns;
  connection.prepare("insert_sealed_profile", sql::kInsertSealedProfile);
  connection.prepare("get_profile", profile_select + sql::kGetProfileWhere);
  connection.prepare("find_members_by_email_index", sql::kFindMembersByEmailIndex);
  connection.prepare("find_members_by_phone_index", sql::kFindMembersByPhoneIndex);
  connection.prepare("profiles_to_reseal", profile_select + sql::kProfilesToResealWhere);
  connection.prepare("reseal_profile", sql::kResealProfile);
  connection.prepare("count_profiles_to_reseal", sql::kCountProfilesToReseal);
  connection.prepare("append_audit", sql::kAppendAudit);
  connection.prepare("list_audit", sql::kListAudit);
}

void PrepareTierStatements(pqxx::connection& connection) {
  connection.prepare("lock_member_tier", sql::kLockMemberTier);
  connection.prepare("add_qualifying_points", sql::kAddQualifyingPoints);
  connection.prepare("qualifying_points", sql::kQualifyingPoints);
  connection.prepare("set_member_tier", sql::kSetMemberTier);
  connection.prepare("member_tier", sql::kMemberTier);
  connection.prepare("tier_review_candidates", sql::kTierReviewCandidates);
  connection.prepare("insert_tier_table", sql::kInsertTierTable);
  connection.prepare("insert_tier", sql::kInsertTier);
  connection.prepare("list_tier_tables", sql::kListTierTables);
}

void PrepareBonusStatements(pqxx::connection& connection) {
  const std::string grant_select =
      std::string("SELECT ") + sql::kGrantColumns + " FROM bonus_grants g ";
  connection.prepare("find_grant_by_request", grant_select + "WHERE g.request_id = $1");
  connection.prepare("get_grant", grant_select + "WHERE g.id = $1");
  connection.prepare("spend_by_member", sql::kSpendByMember);
  connection.prepare("lapsing_members", sql::kLapsingMembers);
  connection.prepare("insert_grant", sql::kInsertGrant);
  connection.prepare("insert_grant_members", sql::kInsertGrantMembers);
  connection.prepare("pending_grant_members", sql::kPendingGrantMembers);
  connection.prepare("lock_grant_member", sql::kLockGrantMember);
  connection.prepare("set_grant_transfer", sql::kSetGrantTransfer);
  connection.prepare("live_first_brand_campaigns", sql::kLiveFirstBrandCampaigns);
  connection.prepare("earned_at_brands", sql::kEarnedAtBrands);
  connection.prepare("claim_first_brand_award", sql::kClaimFirstBrandAward);
  connection.prepare("insert_campaign_of_kind", sql::kInsertCampaignOfKind);
  connection.prepare("redemption_cohorts", sql::kRedemptionCohorts);
  connection.prepare("find_partner_id_by_ref", sql::kFindPartnerIdByRef);
  connection.prepare("earn_rules_versions", sql::kEarnRulesVersions);
  connection.prepare("list_campaigns", sql::kListCampaigns);
}

}  // namespace

void PrepareStatements(pqxx::connection& connection) {
  const std::string partner_select = std::string("SELECT ") + sql::kPartnerColumns +
                                     " FROM partner_details ";
  connection.prepare("insert_partner", sql::kInsertPartner);
  connection.prepare("insert_partner_accounts", sql::kInsertPartnerAccounts);
  connection.prepare("insert_api_key", sql::kInsertApiKey);
  connection.prepare("revoke_api_key", sql::kRevokeApiKey);
  connection.prepare("find_partner_by_id", partner_select + "WHERE id = $1::bigint");
  connection.prepare("find_partner_by_code", partner_select + "WHERE code = $1");
  connection.prepare("find_partner_by_key_hash",
                     partner_select +
                         "WHERE id = (SELECT partner_id FROM api_keys "
                         "WHERE key_hash = decode($1, 'hex') AND revoked_at IS NULL)");
  connection.prepare("list_partners", partner_select + "WHERE id > $1 ORDER BY id LIMIT $2");
  connection.prepare("upsert_redemption_policy", sql::kUpsertRedemptionPolicy);
  connection.prepare("find_redemption_policy", sql::kFindRedemptionPolicy);
  connection.prepare("claim_request", sql::kClaimRequest);
  connection.prepare("find_request", sql::kFindRequest);
  connection.prepare("store_response", sql::kStoreResponse);
  connection.prepare("find_card", sql::kFindCard);
  connection.prepare("member_exists", sql::kMemberExists);
  connection.prepare("enroll_card", sql::kEnrollCard);
  connection.prepare("get_member", sql::kGetMember);
  connection.prepare("accrue", sql::kAccrue);
  connection.prepare("member_balance", sql::kMemberBalance);
  connection.prepare("debit_member", sql::kDebitMember);
  connection.prepare("member_available", sql::kMemberAvailable);
  connection.prepare("record_debit", sql::kRecordDebit);
  connection.prepare("list_transactions", sql::kListTransactions);
  const std::string hold_columns = sql::kHoldColumns;
  connection.prepare("expire_member_holds", sql::kExpireMemberHolds);
  connection.prepare("reserve_held", sql::kReserveHeld);
  connection.prepare("insert_hold", sql::kInsertHold);
  connection.prepare("find_hold", sql::kFindHold);
  connection.prepare("lock_member", sql::kLockMember);
  connection.prepare("lock_hold", "SELECT " + hold_columns +
                                      " FROM holds WHERE member_id = $1 AND id = $2 FOR UPDATE");
  connection.prepare("get_hold",
                     "SELECT " + hold_columns + " FROM holds WHERE member_id = $1 AND id = $2");
  connection.prepare("close_hold",
                     "UPDATE holds SET status = $3, captured_points = $4, capture_transfer_id = $5, "
                     "closed_at = " COALITION_SQL_TIME("$6") " WHERE member_id = $1 AND id = $2");
  connection.prepare("spend_held", sql::kSpendHeld);
  connection.prepare("release_held", sql::kReleaseHeld);
  connection.prepare("due_hold_members", sql::kDueHoldMembers);
  const std::string purchase_columns = sql::kPurchaseColumns;
  connection.prepare("find_purchase", "SELECT " + purchase_columns +
                                          " FROM purchases WHERE partner_id = $1 AND receipt_id = $2");
  connection.prepare("lock_purchase",
                     "SELECT " + purchase_columns +
                         " FROM purchases WHERE partner_id = $1 AND receipt_id = $2 FOR UPDATE");
  connection.prepare("add_purchase_cash", sql::kAddPurchaseCash);
  connection.prepare("add_purchase_points", sql::kAddPurchasePoints);
  connection.prepare("update_purchase_refunded", sql::kUpdatePurchaseRefunded);
  connection.prepare("record_refund", sql::kRecordRefund);
  connection.prepare("restorable_consumptions", sql::kRestorableConsumptions);
  connection.prepare("restore_lot", sql::kRestoreLot);
  connection.prepare("insert_grace_lot", sql::kInsertGraceLot);
  connection.prepare("insert_restoration", sql::kInsertRestoration);
  connection.prepare("claw_back", sql::kClawBack);
  connection.prepare("outstanding_clawbacks", sql::kOutstandingClawbacks);
  connection.prepare("open_lots", sql::kOpenLots);
  connection.prepare("repay_from_lot", sql::kRepayFromLot);
  connection.prepare("reduce_debt", sql::kReduceDebt);
  connection.prepare("grant_signup_bonus", sql::kGrantSignupBonus);
  connection.prepare("members_with_expiry", sql::kMembersWithExpiry);
  connection.prepare("lock_member_for_expiry", sql::kLockMemberForExpiry);
  connection.prepare("expiring_lots", sql::kExpiringLots);
  connection.prepare("expire_lot", sql::kExpireLot);
  connection.prepare("debit_expired", sql::kDebitExpired);
  connection.prepare("breakage_report", sql::kBreakageReport);
  connection.prepare("live_earn_terms", sql::kLiveEarnTerms);
  connection.prepare("open_accrual", sql::kOpenAccrual);
  connection.prepare("insert_earn_rules", sql::kInsertEarnRules);
  connection.prepare("lock_campaign", sql::kLockCampaign);
  connection.prepare("award_campaign", sql::kAwardCampaign);
  connection.prepare("credit_member", sql::kCreditMember);
  connection.prepare("operator_account", sql::kOperatorAccount);
  connection.prepare("insert_campaign", sql::kInsertCampaign);
  const std::string batch_select = std::string("SELECT ") + sql::kBatchColumns +
                                   " FROM settlement_batches WHERE status = 'CLOSED' ";
  const std::string economics_columns = sql::kEconomicsColumns;
  connection.prepare("lock_settlement", sql::kLockSettlement);
  connection.prepare("settlement_clock", sql::kSettlementClock);
  connection.prepare("find_batch_by_request", batch_select + "AND request_id = $1");
  connection.prepare("find_batch_by_cutoff",
                     batch_select + "AND cutoff = " COALITION_SQL_TIME("$1"));
  connection.prepare("get_batch", batch_select + "AND id = $1");
  connection.prepare("list_batches", batch_select + "AND id < $1 ORDER BY id DESC LIMIT $2");
  connection.prepare("open_batch", sql::kOpenBatch);
  connection.prepare("claim_and_aggregate", sql::kClaimAndAggregate);
  connection.prepare("close_batch", sql::kCloseBatch);
  connection.prepare("batch_activity", sql::kBatchActivity);
  connection.prepare("batch_partners", sql::kBatchPartners);
  connection.prepare("set_economics", sql::kSetEconomics + economics_columns);
  connection.prepare("list_economics", "SELECT " + economics_columns +
                                           " FROM partner_economics WHERE partner_id = $1 "
                                           "ORDER BY effective_from");
  PreparePiiStatements(connection);
  PrepareTierStatements(connection);
  connection.prepare("insert_client_certificate", sql::kInsertClientCertificate);
  connection.prepare("revoke_client_certificate", sql::kRevokeClientCertificate);
  connection.prepare("list_client_certificates", sql::kListClientCertificates);
  connection.prepare("find_client_certificate_partner", sql::kFindClientCertificatePartner);
  PrepareBonusStatements(connection);
}

}  // namespace coalition::storage
