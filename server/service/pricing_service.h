#pragma once

#include <optional>
#include <vector>

#include "domain/pricing.h"
#include "domain/refund.h"
#include "service/ledger_service.h"
#include "service/ports.h"

namespace coalition::service {

// The policy in force for a partner: its own, or the default: a point is
// worth the partner's redemption rate, any number of points, up to the whole
// price, no fixed splits, proportional refunds.
domain::RedemptionPolicy EffectiveRedemptionPolicy(
    const domain::Partner& partner, const std::optional<domain::RedemptionPolicy>& configured);

// Cash-plus-points quotes at the till.
class PricingService {
 public:
  PricingService(PartnerStore& partners, LedgerService& ledger)
      : partners_(partners), ledger_(ledger) {}

  struct Quote {
    std::vector<domain::PaymentOption> options;
    int64_t point_value_micros = 0;
    std::optional<int64_t> available_points;
  };
  // `member`: quote for what this member can afford; none for anyone.
  Result<Quote> QuotePrice(const domain::Partner& partner, const domain::Money& price,
                           const std::optional<domain::MemberRef>& member);

  // The point value and refund policy a points payment towards a receipt
  // fixes for its purchase: the partner's policy in force now.
  Result<domain::PurchaseTerms> PurchaseTermsFor(const domain::Partner& partner);

 private:
  // The partner's effective policy; an error when its points have no value.
  Result<domain::RedemptionPolicy> PolicyInForce(const domain::Partner& partner);

  PartnerStore& partners_;
  LedgerService& ledger_;
};

}  // namespace coalition::service
