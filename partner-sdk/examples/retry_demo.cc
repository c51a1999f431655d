// Shows a money move being retried with the same request_id.
//
// Start this with the server down (or unreachable), then start the server
// within the retry budget: each failed attempt is printed with its
// request_id, which stays the same, and the accrual is applied exactly once.
//
//   COALITION_API_KEY=... coalition-sdk-retry_demo --plaintext CARD [AMOUNT]

#include <chrono>
#include <cstdint>
#include <exception>
#include <iostream>
#include <string>

#include "coalition/sdk/errors.h"
#include "coalition/sdk/money.h"
#include "coalition/sdk/partner_client.h"
#include "example_args.h"

namespace sdk = ::coalition::sdk;
namespace v1 = ::coalition::v1;

int main(int argc, char** argv) try {
  auto args = coalition_examples::ParseArgs(argc, argv, "CARD [AMOUNT]");
  if (!args || args->positional.empty() || args->positional.size() > 2) return 2;
  const std::string& card = args->positional[0];
  const std::int64_t amount_minor =
      sdk::ParseMinorUnits(args->positional.size() == 2 ? args->positional[1] : "10.00");

  // A patient policy, so there is time to start the server.
  args->options.retry.max_attempts = 10;
  args->options.retry.initial_backoff = std::chrono::milliseconds(500);
  args->options.retry.max_backoff = std::chrono::seconds(5);
  args->options.retry.total_timeout = std::chrono::seconds(60);
  args->options.on_attempt = [](const sdk::AttemptInfo& attempt) {
    std::cout << attempt.method << " attempt " << attempt.attempt << " request_id "
              << attempt.request_id << ": " << sdk::FormatError(*attempt.status)
              << (attempt.will_retry ? " -> retrying" : "") << std::endl;  // live
  };
  sdk::PartnerClient client(sdk::MakePartnerConnection(args->options));

  v1::AccrueRequest accrue;  // request_id left empty: the SDK picks one, once
  accrue.set_card_number(card);
  accrue.mutable_amount()->set_currency_code("USD");
  accrue.mutable_amount()->set_amount_minor(amount_minor);
  auto accrued = client.Accrue(accrue);
  if (!accrued) {
    std::cerr << "gave up: " << sdk::FormatError(accrued.error()) << "\n";
    return 1;
  }
  std::cout << "transfer " << accrued->transfer_id() << ": +" << accrued->points_earned()
            << " points, balance " << accrued->balance() << "\n";
  return 0;
} catch (const std::exception& e) {
  std::cerr << "error: " << e.what() << "\n";
  return 1;
}
