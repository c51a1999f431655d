#include "coalition/cli/output.h"

#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/time_util.h>

#include <algorithm>
#include <ostream>
#include <stdexcept>

#include "coalition/sdk/money.h"

namespace coalition::cli {

namespace v1 = ::coalition::v1;

namespace {

// Micro-units: the exponent of the rates in the API (12500 = 0.0125).
constexpr int kMicroDigits = 6;

std::string YesNo(bool value) { return value ? "yes" : "no"; }

std::string TimeOrDash(bool present, const google::protobuf::Timestamp& timestamp) {
  return present ? FormatTimestamp(timestamp) : "-";
}

// Columns a terminal gives the text: one per code point (UTF-8 continuation
// bytes take none). Wide East Asian characters are not accounted for.
std::size_t DisplayWidth(const std::string& text) {
  std::size_t width = 0;
  for (char c : text) {
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++width;
  }
  return width;
}

}  // namespace

Table::Table(std::vector<std::string> headers) : headers_(std::move(headers)) {}

void Table::AddRow(std::vector<std::string> cells) {
  if (cells.size() > headers_.size()) {
    throw std::invalid_argument("table row has more cells than the header");
  }
  cells.resize(headers_.size());
  rows_.push_back(std::move(cells));
}

void Table::Print(std::ostream& out) const {
  std::vector<std::size_t> widths(headers_.size());
  for (std::size_t i = 0; i < headers_.size(); ++i) widths[i] = DisplayWidth(headers_[i]);
  for (const auto& row : rows_) {
    for (std::size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], DisplayWidth(row[i]));
  }
  auto print_row = [&](const std::vector<std::string>& row) {
    // Trailing blanks would make the output awkward to diff and to grep.
    std::size_t last = row.size();
    while (last > 0 && row[last - 1].empty()) --last;
    std::string line;
    for (std::size_t i = 0; i < last; ++i) {
      line += row[i];
      if (i + 1 < last) line.append(widths[i] - DisplayWidth(row[i]) + 2, ' ');
    }
    out << line << '\n';
  };
  print_row(headers_);
  for (const auto& row : rows_) print_row(row);
}

void PrintFields(std::ostream& out, const Fields& fields) {
  std::size_t width = 0;
  for (const auto& [label, value] : fields) width = std::max(width, label.size());
  for (const auto& [label, value] : fields) {
    out << label << ':';
    if (!value.empty()) out << std::string(width - label.size() + 2, ' ') << value;
    out << '\n';
  }
}

std::string ToJson(const google::protobuf::Message& message) {
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  options.always_print_primitive_fields = true;
  options.preserve_proto_field_names = true;
  std::string json;
  auto status = google::protobuf::util::MessageToJsonString(message, &json, options);
  if (!status.ok()) {
    throw std::runtime_error("cannot render " + message.GetTypeName() +
                             " as JSON: " + std::string(status.message()));
  }
  if (json.empty() || json.back() != '\n') json += '\n';
  return json;
}

std::string FormatTimestamp(const google::protobuf::Timestamp& timestamp) {
  return google::protobuf::util::TimeUtil::ToString(timestamp);
}

std::string FormatMicros(std::int64_t micros) {
  std::string text = sdk::FormatMinorUnits(micros, kMicroDigits);
  const std::size_t dot = text.find('.');
  const std::size_t min_length = dot + 3;
  while (text.size() > min_length && text.back() == '0') text.pop_back();
  return text;
}

std::string FormatEarnRate(const v1::EarnRate& rate) {
  return std::to_string(rate.points()) + " pt per " + std::to_string(rate.per_amount_minor());
}

std::string FormatBps(std::int64_t bps) {
  std::string text = sdk::FormatMinorUnits(bps, 2);
  while (text.back() == '0') text.pop_back();
  if (text.back() == '.') text.pop_back();
  return text + "%";
}

std::string RefundPolicyName(v1::RefundPolicy policy) {
  switch (policy) {
    case v1::REFUND_POLICY_UNSPECIFIED:
      return "unspecified";
    case v1::REFUND_POLICY_PROPORTIONAL:
      return "proportional";
    case v1::REFUND_POLICY_CASH_FIRST:
      return "cash-first";
    case v1::REFUND_POLICY_POINTS_FIRST:
      return "points-first";
    case v1::REFUND_POLICY_POINTS_FORFEITED:
      return "points-forfeited";
    default:
      return "unknown (" + std::to_string(static_cast<int>(policy)) + ")";
  }
}

Fields PolicyFields(const v1::RedemptionPolicyResponse& response) {
  const v1::RedemptionPolicy& policy = response.policy();
  std::string splits;
  for (const std::int32_t bps : policy.split_points_share_bps()) {
    if (!splits.empty()) splits += ", ";
    splits += FormatBps(bps) + " points";
  }
  if (splits.empty()) splits = "none";
  return {
      {"partner_id", response.partner_id()},
      {"configured", response.configured() ? "yes" : "no (the server default policy)"},
      {"point_value", FormatMicros(policy.point_value_micros()) + " per point (" +
                          std::to_string(policy.point_value_micros()) + " micros)"},
      {"block_size", std::to_string(policy.block_size_points()) + " points"},
      {"min_points", std::to_string(policy.min_points())},
      {"max_points_share", FormatBps(policy.max_points_share_bps()) + " of the price (" +
                               std::to_string(policy.max_points_share_bps()) + " bps)"},
      {"min_cash", std::to_string(policy.min_cash_minor()) + " (minor units)"},
      {"splits", splits},
      {"refund_policy", RefundPolicyName(policy.refund_policy())},
  };
}

Fields PartnerFields(const v1::Partner& partner) {
  return {
      {"partner_id", partner.partner_id()},
      {"code", partner.code()},
      {"display_name", partner.display_name()},
      {"earn_rate", FormatEarnRate(partner.earn_rate()) + " (minor units)"},
      {"issuance_price", FormatMicros(partner.issuance_price_micros()) + " per point (" +
                             std::to_string(partner.issuance_price_micros()) + " micros)"},
      {"redemption_rate", FormatMicros(partner.redemption_rate_micros()) + " per point (" +
                              std::to_string(partner.redemption_rate_micros()) + " micros)"},
      {"auto_enroll", YesNo(partner.auto_enroll())},
      {"created_at", TimeOrDash(partner.has_created_at(), partner.created_at())},
  };
}

Fields ApiKeyFields(const v1::ApiKey& key) {
  return {
      {"key_id", key.key_id()},
      {"partner_id", key.partner_id()},
      {"prefix", key.prefix()},
      {"created_at", TimeOrDash(key.has_created_at(), key.created_at())},
      {"revoked_at", TimeOrDash(key.has_revoked_at(), key.revoked_at())},
  };
}

Table PartnerTable(const google::protobuf::RepeatedPtrField<v1::Partner>& partners) {
  Table table({"CODE", "NAME", "PARTNER ID", "EARN RATE", "ISSUANCE/PT", "REDEMPTION/PT",
               "AUTO-ENROLL", "CREATED"});
  for (const v1::Partner& p : partners) {
    table.AddRow({p.code(), p.display_name(), p.partner_id(), FormatEarnRate(p.earn_rate()),
                  FormatMicros(p.issuance_price_micros()), FormatMicros(p.redemption_rate_micros()),
                  YesNo(p.auto_enroll()), TimeOrDash(p.has_created_at(), p.created_at())});
  }
  return table;
}

Table InvariantTable(const v1::VerifyLedgerResponse& response) {
  Table table({"CHECK", "OK", "VIOLATIONS", "EXAMPLES"});
  for (const v1::InvariantCheck& check : response.checks()) {
    const std::string first = check.examples().empty() ? "" : check.examples(0);
    table.AddRow(
        {check.name(), check.ok() ? "ok" : "FAIL", std::to_string(check.violations()), first});
    for (int i = 1; i < check.examples_size(); ++i) table.AddRow({"", "", "", check.examples(i)});
  }
  return table;
}

}  // namespace coalition::cli
