// Purchases and their refunds (SPEC §4). A refund locks the member row, then
// the purchase row, so it serialises with every other move of the member's
// points and with any other refund of the same purchase.
#include "storage/pg_stores.h"
#include "storage/transaction_helpers.h"

namespace coalition::storage {

using domain::Error;
using domain::Result;

namespace {

Error PurchaseNotFound() {
  return Error::NotFound("PURCHASE_NOT_FOUND", "no purchase with this receipt_id at this partner");
}

domain::PurchaseView PurchaseFromRow(const std::string& receipt_id, const pqxx::row& row) {
  domain::PurchaseView purchase;
  purchase.receipt_id = receipt_id;
  purchase.member_id = row[0].as<int64_t>();
  purchase.currency_code = row[1].as<std::string>();
  auto& totals = purchase.totals;
  totals.cash_paid_minor = row[2].as<int64_t>();
  totals.points_paid = row[3].as<int64_t>();
  totals.points_earned = row[4].as<int64_t>();
  if (!row[5].is_null()) purchase.point_value_micros = row[5].as<int64_t>();
  if (!row[6].is_null()) purchase.refund_policy = ParseRefundPolicy(row[6].as<std::string>());
  totals.amount_refunded_minor = row[7].as<int64_t>();
  totals.cash_returned_minor = row[8].as<int64_t>();
  totals.points_returned = row[9].as<int64_t>();
  totals.points_clawed_back = row[10].as<int64_t>();
  // Every points payment was checked to be worth whole minor units.
  totals.price_minor =
      totals.cash_paid_minor +
      (purchase.point_value_micros
           ? domain::PointsValueMinor(totals.points_paid, *purchase.point_value_micros,
                                      domain::MinorUnitMicros(purchase.currency_code))
                 .value_or(0)
           : 0);
  return purchase;
}

// Puts `points` back into the lots the purchase's debits consumed, last
// consumed first; a lot that expired meanwhile comes back as a new lot of the
// same issuer expiring at `grace_expires_at`.
Result<domain::Ok> RestoreLots(pqxx::work& tx, const domain::Partner& partner,
                               const domain::PurchaseView& purchase, int64_t points,
                               domain::TransferId refund_transfer, domain::Timestamp now,
                               domain::Timestamp grace_expires_at) {
  const auto member = purchase.member_id;
  int64_t left = points;
  for (const auto& row : tx.exec_prepared("restorable_consumptions", member, partner.id,
                                          purchase.receipt_id, ToMicros(now))) {
    if (left == 0) break;
    const int64_t amount = std::min(left, row[2].as<int64_t>());
    if (amount <= 0) continue;
    const auto debit_transfer = row[0].as<int64_t>();
    const auto consumed_lot = row[1].as<int64_t>();
    int64_t restored_lot = consumed_lot;
    if (row[3].as<bool>()) {
      restored_lot = tx.exec_prepared1("insert_grace_lot", member,
                                       row[4].is_null() ? std::optional<int64_t>()
                                                        : row[4].as<int64_t>(),
                                       amount, ToMicros(now), ToMicros(grace_expires_at),
                                       refund_transfer)[0]
                         .as<int64_t>();
    } else {
      tx.exec_prepared0("restore_lot", member, consumed_lot, amount);
    }
    tx.exec_prepared0("insert_restoration", member, refund_transfer, debit_transfer,
                      consumed_lot, restored_lot, amount);
    left -= amount;
  }
  if (left != 0) return Error::Internal("the purchase's debits do not cover the points returned");
  return domain::Ok{};
}

}  // namespace

Result<domain::PurchaseView> PgLedgerStore::GetPurchase(const domain::Partner& partner,
                                                        const std::string& receipt_id) {
  return database_.Read<domain::PurchaseView>(
      "get_purchase", [&](pqxx::nontransaction& tx) -> Result<domain::PurchaseView> {
        const auto rows = tx.exec_prepared("find_purchase", partner.id, receipt_id);
        if (rows.empty()) return PurchaseNotFound();
        return PurchaseFromRow(receipt_id, rows[0]);
      });
}

Result<domain::RefundResult> PgLedgerStore::RefundPurchase(const domain::Partner& partner,
                                                           const domain::RefundCommand& command,
                                                           domain::Timestamp now,
                                                           domain::Timestamp grace_expires_at) {
  return database_.Transact<domain::RefundResult>(
      "refund_purchase", [&](pqxx::work& tx) -> Result<domain::RefundResult> {
        if (auto earlier = ClaimRequest<domain::RefundResult>(tx, partner, command.key)) {
          return std::move(*earlier);
        }
        const auto found = tx.exec_prepared("find_purchase", partner.id, command.receipt_id);
        if (found.empty()) return PurchaseNotFound();
        const auto member = found[0][0].as<int64_t>();
        tx.exec_prepared1("lock_member", member);
        auto purchase = PurchaseFromRow(
            command.receipt_id, tx.exec_prepared1("lock_purchase", partner.id, command.receipt_id));
        if (command.amount && command.amount->currency_code != purchase.currency_code) {
          return Error::InvalidArgument("amount.currency_code",
                                        "must be the currency of the purchase");
        }
        const auto outcome = domain::ComputeRefund(
            purchase.totals,
            command.amount ? std::optional<int64_t>(command.amount->amount_minor) : std::nullopt,
            purchase.refund_policy.value_or(domain::RefundPolicy::kProportional),
            purchase.point_value_micros.value_or(1),
            domain::MinorUnitMicros(purchase.currency_code));
        if (!outcome) return outcome.error();

        domain::RefundResult result;
        result.outcome = *outcome;
        if (outcome->points_to_return > 0) {
          const auto refund_transfer =
              tx.exec_prepared1("record_refund", member, partner.redemption_account_id,
                                outcome->points_to_return, partner.id, command.key.request_id,
                                command.receipt_id)[0]
                  .as<int64_t>();
          result.refund_transfer_id = refund_transfer;
          auto restored = RestoreLots(tx, partner, purchase, outcome->points_to_return,
                                      refund_transfer, now, grace_expires_at);
          if (!restored) return restored.error();
        }
        if (outcome->points_to_claw_back > 0) {
          // Only the member's free lot points back the clawback; points
          // covering open holds stay with their holds, the rest is debt.
          const auto before = BalancesFromRow(tx.exec_prepared1("lock_member", member));
          const int64_t free_points = std::max<int64_t>(0, before.balance + before.debt - before.held);
          const int64_t from_lots = std::min(outcome->points_to_claw_back, free_points);
          const auto recorded = RecordDebit(
              tx, member, partner,
              Debit{partner.issuance_account_id, outcome->points_to_claw_back, "CLAWBACK",
                    command.key.request_id, {}, command.receipt_id, from_lots});
          if (!recorded) return recorded.error();
          result.clawback_transfer_id = *recorded;
          tx.exec_prepared1("claw_back", member, outcome->points_to_claw_back,
                            outcome->points_to_claw_back - from_lots);
          // Qualifying points are net of clawbacks, counted in the month of
          // the return; a lower total shows at the next tier review.
          AddQualifyingPoints(tx, member, -outcome->points_to_claw_back, now);
        }
        const auto balances = RepayDebt(tx, member);
        tx.exec_prepared0("update_purchase_refunded", partner.id, command.receipt_id,
                          outcome->amount_refunded_minor, outcome->cash_to_return_minor,
                          outcome->points_to_return, outcome->points_to_claw_back);
        result.purchase = PurchaseFromRow(
            command.receipt_id, tx.exec_prepared1("find_purchase", partner.id, command.receipt_id));
        result.balance = balances.balance;
        result.available = balances.balance - balances.held;
        result.debt = balances.debt;
        StoreResponse(tx, partner, command.key, result);
        return result;
      });
}

}  // namespace coalition::storage
