// Unit tests of SPEC §8 pieces that need no database: PII sealing and blind
// indexes, the role table against the proto services, the rate limiter and
// the audit JSON scrubbing.

#include <gtest/gtest.h>

#include <google/protobuf/descriptor.h>

#include <cctype>
#include <map>
#include <set>
#include <string>

#include "coalition/v1/admin_service.pb.h"
#include "coalition/v1/partner_service.pb.h"
#include "coalition/v1/settlement_service.pb.h"
#include "crypto/crypto.h"
#include "crypto/pii.h"
#include "domain/rate_limit.h"
#include "domain/validation.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "rpc/auth.h"
#include "rpc/call.h"
#include "rpc/status.h"

namespace coalition::test {
namespace {

using crypto::PiiKeyRing;

std::string Key(char fill) { return std::string(32, fill); }

PiiKeyRing Ring(std::map<std::string, std::string> keys, std::string active) {
  return PiiKeyRing(std::move(keys), std::move(active), Key('i'));
}

// ---------------------------------------------------------------------------
// AES-256-GCM and the key ring

TEST(PiiKeyRingTest, RoundTripsEveryFieldAndLength) {
  const auto ring = Ring({{"k1", Key('a')}}, "k1");
  for (const std::string& value :
       {std::string(), std::string("Zo\xC3\xAB"), std::string("zoe@example.com"),
        std::string(1000, 'x')}) {
    const auto sealed = ring.Seal(42, "email", value);
    // nonce + ciphertext + tag, and nothing of the plaintext in sight.
    EXPECT_EQ(sealed.size(), 12 + value.size() + 16);
    if (value.size() > 3) {
      EXPECT_EQ(sealed.find(value), std::string::npos);
    }
    EXPECT_EQ(ring.Open(42, "email", "k1", sealed), value);
  }
}

TEST(PiiKeyRingTest, FreshNonceEveryTime) {
  const auto ring = Ring({{"k1", Key('a')}}, "k1");
  const auto a = ring.Seal(1, "email", "same@example.com");
  const auto b = ring.Seal(1, "email", "same@example.com");
  EXPECT_NE(a, b);
  EXPECT_NE(a.substr(0, 12), b.substr(0, 12));
}

TEST(PiiKeyRingTest, AnyFlippedBitIsDetected) {
  const auto ring = Ring({{"k1", Key('a')}}, "k1");
  const auto sealed = ring.Seal(7, "phone", "+1 555 0100");
  for (size_t byte = 0; byte < sealed.size(); ++byte) {
    auto tampered = sealed;
    tampered[byte] = static_cast<char>(tampered[byte] ^ 0x01);
    EXPECT_FALSE(ring.Open(7, "phone", "k1", tampered).has_value()) << "byte " << byte;
  }
  EXPECT_FALSE(ring.Open(7, "phone", "k1", sealed.substr(0, sealed.size() - 1)).has_value());
  EXPECT_FALSE(ring.Open(7, "phone", "k1", "").has_value());
  EXPECT_FALSE(ring.Open(7, "phone", "k1", std::string(27, '\0')).has_value());
}

TEST(PiiKeyRingTest, BoundToMemberFieldAndKey) {
  const auto ring = Ring({{"k1", Key('a')}, {"k2", Key('b')}}, "k1");
  const auto sealed = ring.Seal(7, "email", "zoe@example.com");
  EXPECT_TRUE(ring.Open(7, "email", "k1", sealed).has_value());
  // Copied to another member's row, or another column: refused.
  EXPECT_FALSE(ring.Open(8, "email", "k1", sealed).has_value());
  EXPECT_FALSE(ring.Open(7, "phone", "k1", sealed).has_value());
  // Opened with the wrong key, or a key id the ring does not have.
  EXPECT_FALSE(ring.Open(7, "email", "k2", sealed).has_value());
  EXPECT_FALSE(ring.Open(7, "email", "k3", sealed).has_value());
  // Another ring with the same id but another key.
  const auto other = Ring({{"k1", Key('z')}}, "k1");
  EXPECT_FALSE(other.Open(7, "email", "k1", sealed).has_value());
}

TEST(PiiKeyRingTest, OldKeysKeepOpeningAfterTheActiveKeyChanges) {
  const auto before = Ring({{"k1", Key('a')}}, "k1");
  const auto sealed = before.Seal(3, "given_name", "Zoe");
  const auto after = Ring({{"k1", Key('a')}, {"k2", Key('b')}}, "k2");
  EXPECT_EQ(after.active_key_id(), "k2");
  EXPECT_EQ(after.Open(3, "given_name", "k1", sealed), "Zoe");
  const auto resealed = after.Seal(3, "given_name", "Zoe");
  EXPECT_EQ(after.Open(3, "given_name", "k2", resealed), "Zoe");
  EXPECT_FALSE(before.Open(3, "given_name", "k2", resealed).has_value());
}

TEST(PiiKeyRingTest, RejectsBadConfiguration) {
  EXPECT_THROW(Ring({{"k1", std::string(31, 'a')}}, "k1"), std::invalid_argument);
  EXPECT_THROW(Ring({{"k1", std::string(33, 'a')}}, "k1"), std::invalid_argument);
  EXPECT_THROW(Ring({{"k1", Key('a')}}, "k2"), std::invalid_argument);
  EXPECT_THROW(Ring({}, ""), std::invalid_argument);
  EXPECT_THROW(Ring({{"bad id", Key('a')}}, "bad id"), std::invalid_argument);
  EXPECT_THROW(PiiKeyRing({{"k1", Key('a')}}, "k1", std::string(31, 'i')),
               std::invalid_argument);
}

TEST(PiiKeyRingTest, BlindIndexesNormaliseAndAreKeyed) {
  const auto ring = Ring({{"k1", Key('a')}}, "k1");
  EXPECT_EQ(ring.EmailIndex("zoe@example.com"), ring.EmailIndex("  Zoe@Example.COM\t"));
  EXPECT_NE(ring.EmailIndex("zoe@example.com"), ring.EmailIndex("zoe@example.org"));
  EXPECT_EQ(ring.EmailIndex("zoe@example.com").size(), 32u);
  EXPECT_EQ(ring.PhoneIndex("+1 (555) 010-0200"), ring.PhoneIndex("15550100200"));
  EXPECT_NE(ring.PhoneIndex("15550100200"), ring.PhoneIndex("15550100201"));
  // An email and a phone with the same text do not collide.
  EXPECT_NE(ring.EmailIndex("123"), ring.PhoneIndex("123"));
  EXPECT_EQ(ring.EmailIndex("   "), "");
  EXPECT_EQ(ring.PhoneIndex("no digits"), "");
  // Another index key gives unrelated indexes; never a plain hash.
  const PiiKeyRing other({{"k1", Key('a')}}, "k1", Key('j'));
  EXPECT_NE(ring.EmailIndex("zoe@example.com"), other.EmailIndex("zoe@example.com"));
  EXPECT_NE(ring.EmailIndex("zoe@example.com"), crypto::Sha256("zoe@example.com"));
}

TEST(PiiNormaliseTest, EmailAndPhone) {
  EXPECT_EQ(crypto::NormaliseEmail(" A.B@C.D "), "a.b@c.d");
  EXPECT_EQ(crypto::NormaliseEmail("\xC3\x89@x.y"), "\xC3\x89@x.y");  // only ASCII folds
  EXPECT_EQ(crypto::NormalisePhone("+44 20 7946-0000"), "442079460000");
  EXPECT_EQ(crypto::NormalisePhone(""), "");
}

TEST(Base64Test, StandardAlphabetWithPaddingOnly) {
  std::string out;
  ASSERT_TRUE(crypto::Base64Decode("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=", out));
  EXPECT_EQ(out.size(), 32u);
  EXPECT_EQ(static_cast<unsigned char>(out[31]), 31);
  EXPECT_EQ(crypto::Base64Encode(out), "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=");
  ASSERT_TRUE(crypto::Base64Decode("Zm9v", out));
  EXPECT_EQ(out, "foo");
  ASSERT_TRUE(crypto::Base64Decode("Zm8=", out));
  EXPECT_EQ(out, "fo");
  ASSERT_TRUE(crypto::Base64Decode("Zg==", out));
  EXPECT_EQ(out, "f");
  for (const char* bad : {"", "Zm9", "Zm9v\n", "Zm-v", "Zm_v", "Z===", "Zm=v", "Zh==", " Zm9v"}) {
    EXPECT_FALSE(crypto::Base64Decode(bad, out)) << bad;
  }
}

TEST(HexTest, DecodeInvertsEncode) {
  std::string out;
  ASSERT_TRUE(crypto::HexDecode(crypto::HexEncode(std::string("\x00\xff\x10", 3)), out));
  EXPECT_EQ(out, std::string("\x00\xff\x10", 3));
  ASSERT_TRUE(crypto::HexDecode("ABcd", out));
  EXPECT_EQ(out, "\xab\xcd");
  EXPECT_FALSE(crypto::HexDecode("abc", out));
  EXPECT_FALSE(crypto::HexDecode("zz", out));
}

// ---------------------------------------------------------------------------
// The role table, walked from the proto service descriptors: an RPC added to
// a .proto without a decision here fails this test.

using rpc::Authenticator;
using rpc::Role;

struct Allowed {
  bool partner, op, finance, auditor;
};

const std::map<std::string, Allowed>& ExpectedRoles() {
  static const std::map<std::string, Allowed> expected = {
      {"/coalition.v1.PartnerService/EnrollMember", {true, false, false, false}},
      {"/coalition.v1.PartnerService/GetMember", {true, false, false, false}},
      {"/coalition.v1.PartnerService/Accrue", {true, false, false, false}},
      {"/coalition.v1.PartnerService/BatchAccrue", {true, false, false, false}},
      {"/coalition.v1.PartnerService/Redeem", {true, false, false, false}},
      {"/coalition.v1.PartnerService/ListTransactions", {true, false, false, false}},
      {"/coalition.v1.PartnerService/HoldPoints", {true, false, false, false}},
      {"/coalition.v1.PartnerService/CapturePoints", {true, false, false, false}},
      {"/coalition.v1.PartnerService/VoidHold", {true, false, false, false}},
      {"/coalition.v1.PartnerService/QuotePrice", {true, false, false, false}},
      {"/coalition.v1.AdminService/CreatePartner", {false, true, false, false}},
      {"/coalition.v1.AdminService/ListPartners", {false, true, true, true}},
      {"/coalition.v1.AdminService/CreateApiKey", {false, true, false, false}},
      {"/coalition.v1.AdminService/RevokeApiKey", {false, true, false, false}},
      {"/coalition.v1.AdminService/VerifyLedger", {false, true, true, true}},
      {"/coalition.v1.AdminService/SetRedemptionPolicy", {false, true, false, false}},
      {"/coalition.v1.AdminService/GetRedemptionPolicy", {false, true, true, true}},
      {"/coalition.v1.AdminService/RotatePiiKeys", {false, true, false, false}},
      {"/coalition.v1.AdminService/ListAuditEvents", {false, true, false, true}},
      {"/coalition.v1.PartnerService/GetPurchase", {true, false, false, false}},
      {"/coalition.v1.AdminService/SetEarnRules", {false, true, false, false}},
      {"/coalition.v1.AdminService/CreateCampaign", {false, true, false, false}},
      {"/coalition.v1.AdminService/RunExpiry", {false, true, false, false}},
      {"/coalition.v1.AdminService/GetBreakageReport", {false, true, true, true}},
      {"/coalition.v1.AdminService/SetTiers", {false, true, false, false}},
      {"/coalition.v1.AdminService/GetTiers", {false, true, false, true}},
      {"/coalition.v1.AdminService/RunTierReview", {false, true, false, false}},
      {"/coalition.v1.PartnerService/RefundPurchase", {true, false, false, false}},
      {"/coalition.v1.AdminService/SetPartnerEconomics", {false, true, false, false}},
      {"/coalition.v1.AdminService/ListPartnerEconomics", {false, true, true, true}},
      {"/coalition.v1.SettlementService/RunSettlement", {false, true, true, false}},
      {"/coalition.v1.SettlementService/GetSettlementBatch", {false, true, true, true}},
      {"/coalition.v1.SettlementService/ListSettlementBatches", {false, true, true, true}},
      {"/coalition.v1.SettlementService/GetStatement", {false, true, true, true}},
      {"/coalition.v1.AdminService/RegisterClientCertificate", {false, true, false, false}},
      {"/coalition.v1.AdminService/RevokeClientCertificate", {false, true, false, false}},
      {"/coalition.v1.AdminService/ListClientCertificates", {false, true, false, true}},
      {"/coalition.v1.AdminService/GrantTargetedBonus", {false, true, false, false}},
      {"/coalition.v1.AdminService/GetBonusGrant", {false, true, true, true}},
      {"/coalition.v1.AdminService/GetRedemptionForecast", {false, true, true, true}},
      {"/coalition.v1.AdminService/GetEarnRules", {false, true, true, true}},
      {"/coalition.v1.AdminService/ListCampaigns", {false, true, true, true}},
  };
  return expected;
}

std::vector<std::string> AllMethods() {
  std::vector<std::string> methods;
  // Every service of every API file, so a new service is walked too.
  for (const auto* file : {v1::EnrollMemberRequest::descriptor()->file(),
                           v1::CreatePartnerRequest::descriptor()->file(),
                           v1::RunSettlementRequest::descriptor()->file()}) {
    for (int s = 0; s < file->service_count(); ++s) {
      const auto* service = file->service(s);
      for (int i = 0; i < service->method_count(); ++i) {
        methods.push_back("/" + service->full_name() + "/" + service->method(i)->name());
      }
    }
  }
  return methods;
}

TEST(RoleTableTest, EveryRpcOfEveryServiceHasExactlyItsRoles) {
  const auto methods = AllMethods();
  EXPECT_EQ(methods.size(), ExpectedRoles().size());
  for (const auto& method : methods) {
    SCOPED_TRACE(method);
    const auto expected = ExpectedRoles().find(method);
    ASSERT_NE(expected, ExpectedRoles().end()) << "no role decision for this RPC";
    EXPECT_EQ(Authenticator::IsAllowed(method, Role::kPartner), expected->second.partner);
    EXPECT_EQ(Authenticator::IsAllowed(method, Role::kOperator), expected->second.op);
    EXPECT_EQ(Authenticator::IsAllowed(method, Role::kFinance), expected->second.finance);
    EXPECT_EQ(Authenticator::IsAllowed(method, Role::kAuditor), expected->second.auditor);
    EXPECT_FALSE(Authenticator::IsAllowed(method, Role::kNone));
    // Every administrative and settlement call is audited; partner calls are not.
    EXPECT_EQ(Authenticator::IsAudited(method),
              method.find("PartnerService") == std::string::npos);
  }
}

TEST(RoleTableTest, TheAuditorOnlyReads) {
  for (const auto& method : AllMethods()) {
    if (Authenticator::IsAllowed(method, Role::kAuditor)) {
      EXPECT_FALSE(Authenticator::Mutates(method)) << method;
    }
  }
}

TEST(RoleTableTest, UnknownMethodsAreRefusedToEveryRole) {
  for (const char* method : {"", "/coalition.v1.AdminService/DropLedger",
                             "/coalition.v1.AdminService/listpartners",
                             "/grpc.health.v1.Health/Check"}) {
    for (Role role : {Role::kPartner, Role::kOperator, Role::kFinance, Role::kAuditor}) {
      EXPECT_FALSE(Authenticator::IsAllowed(method, role)) << method;
    }
  }
}

// ---------------------------------------------------------------------------
// Rate limiter

using Clock = domain::RateLimiter::Clock;

TEST(RateLimiterTest, BurstThenSteadyRate) {
  domain::RateLimiter limiter(10, 3);
  const Clock::time_point start{};
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(limiter.TryAcquire(1, start).allowed);
  const auto refused = limiter.TryAcquire(1, start);
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.retry_after, std::chrono::milliseconds(100));
  // Half a token later: still refused, and the wait is the other half.
  const auto half = limiter.TryAcquire(1, start + std::chrono::milliseconds(50));
  EXPECT_FALSE(half.allowed);
  EXPECT_EQ(half.retry_after, std::chrono::milliseconds(50));
  EXPECT_TRUE(limiter.TryAcquire(1, start + std::chrono::milliseconds(100)).allowed);
  EXPECT_FALSE(limiter.TryAcquire(1, start + std::chrono::milliseconds(100)).allowed);
}

TEST(RateLimiterTest, RefillsNoFurtherThanTheBurst) {
  domain::RateLimiter limiter(1000, 2);
  const Clock::time_point start{};
  EXPECT_TRUE(limiter.TryAcquire(1, start).allowed);
  const auto later = start + std::chrono::hours(1);
  EXPECT_TRUE(limiter.TryAcquire(1, later).allowed);
  EXPECT_TRUE(limiter.TryAcquire(1, later).allowed);
  EXPECT_FALSE(limiter.TryAcquire(1, later).allowed);
}

TEST(RateLimiterTest, KeysAreIndependent) {
  domain::RateLimiter limiter(1, 1);
  const Clock::time_point start{};
  EXPECT_TRUE(limiter.TryAcquire(1, start).allowed);
  EXPECT_FALSE(limiter.TryAcquire(1, start).allowed);
  EXPECT_TRUE(limiter.TryAcquire(2, start).allowed);
}

TEST(RateLimiterTest, TimeGoingBackwardsGrantsNothing) {
  domain::RateLimiter limiter(1, 1);
  const Clock::time_point start = Clock::time_point{} + std::chrono::seconds(10);
  EXPECT_TRUE(limiter.TryAcquire(1, start).allowed);
  EXPECT_FALSE(limiter.TryAcquire(1, start - std::chrono::seconds(5)).allowed);
  EXPECT_FALSE(limiter.TryAcquire(1, start).allowed);
}

TEST(RateLimiterTest, RejectsNonsense) {
  EXPECT_THROW(domain::RateLimiter(0, 1), std::invalid_argument);
  EXPECT_THROW(domain::RateLimiter(1, 0.5), std::invalid_argument);
}

TEST(RateLimitedStatusTest, CarriesReasonAndRetryInfo) {
  const auto status = rpc::RateLimitedStatus(std::chrono::milliseconds(1500));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  google::rpc::Status rich;
  ASSERT_TRUE(rich.ParseFromString(status.error_details()));
  bool saw_info = false;
  bool saw_retry = false;
  for (const auto& detail : rich.details()) {
    google::rpc::ErrorInfo info;
    google::rpc::RetryInfo retry;
    if (detail.UnpackTo(&info)) {
      EXPECT_EQ(info.reason(), "RATE_LIMITED");
      saw_info = true;
    } else if (detail.UnpackTo(&retry)) {
      EXPECT_EQ(retry.retry_delay().seconds(), 1);
      EXPECT_EQ(retry.retry_delay().nanos(), 500'000'000);
      saw_retry = true;
    }
  }
  EXPECT_TRUE(saw_info);
  EXPECT_TRUE(saw_retry);
}

// ---------------------------------------------------------------------------
// Audit JSON

TEST(AuditJsonTest, DropsSecrets) {
  v1::CreatePartnerResponse response;
  response.mutable_partner()->set_code("fuelco");
  response.mutable_api_key()->set_prefix("ck_fuelco_AbCd");
  response.set_api_key_secret("ck_fuelco_TOP-SECRET-VALUE");
  const auto json = rpc::AuditJson(response);
  EXPECT_NE(json.find("fuelco"), std::string::npos);
  EXPECT_NE(json.find("ck_fuelco_AbCd"), std::string::npos);
  EXPECT_EQ(json.find("TOP-SECRET"), std::string::npos);
  EXPECT_EQ(json.find("api_key_secret"), std::string::npos);
}

// Client certificate identities

TEST(CertificateIdentityTest, FingerprintsAreNormalisedAndCheckedForShape) {
  using domain::CertificateMatch;
  const std::string hex = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
  std::string printed;  // as openssl prints it: upper case, colon-separated
  for (size_t i = 0; i < hex.size(); i += 2) {
    if (!printed.empty()) printed += ':';
    printed += static_cast<char>(std::toupper(hex[i]));
    printed += static_cast<char>(std::toupper(hex[i + 1]));
  }
  auto normalised =
      domain::NormaliseCertificateIdentity(CertificateMatch::kSha256Fingerprint, printed);
  ASSERT_TRUE(normalised.ok());
  EXPECT_EQ(*normalised, hex);
  for (const std::string& bad : {std::string(""), hex.substr(2), hex + "00", hex.substr(1) + "g",
                                std::string("SHA256 Fingerprint=") + printed}) {
    SCOPED_TRACE(bad);
    auto refused = domain::NormaliseCertificateIdentity(CertificateMatch::kSha256Fingerprint, bad);
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.error().field, "identity");
  }
  // Names are kept exactly, within limits.
  auto name = domain::NormaliseCertificateIdentity(CertificateMatch::kSubjectAltName,
                                                   "Till-7.FuelCo.example");
  ASSERT_TRUE(name.ok());
  EXPECT_EQ(*name, "Till-7.FuelCo.example");
  for (const std::string& bad : {std::string(""), std::string(257, 'a'), std::string("a\nb"),
                                std::string("\xff\xfe")}) {
    EXPECT_FALSE(
        domain::NormaliseCertificateIdentity(CertificateMatch::kSubjectAltName, bad).ok());
  }
}

TEST(CertificateIdentityTest, UnreadablePemHasNoFingerprint) {
  EXPECT_EQ(crypto::CertificateSha256Fingerprint(""), "");
  EXPECT_EQ(crypto::CertificateSha256Fingerprint("-----BEGIN CERTIFICATE-----\nAAAA\n"
                                                 "-----END CERTIFICATE-----\n"),
            "");
}

}  // namespace
}  // namespace coalition::test
