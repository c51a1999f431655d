// The Authenticator's cache of partners by API key: it saves the database
// lookup on repeated calls, never caches an unknown key, and forgets
// everything when a key is revoked.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <grpcpp/test/server_context_test_spouse.h>

#include "crypto/crypto.h"
#include "rpc/auth.h"

namespace coalition::rpc::test {
namespace {

using ::testing::_;
using ::testing::Return;
using Result = domain::Result<domain::Partner>;

class MockPartnerStore : public service::PartnerStore {
 public:
  MOCK_METHOD((domain::Result<std::pair<domain::Partner, domain::ApiKeyRecord>>), CreatePartner,
              (const domain::NewPartner&, const std::string&, const std::string&), (override));
  MOCK_METHOD(domain::Result<std::vector<domain::Partner>>, ListPartners, (domain::PartnerId, int),
              (override));
  MOCK_METHOD(Result, FindPartnerById, (domain::PartnerId), (override));
  MOCK_METHOD(Result, FindPartnerByCode, (const std::string&), (override));
  MOCK_METHOD(Result, FindPartnerByKeyHash, (const std::string&), (override));
  MOCK_METHOD(domain::Result<domain::ApiKeyRecord>, CreateApiKey,
              (domain::PartnerId, const std::string&, const std::string&), (override));
  MOCK_METHOD(domain::Result<domain::ApiKeyRecord>, RevokeApiKey, (int64_t), (override));
  MOCK_METHOD(domain::Result<domain::Ok>, SetRedemptionPolicy,
              (domain::PartnerId, const domain::RedemptionPolicy&), (override));
  MOCK_METHOD(domain::Result<std::optional<domain::RedemptionPolicy>>, FindRedemptionPolicy,
              (domain::PartnerId), (override));
  MOCK_METHOD(domain::Result<domain::Ok>, SetEarnRules,
              (domain::PartnerId, domain::Timestamp, const domain::EarnRules&), (override));
  MOCK_METHOD(domain::Result<int64_t>, CreateCampaign, (const domain::NewCampaign&), (override));
  MOCK_METHOD(domain::Result<domain::ClientCertificateRecord>, RegisterClientCertificate,
              (domain::PartnerId, domain::CertificateMatch, const std::string&), (override));
  MOCK_METHOD(domain::Result<domain::ClientCertificateRecord>, RevokeClientCertificate,
              (int64_t), (override));
  MOCK_METHOD(domain::Result<std::vector<domain::ClientCertificateRecord>>,
              ListClientCertificates, (std::optional<domain::PartnerId>, int64_t, int),
              (override));
  MOCK_METHOD(Result, FindPartnerByClientCertificate, (const domain::PeerCertificate&),
              (override));
};

constexpr std::string_view kAccrue = "/coalition.v1.PartnerService/Accrue";
constexpr const char* kKey = "ck_market_secret-key-0123456789";

domain::Partner Market() {
  domain::Partner partner;
  partner.id = 7;
  partner.code = "market";
  return partner;
}

domain::Result<Principal> AuthorizeWithKey(const Authenticator& auth, const std::string& key) {
  grpc::ServerContext context;
  grpc::testing::ServerContextTestSpouse spouse(&context);
  spouse.AddClientMetadata("authorization", "Bearer " + key);
  return auth.Authorize(context, kAccrue);
}

TEST(KeyCacheTest, AKnownKeyIsLookedUpOnceWithinTheTtl) {
  MockPartnerStore store;
  EXPECT_CALL(store, FindPartnerByKeyHash(crypto::Sha256(kKey))).WillOnce(Return(Market()));
  const Authenticator auth(store, StaffKeys{"operator-key-0123456789", "", ""}, std::chrono::hours(1));
  for (int call = 0; call < 3; ++call) {
    auto principal = AuthorizeWithKey(auth, kKey);
    ASSERT_TRUE(principal.ok());
    EXPECT_EQ(principal->partner->id, 7);
  }
}

TEST(KeyCacheTest, ARevocationMakesTheNextCallLookTheKeyUpAgain) {
  MockPartnerStore store;
  EXPECT_CALL(store, FindPartnerByKeyHash(_))
      .WillOnce(Return(Market()))
      .WillOnce(Return(Result(domain::Error::NotFound("API_KEY_NOT_FOUND", "no such key"))));
  const Authenticator auth(store, StaffKeys{"operator-key-0123456789", "", ""}, std::chrono::hours(1));
  ASSERT_TRUE(AuthorizeWithKey(auth, kKey).ok());
  auth.ForgetCachedKeys();
  auto refused = AuthorizeWithKey(auth, kKey);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, domain::ErrorCode::kUnauthenticated);
}

TEST(KeyCacheTest, UnknownKeysAreNotCached) {
  MockPartnerStore store;
  EXPECT_CALL(store, FindPartnerByKeyHash(_))
      .Times(2)
      .WillRepeatedly(Return(Result(domain::Error::NotFound("API_KEY_NOT_FOUND", "no such key"))));
  const Authenticator auth(store, StaffKeys{"operator-key-0123456789", "", ""}, std::chrono::hours(1));
  EXPECT_FALSE(AuthorizeWithKey(auth, kKey).ok());
  EXPECT_FALSE(AuthorizeWithKey(auth, kKey).ok());
}

TEST(KeyCacheTest, WithoutATtlEveryCallLooksTheKeyUp) {
  MockPartnerStore store;
  EXPECT_CALL(store, FindPartnerByKeyHash(_)).Times(2).WillRepeatedly(Return(Market()));
  const Authenticator auth(store, "operator-key-0123456789");
  EXPECT_TRUE(AuthorizeWithKey(auth, kKey).ok());
  EXPECT_TRUE(AuthorizeWithKey(auth, kKey).ok());
}

}  // namespace
}  // namespace coalition::rpc::test
