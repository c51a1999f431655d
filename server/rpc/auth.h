#pragma once

#include <chrono>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include <grpcpp/server_context.h>

#include "domain/error.h"
#include "domain/model.h"
#include "domain/rate_limit.h"
#include "service/ports.h"

namespace coalition::rpc {

// kNone is the role of a caller that did not authenticate: it is allowed
// nothing, and appears only in the audit log.
enum class Role { kOperator, kPartner, kFinance, kAuditor, kNone };

// "OPERATOR", "PARTNER", "FINANCE", "AUDITOR", "NONE".
std::string_view RoleName(Role role);

struct Principal {
  Role role;
  // Set for partners: who is calling, with its rules and accounts.
  std::optional<domain::Partner> partner;

  // For logs and the audit log: "operator", "partner:<code>", ...
  std::string Actor() const;
};

// The staff credentials from configuration; an empty key disables its role.
struct StaffKeys {
  std::string operator_key;
  std::string finance_key;
  std::string auditor_key;
};

// Who may call what: every RPC of the API is listed in one table (auth.cc)
// and checked here, so a new RPC without an entry is refused to everyone.
class Authenticator {
 public:
  Authenticator(service::PartnerStore& partners, const std::string& operator_key);
  // With a `key_cache_ttl` above zero, a partner found by its key is
  // remembered that long, saving a database round trip per call. A key
  // revoked through this server is forgotten at once (ForgetCachedKeys);
  // another instance sharing the database may still accept it for up to
  // the TTL.
  Authenticator(service::PartnerStore& partners, const StaffKeys& keys,
                std::chrono::milliseconds key_cache_ttl = std::chrono::milliseconds(0));

  // Identifies the caller from `authorization: Bearer <key>` or, without
  // one, from a verified client certificate registered to a partner
  // (UNAUTHENTICATED/CLIENT_CERTIFICATE_NOT_REGISTERED otherwise), and checks that
  // its role may call `method` ("/coalition.v1.PartnerService/Accrue").
  // UNAUTHENTICATED for a missing, malformed, unknown or revoked key;
  // PERMISSION_DENIED for a role the method does not allow.
  domain::Result<Principal> Authorize(const grpc::ServerContext& context,
                                      std::string_view method) const;
  // The first half of Authorize: who is calling, whatever the method.
  domain::Result<Principal> Authenticate(const grpc::ServerContext& context) const;
  // The second half: PERMISSION_DENIED unless `caller` may call `method`.
  static std::optional<domain::Error> CheckAllowed(const Principal& caller,
                                                   std::string_view method);

  static bool IsAllowed(std::string_view method, Role role);
  // Whether `method` changes state (its audit record keeps the result).
  static bool Mutates(std::string_view method);
  // Administrative and settlement methods: every call is audited.
  static bool IsAudited(std::string_view method);

  // What RunCall applies around every call besides authorization: the audit
  // log for IsAudited methods and the per-partner rate limit. Both optional.
  void AttachAuditLog(service::AuditLog* audit) { audit_ = audit; }
  void AttachRateLimiter(domain::RateLimiter* limiter) { rate_limiter_ = limiter; }
  service::AuditLog* audit_log() const { return audit_; }
  domain::RateLimiter* rate_limiter() const { return rate_limiter_; }

  // Called after a key or client certificate is revoked: every cached key
  // and certificate is looked up afresh.
  void ForgetCachedKeys() const;

 private:
  domain::Result<domain::Partner> FindPartner(const std::string& key_hash) const;
  domain::Result<domain::Partner> FindCertifiedPartner(const domain::PeerCertificate& peer) const;
  // The partner cached under `cache_key`, else `lookup()` (cached when found).
  domain::Result<domain::Partner> CachedLookup(
      const std::string& cache_key,
      const std::function<domain::Result<domain::Partner>()>& lookup) const;
  std::optional<Role> StaffRole(const std::string& key_hash) const;

  service::PartnerStore& partners_;
  const std::string operator_key_hash_;
  const std::string finance_key_hash_;
  const std::string auditor_key_hash_;
  service::AuditLog* audit_ = nullptr;
  domain::RateLimiter* rate_limiter_ = nullptr;
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
