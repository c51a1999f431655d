#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace coalition::sdk {

/// Parses a non-negative decimal amount in major units ("12.34") into integer
/// minor units (1234) exactly, without floating point. `fraction_digits` is
/// the currency's exponent (2 for USD/EUR, 0 for JPY). Accepts digits with an
/// optional '.' followed by 1..fraction_digits digits.
/// Throws std::invalid_argument for anything else (signs, exponents, more
/// decimals than the currency has, out of int64 range): a till must never
/// round a customer's amount silently.
std::int64_t ParseMinorUnits(std::string_view text, int fraction_digits = 2);

/// Formats minor units as a decimal in major units: 1234 -> "12.34".
std::string FormatMinorUnits(std::int64_t minor, int fraction_digits = 2);

}  // namespace coalition::sdk
