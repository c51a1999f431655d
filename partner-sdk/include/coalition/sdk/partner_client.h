#pragma once

#include <memory>
#include <utility>

#include "coalition/sdk/options.h"
#include "coalition/sdk/partner_connection.h"
#include "coalition/sdk/status_or.h"
#include "coalition/v1/partner_service.pb.h"

namespace coalition::sdk {

/// The Coalition partner API for tills and back offices.
///
///     coalition::sdk::Options options;
///     options.endpoint = "loyalty.example.com:443";
///     options.api_key = std::getenv("COALITION_API_KEY");
///     coalition::sdk::PartnerClient client(coalition::sdk::MakePartnerConnection(options));
///
///     coalition::v1::AccrueRequest request;
///     request.set_card_number("6001-0001");
///     request.mutable_amount()->set_currency_code("USD");
///     request.mutable_amount()->set_amount_minor(1234);
///     auto accrued = client.Accrue(request);
///     if (!accrued) std::cerr << coalition::sdk::FormatError(accrued.error()) << "\n";
///
/// A client is a thin handle on a shared PartnerConnection: cheap to copy,
/// and safe to use from many threads at once. There is no global state.
///
/// Errors: every call returns a StatusOr. Branch on `error().code` and
/// `error().reason` (machine-readable, e.g. "MEMBER_NOT_FOUND"); `message` is
/// for humans. Common to all calls:
///   - UNAUTHENTICATED: missing, unknown or revoked API key.
///   - PERMISSION_DENIED: the key may not call the partner API.
///   - INVALID_ARGUMENT: a malformed field; `error().metadata["field"]` names it.
///   - UNAVAILABLE (e.g. SERVER_BUSY, CONTENTION, DATABASE_UNAVAILABLE,
///     COMMIT_IN_DOUBT, or no reason when the network failed) and
///     DEADLINE_EXCEEDED: returned only once the retry policy gave up.
///
/// Retries: only UNAVAILABLE and DEADLINE_EXCEEDED are retried, for every
/// call. Money moves (EnrollMember, Accrue, Redeem, HoldPoints, CapturePoints,
/// VoidHold, RefundPurchase) are idempotent on their
/// request_id: when the request has none, the client generates one with
/// NewRequestId() before the first attempt and sends that same id on every
/// retry, so an attempt whose answer was lost is not applied twice. To retry
/// a business operation yourself later (e.g. after a crash), set request_id
/// yourself and keep it.
class PartnerClient {
 public:
  explicit PartnerClient(std::shared_ptr<PartnerConnection> connection)
      : connection_(std::move(connection)) {}

  /// Enrols `request.card_number` as a new member with an optional profile.
  /// Errors: ALREADY_EXISTS/CARD_ALREADY_ENROLLED when the card already
  /// belongs to a member; ALREADY_EXISTS/REQUEST_ID_REUSED when the
  /// request_id was used for a different request.
  /// Idempotent on request_id (generated if empty): repeating it returns the
  /// first result.
  StatusOr<v1::EnrollMemberResponse> EnrollMember(const v1::EnrollMemberRequest& request) {
    return connection_->EnrollMember(request);
  }

  /// Reads a member's balance, held and available points, by card number or
  /// member id. Errors: NOT_FOUND/MEMBER_NOT_FOUND.
  /// Read-only, hence idempotent.
  StatusOr<v1::GetMemberResponse> GetMember(const v1::GetMemberRequest& request) {
    return connection_->GetMember(request);
  }

  /// Awards points for a purchase at the calling partner, at its earn rate
  /// (rounded down; 0 points posts nothing and leaves transfer_id empty).
  /// An unknown card is enrolled when the partner has auto_enroll.
  /// Errors: NOT_FOUND/MEMBER_NOT_FOUND (unknown card, no auto_enroll);
  /// INVALID_ARGUMENT/CURRENCY_MISMATCH; INVALID_ARGUMENT/POINTS_LIMIT_EXCEEDED;
  /// ALREADY_EXISTS/REQUEST_ID_REUSED.
  /// Idempotent on request_id (generated if empty): a repeat returns the same
  /// transfer_id and posts nothing.
  StatusOr<v1::AccrueResponse> Accrue(const v1::AccrueRequest& request) {
    return connection_->Accrue(request);
  }

  /// Spends a member's points at the calling partner (points earned at any
  /// partner count). Errors: FAILED_PRECONDITION/INSUFFICIENT_POINTS when
  /// available < points; NOT_FOUND/MEMBER_NOT_FOUND;
  /// ALREADY_EXISTS/REQUEST_ID_REUSED.
  /// Idempotent on request_id (generated if empty).
  StatusOr<v1::RedeemResponse> Redeem(const v1::RedeemRequest& request) {
    return connection_->Redeem(request);
  }

  /// One page of the member's transactions at the calling partner, newest
  /// first; pass `next_page_token` back for the next page.
  /// Errors: NOT_FOUND/MEMBER_NOT_FOUND; INVALID_ARGUMENT/INVALID_PAGE_TOKEN.
  /// Read-only, hence idempotent.
  StatusOr<v1::ListTransactionsResponse> ListTransactions(
      const v1::ListTransactionsRequest& request) {
    return connection_->ListTransactions(request);
  }

  /// Reserves points for a payment that is still completing (an online
  /// checkout, a till waiting for the card terminal): they stop being
  /// available until captured, voided, or released when `ttl_seconds` (0 =
  /// the server default of 15 minutes) runs out.
  /// Errors: FAILED_PRECONDITION/INSUFFICIENT_POINTS; NOT_FOUND/MEMBER_NOT_FOUND;
  /// INVALID_ARGUMENT for a ttl above the server's maximum.
  /// Idempotent on request_id (generated if empty): a repeat returns the same hold.
  StatusOr<v1::HoldPointsResponse> HoldPoints(const v1::HoldPointsRequest& request) {
    return connection_->HoldPoints(request);
  }

  /// Spends up to the held points (`points` 0 = all) and releases the rest.
  /// Errors: NOT_FOUND/HOLD_NOT_FOUND (unknown, or another partner's hold);
  /// FAILED_PRECONDITION/HOLD_EXPIRED, HOLD_VOIDED, HOLD_CAPTURED once the hold
  /// is closed; FAILED_PRECONDITION/CAPTURE_EXCEEDS_HOLD.
  /// Idempotent on request_id: a repeat returns the same transfer.
  StatusOr<v1::CapturePointsResponse> CapturePoints(const v1::CapturePointsRequest& request) {
    return connection_->CapturePoints(request);
  }

  /// Releases a hold. Errors as CapturePoints. Idempotent on request_id.
  StatusOr<v1::VoidHoldResponse> VoidHold(const v1::VoidHoldRequest& request) {
    return connection_->VoidHold(request);
  }

  /// The ways `request.price` can be paid with cash and points under the
  /// partner's redemption policy: all cash, all points (if allowed), the fixed
  /// splits, and for a given member only what they can afford plus the most
  /// points they can use. cash + points x point value equals the price exactly.
  /// Pay a chosen option with HoldPoints + CapturePoints.
  /// Errors: INVALID_ARGUMENT (price, currency); NOT_FOUND/MEMBER_NOT_FOUND;
  /// FAILED_PRECONDITION/REDEMPTION_NOT_CONFIGURED when points have no value here.
  /// Read-only, hence idempotent.
  StatusOr<v1::QuotePriceResponse> QuotePrice(const v1::QuotePriceRequest& request) {
    return connection_->QuotePrice(request);
  }

  /// A purchase at the calling partner by receipt_id: the cash paid
  /// (accruals with that receipt_id), the points paid (Redeem/CapturePoints
  /// with it), the points earned and what refunds returned so far.
  /// Errors: NOT_FOUND/PURCHASE_NOT_FOUND. Read-only, hence idempotent.
  StatusOr<v1::GetPurchaseResponse> GetPurchase(const v1::GetPurchaseRequest& request) {
    return connection_->GetPurchase(request);
  }

  /// Refunds `request.amount` of a purchase (unset: all that is left) under
  /// the refund policy in force when its points were paid. The response says
  /// how much cash to give back; points return to the member and earned
  /// points are clawed back in proportion. Partial refunds add up and never
  /// exceed the purchase.
  /// Errors: NOT_FOUND/PURCHASE_NOT_FOUND; FAILED_PRECONDITION/
  /// PURCHASE_FULLY_REFUNDED or REFUND_EXCEEDS_PURCHASE;
  /// ALREADY_EXISTS/REQUEST_ID_REUSED.
  /// Idempotent on request_id (generated if empty).
  StatusOr<v1::RefundPurchaseResponse> RefundPurchase(const v1::RefundPurchaseRequest& request) {
    return connection_->RefundPurchase(request);
  }

 private:
  std::shared_ptr<PartnerConnection> connection_;
};

}  // namespace coalition::sdk
