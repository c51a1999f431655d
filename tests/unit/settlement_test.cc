// Unit tests of server/domain/settlement: rounding, hand-computed batches,
// payment instructions, and properties over thousands of random batches
// (nets sum to zero, instructions preserve every net, multilateral netting
// needs at most n − 1 payments).

#include "domain/settlement.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <map>
#include <optional>
#include <random>
#include <stdexcept>
#include <vector>

namespace coalition::domain::settlement {
namespace {

constexpr int64_t kUsd = 10'000;     // micros per cent
constexpr int64_t kJpy = 1'000'000;  // micros per yen
constexpr int64_t kKwd = 1'000;      // micros per fils

Activity Issued(PartnerId partner, int64_t price, int64_t points) {
  return {Measure::kIssued, partner, std::nullopt, price, points};
}
Activity ClawedBack(PartnerId partner, int64_t price, int64_t points) {
  return {Measure::kClawedBack, partner, std::nullopt, price, points};
}
Activity Redeemed(PartnerId at, std::optional<PartnerId> issuer, int64_t rate, int64_t points) {
  return {Measure::kRedeemed, at, issuer, rate, points};
}
Activity Refunded(PartnerId at, std::optional<PartnerId> issuer, int64_t rate, int64_t points) {
  return {Measure::kRefunded, at, issuer, rate, points};
}
Activity Expired(std::optional<PartnerId> issuer, int64_t points) {
  return {Measure::kExpired, std::nullopt, issuer, 0, points};
}
Activity Bonus(int64_t points) { return {Measure::kBonus, std::nullopt, std::nullopt, 0, points}; }

const PartnerLine& LineOf(const Report& report, PartnerId partner) {
  for (const auto& line : report.lines) {
    if (line.partner == partner) return line;
  }
  throw std::runtime_error("no line for partner");
}

// Each party's net after applying the instructions: must be zero for all.
std::map<std::optional<PartnerId>, int64_t> Residuals(
    const std::vector<std::pair<Party, int64_t>>& nets,
    const std::vector<Instruction>& instructions) {
  std::map<std::optional<PartnerId>, int64_t> residual;
  for (const auto& [party, net] : nets) residual[party.partner] += net;
  for (const auto& instruction : instructions) {
    // A payee is owed money (net > 0); a payment reduces what it is owed.
    residual[instruction.payee.partner] -= instruction.amount_minor;
    residual[instruction.payer.partner] += instruction.amount_minor;
  }
  return residual;
}

TEST(SettlementRounding, HalfEvenOnTiesBothSigns) {
  EXPECT_EQ(RoundHalfEvenToMinor(5'000, kUsd), 0);     // 0.5 cent -> 0
  EXPECT_EQ(RoundHalfEvenToMinor(15'000, kUsd), 2);    // 1.5 -> 2
  EXPECT_EQ(RoundHalfEvenToMinor(25'000, kUsd), 2);    // 2.5 -> 2
  EXPECT_EQ(RoundHalfEvenToMinor(-5'000, kUsd), 0);    // -0.5 -> 0
  EXPECT_EQ(RoundHalfEvenToMinor(-15'000, kUsd), -2);  // -1.5 -> -2
  EXPECT_EQ(RoundHalfEvenToMinor(-25'000, kUsd), -2);  // -2.5 -> -2
}

TEST(SettlementRounding, NonTiesGoToTheNearest) {
  EXPECT_EQ(RoundHalfEvenToMinor(14'999, kUsd), 1);
  EXPECT_EQ(RoundHalfEvenToMinor(15'001, kUsd), 2);
  EXPECT_EQ(RoundHalfEvenToMinor(-14'999, kUsd), -1);
  EXPECT_EQ(RoundHalfEvenToMinor(-15'001, kUsd), -2);
  EXPECT_EQ(RoundHalfEvenToMinor(0, kUsd), 0);
  EXPECT_EQ(RoundHalfEvenToMinor(1, kUsd), 0);
  EXPECT_EQ(RoundHalfEvenToMinor(-1, kUsd), 0);
  EXPECT_EQ(RoundHalfEvenToMinor(123'450'000, kUsd), 12'345);
}

TEST(SettlementRounding, OtherMinorUnits) {
  EXPECT_EQ(RoundHalfEvenToMinor(2'500'000, kJpy), 2);  // 2.5 yen -> 2
  EXPECT_EQ(RoundHalfEvenToMinor(3'500'000, kJpy), 4);
  EXPECT_EQ(RoundHalfEvenToMinor(1'500, kKwd), 2);
  EXPECT_EQ(RoundHalfEvenToMinor(-2'500, kKwd), -2);
}

TEST(SettlementRounding, MatchesAReferenceOverManyValues) {
  std::mt19937_64 random(7);
  std::uniform_int_distribution<int64_t> value(-10'000'000'000, 10'000'000'000);
  for (int i = 0; i < 20'000; ++i) {
    const int64_t micros = value(random);
    const int64_t minor = RoundHalfEvenToMinor(micros, kUsd);
    const int64_t diff = minor * kUsd - micros;  // the rounding shown
    ASSERT_LE(std::abs(diff), kUsd / 2) << micros;
    if (std::abs(diff) == kUsd / 2) {
      EXPECT_EQ(minor % 2, 0) << micros;
    }
  }
}

TEST(SettlementRounding, HugeValuesStayExact) {
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  EXPECT_EQ(RoundHalfEvenToMinor(static_cast<Int128>(kMax) * kUsd + 4'999, kUsd), kMax);
  EXPECT_EQ(RoundHalfEvenToMinor(static_cast<Int128>(kMax - 1) * kUsd + 5'000, kUsd), kMax - 1);
}

// Three partners, one month: figures worked out by hand.
//   freshmart (1): price 1.00 c, rate 0.75 c
//   fuelco    (2): price 1.25 c, rate 0.80 c
//   grandstore(3): price 1.10 c, rate 0.90 c
TEST(SettlementReport, ThreePartnersByHand) {
  const std::vector<Activity> activity = {
      Issued(1, 10'000, 1'000),           // fees 10.00
      Issued(2, 12'500, 600),             // fees 7.50
      Issued(3, 11'000, 333),             // fees 3.663
      Redeemed(2, 1, 8'000, 400),         // fuelco reimbursed 3.20 for freshmart's points
      Redeemed(3, 2, 9'000, 100),         // grandstore 0.90 for fuelco's points
      Redeemed(3, std::nullopt, 9'000, 50),  // grandstore 0.45 for bonus points
      Redeemed(1, 1, 7'500, 7),           // freshmart 0.0525 for its own points
      Bonus(50),
      Expired(1, 20),
  };
  auto report = BuildReport(activity, {1'000 + 600 + 333 + 50 - 557 - 20, 0}, Mode::kHub, kUsd);
  ASSERT_TRUE(report.ok()) << report.error().message;

  const auto& freshmart = LineOf(*report, 1);
  EXPECT_EQ(freshmart.points_issued, 1'000);
  EXPECT_EQ(freshmart.points_redeemed, 7);
  EXPECT_EQ(freshmart.points_expired, 20);
  EXPECT_EQ(freshmart.issuance_fees_micros, 10'000'000);
  EXPECT_EQ(freshmart.reimbursements_micros, 52'500);
  EXPECT_EQ(freshmart.net_micros, -9'947'500);  // -9.9475
  EXPECT_EQ(freshmart.net_minor, -995);         // -994.75 cents -> -995
  EXPECT_EQ(freshmart.rounding_micros, -2'500);

  const auto& fuelco = LineOf(*report, 2);
  EXPECT_EQ(fuelco.issuance_fees_micros, 7'500'000);
  EXPECT_EQ(fuelco.reimbursements_micros, 3'200'000);
  EXPECT_EQ(fuelco.net_minor, -430);
  EXPECT_EQ(fuelco.rounding_micros, 0);

  const auto& grandstore = LineOf(*report, 3);
  EXPECT_EQ(grandstore.issuance_fees_micros, 3'663'000);
  EXPECT_EQ(grandstore.reimbursements_micros, 1'350'000);
  EXPECT_EQ(grandstore.net_micros, -2'313'000);  // -231.3 cents
  EXPECT_EQ(grandstore.net_minor, -231);
  EXPECT_EQ(grandstore.rounding_micros, 3'000);

  const auto& op = report->operator_line;
  EXPECT_EQ(op.points_bonus, 50);
  EXPECT_EQ(op.points_breakage, 20);
  EXPECT_EQ(op.margin_micros, 9'947'500 + 4'300'000 + 2'313'000);
  EXPECT_EQ(op.net_minor, 995 + 430 + 231);
  EXPECT_EQ(op.rounding_micros, 1'656 * kUsd - (9'947'500 + 4'300'000 + 2'313'000));

  // Flows: operator-funded first, then by issuer and redeemer.
  ASSERT_EQ(report->flows.size(), 4u);
  EXPECT_FALSE(report->flows[0].issuer.has_value());
  EXPECT_EQ(report->flows[0].redeemer, 3);
  EXPECT_EQ(report->flows[0].points, 50);
  EXPECT_EQ(report->flows[0].value_micros, 450'000);
  EXPECT_EQ(report->flows[1].issuer, 1);
  EXPECT_EQ(report->flows[1].redeemer, 1);
  EXPECT_EQ(report->flows[2].issuer, 1);
  EXPECT_EQ(report->flows[2].redeemer, 2);
  EXPECT_EQ(report->flows[2].points, 400);
  EXPECT_EQ(report->flows[3].issuer, 2);
  EXPECT_EQ(report->flows[3].redeemer, 3);

  // Hub: every partner pays the operator its net.
  ASSERT_EQ(report->instructions.size(), 3u);
  for (const auto& instruction : report->instructions) {
    EXPECT_TRUE(instruction.payee.is_operator());
  }
  EXPECT_EQ(report->instructions[0].payer.partner, 1);
  EXPECT_EQ(report->instructions[0].amount_minor, 995);

  const auto& rec = report->reconciliation;
  EXPECT_TRUE(rec.nets_balance());
  EXPECT_EQ(rec.nets_sum_minor, 0);
  EXPECT_EQ(rec.nets_sum_micros, 0);
  EXPECT_EQ(rec.points_issued, 1'933);
  EXPECT_EQ(rec.points_redeemed, 557);
  EXPECT_EQ(rec.liability_change_by_kind, 1'933 + 50 - 557 - 20);
  EXPECT_TRUE(rec.liability_balances());
  EXPECT_EQ(rec.liability_after, 1'933 + 50 - 557 - 20);
  EXPECT_TRUE(rec.ok());
}

TEST(SettlementReport, RateChangeMidBatchPricesEachPeriodAtItsOwnRate) {
  // 100 points at 1.0 c, then the price rises to 1.5 c for the next 100.
  auto report = BuildReport({Issued(1, 10'000, 100), Issued(1, 15'000, 100)}, {200, 0},
                            Mode::kHub, kUsd);
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(LineOf(*report, 1).issuance_fees_micros, 2'500'000);
  EXPECT_EQ(LineOf(*report, 1).net_minor, -250);
}

TEST(SettlementReport, ClawbacksAndRefundsReduceFeesAndReimbursements) {
  auto report = BuildReport(
      {Issued(1, 10'000, 500), ClawedBack(1, 10'000, 120), Redeemed(2, 1, 8'000, 300),
       Refunded(2, 1, 8'000, 100)},
      {500 - 120 - 300 + 100, 1'000}, Mode::kHub, kUsd);
  ASSERT_TRUE(report.ok());
  const auto& issuer = LineOf(*report, 1);
  EXPECT_EQ(issuer.points_clawed_back, 120);
  EXPECT_EQ(issuer.issuance_fees_micros, 3'800'000);
  const auto& redeemer = LineOf(*report, 2);
  EXPECT_EQ(redeemer.points_refunded, 100);
  EXPECT_EQ(redeemer.reimbursements_micros, 1'600'000);
  ASSERT_EQ(report->flows.size(), 1u);
  EXPECT_EQ(report->flows[0].points, 200);
  EXPECT_EQ(report->flows[0].value_micros, 1'600'000);
  EXPECT_EQ(report->reconciliation.liability_before, 1'000);
  EXPECT_EQ(report->reconciliation.liability_after, 1'180);
  EXPECT_TRUE(report->reconciliation.ok());
}

TEST(SettlementReport, ARedemptionFullyRefundedLeavesNoFlow) {
  auto report = BuildReport({Redeemed(2, 1, 8'000, 10), Refunded(2, 1, 8'000, 10)}, {0, 10},
                            Mode::kMultilateral, kUsd);
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->flows.empty());
  EXPECT_TRUE(report->instructions.empty());
  EXPECT_EQ(LineOf(*report, 2).net_minor, 0);
}

TEST(SettlementReport, ListedPartnersWithoutActivityGetAZeroLine) {
  auto report = BuildReport({Issued(2, 10'000, 1)}, {1, 0}, Mode::kHub, kUsd, {1, 2, 3});
  ASSERT_TRUE(report.ok());
  ASSERT_EQ(report->lines.size(), 3u);
  EXPECT_EQ(report->lines[0].partner, 1);
  EXPECT_EQ(report->lines[0].net_minor, 0);
  EXPECT_EQ(report->lines[2].partner, 3);
  EXPECT_EQ(report->instructions.size(), 1u);  // zero nets need no payment
}

TEST(SettlementReport, LiabilityMismatchIsReportedNotHidden) {
  auto report = BuildReport({Issued(1, 10'000, 100)}, {99, 0}, Mode::kHub, kUsd);
  ASSERT_TRUE(report.ok());
  EXPECT_FALSE(report->reconciliation.liability_balances());
  EXPECT_FALSE(report->reconciliation.ok());
  EXPECT_TRUE(report->reconciliation.nets_balance());
}

TEST(SettlementReport, RejectsNegativeInputsAndMissingPartners) {
  auto negative = BuildReport({Issued(1, 10'000, -1)}, {}, Mode::kHub, kUsd);
  ASSERT_FALSE(negative.ok());
  EXPECT_EQ(negative.error().code, ErrorCode::kInvalidArgument);
  auto bad_rate = BuildReport({Issued(1, -1, 1)}, {}, Mode::kHub, kUsd);
  ASSERT_FALSE(bad_rate.ok());
  EXPECT_EQ(bad_rate.error().field, "rate_micros");
  auto no_partner = BuildReport({{Measure::kRedeemed, std::nullopt, 1, 8'000, 1}}, {},
                                Mode::kHub, kUsd);
  ASSERT_FALSE(no_partner.ok());
  EXPECT_EQ(no_partner.error().field, "partner");
  auto bad_unit = BuildReport({}, {}, Mode::kHub, 0);
  ASSERT_FALSE(bad_unit.ok());
}

TEST(SettlementReport, TotalsBeyondInt64AreRefusedNotWrapped) {
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  // Fees of kMax points at 2 micros: beyond int64 micros.
  auto report = BuildReport({Issued(1, 2, kMax)}, {}, Mode::kHub, kUsd);
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.error().reason, "SETTLEMENT_OVERFLOW");
  auto points = BuildReport({Issued(1, 0, kMax), Issued(1, 0, kMax)}, {}, Mode::kHub, kUsd);
  ASSERT_FALSE(points.ok());
  EXPECT_EQ(points.error().reason, "SETTLEMENT_OVERFLOW");
}

TEST(SettlementReport, SameInputSameReport) {
  const std::vector<Activity> activity = {Issued(3, 11'000, 7), Redeemed(1, 3, 7'500, 5),
                                          Issued(1, 10'000, 9), Redeemed(2, 1, 8'000, 3)};
  auto a = BuildReport(activity, {8, 0}, Mode::kMultilateral, kUsd);
  auto reversed = activity;
  std::reverse(reversed.begin(), reversed.end());
  auto b = BuildReport(reversed, {8, 0}, Mode::kMultilateral, kUsd);
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_EQ(a->instructions.size(), b->instructions.size());
  for (size_t i = 0; i < a->instructions.size(); ++i) {
    EXPECT_EQ(a->instructions[i].payer, b->instructions[i].payer);
    EXPECT_EQ(a->instructions[i].payee, b->instructions[i].payee);
    EXPECT_EQ(a->instructions[i].amount_minor, b->instructions[i].amount_minor);
  }
}

TEST(SettlementNetting, HubPaysThroughTheOperator) {
  const std::vector<std::pair<Party, int64_t>> nets = {
      {Party{1}, -500}, {Party{2}, 300}, {Party{3}, 0}, {Party{}, 200}};
  auto instructions = SettleNets(nets, Mode::kHub);
  ASSERT_EQ(instructions.size(), 2u);
  EXPECT_EQ(instructions[0].payer, Party{1});
  EXPECT_TRUE(instructions[0].payee.is_operator());
  EXPECT_EQ(instructions[0].amount_minor, 500);
  EXPECT_TRUE(instructions[1].payer.is_operator());
  EXPECT_EQ(instructions[1].payee, Party{2});
  EXPECT_EQ(instructions[1].amount_minor, 300);
  for (const auto& [party, residual] : Residuals(nets, instructions)) EXPECT_EQ(residual, 0);
}

TEST(SettlementNetting, MultilateralPaysPartnerToPartner) {
  // A owes 500, B is owed 300, the operator 200: two payments, not three.
  const std::vector<std::pair<Party, int64_t>> nets = {
      {Party{1}, -500}, {Party{2}, 300}, {Party{}, 200}};
  auto instructions = SettleNets(nets, Mode::kMultilateral);
  ASSERT_EQ(instructions.size(), 2u);
  EXPECT_EQ(instructions[0].payer, Party{1});
  EXPECT_EQ(instructions[0].payee, Party{2});
  EXPECT_EQ(instructions[0].amount_minor, 300);
  EXPECT_TRUE(instructions[1].payee.is_operator());
  EXPECT_EQ(instructions[1].amount_minor, 200);
}

TEST(SettlementNetting, NothingToSettle) {
  EXPECT_TRUE(SettleNets({}, Mode::kMultilateral).empty());
  EXPECT_TRUE(SettleNets({{Party{1}, 0}, {Party{}, 0}}, Mode::kMultilateral).empty());
  EXPECT_TRUE(SettleNets({{Party{1}, 0}, {Party{}, 0}}, Mode::kHub).empty());
}

TEST(SettlementNetting, PropertyRandomNetsAreSettledInAtMostNMinusOnePayments) {
  std::mt19937_64 random(42);
  for (int round = 0; round < 5'000; ++round) {
    const int parties = std::uniform_int_distribution<int>(1, 12)(random);
    std::uniform_int_distribution<int64_t> amount(-1'000'000'000, 1'000'000'000);
    std::vector<std::pair<Party, int64_t>> nets;
    int64_t sum = 0;
    for (int p = 1; p < parties; ++p) {
      // Some zeros and some equal amounts, to exercise ties.
      int64_t net = round % 3 == 0 ? amount(random) % 5 * 100 : amount(random);
      nets.emplace_back(Party{p}, net);
      sum += net;
    }
    nets.emplace_back(Party{}, -sum);
    int nonzero = 0;
    for (const auto& [party, net] : nets) nonzero += net != 0 ? 1 : 0;

    auto multilateral = SettleNets(nets, Mode::kMultilateral);
    EXPECT_LE(static_cast<int>(multilateral.size()), std::max(0, nonzero - 1));
    for (const auto& [party, residual] : Residuals(nets, multilateral)) {
      ASSERT_EQ(residual, 0) << "round " << round;
    }
    for (const auto& instruction : multilateral) {
      EXPECT_GT(instruction.amount_minor, 0);
      EXPECT_FALSE(instruction.payer == instruction.payee);
    }
    auto hub = SettleNets(nets, Mode::kHub);
    for (const auto& [party, residual] : Residuals(nets, hub)) ASSERT_EQ(residual, 0);
    for (const auto& instruction : hub) {
      EXPECT_TRUE(instruction.payer.is_operator() != instruction.payee.is_operator());
    }
  }
}

// Random batches: the reconciliation holds, every rounding is at most half a
// minor unit, nets are preserved by the instructions of both modes, and the
// flow matrix adds up to the redeemers' reimbursements.
TEST(SettlementReport, PropertyRandomBatchesReconcile) {
  std::mt19937_64 random(2026);
  for (int round = 0; round < 3'000; ++round) {
    const int partners = std::uniform_int_distribution<int>(1, 8)(random);
    const int rows = std::uniform_int_distribution<int>(0, 40)(random);
    std::uniform_int_distribution<PartnerId> partner(1, partners);
    std::uniform_int_distribution<int64_t> rate(0, 20'000);
    std::uniform_int_distribution<int64_t> points(0, round % 2 == 0 ? 1'000 : 1'000'000'000);
    std::uniform_int_distribution<int> measure(0, 5);
    const int64_t unit = std::array<int64_t, 3>{kUsd, kJpy, kKwd}[round % 3];

    std::vector<Activity> activity;
    int64_t member_change = 0;
    std::map<PartnerId, int64_t> reimbursements;
    for (int i = 0; i < rows; ++i) {
      Activity row;
      row.measure = static_cast<Measure>(measure(random));
      row.points = points(random);
      const bool by_partner = row.measure != Measure::kExpired && row.measure != Measure::kBonus;
      if (by_partner) row.partner = partner(random);
      if (row.measure == Measure::kRedeemed || row.measure == Measure::kRefunded ||
          row.measure == Measure::kExpired) {
        if (random() % 4 != 0) row.issuer = partner(random);
      }
      if (by_partner) row.rate_micros = rate(random);
      switch (row.measure) {
        case Measure::kIssued: case Measure::kBonus: case Measure::kRefunded:
          member_change += row.points;
          break;
        default:
          member_change -= row.points;
      }
      if (row.measure == Measure::kRedeemed) {
        reimbursements[*row.partner] += row.points * row.rate_micros;
      }
      if (row.measure == Measure::kRefunded) {
        reimbursements[*row.partner] -= row.points * row.rate_micros;
      }
      activity.push_back(row);
    }
    const int64_t before = static_cast<int64_t>(random() % 1'000'000);
    for (Mode mode : {Mode::kHub, Mode::kMultilateral}) {
      auto report = BuildReport(activity, {member_change, before}, mode, unit);
      ASSERT_TRUE(report.ok()) << report.error().message;
      const auto& rec = report->reconciliation;
      ASSERT_TRUE(rec.ok()) << "round " << round;
      EXPECT_EQ(rec.liability_after, before + member_change);

      std::vector<std::pair<Party, int64_t>> nets;
      int64_t sum_minor = 0;
      for (const auto& line : report->lines) {
        EXPECT_LE(std::abs(line.rounding_micros), unit / 2);
        EXPECT_EQ(static_cast<Int128>(line.net_minor) * unit - line.net_micros,
                  line.rounding_micros);
        EXPECT_EQ(line.net_micros, line.reimbursements_micros - line.issuance_fees_micros);
        EXPECT_EQ(line.reimbursements_micros, reimbursements[line.partner]);
        nets.emplace_back(Party{line.partner}, line.net_minor);
        sum_minor += line.net_minor;
      }
      nets.emplace_back(Party{}, report->operator_line.net_minor);
      EXPECT_EQ(sum_minor + report->operator_line.net_minor, 0);

      std::map<PartnerId, int64_t> flow_value;
      for (const auto& flow : report->flows) flow_value[flow.redeemer] += flow.value_micros;
      for (const auto& line : report->lines) {
        EXPECT_EQ(flow_value[line.partner], line.reimbursements_micros);
      }

      int nonzero = 0;
      for (const auto& [party, net] : nets) nonzero += net != 0 ? 1 : 0;
      if (mode == Mode::kMultilateral) {
        EXPECT_LE(static_cast<int>(report->instructions.size()), std::max(0, nonzero - 1));
      }
      for (const auto& [party, residual] : Residuals(nets, report->instructions)) {
        ASSERT_EQ(residual, 0) << "round " << round;
      }
    }
  }
}

TEST(SettlementNames, RoundTrip) {
  for (Mode mode : {Mode::kHub, Mode::kMultilateral}) EXPECT_EQ(ParseMode(ModeName(mode)), mode);
  EXPECT_FALSE(ParseMode("hub").has_value());
  for (int m = 0; m <= 5; ++m) {
    const auto measure = static_cast<Measure>(m);
    EXPECT_EQ(ParseMeasure(MeasureName(measure)), measure);
  }
  EXPECT_FALSE(ParseMeasure("").has_value());
}

}  // namespace
}  // namespace coalition::domain::settlement
