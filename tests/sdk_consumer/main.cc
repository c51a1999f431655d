// Builds against the installed SDK and makes one call to an endpoint where
// nothing listens: it must come back UNAVAILABLE after the retries.
#include <chrono>
#include <iostream>

#include "coalition/sdk/errors.h"
#include "coalition/sdk/partner_client.h"

int main() {
  coalition::sdk::Options options;
  options.endpoint = "127.0.0.1:1";
  options.tls = false;
  options.api_key = "consumer-test";
  options.retry.max_attempts = 2;
  options.retry.initial_backoff = std::chrono::milliseconds(1);
  coalition::sdk::PartnerClient client(coalition::sdk::MakePartnerConnection(options));

  coalition::v1::GetMemberRequest request;
  request.set_card_number("6001-0001");
  auto member = client.GetMember(request);
  std::cout << coalition::sdk::FormatError(member.error()) << "\n";
  return member.code() == grpc::StatusCode::UNAVAILABLE ? 0 : 1;
}
