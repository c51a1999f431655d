#pragma once

#include <google/protobuf/message.h>
#include <google/protobuf/timestamp.pb.h>

#include <cstdint>
#include <iosfwd>
#include <string>
#include <utility>
#include <vector>

#include "coalition/v1/admin_service.pb.h"

namespace coalition::cli {

/// A table with a header row and columns padded to their widest cell,
/// separated by two spaces, with no trailing blanks.
class Table {
 public:
  explicit Table(std::vector<std::string> headers);

  /// Rows shorter than the header are padded with empty cells; longer rows
  /// are a programming error and throw std::invalid_argument.
  void AddRow(std::vector<std::string> cells);

  std::size_t row_count() const { return rows_.size(); }

  void Print(std::ostream& out) const;

 private:
  std::vector<std::string> headers_;
  std::vector<std::vector<std::string>> rows_;
};

/// `label: value` lines with the values aligned, for one record.
using Fields = std::vector<std::pair<std::string, std::string>>;
void PrintFields(std::ostream& out, const Fields& fields);

/// One pretty-printed JSON document for `message`, with the proto field names
/// (snake_case, as in the .proto files) and zero values included, so scripts
/// can rely on every field being present. Ends with a newline.
/// Throws std::runtime_error if protobuf cannot render it.
std::string ToJson(const google::protobuf::Message& message);

/// RFC 3339 in UTC, e.g. "2024-05-01T12:00:00Z".
std::string FormatTimestamp(const google::protobuf::Timestamp& timestamp);

/// A rate in micro-units per point as a decimal of the major unit:
/// 12500 -> "0.0125" (trailing zeros dropped, at least 2 decimals).
std::string FormatMicros(std::int64_t micros);

/// "1 pt per 100" (points per amount in minor units).
std::string FormatEarnRate(const coalition::v1::EarnRate& rate);

/// Basis points as a percentage: 10000 -> "100%", 8050 -> "80.5%",
/// 1 -> "0.01%".
std::string FormatBps(std::int64_t bps);

/// The --refund-policy spelling of `policy` ("cash-first"); "unspecified"
/// for REFUND_POLICY_UNSPECIFIED and "unknown (N)" for values this build does
/// not know.
std::string RefundPolicyName(coalition::v1::RefundPolicy policy);

/// The fields of a redemption policy response, for PrintFields.
Fields PolicyFields(const coalition::v1::RedemptionPolicyResponse& response);

/// The fields of one partner, for PrintFields.
Fields PartnerFields(const coalition::v1::Partner& partner);

/// The fields of one API key, for PrintFields.
Fields ApiKeyFields(const coalition::v1::ApiKey& key);

/// The partner list as a table, one row per partner.
Table PartnerTable(const google::protobuf::RepeatedPtrField<coalition::v1::Partner>& partners);

/// The verify result as a table: one row per check, then one row per extra
/// example of a failed check.
Table InvariantTable(const coalition::v1::VerifyLedgerResponse& response);

}  // namespace coalition::cli
