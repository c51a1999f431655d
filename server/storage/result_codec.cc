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
  return doc.dump();
}

void DecodeResult(const std::string& text, domain::AccrueResult& result) {
  const auto doc = json::parse(text);
  result.member_id = doc.at("member_id").get<int64_t>();
  result.points_earned = doc.at("points_earned").get<int64_t>();
  result.balance = doc.at("balance").get<int64_t>();
  result.member_enrolled = doc.at("member_enrolled").get<bool>();
  if (doc.contains("transfer_id")) result.transfer_id = doc.at("transfer_id").get<int64_t>();
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

}  // namespace coalition::storage
