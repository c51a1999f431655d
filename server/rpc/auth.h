#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <grpcpp/server_context.h>

#include "domain/error.h"
#include "domain/model.h"
#include "service/ports.h"

namespace coalition::rpc {

enum class Role { kOperator, kPartner, kFinance };

struct Principal {
  Role role;
  // Set for partners: who is calling, with its rules and accounts.
  std::optional<domain::Partner> partner;
};

// Who may call what: every RPC of the API is listed in one table (auth.cc)
// and checked here, so a new RPC without an entry is refused to everyone.
class Authenticator {
 public:
  // An empty `finance_key` disables the finance role.
  Authenticator(service::PartnerStore& partners, const std::string& operator_key,
                const std::string& finance_key = "");

  // Identifies the caller from `authorization: Bearer <key>` and checks that
  // its role may call `method` ("/coalition.v1.PartnerService/Accrue").
  // UNAUTHENTICATED for a missing, malformed, unknown or revoked key;
  // PERMISSION_DENIED for a role the method does not allow.
  domain::Result<Principal> Authorize(const grpc::ServerContext& context,
                                      std::string_view method) const;

  static bool IsAllowed(std::string_view method, Role role);

 private:
  service::PartnerStore& partners_;
  const std::string operator_key_hash_;
  const std::string finance_key_hash_;  // empty: no finance key
};

}  // namespace coalition::rpc
