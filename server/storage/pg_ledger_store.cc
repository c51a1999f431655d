#include <sstream>

#include "storage/pg_stores.h"
#include "storage/transaction_helpers.h"

namespace coalition::storage {

using domain::Error;
using domain::MemberId;
using domain::Result;

namespace {

// Enrols the card, or finds the member a concurrent request just enrolled it
// to. The bool says whether this call created the member.
std::pair<MemberId, bool> EnrollCard(pqxx::work& tx, const std::string& card_number,
                                     domain::PartnerId partner) {
  const auto created = tx.exec_prepared("enroll_card", card_number, partner);
  if (!created.empty()) return {created[0][0].as<MemberId>(), true};
  return {tx.exec_prepared1("find_card", card_number)[0].as<MemberId>(), false};
}

template <typename Tx>
std::optional<domain::MemberView> LoadMember(Tx& tx, MemberId id, domain::Timestamp now) {
  const auto rows = tx.exec_prepared("get_member", id, ToMicros(now));
  if (rows.empty()) return std::nullopt;
  const auto& row = rows[0];
  domain::MemberView member;
  member.id = row[0].template as<MemberId>();
  member.balance = row[1].template as<int64_t>();
  member.held = row[2].template as<int64_t>();
  member.enrolled_at = FromMicros(row[3].template as<int64_t>());
  std::stringstream cards(row[4].template as<std::string>());
  for (std::string card; std::getline(cards, card, ',');) member.card_numbers.push_back(card);
  return member;
}

}  // namespace

Result<domain::EnrollResult> PgLedgerStore::Enroll(const domain::Partner& partner,
                                                   const domain::EnrollCommand& command) {
  return database_.Transact<domain::EnrollResult>(
      "enroll_member", [&](pqxx::work& tx) -> Result<domain::EnrollResult> {
        if (auto earlier = ClaimRequest<domain::EnrollResult>(tx, partner, command.key)) {
          return std::move(*earlier);
        }
        const auto [member_id, created] = EnrollCard(tx, command.card_number, partner.id);
        if (!created) {
          return Error::AlreadyExists("CARD_ALREADY_ENROLLED",
                                      "this card already belongs to a member");
        }
        if (!command.profile.empty()) {
          InsertSealedProfile(tx, pii_keys_, member_id, partner.id, command.profile);
        }
        // A new member has no holds: the time only matters for their expiry.
        domain::EnrollResult result{*LoadMember(tx, member_id, domain::Timestamp{})};
        StoreResponse(tx, partner, command.key, result);
        return result;
      });
}

Result<domain::MemberView> PgLedgerStore::GetMember(const domain::MemberRef& ref,
                                                    domain::Timestamp now) {
  return database_.Read<domain::MemberView>(
      "get_member", [&](pqxx::nontransaction& tx) -> Result<domain::MemberView> {
        const auto id = ResolveMember(tx, ref);
        if (!id) return MemberNotFound();
        auto member = LoadMember(tx, *id, now);
        if (!member) return MemberNotFound();
        return *member;
      });
}

Result<domain::AccrueResult> PgLedgerStore::Accrue(const domain::Partner& partner,
                                                   const domain::AccrueCommand& command,
                                                   int64_t points) {
  return database_.Transact<domain::AccrueResult>(
      "accrue", [&](pqxx::work& tx) -> Result<domain::AccrueResult> {
        if (auto earlier = ClaimRequest<domain::AccrueResult>(tx, partner, command.key)) {
          return std::move(*earlier);
        }
        domain::AccrueResult result;
        if (auto found = ResolveMember(tx, domain::MemberRef{command.card_number, {}})) {
          result.member_id = *found;
        } else if (partner.auto_enroll) {
          std::tie(result.member_id, result.member_enrolled) =
              EnrollCard(tx, command.card_number, partner.id);
        } else {
          return MemberNotFound();
        }
        result.points_earned = points;
        if (points > 0) {
          const auto row = tx.exec_prepared1(
              "accrue", result.member_id, partner.issuance_account_id, points, partner.id,
              command.key.request_id, command.amount.amount_minor, command.amount.currency_code,
              command.store_id, command.receipt_id, ToMicros(command.occurred_at));
          result.transfer_id = row[0].as<int64_t>();
          result.balance = row[1].as<int64_t>();
        } else {
          result.balance = tx.exec_prepared1("member_balance", result.member_id)[0].as<int64_t>();
        }
        StoreResponse(tx, partner, command.key, result);
        return result;
      });
}

Result<domain::RedeemResult> PgLedgerStore::Redeem(const domain::Partner& partner,
                                                   const domain::RedeemCommand& command,
                                                   domain::Timestamp now) {
  return database_.Transact<domain::RedeemResult>(
      "redeem", [&](pqxx::work& tx) -> Result<domain::RedeemResult> {
        if (auto earlier = ClaimRequest<domain::RedeemResult>(tx, partner, command.key)) {
          return std::move(*earlier);
        }
        const auto member_id = ResolveMember(tx, command.member);
        if (!member_id) return MemberNotFound();
        const auto debited = ReserveReleasingExpired(tx, *member_id, now, [&] {
          return tx.exec_prepared("debit_member", *member_id, command.points);
        });
        if (debited.empty()) {
          const auto available =
              tx.exec_prepared1("member_available", *member_id)[0].as<int64_t>();
          return Error::FailedPrecondition(
              "INSUFFICIENT_POINTS", "available points (" + std::to_string(available) +
                                         ") are fewer than requested (" +
                                         std::to_string(command.points) + ")");
        }
        domain::RedeemResult result;
        result.member_id = *member_id;
        result.points_redeemed = command.points;
        result.balance = debited[0][0].as<int64_t>();
        result.available = result.balance - debited[0][1].as<int64_t>();
        const auto recorded =
            RecordDebit(tx, *member_id, partner.redemption_account_id, command.points,
                        "REDEMPTION", partner, command.key.request_id, command.reference);
        if (!recorded) return recorded.error();
        result.transfer_id = *recorded;
        StoreResponse(tx, partner, command.key, result);
        return result;
      });
}

Result<std::pair<MemberId, domain::TransactionPage>> PgLedgerStore::ListTransactions(
    const domain::Partner& partner, const domain::MemberRef& ref, domain::TransferId before,
    int page_size) {
  using Page = std::pair<MemberId, domain::TransactionPage>;
  return database_.Read<Page>("list_transactions", [&](pqxx::nontransaction& tx) -> Result<Page> {
    const auto member_id = ResolveMember(tx, ref);
    if (!member_id) return MemberNotFound();
    const auto rows =
        tx.exec_prepared("list_transactions", *member_id, partner.id, before, page_size + 1);
    domain::TransactionPage page;
    for (const auto& row : rows) {
      if (static_cast<int>(page.transactions.size()) == page_size) {
        page.next_after = page.transactions.back().id;
        break;
      }
      domain::TransactionView view;
      view.id = row[0].as<int64_t>();
      const auto kind = row[1].as<std::string>();
      view.kind = kind == "ACCRUAL"      ? domain::TransferKind::kAccrual
                  : kind == "REDEMPTION" ? domain::TransferKind::kRedemption
                                         : domain::TransferKind::kHoldCapture;
      view.points = row[2].as<int64_t>();
      view.balance_delta = row[3].as<bool>() ? view.points : -view.points;
      view.request_id = row[4].as<std::string>();
      if (!row[5].is_null()) view.amount = domain::Money{row[6].as<std::string>(), row[5].as<int64_t>()};
      view.store_id = row[7].as<std::string>();
      view.receipt_id = row[8].as<std::string>();
      view.reference = row[9].as<std::string>();
      view.created_at = FromMicros(row[10].as<int64_t>());
      page.transactions.push_back(std::move(view));
    }
    return Page{*member_id, std::move(page)};
  });
}

}  // namespace coalition::storage
