// Times RunSettlement over a ledger of N transfers (default 1,000,000) on a
// throwaway PostgreSQL cluster. The ledger is generated in SQL
// (generate_series), not through the API, so setup takes seconds: half the
// transfers are accruals at three partners (one lot each), half are
// redemptions at another partner consuming those lots.
//
//   settle_bench [--transfers N] [--members M]
//
// Prints the setup time, the settlement time and transfers settled per second.

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <iostream>

#include <pqxx/pqxx>

#include "service/settlement_service.h"
#include "storage/database.h"
#include "storage/pg_stores.h"
#include "storage/queries.h"
#include "support/test_database.h"

namespace {

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

void Generate(const std::string& url, int64_t transfers, int64_t members) {
  pqxx::connection connection(url);
  pqxx::work tx(connection);
  tx.exec("SET LOCAL statement_timeout = 0");
  for (const char* code : {"bench-market", "bench-fuel", "bench-store"}) {
    const auto id = tx.exec1(std::string("INSERT INTO partners (code, display_name, earn_points, "
                                         "earn_per_amount_minor, issuance_price_micros, "
                                         "redemption_rate_micros) VALUES ('") +
                             code + "', '" + code + "', 1, 100, 12345, 8765) RETURNING id")[0]
                        .as<int64_t>();
    tx.exec("INSERT INTO accounts (kind, partner_id) VALUES ('PARTNER_ISSUANCE', " +
            std::to_string(id) + "), ('PARTNER_REDEMPTION', " + std::to_string(id) + ")");
  }
  // Foreign keys are checked by the ledger's own operations; skip them here.
  tx.exec("SET LOCAL session_replication_role = replica");
  const std::string n = std::to_string(transfers / 2);
  const std::string m = std::to_string(members);
  tx.exec("INSERT INTO accounts (id, kind) SELECT 100000000 + g, 'MEMBER' "
          "FROM generate_series(1, " + m + ") g");
  tx.exec("INSERT INTO members (id, balance) SELECT 100000000 + g, 0 "
          "FROM generate_series(1, " + m + ") g");
  // Bench partner `slot` (0..2) with its two accounts.
  tx.exec("CREATE TEMP TABLE bench_partner AS SELECT p.id AS partner_id, "
          "row_number() OVER (ORDER BY p.id) - 1 AS slot, i.id AS issuance, r.id AS redemption "
          "FROM partners p JOIN accounts i ON i.partner_id = p.id AND i.kind = 'PARTNER_ISSUANCE' "
          "JOIN accounts r ON r.partner_id = p.id AND r.kind = 'PARTNER_REDEMPTION' "
          "WHERE p.code LIKE 'bench-%'");
  tx.exec("INSERT INTO transfers (id, member_id, debit_account_id, credit_account_id, points, "
          "kind, partner_id, created_at) OVERRIDING SYSTEM VALUE "
          "SELECT g, 100000001 + g % " + m + ", b.issuance, 100000001 + g % " + m +
          ", 100, 'ACCRUAL', b.partner_id, now() - interval '1 hour' "
          "FROM generate_series(1, " + n + ") g JOIN bench_partner b ON b.slot = g % 3");
  tx.exec("INSERT INTO lots (id, member_id, issuer_partner_id, points, remaining, earned_at, "
          "source_transfer_id) OVERRIDING SYSTEM VALUE "
          "SELECT g, 100000001 + g % " + m + ", b.partner_id, 100, 50, now(), g "
          "FROM generate_series(1, " + n + ") g JOIN bench_partner b ON b.slot = g % 3");
  tx.exec("INSERT INTO transfers (id, member_id, debit_account_id, credit_account_id, points, "
          "kind, partner_id, created_at) OVERRIDING SYSTEM VALUE "
          "SELECT " + n + " + g, 100000001 + g % " + m + ", 100000001 + g % " + m +
          ", b.redemption, 50, 'REDEMPTION', b.partner_id, now() - interval '30 minutes' "
          "FROM generate_series(1, " + n + ") g JOIN bench_partner b ON b.slot = (g + 1) % 3");
  tx.exec("INSERT INTO lot_consumptions (member_id, transfer_id, lot_id, points) "
          "SELECT 100000001 + g % " + m + ", " + n + " + g, g, 50 "
          "FROM generate_series(1, " + n + ") g");
  tx.commit();
  pqxx::nontransaction maintenance(connection);
  maintenance.exec("VACUUM ANALYZE");
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Time RunSettlement over a generated ledger", "settle_bench"};
  int64_t transfers = 1'000'000;
  int64_t members = 100'000;
  app.add_option("--transfers", transfers, "Transfers to settle (half accruals, half redemptions)")
      ->check(CLI::Range(int64_t{2}, int64_t{100'000'000}));
  app.add_option("--members", members, "Members they are spread over")
      ->check(CLI::Range(int64_t{1}, int64_t{10'000'000}));
  bool explain = false;
  app.add_flag("--explain", explain, "Print the claim statement's plan with timings first");
  CLI11_PARSE(app, argc, argv);

  coalition::testing::TestDatabase db;
  auto started = std::chrono::steady_clock::now();
  Generate(db.url(), transfers, members);
  std::printf("setup: %lld transfers over %lld members in %.1f s\n",
              static_cast<long long>(transfers / 2 * 2), static_cast<long long>(members),
              SecondsSince(started));

  if (explain) {
    // The claim's plan with timings, rolled back so nothing is settled.
    pqxx::connection connection(db.url());
    coalition::storage::PrepareStatements(connection);
    pqxx::work tx(connection);
    tx.exec("SET LOCAL statement_timeout = 0");
    tx.exec("SET LOCAL work_mem = '256MB'");
    const auto batch_id = tx.exec1("INSERT INTO settlement_batches (cutoff, mode, request_id, "
                                   "currency_code, status, liability_before) VALUES (now(), "
                                   "'HUB', 'explain', 'USD', 'OPEN', 0) RETURNING id")[0]
                              .as<int64_t>();
    tx.exec("PREPARE claim_explained AS " + std::string(coalition::storage::sql::kClaimAndAggregate));
    for (const auto& row :
         tx.exec("EXPLAIN (ANALYZE, BUFFERS) EXECUTE claim_explained(" + std::to_string(batch_id) +
                 ", (extract(epoch from now()) * 1000000)::bigint)")) {
      std::printf("%s\n", row[0].c_str());
    }
    tx.abort();
  }
  coalition::storage::Database database(coalition::storage::DatabaseOptions{db.url(), 2});
  coalition::storage::PgSettlementStore store(database);
  coalition::storage::PgPartnerStore partners(database);
  coalition::service::SettlementService settlement(store, partners, "USD");
  started = std::chrono::steady_clock::now();
  auto batch = settlement.Run("bench", std::nullopt, coalition::domain::settlement::Mode::kHub);
  const double seconds = SecondsSince(started);
  if (!batch.ok()) {
    std::fprintf(stderr, "settlement failed: %s: %s\n", batch.error().reason.c_str(),
                 batch.error().message.c_str());
    return 1;
  }
  std::printf("settled %lld transfers in %.2f s (%.0f transfers/s); reconciliation %s\n",
              static_cast<long long>(batch->batch.transfer_count), seconds,
              static_cast<double>(batch->batch.transfer_count) / seconds,
              batch->report.reconciliation.ok() ? "OK" : "FAILED");
  for (const auto& line : batch->report.lines) {
    std::printf("  partner %lld: issued %lld redeemed %lld net %lld minor\n",
                static_cast<long long>(line.partner), static_cast<long long>(line.points_issued),
                static_cast<long long>(line.points_redeemed),
                static_cast<long long>(line.net_minor));
  }
  return batch->report.reconciliation.ok() ? 0 : 1;
}
