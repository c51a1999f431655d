#include "coalition/cli/programme_commands.h"

#include <chrono>
#include <fstream>
#include <ostream>
#include <sstream>

#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/time_util.h>
#include <grpcpp/client_context.h>

#include "coalition/cli/exit_codes.h"
#include "coalition/cli/output.h"
#include "coalition/sdk/errors.h"

namespace coalition::cli {

namespace v1 = ::coalition::v1;

namespace {

bool ParseTime(const std::string& text, google::protobuf::Timestamp* out) {
  return google::protobuf::util::TimeUtil::FromString(text, out);
}

google::protobuf::Timestamp Now() {
  google::protobuf::Timestamp now;
  now.set_seconds(std::chrono::duration_cast<std::chrono::seconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count());
  return now;
}

std::string SegmentText(const v1::BonusGrant& grant) {
  if (grant.has_lapsing()) {
    return "lapsing: no activity for " + std::to_string(grant.lapsing().days()) + " days";
  }
  return "top " + std::to_string(grant.top_spenders().percent()) + "% by spend, " +
         FormatTimestamp(grant.top_spenders().from()) + " to " +
         FormatTimestamp(grant.top_spenders().to());
}

// "fuel=20000" (a category) or "sku:ABC-1=15000".
bool ParseMultiplier(const std::string& text, v1::EarnMultiplier* out) {
  const auto equals = text.rfind('=');
  if (equals == std::string::npos || equals == 0 || equals + 1 == text.size()) return false;
  const std::string name = text.substr(0, equals);
  std::int32_t bps = 0;
  try {
    size_t used = 0;
    bps = std::stoi(text.substr(equals + 1), &used);
    if (used != text.size() - equals - 1) return false;
  } catch (const std::exception&) {
    return false;
  }
  if (name.rfind("sku:", 0) == 0) {
    if (name.size() == 4) return false;
    out->set_sku(name.substr(4));
  } else {
    out->set_category(name);
  }
  out->set_multiplier_bps(bps);
  return true;
}

}  // namespace

ProgrammeCommands::ProgrammeCommands(v1::AdminService::StubInterface& stub,
                                     sdk::ChannelOptions channel, OutputFormat output,
                                     std::ostream& out, std::ostream& err)
    : stub_(stub), channel_(std::move(channel)), output_(output), out_(out), err_(err) {}

int ProgrammeCommands::Fail(const grpc::Status& status) {
  err_ << "error: " << sdk::FormatError(status) << '\n';
  return ExitCodeFor(status.error_code());
}

int ProgrammeCommands::Usage(const std::string& message) {
  err_ << "error: " << message << "\nRun with --help for more information.\n";
  return kExitUsage;
}

void ProgrammeCommands::PrintGrant(const v1::BonusGrant& grant) {
  if (output_ == OutputFormat::kJson) {
    out_ << ToJson(grant);
    return;
  }
  PrintFields(out_, {{"grant_id", grant.grant_id()},
                     {"request_id", grant.request_id()},
                     {"segment", SegmentText(grant)},
                     {"points_each", std::to_string(grant.points())},
                     {"members", std::to_string(grant.member_count())},
                     {"total_points", std::to_string(grant.total_points())},
                     {"granted", std::to_string(grant.granted_members()) + " of " +
                                     std::to_string(grant.member_count())},
                     {"complete", grant.complete() ? "yes" : "no"},
                     {"reason", grant.reason()},
                     {"by", grant.actor()},
                     {"as_of", FormatTimestamp(grant.as_of())},
                     {"created_at", FormatTimestamp(grant.created_at())}});
}

int ProgrammeCommands::BonusGrant(const BonusGrantArgs& args) {
  if (args.request_id.empty()) return Usage("bonus grant: --request-id is required");
  const bool top = args.top_percent != 0;
  const bool lapsing = args.lapsed_days != 0;
  if (top == lapsing) {
    return Usage("bonus grant: give one of --top-percent (with --from, --to) or --lapsed-days");
  }
  v1::GrantTargetedBonusRequest request;
  request.set_request_id(args.request_id);
  request.set_points(args.points);
  request.set_reason(args.reason);
  if (top) {
    auto* segment = request.mutable_top_spenders();
    segment->set_percent(args.top_percent);
    if (!ParseTime(args.from, segment->mutable_from())) {
      return Usage("bonus grant: --from must be an RFC 3339 time");
    }
    if (!ParseTime(args.to, segment->mutable_to())) {
      return Usage("bonus grant: --to must be an RFC 3339 time");
    }
  } else {
    request.mutable_lapsing()->set_days(args.lapsed_days);
  }
  grpc::ClientContext context;
  sdk::PrepareContext(context, channel_);
  v1::BonusGrant response;
  if (grpc::Status status = stub_.GrantTargetedBonus(&context, request, &response);
      !status.ok()) {
    return Fail(status);
  }
  PrintGrant(response);
  return kExitOk;
}

int ProgrammeCommands::BonusShow(const std::string& grant_id) {
  v1::GetBonusGrantRequest request;
  request.set_grant_id(grant_id);
  grpc::ClientContext context;
  sdk::PrepareContext(context, channel_);
  v1::BonusGrant response;
  if (grpc::Status status = stub_.GetBonusGrant(&context, request, &response); !status.ok()) {
    return Fail(status);
  }
  PrintGrant(response);
  return kExitOk;
}

int ProgrammeCommands::BreakageForecast(int months) {
  v1::GetRedemptionForecastRequest request;
  const auto now = Now();
  // Whole months back are approximated by 31 days: the server groups by
  // calendar month anyway.
  request.mutable_from()->set_seconds(now.seconds() - std::int64_t{31} * 24 * 3600 * months);
  *request.mutable_as_of() = now;
  grpc::ClientContext context;
  sdk::PrepareContext(context, channel_);
  v1::GetRedemptionForecastResponse response;
  if (grpc::Status status = stub_.GetRedemptionForecast(&context, request, &response);
      !status.ok()) {
    return Fail(status);
  }
  if (output_ == OutputFormat::kJson) {
    out_ << ToJson(response);
    return kExitOk;
  }
  Table table({"MONTH", "AGE", "ISSUED", "REDEEMED", "EXPIRED"});
  for (const auto& cohort : response.cohorts()) {
    table.AddRow({FormatTimestamp(cohort.month()).substr(0, 7), std::to_string(cohort.age_months()),
                  std::to_string(cohort.issued_points()), std::to_string(cohort.redeemed_points()),
                  std::to_string(cohort.expired_points())});
  }
  table.Print(out_);
  out_ << '\n';
  PrintFields(out_, {{"redemption_rate", FormatBps(response.redemption_rate_bps())},
                     {"breakage_rate", FormatBps(response.breakage_rate_bps())},
                     {"issued_points", std::to_string(response.issued_points())},
                     {"estimated_breakage_points",
                      std::to_string(response.estimated_breakage_points())}});
  return kExitOk;
}

int ProgrammeCommands::RulesSet(const RulesSetArgs& args) {
  v1::SetEarnRulesRequest request;
  if (args.partner.kind == PartnerRef::Kind::kId) {
    request.set_partner_id(args.partner.value);
  } else {
    request.set_partner_code(args.partner.value);
  }
  v1::EarnRules& rules = *request.mutable_rules();
  if (!args.file.empty()) {
    std::ifstream in(args.file);
    std::stringstream text;
    text << in.rdbuf();
    if (!in) return Usage("rules set: cannot read " + args.file);
    const auto parsed = google::protobuf::util::JsonStringToMessage(text.str(), &rules);
    if (!parsed.ok()) {
      return Usage("rules set: " + args.file + " is not EarnRules JSON: " +
                   std::string(parsed.message()));
    }
  }
  if (args.base_points != 0) rules.set_base_points(args.base_points);
  if (args.base_per_minor != 0) rules.set_base_per_amount_minor(args.base_per_minor);
  for (const auto& text : args.multipliers) {
    if (!ParseMultiplier(text, rules.add_multipliers())) {
      return Usage("rules set: --multiplier takes CATEGORY=BPS or sku:SKU=BPS, not \"" + text +
                   "\"");
    }
  }
  for (const auto& category : args.exclude_categories) rules.add_excluded_categories(category);
  for (const auto& sku : args.exclude_skus) rules.add_excluded_skus(sku);
  if (args.min_spend_minor >= 0) rules.set_min_spend_minor(args.min_spend_minor);
  if (args.max_points >= 0) rules.set_max_points_per_transaction(args.max_points);
  if (args.rounding == "down") {
    rules.set_rounding(v1::EARN_ROUNDING_DOWN);
  } else if (args.rounding == "half-even") {
    rules.set_rounding(v1::EARN_ROUNDING_HALF_EVEN);
  } else if (args.rounding == "up") {
    rules.set_rounding(v1::EARN_ROUNDING_UP);
  } else if (!args.rounding.empty()) {
    return Usage("rules set: --rounding is down, half-even or up");
  }
  if (rules.base_points() == 0 || rules.base_per_amount_minor() == 0) {
    return Usage("rules set: give --base-points and --base-per-minor (or a --file with them)");
  }
  if (!args.effective_from.empty() &&
      !ParseTime(args.effective_from, request.mutable_effective_from())) {
    return Usage("rules set: --effective-from must be an RFC 3339 time");
  }
  grpc::ClientContext context;
  sdk::PrepareContext(context, channel_);
  v1::SetEarnRulesResponse response;
  if (grpc::Status status = stub_.SetEarnRules(&context, request, &response); !status.ok()) {
    return Fail(status);
  }
  if (output_ == OutputFormat::kJson) {
    out_ << ToJson(response);
  } else {
    PrintFields(out_, {{"partner_id", response.partner_id()},
                       {"effective_from", FormatTimestamp(response.effective_from())}});
  }
  return kExitOk;
}

int ProgrammeCommands::CampaignCreate(const CampaignCreateArgs& args) {
  v1::CreateCampaignRequest request;
  request.set_name(args.name);
  request.set_partner_code(args.partner_code);
  if (!ParseTime(args.starts_at, request.mutable_starts_at())) {
    return Usage("campaign create: --starts-at must be an RFC 3339 time");
  }
  if (!ParseTime(args.ends_at, request.mutable_ends_at())) {
    return Usage("campaign create: --ends-at must be an RFC 3339 time");
  }
  for (const auto& category : args.categories) request.add_categories(category);
  request.set_multiplier_bps(args.multiplier_bps);
  request.set_fixed_points(args.fixed_points);
  request.set_min_spend_minor(args.min_spend_minor);
  request.set_operator_funded(args.operator_funded);
  request.set_budget_points(args.budget_points);
  request.set_member_cap_points(args.member_cap_points);
  request.set_first_purchase_at_new_brand(args.first_at_new_brand);
  grpc::ClientContext context;
  sdk::PrepareContext(context, channel_);
  v1::CreateCampaignResponse response;
  if (grpc::Status status = stub_.CreateCampaign(&context, request, &response); !status.ok()) {
    return Fail(status);
  }
  if (output_ == OutputFormat::kJson) {
    out_ << ToJson(response);
  } else {
    PrintFields(out_, {{"campaign_id", response.campaign_id()}});
  }
  return kExitOk;
}

namespace {

std::string JoinList(const google::protobuf::RepeatedPtrField<std::string>& items) {
  std::string text;
  for (const auto& item : items) text += (text.empty() ? "" : ",") + item;
  return text.empty() ? "-" : text;
}

std::string MultipliersText(const v1::EarnRules& rules) {
  std::string text;
  for (const auto& m : rules.multipliers()) {
    if (!text.empty()) text += ",";
    text += (m.sku().empty() ? m.category() : "sku:" + m.sku()) + "=" + FormatBps(m.multiplier_bps());
  }
  return text.empty() ? "-" : text;
}

const char* RoundingName(v1::EarnRounding rounding) {
  switch (rounding) {
    case v1::EARN_ROUNDING_HALF_EVEN: return "half-even";
    case v1::EARN_ROUNDING_UP: return "up";
    default: return "down";
  }
}

}  // namespace

int ProgrammeCommands::RulesShow(const PartnerRef& partner) {
  v1::GetEarnRulesRequest request;
  if (partner.kind == PartnerRef::Kind::kId) {
    request.set_partner_id(partner.value);
  } else {
    request.set_partner_code(partner.value);
  }
  grpc::ClientContext context;
  sdk::PrepareContext(context, channel_);
  v1::GetEarnRulesResponse response;
  if (grpc::Status status = stub_.GetEarnRules(&context, request, &response); !status.ok()) {
    return Fail(status);
  }
  if (output_ == OutputFormat::kJson) {
    out_ << ToJson(response);
    return kExitOk;
  }
  if (response.versions().empty()) {
    out_ << "no earn rules: partner " << response.partner_id() << " earns at its plain rate\n";
    return kExitOk;
  }
  Table table({"EFFECTIVE FROM", "BASE", "MULTIPLIERS", "EXCLUDED", "MIN SPEND", "CAP",
               "ROUNDING"});
  for (const auto& version : response.versions()) {
    const auto& rules = version.rules();
    std::string excluded = JoinList(rules.excluded_categories());
    if (rules.excluded_skus_size() > 0) {
      excluded += (excluded == "-" ? std::string() : std::string(",")) + "sku:" +
                  JoinList(rules.excluded_skus());
      if (excluded.rfind("-", 0) == 0) excluded = excluded.substr(1);
    }
    table.AddRow({FormatTimestamp(version.effective_from()),
                  std::to_string(rules.base_points()) + " pt per " +
                      std::to_string(rules.base_per_amount_minor()),
                  MultipliersText(rules), excluded, std::to_string(rules.min_spend_minor()),
                  rules.max_points_per_transaction() == 0
                      ? "none"
                      : std::to_string(rules.max_points_per_transaction()),
                  RoundingName(rules.rounding())});
  }
  table.Print(out_);
  return kExitOk;
}

int ProgrammeCommands::CampaignList(const std::string& partner_code) {
  v1::ListCampaignsResponse all;
  std::string token;
  do {
    v1::ListCampaignsRequest request;
    request.set_partner_code(partner_code);
    request.set_page_size(500);
    request.set_page_token(token);
    grpc::ClientContext context;
    sdk::PrepareContext(context, channel_);
    v1::ListCampaignsResponse page;
    if (grpc::Status status = stub_.ListCampaigns(&context, request, &page); !status.ok()) {
      return Fail(status);
    }
    for (const auto& campaign : page.campaigns()) *all.add_campaigns() = campaign;
    token = page.next_page_token();
  } while (!token.empty());
  if (output_ == OutputFormat::kJson) {
    out_ << ToJson(all);
    return kExitOk;
  }
  Table table({"ID", "NAME", "PARTNER", "KIND", "STARTS", "ENDS", "BONUS", "FUNDED BY",
               "AWARDED/BUDGET", "MEMBER CAP"});
  for (const auto& c : all.campaigns()) {
    std::string bonus;
    if (c.multiplier_bps() != 0) bonus = "+" + FormatBps(c.multiplier_bps());
    if (c.fixed_points() != 0) {
      bonus += (bonus.empty() ? "" : " ") + std::string("+") + std::to_string(c.fixed_points()) +
               " pt";
    }
    table.AddRow({c.campaign_id(), c.name(), c.partner_code().empty() ? "(all)" : c.partner_code(),
                  c.first_purchase_at_new_brand() ? "first-at-brand" : "purchase",
                  FormatTimestamp(c.starts_at()), FormatTimestamp(c.ends_at()), bonus,
                  c.operator_funded() ? "operator" : "partner",
                  std::to_string(c.awarded_points()) + "/" + std::to_string(c.budget_points()),
                  c.member_cap_points() == 0 ? "none" : std::to_string(c.member_cap_points())});
  }
  table.Print(out_);
  return kExitOk;
}

}  // namespace coalition::cli
