#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "domain/clock.h"

namespace coalition::domain {

using PartnerId = int64_t;
using MemberId = int64_t;
using TransferId = int64_t;

// Points earned per amount: `points` points per `per_amount_minor` minor units.
struct EarnRate {
  int64_t points = 0;
  int64_t per_amount_minor = 0;
};

struct Money {
  std::string currency_code;
  int64_t amount_minor = 0;
};

struct Partner {
  PartnerId id = 0;
  std::string code;
  std::string display_name;
  EarnRate earn_rate;
  int64_t issuance_price_micros = 0;
  int64_t redemption_rate_micros = 0;
  bool auto_enroll = false;
  Timestamp created_at{};
  // System accounts the partner's transfers post against.
  int64_t issuance_account_id = 0;
  int64_t redemption_account_id = 0;
};

struct NewPartner {
  std::string code;
  std::string display_name;
  EarnRate earn_rate;
  int64_t issuance_price_micros = 0;
  int64_t redemption_rate_micros = 0;
  bool auto_enroll = false;
};

struct ApiKeyRecord {
  int64_t id = 0;
  PartnerId partner_id = 0;
  std::string prefix;
  Timestamp created_at{};
  std::optional<Timestamp> revoked_at;
};

// How a client certificate identity is matched (V0013 client_certificates).
enum class CertificateMatch {
  // Lowercase hex SHA-256 of the certificate's DER: pins one certificate.
  kSha256Fingerprint,
  // A subject alternative name, exactly: any certificate from the client CA
  // carrying it, so renewals keep working.
  kSubjectAltName,
};

struct ClientCertificateRecord {
  int64_t id = 0;
  PartnerId partner_id = 0;
  CertificateMatch match = CertificateMatch::kSha256Fingerprint;
  std::string identity;
  Timestamp created_at{};
  std::optional<Timestamp> revoked_at;
};

// What a verified peer certificate offers as identities.
struct PeerCertificate {
  std::string sha256_fingerprint;  // lowercase hex; empty when unreadable
  std::vector<std::string> subject_alt_names;
};

struct MemberProfile {
  std::string given_name;
  std::string family_name;
  std::string email;
  std::string phone;
  std::string date_of_birth = {};  // YYYY-MM-DD (initialised: older 4-field initialisers stay valid)
  bool empty() const {
    return given_name.empty() && family_name.empty() && email.empty() && phone.empty() &&
           date_of_birth.empty();
  }
};

// How a request names a member: exactly one of the two is set.
struct MemberRef {
  std::string card_number;
  std::optional<MemberId> member_id;
};

struct MemberView {
  MemberId id = 0;
  std::vector<std::string> card_numbers;
  int64_t balance = 0;
  int64_t held = 0;
  // Clawed-back points the member had already spent (balance includes -debt).
  int64_t debt = 0;
  int64_t available() const { return balance - held; }
  Timestamp enrolled_at{};
  // Tier (SPEC §5): all empty/0 while no tier table is in force.
  std::string tier_name;
  // Rolling 12 months (this calendar month and the 11 before it).
  int64_t qualifying_points = 0;
  // Empty at the top tier.
  std::string next_tier_name;
  int64_t points_to_next_tier = 0;
};

// The identity of a money-moving request for idempotency.
struct RequestKey {
  std::string request_id;
  std::string method;
  // SHA-256 of the canonical request, 32 bytes.
  std::string request_hash;
};

struct EnrollCommand {
  RequestKey key;
  std::string card_number;
  MemberProfile profile;
};

struct EnrollResult {
  MemberView member;
};

struct LineItem {
  std::string sku;
  std::string category;
  Money amount;
};

struct AccrueCommand {
  RequestKey key;
  std::string card_number;
  Money amount;
  std::vector<LineItem> line_items;
  std::string store_id;
  std::string receipt_id;
  std::optional<Timestamp> occurred_at;
};

// One part of what an accrual earned: "base", "multiplier", "tier",
// "capped" (negative) or "campaign" (with its id, after budget and caps).
struct EarnComponent {
  std::string kind;
  int64_t campaign_id = 0;
  int64_t points = 0;
};

struct AccrueResult {
  std::optional<TransferId> transfer_id;  // none when 0 points were earned
  MemberId member_id = 0;
  int64_t points_earned = 0;
  std::vector<EarnComponent> breakdown;
  int64_t balance = 0;
  bool member_enrolled = false;
};

struct RedeemCommand {
  RequestKey key;
  MemberRef member;
  int64_t points = 0;
  std::string reference;
  // Optional: the purchase these points pay towards (see refund.h).
  std::string receipt_id;
};

struct RedeemResult {
  TransferId transfer_id = 0;
  MemberId member_id = 0;
  int64_t points_redeemed = 0;
  int64_t balance = 0;
  int64_t available = 0;
};

enum class TransferKind { kAccrual, kRedemption, kHoldCapture, kRefund, kClawback };

struct TransactionView {
  TransferId id = 0;
  TransferKind kind = TransferKind::kAccrual;
  int64_t points = 0;
  int64_t balance_delta = 0;
  std::string request_id;
  std::optional<Money> amount;
  std::string store_id;
  std::string receipt_id;
  std::string reference;
  Timestamp created_at{};
};

struct TransactionPage {
  std::vector<TransactionView> transactions;
  // Id of the last transfer returned when more may follow.
  std::optional<TransferId> next_after;
};

using HoldId = int64_t;

enum class HoldStatus { kOpen, kCaptured, kVoided, kExpired };

struct HoldView {
  HoldId id = 0;
  MemberId member_id = 0;
  int64_t points = 0;
  HoldStatus status = HoldStatus::kOpen;
  Timestamp created_at{};
  Timestamp expires_at{};
  int64_t captured_points = 0;
  std::optional<TransferId> capture_transfer_id;
  std::string reference;
};

struct HoldCommand {
  RequestKey key;
  MemberRef member;
  int64_t points = 0;
  // 0: the default time to live.
  int32_t ttl_seconds = 0;
  std::string reference;
};

struct HoldResult {
  HoldView hold;
  int64_t available = 0;
};

struct CaptureCommand {
  RequestKey key;
  HoldId hold_id = 0;
  // 0: everything held.
  int64_t points = 0;
  // Optional: the purchase these points pay towards (see refund.h).
  std::string receipt_id;
};

struct CaptureResult {
  HoldView hold;
  TransferId transfer_id = 0;
  int64_t points_captured = 0;
  int64_t points_released = 0;
  int64_t balance = 0;
  int64_t available = 0;
};

struct VoidCommand {
  RequestKey key;
  HoldId hold_id = 0;
};

struct VoidResult {
  HoldView hold;
  int64_t points_released = 0;
  int64_t available = 0;
};

// Programme-wide rules (SPEC §5): 0 turns each off.
struct ProgrammeRules {
  int64_t lot_lifetime_days = 0;       // points expire this long after they are earned
  int64_t inactivity_lapse_days = 0;   // all points lapse after this long without earn or spend
  int64_t signup_bonus_points = 0;     // operator-funded, once per member
};

// A credit's lot: expiry and whether a new member gets the sign-up bonus.
struct CreditTerms {
  std::optional<Timestamp> lot_expires_at;
  int64_t signup_bonus_points = 0;
};

struct ExpiryRun {
  int64_t members = 0;
  int64_t lots = 0;
  int64_t points = 0;
};

// Points expired into breakage for one issuer (none: operator-funded points).
struct BreakageLine {
  std::optional<PartnerId> issuer;
  std::string issuer_code;
  int64_t lots = 0;
  int64_t points = 0;
};

// A campaign as the operator configures it (see domain/rules.h CampaignOffer
// for how it earns).
struct NewCampaign {
  std::string name;
  std::optional<PartnerId> partner_id;  // none: at every partner (operator-funded only)
  Timestamp starts_at{};
  Timestamp ends_at{};
  std::vector<std::string> categories;
  int32_t multiplier_bps = 0;
  int64_t fixed_points = 0;
  int64_t min_spend_minor = 0;
  bool operator_funded = false;
  int64_t budget_points = 0;
  int64_t member_cap_points = 0;  // 0: no cap
  // A fixed bonus on a member's first earning purchase at a partner where
  // they never earned before, once they earned at another (cross-brand).
  // Needs fixed_points and no multiplier or categories.
  bool first_at_brand = false;
};

struct InvariantCheck {
  std::string name;
  std::string description;
  int64_t violations = 0;
  std::vector<std::string> examples;
  bool ok() const { return violations == 0; }
};

struct LedgerReport {
  std::vector<InvariantCheck> checks;
  bool ok() const {
    for (const auto& check : checks) {
      if (!check.ok()) return false;
    }
    return true;
  }
};

}  // namespace coalition::domain

namespace coalition::domain {

// One step of bringing member profiles to the active PII key.
struct PiiRotationStep {
  int64_t resealed = 0;
  // Rows still under another key (or still plaintext) after this step.
  int64_t remaining = 0;
};

}  // namespace coalition::domain

namespace coalition::domain {

// One row of the audit log (SPEC §8): an administrative or settlement call.
struct AuditRecord {
  int64_t id = 0;
  Timestamp occurred_at{};
  std::string actor;
  std::string role;
  std::string method;
  std::string request_id;
  int code = 0;
  std::string reason;
  // JSON documents, empty when not recorded; never secrets or PII.
  std::string request_json;
  std::string before_json;
  std::string after_json;
  // "COMPLETED" (one row per call), or for audited writes "INTENT" (written
  // before the change; no code yet) and "OUTCOME" (after it, naming the
  // intent in `intent_id`).
  std::string phase = "COMPLETED";
  int64_t intent_id = 0;
};

}  // namespace coalition::domain

namespace coalition::domain {

// Targeted bonuses (SPEC §3): operator-funded points for every member of a
// segment, granted as one idempotent operation.
enum class GrantSegment { kTopSpenders, kLapsing };

struct NewBonusGrant {
  // Idempotency: the same request_id and hash return the same grant.
  std::string request_id;
  std::string request_hash;  // raw SHA-256 of the request's parameters
  GrantSegment segment = GrantSegment::kTopSpenders;
  // kTopSpenders: the top `top_percent` of members by cash accrued in
  // [spend_from, spend_to).
  int32_t top_percent = 0;
  Timestamp spend_from{};
  Timestamp spend_to{};
  // kLapsing: members with no earn or spend for `lapsed_days` before as_of.
  int32_t lapsed_days = 0;
  Timestamp as_of{};
  int64_t points = 0;
  std::string reason;
  std::string actor;
};

struct BonusGrant {
  int64_t id = 0;
  NewBonusGrant terms = {};
  // Members in the segment (fixed at creation) and points due to them.
  int64_t member_count = 0;
  int64_t total_points = 0;
  // Members credited so far; equal to member_count once complete.
  int64_t granted_members = 0;
  Timestamp created_at{};
  bool complete() const { return granted_members == member_count; }
};

// A campaign as stored, with what it has awarded so far.
struct CampaignView {
  int64_t id = 0;
  NewCampaign campaign = {};
  std::string partner_code;  // empty: coalition-wide
  int64_t awarded_points = 0;
};

}  // namespace coalition::domain
