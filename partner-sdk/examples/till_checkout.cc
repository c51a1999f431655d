// A till at checkout: identify the member by card, award points for the
// purchase, show the new balance.
//
//   COALITION_API_KEY=... coalition-sdk-till_checkout [--plaintext] CARD AMOUNT [CURRENCY]
//   e.g. coalition-sdk-till_checkout 6001-0001 12.34 USD

#include <cstdint>
#include <exception>
#include <iostream>
#include <stdexcept>
#include <string>

#include "coalition/sdk/errors.h"
#include "coalition/sdk/money.h"
#include "coalition/sdk/partner_client.h"
#include "example_args.h"

namespace sdk = ::coalition::sdk;
namespace v1 = ::coalition::v1;

int main(int argc, char** argv) try {
  auto args = coalition_examples::ParseArgs(argc, argv, "CARD AMOUNT [CURRENCY]");
  if (!args || args->positional.size() < 2 || args->positional.size() > 3) return 2;
  const std::string& card = args->positional[0];
  const std::string currency = args->positional.size() == 3 ? args->positional[2] : "USD";
  std::int64_t amount_minor = 0;
  try {
    amount_minor = sdk::ParseMinorUnits(args->positional[1]);
  } catch (const std::invalid_argument& e) {
    std::cerr << e.what() << "\n";
    return 2;
  }

  sdk::PartnerClient client(sdk::MakePartnerConnection(args->options));

  // 1. Identify the member. An unknown card is not an error at a till whose
  //    partner enrols on first purchase, so only report it here.
  v1::GetMemberRequest lookup;
  lookup.set_card_number(card);
  auto member = client.GetMember(lookup);
  if (member) {
    std::cout << "member " << member->member().member_id() << ", balance "
              << member->member().balance() << " points\n";
  } else if (member.error().reason == "MEMBER_NOT_FOUND") {
    std::cout << "card " << card << " is not enrolled yet\n";
  } else {
    std::cerr << "lookup failed: " << sdk::FormatError(member.error()) << "\n";
    return 1;
  }

  // 2. Award points. No request_id set: the SDK generates one and reuses it
  //    if it has to retry, so the purchase is never credited twice.
  v1::AccrueRequest accrue;
  accrue.set_card_number(card);
  accrue.mutable_amount()->set_currency_code(currency);
  accrue.mutable_amount()->set_amount_minor(amount_minor);
  accrue.set_store_id("example-store");
  auto accrued = client.Accrue(accrue);
  if (!accrued) {
    std::cerr << "accrual failed: " << sdk::FormatError(accrued.error()) << "\n";
    return accrued.error().reason == "MEMBER_NOT_FOUND" ? 3 : 1;
  }
  if (accrued->member_enrolled())
    std::cout << "enrolled as new member " << accrued->member_id() << "\n";
  std::cout << "earned " << accrued->points_earned() << " points on "
            << sdk::FormatMinorUnits(amount_minor) << " " << currency << "\n";

  // 3. Show the balance, as printed on the receipt.
  std::cout << "balance: " << accrued->balance() << " points\n";
  return 0;
} catch (const std::exception& e) {
  std::cerr << "error: " << e.what() << "\n";
  return 1;
}
