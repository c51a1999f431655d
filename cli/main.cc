// coalitionctl: the operator and finance command line. This file only wires
// the command line to the library (settings, commands, output), so that all
// behaviour worth testing lives in coalitionctl_lib.

#include <grpcpp/grpcpp.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <exception>
#include <iostream>
#include <memory>
#include <optional>
#include <string>

#include "coalition/cli/commands.h"
#include "coalition/cli/exit_codes.h"
#include "coalition/cli/programme_commands.h"
#include "coalition/cli/settings.h"
#include "coalition/cli/settlement_commands.h"
#include "coalition/sdk/channel.h"

#ifndef COALITION_VERSION
#define COALITION_VERSION "0.0.0"
#endif

namespace coalition::cli {
namespace {

// VerifyLedger scans the whole ledger; the SDK's per-call default would cut
// it off on any real database.
constexpr std::chrono::minutes kVerifyTimeout{10};

// gRPC core reports transport failures (a failed TLS handshake, say) on
// stderr by itself; the status printed afterwards already says what failed, in
// one line. Setting GRPC_VERBOSITY brings the core logs back for debugging.

int UsageError(const std::string& message) {
  std::cerr << "error: " << message << "\nRun with --help for more information.\n";
  return kExitUsage;
}

template <typename T>
std::optional<T> IfGiven(const CLI::Option* option, const T& value) {
  return option->count() > 0 ? std::optional<T>(value) : std::nullopt;
}

// --partner, with --partner-id and --partner-code to override the guess.
struct PartnerFlags {
  std::string any;
  std::string id;
  std::string code;
  CLI::Option* any_opt = nullptr;
  CLI::Option* id_opt = nullptr;
  CLI::Option* code_opt = nullptr;

  void AddTo(CLI::App* command) {
    any_opt = command->add_option(
        "--partner", any,
        "Partner code or id: a value in code syntax ([a-z0-9-]{2,32}, not all digits) is a "
        "code, anything else an id");
    id_opt = command->add_option("--partner-id", id, "Partner id (no guessing)");
    code_opt = command->add_option("--partner-code", code, "Partner code (no guessing)");
    any_opt->excludes(id_opt)->excludes(code_opt);
    id_opt->excludes(code_opt);
  }
  bool Given() const { return any_opt->count() + id_opt->count() + code_opt->count() > 0; }
  PartnerRef Ref() const {
    if (id_opt->count() > 0) return {PartnerRef::Kind::kId, id};
    if (code_opt->count() > 0) return {PartnerRef::Kind::kCode, code};
    return ParsePartnerRef(any);
  }
};

int Run(int argc, char** argv) {
  CLI::App app{
      "Operate a Coalition loyalty programme: partners, API keys, redemption policies, "
      "ledger checks and settlement, over the AdminService and SettlementService gRPC APIs.",
      "coalitionctl"};
  app.require_subcommand(0, 1);
  app.set_version_flag("--version", "coalitionctl " COALITION_VERSION);
  app.failure_message([](const CLI::App*, const CLI::Error& e) {
    return "error: " + std::string(e.what()) + "\nRun with --help for more information.\n";
  });

  std::string endpoint;
  std::string key;
  bool tls = false;
  bool no_tls = false;
  std::string ca_file;
  std::string config;
  std::string output;
  int timeout_seconds = 0;
  const CLI::Option* endpoint_opt =
      app.add_option("--endpoint", endpoint,
                     "Server address host:port (env COALITION_ENDPOINT, config \"endpoint\"; "
                     "default 127.0.0.1:50051)");
  const CLI::Option* key_opt = app.add_option(
      "--key", key,
      "Operator API key (env COALITION_OPERATOR_KEY, config \"key\"; prefer those, since "
      "command lines are visible to other users)");
  CLI::Option* tls_opt = app.add_flag(
      "--tls", tls, "Use TLS (config \"tls\"; default: on when a CA file is given, else off)");
  app.add_flag("--no-tls", no_tls, "Use plaintext even if the config file says TLS")
      ->excludes(tls_opt);
  const CLI::Option* ca_file_opt = app.add_option(
      "--ca-file", ca_file, "PEM roots to trust instead of the system ones (config \"ca_file\")");
  std::string cert_file;
  std::string key_file;
  const CLI::Option* cert_file_opt = app.add_option(
      "--cert-file", cert_file,
      "PEM client certificate for servers that use mTLS (config \"cert_file\"; with --key-file)");
  const CLI::Option* key_file_opt = app.add_option(
      "--key-file", key_file, "PEM private key of --cert-file (config \"key_file\")");
  const CLI::Option* config_opt = app.add_option(
      "--config", config, "Config file (default $COALITION_CONFIG, else the per-user file)");
  const CLI::Option* output_opt =
      app.add_option("--output", output, "Result format (config \"output\"; default table)")
          ->check(CLI::IsMember({"table", "json"}));
  const CLI::Option* timeout_opt =
      app.add_option("--timeout", timeout_seconds,
                     "Per-call deadline in seconds (config \"timeout_seconds\"; default 5, "
                     "600 for verify and settlement run)")
          ->check(CLI::Range(1, 86400));

  CLI::App* partner_cmd = app.add_subcommand("partner", "Create and list partners");
  PartnerCreateArgs create_args;
  CLI::App* partner_create = partner_cmd->add_subcommand(
      "create", "Create a partner and its first API key (the secret is shown once)");
  partner_create
      ->add_option("--code", create_args.code, "Short stable name, 2-32 of [a-z0-9-], e.g. fuelco")
      ->required();
  partner_create->add_option("--name", create_args.display_name, "Display name")->required();
  partner_create
      ->add_option("--earn-points", create_args.earn_points,
                   "Points earned per --earn-per-minor of spend (1 with 100 = 1 pt per dollar)")
      ->required();
  partner_create
      ->add_option("--earn-per-minor", create_args.earn_per_minor,
                   "Spend in minor units (cents) that earns --earn-points")
      ->required();
  partner_create
      ->add_option("--issuance-price-micros", create_args.issuance_price_micros,
                   "What the partner pays per point it issues, in micro-units of the currency "
                   "(12500 = 1.25 cents)")
      ->required();
  partner_create
      ->add_option("--redemption-rate-micros", create_args.redemption_rate_micros,
                   "What the partner is reimbursed per point redeemed at its stores, in "
                   "micro-units")
      ->required();
  partner_create->add_flag("--auto-enroll", create_args.auto_enroll,
                           "Enrol unknown cards on accrual instead of failing");

  PartnerListArgs list_args;
  CLI::App* partner_list = partner_cmd->add_subcommand("list", "List partners");
  partner_list
      ->add_option("--page-size", list_args.page_size, "Partners per page (0 = 50, max 500)")
      ->check(CLI::Range(0, 500));
  partner_list->add_option("--page-token", list_args.page_token,
                           "Continue from the token printed by the previous page");
  partner_list->add_flag("--all", list_args.all, "Follow page tokens and list every partner");

  CLI::App* key_cmd = app.add_subcommand("key", "Issue and revoke partner API keys");
  CLI::App* key_create = key_cmd->add_subcommand(
      "create", "Issue another API key for a partner (the secret is shown once)");
  PartnerFlags key_partner;
  key_partner.AddTo(key_create);

  std::string key_id;
  CLI::App* key_revoke = key_cmd->add_subcommand(
      "revoke", "Revoke an API key; it stops working at once (revoking twice is harmless)");
  key_revoke->add_option("--key-id", key_id, "Id of the key to revoke")->required();

  CLI::App* cert_cmd = partner_cmd->add_subcommand(
      "cert", "Map mTLS client certificates to partners (a registered certificate "
              "authenticates as its partner without an API key)");
  CertAddArgs cert_add_args;
  CLI::App* cert_add = cert_cmd->add_subcommand(
      "add", "Register a client certificate identity for a partner");
  PartnerFlags cert_partner;
  cert_partner.AddTo(cert_add);
  CLI::Option* cert_fingerprint_opt = cert_add->add_option(
      "--fingerprint", cert_add_args.fingerprint,
      "SHA-256 fingerprint of one certificate, as `openssl x509 -noout -fingerprint -sha256 "
      "-in cert.pem` prints it (pins that certificate)");
  CLI::Option* cert_san_opt = cert_add->add_option(
      "--san", cert_add_args.san,
      "A subject alternative name, matched exactly (survives renewal: any certificate from "
      "the client CA with this name)");
  cert_fingerprint_opt->excludes(cert_san_opt);
  std::string certificate_id;
  CLI::App* cert_revoke = cert_cmd->add_subcommand(
      "revoke", "Revoke a certificate mapping (revoking twice is harmless)");
  cert_revoke->add_option("--certificate-id", certificate_id, "Id of the mapping to revoke")
      ->required();
  CLI::App* cert_list = cert_cmd->add_subcommand("list", "List certificate mappings");
  PartnerFlags cert_list_partner;
  cert_list_partner.AddTo(cert_list);

  CLI::App* policy_cmd = app.add_subcommand(
      "policy", "Show and set partners' redemption policies (paying with cash plus points)");
  CLI::App* policy_get = policy_cmd->add_subcommand(
      "get", "Show a partner's redemption policy (the server default if it has none)");
  PartnerFlags get_partner;
  get_partner.AddTo(policy_get);

  CLI::App* policy_set = policy_cmd->add_subcommand(
      "set", "Replace a partner's redemption policy; options not given take their defaults");
  PartnerFlags set_partner;
  set_partner.AddTo(policy_set);
  PolicySetArgs policy_args;
  policy_set
      ->add_option("--point-value-micros", policy_args.point_value_micros,
                   "What one point pays, in micro-units of the currency (5000 = half a cent)")
      ->required()
      ->check(CLI::PositiveNumber);
  policy_set
      ->add_option("--block-size", policy_args.block_size_points,
                   "Points are spent in multiples of this (2000 at 5000 micros = $10 blocks)")
      ->required()
      ->check(CLI::PositiveNumber);
  policy_set
      ->add_option("--min-points", policy_args.min_points,
                   "Smallest non-zero points payment (default 0: no minimum beyond a block)")
      ->check(CLI::NonNegativeNumber);
  policy_set
      ->add_option("--max-points-share-bps", policy_args.max_points_share_bps,
                   "Largest share of a price payable with points, in basis points "
                   "(10000 = all of it)")
      ->capture_default_str()
      ->check(CLI::Range(0, 10'000));
  policy_set
      ->add_option("--min-cash-minor", policy_args.min_cash_minor,
                   "Smallest cash part, in minor units, of any payment that uses points "
                   "(default 0: all-points payments allowed)")
      ->check(CLI::NonNegativeNumber);
  policy_set
      ->add_option("--split", policy_args.split_points_share_bps,
                   "A fixed split offered at checkout: the points share in basis points (8000 = "
                   "80% points, 20% cash); repeat for several")
      ->allow_extra_args(false)
      ->check(CLI::Range(1, 10'000));
  policy_set
      ->add_option("--refund-policy", policy_args.refund_policy,
                   "How a refund splits cash and points: proportional (in the ratio paid), "
                   "cash-first, points-first, or points-forfeited (only cash comes back)")
      ->capture_default_str()
      ->check(CLI::IsMember(RefundPolicyNames()));

  CLI::App* settlement_cmd = app.add_subcommand(
      "settlement", "Settle between partners: run batches, read statements, export CSV/JSON");
  SettlementRunArgs run_args;
  CLI::App* settlement_run = settlement_cmd->add_subcommand(
      "run", "Cut a batch of every unsettled transfer created before the cutoff (exit 6 if it "
             "does not reconcile)");
  settlement_run->add_option("--cutoff", run_args.cutoff,
                             "RFC 3339 time, e.g. 2026-11-01T00:00:00Z (default: now)");
  settlement_run->add_option("--mode", run_args.mode, "hub or multilateral")
      ->capture_default_str()
      ->check(CLI::IsMember({"hub", "multilateral"}));
  settlement_run->add_option("--request-id", run_args.request_id,
                             "Idempotency key (default: derived from --cutoff and --mode)");

  int batches_page_size = 0;
  std::string batches_page_token;
  bool batches_all = false;
  CLI::App* settlement_list = settlement_cmd->add_subcommand("list", "List batches, newest first");
  settlement_list->add_option("--page-size", batches_page_size, "Batches per page (0 = 50)")
      ->check(CLI::Range(0, 500));
  settlement_list->add_option("--page-token", batches_page_token, "Continue a listing");
  settlement_list->add_flag("--all", batches_all, "Follow page tokens to the end");

  std::string batch_id;
  CLI::App* settlement_show = settlement_cmd->add_subcommand(
      "show", "A batch: statement lines, flows, payments and reconciliation");
  settlement_show->add_option("--batch", batch_id, "Batch id")->required();

  CLI::App* settlement_statement =
      settlement_cmd->add_subcommand("statement", "One partner's statement in a batch");
  settlement_statement->add_option("--batch", batch_id, "Batch id")->required();
  PartnerFlags statement_partner;
  statement_partner.AddTo(settlement_statement);

  std::string export_format = "csv";
  std::string export_table = "lines";
  CLI::App* settlement_export = settlement_cmd->add_subcommand(
      "export", "A batch as CSV (one table) or JSON (everything), for a spreadsheet or a script");
  settlement_export->add_option("--batch", batch_id, "Batch id")->required();
  settlement_export->add_option("--format", export_format, "csv or json")
      ->capture_default_str()
      ->check(CLI::IsMember({"csv", "json"}));
  settlement_export
      ->add_option("--table", export_table, "CSV table: lines, flows or instructions")
      ->capture_default_str()
      ->check(CLI::IsMember({"lines", "flows", "instructions"}));

  CLI::App* economics_cmd = app.add_subcommand(
      "economics", "Partners' issuance prices and redemption rates, with effective dates");
  EconomicsSetArgs economics_args;
  CLI::App* economics_set = economics_cmd->add_subcommand(
      "set", "Change a partner's rates from --effective-from (default now) on; never "
             "retroactive");
  PartnerFlags economics_set_partner;
  economics_set_partner.AddTo(economics_set);
  economics_set
      ->add_option("--issuance-price-micros", economics_args.issuance_price_micros,
                   "What the partner pays per point it issues, in micro-units")
      ->required()
      ->check(CLI::NonNegativeNumber);
  economics_set
      ->add_option("--redemption-rate-micros", economics_args.redemption_rate_micros,
                   "What the partner is reimbursed per point redeemed at its stores")
      ->required()
      ->check(CLI::NonNegativeNumber);
  economics_set->add_option("--effective-from", economics_args.effective_from,
                            "RFC 3339 time, not in the past (default: now)");
  CLI::App* economics_list =
      economics_cmd->add_subcommand("list", "A partner's rate periods, oldest first");
  PartnerFlags economics_list_partner;
  economics_list_partner.AddTo(economics_list);
  CLI::App* keys_cmd = app.add_subcommand("keys", "Member PII encryption keys");
  int rotate_batch_size = 0;
  CLI::App* keys_rotate = keys_cmd->add_subcommand(
      "rotate",
      "Re-seal every member profile under the server's active PII key (configure the new key "
      "first: COALITION_PII_KEYS, COALITION_PII_ACTIVE_KEY_ID)");
  keys_rotate
      ->add_option("--batch-size", rotate_batch_size,
                   "Profiles per transaction (0 = the server default, 500)")
      ->check(CLI::Range(0, 10'000));

  CLI::App* expiry_cmd = app.add_subcommand("expiry", "Points expiry (SPEC 5)");
  CLI::App* expiry_run = expiry_cmd->add_subcommand(
      "run", "Expire due points into breakage now (the server also does it on a schedule)");
  CLI::App* tiers_cmd = app.add_subcommand("tiers", "Member tiers (SPEC 5)");
  TiersSetArgs tiers_args;
  CLI::App* tiers_set = tiers_cmd->add_subcommand(
      "set", "Set a new version of the tier table (lowest tier first; the first threshold is 0)");
  tiers_set
      ->add_option("--tier", tiers_args.tiers,
                   "NAME:THRESHOLD_POINTS:MULTIPLIER_BPS, e.g. Gold:5000:15000 (repeat, "
                   "lowest first; 10000 bps = 1x)")
      ->required();
  tiers_set
      ->add_option("--grace-days", tiers_args.grace_days,
                   "Days a member keeps a tier after their qualifying points fall below it")
      ->capture_default_str()
      ->check(CLI::Range(0, 3660));
  tiers_set->add_option("--effective-from", tiers_args.effective_from,
                        "RFC 3339 time, not in the past (default: now)");
  CLI::App* tiers_show =
      tiers_cmd->add_subcommand("show", "The tier table in force and the versions scheduled");
  int tier_review_batch_size = 0;
  CLI::App* tiers_review = tiers_cmd->add_subcommand(
      "review", "Run the tier review now (the server also does it on a schedule)");
  tiers_review
      ->add_option("--batch-size", tier_review_batch_size,
                   "Members per batch (0 = the server default, 500)")
      ->check(CLI::Range(0, 10'000));
  int breakage_days = 30;
  CLI::App* breakage_cmd =
      app.add_subcommand("breakage", "Expired points per issuer over the last --days days");
  breakage_cmd->add_option("--days", breakage_days, "How many days back (1-3660)")
      ->capture_default_str()
      ->check(CLI::Range(1, 3660));

  int forecast_months = 24;
  CLI::App* breakage_forecast = breakage_cmd->add_subcommand(
      "forecast",
      "Monthly earning cohorts and the forecast redemption rate and breakage (IFRS 15)");
  breakage_forecast
      ->add_option("--months", forecast_months, "Cohorts of the last N months (1-240)")
      ->capture_default_str()
      ->check(CLI::Range(1, 240));

  CLI::App* bonus_cmd = app.add_subcommand("bonus", "Targeted bonuses (operator-funded)");
  BonusGrantArgs grant_args;
  CLI::App* bonus_grant = bonus_cmd->add_subcommand(
      "grant",
      "Grant points to every member of a segment, once per --request-id (rerun it with the "
      "same id to finish a grant that was interrupted)");
  bonus_grant->add_option("--request-id", grant_args.request_id, "Idempotency key")->required();
  auto* top_opt = bonus_grant
                      ->add_option("--top-percent", grant_args.top_percent,
                                   "The top N% of members by cash accrued in [--from, --to)")
                      ->check(CLI::Range(1, 100));
  bonus_grant->add_option("--from", grant_args.from, "RFC 3339 time")->needs(top_opt);
  bonus_grant->add_option("--to", grant_args.to, "RFC 3339 time")->needs(top_opt);
  bonus_grant
      ->add_option("--lapsed-days", grant_args.lapsed_days,
                   "Members with no earn or spend for at least N days")
      ->excludes(top_opt)
      ->check(CLI::Range(1, 36'500));
  bonus_grant->add_option("--points", grant_args.points, "Points per member")->required();
  bonus_grant->add_option("--reason", grant_args.reason, "Why, for the audit trail")
      ->required();
  std::string grant_id;
  CLI::App* bonus_show = bonus_cmd->add_subcommand("show", "Show a grant and its progress");
  bonus_show->add_option("--grant-id", grant_id, "Grant id")->required();

  CLI::App* rules_cmd = app.add_subcommand("rules", "Partners' earn rules");
  RulesSetArgs rules_args;
  CLI::App* rules_set = rules_cmd->add_subcommand(
      "set", "Set a partner's earn rules from --effective-from (default now) on");
  PartnerFlags rules_partner;
  rules_partner.AddTo(rules_set);
  rules_set->add_option("--file", rules_args.file,
                        "JSON in the EarnRules shape (flags given too override it)");
  rules_set->add_option("--base-points", rules_args.base_points, "Base rate: points ...");
  rules_set->add_option("--base-per-minor", rules_args.base_per_minor,
                        "... per this many minor units");
  rules_set->add_option("--multiplier", rules_args.multipliers,
                        "CATEGORY=BPS or sku:SKU=BPS (20000 = 2x); repeatable");
  rules_set->add_option("--exclude-category", rules_args.exclude_categories, "Repeatable");
  rules_set->add_option("--exclude-sku", rules_args.exclude_skus, "Repeatable");
  rules_set->add_option("--min-spend-minor", rules_args.min_spend_minor,
                        "An eligible amount below this earns nothing");
  rules_set->add_option("--max-points", rules_args.max_points,
                        "Cap per transaction (0 = none)");
  rules_set->add_option("--rounding", rules_args.rounding, "down | half-even | up");
  rules_set->add_option("--effective-from", rules_args.effective_from, "RFC 3339 time");

  CLI::App* rules_show =
      rules_cmd->add_subcommand("show", "Every version of a partner's earn rules, oldest first");
  PartnerFlags rules_show_partner;
  rules_show_partner.AddTo(rules_show);

  CLI::App* campaign_cmd = app.add_subcommand("campaign", "Bonus campaigns");
  std::string campaign_list_partner;
  CLI::App* campaign_list = campaign_cmd->add_subcommand(
      "list", "Campaigns with what they have awarded (all pages)");
  campaign_list->add_option("--partner", campaign_list_partner,
                            "Only this partner's campaigns (by code)");
  CampaignCreateArgs campaign_args;
  CLI::App* campaign_create = campaign_cmd->add_subcommand("create", "Create a campaign");
  campaign_create->add_option("--name", campaign_args.name, "Campaign name")->required();
  campaign_create->add_option("--partner", campaign_args.partner_code,
                              "Partner code (none: every partner, operator-funded)");
  campaign_create->add_option("--starts-at", campaign_args.starts_at, "RFC 3339 time")
      ->required();
  campaign_create->add_option("--ends-at", campaign_args.ends_at, "RFC 3339 time")->required();
  campaign_create->add_option("--category", campaign_args.categories,
                              "Eligible category; repeatable (none: the whole amount)");
  campaign_create->add_option("--multiplier-bps", campaign_args.multiplier_bps,
                              "Extra points on the base: 10000 = double points");
  campaign_create->add_option("--fixed-points", campaign_args.fixed_points,
                              "Flat bonus per qualifying purchase");
  campaign_create->add_option("--min-spend-minor", campaign_args.min_spend_minor,
                              "Minimum qualifying spend");
  campaign_create->add_flag("--operator-funded", campaign_args.operator_funded,
                            "The operator pays for the points (default: the partner)");
  campaign_create->add_option("--budget-points", campaign_args.budget_points, "Points budget")
      ->required();
  campaign_create->add_option("--member-cap-points", campaign_args.member_cap_points,
                              "Per-member cap (0 = none)");
  campaign_create->add_flag("--first-at-new-brand", campaign_args.first_at_new_brand,
                            "Fixed points on a member's first purchase at a partner where they "
                            "never earned, once they earned at another");

  CLI::App* audit_cmd =
      app.add_subcommand("audit", "Show the newest audit events (administrative calls)");
  int audit_limit = 50;
  audit_cmd->add_option("--limit", audit_limit, "How many events (1-500)")
      ->check(CLI::Range(1, 500));

  CLI::App* verify_cmd = app.add_subcommand(
      "verify", "Check every ledger invariant over the whole database (exit 6 if any fails)");
  verify_cmd->footer(
      "Exit codes: 0 every invariant holds, 6 at least one is violated; errors as in "
      "coalitionctl --help.");

  // Set last: subcommands copy the footer when created, and the whole text
  // would repeat under every command.
  app.footer(
      "Settings come from flags, then the environment, then the config file, then defaults.\n"
      "Config file: --config, else $COALITION_CONFIG, else ~/.config/coalition/coalitionctl.json\n"
      "if it exists; a JSON object with keys endpoint, key, tls, ca_file, cert_file, key_file,\n"
      "output, timeout_seconds.\n"
      "Exit codes: 0 ok, 1 other error, 2 usage or INVALID_ARGUMENT, 3 NOT_FOUND,\n"
      "4 FAILED_PRECONDITION or ALREADY_EXISTS, 5 UNAUTHENTICATED or PERMISSION_DENIED,\n"
      "6 verify found a violated ledger invariant.");

  coalition::sdk::QuietGrpcLogs();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? kExitOk : kExitUsage;
  }

  // A bare group ("coalitionctl partner") is a request for its menu.
  for (CLI::App* group : {&app, partner_cmd, key_cmd, policy_cmd, settlement_cmd, economics_cmd,
                          keys_cmd, expiry_cmd, tiers_cmd, cert_cmd, bonus_cmd, rules_cmd,
                          campaign_cmd}) {
    if ((group == &app || group->parsed()) && group->get_subcommands().empty()) {
      std::cerr << (group == &app ? app.help() : group->help("coalitionctl"));
      return kExitUsage;
    }
  }
  if (key_create->parsed() && !key_partner.Given()) {
    return UsageError("key create: give one of --partner, --partner-id, --partner-code");
  }
  if (cert_add->parsed() && !cert_partner.Given()) {
    return UsageError("partner cert add: give one of --partner, --partner-id, --partner-code");
  }
  if (cert_add->parsed() && cert_fingerprint_opt->count() + cert_san_opt->count() != 1) {
    return UsageError("partner cert add: give one of --fingerprint, --san");
  }
  if (policy_get->parsed() && !get_partner.Given()) {
    return UsageError("policy get: give one of --partner, --partner-id, --partner-code");
  }
  if (policy_set->parsed() && !set_partner.Given()) {
    return UsageError("policy set: give one of --partner, --partner-id, --partner-code");
  }
  if (settlement_statement->parsed() && !statement_partner.Given()) {
    return UsageError("settlement statement: give one of --partner, --partner-id, --partner-code");
  }
  if (economics_set->parsed() && !economics_set_partner.Given()) {
    return UsageError("economics set: give one of --partner, --partner-id, --partner-code");
  }
  if (rules_show->parsed() && !rules_show_partner.Given()) {
    return UsageError("rules show: give one of --partner, --partner-id, --partner-code");
  }
  if (rules_set->parsed() && !rules_partner.Given()) {
    return UsageError("rules set: give one of --partner, --partner-id, --partner-code");
  }
  if (economics_list->parsed() && !economics_list_partner.Given()) {
    return UsageError("economics list: give one of --partner, --partner-id, --partner-code");
  }

  FlagValues flags;
  flags.endpoint = IfGiven(endpoint_opt, endpoint);
  flags.key = IfGiven(key_opt, key);
  if (tls) flags.tls = true;
  if (no_tls) flags.tls = false;
  flags.ca_file = IfGiven(ca_file_opt, ca_file);
  flags.cert_file = IfGiven(cert_file_opt, cert_file);
  flags.key_file = IfGiven(key_file_opt, key_file);
  flags.config = IfGiven(config_opt, config);
  flags.output = IfGiven(output_opt, output);
  if (timeout_opt->count() > 0) flags.timeout = std::chrono::seconds(timeout_seconds);

  Settings settings;
  try {
    settings = LoadSettings(flags, ProcessEnvironment(), std::cerr);
  } catch (const ConfigError& e) {
    // Not a command-line mistake, so no pointer to --help.
    std::cerr << "error: " << e.what() << '\n';
    return kExitUsage;
  }
  if (settings.channel.api_key.empty()) {
    return UsageError(
        "no operator key: pass --key, set COALITION_OPERATOR_KEY (or COALITION_FINANCE_KEY for "
        "settlement), or put \"key\" in the config file");
  }
  if (settings.timeout) {
    settings.channel.deadline = *settings.timeout;
  } else if (verify_cmd->parsed() || settlement_run->parsed()) {
    settings.channel.deadline = kVerifyTimeout;
  }
  settings.channel.user_agent_prefix = "coalitionctl/" COALITION_VERSION;

  std::shared_ptr<grpc::Channel> channel;
  try {
    channel = sdk::MakeChannel(settings.channel);
  } catch (const std::runtime_error& e) {
    return UsageError(e.what());
  }
  auto stub = v1::AdminService::NewStub(channel);
  AdminCommands commands(*stub, settings.channel, settings.output, std::cout, std::cerr);

  if (partner_create->parsed()) return commands.PartnerCreate(create_args);
  if (partner_list->parsed()) return commands.PartnerList(list_args);
  if (key_create->parsed()) return commands.KeyCreate(key_partner.Ref());
  if (policy_get->parsed()) return commands.PolicyGet(get_partner.Ref());
  if (policy_set->parsed()) {
    policy_args.partner = set_partner.Ref();
    return commands.PolicySet(policy_args);
  }
  if (key_revoke->parsed()) return commands.KeyRevoke(key_id);
  if (cert_add->parsed()) {
    cert_add_args.partner = cert_partner.Ref();
    return commands.CertAdd(cert_add_args);
  }
  if (cert_revoke->parsed()) return commands.CertRevoke(certificate_id);
  if (cert_list->parsed()) {
    return commands.CertList(cert_list_partner.Given() ? std::optional(cert_list_partner.Ref())
                                                       : std::nullopt);
  }
  if (verify_cmd->parsed()) return commands.Verify();

  auto settlement_stub = v1::SettlementService::NewStub(channel);
  SettlementCommands settlement(*settlement_stub, *stub, settings.channel, settings.output,
                                std::cout, std::cerr);
  if (settlement_run->parsed()) return settlement.Run(run_args);
  if (settlement_list->parsed()) {
    return settlement.List(batches_page_size, batches_page_token, batches_all);
  }
  if (settlement_show->parsed()) return settlement.Show(batch_id);
  if (settlement_statement->parsed()) {
    return settlement.Statement(batch_id, statement_partner.Ref());
  }
  if (settlement_export->parsed()) {
    const ExportTable table = export_table == "flows"          ? ExportTable::kFlows
                              : export_table == "instructions" ? ExportTable::kInstructions
                                                               : ExportTable::kLines;
    return settlement.Export(batch_id, table, export_format);
  }
  if (economics_set->parsed()) {
    economics_args.partner = economics_set_partner.Ref();
    return settlement.EconomicsSet(economics_args);
  }
  if (economics_list->parsed()) return settlement.EconomicsList(economics_list_partner.Ref());
  if (keys_rotate->parsed()) return commands.KeysRotate(rotate_batch_size);
  if (audit_cmd->parsed()) return commands.Audit(audit_limit);
  if (expiry_run->parsed()) return commands.ExpiryRun();
  ProgrammeCommands programme(*stub, settings.channel, settings.output, std::cout, std::cerr);
  if (breakage_forecast->parsed()) return programme.BreakageForecast(forecast_months);
  if (bonus_grant->parsed()) return programme.BonusGrant(grant_args);
  if (bonus_show->parsed()) return programme.BonusShow(grant_id);
  if (rules_set->parsed()) {
    rules_args.partner = rules_partner.Ref();
    return programme.RulesSet(rules_args);
  }
  if (campaign_create->parsed()) return programme.CampaignCreate(campaign_args);
  if (rules_show->parsed()) return programme.RulesShow(rules_show_partner.Ref());
  if (campaign_list->parsed()) return programme.CampaignList(campaign_list_partner);
  if (breakage_cmd->parsed()) return commands.Breakage(breakage_days);
  if (tiers_set->parsed()) return commands.TiersSet(tiers_args);
  if (tiers_show->parsed()) return commands.TiersShow();
  if (tiers_review->parsed()) return commands.TiersReview(tier_review_batch_size);
  std::cerr << app.help();
  return kExitUsage;
}

}  // namespace
}  // namespace coalition::cli

int main(int argc, char** argv) {
  try {
    return coalition::cli::Run(argc, argv);
  } catch (const std::exception& e) {
    // Last resort, so a failure still prints one line instead of aborting.
    std::cerr << "error: " << e.what() << '\n';
    return coalition::cli::kExitFailure;
  }
}
