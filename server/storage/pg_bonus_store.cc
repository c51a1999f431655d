// Targeted bonuses (SPEC §3): a grant row fixes the segment's members when it
// is created; each member is then credited in a transaction of their own
// (no request writes two members' rows, SPEC §9), guarded by their row in
// bonus_grant_members, so a retry after a crash credits exactly the members
// still missing and two concurrent runs never credit anyone twice.
#include <algorithm>
#include <sstream>

#include <nlohmann/json.hpp>

#include "domain/rules.h"
#include "storage/pg_stores.h"
#include "storage/transaction_helpers.h"

namespace coalition::storage {

using domain::Error;
using domain::Result;

namespace {

const char* SegmentName(domain::GrantSegment segment) {
  return segment == domain::GrantSegment::kLapsing ? "LAPSING" : "TOP_SPENDERS";
}

template <typename Tx>
std::optional<domain::BonusGrant> LoadGrant(Tx& tx, const char* statement,
                                            const std::string& argument) {
  const auto rows = tx.exec_prepared(statement, argument);
  if (rows.empty()) return std::nullopt;
  const auto& row = rows[0];
  domain::BonusGrant grant;
  grant.id = row[0].template as<int64_t>();
  grant.terms.request_id = row[1].template as<std::string>();
  crypto::HexDecode(row[2].template as<std::string>(), grant.terms.request_hash);
  grant.terms.segment = row[3].template as<std::string>() == "LAPSING"
                            ? domain::GrantSegment::kLapsing
                            : domain::GrantSegment::kTopSpenders;
  grant.terms.top_percent = row[4].template as<int32_t>();
  if (!row[5].is_null()) grant.terms.spend_from = FromMicros(row[5].template as<int64_t>());
  if (!row[6].is_null()) grant.terms.spend_to = FromMicros(row[6].template as<int64_t>());
  grant.terms.lapsed_days = row[7].template as<int32_t>();
  grant.terms.as_of = FromMicros(row[8].template as<int64_t>());
  grant.terms.points = row[9].template as<int64_t>();
  grant.terms.reason = row[10].template as<std::string>();
  grant.terms.actor = row[11].template as<std::string>();
  grant.member_count = row[12].template as<int64_t>();
  grant.total_points = row[13].template as<int64_t>();
  grant.created_at = FromMicros(row[14].template as<int64_t>());
  grant.granted_members = row[15].template as<int64_t>();
  return grant;
}

// The earlier grant under this request_id, or REQUEST_ID_REUSED when its
// parameters differ.
Result<domain::BonusGrant> SameRequest(const domain::BonusGrant& existing,
                                       const domain::NewBonusGrant& requested) {
  if (existing.terms.request_hash != requested.request_hash) {
    return Error::AlreadyExists("REQUEST_ID_REUSED",
                                "request_id " + requested.request_id +
                                    " was used for another grant");
  }
  return existing;
}

// The segment's members as of the grant's time, in id order.
std::vector<domain::MemberId> SegmentMembers(pqxx::work& tx, const domain::NewBonusGrant& grant) {
  std::vector<domain::MemberId> members;
  if (grant.segment == domain::GrantSegment::kLapsing) {
    const auto since = grant.as_of - std::chrono::hours(24 * grant.lapsed_days);
    for (const auto& row : tx.exec_prepared("lapsing_members", ToMicros(since))) {
      members.push_back(row[0].as<int64_t>());
    }
    return members;
  }
  std::vector<std::pair<int64_t, int64_t>> spend;
  for (const auto& row : tx.exec_prepared("spend_by_member", ToMicros(grant.spend_from),
                                          ToMicros(grant.spend_to))) {
    spend.emplace_back(row[0].as<int64_t>(), row[1].as<int64_t>());
  }
  members = domain::TopSpenders(std::move(spend), grant.top_percent);
  std::sort(members.begin(), members.end());
  return members;
}

std::string ArrayLiteral(const std::vector<domain::MemberId>& ids) {
  std::ostringstream out;
  out << '{';
  for (size_t i = 0; i < ids.size(); ++i) out << (i == 0 ? "" : ",") << ids[i];
  out << '}';
  return out.str();
}

}  // namespace

Result<domain::BonusGrant> PgBonusStore::CreateGrant(const domain::NewBonusGrant& grant) {
  return database_.Transact<domain::BonusGrant>(
      "create_bonus_grant", [&](pqxx::work& tx) -> Result<domain::BonusGrant> {
        if (auto existing = LoadGrant(tx, "find_grant_by_request", grant.request_id)) {
          return SameRequest(*existing, grant);
        }
        const auto members = SegmentMembers(tx, grant);
        if (members.empty()) {
          return Error::FailedPrecondition("SEGMENT_EMPTY", "no member is in the segment");
        }
        const auto members_count = static_cast<int64_t>(members.size());
        auto total = domain::GrantTotalPoints(grant.points, members_count);
        if (!total) return total.error();
        const bool top = grant.segment == domain::GrantSegment::kTopSpenders;
        const auto inserted = tx.exec_prepared(
            "insert_grant", grant.request_id, crypto::HexEncode(grant.request_hash),
            SegmentName(grant.segment),
            top ? std::optional<int32_t>(grant.top_percent) : std::nullopt,
            top ? std::optional<int64_t>(ToMicros(grant.spend_from)) : std::nullopt,
            top ? std::optional<int64_t>(ToMicros(grant.spend_to)) : std::nullopt,
            top ? std::nullopt : std::optional<int32_t>(grant.lapsed_days), ToMicros(grant.as_of),
            grant.points, grant.reason, grant.actor, members_count, *total);
        if (inserted.empty()) {
          // A concurrent request with this request_id created it first.
          auto existing = LoadGrant(tx, "find_grant_by_request", grant.request_id);
          if (!existing) return Error::Internal("bonus grant vanished");
          return SameRequest(*existing, grant);
        }
        const auto id = inserted[0][0].as<int64_t>();
        tx.exec_prepared0("insert_grant_members", id, ArrayLiteral(members));
        auto created = LoadGrant(tx, "get_grant", std::to_string(id));
        if (!created) return Error::Internal("bonus grant vanished");
        return *created;
      });
}

Result<std::vector<domain::MemberId>> PgBonusStore::PendingGrantMembers(int64_t grant_id,
                                                                        int limit) {
  return database_.Read<std::vector<domain::MemberId>>(
      "pending_grant_members",
      [&](pqxx::nontransaction& tx) -> Result<std::vector<domain::MemberId>> {
        std::vector<domain::MemberId> members;
        for (const auto& row : tx.exec_prepared("pending_grant_members", grant_id, limit)) {
          members.push_back(row[0].as<int64_t>());
        }
        return members;
      });
}

Result<bool> PgBonusStore::CreditGrantMember(int64_t grant_id, domain::MemberId member,
                                             std::optional<domain::Timestamp> lot_expires_at) {
  return database_.Transact<bool>("credit_grant_member", [&](pqxx::work& tx) -> Result<bool> {
    const auto place = tx.exec_prepared("lock_grant_member", grant_id, member);
    if (place.empty()) return Error::NotFound("GRANT_MEMBER_NOT_FOUND", "not in this grant");
    if (place[0][0].as<bool>()) return false;
    const int64_t points = place[0][1].as<int64_t>();
    const auto operator_account = tx.exec_prepared1("operator_account")[0].as<int64_t>();
    const auto credited =
        tx.exec_prepared1("credit_member", member, operator_account, points, "BONUS",
                          std::optional<int64_t>(), std::optional<int64_t>(),
                          ToMicros(lot_expires_at), "grant:" + std::to_string(grant_id));
    tx.exec_prepared0("set_grant_transfer", grant_id, member, credited[0].as<int64_t>());
    if (credited[2].as<int64_t>() > 0) RepayDebt(tx, member);
    return true;
  });
}

Result<domain::BonusGrant> PgBonusStore::GetGrant(int64_t grant_id) {
  return database_.Read<domain::BonusGrant>(
      "get_grant", [&](pqxx::nontransaction& tx) -> Result<domain::BonusGrant> {
        auto grant = LoadGrant(tx, "get_grant", std::to_string(grant_id));
        if (!grant) return Error::NotFound("GRANT_NOT_FOUND", "no such bonus grant");
        return *grant;
      });
}

Result<std::vector<domain::CohortView>> PgBonusStore::RedemptionCohorts(domain::Timestamp from,
                                                                        domain::Timestamp as_of) {
  return database_.Read<std::vector<domain::CohortView>>(
      "redemption_cohorts",
      [&](pqxx::nontransaction& tx) -> Result<std::vector<domain::CohortView>> {
        std::vector<domain::CohortView> cohorts;
        for (const auto& row :
             tx.exec_prepared("redemption_cohorts", ToMicros(from), ToMicros(as_of))) {
          domain::CohortView view;
          view.month = FromMicros(row[0].as<int64_t>());
          view.cohort.issued = row[1].as<int64_t>();
          view.cohort.redeemed = row[2].as<int64_t>();
          view.cohort.expired = row[3].as<int64_t>();
          view.cohort.age_months = row[4].as<int>();
          cohorts.push_back(view);
        }
        return cohorts;
      });
}

Result<domain::PartnerId> PgBonusStore::FindPartnerId(std::optional<domain::PartnerId> id,
                                                      const std::string& code) {
  return database_.Read<domain::PartnerId>(
      "find_partner_id_by_ref", [&](pqxx::nontransaction& tx) -> Result<domain::PartnerId> {
        const auto rows = tx.exec_prepared("find_partner_id_by_ref", id, code);
        if (rows.empty()) return Error::NotFound("PARTNER_NOT_FOUND", "partner not found");
        return rows[0][0].as<int64_t>();
      });
}

Result<std::vector<domain::EarnRulesVersion>> PgBonusStore::EarnRulesVersions(
    domain::PartnerId partner) {
  return database_.Read<std::vector<domain::EarnRulesVersion>>(
      "earn_rules_versions",
      [&](pqxx::nontransaction& tx) -> Result<std::vector<domain::EarnRulesVersion>> {
        std::vector<domain::EarnRulesVersion> versions;
        for (const auto& row : tx.exec_prepared("earn_rules_versions", partner)) {
          versions.push_back(
              {FromMicros(row[0].as<int64_t>()), DecodeEarnRules(row[1].as<std::string>())});
        }
        return versions;
      });
}

Result<std::vector<domain::CampaignView>> PgBonusStore::ListCampaigns(
    const std::string& partner_code, int64_t after, int limit) {
  return database_.Read<std::vector<domain::CampaignView>>(
      "list_campaigns",
      [&](pqxx::nontransaction& tx) -> Result<std::vector<domain::CampaignView>> {
        std::vector<domain::CampaignView> campaigns;
        for (const auto& row : tx.exec_prepared("list_campaigns", partner_code, after, limit)) {
          domain::CampaignView view;
          view.id = row[0].as<int64_t>();
          view.campaign.name = row[1].as<std::string>();
          view.partner_code = row[2].as<std::string>();
          view.campaign.starts_at = FromMicros(row[3].as<int64_t>());
          view.campaign.ends_at = FromMicros(row[4].as<int64_t>());
          view.campaign.categories =
              nlohmann::json::parse(row[5].as<std::string>()).get<std::vector<std::string>>();
          view.campaign.multiplier_bps = row[6].as<int32_t>();
          view.campaign.fixed_points = row[7].as<int64_t>();
          view.campaign.min_spend_minor = row[8].as<int64_t>();
          view.campaign.operator_funded = row[9].as<std::string>() == "OPERATOR";
          view.campaign.budget_points = row[10].as<int64_t>();
          view.awarded_points = row[11].as<int64_t>();
          view.campaign.member_cap_points = row[12].as<int64_t>();
          view.campaign.first_at_brand = row[13].as<std::string>() == "FIRST_AT_BRAND";
          if (!row[14].is_null()) view.campaign.partner_id = row[14].as<int64_t>();
          campaigns.push_back(std::move(view));
        }
        return campaigns;
      });
}

}  // namespace coalition::storage
