#pragma once

// Steps shared by the ledger's transactions (storage-internal).
#include <functional>
#include <optional>
#include <string>

#include <pqxx/pqxx>

#include "crypto/crypto.h"
#include "domain/error.h"
#include "domain/model.h"
#include "storage/result_codec.h"

namespace coalition::storage {

inline domain::Timestamp FromMicros(int64_t micros) {
  return domain::Timestamp(std::chrono::microseconds(micros));
}

inline std::optional<int64_t> ToMicros(const std::optional<domain::Timestamp>& time) {
  if (!time) return std::nullopt;
  return time->time_since_epoch().count();
}

inline domain::Error MemberNotFound() { return domain::Error::NotFound("MEMBER_NOT_FOUND", "member not found"); }

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
  const auto stored = tx.exec_prepared1("find_request", partner.id, key.request_id);
  if (stored[1].as<std::string>() != hash_hex) {
    return domain::Result<T>(domain::Error::AlreadyExists(
        "REQUEST_ID_REUSED", "request_id was already used for a different request"));
  }
  if (stored[2].is_null()) return domain::Result<T>(domain::Error::Internal("stored request has no response"));
  T result;
  DecodeResult(stored[2].as<std::string>(), result);
  return domain::Result<T>(std::move(result));
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

// Posts a debit of the member (already taken off the balance) to `account`
// and consumes the member's lots for it. Returns the transfer id, or an
// error when the lots do not cover the points: balance and lots disagree, so
// the caller must roll back rather than post an unbacked debit.
inline domain::Result<domain::TransferId> RecordDebit(pqxx::work& tx, domain::MemberId member,
                                                      int64_t account, int64_t points,
                                                      const char* kind,
                                                      const domain::Partner& partner,
                                                      const std::string& request_id,
                                                      const std::string& reference) {
  const auto recorded = tx.exec_prepared1("record_debit", member, account, points, kind,
                                          partner.id, request_id, reference);
  if (recorded[1].as<int64_t>() != points) {
    return domain::Error::Internal("member lots do not cover the balance");
  }
  return recorded[0].as<int64_t>();
}

}  // namespace coalition::storage
