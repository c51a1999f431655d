// SettlementService over gRPC: who may call it (operator and finance, never
// a partner), and a run whose statement matches the traffic.

#include <grpcpp/create_channel.h>

#include "coalition/v1/settlement_service.grpc.pb.h"
#include "e2e/e2e_fixture.h"

namespace coalition::testing {
namespace {

class SettlementE2eTest : public E2eFixture {
 protected:
  std::unique_ptr<v1::SettlementService::Stub> SettlementStub() const {
    return v1::SettlementService::NewStub(
        grpc::CreateChannel(target_, grpc::InsecureChannelCredentials()));
  }

  grpc::Status Run(const std::string& key, const std::string& request_id,
                   v1::RunSettlementResponse* response) {
    v1::RunSettlementRequest request;
    request.set_request_id(request_id);
    request.set_mode(v1::SETTLEMENT_MODE_HUB);
    return SettlementStub()->RunSettlement(Context(key).get(), request, response);
  }
};

TEST_F(SettlementE2eTest, PartnersAreRefusedFinanceAndOperatorAllowed) {
  const auto market = CreatePartner("market", 1, 100, true);
  ASSERT_TRUE(Accrue(market.api_key, "a1", "E2E-CARD", 10'000).ok());
  const auto before = db_.Fingerprint();

  v1::RunSettlementResponse response;
  auto refused = Run(market.api_key, "partner-run", &response);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Reason(refused), "PERMISSION_DENIED");
  EXPECT_EQ(Run("", "anonymous-run", &response).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  v1::ListSettlementBatchesResponse listed;
  EXPECT_EQ(SettlementStub()
                ->ListSettlementBatches(Context(market.api_key).get(), {}, &listed)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  v1::ListPartnerEconomicsRequest economics_request;
  economics_request.set_partner_code("market");
  v1::ListPartnerEconomicsResponse economics;
  EXPECT_EQ(AdminStub()
                ->ListPartnerEconomics(Context(market.api_key).get(), economics_request,
                                       &economics)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(db_.Fingerprint(), before);
  EXPECT_EQ(db_.QueryValue("SELECT count(*) FROM settlement_batches"), "0");

  // Finance runs settlement and reads economics, but may not change them.
  ASSERT_TRUE(Run(kFinanceKey, "finance-run", &response).ok());
  EXPECT_TRUE(response.created());
  EXPECT_EQ(response.batch().summary().transfer_count(), 1);
  EXPECT_TRUE(response.batch().reconciliation().ok());
  EXPECT_TRUE(AdminStub()
                  ->ListPartnerEconomics(Context(kFinanceKey).get(), economics_request, &economics)
                  .ok());
  v1::SetPartnerEconomicsRequest set;
  set.set_partner_code("market");
  set.set_issuance_price_micros(1);
  v1::PartnerEconomicsPeriod period;
  EXPECT_EQ(AdminStub()->SetPartnerEconomics(Context(kFinanceKey).get(), set, &period).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  v1::CreatePartnerRequest create;
  create.set_code("sneaky");
  v1::CreatePartnerResponse created;
  EXPECT_EQ(AdminStub()->CreatePartner(Context(kFinanceKey).get(), create, &created).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  ASSERT_TRUE(AdminStub()->SetPartnerEconomics(Context(kOperatorKey).get(), set, &period).ok());

  // The operator reads the same batch.
  v1::RunSettlementResponse again;
  ASSERT_TRUE(Run(kOperatorKey, "finance-run", &again).ok());
  EXPECT_FALSE(again.created());
  EXPECT_EQ(again.batch().summary().batch_id(), response.batch().summary().batch_id());
}

TEST_F(SettlementE2eTest, StatementOfAPartnerMatchesItsTraffic) {
  const auto market = CreatePartner("market", 1, 100, true);  // 1.25 c issued, 0.8 c reimbursed
  const auto fuel = CreatePartner("fuel", 1, 100, true);
  ASSERT_TRUE(Accrue(market.api_key, "a1", "E2E-CARD", 100'000).ok());  // 1000 points
  ASSERT_TRUE(Redeem(fuel.api_key, "r1", "E2E-CARD", 333).ok());

  v1::RunSettlementResponse run;
  ASSERT_TRUE(Run(kFinanceKey, "month", &run).ok());
  v1::GetStatementRequest request;
  request.set_batch_id(run.batch().summary().batch_id());
  request.set_partner_code("fuel");
  v1::PartnerStatement statement;
  ASSERT_TRUE(SettlementStub()->GetStatement(Context(kFinanceKey).get(), request, &statement).ok());
  EXPECT_EQ(statement.line().partner_code(), "fuel");
  EXPECT_EQ(statement.line().points_redeemed(), 333);
  EXPECT_EQ(statement.line().reimbursements_micros(), 333 * 8'000);
  EXPECT_EQ(statement.line().net_amount().currency_code(), "USD");
  EXPECT_EQ(statement.line().net_amount().amount_minor(), 266);  // 2.664 -> 2.66
  EXPECT_EQ(statement.line().rounding_micros(), 2'660'000 - 2'664'000);
  ASSERT_EQ(statement.flows_size(), 1);
  EXPECT_EQ(statement.flows(0).issuer_code(), "market");
  ASSERT_EQ(statement.instructions_size(), 1);
  EXPECT_EQ(statement.instructions(0).payer_code(), "operator");
  EXPECT_EQ(statement.instructions(0).amount().amount_minor(), 266);

  request.set_batch_id("999");
  EXPECT_EQ(SettlementStub()->GetStatement(Context(kFinanceKey).get(), request, &statement).error_code(),
            grpc::StatusCode::NOT_FOUND);
  request.set_batch_id("x");
  EXPECT_EQ(SettlementStub()->GetStatement(Context(kFinanceKey).get(), request, &statement).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

}  // namespace
}  // namespace coalition::testing
