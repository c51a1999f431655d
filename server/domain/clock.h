#pragma once

#include <chrono>

namespace coalition::domain {

using Timestamp = std::chrono::time_point<std::chrono::system_clock, std::chrono::microseconds>;

// Injected wherever time matters so tests can control it.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual Timestamp Now() const = 0;
};

class SystemClock final : public Clock {
 public:
  Timestamp Now() const override {
    return std::chrono::time_point_cast<std::chrono::microseconds>(
        std::chrono::system_clock::now());
  }
};

}  // namespace coalition::domain
