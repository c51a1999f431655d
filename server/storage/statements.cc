#include "storage/database.h"
#include "storage/queries.h"

namespace coalition::storage {

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
  connection.prepare("claim_request", sql::kClaimRequest);
  connection.prepare("find_request", sql::kFindRequest);
  connection.prepare("store_response", sql::kStoreResponse);
  connection.prepare("find_card", sql::kFindCard);
  connection.prepare("member_exists", sql::kMemberExists);
  connection.prepare("enroll_card", sql::kEnrollCard);
  connection.prepare("insert_profile", sql::kInsertProfile);
  connection.prepare("get_member", sql::kGetMember);
  connection.prepare("accrue", sql::kAccrue);
  connection.prepare("member_balance", sql::kMemberBalance);
  connection.prepare("debit_member", sql::kDebitMember);
  connection.prepare("member_available", sql::kMemberAvailable);
  connection.prepare("record_debit", sql::kRecordDebit);
  connection.prepare("list_transactions", sql::kListTransactions);
}

}  // namespace coalition::storage
