#include "e2e/e2e_fixture.h"

namespace coalition::testing {
namespace {

class AuthE2eTest : public E2eFixture {};

TEST_F(AuthE2eTest, PartnerCallsNeedAValidActiveKey) {
  const auto market = CreatePartner("market");
  ASSERT_TRUE(Enroll(market.api_key, "AUTH-CARD").ok());
  const auto before = db_.Fingerprint();
  struct Case {
    std::string name;
    std::string key;
  };
  const std::vector<Case> cases = {
      {"no key", ""},
      {"unknown key", "ck_market_notARealKey0000000000000000000000000000"},
      {"key with a changed character", market.api_key.substr(0, market.api_key.size() - 1) +
                                           (market.api_key.back() == 'A' ? "B" : "A")},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto status = Accrue(c.key, "unauth-1", "AUTH-CARD", 100);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
    EXPECT_EQ(Reason(status), "UNAUTHENTICATED");
  }
  // A malformed header, not "Bearer <key>".
  grpc::ClientContext context;
  context.AddMetadata("authorization", "Basic " + market.api_key);
  v1::GetMemberRequest request;
  request.set_card_number("AUTH-CARD");
  v1::GetMemberResponse response;
  EXPECT_EQ(PartnerStub()->GetMember(&context, request, &response).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(db_.Fingerprint(), before);
}

TEST_F(AuthE2eTest, RevokedKeyStopsWorkingAtOnceAndANewKeyWorks) {
  const auto market = CreatePartner("market");
  ASSERT_TRUE(Enroll(market.api_key, "REVOKE-CARD").ok());
  auto admin = AdminStub();

  v1::CreateApiKeyRequest create;
  create.set_partner_code("market");
  v1::CreateApiKeyResponse second;
  ASSERT_TRUE(admin->CreateApiKey(Context(kOperatorKey).get(), create, &second).ok());
  EXPECT_EQ(second.api_key().prefix().rfind("ck_market_", 0), 0u);

  v1::ListPartnersResponse partners;
  ASSERT_TRUE(admin->ListPartners(Context(kOperatorKey).get(), {}, &partners).ok());
  ASSERT_EQ(partners.partners_size(), 1);
  const auto first_key_id = std::to_string(std::stoll(second.api_key().key_id()) - 1);

  v1::RevokeApiKeyRequest revoke;
  revoke.set_key_id(first_key_id);
  v1::RevokeApiKeyResponse revoked;
  ASSERT_TRUE(admin->RevokeApiKey(Context(kOperatorKey).get(), revoke, &revoked).ok());
  EXPECT_TRUE(revoked.api_key().has_revoked_at());

  auto status = Accrue(market.api_key, "after-revoke", "REVOKE-CARD", 100);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_TRUE(Accrue(second.api_key_secret(), "after-revoke", "REVOKE-CARD", 100).ok());

  revoke.set_key_id("987654");
  EXPECT_EQ(admin->RevokeApiKey(Context(kOperatorKey).get(), revoke, &revoked).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_F(AuthE2eTest, EachRoleReachesOnlyItsOwnService) {
  const auto market = CreatePartner("market");
  const auto before = db_.Fingerprint();
  auto admin = AdminStub();
  v1::CreatePartnerRequest create;
  create.set_code("intruder");
  create.set_display_name("Intruder");
  create.mutable_earn_rate()->set_points(1);
  create.mutable_earn_rate()->set_per_amount_minor(1);
  v1::CreatePartnerResponse created;
  auto status = admin->CreatePartner(Context(market.api_key).get(), create, &created);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Reason(status), "PERMISSION_DENIED");
  v1::VerifyLedgerResponse verify;
  EXPECT_EQ(admin->VerifyLedger(Context(market.api_key).get(), {}, &verify).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(admin->CreatePartner(Context("").get(), create, &created).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);

  // The operator is not a partner: it cannot move points.
  status = Accrue(kOperatorKey, "op-1", "ANY-CARD", 100);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(db_.Fingerprint(), before);
}

TEST_F(AuthE2eTest, PartnerCodesAreUniqueAndValidated) {
  CreatePartner("market");
  auto admin = AdminStub();
  v1::CreatePartnerRequest create;
  create.set_code("market");
  create.set_display_name("Copy");
  create.mutable_earn_rate()->set_points(1);
  create.mutable_earn_rate()->set_per_amount_minor(1);
  v1::CreatePartnerResponse created;
  const auto before = db_.Fingerprint();
  auto status = admin->CreatePartner(Context(kOperatorKey).get(), create, &created);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_EQ(Reason(status), "PARTNER_CODE_TAKEN");
  create.set_code("Bad Code!");
  status = admin->CreatePartner(Context(kOperatorKey).get(), create, &created);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Field(status), "code");
  create.set_code("zero-rate");
  create.mutable_earn_rate()->set_per_amount_minor(0);
  status = admin->CreatePartner(Context(kOperatorKey).get(), create, &created);
  EXPECT_EQ(Field(status), "earn_rate.per_amount_minor");
  EXPECT_EQ(db_.Fingerprint(), before);
}

}  // namespace
}  // namespace coalition::testing
