#pragma once

// Steps shared by the ledger's transactions (storage-internal).
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "crypto/crypto.h"
#include "domain/currency.h"
#include "domain/error.h"
#include "domain/model.h"
#include "domain/refund.h"
#include "storage/result_codec.h"

namespace coalition::storage {

inline domain::Timestamp FromMicros(int64_t micros) {
  return domain::Timestamp(std::chrono::microseconds(micros));
}

inline std::optional<int64_t> ToMicros(const std::optional<domain::Timestamp>& time) {
  if (!time) return std::nullopt;
  return time->time_since_epoch().count();
}

// Refund policies as the database spells them.
inline const char* RefundPolicyName(domain::RefundPolicy policy) {
  switch (policy) {
    case domain::RefundPolicy::kProportional: return "PROPORTIONAL";
    case domain::RefundPolicy::kCashFirst: return "CASH_FIRST";
    case domain::RefundPolicy::kPointsFirst: return "POINTS_FIRST";
    case domain::RefundPolicy::kPointsForfeited: return "POINTS_FORFEITED";
  }
  return "PROPORTIONAL";
}

inline domain::RefundPolicy ParseRefundPolicy(const std::string& name) {
  if (name == "CASH_FIRST") return domain::RefundPolicy::kCashFirst;
  if (name == "POINTS_FIRST") return domain::RefundPolicy::kPointsFirst;
  if (name == "POINTS_FORFEITED") return domain::RefundPolicy::kPointsForfeited;
  return domain::RefundPolicy::kProportional;
}

inline domain::Error MemberNotFound() { return domain::Error::NotFound("MEMBER_NOT_FOUND", "member not found"); }

// The outcome for a request whose (partner, request_id) was claimed before:
// the stored result of the earlier identical request, or REQUEST_ID_REUSED.
template <typename T>
domain::Result<T> AnswerRepeat(pqxx::work& tx, const domain::Partner& partner,
                               const domain::RequestKey& key) {
  const auto stored = tx.exec_prepared1("find_request", partner.id, key.request_id);
  if (stored[1].as<std::string>() != crypto::HexEncode(key.request_hash)) {
    return domain::Error::AlreadyExists(
        "REQUEST_ID_REUSED", "request_id was already used for a different request");
  }
  if (stored[2].is_null()) return domain::Error::Internal("stored request has no response");
  T result;
  DecodeResult(stored[2].as<std::string>(), result);
  return result;
}

// Claims the request for this transaction. Returns nothing when this
// transaction now owns it, or the outcome to give the caller instead: the
// stored result of the earlier identical request, or REQUEST_ID_REUSED.
template <typename T>
std::optional<domain::Result<T>> ClaimRequest(pqxx::work& tx, const domain::Partner& partner,
                                      const domain::RequestKey& key) {
  const std::string hash_hex = crypto::HexEncode(key.request_hash);
  if (!tx.exec_prepared("claim_request", partner.id, key.request_id, key.method, hash_hex)
           .empty()) {
    return std::nullopt;
  }
  return AnswerRepeat<T>(tx, partner, key);
}

template <typename T>
void StoreResponse(pqxx::work& tx, const domain::Partner& partner,
                   const domain::RequestKey& key, const T& result) {
  tx.exec_prepared0("store_response", partner.id, key.request_id, EncodeResult(result));
}

template <typename Tx>
std::optional<domain::MemberId> ResolveMember(Tx& tx, const domain::MemberRef& ref) {
  if (ref.member_id) {
    if (tx.exec_prepared("member_exists", *ref.member_id).empty()) return std::nullopt;
    return *ref.member_id;
  }
  const auto rows = tx.exec_prepared("find_card", ref.card_number);
  if (rows.empty()) return std::nullopt;
  return rows[0][0].template as<domain::MemberId>();
}


inline int64_t ToMicros(domain::Timestamp time) { return time.time_since_epoch().count(); }

// Releases the member's open holds that expired by `now`; returns how many.
// Locks the member row first, in the same order as capture and void (member,
// then hold), so the sweeper and live traffic never deadlock on each other.
inline int64_t ReleaseExpiredHolds(pqxx::work& tx, domain::MemberId member,
                                   domain::Timestamp now) {
  tx.exec_prepared1("lock_member", member);
  return tx.exec_prepared1("expire_member_holds", member, ToMicros(now))[2].as<int64_t>();
}

// Runs `reserve` (a guarded update that returns no row when the member lacks
// available points); if it fails, releases the member's expired holds and,
// if that freed anything, tries once more.
inline pqxx::result ReserveReleasingExpired(pqxx::work& tx, domain::MemberId member,
                                            domain::Timestamp now,
                                            const std::function<pqxx::result()>& reserve) {
  auto reserved = reserve();
  if (!reserved.empty()) return reserved;
  if (ReleaseExpiredHolds(tx, member, now) == 0) return reserved;
  return reserve();
}

// A debit of a member to a system account.
struct Debit {
  int64_t account = 0;
  int64_t points = 0;
  const char* kind = "";
  std::string request_id;
  std::string reference;
  std::string receipt_id;  // empty: none
  // Points to take from lots: all of them, except for a clawback's part
  // that becomes debt.
  std::optional<int64_t> from_lots;
};

// Posts a debit of the member (already taken off the balance) and consumes
// the member's lots for it. Returns the transfer id, or an error when the
// lots do not cover the points: balance and lots disagree, so the caller
// must roll back rather than post an unbacked debit.
inline domain::Result<domain::TransferId> RecordDebit(pqxx::work& tx, domain::MemberId member,
                                                      const domain::Partner& partner,
                                                      const Debit& debit) {
  const int64_t from_lots = debit.from_lots.value_or(debit.points);
  const auto recorded = tx.exec_prepared1(
      "record_debit", member, debit.account, debit.points, debit.kind, partner.id,
      debit.request_id, debit.reference, from_lots,
      debit.receipt_id.empty() ? std::optional<std::string>() : debit.receipt_id);
  if (recorded[1].as<int64_t>() != from_lots) {
    return domain::Error::Internal("member lots do not cover the balance");
  }
  return recorded[0].as<int64_t>();
}

struct MemberBalances {
  int64_t balance = 0;
  int64_t held = 0;
  int64_t debt = 0;
};

inline MemberBalances BalancesFromRow(const pqxx::row& row) {
  return {row[0].as<int64_t>(), row[1].as<int64_t>(), row[2].as<int64_t>()};
}

// After a credit: repays clawback debt from the member's free lot points
// (those not covering open holds), oldest clawback first, so later credits
// pay off debt before they can be spent. Returns the balances afterwards.
inline MemberBalances RepayDebt(pqxx::work& tx, domain::MemberId member) {
  auto balances = BalancesFromRow(tx.exec_prepared1("lock_member", member));
  const int64_t free_points = balances.balance + balances.debt - balances.held;
  if (balances.debt == 0 || free_points <= 0) return balances;
  std::vector<int64_t> clawback_ids;
  std::vector<int64_t> owed;
  for (const auto& row : tx.exec_prepared("outstanding_clawbacks", member)) {
    if (row[1].as<int64_t>() <= 0) continue;
    clawback_ids.push_back(row[0].as<int64_t>());
    owed.push_back(row[1].as<int64_t>());
  }
  std::vector<int64_t> lot_ids;
  std::vector<int64_t> lot_points;
  for (const auto& row : tx.exec_prepared("open_lots", member)) {
    lot_ids.push_back(row[0].as<int64_t>());
    lot_points.push_back(row[1].as<int64_t>());
  }
  int64_t repaid = 0;
  for (const auto& allocation : domain::AllocateInOrder(owed, lot_points,
                                                        std::min(balances.debt, free_points))) {
    tx.exec_prepared0("repay_from_lot", member, clawback_ids[allocation.need],
                      lot_ids[allocation.supply], allocation.amount);
    repaid += allocation.amount;
  }
  if (repaid == 0) return balances;
  return BalancesFromRow(tx.exec_prepared1("reduce_debt", member, repaid));
}

// Why a payment could not be added to the receipt's purchase.
inline domain::Error PurchaseConflict(pqxx::work& tx, const domain::Partner& partner,
                                      const std::string& receipt_id, domain::MemberId member) {
  const auto row = tx.exec_prepared1("find_purchase", partner.id, receipt_id);
  if (row[0].as<int64_t>() != member) {
    return domain::Error::FailedPrecondition("RECEIPT_OF_ANOTHER_MEMBER",
                                             "this receipt_id is a purchase of another member");
  }
  if (row[7].as<int64_t>() > 0) {
    return domain::Error::FailedPrecondition(
        "PURCHASE_ALREADY_REFUNDED", "a purchase cannot be paid towards once refunds began");
  }
  return domain::Error::FailedPrecondition(
      "PURCHASE_TERMS_CHANGED",
      "the receipt was paid in another currency or at another point value");
}

// Adds an accrual's cash and earned points to its receipt's purchase.
inline std::optional<domain::Error> AddPurchaseCash(pqxx::work& tx, const domain::Partner& partner,
                                                    const domain::AccrueCommand& command,
                                                    domain::MemberId member, int64_t earned) {
  if (command.receipt_id.empty()) return std::nullopt;
  if (!tx.exec_prepared("add_purchase_cash", partner.id, command.receipt_id, member,
                        command.amount.currency_code, command.amount.amount_minor, earned)
           .empty()) {
    return std::nullopt;
  }
  return PurchaseConflict(tx, partner, command.receipt_id, member);
}

// Adds points paid to the receipt's purchase (none: not paid towards one).
inline std::optional<domain::Error> AddPurchasePoints(
    pqxx::work& tx, const domain::Partner& partner, const std::string& receipt_id,
    domain::MemberId member, int64_t points, const std::optional<domain::PurchaseTerms>& terms) {
  if (receipt_id.empty()) return std::nullopt;
  if (!terms) return domain::Error::Internal("points paid towards a receipt without terms");
  if (!domain::PointsValueMinor(points, terms->point_value_micros,
                                domain::MinorUnitMicros(terms->currency_code))) {
    return domain::Error::FailedPrecondition(
        "POINTS_VALUE_NOT_WHOLE",
        "points paid towards a receipt must be worth a whole number of minor units at the "
        "partner's point value (pay an option from QuotePrice)");
  }
  if (!tx.exec_prepared("add_purchase_points", partner.id, receipt_id, member,
                        terms->currency_code, points, terms->point_value_micros,
                        RefundPolicyName(terms->refund_policy))
           .empty()) {
    return std::nullopt;
  }
  return PurchaseConflict(tx, partner, receipt_id, member);
}

}  // namespace coalition::storage
