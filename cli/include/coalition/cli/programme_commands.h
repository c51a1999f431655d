#pragma once

#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

#include "coalition/cli/commands.h"
#include "coalition/cli/settings.h"
#include "coalition/sdk/channel.h"
#include "coalition/v1/admin_service.grpc.pb.h"

namespace coalition::cli {

/// `bonus grant`: exactly one segment, --top-percent (with --from/--to) or
/// --lapsed-days.
struct BonusGrantArgs {
  std::string request_id;  // required: a retry must reuse it
  int top_percent = 0;
  std::string from;  // RFC 3339
  std::string to;    // RFC 3339
  int lapsed_days = 0;
  std::int64_t points = 0;
  std::string reason;
};

/// `rules set`: the earn rules from flags, or from a JSON file in the
/// AdminService EarnRules shape (flags given as well override it).
struct RulesSetArgs {
  PartnerRef partner;
  std::string file;  // JSON; empty: flags only
  std::int64_t base_points = 0;
  std::int64_t base_per_minor = 0;
  /// "CATEGORY=BPS" or "sku:SKU=BPS", e.g. "fuel=20000".
  std::vector<std::string> multipliers;
  std::vector<std::string> exclude_categories;
  std::vector<std::string> exclude_skus;
  std::int64_t min_spend_minor = -1;  // -1: not given
  std::int64_t max_points = -1;       // -1: not given
  std::string rounding;               // down | half-even | up; empty: not given
  std::string effective_from;         // RFC 3339; empty: now
};

/// `campaign create`.
struct CampaignCreateArgs {
  std::string name;
  std::string partner_code;  // empty: every partner (operator-funded)
  std::string starts_at;     // RFC 3339
  std::string ends_at;       // RFC 3339
  std::vector<std::string> categories;
  std::int32_t multiplier_bps = 0;
  std::int64_t fixed_points = 0;
  std::int64_t min_spend_minor = 0;
  bool operator_funded = false;
  std::int64_t budget_points = 0;
  std::int64_t member_cap_points = 0;
  bool first_at_new_brand = false;
};

/// coalitionctl's programme-rules commands: earn rules, campaigns, targeted
/// bonuses and the redemption forecast. Each returns the exit code; errors
/// print one `error: ...` line on `err`.
class ProgrammeCommands {
 public:
  ProgrammeCommands(coalition::v1::AdminService::StubInterface& stub, sdk::ChannelOptions channel,
                    OutputFormat output, std::ostream& out, std::ostream& err);

  int BonusGrant(const BonusGrantArgs& args);
  int BonusShow(const std::string& grant_id);
  /// Cohorts of the last `months` months (as of now) and the forecast.
  int BreakageForecast(int months);
  int RulesSet(const RulesSetArgs& args);
  /// Every version of the partner's earn rules, oldest first.
  int RulesShow(const PartnerRef& partner);
  int CampaignCreate(const CampaignCreateArgs& args);
  /// All campaigns (of `partner_code` when not empty), following pages.
  int CampaignList(const std::string& partner_code);

 private:
  int Fail(const grpc::Status& status);
  int Usage(const std::string& message);
  void PrintGrant(const coalition::v1::BonusGrant& grant);

  coalition::v1::AdminService::StubInterface& stub_;
  sdk::ChannelOptions channel_;
  OutputFormat output_;
  std::ostream& out_;
  std::ostream& err_;
};

}  // namespace coalition::cli
