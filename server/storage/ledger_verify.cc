// The invariants of SPEC §2, each as a query returning one human-readable
// line per offending row.
#include "storage/pg_stores.h"

namespace coalition::storage {
namespace {

struct InvariantQuery {
  const char* name;
  const char* description;
  const char* offenders;
};

// Net points (credits - debits) per account, from the transfers alone.
constexpr const char* kAccountFlows = R"~(
  SELECT account_id, sum(delta) AS net FROM (
    SELECT credit_account_id AS account_id, points AS delta FROM transfers
    UNION ALL
    SELECT debit_account_id, -points FROM transfers) flows
  GROUP BY account_id)~";

const InvariantQuery kInvariants[] = {
    {"member_balance_matches_transfers",
     "every member's stored balance equals credits minus debits over its transfers",
     R"~(
  WITH nets AS (%FLOWS%)
  SELECT 'member ' || m.id || ': balance ' || m.balance || ', transfers ' || coalesce(n.net, 0)
  FROM members m LEFT JOIN nets n ON n.account_id = m.id
  WHERE m.balance <> coalesce(n.net, 0))~"},
    {"member_balance_matches_lots",
     "every member's balance equals the sum of the remaining points of its lots",
     R"~(
  SELECT 'member ' || m.id || ': balance ' || m.balance || ', lots ' || coalesce(l.remaining, 0)
  FROM members m
  LEFT JOIN (SELECT member_id, sum(remaining) AS remaining FROM lots GROUP BY member_id) l
    ON l.member_id = m.id
  WHERE m.balance <> coalesce(l.remaining, 0))~"},
    {"ledger_sums_to_zero", "credits minus debits over all accounts is zero",
     R"~(
  WITH nets AS (%FLOWS%)
  SELECT 'sum of all accounts: ' || total
  FROM (SELECT coalesce(sum(net), 0) AS total FROM nets) t WHERE total <> 0)~"},
    {"held_matches_open_holds",
     "every member's held equals the points of its open holds, and available >= 0",
     R"~(
  SELECT 'member ' || m.id || ': balance ' || m.balance || ', held ' || m.held ||
         ', open holds ' || coalesce(h.points, 0)
  FROM members m
  LEFT JOIN (SELECT member_id, sum(points) AS points FROM holds WHERE status = 'OPEN'
             GROUP BY member_id) h ON h.member_id = m.id
  WHERE m.held <> coalesce(h.points, 0) OR m.balance - m.held < 0)~"},
    {"captured_holds_match_transfers",
     "every captured hold points at one capture transfer of exactly the captured points",
     R"~(
  SELECT 'hold ' || h.id || ': captured ' || h.captured_points || ', transfer ' ||
         coalesce(t.points::text, 'missing')
  FROM holds h
  LEFT JOIN transfers t ON t.member_id = h.member_id AND t.id = h.capture_transfer_id
  WHERE h.status = 'CAPTURED' AND (t.id IS NULL OR t.points <> h.captured_points
                                   OR t.kind <> 'HOLD_CAPTURE'))~"},
    {"lots_match_consumptions",
     "each lot's consumed points (points - remaining) equal its consumption rows",
     R"~(
  SELECT 'lot ' || l.id || ': consumed ' || (l.points - l.remaining) || ', rows ' ||
         coalesce(c.total, 0)
  FROM lots l
  LEFT JOIN (SELECT member_id, lot_id, sum(points) AS total FROM lot_consumptions
             GROUP BY member_id, lot_id) c ON c.member_id = l.member_id AND c.lot_id = l.id
  WHERE l.points - l.remaining <> coalesce(c.total, 0))~"},
    {"debits_consume_lots",
     "every debit of a member takes exactly its points from the member's lots",
     R"~(
  SELECT 'transfer ' || t.id || ': points ' || t.points || ', consumed ' || coalesce(c.total, 0)
  FROM transfers t
  LEFT JOIN (SELECT member_id, transfer_id, sum(points) AS total FROM lot_consumptions
             GROUP BY member_id, transfer_id) c
    ON c.member_id = t.member_id AND c.transfer_id = t.id
  WHERE t.debit_account_id = t.member_id AND t.points <> coalesce(c.total, 0))~"},
    {"credits_create_lots", "every credit to a member created one lot of the same points",
     R"~(
  SELECT 'transfer ' || t.id || ': points ' || t.points || ', lots ' || coalesce(sum(l.points), 0)
  FROM transfers t
  LEFT JOIN lots l ON l.member_id = t.member_id AND l.source_transfer_id = t.id
  WHERE t.credit_account_id = t.member_id
  GROUP BY t.id, t.points HAVING coalesce(sum(l.points), 0) <> t.points)~"},
    {"requests_applied_once",
     "no request_id of a partner posted two transfers of the same kind",
     R"~(
  SELECT 'partner ' || partner_id || ' request ' || request_id || ': ' || count(*) || ' ' || kind
  FROM transfers WHERE request_id IS NOT NULL
  GROUP BY partner_id, request_id, kind HAVING count(*) > 1)~"},
    {"requests_recorded",
     "every transfer made for a request has its idempotency record with a stored response",
     R"~(
  SELECT 'transfer ' || t.id || ' request ' || t.request_id
  FROM transfers t
  LEFT JOIN idempotency_keys k ON k.partner_id = t.partner_id AND k.request_id = t.request_id
  WHERE t.request_id IS NOT NULL AND k.response IS NULL)~"},
    {"transfers_settled_once",
     "every settled transfer belongs to one closed batch whose cutoff is after its creation",
     R"~(
  SELECT 'transfer ' || t.id || ': batch ' || t.settlement_batch_id ||
         coalesce(' cut at ' || b.cutoff, ' missing')
  FROM transfers t
  LEFT JOIN settlement_batches b ON b.id = t.settlement_batch_id AND b.status = 'CLOSED'
  WHERE t.settlement_batch_id IS NOT NULL AND (b.id IS NULL OR t.created_at >= b.cutoff))~"},
    {"settlement_batches_match_transfers",
     "every settlement batch counts exactly the transfers stamped with it",
     R"~(
  SELECT 'batch ' || b.id || ': counted ' || b.transfer_count || ', stamped ' ||
         coalesce(t.stamped, 0)
  FROM settlement_batches b
  LEFT JOIN (SELECT settlement_batch_id, count(*) AS stamped FROM transfers
             WHERE settlement_batch_id IS NOT NULL GROUP BY settlement_batch_id) t
    ON t.settlement_batch_id = b.id
  WHERE b.transfer_count <> coalesce(t.stamped, 0))~"},
};

std::string Expand(const char* query) {
  std::string text(query);
  const std::string placeholder = "%FLOWS%";
  if (auto at = text.find(placeholder); at != std::string::npos) {
    text.replace(at, placeholder.size(), kAccountFlows);
  }
  return text;
}

}  // namespace

domain::Result<domain::LedgerReport> PgLedgerStore::Verify() {
  // One snapshot for all checks, so they describe one consistent state.
  return database_.Transact<domain::LedgerReport>(
      "verify", [](pqxx::work& tx) -> domain::Result<domain::LedgerReport> {
        tx.exec("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY");
        domain::LedgerReport report;
        for (const auto& invariant : kInvariants) {
          const std::string offenders = Expand(invariant.offenders);
          domain::InvariantCheck check;
          check.name = invariant.name;
          check.description = invariant.description;
          check.violations =
              tx.exec1("SELECT count(*) FROM (" + offenders + ") o")[0].as<int64_t>();
          for (const auto& row : tx.exec(offenders + " LIMIT 5")) {
            check.examples.push_back(row[0].as<std::string>());
          }
          report.checks.push_back(std::move(check));
        }
        return report;
      });
}

}  // namespace coalition::storage
