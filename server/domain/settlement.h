#pragma once

// Settlement maths (SPEC §6): from the points a batch of transfers moved, at
// the rates in force when each moved, to statement lines, the flow matrix,
// payment instructions and the reconciliation. Pure and exact: money is
// kept in micro-units (10^-6 of the major unit) with 128-bit intermediates
// and rounded once per statement line, half-even, to minor units.
//
// Sign convention: a party's net is what the programme owes it. Net > 0:
// the partner is paid (its reimbursements exceed its issuance fees); net < 0:
// the partner pays. The operator's net is its margin, the negative of the sum
// of the partners' nets, so all nets of a batch sum to zero.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "domain/error.h"
#include "domain/model.h"

namespace coalition::domain::settlement {

__extension__ using Int128 = __int128;

enum class Mode { kHub, kMultilateral };

// What a group of points did in the batch.
enum class Measure {
  kIssued,      // ACCRUAL: `partner` issued them; rate = its issuance price
  kClawedBack,  // CLAWBACK: `partner` took issued points back; rate = the price charged
  kRedeemed,    // REDEMPTION, HOLD_CAPTURE at `partner`; rate = its redemption rate
  kRefunded,    // REFUND at `partner`; rate = the rate it was reimbursed at
  kExpired,     // EXPIRY: breakage; `issuer` says whose points
  kBonus,       // BONUS: operator-funded credits (`partner` where granted, if any)
};

// Points of one measure, partner, issuer and rate, summed over a batch (one
// row of the storage aggregation).
struct Activity {
  Measure measure = Measure::kIssued;
  // The partner the transfer was made by (nullopt for operator transfers).
  std::optional<PartnerId> partner;
  // For redeemed, refunded and expired points: who issued them, from lot
  // provenance; nullopt = operator-funded.
  std::optional<PartnerId> issuer;
  // Micro-units of the major currency per point; 0 where no money moves.
  int64_t rate_micros = 0;
  int64_t points = 0;
};

// The member side of the batch as the double-entry ledger sees it.
struct LedgerSide {
  // Σ credits − Σ debits of member accounts over the batch's transfers.
  int64_t member_liability_change = 0;
  // Outstanding member liability (points) before this batch.
  int64_t liability_before = 0;
};

// One partner's statement line. Money: exact micros for the parts, the net
// rounded once (half-even) to minor units; rounding_micros = net_minor in
// micros − net_micros.
struct PartnerLine {
  PartnerId partner = 0;
  int64_t points_issued = 0;
  int64_t points_clawed_back = 0;
  int64_t points_redeemed = 0;
  int64_t points_refunded = 0;
  // Of its issued points, how many expired in this batch (its breakage).
  int64_t points_expired = 0;
  int64_t issuance_fees_micros = 0;   // owed by the partner: issued − clawed back, priced
  int64_t reimbursements_micros = 0;  // due to the partner: redeemed − refunded, priced
  int64_t net_micros = 0;             // reimbursements − fees
  int64_t net_minor = 0;
  int64_t rounding_micros = 0;
};

struct OperatorLine {
  int64_t points_bonus = 0;     // operator-funded points credited
  int64_t points_breakage = 0;  // all points expired in the batch
  // Issuance fees − reimbursements, exact: the operator's margin.
  int64_t margin_micros = 0;
  // −Σ partner net_minor: what the operator keeps, in minor units.
  int64_t net_minor = 0;
  int64_t rounding_micros = 0;
};

// Points issued by `issuer` (nullopt: operator-funded) and redeemed at
// `redeemer`, net of refunds, and their value at the redeemer's rates.
struct Flow {
  std::optional<PartnerId> issuer;
  PartnerId redeemer = 0;
  int64_t points = 0;
  int64_t value_micros = 0;
};

// A payer or payee: a partner, or the operator when `partner` is nullopt.
struct Party {
  std::optional<PartnerId> partner;
  bool is_operator() const { return !partner.has_value(); }
  friend bool operator==(const Party&, const Party&) = default;
};

struct Instruction {
  Party payer;
  Party payee;
  int64_t amount_minor = 0;  // > 0
};

struct Reconciliation {
  // Σ partner net_minor + operator net_minor, and the same check in exact
  // micros (Σ partner net_micros + margin_micros); both must be 0.
  int64_t nets_sum_minor = 0;
  int64_t nets_sum_micros = 0;
  // Points by kind over the whole batch.
  int64_t points_issued = 0;
  int64_t points_bonus = 0;
  int64_t points_redeemed = 0;
  int64_t points_expired = 0;
  int64_t points_clawed_back = 0;
  int64_t points_refunded = 0;
  // issued + bonus − redeemed − expired − clawed back + refunded.
  int64_t liability_change_by_kind = 0;
  // The same from the ledger's member accounts (LedgerSide).
  int64_t liability_change_by_accounts = 0;
  int64_t liability_before = 0;
  int64_t liability_after = 0;
  bool nets_balance() const { return nets_sum_minor == 0 && nets_sum_micros == 0; }
  bool liability_balances() const {
    return liability_change_by_kind == liability_change_by_accounts;
  }
  bool ok() const { return nets_balance() && liability_balances(); }
};

struct Report {
  std::vector<PartnerLine> lines;  // by partner id
  OperatorLine operator_line;
  std::vector<Flow> flows;         // by issuer (operator first), then redeemer
  std::vector<Instruction> instructions;
  Reconciliation reconciliation;
};

// A partner's prices from `effective_from` (nullopt: from the beginning,
// the partner's initial rates) until the next period's start.
struct EconomicsPeriod {
  PartnerId partner = 0;
  std::optional<Timestamp> effective_from;
  int64_t issuance_price_micros = 0;
  int64_t redemption_rate_micros = 0;
  Timestamp created_at{};
};

struct RunCommand {
  std::string request_id;
  // nullopt: now, by the database clock (the clock that stamps transfers).
  std::optional<Timestamp> cutoff;
  Mode mode = Mode::kHub;
  std::string currency_code;
};

// A closed batch as stored: what it settled, never its derived figures.
struct Batch {
  int64_t id = 0;
  Timestamp cutoff{};
  Mode mode = Mode::kHub;
  std::string request_id;
  std::string currency_code;
  Timestamp created_at{};
  int64_t transfer_count = 0;
  LedgerSide ledger;
};

struct BatchContents {
  Batch batch;
  std::vector<Activity> activity;
  // Every partner that existed when the batch was cut: id and code.
  std::vector<std::pair<PartnerId, std::string>> partners;
};

// Rounds micros to minor units, half to even. `minor_unit_micros` > 0.
int64_t RoundHalfEvenToMinor(Int128 micros, int64_t minor_unit_micros);

// Builds the report of a batch. `partners` lists every partner that gets a
// statement line (also those with no activity: a line of zeros); partners
// seen in `activity` are added. INVALID_ARGUMENT for negative points or
// rates; FAILED_PRECONDITION/SETTLEMENT_OVERFLOW if a total leaves int64.
Result<Report> BuildReport(const std::vector<Activity>& activity, const LedgerSide& ledger,
                           Mode mode, int64_t minor_unit_micros,
                           const std::vector<PartnerId>& partners = {});

// Payment instructions settling `nets` (minor units, summing to zero).
// Hub: each partner with a non-zero net settles with the operator.
// Multilateral: debtors pay creditors directly, largest first, so at most
// (parties with a non-zero net − 1) instructions settle every position.
std::vector<Instruction> SettleNets(const std::vector<std::pair<Party, int64_t>>& nets,
                                    Mode mode);

std::string_view ModeName(Mode mode);
std::optional<Mode> ParseMode(std::string_view name);
std::string_view MeasureName(Measure measure);
std::optional<Measure> ParseMeasure(std::string_view name);

}  // namespace coalition::domain::settlement
