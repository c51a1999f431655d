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
     "every member's balance equals the remaining points of its lots minus its clawback debt",
     R"~(
  SELECT 'member ' || m.id || ': balance ' || m.balance || ', lots ' || coalesce(l.remaining, 0) ||
         ', debt ' || m.debt
  FROM members m
  LEFT JOIN (SELECT member_id, sum(remaining) AS remaining FROM lots GROUP BY member_id) l
    ON l.member_id = m.id
  WHERE m.balance <> coalesce(l.remaining, 0) - m.debt)~"},
    {"debt_matches_clawbacks",
     "every member's clawback debt equals the clawed-back points no lot has covered yet",
     R"~(
  SELECT 'member ' || m.id || ': debt ' || m.debt || ', uncovered clawbacks ' ||
         coalesce(c.uncovered, 0)
  FROM members m
  LEFT JOIN (SELECT t.member_id, sum(t.points - coalesce(k.total, 0)) AS uncovered
             FROM transfers t
             LEFT JOIN (SELECT member_id, transfer_id, sum(points) AS total FROM lot_consumptions
                        GROUP BY member_id, transfer_id) k
               ON k.member_id = t.member_id AND k.transfer_id = t.id
             WHERE t.kind = 'CLAWBACK' GROUP BY t.member_id) c ON c.member_id = m.id
  WHERE m.debt <> coalesce(c.uncovered, 0))~"},
    {"ledger_sums_to_zero", "credits minus debits over all accounts is zero",
     R"~(
  WITH nets AS (%FLOWS%)
  SELECT 'sum of all accounts: ' || total
  FROM (SELECT coalesce(sum(net), 0) AS total FROM nets) t WHERE total <> 0)~"},
    {"held_matches_open_holds",
     "every member's held equals the points of its open holds, and its lots cover them",
     R"~(
  SELECT 'member ' || m.id || ': balance ' || m.balance || ', held ' || m.held ||
         ', open holds ' || coalesce(h.points, 0)
  FROM members m
  LEFT JOIN (SELECT member_id, sum(points) AS points FROM holds WHERE status = 'OPEN'
             GROUP BY member_id) h ON h.member_id = m.id
  WHERE m.held <> coalesce(h.points, 0) OR m.balance + m.debt - m.held < 0)~"},
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
     "each lot's points - remaining equal its consumptions minus refunds restored into it",
     R"~(
  SELECT 'lot ' || l.id || ': consumed ' || (l.points - l.remaining) || ', rows ' ||
         coalesce(c.total, 0) || ', restored ' || coalesce(r.total, 0)
  FROM lots l
  LEFT JOIN (SELECT member_id, lot_id, sum(points) AS total FROM lot_consumptions
             GROUP BY member_id, lot_id) c ON c.member_id = l.member_id AND c.lot_id = l.id
  LEFT JOIN (SELECT member_id, lot_id, sum(points) AS total FROM lot_restorations
             WHERE lot_id = consumed_lot_id GROUP BY member_id, lot_id) r
    ON r.member_id = l.member_id AND r.lot_id = l.id
  WHERE l.points - l.remaining <> coalesce(c.total, 0) - coalesce(r.total, 0))~"},
    {"restorations_within_consumptions",
     "no refund restores more points to a lot than the purchase's debit consumed from it",
     R"~(
  SELECT 'transfer ' || c.transfer_id || ' lot ' || c.lot_id || ': consumed ' || c.points ||
         ', restored ' || r.total
  FROM lot_consumptions c
  JOIN (SELECT member_id, debit_transfer_id, consumed_lot_id, sum(points) AS total
        FROM lot_restorations GROUP BY member_id, debit_transfer_id, consumed_lot_id) r
    ON r.member_id = c.member_id AND r.debit_transfer_id = c.transfer_id
   AND r.consumed_lot_id = c.lot_id
  WHERE r.total > c.points)~"},
    {"debits_consume_lots",
     "every debit of a member takes exactly its points from the member's lots",
     R"~(
  SELECT 'transfer ' || t.id || ': points ' || t.points || ', consumed ' || coalesce(c.total, 0)
  FROM transfers t
  LEFT JOIN (SELECT member_id, transfer_id, sum(points) AS total FROM lot_consumptions
             GROUP BY member_id, transfer_id) c
    ON c.member_id = t.member_id AND c.transfer_id = t.id
  WHERE t.debit_account_id = t.member_id AND (
          (t.kind <> 'CLAWBACK' AND t.points <> coalesce(c.total, 0))
          OR (t.kind = 'CLAWBACK' AND coalesce(c.total, 0) > t.points)))~"},
    {"credits_create_lots",
     "every credit to a member created a lot of the same points (a refund: restored them)",
     R"~(
  SELECT 'transfer ' || t.id || ': points ' || t.points || ', lots ' || coalesce(l.total, 0) ||
         ', restored ' || coalesce(r.total, 0)
  FROM transfers t
  LEFT JOIN (SELECT member_id, source_transfer_id, sum(points) AS total FROM lots
             GROUP BY member_id, source_transfer_id) l
    ON l.member_id = t.member_id AND l.source_transfer_id = t.id
  LEFT JOIN (SELECT member_id, refund_transfer_id, sum(points) AS total FROM lot_restorations
             GROUP BY member_id, refund_transfer_id) r
    ON r.member_id = t.member_id AND r.refund_transfer_id = t.id
  WHERE t.credit_account_id = t.member_id
    AND ((t.kind <> 'REFUND' AND coalesce(l.total, 0) <> t.points)
         OR (t.kind = 'REFUND' AND coalesce(r.total, 0) <> t.points)))~"},
    {"purchases_match_transfers",
     "every purchase's points paid, earned, returned and clawed back equal its transfers",
     R"~(
  SELECT 'purchase ' || p.partner_id || '/' || p.receipt_id
  FROM purchases p
  LEFT JOIN (SELECT partner_id, receipt_id,
                    sum(points) FILTER (WHERE kind IN ('REDEMPTION', 'HOLD_CAPTURE')) AS paid,
                    sum(points) FILTER (WHERE kind = 'ACCRUAL') AS earned,
                    sum(points) FILTER (WHERE kind = 'REFUND') AS returned,
                    sum(points) FILTER (WHERE kind = 'CLAWBACK') AS clawed
             FROM transfers WHERE receipt_id IS NOT NULL GROUP BY partner_id, receipt_id) t
    ON t.partner_id = p.partner_id AND t.receipt_id = p.receipt_id
  WHERE p.points_paid <> coalesce(t.paid, 0) OR p.points_earned <> coalesce(t.earned, 0)
     OR p.points_returned <> coalesce(t.returned, 0)
     OR p.points_clawed_back <> coalesce(t.clawed, 0))~"},
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
      "verify", [this](pqxx::work& tx) -> domain::Result<domain::LedgerReport> {
        tx.exec("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY");
        // Whole-ledger scans outgrow the per-statement limit meant for
        // requests; this transaction gets its own (0: none).
        tx.exec("SET LOCAL statement_timeout = " +
                std::to_string(verify_statement_timeout_.count()));
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
