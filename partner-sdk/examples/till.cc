// coalition-till: what a partner's till does with the SDK, as a command line.
// It is the client used in the README walk-through, and a sample to copy:
// every money move carries a request_id that the operator can reuse to retry
// without double-posting.

#include <google/protobuf/util/time_util.h>
#include <grpcpp/grpcpp.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdint>
#include <exception>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "coalition/sdk/channel.h"
#include "coalition/sdk/command_line.h"
#include "coalition/sdk/errors.h"
#include "coalition/sdk/money.h"
#include "coalition/sdk/request_id.h"
#include "coalition/v1/partner_service.grpc.pb.h"

namespace {

namespace v1 = ::coalition::v1;
namespace sdk = ::coalition::sdk;

using sdk::ExitCodeFor;
using sdk::kExitAuth;
using sdk::kExitConflict;
using sdk::kExitFailure;
using sdk::kExitNotFound;
using sdk::kExitOk;
using sdk::kExitUsage;

// The till's currencies all have cents; a JPY till would pass 0.
constexpr int kFractionDigits = 2;

int ReportError(const grpc::Status& status) {
  std::cerr << "error: " << sdk::FormatError(status) << "\n";
  return ExitCodeFor(status.error_code());
}

int UsageError(const std::string& message) {
  std::cerr << "error: " << message << "\nRun with --help for more information.\n";
  return kExitUsage;
}

std::string FormatTime(const google::protobuf::Timestamp& ts) {
  return google::protobuf::util::TimeUtil::ToString(ts);
}

std::string Join(const google::protobuf::RepeatedPtrField<std::string>& items) {
  std::string out;
  for (const std::string& item : items) {
    if (!out.empty()) out += ", ";
    out += item;
  }
  return out;
}

// The id is printed before the call, not after: the calls worth retrying
// (timeouts, lost connections) are exactly the ones that print no result.
std::string RequestIdOrNew(const std::string& given) {
  if (!given.empty()) return given;
  std::string id = sdk::NewRequestId();
  std::cerr << "request id: " << id << " (rerun with --request-id " << id << " to retry safely)\n";
  return id;
}

void PrintMember(const v1::Member& member) {
  std::cout << "member_id:   " << member.member_id() << "\n"
            << "cards:       " << Join(member.card_numbers()) << "\n"
            << "balance:     " << member.balance() << "\n"
            << "held:        " << member.held() << "\n"
            << "available:   " << member.available() << "\n";
  if (member.clawback_debt() != 0) {
    std::cout << "debt:        " << member.clawback_debt() << " (clawed back after being spent)\n";
  }
  if (member.has_enrolled_at()) {
    std::cout << "enrolled_at: " << FormatTime(member.enrolled_at()) << "\n";
  }
  if (!member.tier_name().empty()) {
    std::cout << "tier:        " << member.tier_name() << " (" << member.qualifying_points()
              << " qualifying points in 12 months)\n";
    if (!member.next_tier_name().empty()) {
      std::cout << "next tier:   " << member.next_tier_name() << " in "
                << member.points_to_next_tier() << " points\n";
    }
  }
}

void PrintTable(const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> widths;
  for (const auto& row : rows) {
    widths.resize(std::max(widths.size(), row.size()));
    for (std::size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  }
  for (const auto& row : rows) {
    std::string line;
    for (std::size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line += std::string(widths[i] - row[i].size() + 2, ' ');
    }
    std::cout << line << "\n";
  }
}

std::string KindName(v1::TransactionKind kind) {
  switch (kind) {
    case v1::TRANSACTION_KIND_ACCRUAL:
      return "accrual";
    case v1::TRANSACTION_KIND_REDEMPTION:
      return "redemption";
    case v1::TRANSACTION_KIND_HOLD_CAPTURE:
      return "capture";
    case v1::TRANSACTION_KIND_REFUND:
      return "refund";
    case v1::TRANSACTION_KIND_CLAWBACK:
      return "clawback";
    default:
      return "other";
  }
}

struct MemberRef {
  std::string card;
  std::string member_id;
};

// Both flags are optional to CLI11 so that the error can name the pair.
bool CheckOneMember(const MemberRef& ref) { return ref.card.empty() != ref.member_id.empty(); }

// Sets the request's `member` oneof from --card or --member-id.
template <typename Request>
void SetMember(Request& request, const MemberRef& ref) {
  if (!ref.card.empty()) {
    request.set_card_number(ref.card);
  } else {
    request.set_member_id(ref.member_id);
  }
}

// For whole-number options that must be above zero.
CLI::Validator Positive() {
  return CLI::Validator(
      [](const std::string& value) -> std::string {
        return !value.empty() && value[0] != '-' && value != "0" ? "" : "must be positive";
      },
      "POSITIVE");
}

struct EnrollArgs {
  std::string card;
  std::string given_name;
  std::string family_name;
  std::string email;
  std::string phone;
  std::string request_id;
};

int Enroll(v1::PartnerService::Stub& stub, const sdk::ChannelOptions& options,
           const EnrollArgs& args) {
  v1::EnrollMemberRequest request;
  request.set_request_id(RequestIdOrNew(args.request_id));
  request.set_card_number(args.card);
  // Only send a profile the partner actually has: PII is collected minimally.
  if (!args.given_name.empty() || !args.family_name.empty() || !args.email.empty() ||
      !args.phone.empty()) {
    v1::MemberProfile* profile = request.mutable_profile();
    profile->set_given_name(args.given_name);
    profile->set_family_name(args.family_name);
    profile->set_email(args.email);
    profile->set_phone(args.phone);
  }

  grpc::ClientContext context;
  sdk::PrepareContext(context, options);
  v1::EnrollMemberResponse response;
  if (grpc::Status status = stub.EnrollMember(&context, request, &response); !status.ok()) {
    return ReportError(status);
  }
  std::cout << "enrolled card " << args.card << "\n";
  PrintMember(response.member());
  return kExitOk;
}

int GetMember(v1::PartnerService::Stub& stub, const sdk::ChannelOptions& options,
              const MemberRef& ref) {
  v1::GetMemberRequest request;
  SetMember(request, ref);
  grpc::ClientContext context;
  sdk::PrepareContext(context, options);
  v1::GetMemberResponse response;
  if (grpc::Status status = stub.GetMember(&context, request, &response); !status.ok()) {
    return ReportError(status);
  }
  PrintMember(response.member());
  return kExitOk;
}

struct AccrueArgs {
  std::string card;
  std::string amount;
  std::string currency = "USD";
  std::string store;
  std::string receipt;
  std::string request_id;
};

int Accrue(v1::PartnerService::Stub& stub, const sdk::ChannelOptions& options,
           const AccrueArgs& args) {
  std::int64_t amount_minor = 0;
  try {
    amount_minor = sdk::ParseMinorUnits(args.amount, kFractionDigits);
  } catch (const std::invalid_argument& e) {
    return UsageError(e.what());
  }

  v1::AccrueRequest request;
  request.set_request_id(RequestIdOrNew(args.request_id));
  request.set_card_number(args.card);
  request.mutable_amount()->set_currency_code(args.currency);
  request.mutable_amount()->set_amount_minor(amount_minor);
  request.set_store_id(args.store);
  request.set_receipt_id(args.receipt);

  grpc::ClientContext context;
  sdk::PrepareContext(context, options);
  v1::AccrueResponse response;
  if (grpc::Status status = stub.Accrue(&context, request, &response); !status.ok()) {
    return ReportError(status);
  }
  if (response.member_enrolled()) {
    std::cout << "card " << args.card << " enrolled as new member " << response.member_id() << "\n";
  }
  if (response.points_earned() == 0) {
    std::cout << "no points earned on " << sdk::FormatMinorUnits(amount_minor, kFractionDigits)
              << " " << args.currency << " (below the earn rate)\n";
  } else {
    std::cout << "earned " << response.points_earned() << " points on "
              << sdk::FormatMinorUnits(amount_minor, kFractionDigits) << " " << args.currency
              << "\n"
              << "transfer:    " << response.transfer_id() << "\n";
  }
  // How the points add up: base, category multipliers, tier, cap, campaigns.
  if (response.breakdown_size() > 1) {
    for (const auto& part : response.breakdown()) {
      std::string label = part.kind();
      if (!part.campaign_id().empty()) label += " " + part.campaign_id();
      std::cout << "  " << label << std::string(label.size() < 13 ? 13 - label.size() : 1, ' ')
                << part.points() << "\n";
    }
  }
  std::cout << "member_id:   " << response.member_id() << "\n"
            << "balance:     " << response.balance() << "\n";
  return kExitOk;
}

struct RedeemArgs {
  MemberRef member;
  std::int64_t points = 0;
  std::string reference;
  std::string receipt;
  std::string request_id;
};

int Redeem(v1::PartnerService::Stub& stub, const sdk::ChannelOptions& options,
           const RedeemArgs& args) {
  v1::RedeemRequest request;
  request.set_request_id(RequestIdOrNew(args.request_id));
  SetMember(request, args.member);
  request.set_points(args.points);
  request.set_reference(args.reference);
  request.set_receipt_id(args.receipt);

  grpc::ClientContext context;
  sdk::PrepareContext(context, options);
  v1::RedeemResponse response;
  if (grpc::Status status = stub.Redeem(&context, request, &response); !status.ok()) {
    return ReportError(status);
  }
  std::cout << "redeemed " << response.points_redeemed() << " points\n"
            << "transfer:    " << response.transfer_id() << "\n"
            << "member_id:   " << response.member_id() << "\n"
            << "balance:     " << response.balance() << "\n"
            << "available:   " << response.available() << "\n";
  return kExitOk;
}

struct HistoryArgs {
  std::string card;
  int page_size = 0;
  std::string page_token;
};

int History(v1::PartnerService::Stub& stub, const sdk::ChannelOptions& options,
            const HistoryArgs& args) {
  v1::ListTransactionsRequest request;
  request.set_card_number(args.card);
  request.set_page_size(args.page_size);
  request.set_page_token(args.page_token);

  grpc::ClientContext context;
  sdk::PrepareContext(context, options);
  v1::ListTransactionsResponse response;
  if (grpc::Status status = stub.ListTransactions(&context, request, &response); !status.ok()) {
    return ReportError(status);
  }
  if (response.transactions().empty()) {
    std::cout << "no transactions at this partner\n";
  } else {
    std::vector<std::vector<std::string>> rows = {
        {"WHEN", "KIND", "POINTS", "AMOUNT", "STORE", "RECEIPT", "REFERENCE", "REQUEST ID"}};
    for (const v1::Transaction& t : response.transactions()) {
      std::string delta = std::to_string(t.balance_delta());
      if (t.balance_delta() > 0) delta.insert(0, "+");
      std::string amount;
      if (t.has_amount()) {
        amount = sdk::FormatMinorUnits(t.amount().amount_minor(), kFractionDigits) + " " +
                 t.amount().currency_code();
      }
      rows.push_back({t.has_created_at() ? FormatTime(t.created_at()) : "", KindName(t.kind()),
                      delta, amount, t.store_id(), t.receipt_id(), t.reference(), t.request_id()});
    }
    PrintTable(rows);
  }
  if (!response.next_page_token().empty()) {
    std::cout << "more: rerun with --page-token " << response.next_page_token() << "\n";
  }
  return kExitOk;
}

std::string OptionKind(const v1::PaymentOption& option) {
  switch (option.kind()) {
    case v1::PAYMENT_OPTION_KIND_ALL_CASH:
      return "all cash";
    case v1::PAYMENT_OPTION_KIND_ALL_POINTS:
      return "all points";
    case v1::PAYMENT_OPTION_KIND_SPLIT: {
      // Basis points as a percentage: 8000 -> "80%", 3350 -> "33.5%".
      std::string share = sdk::FormatMinorUnits(option.points_share_bps(), 2);
      while (share.back() == '0') share.pop_back();
      if (share.back() == '.') share.pop_back();
      return "split " + share + "% points";
    }
    case v1::PAYMENT_OPTION_KIND_MAX_AFFORDABLE:
      return "most affordable";
    default:
      return "other";
  }
}

struct QuoteArgs {
  MemberRef member;
  std::string amount;
  std::string currency = "USD";
};

int Quote(v1::PartnerService::Stub& stub, const sdk::ChannelOptions& options,
          const QuoteArgs& args) {
  std::int64_t amount_minor = 0;
  try {
    amount_minor = sdk::ParseMinorUnits(args.amount, kFractionDigits);
  } catch (const std::invalid_argument& e) {
    return UsageError(e.what());
  }

  v1::QuotePriceRequest request;
  request.mutable_price()->set_currency_code(args.currency);
  request.mutable_price()->set_amount_minor(amount_minor);
  const bool with_member = !args.member.card.empty() || !args.member.member_id.empty();
  if (with_member) SetMember(request, args.member);

  grpc::ClientContext context;
  sdk::PrepareContext(context, options);
  v1::QuotePriceResponse response;
  if (grpc::Status status = stub.QuotePrice(&context, request, &response); !status.ok()) {
    return ReportError(status);
  }
  std::cout << "price:       " << sdk::FormatMinorUnits(amount_minor, kFractionDigits) << " "
            << args.currency << "\n"
            << "point value: " << response.point_value_micros() << " micros per point\n";
  if (with_member) std::cout << "available:   " << response.available_points() << " points\n";
  if (response.options().empty()) {
    std::cout << "no way to pay this price with points\n";
    return kExitOk;
  }
  std::vector<std::vector<std::string>> rows = {{"OPTION", "CASH", "POINTS", "POINTS EARNED"}};
  for (const v1::PaymentOption& option : response.options()) {
    rows.push_back({OptionKind(option),
                    sdk::FormatMinorUnits(option.cash().amount_minor(), kFractionDigits) + " " +
                        option.cash().currency_code(),
                    std::to_string(option.points()), std::to_string(option.points_earned())});
  }
  std::cout << "\n";
  PrintTable(rows);
  return kExitOk;
}

struct HoldArgs {
  MemberRef member;
  std::int64_t points = 0;
  int ttl_seconds = 0;
  std::string reference;
  std::string request_id;
};

int Hold(v1::PartnerService::Stub& stub, const sdk::ChannelOptions& options, const HoldArgs& args) {
  v1::HoldPointsRequest request;
  request.set_request_id(RequestIdOrNew(args.request_id));
  SetMember(request, args.member);
  request.set_points(args.points);
  request.set_ttl_seconds(args.ttl_seconds);
  request.set_reference(args.reference);

  grpc::ClientContext context;
  sdk::PrepareContext(context, options);
  v1::HoldPointsResponse response;
  if (grpc::Status status = stub.HoldPoints(&context, request, &response); !status.ok()) {
    return ReportError(status);
  }
  const v1::Hold& hold = response.hold();
  std::cout << "held " << hold.points() << " points\n"
            << "hold_id:     " << hold.hold_id() << "\n"
            << "member_id:   " << hold.member_id() << "\n"
            << "expires_at:  " << (hold.has_expires_at() ? FormatTime(hold.expires_at()) : "")
            << "\n"
            << "available:   " << response.available() << "\n";
  return kExitOk;
}

struct CaptureArgs {
  std::string hold_id;
  std::int64_t points = 0;
  std::string receipt;
  std::string request_id;
};

int Capture(v1::PartnerService::Stub& stub, const sdk::ChannelOptions& options,
            const CaptureArgs& args) {
  v1::CapturePointsRequest request;
  request.set_request_id(RequestIdOrNew(args.request_id));
  request.set_hold_id(args.hold_id);
  request.set_points(args.points);
  request.set_receipt_id(args.receipt);

  grpc::ClientContext context;
  sdk::PrepareContext(context, options);
  v1::CapturePointsResponse response;
  if (grpc::Status status = stub.CapturePoints(&context, request, &response); !status.ok()) {
    return ReportError(status);
  }
  std::cout << "captured " << response.points_captured() << " points of hold "
            << response.hold().hold_id() << "\n"
            << "transfer:    " << response.transfer_id() << "\n"
            << "captured:    " << response.points_captured() << "\n"
            << "released:    " << response.points_released() << "\n"
            << "balance:     " << response.balance() << "\n"
            << "available:   " << response.available() << "\n";
  return kExitOk;
}

std::string FormatMoney(const v1::Money& money) {
  return sdk::FormatMinorUnits(money.amount_minor(), kFractionDigits) + " " + money.currency_code();
}

void PrintPurchase(const v1::Purchase& purchase) {
  std::cout << "receipt:     " << purchase.receipt_id() << "\n"
            << "member_id:   " << purchase.member_id() << "\n"
            << "price:       " << FormatMoney(purchase.price()) << "\n"
            << "paid:        " << FormatMoney(purchase.cash_paid()) << " cash + "
            << purchase.points_paid() << " points\n"
            << "earned:      " << purchase.points_earned() << " points\n"
            << "refunded:    " << FormatMoney(purchase.amount_refunded()) << " ("
            << FormatMoney(purchase.cash_returned()) << " cash + " << purchase.points_returned()
            << " points back, " << purchase.points_clawed_back() << " points clawed back)\n";
}

struct PurchaseArgs {
  std::string receipt;
};

int Purchase(v1::PartnerService::Stub& stub, const sdk::ChannelOptions& options,
             const PurchaseArgs& args) {
  v1::GetPurchaseRequest request;
  request.set_receipt_id(args.receipt);
  grpc::ClientContext context;
  sdk::PrepareContext(context, options);
  v1::GetPurchaseResponse response;
  if (grpc::Status status = stub.GetPurchase(&context, request, &response); !status.ok()) {
    return ReportError(status);
  }
  PrintPurchase(response.purchase());
  return kExitOk;
}

struct RefundArgs {
  std::string receipt;
  std::string amount;  // empty: everything left
  std::string currency = "USD";
  std::string request_id;
};

int Refund(v1::PartnerService::Stub& stub, const sdk::ChannelOptions& options,
           const RefundArgs& args) {
  v1::RefundPurchaseRequest request;
  if (!args.amount.empty()) {
    try {
      request.mutable_amount()->set_amount_minor(
          sdk::ParseMinorUnits(args.amount, kFractionDigits));
    } catch (const std::invalid_argument& e) {
      return UsageError(e.what());
    }
    request.mutable_amount()->set_currency_code(args.currency);
  }
  request.set_request_id(RequestIdOrNew(args.request_id));
  request.set_receipt_id(args.receipt);
  grpc::ClientContext context;
  sdk::PrepareContext(context, options);
  v1::RefundPurchaseResponse response;
  if (grpc::Status status = stub.RefundPurchase(&context, request, &response); !status.ok()) {
    return ReportError(status);
  }
  std::cout << "refunded " << FormatMoney(response.amount_refunded()) << " of receipt "
            << args.receipt << "\n"
            << "give back:   " << FormatMoney(response.cash_to_return()) << " cash\n"
            << "points back: " << response.points_returned() << "\n"
            << "clawed back: " << response.points_clawed_back() << "\n"
            << "balance:     " << response.balance() << "\n"
            << "available:   " << response.available() << "\n";
  if (response.clawback_debt() != 0) {
    std::cout << "debt:        " << response.clawback_debt() << "\n";
  }
  PrintPurchase(response.purchase());
  return kExitOk;
}

struct VoidArgs {
  std::string hold_id;
  std::string request_id;
};

int Void(v1::PartnerService::Stub& stub, const sdk::ChannelOptions& options, const VoidArgs& args) {
  v1::VoidHoldRequest request;
  request.set_request_id(RequestIdOrNew(args.request_id));
  request.set_hold_id(args.hold_id);

  grpc::ClientContext context;
  sdk::PrepareContext(context, options);
  v1::VoidHoldResponse response;
  if (grpc::Status status = stub.VoidHold(&context, request, &response); !status.ok()) {
    return ReportError(status);
  }
  std::cout << "voided hold " << args.hold_id << "\n"
            << "released:    " << response.points_released() << "\n"
            << "available:   " << response.available() << "\n";
  return kExitOk;
}

int Run(int argc, char** argv) {
  CLI::App app{
      "A partner till for Coalition, built on the partner SDK: enrol cards, look up "
      "members, accrue and redeem points, quote cash-plus-points prices, hold points and "
      "capture or void the hold, and list a member's history at this partner.",
      "coalition-till"};
  app.require_subcommand(0, 1);
  app.failure_message([](const CLI::App*, const CLI::Error& e) {
    return "error: " + std::string(e.what()) + "\nRun with --help for more information.\n";
  });

  sdk::ChannelOptions options;
  app.add_option("--endpoint", options.endpoint, "Coalition server address, host:port")
      ->envname("COALITION_ENDPOINT")
      ->capture_default_str();
  app.add_option("--key", options.api_key,
                 "Partner API key (required; prefer the environment variable, since command "
                 "lines are visible to other users)")
      ->envname("COALITION_API_KEY");
  app.add_flag("--tls", options.tls, "Connect with TLS (use it for anything but local testing)");
  app.add_option("--ca-file", options.root_ca_file,
                 "PEM file of root certificates to trust instead of the system ones "
                 "(implies --tls)")
      ->check(CLI::ExistingFile);

  EnrollArgs enroll;
  CLI::App* enroll_cmd = app.add_subcommand("enroll", "Enrol a card as a new member");
  enroll_cmd->add_option("--card", enroll.card, "Card number, 4-32 of [A-Za-z0-9-]")->required();
  enroll_cmd->add_option("--given-name", enroll.given_name, "Member's given name");
  enroll_cmd->add_option("--family-name", enroll.family_name, "Member's family name");
  enroll_cmd->add_option("--email", enroll.email, "Member's email address");
  enroll_cmd->add_option("--phone", enroll.phone, "Member's phone number");
  enroll_cmd->add_option("--request-id", enroll.request_id,
                         "Idempotency key, 1-64 of [A-Za-z0-9._:-] (default: a new one)");

  MemberRef member;
  CLI::App* member_cmd = app.add_subcommand("member", "Show a member's balances");
  CLI::Option* member_card =
      member_cmd->add_option("--card", member.card, "Card number of the member");
  member_cmd->add_option("--member-id", member.member_id, "Member id (instead of --card)")
      ->excludes(member_card);

  AccrueArgs accrue;
  CLI::App* accrue_cmd = app.add_subcommand("accrue", "Award points for a purchase");
  accrue_cmd->add_option("--card", accrue.card, "Card number of the member")->required();
  accrue_cmd
      ->add_option("--amount", accrue.amount,
                   "Cash paid, in major units with at most 2 decimals, e.g. 12.34")
      ->required();
  accrue_cmd->add_option("--currency", accrue.currency, "ISO 4217 currency code")
      ->capture_default_str();
  accrue_cmd->add_option("--store", accrue.store, "Store id, for the partner's own records");
  accrue_cmd->add_option("--receipt", accrue.receipt, "Receipt id of the purchase");
  accrue_cmd->add_option("--request-id", accrue.request_id,
                         "Idempotency key, 1-64 of [A-Za-z0-9._:-] (default: a new one)");

  RedeemArgs redeem;
  CLI::App* redeem_cmd = app.add_subcommand("redeem", "Spend a member's points at this partner");
  CLI::Option* redeem_card =
      redeem_cmd->add_option("--card", redeem.member.card, "Card number of the member");
  redeem_cmd->add_option("--member-id", redeem.member.member_id, "Member id (instead of --card)")
      ->excludes(redeem_card);
  redeem_cmd->add_option("--points", redeem.points, "Points to spend, a positive whole number")
      ->required()
      ->check(Positive());
  redeem_cmd->add_option("--reference", redeem.reference,
                         "Partner's own reference, e.g. the order number (up to 128 chars)");
  redeem_cmd->add_option("--receipt", redeem.receipt,
                         "Receipt id of the purchase these points pay for (to refund it later)");
  redeem_cmd->add_option("--request-id", redeem.request_id,
                         "Idempotency key, 1-64 of [A-Za-z0-9._:-] (default: a new one)");

  QuoteArgs quote;
  CLI::App* quote_cmd =
      app.add_subcommand("quote", "Show the ways to pay a price with cash and points (read-only)");
  quote_cmd
      ->add_option("--amount", quote.amount,
                   "Price, in major units with at most 2 decimals, e.g. 12.34")
      ->required();
  quote_cmd->add_option("--currency", quote.currency, "ISO 4217 currency code")
      ->capture_default_str();
  CLI::Option* quote_card = quote_cmd->add_option(
      "--card", quote.member.card,
      "Quote for this member: only options they can afford, plus the most points they can use");
  quote_cmd->add_option("--member-id", quote.member.member_id, "Member id (instead of --card)")
      ->excludes(quote_card);

  HoldArgs hold;
  CLI::App* hold_cmd = app.add_subcommand(
      "hold", "Reserve a member's points for a payment; capture or void the hold later");
  CLI::Option* hold_card =
      hold_cmd->add_option("--card", hold.member.card, "Card number of the member");
  hold_cmd->add_option("--member-id", hold.member.member_id, "Member id (instead of --card)")
      ->excludes(hold_card);
  hold_cmd->add_option("--points", hold.points, "Points to reserve, a positive whole number")
      ->required()
      ->check(Positive());
  hold_cmd
      ->add_option("--ttl-seconds", hold.ttl_seconds,
                   "How long the hold lasts before the points are released by themselves "
                   "(default: the server's, 15 minutes)")
      ->check(Positive());
  hold_cmd->add_option("--reference", hold.reference,
                       "Partner's own reference, e.g. the order number (up to 128 chars)");
  hold_cmd->add_option("--request-id", hold.request_id,
                       "Idempotency key, 1-64 of [A-Za-z0-9._:-] (default: a new one)");

  CaptureArgs capture;
  CLI::App* capture_cmd =
      app.add_subcommand("capture", "Spend held points; whatever is not captured is released");
  capture_cmd->add_option("--hold-id", capture.hold_id, "Hold to capture")->required();
  capture_cmd
      ->add_option("--points", capture.points,
                   "Points to spend, at most the hold's (default: all of them)")
      ->check(Positive());
  capture_cmd->add_option("--receipt", capture.receipt,
                          "Receipt id of the purchase these points pay for (to refund it later)");
  capture_cmd->add_option("--request-id", capture.request_id,
                          "Idempotency key, 1-64 of [A-Za-z0-9._:-] (default: a new one)");

  VoidArgs void_args;
  CLI::App* void_cmd =
      app.add_subcommand("void", "Release a hold without spending any of its points");
  void_cmd->add_option("--hold-id", void_args.hold_id, "Hold to release")->required();
  void_cmd->add_option("--request-id", void_args.request_id,
                       "Idempotency key, 1-64 of [A-Za-z0-9._:-] (default: a new one)");

  HistoryArgs history;
  CLI::App* history_cmd =
      app.add_subcommand("history", "List a member's transactions at this partner, newest first");
  history_cmd->add_option("--card", history.card, "Card number of the member")->required();
  history_cmd
      ->add_option("--page-size", history.page_size, "Transactions per page (0 = 50, max 500)")
      ->check(CLI::Range(0, 500));
  history_cmd->add_option("--page-token", history.page_token, "Token printed by the previous page");

  PurchaseArgs purchase;
  CLI::App* purchase_cmd =
      app.add_subcommand("purchase", "Show a purchase: what was paid, earned and refunded");
  purchase_cmd->add_option("--receipt", purchase.receipt, "Receipt id of the purchase")
      ->required();

  RefundArgs refund;
  CLI::App* refund_cmd = app.add_subcommand(
      "refund", "Refund all or part of a purchase under the partner's refund policy");
  refund_cmd->add_option("--receipt", refund.receipt, "Receipt id of the purchase")->required();
  refund_cmd->add_option("--amount", refund.amount,
                         "Value of the goods returned, e.g. 12.50 (default: all that is left)");
  refund_cmd->add_option("--currency", refund.currency, "ISO 4217 currency code")
      ->capture_default_str();
  refund_cmd->add_option("--request-id", refund.request_id,
                         "Idempotency key; reuse it to retry safely (default: new)");

  // Set last: subcommands copy the footer when created.
  app.footer(
      "Money moves (enroll, accrue, redeem, hold, capture, void, refund) are idempotent on\n"
      "--request-id: when it is not given a fresh one is printed on stderr; rerun with it to\n"
      "retry without posting twice.\n"
      "Exit codes: 0 ok, 1 other error, 2 usage or INVALID_ARGUMENT, 3 NOT_FOUND,\n"
      "4 FAILED_PRECONDITION or ALREADY_EXISTS, 5 UNAUTHENTICATED or PERMISSION_DENIED.");

  sdk::QuietGrpcLogs();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? kExitOk : kExitUsage;
  }

  if (app.get_subcommands().empty()) {
    std::cerr << app.help();
    return kExitUsage;
  }
  if (options.api_key.empty()) {
    return UsageError("no API key: pass --key or set COALITION_API_KEY");
  }
  if (!options.root_ca_file.empty()) options.tls = true;

  std::shared_ptr<grpc::Channel> channel;
  try {
    channel = sdk::MakeChannel(options);
  } catch (const std::runtime_error& e) {
    return UsageError(e.what());
  }
  auto stub = v1::PartnerService::NewStub(channel);

  if (enroll_cmd->parsed()) return Enroll(*stub, options, enroll);
  if (member_cmd->parsed()) {
    if (!CheckOneMember(member)) {
      return UsageError("member: give exactly one of --card, --member-id");
    }
    return GetMember(*stub, options, member);
  }
  if (accrue_cmd->parsed()) return Accrue(*stub, options, accrue);
  if (redeem_cmd->parsed()) {
    if (!CheckOneMember(redeem.member)) {
      return UsageError("redeem: give exactly one of --card, --member-id");
    }
    return Redeem(*stub, options, redeem);
  }
  if (quote_cmd->parsed()) return Quote(*stub, options, quote);
  if (hold_cmd->parsed()) {
    if (!CheckOneMember(hold.member)) {
      return UsageError("hold: give exactly one of --card, --member-id");
    }
    return Hold(*stub, options, hold);
  }
  if (capture_cmd->parsed()) return Capture(*stub, options, capture);
  if (void_cmd->parsed()) return Void(*stub, options, void_args);
  if (history_cmd->parsed()) return History(*stub, options, history);
  if (purchase_cmd->parsed()) return Purchase(*stub, options, purchase);
  if (refund_cmd->parsed()) return Refund(*stub, options, refund);
  std::cerr << app.help();
  return kExitUsage;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return Run(argc, argv);
  } catch (const std::exception& e) {
    // Last resort, so a failure still prints one line instead of aborting.
    std::cerr << "error: " << e.what() << "\n";
    return kExitFailure;
  }
}
