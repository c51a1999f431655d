#include "service/settlement_service.h"

#include <limits>

#include "domain/currency.h"
#include "domain/limits.h"
#include "domain/validation.h"

namespace coalition::service {

using domain::Error;
namespace settlement = domain::settlement;

Result<SettledBatch> SettlementService::Settle(settlement::BatchContents contents,
                                               bool created) const {
  std::vector<domain::PartnerId> ids;
  for (const auto& [id, code] : contents.partners) ids.push_back(id);
  auto report = settlement::BuildReport(contents.activity, contents.batch.ledger,
                                        contents.batch.mode,
                                        domain::MinorUnitMicros(contents.batch.currency_code), ids);
  if (!report) return report.error();
  return SettledBatch{std::move(contents.batch), std::move(report).value(),
                      std::move(contents.partners), created};
}

Result<SettledBatch> SettlementService::Run(const std::string& request_id,
                                            std::optional<domain::Timestamp> cutoff,
                                            settlement::Mode mode) {
  if (auto e = domain::ValidateRequestId(request_id)) return *e;
  auto outcome = store_.RunSettlement({request_id, cutoff, mode, currency_});
  if (!outcome) return outcome.error();
  return Settle(std::move(outcome->contents), outcome->created);
}

Result<SettledBatch> SettlementService::Get(int64_t batch_id) {
  if (batch_id <= 0) return Error::InvalidArgument("batch_id", "is not a batch id");
  auto contents = store_.GetBatch(batch_id);
  if (!contents) return contents.error();
  return Settle(std::move(contents).value(), false);
}

Result<std::vector<settlement::Batch>> SettlementService::List(int64_t before, int page_size) {
  if (page_size < 0 || page_size > domain::kMaxPageSize) {
    return Error::InvalidArgument("page_size", "must be between 0 and 500");
  }
  if (page_size == 0) page_size = domain::kDefaultPageSize;
  if (before <= 0) before = std::numeric_limits<int64_t>::max();
  return store_.ListBatches(before, page_size);
}

Result<domain::Partner> SettlementService::FindPartner(std::optional<domain::PartnerId> partner_id,
                                                       const std::string& partner_code) {
  if (partner_id) return partners_.FindPartnerById(*partner_id);
  if (partner_code.empty()) {
    return Error::InvalidArgument("partner", "partner_id or partner_code is required");
  }
  return partners_.FindPartnerByCode(partner_code);
}

Result<PartnerStatement> SettlementService::Statement(int64_t batch_id,
                                                      std::optional<domain::PartnerId> partner_id,
                                                      const std::string& partner_code) {
  auto partner = FindPartner(partner_id, partner_code);
  if (!partner) return partner.error();
  auto settled = Get(batch_id);
  if (!settled) return settled.error();
  PartnerStatement statement;
  statement.batch = settled->batch;
  statement.partner = *partner;
  statement.line.partner = partner->id;  // a partner newer than the batch: zeros
  for (const auto& line : settled->report.lines) {
    if (line.partner == partner->id) statement.line = line;
  }
  for (const auto& flow : settled->report.flows) {
    if (flow.redeemer == partner->id || flow.issuer == partner->id) {
      statement.flows.push_back(flow);
    }
  }
  for (const auto& instruction : settled->report.instructions) {
    if (instruction.payer.partner == partner->id || instruction.payee.partner == partner->id) {
      statement.instructions.push_back(instruction);
    }
  }
  statement.partners = std::move(settled->partners);
  return statement;
}

Result<settlement::EconomicsPeriod> SettlementService::SetEconomics(
    std::optional<domain::PartnerId> partner_id, const std::string& partner_code,
    std::optional<domain::Timestamp> effective_from, int64_t issuance_price_micros,
    int64_t redemption_rate_micros) {
  if (issuance_price_micros < 0 || issuance_price_micros > domain::kMaxRateMicros) {
    return Error::InvalidArgument("issuance_price_micros", "must be between 0 and 1000000000");
  }
  if (redemption_rate_micros < 0 || redemption_rate_micros > domain::kMaxRateMicros) {
    return Error::InvalidArgument("redemption_rate_micros", "must be between 0 and 1000000000");
  }
  auto partner = FindPartner(partner_id, partner_code);
  if (!partner) return partner.error();
  settlement::EconomicsPeriod period;
  period.partner = partner->id;
  period.effective_from = effective_from;
  period.issuance_price_micros = issuance_price_micros;
  period.redemption_rate_micros = redemption_rate_micros;
  return store_.SetEconomics(period);
}

Result<std::pair<domain::Partner, std::vector<settlement::EconomicsPeriod>>>
SettlementService::ListEconomics(std::optional<domain::PartnerId> partner_id,
                                 const std::string& partner_code) {
  auto partner = FindPartner(partner_id, partner_code);
  if (!partner) return partner.error();
  auto periods = store_.ListEconomics(partner->id);
  if (!periods) return periods.error();
  return std::pair{*partner, std::move(periods).value()};
}

}  // namespace coalition::service
