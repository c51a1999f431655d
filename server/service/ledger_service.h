#pragma once

#include <string>

#include "domain/model.h"
#include "service/ports.h"

namespace coalition::service {

// The partner-facing ledger operations: validate the command, apply the
// partner's rules, then let the store apply it atomically.
class LedgerService {
 public:
  LedgerService(LedgerStore& store, std::string programme_currency)
      : store_(store), programme_currency_(std::move(programme_currency)) {}

  Result<domain::EnrollResult> Enroll(const domain::Partner& partner,
                                      const domain::EnrollCommand& command);
  Result<domain::MemberView> GetMember(const domain::MemberRef& member);
  Result<domain::AccrueResult> Accrue(const domain::Partner& partner,
                                      const domain::AccrueCommand& command);
  Result<domain::RedeemResult> Redeem(const domain::Partner& partner,
                                      const domain::RedeemCommand& command);
  Result<std::pair<domain::MemberId, domain::TransactionPage>> ListTransactions(
      const domain::Partner& partner, const domain::MemberRef& member,
      domain::TransferId before, int page_size);
  Result<domain::LedgerReport> Verify() { return store_.Verify(); }

  const std::string& programme_currency() const { return programme_currency_; }

 private:
  LedgerStore& store_;
  const std::string programme_currency_;
};

// A freshly generated API key: the secret goes to the caller once, only the
// hash is stored.
struct GeneratedApiKey {
  std::string secret;
  std::string hash;
  std::string prefix;
};

// "ck_<partner code>_<43 chars of base64url>" from 256 random bits.
GeneratedApiKey GenerateApiKey(const std::string& partner_code);
std::string HashApiKey(const std::string& secret);

// Operator actions on partners and keys.
class PartnerAdmin {
 public:
  explicit PartnerAdmin(PartnerStore& store) : store_(store) {}

  struct CreatedPartner {
    domain::Partner partner;
    domain::ApiKeyRecord key;
    std::string secret;
  };
  Result<CreatedPartner> CreatePartner(const domain::NewPartner& partner);
  Result<std::vector<domain::Partner>> ListPartners(domain::PartnerId after, int page_size);
  struct CreatedKey {
    domain::ApiKeyRecord key;
    std::string secret;
  };
  // Exactly one of id / code names the partner.
  Result<CreatedKey> CreateApiKey(std::optional<domain::PartnerId> partner_id,
                                  const std::string& partner_code);
  Result<domain::ApiKeyRecord> RevokeApiKey(int64_t key_id);

 private:
  PartnerStore& store_;
};

}  // namespace coalition::service
