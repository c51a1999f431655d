// Redemption at another brand: points earned at any partner of the coalition
// can be spent here. Run it with the API key of a partner other than the one
// where the points were earned.
//
//   COALITION_API_KEY=... coalition-sdk-redeem_elsewhere [--plaintext] CARD POINTS [ORDER_REF]

#include <cstdint>
#include <exception>
#include <iostream>
#include <string>

#include "coalition/sdk/errors.h"
#include "coalition/sdk/partner_client.h"
#include "coalition/sdk/request_id.h"
#include "example_args.h"

namespace sdk = ::coalition::sdk;
namespace v1 = ::coalition::v1;

int main(int argc, char** argv) try {
  auto args = coalition_examples::ParseArgs(argc, argv, "CARD POINTS [ORDER_REF]");
  if (!args || args->positional.size() < 2 || args->positional.size() > 3) return 2;
  const std::string& card = args->positional[0];
  const std::int64_t points = std::stoll(args->positional[1]);

  sdk::PartnerClient client(sdk::MakePartnerConnection(args->options));

  v1::RedeemRequest redeem;
  // A back office that may crash between calls chooses the id itself and
  // stores it with the order, so that a restart can retry the same redemption.
  redeem.set_request_id(sdk::NewRequestId());
  redeem.set_card_number(card);
  redeem.set_points(points);
  if (args->positional.size() == 3) redeem.set_reference(args->positional[2]);

  auto redeemed = client.Redeem(redeem);
  if (!redeemed) {
    const sdk::ErrorDetails& error = redeemed.error();
    if (error.reason == "INSUFFICIENT_POINTS") {
      std::cerr << "not enough points: " << error.message << "\n";
      return 4;
    }
    std::cerr << "redemption failed: " << sdk::FormatError(error) << "\n"
              << "retry later with request_id " << redeem.request_id() << "\n";
    return 1;
  }
  std::cout << "redeemed " << redeemed->points_redeemed() << " points (transfer "
            << redeemed->transfer_id() << ")\n"
            << "balance:   " << redeemed->balance() << "\n"
            << "available: " << redeemed->available() << "\n";

  // Where did those points come from? This partner's own history only shows
  // what happened here; the member's balance is coalition-wide.
  v1::ListTransactionsRequest history;
  history.set_card_number(card);
  history.set_page_size(5);
  if (auto page = client.ListTransactions(history)) {
    std::cout << "latest transactions here:\n";
    for (const v1::Transaction& t : page->transactions()) {
      std::cout << "  " << t.balance_delta() << " points, request " << t.request_id() << "\n";
    }
  } else {
    std::cerr << "history: " << sdk::FormatError(page.error()) << "\n";
  }
  return 0;
} catch (const std::exception& e) {
  std::cerr << "error: " << e.what() << "\n";
  return 1;
}
