#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "domain/error.h"
#include "domain/pricing.h"

namespace coalition::domain {

// A mixed-payment purchase and what earlier refunds of it already returned.
struct PurchaseTotals {
  // cash_paid_minor + value of points_paid, in minor units (exactly).
  int64_t price_minor = 0;
  int64_t cash_paid_minor = 0;
  int64_t points_paid = 0;
  int64_t points_earned = 0;
  // Already refunded by earlier refunds of this purchase:
  int64_t amount_refunded_minor = 0;
  int64_t cash_returned_minor = 0;
  int64_t points_returned = 0;
  int64_t points_clawed_back = 0;
};

// What one refund does: the partner gives back `cash_to_return_minor`, the
// member gets `points_to_return` back and loses `points_to_claw_back` earned
// points. All four are >= 0.
struct RefundOutcome {
  int64_t amount_refunded_minor = 0;
  int64_t cash_to_return_minor = 0;
  int64_t points_to_return = 0;
  int64_t points_to_claw_back = 0;
};

// The effect of refunding `refund_amount_minor` (the value of the goods
// returned now, 1..price - already refunded; nullopt: everything left) of a
// purchase under `policy`. `point_value_micros` is the value of a point at
// the time of the purchase, `minor_unit_micros` that of one minor unit.
//
// Stateless and cumulative: with R = already refunded + this amount, the
// function computes the totals that should have come back after R (a
// monotone function of R) and returns target - already returned, never
// negative. So partial refunds add up, a retry with the same state computes
// the same outcome, and the refund that reaches the price returns exactly
// the rest: all the cash, all the points (none under POINTS_FORFEITED) and
// claws back exactly the points earned. The value returned so far (cash +
// points at point_value) never exceeds R; each total is rounded DOWN (in the
// member's disfavour by less than one minor unit or one point) until the
// final refund squares it.
//
// Targets after R (P = price; cash_paid + points_paid value = P):
//   PROPORTIONAL:     cash = floor(cash_paid * R / P), points = floor(points_paid * R / P).
//   CASH_FIRST:       cash = min(cash_paid, R); points = the rest of R in whole
//                     points, floor((R - cash) / value), capped at points_paid.
//   POINTS_FIRST:     points = min(points_paid, floor(R / value)); cash only once
//                     R exceeds the whole value of the points paid (rounded up
//                     to minor units): cash = min(cash_paid, max(0, R - ceil(value
//                     of points_paid))). Returning the fraction of a point's
//                     value in cash earlier would not be monotone in R.
//   POINTS_FORFEITED: points = 0; cash = min(cash_paid, R).
//   Clawback (all):   floor(points_earned * R / P).
// When R == P every target is the full amount paid (earned).
//
// Errors: INVALID_ARGUMENT (field "amount") for an amount <= 0;
// FAILED_PRECONDITION PURCHASE_FULLY_REFUNDED when nothing is left,
// REFUND_EXCEEDS_PURCHASE for more than is left; INVALID_ARGUMENT for a bad
// point value or minor unit; INTERNAL for inconsistent totals.
Result<RefundOutcome> ComputeRefund(const PurchaseTotals& purchase,
                                    std::optional<int64_t> refund_amount_minor, RefundPolicy policy,
                                    int64_t point_value_micros, int64_t minor_unit_micros);

// A purchase as recorded: a receipt at a partner, with what refunds of it
// returned so far.
struct PurchaseView {
  std::string receipt_id;
  MemberId member_id = 0;
  std::string currency_code;
  PurchaseTotals totals;
  // Fixed by the first points payment; nothing for a cash-only purchase.
  std::optional<int64_t> point_value_micros;
  std::optional<RefundPolicy> refund_policy;
};

// The terms a points payment towards a receipt fixes for its purchase.
struct PurchaseTerms {
  std::string currency_code;
  int64_t point_value_micros = 0;
  RefundPolicy refund_policy = RefundPolicy::kProportional;
};

// The exact cash value of `points` at `point_value_micros`, or nothing when it
// is not a whole number of minor units: a purchase's price must be exact for
// its refunds to be.
std::optional<int64_t> PointsValueMinor(int64_t points, int64_t point_value_micros,
                                        int64_t minor_unit_micros);

struct RefundCommand {
  RequestKey key;
  std::string receipt_id;
  // Value of the goods returned now, in the programme currency; nothing
  // refunds everything not yet refunded.
  std::optional<Money> amount;
};

struct RefundResult {
  PurchaseView purchase;  // after this refund
  RefundOutcome outcome;
  std::optional<TransferId> refund_transfer_id;    // points returned
  std::optional<TransferId> clawback_transfer_id;  // earned points clawed back
  int64_t balance = 0;
  int64_t available = 0;
  // Clawed-back points the member had already spent; repaid by later credits.
  int64_t debt = 0;
};

// Pairs needs with supplies in order, first need from first supply: used to
// restore a refund's points to the lots it consumed and to repay clawback
// debt from lots. Takes min(total, Σ needs, Σ supplies) in all.
struct Allocation {
  size_t need = 0;
  size_t supply = 0;
  int64_t amount = 0;
};
std::vector<Allocation> AllocateInOrder(const std::vector<int64_t>& needs,
                                        const std::vector<int64_t>& supplies, int64_t total);

}  // namespace coalition::domain
