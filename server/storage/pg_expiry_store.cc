// Expiry of points (SPEC §5): lots past their expiry, and every lot of a
// member inactive too long, go to the breakage account, one transfer per lot.
// One short transaction per member with the member row locked first, like
// every other move of its points, so the job is safe under live traffic and
// when two runs overlap: the second finds nothing left to expire.
#include "storage/pg_stores.h"
#include "storage/transaction_helpers.h"

namespace coalition::storage {

using domain::Result;

namespace {

// Expires what is due for one member; returns the lots and points expired.
std::pair<int64_t, int64_t> ExpireMember(pqxx::work& tx, domain::MemberId member,
                                         domain::Timestamp now,
                                         std::optional<domain::Timestamp> inactive_since) {
  const auto locked = tx.exec_prepared1("lock_member_for_expiry", member,
                                        ToMicros(inactive_since));
  const auto balances = BalancesFromRow(locked);
  const bool lapsed = locked[3].as<bool>();
  // Points covering open holds stay until the hold is captured or released.
  int64_t expirable = balances.balance + balances.debt - balances.held;
  int64_t lots = 0;
  int64_t points = 0;
  for (const auto& lot :
       tx.exec_prepared("expiring_lots", member, ToMicros(now), lapsed)) {
    if (expirable <= 0) break;
    const int64_t amount = std::min(expirable, lot[1].as<int64_t>());
    tx.exec_prepared0("expire_lot", member, lot[0].as<int64_t>(), amount,
                      lot[2].is_null() ? std::optional<int64_t>() : lot[2].as<int64_t>(),
                      lapsed ? "INACTIVITY" : "LOT_EXPIRED");
    expirable -= amount;
    points += amount;
    ++lots;
  }
  if (points > 0) tx.exec_prepared0("debit_expired", member, points);
  return {lots, points};
}

}  // namespace

Result<domain::ExpiryRun> PgLedgerStore::ExpireLots(domain::Timestamp now,
                                                    std::optional<domain::Timestamp> inactive_since,
                                                    int limit) {
  auto members = database_.Read<std::vector<domain::MemberId>>(
      "members_with_expiry",
      [&](pqxx::nontransaction& tx) -> Result<std::vector<domain::MemberId>> {
        std::vector<domain::MemberId> ids;
        for (const auto& row : tx.exec_prepared("members_with_expiry", ToMicros(now),
                                                ToMicros(inactive_since), limit)) {
          ids.push_back(row[0].as<int64_t>());
        }
        return ids;
      });
  if (!members) return members.error();
  domain::ExpiryRun run;
  for (const auto member : *members) {
    auto expired = database_.Transact<std::pair<int64_t, int64_t>>(
        "expire_lots", [&](pqxx::work& tx) -> Result<std::pair<int64_t, int64_t>> {
          return ExpireMember(tx, member, now, inactive_since);
        });
    if (!expired) return expired.error();
    if (expired->second > 0) ++run.members;
    run.lots += expired->first;
    run.points += expired->second;
  }
  return run;
}

Result<std::vector<domain::BreakageLine>> PgLedgerStore::BreakageReport(domain::Timestamp from,
                                                                        domain::Timestamp to) {
  return database_.Read<std::vector<domain::BreakageLine>>(
      "breakage_report",
      [&](pqxx::nontransaction& tx) -> Result<std::vector<domain::BreakageLine>> {
        std::vector<domain::BreakageLine> lines;
        for (const auto& row : tx.exec_prepared("breakage_report", ToMicros(from), ToMicros(to))) {
          domain::BreakageLine line;
          if (!row[0].is_null()) line.issuer = row[0].as<int64_t>();
          line.issuer_code = row[1].as<std::string>();
          line.lots = row[2].as<int64_t>();
          line.points = row[3].as<int64_t>();
          lines.push_back(std::move(line));
        }
        return lines;
      });
}

}  // namespace coalition::storage
