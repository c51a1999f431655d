// A bounded random-input driver (issue 9's fuzz target, without libFuzzer):
// seeded, so a failure reproduces, and bounded by iterations, never by time.
// COALITION_FUZZ_ITERATIONS raises the count for a longer local run.
#include <gtest/gtest.h>

#include <cstdlib>
#include <random>
#include <string>

#include "crypto/crypto.h"
#include "crypto/pii.h"
#include "domain/limits.h"
#include "domain/pricing.h"
#include "domain/validation.h"

namespace coalition::test {
namespace {

int Iterations(int fallback) {
  const char* text = std::getenv("COALITION_FUZZ_ITERATIONS");
  return text != nullptr ? std::max(1, std::atoi(text)) : fallback;
}

class Random {
 public:
  explicit Random(uint64_t seed) : engine_(seed) {}

  // Mostly edge values, sometimes anything.
  int64_t Int(int64_t low, int64_t high) {
    switch (Below(6)) {
      case 0: return low;
      case 1: return high;
      case 2: return Below(3) - 1;  // -1, 0, 1
      case 3: return Pick({INT64_MIN, INT64_MAX, domain::kMaxAmountMinor,
                           domain::kMaxAmountMinor + 1, 10'000, 100});
      default: return std::uniform_int_distribution<int64_t>(low, high)(engine_);
    }
  }
  // Usually inside [low, high] (edges included), sometimes anything.
  int64_t Mostly(int64_t low, int64_t high) {
    if (Below(10) == 0) return Int(low - 1, high + 1);
    if (Below(4) == 0) return Below(2) == 0 ? low : high;
    return std::uniform_int_distribution<int64_t>(low, high)(engine_);
  }
  int64_t Below(int64_t n) { return std::uniform_int_distribution<int64_t>(0, n - 1)(engine_); }
  int64_t Pick(std::initializer_list<int64_t> values) {
    return *(values.begin() + Below(static_cast<int64_t>(values.size())));
  }
  // Bytes of every kind: ASCII, controls, UTF-8 fragments, NUL, 0xFF.
  std::string Text(size_t max_length) {
    std::string text;
    const size_t length = static_cast<size_t>(Below(static_cast<int64_t>(max_length) + 1));
    for (size_t i = 0; i < length; ++i) {
      switch (Below(5)) {
        case 0: text += static_cast<char>(Below(256)); break;
        case 1: text += "\xC3\xA9"; break;
        case 2: text += static_cast<char>("-@.0aZ "[Below(7)]); break;
        case 3: text += static_cast<char>(0x80 + Below(64)); break;
        default: text += static_cast<char>('a' + Below(26)); break;
      }
    }
    return text;
  }

 private:
  std::mt19937_64 engine_;
};

// Products of two int64 values, checked without overflow.
__extension__ using Int128 = __int128;
Int128 Wide(int64_t value) { return static_cast<Int128>(value); }

TEST(FuzzTest, QuotePriceOptionsAreExactAndWithinPolicy) {
  Random random(20261123);
  const int iterations = Iterations(20'000);
  int quoted = 0;
  for (int i = 0; i < iterations; ++i) {
    domain::RedemptionPolicy policy;
    policy.point_value_micros = random.Mostly(1, 2'000'000);
    policy.block_size_points = random.Mostly(1, 1'000);
    policy.min_points = random.Mostly(0, 100'000);
    policy.max_points_share_bps = static_cast<int32_t>(random.Mostly(0, 10'000));
    policy.min_cash_minor = random.Mostly(0, 10'000);
    for (int s = static_cast<int>(random.Below(4)); s > 0; --s) {
      policy.split_points_share_bps.push_back(static_cast<int32_t>(random.Mostly(1, 10'000)));
    }
    const int64_t price = random.Mostly(1, 1'000'000);
    const domain::EarnRate earn{random.Mostly(1, 10), random.Mostly(1, 1'000)};
    std::optional<int64_t> available;
    if (random.Below(2) == 0) available = random.Mostly(-100, 10'000'000);
    SCOPED_TRACE("iteration " + std::to_string(i));

    const auto options = domain::QuotePrice(price, 10'000, policy, earn, available);
    if (!options) {
      EXPECT_EQ(options.error().code, domain::ErrorCode::kInvalidArgument);
      EXPECT_FALSE(options.error().field.empty());
      continue;
    }
    ++quoted;
    ASSERT_FALSE(options->empty());
    EXPECT_EQ(options->front().kind, domain::OptionKind::kAllCash);
    for (const auto& option : *options) {
      EXPECT_GE(option.cash_minor, 0);
      EXPECT_GE(option.points, 0);
      EXPECT_GE(option.points_earned, 0);
      // Exact: cash plus the points' value is the price, in integers.
      EXPECT_EQ(Wide(option.cash_minor) * 10'000 + Wide(option.points) * policy.point_value_micros,
                Wide(price) * 10'000);
      if (option.points == 0) continue;
      EXPECT_EQ(option.points % policy.block_size_points, 0);
      EXPECT_GE(option.points, policy.min_points);
      EXPECT_LE(option.points, domain::kMaxPointsPerRequest);
      EXPECT_LE(Wide(option.points) * policy.point_value_micros * 10'000,
                Wide(price) * 10'000 * policy.max_points_share_bps);
      EXPECT_GE(option.cash_minor, policy.min_cash_minor);
      if (available) {
        EXPECT_LE(option.points, std::max<int64_t>(*available, 0));
      }
    }
  }
  // The driver must reach valid policies too, not only rejections.
  EXPECT_GT(quoted, iterations / 20);
}

TEST(FuzzTest, ValidatorsNeverAcceptWhatTheyShouldRefuse) {
  Random random(9);
  const int iterations = Iterations(20'000);
  for (int i = 0; i < iterations; ++i) {
    domain::AccrueCommand accrue;
    accrue.key.request_id = random.Text(70);
    accrue.card_number = random.Text(40);
    accrue.amount = {random.Below(4) == 0 ? "EUR" : "USD", random.Int(-5, 2'000'000'000'000)};
    accrue.store_id = random.Text(140);
    accrue.receipt_id = random.Text(140);
    for (int n = static_cast<int>(random.Below(3)); n > 0; --n) {
      accrue.line_items.push_back(
          {random.Text(20), random.Text(20), {"USD", random.Int(-5, 1'000'000'000'001)}});
    }
    if (!domain::ValidateAccrue(accrue, "USD")) {
      // Accepted: every field within its limits.
      EXPECT_EQ(accrue.amount.currency_code, "USD");
      EXPECT_GT(accrue.amount.amount_minor, 0);
      EXPECT_LE(accrue.amount.amount_minor, domain::kMaxAmountMinor);
      EXPECT_FALSE(accrue.key.request_id.empty());
      EXPECT_LE(accrue.key.request_id.size(), 64u);
      EXPECT_TRUE(domain::IsValidUtf8(accrue.store_id));
      EXPECT_LE(accrue.store_id.size(), 128u);
      int64_t total = 0;
      for (const auto& item : accrue.line_items) {
        EXPECT_GT(item.amount.amount_minor, 0);
        total += item.amount.amount_minor;
      }
      EXPECT_LE(total, accrue.amount.amount_minor);
    }
    const domain::MemberProfile profile{random.Text(210), random.Text(30), random.Text(260),
                                        random.Text(40), random.Text(12)};
    if (!domain::ValidateProfile(profile)) {
      EXPECT_TRUE(profile.date_of_birth.empty() ||
                  domain::IsCalendarDate(profile.date_of_birth));
      for (const auto& field : {profile.given_name, profile.family_name, profile.email,
                                profile.phone}) {
        EXPECT_TRUE(domain::IsValidUtf8(field));
        for (char c : field) EXPECT_GE(static_cast<unsigned char>(c), 0x20);
      }
      EXPECT_TRUE(profile.email.empty() || profile.email.find('@') != std::string::npos);
    }
  }
}

TEST(FuzzTest, SealedPiiRoundTripsAndAnyCorruptionIsCaught) {
  Random random(77);
  const crypto::PiiKeyRing keys({{"k", crypto::RandomBytes(32)}}, "k", crypto::RandomBytes(32));
  const int iterations = Iterations(5'000);
  for (int i = 0; i < iterations; ++i) {
    const std::string value = random.Text(300);
    const int64_t member = random.Int(1, INT64_MAX);
    const auto sealed = keys.Seal(member, "email", value);
    ASSERT_EQ(keys.Open(member, "email", "k", sealed), value);
    auto corrupted = sealed;
    const auto at = static_cast<size_t>(random.Below(static_cast<int64_t>(sealed.size())));
    corrupted[at] = static_cast<char>(corrupted[at] ^ (1 + random.Below(255)));
    ASSERT_FALSE(keys.Open(member, "email", "k", corrupted).has_value());
    // Arbitrary bytes never open (and never crash the parser).
    ASSERT_FALSE(keys.Open(member, "email", "k", random.Text(60)).has_value());
  }
}

}  // namespace
}  // namespace coalition::test
