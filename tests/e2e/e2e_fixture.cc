#include "e2e/e2e_fixture.h"

#include <grpcpp/create_channel.h>
#include <spdlog/spdlog.h>

#include "crypto/crypto.h"

namespace coalition::testing {

E2eFixture::E2eFixture() : E2eFixture([](app::Config&) {}) {}

E2eFixture::E2eFixture(const std::function<void(app::Config&)>& adjust) {
  app::Config config;
  config.database_url = db_.url();
  config.listen = "127.0.0.1:0";
  config.operator_key = kOperatorKey;
  config.finance_key = kFinanceKey;
  config.db_pool_size = 8;
  config.log_level = "warn";
  spdlog::set_level(spdlog::level::warn);
  config.hold_sweep_seconds = 1;
  config.metrics_listen = "127.0.0.1:0";
  config.pii_keys = {{"test-1", crypto::RandomBytes(32)}};
  config.pii_active_key_id = "test-1";
  config.pii_index_key = crypto::RandomBytes(32);
  adjust(config);
  server_ = std::make_unique<app::CoalitionServer>(config, &clock_);
  server_->Start();
  target_ = "127.0.0.1:" + std::to_string(server_->port());
  channel_target_ = target_;
  channel_credentials_ = grpc::InsecureChannelCredentials();
}

E2eFixture::~E2eFixture() { server_->Shutdown(std::chrono::seconds(5)); }

std::unique_ptr<v1::PartnerService::Stub> E2eFixture::PartnerStub() const {
  return v1::PartnerService::NewStub(grpc::CreateChannel(channel_target_, channel_credentials_));
}

std::unique_ptr<v1::AdminService::Stub> E2eFixture::AdminStub() const {
  return v1::AdminService::NewStub(grpc::CreateChannel(channel_target_, channel_credentials_));
}

std::unique_ptr<grpc::ClientContext> E2eFixture::Context(const std::string& key) {
  auto context = std::make_unique<grpc::ClientContext>();
  if (!key.empty()) context->AddMetadata("authorization", "Bearer " + key);
  context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  return context;
}

E2eFixture::PartnerCredentials E2eFixture::CreatePartner(const std::string& code, int64_t points,
                                                         int64_t per_amount_minor,
                                                         bool auto_enroll) {
  v1::CreatePartnerRequest request;
  request.set_code(code);
  request.set_display_name(code + " stores");
  request.mutable_earn_rate()->set_points(points);
  request.mutable_earn_rate()->set_per_amount_minor(per_amount_minor);
  request.set_issuance_price_micros(12'500);
  request.set_redemption_rate_micros(8'000);
  request.set_auto_enroll(auto_enroll);
  v1::CreatePartnerResponse response;
  auto status = AdminStub()->CreatePartner(Context(kOperatorKey).get(), request, &response);
  EXPECT_TRUE(status.ok()) << sdk::FormatError(status);
  return {response.partner().partner_id(), response.api_key_secret()};
}

grpc::Status E2eFixture::Enroll(const std::string& key, const std::string& card,
                                v1::EnrollMemberResponse* response) {
  v1::EnrollMemberRequest request;
  request.set_request_id("enroll-" + card);
  request.set_card_number(card);
  v1::EnrollMemberResponse ignored;
  return PartnerStub()->EnrollMember(Context(key).get(), request, response ? response : &ignored);
}

grpc::Status E2eFixture::Accrue(const std::string& key, const std::string& request_id,
                                const std::string& card, int64_t amount_minor,
                                v1::AccrueResponse* response) {
  v1::AccrueRequest request;
  request.set_request_id(request_id);
  request.set_card_number(card);
  request.mutable_amount()->set_currency_code("USD");
  request.mutable_amount()->set_amount_minor(amount_minor);
  v1::AccrueResponse ignored;
  return PartnerStub()->Accrue(Context(key).get(), request, response ? response : &ignored);
}

grpc::Status E2eFixture::Redeem(const std::string& key, const std::string& request_id,
                                const std::string& card, int64_t points,
                                v1::RedeemResponse* response) {
  v1::RedeemRequest request;
  request.set_request_id(request_id);
  request.set_card_number(card);
  request.set_points(points);
  v1::RedeemResponse ignored;
  return PartnerStub()->Redeem(Context(key).get(), request, response ? response : &ignored);
}

v1::Member E2eFixture::GetMember(const std::string& key, const std::string& card) {
  v1::GetMemberRequest request;
  request.set_card_number(card);
  v1::GetMemberResponse response;
  auto status = PartnerStub()->GetMember(Context(key).get(), request, &response);
  EXPECT_TRUE(status.ok()) << sdk::FormatError(status);
  return response.member();
}

void E2eFixture::ExpectLedgerConsistent() {
  v1::VerifyLedgerResponse response;
  auto status = AdminStub()->VerifyLedger(Context(kOperatorKey).get(), {}, &response);
  ASSERT_TRUE(status.ok()) << sdk::FormatError(status);
  for (const auto& check : response.checks()) {
    EXPECT_TRUE(check.ok()) << check.name() << ": "
                            << (check.examples().empty() ? "" : check.examples(0));
  }
  EXPECT_TRUE(response.ok());
  EXPECT_GE(response.checks_size(), 8);
}

}  // namespace coalition::testing
