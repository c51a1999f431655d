#include <array>
#include <sstream>

#include "domain/rules.h"
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
                                     domain::PartnerId partner, const domain::CreditTerms& terms) {
  const auto created = tx.exec_prepared("enroll_card", card_number, partner);
  if (!created.empty()) {
    const auto member = created[0][0].as<MemberId>();
    if (terms.signup_bonus_points > 0) {
      tx.exec_prepared("grant_signup_bonus", member, terms.signup_bonus_points,
                       ToMicros(terms.lot_expires_at));
    }
    return {member, true};
  }
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
  member.debt = row[5].template as<int64_t>();
  std::stringstream cards(row[4].template as<std::string>());
  for (std::string card; std::getline(cards, card, ',');) member.card_numbers.push_back(card);
  return member;
}

domain::TransferKind ParseTransferKind(const std::string& kind) {
  if (kind == "ACCRUAL") return domain::TransferKind::kAccrual;
  if (kind == "REDEMPTION") return domain::TransferKind::kRedemption;
  if (kind == "HOLD_CAPTURE") return domain::TransferKind::kHoldCapture;
  if (kind == "REFUND") return domain::TransferKind::kRefund;
  return domain::TransferKind::kClawback;
}

struct CampaignAward {
  int64_t campaign_id = 0;
  int64_t points = 0;
  std::string funded_by;
};

struct EarnPlan {
  int64_t own_points = 0;  // the partner's own points: base, multipliers, tier
  std::vector<CampaignAward> campaigns;
  std::vector<domain::EarnComponent> breakdown;
};

// What an accrual earns under the partner's earn rules, the member's tier
// multiplier and live campaigns. Without any of them, the plain earn rate's
// `plain_points`, all of it base. The
// cap comes off the partner's own points first, then off campaigns (last
// first); each campaign is then held to its budget and per-member cap with
// its row locked (campaigns in id order, so accruals never deadlock), so a
// budget is never overspent.
// `terms`: the partner's rules and live campaigns as JSON, NULL when none
// (the last two columns of open_accrual).
Result<EarnPlan> PlanEarn(pqxx::work& tx, const domain::Partner& partner,
                          const domain::AccrueCommand& command, MemberId member,
                          const std::array<pqxx::field, 2>& terms, int64_t plain_points,
                          int32_t tier_multiplier_bps) {
  if (terms[0].is_null() && terms[1].is_null() && tier_multiplier_bps == domain::kOneTimesBps) {
    return EarnPlan{plain_points, {}, {{"base", 0, plain_points}}};
  }
  domain::EarnRules rules;
  rules.base = partner.earn_rate;
  if (!terms[0].is_null()) rules = DecodeEarnRules(terms[0].as<std::string>());
  domain::EarnInput input;
  input.amount_minor = command.amount.amount_minor;
  input.line_items = command.line_items;
  input.tier_multiplier_bps = tier_multiplier_bps;
  if (!terms[1].is_null()) input.campaigns = DecodeCampaignOffers(terms[1].as<std::string>());
  auto earned = domain::EvaluateEarn(rules, input);
  if (!earned) return earned.error();

  EarnPlan plan;
  int64_t to_cap = earned->capped_points;
  plan.own_points = earned->base_points + earned->multiplier_points + earned->tier_points;
  const int64_t own_capped = std::min(to_cap, plan.own_points);
  plan.own_points -= own_capped;
  to_cap -= own_capped;
  auto campaign_points = earned->campaign_points;
  for (auto it = campaign_points.rbegin(); it != campaign_points.rend() && to_cap > 0; ++it) {
    const int64_t take = std::min(to_cap, it->points);
    it->points -= take;
    to_cap -= take;
  }
  plan.breakdown.push_back({"base", 0, earned->base_points});
  if (earned->multiplier_points != 0) {
    plan.breakdown.push_back({"multiplier", 0, earned->multiplier_points});
  }
  if (earned->tier_points != 0) plan.breakdown.push_back({"tier", 0, earned->tier_points});
  // What the cap took from campaigns shows in their awards; the parts add up
  // to what the member earned.
  if (own_capped != 0) plan.breakdown.push_back({"capped", 0, -own_capped});
  for (const auto& offer : campaign_points) {
    if (offer.points <= 0) continue;
    const auto locked = tx.exec_prepared1("lock_campaign", offer.campaign_id, member);
    int64_t award = std::min(offer.points, locked[0].as<int64_t>());
    if (!locked[1].is_null()) award = std::min(award, locked[1].as<int64_t>());
    if (award <= 0) continue;
    tx.exec_prepared0("award_campaign", offer.campaign_id, member, award);
    plan.campaigns.push_back({offer.campaign_id, award, locked[2].as<std::string>()});
    plan.breakdown.push_back({"campaign", offer.campaign_id, award});
  }
  return plan;
}

// First purchase at a new brand (FIRST_AT_BRAND campaigns, V0012): a fixed
// bonus on a member's first earning accrual at a partner where they never
// earned before, once they have earned at another partner. The member row is
// locked before the check, so the member's concurrent accruals are ordered
// and each sees the others' earnings; first_brand_awards' key makes it once
// per (member, partner) whatever happens. Locks come after PlanEarn's
// campaign locks and before the first-at-brand campaign's, the same order in
// every accrual, so they never deadlock. Outside the per-transaction cap.
void AwardFirstAtBrand(pqxx::work& tx, const domain::Partner& partner,
                       const domain::AccrueCommand& command, MemberId member,
                       domain::Timestamp now, EarnPlan& plan) {
  if (plan.own_points <= 0) return;
  const auto offers = tx.exec_prepared("live_first_brand_campaigns", partner.id, ToMicros(now));
  if (offers.empty()) return;
  tx.exec_prepared1("lock_member", member);
  const auto earned = tx.exec_prepared1("earned_at_brands", member, partner.id);
  if (earned[0].as<bool>() || !earned[1].as<bool>()) return;
  for (const auto& offer : offers) {
    if (command.amount.amount_minor < offer[2].as<int64_t>()) continue;
    const auto campaign_id = offer[0].as<int64_t>();
    const auto locked = tx.exec_prepared1("lock_campaign", campaign_id, member);
    int64_t award = std::min(offer[1].as<int64_t>(), locked[0].as<int64_t>());
    if (!locked[1].is_null()) award = std::min(award, locked[1].as<int64_t>());
    if (award <= 0) continue;
    if (tx.exec_prepared("claim_first_brand_award", member, partner.id, campaign_id, award)
            .empty()) {
      return;
    }
    tx.exec_prepared0("award_campaign", campaign_id, member, award);
    plan.campaigns.push_back({campaign_id, award, locked[2].as<std::string>()});
    plan.breakdown.push_back({"first_at_brand", campaign_id, award});
    return;
  }
}

}  // namespace

Result<domain::EnrollResult> PgLedgerStore::Enroll(const domain::Partner& partner,
                                                   const domain::EnrollCommand& command,
                                                   const domain::CreditTerms& terms) {
  return database_.Transact<domain::EnrollResult>(
      "enroll_member", [&](pqxx::work& tx) -> Result<domain::EnrollResult> {
        if (auto earlier = ClaimRequest<domain::EnrollResult>(tx, partner, command.key)) {
          return std::move(*earlier);
        }
        const auto [member_id, created] =
            EnrollCard(tx, command.card_number, partner.id, terms);
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
        FillMemberTier(tx, *member, now);
        return *member;
      });
}

Result<domain::AccrueResult> PgLedgerStore::Accrue(const domain::Partner& partner,
                                                   const domain::AccrueCommand& command,
                                                   int64_t points, domain::Timestamp now,
                                                   const domain::CreditTerms& terms) {
  return database_.Transact<domain::AccrueResult>(
      "accrue", [&](pqxx::work& tx) -> Result<domain::AccrueResult> {
        // Claim, card and earn terms in one round trip.
        const auto opened = tx.exec_prepared1(
            "open_accrual", partner.id, command.key.request_id, command.key.method,
            crypto::HexEncode(command.key.request_hash), command.card_number, ToMicros(now));
        if (!opened[0].as<bool>()) {
          return AnswerRepeat<domain::AccrueResult>(tx, partner, command.key);
        }
        domain::AccrueResult result;
        if (!opened[1].is_null()) {
          result.member_id = opened[1].as<MemberId>();
        } else if (partner.auto_enroll) {
          std::tie(result.member_id, result.member_enrolled) =
              EnrollCard(tx, command.card_number, partner.id, terms);
        } else {
          return MemberNotFound();
        }
        // The tier held when the purchase is made earns its multiplier; an
        // upgrade this accrual brings applies from the next one.
        const LockedTier tier = LockMemberTier(tx, result.member_id, now);
        const int32_t tier_multiplier_bps =
            tier.tiers.empty()
                ? domain::kOneTimesBps
                : tier.tiers[std::min(tier.held.rank, tier.tiers.size() - 1)].earn_multiplier_bps;
        auto plan = PlanEarn(tx, partner, command, result.member_id, {opened[2], opened[3]},
                             points, tier_multiplier_bps);
        if (!plan) return plan.error();
        AwardFirstAtBrand(tx, partner, command, result.member_id, now, *plan);
        const int64_t own_points = plan->own_points;
        result.breakdown = std::move(plan->breakdown);
        result.points_earned = own_points;
        bool in_debt = false;
        std::optional<int64_t> operator_account;
        if (own_points > 0) {
          const auto row = tx.exec_prepared1(
              "accrue", result.member_id, partner.issuance_account_id, own_points, partner.id,
              command.key.request_id, command.amount.amount_minor, command.amount.currency_code,
              command.store_id, command.receipt_id, ToMicros(command.occurred_at),
              ToMicros(terms.lot_expires_at), ToMicros(now));
          result.transfer_id = row[0].as<int64_t>();
          result.balance = row[1].as<int64_t>();
          in_debt = row[2].as<int64_t>() > 0;
        } else {
          result.balance = tx.exec_prepared1("member_balance", result.member_id)[0].as<int64_t>();
        }
        for (const auto& award : plan->campaigns) {
          const bool partner_funded = award.funded_by == "PARTNER";
          if (!partner_funded && !operator_account) {
            operator_account = tx.exec_prepared1("operator_account")[0].as<int64_t>();
          }
          const int64_t account = partner_funded ? partner.issuance_account_id : *operator_account;
          const auto row = tx.exec_prepared1(
              "credit_member", result.member_id, account, award.points,
              partner_funded ? "ACCRUAL" : "BONUS", partner.id,
              partner_funded ? std::optional<int64_t>(partner.id) : std::optional<int64_t>(),
              ToMicros(terms.lot_expires_at), "campaign:" + std::to_string(award.campaign_id));
          result.points_earned += award.points;
          result.balance = row[1].as<int64_t>();
          in_debt = row[2].as<int64_t>() > 0;
        }
        if (in_debt) RepayDebt(tx, result.member_id);
        // Qualifying points: what the partner issued (its own points and the
        // campaigns it funded), not the operator's bonuses.
        int64_t qualifying_earned = own_points;
        for (const auto& award : plan->campaigns) {
          if (award.funded_by == "PARTNER") qualifying_earned += award.points;
        }
        if (qualifying_earned > 0) {
          const int64_t qualifying =
              AddQualifyingPoints(tx, result.member_id, qualifying_earned, now);
          const auto upgraded = domain::TierAfterAccrual(tier.tiers, tier.held, qualifying, now);
          if (!tier.tiers.empty() && !(upgraded == tier.held)) {
            StoreMemberTier(tx, result.member_id, upgraded, now, /*by_review=*/false);
          }
        }
        // A return claws back the partner's own points; campaign bonuses stay.
        if (auto conflict =
                AddPurchaseCash(tx, partner, command, result.member_id, own_points)) {
          return *conflict;
        }
        StoreResponse(tx, partner, command.key, result);
        return result;
      });
}

Result<domain::RedeemResult> PgLedgerStore::Redeem(
    const domain::Partner& partner, const domain::RedeemCommand& command, domain::Timestamp now,
    const std::optional<domain::PurchaseTerms>& terms) {
  return database_.Transact<domain::RedeemResult>(
      "redeem", [&](pqxx::work& tx) -> Result<domain::RedeemResult> {
        if (auto earlier = ClaimRequest<domain::RedeemResult>(tx, partner, command.key)) {
          return std::move(*earlier);
        }
        const auto member_id = ResolveMember(tx, command.member);
        if (!member_id) return MemberNotFound();
        const auto debited = ReserveReleasingExpired(tx, *member_id, now, [&] {
          return tx.exec_prepared("debit_member", *member_id, command.points, ToMicros(now));
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
        const auto recorded = RecordDebit(
            tx, *member_id, partner,
            Debit{partner.redemption_account_id, command.points, "REDEMPTION",
                  command.key.request_id, command.reference, command.receipt_id, {}});
        if (!recorded) return recorded.error();
        result.transfer_id = *recorded;
        if (auto conflict = AddPurchasePoints(tx, partner, command.receipt_id, *member_id,
                                              command.points, terms)) {
          return *conflict;
        }
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
      view.kind = ParseTransferKind(kind);
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
