#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include <grpcpp/security/credentials.h>

#include "app/server.h"
#include "coalition/sdk/errors.h"
#include "coalition/v1/admin_service.grpc.pb.h"
#include "coalition/v1/partner_service.grpc.pb.h"
#include "support/test_database.h"

namespace coalition::testing {

inline constexpr const char* kOperatorKey = "test-operator-key-0123456789";
inline constexpr const char* kFinanceKey = "test-finance-key-0123456789";

// A real server on a loopback port over a fresh database, and clients that
// talk to it over TCP like a partner's till would.
class E2eFixture : public ::testing::Test {
 public:
  struct PartnerCredentials {
    std::string partner_id;
    std::string api_key;
  };
  // A context carrying `authorization: Bearer <key>` (none when key is empty).
  static std::unique_ptr<grpc::ClientContext> Context(const std::string& key);

 protected:
  E2eFixture();
  // `adjust` changes the test configuration before the server starts.
  explicit E2eFixture(const std::function<void(app::Config&)>& adjust);
  ~E2eFixture() override;

  PartnerCredentials CreatePartner(const std::string& code, int64_t points = 1,
                                   int64_t per_amount_minor = 100, bool auto_enroll = false);

  std::unique_ptr<v1::PartnerService::Stub> PartnerStub() const;
  std::unique_ptr<v1::AdminService::Stub> AdminStub() const;

  grpc::Status Enroll(const std::string& key, const std::string& card,
                      v1::EnrollMemberResponse* response = nullptr);
  grpc::Status Accrue(const std::string& key, const std::string& request_id,
                      const std::string& card, int64_t amount_minor,
                      v1::AccrueResponse* response = nullptr);
  grpc::Status Redeem(const std::string& key, const std::string& request_id,
                      const std::string& card, int64_t points,
                      v1::RedeemResponse* response = nullptr);
  v1::Member GetMember(const std::string& key, const std::string& card);
  void ExpectLedgerConsistent();

  static std::string Reason(const grpc::Status& status) { return sdk::DecodeError(status).reason; }
  static std::string Field(const grpc::Status& status) {
    auto details = sdk::DecodeError(status);
    auto found = details.metadata.find("field");
    return found == details.metadata.end() ? "" : found->second;
  }

  // The server's clock: starts at the real time, moves only when a test says.
  class ManualClock final : public domain::Clock {
   public:
    domain::Timestamp Now() const override {
      std::lock_guard lock(mutex_);
      return now_;
    }
    void Advance(std::chrono::seconds by) {
      std::lock_guard lock(mutex_);
      now_ += by;
    }

   private:
    mutable std::mutex mutex_;
    domain::Timestamp now_ = domain::SystemClock().Now();
  };

  // How PartnerStub() and AdminStub() connect (TLS tests replace it) and to
  // which target.
  std::shared_ptr<grpc::ChannelCredentials> channel_credentials_;
  std::string channel_target_;

  ManualClock clock_;
  TestDatabase db_;
  std::unique_ptr<app::CoalitionServer> server_;
  std::string target_;
};

}  // namespace coalition::testing
