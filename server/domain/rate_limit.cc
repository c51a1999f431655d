#include "domain/rate_limit.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace coalition::domain {

RateLimiter::RateLimiter(double per_second, double burst)
    : per_second_(per_second), burst_(burst) {
  if (!(per_second > 0) || !(burst >= 1)) {
    throw std::invalid_argument("rate limit needs per_second > 0 and burst >= 1");
  }
}

RateLimiter::Decision RateLimiter::TryAcquire(int64_t key, Clock::time_point now) {
  std::lock_guard lock(mutex_);
  auto [bucket, created] = buckets_.try_emplace(key, Bucket{burst_, now});
  auto& state = bucket->second;
  if (!created && now > state.updated) {
    const double elapsed = std::chrono::duration<double>(now - state.updated).count();
    state.tokens = std::min(burst_, state.tokens + elapsed * per_second_);
    state.updated = now;
  }
  if (state.tokens >= 1.0) {
    state.tokens -= 1.0;
    return {};
  }
  const double wait_seconds = (1.0 - state.tokens) / per_second_;
  return {false, std::chrono::nanoseconds(static_cast<int64_t>(std::ceil(wait_seconds * 1e9)))};
}

}  // namespace coalition::domain
