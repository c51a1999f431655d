#pragma once

#include <string>

#include "domain/model.h"
#include "domain/refund.h"
#include "domain/rules.h"

namespace coalition::storage {

// The stored form (JSON) of the results an idempotent retry gets back.
std::string EncodeResult(const domain::EnrollResult& result);
std::string EncodeResult(const domain::AccrueResult& result);
std::string EncodeResult(const domain::RedeemResult& result);
// Throw nlohmann::json::exception on a malformed document.
void DecodeResult(const std::string& json, domain::EnrollResult& result);
void DecodeResult(const std::string& json, domain::AccrueResult& result);
void DecodeResult(const std::string& json, domain::RedeemResult& result);
std::string EncodeResult(const domain::HoldResult& result);
std::string EncodeResult(const domain::CaptureResult& result);
std::string EncodeResult(const domain::VoidResult& result);
void DecodeResult(const std::string& json, domain::HoldResult& result);
void DecodeResult(const std::string& json, domain::CaptureResult& result);
void DecodeResult(const std::string& json, domain::VoidResult& result);
std::string EncodeResult(const domain::RefundResult& result);
// Earn rules as stored in earn_rules.rules, and live campaigns as
// kLiveEarnTerms returns them.
std::string EncodeEarnRules(const domain::EarnRules& rules);
domain::EarnRules DecodeEarnRules(const std::string& json);
std::vector<domain::CampaignOffer> DecodeCampaignOffers(const std::string& json);
void DecodeResult(const std::string& json, domain::RefundResult& result);

}  // namespace coalition::storage
