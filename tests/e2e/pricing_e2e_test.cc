#include <map>

#include "coalition/sdk/partner_client.h"
#include "e2e/e2e_fixture.h"

namespace coalition::testing {
namespace {

class PricingE2eTest : public E2eFixture {
 protected:
  grpc::Status SetPolicy(const std::string& partner_code, const v1::RedemptionPolicy& policy,
                         v1::RedemptionPolicyResponse* response) {
    v1::SetRedemptionPolicyRequest request;
    request.set_partner_code(partner_code);
    *request.mutable_policy() = policy;
    return AdminStub()->SetRedemptionPolicy(Context(kOperatorKey).get(), request, response);
  }

  grpc::Status Quote(const std::string& key, int64_t price_minor, const std::string& card,
                     v1::QuotePriceResponse* response) {
    v1::QuotePriceRequest request;
    request.mutable_price()->set_currency_code("USD");
    request.mutable_price()->set_amount_minor(price_minor);
    if (!card.empty()) request.set_card_number(card);
    return PartnerStub()->QuotePrice(Context(key).get(), request, response);
  }
};

TEST_F(PricingE2eTest, QuoteFollowsThePartnersPolicyAndTheMembersPoints) {
  const auto store = CreatePartner("store", 1, 100);  // 1 point per dollar of cash
  v1::RedemptionPolicy policy;
  policy.set_point_value_micros(5'000);  // half a cent
  policy.set_block_size_points(2'000);   // $10 blocks
  policy.set_max_points_share_bps(10'000);
  policy.add_split_points_share_bps(8'000);
  policy.add_split_points_share_bps(6'000);
  policy.set_refund_policy(v1::REFUND_POLICY_PROPORTIONAL);
  v1::RedemptionPolicyResponse stored;
  auto status = SetPolicy("store", policy, &stored);
  ASSERT_TRUE(status.ok()) << sdk::FormatError(status);
  EXPECT_TRUE(stored.configured());

  v1::QuotePriceResponse quote;
  ASSERT_TRUE(Quote(store.api_key, 10'000, "", &quote).ok());
  ASSERT_EQ(quote.options_size(), 4);
  EXPECT_EQ(quote.options(0).kind(), v1::PAYMENT_OPTION_KIND_ALL_CASH);
  EXPECT_EQ(quote.options(0).points_earned(), 100);
  EXPECT_EQ(quote.options(1).kind(), v1::PAYMENT_OPTION_KIND_ALL_POINTS);
  EXPECT_EQ(quote.options(1).points(), 20'000);
  EXPECT_EQ(quote.options(2).cash().amount_minor(), 2'000);  // 80/20: $20 + 16,000 points
  EXPECT_EQ(quote.options(2).points(), 16'000);
  EXPECT_EQ(quote.options(2).points_earned(), 20);
  EXPECT_EQ(quote.options(3).points(), 12'000);
  for (const auto& option : quote.options()) {
    EXPECT_EQ(option.cash().amount_minor() * 10'000 + option.points() * 5'000, 10'000 * 10'000);
  }

  // The same through the partner SDK.
  sdk::Options options;
  options.endpoint = target_;
  options.tls = false;
  options.api_key = store.api_key;
  sdk::PartnerClient client(sdk::MakePartnerConnection(options));
  v1::QuotePriceRequest request;
  request.mutable_price()->set_currency_code("USD");
  request.mutable_price()->set_amount_minor(10'000);
  auto via_sdk = client.QuotePrice(request);
  ASSERT_TRUE(via_sdk.ok());
  EXPECT_EQ(via_sdk->SerializeAsString(), quote.SerializeAsString());

  // A member with 15,500 points sees only what they can afford, and their
  // maximum in whole blocks: 7 x 2,000.
  ASSERT_TRUE(Enroll(store.api_key, "QUOTE-CARD").ok());
  ASSERT_TRUE(Accrue(store.api_key, "seed", "QUOTE-CARD", 1'550'000).ok());
  ASSERT_TRUE(Quote(store.api_key, 10'000, "QUOTE-CARD", &quote).ok());
  EXPECT_EQ(quote.available_points(), 15'500);
  ASSERT_EQ(quote.options_size(), 3);
  EXPECT_EQ(quote.options(1).kind(), v1::PAYMENT_OPTION_KIND_SPLIT);
  EXPECT_EQ(quote.options(1).points(), 12'000);
  EXPECT_EQ(quote.options(2).kind(), v1::PAYMENT_OPTION_KIND_MAX_AFFORDABLE);
  EXPECT_EQ(quote.options(2).points(), 14'000);
  EXPECT_EQ(quote.options(2).cash().amount_minor(), 3'000);
}

TEST_F(PricingE2eTest, DefaultPolicyAndBadPoliciesAndPrices) {
  const auto store = CreatePartner("store", 1, 100);
  v1::GetRedemptionPolicyRequest get;
  get.set_partner_code("store");
  v1::RedemptionPolicyResponse current;
  ASSERT_TRUE(AdminStub()->GetRedemptionPolicy(Context(kOperatorKey).get(), get, &current).ok());
  EXPECT_FALSE(current.configured());
  EXPECT_EQ(current.policy().point_value_micros(), 8'000);  // the redemption rate

  const auto before = db_.Fingerprint();
  v1::RedemptionPolicy bad;
  bad.set_point_value_micros(0);
  bad.set_block_size_points(1);
  bad.set_refund_policy(v1::REFUND_POLICY_CASH_FIRST);
  v1::RedemptionPolicyResponse response;
  auto status = SetPolicy("store", bad, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Field(status), "point_value_micros");
  bad.set_point_value_micros(5'000);
  bad.set_refund_policy(v1::REFUND_POLICY_UNSPECIFIED);
  status = SetPolicy("store", bad, &response);
  EXPECT_EQ(Field(status), "policy.refund_policy");
  status = SetPolicy("nobody", bad, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(db_.Fingerprint(), before);

  v1::QuotePriceResponse quote;
  status = Quote(store.api_key, 0, "", &quote);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Field(status), "price.amount_minor");
  status = Quote(store.api_key, 500, "UNKNOWN-CARD", &quote);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(Reason(status), "MEMBER_NOT_FOUND");
  // Default policy: 1 point = 0.8 cent, so $5 = 625 points exactly.
  ASSERT_TRUE(Quote(store.api_key, 500, "", &quote).ok());
  ASSERT_GE(quote.options_size(), 2);
  EXPECT_EQ(quote.options(1).points(), 625);
}

// The till flow a partner builds with the SDK: quote a price, hold the
// points of the chosen option, capture them towards the receipt, accrue the
// cash part on the same receipt, then refund it in two steps.
TEST_F(PricingE2eTest, TillQuotesHoldsCapturesAndRefundsAPurchaseThroughTheSdk) {
  const auto store = CreatePartner("grandstore", 1, 100);  // 1 point per dollar of cash
  v1::RedemptionPolicy policy;
  policy.set_point_value_micros(5'000);  // half a cent
  policy.set_block_size_points(2'000);   // $10 blocks
  policy.set_max_points_share_bps(10'000);
  policy.add_split_points_share_bps(6'000);
  policy.set_refund_policy(v1::REFUND_POLICY_PROPORTIONAL);
  v1::RedemptionPolicyResponse stored;
  ASSERT_TRUE(SetPolicy("grandstore", policy, &stored).ok());
  ASSERT_TRUE(Enroll(store.api_key, "TILL-CARD").ok());
  ASSERT_TRUE(Accrue(store.api_key, "seed", "TILL-CARD", 2'000'000).ok());  // 20,000 points

  sdk::Options options;
  options.endpoint = target_;
  options.tls = false;
  options.api_key = store.api_key;
  sdk::PartnerClient till(sdk::MakePartnerConnection(options));

  // $100: the 60/40 split is 12,000 points + $40 cash.
  v1::QuotePriceRequest quote_request;
  quote_request.mutable_price()->set_currency_code("USD");
  quote_request.mutable_price()->set_amount_minor(10'000);
  quote_request.set_card_number("TILL-CARD");
  auto quote = till.QuotePrice(quote_request);
  ASSERT_TRUE(quote.ok());
  const v1::PaymentOption* split = nullptr;
  for (const auto& option : quote->options()) {
    if (option.kind() == v1::PAYMENT_OPTION_KIND_SPLIT) split = &option;
  }
  ASSERT_NE(split, nullptr);
  ASSERT_EQ(split->points(), 12'000);
  ASSERT_EQ(split->cash().amount_minor(), 4'000);

  v1::HoldPointsRequest hold;
  hold.set_card_number("TILL-CARD");
  hold.set_points(split->points());
  auto held = till.HoldPoints(hold);
  ASSERT_TRUE(held.ok());
  v1::CapturePointsRequest capture;
  capture.set_hold_id(held->hold().hold_id());
  capture.set_receipt_id("RCPT-1");
  auto captured = till.CapturePoints(capture);
  ASSERT_TRUE(captured.ok()) << sdk::FormatError(captured.error());
  v1::AccrueRequest cash;
  cash.set_card_number("TILL-CARD");
  *cash.mutable_amount() = split->cash();
  cash.set_receipt_id("RCPT-1");
  auto accrued = till.Accrue(cash);
  ASSERT_TRUE(accrued.ok());
  EXPECT_EQ(accrued->points_earned(), split->points_earned());
  EXPECT_EQ(accrued->balance(), 20'000 - 12'000 + 40);

  v1::GetPurchaseRequest get;
  get.set_receipt_id("RCPT-1");
  auto purchase = till.GetPurchase(get);
  ASSERT_TRUE(purchase.ok());
  EXPECT_EQ(purchase->purchase().price().amount_minor(), 10'000);
  EXPECT_EQ(purchase->purchase().points_paid(), 12'000);
  EXPECT_EQ(purchase->purchase().cash_paid().amount_minor(), 4'000);
  EXPECT_EQ(purchase->purchase().refund_policy(), v1::REFUND_POLICY_PROPORTIONAL);

  // One of two $50 items comes back: half the cash, half the points, half
  // the earned points.
  v1::RefundPurchaseRequest partial;
  partial.set_receipt_id("RCPT-1");
  partial.mutable_amount()->set_currency_code("USD");
  partial.mutable_amount()->set_amount_minor(5'000);
  auto first = till.RefundPurchase(partial);
  ASSERT_TRUE(first.ok()) << sdk::FormatError(first.error());
  EXPECT_EQ(first->cash_to_return().amount_minor(), 2'000);
  EXPECT_EQ(first->points_returned(), 6'000);
  EXPECT_EQ(first->points_clawed_back(), 20);
  EXPECT_EQ(first->balance(), 8'040 + 6'000 - 20);
  ExpectLedgerConsistent();

  // The other item comes back too; the till retries that call with the same
  // request_id and gets the stored answer, not a second refund.
  partial.set_request_id("refund-second-item");
  auto again = till.RefundPurchase(partial);
  ASSERT_TRUE(again.ok());
  auto repeat = till.RefundPurchase(partial);
  ASSERT_TRUE(repeat.ok());
  EXPECT_EQ(repeat->purchase().amount_refunded().amount_minor(), 10'000);
  EXPECT_EQ(repeat->balance(), 20'000);

  v1::RefundPurchaseRequest rest;
  rest.set_receipt_id("RCPT-1");
  auto done = till.RefundPurchase(rest);
  ASSERT_FALSE(done.ok());
  EXPECT_EQ(done.error().reason, "PURCHASE_FULLY_REFUNDED");
  EXPECT_EQ(GetMember(store.api_key, "TILL-CARD").balance(), 20'000);
  ExpectLedgerConsistent();
}

// The operator configures earn rules and a double-points weekend at the fuel
// partner over gRPC; the accrual's breakdown shows both, and the parts add
// up to the points earned.
TEST_F(PricingE2eTest, EarnRulesAndACampaignShowInTheAccrualBreakdown) {
  const auto fuel = CreatePartner("fuelco", 1, 100);
  v1::SetEarnRulesRequest rules;
  rules.set_partner_code("fuelco");
  rules.mutable_rules()->set_base_points(1);
  rules.mutable_rules()->set_base_per_amount_minor(100);
  auto* premium = rules.mutable_rules()->add_multipliers();
  premium->set_category("premium-fuel");
  premium->set_multiplier_bps(15'000);
  rules.mutable_rules()->add_excluded_categories("tobacco");
  v1::SetEarnRulesResponse set;
  auto status = AdminStub()->SetEarnRules(Context(kOperatorKey).get(), rules, &set);
  ASSERT_TRUE(status.ok()) << sdk::FormatError(status);

  v1::CreateCampaignRequest weekend;
  weekend.set_name("double points weekend");
  weekend.set_partner_code("fuelco");
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  weekend.mutable_starts_at()->set_seconds(now - 3600);
  weekend.mutable_ends_at()->set_seconds(now + 2 * 24 * 3600);
  weekend.set_multiplier_bps(10'000);
  weekend.set_budget_points(1'000'000);
  v1::CreateCampaignResponse campaign;
  status = AdminStub()->CreateCampaign(Context(kOperatorKey).get(), weekend, &campaign);
  ASSERT_TRUE(status.ok()) << sdk::FormatError(status);

  // $60: $40 premium fuel (1.5x), $10 tobacco (excluded), $10 other.
  ASSERT_TRUE(Enroll(fuel.api_key, "WEEKEND-1").ok());
  v1::AccrueRequest request;
  request.set_request_id("weekend-1");
  request.set_card_number("WEEKEND-1");
  request.mutable_amount()->set_currency_code("USD");
  request.mutable_amount()->set_amount_minor(6'000);
  auto* fuel_line = request.add_line_items();
  fuel_line->set_category("premium-fuel");
  fuel_line->mutable_amount()->set_currency_code("USD");
  fuel_line->mutable_amount()->set_amount_minor(4'000);
  auto* tobacco = request.add_line_items();
  tobacco->set_category("tobacco");
  tobacco->mutable_amount()->set_currency_code("USD");
  tobacco->mutable_amount()->set_amount_minor(1'000);
  v1::AccrueResponse accrued;
  status = PartnerStub()->Accrue(Context(fuel.api_key).get(), request, &accrued);
  ASSERT_TRUE(status.ok()) << sdk::FormatError(status);
  std::map<std::string, int64_t> parts;
  int64_t sum = 0;
  for (const auto& part : accrued.breakdown()) {
    parts[part.kind()] += part.points();
    sum += part.points();
  }
  EXPECT_EQ(parts["base"], 50);
  EXPECT_EQ(parts["multiplier"], 20);
  EXPECT_EQ(parts["campaign"], 50);
  EXPECT_EQ(sum, accrued.points_earned());
  EXPECT_EQ(accrued.points_earned(), 120);
  EXPECT_EQ(accrued.balance(), 120);
  ExpectLedgerConsistent();

  // Partners may not configure rules or campaigns.
  EXPECT_EQ(AdminStub()->SetEarnRules(Context(fuel.api_key).get(), rules, &set).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

}  // namespace
}  // namespace coalition::testing
