#include "rpc/auth.h"

#include <algorithm>
#include <array>

#include "crypto/crypto.h"
#include "service/ledger_service.h"

namespace coalition::rpc {
namespace {

struct MethodRoles {
  std::string_view method;
  bool operator_allowed;
  bool partner_allowed;
};

constexpr std::array kMethodRoles = {
    MethodRoles{"/coalition.v1.PartnerService/EnrollMember", false, true},
    MethodRoles{"/coalition.v1.PartnerService/GetMember", false, true},
    MethodRoles{"/coalition.v1.PartnerService/Accrue", false, true},
    MethodRoles{"/coalition.v1.PartnerService/Redeem", false, true},
    MethodRoles{"/coalition.v1.PartnerService/ListTransactions", false, true},
    MethodRoles{"/coalition.v1.PartnerService/HoldPoints", false, true},
    MethodRoles{"/coalition.v1.PartnerService/CapturePoints", false, true},
    MethodRoles{"/coalition.v1.PartnerService/VoidHold", false, true},
    MethodRoles{"/coalition.v1.PartnerService/QuotePrice", false, true},
    MethodRoles{"/coalition.v1.PartnerService/GetPurchase", false, true},
    MethodRoles{"/coalition.v1.PartnerService/RefundPurchase", false, true},
    MethodRoles{"/coalition.v1.AdminService/CreatePartner", true, false},
    MethodRoles{"/coalition.v1.AdminService/ListPartners", true, false},
    MethodRoles{"/coalition.v1.AdminService/CreateApiKey", true, false},
    MethodRoles{"/coalition.v1.AdminService/RevokeApiKey", true, false},
    MethodRoles{"/coalition.v1.AdminService/VerifyLedger", true, false},
    MethodRoles{"/coalition.v1.AdminService/SetRedemptionPolicy", true, false},
    MethodRoles{"/coalition.v1.AdminService/GetRedemptionPolicy", true, false},
    MethodRoles{"/coalition.v1.AdminService/SetPartnerEconomics", true, false},
    MethodRoles{"/coalition.v1.AdminService/ListPartnerEconomics", true, false},
    MethodRoles{"/coalition.v1.SettlementService/RunSettlement", true, false},
    MethodRoles{"/coalition.v1.SettlementService/GetSettlementBatch", true, false},
    MethodRoles{"/coalition.v1.SettlementService/ListSettlementBatches", true, false},
    MethodRoles{"/coalition.v1.SettlementService/GetStatement", true, false},
};

// The finance role: settlement, and reading partner economics.
constexpr std::array kFinanceMethods = {
    std::string_view{"/coalition.v1.AdminService/ListPartnerEconomics"},
    std::string_view{"/coalition.v1.SettlementService/RunSettlement"},
    std::string_view{"/coalition.v1.SettlementService/GetSettlementBatch"},
    std::string_view{"/coalition.v1.SettlementService/ListSettlementBatches"},
    std::string_view{"/coalition.v1.SettlementService/GetStatement"},
};

domain::Error Unauthenticated(std::string message) {
  return {domain::ErrorCode::kUnauthenticated, "UNAUTHENTICATED", std::move(message), {}};
}

}  // namespace

Authenticator::Authenticator(service::PartnerStore& partners, const std::string& operator_key,
                             const std::string& finance_key,
                             std::chrono::milliseconds key_cache_ttl)
    : partners_(partners),
      operator_key_hash_(crypto::Sha256(operator_key)),
      finance_key_hash_(finance_key.empty() ? "" : crypto::Sha256(finance_key)),
      key_cache_ttl_(key_cache_ttl) {}

void Authenticator::ForgetCachedKeys() const {
  std::lock_guard lock(cache_mutex_);
  cache_.clear();
  ++cache_generation_;
}

domain::Result<domain::Partner> Authenticator::FindPartner(const std::string& key_hash) const {
  if (key_cache_ttl_.count() <= 0) return partners_.FindPartnerByKeyHash(key_hash);
  const auto now = std::chrono::steady_clock::now();
  uint64_t generation = 0;
  {
    std::lock_guard lock(cache_mutex_);
    const auto cached = cache_.find(key_hash);
    if (cached != cache_.end() && cached->second.expires > now) return cached->second.partner;
    generation = cache_generation_;
  }
  // Unknown keys are not cached, so guessing keys cannot fill the cache; it
  // holds only valid keys, and a bound keeps even that small.
  auto partner = partners_.FindPartnerByKeyHash(key_hash);
  if (partner) {
    constexpr size_t kMaxCachedKeys = 10'000;
    std::lock_guard lock(cache_mutex_);
    if (generation != cache_generation_) return partner;
    if (cache_.size() >= kMaxCachedKeys) cache_.clear();
    cache_.insert_or_assign(key_hash, CachedPartner{*partner, now + key_cache_ttl_});
  }
  return partner;
}

bool Authenticator::IsAllowed(std::string_view method, Role role) {
  if (role == Role::kFinance) {
    return std::find(kFinanceMethods.begin(), kFinanceMethods.end(), method) !=
           kFinanceMethods.end();
  }
  for (const auto& entry : kMethodRoles) {
    if (entry.method == method) {
      return role == Role::kOperator ? entry.operator_allowed : entry.partner_allowed;
    }
  }
  return false;
}

domain::Result<Principal> Authenticator::Authorize(const grpc::ServerContext& context,
                                                   std::string_view method) const {
  const auto& metadata = context.client_metadata();
  const auto header = metadata.find("authorization");
  if (header == metadata.end()) return Unauthenticated("missing authorization metadata");
  const std::string_view value(header->second.data(), header->second.size());
  constexpr std::string_view kBearer = "Bearer ";
  if (value.size() <= kBearer.size() || value.substr(0, kBearer.size()) != kBearer ||
      value.size() > 512) {
    return Unauthenticated("authorization must be 'Bearer <key>'");
  }
  const std::string key_hash = crypto::Sha256(value.substr(kBearer.size()));

  Principal principal{Role::kPartner, std::nullopt};
  if (crypto::ConstantTimeEquals(key_hash, operator_key_hash_)) {
    principal.role = Role::kOperator;
  } else if (!finance_key_hash_.empty() &&
             crypto::ConstantTimeEquals(key_hash, finance_key_hash_)) {
    principal.role = Role::kFinance;
  } else {
    auto partner = FindPartner(key_hash);
    if (!partner) {
      if (partner.error().code == domain::ErrorCode::kNotFound) {
        return Unauthenticated("unknown or revoked API key");
      }
      return partner.error();
    }
    principal.partner = std::move(partner).value();
  }
  if (!IsAllowed(method, principal.role)) {
    return domain::Error{domain::ErrorCode::kPermissionDenied, "PERMISSION_DENIED",
                         "this credential may not call this method", {}};
  }
  return principal;
}

}  // namespace coalition::rpc
