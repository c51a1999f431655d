// Holds: reserve, capture, void and expire. Every step locks the member row
// first and the hold row second, so concurrent capture, void and expiry of
// one hold are serialised and exactly one of them closes it.
#include "storage/pg_stores.h"
#include "storage/transaction_helpers.h"

namespace coalition::storage {

using domain::Error;
using domain::Result;

namespace {

domain::HoldStatus ParseHoldStatus(const std::string& status) {
  if (status == "OPEN") return domain::HoldStatus::kOpen;
  if (status == "CAPTURED") return domain::HoldStatus::kCaptured;
  if (status == "VOIDED") return domain::HoldStatus::kVoided;
  return domain::HoldStatus::kExpired;
}

domain::HoldView HoldFromRow(const pqxx::row& row) {
  domain::HoldView hold;
  hold.id = row[0].as<int64_t>();
  hold.member_id = row[1].as<int64_t>();
  hold.points = row[2].as<int64_t>();
  hold.status = ParseHoldStatus(row[3].as<std::string>());
  hold.created_at = FromMicros(row[4].as<int64_t>());
  hold.expires_at = FromMicros(row[5].as<int64_t>());
  hold.captured_points = row[6].as<int64_t>();
  if (!row[7].is_null()) hold.capture_transfer_id = row[7].as<int64_t>();
  hold.reference = row[8].as<std::string>();
  return hold;
}

Error HoldNotFound() { return Error::NotFound("HOLD_NOT_FOUND", "hold not found"); }

// Why a hold can no longer be captured or voided, or nothing if it can.
std::optional<Error> ClosedHoldError(const domain::HoldView& hold, domain::Timestamp now) {
  if (hold.status == domain::HoldStatus::kOpen && hold.expires_at > now) return std::nullopt;
  switch (hold.status) {
    case domain::HoldStatus::kCaptured:
      return Error::FailedPrecondition("HOLD_CAPTURED", "the hold was already captured");
    case domain::HoldStatus::kVoided:
      return Error::FailedPrecondition("HOLD_VOIDED", "the hold was voided");
    default:
      return Error::FailedPrecondition("HOLD_EXPIRED", "the hold expired");
  }
}

// Finds the calling partner's hold and locks member then hold.
std::optional<domain::HoldView> LockHold(pqxx::work& tx, const domain::Partner& partner,
                                         domain::HoldId hold_id) {
  const auto found = tx.exec_prepared("find_hold", hold_id, partner.id);
  if (found.empty()) return std::nullopt;
  const auto member_id = found[0][0].as<int64_t>();
  tx.exec_prepared1("lock_member", member_id);
  return HoldFromRow(tx.exec_prepared1("lock_hold", member_id, hold_id));
}

}  // namespace

Result<domain::HoldResult> PgLedgerStore::HoldPoints(const domain::Partner& partner,
                                                     const domain::HoldCommand& command,
                                                     domain::Timestamp now,
                                                     domain::Timestamp expires_at) {
  return database_.Transact<domain::HoldResult>(
      "hold_points", [&](pqxx::work& tx) -> Result<domain::HoldResult> {
        if (auto earlier = ClaimRequest<domain::HoldResult>(tx, partner, command.key)) {
          return std::move(*earlier);
        }
        const auto member_id = ResolveMember(tx, command.member);
        if (!member_id) return MemberNotFound();
        const auto reserved = ReserveReleasingExpired(tx, *member_id, now, [&] {
          return tx.exec_prepared("reserve_held", *member_id, command.points);
        });
        if (reserved.empty()) {
          return Error::FailedPrecondition("INSUFFICIENT_POINTS",
                                           "available points are fewer than requested");
        }
        const auto hold_id =
            tx.exec_prepared1("insert_hold", *member_id, partner.id, command.points,
                              command.key.request_id, command.reference, ToMicros(now),
                              ToMicros(expires_at))[0]
                .as<int64_t>();
        domain::HoldResult result;
        result.hold = HoldFromRow(tx.exec_prepared1("get_hold", *member_id, hold_id));
        result.available = reserved[0][0].as<int64_t>() - reserved[0][1].as<int64_t>();
        StoreResponse(tx, partner, command.key, result);
        return result;
      });
}

Result<domain::CaptureResult> PgLedgerStore::CapturePoints(
    const domain::Partner& partner, const domain::CaptureCommand& command, domain::Timestamp now,
    const std::optional<domain::PurchaseTerms>& terms) {
  return database_.Transact<domain::CaptureResult>(
      "capture_points", [&](pqxx::work& tx) -> Result<domain::CaptureResult> {
        if (auto earlier = ClaimRequest<domain::CaptureResult>(tx, partner, command.key)) {
          return std::move(*earlier);
        }
        auto hold = LockHold(tx, partner, command.hold_id);
        if (!hold) return HoldNotFound();
        if (auto closed = ClosedHoldError(*hold, now)) return *closed;
        const int64_t captured = command.points == 0 ? hold->points : command.points;
        if (captured > hold->points) {
          return Error::FailedPrecondition("CAPTURE_EXCEEDS_HOLD",
                                           "cannot capture more points than the hold reserved");
        }
        // Spends `captured` and releases the whole reservation at once; the
        // uncaptured rest becomes available again.
        const auto member = tx.exec_prepared1("spend_held", hold->member_id, captured, hold->points,
                                              ToMicros(now));
        const auto recorded = RecordDebit(
            tx, hold->member_id, partner,
            Debit{partner.redemption_account_id, captured, "HOLD_CAPTURE", command.key.request_id,
                  hold->reference, command.receipt_id, {}});
        if (!recorded) return recorded.error();
        const auto transfer_id = *recorded;
        if (auto conflict = AddPurchasePoints(tx, partner, command.receipt_id, hold->member_id,
                                              captured, terms)) {
          return *conflict;
        }
        tx.exec_prepared0("close_hold", hold->member_id, hold->id, "CAPTURED", captured,
                          transfer_id, ToMicros(now));
        domain::CaptureResult result;
        result.hold = HoldFromRow(tx.exec_prepared1("get_hold", hold->member_id, hold->id));
        result.transfer_id = transfer_id;
        result.points_captured = captured;
        result.points_released = hold->points - captured;
        result.balance = member[0].as<int64_t>();
        result.available = result.balance - member[1].as<int64_t>();
        StoreResponse(tx, partner, command.key, result);
        return result;
      });
}

Result<domain::VoidResult> PgLedgerStore::VoidHold(const domain::Partner& partner,
                                                   const domain::VoidCommand& command,
                                                   domain::Timestamp now) {
  return database_.Transact<domain::VoidResult>(
      "void_hold", [&](pqxx::work& tx) -> Result<domain::VoidResult> {
        if (auto earlier = ClaimRequest<domain::VoidResult>(tx, partner, command.key)) {
          return std::move(*earlier);
        }
        auto hold = LockHold(tx, partner, command.hold_id);
        if (!hold) return HoldNotFound();
        if (auto closed = ClosedHoldError(*hold, now)) return *closed;
        const auto member = tx.exec_prepared1("release_held", hold->member_id, hold->points);
        tx.exec_prepared0("close_hold", hold->member_id, hold->id, "VOIDED",
                          std::optional<int64_t>(), std::optional<int64_t>(), ToMicros(now));
        domain::VoidResult result;
        result.hold = HoldFromRow(tx.exec_prepared1("get_hold", hold->member_id, hold->id));
        result.points_released = hold->points;
        result.available = member[0].as<int64_t>() - member[1].as<int64_t>();
        StoreResponse(tx, partner, command.key, result);
        return result;
      });
}

Result<int> PgLedgerStore::ExpireDueHolds(domain::Timestamp now, int limit) {
  auto members = database_.Read<std::vector<domain::MemberId>>(
      "due_hold_members",
      [&](pqxx::nontransaction& tx) -> Result<std::vector<domain::MemberId>> {
        std::vector<domain::MemberId> ids;
        for (const auto& row : tx.exec_prepared("due_hold_members", ToMicros(now), limit)) {
          ids.push_back(row[0].as<int64_t>());
        }
        return ids;
      });
  if (!members) return members.error();
  int released = 0;
  // One short transaction per member, so the sweeper never holds many member
  // locks at once against live traffic.
  for (const auto member_id : *members) {
    auto expired = database_.Transact<int>("expire_holds", [&](pqxx::work& tx) -> Result<int> {
      return static_cast<int>(ReleaseExpiredHolds(tx, member_id, now));
    });
    if (!expired) return expired.error();
    released += *expired;
  }
  return released;
}

}  // namespace coalition::storage
