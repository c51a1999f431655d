#pragma once

#include <cstdint>
#include <string_view>

namespace coalition::domain {

// Decimal places of an ISO 4217 currency's minor unit: 2 unless listed.
inline int MinorUnitDigits(std::string_view code) {
  constexpr std::string_view kZero[] = {"BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW",
                                        "PYG", "RWF", "UGX", "VND", "VUV", "XAF", "XOF", "XPF"};
  constexpr std::string_view kThree[] = {"BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"};
  for (auto zero : kZero) {
    if (code == zero) return 0;
  }
  for (auto three : kThree) {
    if (code == three) return 3;
  }
  return 2;
}

// Micro-units (10^-6 of the major unit) in one minor unit: 10'000 for USD.
inline int64_t MinorUnitMicros(std::string_view code) {
  int64_t micros = 1'000'000;
  for (int i = 0; i < MinorUnitDigits(code); ++i) micros /= 10;
  return micros;
}

}  // namespace coalition::domain
