// Settlement against a real PostgreSQL: a scripted month whose statements are
// checked against figures the test works out itself, batches that claim
// every transfer exactly once under concurrent traffic and concurrent runs,
// and a late-committing transfer that lands in the next batch.

#include <atomic>
#include <map>
#include <thread>
#include <vector>

#include <pqxx/pqxx>

#include "integration/ledger_fixture.h"
#include "service/settlement_service.h"
#include "storage/database.h"

namespace coalition::testing {
namespace {

using domain::ErrorCode;
using domain::settlement::Mode;

// The test's own half-even rounding of micros to cents (not the domain's).
int64_t Cents(int64_t micros) {
  const bool negative = micros < 0;
  const int64_t magnitude = negative ? -micros : micros;
  int64_t cents = magnitude / 10'000;
  const int64_t rest = magnitude % 10'000;
  if (rest > 5'000 || (rest == 5'000 && cents % 2 == 1)) ++cents;
  return negative ? -cents : cents;
}

class SettlementTest : public LedgerFixture {
 protected:
  SettlementTest()
      : settlement_store_(database_), settlement_(settlement_store_, partner_store_, "USD") {}

  domain::Partner Partner(const std::string& code, int64_t price, int64_t rate) {
    auto created = admin_.CreatePartner({code, code, {1, 100}, price, rate, true});
    EXPECT_TRUE(created.ok()) << created.error().message;
    return created->partner;
  }

  int64_t Accrue(const domain::Partner& partner, const std::string& id, const std::string& card,
                 int64_t amount_minor) {
    auto result = ledger_.Accrue(partner, AccrueCommand(id, card, amount_minor));
    EXPECT_TRUE(result.ok()) << result.error().message;
    return result.ok() ? result->points_earned : 0;
  }

  void Redeem(const domain::Partner& partner, const std::string& id, const std::string& card,
              int64_t points) {
    auto result = ledger_.Redeem(partner, RedeemCommand(id, card, points));
    ASSERT_TRUE(result.ok()) << result.error().message;
  }

  domain::HoldId Hold(const domain::Partner& partner, const std::string& id,
                      const std::string& card, int64_t points) {
    domain::HoldCommand command;
    command.key = Key(id, card + std::to_string(points));
    command.member.card_number = card;
    command.points = points;
    auto result = ledger_.HoldPoints(partner, command);
    EXPECT_TRUE(result.ok()) << result.error().message;
    return result.ok() ? result->hold.id : 0;
  }

  service::SettledBatch Run(const std::string& request_id,
                            std::optional<domain::Timestamp> cutoff = std::nullopt,
                            Mode mode = Mode::kHub) {
    auto batch = settlement_.Run(request_id, cutoff, mode);
    EXPECT_TRUE(batch.ok()) << batch.error().reason << ": " << batch.error().message;
    return batch.ok() ? *batch : service::SettledBatch{};
  }

  int64_t Count(const std::string& sql) { return std::stoll(db_.QueryValue(sql)); }

  storage::PgSettlementStore settlement_store_;
  service::SettlementService settlement_;
};

const domain::settlement::PartnerLine& LineOf(const service::SettledBatch& batch,
                                              domain::PartnerId partner) {
  for (const auto& line : batch.report.lines) {
    if (line.partner == partner) return line;
  }
  throw std::runtime_error("no statement line");
}

// A month at three partners: earning, redeeming elsewhere, a captured and a
// voided hold, and a price change in the middle. Every figure is computed
// here from the prices the test set.
TEST_F(SettlementTest, ScriptedMonthOverThreePartners) {
  const auto market = Partner("market", 10'000, 7'500);  // 1.00 c issued, 0.75 c reimbursed
  const auto fuel = Partner("fuel", 12'500, 8'000);
  const auto store = Partner("store", 11'000, 9'000);

  // Week 1-2: Ann earns only at the market, Bob only at fuel and store.
  EXPECT_EQ(Accrue(market, "m-1", "ANN-0001", 123'456), 1'234);
  EXPECT_EQ(Accrue(fuel, "f-1", "BOB-0001", 40'000), 400);
  EXPECT_EQ(Accrue(store, "s-1", "BOB-0001", 33'300), 333);
  Redeem(fuel, "f-r1", "ANN-0001", 500);   // market's points redeemed at fuel
  Redeem(market, "m-r1", "BOB-0001", 100);  // Bob's points at the market
  const auto captured_hold = Hold(store, "s-h1", "ANN-0001", 300);
  ASSERT_TRUE(ledger_.CapturePoints(store, {Key("s-c1"), captured_hold, 250, ""}).ok());
  const auto voided_hold = Hold(store, "s-h2", "ANN-0001", 50);
  ASSERT_TRUE(ledger_.VoidHold(store, {Key("s-v2"), voided_hold}).ok());

  // Mid-month the market's price rises to 1.25 c and fuel's rate to 0.9 c.
  ASSERT_TRUE(settlement_.SetEconomics(market.id, "", std::nullopt, 12'500, 7'500).ok());
  ASSERT_TRUE(settlement_.SetEconomics(fuel.id, "", std::nullopt, 12'500, 9'000).ok());

  // Week 3-4.
  EXPECT_EQ(Accrue(market, "m-2", "ANN-0001", 10'001), 100);
  Redeem(fuel, "f-r2", "ANN-0001", 200);   // still market-issued points
  Redeem(market, "m-r2", "BOB-0001", 633);  // the rest of Bob's points (fuel's and store's)

  const auto batch = Run("month-1");
  EXPECT_TRUE(batch.created);
  // Transfers: accruals m-1 f-1 s-1 m-2 (4), redemptions f-r1 m-r1 f-r2 m-r2 (4),
  // one capture (1): 9. Holds and voids post nothing.
  EXPECT_EQ(batch.batch.transfer_count, 9);
  EXPECT_EQ(Count("SELECT count(*) FROM transfers"), 9);
  EXPECT_EQ(Count("SELECT count(*) FROM transfers WHERE settlement_batch_id = " +
                  std::to_string(batch.batch.id)),
            9);

  // Market: fees 1234 × 1.00 c + 100 × 1.25 c; reimbursed 733 × 0.75 c.
  const int64_t market_fees = 1'234 * 10'000 + 100 * 12'500;
  const int64_t market_reimbursed = 733 * 7'500;
  // Fuel: fees 400 × 1.25 c; reimbursed 500 × 0.8 c + 200 × 0.9 c.
  const int64_t fuel_fees = 400 * 12'500;
  const int64_t fuel_reimbursed = 500 * 8'000 + 200 * 9'000;
  // Store: fees 333 × 1.1 c; reimbursed 250 × 0.9 c (the captured part only).
  const int64_t store_fees = 333 * 11'000;
  const int64_t store_reimbursed = 250 * 9'000;

  const auto& m = LineOf(batch, market.id);
  EXPECT_EQ(m.points_issued, 1'334);
  EXPECT_EQ(m.points_redeemed, 733);
  EXPECT_EQ(m.issuance_fees_micros, market_fees);
  EXPECT_EQ(m.reimbursements_micros, market_reimbursed);
  EXPECT_EQ(m.net_minor, Cents(market_reimbursed - market_fees));
  EXPECT_EQ(m.rounding_micros, Cents(market_reimbursed - market_fees) * 10'000 -
                                   (market_reimbursed - market_fees));
  const auto& f = LineOf(batch, fuel.id);
  EXPECT_EQ(f.points_issued, 400);
  EXPECT_EQ(f.points_redeemed, 700);
  EXPECT_EQ(f.issuance_fees_micros, fuel_fees);
  EXPECT_EQ(f.reimbursements_micros, fuel_reimbursed);
  EXPECT_EQ(f.net_minor, Cents(fuel_reimbursed - fuel_fees));
  const auto& s = LineOf(batch, store.id);
  EXPECT_EQ(s.points_redeemed, 250);
  EXPECT_EQ(s.net_minor, Cents(store_reimbursed - store_fees));
  EXPECT_EQ(batch.report.operator_line.net_minor, -(m.net_minor + f.net_minor + s.net_minor));

  // Flows from lot provenance: Ann's points are all the market's; Bob's 733
  // at the market are fuel's 400 and store's 333, whatever the order.
  std::map<std::pair<int64_t, int64_t>, int64_t> flows;
  for (const auto& flow : batch.report.flows) {
    flows[{flow.issuer.value_or(0), flow.redeemer}] += flow.points;
  }
  EXPECT_EQ(flows[std::make_pair(market.id, fuel.id)], 700);
  EXPECT_EQ(flows[std::make_pair(market.id, store.id)], 250);
  EXPECT_EQ(flows[std::make_pair(fuel.id, market.id)], 100 + 300);
  EXPECT_EQ(flows[std::make_pair(store.id, market.id)], 333);

  const auto& rec = batch.report.reconciliation;
  EXPECT_TRUE(rec.ok());
  EXPECT_EQ(rec.points_issued, 1'334 + 400 + 333);
  EXPECT_EQ(rec.points_redeemed, 733 + 700 + 250);
  EXPECT_EQ(rec.liability_change_by_accounts, Count("SELECT sum(balance) FROM members"));
  EXPECT_EQ(rec.liability_after, Count("SELECT sum(balance) FROM members"));

  // Hub: three payments, one per partner with a non-zero net.
  EXPECT_EQ(batch.report.instructions.size(), 3u);
  ExpectLedgerConsistent();

  // The statement of one partner, read later, is the same.
  auto statement = settlement_.Statement(batch.batch.id, std::nullopt, "fuel");
  ASSERT_TRUE(statement.ok());
  EXPECT_EQ(statement->line.net_minor, f.net_minor);
  EXPECT_EQ(statement->instructions.size(), 1u);
  EXPECT_EQ(statement->flows.size(), 2u);  // market's points at fuel, fuel's at the market
}

TEST_F(SettlementTest, MultilateralNettingSettlesInAtMostNMinusOnePayments) {
  const auto a = Partner("alpha", 10'000, 8'000);
  const auto b = Partner("beta", 10'000, 8'000);
  const auto c = Partner("gamma", 10'000, 8'000);
  Accrue(a, "a1", "CARD-1", 100'000);  // 1000 points
  Redeem(b, "b1", "CARD-1", 600);
  Redeem(c, "c1", "CARD-1", 400);
  const auto batch = Run("multi-1", std::nullopt, Mode::kMultilateral);
  // Nets: alpha −10.00, beta +4.80, gamma +3.20, operator +2.00.
  EXPECT_EQ(LineOf(batch, a.id).net_minor, -1'000);
  EXPECT_EQ(LineOf(batch, b.id).net_minor, 480);
  EXPECT_EQ(LineOf(batch, c.id).net_minor, 320);
  EXPECT_EQ(batch.report.operator_line.net_minor, 200);
  ASSERT_EQ(batch.report.instructions.size(), 3u);
  for (const auto& instruction : batch.report.instructions) {
    EXPECT_EQ(instruction.payer.partner, a.id);
  }
  EXPECT_EQ(batch.report.instructions[0].payee.partner, b.id);
  EXPECT_EQ(batch.report.instructions[0].amount_minor, 480);
}

TEST_F(SettlementTest, SameRequestOrCutoffReturnsTheSameBatch) {
  const auto a = Partner("alpha", 10'000, 8'000);
  Accrue(a, "a1", "CARD-1", 10'000);
  const auto first = Run("run-1");
  ASSERT_TRUE(first.created);
  Accrue(a, "a2", "CARD-1", 10'000);

  // The same request again (no cutoff given: the first run's is kept).
  const auto again = Run("run-1");
  EXPECT_FALSE(again.created);
  EXPECT_EQ(again.batch.id, first.batch.id);
  EXPECT_EQ(again.batch.transfer_count, 1);
  // Another request for the same cutoff.
  const auto same_cutoff = Run("run-2", first.batch.cutoff);
  EXPECT_EQ(same_cutoff.batch.id, first.batch.id);
  EXPECT_EQ(LineOf(same_cutoff, a.id).net_minor, LineOf(first, a.id).net_minor);

  // The request id with another cutoff, or the cutoff in the other mode.
  auto reused = settlement_.Run("run-1", first.batch.cutoff - std::chrono::seconds(1), Mode::kHub);
  ASSERT_FALSE(reused.ok());
  EXPECT_EQ(reused.error().code, ErrorCode::kAlreadyExists);
  EXPECT_EQ(reused.error().reason, "REQUEST_ID_REUSED");
  auto other_mode = settlement_.Run("run-3", first.batch.cutoff, Mode::kMultilateral);
  ASSERT_FALSE(other_mode.ok());
  EXPECT_EQ(other_mode.error().reason, "SETTLEMENT_MODE_MISMATCH");
  // Cutoffs before the last batch's or in the future are refused.
  auto earlier = settlement_.Run("run-4", first.batch.cutoff - std::chrono::seconds(1), Mode::kHub);
  ASSERT_FALSE(earlier.ok());
  EXPECT_EQ(earlier.error().reason, "CUTOFF_BEFORE_LAST_BATCH");
  auto future = settlement_.Run("run-5", first.batch.cutoff + std::chrono::hours(24 * 365),
                                Mode::kHub);
  ASSERT_FALSE(future.ok());
  EXPECT_EQ(future.error().reason, "CUTOFF_IN_FUTURE");
  EXPECT_EQ(Count("SELECT count(*) FROM settlement_batches"), 1);

  // The next run takes the second accrual.
  const auto second = Run("run-6");
  EXPECT_EQ(second.batch.transfer_count, 1);
  EXPECT_EQ(second.batch.ledger.liability_before, 100);

  auto listed = settlement_.List(0, 10);
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[0].id, second.batch.id);
}

TEST_F(SettlementTest, ConcurrentRunsForOneCutoffCreateOneBatch) {
  const auto a = Partner("alpha", 10'000, 8'000);
  for (int i = 0; i < 20; ++i) Accrue(a, "a" + std::to_string(i), "CARD-1", 1'000);
  const auto cutoff = domain::Timestamp(std::chrono::duration_cast<std::chrono::microseconds>(
      std::chrono::system_clock::now().time_since_epoch()));
  std::vector<std::thread> runners;
  std::vector<int64_t> ids(8);
  std::atomic<int> created{0};
  for (int i = 0; i < 8; ++i) {
    runners.emplace_back([&, i] {
      auto batch = settlement_.Run("concurrent-" + std::to_string(i), cutoff, Mode::kHub);
      ASSERT_TRUE(batch.ok()) << batch.error().message;
      ids[i] = batch->batch.id;
      if (batch->created) ++created;
    });
  }
  for (auto& runner : runners) runner.join();
  EXPECT_EQ(created.load(), 1);
  for (int64_t id : ids) EXPECT_EQ(id, ids[0]);
  EXPECT_EQ(Count("SELECT count(*) FROM settlement_batches"), 1);
  EXPECT_EQ(Count("SELECT count(*) FROM transfers WHERE settlement_batch_id IS NULL"), 0);
}

// The hard case: a transaction that started before the cutoff (so its
// transfer's created_at is earlier) commits after the batch was cut. It must
// land in the next batch, not vanish.
TEST_F(SettlementTest, ATransferCommittedAfterTheCutLandsInTheNextBatch) {
  const auto a = Partner("alpha", 10'000, 8'000);
  const auto member = Enroll(a, "CARD-1");
  Accrue(a, "a1", "CARD-1", 1'000);

  pqxx::connection late(db_.url());
  storage::PrepareStatements(late);
  pqxx::work slow(late);
  slow.exec_prepared1("accrue", member.id, a.issuance_account_id, 7, a.id,
                      std::optional<std::string>(), std::optional<int64_t>(),
                      std::optional<std::string>(), std::optional<std::string>(),
                      std::optional<std::string>(), std::optional<int64_t>(),
                      std::optional<int64_t>(), std::chrono::duration_cast<std::chrono::microseconds>(
                          std::chrono::system_clock::now().time_since_epoch()).count());
  // Its created_at is the start of `slow`, before this cutoff.
  const auto first = Run("cut-1");
  EXPECT_EQ(first.batch.transfer_count, 1);
  slow.commit();
  EXPECT_LT(Count("SELECT (extract(epoch from created_at) * 1000000)::bigint FROM transfers "
                  "WHERE points = 7"),
            first.batch.cutoff.time_since_epoch().count());

  const auto second = Run("cut-2");
  EXPECT_EQ(second.batch.transfer_count, 1);
  EXPECT_EQ(LineOf(second, a.id).points_issued, 7);
  EXPECT_EQ(Count("SELECT count(*) FROM transfers WHERE settlement_batch_id IS NULL"), 0);
  EXPECT_TRUE(second.report.reconciliation.ok());
}

// Traffic keeps committing while settlement runs again and again; afterwards
// every transfer is in exactly one batch and every batch reconciles.
TEST_F(SettlementTest, TrafficDuringRepeatedRunsSettlesEveryTransferOnce) {
  const auto a = Partner("alpha", 10'000, 8'000);
  const auto b = Partner("beta", 12'000, 9'000);
  for (int card = 0; card < 4; ++card) {
    Accrue(a, "seed-" + std::to_string(card), "CARD-" + std::to_string(card), 100'000);
  }
  std::atomic<bool> stop{false};
  std::atomic<int> operations{0};
  std::vector<std::thread> traffic;
  for (int worker = 0; worker < 4; ++worker) {
    traffic.emplace_back([&, worker] {
      const std::string card = "CARD-" + std::to_string(worker);
      for (int i = 0; !stop.load() || i < 20; ++i) {
        const std::string id = "w" + std::to_string(worker) + "-" + std::to_string(i);
        auto accrued = ledger_.Accrue(i % 2 == 0 ? a : b, AccrueCommand(id, card, 500));
        ASSERT_TRUE(accrued.ok()) << accrued.error().message;
        auto redeemed = ledger_.Redeem(i % 3 == 0 ? a : b, RedeemCommand(id + "r", card, 3));
        ASSERT_TRUE(redeemed.ok()) << redeemed.error().message;
        operations += 2;
      }
    });
  }
  std::vector<service::SettledBatch> batches;
  for (int run = 0; run < 10 && !HasFatalFailure(); ++run) {
    batches.push_back(Run("traffic-" + std::to_string(run)));
  }
  stop = true;
  for (auto& thread : traffic) thread.join();
  batches.push_back(Run("traffic-final"));

  EXPECT_EQ(Count("SELECT count(*) FROM transfers WHERE settlement_batch_id IS NULL"), 0);
  int64_t settled = 0;
  for (const auto& batch : batches) {
    EXPECT_TRUE(batch.report.reconciliation.ok()) << "batch " << batch.batch.id;
    settled += batch.batch.transfer_count;
  }
  EXPECT_EQ(settled, Count("SELECT count(*) FROM transfers"));
  EXPECT_EQ(settled, 4 + operations.load());
  EXPECT_EQ(batches.back().report.reconciliation.liability_after,
            Count("SELECT sum(balance) FROM members"));
  ExpectLedgerConsistent();
}

TEST_F(SettlementTest, RefundsClawbacksExpiryAndBonusesFromStoredTransfers) {
  // Kinds whose operations live elsewhere, written as their operations
  // would: a clawback at the price of the accrual it reverses, a refund
  // restoring the lot a redemption consumed at that redemption's rate.
  const auto a = Partner("alpha", 10'000, 8'000);
  const auto b = Partner("beta", 12'000, 9'000);
  const auto member = Enroll(a, "CARD-1");
  Accrue(a, "a1", "CARD-1", 100'000);  // 1000 points at 1.0 c
  Redeem(b, "b1", "CARD-1", 300);       // at 0.9 c
  ASSERT_TRUE(settlement_.SetEconomics(a.id, "", std::nullopt, 20'000, 8'000).ok());
  ASSERT_TRUE(settlement_.SetEconomics(b.id, "", std::nullopt, 12'000, 5'000).ok());
  const std::string m = std::to_string(member.id);
  db_.QueryValue(R"(
    WITH accrual AS (SELECT id FROM transfers WHERE kind = 'ACCRUAL'),
         redemption AS (SELECT id FROM transfers WHERE kind = 'REDEMPTION'),
         accounts_ AS (SELECT (SELECT id FROM accounts WHERE kind = 'PARTNER_ISSUANCE' AND partner_id = )" +
                 std::to_string(a.id) + R"() AS issuance,
                              (SELECT id FROM accounts WHERE kind = 'PARTNER_REDEMPTION' AND partner_id = )" +
                 std::to_string(b.id) + R"() AS redemption,
                              (SELECT id FROM accounts WHERE kind = 'BREAKAGE') AS breakage,
                              (SELECT id FROM accounts WHERE kind = 'OPERATOR') AS operator_),
         clawback AS (
           INSERT INTO transfers (member_id, debit_account_id, credit_account_id, points, kind,
                                  partner_id, reverses_transfer_id)
           SELECT )" + m + ", " + m + R"(, issuance, 100, 'CLAWBACK', )" + std::to_string(a.id) +
                 R"(, (SELECT id FROM accrual) FROM accounts_ RETURNING id),
         refund AS (
           INSERT INTO transfers (member_id, debit_account_id, credit_account_id, points, kind,
                                  partner_id, reverses_transfer_id)
           SELECT )" + m + R"(, redemption, )" + m + R"(, 50, 'REFUND', )" + std::to_string(b.id) +
                 R"(, (SELECT id FROM redemption) FROM accounts_ RETURNING id),
         restoration AS (
           INSERT INTO lot_restorations (member_id, refund_transfer_id, debit_transfer_id,
                                         consumed_lot_id, lot_id, points)
           SELECT )" + m + R"(, refund.id, redemption.id, lots.id, lots.id, 50
           FROM refund, redemption, lots RETURNING 1),
         expiry AS (
           INSERT INTO transfers (member_id, debit_account_id, credit_account_id, points, kind)
           SELECT )" + m + ", " + m + R"(, breakage, 20, 'EXPIRY' FROM accounts_ RETURNING id),
         bonus AS (
           INSERT INTO transfers (member_id, debit_account_id, credit_account_id, points, kind)
           SELECT )" + m + R"(, operator_, )" + m + R"(, 5, 'BONUS' FROM accounts_ RETURNING id)
    INSERT INTO lot_consumptions (member_id, transfer_id, lot_id, points)
    SELECT )" + m + R"(, expiry.id, lots.id, 20 FROM expiry, lots
    RETURNING 1)");

  const auto batch = Run("kinds");
  const auto& issuer = LineOf(batch, a.id);
  EXPECT_EQ(issuer.points_issued, 1'000);
  EXPECT_EQ(issuer.points_clawed_back, 100);
  EXPECT_EQ(issuer.points_expired, 20);
  // The clawback returns the 1.0 c charged, not the new 2.0 c price.
  EXPECT_EQ(issuer.issuance_fees_micros, 900 * 10'000);
  const auto& redeemer = LineOf(batch, b.id);
  EXPECT_EQ(redeemer.points_refunded, 50);
  // The refund takes back the 0.9 c paid, not the new 0.5 c rate.
  EXPECT_EQ(redeemer.reimbursements_micros, 250 * 9'000);
  EXPECT_EQ(batch.report.operator_line.points_bonus, 5);
  EXPECT_EQ(batch.report.operator_line.points_breakage, 20);
  ASSERT_EQ(batch.report.flows.size(), 1u);
  EXPECT_EQ(batch.report.flows[0].points, 250);
  const auto& rec = batch.report.reconciliation;
  EXPECT_EQ(rec.liability_change_by_kind, 1'000 - 300 - 100 + 50 - 20 + 5);
  EXPECT_TRUE(rec.liability_balances());
  EXPECT_TRUE(rec.ok());
}

TEST_F(SettlementTest, SettledDataCannotChange) {
  const auto a = Partner("alpha", 10'000, 8'000);
  Accrue(a, "a1", "CARD-1", 10'000);
  const auto batch = Run("immutable");
  pqxx::connection connection(db_.url());
  for (const char* sql :
       {"UPDATE transfers SET settlement_batch_id = NULL",
        "UPDATE transfers SET settlement_batch_id = settlement_batch_id + 1",
        "DELETE FROM settlement_activity", "UPDATE settlement_activity SET points = points + 1",
        "UPDATE settlement_batches SET mode = 'MULTILATERAL'", "DELETE FROM settlement_batches"}) {
    pqxx::work tx(connection);
    EXPECT_THROW(tx.exec(sql), pqxx::sql_error) << sql;
  }
  auto again = settlement_.Get(batch.batch.id);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(LineOf(*again, a.id).net_minor, LineOf(batch, a.id).net_minor);
}

TEST_F(SettlementTest, EconomicsChangeOnlyFromNowOn) {
  const auto a = Partner("alpha", 10'000, 8'000);
  auto past = settlement_.SetEconomics(a.id, "", domain::Timestamp(std::chrono::seconds(1)),
                                       1, 1);
  ASSERT_FALSE(past.ok());
  EXPECT_EQ(past.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_EQ(past.error().reason, "EFFECTIVE_FROM_IN_PAST");
  auto negative = settlement_.SetEconomics(a.id, "", std::nullopt, -1, 1);
  ASSERT_FALSE(negative.ok());
  EXPECT_EQ(negative.error().field, "issuance_price_micros");
  auto unknown = settlement_.SetEconomics(std::nullopt, "nobody", std::nullopt, 1, 1);
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().code, ErrorCode::kNotFound);

  const auto later = domain::Timestamp(std::chrono::seconds(4'000'000'000));
  ASSERT_TRUE(settlement_.SetEconomics(std::nullopt, "alpha", later, 15'000, 9'000).ok());
  auto listed = settlement_.ListEconomics(a.id, "");
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->second.size(), 2u);
  EXPECT_FALSE(listed->second[0].effective_from.has_value());  // the initial rates
  EXPECT_EQ(listed->second[0].issuance_price_micros, 10'000);
  EXPECT_EQ(listed->second[1].effective_from, later);
  EXPECT_EQ(listed->second[1].issuance_price_micros, 15'000);
}

}  // namespace
}  // namespace coalition::testing
