#include "domain/settlement.h"

#include <algorithm>
#include <limits>
#include <map>

namespace coalition::domain::settlement {
namespace {

constexpr Int128 kInt64Max = std::numeric_limits<int64_t>::max();
constexpr Int128 kInt64Min = std::numeric_limits<int64_t>::min();

bool FitsInt64(Int128 value) { return value >= kInt64Min && value <= kInt64Max; }

Error Overflow(std::string_view what) {
  return Error::FailedPrecondition("SETTLEMENT_OVERFLOW",
                                   std::string(what) + " does not fit in 64 bits");
}

struct LineSums {
  Int128 issued = 0, clawed_back = 0, redeemed = 0, refunded = 0, expired = 0;
  Int128 fees_micros = 0, reimbursements_micros = 0;
};

struct FlowSums {
  Int128 points = 0;
  Int128 value_micros = 0;
};

// Parties in a fixed order (operator first, then partners by id), so equal
// inputs always give the same instructions.
bool PartyBefore(const Party& a, const Party& b) {
  if (a.is_operator() != b.is_operator()) return a.is_operator();
  return a.partner.value_or(0) < b.partner.value_or(0);
}

}  // namespace

int64_t RoundHalfEvenToMinor(Int128 micros, int64_t minor_unit_micros) {
  const Int128 unit = minor_unit_micros;
  Int128 quotient = micros / unit;  // truncates toward zero
  Int128 remainder = micros % unit;  // same sign as micros
  if (remainder < 0) {               // floor division
    remainder += unit;
    quotient -= 1;
  }
  // micros = quotient * unit + remainder, 0 <= remainder < unit.
  const Int128 twice = remainder * 2;
  if (twice > unit || (twice == unit && quotient % 2 != 0)) quotient += 1;
  return static_cast<int64_t>(quotient);
}

std::vector<Instruction> SettleNets(const std::vector<std::pair<Party, int64_t>>& nets,
                                    Mode mode) {
  std::vector<Instruction> instructions;
  if (mode == Mode::kHub) {
    std::vector<std::pair<Party, int64_t>> sorted = nets;
    std::sort(sorted.begin(), sorted.end(),
              [](const auto& a, const auto& b) { return PartyBefore(a.first, b.first); });
    for (const auto& [party, net] : sorted) {
      if (party.is_operator() || net == 0) continue;
      if (net > 0) {
        instructions.push_back({Party{}, party, net});
      } else {
        instructions.push_back({party, Party{}, -net});
      }
    }
    return instructions;
  }
  // Multilateral: match the largest debt with the largest claim. Every
  // instruction clears at least one party and the last clears two, hence at
  // most n − 1 instructions for n parties with a non-zero net.
  struct Position {
    Party party;
    Int128 amount;  // > 0: owed to (creditor) or owed by (debtor)
  };
  std::vector<Position> debtors;
  std::vector<Position> creditors;
  for (const auto& [party, net] : nets) {
    if (net > 0) creditors.push_back({party, net});
    if (net < 0) debtors.push_back({party, -static_cast<Int128>(net)});
  }
  const auto larger_first = [](const Position& a, const Position& b) {
    if (a.amount != b.amount) return a.amount > b.amount;
    return PartyBefore(a.party, b.party);
  };
  std::sort(debtors.begin(), debtors.end(), larger_first);
  std::sort(creditors.begin(), creditors.end(), larger_first);
  size_t d = 0;
  size_t c = 0;
  while (d < debtors.size() && c < creditors.size()) {
    const Int128 amount = std::min(debtors[d].amount, creditors[c].amount);
    instructions.push_back({debtors[d].party, creditors[c].party, static_cast<int64_t>(amount)});
    debtors[d].amount -= amount;
    creditors[c].amount -= amount;
    if (debtors[d].amount == 0) ++d;
    if (creditors[c].amount == 0) ++c;
  }
  return instructions;
}

Result<Report> BuildReport(const std::vector<Activity>& activity, const LedgerSide& ledger,
                           Mode mode, int64_t minor_unit_micros,
                           const std::vector<PartnerId>& partners) {
  if (minor_unit_micros <= 0) {
    return Error::InvalidArgument("minor_unit_micros", "must be positive");
  }
  std::map<PartnerId, LineSums> lines;
  for (PartnerId partner : partners) lines[partner];
  // Operator-funded points are keyed by issuer 0 (partner ids are positive).
  std::map<std::pair<PartnerId, PartnerId>, FlowSums> flows;
  Int128 bonus = 0;
  Int128 breakage = 0;
  Int128 issued = 0, clawed_back = 0, redeemed = 0, refunded = 0;

  for (const Activity& row : activity) {
    if (row.points < 0) return Error::InvalidArgument("points", "must not be negative");
    if (row.rate_micros < 0) return Error::InvalidArgument("rate_micros", "must not be negative");
    const Int128 points = row.points;
    const Int128 value = points * row.rate_micros;
    const bool needs_partner = row.measure != Measure::kExpired && row.measure != Measure::kBonus;
    if (needs_partner && !row.partner) {
      return Error::InvalidArgument("partner", "issuance and redemption need a partner");
    }
    switch (row.measure) {
      case Measure::kIssued: {
        auto& line = lines[*row.partner];
        line.issued += points;
        line.fees_micros += value;
        issued += points;
        break;
      }
      case Measure::kClawedBack: {
        auto& line = lines[*row.partner];
        line.clawed_back += points;
        line.fees_micros -= value;
        clawed_back += points;
        break;
      }
      case Measure::kRedeemed: {
        auto& line = lines[*row.partner];
        line.redeemed += points;
        line.reimbursements_micros += value;
        auto& flow = flows[{row.issuer.value_or(0), *row.partner}];
        flow.points += points;
        flow.value_micros += value;
        redeemed += points;
        break;
      }
      case Measure::kRefunded: {
        auto& line = lines[*row.partner];
        line.refunded += points;
        line.reimbursements_micros -= value;
        auto& flow = flows[{row.issuer.value_or(0), *row.partner}];
        flow.points -= points;
        flow.value_micros -= value;
        refunded += points;
        break;
      }
      case Measure::kExpired:
        if (row.issuer) lines[*row.issuer].expired += points;
        breakage += points;
        break;
      case Measure::kBonus:
        bonus += points;
        break;
    }
  }

  Report report;
  Int128 sum_net_micros = 0;
  Int128 sum_net_minor = 0;
  std::vector<std::pair<Party, int64_t>> nets;
  for (const auto& [partner, sums] : lines) {
    PartnerLine line;
    line.partner = partner;
    const Int128 net = sums.reimbursements_micros - sums.fees_micros;
    for (Int128 value : {sums.issued, sums.clawed_back, sums.redeemed, sums.refunded,
                         sums.expired, sums.fees_micros, sums.reimbursements_micros, net}) {
      if (!FitsInt64(value)) return Overflow("a statement line");
    }
    line.points_issued = static_cast<int64_t>(sums.issued);
    line.points_clawed_back = static_cast<int64_t>(sums.clawed_back);
    line.points_redeemed = static_cast<int64_t>(sums.redeemed);
    line.points_refunded = static_cast<int64_t>(sums.refunded);
    line.points_expired = static_cast<int64_t>(sums.expired);
    line.issuance_fees_micros = static_cast<int64_t>(sums.fees_micros);
    line.reimbursements_micros = static_cast<int64_t>(sums.reimbursements_micros);
    line.net_micros = static_cast<int64_t>(net);
    line.net_minor = RoundHalfEvenToMinor(net, minor_unit_micros);
    line.rounding_micros =
        static_cast<int64_t>(static_cast<Int128>(line.net_minor) * minor_unit_micros - net);
    sum_net_micros += net;
    sum_net_minor += line.net_minor;
    nets.emplace_back(Party{partner}, line.net_minor);
    report.lines.push_back(line);
  }

  OperatorLine& op = report.operator_line;
  const Int128 margin = -sum_net_micros;
  const Int128 operator_net_minor = -sum_net_minor;
  const Int128 operator_rounding = operator_net_minor * minor_unit_micros - margin;
  for (Int128 value : {bonus, breakage, margin, operator_net_minor, operator_rounding}) {
    if (!FitsInt64(value)) return Overflow("the operator line");
  }
  op.points_bonus = static_cast<int64_t>(bonus);
  op.points_breakage = static_cast<int64_t>(breakage);
  op.margin_micros = static_cast<int64_t>(margin);
  op.net_minor = static_cast<int64_t>(operator_net_minor);
  op.rounding_micros = static_cast<int64_t>(operator_rounding);
  nets.emplace_back(Party{}, op.net_minor);

  for (const auto& [key, sums] : flows) {
    if (sums.points == 0 && sums.value_micros == 0) continue;
    if (!FitsInt64(sums.points) || !FitsInt64(sums.value_micros)) return Overflow("a flow");
    Flow flow;
    if (key.first != 0) flow.issuer = key.first;
    flow.redeemer = key.second;
    flow.points = static_cast<int64_t>(sums.points);
    flow.value_micros = static_cast<int64_t>(sums.value_micros);
    report.flows.push_back(flow);
  }

  report.instructions = SettleNets(nets, mode);

  Reconciliation& rec = report.reconciliation;
  const Int128 change_by_kind = issued + bonus - redeemed - breakage - clawed_back + refunded;
  const Int128 after = static_cast<Int128>(ledger.liability_before) + change_by_kind;
  for (Int128 value : {issued, redeemed, clawed_back, refunded, change_by_kind, after}) {
    if (!FitsInt64(value)) return Overflow("a reconciliation total");
  }
  rec.nets_sum_minor = static_cast<int64_t>(sum_net_minor + operator_net_minor);
  rec.nets_sum_micros = static_cast<int64_t>(sum_net_micros + margin);
  rec.points_issued = static_cast<int64_t>(issued);
  rec.points_bonus = op.points_bonus;
  rec.points_redeemed = static_cast<int64_t>(redeemed);
  rec.points_expired = op.points_breakage;
  rec.points_clawed_back = static_cast<int64_t>(clawed_back);
  rec.points_refunded = static_cast<int64_t>(refunded);
  rec.liability_change_by_kind = static_cast<int64_t>(change_by_kind);
  rec.liability_change_by_accounts = ledger.member_liability_change;
  rec.liability_before = ledger.liability_before;
  rec.liability_after = static_cast<int64_t>(after);
  return report;
}

std::string_view ModeName(Mode mode) {
  return mode == Mode::kHub ? "HUB" : "MULTILATERAL";
}

std::optional<Mode> ParseMode(std::string_view name) {
  if (name == "HUB") return Mode::kHub;
  if (name == "MULTILATERAL") return Mode::kMultilateral;
  return std::nullopt;
}

namespace {
constexpr std::pair<Measure, std::string_view> kMeasureNames[] = {
    {Measure::kIssued, "ISSUED"},     {Measure::kClawedBack, "CLAWED_BACK"},
    {Measure::kRedeemed, "REDEEMED"}, {Measure::kRefunded, "REFUNDED"},
    {Measure::kExpired, "EXPIRED"},   {Measure::kBonus, "BONUS"},
};
}  // namespace

std::string_view MeasureName(Measure measure) {
  for (const auto& [value, name] : kMeasureNames) {
    if (value == measure) return name;
  }
  return "ISSUED";
}

std::optional<Measure> ParseMeasure(std::string_view name) {
  for (const auto& [value, text] : kMeasureNames) {
    if (text == name) return value;
  }
  return std::nullopt;
}

}  // namespace coalition::domain::settlement
