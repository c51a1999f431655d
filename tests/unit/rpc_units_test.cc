// Unit tests of the parts of server/rpc that need no network: page tokens,
// idempotency keys, error statuses, the role table and proto conversions.

#include <gtest/gtest.h>

#include <google/protobuf/timestamp.pb.h>

#include <cstdint>
#include <limits>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "coalition/sdk/errors.h"
#include "coalition/v1/partner_service.pb.h"
#include "coalition/v1/types.pb.h"
#include "crypto/crypto.h"
#include "domain/error.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "rpc/auth.h"
#include "rpc/convert.h"
#include "rpc/page_token.h"
#include "rpc/request_key.h"
#include "rpc/status.h"

namespace coalition::rpc::test {
namespace {

constexpr std::string_view kAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

// ---------------------------------------------------------------------------
// PageTokenCodec

TEST(PageTokenCodecTest, RoundTripsPositions) {
  const PageTokenCodec codec("page-token-secret");
  const int64_t positions[] = {0, 1, 42, 255, 256, int64_t{1} << 40,
                               std::numeric_limits<int64_t>::max()};
  for (int64_t position : positions) {
    SCOPED_TRACE(position);
    const std::string token = codec.Encode("partners", position);
    EXPECT_LE(token.size(), 64u);
    EXPECT_EQ(token.find_first_not_of(kAlphabet), std::string::npos) << token;
    EXPECT_EQ(codec.Decode(token, "partners"), position);
  }
}

TEST(PageTokenCodecTest, SameInputSameToken) {
  const PageTokenCodec codec("s");
  EXPECT_EQ(codec.Encode("scope", 7), codec.Encode("scope", 7));
  EXPECT_NE(codec.Encode("scope", 7), codec.Encode("scope", 8));
  EXPECT_NE(codec.Encode("scope", 7), codec.Encode("scope2", 7));
}

TEST(PageTokenCodecTest, RejectsTokenFromAnotherScope) {
  const PageTokenCodec codec("page-token-secret");
  const std::string token = codec.Encode("transactions:partner=1:member=5", 99);
  EXPECT_EQ(codec.Decode(token, "transactions:partner=1:member=5"), 99);
  EXPECT_EQ(codec.Decode(token, "transactions:partner=1:member=6"), std::nullopt);
  EXPECT_EQ(codec.Decode(token, "transactions:partner=2:member=5"), std::nullopt);
  EXPECT_EQ(codec.Decode(token, "partners"), std::nullopt);
  EXPECT_EQ(codec.Decode(token, ""), std::nullopt);
}

TEST(PageTokenCodecTest, RejectsTokenFromAnotherSecret) {
  const PageTokenCodec ours("secret-one");
  const PageTokenCodec theirs("secret-two");
  const std::string token = theirs.Encode("partners", 10);
  EXPECT_EQ(theirs.Decode(token, "partners"), 10);
  EXPECT_EQ(ours.Decode(token, "partners"), std::nullopt);
}

TEST(PageTokenCodecTest, RejectsEverySingleCharacterTampering) {
  const PageTokenCodec codec("page-token-secret");
  const std::string token = codec.Encode("partners", 12345);
  ASSERT_EQ(token.size(), 32u);  // 8 position bytes + 16 MAC bytes, unpadded
  for (size_t i = 0; i < token.size(); ++i) {
    std::string tampered = token;
    const size_t current = kAlphabet.find(tampered[i]);
    ASSERT_NE(current, std::string_view::npos);
    tampered[i] = kAlphabet[(current + 1) % kAlphabet.size()];
    SCOPED_TRACE(tampered);
    EXPECT_EQ(codec.Decode(tampered, "partners"), std::nullopt);
  }
}

TEST(PageTokenCodecTest, RejectsForgedPosition) {
  // Keep the MAC, change the position bytes: what a user editing a token does.
  const PageTokenCodec codec("page-token-secret");
  std::string raw;
  ASSERT_TRUE(crypto::Base64UrlDecode(codec.Encode("partners", 100), raw));
  ASSERT_EQ(raw.size(), 24u);
  raw[7] = static_cast<char>(raw[7] + 1);
  EXPECT_EQ(codec.Decode(crypto::Base64UrlEncode(raw), "partners"), std::nullopt);
}

TEST(PageTokenCodecTest, RejectsGarbage) {
  const PageTokenCodec codec("page-token-secret");
  const std::string token = codec.Encode("partners", 1);
  const std::vector<std::string> garbage = {
      "",
      "abc",
      "!!!!",
      "not a token",
      token + "=",
      token.substr(0, token.size() - 1),
      token + "AA",                         // one byte too many
      token + token,                        // 64 characters, 48 bytes
      std::string(65, 'A'),                 // over the length limit
      std::string(1000, 'A'),
      crypto::Base64UrlEncode(std::string(24, '\0')),
  };
  for (const std::string& input : garbage) {
    SCOPED_TRACE(input);
    EXPECT_EQ(codec.Decode(input, "partners"), std::nullopt);
  }
}

TEST(PageTokenCodecTest, RejectsTokenWithTrailingCharacter) {
  const PageTokenCodec codec("page-token-secret");
  const std::string token = codec.Encode("partners", 1);
  EXPECT_EQ(codec.Decode(token + "A", "partners"), std::nullopt);
  EXPECT_EQ(codec.Decode(token + "_", "partners"), std::nullopt);
}

// ---------------------------------------------------------------------------
// MakeRequestKey

constexpr std::string_view kAccrue = "/coalition.v1.PartnerService/Accrue";
constexpr std::string_view kRedeem = "/coalition.v1.PartnerService/Redeem";

v1::AccrueRequest SampleAccrue() {
  v1::AccrueRequest request;
  request.set_request_id("req-1");
  request.set_card_number("CARD-0001");
  request.mutable_amount()->set_currency_code("USD");
  request.mutable_amount()->set_amount_minor(1999);
  auto* item = request.add_line_items();
  item->set_sku("sku-1");
  item->set_category("food");
  item->mutable_amount()->set_currency_code("USD");
  item->mutable_amount()->set_amount_minor(999);
  request.set_store_id("store-7");
  request.set_receipt_id("r-1");
  request.mutable_occurred_at()->set_seconds(1'700'000'000);
  return request;
}

TEST(MakeRequestKeyTest, CarriesIdMethodAndSha256) {
  const v1::AccrueRequest request = SampleAccrue();
  const domain::RequestKey key = MakeRequestKey(kAccrue, "req-1", request);
  EXPECT_EQ(key.request_id, "req-1");
  EXPECT_EQ(key.method, kAccrue);
  EXPECT_EQ(key.request_hash.size(), 32u);
}

TEST(MakeRequestKeyTest, SameRequestSameHash) {
  const v1::AccrueRequest a = SampleAccrue();
  // Built in another order, and through a serialization round trip.
  v1::AccrueRequest b;
  b.mutable_occurred_at()->set_seconds(1'700'000'000);
  b.set_receipt_id("r-1");
  b.set_store_id("store-7");
  *b.add_line_items() = a.line_items(0);
  b.mutable_amount()->set_amount_minor(1999);
  b.mutable_amount()->set_currency_code("USD");
  b.set_card_number("CARD-0001");
  b.set_request_id("req-1");
  v1::AccrueRequest c;
  ASSERT_TRUE(c.ParseFromString(a.SerializeAsString()));

  const std::string hash = MakeRequestKey(kAccrue, "req-1", a).request_hash;
  EXPECT_EQ(MakeRequestKey(kAccrue, "req-1", a).request_hash, hash);
  EXPECT_EQ(MakeRequestKey(kAccrue, "req-1", b).request_hash, hash);
  EXPECT_EQ(MakeRequestKey(kAccrue, "req-1", c).request_hash, hash);
}

TEST(MakeRequestKeyTest, AnyChangeChangesHash) {
  struct Change {
    const char* name;
    void (*mutate)(v1::AccrueRequest&);
  };
  const Change changes[] = {
      {"request_id", [](v1::AccrueRequest& r) { r.set_request_id("req-2"); }},
      {"card_number", [](v1::AccrueRequest& r) { r.set_card_number("CARD-0002"); }},
      {"currency", [](v1::AccrueRequest& r) { r.mutable_amount()->set_currency_code("EUR"); }},
      {"amount", [](v1::AccrueRequest& r) { r.mutable_amount()->set_amount_minor(2000); }},
      {"line item sku", [](v1::AccrueRequest& r) { r.mutable_line_items(0)->set_sku("sku-2"); }},
      {"line item category",
       [](v1::AccrueRequest& r) { r.mutable_line_items(0)->set_category("drink"); }},
      {"line item amount",
       [](v1::AccrueRequest& r) {
         r.mutable_line_items(0)->mutable_amount()->set_amount_minor(998);
       }},
      {"extra line item", [](v1::AccrueRequest& r) { r.add_line_items()->set_sku("x"); }},
      {"no line items", [](v1::AccrueRequest& r) { r.clear_line_items(); }},
      {"store_id", [](v1::AccrueRequest& r) { r.set_store_id("store-8"); }},
      {"receipt_id", [](v1::AccrueRequest& r) { r.set_receipt_id("r-2"); }},
      {"occurred_at seconds",
       [](v1::AccrueRequest& r) { r.mutable_occurred_at()->set_seconds(1'700'000'001); }},
      {"occurred_at nanos",
       [](v1::AccrueRequest& r) { r.mutable_occurred_at()->set_nanos(1000); }},
      {"occurred_at cleared", [](v1::AccrueRequest& r) { r.clear_occurred_at(); }},
  };
  const std::string base = MakeRequestKey(kAccrue, "req-1", SampleAccrue()).request_hash;
  std::set<std::string> hashes = {base};
  for (const Change& change : changes) {
    SCOPED_TRACE(change.name);
    v1::AccrueRequest request = SampleAccrue();
    change.mutate(request);
    const std::string hash = MakeRequestKey(kAccrue, "req-1", request).request_hash;
    EXPECT_NE(hash, base);
    hashes.insert(hash);
  }
  EXPECT_EQ(hashes.size(), std::size(changes) + 1) << "two different changes collided";
}

TEST(MakeRequestKeyTest, MethodIsPartOfHash) {
  const v1::AccrueRequest request = SampleAccrue();
  EXPECT_NE(MakeRequestKey(kAccrue, "req-1", request).request_hash,
            MakeRequestKey(kRedeem, "req-1", request).request_hash);

  // The same bytes under two request types and methods must not collide either.
  v1::RedeemRequest redeem;
  redeem.set_request_id("req-1");
  v1::AccrueRequest accrue;
  accrue.set_request_id("req-1");
  ASSERT_EQ(redeem.SerializeAsString(), accrue.SerializeAsString());
  EXPECT_NE(MakeRequestKey(kRedeem, "req-1", redeem).request_hash,
            MakeRequestKey(kAccrue, "req-1", accrue).request_hash);
}

TEST(MakeRequestKeyTest, RedeemMemberFormMatters) {
  v1::RedeemRequest by_card;
  by_card.set_request_id("r");
  by_card.set_card_number("1234");
  by_card.set_points(10);
  v1::RedeemRequest by_id = by_card;
  by_id.set_member_id("1234");
  EXPECT_NE(MakeRequestKey(kRedeem, "r", by_card).request_hash,
            MakeRequestKey(kRedeem, "r", by_id).request_hash);
}

// ---------------------------------------------------------------------------
// ToStatus

TEST(ToStatusTest, MapsEveryErrorCode) {
  const std::pair<domain::ErrorCode, grpc::StatusCode> cases[] = {
      {domain::ErrorCode::kInvalidArgument, grpc::StatusCode::INVALID_ARGUMENT},
      {domain::ErrorCode::kNotFound, grpc::StatusCode::NOT_FOUND},
      {domain::ErrorCode::kAlreadyExists, grpc::StatusCode::ALREADY_EXISTS},
      {domain::ErrorCode::kFailedPrecondition, grpc::StatusCode::FAILED_PRECONDITION},
      {domain::ErrorCode::kUnauthenticated, grpc::StatusCode::UNAUTHENTICATED},
      {domain::ErrorCode::kPermissionDenied, grpc::StatusCode::PERMISSION_DENIED},
      {domain::ErrorCode::kResourceExhausted, grpc::StatusCode::RESOURCE_EXHAUSTED},
      {domain::ErrorCode::kUnavailable, grpc::StatusCode::UNAVAILABLE},
      {domain::ErrorCode::kInternal, grpc::StatusCode::INTERNAL},
  };
  for (const auto& [code, expected] : cases) {
    SCOPED_TRACE(static_cast<int>(code));
    const grpc::Status status = ToStatus(domain::Error{code, "SOME_REASON", "text", {}});
    EXPECT_EQ(status.error_code(), expected);
    EXPECT_FALSE(status.ok());
    EXPECT_EQ(status.error_message(), "text");
  }
}

TEST(ToStatusTest, DetailsDecodeThroughSdkWithField) {
  const domain::Error error = domain::Error::InvalidArgument(
      "line_items[1].amount.currency_code", "must be the programme currency USD",
      "CURRENCY_MISMATCH");
  const grpc::Status status = ToStatus(error);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message(),
            "line_items[1].amount.currency_code: must be the programme currency USD");

  const sdk::ErrorDetails details = sdk::DecodeError(status);
  EXPECT_EQ(details.code, grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(details.reason, "CURRENCY_MISMATCH");
  EXPECT_EQ(details.domain, "coalition.v1");
  EXPECT_EQ(details.domain, kErrorDomain);
  ASSERT_EQ(details.metadata.count("field"), 1u);
  EXPECT_EQ(details.metadata.at("field"), "line_items[1].amount.currency_code");
  EXPECT_EQ(details.metadata.size(), 1u);
  EXPECT_EQ(details.message, status.error_message());
}

TEST(ToStatusTest, DetailsDecodeThroughSdkWithoutField) {
  const grpc::Status status =
      ToStatus(domain::Error::FailedPrecondition("INSUFFICIENT_POINTS", "not enough points"));
  EXPECT_EQ(status.error_message(), "not enough points");
  const sdk::ErrorDetails details = sdk::DecodeError(status);
  EXPECT_EQ(details.code, grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(details.reason, "INSUFFICIENT_POINTS");
  EXPECT_EQ(details.domain, "coalition.v1");
  EXPECT_TRUE(details.metadata.empty());
  EXPECT_EQ(sdk::FormatError(status),
            "FAILED_PRECONDITION (INSUFFICIENT_POINTS): not enough points");
}

TEST(ToStatusTest, RichStatusCarriesBadRequestOnlyWithField) {
  const grpc::Status with_field =
      ToStatus(domain::Error::InvalidArgument("card_number", "is required"));
  google::rpc::Status rich;
  ASSERT_TRUE(rich.ParseFromString(with_field.error_details()));
  EXPECT_EQ(rich.code(), static_cast<int>(grpc::StatusCode::INVALID_ARGUMENT));
  EXPECT_EQ(rich.message(), "card_number: is required");
  ASSERT_EQ(rich.details_size(), 2);
  ASSERT_TRUE(rich.details(0).Is<google::rpc::ErrorInfo>());
  google::rpc::ErrorInfo info;
  ASSERT_TRUE(rich.details(0).UnpackTo(&info));
  EXPECT_EQ(info.reason(), "INVALID_ARGUMENT");
  EXPECT_EQ(info.domain(), "coalition.v1");
  google::rpc::BadRequest bad_request;
  ASSERT_TRUE(rich.details(1).UnpackTo(&bad_request));
  ASSERT_EQ(bad_request.field_violations_size(), 1);
  EXPECT_EQ(bad_request.field_violations(0).field(), "card_number");
  EXPECT_EQ(bad_request.field_violations(0).description(), "is required");

  const grpc::Status without_field = ToStatus(domain::Error::Internal("oops"));
  ASSERT_TRUE(rich.ParseFromString(without_field.error_details()));
  EXPECT_EQ(rich.code(), static_cast<int>(grpc::StatusCode::INTERNAL));
  ASSERT_EQ(rich.details_size(), 1);
  EXPECT_TRUE(rich.details(0).Is<google::rpc::ErrorInfo>());
  EXPECT_EQ(sdk::DecodeError(without_field).reason, "INTERNAL");
}

// ---------------------------------------------------------------------------
// Authenticator::IsAllowed

TEST(AuthenticatorTest, RoleTable) {
  struct Case {
    const char* method;
    bool partner;
    bool op;
  };
  const Case cases[] = {
      {"/coalition.v1.PartnerService/EnrollMember", true, false},
      {"/coalition.v1.PartnerService/GetMember", true, false},
      {"/coalition.v1.PartnerService/Accrue", true, false},
      {"/coalition.v1.PartnerService/Redeem", true, false},
      {"/coalition.v1.PartnerService/ListTransactions", true, false},
      {"/coalition.v1.AdminService/CreatePartner", false, true},
      {"/coalition.v1.AdminService/ListPartners", false, true},
      {"/coalition.v1.AdminService/CreateApiKey", false, true},
      {"/coalition.v1.AdminService/RevokeApiKey", false, true},
      {"/coalition.v1.AdminService/VerifyLedger", false, true},
      // Unknown methods are refused to everyone.
      {"", false, false},
      {"/coalition.v1.PartnerService/DeleteMember", false, false},
      {"/coalition.v1.AdminService/DropLedger", false, false},
      {"/coalition.v1.PartnerService/accrue", false, false},
      {"/coalition.v1.PartnerService/Accrue/", false, false},
      {"coalition.v1.PartnerService/Accrue", false, false},
      {"/coalition.v2.PartnerService/Accrue", false, false},
      {"/coalition.v1.AdminService/Accrue", false, false},
      {"/grpc.health.v1.Health/Check", false, false},
      {"/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo", false, false},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.method);
    EXPECT_EQ(Authenticator::IsAllowed(c.method, Role::kPartner), c.partner);
    EXPECT_EQ(Authenticator::IsAllowed(c.method, Role::kOperator), c.op);
    // Finance and auditor never reach the partner API or the writes above.
    if (!c.op) {
      EXPECT_FALSE(Authenticator::IsAllowed(c.method, Role::kFinance));
    }
  }
}

// Settlement is for the operator and finance; finance may not administer.
TEST(AuthenticatorTest, FinanceRoleTable) {
  struct Case {
    const char* method;
    bool partner;
    bool op;
    bool finance;
  };
  const Case cases[] = {
      {"/coalition.v1.SettlementService/RunSettlement", false, true, true},
      {"/coalition.v1.SettlementService/GetSettlementBatch", false, true, true},
      {"/coalition.v1.SettlementService/ListSettlementBatches", false, true, true},
      {"/coalition.v1.SettlementService/GetStatement", false, true, true},
      {"/coalition.v1.AdminService/ListPartnerEconomics", false, true, true},
      {"/coalition.v1.AdminService/SetPartnerEconomics", false, true, false},
      {"/coalition.v1.AdminService/CreatePartner", false, true, false},
      {"/coalition.v1.AdminService/VerifyLedger", false, true, true},
      {"/coalition.v1.PartnerService/Accrue", true, false, false},
      {"/coalition.v1.SettlementService/DeleteBatch", false, false, false},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.method);
    EXPECT_EQ(Authenticator::IsAllowed(c.method, Role::kPartner), c.partner);
    EXPECT_EQ(Authenticator::IsAllowed(c.method, Role::kOperator), c.op);
    EXPECT_EQ(Authenticator::IsAllowed(c.method, Role::kFinance), c.finance);
  }
}

// ---------------------------------------------------------------------------
// convert.h

google::protobuf::Timestamp MakeTimestamp(int64_t seconds, int32_t nanos) {
  google::protobuf::Timestamp t;
  t.set_seconds(seconds);
  t.set_nanos(nanos);
  return t;
}

TEST(ConvertTest, FromProtoTimestampBounds) {
  constexpr int64_t kMaxSeconds = 253402300799;  // 9999-12-31T23:59:59Z
  struct Case {
    int64_t seconds;
    int32_t nanos;
    std::optional<int64_t> micros;  // nullopt: rejected
  };
  const Case cases[] = {
      {0, 0, 0},
      {1, 0, 1'000'000},
      {1'700'000'000, 123'456'789, 1'700'000'000'123'456},  // truncated to micros
      {0, 999, 0},
      {0, 999'999'999, 999'999},
      {kMaxSeconds, 999'999'999, kMaxSeconds * 1'000'000 + 999'999},
      {-1, 0, std::nullopt},
      {-62135596800, 0, std::nullopt},  // 0001-01-01
      {kMaxSeconds + 1, 0, std::nullopt},
      {std::numeric_limits<int64_t>::max(), 0, std::nullopt},
      {std::numeric_limits<int64_t>::min(), 0, std::nullopt},
      {0, -1, std::nullopt},
      {0, 1'000'000'000, std::nullopt},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(std::to_string(c.seconds) + "s " + std::to_string(c.nanos) + "ns");
    const auto result = FromProto(MakeTimestamp(c.seconds, c.nanos), "occurred_at");
    if (c.micros) {
      ASSERT_TRUE(result.ok()) << result.error().message;
      EXPECT_EQ(result->time_since_epoch().count(), *c.micros);
    } else {
      ASSERT_FALSE(result.ok());
      EXPECT_EQ(result.error().code, domain::ErrorCode::kInvalidArgument);
      EXPECT_EQ(result.error().reason, "INVALID_ARGUMENT");
      EXPECT_EQ(result.error().field, "occurred_at");
    }
  }
}

TEST(ConvertTest, ToProtoTimestamp) {
  struct Case {
    int64_t micros;
    int64_t seconds;
    int32_t nanos;
  };
  const Case cases[] = {
      {0, 0, 0},
      {1'500'000, 1, 500'000'000},
      {1'700'000'000'000'001, 1'700'000'000, 1'000},
      // Before the epoch, nanos stay non-negative as protobuf requires.
      {-1, -1, 999'999'000},
      {-1'500'000, -2, 500'000'000},
      {-2'000'000, -2, 0},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.micros);
    google::protobuf::Timestamp out;
    ToProto(domain::Timestamp(std::chrono::microseconds(c.micros)), &out);
    EXPECT_EQ(out.seconds(), c.seconds);
    EXPECT_EQ(out.nanos(), c.nanos);
  }
}

TEST(ConvertTest, TimestampRoundTrip) {
  const domain::Timestamp time(std::chrono::microseconds(1'714'564'800'654'321));
  google::protobuf::Timestamp proto;
  ToProto(time, &proto);
  const auto back = FromProto(proto, "t");
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, time);
}

TEST(ConvertTest, MoneyAndMember) {
  v1::Money money;
  money.set_currency_code("USD");
  money.set_amount_minor(1234);
  const domain::Money domain_money = FromProto(money);
  EXPECT_EQ(domain_money.currency_code, "USD");
  EXPECT_EQ(domain_money.amount_minor, 1234);
  v1::Money back;
  ToProto(domain_money, &back);
  EXPECT_EQ(back.currency_code(), "USD");
  EXPECT_EQ(back.amount_minor(), 1234);

  domain::MemberView member;
  member.id = 77;
  member.card_numbers = {"CARD-1", "CARD-2"};
  member.balance = 500;
  member.held = 120;
  member.enrolled_at = domain::Timestamp(std::chrono::microseconds(2'000'000));
  v1::Member out;
  ToProto(member, &out);
  EXPECT_EQ(out.member_id(), "77");
  ASSERT_EQ(out.card_numbers_size(), 2);
  EXPECT_EQ(out.card_numbers(1), "CARD-2");
  EXPECT_EQ(out.balance(), 500);
  EXPECT_EQ(out.held(), 120);
  EXPECT_EQ(out.available(), 380);
  EXPECT_EQ(out.enrolled_at().seconds(), 2);
}

TEST(ConvertTest, MemberRefFromProto) {
  const auto by_card = MemberRefFromProto(true, "CARD-1", false, "");
  ASSERT_TRUE(by_card.ok());
  EXPECT_EQ(by_card->card_number, "CARD-1");
  EXPECT_FALSE(by_card->member_id.has_value());

  const auto by_id = MemberRefFromProto(false, "", true, "42");
  ASSERT_TRUE(by_id.ok());
  EXPECT_EQ(by_id->member_id, 42);
  EXPECT_EQ(by_id->card_number, "");

  const auto neither = MemberRefFromProto(false, "", false, "");
  ASSERT_TRUE(neither.ok());
  EXPECT_EQ(neither->card_number, "");
  EXPECT_FALSE(neither->member_id.has_value());

  for (const char* bad : {"", "0", "-1", "12a", "abc", "99999999999999999999"}) {
    SCOPED_TRACE(bad);
    const auto result = MemberRefFromProto(false, "", true, bad);
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.error().code, domain::ErrorCode::kInvalidArgument);
    EXPECT_EQ(result.error().field, "member_id");
  }
}

}  // namespace
}  // namespace coalition::rpc::test
