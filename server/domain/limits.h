#pragma once

#include <cstdint>

namespace coalition::domain {

// Upper bounds that keep every sum and product of the ledger far from int64
// overflow: 10^12 points or minor units per request, 10^15 per balance.
inline constexpr int64_t kMaxPointsPerRequest = 1'000'000'000'000;
inline constexpr int64_t kMaxAmountMinor = 1'000'000'000'000;
inline constexpr int64_t kMaxEarnRateTerm = 1'000'000'000;
inline constexpr int64_t kMaxRateMicros = 1'000'000'000;
inline constexpr int kMaxLineItems = 500;
inline constexpr int kMaxRequestIdLength = 64;
inline constexpr int kMaxShortTextLength = 128;
inline constexpr int kMaxNameLength = 200;
inline constexpr int kDefaultPageSize = 50;
inline constexpr int kMaxPageSize = 500;
inline constexpr int32_t kDefaultHoldTtlSeconds = 15 * 60;
inline constexpr int32_t kMaxHoldTtlSeconds = 7 * 24 * 60 * 60;
// How long refunded points whose lot expired meanwhile stay spendable.
inline constexpr int64_t kRefundGraceSeconds = 30 * 24 * 60 * 60;
// Member profiles re-sealed per transaction by key rotation.
inline constexpr int kDefaultPiiRotationBatch = 500;
inline constexpr int kMaxPiiRotationBatch = 10'000;

}  // namespace coalition::domain
