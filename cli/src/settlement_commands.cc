#include "coalition/cli/settlement_commands.h"

#include <google/protobuf/util/time_util.h>
#include <grpcpp/client_context.h>

#include <chrono>
#include <ostream>
#include <set>
#include <sstream>
#include <vector>

#include "coalition/cli/exit_codes.h"
#include "coalition/cli/output.h"
#include "coalition/sdk/errors.h"
#include "coalition/sdk/money.h"

namespace coalition::cli {

namespace v1 = ::coalition::v1;

int CurrencyDigits(std::string_view code) {
  // ISO 4217 exponents other than 2 (as the server's domain/currency.h).
  constexpr std::string_view kZero[] = {"BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW",
                                        "PYG", "RWF", "UGX", "VND", "VUV", "XAF", "XOF", "XPF"};
  constexpr std::string_view kThree[] = {"BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"};
  for (auto zero : kZero) {
    if (code == zero) return 0;
  }
  for (auto three : kThree) {
    if (code == three) return 3;
  }
  return 2;
}

std::string FormatExactMicros(std::int64_t micros, std::string_view currency_code) {
  std::string text = sdk::FormatMinorUnits(micros, 6);
  const std::size_t dot = text.find('.');
  const int digits = CurrencyDigits(currency_code);
  const std::size_t min_length = digits == 0 ? dot : dot + 1 + static_cast<std::size_t>(digits);
  while (text.size() > min_length && text.back() == '0') text.pop_back();
  if (text.back() == '.') text.pop_back();
  return text;
}

std::string FormatAmount(const v1::Money& money) {
  return sdk::FormatMinorUnits(money.amount_minor(), CurrencyDigits(money.currency_code()));
}

namespace {

std::string ModeName(v1::SettlementMode mode) {
  switch (mode) {
    case v1::SETTLEMENT_MODE_HUB: return "hub";
    case v1::SETTLEMENT_MODE_MULTILATERAL: return "multilateral";
    default: return "unspecified";
  }
}

std::string CsvField(const std::string& value) {
  if (value.find_first_of(",\"\r\n") == std::string::npos) return value;
  std::string quoted = "\"";
  for (char c : value) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  return quoted + "\"";
}

void CsvRow(std::ostream& out, const std::vector<std::string>& cells) {
  for (std::size_t i = 0; i < cells.size(); ++i) {
    if (i > 0) out << ',';
    out << CsvField(cells[i]);
  }
  out << "\r\n";
}

std::string Party(const std::string& code, const std::string& id) {
  return id.empty() ? code : code + " (" + id + ")";
}

Table LinesTable(const v1::SettlementBatch& batch) {
  const std::string& currency = batch.summary().currency_code();
  Table table({"PARTNER", "ISSUED", "CLAWED BACK", "REDEEMED", "REFUNDED", "EXPIRED",
               "ISSUANCE FEES", "REIMBURSEMENTS", "NET (EXACT)", "NET", "ROUNDING"});
  for (const auto& line : batch.lines()) {
    table.AddRow({line.partner_code(), std::to_string(line.points_issued()),
                  std::to_string(line.points_clawed_back()), std::to_string(line.points_redeemed()),
                  std::to_string(line.points_refunded()), std::to_string(line.points_expired()),
                  FormatExactMicros(line.issuance_fees_micros(), currency),
                  FormatExactMicros(line.reimbursements_micros(), currency),
                  FormatExactMicros(line.net_micros(), currency), FormatAmount(line.net_amount()),
                  FormatExactMicros(line.rounding_micros(), currency)});
  }
  const auto& op = batch.operator_line();
  table.AddRow({"operator", "bonus " + std::to_string(op.points_bonus()), "", "", "",
                std::to_string(op.points_breakage()), "", "",
                FormatExactMicros(op.margin_micros(), currency), FormatAmount(op.net_amount()),
                FormatExactMicros(op.rounding_micros(), currency)});
  return table;
}

Table FlowsTable(const google::protobuf::RepeatedPtrField<v1::SettlementFlow>& flows,
                 const std::string& currency) {
  Table table({"ISSUER", "REDEEMER", "POINTS", "VALUE"});
  for (const auto& flow : flows) {
    table.AddRow({flow.issuer_code(), flow.redeemer_code(), std::to_string(flow.points()),
                  FormatExactMicros(flow.value_micros(), currency)});
  }
  return table;
}

Table InstructionsTable(
    const google::protobuf::RepeatedPtrField<v1::PaymentInstruction>& instructions) {
  Table table({"PAYER", "PAYEE", "AMOUNT", "CURRENCY"});
  for (const auto& instruction : instructions) {
    table.AddRow({instruction.payer_code(), instruction.payee_code(),
                  FormatAmount(instruction.amount()), instruction.amount().currency_code()});
  }
  return table;
}

Fields SummaryFields(const v1::SettlementBatchSummary& summary) {
  return {{"batch_id", summary.batch_id()},
          {"cutoff", FormatTimestamp(summary.cutoff())},
          {"mode", ModeName(summary.mode())},
          {"request_id", summary.request_id()},
          {"currency", summary.currency_code()},
          {"transfers", std::to_string(summary.transfer_count())},
          {"status", summary.status()},
          {"created_at", FormatTimestamp(summary.created_at())}};
}

void PrintReconciliation(std::ostream& out, const v1::Reconciliation& rec) {
  out << "reconciliation: " << (rec.ok() ? "OK" : "FAILED") << '\n';
  out << "  nets sum to zero:   " << (rec.nets_balance() ? "yes" : "NO") << " ("
      << rec.nets_sum_minor() << " minor, " << rec.nets_sum_micros() << " micros)\n";
  out << "  points: issued " << rec.points_issued() << " + bonus " << rec.points_bonus()
      << " - redeemed " << rec.points_redeemed() << " - expired " << rec.points_expired()
      << " - clawed back " << rec.points_clawed_back() << " + refunded "
      << rec.points_refunded() << " = " << rec.liability_change_by_kind() << '\n';
  out << "  member accounts changed by " << rec.liability_change_by_accounts() << ": "
      << (rec.liability_balances() ? "matches" : "DOES NOT MATCH") << '\n';
  out << "  outstanding liability: " << rec.liability_before() << " -> " << rec.liability_after()
      << " points\n";
}

std::optional<google::protobuf::Timestamp> ParseTime(const std::string& text) {
  google::protobuf::Timestamp timestamp;
  if (!google::protobuf::util::TimeUtil::FromString(text, &timestamp)) return std::nullopt;
  return timestamp;
}

template <typename Request>
void SetPartnerOf(Request& request, const PartnerRef& partner) {
  if (partner.kind == PartnerRef::Kind::kId) {
    request.set_partner_id(partner.value);
  } else {
    request.set_partner_code(partner.value);
  }
}

}  // namespace

std::string BatchCsv(const v1::SettlementBatch& batch, ExportTable table) {
  std::ostringstream out;
  const auto& summary = batch.summary();
  const std::string& currency = summary.currency_code();
  const std::string cutoff = FormatTimestamp(summary.cutoff());
  switch (table) {
    case ExportTable::kLines: {
      CsvRow(out, {"batch_id", "cutoff", "party", "partner_id", "partner_code", "points_issued",
                   "points_clawed_back", "points_redeemed", "points_refunded", "points_expired",
                   "points_bonus", "issuance_fees", "reimbursements", "net_exact", "net_amount",
                   "rounding", "currency_code"});
      for (const auto& line : batch.lines()) {
        CsvRow(out, {summary.batch_id(), cutoff, "partner", line.partner_id(),
                     line.partner_code(), std::to_string(line.points_issued()),
                     std::to_string(line.points_clawed_back()),
                     std::to_string(line.points_redeemed()), std::to_string(line.points_refunded()),
                     std::to_string(line.points_expired()), "0",
                     FormatExactMicros(line.issuance_fees_micros(), currency),
                     FormatExactMicros(line.reimbursements_micros(), currency),
                     FormatExactMicros(line.net_micros(), currency),
                     FormatAmount(line.net_amount()),
                     FormatExactMicros(line.rounding_micros(), currency), currency});
      }
      const auto& op = batch.operator_line();
      CsvRow(out, {summary.batch_id(), cutoff, "operator", "", "operator", "0", "0", "0", "0",
                   std::to_string(op.points_breakage()), std::to_string(op.points_bonus()), "", "",
                   FormatExactMicros(op.margin_micros(), currency), FormatAmount(op.net_amount()),
                   FormatExactMicros(op.rounding_micros(), currency), currency});
      break;
    }
    case ExportTable::kFlows:
      CsvRow(out, {"batch_id", "cutoff", "issuer_partner_id", "issuer_code",
                   "redeemer_partner_id", "redeemer_code", "points", "value", "currency_code"});
      for (const auto& flow : batch.flows()) {
        CsvRow(out, {summary.batch_id(), cutoff, flow.issuer_partner_id(), flow.issuer_code(),
                     flow.redeemer_partner_id(), flow.redeemer_code(),
                     std::to_string(flow.points()), FormatExactMicros(flow.value_micros(), currency),
                     currency});
      }
      break;
    case ExportTable::kInstructions:
      CsvRow(out, {"batch_id", "cutoff", "payer_partner_id", "payer_code", "payee_partner_id",
                   "payee_code", "amount", "currency_code"});
      for (const auto& instruction : batch.instructions()) {
        CsvRow(out, {summary.batch_id(), cutoff, instruction.payer_partner_id(),
                     instruction.payer_code(), instruction.payee_partner_id(),
                     instruction.payee_code(), FormatAmount(instruction.amount()),
                     instruction.amount().currency_code()});
      }
      break;
  }
  return out.str();
}

SettlementCommands::SettlementCommands(v1::SettlementService::StubInterface& settlement,
                                       v1::AdminService::StubInterface& admin,
                                       sdk::ChannelOptions channel, OutputFormat output,
                                       std::ostream& out, std::ostream& err)
    : settlement_(settlement),
      admin_(admin),
      channel_(std::move(channel)),
      output_(output),
      out_(out),
      err_(err) {}

int SettlementCommands::Fail(const grpc::Status& status) {
  err_ << "error: " << sdk::FormatError(status) << '\n';
  return ExitCodeFor(status.error_code());
}

int SettlementCommands::Usage(const std::string& message) {
  err_ << "error: " << message << "\nRun with --help for more information.\n";
  return kExitUsage;
}

void SettlementCommands::PrintBatch(const v1::SettlementBatch& batch) {
  PrintFields(out_, SummaryFields(batch.summary()));
  out_ << "\nstatement lines (" << batch.summary().currency_code()
       << "; net > 0: the partner is paid, net < 0: the partner pays)\n";
  LinesTable(batch).Print(out_);
  out_ << "\nflows (points issued by ISSUER, redeemed at REDEEMER)\n";
  if (batch.flows().empty()) {
    out_ << "none\n";
  } else {
    FlowsTable(batch.flows(), batch.summary().currency_code()).Print(out_);
  }
  out_ << "\npayment instructions (" << ModeName(batch.summary().mode()) << ")\n";
  if (batch.instructions().empty()) {
    out_ << "none\n";
  } else {
    InstructionsTable(batch.instructions()).Print(out_);
  }
  out_ << '\n';
  PrintReconciliation(out_, batch.reconciliation());
}

int SettlementCommands::Run(const SettlementRunArgs& args) {
  v1::RunSettlementRequest request;
  if (!args.cutoff.empty()) {
    auto cutoff = ParseTime(args.cutoff);
    if (!cutoff) return Usage("--cutoff: not an RFC 3339 time such as 2026-11-01T00:00:00Z");
    *request.mutable_cutoff() = *cutoff;
  }
  if (args.mode == "hub") {
    request.set_mode(v1::SETTLEMENT_MODE_HUB);
  } else if (args.mode == "multilateral") {
    request.set_mode(v1::SETTLEMENT_MODE_MULTILATERAL);
  } else {
    return Usage("--mode: expected hub or multilateral");
  }
  std::string request_id = args.request_id;
  if (request_id.empty()) {
    // A retried `run --cutoff T` is then the same request.
    request_id = args.cutoff.empty()
                     ? "ctl-" + std::to_string(std::chrono::duration_cast<std::chrono::microseconds>(
                                                   std::chrono::system_clock::now().time_since_epoch())
                                                   .count())
                     : "ctl-" + args.cutoff + "-" + args.mode;
    if (request_id.size() > 64) request_id.resize(64);
  }
  request.set_request_id(request_id);

  grpc::ClientContext context;
  sdk::PrepareContext(context, channel_);
  v1::RunSettlementResponse response;
  if (auto status = settlement_.RunSettlement(&context, request, &response); !status.ok()) {
    return Fail(status);
  }
  if (output_ == OutputFormat::kJson) {
    out_ << ToJson(response);
  } else {
    out_ << (response.created() ? "created" : "existing") << " batch "
         << response.batch().summary().batch_id() << "\n\n";
    PrintBatch(response.batch());
  }
  return response.batch().reconciliation().ok() ? kExitOk : kExitInvariantViolated;
}

int SettlementCommands::List(int page_size, const std::string& page_token, bool all) {
  v1::ListSettlementBatchesResponse combined;
  std::string token = page_token;
  std::set<std::string> seen;
  while (true) {
    v1::ListSettlementBatchesRequest request;
    request.set_page_size(page_size);
    request.set_page_token(token);
    grpc::ClientContext context;
    sdk::PrepareContext(context, channel_);
    v1::ListSettlementBatchesResponse page;
    if (auto status = settlement_.ListSettlementBatches(&context, request, &page); !status.ok()) {
      return Fail(status);
    }
    for (auto& batch : *page.mutable_batches()) *combined.add_batches() = std::move(batch);
    combined.set_next_page_token(page.next_page_token());
    token = page.next_page_token();
    if (!all || token.empty()) break;
    if (!seen.insert(token).second) {
      err_ << "error: the server returned a page token twice; stopping\n";
      return kExitFailure;
    }
  }
  if (output_ == OutputFormat::kJson) {
    out_ << ToJson(combined);
    return kExitOk;
  }
  if (combined.batches().empty()) {
    out_ << "no settlement batches\n";
  } else {
    Table table({"BATCH", "CUTOFF", "MODE", "TRANSFERS", "CURRENCY", "REQUEST ID"});
    for (const auto& batch : combined.batches()) {
      table.AddRow({batch.batch_id(), FormatTimestamp(batch.cutoff()), ModeName(batch.mode()),
                    std::to_string(batch.transfer_count()), batch.currency_code(),
                    batch.request_id()});
    }
    table.Print(out_);
  }
  if (!combined.next_page_token().empty()) {
    out_ << "more: rerun with --page-token " << combined.next_page_token() << ", or use --all\n";
  }
  return kExitOk;
}

grpc::Status SettlementCommands::FetchBatch(const std::string& batch_id,
                                            v1::SettlementBatch* batch) {
  v1::GetSettlementBatchRequest request;
  request.set_batch_id(batch_id);
  grpc::ClientContext context;
  sdk::PrepareContext(context, channel_);
  return settlement_.GetSettlementBatch(&context, request, batch);
}

int SettlementCommands::Show(const std::string& batch_id) {
  v1::SettlementBatch batch;
  if (auto status = FetchBatch(batch_id, &batch); !status.ok()) return Fail(status);
  if (output_ == OutputFormat::kJson) {
    out_ << ToJson(batch);
  } else {
    PrintBatch(batch);
  }
  return batch.reconciliation().ok() ? kExitOk : kExitInvariantViolated;
}

int SettlementCommands::Statement(const std::string& batch_id, const PartnerRef& partner) {
  v1::GetStatementRequest request;
  request.set_batch_id(batch_id);
  SetPartnerOf(request, partner);
  grpc::ClientContext context;
  sdk::PrepareContext(context, channel_);
  v1::PartnerStatement statement;
  if (auto status = settlement_.GetStatement(&context, request, &statement); !status.ok()) {
    return Fail(status);
  }
  if (output_ == OutputFormat::kJson) {
    out_ << ToJson(statement);
    return kExitOk;
  }
  const auto& line = statement.line();
  const std::string& currency = statement.batch().currency_code();
  Fields fields = SummaryFields(statement.batch());
  fields.emplace_back("partner", Party(line.partner_code(), line.partner_id()));
  fields.emplace_back("points_issued", std::to_string(line.points_issued()));
  fields.emplace_back("points_clawed_back", std::to_string(line.points_clawed_back()));
  fields.emplace_back("points_redeemed", std::to_string(line.points_redeemed()));
  fields.emplace_back("points_refunded", std::to_string(line.points_refunded()));
  fields.emplace_back("points_expired", std::to_string(line.points_expired()));
  fields.emplace_back("issuance_fees", FormatExactMicros(line.issuance_fees_micros(), currency));
  fields.emplace_back("reimbursements", FormatExactMicros(line.reimbursements_micros(), currency));
  fields.emplace_back("net_exact", FormatExactMicros(line.net_micros(), currency));
  fields.emplace_back("net_amount", FormatAmount(line.net_amount()) + " " + currency +
                                        (line.net_amount().amount_minor() < 0
                                             ? " (the partner pays)"
                                             : line.net_amount().amount_minor() > 0
                                                   ? " (the partner is paid)"
                                                   : ""));
  fields.emplace_back("rounding", FormatExactMicros(line.rounding_micros(), currency));
  PrintFields(out_, fields);
  if (!statement.flows().empty()) {
    out_ << "\nflows\n";
    FlowsTable(statement.flows(), currency).Print(out_);
  }
  if (!statement.instructions().empty()) {
    out_ << "\npayments\n";
    InstructionsTable(statement.instructions()).Print(out_);
  }
  return kExitOk;
}

int SettlementCommands::Export(const std::string& batch_id, ExportTable table,
                               const std::string& format) {
  v1::SettlementBatch batch;
  if (auto status = FetchBatch(batch_id, &batch); !status.ok()) return Fail(status);
  if (format == "json") {
    out_ << ToJson(batch);
  } else {
    out_ << BatchCsv(batch, table);
  }
  return kExitOk;
}

int SettlementCommands::EconomicsSet(const EconomicsSetArgs& args) {
  v1::SetPartnerEconomicsRequest request;
  SetPartnerOf(request, args.partner);
  request.set_issuance_price_micros(args.issuance_price_micros);
  request.set_redemption_rate_micros(args.redemption_rate_micros);
  if (!args.effective_from.empty()) {
    auto from = ParseTime(args.effective_from);
    if (!from) return Usage("--effective-from: not an RFC 3339 time such as 2026-12-01T00:00:00Z");
    *request.mutable_effective_from() = *from;
  }
  grpc::ClientContext context;
  sdk::PrepareContext(context, channel_);
  v1::PartnerEconomicsPeriod period;
  if (auto status = admin_.SetPartnerEconomics(&context, request, &period); !status.ok()) {
    return Fail(status);
  }
  if (output_ == OutputFormat::kJson) {
    out_ << ToJson(period);
  } else {
    PrintFields(out_, {{"partner_id", period.partner_id()},
                       {"effective_from", FormatTimestamp(period.effective_from())},
                       {"issuance_price", FormatMicros(period.issuance_price_micros())},
                       {"redemption_rate", FormatMicros(period.redemption_rate_micros())}});
  }
  return kExitOk;
}

int SettlementCommands::EconomicsList(const PartnerRef& partner) {
  v1::ListPartnerEconomicsRequest request;
  SetPartnerOf(request, partner);
  grpc::ClientContext context;
  sdk::PrepareContext(context, channel_);
  v1::ListPartnerEconomicsResponse response;
  if (auto status = admin_.ListPartnerEconomics(&context, request, &response); !status.ok()) {
    return Fail(status);
  }
  if (output_ == OutputFormat::kJson) {
    out_ << ToJson(response);
    return kExitOk;
  }
  Table table({"EFFECTIVE FROM", "ISSUANCE/PT", "REDEMPTION/PT", "SET AT"});
  for (const auto& period : response.periods()) {
    table.AddRow({period.has_effective_from() ? FormatTimestamp(period.effective_from())
                                              : "initial",
                  FormatMicros(period.issuance_price_micros()),
                  FormatMicros(period.redemption_rate_micros()),
                  FormatTimestamp(period.created_at())});
  }
  table.Print(out_);
  return kExitOk;
}

}  // namespace coalition::cli
