// SPEC §8 over real gRPC: the role table walked for every RPC of every
// service, partner isolation with a second partner's key, the audit log,
// per-partner rate limits, the message size limit, and logs free of PII.
#include <grpcpp/create_channel.h>
#include <grpcpp/generic/generic_stub.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <condition_variable>
#include <pqxx/pqxx>
#include <map>
#include <mutex>
#include <set>
#include <sstream>

#include "e2e/e2e_fixture.h"
#include "metrics/metrics.h"
#include "coalition/v1/settlement_service.pb.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"

namespace coalition::testing {
namespace {

constexpr const char* kFinanceKey = "test-finance-key-0123456789";
constexpr const char* kAuditorKey = "test-auditor-key-0123456789";

class SecurityE2eTest : public E2eFixture {
 protected:
  SecurityE2eTest()
      : E2eFixture([](app::Config& config) {
          config.finance_key = kFinanceKey;
          config.auditor_key = kAuditorKey;
        }) {}

  // Calls `method` with an empty request body (a valid encoding of every
  // request message) and `key` as the bearer credential.
  grpc::Status CallRaw(const std::string& method, const std::string& key,
                       const std::string& body = "") {
    auto channel = grpc::CreateChannel(target_, grpc::InsecureChannelCredentials());
    grpc::GenericStub stub(channel);
    auto context = Context(key);
    grpc::Slice slice(body);
    grpc::ByteBuffer request(&slice, 1);
    grpc::ByteBuffer response;
    std::mutex mutex;
    std::condition_variable done_cv;
    bool done = false;
    grpc::Status result;
    stub.UnaryCall(context.get(), method, grpc::StubOptions(), &request, &response,
                   [&](grpc::Status status) {
                     std::lock_guard lock(mutex);
                     result = std::move(status);
                     done = true;
                     done_cv.notify_one();
                   });
    std::unique_lock lock(mutex);
    done_cv.wait(lock, [&] { return done; });
    return result;
  }

  std::vector<v1::AuditEvent> AuditEvents(const std::string& key = kOperatorKey) {
    v1::ListAuditEventsRequest request;
    request.set_page_size(500);
    v1::ListAuditEventsResponse response;
    auto status = AdminStub()->ListAuditEvents(Context(key).get(), request, &response);
    EXPECT_TRUE(status.ok()) << sdk::FormatError(status);
    return {response.events().begin(), response.events().end()};
  }
};

std::vector<std::string> AllMethods() {
  std::vector<std::string> methods;
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

bool Refused(const grpc::Status& status) {
  return status.error_code() == grpc::StatusCode::UNAUTHENTICATED ||
         status.error_code() == grpc::StatusCode::PERMISSION_DENIED;
}

TEST_F(SecurityE2eTest, EveryRpcTimesEveryRoleAndNoCredentials) {
  const auto market = CreatePartner("market");
  // A revoked key must be refused like no key at all.
  v1::CreateApiKeyRequest create;
  create.set_partner_code("market");
  v1::CreateApiKeyResponse doomed;
  ASSERT_TRUE(AdminStub()->CreateApiKey(Context(kOperatorKey).get(), create, &doomed).ok());
  v1::RevokeApiKeyRequest revoke;
  revoke.set_key_id(doomed.api_key().key_id());
  v1::RevokeApiKeyResponse revoked;
  ASSERT_TRUE(AdminStub()->RevokeApiKey(Context(kOperatorKey).get(), revoke, &revoked).ok());

  // The policy, stated independently of server/rpc/auth.cc.
  const std::map<std::string, std::set<std::string>> allowed = {
      {"/coalition.v1.PartnerService/EnrollMember", {"partner"}},
      {"/coalition.v1.PartnerService/GetMember", {"partner"}},
      {"/coalition.v1.PartnerService/Accrue", {"partner"}},
      {"/coalition.v1.PartnerService/BatchAccrue", {"partner"}},
      {"/coalition.v1.PartnerService/Redeem", {"partner"}},
      {"/coalition.v1.PartnerService/ListTransactions", {"partner"}},
      {"/coalition.v1.PartnerService/HoldPoints", {"partner"}},
      {"/coalition.v1.PartnerService/CapturePoints", {"partner"}},
      {"/coalition.v1.PartnerService/VoidHold", {"partner"}},
      {"/coalition.v1.PartnerService/QuotePrice", {"partner"}},
      {"/coalition.v1.AdminService/CreatePartner", {"operator"}},
      {"/coalition.v1.AdminService/ListPartners", {"operator", "finance", "auditor"}},
      {"/coalition.v1.AdminService/CreateApiKey", {"operator"}},
      {"/coalition.v1.AdminService/RevokeApiKey", {"operator"}},
      {"/coalition.v1.AdminService/VerifyLedger", {"operator", "finance", "auditor"}},
      {"/coalition.v1.AdminService/SetRedemptionPolicy", {"operator"}},
      {"/coalition.v1.AdminService/GetRedemptionPolicy", {"operator", "finance", "auditor"}},
      {"/coalition.v1.AdminService/RotatePiiKeys", {"operator"}},
      {"/coalition.v1.AdminService/ListAuditEvents", {"operator", "auditor"}},
      {"/coalition.v1.PartnerService/GetPurchase", {"partner"}},
      {"/coalition.v1.AdminService/SetEarnRules", {"operator"}},
      {"/coalition.v1.AdminService/CreateCampaign", {"operator"}},
      {"/coalition.v1.AdminService/RunExpiry", {"operator"}},
      {"/coalition.v1.AdminService/GetBreakageReport", {"operator", "finance", "auditor"}},
      {"/coalition.v1.AdminService/SetTiers", {"operator"}},
      {"/coalition.v1.AdminService/GetTiers", {"operator", "auditor"}},
      {"/coalition.v1.AdminService/RunTierReview", {"operator"}},
      {"/coalition.v1.PartnerService/RefundPurchase", {"partner"}},
      {"/coalition.v1.AdminService/SetPartnerEconomics", {"operator"}},
      {"/coalition.v1.AdminService/ListPartnerEconomics", {"operator", "finance", "auditor"}},
      {"/coalition.v1.SettlementService/RunSettlement", {"operator", "finance"}},
      {"/coalition.v1.SettlementService/GetSettlementBatch", {"operator", "finance", "auditor"}},
      {"/coalition.v1.SettlementService/ListSettlementBatches",
       {"operator", "finance", "auditor"}},
      {"/coalition.v1.SettlementService/GetStatement", {"operator", "finance", "auditor"}},
      {"/coalition.v1.AdminService/RegisterClientCertificate", {"operator"}},
      {"/coalition.v1.AdminService/RevokeClientCertificate", {"operator"}},
      {"/coalition.v1.AdminService/ListClientCertificates", {"operator", "auditor"}},
      {"/coalition.v1.AdminService/GrantTargetedBonus", {"operator"}},
      {"/coalition.v1.AdminService/GetBonusGrant", {"operator", "finance", "auditor"}},
      {"/coalition.v1.AdminService/GetRedemptionForecast", {"operator", "finance", "auditor"}},
      {"/coalition.v1.AdminService/GetEarnRules", {"operator", "finance", "auditor"}},
      {"/coalition.v1.AdminService/ListCampaigns", {"operator", "finance", "auditor"}},
  };
  const std::vector<std::pair<std::string, std::string>> credentials = {
      {"partner", market.api_key},
      {"operator", kOperatorKey},
      {"finance", kFinanceKey},
      {"auditor", kAuditorKey},
      {"none", ""},
      {"revoked", doomed.api_key_secret()},
      {"forged", "ck_market_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"},
  };
  const auto methods = AllMethods();
  EXPECT_EQ(methods.size(), allowed.size());
  int calls = 0;
  for (const auto& method : methods) {
    const auto expected = allowed.find(method);
    ASSERT_NE(expected, allowed.end()) << method << " has no role decision in this test";
    for (const auto& [role, key] : credentials) {
      SCOPED_TRACE(method + " as " + role);
      const auto status = CallRaw(method, key);
      ++calls;
      if (expected->second.contains(role)) {
        EXPECT_FALSE(Refused(status)) << sdk::FormatError(status);
      } else if (role == "none" || role == "revoked" || role == "forged") {
        EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
        EXPECT_EQ(Reason(status), "UNAUTHENTICATED");
      } else {
        EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
        EXPECT_EQ(Reason(status), "PERMISSION_DENIED");
      }
    }
  }
  EXPECT_EQ(calls, static_cast<int>(methods.size() * credentials.size()));
}

TEST_F(SecurityE2eTest, APartnerSeesNothingOfAnotherPartners) {
  const auto market = CreatePartner("market", 1, 1);
  const auto fuel = CreatePartner("fuel", 1, 1);
  auto stub = PartnerStub();

  v1::EnrollMemberRequest enroll;
  enroll.set_request_id("enroll-iso");
  enroll.set_card_number("ISO-CARD");
  enroll.mutable_profile()->set_given_name("Zoe");
  enroll.mutable_profile()->set_email("zoe@example.com");
  enroll.mutable_profile()->set_phone("+1 555 0100");
  v1::EnrollMemberResponse enrolled;
  ASSERT_TRUE(stub->EnrollMember(Context(market.api_key).get(), enroll, &enrolled).ok());
  ASSERT_TRUE(Accrue(market.api_key, "iso-accrue", "ISO-CARD", 500).ok());

  // The supplier sees the profile, by card and by email.
  v1::GetMemberRequest by_card;
  by_card.set_card_number("ISO-CARD");
  v1::GetMemberResponse mine;
  ASSERT_TRUE(stub->GetMember(Context(market.api_key).get(), by_card, &mine).ok());
  EXPECT_EQ(mine.profile().given_name(), "Zoe");
  EXPECT_EQ(mine.profile().email(), "zoe@example.com");
  v1::GetMemberRequest by_email;
  by_email.set_email(" ZOE@example.com");
  v1::GetMemberResponse found;
  ASSERT_TRUE(stub->GetMember(Context(market.api_key).get(), by_email, &found).ok());
  EXPECT_EQ(found.member().member_id(), enrolled.member().member_id());

  // The other partner sees balances (the member is shared by the coalition)
  // but not the profile, cannot look it up by PII, nor list the supplier's
  // transactions.
  v1::GetMemberResponse theirs;
  ASSERT_TRUE(stub->GetMember(Context(fuel.api_key).get(), by_card, &theirs).ok());
  EXPECT_EQ(theirs.member().balance(), 500);
  EXPECT_FALSE(theirs.has_profile());
  auto status = stub->GetMember(Context(fuel.api_key).get(), by_email, &theirs);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(Reason(status), "MEMBER_NOT_FOUND");
  v1::GetMemberRequest by_phone;
  by_phone.set_phone("15550100");
  status = stub->GetMember(Context(fuel.api_key).get(), by_phone, &theirs);
  EXPECT_EQ(Reason(status), "MEMBER_NOT_FOUND");
  v1::ListTransactionsRequest list;
  list.set_card_number("ISO-CARD");
  v1::ListTransactionsResponse transactions;
  ASSERT_TRUE(stub->ListTransactions(Context(fuel.api_key).get(), list, &transactions).ok());
  EXPECT_EQ(transactions.transactions_size(), 0);
  ASSERT_TRUE(stub->ListTransactions(Context(market.api_key).get(), list, &transactions).ok());
  EXPECT_EQ(transactions.transactions_size(), 1);

  // Holds: another partner's hold is not found, for capture and void alike.
  v1::HoldPointsRequest hold;
  hold.set_request_id("iso-hold");
  hold.set_card_number("ISO-CARD");
  hold.set_points(100);
  v1::HoldPointsResponse held;
  ASSERT_TRUE(stub->HoldPoints(Context(market.api_key).get(), hold, &held).ok());
  const auto before = db_.Fingerprint();
  v1::CapturePointsRequest capture;
  capture.set_request_id("iso-capture");
  capture.set_hold_id(held.hold().hold_id());
  v1::CapturePointsResponse captured;
  status = stub->CapturePoints(Context(fuel.api_key).get(), capture, &captured);
  EXPECT_EQ(Reason(status), "HOLD_NOT_FOUND");
  v1::VoidHoldRequest void_hold;
  void_hold.set_request_id("iso-void");
  void_hold.set_hold_id(held.hold().hold_id());
  v1::VoidHoldResponse voided;
  status = stub->VoidHold(Context(fuel.api_key).get(), void_hold, &voided);
  EXPECT_EQ(Reason(status), "HOLD_NOT_FOUND");
  EXPECT_EQ(db_.Fingerprint(), before);
  ExpectLedgerConsistent();
}

TEST_F(SecurityE2eTest, EveryAdministrativeCallIsAuditedWithoutSecrets) {
  const auto market = CreatePartner("market");
  v1::RevokeApiKeyRequest revoke;
  revoke.set_key_id("999999");
  v1::RevokeApiKeyResponse revoked;
  auto status = AdminStub()->RevokeApiKey(Context(kOperatorKey).get(), revoke, &revoked);
  EXPECT_FALSE(status.ok());
  // Refused callers are recorded too.
  v1::CreatePartnerRequest sneaky;
  sneaky.set_code("sneaky");
  v1::CreatePartnerResponse ignored;
  EXPECT_EQ(AdminStub()->CreatePartner(Context(market.api_key).get(), sneaky, &ignored)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(AdminStub()->CreatePartner(Context(kAuditorKey).get(), sneaky, &ignored)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  // Anonymous callers are counted, not audited: they could grow the log
  // without bound.
  const double auth_failures_before = metrics::AuthFailuresTotal();
  v1::ListPartnersResponse no_partners;
  for (int i = 0; i < 20; ++i) {
    EXPECT_EQ(AdminStub()->CreatePartner(Context("").get(), sneaky, &ignored).error_code(),
              grpc::StatusCode::UNAUTHENTICATED);
    EXPECT_EQ(AdminStub()->ListPartners(Context("forged-key-0123456789").get(), {}, &no_partners)
                  .error_code(),
              grpc::StatusCode::UNAUTHENTICATED);
  }
  EXPECT_EQ(metrics::AuthFailuresTotal() - auth_failures_before, 40.0);
  // Partner calls are not administrative: not audited.
  ASSERT_TRUE(Enroll(market.api_key, "AUDIT-CARD").ok());

  const auto events = AuditEvents(kAuditorKey);
  ASSERT_EQ(events.size(), 6u);  // newest first
  for (const auto& event : events) EXPECT_NE(event.role(), "NONE");
  EXPECT_EQ(events[0].actor(), "auditor");
  EXPECT_EQ(events[0].reason(), "PERMISSION_DENIED");
  EXPECT_EQ(events[0].phase(), "COMPLETED");
  EXPECT_EQ(events[1].actor(), "partner:market");
  EXPECT_EQ(events[1].role(), "PARTNER");
  EXPECT_EQ(events[1].code(), static_cast<int>(grpc::StatusCode::PERMISSION_DENIED));
  // A write: its INTENT before the change, then the OUTCOME naming it.
  EXPECT_EQ(events[2].method(), "/coalition.v1.AdminService/RevokeApiKey");
  EXPECT_EQ(events[2].phase(), "OUTCOME");
  EXPECT_EQ(events[2].reason(), "API_KEY_NOT_FOUND");
  EXPECT_EQ(events[2].intent_event_id(), events[3].event_id());
  EXPECT_EQ(events[3].phase(), "INTENT");
  EXPECT_EQ(events[3].method(), "/coalition.v1.AdminService/RevokeApiKey");
  EXPECT_NE(events[3].request_json().find("999999"), std::string::npos);
  EXPECT_EQ(events[5].phase(), "INTENT");
  EXPECT_EQ(events[5].method(), "/coalition.v1.AdminService/CreatePartner");
  EXPECT_TRUE(events[5].after_json().empty());
  const auto& created = events[4];
  EXPECT_EQ(created.phase(), "OUTCOME");
  EXPECT_EQ(created.intent_event_id(), events[5].event_id());
  EXPECT_EQ(created.method(), "/coalition.v1.AdminService/CreatePartner");
  EXPECT_EQ(created.actor(), "operator");
  EXPECT_EQ(created.role(), "OPERATOR");
  EXPECT_EQ(created.code(), 0);
  EXPECT_NE(created.request_json().find("\"code\": \"market\""), std::string::npos)
      << created.request_json();
  EXPECT_NE(created.after_json().find("ck_market_"), std::string::npos);  // the prefix
  EXPECT_EQ(created.after_json().find(market.api_key), std::string::npos);
  EXPECT_EQ(created.after_json().find("api_key_secret"), std::string::npos);
  // A change records the state it replaced and the state it made.
  v1::SetRedemptionPolicyRequest set;
  set.set_partner_code("market");
  set.mutable_policy()->set_point_value_micros(8'000);
  set.mutable_policy()->set_block_size_points(100);
  set.mutable_policy()->set_max_points_share_bps(5'000);
  set.mutable_policy()->set_refund_policy(v1::REFUND_POLICY_CASH_FIRST);
  v1::RedemptionPolicyResponse stored;
  ASSERT_TRUE(AdminStub()->SetRedemptionPolicy(Context(kOperatorKey).get(), set, &stored).ok());
  const auto policy_event = AuditEvents().front();
  EXPECT_EQ(policy_event.method(), "/coalition.v1.AdminService/SetRedemptionPolicy");
  EXPECT_NE(policy_event.before_json().find("point_value_micros"), std::string::npos)
      << policy_event.before_json();
  EXPECT_EQ(policy_event.before_json().find("CASH_FIRST"), std::string::npos);
  EXPECT_NE(policy_event.after_json().find("REFUND_POLICY_CASH_FIRST"), std::string::npos)
      << policy_event.after_json();
  // Reading the log is itself audited.
  EXPECT_EQ(AuditEvents().front().method(), "/coalition.v1.AdminService/ListAuditEvents");
  // Paging: one at a time, newest first, to the end.
  v1::ListAuditEventsRequest page_request;
  page_request.set_page_size(4);
  std::vector<std::string> ids;
  for (int pages = 0; pages < 10; ++pages) {
    v1::ListAuditEventsResponse page;
    ASSERT_TRUE(
        AdminStub()->ListAuditEvents(Context(kOperatorKey).get(), page_request, &page).ok());
    for (const auto& event : page.events()) ids.push_back(event.event_id());
    if (page.next_page_token().empty()) break;
    page_request.set_page_token(page.next_page_token());
  }
  EXPECT_GE(ids.size(), 7u);
  EXPECT_EQ(ids.back(), events.back().event_id());
  EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()).size(), ids.size());
}

// Makes every INSERT into `table` whose new row satisfies `condition` fail,
// as a broken disk or a constraint would, in this test's database only.
void FailInserts(const std::string& url, const std::string& table, const std::string& condition) {
  pqxx::connection connection(url);
  pqxx::nontransaction tx(connection);
  tx.exec("CREATE FUNCTION fail_insert_" + table +
          "() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
          "RAISE EXCEPTION 'injected failure'; END $$");
  tx.exec("CREATE TRIGGER fail_insert_" + table + " BEFORE INSERT ON " + table +
          " FOR EACH ROW WHEN (" + condition + ") EXECUTE FUNCTION fail_insert_" + table + "()");
}

TEST_F(SecurityE2eTest, AChangeIsAuditedBeforeItCommitsAndNeverAsASuccessWhenItFailed) {
  const auto market = CreatePartner("market");
  v1::CreatePartnerRequest request;
  request.set_display_name("Doomed");
  request.mutable_earn_rate()->set_points(1);
  request.mutable_earn_rate()->set_per_amount_minor(100);
  v1::CreatePartnerResponse response;

  // The change's own transaction fails: an INTENT and a failed OUTCOME, no success.
  FailInserts(db_.url(), "partners", "NEW.code = 'doomed'");
  request.set_code("doomed");
  auto status = AdminStub()->CreatePartner(Context(kOperatorKey).get(), request, &response);
  ASSERT_EQ(status.error_code(), grpc::StatusCode::INTERNAL) << sdk::FormatError(status);
  auto events = AuditEvents();
  ASSERT_GE(events.size(), 2u);  // newest first; the listing records itself after it
  EXPECT_EQ(events[0].method(), "/coalition.v1.AdminService/CreatePartner");
  EXPECT_EQ(events[0].phase(), "OUTCOME");
  EXPECT_EQ(events[0].code(), static_cast<int>(grpc::StatusCode::INTERNAL));
  EXPECT_TRUE(events[0].after_json().empty());
  EXPECT_EQ(events[1].phase(), "INTENT");
  EXPECT_EQ(events[0].intent_event_id(), events[1].event_id());
  for (const auto& event : events) {
    if (event.request_json().find("doomed") == std::string::npos) continue;
    EXPECT_FALSE(event.phase() == "OUTCOME" && event.code() == 0) << event.event_id();
  }

  // The audit log cannot take the INTENT: the change is never attempted.
  FailInserts(db_.url(), "audit_log", "NEW.phase = 'INTENT'");
  const auto before = db_.Fingerprint();
  request.set_code("unaudited");
  status = AdminStub()->CreatePartner(Context(kOperatorKey).get(), request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << sdk::FormatError(status);
  EXPECT_EQ(Reason(status), "AUDIT_UNAVAILABLE");
  EXPECT_EQ(db_.Fingerprint(), before);
  v1::RevokeApiKeyRequest revoke;
  revoke.set_key_id(
      db_.QueryValue("SELECT min(id) FROM api_keys WHERE partner_id = " + market.partner_id));
  v1::RevokeApiKeyResponse revoked;
  status = AdminStub()->RevokeApiKey(Context(kOperatorKey).get(), revoke, &revoked);
  EXPECT_EQ(Reason(status), "AUDIT_UNAVAILABLE");
  EXPECT_EQ(db_.Fingerprint(), before);  // the key still works
  EXPECT_TRUE(Enroll(market.api_key, "STILL-WORKS").ok());

  // Every committed change has its record: each partner's creation has an
  // INTENT and a successful OUTCOME naming it.
  events = AuditEvents();
  std::map<std::string, const v1::AuditEvent*> intents;
  int created = 0;
  for (const auto& event : events) {
    if (event.phase() == "INTENT") intents[event.event_id()] = &event;
  }
  for (const auto& event : events) {
    if (event.method() != "/coalition.v1.AdminService/CreatePartner" ||
        event.phase() != "OUTCOME" || event.code() != 0) {
      continue;
    }
    ++created;
    ASSERT_TRUE(intents.contains(event.intent_event_id()));
    EXPECT_EQ(intents[event.intent_event_id()]->request_json(), event.request_json());
  }
  EXPECT_EQ(std::to_string(created), db_.QueryValue("SELECT count(*) FROM partners"));
}

TEST_F(SecurityE2eTest, RotatePiiKeysThroughTheApi) {
  const auto market = CreatePartner("market");
  auto stub = PartnerStub();
  v1::EnrollMemberRequest enroll;
  enroll.set_request_id("enroll-rotate");
  enroll.set_card_number("ROTATE-CARD");
  enroll.mutable_profile()->set_family_name("Rotated");
  v1::EnrollMemberResponse enrolled;
  ASSERT_TRUE(stub->EnrollMember(Context(market.api_key).get(), enroll, &enrolled).ok());
  v1::RotatePiiKeysRequest request;
  v1::RotatePiiKeysResponse response;
  // Everything is already under the active key.
  ASSERT_TRUE(AdminStub()->RotatePiiKeys(Context(kOperatorKey).get(), request, &response).ok());
  EXPECT_EQ(response.resealed(), 0);
  EXPECT_EQ(response.remaining(), 0);
  EXPECT_EQ(response.active_key_id(), "test-1");
  request.set_batch_size(10'001);
  auto status = AdminStub()->RotatePiiKeys(Context(kOperatorKey).get(), request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Field(status), "batch_size");
}

TEST_F(SecurityE2eTest, LogsCarryNoPiiOrSecrets) {
  std::ostringstream captured;
  auto previous = spdlog::default_logger();
  auto logger = std::make_shared<spdlog::logger>(
      "capture", std::make_shared<spdlog::sinks::ostream_sink_mt>(captured));
  logger->set_level(spdlog::level::info);
  logger->set_pattern("%v");
  spdlog::set_default_logger(logger);

  const auto market = CreatePartner("market");
  v1::EnrollMemberRequest enroll;
  enroll.set_request_id("enroll-log");
  enroll.set_card_number("LOG-CARD");
  enroll.mutable_profile()->set_given_name("Secretname");
  enroll.mutable_profile()->set_email("hidden@example.com");
  v1::EnrollMemberResponse enrolled;
  auto stub = PartnerStub();
  ASSERT_TRUE(stub->EnrollMember(Context(market.api_key).get(), enroll, &enrolled).ok());
  // Rejected ones too: the bad value must not be echoed.
  enroll.set_request_id("enroll-log-2");
  enroll.set_card_number("LOG-CARD-2");
  enroll.mutable_profile()->set_email("not-an-email-Secretname");
  EXPECT_FALSE(stub->EnrollMember(Context(market.api_key).get(), enroll, &enrolled).ok());
  v1::GetMemberRequest lookup;
  lookup.set_email("hidden@example.com");
  v1::GetMemberResponse found;
  ASSERT_TRUE(stub->GetMember(Context(market.api_key).get(), lookup, &found).ok());
  v1::ListPartnersResponse partners;
  EXPECT_FALSE(
      AdminStub()->ListPartners(Context("wrong-key-" + market.api_key).get(), {}, &partners).ok());

  spdlog::set_default_logger(previous);
  const auto log = captured.str();
  EXPECT_NE(log.find("EnrollMember"), std::string::npos) << "nothing was captured";
  for (const std::string& secret : {std::string("Secretname"), std::string("hidden@example.com"),
                                    market.api_key, std::string(kOperatorKey)}) {
    EXPECT_EQ(log.find(secret), std::string::npos) << secret << " leaked into\n" << log;
  }
}

class RateLimitE2eTest : public E2eFixture {
 protected:
  RateLimitE2eTest()
      : E2eFixture([](app::Config& config) {
          // Slow enough that no token comes back during the test.
          config.rate_limit_per_second = 1;
          config.rate_limit_burst = 3;
        }) {}
};

TEST_F(RateLimitE2eTest, APartnerOverItsRateGetsResourceExhaustedWithRetryInfo) {
  const auto market = CreatePartner("market");
  const auto fuel = CreatePartner("fuel");
  ASSERT_TRUE(Enroll(market.api_key, "RATE-CARD").ok());  // 1
  ASSERT_TRUE(Accrue(market.api_key, "rate-1", "RATE-CARD", 100).ok());  // 2
  ASSERT_TRUE(Accrue(market.api_key, "rate-2", "RATE-CARD", 100).ok());  // 3
  const auto before = db_.Fingerprint();
  const auto status = Accrue(market.api_key, "rate-3", "RATE-CARD", 100);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(Reason(status), "RATE_LIMITED");
  google::rpc::Status rich;
  ASSERT_TRUE(rich.ParseFromString(status.error_details()));
  bool saw_retry = false;
  for (const auto& detail : rich.details()) {
    google::rpc::RetryInfo retry;
    if (detail.UnpackTo(&retry)) {
      saw_retry = true;
      const double delay = static_cast<double>(retry.retry_delay().seconds()) +
                           retry.retry_delay().nanos() / 1e9;
      EXPECT_GT(delay, 0.0);
      EXPECT_LE(delay, 1.0);
    }
  }
  EXPECT_TRUE(saw_retry);
  EXPECT_EQ(db_.Fingerprint(), before);
  // Another partner has its own bucket; staff calls are not partner-limited.
  EXPECT_EQ(GetMember(fuel.api_key, "RATE-CARD").balance(), 2);
  v1::VerifyLedgerResponse verified;
  EXPECT_TRUE(AdminStub()->VerifyLedger(Context(kOperatorKey).get(), {}, &verified).ok());
}

TEST_F(RateLimitE2eTest, APartnerKeyCannotGrowTheAuditLogPastItsRateLimit) {
  const auto market = CreatePartner("market");
  v1::CreatePartnerRequest sneaky;
  sneaky.set_code("sneaky");
  v1::CreatePartnerResponse ignored;
  int denied = 0;
  int limited = 0;
  for (int i = 0; i < 12; ++i) {
    const auto status = AdminStub()->CreatePartner(Context(market.api_key).get(), sneaky, &ignored);
    if (status.error_code() == grpc::StatusCode::PERMISSION_DENIED) ++denied;
    if (status.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED) ++limited;
  }
  EXPECT_EQ(denied + limited, 12);
  EXPECT_GE(limited, 1);
  // Only the calls within the limit were recorded.
  v1::ListAuditEventsRequest request;
  request.set_page_size(500);
  v1::ListAuditEventsResponse events;
  ASSERT_TRUE(AdminStub()->ListAuditEvents(Context(kOperatorKey).get(), request, &events).ok());
  int recorded = 0;
  for (const auto& event : events.events()) recorded += event.actor() == "partner:market";
  EXPECT_EQ(recorded, denied);
}

TEST_F(SecurityE2eTest, OversizedMessagesAreRefusedBeforeAnyWork) {
  const auto market = CreatePartner("market");
  ASSERT_TRUE(Enroll(market.api_key, "BIG-CARD").ok());
  const auto before = db_.Fingerprint();
  v1::AccrueRequest request;
  request.set_request_id("big");
  request.set_card_number("BIG-CARD");
  request.mutable_amount()->set_currency_code("USD");
  request.mutable_amount()->set_amount_minor(100);
  request.set_store_id(std::string((1 << 20) + 1, 'x'));
  v1::AccrueResponse response;
  const auto status = PartnerStub()->Accrue(Context(market.api_key).get(), request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(db_.Fingerprint(), before);
}

}  // namespace
}  // namespace coalition::testing
