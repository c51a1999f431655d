// PgLedgerStore::BatchAccrue: a chunk of a partner's bulk accrual file in one
// transaction, set-based (COPY into temporary tables, then a few statements
// for the whole chunk) rather than Accrue's statements per line.
#include <algorithm>
#include <map>
#include <set>
#include <string_view>
#include <unordered_map>

#include "crypto/crypto.h"
#include "domain/rules.h"
#include "storage/pg_stores.h"
#include "storage/queries.h"
#include "storage/transaction_helpers.h"

namespace coalition::storage {

using domain::BulkAccrualOutcome;
using domain::Error;
using domain::MemberId;
using domain::Result;

namespace {

struct OwnEarn {
  int64_t points = 0;
  std::vector<domain::EarnComponent> breakdown;
};

// What a line earns under the partner's earn rules (none: the plain rate),
// broken down as Accrue breaks it down. Bulk applies no campaigns.
Result<OwnEarn> EarnUnderRules(const std::optional<domain::EarnRules>& rules,
                               const domain::AccrueCommand& line, int64_t plain_points) {
  if (!rules) return OwnEarn{plain_points, {{"base", 0, plain_points}}};
  domain::EarnInput input;
  input.amount_minor = line.amount.amount_minor;
  input.line_items = line.line_items;
  auto earned = domain::EvaluateEarn(*rules, input);
  if (!earned) return earned.error();
  OwnEarn own;
  own.points = earned->base_points + earned->multiplier_points + earned->tier_points;
  const int64_t capped = std::min(earned->capped_points, own.points);
  own.points -= capped;
  own.breakdown.push_back({"base", 0, earned->base_points});
  if (earned->multiplier_points != 0) {
    own.breakdown.push_back({"multiplier", 0, earned->multiplier_points});
  }
  if (earned->tier_points != 0) own.breakdown.push_back({"tier", 0, earned->tier_points});
  if (capped != 0) own.breakdown.push_back({"capped", 0, -capped});
  return own;
}

// The purchase a receipt's lines must agree with: the stored one, else the
// chunk's first line applied to it.
struct ReceiptTerms {
  MemberId member = 0;
  std::string currency_code;
  bool refunds_began = false;
};

std::optional<Error> ReceiptConflict(const ReceiptTerms& terms, MemberId member,
                                     const std::string& currency_code) {
  if (terms.member != member) {
    return Error::FailedPrecondition("RECEIPT_OF_ANOTHER_MEMBER",
                                     "this receipt_id is a purchase of another member");
  }
  if (terms.refunds_began) {
    return Error::FailedPrecondition("PURCHASE_ALREADY_REFUNDED",
                                     "a purchase cannot be paid towards once refunds began");
  }
  if (terms.currency_code != currency_code) {
    return Error::FailedPrecondition(
        "PURCHASE_TERMS_CHANGED",
        "the receipt was paid in another currency or at another point value");
  }
  return std::nullopt;
}

std::string BigintArray(const std::vector<MemberId>& ids) {
  std::string text = "{";
  for (size_t i = 0; i < ids.size(); ++i) {
    if (i != 0) text.push_back(',');
    text += std::to_string(ids[i]);
  }
  text.push_back('}');
  return text;
}

}  // namespace

Result<std::vector<BulkAccrualOutcome>> PgLedgerStore::BatchAccrue(
    const domain::Partner& partner, const std::vector<domain::AccrueCommand>& lines,
    const std::vector<int64_t>& plain_points, domain::Timestamp now,
    const domain::CreditTerms& terms) {
  using Outcome = BulkAccrualOutcome;
  if (lines.size() != plain_points.size()) return Error::Internal("one plain earning per line");
  return database_.Transact<std::vector<Outcome>>(
      "batch_accrue", [&](pqxx::work& tx) -> Result<std::vector<Outcome>> {
        std::vector<Outcome> outcomes(lines.size());
        std::vector<std::string> hashes(lines.size());
        for (size_t i = 0; i < lines.size(); ++i) {
          hashes[i] = crypto::HexEncode(lines[i].key.request_hash);
        }

        // Rules in force now, read once for the whole chunk.
        std::optional<domain::EarnRules> rules;
        const auto earn_terms = tx.exec_prepared1("live_earn_terms", partner.id, ToMicros(now));
        if (!earn_terms[0].is_null()) rules = DecodeEarnRules(earn_terms[0].as<std::string>());

        tx.exec(sql::kBulkCreateLines);
        {
          pqxx::stream_to copy(tx, "bulk_accrual_lines",
                               std::vector<std::string>{"line_no", "request_id", "card_number",
                                                        "receipt_id"});
          for (size_t i = 0; i < lines.size(); ++i) {
            copy << std::make_tuple(static_cast<int64_t>(i), lines[i].key.request_id,
                                    lines[i].card_number, lines[i].receipt_id);
          }
          copy.complete();
        }

        // Earlier requests with the same id are answered (or refused) as
        // Accrue answers them; unknown cards are refused.
        std::vector<MemberId> member_of(lines.size(), 0);
        std::vector<bool> to_apply(lines.size(), false);
        for (const auto& row : tx.exec_params(sql::kBulkResolveLines, partner.id)) {
          const auto i = row[0].as<size_t>();
          auto& outcome = outcomes[i];
          if (!row[2].is_null()) {
            if (row[2].as<std::string>() != hashes[i]) {
              outcome.error = Error::AlreadyExists(
                  "REQUEST_ID_REUSED", "request_id was already used for a different request");
            } else if (row[3].is_null()) {
              outcome.error = Error::Internal("stored request has no response");
            } else {
              outcome.kind = Outcome::Kind::kReplayed;
              DecodeResult(row[3].as<std::string>(), outcome.result);
            }
            continue;
          }
          if (row[1].is_null()) {
            outcome.error = MemberNotFound();
            continue;
          }
          member_of[i] = row[1].as<MemberId>();
          to_apply[i] = true;
        }

        for (size_t i = 0; i < lines.size(); ++i) {
          if (!to_apply[i]) continue;
          auto earned = EarnUnderRules(rules, lines[i], plain_points[i]);
          if (!earned) {
            outcomes[i].error = earned.error();
            to_apply[i] = false;
            continue;
          }
          outcomes[i].result.member_id = member_of[i];
          outcomes[i].result.points_earned = earned->points;
          outcomes[i].result.breakdown = std::move(earned->breakdown);
        }

        std::vector<MemberId> members;
        for (size_t i = 0; i < lines.size(); ++i) {
          if (to_apply[i]) members.push_back(member_of[i]);
        }
        std::sort(members.begin(), members.end());
        members.erase(std::unique(members.begin(), members.end()), members.end());
        if (members.empty()) return outcomes;

        std::unordered_map<MemberId, int64_t> balance;
        std::vector<MemberId> in_debt;
        for (const auto& row : tx.exec_params(sql::kBulkLockMembers, BigintArray(members))) {
          balance[row[0].as<MemberId>()] = row[1].as<int64_t>();
          if (row[2].as<int64_t>() > 0) in_debt.push_back(row[0].as<MemberId>());
        }

        // Receipts: the same checks as Accrue's purchase, under the
        // purchases' locks, and between the chunk's own lines.
        std::map<std::string, ReceiptTerms> receipts;
        for (const auto& row : tx.exec_params(sql::kBulkLockPurchases, partner.id)) {
          receipts[row[0].as<std::string>()] = {row[1].as<MemberId>(), row[2].as<std::string>(),
                                                row[3].as<int64_t>() > 0};
        }
        for (size_t i = 0; i < lines.size(); ++i) {
          const auto& line = lines[i];
          if (!to_apply[i] || line.receipt_id.empty()) continue;
          const auto [known, added] = receipts.try_emplace(
              line.receipt_id, ReceiptTerms{member_of[i], line.amount.currency_code, false});
          if (added) continue;
          if (auto conflict =
                  ReceiptConflict(known->second, member_of[i], line.amount.currency_code)) {
            outcomes[i].error = *conflict;
            to_apply[i] = false;
          }
        }

        size_t transfers = 0;
        for (size_t i = 0; i < lines.size(); ++i) {
          if (to_apply[i] && outcomes[i].result.points_earned > 0) ++transfers;
        }
        std::vector<int64_t> transfer_ids;
        transfer_ids.reserve(transfers);
        if (transfers > 0) {
          for (const auto& row :
               tx.exec_params(sql::kBulkTransferIds, static_cast<int64_t>(transfers))) {
            transfer_ids.push_back(row[0].as<int64_t>());
          }
        }

        // Each line's balance is the member's after the lines before it, in
        // file order, as if they had been sent one by one.
        tx.exec(sql::kBulkCreateApplied);
        size_t applied = 0;
        {
          pqxx::stream_to copy(
              tx, "bulk_accrual_applied",
              std::vector<std::string>{"request_id", "request_hash", "method", "member_id",
                                       "transfer_id", "points", "amount_minor", "currency_code",
                                       "store_id", "receipt_id", "occurred_at_set",
                                       "occurred_at", "response"});
          size_t next_transfer = 0;
          for (size_t i = 0; i < lines.size(); ++i) {
            if (!to_apply[i]) continue;
            const auto& line = lines[i];
            auto& outcome = outcomes[i];
            outcome.kind = Outcome::Kind::kApplied;
            int64_t transfer_id = 0;
            if (outcome.result.points_earned > 0) {
              transfer_id = transfer_ids[next_transfer++];
              outcome.result.transfer_id = transfer_id;
            }
            auto& member_balance = balance[member_of[i]];
            member_balance += outcome.result.points_earned;
            outcome.result.balance = member_balance;
            copy << std::make_tuple(
                line.key.request_id, hashes[i], line.key.method, member_of[i], transfer_id,
                outcome.result.points_earned, line.amount.amount_minor, line.amount.currency_code,
                line.store_id, line.receipt_id, line.occurred_at.has_value(),
                line.occurred_at ? ToMicros(*line.occurred_at) : int64_t{0},
                EncodeResult(outcome.result));
            ++applied;
          }
          copy.complete();
        }
        if (applied == 0) return outcomes;

        const auto claimed =
            tx.exec_params(sql::kBulkClaim, partner.id).affected_rows();
        if (claimed != applied) {
          // A live request took one of these request_ids after the chunk
          // looked: start over, and that line will be answered as a repeat.
          throw pqxx::serialization_failure("bulk accrual: a request_id was claimed concurrently");
        }
        if (transfers > 0) {
          tx.exec_params(sql::kBulkPostTransfers, partner.id, partner.issuance_account_id,
                         ToMicros(terms.lot_expires_at));
          tx.exec_params(sql::kBulkCreditMembers, ToMicros(now));
        }
        std::set<std::string_view> receipts_applied;
        for (size_t i = 0; i < lines.size(); ++i) {
          if (to_apply[i] && !lines[i].receipt_id.empty()) {
            receipts_applied.insert(lines[i].receipt_id);
          }
        }
        if (tx.exec_params(sql::kBulkAddPurchases, partner.id).affected_rows() !=
            receipts_applied.size()) {
          // A purchase that did not exist when the chunk locked receipts was
          // created since, on other terms: start over under its lock.
          throw pqxx::serialization_failure("bulk accrual: a purchase was created concurrently");
        }
        for (const MemberId member : in_debt) RepayDebt(tx, member);
        return outcomes;
      });
}

}  // namespace coalition::storage
