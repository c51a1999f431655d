#pragma once

#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

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
  // An empty `finance_key` disables the finance role. With a `key_cache_ttl`
  // above zero, a partner found by its key is remembered that long, saving a
  // database round trip per call. A key revoked through this server is
  // forgotten at once (ForgetCachedKeys); another instance sharing the
  // database may still accept it for up to the TTL.
  Authenticator(service::PartnerStore& partners, const std::string& operator_key,
                const std::string& finance_key = "",
                std::chrono::milliseconds key_cache_ttl = std::chrono::milliseconds(0));

  // Identifies the caller from `authorization: Bearer <key>` and checks that
  // its role may call `method` ("/coalition.v1.PartnerService/Accrue").
  // UNAUTHENTICATED for a missing, malformed, unknown or revoked key;
  // PERMISSION_DENIED for a role the method does not allow.
  domain::Result<Principal> Authorize(const grpc::ServerContext& context,
                                      std::string_view method) const;

  static bool IsAllowed(std::string_view method, Role role);

  // Called after a key is revoked: every cached key is looked up afresh.
  void ForgetCachedKeys() const;

 private:
  domain::Result<domain::Partner> FindPartner(const std::string& key_hash) const;

  service::PartnerStore& partners_;
  const std::string operator_key_hash_;
  const std::string finance_key_hash_;  // empty: no finance key
  const std::chrono::milliseconds key_cache_ttl_;
  struct CachedPartner {
    domain::Partner partner;
    std::chrono::steady_clock::time_point expires;
  };
  mutable std::mutex cache_mutex_;
  mutable std::unordered_map<std::string, CachedPartner> cache_;
  // Bumped by ForgetCachedKeys, so a lookup that read the key before a
  // revocation committed does not put it back into the cache afterwards.
  mutable uint64_t cache_generation_ = 0;
};

}  // namespace coalition::rpc
