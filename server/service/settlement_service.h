#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "domain/settlement.h"
#include "service/ports.h"

namespace coalition::service {

// A batch with its figures, computed from what the batch stored.
struct SettledBatch {
  domain::settlement::Batch batch;
  domain::settlement::Report report;
  // Partner id -> code, for statements a person reads.
  std::vector<std::pair<domain::PartnerId, std::string>> partners;
  bool created = false;
};

// One partner's view of a batch: its line, the flows it issued or redeemed,
// and the payments it makes or receives.
struct PartnerStatement {
  domain::settlement::Batch batch;
  domain::Partner partner;
  domain::settlement::PartnerLine line;
  std::vector<domain::settlement::Flow> flows;
  std::vector<domain::settlement::Instruction> instructions;
  std::vector<std::pair<domain::PartnerId, std::string>> partners;
};

// Finance operations: settlement runs and reads, and partner economics.
class SettlementService {
 public:
  SettlementService(SettlementStore& store, PartnerStore& partners, std::string currency)
      : store_(store), partners_(partners), currency_(std::move(currency)) {}

  Result<SettledBatch> Run(const std::string& request_id,
                           std::optional<domain::Timestamp> cutoff,
                           domain::settlement::Mode mode);
  Result<SettledBatch> Get(int64_t batch_id);
  // Batches with id < `before` (0: from the newest), newest first.
  Result<std::vector<domain::settlement::Batch>> List(int64_t before, int page_size);
  // Exactly one of id / code names the partner.
  Result<PartnerStatement> Statement(int64_t batch_id, std::optional<domain::PartnerId> partner_id,
                                     const std::string& partner_code);

  Result<domain::settlement::EconomicsPeriod> SetEconomics(
      std::optional<domain::PartnerId> partner_id, const std::string& partner_code,
      std::optional<domain::Timestamp> effective_from, int64_t issuance_price_micros,
      int64_t redemption_rate_micros);
  Result<std::pair<domain::Partner, std::vector<domain::settlement::EconomicsPeriod>>>
  ListEconomics(std::optional<domain::PartnerId> partner_id, const std::string& partner_code);

 private:
  Result<SettledBatch> Settle(domain::settlement::BatchContents contents, bool created) const;
  Result<domain::Partner> FindPartner(std::optional<domain::PartnerId> partner_id,
                                      const std::string& partner_code);

  SettlementStore& store_;
  PartnerStore& partners_;
  const std::string currency_;
};

}  // namespace coalition::service
