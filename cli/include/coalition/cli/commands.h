#pragma once

#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "coalition/cli/settings.h"
#include "coalition/sdk/channel.h"
#include "coalition/v1/admin_service.grpc.pb.h"

namespace coalition::cli {

/// How `key create --partner VALUE` (and `policy get/set`) address the partner.
struct PartnerRef {
  enum class Kind { kId, kCode };
  Kind kind = Kind::kCode;
  std::string value;
};

/// Codes are 2-32 chars of [a-z0-9-]; anything else (a UUID, an id with
/// upper case or '_', a longer string) must be an id. A value made only of
/// digits is taken as a numeric id, although it is also a valid code: use
/// --partner-code to force the code reading.
PartnerRef ParsePartnerRef(std::string_view value);

/// The --refund-policy names: "proportional", "cash-first", "points-first",
/// "points-forfeited". nullopt for anything else (including "" and upper case).
std::optional<coalition::v1::RefundPolicy> ParseRefundPolicy(std::string_view name);

/// The accepted --refund-policy names, in enum order, for help and errors.
const std::vector<std::string>& RefundPolicyNames();

struct PartnerCreateArgs {
  std::string code;
  std::string display_name;
  std::int64_t earn_points = 0;
  std::int64_t earn_per_minor = 0;
  std::int64_t issuance_price_micros = 0;
  std::int64_t redemption_rate_micros = 0;
  bool auto_enroll = false;
};

struct PartnerListArgs {
  int page_size = 0;
  std::string page_token;
  /// Follow next_page_token to the end and print one combined result.
  bool all = false;
};

/// `policy set`: the whole policy, replacing the partner's current one.
struct PolicySetArgs {
  PartnerRef partner;
  std::int64_t point_value_micros = 0;
  std::int64_t block_size_points = 0;
  std::int64_t min_points = 0;
  std::int32_t max_points_share_bps = 10'000;
  std::int64_t min_cash_minor = 0;
  std::vector<std::int32_t> split_points_share_bps;
  /// One of RefundPolicyNames(); anything else is a usage error.
  std::string refund_policy = "proportional";
};

/// `tiers set`: the whole tier table, lowest tier first.
struct TiersSetArgs {
  /// Each "NAME:THRESHOLD_POINTS:MULTIPLIER_BPS", e.g. "Gold:5000:15000".
  std::vector<std::string> tiers;
  int grace_days = 0;
  std::string effective_from;  // RFC 3339; empty: now
};

/// One --tier value; nullopt unless it is NAME:THRESHOLD:MULTIPLIER_BPS with
/// a non-empty name and whole numbers (the server checks their ranges).
std::optional<coalition::v1::Tier> ParseTierSpec(std::string_view spec);

/// `partner cert add`: exactly one of the identity fields is set.
struct CertAddArgs {
  PartnerRef partner;
  /// A SHA-256 fingerprint, hex with or without colons.
  std::string fingerprint;
  /// A subject alternative name, matched exactly.
  std::string san;
};

/// The coalitionctl commands over AdminService. Each returns the process exit
/// code; failures print one `error: ...` line on `err`. Results go to `out`
/// as a table or one JSON document. Takes the stub interface so tests can
/// pass a fake.
class AdminCommands {
 public:
  AdminCommands(coalition::v1::AdminService::StubInterface& stub, sdk::ChannelOptions channel,
                OutputFormat output, std::ostream& out, std::ostream& err);

  int PartnerCreate(const PartnerCreateArgs& args);
  int PartnerList(const PartnerListArgs& args);
  int KeyCreate(const PartnerRef& partner);
  int KeyRevoke(const std::string& key_id);
  /// kExitOk when every invariant holds, kExitInvariantViolated otherwise.
  int Verify();
  /// The partner's redemption policy, or the server default (configured: no).
  int PolicyGet(const PartnerRef& partner);
  /// Replaces the partner's redemption policy; prints the stored one.
  int PolicySet(const PolicySetArgs& args);
  /// Re-seals member PII under the server's active key, one RotatePiiKeys
  /// batch at a time, until none remain. The keys stay on the server.
  int KeysRotate(int batch_size);
  /// The newest `limit` audit events (at most 500).
  int Audit(int limit);
  // Runs the expiry job now.
  int ExpiryRun();
  // Expired points per issuer over the last `days` days.
  int Breakage(int days);
  // Tiers (SPEC 5): set a new version of the table, show the one in force
  // and those scheduled, run the review now.
  int TiersSet(const TiersSetArgs& args);
  int TiersShow();
  int TiersReview(int batch_size);
  /// Maps a client certificate identity to a partner for mTLS.
  int CertAdd(const CertAddArgs& args);
  /// Revokes a mapping (at once on the server that receives it).
  int CertRevoke(const std::string& certificate_id);
  /// Every mapping (of `partner` when given), revoked ones included.
  int CertList(const std::optional<PartnerRef>& partner);

 private:
  int Fail(const grpc::Status& status);
  void WarnSecretShownOnce();
  void PrintPolicy(const coalition::v1::RedemptionPolicyResponse& response);

  coalition::v1::AdminService::StubInterface& stub_;
  sdk::ChannelOptions channel_;
  OutputFormat output_;
  std::ostream& out_;
  std::ostream& err_;
};

}  // namespace coalition::cli
