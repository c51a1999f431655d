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

}  // namespace coalition::service
