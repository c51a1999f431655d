// A catalogue of hostile and malformed requests (SPEC §8, issue 9): each
// gets its exact code, reason and field, and none changes the database.
#include <climits>
#include <functional>

#include "e2e/e2e_fixture.h"

namespace coalition::testing {
namespace {

using grpc::StatusCode;

struct Hostile {
  std::string name;
  std::function<grpc::Status()> call;
  StatusCode code;
  std::string reason;
  std::string field;  // "*" = not checked
};

class HostileInputE2eTest : public E2eFixture {
 protected:
  void SetUp() override {
    market_ = CreatePartner("market", 1, 1);
    fuel_ = CreatePartner("fuel", 1, 1);
    ASSERT_TRUE(E2eFixture::Enroll(market_.api_key, "GOOD-CARD").ok());
    ASSERT_TRUE(E2eFixture::Accrue(market_.api_key, "seed", "GOOD-CARD", 100).ok());
    market_hold_ = Hold(market_.api_key, "market-hold", 10);
    fuel_hold_ = Hold(fuel_.api_key, "fuel-hold", 10);
    // A key that worked and was revoked.
    v1::CreateApiKeyRequest create;
    create.set_partner_code("market");
    v1::CreateApiKeyResponse created;
    ASSERT_TRUE(AdminStub()->CreateApiKey(Context(kOperatorKey).get(), create, &created).ok());
    v1::RevokeApiKeyRequest revoke;
    revoke.set_key_id(created.api_key().key_id());
    v1::RevokeApiKeyResponse revoked;
    ASSERT_TRUE(AdminStub()->RevokeApiKey(Context(kOperatorKey).get(), revoke, &revoked).ok());
    revoked_key_ = created.api_key_secret();
  }

  std::string Hold(const std::string& key, const std::string& id, int64_t points) {
    v1::HoldPointsRequest request;
    request.set_request_id(id);
    request.set_card_number("GOOD-CARD");
    request.set_points(points);
    v1::HoldPointsResponse response;
    EXPECT_TRUE(PartnerStub()->HoldPoints(Context(key).get(), request, &response).ok());
    return response.hold().hold_id();
  }

  // Builders: a valid request, changed by `mutate`, sent with `key`.
  template <typename Request, typename Response, typename Method>
  std::function<grpc::Status()> Partner(Method method, std::function<void(Request&)> defaults,
                                        std::function<void(Request&)> mutate,
                                        std::string key = "") {
    if (key.empty()) key = market_.api_key;
    return [this, method, defaults, mutate, key] {
      Request request;
      defaults(request);
      mutate(request);
      Response response;
      auto stub = PartnerStub();
      return ((*stub).*method)(Context(key).get(), request, &response);
    };
  }

  std::function<grpc::Status()> Accrue(std::function<void(v1::AccrueRequest&)> mutate,
                                       std::string key = "") {
    return Partner<v1::AccrueRequest, v1::AccrueResponse>(
        &v1::PartnerService::Stub::Accrue,
        [](v1::AccrueRequest& r) {
          r.set_request_id("hostile-accrue");
          r.set_card_number("GOOD-CARD");
          r.mutable_amount()->set_currency_code("USD");
          r.mutable_amount()->set_amount_minor(100);
        },
        std::move(mutate), std::move(key));
  }
  std::function<grpc::Status()> Redeem(std::function<void(v1::RedeemRequest&)> mutate,
                                       std::string key = "") {
    return Partner<v1::RedeemRequest, v1::RedeemResponse>(
        &v1::PartnerService::Stub::Redeem,
        [](v1::RedeemRequest& r) {
          r.set_request_id("hostile-redeem");
          r.set_card_number("GOOD-CARD");
          r.set_points(5);
        },
        std::move(mutate), std::move(key));
  }
  std::function<grpc::Status()> Enroll(std::function<void(v1::EnrollMemberRequest&)> mutate,
                                       std::string key = "") {
    return Partner<v1::EnrollMemberRequest, v1::EnrollMemberResponse>(
        &v1::PartnerService::Stub::EnrollMember,
        [](v1::EnrollMemberRequest& r) {
          r.set_request_id("hostile-enroll");
          r.set_card_number("NEW-CARD-1");
        },
        std::move(mutate), std::move(key));
  }
  std::function<grpc::Status()> HoldCall(std::function<void(v1::HoldPointsRequest&)> mutate) {
    return Partner<v1::HoldPointsRequest, v1::HoldPointsResponse>(
        &v1::PartnerService::Stub::HoldPoints,
        [](v1::HoldPointsRequest& r) {
          r.set_request_id("hostile-hold");
          r.set_card_number("GOOD-CARD");
          r.set_points(5);
        },
        std::move(mutate));
  }
  std::function<grpc::Status()> Capture(std::function<void(v1::CapturePointsRequest&)> mutate) {
    const std::string hold = market_hold_;
    return Partner<v1::CapturePointsRequest, v1::CapturePointsResponse>(
        &v1::PartnerService::Stub::CapturePoints,
        [hold](v1::CapturePointsRequest& r) {
          r.set_request_id("hostile-capture");
          r.set_hold_id(hold);
        },
        std::move(mutate));
  }
  std::function<grpc::Status()> Void(std::function<void(v1::VoidHoldRequest&)> mutate) {
    const std::string hold = market_hold_;
    return Partner<v1::VoidHoldRequest, v1::VoidHoldResponse>(
        &v1::PartnerService::Stub::VoidHold,
        [hold](v1::VoidHoldRequest& r) {
          r.set_request_id("hostile-void");
          r.set_hold_id(hold);
        },
        std::move(mutate));
  }
  std::function<grpc::Status()> Get(std::function<void(v1::GetMemberRequest&)> mutate,
                                    std::string key = "") {
    return Partner<v1::GetMemberRequest, v1::GetMemberResponse>(
        &v1::PartnerService::Stub::GetMember,
        [](v1::GetMemberRequest& r) { r.set_card_number("GOOD-CARD"); }, std::move(mutate),
        std::move(key));
  }
  std::function<grpc::Status()> List(std::function<void(v1::ListTransactionsRequest&)> mutate) {
    return Partner<v1::ListTransactionsRequest, v1::ListTransactionsResponse>(
        &v1::PartnerService::Stub::ListTransactions,
        [](v1::ListTransactionsRequest& r) { r.set_card_number("GOOD-CARD"); },
        std::move(mutate));
  }
  std::function<grpc::Status()> CreatePartnerCall(
      std::function<void(v1::CreatePartnerRequest&)> mutate, std::string key = kOperatorKey) {
    return [this, mutate, key] {
      v1::CreatePartnerRequest request;
      request.set_code("newco");
      request.set_display_name("NewCo");
      request.mutable_earn_rate()->set_points(1);
      request.mutable_earn_rate()->set_per_amount_minor(100);
      mutate(request);
      v1::CreatePartnerResponse response;
      return AdminStub()->CreatePartner(Context(key).get(), request, &response);
    };
  }

  PartnerCredentials market_;
  PartnerCredentials fuel_;
  std::string market_hold_;
  std::string fuel_hold_;
  std::string revoked_key_;
};

constexpr auto kInvalid = StatusCode::INVALID_ARGUMENT;

TEST_F(HostileInputE2eTest, EveryHostileRequestGetsItsExactErrorAndWritesNothing) {
  const std::string huge(100'000, 'x');
  const std::string bad_utf8 = "\xC0\x80";
  const std::string overlong = "\xE0\x80\xAF";
  const std::string surrogate = "\xED\xA0\x80";
  const std::string control = "a\x01z";
  const std::string c1_control = "a\xC2\x85z";
  std::vector<Hostile> cases = {
      // --- credentials
      {"accrue without a key", Accrue([](auto&) {}, " "), StatusCode::UNAUTHENTICATED,
       "UNAUTHENTICATED", ""},
      {"accrue with a revoked key", Accrue([](auto&) {}, revoked_key_),
       StatusCode::UNAUTHENTICATED, "UNAUTHENTICATED", ""},
      {"accrue with the operator key", Accrue([](auto&) {}, kOperatorKey),
       StatusCode::PERMISSION_DENIED, "PERMISSION_DENIED", ""},
      {"accrue with a 600-byte key", Accrue([](auto&) {}, std::string(600, 'k')),
       StatusCode::UNAUTHENTICATED, "UNAUTHENTICATED", ""},
      {"redeem with a revoked key", Redeem([](auto&) {}, revoked_key_),
       StatusCode::UNAUTHENTICATED, "UNAUTHENTICATED", ""},
      {"enroll with a revoked key", Enroll([](auto&) {}, revoked_key_),
       StatusCode::UNAUTHENTICATED, "UNAUTHENTICATED", ""},
      {"get member with a revoked key", Get([](auto&) {}, revoked_key_),
       StatusCode::UNAUTHENTICATED, "UNAUTHENTICATED", ""},
      {"create partner with a made-up key", CreatePartnerCall([](auto&) {}, "made-up-key"),
       StatusCode::UNAUTHENTICATED, "UNAUTHENTICATED", ""},
      {"create partner with a partner key", CreatePartnerCall([](auto&) {}, market_.api_key),
       StatusCode::PERMISSION_DENIED, "PERMISSION_DENIED", ""},
      {"create partner with a revoked key", CreatePartnerCall([](auto&) {}, revoked_key_),
       StatusCode::UNAUTHENTICATED, "UNAUTHENTICATED", ""},
      // --- request ids
      {"accrue: empty request_id", Accrue([](auto& r) { r.clear_request_id(); }), kInvalid,
       "INVALID_ARGUMENT", "request_id"},
      {"accrue: 65-char request_id", Accrue([](auto& r) { r.set_request_id(std::string(65, 'a')); }),
       kInvalid, "INVALID_ARGUMENT", "request_id"},
      {"accrue: huge request_id", Accrue([&](auto& r) { r.set_request_id(huge); }), kInvalid,
       "INVALID_ARGUMENT", "request_id"},
      {"accrue: request_id with SQL", Accrue([](auto& r) { r.set_request_id("x';DROP TABLE transfers;--"); }),
       kInvalid, "INVALID_ARGUMENT", "request_id"},
      {"accrue: request_id with NUL", Accrue([](auto& r) { r.set_request_id(std::string("a\0b", 3)); }),
       kInvalid, "INVALID_ARGUMENT", "request_id"},
      {"accrue: request_id with unicode", Accrue([](auto& r) { r.set_request_id("r\xC3\xA9q"); }),
       kInvalid, "INVALID_ARGUMENT", "request_id"},
      {"redeem: empty request_id", Redeem([](auto& r) { r.clear_request_id(); }), kInvalid,
       "INVALID_ARGUMENT", "request_id"},
      {"enroll: empty request_id", Enroll([](auto& r) { r.clear_request_id(); }), kInvalid,
       "INVALID_ARGUMENT", "request_id"},
      {"hold: empty request_id", HoldCall([](auto& r) { r.clear_request_id(); }), kInvalid,
       "INVALID_ARGUMENT", "request_id"},
      {"capture: empty request_id", Capture([](auto& r) { r.clear_request_id(); }), kInvalid,
       "INVALID_ARGUMENT", "request_id"},
      {"void: empty request_id", Void([](auto& r) { r.clear_request_id(); }), kInvalid,
       "INVALID_ARGUMENT", "request_id"},
      {"accrue: request_id reused with another body", Accrue([](auto& r) {
         r.set_request_id("seed");
         r.mutable_amount()->set_amount_minor(999);
       }),
       StatusCode::ALREADY_EXISTS, "REQUEST_ID_REUSED", ""},
      // --- amounts
      {"accrue: zero amount", Accrue([](auto& r) { r.mutable_amount()->set_amount_minor(0); }),
       kInvalid, "INVALID_ARGUMENT", "amount.amount_minor"},
      {"accrue: -1 amount", Accrue([](auto& r) { r.mutable_amount()->set_amount_minor(-1); }),
       kInvalid, "INVALID_ARGUMENT", "amount.amount_minor"},
      {"accrue: INT64_MIN amount",
       Accrue([](auto& r) { r.mutable_amount()->set_amount_minor(INT64_MIN); }), kInvalid,
       "INVALID_ARGUMENT", "amount.amount_minor"},
      {"accrue: INT64_MAX amount",
       Accrue([](auto& r) { r.mutable_amount()->set_amount_minor(INT64_MAX); }), kInvalid,
       "INVALID_ARGUMENT", "amount.amount_minor"},
      {"accrue: 10^12+1 amount",
       Accrue([](auto& r) { r.mutable_amount()->set_amount_minor(1'000'000'000'001); }),
       kInvalid, "INVALID_ARGUMENT", "amount.amount_minor"},
      {"accrue: wrong currency", Accrue([](auto& r) { r.mutable_amount()->set_currency_code("EUR"); }),
       kInvalid, "CURRENCY_MISMATCH", "amount.currency_code"},
      {"accrue: lower-case currency",
       Accrue([](auto& r) { r.mutable_amount()->set_currency_code("usd"); }), kInvalid,
       "CURRENCY_MISMATCH", "amount.currency_code"},
      {"accrue: empty currency", Accrue([](auto& r) { r.mutable_amount()->clear_currency_code(); }),
       kInvalid, "CURRENCY_MISMATCH", "amount.currency_code"},
      {"accrue: huge currency", Accrue([&](auto& r) { r.mutable_amount()->set_currency_code(huge); }),
       kInvalid, "CURRENCY_MISMATCH", "amount.currency_code"},
      {"accrue: no amount", Accrue([](auto& r) { r.clear_amount(); }), kInvalid,
       "CURRENCY_MISMATCH", "amount.currency_code"},
      // --- points
      {"redeem: zero points", Redeem([](auto& r) { r.set_points(0); }), kInvalid,
       "INVALID_ARGUMENT", "points"},
      {"redeem: -1 points", Redeem([](auto& r) { r.set_points(-1); }), kInvalid,
       "INVALID_ARGUMENT", "points"},
      {"redeem: INT64_MIN points", Redeem([](auto& r) { r.set_points(INT64_MIN); }), kInvalid,
       "INVALID_ARGUMENT", "points"},
      {"redeem: INT64_MAX points", Redeem([](auto& r) { r.set_points(INT64_MAX); }), kInvalid,
       "INVALID_ARGUMENT", "points"},
      {"redeem: 10^12+1 points", Redeem([](auto& r) { r.set_points(1'000'000'000'001); }),
       kInvalid, "INVALID_ARGUMENT", "points"},
      {"redeem: more than available", Redeem([](auto& r) { r.set_points(81); }),
       StatusCode::FAILED_PRECONDITION, "INSUFFICIENT_POINTS", ""},
      {"hold: zero points", HoldCall([](auto& r) { r.set_points(0); }), kInvalid,
       "INVALID_ARGUMENT", "points"},
      {"hold: -5 points", HoldCall([](auto& r) { r.set_points(-5); }), kInvalid,
       "INVALID_ARGUMENT", "points"},
      {"hold: INT64_MAX points", HoldCall([](auto& r) { r.set_points(INT64_MAX); }), kInvalid,
       "INVALID_ARGUMENT", "points"},
      {"hold: more than available", HoldCall([](auto& r) { r.set_points(81); }),
       StatusCode::FAILED_PRECONDITION, "INSUFFICIENT_POINTS", ""},
      {"hold: negative ttl", HoldCall([](auto& r) { r.set_ttl_seconds(-1); }), kInvalid,
       "INVALID_ARGUMENT", "ttl_seconds"},
      {"hold: ttl above the maximum", HoldCall([](auto& r) { r.set_ttl_seconds(INT32_MAX); }),
       kInvalid, "INVALID_ARGUMENT", "ttl_seconds"},
      {"capture: -1 points", Capture([](auto& r) { r.set_points(-1); }), kInvalid,
       "INVALID_ARGUMENT", "points"},
      {"capture: INT64_MAX points", Capture([](auto& r) { r.set_points(INT64_MAX); }), kInvalid,
       "INVALID_ARGUMENT", "points"},
      {"capture: more than held", Capture([](auto& r) { r.set_points(11); }),
       StatusCode::FAILED_PRECONDITION, "CAPTURE_EXCEEDS_HOLD", ""},
      // --- foreign and malformed hold ids
      {"capture: another partner's hold",
       Capture([this](auto& r) { r.set_hold_id(fuel_hold_); }), StatusCode::NOT_FOUND,
       "HOLD_NOT_FOUND", ""},
      {"void: another partner's hold", Void([this](auto& r) { r.set_hold_id(fuel_hold_); }),
       StatusCode::NOT_FOUND, "HOLD_NOT_FOUND", ""},
      {"capture: unknown hold", Capture([](auto& r) { r.set_hold_id("987654321"); }),
       StatusCode::NOT_FOUND, "HOLD_NOT_FOUND", ""},
      {"void: unknown hold", Void([](auto& r) { r.set_hold_id("987654321"); }),
       StatusCode::NOT_FOUND, "HOLD_NOT_FOUND", ""},
      {"capture: empty hold_id", Capture([](auto& r) { r.clear_hold_id(); }), kInvalid,
       "INVALID_ARGUMENT", "hold_id"},
      {"capture: negative hold_id", Capture([](auto& r) { r.set_hold_id("-3"); }), kInvalid,
       "INVALID_ARGUMENT", "hold_id"},
      {"capture: hex hold_id", Capture([](auto& r) { r.set_hold_id("0x10"); }), kInvalid,
       "INVALID_ARGUMENT", "hold_id"},
      {"capture: overflowing hold_id",
       Capture([](auto& r) { r.set_hold_id("99999999999999999999999"); }), kInvalid,
       "INVALID_ARGUMENT", "hold_id"},
      {"capture: huge hold_id", Capture([&](auto& r) { r.set_hold_id(huge); }), kInvalid,
       "INVALID_ARGUMENT", "hold_id"},
      {"void: hold_id with SQL", Void([](auto& r) { r.set_hold_id("1 OR 1=1"); }), kInvalid,
       "INVALID_ARGUMENT", "hold_id"},
      {"void: zero hold_id", Void([](auto& r) { r.set_hold_id("0"); }), kInvalid,
       "INVALID_ARGUMENT", "hold_id"},
      // --- card numbers and member ids
      {"accrue: empty card", Accrue([](auto& r) { r.clear_card_number(); }), kInvalid,
       "INVALID_ARGUMENT", "card_number"},
      {"accrue: 3-char card", Accrue([](auto& r) { r.set_card_number("ABC"); }), kInvalid,
       "INVALID_ARGUMENT", "card_number"},
      {"accrue: 33-char card", Accrue([](auto& r) { r.set_card_number(std::string(33, '1')); }),
       kInvalid, "INVALID_ARGUMENT", "card_number"},
      {"accrue: huge card", Accrue([&](auto& r) { r.set_card_number(huge); }), kInvalid,
       "INVALID_ARGUMENT", "card_number"},
      {"accrue: card with SQL", Accrue([](auto& r) { r.set_card_number("1'; DELETE FROM lots;--"); }),
       kInvalid, "INVALID_ARGUMENT", "card_number"},
      {"accrue: card with spaces", Accrue([](auto& r) { r.set_card_number("1234 5678"); }),
       kInvalid, "INVALID_ARGUMENT", "card_number"},
      {"accrue: card with NUL", Accrue([](auto& r) { r.set_card_number(std::string("1234\0" "5678", 9)); }),
       kInvalid, "INVALID_ARGUMENT", "card_number"},
      {"accrue: card with unicode digits", Accrue([](auto& r) { r.set_card_number("\xD9\xA1\xD9\xA2\xD9\xA3\xD9\xA4"); }),
       kInvalid, "INVALID_ARGUMENT", "card_number"},
      {"accrue: unknown card", Accrue([](auto& r) { r.set_card_number("NOBODY-CARD"); }),
       StatusCode::NOT_FOUND, "MEMBER_NOT_FOUND", ""},
      {"redeem: no member", Redeem([](auto& r) { r.clear_card_number(); }), kInvalid,
       "INVALID_ARGUMENT", "member"},
      {"redeem: member_id not a number", Redeem([](auto& r) { r.set_member_id("abc"); }),
       kInvalid, "INVALID_ARGUMENT", "member_id"},
      {"redeem: negative member_id", Redeem([](auto& r) { r.set_member_id("-1"); }), kInvalid,
       "INVALID_ARGUMENT", "member_id"},
      {"redeem: zero member_id", Redeem([](auto& r) { r.set_member_id("0"); }), kInvalid,
       "INVALID_ARGUMENT", "member_id"},
      {"redeem: overflowing member_id",
       Redeem([](auto& r) { r.set_member_id("9223372036854775808"); }), kInvalid,
       "INVALID_ARGUMENT", "member_id"},
      {"redeem: unknown member_id", Redeem([](auto& r) { r.set_member_id("888888"); }),
       StatusCode::NOT_FOUND, "MEMBER_NOT_FOUND", ""},
      {"redeem: system account as member (BREAKAGE is 1)",
       Redeem([](auto& r) { r.set_member_id("1"); }), StatusCode::NOT_FOUND, "MEMBER_NOT_FOUND",
       ""},
      {"get: unknown card", Get([](auto& r) { r.set_card_number("NOBODY-CARD"); }),
       StatusCode::NOT_FOUND, "MEMBER_NOT_FOUND", ""},
      {"get: nothing given", Get([](auto& r) { r.clear_card_number(); }), kInvalid,
       "INVALID_ARGUMENT", "member"},
      {"get: malformed email", Get([](auto& r) { r.set_email("no-at-sign"); }), kInvalid,
       "INVALID_ARGUMENT", "email"},
      {"get: huge email", Get([&](auto& r) { r.set_email(huge + "@x.y"); }), kInvalid,
       "INVALID_ARGUMENT", "email"},
      {"get: email with controls", Get([&](auto& r) { r.set_email("a@b" + control); }), kInvalid,
       "INVALID_ARGUMENT", "email"},
      {"get: phone too long", Get([](auto& r) { r.set_phone(std::string(33, '5')); }), kInvalid,
       "INVALID_ARGUMENT", "phone"},
      {"get: unknown email", Get([](auto& r) { r.set_email("ghost@example.com"); }),
       StatusCode::NOT_FOUND, "MEMBER_NOT_FOUND", ""},
      {"get: empty phone", Get([](auto& r) { r.set_phone(""); }), kInvalid,
       "INVALID_ARGUMENT", "member"},
      // --- enrolment
      {"enroll: card already enrolled", Enroll([](auto& r) { r.set_card_number("GOOD-CARD"); }),
       StatusCode::ALREADY_EXISTS, "CARD_ALREADY_ENROLLED", ""},
      {"enroll: bad card", Enroll([](auto& r) { r.set_card_number("!!"); }), kInvalid,
       "INVALID_ARGUMENT", "card_number"},
      {"enroll: given name too long",
       Enroll([](auto& r) { r.mutable_profile()->set_given_name(std::string(201, 'g')); }),
       kInvalid, "INVALID_ARGUMENT", "profile.given_name"},
      {"enroll: huge family name",
       Enroll([&](auto& r) { r.mutable_profile()->set_family_name(huge); }), kInvalid,
       "INVALID_ARGUMENT", "profile.family_name"},
      {"enroll: name with control",
       Enroll([&](auto& r) { r.mutable_profile()->set_given_name(control); }), kInvalid,
       "INVALID_ARGUMENT", "profile.given_name"},
      {"enroll: name with C1 control",
       Enroll([&](auto& r) { r.mutable_profile()->set_family_name(c1_control); }), kInvalid,
       "INVALID_ARGUMENT", "profile.family_name"},
      {"enroll: email without @",
       Enroll([](auto& r) { r.mutable_profile()->set_email("zoe.example.com"); }), kInvalid,
       "INVALID_ARGUMENT", "profile.email"},
      {"enroll: email too long",
       Enroll([](auto& r) { r.mutable_profile()->set_email(std::string(250, 'z') + "@x.co"); }),
       kInvalid, "INVALID_ARGUMENT", "profile.email"},
      {"enroll: phone too long",
       Enroll([](auto& r) { r.mutable_profile()->set_phone(std::string(33, '1')); }), kInvalid,
       "INVALID_ARGUMENT", "profile.phone"},
      {"enroll: phone with newline",
       Enroll([](auto& r) { r.mutable_profile()->set_phone("555\n0100"); }), kInvalid,
       "INVALID_ARGUMENT", "profile.phone"},
      // --- free text fields
      {"accrue: store_id 129 bytes", Accrue([](auto& r) { r.set_store_id(std::string(129, 's')); }),
       kInvalid, "INVALID_ARGUMENT", "store_id"},
      {"accrue: huge store_id", Accrue([&](auto& r) { r.set_store_id(huge); }), kInvalid,
       "INVALID_ARGUMENT", "store_id"},
      {"accrue: store_id with control", Accrue([&](auto& r) { r.set_store_id(control); }),
       kInvalid, "INVALID_ARGUMENT", "store_id"},
      {"accrue: receipt_id with NUL", Accrue([](auto& r) { r.set_receipt_id(std::string("r\0", 2)); }),
       kInvalid, "INVALID_ARGUMENT", "receipt_id"},
      {"accrue: receipt_id with C1 control", Accrue([&](auto& r) { r.set_receipt_id(c1_control); }),
       kInvalid, "INVALID_ARGUMENT", "receipt_id"},
      {"redeem: reference 129 bytes",
       Redeem([](auto& r) { r.set_reference(std::string(129, 'r')); }), kInvalid,
       "INVALID_ARGUMENT", "reference"},
      {"redeem: reference with escape",
       Redeem([](auto& r) { r.set_reference("\x1b[31mred"); }), kInvalid, "INVALID_ARGUMENT",
       "reference"},
      {"hold: reference with DEL", HoldCall([](auto& r) { r.set_reference("a\x7f"); }), kInvalid,
       "INVALID_ARGUMENT", "reference"},
      // --- invalid UTF-8: refused by the protobuf parser, named by the interceptor
      {"accrue: invalid UTF-8 store_id", Accrue([&](auto& r) { r.set_store_id(bad_utf8); }),
       kInvalid, "MALFORMED_REQUEST", ""},
      {"accrue: overlong UTF-8 receipt_id",
       Accrue([&](auto& r) { r.set_receipt_id(overlong); }), kInvalid, "MALFORMED_REQUEST", ""},
      {"accrue: surrogate in request_id", Accrue([&](auto& r) { r.set_request_id(surrogate); }),
       kInvalid, "MALFORMED_REQUEST", ""},
      {"accrue: invalid UTF-8 card", Accrue([&](auto& r) { r.set_card_number("\xFF\xFE"); }),
       kInvalid, "MALFORMED_REQUEST", ""},
      {"accrue: invalid UTF-8 currency",
       Accrue([&](auto& r) { r.mutable_amount()->set_currency_code("U\xC3"); }), kInvalid,
       "MALFORMED_REQUEST", ""},
      {"redeem: invalid UTF-8 reference", Redeem([&](auto& r) { r.set_reference(bad_utf8); }),
       kInvalid, "MALFORMED_REQUEST", ""},
      {"enroll: invalid UTF-8 name",
       Enroll([&](auto& r) { r.mutable_profile()->set_given_name(bad_utf8); }), kInvalid,
       "MALFORMED_REQUEST", ""},
      {"enroll: truncated UTF-8 email",
       Enroll([&](auto& r) { r.mutable_profile()->set_email("zo\xC3@x.y"); }), kInvalid,
       "MALFORMED_REQUEST", ""},
      {"get: invalid UTF-8 email", Get([&](auto& r) { r.set_email(bad_utf8); }), kInvalid,
       "MALFORMED_REQUEST", ""},
      {"capture: invalid UTF-8 hold_id", Capture([&](auto& r) { r.set_hold_id(bad_utf8); }),
       kInvalid, "MALFORMED_REQUEST", ""},
      {"create partner: invalid UTF-8 name",
       CreatePartnerCall([&](auto& r) { r.set_display_name(bad_utf8); }), kInvalid,
       "MALFORMED_REQUEST", ""},
      // --- line items
      {"accrue: line items above the amount", Accrue([](auto& r) {
         auto* item = r.add_line_items();
         item->mutable_amount()->set_currency_code("USD");
         item->mutable_amount()->set_amount_minor(101);
       }),
       kInvalid, "INVALID_ARGUMENT", "line_items"},
      {"accrue: line item in another currency", Accrue([](auto& r) {
         auto* item = r.add_line_items();
         item->mutable_amount()->set_currency_code("GBP");
         item->mutable_amount()->set_amount_minor(10);
       }),
       kInvalid, "CURRENCY_MISMATCH", "line_items[0].amount.currency_code"},
      {"accrue: negative line item", Accrue([](auto& r) {
         auto* item = r.add_line_items();
         item->mutable_amount()->set_currency_code("USD");
         item->mutable_amount()->set_amount_minor(-10);
       }),
       kInvalid, "INVALID_ARGUMENT", "line_items[0].amount.amount_minor"},
      {"accrue: line items summing past int64", Accrue([](auto& r) {
         r.mutable_amount()->set_amount_minor(1'000'000'000'000);
         for (int i = 0; i < 3; ++i) {
           auto* item = r.add_line_items();
           item->mutable_amount()->set_currency_code("USD");
           item->mutable_amount()->set_amount_minor(INT64_MAX / 2);
         }
       }),
       kInvalid, "INVALID_ARGUMENT", "line_items[0].amount.amount_minor"},
      {"accrue: 501 line items", Accrue([](auto& r) {
         for (int i = 0; i < 501; ++i) {
           auto* item = r.add_line_items();
           item->mutable_amount()->set_currency_code("USD");
           item->mutable_amount()->set_amount_minor(0);
         }
       }),
       kInvalid, "INVALID_ARGUMENT", "line_items"},
      {"accrue: line item sku with control", Accrue([&](auto& r) {
         auto* item = r.add_line_items();
         item->set_sku(control);
         item->mutable_amount()->set_currency_code("USD");
         item->mutable_amount()->set_amount_minor(1);
       }),
       kInvalid, "INVALID_ARGUMENT", "line_items[0].sku"},
      // --- timestamps
      {"accrue: occurred_at before 1970",
       Accrue([](auto& r) { r.mutable_occurred_at()->set_seconds(-1); }), kInvalid,
       "INVALID_ARGUMENT", "occurred_at"},
      {"accrue: occurred_at after 9999",
       Accrue([](auto& r) { r.mutable_occurred_at()->set_seconds(253402300800); }), kInvalid,
       "INVALID_ARGUMENT", "occurred_at"},
      {"accrue: occurred_at nanos out of range",
       Accrue([](auto& r) { r.mutable_occurred_at()->set_nanos(1'000'000'000); }), kInvalid,
       "INVALID_ARGUMENT", "occurred_at"},
      {"accrue: occurred_at negative nanos",
       Accrue([](auto& r) { r.mutable_occurred_at()->set_nanos(-1); }), kInvalid,
       "INVALID_ARGUMENT", "occurred_at"},
      // --- paging
      {"list: forged page token", List([](auto& r) { r.set_page_token("AAAA"); }), kInvalid,
       "INVALID_PAGE_TOKEN", "page_token"},
      {"list: huge page token", List([&](auto& r) { r.set_page_token(huge); }), kInvalid,
       "INVALID_PAGE_TOKEN", "page_token"},
      {"list: negative page size", List([](auto& r) { r.set_page_size(-1); }), kInvalid,
       "INVALID_ARGUMENT", "page_size"},
      {"list: page size above 500", List([](auto& r) { r.set_page_size(501); }), kInvalid,
       "INVALID_ARGUMENT", "page_size"},
      {"list: unknown card", List([](auto& r) { r.set_card_number("NOBODY-CARD"); }),
       StatusCode::NOT_FOUND, "MEMBER_NOT_FOUND", ""},
      // --- administration
      {"create partner: taken code", CreatePartnerCall([](auto& r) { r.set_code("market"); }),
       StatusCode::ALREADY_EXISTS, "PARTNER_CODE_TAKEN", ""},
      {"create partner: upper-case code", CreatePartnerCall([](auto& r) { r.set_code("NewCo"); }),
       kInvalid, "INVALID_ARGUMENT", "code"},
      {"create partner: huge code", CreatePartnerCall([&](auto& r) { r.set_code(huge); }),
       kInvalid, "INVALID_ARGUMENT", "code"},
      {"create partner: empty name", CreatePartnerCall([](auto& r) { r.clear_display_name(); }),
       kInvalid, "INVALID_ARGUMENT", "display_name"},
      {"create partner: zero earn points",
       CreatePartnerCall([](auto& r) { r.mutable_earn_rate()->set_points(0); }), kInvalid,
       "INVALID_ARGUMENT", "*"},
      {"create partner: negative earn per amount",
       CreatePartnerCall([](auto& r) { r.mutable_earn_rate()->set_per_amount_minor(-100); }),
       kInvalid, "INVALID_ARGUMENT", "*"},
      {"create partner: negative issuance price",
       CreatePartnerCall([](auto& r) { r.set_issuance_price_micros(-1); }), kInvalid,
       "INVALID_ARGUMENT", "issuance_price_micros"},
      {"create partner: overflowing redemption rate",
       CreatePartnerCall([](auto& r) { r.set_redemption_rate_micros(INT64_MAX); }), kInvalid,
       "INVALID_ARGUMENT", "redemption_rate_micros"},
  };
  // Oversized messages: refused by gRPC before any handler runs.
  cases.push_back({"accrue: 2 MiB message",
                   Accrue([](auto& r) { r.set_store_id(std::string(2 << 20, 's')); }),
                   StatusCode::RESOURCE_EXHAUSTED, "", ""});
  cases.push_back({"enroll: 2 MiB name", Enroll([](auto& r) {
                     r.mutable_profile()->set_given_name(std::string(2 << 20, 'n'));
                   }),
                   StatusCode::RESOURCE_EXHAUSTED, "", ""});
  // Unknown enum values: a refund policy this server does not know.
  cases.push_back({"set policy: unknown refund policy", [this] {
                     v1::SetRedemptionPolicyRequest request;
                     request.set_partner_code("market");
                     request.mutable_policy()->set_point_value_micros(10'000);
                     request.mutable_policy()->set_block_size_points(1);
                     request.mutable_policy()->set_max_points_share_bps(10'000);
                     request.mutable_policy()->set_refund_policy(
                         static_cast<v1::RefundPolicy>(99));
                     v1::RedemptionPolicyResponse response;
                     return AdminStub()->SetRedemptionPolicy(Context(kOperatorKey).get(),
                                                             request, &response);
                   },
                   kInvalid, "INVALID_ARGUMENT", "*"});
  cases.push_back({"set policy: unspecified refund policy", [this] {
                     v1::SetRedemptionPolicyRequest request;
                     request.set_partner_code("market");
                     request.mutable_policy()->set_point_value_micros(10'000);
                     request.mutable_policy()->set_block_size_points(1);
                     request.mutable_policy()->set_max_points_share_bps(10'000);
                     v1::RedemptionPolicyResponse response;
                     return AdminStub()->SetRedemptionPolicy(Context(kOperatorKey).get(),
                                                             request, &response);
                   },
                   kInvalid, "INVALID_ARGUMENT", "*"});
  cases.push_back({"revoke: key id not a number", [this] {
                     v1::RevokeApiKeyRequest request;
                     request.set_key_id("key-1");
                     v1::RevokeApiKeyResponse response;
                     return AdminStub()->RevokeApiKey(Context(kOperatorKey).get(), request,
                                                      &response);
                   },
                   kInvalid, "INVALID_ARGUMENT", "key_id"});
  cases.push_back({"create key: unknown partner", [this] {
                     v1::CreateApiKeyRequest request;
                     request.set_partner_code("nobody");
                     v1::CreateApiKeyResponse response;
                     return AdminStub()->CreateApiKey(Context(kOperatorKey).get(), request,
                                                      &response);
                   },
                   StatusCode::NOT_FOUND, "PARTNER_NOT_FOUND", ""});
  cases.push_back({"rotate: batch size above the maximum", [this] {
                     v1::RotatePiiKeysRequest request;
                     request.set_batch_size(10'001);
                     v1::RotatePiiKeysResponse response;
                     return AdminStub()->RotatePiiKeys(Context(kOperatorKey).get(), request,
                                                       &response);
                   },
                   kInvalid, "INVALID_ARGUMENT", "batch_size"});
  cases.push_back({"audit: forged page token", [this] {
                     v1::ListAuditEventsRequest request;
                     request.set_page_token("forged");
                     v1::ListAuditEventsResponse response;
                     return AdminStub()->ListAuditEvents(Context(kOperatorKey).get(), request,
                                                         &response);
                   },
                   kInvalid, "INVALID_PAGE_TOKEN", "page_token"});

  ASSERT_GE(cases.size(), 100u);
  // The audit log grows with administrative calls of authenticated callers; the
  // ledger must not change at all.
  const auto before = db_.Fingerprint();
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const auto status = c.call();
    EXPECT_EQ(status.error_code(), c.code) << sdk::FormatError(status);
    EXPECT_EQ(Reason(status), c.reason) << sdk::FormatError(status);
    if (c.field != "*") {
      EXPECT_EQ(Field(status), c.field) << sdk::FormatError(status);
    }
    EXPECT_EQ(db_.Fingerprint(), before);
  }
  ExpectLedgerConsistent();
}

}  // namespace
}  // namespace coalition::testing
