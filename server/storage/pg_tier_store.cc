// Tiers (SPEC §5): versioned tier tables, qualifying points, the upgrade on
// accrual (helpers called from the accrual's transaction) and the periodic
// review. A member's tier only changes with the member row locked, so an
// accrual and a review of the same member, or two reviews, take turns.
#include <nlohmann/json.hpp>

#include "storage/pg_stores.h"
#include "storage/transaction_helpers.h"

namespace coalition::storage {

using domain::Result;

namespace {

std::vector<domain::TierRule> DecodeTiers(const pqxx::field& field) {
  std::vector<domain::TierRule> tiers;
  if (field.is_null()) return tiers;
  for (const auto& tier : nlohmann::json::parse(field.as<std::string>())) {
    tiers.push_back({tier.at(0).get<std::string>(), tier.at(1).get<int64_t>(),
                     tier.at(2).get<int32_t>()});
  }
  return tiers;
}

// What a review did to one member.
constexpr int kUnchanged = 0;
constexpr int kGraceChanged = 1;
constexpr int kUpgraded = 2;
constexpr int kDowngraded = 3;

std::optional<domain::Timestamp> OptionalTime(const pqxx::field& field) {
  if (field.is_null()) return std::nullopt;
  return FromMicros(field.as<int64_t>());
}

}  // namespace

LockedTier LockMemberTier(pqxx::transaction_base& tx, domain::MemberId member,
                          domain::Timestamp now) {
  const auto row = tx.exec_prepared1("lock_member_tier", member, ToMicros(now));
  LockedTier locked;
  locked.tiers = DecodeTiers(row[0]);
  locked.grace_days = row[1].is_null() ? 0 : row[1].as<int64_t>();
  locked.held = {row[2].as<size_t>(), OptionalTime(row[3])};
  return locked;
}

int64_t AddQualifyingPoints(pqxx::transaction_base& tx, domain::MemberId member, int64_t points,
                            domain::Timestamp now) {
  return tx.exec_prepared1("add_qualifying_points", member, points, ToMicros(now))[0]
      .as<int64_t>();
}

void StoreMemberTier(pqxx::transaction_base& tx, domain::MemberId member,
                     const domain::MemberTier& tier, domain::Timestamp now, bool by_review) {
  tx.exec_prepared0("set_member_tier", member, static_cast<int64_t>(tier.rank),
                    ToMicros(tier.below_since), ToMicros(now), by_review);
}

void FillMemberTier(pqxx::transaction_base& tx, domain::MemberView& member,
                    domain::Timestamp now) {
  const auto row = tx.exec_prepared1("member_tier", member.id, ToMicros(now));
  const auto tiers = DecodeTiers(row[0]);
  member.qualifying_points = row[2].as<int64_t>();
  if (tiers.empty()) return;
  const auto status =
      domain::HeldTierStatus(tiers, row[1].as<size_t>(), member.qualifying_points);
  member.tier_name = tiers[status.tier_index].name;
  if (status.next_index) {
    member.next_tier_name = tiers[*status.next_index].name;
    member.points_to_next_tier = status.points_to_next;
  }
}

Result<domain::Ok> PgLedgerStore::AddTierTable(const domain::TierTable& table) {
  return database_.Transact<domain::Ok>("set_tiers", [&](pqxx::work& tx) -> Result<domain::Ok> {
    const auto id = tx.exec_prepared1("insert_tier_table", ToMicros(table.effective_from),
                                      table.grace_days)[0]
                        .as<int64_t>();
    for (size_t rank = 0; rank < table.tiers.size(); ++rank) {
      const auto& tier = table.tiers[rank];
      tx.exec_prepared0("insert_tier", id, static_cast<int64_t>(rank), tier.name,
                        tier.threshold_points, tier.earn_multiplier_bps);
    }
    return domain::Ok{};
  });
}

Result<service::LedgerStore::TierTables> PgLedgerStore::ListTierTables(domain::Timestamp now) {
  return database_.Read<TierTables>(
      "list_tier_tables", [&](pqxx::nontransaction& tx) -> Result<TierTables> {
        TierTables tables;
        for (const auto& row : tx.exec_prepared("list_tier_tables", ToMicros(now))) {
          domain::TierTable table{FromMicros(row[0].as<int64_t>()), DecodeTiers(row[2]),
                                  row[1].as<int64_t>()};
          if (table.effective_from <= now) {
            tables.current = std::move(table);
          } else {
            tables.scheduled.push_back(std::move(table));
          }
        }
        return tables;
      });
}

Result<service::LedgerStore::TierReviewStep> PgLedgerStore::ReviewTiers(domain::Timestamp now,
                                                                        domain::MemberId after,
                                                                        int limit) {
  struct Candidate {
    domain::MemberId member = 0;
    domain::MemberTier held;
    int64_t qualifying = 0;
  };
  struct Batch {
    std::vector<domain::TierRule> tiers;
    int64_t grace_days = 0;
    std::vector<Candidate> candidates;
  };
  auto batch = database_.Read<Batch>(
      "tier_review_candidates", [&](pqxx::nontransaction& tx) -> Result<Batch> {
        Batch found;
        const auto table = tx.exec_prepared1("member_tier", 0, ToMicros(now));
        found.tiers = DecodeTiers(table[0]);
        found.grace_days = table[3].is_null() ? 0 : table[3].as<int64_t>();
        if (found.tiers.empty()) return found;
        for (const auto& row :
             tx.exec_prepared("tier_review_candidates", after, ToMicros(now), limit)) {
          found.candidates.push_back({row[0].as<int64_t>(),
                                      {row[1].as<size_t>(), OptionalTime(row[2])},
                                      row[3].as<int64_t>()});
        }
        return found;
      });
  if (!batch) return batch.error();
  TierReviewStep step;
  if (batch->candidates.empty()) return step;
  for (const auto& candidate : batch->candidates) {
    // Nothing would change: no transaction (most members, most days). The
    // decision is made again under the member lock, on fresh figures.
    if (domain::ReviewTier(batch->tiers, candidate.held, candidate.qualifying, now,
                           batch->grace_days) == candidate.held) {
      continue;
    }
    auto changed = database_.Transact<int>("review_tier", [&](pqxx::work& tx) -> Result<int> {
      const auto locked = LockMemberTier(tx, candidate.member, now);
      if (locked.tiers.empty()) return kUnchanged;
      const int64_t qualifying =
          tx.exec_prepared1("qualifying_points", candidate.member, ToMicros(now))[0]
              .as<int64_t>();
      const auto reviewed =
          domain::ReviewTier(locked.tiers, locked.held, qualifying, now, locked.grace_days);
      if (reviewed == locked.held) return kUnchanged;
      StoreMemberTier(tx, candidate.member, reviewed, now, /*by_review=*/true);
      if (reviewed.rank > locked.held.rank) return kUpgraded;
      if (reviewed.rank < locked.held.rank) return kDowngraded;
      return kGraceChanged;
    });
    if (!changed) return changed.error();
    if (*changed != kUnchanged) ++step.run.members;
    if (*changed == kUpgraded) ++step.run.upgraded;
    if (*changed == kDowngraded) ++step.run.downgraded;
  }
  if (static_cast<int>(batch->candidates.size()) == limit) {
    step.last = batch->candidates.back().member;
  }
  return step;
}

}  // namespace coalition::storage
