#pragma once

#include <string>

#include "domain/model.h"
#include "domain/refund.h"

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
void DecodeResult(const std::string& json, domain::RefundResult& result);

}  // namespace coalition::storage
