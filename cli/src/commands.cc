#include "coalition/cli/commands.h"

#include <chrono>
#include <charconv>
#include <google/protobuf/util/time_util.h>
#include <grpcpp/client_context.h>

#include <algorithm>
#include <ostream>
#include <set>
#include <utility>

#include "coalition/cli/exit_codes.h"
#include "coalition/cli/output.h"
#include "coalition/sdk/errors.h"

namespace coalition::cli {

namespace v1 = ::coalition::v1;

namespace {

bool IsCodeChar(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'; }

}  // namespace

PartnerRef ParsePartnerRef(std::string_view value) {
  const bool all_digits = !value.empty() && std::all_of(value.begin(), value.end(), [](char c) {
    return c >= '0' && c <= '9';
  });
  const bool code_syntax = value.size() >= 2 && value.size() <= 32 &&
                           std::all_of(value.begin(), value.end(), IsCodeChar);
  const PartnerRef::Kind kind =
      code_syntax && !all_digits ? PartnerRef::Kind::kCode : PartnerRef::Kind::kId;
  return PartnerRef{kind, std::string(value)};
}

std::optional<v1::RefundPolicy> ParseRefundPolicy(std::string_view name) {
  for (int value = v1::RefundPolicy_MIN; value <= v1::RefundPolicy_MAX; ++value) {
    if (!v1::RefundPolicy_IsValid(value)) continue;
    const auto policy = static_cast<v1::RefundPolicy>(value);
    if (policy != v1::REFUND_POLICY_UNSPECIFIED && RefundPolicyName(policy) == name) return policy;
  }
  return std::nullopt;
}

const std::vector<std::string>& RefundPolicyNames() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> result;
    for (int value = v1::RefundPolicy_MIN; value <= v1::RefundPolicy_MAX; ++value) {
      if (v1::RefundPolicy_IsValid(value) && value != v1::REFUND_POLICY_UNSPECIFIED) {
        result.push_back(RefundPolicyName(static_cast<v1::RefundPolicy>(value)));
      }
    }
    return result;
  }();
  return names;
}

namespace {

template <typename Request>
void SetPartner(Request& request, const PartnerRef& partner) {
  if (partner.kind == PartnerRef::Kind::kId) {
    request.set_partner_id(partner.value);
  } else {
    request.set_partner_code(partner.value);
  }
}

}  // namespace

AdminCommands::AdminCommands(v1::AdminService::StubInterface& stub, sdk::ChannelOptions channel,
                             OutputFormat output, std::ostream& out, std::ostream& err)
    : stub_(stub), channel_(std::move(channel)), output_(output), out_(out), err_(err) {}

int AdminCommands::Fail(const grpc::Status& status) {
  err_ << "error: " << sdk::FormatError(status) << '\n';
  return ExitCodeFor(status.error_code());
}

void AdminCommands::WarnSecretShownOnce() {
  // On stderr so that `coalitionctl ... > secret.json` still warns.
  err_ << "warning: the API key secret is shown only this once and cannot be retrieved later; "
          "store it now\n";
}

int AdminCommands::PartnerCreate(const PartnerCreateArgs& args) {
  v1::CreatePartnerRequest request;
  request.set_code(args.code);
  request.set_display_name(args.display_name);
  request.mutable_earn_rate()->set_points(args.earn_points);
  request.mutable_earn_rate()->set_per_amount_minor(args.earn_per_minor);
  request.set_issuance_price_micros(args.issuance_price_micros);
  request.set_redemption_rate_micros(args.redemption_rate_micros);
  request.set_auto_enroll(args.auto_enroll);

  grpc::ClientContext context;
  sdk::PrepareContext(context, channel_);
  v1::CreatePartnerResponse response;
  if (grpc::Status status = stub_.CreatePartner(&context, request, &response); !status.ok()) {
    return Fail(status);
  }
  if (output_ == OutputFormat::kJson) {
    out_ << ToJson(response);
  } else {
    Fields fields = PartnerFields(response.partner());
    fields.emplace_back("api_key_id", response.api_key().key_id());
    fields.emplace_back("api_key_prefix", response.api_key().prefix());
    fields.emplace_back("api_key_secret", response.api_key_secret());
    PrintFields(out_, fields);
  }
  WarnSecretShownOnce();
  return kExitOk;
}

int AdminCommands::PartnerList(const PartnerListArgs& args) {
  v1::ListPartnersResponse combined;
  std::string token = args.page_token;
  std::set<std::string> seen_tokens;
  while (true) {
    v1::ListPartnersRequest request;
    request.set_page_size(args.page_size);
    request.set_page_token(token);

    grpc::ClientContext context;
    sdk::PrepareContext(context, channel_);
    v1::ListPartnersResponse page;
    if (grpc::Status status = stub_.ListPartners(&context, request, &page); !status.ok()) {
      return Fail(status);
    }
    for (v1::Partner& partner : *page.mutable_partners()) {
      *combined.add_partners() = std::move(partner);
    }
    combined.set_next_page_token(page.next_page_token());
    token = page.next_page_token();
    if (!args.all || token.empty()) break;
    // A server that hands out a token twice would otherwise keep us here.
    if (!seen_tokens.insert(token).second) {
      err_ << "error: the server returned page token \"" << token
           << "\" twice; stopping to avoid an endless listing\n";
      return kExitFailure;
    }
  }

  if (output_ == OutputFormat::kJson) {
    out_ << ToJson(combined);
    return kExitOk;
  }
  if (combined.partners().empty()) {
    out_ << "no partners\n";
  } else {
    PartnerTable(combined.partners()).Print(out_);
  }
  if (!combined.next_page_token().empty()) {
    out_ << "more: rerun with --page-token " << combined.next_page_token() << ", or use --all\n";
  }
  return kExitOk;
}

int AdminCommands::KeyCreate(const PartnerRef& partner) {
  v1::CreateApiKeyRequest request;
  SetPartner(request, partner);

  grpc::ClientContext context;
  sdk::PrepareContext(context, channel_);
  v1::CreateApiKeyResponse response;
  if (grpc::Status status = stub_.CreateApiKey(&context, request, &response); !status.ok()) {
    return Fail(status);
  }
  if (output_ == OutputFormat::kJson) {
    out_ << ToJson(response);
  } else {
    Fields fields = ApiKeyFields(response.api_key());
    fields.emplace_back("api_key_secret", response.api_key_secret());
    PrintFields(out_, fields);
  }
  WarnSecretShownOnce();
  return kExitOk;
}

int AdminCommands::KeyRevoke(const std::string& key_id) {
  v1::RevokeApiKeyRequest request;
  request.set_key_id(key_id);

  grpc::ClientContext context;
  sdk::PrepareContext(context, channel_);
  v1::RevokeApiKeyResponse response;
  if (grpc::Status status = stub_.RevokeApiKey(&context, request, &response); !status.ok()) {
    return Fail(status);
  }
  if (output_ == OutputFormat::kJson) {
    out_ << ToJson(response);
  } else {
    PrintFields(out_, ApiKeyFields(response.api_key()));
  }
  return kExitOk;
}

int AdminCommands::Verify() {
  v1::VerifyLedgerRequest request;
  grpc::ClientContext context;
  sdk::PrepareContext(context, channel_);
  v1::VerifyLedgerResponse response;
  if (grpc::Status status = stub_.VerifyLedger(&context, request, &response); !status.ok()) {
    return Fail(status);
  }
  // Trust the per-check flags too: a summary that says ok over a failed check
  // is a server bug, and the safe reading of a ledger check is "not ok".
  const bool ok = response.ok() && std::all_of(response.checks().begin(), response.checks().end(),
                                               [](const v1::InvariantCheck& c) { return c.ok(); });

  if (output_ == OutputFormat::kJson) {
    out_ << ToJson(response);
    return ok ? kExitOk : kExitInvariantViolated;
  }
  InvariantTable(response).Print(out_);
  const int failed =
      static_cast<int>(std::count_if(response.checks().begin(), response.checks().end(),
                                     [](const v1::InvariantCheck& c) { return !c.ok(); }));
  if (ok) {
    out_ << "\nledger OK: all " << response.checks_size() << " checks passed\n";
    return kExitOk;
  }
  if (failed == 0) {
    out_ << "\nledger INCONSISTENT: the server reported a failure outside the checks above\n";
  } else {
    out_ << "\nledger INCONSISTENT: " << failed << " of " << response.checks_size()
         << " checks failed\n";
  }
  for (const v1::InvariantCheck& check : response.checks()) {
    if (!check.ok()) out_ << "  " << check.name() << ": " << check.description() << '\n';
  }
  return kExitInvariantViolated;
}

void AdminCommands::PrintPolicy(const v1::RedemptionPolicyResponse& response) {
  if (output_ == OutputFormat::kJson) {
    out_ << ToJson(response);
  } else {
    PrintFields(out_, PolicyFields(response));
  }
}

int AdminCommands::PolicyGet(const PartnerRef& partner) {
  v1::GetRedemptionPolicyRequest request;
  SetPartner(request, partner);

  grpc::ClientContext context;
  sdk::PrepareContext(context, channel_);
  v1::RedemptionPolicyResponse response;
  if (grpc::Status status = stub_.GetRedemptionPolicy(&context, request, &response); !status.ok()) {
    return Fail(status);
  }
  PrintPolicy(response);
  return kExitOk;
}

int AdminCommands::PolicySet(const PolicySetArgs& args) {
  const std::optional<v1::RefundPolicy> refund_policy = ParseRefundPolicy(args.refund_policy);
  if (!refund_policy) {
    std::string expected;
    for (const std::string& name : RefundPolicyNames()) {
      if (!expected.empty()) expected += ", ";
      expected += name;
    }
    err_ << "error: --refund-policy: unknown policy \"" << args.refund_policy
         << "\" (expected one of " << expected << ")\nRun with --help for more information.\n";
    return kExitUsage;
  }

  v1::SetRedemptionPolicyRequest request;
  SetPartner(request, args.partner);
  v1::RedemptionPolicy* policy = request.mutable_policy();
  policy->set_point_value_micros(args.point_value_micros);
  policy->set_block_size_points(args.block_size_points);
  policy->set_min_points(args.min_points);
  policy->set_max_points_share_bps(args.max_points_share_bps);
  policy->set_min_cash_minor(args.min_cash_minor);
  for (const std::int32_t bps : args.split_points_share_bps) {
    policy->add_split_points_share_bps(bps);
  }
  policy->set_refund_policy(*refund_policy);

  grpc::ClientContext context;
  sdk::PrepareContext(context, channel_);
  v1::RedemptionPolicyResponse response;
  if (grpc::Status status = stub_.SetRedemptionPolicy(&context, request, &response); !status.ok()) {
    return Fail(status);
  }
  PrintPolicy(response);
  return kExitOk;
}

int AdminCommands::ExpiryRun() {
  v1::RunExpiryRequest request;
  grpc::ClientContext context;
  sdk::PrepareContext(context, channel_);
  v1::RunExpiryResponse response;
  if (grpc::Status status = stub_.RunExpiry(&context, request, &response); !status.ok()) {
    return Fail(status);
  }
  if (output_ == OutputFormat::kJson) {
    out_ << ToJson(response);
  } else {
    PrintFields(out_, {{"members", std::to_string(response.members())},
                       {"lots", std::to_string(response.lots())},
                       {"points_expired", std::to_string(response.points())}});
  }
  return kExitOk;
}

int AdminCommands::Breakage(int days) {
  v1::GetBreakageReportRequest request;
  const auto now = std::chrono::system_clock::now();
  const auto from = now - std::chrono::hours(24) * days;
  request.mutable_from()->set_seconds(
      std::chrono::duration_cast<std::chrono::seconds>(from.time_since_epoch()).count());
  request.mutable_to()->set_seconds(
      std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count() + 1);
  grpc::ClientContext context;
  sdk::PrepareContext(context, channel_);
  v1::GetBreakageReportResponse response;
  if (grpc::Status status = stub_.GetBreakageReport(&context, request, &response);
      !status.ok()) {
    return Fail(status);
  }
  if (output_ == OutputFormat::kJson) {
    out_ << ToJson(response);
    return kExitOk;
  }
  out_ << "ISSUER  LOTS  POINTS EXPIRED\n";
  for (const auto& line : response.lines()) {
    out_ << (line.issuer_partner_code().empty() ? "(operator)" : line.issuer_partner_code())
         << "  " << line.lots() << "  " << line.points() << "\n";
  }
  return kExitOk;
}

int AdminCommands::KeysRotate(int batch_size) {
  v1::RotatePiiKeysResponse total;
  while (true) {
    v1::RotatePiiKeysRequest request;
    request.set_batch_size(batch_size);
    grpc::ClientContext context;
    sdk::PrepareContext(context, channel_);
    v1::RotatePiiKeysResponse step;
    if (grpc::Status status = stub_.RotatePiiKeys(&context, request, &step); !status.ok()) {
      return Fail(status);
    }
    total.set_resealed(total.resealed() + step.resealed());
    total.set_remaining(step.remaining());
    total.set_active_key_id(step.active_key_id());
    if (step.remaining() == 0) break;
    // Rows remain but none were free: another rotation holds them. Stop
    // rather than spin; running again later finishes the job.
    if (step.resealed() == 0) {
      err_ << "error: " << step.remaining()
           << " profiles remain but are locked by another rotation; run again later\n";
      return kExitFailure;
    }
  }
  if (output_ == OutputFormat::kJson) {
    out_ << ToJson(total);
  } else {
    PrintFields(out_, {{"active_key_id", total.active_key_id()},
                       {"resealed", std::to_string(total.resealed())},
                       {"remaining", std::to_string(total.remaining())}});
  }
  return kExitOk;
}

int AdminCommands::Audit(int limit) {
  v1::ListAuditEventsRequest request;
  request.set_page_size(limit);
  grpc::ClientContext context;
  sdk::PrepareContext(context, channel_);
  v1::ListAuditEventsResponse response;
  if (grpc::Status status = stub_.ListAuditEvents(&context, request, &response); !status.ok()) {
    return Fail(status);
  }
  if (output_ == OutputFormat::kJson) {
    out_ << ToJson(response);
    return kExitOk;
  }
  if (response.events().empty()) {
    out_ << "no audit events\n";
    return kExitOk;
  }
  Table table({"ID", "TIME", "ACTOR", "ROLE", "METHOD", "REQUEST_ID", "OUTCOME"});
  for (const v1::AuditEvent& event : response.events()) {
    std::string method = event.method();
    if (const auto slash = method.rfind('/'); slash != std::string::npos) {
      method = method.substr(slash + 1);
    }
    // A write is an INTENT then an OUTCOME naming it; an INTENT alone means
    // the server stopped before it could record the result.
    std::string outcome = event.phase() == "INTENT" ? "INTENT"
                          : event.code() == 0       ? "OK"
                                                    : event.reason();
    if (!event.intent_event_id().empty()) outcome += " (of " + event.intent_event_id() + ")";
    table.AddRow({event.event_id(), FormatTimestamp(event.occurred_at()), event.actor(),
                  event.role(), method, event.request_id(), outcome});
  }
  table.Print(out_);
  return kExitOk;
}

namespace {

std::string MatchName(v1::CertificateMatch match) {
  switch (match) {
    case v1::CERTIFICATE_MATCH_SHA256_FINGERPRINT: return "sha256-fingerprint";
    case v1::CERTIFICATE_MATCH_SUBJECT_ALT_NAME: return "san";
    default: return "unspecified";
  }
}

Fields CertificateFields(const v1::ClientCertificate& certificate) {
  return {
      {"certificate_id", certificate.certificate_id()},
      {"partner_id", certificate.partner_id()},
      {"match", MatchName(certificate.match())},
      {"identity", certificate.identity()},
      {"created_at", certificate.has_created_at() ? FormatTimestamp(certificate.created_at())
                                                  : std::string("-")},
      {"revoked_at", certificate.has_revoked_at() ? FormatTimestamp(certificate.revoked_at())
                                                  : std::string("-")},
  };
}

}  // namespace

int AdminCommands::CertAdd(const CertAddArgs& args) {
  v1::RegisterClientCertificateRequest request;
  SetPartner(request, args.partner);
  if (!args.fingerprint.empty()) {
    request.set_match(v1::CERTIFICATE_MATCH_SHA256_FINGERPRINT);
    request.set_identity(args.fingerprint);
  } else {
    request.set_match(v1::CERTIFICATE_MATCH_SUBJECT_ALT_NAME);
    request.set_identity(args.san);
  }
  grpc::ClientContext context;
  sdk::PrepareContext(context, channel_);
  v1::RegisterClientCertificateResponse response;
  if (grpc::Status status = stub_.RegisterClientCertificate(&context, request, &response);
      !status.ok()) {
    return Fail(status);
  }
  if (output_ == OutputFormat::kJson) {
    out_ << ToJson(response);
  } else {
    PrintFields(out_, CertificateFields(response.certificate()));
  }
  return kExitOk;
}

int AdminCommands::CertRevoke(const std::string& certificate_id) {
  v1::RevokeClientCertificateRequest request;
  request.set_certificate_id(certificate_id);
  grpc::ClientContext context;
  sdk::PrepareContext(context, channel_);
  v1::RevokeClientCertificateResponse response;
  if (grpc::Status status = stub_.RevokeClientCertificate(&context, request, &response);
      !status.ok()) {
    return Fail(status);
  }
  if (output_ == OutputFormat::kJson) {
    out_ << ToJson(response);
  } else {
    PrintFields(out_, CertificateFields(response.certificate()));
  }
  return kExitOk;
}

int AdminCommands::CertList(const std::optional<PartnerRef>& partner) {
  v1::ListClientCertificatesResponse combined;
  std::set<std::string> seen_tokens;
  std::string token;
  while (true) {
    v1::ListClientCertificatesRequest request;
    if (partner) SetPartner(request, *partner);
    request.set_page_size(500);
    request.set_page_token(token);
    grpc::ClientContext context;
    sdk::PrepareContext(context, channel_);
    v1::ListClientCertificatesResponse page;
    if (grpc::Status status = stub_.ListClientCertificates(&context, request, &page);
        !status.ok()) {
      return Fail(status);
    }
    for (v1::ClientCertificate& certificate : *page.mutable_certificates()) {
      *combined.add_certificates() = std::move(certificate);
    }
    token = page.next_page_token();
    if (token.empty()) break;
    if (!seen_tokens.insert(token).second) {
      err_ << "error: the server returned page token \"" << token
           << "\" twice; stopping to avoid an endless listing\n";
      return kExitFailure;
    }
  }
  if (output_ == OutputFormat::kJson) {
    out_ << ToJson(combined);
    return kExitOk;
  }
  if (combined.certificates().empty()) {
    out_ << "no client certificates\n";
    return kExitOk;
  }
  Table table({"ID", "PARTNER ID", "MATCH", "IDENTITY", "CREATED", "REVOKED"});
  for (const v1::ClientCertificate& certificate : combined.certificates()) {
    const Fields fields = CertificateFields(certificate);
    table.AddRow({fields[0].second, fields[1].second, fields[2].second, fields[3].second,
                  fields[4].second, fields[5].second});
  }
  table.Print(out_);
  return kExitOk;
}

std::optional<v1::Tier> ParseTierSpec(std::string_view spec) {
  const auto last = spec.rfind(':');
  if (last == std::string_view::npos || last == 0) return std::nullopt;
  const auto middle = spec.rfind(':', last - 1);
  if (middle == std::string_view::npos || middle == 0) return std::nullopt;
  const auto whole_number = [](std::string_view text, auto& value) {
    const char* end = text.data() + text.size();
    const auto [ptr, ec] = std::from_chars(text.data(), end, value);
    return !text.empty() && ec == std::errc() && ptr == end;
  };
  std::int64_t threshold = 0;
  std::int32_t multiplier_bps = 0;
  if (!whole_number(spec.substr(middle + 1, last - middle - 1), threshold) ||
      !whole_number(spec.substr(last + 1), multiplier_bps)) {
    return std::nullopt;
  }
  v1::Tier tier;
  tier.set_name(std::string(spec.substr(0, middle)));
  tier.set_threshold_points(threshold);
  tier.set_earn_multiplier_bps(multiplier_bps);
  return tier;
}

namespace {

void AddTierTableRows(Table& table, const std::string& status, const v1::TierTable& version) {
  for (const v1::Tier& tier : version.tiers()) {
    table.AddRow({status, FormatTimestamp(version.effective_from()), tier.name(),
                  std::to_string(tier.threshold_points()), FormatBps(tier.earn_multiplier_bps()),
                  std::to_string(version.grace_days())});
  }
}

}  // namespace

int AdminCommands::TiersSet(const TiersSetArgs& args) {
  v1::SetTiersRequest request;
  for (const std::string& spec : args.tiers) {
    auto tier = ParseTierSpec(spec);
    if (!tier) {
      err_ << "error: --tier: \"" << spec
           << "\" is not NAME:THRESHOLD_POINTS:MULTIPLIER_BPS (e.g. Gold:5000:15000)\n"
              "Run with --help for more information.\n";
      return kExitUsage;
    }
    *request.add_tiers() = *tier;
  }
  request.set_grace_days(args.grace_days);
  if (!args.effective_from.empty() &&
      !google::protobuf::util::TimeUtil::FromString(args.effective_from,
                                                    request.mutable_effective_from())) {
    err_ << "error: --effective-from: not an RFC 3339 time such as 2026-12-01T00:00:00Z\n"
            "Run with --help for more information.\n";
    return kExitUsage;
  }
  grpc::ClientContext context;
  sdk::PrepareContext(context, channel_);
  v1::SetTiersResponse response;
  if (grpc::Status status = stub_.SetTiers(&context, request, &response); !status.ok()) {
    return Fail(status);
  }
  if (output_ == OutputFormat::kJson) {
    out_ << ToJson(response);
    return kExitOk;
  }
  Table table({"STATUS", "EFFECTIVE_FROM", "TIER", "THRESHOLD", "MULTIPLIER", "GRACE_DAYS"});
  AddTierTableRows(table, "stored", response.table());
  table.Print(out_);
  return kExitOk;
}

int AdminCommands::TiersShow() {
  v1::GetTiersRequest request;
  grpc::ClientContext context;
  sdk::PrepareContext(context, channel_);
  v1::GetTiersResponse response;
  if (grpc::Status status = stub_.GetTiers(&context, request, &response); !status.ok()) {
    return Fail(status);
  }
  if (output_ == OutputFormat::kJson) {
    out_ << ToJson(response);
    return kExitOk;
  }
  if (!response.has_current() && response.scheduled().empty()) {
    out_ << "no tier table\n";
    return kExitOk;
  }
  Table table({"STATUS", "EFFECTIVE_FROM", "TIER", "THRESHOLD", "MULTIPLIER", "GRACE_DAYS"});
  if (response.has_current()) AddTierTableRows(table, "current", response.current());
  for (const v1::TierTable& version : response.scheduled()) {
    AddTierTableRows(table, "scheduled", version);
  }
  table.Print(out_);
  return kExitOk;
}

int AdminCommands::TiersReview(int batch_size) {
  v1::RunTierReviewRequest request;
  request.set_batch_size(batch_size);
  grpc::ClientContext context;
  sdk::PrepareContext(context, channel_);
  v1::RunTierReviewResponse response;
  if (grpc::Status status = stub_.RunTierReview(&context, request, &response); !status.ok()) {
    return Fail(status);
  }
  if (output_ == OutputFormat::kJson) {
    out_ << ToJson(response);
  } else {
    PrintFields(out_, {{"members_changed", std::to_string(response.members())},
                       {"upgraded", std::to_string(response.upgraded())},
                       {"downgraded", std::to_string(response.downgraded())}});
  }
  return kExitOk;
}

}  // namespace coalition::cli
