#include "rpc/settlement_service.h"

#include <map>
#include <string>

#include "domain/limits.h"
#include "domain/validation.h"
#include "rpc/call.h"
#include "rpc/convert.h"

namespace coalition::rpc {

using domain::Ok;
using domain::Result;
namespace settlement = domain::settlement;

namespace {

constexpr std::string_view kRunSettlement = "/coalition.v1.SettlementService/RunSettlement";
constexpr std::string_view kGetSettlementBatch =
    "/coalition.v1.SettlementService/GetSettlementBatch";
constexpr std::string_view kListSettlementBatches =
    "/coalition.v1.SettlementService/ListSettlementBatches";
constexpr std::string_view kGetStatement = "/coalition.v1.SettlementService/GetStatement";
constexpr std::string_view kBatchListScope = "settlement_batches";
constexpr std::string_view kOperatorCode = "operator";

using PartnerCodes = std::map<domain::PartnerId, std::string>;

PartnerCodes CodesOf(const std::vector<std::pair<domain::PartnerId, std::string>>& partners) {
  return PartnerCodes(partners.begin(), partners.end());
}

std::string CodeOf(const PartnerCodes& codes, std::optional<domain::PartnerId> partner) {
  if (!partner) return std::string(kOperatorCode);
  const auto found = codes.find(*partner);
  return found != codes.end() ? found->second : std::to_string(*partner);
}

std::string IdOf(std::optional<domain::PartnerId> partner) {
  return partner ? std::to_string(*partner) : std::string();
}

v1::SettlementMode ToProto(settlement::Mode mode) {
  return mode == settlement::Mode::kHub ? v1::SETTLEMENT_MODE_HUB
                                        : v1::SETTLEMENT_MODE_MULTILATERAL;
}

void SetMoney(const std::string& currency, int64_t amount_minor, v1::Money* out) {
  out->set_currency_code(currency);
  out->set_amount_minor(amount_minor);
}

void ToProto(const settlement::Batch& batch, v1::SettlementBatchSummary* out) {
  out->set_batch_id(std::to_string(batch.id));
  rpc::ToProto(batch.cutoff, out->mutable_cutoff());
  out->set_mode(ToProto(batch.mode));
  out->set_request_id(batch.request_id);
  out->set_currency_code(batch.currency_code);
  rpc::ToProto(batch.created_at, out->mutable_created_at());
  out->set_transfer_count(batch.transfer_count);
  out->set_status("CLOSED");
}

void ToProto(const settlement::PartnerLine& line, const PartnerCodes& codes,
             const std::string& currency, v1::StatementLine* out) {
  out->set_partner_id(std::to_string(line.partner));
  out->set_partner_code(CodeOf(codes, line.partner));
  out->set_points_issued(line.points_issued);
  out->set_points_clawed_back(line.points_clawed_back);
  out->set_points_redeemed(line.points_redeemed);
  out->set_points_refunded(line.points_refunded);
  out->set_points_expired(line.points_expired);
  out->set_issuance_fees_micros(line.issuance_fees_micros);
  out->set_reimbursements_micros(line.reimbursements_micros);
  out->set_net_micros(line.net_micros);
  SetMoney(currency, line.net_minor, out->mutable_net_amount());
  out->set_rounding_micros(line.rounding_micros);
}

void ToProto(const settlement::Flow& flow, const PartnerCodes& codes, v1::SettlementFlow* out) {
  out->set_issuer_partner_id(IdOf(flow.issuer));
  out->set_issuer_code(CodeOf(codes, flow.issuer));
  out->set_redeemer_partner_id(std::to_string(flow.redeemer));
  out->set_redeemer_code(CodeOf(codes, flow.redeemer));
  out->set_points(flow.points);
  out->set_value_micros(flow.value_micros);
}

void ToProto(const settlement::Instruction& instruction, const PartnerCodes& codes,
             const std::string& currency, v1::PaymentInstruction* out) {
  out->set_payer_partner_id(IdOf(instruction.payer.partner));
  out->set_payer_code(CodeOf(codes, instruction.payer.partner));
  out->set_payee_partner_id(IdOf(instruction.payee.partner));
  out->set_payee_code(CodeOf(codes, instruction.payee.partner));
  SetMoney(currency, instruction.amount_minor, out->mutable_amount());
}

void ToProto(const service::SettledBatch& settled, v1::SettlementBatch* out) {
  const auto codes = CodesOf(settled.partners);
  const std::string& currency = settled.batch.currency_code;
  ToProto(settled.batch, out->mutable_summary());
  for (const auto& line : settled.report.lines) ToProto(line, codes, currency, out->add_lines());
  const auto& op = settled.report.operator_line;
  auto* op_out = out->mutable_operator_line();
  op_out->set_points_bonus(op.points_bonus);
  op_out->set_points_breakage(op.points_breakage);
  op_out->set_margin_micros(op.margin_micros);
  SetMoney(currency, op.net_minor, op_out->mutable_net_amount());
  op_out->set_rounding_micros(op.rounding_micros);
  for (const auto& flow : settled.report.flows) ToProto(flow, codes, out->add_flows());
  for (const auto& instruction : settled.report.instructions) {
    ToProto(instruction, codes, currency, out->add_instructions());
  }
  const auto& rec = settled.report.reconciliation;
  auto* rec_out = out->mutable_reconciliation();
  rec_out->set_ok(rec.ok());
  rec_out->set_nets_balance(rec.nets_balance());
  rec_out->set_nets_sum_minor(rec.nets_sum_minor);
  rec_out->set_nets_sum_micros(rec.nets_sum_micros);
  rec_out->set_points_issued(rec.points_issued);
  rec_out->set_points_bonus(rec.points_bonus);
  rec_out->set_points_redeemed(rec.points_redeemed);
  rec_out->set_points_expired(rec.points_expired);
  rec_out->set_points_clawed_back(rec.points_clawed_back);
  rec_out->set_points_refunded(rec.points_refunded);
  rec_out->set_liability_change_by_kind(rec.liability_change_by_kind);
  rec_out->set_liability_change_by_accounts(rec.liability_change_by_accounts);
  rec_out->set_liability_balances(rec.liability_balances());
  rec_out->set_liability_before(rec.liability_before);
  rec_out->set_liability_after(rec.liability_after);
}

Result<int64_t> BatchIdOf(const std::string& text) {
  auto id = domain::ParseId(text);
  if (!id) return domain::Error::InvalidArgument("batch_id", "is not a batch id");
  return *id;
}

}  // namespace

grpc::Status SettlementServiceImpl::RunSettlement(grpc::ServerContext* context,
                                                  const v1::RunSettlementRequest* request,
                                                  v1::RunSettlementResponse* response) {
  return RunCall(auth_, *context, kRunSettlement, request->request_id(),
                 [&](const Principal&) -> Result<Ok> {
                   std::optional<domain::Timestamp> cutoff;
                   if (request->has_cutoff()) {
                     auto parsed = FromProto(request->cutoff(), "cutoff");
                     if (!parsed) return parsed.error();
                     cutoff = *parsed;
                   }
                   settlement::Mode mode = settlement::Mode::kHub;
                   switch (request->mode()) {
                     case v1::SETTLEMENT_MODE_UNSPECIFIED:
                     case v1::SETTLEMENT_MODE_HUB:
                       break;
                     case v1::SETTLEMENT_MODE_MULTILATERAL:
                       mode = settlement::Mode::kMultilateral;
                       break;
                     default:
                       return domain::Error::InvalidArgument("mode", "is not a settlement mode");
                   }
                   auto settled = settlement_.Run(request->request_id(), cutoff, mode);
                   if (!settled) return settled.error();
                   ToProto(*settled, response->mutable_batch());
                   response->set_created(settled->created);
                   return Ok{};
                 });
}

grpc::Status SettlementServiceImpl::GetSettlementBatch(
    grpc::ServerContext* context, const v1::GetSettlementBatchRequest* request,
    v1::SettlementBatch* response) {
  return RunCall(auth_, *context, kGetSettlementBatch, "", [&](const Principal&) -> Result<Ok> {
    auto id = BatchIdOf(request->batch_id());
    if (!id) return id.error();
    auto settled = settlement_.Get(*id);
    if (!settled) return settled.error();
    ToProto(*settled, response);
    return Ok{};
  });
}

grpc::Status SettlementServiceImpl::ListSettlementBatches(
    grpc::ServerContext* context, const v1::ListSettlementBatchesRequest* request,
    v1::ListSettlementBatchesResponse* response) {
  return RunCall(auth_, *context, kListSettlementBatches, "",
                 [&](const Principal&) -> Result<Ok> {
                   int64_t before = 0;
                   if (!request->page_token().empty()) {
                     auto position = page_tokens_.Decode(request->page_token(), kBatchListScope);
                     if (!position) {
                       return domain::Error::InvalidArgument(
                           "page_token", "is not a valid page token", "INVALID_PAGE_TOKEN");
                     }
                     before = *position;
                   }
                   auto batches = settlement_.List(before, request->page_size());
                   if (!batches) return batches.error();
                   for (const auto& batch : *batches) ToProto(batch, response->add_batches());
                   const int page_size = request->page_size() == 0 ? domain::kDefaultPageSize
                                                                   : request->page_size();
                   if (static_cast<int>(batches->size()) == page_size &&
                       batches->back().id > 1) {
                     response->set_next_page_token(
                         page_tokens_.Encode(kBatchListScope, batches->back().id));
                   }
                   return Ok{};
                 });
}

grpc::Status SettlementServiceImpl::GetStatement(grpc::ServerContext* context,
                                                 const v1::GetStatementRequest* request,
                                                 v1::PartnerStatement* response) {
  return RunCall(auth_, *context, kGetStatement, "", [&](const Principal&) -> Result<Ok> {
    auto id = BatchIdOf(request->batch_id());
    if (!id) return id.error();
    std::optional<domain::PartnerId> partner_id;
    if (request->has_partner_id()) {
      partner_id = domain::ParseId(request->partner_id());
      if (!partner_id) return domain::Error::InvalidArgument("partner_id", "is not a partner id");
    }
    auto statement = settlement_.Statement(*id, partner_id, request->partner_code());
    if (!statement) return statement.error();
    const auto codes = CodesOf(statement->partners);
    const std::string& currency = statement->batch.currency_code;
    ToProto(statement->batch, response->mutable_batch());
    ToProto(statement->line, codes, currency, response->mutable_line());
    response->mutable_line()->set_partner_code(statement->partner.code);
    for (const auto& flow : statement->flows) ToProto(flow, codes, response->add_flows());
    for (const auto& instruction : statement->instructions) {
      ToProto(instruction, codes, currency, response->add_instructions());
    }
    return Ok{};
  });
}

}  // namespace coalition::rpc
