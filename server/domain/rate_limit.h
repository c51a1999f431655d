#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <unordered_map>

namespace coalition::domain {

// Per-key token buckets (SPEC §8: request rate per partner). Each key starts
// with `burst` tokens and regains `per_second` tokens a second up to
// `burst`; a request takes one. Time is passed in by the caller (a steady
// clock in the server, a fake one in tests), so this holds no clock of its own.
class RateLimiter {
 public:
  using Clock = std::chrono::steady_clock;

  struct Decision {
    bool allowed = true;
    // When refused: how long until a token is available.
    std::chrono::nanoseconds retry_after{0};
  };

  // per_second > 0, burst >= 1.
  RateLimiter(double per_second, double burst);

  Decision TryAcquire(int64_t key, Clock::time_point now);

 private:
  struct Bucket {
    double tokens;
    Clock::time_point updated;
  };

  const double per_second_;
  const double burst_;
  std::mutex mutex_;
  std::unordered_map<int64_t, Bucket> buckets_;
};

}  // namespace coalition::domain
