#pragma once

#include "domain/bonus.h"
#include "domain/clock.h"
#include "domain/model.h"
#include "domain/limits.h"
#include "service/ports.h"

namespace coalition::service {

// Targeted bonuses and the redemption-rate forecast (operator actions).
class BonusService {
 public:
  BonusService(BonusStore& store, const domain::Clock& clock, domain::ProgrammeRules rules = {})
      : store_(store), clock_(clock), rules_(rules) {}

  // Grants `grant.points` to every member of the segment, operator-funded,
  // one member per transaction (SPEC §9), and returns the grant. Idempotent
  // on request_id: a repeat returns the same grant, and one after a crash
  // half-way credits exactly the members still missing. `grant.as_of` is
  // set here (the service clock) for a new grant.
  Result<domain::BonusGrant> GrantTargetedBonus(domain::NewBonusGrant grant);
  Result<domain::BonusGrant> GetGrant(int64_t grant_id);
  // Cohorts of points earned in [from, as_of) and the forecast from them;
  // as_of unset: now.
  Result<domain::RedemptionForecast> Forecast(domain::Timestamp from,
                                              std::optional<domain::Timestamp> as_of);

  // Every version of a partner's earn rules (exactly one of id / code).
  Result<std::pair<domain::PartnerId, std::vector<domain::EarnRulesVersion>>> GetEarnRules(
      std::optional<domain::PartnerId> partner_id, const std::string& partner_code);
  // Campaigns after id `after`; page_size 0 means kDefaultPageSize.
  Result<std::vector<domain::CampaignView>> ListCampaigns(const std::string& partner_code,
                                                          int64_t after, int page_size);

 private:
  BonusStore& store_;
  const domain::Clock& clock_;
  const domain::ProgrammeRules rules_;
};

}  // namespace coalition::service
