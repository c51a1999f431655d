#include "service/pricing_service.h"

#include "domain/currency.h"
#include "domain/validation.h"

namespace coalition::service {

domain::RedemptionPolicy EffectiveRedemptionPolicy(
    const domain::Partner& partner, const std::optional<domain::RedemptionPolicy>& configured) {
  if (configured) return *configured;
  domain::RedemptionPolicy policy;
  policy.point_value_micros = partner.redemption_rate_micros;
  return policy;
}

Result<domain::RedemptionPolicy> PricingService::PolicyInForce(const domain::Partner& partner) {
  auto configured = partners_.FindRedemptionPolicy(partner.id);
  if (!configured) return configured.error();
  auto policy = EffectiveRedemptionPolicy(partner, *configured);
  if (policy.point_value_micros <= 0) {
    return domain::Error::FailedPrecondition("REDEMPTION_NOT_CONFIGURED",
                                             "points have no value at this partner");
  }
  return policy;
}

Result<domain::PurchaseTerms> PricingService::PurchaseTermsFor(const domain::Partner& partner) {
  auto policy = PolicyInForce(partner);
  if (!policy) return policy.error();
  return domain::PurchaseTerms{ledger_.programme_currency(), policy->point_value_micros,
                               policy->refund_policy};
}

Result<PricingService::Quote> PricingService::QuotePrice(
    const domain::Partner& partner, const domain::Money& price,
    const std::optional<domain::MemberRef>& member) {
  if (auto e = domain::ValidateAmount(price, ledger_.programme_currency(), "price")) return *e;
  auto policy = PolicyInForce(partner);
  if (!policy) return policy.error();
  Quote quote;
  quote.point_value_micros = policy->point_value_micros;
  if (member) {
    auto view = ledger_.GetMember(*member);
    if (!view) return view.error();
    quote.available_points = std::max<int64_t>(0, view->available());
  }
  auto options = domain::QuotePrice(price.amount_minor,
                                    domain::MinorUnitMicros(ledger_.programme_currency()), *policy,
                                    partner.earn_rate, quote.available_points);
  if (!options) return options.error();
  quote.options = std::move(options).value();
  return quote;
}

}  // namespace coalition::service
