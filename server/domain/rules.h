#pragma once

// Programme rules (SPEC §3, §5) as pure functions: how many points a purchase
// earns under a partner's earn rules, the member's tier and the live campaigns;
// tier status and periodic review; targeted-bonus selection; and the breakage
// (redemption-rate) forecast. No I/O: storage loads the rules and applies the
// results.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "domain/error.h"
#include "domain/model.h"

namespace coalition::domain {

// Multipliers are in basis points of the base rate: 10000 = 1x, 20000 = 2x.
// 100x bounds every product far below 128-bit overflow (see rules.cc).
inline constexpr int32_t kOneTimesBps = 10'000;
inline constexpr int32_t kMaxMultiplierBps = 1'000'000;
// Entries per list in one partner's rules (multipliers, exclusions).
inline constexpr size_t kMaxEarnRuleEntries = 1'000;
// Campaigns that may apply to one accrual.
inline constexpr size_t kMaxCampaignsPerAccrual = 100;
inline constexpr size_t kMaxTiers = 20;
// Qualifying points thresholds are at most a balance's bound.
inline constexpr int64_t kMaxTierThresholdPoints = 1'000'000'000'000'000;

// How the exact (fractional) total of an accrual becomes whole points.
enum class EarnRounding { kDown, kHalfEven, kUp };

// Exactly one of `category` and `sku` is set. A SKU multiplier wins over a
// category multiplier on the same line. 0..1000000 bps: a multiplier below 1x
// (e.g. 5000 on sale items) makes `multiplier_points` negative.
struct EarnMultiplier {
  std::string category;
  std::string sku;
  int32_t multiplier_bps = kOneTimesBps;
};

struct EarnRules {
  // e.g. {1, 100}: 1 point per 100 minor units.
  EarnRate base;
  std::vector<EarnMultiplier> multipliers;
  // Lines in these categories or with these SKUs earn nothing, whatever their
  // multiplier or campaign (an exclusion always wins: tobacco, gift cards).
  std::vector<std::string> excluded_categories;
  std::vector<std::string> excluded_skus;
  // An eligible amount below this earns nothing at all, campaigns included;
  // an amount equal to it earns.
  int64_t min_spend_minor = 0;
  // 0 = no cap. Caps the total including tier and campaign points.
  int64_t max_points_per_transaction = 0;
  // Applied once, to the exact total, before the cap.
  EarnRounding rounding = EarnRounding::kDown;
};

// Tiers in ascending order of threshold; the first threshold is 0 (everyone
// holds at least the first tier). Tier multipliers are at least 1x.
struct TierRule {
  std::string name;
  int64_t threshold_points = 0;
  int32_t earn_multiplier_bps = kOneTimesBps;
};

// A version of the programme's tier table, in force from effective_from.
struct TierTable {
  Timestamp effective_from{};
  std::vector<TierRule> tiers;
  // Days a member keeps a tier after their qualifying points fall below it.
  int64_t grace_days = 0;
};

inline constexpr int64_t kMaxTierGraceDays = 3660;

// One run of the tier review.
struct TierReviewRun {
  // Members whose tier or grace period the review looked at.
  int64_t members = 0;
  int64_t upgraded = 0;
  int64_t downgraded = 0;
};

// A live campaign, already filtered by time window and partner.
struct CampaignOffer {
  int64_t campaign_id = 0;
  // Empty: every eligible line (including uncategorised amounts).
  std::vector<std::string> categories;
  // EXTRA points on the base points of its lines: 10000 = +1x (double points).
  int32_t multiplier_bps = 0;
  // Flat bonus when the campaign applies.
  int64_t fixed_points = 0;
  // The campaign applies when the eligible amount in its categories is
  // positive and at least this.
  int64_t min_spend_minor = 0;
};

struct EarnInput {
  // Cash paid: points are earned on the cash part only.
  int64_t amount_minor = 0;
  // May be empty. Their sum is at most `amount_minor`; the part of the amount
  // they do not cover is one uncategorised line without a SKU.
  std::vector<LineItem> line_items;
  // From the member's tier (TierRule::earn_multiplier_bps).
  int32_t tier_multiplier_bps = kOneTimesBps;
  std::vector<CampaignOffer> campaigns;
};

struct CampaignPoints {
  int64_t campaign_id = 0;
  int64_t points = 0;
};

struct EarnBreakdown {
  // Amounts after exclusions; eligible + excluded = amount_minor.
  int64_t eligible_amount_minor = 0;
  int64_t excluded_amount_minor = 0;
  // Base rate on the eligible amount; absorbs the rounding (see EvaluateEarn).
  int64_t base_points = 0;
  // Extra from category/SKU multipliers (negative for multipliers below 1x).
  int64_t multiplier_points = 0;
  // Extra from the tier multiplier, on base + multiplier points.
  int64_t tier_points = 0;
  // Per campaign that earned something, in input order, before campaign budgets
  // and per-member caps (storage clamps those).
  std::vector<CampaignPoints> campaign_points;
  // Removed by max_points_per_transaction.
  int64_t capped_points = 0;
  // = base + multiplier + tier + Σ campaign - capped, always.
  int64_t total_points = 0;
};

// The points a purchase earns, and where they come from.
//
// Per line (line items, plus the uncovered rest of the amount as one
// uncategorised line): a line whose SKU or category is excluded is excluded;
// otherwise its whole amount is eligible. With P/Q the base rate, m the line's
// multiplier (its SKU's, else its category's, else 1x), t the tier multiplier
// and c_k the extra multiplier of each applying campaign k covering the line:
//
//   base       = Σ amount·P/Q
//   multiplier = Σ amount·P/Q·(m − 1)
//   tier       = Σ amount·P/Q·m·(t − 1)
//   campaign k = fixed_k + Σ_{lines of k} amount·P/Q·c_k
//
// Every component is an exact rational over the common denominator Q·10^8
// (nothing is rounded per line). The rules' min spend is checked against the
// eligible amount (below it: zero points, the amounts still reported). The
// exact TOTAL is rounded once with `rules.rounding`; each non-base component is
// then truncated toward zero and base_points takes the remainder, so the
// components add up exactly to the rounded total. Last, the cap: capped_points
// = max(0, total − max_points_per_transaction).
//
// Errors (INVALID_ARGUMENT): invalid rules (ValidateEarnRules) or input, with
// the field named ("amount", "line_items[3].amount", "tier_multiplier_bps",
// "campaigns[0].multiplier_bps", ...); POINTS_LIMIT_EXCEEDED when the total or
// a component before the cap exceeds kMaxPointsPerRequest.
Result<EarnBreakdown> EvaluateEarn(const EarnRules& rules, const EarnInput& input);

// The first problem in a partner's earn rules, fields named from "rules"
// ("rules.base.points", "rules.multipliers[2].multiplier_bps",
// "rules.excluded_skus[0]", ...). Rejects a SKU or category that is both
// multiplied and excluded, and duplicates.
std::optional<Error> ValidateEarnRules(const EarnRules& rules);

// The first problem in a tier table ("tiers", "tiers[1].threshold_points", ...):
// 1..20 tiers, unique non-empty names, first threshold 0, strictly ascending
// thresholds, multipliers 1x..100x.
std::optional<Error> ValidateTiers(const std::vector<TierRule>& tiers);

struct TierStatus {
  size_t tier_index = 0;
  // The next tier up, if any.
  std::optional<size_t> next_index;
  // Qualifying points still needed for the next tier; 0 at the top.
  int64_t points_to_next = 0;
};

// The tier that `qualifying_points` earns (the highest threshold reached;
// negative points hold the first tier) and the progress to the next one.
// Requires valid tiers (ValidateTiers); an empty table gives {0, none, 0}.
TierStatus TierFor(const std::vector<TierRule>& tiers, int64_t qualifying_points);

// Periodic review. An upgrade happens at once on accrual (elsewhere); the
// review applies one it sees too. A downgrade happens only once the member's
// qualifying points have been below the current tier's threshold for at least
// `grace_days` (`days_below`: days since they first fell below, none if they
// are not below), and then straight to the tier the points earn, not one step.
// Returns the tier index to hold. A `current_index` beyond the table is taken
// as the top tier.
size_t TierAfterReview(const std::vector<TierRule>& tiers, size_t current_index,
                       int64_t qualifying_points, std::optional<int64_t> days_below,
                       int64_t grace_days);

// A member's tier as stored: the rank held and, while their qualifying
// points are below its threshold, since when (the grace period runs from
// there).
struct MemberTier {
  size_t rank = 0;
  std::optional<Timestamp> below_since;
  bool operator==(const MemberTier&) const = default;
};

// The tier held after an accrual brought the member's qualifying points to
// `qualifying_points`: an upgrade at once to the tier they earn, never a
// downgrade (that is the review's, after the grace period). Being seen below
// the held tier's threshold starts the grace period (at `now`); reaching it
// again ends it. A rank beyond the table is taken as the top tier.
MemberTier TierAfterAccrual(const std::vector<TierRule>& tiers, const MemberTier& held,
                            int64_t qualifying_points, Timestamp now);

// The periodic review at `now` (TierAfterReview on whole days below the held
// threshold): downgrades straight to the tier the points earn once the grace
// period is over, applies an upgrade it sees, and starts or ends the grace
// period like TierAfterAccrual.
MemberTier ReviewTier(const std::vector<TierRule>& tiers, const MemberTier& held,
                      int64_t qualifying_points, Timestamp now, int64_t grace_days);

// Progress shown to a member holding `held_rank` (which may be above what the
// points earn, during the grace period): the held tier, the next one up and
// the qualifying points still needed for it (0 at the top, or once reached).
TierStatus HeldTierStatus(const std::vector<TierRule>& tiers, size_t held_rank,
                          int64_t qualifying_points);

// Targeted bonuses: the members to reward among (member_id, spend) pairs.
// Pairs of the same member are summed first. Only members who spent (spend > 0)
// take part. The top `percent` (clamped to 1..100) of them by spend, rounded
// up (10% of 15 members is 2), at least one if anyone spent; equal spends are
// ranked by ascending member id, so the selection is deterministic. Returned
// best first.
std::vector<int64_t> TopSpenders(std::vector<std::pair<int64_t, int64_t>> spend_by_member,
                                 int percent);

// One monthly earning cohort as of today: points issued in that month, and of
// them redeemed and expired so far; `age_months` since the month of issue.
struct Cohort {
  int64_t issued = 0;
  int64_t redeemed = 0;
  int64_t expired = 0;
  int age_months = 0;
};

// Ultimate redemption rate (basis points of issued points that will ever be
// redeemed; breakage = 10000 − it) from monthly cohorts (IFRS 15 / ASC 606).
//
// Method: a chain-ladder on the cumulative redemption ratio by age, built
// cross-sectionally from the cohorts of each age (we see each cohort once,
// today):
//  1. Pool cohorts by age: r(a) = Σ redeemed / Σ issued at age a, made
//     non-decreasing with age (a cumulative ratio cannot fall; a dip is noise).
//  2. The oldest age observed is taken as mature (tail factor 1):
//     r_ult = r(oldest). Pass cohorts older than the points' lifetime for a
//     sound figure.
//  3. Each cohort develops by what the curve still adds after its age, in
//     points (additive, Bornhuetter–Ferguson style, so a young cohort with no
//     redemptions yet is not projected to zero):
//       ultimate_c = redeemed_c + issued_c·(r_ult − r(age_c)),
//     clamped to [redeemed_c, issued_c − expired_c] (expired points can never
//     be redeemed; outstanding ones at most all will be).
//  4. Rate = Σ ultimate_c / Σ issued_c, rounded to the nearest basis point.
// Cohorts with issued <= 0 are ignored; redeemed and expired are clamped into
// [0, issued]. No cohorts: 0. A floating-point estimate, not money.
int32_t ForecastRedemptionRateBps(const std::vector<Cohort>& cohorts);

}  // namespace coalition::domain
