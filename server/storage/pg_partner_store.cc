#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "crypto/crypto.h"
#include "storage/pg_stores.h"
#include "storage/queries.h"
#include "storage/transaction_helpers.h"

namespace coalition::storage {

using domain::Error;
using domain::Result;

namespace {

domain::Partner PartnerFromRow(const pqxx::row& row) {
  domain::Partner partner;
  partner.id = row[0].as<int64_t>();
  partner.code = row[1].as<std::string>();
  partner.display_name = row[2].as<std::string>();
  partner.earn_rate = {row[3].as<int64_t>(), row[4].as<int64_t>()};
  partner.issuance_price_micros = row[5].as<int64_t>();
  partner.redemption_rate_micros = row[6].as<int64_t>();
  partner.auto_enroll = row[7].as<bool>();
  partner.created_at = FromMicros(row[8].as<int64_t>());
  partner.issuance_account_id = row[9].as<int64_t>();
  partner.redemption_account_id = row[10].as<int64_t>();
  return partner;
}

domain::ApiKeyRecord ApiKeyFromRow(const pqxx::row& row) {
  domain::ApiKeyRecord key;
  key.id = row[0].as<int64_t>();
  key.partner_id = row[1].as<int64_t>();
  key.prefix = row[2].as<std::string>();
  key.created_at = FromMicros(row[3].as<int64_t>());
  if (!row[4].is_null()) key.revoked_at = FromMicros(row[4].as<int64_t>());
  return key;
}

Error PartnerNotFound() { return Error::NotFound("PARTNER_NOT_FOUND", "partner not found"); }

// Certificate matches as the database spells them.
const char* MatchName(domain::CertificateMatch match) {
  return match == domain::CertificateMatch::kSubjectAltName ? "SAN" : "SHA256_FINGERPRINT";
}

domain::ClientCertificateRecord ClientCertificateFromRow(const pqxx::row& row) {
  domain::ClientCertificateRecord record;
  record.id = row[0].as<int64_t>();
  record.partner_id = row[1].as<int64_t>();
  record.match = row[2].as<std::string>() == "SAN" ? domain::CertificateMatch::kSubjectAltName
                                                   : domain::CertificateMatch::kSha256Fingerprint;
  record.identity = row[3].as<std::string>();
  record.created_at = FromMicros(row[4].as<int64_t>());
  if (!row[5].is_null()) record.revoked_at = FromMicros(row[5].as<int64_t>());
  return record;
}

}  // namespace

Result<std::pair<domain::Partner, domain::ApiKeyRecord>> PgPartnerStore::CreatePartner(
    const domain::NewPartner& partner, const std::string& key_hash,
    const std::string& key_prefix) {
  using Created = std::pair<domain::Partner, domain::ApiKeyRecord>;
  return database_.Transact<Created>("create_partner", [&](pqxx::work& tx) -> Result<Created> {
    pqxx::result inserted;
    try {
      // A subtransaction would cost a round trip; the unique violation aborts
      // the whole transaction, which is what we want anyway.
      inserted = tx.exec_prepared("insert_partner", partner.code, partner.display_name,
                                  partner.earn_rate.points, partner.earn_rate.per_amount_minor,
                                  partner.issuance_price_micros, partner.redemption_rate_micros,
                                  partner.auto_enroll);
    } catch (const pqxx::unique_violation&) {
      return Error::AlreadyExists("PARTNER_CODE_TAKEN", "a partner with this code exists");
    }
    const auto id = inserted[0][0].as<int64_t>();
    tx.exec_prepared0("insert_partner_accounts", id);
    const auto key_row =
        tx.exec_prepared1("insert_api_key", id, crypto::HexEncode(key_hash), key_prefix);
    const auto partner_row = tx.exec_prepared1("find_partner_by_id", std::to_string(id));
    return Created{PartnerFromRow(partner_row), ApiKeyFromRow(key_row)};
  });
}

Result<std::vector<domain::Partner>> PgPartnerStore::ListPartners(domain::PartnerId after,
                                                                 int limit) {
  using Partners = std::vector<domain::Partner>;
  return database_.Read<Partners>("list_partners",
                                  [&](pqxx::nontransaction& tx) -> Result<Partners> {
                                    Partners partners;
                                    for (const auto& row :
                                         tx.exec_prepared("list_partners", after, limit)) {
                                      partners.push_back(PartnerFromRow(row));
                                    }
                                    return partners;
                                  });
}

Result<domain::Partner> PgPartnerStore::FindPartnerWhere(const char* statement,
                                                         const std::string& argument) {
  return database_.Read<domain::Partner>(
      statement, [&](pqxx::nontransaction& tx) -> Result<domain::Partner> {
        const auto rows = tx.exec_prepared(statement, argument);
        if (rows.empty()) return PartnerNotFound();
        return PartnerFromRow(rows[0]);
      });
}

Result<domain::Partner> PgPartnerStore::FindPartnerById(domain::PartnerId id) {
  return FindPartnerWhere("find_partner_by_id", std::to_string(id));
}

Result<domain::Partner> PgPartnerStore::FindPartnerByCode(const std::string& code) {
  return FindPartnerWhere("find_partner_by_code", code);
}

Result<domain::Partner> PgPartnerStore::FindPartnerByKeyHash(const std::string& key_hash) {
  return FindPartnerWhere("find_partner_by_key_hash", crypto::HexEncode(key_hash));
}

Result<domain::ApiKeyRecord> PgPartnerStore::CreateApiKey(domain::PartnerId partner,
                                                          const std::string& key_hash,
                                                          const std::string& key_prefix) {
  return database_.Transact<domain::ApiKeyRecord>(
      "create_api_key", [&](pqxx::work& tx) -> Result<domain::ApiKeyRecord> {
        if (tx.exec_prepared("find_partner_by_id", std::to_string(partner)).empty()) {
          return PartnerNotFound();
        }
        return ApiKeyFromRow(tx.exec_prepared1("insert_api_key", partner,
                                               crypto::HexEncode(key_hash), key_prefix));
      });
}

Result<domain::ApiKeyRecord> PgPartnerStore::RevokeApiKey(int64_t key_id) {
  return database_.Transact<domain::ApiKeyRecord>(
      "revoke_api_key", [&](pqxx::work& tx) -> Result<domain::ApiKeyRecord> {
        const auto rows = tx.exec_prepared("revoke_api_key", key_id);
        if (rows.empty()) return Error::NotFound("API_KEY_NOT_FOUND", "API key not found");
        return ApiKeyFromRow(rows[0]);
      });
}

Result<domain::Ok> PgPartnerStore::SetRedemptionPolicy(domain::PartnerId partner,
                                                       const domain::RedemptionPolicy& policy) {
  std::string splits = "{";
  for (size_t i = 0; i < policy.split_points_share_bps.size(); ++i) {
    if (i > 0) splits += ",";
    splits += std::to_string(policy.split_points_share_bps[i]);
  }
  splits += "}";
  return database_.Transact<domain::Ok>(
      "set_redemption_policy", [&](pqxx::work& tx) -> Result<domain::Ok> {
        tx.exec_prepared0("upsert_redemption_policy", partner, policy.point_value_micros,
                          policy.block_size_points, policy.min_points,
                          policy.max_points_share_bps, policy.min_cash_minor, splits,
                          RefundPolicyName(policy.refund_policy));
        return domain::Ok{};
      });
}

Result<std::optional<domain::RedemptionPolicy>> PgPartnerStore::FindRedemptionPolicy(
    domain::PartnerId partner) {
  using Found = std::optional<domain::RedemptionPolicy>;
  return database_.Read<Found>("find_redemption_policy",
                               [&](pqxx::nontransaction& tx) -> Result<Found> {
    const auto rows = tx.exec_prepared("find_redemption_policy", partner);
    if (rows.empty()) return Found{};
    const auto& row = rows[0];
    domain::RedemptionPolicy policy;
    policy.point_value_micros = row[0].as<int64_t>();
    policy.block_size_points = row[1].as<int64_t>();
    policy.min_points = row[2].as<int64_t>();
    policy.max_points_share_bps = row[3].as<int32_t>();
    policy.min_cash_minor = row[4].as<int64_t>();
    std::stringstream splits(row[5].as<std::string>());
    for (std::string split; std::getline(splits, split, ',');) {
      policy.split_points_share_bps.push_back(std::stoi(split));
    }
    policy.refund_policy = ParseRefundPolicy(row[6].as<std::string>());
    return Found{policy};
  });
}

Result<domain::Ok> PgPartnerStore::SetEarnRules(domain::PartnerId partner,
                                                domain::Timestamp effective_from,
                                                const domain::EarnRules& rules) {
  return database_.Transact<domain::Ok>("set_earn_rules", [&](pqxx::work& tx) -> Result<domain::Ok> {
    tx.exec_prepared0("insert_earn_rules", partner, ToMicros(effective_from), EncodeEarnRules(rules));
    return domain::Ok{};
  });
}

Result<int64_t> PgPartnerStore::CreateCampaign(const domain::NewCampaign& campaign) {
  return database_.Transact<int64_t>("create_campaign", [&](pqxx::work& tx) -> Result<int64_t> {
    const nlohmann::json categories = campaign.categories;
    return tx
        .exec_prepared1("insert_campaign_of_kind", campaign.name, campaign.partner_id,
                        ToMicros(campaign.starts_at), ToMicros(campaign.ends_at), categories.dump(),
                        campaign.multiplier_bps, campaign.fixed_points, campaign.min_spend_minor,
                        campaign.operator_funded ? "OPERATOR" : "PARTNER", campaign.budget_points,
                        campaign.member_cap_points,
                        campaign.first_at_brand ? "FIRST_AT_BRAND" : "PURCHASE")[0]
        .as<int64_t>();
  });
}

Result<domain::ClientCertificateRecord> PgPartnerStore::RegisterClientCertificate(
    domain::PartnerId partner, domain::CertificateMatch match, const std::string& identity) {
  return database_.Transact<domain::ClientCertificateRecord>(
      "register_client_certificate",
      [&](pqxx::work& tx) -> Result<domain::ClientCertificateRecord> {
        if (tx.exec_prepared("find_partner_by_id", std::to_string(partner)).empty()) {
          return PartnerNotFound();
        }
        const auto rows =
            tx.exec_prepared("insert_client_certificate", partner, MatchName(match), identity);
        if (rows.empty()) {
          return Error::AlreadyExists("CLIENT_CERTIFICATE_TAKEN",
                                      "this certificate identity is already mapped to a partner");
        }
        return ClientCertificateFromRow(rows[0]);
      });
}

Result<domain::ClientCertificateRecord> PgPartnerStore::RevokeClientCertificate(
    int64_t certificate_id) {
  return database_.Transact<domain::ClientCertificateRecord>(
      "revoke_client_certificate",
      [&](pqxx::work& tx) -> Result<domain::ClientCertificateRecord> {
        const auto rows = tx.exec_prepared("revoke_client_certificate", certificate_id);
        if (rows.empty()) {
          return Error::NotFound("CLIENT_CERTIFICATE_NOT_FOUND", "client certificate not found");
        }
        return ClientCertificateFromRow(rows[0]);
      });
}

Result<std::vector<domain::ClientCertificateRecord>> PgPartnerStore::ListClientCertificates(
    std::optional<domain::PartnerId> partner, int64_t after, int limit) {
  using Records = std::vector<domain::ClientCertificateRecord>;
  return database_.Read<Records>(
      "list_client_certificates", [&](pqxx::nontransaction& tx) -> Result<Records> {
        Records records;
        for (const auto& row :
             tx.exec_prepared("list_client_certificates", partner.value_or(0), after, limit)) {
          records.push_back(ClientCertificateFromRow(row));
        }
        return records;
      });
}

Result<domain::Partner> PgPartnerStore::FindPartnerByClientCertificate(
    const domain::PeerCertificate& peer) {
  return database_.Read<domain::Partner>(
      "find_partner_by_client_certificate",
      [&](pqxx::nontransaction& tx) -> Result<domain::Partner> {
        const auto partner_of = [&](const char* match,
                                    const std::string& identity) -> std::optional<int64_t> {
          const auto rows = tx.exec_prepared("find_client_certificate_partner", match, identity);
          if (rows.empty()) return std::nullopt;
          return rows[0][0].as<int64_t>();
        };
        // A pinned certificate says exactly who it is; names only when not pinned.
        std::optional<int64_t> partner;
        if (!peer.sha256_fingerprint.empty()) {
          partner = partner_of("SHA256_FINGERPRINT", peer.sha256_fingerprint);
        }
        if (!partner) {
          for (const auto& name : peer.subject_alt_names) {
            const auto named = partner_of("SAN", name);
            if (!named) continue;
            if (partner && *partner != *named) {
              return Error{domain::ErrorCode::kUnauthenticated, "CLIENT_CERTIFICATE_AMBIGUOUS",
                           "the client certificate's names are mapped to different partners",
                           {}};
            }
            partner = named;
          }
        }
        if (!partner) return PartnerNotFound();
        const auto rows = tx.exec_prepared("find_partner_by_id", std::to_string(*partner));
        if (rows.empty()) return PartnerNotFound();
        return PartnerFromRow(rows[0]);
      });
}

}  // namespace coalition::storage
