#include "rpc/partner_service.h"

#include <limits>

#include "rpc/call.h"
#include "rpc/convert.h"
#include "rpc/request_key.h"
#include "rpc/status.h"
#include "domain/validation.h"

namespace coalition::rpc {

using domain::Ok;
using domain::Result;

namespace {

constexpr std::string_view kEnrollMember = "/coalition.v1.PartnerService/EnrollMember";
constexpr std::string_view kGetMember = "/coalition.v1.PartnerService/GetMember";
constexpr std::string_view kAccrue = "/coalition.v1.PartnerService/Accrue";
constexpr std::string_view kRedeem = "/coalition.v1.PartnerService/Redeem";
constexpr std::string_view kListTransactions = "/coalition.v1.PartnerService/ListTransactions";
constexpr std::string_view kHoldPoints = "/coalition.v1.PartnerService/HoldPoints";
constexpr std::string_view kCapturePoints = "/coalition.v1.PartnerService/CapturePoints";
constexpr std::string_view kVoidHold = "/coalition.v1.PartnerService/VoidHold";
constexpr std::string_view kQuotePrice = "/coalition.v1.PartnerService/QuotePrice";
constexpr std::string_view kGetPurchase = "/coalition.v1.PartnerService/GetPurchase";
constexpr std::string_view kRefundPurchase = "/coalition.v1.PartnerService/RefundPurchase";

constexpr std::string_view kBatchAccrue = "/coalition.v1.PartnerService/BatchAccrue";

// Lines of a BatchAccrue applied per transaction: large enough that the
// per-chunk statements cost little per line, small enough to keep each
// transaction's locks short.
constexpr size_t kBatchAccrueChunkLines = 5'000;
// The response lists at most this many rejected lines (it counts them all).
constexpr int kBatchAccrueMaxReportedErrors = 10'000;

// An Accrue request as the ledger's command. Its key is the same whether the
// line came alone (Accrue) or in a file (BatchAccrue), so each sees the other's
// request_ids as repeats.
Result<domain::AccrueCommand> AccrueCommandFrom(const v1::AccrueRequest& request) {
  domain::AccrueCommand command;
  command.key = MakeRequestKey(kAccrue, request.request_id(), request);
  command.card_number = request.card_number();
  command.amount = FromProto(request.amount());
  for (const auto& item : request.line_items()) {
    command.line_items.push_back({item.sku(), item.category(), FromProto(item.amount())});
  }
  command.store_id = request.store_id();
  command.receipt_id = request.receipt_id();
  if (request.has_occurred_at()) {
    auto occurred = FromProto(request.occurred_at(), "occurred_at");
    if (!occurred) return occurred.error();
    command.occurred_at = *occurred;
  }
  return command;
}

v1::PaymentOptionKind ToProto(domain::OptionKind kind) {
  switch (kind) {
    case domain::OptionKind::kAllCash: return v1::PAYMENT_OPTION_KIND_ALL_CASH;
    case domain::OptionKind::kAllPoints: return v1::PAYMENT_OPTION_KIND_ALL_POINTS;
    case domain::OptionKind::kSplit: return v1::PAYMENT_OPTION_KIND_SPLIT;
    case domain::OptionKind::kMaxAffordable: return v1::PAYMENT_OPTION_KIND_MAX_AFFORDABLE;
  }
  return v1::PAYMENT_OPTION_KIND_UNSPECIFIED;
}

v1::TransactionKind ToProto(domain::TransferKind kind) {
  switch (kind) {
    case domain::TransferKind::kAccrual: return v1::TRANSACTION_KIND_ACCRUAL;
    case domain::TransferKind::kRedemption: return v1::TRANSACTION_KIND_REDEMPTION;
    case domain::TransferKind::kHoldCapture: return v1::TRANSACTION_KIND_HOLD_CAPTURE;
    case domain::TransferKind::kRefund: return v1::TRANSACTION_KIND_REFUND;
    case domain::TransferKind::kClawback: return v1::TRANSACTION_KIND_CLAWBACK;
  }
  return v1::TRANSACTION_KIND_UNSPECIFIED;
}

v1::HoldStatus ToProto(domain::HoldStatus status) {
  switch (status) {
    case domain::HoldStatus::kOpen: return v1::HOLD_STATUS_OPEN;
    case domain::HoldStatus::kCaptured: return v1::HOLD_STATUS_CAPTURED;
    case domain::HoldStatus::kVoided: return v1::HOLD_STATUS_VOIDED;
    case domain::HoldStatus::kExpired: return v1::HOLD_STATUS_EXPIRED;
  }
  return v1::HOLD_STATUS_UNSPECIFIED;
}

void ToProto(const domain::HoldView& hold, v1::Hold* out) {
  out->set_hold_id(std::to_string(hold.id));
  out->set_member_id(std::to_string(hold.member_id));
  out->set_points(hold.points);
  out->set_status(ToProto(hold.status));
  rpc::ToProto(hold.created_at, out->mutable_created_at());
  rpc::ToProto(hold.expires_at, out->mutable_expires_at());
  out->set_captured_points(hold.captured_points);
  if (hold.capture_transfer_id) {
    out->set_capture_transfer_id(std::to_string(*hold.capture_transfer_id));
  }
  out->set_reference(hold.reference);
}

// A hold_id from the wire; 0 (rejected by validation) when malformed.
domain::HoldId ParseHoldId(const std::string& text) { return domain::ParseId(text).value_or(0); }

}  // namespace

grpc::Status PartnerServiceImpl::EnrollMember(grpc::ServerContext* context,
                                              const v1::EnrollMemberRequest* request,
                                              v1::EnrollMemberResponse* response) {
  return RunCall(auth_, *context, kEnrollMember, request->request_id(),
                 [&](const Principal& caller) -> Result<Ok> {
                   domain::EnrollCommand command;
                   command.key = MakeRequestKey(kEnrollMember, request->request_id(), *request);
                   command.card_number = request->card_number();
                   const auto& profile = request->profile();
                   command.profile = {profile.given_name(), profile.family_name(),
                                      profile.email(), profile.phone(),
                                      profile.date_of_birth()};
                   auto result = ledger_.Enroll(*caller.partner, command);
                   if (!result) return result.error();
                   ToProto(result->member, response->mutable_member());
                   return Ok{};
                 });
}

grpc::Status PartnerServiceImpl::GetMember(grpc::ServerContext* context,
                                           const v1::GetMemberRequest* request,
                                           v1::GetMemberResponse* response) {
  return RunCall(auth_, *context, kGetMember, "", [&](const Principal& caller) -> Result<Ok> {
    domain::MemberRef ref;
    if (request->has_email() || request->has_phone()) {
      auto found = ledger_.FindMemberByContact(*caller.partner, request->email(),
                                               request->phone());
      if (!found) return found.error();
      ref.member_id = *found;
    } else {
      auto parsed = MemberRefFromProto(request->has_card_number(), request->card_number(),
                                       request->has_member_id(), request->member_id());
      if (!parsed) return parsed.error();
      ref = std::move(*parsed);
    }
    auto member = ledger_.GetMember(ref);
    if (!member) return member.error();
    auto profile = ledger_.GetMemberProfile(*caller.partner, member->id);
    if (!profile) return profile.error();
    ToProto(*member, response->mutable_member());
    if (*profile) {
      auto* out = response->mutable_profile();
      out->set_given_name((*profile)->given_name);
      out->set_family_name((*profile)->family_name);
      out->set_email((*profile)->email);
      out->set_phone((*profile)->phone);
      out->set_date_of_birth((*profile)->date_of_birth);
    }
    return Ok{};
  });
}

grpc::Status PartnerServiceImpl::Accrue(grpc::ServerContext* context,
                                        const v1::AccrueRequest* request,
                                        v1::AccrueResponse* response) {
  return RunCall(auth_, *context, kAccrue, request->request_id(),
                 [&](const Principal& caller) -> Result<Ok> {
                   auto command = AccrueCommandFrom(*request);
                   if (!command) return command.error();
                   auto result = ledger_.Accrue(*caller.partner, *command);
                   if (!result) return result.error();
                   if (result->transfer_id) {
                     response->set_transfer_id(std::to_string(*result->transfer_id));
                   }
                   response->set_member_id(std::to_string(result->member_id));
                   response->set_points_earned(result->points_earned);
                   response->set_balance(result->balance);
                   response->set_member_enrolled(result->member_enrolled);
                   for (const auto& part : result->breakdown) {
                     auto* out = response->add_breakdown();
                     out->set_kind(part.kind);
                     if (part.campaign_id != 0) {
                       out->set_campaign_id(std::to_string(part.campaign_id));
                     }
                     out->set_points(part.points);
                   }
                   return Ok{};
                 });
}

grpc::Status PartnerServiceImpl::Redeem(grpc::ServerContext* context,
                                        const v1::RedeemRequest* request,
                                        v1::RedeemResponse* response) {
  return RunCall(auth_, *context, kRedeem, request->request_id(),
                 [&](const Principal& caller) -> Result<Ok> {
                   auto ref = MemberRefFromProto(request->has_card_number(),
                                                 request->card_number(),
                                                 request->has_member_id(), request->member_id());
                   if (!ref) return ref.error();
                   domain::RedeemCommand command;
                   command.key = MakeRequestKey(kRedeem, request->request_id(), *request);
                   command.member = *ref;
                   command.points = request->points();
                   command.reference = request->reference();
                   command.receipt_id = request->receipt_id();
                   auto terms = TermsFor(*caller.partner, command.receipt_id);
                   if (!terms) return terms.error();
                   auto result = ledger_.Redeem(*caller.partner, command, *terms);
                   if (!result) return result.error();
                   response->set_transfer_id(std::to_string(result->transfer_id));
                   response->set_member_id(std::to_string(result->member_id));
                   response->set_points_redeemed(result->points_redeemed);
                   response->set_balance(result->balance);
                   response->set_available(result->available);
                   return Ok{};
                 });
}

grpc::Status PartnerServiceImpl::ListTransactions(grpc::ServerContext* context,
                                                  const v1::ListTransactionsRequest* request,
                                                  v1::ListTransactionsResponse* response) {
  return RunCall(auth_, *context, kListTransactions, "", [&](const Principal& caller) -> Result<Ok> {
    auto ref = MemberRefFromProto(request->has_card_number(), request->card_number(),
                                  request->has_member_id(), request->member_id());
    if (!ref) return ref.error();
    // The token is bound to the partner and the member reference it was
    // issued for.
    const std::string scope = "transactions:" + std::to_string(caller.partner->id) + ":" +
                              request->card_number() + ":" + request->member_id();
    domain::TransferId before = std::numeric_limits<domain::TransferId>::max();
    if (!request->page_token().empty()) {
      auto position = page_tokens_.Decode(request->page_token(), scope);
      if (!position) {
        return domain::Error::InvalidArgument("page_token", "is not a valid page token",
                                              "INVALID_PAGE_TOKEN");
      }
      before = *position;
    }
    auto page = ledger_.ListTransactions(*caller.partner, *ref, before, request->page_size());
    if (!page) return page.error();
    for (const auto& view : page->second.transactions) {
      auto* out = response->add_transactions();
      out->set_transfer_id(std::to_string(view.id));
      out->set_kind(ToProto(view.kind));
      out->set_points(view.points);
      out->set_balance_delta(view.balance_delta);
      out->set_request_id(view.request_id);
      if (view.amount) rpc::ToProto(*view.amount, out->mutable_amount());
      out->set_store_id(view.store_id);
      out->set_receipt_id(view.receipt_id);
      out->set_reference(view.reference);
      rpc::ToProto(view.created_at, out->mutable_created_at());
    }
    if (page->second.next_after) {
      response->set_next_page_token(page_tokens_.Encode(scope, *page->second.next_after));
    }
    return Ok{};
  });
}

grpc::Status PartnerServiceImpl::HoldPoints(grpc::ServerContext* context,
                                            const v1::HoldPointsRequest* request,
                                            v1::HoldPointsResponse* response) {
  return RunCall(auth_, *context, kHoldPoints, request->request_id(),
                 [&](const Principal& caller) -> Result<Ok> {
                   auto ref = MemberRefFromProto(request->has_card_number(),
                                                 request->card_number(),
                                                 request->has_member_id(), request->member_id());
                   if (!ref) return ref.error();
                   domain::HoldCommand command;
                   command.key = MakeRequestKey(kHoldPoints, request->request_id(), *request);
                   command.member = *ref;
                   command.points = request->points();
                   command.ttl_seconds = request->ttl_seconds();
                   command.reference = request->reference();
                   auto result = ledger_.HoldPoints(*caller.partner, command);
                   if (!result) return result.error();
                   ToProto(result->hold, response->mutable_hold());
                   response->set_available(result->available);
                   return Ok{};
                 });
}

grpc::Status PartnerServiceImpl::CapturePoints(grpc::ServerContext* context,
                                               const v1::CapturePointsRequest* request,
                                               v1::CapturePointsResponse* response) {
  return RunCall(auth_, *context, kCapturePoints, request->request_id(),
                 [&](const Principal& caller) -> Result<Ok> {
                   domain::CaptureCommand command;
                   command.key = MakeRequestKey(kCapturePoints, request->request_id(), *request);
                   command.hold_id = ParseHoldId(request->hold_id());
                   command.points = request->points();
                   command.receipt_id = request->receipt_id();
                   auto terms = TermsFor(*caller.partner, command.receipt_id);
                   if (!terms) return terms.error();
                   auto result = ledger_.CapturePoints(*caller.partner, command, *terms);
                   if (!result) return result.error();
                   ToProto(result->hold, response->mutable_hold());
                   response->set_transfer_id(std::to_string(result->transfer_id));
                   response->set_points_captured(result->points_captured);
                   response->set_points_released(result->points_released);
                   response->set_balance(result->balance);
                   response->set_available(result->available);
                   return Ok{};
                 });
}

grpc::Status PartnerServiceImpl::VoidHold(grpc::ServerContext* context,
                                          const v1::VoidHoldRequest* request,
                                          v1::VoidHoldResponse* response) {
  return RunCall(auth_, *context, kVoidHold, request->request_id(),
                 [&](const Principal& caller) -> Result<Ok> {
                   domain::VoidCommand command;
                   command.key = MakeRequestKey(kVoidHold, request->request_id(), *request);
                   command.hold_id = ParseHoldId(request->hold_id());
                   auto result = ledger_.VoidHold(*caller.partner, command);
                   if (!result) return result.error();
                   ToProto(result->hold, response->mutable_hold());
                   response->set_points_released(result->points_released);
                   response->set_available(result->available);
                   return Ok{};
                 });
}

grpc::Status PartnerServiceImpl::QuotePrice(grpc::ServerContext* context,
                                            const v1::QuotePriceRequest* request,
                                            v1::QuotePriceResponse* response) {
  return RunCall(auth_, *context, kQuotePrice, "", [&](const Principal& caller) -> Result<Ok> {
    std::optional<domain::MemberRef> member;
    if (request->has_card_number() || request->has_member_id()) {
      auto ref = MemberRefFromProto(request->has_card_number(), request->card_number(),
                                    request->has_member_id(), request->member_id());
      if (!ref) return ref.error();
      member = *ref;
    }
    auto quote = pricing_.QuotePrice(*caller.partner, FromProto(request->price()), member);
    if (!quote) return quote.error();
    const auto& currency = request->price().currency_code();
    for (const auto& option : quote->options) {
      auto* out = response->add_options();
      out->set_kind(ToProto(option.kind));
      out->set_points_share_bps(option.points_share_bps);
      out->mutable_cash()->set_currency_code(currency);
      out->mutable_cash()->set_amount_minor(option.cash_minor);
      out->set_points(option.points);
      out->set_points_earned(option.points_earned);
    }
    response->set_point_value_micros(quote->point_value_micros);
    if (quote->available_points) response->set_available_points(*quote->available_points);
    return Ok{};
  });
}

Result<std::optional<domain::PurchaseTerms>> PartnerServiceImpl::TermsFor(
    const domain::Partner& partner, const std::string& receipt_id) {
  if (receipt_id.empty()) return std::optional<domain::PurchaseTerms>();
  auto terms = pricing_.PurchaseTermsFor(partner);
  if (!terms) return terms.error();
  return std::optional<domain::PurchaseTerms>(*terms);
}

grpc::Status PartnerServiceImpl::GetPurchase(grpc::ServerContext* context,
                                             const v1::GetPurchaseRequest* request,
                                             v1::GetPurchaseResponse* response) {
  return RunCall(auth_, *context, kGetPurchase, "", [&](const Principal& caller) -> Result<Ok> {
    auto purchase = ledger_.GetPurchase(*caller.partner, request->receipt_id());
    if (!purchase) return purchase.error();
    ToProto(*purchase, response->mutable_purchase());
    return Ok{};
  });
}

grpc::Status PartnerServiceImpl::RefundPurchase(grpc::ServerContext* context,
                                                const v1::RefundPurchaseRequest* request,
                                                v1::RefundPurchaseResponse* response) {
  return RunCall(auth_, *context, kRefundPurchase, request->request_id(),
                 [&](const Principal& caller) -> Result<Ok> {
                   domain::RefundCommand command;
                   command.key = MakeRequestKey(kRefundPurchase, request->request_id(), *request);
                   command.receipt_id = request->receipt_id();
                   if (request->has_amount()) command.amount = FromProto(request->amount());
                   auto result = ledger_.RefundPurchase(*caller.partner, command);
                   if (!result) return result.error();
                   const auto& currency = result->purchase.currency_code;
                   const auto& outcome = result->outcome;
                   ToProto(result->purchase, response->mutable_purchase());
                   ToProto(domain::Money{currency, outcome.amount_refunded_minor},
                           response->mutable_amount_refunded());
                   ToProto(domain::Money{currency, outcome.cash_to_return_minor},
                           response->mutable_cash_to_return());
                   response->set_points_returned(outcome.points_to_return);
                   response->set_points_clawed_back(outcome.points_to_claw_back);
                   if (result->refund_transfer_id) {
                     response->set_refund_transfer_id(std::to_string(*result->refund_transfer_id));
                   }
                   if (result->clawback_transfer_id) {
                     response->set_clawback_transfer_id(
                         std::to_string(*result->clawback_transfer_id));
                   }
                   response->set_balance(result->balance);
                   response->set_available(result->available);
                   response->set_clawback_debt(result->debt);
                   return Ok{};
                 });
}


grpc::Status PartnerServiceImpl::BatchAccrue(grpc::ServerContext* context,
                                             grpc::ServerReader<v1::BatchAccrueRequest>* reader,
                                             v1::BatchAccrueResponse* response) {
  return RunCall(auth_, *context, kBatchAccrue, "", [&](const Principal& caller) -> Result<Ok> {
    std::vector<domain::AccrueCommand> chunk;
    std::vector<std::string> chunk_request_ids;
    // Lines that failed conversion before reaching the ledger, by position
    // in the chunk.
    std::vector<std::optional<domain::Error>> chunk_errors;
    int64_t first_line = 0;
    auto reject = [&](int64_t line, const std::string& request_id, const domain::Error& error) {
      response->set_lines_rejected(response->lines_rejected() + 1);
      if (response->errors_size() >= kBatchAccrueMaxReportedErrors) return;
      auto* out = response->add_errors();
      out->set_line(line);
      out->set_request_id(request_id);
      out->set_code(static_cast<int32_t>(ToStatus(error).error_code()));
      out->set_reason(error.reason);
      out->set_message(error.message);
      out->set_field(error.field);
    };
    auto flush = [&]() -> std::optional<domain::Error> {
      if (chunk.empty()) return std::nullopt;
      auto outcomes = ledger_.BatchAccrue(*caller.partner, chunk);
      if (!outcomes) return outcomes.error();
      size_t next = 0;
      for (size_t k = 0; k < chunk_errors.size(); ++k) {
        const int64_t line = first_line + static_cast<int64_t>(k);
        if (chunk_errors[k]) {
          reject(line, chunk_request_ids[k], *chunk_errors[k]);
          continue;
        }
        const auto& outcome = (*outcomes)[next++];
        switch (outcome.kind) {
          case domain::BulkAccrualOutcome::Kind::kApplied:
            response->set_lines_applied(response->lines_applied() + 1);
            response->set_points_earned(response->points_earned() +
                                        outcome.result.points_earned);
            break;
          case domain::BulkAccrualOutcome::Kind::kReplayed:
            response->set_lines_replayed(response->lines_replayed() + 1);
            break;
          case domain::BulkAccrualOutcome::Kind::kRejected:
            reject(line, chunk_request_ids[k],
                   outcome.error.value_or(domain::Error::Internal("line rejected")));
            break;
        }
      }
      first_line += static_cast<int64_t>(chunk_errors.size());
      chunk.clear();
      chunk_request_ids.clear();
      chunk_errors.clear();
      return std::nullopt;
    };
    v1::BatchAccrueRequest message;
    while (reader->Read(&message)) {
      for (const auto& line : message.lines()) {
        response->set_lines_received(response->lines_received() + 1);
        chunk_request_ids.push_back(line.request_id());
        auto command = AccrueCommandFrom(line);
        if (command) {
          chunk.push_back(std::move(*command));
          chunk_errors.emplace_back();
        } else {
          chunk_errors.push_back(command.error());
        }
        if (chunk_errors.size() >= kBatchAccrueChunkLines) {
          if (auto error = flush()) return *error;
        }
      }
    }
    if (context->IsCancelled()) {
      return domain::Error::Unavailable("CANCELLED", "the client cancelled the import");
    }
    if (auto error = flush()) return *error;
    return Ok{};
  });
}

}  // namespace coalition::rpc
