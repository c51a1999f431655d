#pragma once

#include <gtest/gtest.h>

#include "crypto/crypto.h"
#include "crypto/pii.h"
#include "service/ledger_service.h"
#include "storage/database.h"
#include "storage/pg_stores.h"
#include "support/test_database.h"

namespace coalition::testing {

// The ledger operations wired to a fresh migrated database, without gRPC.
class LedgerFixture : public ::testing::Test {
 protected:
  LedgerFixture()
      : pii_keys_(crypto::PiiKeyRing::Generate()),
        database_(storage::DatabaseOptions{db_.url(), 12}),
        ledger_store_(database_, pii_keys_),
        partner_store_(database_),
        ledger_(ledger_store_, "USD", clock_),
        admin_(partner_store_) {}

  domain::Partner CreatePartner(const std::string& code, domain::EarnRate rate = {1, 100},
                                bool auto_enroll = false) {
    auto created = admin_.CreatePartner({code, code + " display", rate, 10'000, 8'000, auto_enroll});
    EXPECT_TRUE(created.ok()) << created.error().message;
    return created->partner;
  }

  // A request key whose hash stands for `payload`.
  static domain::RequestKey Key(const std::string& request_id, const std::string& payload = "") {
    return {request_id, "test", crypto::Sha256(request_id + "|" + payload)};
  }

  domain::AccrueCommand AccrueCommand(const std::string& request_id, const std::string& card,
                                      int64_t amount_minor) {
    domain::AccrueCommand command;
    command.key = Key(request_id, card + std::to_string(amount_minor));
    command.card_number = card;
    command.amount = {"USD", amount_minor};
    return command;
  }

  domain::RedeemCommand RedeemCommand(const std::string& request_id, const std::string& card,
                                      int64_t points) {
    domain::RedeemCommand command;
    command.key = Key(request_id, card + std::to_string(points));
    command.member.card_number = card;
    command.points = points;
    return command;
  }

  domain::MemberView Enroll(const domain::Partner& partner, const std::string& card) {
    auto enrolled = ledger_.Enroll(partner, {Key("enroll-" + card), card, {}});
    EXPECT_TRUE(enrolled.ok()) << enrolled.error().message;
    return enrolled->member;
  }

  void ExpectLedgerConsistent() {
    auto report = ledger_.Verify();
    ASSERT_TRUE(report.ok()) << report.error().message;
    for (const auto& check : report->checks) {
      EXPECT_TRUE(check.ok()) << check.name << ": "
                              << (check.examples.empty() ? "" : check.examples.front());
    }
  }

  // Starts at a fixed time; tests move it forward instead of sleeping.
  class FakeClock final : public domain::Clock {
   public:
    domain::Timestamp Now() const override { return now_; }
    void Advance(std::chrono::seconds by) { now_ += by; }

   private:
    domain::Timestamp now_{std::chrono::seconds(1'900'000'000)};
  };

  FakeClock clock_;
  TestDatabase db_;
  crypto::PiiKeyRing pii_keys_;
  storage::Database database_;
  storage::PgLedgerStore ledger_store_;
  storage::PgPartnerStore partner_store_;
  service::LedgerService ledger_;
  service::PartnerAdmin admin_;
};

}  // namespace coalition::testing
