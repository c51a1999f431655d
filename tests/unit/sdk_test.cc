// Unit tests of the partner SDK: money parsing, error decoding and
// formatting, request ids and channel options. No network.

#include <gtest/gtest.h>

#include <grpcpp/client_context.h>

#include <chrono>
#include <cstdint>
#include <limits>
#include <map>
#include <set>
#include <stdexcept>
#include <string>

#include "coalition/sdk/channel.h"
#include "coalition/sdk/errors.h"
#include "coalition/sdk/money.h"
#include "coalition/sdk/request_id.h"
#include "domain/validation.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"

namespace coalition::sdk::test {
namespace {

constexpr int64_t kInt64Max = std::numeric_limits<int64_t>::max();
constexpr int64_t kInt64Min = std::numeric_limits<int64_t>::min();

// ---------------------------------------------------------------------------
// ParseMinorUnits

TEST(ParseMinorUnitsTest, AcceptsPlainDecimals) {
  struct Case {
    const char* text;
    int fraction_digits;
    int64_t expected;
  };
  const Case cases[] = {
      {"12.34", 2, 1234},
      {"12", 2, 1200},
      {"0.5", 2, 50},
      {"0.05", 2, 5},
      {"0", 2, 0},
      {"0.00", 2, 0},
      {"007.50", 2, 750},
      {"1999.99", 2, 199'999},
      {"1234", 0, 1234},  // JPY
      {"1.234", 3, 1234},  // e.g. BHD
      {"1.2", 3, 1200},
      {"0.000001", 6, 1},
      {"92233720368547758.07", 2, kInt64Max},
      {"9223372036854775807", 0, kInt64Max},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(std::string(c.text) + " / " + std::to_string(c.fraction_digits));
    EXPECT_EQ(ParseMinorUnits(c.text, c.fraction_digits), c.expected);
  }
}

TEST(ParseMinorUnitsTest, DefaultsToTwoFractionDigits) {
  EXPECT_EQ(ParseMinorUnits("3.5"), 350);
  EXPECT_THROW(ParseMinorUnits("3.505"), std::invalid_argument);
}

TEST(ParseMinorUnitsTest, RejectsAnythingElse) {
  struct Case {
    std::string text;
    int fraction_digits;
  };
  const Case cases[] = {
      {"12.345", 2},  // more decimals than the currency has: never rounded
      {"12.0", 0},
      {"-1", 2},
      {"-0.01", 2},
      {"+1", 2},
      {"1e3", 2},
      {"1E3", 2},
      {"", 2},
      {"abc", 2},
      {".5", 2},
      {"5.", 2},
      {".", 2},
      {"1.2.3", 2},
      {"1,5", 2},
      {"1 000", 2},
      {" 1", 2},
      {"1 ", 2},
      {"0x10", 2},
      {"12.3a", 2},
      {"\xEF\xBC\x91", 2},               // U+FF11 FULLWIDTH DIGIT ONE
      {std::string("1\0", 2), 2},         // embedded NUL
      {"92233720368547758.08", 2},        // INT64_MAX + 1 minor units
      {"92233720368547759", 2},           // whole part alone fits, times 100 does not
      {"9223372036854775808", 0},
      {"99999999999999999999999999", 2},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE("\"" + c.text + "\" / " + std::to_string(c.fraction_digits));
    EXPECT_THROW(ParseMinorUnits(c.text, c.fraction_digits), std::invalid_argument);
  }
}

TEST(ParseMinorUnitsTest, MessageQuotesTheInput) {
  try {
    static_cast<void>(ParseMinorUnits("12.345"));
    FAIL() << "expected std::invalid_argument";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("\"12.345\""), std::string::npos) << e.what();
  }
}

TEST(ParseMinorUnitsTest, RejectsUnsupportedExponents) {
  EXPECT_THROW(ParseMinorUnits("1", -1), std::invalid_argument);
  EXPECT_THROW(ParseMinorUnits("1", 7), std::invalid_argument);
  EXPECT_EQ(ParseMinorUnits("1", 6), 1'000'000);
}

// ---------------------------------------------------------------------------
// FormatMinorUnits

TEST(FormatMinorUnitsTest, Formats) {
  struct Case {
    int64_t minor;
    int fraction_digits;
    const char* expected;
  };
  const Case cases[] = {
      {1234, 2, "12.34"},
      {5, 2, "0.05"},
      {50, 2, "0.50"},
      {0, 2, "0.00"},
      {100, 2, "1.00"},
      {-1234, 2, "-12.34"},
      {-5, 2, "-0.05"},
      {1234, 0, "1234"},
      {0, 0, "0"},
      {1, 6, "0.000001"},
      {kInt64Max, 2, "92233720368547758.07"},
      {kInt64Min, 2, "-92233720368547758.08"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.minor);
    EXPECT_EQ(FormatMinorUnits(c.minor, c.fraction_digits), c.expected);
  }
  EXPECT_THROW(FormatMinorUnits(1, 7), std::invalid_argument);
  EXPECT_THROW(FormatMinorUnits(1, -1), std::invalid_argument);
}

TEST(FormatMinorUnitsTest, RoundTripsWithParse) {
  for (int64_t minor : {int64_t{0}, int64_t{1}, int64_t{99}, int64_t{100}, int64_t{123'456'789},
                        kInt64Max}) {
    for (int digits : {0, 2, 3, 6}) {
      SCOPED_TRACE(std::to_string(minor) + " / " + std::to_string(digits));
      EXPECT_EQ(ParseMinorUnits(FormatMinorUnits(minor, digits), digits), minor);
    }
  }
}

// ---------------------------------------------------------------------------
// StatusCodeName

TEST(StatusCodeNameTest, EveryCanonicalCode) {
  const std::pair<grpc::StatusCode, const char*> cases[] = {
      {grpc::StatusCode::OK, "OK"},
      {grpc::StatusCode::CANCELLED, "CANCELLED"},
      {grpc::StatusCode::UNKNOWN, "UNKNOWN"},
      {grpc::StatusCode::INVALID_ARGUMENT, "INVALID_ARGUMENT"},
      {grpc::StatusCode::DEADLINE_EXCEEDED, "DEADLINE_EXCEEDED"},
      {grpc::StatusCode::NOT_FOUND, "NOT_FOUND"},
      {grpc::StatusCode::ALREADY_EXISTS, "ALREADY_EXISTS"},
      {grpc::StatusCode::PERMISSION_DENIED, "PERMISSION_DENIED"},
      {grpc::StatusCode::RESOURCE_EXHAUSTED, "RESOURCE_EXHAUSTED"},
      {grpc::StatusCode::FAILED_PRECONDITION, "FAILED_PRECONDITION"},
      {grpc::StatusCode::ABORTED, "ABORTED"},
      {grpc::StatusCode::OUT_OF_RANGE, "OUT_OF_RANGE"},
      {grpc::StatusCode::UNIMPLEMENTED, "UNIMPLEMENTED"},
      {grpc::StatusCode::INTERNAL, "INTERNAL"},
      {grpc::StatusCode::UNAVAILABLE, "UNAVAILABLE"},
      {grpc::StatusCode::DATA_LOSS, "DATA_LOSS"},
      {grpc::StatusCode::UNAUTHENTICATED, "UNAUTHENTICATED"},
  };
  for (const auto& [code, name] : cases) {
    EXPECT_EQ(StatusCodeName(code), name);
  }
  EXPECT_EQ(StatusCodeName(static_cast<grpc::StatusCode>(99)), "CODE_99");
}

// ---------------------------------------------------------------------------
// DecodeError and FormatError

grpc::Status RichStatus(grpc::StatusCode code, const std::string& message,
                        const std::string& reason,
                        const std::map<std::string, std::string>& metadata = {}) {
  google::rpc::ErrorInfo info;
  info.set_reason(reason);
  info.set_domain("coalition.v1");
  for (const auto& [key, value] : metadata) (*info.mutable_metadata())[key] = value;
  google::rpc::Status details;
  details.set_code(static_cast<int>(code));
  details.set_message(message);
  details.add_details()->PackFrom(info);
  return grpc::Status(code, message, details.SerializeAsString());
}

TEST(DecodeErrorTest, ReadsErrorInfo) {
  const ErrorDetails details = DecodeError(RichStatus(
      grpc::StatusCode::NOT_FOUND, "member not found", "MEMBER_NOT_FOUND",
      {{"field", "card_number"}}));
  EXPECT_EQ(details.code, grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(details.message, "member not found");
  EXPECT_EQ(details.reason, "MEMBER_NOT_FOUND");
  EXPECT_EQ(details.domain, "coalition.v1");
  EXPECT_EQ(details.metadata, (std::map<std::string, std::string>{{"field", "card_number"}}));
}

TEST(DecodeErrorTest, FindsErrorInfoAfterOtherDetails) {
  google::rpc::BadRequest bad_request;
  bad_request.add_field_violations()->set_field("points");
  google::rpc::ErrorInfo info;
  info.set_reason("INSUFFICIENT_POINTS");
  google::rpc::Status details;
  details.add_details()->PackFrom(bad_request);
  details.add_details()->PackFrom(info);
  const grpc::Status status(grpc::StatusCode::FAILED_PRECONDITION, "not enough",
                            details.SerializeAsString());
  EXPECT_EQ(DecodeError(status).reason, "INSUFFICIENT_POINTS");
}

TEST(DecodeErrorTest, ToleratesMissingOrMalformedDetails) {
  const grpc::Status cases[] = {
      grpc::Status(grpc::StatusCode::UNAVAILABLE, "connection refused"),
      grpc::Status(grpc::StatusCode::UNAVAILABLE, "connection refused", "\xFF\xFF\xFF garbage"),
      grpc::Status(grpc::StatusCode::UNAVAILABLE, "connection refused",
                   google::rpc::Status().SerializeAsString()),
  };
  for (const grpc::Status& status : cases) {
    const ErrorDetails details = DecodeError(status);
    EXPECT_EQ(details.code, grpc::StatusCode::UNAVAILABLE);
    EXPECT_EQ(details.message, "connection refused");
    EXPECT_EQ(details.reason, "");
    EXPECT_EQ(details.domain, "");
    EXPECT_TRUE(details.metadata.empty());
  }
  const ErrorDetails ok = DecodeError(grpc::Status::OK);
  EXPECT_EQ(ok.code, grpc::StatusCode::OK);
  EXPECT_EQ(ok.reason, "");
}

TEST(FormatErrorTest, OneLineForms) {
  struct Case {
    grpc::Status status;
    const char* expected;
  };
  const Case cases[] = {
      {RichStatus(grpc::StatusCode::NOT_FOUND, "member not found", "MEMBER_NOT_FOUND",
                  {{"field", "card_number"}}),
       "NOT_FOUND (MEMBER_NOT_FOUND): member not found [field=card_number]"},
      {RichStatus(grpc::StatusCode::FAILED_PRECONDITION, "not enough points",
                  "INSUFFICIENT_POINTS"),
       "FAILED_PRECONDITION (INSUFFICIENT_POINTS): not enough points"},
      {RichStatus(grpc::StatusCode::INVALID_ARGUMENT, "bad", "INVALID_ARGUMENT",
                  {{"field", "points"}, {"limit", "10"}}),
       "INVALID_ARGUMENT (INVALID_ARGUMENT): bad [field=points, limit=10]"},  // sorted keys
      {grpc::Status(grpc::StatusCode::UNAVAILABLE, "failed to connect"),
       "UNAVAILABLE: failed to connect"},
      {grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED, ""), "DEADLINE_EXCEEDED"},
      {grpc::Status(grpc::StatusCode::UNKNOWN, "line one\nline two\r\nend"),
       "UNKNOWN: line one line two  end"},
      {RichStatus(grpc::StatusCode::INTERNAL, "", "INTERNAL"), "INTERNAL (INTERNAL)"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.expected);
    EXPECT_EQ(FormatError(c.status), c.expected);
    EXPECT_EQ(FormatError(DecodeError(c.status)), c.expected);
  }
}

TEST(FormatErrorTest, FoldsNewlinesInMetadata) {
  ErrorDetails details;
  details.code = grpc::StatusCode::INVALID_ARGUMENT;
  details.message = "m";
  details.metadata = {{"field", "a\nb"}};
  EXPECT_EQ(FormatError(details), "INVALID_ARGUMENT: m [field=a b]");
}

// ---------------------------------------------------------------------------
// NewRequestId

TEST(NewRequestIdTest, Format) {
  for (int i = 0; i < 100; ++i) {
    const std::string id = NewRequestId();
    ASSERT_EQ(id.size(), 36u) << id;
    EXPECT_EQ(id.substr(0, 4), "req_") << id;
    EXPECT_EQ(id.find_first_not_of("0123456789abcdef", 4), std::string::npos) << id;
    // Acceptable to the server as it stands.
    EXPECT_FALSE(domain::ValidateRequestId(id).has_value()) << id;
  }
}

TEST(NewRequestIdTest, Unique) {
  std::set<std::string> ids;
  for (int i = 0; i < 10'000; ++i) ids.insert(NewRequestId());
  EXPECT_EQ(ids.size(), 10'000u);
}

TEST(NewRequestIdTest, UsesEveryHexDigit) {
  // 1000 ids carry 32000 random nibbles: each digit appears unless the
  // encoding is broken (probability of a miss is below 2^-2900).
  std::set<char> digits;
  for (int i = 0; i < 1000; ++i) {
    const std::string id = NewRequestId();
    digits.insert(id.begin() + 4, id.end());
  }
  EXPECT_EQ(digits.size(), 16u);
}

// ---------------------------------------------------------------------------
// Channel options

TEST(ChannelTest, Defaults) {
  const ChannelOptions options;
  EXPECT_EQ(options.endpoint, "127.0.0.1:50051");
  EXPECT_FALSE(options.tls);
  EXPECT_EQ(options.root_ca_file, "");
  EXPECT_EQ(options.api_key, "");
  EXPECT_EQ(options.deadline, std::chrono::milliseconds(5000));
  EXPECT_EQ(options.user_agent_prefix, "");
}

TEST(ChannelTest, UserAgent) {
  const std::string agent = SdkUserAgent();
  const std::string prefix = "coalition-partner-sdk/";
  ASSERT_GT(agent.size(), prefix.size());
  EXPECT_EQ(agent.substr(0, prefix.size()), prefix);
  EXPECT_EQ(agent.find(' '), std::string::npos);
}

TEST(ChannelTest, PrepareContextSetsDeadline) {
  ChannelOptions options;
  options.api_key = "ck_test.secret";
  options.deadline = std::chrono::milliseconds(30'000);
  grpc::ClientContext context;
  const auto before = std::chrono::system_clock::now();
  PrepareContext(context, options);
  const auto after = std::chrono::system_clock::now();
  EXPECT_GE(context.deadline(), before + options.deadline);
  EXPECT_LE(context.deadline(), after + options.deadline);
}

TEST(ChannelTest, MakeChannelIsLazyAndChecksCaFile) {
  ChannelOptions options;
  options.endpoint = "127.0.0.1:1";  // nothing listens; the channel must not connect yet
  EXPECT_NE(MakeChannel(options), nullptr);

  options.tls = true;
  options.root_ca_file = "/nonexistent/coalition-test-ca.pem";
  EXPECT_THROW(MakeChannel(options), std::runtime_error);
}

}  // namespace
}  // namespace coalition::sdk::test
