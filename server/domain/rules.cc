#include "domain/rules.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <map>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "domain/earn.h"
#include "domain/limits.h"
#include "domain/validation.h"

namespace coalition::domain {

// GCC extension; exact for every product below. Bounds: the eligible amounts
// sum to at most kMaxAmountMinor (10^12); P <= 10^9; m, t, c <= 10^6 bps. The
// largest numerator, Σ amount·P·m·t, is at most 10^12·10^9·10^6·10^6 = 10^33,
// and the common denominator Q·10^8 at most 10^17: far below 1.7·10^38.
__extension__ using Int128 = __int128;

namespace {

constexpr Int128 kBps = kOneTimesBps;
// Common denominator of every component: Q · 10^4 (line multiplier) · 10^4 (tier).
constexpr Int128 kBpsSquared = kBps * kBps;

std::string Indexed(const std::string& list, size_t index) {
  return list + "[" + std::to_string(index) + "]";
}

std::optional<Error> ValidateMultiplierBps(int64_t bps, int64_t min_bps, const std::string& field) {
  if (bps < min_bps || bps > kMaxMultiplierBps) {
    return Error::InvalidArgument(field, "must be between " + std::to_string(min_bps) + " and " +
                                             std::to_string(kMaxMultiplierBps));
  }
  return std::nullopt;
}

// A list of non-empty, unique names (categories or SKUs).
std::optional<Error> ValidateNameList(const std::vector<std::string>& names,
                                      const std::string& field) {
  if (names.size() > kMaxEarnRuleEntries) {
    return Error::InvalidArgument(field,
                                  "at most " + std::to_string(kMaxEarnRuleEntries) + " entries");
  }
  std::unordered_set<std::string> seen;
  for (size_t i = 0; i < names.size(); ++i) {
    const std::string item_field = Indexed(field, i);
    if (auto e = ValidateRequiredText(names[i], kMaxShortTextLength, item_field)) return e;
    if (!seen.insert(names[i]).second) {
      return Error::InvalidArgument(item_field, "duplicate entry");
    }
  }
  return std::nullopt;
}

std::optional<Error> ValidateEarnInput(const EarnInput& input) {
  if (input.amount_minor < 0 || input.amount_minor > kMaxAmountMinor) {
    return Error::InvalidArgument("amount", "must be between 0 and 1000000000000");
  }
  if (input.line_items.size() > static_cast<size_t>(kMaxLineItems)) {
    return Error::InvalidArgument("line_items", "at most 500 line items");
  }
  int64_t line_total = 0;
  for (size_t i = 0; i < input.line_items.size(); ++i) {
    const int64_t amount = input.line_items[i].amount.amount_minor;
    if (amount < 0 || amount > kMaxAmountMinor) {
      return Error::InvalidArgument(Indexed("line_items", i) + ".amount",
                                    "must be between 0 and 1000000000000");
    }
    // At most 500 terms of at most 10^12 each: no overflow.
    line_total += amount;
  }
  if (line_total > input.amount_minor) {
    return Error::InvalidArgument("line_items", "line item amounts exceed the purchase amount");
  }
  if (auto e =
          ValidateMultiplierBps(input.tier_multiplier_bps, kOneTimesBps, "tier_multiplier_bps")) {
    return e;
  }
  if (input.campaigns.size() > kMaxCampaignsPerAccrual) {
    return Error::InvalidArgument(
        "campaigns", "at most " + std::to_string(kMaxCampaignsPerAccrual) + " campaigns");
  }
  std::unordered_set<int64_t> campaign_ids;
  for (size_t i = 0; i < input.campaigns.size(); ++i) {
    const CampaignOffer& campaign = input.campaigns[i];
    const std::string field = Indexed("campaigns", i);
    // The same campaign twice would pay its bonus twice.
    if (!campaign_ids.insert(campaign.campaign_id).second) {
      return Error::InvalidArgument(field + ".campaign_id", "duplicate campaign");
    }
    if (auto e = ValidateNameList(campaign.categories, field + ".categories")) return e;
    if (auto e = ValidateMultiplierBps(campaign.multiplier_bps, 0, field + ".multiplier_bps")) {
      return e;
    }
    if (campaign.fixed_points < 0 || campaign.fixed_points > kMaxPointsPerRequest) {
      return Error::InvalidArgument(field + ".fixed_points", "must be between 0 and 1000000000000");
    }
    if (campaign.min_spend_minor < 0 || campaign.min_spend_minor > kMaxAmountMinor) {
      return Error::InvalidArgument(field + ".min_spend_minor",
                                    "must be between 0 and 1000000000000");
    }
  }
  return std::nullopt;
}

// One line of the purchase after exclusions.
struct EligibleLine {
  const std::string* category = nullptr;  // null: uncategorised
  int64_t amount_minor = 0;
  int32_t multiplier_bps = kOneTimesBps;
};

Int128 RoundQuotient(Int128 numerator, Int128 denominator, EarnRounding rounding) {
  // numerator >= 0 and denominator > 0 here (multipliers are never negative).
  const Int128 quotient = numerator / denominator;
  const Int128 remainder = numerator % denominator;
  if (remainder == 0) return quotient;
  switch (rounding) {
    case EarnRounding::kDown:
      return quotient;
    case EarnRounding::kUp:
      return quotient + 1;
    case EarnRounding::kHalfEven: {
      const Int128 twice = remainder * 2;
      if (twice > denominator || (twice == denominator && quotient % 2 != 0)) {
        return quotient + 1;
      }
      return quotient;
    }
  }
  return quotient;
}

bool WithinPointsLimit(Int128 points) {
  return points >= -kMaxPointsPerRequest && points <= kMaxPointsPerRequest;
}

}  // namespace

std::optional<Error> ValidateEarnRules(const EarnRules& rules) {
  if (auto e = ValidateEarnRate(rules.base, "rules.base")) return e;
  if (rules.multipliers.size() > kMaxEarnRuleEntries) {
    return Error::InvalidArgument("rules.multipliers",
                                  "at most " + std::to_string(kMaxEarnRuleEntries) + " entries");
  }
  if (auto e = ValidateNameList(rules.excluded_categories, "rules.excluded_categories")) {
    return e;
  }
  if (auto e = ValidateNameList(rules.excluded_skus, "rules.excluded_skus")) return e;
  const std::unordered_set<std::string> excluded_categories(rules.excluded_categories.begin(),
                                                            rules.excluded_categories.end());
  const std::unordered_set<std::string> excluded_skus(rules.excluded_skus.begin(),
                                                      rules.excluded_skus.end());
  std::unordered_set<std::string> categories;
  std::unordered_set<std::string> skus;
  for (size_t i = 0; i < rules.multipliers.size(); ++i) {
    const EarnMultiplier& multiplier = rules.multipliers[i];
    const std::string field = Indexed("rules.multipliers", i);
    if (multiplier.category.empty() == multiplier.sku.empty()) {
      return Error::InvalidArgument(field, "set exactly one of category and sku");
    }
    if (!multiplier.sku.empty()) {
      if (auto e = ValidateRequiredText(multiplier.sku, kMaxShortTextLength, field + ".sku")) {
        return e;
      }
      if (!skus.insert(multiplier.sku).second) {
        return Error::InvalidArgument(field + ".sku", "duplicate multiplier for this sku");
      }
      if (excluded_skus.contains(multiplier.sku)) {
        return Error::InvalidArgument(field + ".sku", "sku is also excluded");
      }
    } else {
      if (auto e =
              ValidateRequiredText(multiplier.category, kMaxShortTextLength, field + ".category")) {
        return e;
      }
      if (!categories.insert(multiplier.category).second) {
        return Error::InvalidArgument(field + ".category",
                                      "duplicate multiplier for this category");
      }
      if (excluded_categories.contains(multiplier.category)) {
        return Error::InvalidArgument(field + ".category", "category is also excluded");
      }
    }
    if (auto e = ValidateMultiplierBps(multiplier.multiplier_bps, 0, field + ".multiplier_bps")) {
      return e;
    }
  }
  if (rules.min_spend_minor < 0 || rules.min_spend_minor > kMaxAmountMinor) {
    return Error::InvalidArgument("rules.min_spend_minor", "must be between 0 and 1000000000000");
  }
  if (rules.max_points_per_transaction < 0 ||
      rules.max_points_per_transaction > kMaxPointsPerRequest) {
    return Error::InvalidArgument("rules.max_points_per_transaction",
                                  "must be between 0 (no cap) and 1000000000000");
  }
  switch (rules.rounding) {
    case EarnRounding::kDown:
    case EarnRounding::kHalfEven:
    case EarnRounding::kUp:
      break;
    default:
      return Error::InvalidArgument("rules.rounding", "unknown rounding mode");
  }
  return std::nullopt;
}

Result<EarnBreakdown> EvaluateEarn(const EarnRules& rules, const EarnInput& input) {
  if (auto e = ValidateEarnRules(rules)) return *e;
  if (auto e = ValidateEarnInput(input)) return *e;

  std::unordered_map<std::string, int32_t> sku_multipliers;
  std::unordered_map<std::string, int32_t> category_multipliers;
  for (const EarnMultiplier& multiplier : rules.multipliers) {
    if (!multiplier.sku.empty()) {
      sku_multipliers.emplace(multiplier.sku, multiplier.multiplier_bps);
    } else {
      category_multipliers.emplace(multiplier.category, multiplier.multiplier_bps);
    }
  }
  const std::unordered_set<std::string> excluded_categories(rules.excluded_categories.begin(),
                                                            rules.excluded_categories.end());
  const std::unordered_set<std::string> excluded_skus(rules.excluded_skus.begin(),
                                                      rules.excluded_skus.end());

  EarnBreakdown breakdown;
  std::vector<EligibleLine> lines;
  lines.reserve(input.line_items.size() + 1);
  int64_t covered = 0;
  for (const LineItem& item : input.line_items) {
    covered += item.amount.amount_minor;
    const bool excluded = (!item.sku.empty() && excluded_skus.contains(item.sku)) ||
                          (!item.category.empty() && excluded_categories.contains(item.category));
    if (excluded) {
      breakdown.excluded_amount_minor += item.amount.amount_minor;
      continue;
    }
    EligibleLine line;
    line.category = item.category.empty() ? nullptr : &item.category;
    line.amount_minor = item.amount.amount_minor;
    if (auto sku = sku_multipliers.find(item.sku);
        !item.sku.empty() && sku != sku_multipliers.end()) {
      line.multiplier_bps = sku->second;
    } else if (auto category = category_multipliers.find(item.category);
               !item.category.empty() && category != category_multipliers.end()) {
      line.multiplier_bps = category->second;
    }
    breakdown.eligible_amount_minor += line.amount_minor;
    lines.push_back(line);
  }
  if (input.amount_minor > covered) {
    // The rest of the amount: uncategorised, no SKU, so never excluded and 1x.
    lines.push_back(EligibleLine{nullptr, input.amount_minor - covered, kOneTimesBps});
    breakdown.eligible_amount_minor += input.amount_minor - covered;
  }
  if (breakdown.eligible_amount_minor < rules.min_spend_minor) return breakdown;

  // Exact components over the common denominator Q·10^8.
  const Int128 points_rate = rules.base.points;
  const Int128 denominator = static_cast<Int128>(rules.base.per_amount_minor) * kBpsSquared;
  const Int128 tier_extra_bps = static_cast<Int128>(input.tier_multiplier_bps) - kBps;
  Int128 base = 0;
  Int128 multiplier = 0;
  Int128 tier = 0;
  for (const EligibleLine& line : lines) {
    const Int128 line_base = static_cast<Int128>(line.amount_minor) * points_rate;
    base += line_base * kBpsSquared;
    multiplier += line_base * (static_cast<Int128>(line.multiplier_bps) - kBps) * kBps;
    tier += line_base * line.multiplier_bps * tier_extra_bps;
  }

  struct CampaignShare {
    int64_t campaign_id;
    Int128 numerator;
  };
  std::vector<CampaignShare> campaigns;
  for (const CampaignOffer& campaign : input.campaigns) {
    const std::set<std::string> categories(campaign.categories.begin(), campaign.categories.end());
    int64_t campaign_amount = 0;
    Int128 campaign_base = 0;
    for (const EligibleLine& line : lines) {
      const bool covers =
          categories.empty() || (line.category != nullptr && categories.contains(*line.category));
      if (!covers) continue;
      campaign_amount += line.amount_minor;
      campaign_base += static_cast<Int128>(line.amount_minor) * points_rate;
    }
    if (campaign_amount <= 0 || campaign_amount < campaign.min_spend_minor) continue;
    const Int128 numerator = campaign_base * campaign.multiplier_bps * kBps +
                             static_cast<Int128>(campaign.fixed_points) * denominator;
    if (numerator > 0) campaigns.push_back({campaign.campaign_id, numerator});
  }

  Int128 exact_total = base + multiplier + tier;
  for (const CampaignShare& campaign : campaigns) exact_total += campaign.numerator;
  const Int128 total = RoundQuotient(exact_total, denominator, rules.rounding);

  // Truncation toward zero of each non-base component; base takes the rest, so
  // the parts add up exactly. With multipliers >= 0 this keeps base >= 0:
  // total >= floor(base + multiplier) + Σ trunc(positive parts).
  const Int128 multiplier_points = multiplier / denominator;
  const Int128 tier_points = tier / denominator;
  Int128 campaign_total = 0;
  std::vector<Int128> campaign_points;
  campaign_points.reserve(campaigns.size());
  for (const CampaignShare& campaign : campaigns) {
    campaign_points.push_back(campaign.numerator / denominator);
    campaign_total += campaign_points.back();
  }
  const Int128 base_points = total - multiplier_points - tier_points - campaign_total;
  if (total > kMaxPointsPerRequest || !WithinPointsLimit(base_points) ||
      !WithinPointsLimit(multiplier_points) || !WithinPointsLimit(tier_points)) {
    return Error::InvalidArgument("amount", "earns more points than one request may carry",
                                  "POINTS_LIMIT_EXCEEDED");
  }
  // Each campaign's points are at most the total (all parts but multiplier are
  // non-negative, and base + multiplier >= 0), so they fit too.
  breakdown.base_points = static_cast<int64_t>(base_points);
  breakdown.multiplier_points = static_cast<int64_t>(multiplier_points);
  breakdown.tier_points = static_cast<int64_t>(tier_points);
  for (size_t i = 0; i < campaigns.size(); ++i) {
    if (campaign_points[i] > 0) {
      breakdown.campaign_points.push_back(
          {campaigns[i].campaign_id, static_cast<int64_t>(campaign_points[i])});
    }
  }
  int64_t total_points = static_cast<int64_t>(total);
  if (rules.max_points_per_transaction > 0 && total_points > rules.max_points_per_transaction) {
    breakdown.capped_points = total_points - rules.max_points_per_transaction;
    total_points = rules.max_points_per_transaction;
  }
  breakdown.total_points = total_points;
  return breakdown;
}

std::optional<Error> ValidateTiers(const std::vector<TierRule>& tiers) {
  if (tiers.empty() || tiers.size() > kMaxTiers) {
    return Error::InvalidArgument("tiers", "between 1 and " + std::to_string(kMaxTiers) + " tiers");
  }
  std::unordered_set<std::string> names;
  for (size_t i = 0; i < tiers.size(); ++i) {
    const TierRule& tier = tiers[i];
    const std::string field = Indexed("tiers", i);
    if (auto e = ValidateRequiredText(tier.name, kMaxShortTextLength, field + ".name")) return e;
    if (!names.insert(tier.name).second) {
      return Error::InvalidArgument(field + ".name", "duplicate tier name");
    }
    if (i == 0 && tier.threshold_points != 0) {
      return Error::InvalidArgument(field + ".threshold_points", "the first tier starts at 0");
    }
    if (tier.threshold_points < 0 || tier.threshold_points > kMaxTierThresholdPoints) {
      return Error::InvalidArgument(field + ".threshold_points",
                                    "must be between 0 and 1000000000000000");
    }
    if (i > 0 && tier.threshold_points <= tiers[i - 1].threshold_points) {
      return Error::InvalidArgument(field + ".threshold_points",
                                    "must be above the previous tier's threshold");
    }
    if (auto e = ValidateMultiplierBps(tier.earn_multiplier_bps, kOneTimesBps,
                                       field + ".earn_multiplier_bps")) {
      return e;
    }
  }
  return std::nullopt;
}

TierStatus TierFor(const std::vector<TierRule>& tiers, int64_t qualifying_points) {
  TierStatus status;
  if (tiers.empty()) return status;
  for (size_t i = 1; i < tiers.size() && tiers[i].threshold_points <= qualifying_points; ++i) {
    status.tier_index = i;
  }
  if (status.tier_index + 1 < tiers.size()) {
    status.next_index = status.tier_index + 1;
    // Thresholds are at most 10^15; 128 bits keep the gap exact for any
    // (even very negative) points, and it is clamped into int64.
    const Int128 gap =
        static_cast<Int128>(tiers[*status.next_index].threshold_points) - qualifying_points;
    status.points_to_next =
        static_cast<int64_t>(std::min<Int128>(gap, std::numeric_limits<int64_t>::max()));
  }
  return status;
}

size_t TierAfterReview(const std::vector<TierRule>& tiers, size_t current_index,
                       int64_t qualifying_points, std::optional<int64_t> days_below,
                       int64_t grace_days) {
  if (tiers.empty()) return 0;
  const size_t current = std::min(current_index, tiers.size() - 1);
  const size_t earned = TierFor(tiers, qualifying_points).tier_index;
  if (earned >= current) return earned;
  if (days_below.has_value() && *days_below >= grace_days) return earned;
  return current;
}

namespace {

size_t ClampedRank(const std::vector<TierRule>& tiers, size_t rank) {
  return std::min(rank, tiers.size() - 1);
}

// The grace period after the tier decided: running while the points stay
// below the tier's threshold, from the first time that was seen.
MemberTier WithGrace(const std::vector<TierRule>& tiers, size_t rank, const MemberTier& held,
                     int64_t qualifying_points, Timestamp now) {
  MemberTier result{rank, std::nullopt};
  if (qualifying_points < tiers[rank].threshold_points) {
    result.below_since =
        rank == ClampedRank(tiers, held.rank) ? held.below_since.value_or(now) : now;
  }
  return result;
}

}  // namespace

MemberTier TierAfterAccrual(const std::vector<TierRule>& tiers, const MemberTier& held,
                            int64_t qualifying_points, Timestamp now) {
  if (tiers.empty()) return held;
  const size_t current = ClampedRank(tiers, held.rank);
  const size_t rank = std::max(current, TierFor(tiers, qualifying_points).tier_index);
  return WithGrace(tiers, rank, held, qualifying_points, now);
}

MemberTier ReviewTier(const std::vector<TierRule>& tiers, const MemberTier& held,
                      int64_t qualifying_points, Timestamp now, int64_t grace_days) {
  if (tiers.empty()) return held;
  const size_t current = ClampedRank(tiers, held.rank);
  std::optional<int64_t> days_below;
  if (qualifying_points < tiers[current].threshold_points) {
    const Timestamp below_since = held.below_since.value_or(now);
    days_below = std::chrono::duration_cast<std::chrono::hours>(now - below_since).count() / 24;
  }
  const size_t rank =
      TierAfterReview(tiers, current, qualifying_points, days_below, grace_days);
  return WithGrace(tiers, rank, held, qualifying_points, now);
}

TierStatus HeldTierStatus(const std::vector<TierRule>& tiers, size_t held_rank,
                          int64_t qualifying_points) {
  TierStatus status;
  if (tiers.empty()) return status;
  status.tier_index = ClampedRank(tiers, held_rank);
  if (status.tier_index + 1 < tiers.size()) {
    status.next_index = status.tier_index + 1;
    const Int128 gap =
        static_cast<Int128>(tiers[*status.next_index].threshold_points) - qualifying_points;
    status.points_to_next = static_cast<int64_t>(
        std::clamp<Int128>(gap, 0, std::numeric_limits<int64_t>::max()));
  }
  return status;
}

std::vector<int64_t> TopSpenders(std::vector<std::pair<int64_t, int64_t>> spend_by_member,
                                 int percent) {
  std::map<int64_t, Int128> totals;
  for (const auto& [member_id, spend] : spend_by_member) totals[member_id] += spend;
  std::vector<std::pair<int64_t, Int128>> spenders;
  for (const auto& [member_id, spend] : totals) {
    if (spend > 0) spenders.emplace_back(member_id, spend);
  }
  if (spenders.empty()) return {};
  const int64_t clamped = std::clamp(percent, 1, 100);
  const size_t count = std::max<size_t>(
      1, static_cast<size_t>((static_cast<int64_t>(spenders.size()) * clamped + 99) / 100));
  std::sort(spenders.begin(), spenders.end(), [](const auto& a, const auto& b) {
    if (a.second != b.second) return a.second > b.second;
    return a.first < b.first;
  });
  std::vector<int64_t> selected;
  selected.reserve(count);
  for (size_t i = 0; i < count; ++i) selected.push_back(spenders[i].first);
  return selected;
}

int32_t ForecastRedemptionRateBps(const std::vector<Cohort>& cohorts) {
  struct Pool {
    long double issued = 0;
    long double redeemed = 0;
  };
  struct Clean {
    long double issued;
    long double redeemed;
    long double expired;
    int age;
  };
  std::vector<Clean> clean;
  std::map<int, Pool> by_age;
  for (const Cohort& cohort : cohorts) {
    if (cohort.issued <= 0) continue;
    const int64_t redeemed = std::clamp<int64_t>(cohort.redeemed, 0, cohort.issued);
    const int64_t expired = std::clamp<int64_t>(cohort.expired, 0, cohort.issued - redeemed);
    const int age = std::max(cohort.age_months, 0);
    clean.push_back({static_cast<long double>(cohort.issued), static_cast<long double>(redeemed),
                     static_cast<long double>(expired), age});
    Pool& pool = by_age[age];
    pool.issued += static_cast<long double>(cohort.issued);
    pool.redeemed += static_cast<long double>(redeemed);
  }
  if (clean.empty()) return 0;

  // The cumulative redemption curve, non-decreasing with age.
  std::map<int, long double> curve;
  long double running = 0;
  for (const auto& [age, pool] : by_age) {
    running = std::max(running, pool.redeemed / pool.issued);
    curve[age] = running;
  }
  const long double ultimate_ratio = running;

  long double total_issued = 0;
  long double total_ultimate = 0;
  for (const Clean& cohort : clean) {
    const long double developed =
        cohort.redeemed + cohort.issued * (ultimate_ratio - curve[cohort.age]);
    const long double ceiling = cohort.issued - cohort.expired;
    total_ultimate += std::clamp(developed, cohort.redeemed, ceiling);
    total_issued += cohort.issued;
  }
  const long double rate = total_ultimate / total_issued * kOneTimesBps;
  return static_cast<int32_t>(std::clamp<long double>(std::llround(rate), 0, kOneTimesBps));
}

}  // namespace coalition::domain
