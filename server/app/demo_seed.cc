#include "app/demo_seed.h"

#include <sys/stat.h>

#include <fstream>
#include <map>
#include <stdexcept>

#include <spdlog/spdlog.h>

#include "crypto/crypto.h"

namespace coalition::app {
namespace {

struct DemoPartner {
  const char* code;
  const char* name;
  domain::EarnRate rate;
  int64_t issuance_price_micros;
  int64_t redemption_rate_micros;
  bool auto_enroll;
  const char* key_variable;
};

constexpr DemoPartner kDemoPartners[] = {
    {"freshmart", "FreshMart Supermarkets", {1, 100}, 10'000, 7'500, true, "FRESHMART_API_KEY"},
    {"fuelco", "FuelCo Service Stations", {1, 600}, 12'500, 8'000, true, "FUELCO_API_KEY"},
    {"grandstore", "Grand Department Store", {2, 100}, 11'000, 9'000, false, "GRANDSTORE_API_KEY"},
};

std::map<std::string, std::string> ReadKeys(const std::string& path) {
  std::map<std::string, std::string> keys;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) {
    const auto equals = line.find('=');
    if (equals != std::string::npos && line[0] != '#') {
      keys[line.substr(0, equals)] = line.substr(equals + 1);
    }
  }
  return keys;
}

domain::RequestKey SeedKey(const std::string& request_id) {
  return {request_id, "seed", crypto::Sha256("seed:" + request_id)};
}

template <typename T>
void Require(const domain::Result<T>& result, const std::string& what) {
  if (!result) throw std::runtime_error(what + ": " + result.error().message);
}

}  // namespace

void SeedDemo(CoalitionServer& server, const std::string& keys_file) {
  auto keys = ReadKeys(keys_file);
  std::map<std::string, domain::Partner> partners;
  auto existing = server.partner_admin().ListPartners(0, 500);
  Require(existing, "list partners");
  for (const auto& demo : kDemoPartners) {
    std::optional<domain::Partner> found;
    for (const auto& partner : *existing) {
      if (partner.code == demo.code) found = partner;
    }
    if (!found) {
      auto created = server.partner_admin().CreatePartner(
          {demo.code, demo.name, demo.rate, demo.issuance_price_micros,
           demo.redemption_rate_micros, demo.auto_enroll});
      Require(created, std::string("create partner ") + demo.code);
      keys[demo.key_variable] = created->secret;
      found = created->partner;
    } else if (!keys.contains(demo.key_variable)) {
      auto key = server.partner_admin().CreateApiKey(found->id, "");
      Require(key, std::string("create key for ") + demo.code);
      keys[demo.key_variable] = key->secret;
    }
    partners[demo.code] = *found;
  }

  // Members with some history, each request idempotent so reruns change nothing.
  const auto& currency = server.ledger().programme_currency();
  const std::pair<const char*, int64_t> kMembers[] = {
      {"6001000000000001", 12'550}, {"6001000000000002", 4'200}, {"6001000000000003", 89'900}};
  int seq = 0;
  for (const auto& [card, spend_minor] : kMembers) {
    ++seq;
    domain::EnrollCommand enroll{SeedKey("seed-enroll-" + std::to_string(seq)), card, {}};
    auto enrolled = server.ledger().Enroll(partners["freshmart"], enroll);
    if (!enrolled && enrolled.error().reason != "CARD_ALREADY_ENROLLED") {
      Require(enrolled, std::string("enrol ") + card);
    }
    domain::AccrueCommand accrue;
    accrue.key = SeedKey("seed-accrue-" + std::to_string(seq));
    accrue.card_number = card;
    accrue.amount = {currency, spend_minor};
    accrue.store_id = "demo-store-1";
    accrue.receipt_id = "demo-receipt-" + std::to_string(seq);
    Require(server.ledger().Accrue(partners["freshmart"], accrue), std::string("accrue ") + card);
  }

  std::ofstream out(keys_file, std::ios::trunc);
  if (!out) throw std::runtime_error("cannot write " + keys_file);
  ::chmod(keys_file.c_str(), 0600);
  out << "# Demo partner API keys (dev mode only). Shown once by the server; keep private.\n";
  for (const auto& demo : kDemoPartners) out << demo.key_variable << "=" << keys[demo.key_variable] << "\n";
  spdlog::info(R"({{"event":"demo_seeded","partners":{},"keys_file":"{}"}})", partners.size(),
               keys_file);
}

}  // namespace coalition::app
