// Settlement batches: one serialized transaction per run claims the
// unsettled transfers and stores their grouped activity; reads return what
// was stored, so a batch's figures never change.
#include <string>

#include "storage/pg_stores.h"
#include "storage/queries.h"
#include "storage/transaction_helpers.h"

namespace coalition::storage {

using domain::Error;
using domain::Result;
namespace settlement = domain::settlement;

namespace {

settlement::Batch BatchFromRow(const pqxx::row& row) {
  settlement::Batch batch;
  batch.id = row[0].as<int64_t>();
  batch.cutoff = FromMicros(row[1].as<int64_t>());
  batch.mode = settlement::ParseMode(row[2].as<std::string>()).value_or(settlement::Mode::kHub);
  batch.request_id = row[3].as<std::string>();
  batch.currency_code = row[4].as<std::string>();
  batch.transfer_count = row[5].as<int64_t>();
  batch.ledger.member_liability_change = row[6].as<int64_t>();
  batch.ledger.liability_before = row[7].as<int64_t>();
  batch.created_at = FromMicros(row[8].as<int64_t>());
  return batch;
}

settlement::EconomicsPeriod EconomicsFromRow(const pqxx::row& row) {
  settlement::EconomicsPeriod period;
  period.partner = row[0].as<int64_t>();
  if (!row[1].is_null()) period.effective_from = FromMicros(row[1].as<int64_t>());
  period.issuance_price_micros = row[2].as<int64_t>();
  period.redemption_rate_micros = row[3].as<int64_t>();
  period.created_at = FromMicros(row[4].as<int64_t>());
  return period;
}

template <typename Tx>
settlement::BatchContents LoadContents(Tx& tx, const pqxx::row& batch_row) {
  settlement::BatchContents contents;
  contents.batch = BatchFromRow(batch_row);
  for (const auto& row : tx.exec_prepared("batch_activity", contents.batch.id)) {
    settlement::Activity activity;
    activity.measure =
        settlement::ParseMeasure(row[0].template as<std::string>()).value_or(settlement::Measure::kIssued);
    if (!row[1].is_null()) activity.partner = row[1].template as<int64_t>();
    if (!row[2].is_null()) activity.issuer = row[2].template as<int64_t>();
    activity.rate_micros = row[3].template as<int64_t>();
    activity.points = row[4].template as<int64_t>();
    contents.activity.push_back(activity);
  }
  for (const auto& row : tx.exec_prepared("batch_partners", contents.batch.id)) {
    contents.partners.emplace_back(row[0].template as<int64_t>(), row[1].template as<std::string>());
  }
  return contents;
}

// The answer to a run that finds a batch already cut for its request or
// cutoff: that batch if it is the same run, else why not.
Result<service::SettlementStore::RunOutcome> Existing(pqxx::work& tx, const pqxx::row& row,
                                                      const settlement::RunCommand& command,
                                                      int64_t cutoff_micros,
                                                      bool matched_by_request) {
  const auto batch = BatchFromRow(row);
  const bool same_cutoff = ToMicros(batch.cutoff) == cutoff_micros;
  if (matched_by_request && ((command.cutoff && !same_cutoff) || batch.mode != command.mode)) {
    return Error::AlreadyExists("REQUEST_ID_REUSED",
                                "request_id was already used for a run with another cutoff or mode");
  }
  if (batch.mode != command.mode) {
    return Error::FailedPrecondition(
        "SETTLEMENT_MODE_MISMATCH",
        "batch " + std::to_string(batch.id) + " settled this cutoff in the other mode");
  }
  return service::SettlementStore::RunOutcome{LoadContents(tx, row), false};
}

}  // namespace

Result<service::SettlementStore::RunOutcome> PgSettlementStore::RunSettlement(
    const settlement::RunCommand& command) {
  return database_.Transact<RunOutcome>(
      "run_settlement", [&](pqxx::work& tx) -> Result<RunOutcome> {
        // A run reads every unsettled transfer: far beyond a request's
        // statement timeout on a large ledger, and it blocks no one.
        tx.exec("SET LOCAL statement_timeout = 0");
        tx.exec("SET LOCAL work_mem = '256MB'");
        tx.exec_prepared("lock_settlement");
        // READ COMMITTED: every statement from here on sees the batches of
        // runs that held the lock before us.
        const auto clock = tx.exec_prepared1("settlement_clock");
        const int64_t now_micros = clock[0].as<int64_t>();
        const int64_t cutoff_micros = command.cutoff ? ToMicros(*command.cutoff) : now_micros;

        if (auto rows = tx.exec_prepared("find_batch_by_request", command.request_id);
            !rows.empty()) {
          return Existing(tx, rows[0], command, cutoff_micros, true);
        }
        if (auto rows = tx.exec_prepared("find_batch_by_cutoff", cutoff_micros); !rows.empty()) {
          return Existing(tx, rows[0], command, cutoff_micros, false);
        }
        if (cutoff_micros > now_micros) {
          return Error::FailedPrecondition("CUTOFF_IN_FUTURE",
                                           "cutoff is later than now; transfers before it may "
                                           "still be created");
        }
        if (!clock[1].is_null() && cutoff_micros < clock[1].as<int64_t>()) {
          return Error::FailedPrecondition("CUTOFF_BEFORE_LAST_BATCH",
                                           "cutoff is earlier than the last batch's cutoff");
        }

        const auto batch_id = tx.exec_prepared1("open_batch", cutoff_micros,
                                                std::string(settlement::ModeName(command.mode)),
                                                command.request_id, command.currency_code)[0]
                                  .as<int64_t>();
        const auto claimed = tx.exec_prepared1("claim_and_aggregate", batch_id, cutoff_micros);
        tx.exec_prepared0("close_batch", batch_id, claimed[0].as<int64_t>(),
                          claimed[1].as<int64_t>());
        return RunOutcome{LoadContents(tx, tx.exec_prepared1("get_batch", batch_id)), true};
      });
}

Result<settlement::BatchContents> PgSettlementStore::GetBatch(int64_t batch_id) {
  // One snapshot for the batch and its rows.
  return database_.Transact<settlement::BatchContents>(
      "get_settlement_batch", [&](pqxx::work& tx) -> Result<settlement::BatchContents> {
        const auto rows = tx.exec_prepared("get_batch", batch_id);
        if (rows.empty()) return Error::NotFound("BATCH_NOT_FOUND", "settlement batch not found");
        return LoadContents(tx, rows[0]);
      });
}

Result<std::vector<settlement::Batch>> PgSettlementStore::ListBatches(int64_t before, int limit) {
  using Batches = std::vector<settlement::Batch>;
  return database_.Read<Batches>("list_settlement_batches",
                                 [&](pqxx::nontransaction& tx) -> Result<Batches> {
                                   Batches batches;
                                   for (const auto& row :
                                        tx.exec_prepared("list_batches", before, limit)) {
                                     batches.push_back(BatchFromRow(row));
                                   }
                                   return batches;
                                 });
}

Result<settlement::EconomicsPeriod> PgSettlementStore::SetEconomics(
    const settlement::EconomicsPeriod& period) {
  return database_.Transact<settlement::EconomicsPeriod>(
      "set_partner_economics", [&](pqxx::work& tx) -> Result<settlement::EconomicsPeriod> {
        try {
          return EconomicsFromRow(tx.exec_prepared1(
              "set_economics", period.partner, ToMicros(period.effective_from),
              period.issuance_price_micros, period.redemption_rate_micros));
        } catch (const pqxx::check_violation&) {
          return Error::FailedPrecondition(
              "EFFECTIVE_FROM_IN_PAST",
              "effective_from is in the past; rates change from now on, never retroactively");
        } catch (const pqxx::foreign_key_violation&) {
          return Error::NotFound("PARTNER_NOT_FOUND", "partner not found");
        }
      });
}

Result<std::vector<settlement::EconomicsPeriod>> PgSettlementStore::ListEconomics(
    domain::PartnerId partner) {
  using Periods = std::vector<settlement::EconomicsPeriod>;
  return database_.Read<Periods>("list_partner_economics",
                                 [&](pqxx::nontransaction& tx) -> Result<Periods> {
                                   Periods periods;
                                   for (const auto& row :
                                        tx.exec_prepared("list_economics", partner)) {
                                     periods.push_back(EconomicsFromRow(row));
                                   }
                                   return periods;
                                 });
}

}  // namespace coalition::storage
