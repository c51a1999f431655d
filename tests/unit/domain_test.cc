// Unit tests of server/domain: earn arithmetic, input validation, Result<T>.

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "domain/earn.h"
#include "domain/error.h"
#include "domain/limits.h"
#include "domain/model.h"
#include "domain/validation.h"

namespace coalition::domain::test {
namespace {

constexpr int64_t kInt64Max = std::numeric_limits<int64_t>::max();
constexpr int64_t kInt64Min = std::numeric_limits<int64_t>::min();

// What an INVALID_ARGUMENT error must look like.
struct ExpectedError {
  std::string field;
  std::string reason = "INVALID_ARGUMENT";
};

void ExpectInvalid(const std::optional<Error>& error, const ExpectedError& expected) {
  ASSERT_TRUE(error.has_value()) << "expected an error on field " << expected.field;
  EXPECT_EQ(error->code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(error->reason, expected.reason);
  EXPECT_EQ(error->field, expected.field);
  EXPECT_FALSE(error->message.empty());
}

void ExpectValid(const std::optional<Error>& error) {
  EXPECT_FALSE(error.has_value()) << "unexpected error on field '" << error->field
                                  << "': " << error->message << " (" << error->reason << ")";
}

// Names a parameterized test after its case (a lambda in the macro would
// shadow the macro's own `info` parameter).
template <typename Case>
std::string ParamName(const ::testing::TestParamInfo<Case>& param_info) {
  return std::string(param_info.param.name);
}

// ---------------------------------------------------------------------------
// Error and Result<T>

TEST(ErrorTest, FactoriesSetCodeReasonAndField) {
  const Error invalid = Error::InvalidArgument("card_number", "is required");
  EXPECT_EQ(invalid.code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(invalid.reason, "INVALID_ARGUMENT");
  EXPECT_EQ(invalid.message, "is required");
  EXPECT_EQ(invalid.field, "card_number");

  const Error custom = Error::InvalidArgument("amount", "too much", "POINTS_LIMIT_EXCEEDED");
  EXPECT_EQ(custom.reason, "POINTS_LIMIT_EXCEEDED");

  const Error not_found = Error::NotFound("MEMBER_NOT_FOUND", "member not found");
  EXPECT_EQ(not_found.code, ErrorCode::kNotFound);
  EXPECT_EQ(not_found.reason, "MEMBER_NOT_FOUND");
  EXPECT_EQ(not_found.message, "member not found");
  EXPECT_EQ(not_found.field, "");

  EXPECT_EQ(Error::FailedPrecondition("INSUFFICIENT_POINTS", "m").code,
            ErrorCode::kFailedPrecondition);
  EXPECT_EQ(Error::AlreadyExists("CARD_ALREADY_ENROLLED", "m").code, ErrorCode::kAlreadyExists);
  EXPECT_EQ(Error::Unavailable("DATABASE_UNAVAILABLE", "m").code, ErrorCode::kUnavailable);

  const Error internal = Error::Internal("boom");
  EXPECT_EQ(internal.code, ErrorCode::kInternal);
  EXPECT_EQ(internal.reason, "INTERNAL");
  EXPECT_EQ(internal.message, "boom");
  EXPECT_EQ(internal.field, "");
}

TEST(ResultTest, HoldsValue) {
  Result<int64_t> result(int64_t{42});
  ASSERT_TRUE(result.ok());
  EXPECT_TRUE(static_cast<bool>(result));
  EXPECT_EQ(result.value(), 42);
  EXPECT_EQ(*result, 42);
  *result = 7;
  EXPECT_EQ(result.value(), 7);
}

TEST(ResultTest, HoldsError) {
  Result<int64_t> result(Error::NotFound("MEMBER_NOT_FOUND", "member not found"));
  ASSERT_FALSE(result.ok());
  EXPECT_FALSE(static_cast<bool>(result));
  EXPECT_EQ(result.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(result.error().reason, "MEMBER_NOT_FOUND");
  EXPECT_THROW(static_cast<void>(result.value()), std::bad_variant_access);
}

TEST(ResultTest, ArrowAndMoveOut) {
  Result<std::string> result(std::string("hello"));
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->size(), 5u);
  result->append("!");
  const std::string moved = std::move(result).value();
  EXPECT_EQ(moved, "hello!");
}

TEST(ResultTest, AccessingErrorOfValueThrows) {
  const Result<Ok> result(Ok{});
  EXPECT_TRUE(result.ok());
  EXPECT_THROW(static_cast<void>(result.error()), std::bad_variant_access);
}

// ---------------------------------------------------------------------------
// PointsForAmount

struct PointsCase {
  const char* name;
  EarnRate rate;
  int64_t amount_minor;
  int64_t expected_points;
};

class PointsForAmountTest : public ::testing::TestWithParam<PointsCase> {};

TEST_P(PointsForAmountTest, ComputesFlooredPoints) {
  const PointsCase& c = GetParam();
  const Result<int64_t> points = PointsForAmount(c.rate, c.amount_minor);
  ASSERT_TRUE(points.ok()) << points.error().field << ": " << points.error().message;
  EXPECT_EQ(*points, c.expected_points);
}

INSTANTIATE_TEST_SUITE_P(
    Rates, PointsForAmountTest,
    ::testing::Values(
        // 1 point per 100 minor units (1 per dollar).
        PointsCase{"OnePer100_Exact", {1, 100}, 1000, 10},
        PointsCase{"OnePer100_RoundsDown", {1, 100}, 1999, 19},
        PointsCase{"OnePer100_BelowOne", {1, 100}, 99, 0},
        PointsCase{"OnePer100_ExactlyOne", {1, 100}, 100, 1},
        PointsCase{"OnePer100_Zero", {1, 100}, 0, 0},
        // 1 point per 600.
        PointsCase{"OnePer600_599", {1, 600}, 599, 0},
        PointsCase{"OnePer600_600", {1, 600}, 600, 1},
        PointsCase{"OnePer600_1799", {1, 600}, 1799, 2},
        PointsCase{"OnePer600_1800", {1, 600}, 1800, 3},
        // 2 points per 100.
        PointsCase{"TwoPer100_1999", {2, 100}, 1999, 39},
        PointsCase{"TwoPer100_50", {2, 100}, 50, 1},
        PointsCase{"TwoPer100_49", {2, 100}, 49, 0},
        // 3 points per 7: a rate with no exact decimal form.
        PointsCase{"ThreePer7_1", {3, 7}, 1, 0},
        PointsCase{"ThreePer7_3", {3, 7}, 3, 1},
        PointsCase{"ThreePer7_7", {3, 7}, 7, 3},
        PointsCase{"ThreePer7_100", {3, 7}, 100, 42},  // 300 / 7 = 42.86
        PointsCase{"ThreePer7_Large", {3, 7}, 700'000'000'000, 300'000'000'000},
        // The 128-bit intermediate: amount * points overflows int64 but the
        // quotient fits.
        PointsCase{"WideIntermediate",
                   {1'000'000'000, 1'000'000'000},
                   1'000'000'000'000,
                   1'000'000'000'000},
        PointsCase{"WideIntermediateRoundsDown",
                   {999'999'999, 1'000'000'000},
                   999'999'999'999,
                   999'999'998'999},
        // Exactly at the per-request limit is allowed.
        PointsCase{"AtLimit", {1'000'000'000, 1}, 1000, 1'000'000'000'000},
        PointsCase{"MaxRateOnOneMinorUnit", {1'000'000'000, 1}, 1, 1'000'000'000}),
    ParamName<PointsCase>);

TEST(PointsForAmountLimitTest, HugeAmountExceedsPointsLimit) {
  const Result<int64_t> points = PointsForAmount({1'000'000'000, 1}, 1'000'000'000'000);
  ASSERT_FALSE(points.ok());
  EXPECT_EQ(points.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(points.error().reason, "POINTS_LIMIT_EXCEEDED");
  EXPECT_EQ(points.error().field, "amount");
}

TEST(PointsForAmountLimitTest, OneOverLimitExceeds) {
  // 1001 * 10^9 = 1.001e12 points.
  const Result<int64_t> points = PointsForAmount({1'000'000'000, 1}, 1001);
  ASSERT_FALSE(points.ok());
  EXPECT_EQ(points.error().reason, "POINTS_LIMIT_EXCEEDED");
  EXPECT_EQ(points.error().field, "amount");
}

TEST(PointsForAmountLimitTest, Int64MaxAmountDoesNotOverflow) {
  const Result<int64_t> points = PointsForAmount({1'000'000'000, 1}, kInt64Max);
  ASSERT_FALSE(points.ok());
  EXPECT_EQ(points.error().reason, "POINTS_LIMIT_EXCEEDED");

  // A slow rate brings even INT64_MAX under the limit: floor(9.22e18 / 1e9).
  const Result<int64_t> slow = PointsForAmount({1, 1'000'000'000}, kInt64Max);
  ASSERT_TRUE(slow.ok());
  EXPECT_EQ(*slow, 9'223'372'036);
}

TEST(PointsForAmountLimitTest, NegativeAmountRejected) {
  for (int64_t amount : {int64_t{-1}, int64_t{-100}, kInt64Min}) {
    SCOPED_TRACE(amount);
    const Result<int64_t> points = PointsForAmount({1, 100}, amount);
    ASSERT_FALSE(points.ok());
    EXPECT_EQ(points.error().code, ErrorCode::kInvalidArgument);
    EXPECT_EQ(points.error().reason, "INVALID_ARGUMENT");
    EXPECT_EQ(points.error().field, "amount");
  }
}

TEST(PointsForAmountLimitTest, InvalidRateRejectedBeforeArithmetic) {
  const Result<int64_t> zero_divisor = PointsForAmount({1, 0}, 100);
  ASSERT_FALSE(zero_divisor.ok());
  EXPECT_EQ(zero_divisor.error().field, "earn_rate.per_amount_minor");

  const Result<int64_t> zero_points = PointsForAmount({0, 100}, 100);
  ASSERT_FALSE(zero_points.ok());
  EXPECT_EQ(zero_points.error().field, "earn_rate.points");
}

// ---------------------------------------------------------------------------
// ValidateEarnRate

struct EarnRateCase {
  const char* name;
  EarnRate rate;
  std::optional<std::string> error_field;  // nullopt: valid
};

class ValidateEarnRateTest : public ::testing::TestWithParam<EarnRateCase> {};

TEST_P(ValidateEarnRateTest, Checks) {
  const EarnRateCase& c = GetParam();
  const auto error = ValidateEarnRate(c.rate, "earn_rate");
  if (c.error_field) {
    ExpectInvalid(error, {*c.error_field});
  } else {
    ExpectValid(error);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Cases, ValidateEarnRateTest,
    ::testing::Values(
        EarnRateCase{"OnePer100", {1, 100}, std::nullopt},
        EarnRateCase{"BothMax", {kMaxEarnRateTerm, kMaxEarnRateTerm}, std::nullopt},
        EarnRateCase{"BothOne", {1, 1}, std::nullopt},
        EarnRateCase{"ZeroPoints", {0, 100}, "earn_rate.points"},
        EarnRateCase{"NegativePoints", {-1, 100}, "earn_rate.points"},
        EarnRateCase{"PointsOverMax", {kMaxEarnRateTerm + 1, 100}, "earn_rate.points"},
        EarnRateCase{"ZeroPer", {1, 0}, "earn_rate.per_amount_minor"},
        EarnRateCase{"NegativePer", {1, -100}, "earn_rate.per_amount_minor"},
        EarnRateCase{"PerOverMax", {1, kMaxEarnRateTerm + 1}, "earn_rate.per_amount_minor"},
        // Points are checked first.
        EarnRateCase{"BothBad", {0, 0}, "earn_rate.points"}),
    ParamName<EarnRateCase>);

TEST(ValidateEarnRateFieldTest, UsesGivenFieldPrefix) {
  ExpectInvalid(ValidateEarnRate({0, 1}, "partner.earn_rate"), {"partner.earn_rate.points"});
}

// ---------------------------------------------------------------------------
// ValidateRequestId

struct TextCase {
  const char* name;
  std::string text;
  bool valid;
};


class ValidateRequestIdTest : public ::testing::TestWithParam<TextCase> {};

TEST_P(ValidateRequestIdTest, Checks) {
  const TextCase& c = GetParam();
  const auto error = ValidateRequestId(c.text);
  if (c.valid) {
    ExpectValid(error);
  } else {
    ExpectInvalid(error, {"request_id"});
  }
}

INSTANTIATE_TEST_SUITE_P(
    Cases, ValidateRequestIdTest,
    ::testing::Values(TextCase{"Simple", "req-1", true},
                      TextCase{"AllAllowedPunctuation", "a.b_c:d-e", true},
                      TextCase{"SdkFormat", "req_0123456789abcdef0123456789abcdef", true},
                      TextCase{"OneChar", "x", true},
                      TextCase{"Exactly64", std::string(64, 'a'), true},
                      TextCase{"Empty", "", false},
                      TextCase{"Is65", std::string(65, 'a'), false},
                      TextCase{"Space", "req 1", false},
                      TextCase{"Slash", "req/1", false},
                      TextCase{"Backslash", "req\\1", false},
                      TextCase{"Plus", "req+1", false},
                      TextCase{"At", "req@1", false},
                      TextCase{"Newline", "req\n", false},
                      TextCase{"Nul", std::string("req\0x", 5), false},
                      TextCase{"Unicode", "r\xC3\xA9q", false},  // "réq"
                      TextCase{"Emoji", "req-\xF0\x9F\x98\x80", false}),
    ParamName<TextCase>);

// ---------------------------------------------------------------------------
// ValidateCardNumber

class ValidateCardNumberTest : public ::testing::TestWithParam<TextCase> {};

TEST_P(ValidateCardNumberTest, Checks) {
  const TextCase& c = GetParam();
  const auto error = ValidateCardNumber(c.text, "card_number");
  if (c.valid) {
    ExpectValid(error);
  } else {
    ExpectInvalid(error, {"card_number"});
  }
}

INSTANTIATE_TEST_SUITE_P(Cases, ValidateCardNumberTest,
                         ::testing::Values(TextCase{"Empty", "", false},
                                           TextCase{"Length3", "123", false},
                                           TextCase{"Length4", "1234", true},
                                           TextCase{"Length32", std::string(32, '9'), true},
                                           TextCase{"Length33", std::string(33, '9'), false},
                                           TextCase{"LettersAndDash", "CARD-abc-0001", true},
                                           TextCase{"Space", "1234 5678", false},
                                           TextCase{"Underscore", "1234_5678", false},
                                           TextCase{"Dot", "1234.5678", false},
                                           TextCase{"Slash", "1234/5678", false},
                                           TextCase{"Unicode", "1234\xC3\xA9", false}),
                         ParamName<TextCase>);

TEST(ValidateCardNumberFieldTest, UsesGivenField) {
  ExpectInvalid(ValidateCardNumber("x", "member.card_number"), {"member.card_number"});
}

// ---------------------------------------------------------------------------
// ValidatePoints

TEST(ValidatePointsTest, Bounds) {
  struct Case {
    int64_t points;
    bool valid;
  };
  const Case cases[] = {
      {0, false},
      {-1, false},
      {kInt64Min, false},
      {1, true},
      {1'000'000'000'000, true},
      {1'000'000'000'001, false},
      {kInt64Max, false},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.points);
    const auto error = ValidatePoints(c.points, "points");
    if (c.valid) {
      ExpectValid(error);
    } else {
      ExpectInvalid(error, {"points"});
    }
  }
}

// ---------------------------------------------------------------------------
// ValidateAmount

struct AmountCase {
  const char* name;
  Money amount;
  std::optional<ExpectedError> error;
};

class ValidateAmountTest : public ::testing::TestWithParam<AmountCase> {};

TEST_P(ValidateAmountTest, Checks) {
  const AmountCase& c = GetParam();
  const auto error = ValidateAmount(c.amount, "USD", "amount");
  if (c.error) {
    ExpectInvalid(error, *c.error);
  } else {
    ExpectValid(error);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Cases, ValidateAmountTest,
    ::testing::Values(
        AmountCase{"One", {"USD", 1}, std::nullopt},
        AmountCase{"Max", {"USD", kMaxAmountMinor}, std::nullopt},
        AmountCase{"WrongCurrency", {"EUR", 100}, ExpectedError{"amount.currency_code",
                                                                "CURRENCY_MISMATCH"}},
        AmountCase{"LowerCaseCurrency", {"usd", 100}, ExpectedError{"amount.currency_code",
                                                                    "CURRENCY_MISMATCH"}},
        AmountCase{"EmptyCurrency", {"", 100}, ExpectedError{"amount.currency_code",
                                                             "CURRENCY_MISMATCH"}},
        // The currency is checked before the amount.
        AmountCase{"WrongCurrencyAndZero", {"EUR", 0}, ExpectedError{"amount.currency_code",
                                                                     "CURRENCY_MISMATCH"}},
        AmountCase{"Zero", {"USD", 0}, ExpectedError{"amount.amount_minor"}},
        AmountCase{"Negative", {"USD", -1}, ExpectedError{"amount.amount_minor"}},
        AmountCase{"Int64Min", {"USD", kInt64Min}, ExpectedError{"amount.amount_minor"}},
        AmountCase{"OverMax", {"USD", kMaxAmountMinor + 1}, ExpectedError{"amount.amount_minor"}},
        AmountCase{"Int64Max", {"USD", kInt64Max}, ExpectedError{"amount.amount_minor"}}),
    ParamName<AmountCase>);

TEST(ValidateAmountMessageTest, NamesProgrammeCurrency) {
  const auto error = ValidateAmount({"EUR", 100}, "USD", "amount");
  ASSERT_TRUE(error.has_value());
  EXPECT_NE(error->message.find("USD"), std::string::npos) << error->message;
}

// ---------------------------------------------------------------------------
// ValidateText and IsValidUtf8

class ValidateTextTest : public ::testing::TestWithParam<TextCase> {};

TEST_P(ValidateTextTest, Checks) {
  const TextCase& c = GetParam();
  const auto error = ValidateText(c.text, 16, "store_id");
  if (c.valid) {
    ExpectValid(error);
  } else {
    ExpectInvalid(error, {"store_id"});
  }
}

INSTANTIATE_TEST_SUITE_P(
    Cases, ValidateTextTest,
    ::testing::Values(
        TextCase{"Empty", "", true},
        TextCase{"Ascii", "Store 12 / Main", true},
        TextCase{"Exactly16Bytes", std::string(16, 'x'), true},
        TextCase{"Is17Bytes", std::string(17, 'x'), false},
        // The limit counts bytes, not characters: 6 x 3-byte chars = 18 bytes.
        TextCase{"MultiByteOverByteLimit", "\xE6\x97\xA5\xE6\x97\xA5\xE6\x97\xA5\xE6\x97\xA5"
                                           "\xE6\x97\xA5\xE6\x97\xA5",
                 false},
        TextCase{"TwoByte_Zoe", "Zo\xC3\xAB", true},
        TextCase{"ThreeByte_Nihon", "\xE6\x97\xA5\xE6\x9C\xAC", true},
        TextCase{"FourByte_Emoji", "\xF0\x9F\x98\x80", true},
        TextCase{"MaxCodePoint", "\xF4\x8F\xBF\xBF", true},  // U+10FFFF
        TextCase{"LastBeforeSurrogates", "\xED\x9F\xBF", true},  // U+D7FF
        TextCase{"FirstAfterSurrogates", "\xEE\x80\x80", true},  // U+E000
        TextCase{"Tab", "a\tb", false},
        TextCase{"Newline", "a\nb", false},
        TextCase{"CarriageReturn", "a\rb", false},
        TextCase{"Nul", std::string("a\0b", 3), false},
        TextCase{"Unit1F", "a\x1F", false},
        TextCase{"Del", "a\x7F", false},
        TextCase{"LoneContinuation", "a\x80", false},
        TextCase{"OverlongNul", "\xC0\x80", false},
        TextCase{"OverlongSlash", "\xC0\xAF", false},
        TextCase{"OverlongThreeByte", "\xE0\x80\xAF", false},
        TextCase{"OverlongFourByte", "\xF0\x80\x80\xAF", false},
        TextCase{"SurrogateHigh", "\xED\xA0\x80", false},  // U+D800
        TextCase{"SurrogateLow", "\xED\xBF\xBF", false},   // U+DFFF
        TextCase{"AboveMaxCodePoint", "\xF4\x90\x80\x80", false},  // U+110000
        TextCase{"FiveByteLead", "\xF8\x88\x80\x80\x80", false},
        TextCase{"ByteFF", "\xFF", false},
        TextCase{"TruncatedTwoByte", "Zo\xC3", false},
        TextCase{"TruncatedThreeByte", "\xE6\x97", false},
        TextCase{"TruncatedFourByte", "\xF0\x9F\x98", false},
        TextCase{"LeadThenAscii", "\xC3" "a", false},
        TextCase{"TruncatedInMiddle", "\xE6\x97z\xE6\x9C\xAC", false}),
    ParamName<TextCase>);

TEST(ValidateTextMessageTest, DistinguishesProblems) {
  const auto too_long = ValidateText("abcdef", 5, "reference");
  ASSERT_TRUE(too_long.has_value());
  EXPECT_EQ(too_long->field, "reference");
  EXPECT_EQ(too_long->message, "must be at most 5 bytes");

  const auto bad_utf8 = ValidateText("\xC0\x80", 5, "reference");
  ASSERT_TRUE(bad_utf8.has_value());
  EXPECT_EQ(bad_utf8->message, "must be valid UTF-8");

  const auto control = ValidateText("a\x01", 5, "reference");
  ASSERT_TRUE(control.has_value());
  EXPECT_EQ(control->message, "must not contain control characters");
}

TEST(ValidateTextC1Test, RejectsC1ControlCharacters) {
  ExpectInvalid(ValidateText("a\xC2\x85" "b", 16, "store_id"), {"store_id"});
  ExpectInvalid(ValidateText("a\xC2\x9B" "b", 16, "store_id"), {"store_id"});
}

TEST(ValidateRequiredTextTest, EmptyIsRequiredOtherwiseLikeValidateText) {
  const auto empty = ValidateRequiredText("", 10, "display_name");
  ASSERT_TRUE(empty.has_value());
  ExpectInvalid(empty, {"display_name"});
  EXPECT_EQ(empty->message, "is required");
  ExpectValid(ValidateRequiredText("Acme", 10, "display_name"));
  ExpectInvalid(ValidateRequiredText("Acme\n", 10, "display_name"), {"display_name"});
  ExpectInvalid(ValidateRequiredText(std::string(11, 'a'), 10, "display_name"),
                {"display_name"});
}

TEST(IsCalendarDateTest, AcceptsRealDatesOnly) {
  EXPECT_TRUE(IsCalendarDate("1990-04-01"));
  EXPECT_TRUE(IsCalendarDate("2000-02-29"));   // divisible by 400: leap
  EXPECT_FALSE(IsCalendarDate("1900-02-29"));  // divisible by 100: not leap
  EXPECT_TRUE(IsCalendarDate("2024-02-29"));
  EXPECT_FALSE(IsCalendarDate("2023-02-29"));
  EXPECT_FALSE(IsCalendarDate("2023-04-31"));
  EXPECT_FALSE(IsCalendarDate("2023-13-01"));
  EXPECT_FALSE(IsCalendarDate("2023-00-10"));
  EXPECT_FALSE(IsCalendarDate("2023-01-00"));
  EXPECT_FALSE(IsCalendarDate("1849-12-31"));
  EXPECT_FALSE(IsCalendarDate("1990-4-01"));
  EXPECT_FALSE(IsCalendarDate("1990/04/01"));
  EXPECT_FALSE(IsCalendarDate("19x0-04-01"));
  EXPECT_FALSE(IsCalendarDate(""));
  MemberProfile profile;
  profile.date_of_birth = "1990-02-30";
  const auto error = ValidateProfile(profile);
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->field, "profile.date_of_birth");
}

TEST(IsValidUtf8Test, AllTwoByteBoundaries) {
  EXPECT_TRUE(IsValidUtf8("\xC2\x80"));    // U+0080, smallest 2-byte
  EXPECT_FALSE(IsValidUtf8("\xC1\xBF"));   // U+007F overlong
  EXPECT_TRUE(IsValidUtf8("\xDF\xBF"));    // U+07FF
  EXPECT_TRUE(IsValidUtf8("\xE0\xA0\x80"));  // U+0800, smallest 3-byte
  EXPECT_FALSE(IsValidUtf8("\xE0\x9F\xBF"));  // U+07FF overlong
  EXPECT_TRUE(IsValidUtf8("\xF0\x90\x80\x80"));  // U+10000, smallest 4-byte
  EXPECT_FALSE(IsValidUtf8("\xF0\x8F\xBF\xBF"));  // U+FFFF overlong
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8(std::string("\0", 1)));  // NUL is valid UTF-8
}

// ---------------------------------------------------------------------------
// ValidateProfile

TEST(ValidateProfileTest, Fields) {
  ExpectValid(ValidateProfile({}));
  ExpectValid(ValidateProfile({"Zo\xC3\xAB", "M\xC3\xBCller", "zoe@example.com", "+1 555", ""}));
  ExpectInvalid(ValidateProfile({std::string(201, 'a'), "", "", "", ""}), {"profile.given_name"});
  ExpectValid(ValidateProfile({std::string(200, 'a'), "", "", "", ""}));
  ExpectInvalid(ValidateProfile({"", "\xC0\x80", "", "", ""}), {"profile.family_name"});
  ExpectInvalid(ValidateProfile({"", "", "not-an-email", "", ""}), {"profile.email"});
  ExpectInvalid(ValidateProfile({"", "", std::string(250, 'a') + "@b.co", "", ""}),
                {"profile.email"});
  ExpectInvalid(ValidateProfile({"", "", "", std::string(33, '1'), ""}), {"profile.phone"});
  ExpectInvalid(ValidateProfile({"", "", "", "555\n", ""}), {"profile.phone"});
}

// ---------------------------------------------------------------------------
// ValidateMemberRef

TEST(ValidateMemberRefTest, ExactlyOneOfCardOrId) {
  MemberRef both{"1234", MemberId{5}};
  const auto both_error = ValidateMemberRef(both);
  ExpectInvalid(both_error, {"member"});

  const auto neither = ValidateMemberRef(MemberRef{});
  ExpectInvalid(neither, {"member"});

  ExpectValid(ValidateMemberRef(MemberRef{"CARD-0001", std::nullopt}));
  ExpectValid(ValidateMemberRef(MemberRef{"", MemberId{1}}));
}

TEST(ValidateMemberRefTest, ChecksEachForm) {
  ExpectInvalid(ValidateMemberRef(MemberRef{"", MemberId{0}}), {"member_id"});
  ExpectInvalid(ValidateMemberRef(MemberRef{"", MemberId{-3}}), {"member_id"});
  ExpectInvalid(ValidateMemberRef(MemberRef{"123", std::nullopt}), {"card_number"});
  ExpectInvalid(ValidateMemberRef(MemberRef{"12 34", std::nullopt}), {"card_number"});
}

// ---------------------------------------------------------------------------
// ValidatePartnerCode

class ValidatePartnerCodeTest : public ::testing::TestWithParam<TextCase> {};

TEST_P(ValidatePartnerCodeTest, Checks) {
  const TextCase& c = GetParam();
  const auto error = ValidatePartnerCode(c.text);
  if (c.valid) {
    ExpectValid(error);
  } else {
    ExpectInvalid(error, {"code"});
  }
}

INSTANTIATE_TEST_SUITE_P(Cases, ValidatePartnerCodeTest,
                         ::testing::Values(TextCase{"Simple", "acme", true},
                                           TextCase{"TwoChars", "ab", true},
                                           TextCase{"ThirtyTwo", std::string(32, 'a'), true},
                                           TextCase{"DigitsAndDash", "shop-24-7", true},
                                           TextCase{"AllDigits", "42", true},
                                           TextCase{"TrailingDash", "acme-", true},
                                           TextCase{"Empty", "", false},
                                           TextCase{"OneChar", "a", false},
                                           TextCase{"ThirtyThree", std::string(33, 'a'), false},
                                           TextCase{"UpperCase", "Acme", false},
                                           TextCase{"Underscore", "acme_shop", false},
                                           TextCase{"LeadingDash", "-acme", false},
                                           TextCase{"Space", "ac me", false},
                                           TextCase{"Unicode", "caf\xC3\xA9", false}),
                         ParamName<TextCase>);

// ---------------------------------------------------------------------------
// ValidateNewPartner

NewPartner GoodPartner() {
  NewPartner partner;
  partner.code = "acme";
  partner.display_name = "Acme Caf\xC3\xA9";
  partner.earn_rate = {1, 100};
  partner.issuance_price_micros = 10'000;
  partner.redemption_rate_micros = 8'000;
  partner.auto_enroll = true;
  return partner;
}

TEST(ValidateNewPartnerTest, AcceptsGoodPartnerAndBounds) {
  ExpectValid(ValidateNewPartner(GoodPartner()));
  NewPartner zero_prices = GoodPartner();
  zero_prices.issuance_price_micros = 0;
  zero_prices.redemption_rate_micros = 0;
  ExpectValid(ValidateNewPartner(zero_prices));
  NewPartner max_prices = GoodPartner();
  max_prices.issuance_price_micros = kMaxRateMicros;
  max_prices.redemption_rate_micros = kMaxRateMicros;
  ExpectValid(ValidateNewPartner(max_prices));
}

TEST(ValidateNewPartnerTest, RejectsEachBadField) {
  struct Case {
    const char* name;
    void (*mutate)(NewPartner&);
    const char* field;
  };
  const Case cases[] = {
      {"bad code", [](NewPartner& p) { p.code = "A"; }, "code"},
      {"no name", [](NewPartner& p) { p.display_name.clear(); }, "display_name"},
      {"long name", [](NewPartner& p) { p.display_name = std::string(201, 'n'); },
       "display_name"},
      {"control in name", [](NewPartner& p) { p.display_name = "Acme\x1B[31m"; },
       "display_name"},
      {"zero earn points", [](NewPartner& p) { p.earn_rate.points = 0; }, "earn_rate.points"},
      {"zero earn per", [](NewPartner& p) { p.earn_rate.per_amount_minor = 0; },
       "earn_rate.per_amount_minor"},
      {"negative issuance", [](NewPartner& p) { p.issuance_price_micros = -1; },
       "issuance_price_micros"},
      {"issuance over max",
       [](NewPartner& p) { p.issuance_price_micros = kMaxRateMicros + 1; },
       "issuance_price_micros"},
      {"negative redemption", [](NewPartner& p) { p.redemption_rate_micros = -1; },
       "redemption_rate_micros"},
      {"redemption over max",
       [](NewPartner& p) { p.redemption_rate_micros = kMaxRateMicros + 1; },
       "redemption_rate_micros"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    NewPartner partner = GoodPartner();
    c.mutate(partner);
    ExpectInvalid(ValidateNewPartner(partner), {c.field});
  }
}

// ---------------------------------------------------------------------------
// ValidateAccrue

AccrueCommand GoodAccrue() {
  AccrueCommand command;
  command.key.request_id = "req-1";
  command.card_number = "CARD-0001";
  command.amount = {"USD", 10'000};
  command.line_items = {{"sku-1", "food", {"USD", 4'000}}, {"sku-2", "", {"USD", 6'000}}};
  command.store_id = "store-7";
  command.receipt_id = "r-99";
  return command;
}

TEST(ValidateAccrueTest, AcceptsGoodCommand) {
  ExpectValid(ValidateAccrue(GoodAccrue(), "USD"));
  AccrueCommand no_items = GoodAccrue();
  no_items.line_items.clear();
  ExpectValid(ValidateAccrue(no_items, "USD"));
  AccrueCommand under = GoodAccrue();
  under.line_items[1].amount.amount_minor = 1;  // total below the amount is fine
  ExpectValid(ValidateAccrue(under, "USD"));
}

TEST(ValidateAccrueTest, RejectsEachBadField) {
  struct Case {
    const char* name;
    void (*mutate)(AccrueCommand&);
    ExpectedError error;
  };
  const Case cases[] = {
      {"no request id", [](AccrueCommand& c) { c.key.request_id.clear(); }, {"request_id"}},
      {"bad card", [](AccrueCommand& c) { c.card_number = "12"; }, {"card_number"}},
      {"no card", [](AccrueCommand& c) { c.card_number.clear(); }, {"card_number"}},
      {"wrong currency", [](AccrueCommand& c) { c.amount.currency_code = "EUR"; },
       {"amount.currency_code", "CURRENCY_MISMATCH"}},
      {"zero amount", [](AccrueCommand& c) { c.amount.amount_minor = 0; },
       {"amount.amount_minor"}},
      {"line items exceed amount",
       [](AccrueCommand& c) { c.line_items[1].amount.amount_minor = 6'001; }, {"line_items"}},
      {"line item wrong currency",
       [](AccrueCommand& c) { c.line_items[1].amount.currency_code = "GBP"; },
       {"line_items[1].amount.currency_code", "CURRENCY_MISMATCH"}},
      {"line item zero amount", [](AccrueCommand& c) { c.line_items[0].amount.amount_minor = 0; },
       {"line_items[0].amount.amount_minor"}},
      {"line item negative amount",
       [](AccrueCommand& c) { c.line_items[1].amount.amount_minor = -5; },
       {"line_items[1].amount.amount_minor"}},
      {"line item bad sku", [](AccrueCommand& c) { c.line_items[0].sku = "a\nb"; },
       {"line_items[0].sku"}},
      {"line item long category",
       [](AccrueCommand& c) { c.line_items[1].category = std::string(129, 'c'); },
       {"line_items[1].category"}},
      {"long store id", [](AccrueCommand& c) { c.store_id = std::string(129, 's'); },
       {"store_id"}},
      {"bad receipt id", [](AccrueCommand& c) { c.receipt_id = "\xFF"; }, {"receipt_id"}},
      {"501 items",
       [](AccrueCommand& c) {
         c.amount.amount_minor = 1'000'000;
         c.line_items.assign(501, LineItem{"s", "c", {"USD", 1}});
       },
       {"line_items"}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    AccrueCommand command = GoodAccrue();
    c.mutate(command);
    ExpectInvalid(ValidateAccrue(command, "USD"), c.error);
  }
}

TEST(ValidateAccrueTest, FiveHundredItemsAllowed) {
  AccrueCommand command = GoodAccrue();
  command.amount.amount_minor = 500;
  command.line_items.assign(500, LineItem{"s", "c", {"USD", 1}});
  ExpectValid(ValidateAccrue(command, "USD"));
  command.line_items[499].amount.amount_minor = 2;  // now 501 > 500
  ExpectInvalid(ValidateAccrue(command, "USD"), {"line_items"});
}

TEST(ValidateAccrueTest, MaximalLineItemsDoNotOverflow) {
  AccrueCommand command = GoodAccrue();
  command.amount.amount_minor = kMaxAmountMinor;
  command.line_items.assign(500, LineItem{"s", "c", {"USD", kMaxAmountMinor}});
  ExpectInvalid(ValidateAccrue(command, "USD"), {"line_items"});
}

TEST(ValidateAccrueTest, UsesProgrammeCurrency) {
  AccrueCommand command = GoodAccrue();
  command.amount.currency_code = "JPY";
  for (auto& item : command.line_items) item.amount.currency_code = "JPY";
  ExpectValid(ValidateAccrue(command, "JPY"));
  ExpectInvalid(ValidateAccrue(command, "USD"), {"amount.currency_code", "CURRENCY_MISMATCH"});
}

// ---------------------------------------------------------------------------
// ValidateRedeem

RedeemCommand GoodRedeem() {
  RedeemCommand command;
  command.key.request_id = "req-2";
  command.member.card_number = "CARD-0001";
  command.points = 500;
  command.reference = "voucher 12";
  return command;
}

TEST(ValidateRedeemTest, AcceptsGoodCommand) {
  ExpectValid(ValidateRedeem(GoodRedeem()));
  RedeemCommand by_id = GoodRedeem();
  by_id.member = MemberRef{"", MemberId{77}};
  ExpectValid(ValidateRedeem(by_id));
}

TEST(ValidateRedeemTest, RejectsEachBadField) {
  struct Case {
    const char* name;
    void (*mutate)(RedeemCommand&);
    const char* field;
  };
  const Case cases[] = {
      {"bad request id", [](RedeemCommand& c) { c.key.request_id = "a b"; }, "request_id"},
      {"no member", [](RedeemCommand& c) { c.member = MemberRef{}; }, "member"},
      {"both member forms", [](RedeemCommand& c) { c.member.member_id = 3; }, "member"},
      {"bad card", [](RedeemCommand& c) { c.member.card_number = "1/23"; }, "card_number"},
      {"zero points", [](RedeemCommand& c) { c.points = 0; }, "points"},
      {"negative points", [](RedeemCommand& c) { c.points = -10; }, "points"},
      {"too many points", [](RedeemCommand& c) { c.points = kMaxPointsPerRequest + 1; },
       "points"},
      {"long reference", [](RedeemCommand& c) { c.reference = std::string(129, 'r'); },
       "reference"},
      {"control in reference", [](RedeemCommand& c) { c.reference = "x\x7F"; }, "reference"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    RedeemCommand command = GoodRedeem();
    c.mutate(command);
    ExpectInvalid(ValidateRedeem(command), {c.field});
  }
}

// ---------------------------------------------------------------------------
// ParseId

TEST(ParseIdTest, PositiveDecimalOnly) {
  struct Case {
    std::string text;
    std::optional<MemberId> expected;
  };
  const Case cases[] = {
      {"42", 42},
      {"1", 1},
      {"999999999999999999", 999'999'999'999'999'999},  // 18 digits
      {"0", std::nullopt},
      {"-1", std::nullopt},
      {"+1", std::nullopt},
      {"12a", std::nullopt},
      {"a12", std::nullopt},
      {" 42", std::nullopt},
      {"42 ", std::nullopt},
      {"4.2", std::nullopt},
      {"", std::nullopt},
      {"1000000000000000000", std::nullopt},   // 19 digits
      {"9223372036854775807", std::nullopt},   // INT64_MAX, 19 digits
      {"99999999999999999999", std::nullopt},  // past int64
  };
  for (const Case& c : cases) {
    SCOPED_TRACE("\"" + c.text + "\"");
    EXPECT_EQ(ParseId(c.text), c.expected);
  }
}

}  // namespace
}  // namespace coalition::domain::test
