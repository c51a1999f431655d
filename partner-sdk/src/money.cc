#include "coalition/sdk/money.h"

#include <limits>
#include <stdexcept>

namespace coalition::sdk {

namespace {

constexpr int kMaxFractionDigits = 6;

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

[[noreturn]] void Reject(std::string_view text, const std::string& why) {
  throw std::invalid_argument("invalid amount \"" + std::string(text) + "\": " + why);
}

}  // namespace

std::int64_t ParseMinorUnits(std::string_view text, int fraction_digits) {
  if (fraction_digits < 0 || fraction_digits > kMaxFractionDigits) {
    throw std::invalid_argument("unsupported number of fraction digits");
  }
  const std::size_t dot = text.find('.');
  const std::string_view whole = text.substr(0, dot);
  const std::string_view fraction =
      dot == std::string_view::npos ? std::string_view() : text.substr(dot + 1);

  if (whole.empty()) Reject(text, "expected digits before the decimal point");
  if (dot != std::string_view::npos && fraction.empty()) {
    Reject(text, "expected digits after the decimal point");
  }
  for (char c : whole) {
    if (!IsDigit(c)) Reject(text, "expected a plain decimal number like 12.34");
  }
  for (char c : fraction) {
    if (!IsDigit(c)) Reject(text, "expected a plain decimal number like 12.34");
  }
  if (fraction.size() > static_cast<std::size_t>(fraction_digits)) {
    Reject(text, "more than " + std::to_string(fraction_digits) + " decimal places");
  }

  constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
  std::int64_t minor = 0;
  auto push_digit = [&](int digit) {
    if (minor > (kMax - digit) / 10) Reject(text, "too large");
    minor = minor * 10 + digit;
  };
  for (char c : whole) push_digit(c - '0');
  for (char c : fraction) push_digit(c - '0');
  for (std::size_t i = fraction.size(); i < static_cast<std::size_t>(fraction_digits); ++i) {
    push_digit(0);
  }
  return minor;
}

std::string FormatMinorUnits(std::int64_t minor, int fraction_digits) {
  if (fraction_digits < 0 || fraction_digits > kMaxFractionDigits) {
    throw std::invalid_argument("unsupported number of fraction digits");
  }
  // Work on the magnitude as unsigned so INT64_MIN has a representable abs.
  const bool negative = minor < 0;
  const std::uint64_t magnitude =
      negative ? ~static_cast<std::uint64_t>(minor) + 1 : static_cast<std::uint64_t>(minor);
  std::string digits = std::to_string(magnitude);
  const std::size_t width = static_cast<std::size_t>(fraction_digits);
  if (digits.size() <= width) digits.insert(0, width + 1 - digits.size(), '0');
  if (width > 0) digits.insert(digits.size() - width, 1, '.');
  return negative ? "-" + digits : digits;
}

}  // namespace coalition::sdk
