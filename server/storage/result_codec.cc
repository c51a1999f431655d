#include "storage/result_codec.h"

#include <nlohmann/json.hpp>

namespace coalition::storage {

using nlohmann::json;

std::string EncodeResult(const domain::EnrollResult& result) {
  const auto& member = result.member;
  return json{{"member_id", member.id},
              {"card_numbers", member.card_numbers},
              {"balance", member.balance},
              {"held", member.held},
              {"enrolled_at_us", member.enrolled_at.time_since_epoch().count()}}
      .dump();
}

void DecodeResult(const std::string& text, domain::EnrollResult& result) {
  const auto doc = json::parse(text);
  auto& member = result.member;
  member.id = doc.at("member_id").get<int64_t>();
  member.card_numbers = doc.at("card_numbers").get<std::vector<std::string>>();
  member.balance = doc.at("balance").get<int64_t>();
  member.held = doc.at("held").get<int64_t>();
  member.enrolled_at =
      domain::Timestamp(std::chrono::microseconds(doc.at("enrolled_at_us").get<int64_t>()));
}

std::string EncodeResult(const domain::AccrueResult& result) {
  json doc{{"member_id", result.member_id},
           {"points_earned", result.points_earned},
           {"balance", result.balance},
           {"member_enrolled", result.member_enrolled}};
  if (result.transfer_id) doc["transfer_id"] = *result.transfer_id;
  if (!result.breakdown.empty()) {
    json parts = json::array();
    for (const auto& part : result.breakdown) {
      parts.push_back({{"kind", part.kind}, {"campaign_id", part.campaign_id}, {"points", part.points}});
    }
    doc["breakdown"] = parts;
  }
  return doc.dump();
}

void DecodeResult(const std::string& text, domain::AccrueResult& result) {
  const auto doc = json::parse(text);
  result.member_id = doc.at("member_id").get<int64_t>();
  result.points_earned = doc.at("points_earned").get<int64_t>();
  result.balance = doc.at("balance").get<int64_t>();
  result.member_enrolled = doc.at("member_enrolled").get<bool>();
  if (doc.contains("transfer_id")) result.transfer_id = doc.at("transfer_id").get<int64_t>();
  if (doc.contains("breakdown")) {
    for (const auto& part : doc.at("breakdown")) {
      result.breakdown.push_back({part.at("kind").get<std::string>(),
                                  part.at("campaign_id").get<int64_t>(),
                                  part.at("points").get<int64_t>()});
    }
  }
}

std::string EncodeResult(const domain::RedeemResult& result) {
  return json{{"transfer_id", result.transfer_id},
              {"member_id", result.member_id},
              {"points_redeemed", result.points_redeemed},
              {"balance", result.balance},
              {"available", result.available}}
      .dump();
}

void DecodeResult(const std::string& text, domain::RedeemResult& result) {
  const auto doc = json::parse(text);
  result.transfer_id = doc.at("transfer_id").get<int64_t>();
  result.member_id = doc.at("member_id").get<int64_t>();
  result.points_redeemed = doc.at("points_redeemed").get<int64_t>();
  result.balance = doc.at("balance").get<int64_t>();
  result.available = doc.at("available").get<int64_t>();
}

namespace {

json HoldToJson(const domain::HoldView& hold) {
  json doc{{"id", hold.id},
           {"member_id", hold.member_id},
           {"points", hold.points},
           {"status", static_cast<int>(hold.status)},
           {"created_at_us", hold.created_at.time_since_epoch().count()},
           {"expires_at_us", hold.expires_at.time_since_epoch().count()},
           {"captured_points", hold.captured_points},
           {"reference", hold.reference}};
  if (hold.capture_transfer_id) doc["capture_transfer_id"] = *hold.capture_transfer_id;
  return doc;
}

domain::HoldView HoldFromJson(const json& doc) {
  domain::HoldView hold;
  hold.id = doc.at("id").get<int64_t>();
  hold.member_id = doc.at("member_id").get<int64_t>();
  hold.points = doc.at("points").get<int64_t>();
  hold.status = static_cast<domain::HoldStatus>(doc.at("status").get<int>());
  hold.created_at =
      domain::Timestamp(std::chrono::microseconds(doc.at("created_at_us").get<int64_t>()));
  hold.expires_at =
      domain::Timestamp(std::chrono::microseconds(doc.at("expires_at_us").get<int64_t>()));
  hold.captured_points = doc.at("captured_points").get<int64_t>();
  hold.reference = doc.at("reference").get<std::string>();
  if (doc.contains("capture_transfer_id")) {
    hold.capture_transfer_id = doc.at("capture_transfer_id").get<int64_t>();
  }
  return hold;
}

}  // namespace

std::string EncodeResult(const domain::HoldResult& result) {
  return json{{"hold", HoldToJson(result.hold)}, {"available", result.available}}.dump();
}

void DecodeResult(const std::string& text, domain::HoldResult& result) {
  const auto doc = json::parse(text);
  result.hold = HoldFromJson(doc.at("hold"));
  result.available = doc.at("available").get<int64_t>();
}

std::string EncodeResult(const domain::CaptureResult& result) {
  return json{{"hold", HoldToJson(result.hold)},
              {"transfer_id", result.transfer_id},
              {"points_captured", result.points_captured},
              {"points_released", result.points_released},
              {"balance", result.balance},
              {"available", result.available}}
      .dump();
}

void DecodeResult(const std::string& text, domain::CaptureResult& result) {
  const auto doc = json::parse(text);
  result.hold = HoldFromJson(doc.at("hold"));
  result.transfer_id = doc.at("transfer_id").get<int64_t>();
  result.points_captured = doc.at("points_captured").get<int64_t>();
  result.points_released = doc.at("points_released").get<int64_t>();
  result.balance = doc.at("balance").get<int64_t>();
  result.available = doc.at("available").get<int64_t>();
}

std::string EncodeResult(const domain::VoidResult& result) {
  return json{{"hold", HoldToJson(result.hold)},
              {"points_released", result.points_released},
              {"available", result.available}}
      .dump();
}

void DecodeResult(const std::string& text, domain::VoidResult& result) {
  const auto doc = json::parse(text);
  result.hold = HoldFromJson(doc.at("hold"));
  result.points_released = doc.at("points_released").get<int64_t>();
  result.available = doc.at("available").get<int64_t>();
}

namespace {

json PurchaseToJson(const domain::PurchaseView& purchase) {
  const auto& totals = purchase.totals;
  json doc{{"receipt_id", purchase.receipt_id},
           {"member_id", purchase.member_id},
           {"currency_code", purchase.currency_code},
           {"price_minor", totals.price_minor},
           {"cash_paid_minor", totals.cash_paid_minor},
           {"points_paid", totals.points_paid},
           {"points_earned", totals.points_earned},
           {"amount_refunded_minor", totals.amount_refunded_minor},
           {"cash_returned_minor", totals.cash_returned_minor},
           {"points_returned", totals.points_returned},
           {"points_clawed_back", totals.points_clawed_back}};
  if (purchase.point_value_micros) doc["point_value_micros"] = *purchase.point_value_micros;
  if (purchase.refund_policy) doc["refund_policy"] = static_cast<int>(*purchase.refund_policy);
  return doc;
}

domain::PurchaseView PurchaseFromJson(const json& doc) {
  domain::PurchaseView purchase;
  auto& totals = purchase.totals;
  purchase.receipt_id = doc.at("receipt_id").get<std::string>();
  purchase.member_id = doc.at("member_id").get<int64_t>();
  purchase.currency_code = doc.at("currency_code").get<std::string>();
  totals.price_minor = doc.at("price_minor").get<int64_t>();
  totals.cash_paid_minor = doc.at("cash_paid_minor").get<int64_t>();
  totals.points_paid = doc.at("points_paid").get<int64_t>();
  totals.points_earned = doc.at("points_earned").get<int64_t>();
  totals.amount_refunded_minor = doc.at("amount_refunded_minor").get<int64_t>();
  totals.cash_returned_minor = doc.at("cash_returned_minor").get<int64_t>();
  totals.points_returned = doc.at("points_returned").get<int64_t>();
  totals.points_clawed_back = doc.at("points_clawed_back").get<int64_t>();
  if (doc.contains("point_value_micros")) {
    purchase.point_value_micros = doc.at("point_value_micros").get<int64_t>();
  }
  if (doc.contains("refund_policy")) {
    purchase.refund_policy = static_cast<domain::RefundPolicy>(doc.at("refund_policy").get<int>());
  }
  return purchase;
}

}  // namespace

std::string EncodeResult(const domain::RefundResult& result) {
  const auto& outcome = result.outcome;
  json doc{{"purchase", PurchaseToJson(result.purchase)},
           {"amount_refunded_minor", outcome.amount_refunded_minor},
           {"cash_to_return_minor", outcome.cash_to_return_minor},
           {"points_to_return", outcome.points_to_return},
           {"points_to_claw_back", outcome.points_to_claw_back},
           {"balance", result.balance},
           {"available", result.available},
           {"debt", result.debt}};
  if (result.refund_transfer_id) doc["refund_transfer_id"] = *result.refund_transfer_id;
  if (result.clawback_transfer_id) doc["clawback_transfer_id"] = *result.clawback_transfer_id;
  return doc.dump();
}

void DecodeResult(const std::string& text, domain::RefundResult& result) {
  const auto doc = json::parse(text);
  auto& outcome = result.outcome;
  result.purchase = PurchaseFromJson(doc.at("purchase"));
  outcome.amount_refunded_minor = doc.at("amount_refunded_minor").get<int64_t>();
  outcome.cash_to_return_minor = doc.at("cash_to_return_minor").get<int64_t>();
  outcome.points_to_return = doc.at("points_to_return").get<int64_t>();
  outcome.points_to_claw_back = doc.at("points_to_claw_back").get<int64_t>();
  result.balance = doc.at("balance").get<int64_t>();
  result.available = doc.at("available").get<int64_t>();
  result.debt = doc.at("debt").get<int64_t>();
  if (doc.contains("refund_transfer_id")) {
    result.refund_transfer_id = doc.at("refund_transfer_id").get<int64_t>();
  }
  if (doc.contains("clawback_transfer_id")) {
    result.clawback_transfer_id = doc.at("clawback_transfer_id").get<int64_t>();
  }
}

namespace {

const char* RoundingName(domain::EarnRounding rounding) {
  switch (rounding) {
    case domain::EarnRounding::kHalfEven: return "HALF_EVEN";
    case domain::EarnRounding::kUp: return "UP";
    case domain::EarnRounding::kDown: break;
  }
  return "DOWN";
}

domain::EarnRounding ParseRounding(const std::string& name) {
  if (name == "HALF_EVEN") return domain::EarnRounding::kHalfEven;
  if (name == "UP") return domain::EarnRounding::kUp;
  return domain::EarnRounding::kDown;
}

}  // namespace

std::string EncodeEarnRules(const domain::EarnRules& rules) {
  json multipliers = json::array();
  for (const auto& m : rules.multipliers) {
    multipliers.push_back({{"category", m.category}, {"sku", m.sku}, {"multiplier_bps", m.multiplier_bps}});
  }
  return json{{"base_points", rules.base.points},
              {"base_per_amount_minor", rules.base.per_amount_minor},
              {"multipliers", multipliers},
              {"excluded_categories", rules.excluded_categories},
              {"excluded_skus", rules.excluded_skus},
              {"min_spend_minor", rules.min_spend_minor},
              {"max_points_per_transaction", rules.max_points_per_transaction},
              {"rounding", RoundingName(rules.rounding)}}
      .dump();
}

domain::EarnRules DecodeEarnRules(const std::string& text) {
  const auto doc = json::parse(text);
  domain::EarnRules rules;
  rules.base.points = doc.at("base_points").get<int64_t>();
  rules.base.per_amount_minor = doc.at("base_per_amount_minor").get<int64_t>();
  for (const auto& m : doc.at("multipliers")) {
    rules.multipliers.push_back({m.at("category").get<std::string>(), m.at("sku").get<std::string>(),
                                 m.at("multiplier_bps").get<int32_t>()});
  }
  rules.excluded_categories = doc.at("excluded_categories").get<std::vector<std::string>>();
  rules.excluded_skus = doc.at("excluded_skus").get<std::vector<std::string>>();
  rules.min_spend_minor = doc.at("min_spend_minor").get<int64_t>();
  rules.max_points_per_transaction = doc.at("max_points_per_transaction").get<int64_t>();
  rules.rounding = ParseRounding(doc.at("rounding").get<std::string>());
  return rules;
}

std::vector<domain::CampaignOffer> DecodeCampaignOffers(const std::string& text) {
  std::vector<domain::CampaignOffer> offers;
  for (const auto& c : json::parse(text)) {
    domain::CampaignOffer offer;
    offer.campaign_id = c.at("campaign_id").get<int64_t>();
    offer.categories = c.at("categories").get<std::vector<std::string>>();
    offer.multiplier_bps = c.at("multiplier_bps").get<int32_t>();
    offer.fixed_points = c.at("fixed_points").get<int64_t>();
    offer.min_spend_minor = c.at("min_spend_minor").get<int64_t>();
    offers.push_back(std::move(offer));
  }
  return offers;
}

}  // namespace coalition::storage
