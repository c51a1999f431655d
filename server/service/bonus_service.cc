#include "service/bonus_service.h"

#include <chrono>

namespace coalition::service {

using domain::Error;

namespace {
// Members credited per read of the pending list.
constexpr int kGrantBatch = 500;
}  // namespace

Result<domain::BonusGrant> BonusService::GrantTargetedBonus(domain::NewBonusGrant grant) {
  const auto now = clock_.Now();
  grant.as_of = now;
  if (auto e = domain::ValidateNewBonusGrant(grant)) return *e;
  auto created = store_.CreateGrant(grant);
  if (!created) return created.error();
  if (created->complete()) return created;
  std::optional<domain::Timestamp> lot_expires_at;
  if (rules_.lot_lifetime_days > 0) {
    lot_expires_at = now + std::chrono::hours(24 * rules_.lot_lifetime_days);
  }
  for (;;) {
    auto pending = store_.PendingGrantMembers(created->id, kGrantBatch);
    if (!pending) return pending.error();
    for (const auto member : *pending) {
      auto credited = store_.CreditGrantMember(created->id, member, lot_expires_at);
      if (!credited) return credited.error();
    }
    if (static_cast<int>(pending->size()) < kGrantBatch) break;
  }
  return store_.GetGrant(created->id);
}

Result<domain::BonusGrant> BonusService::GetGrant(int64_t grant_id) {
  if (grant_id <= 0) return Error::InvalidArgument("grant_id", "is not a grant id");
  return store_.GetGrant(grant_id);
}

Result<domain::RedemptionForecast> BonusService::Forecast(
    domain::Timestamp from, std::optional<domain::Timestamp> as_of) {
  const auto until = as_of.value_or(clock_.Now());
  if (until <= from) return Error::InvalidArgument("from", "must be before as_of");
  auto cohorts = store_.RedemptionCohorts(from, until);
  if (!cohorts) return cohorts.error();
  return domain::BuildRedemptionForecast(std::move(*cohorts));
}

Result<std::pair<domain::PartnerId, std::vector<domain::EarnRulesVersion>>>
BonusService::GetEarnRules(std::optional<domain::PartnerId> partner_id,
                           const std::string& partner_code) {
  if (partner_id.has_value() == !partner_code.empty()) {
    return Error::InvalidArgument("partner", "give one of partner_id or partner_code");
  }
  auto id = store_.FindPartnerId(partner_id, partner_code);
  if (!id) return id.error();
  auto versions = store_.EarnRulesVersions(*id);
  if (!versions) return versions.error();
  return std::make_pair(*id, std::move(*versions));
}

Result<std::vector<domain::CampaignView>> BonusService::ListCampaigns(
    const std::string& partner_code, int64_t after, int page_size) {
  if (page_size < 0 || page_size > domain::kMaxPageSize) {
    return Error::InvalidArgument("page_size", "must be between 0 and " +
                                                   std::to_string(domain::kMaxPageSize));
  }
  return store_.ListCampaigns(partner_code, after,
                              page_size == 0 ? domain::kDefaultPageSize : page_size);
}

}  // namespace coalition::service
