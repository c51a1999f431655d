#include "rpc/auth.h"

#include <algorithm>
#include <array>

#include <grpcpp/security/auth_context.h>

#include "crypto/crypto.h"
#include "service/ledger_service.h"

namespace coalition::rpc {
namespace {

// Roles as bits, so a table row reads as the set of roles it allows.
constexpr unsigned kPartner = 1u << static_cast<int>(Role::kPartner);
constexpr unsigned kOperator = 1u << static_cast<int>(Role::kOperator);
constexpr unsigned kFinance = 1u << static_cast<int>(Role::kFinance);
constexpr unsigned kAuditor = 1u << static_cast<int>(Role::kAuditor);

enum class Effect { kRead, kWrite };

struct MethodRoles {
  std::string_view method;
  unsigned roles;
  Effect effect;
};

// The one table of who may call what. The auditor only reads; finance reads
// what settlement needs; partners reach only PartnerService, whose calls act
// as the calling partner.
constexpr std::array kMethodRoles = {
    MethodRoles{"/coalition.v1.PartnerService/EnrollMember", kPartner, Effect::kWrite},
    MethodRoles{"/coalition.v1.PartnerService/GetMember", kPartner, Effect::kRead},
    MethodRoles{"/coalition.v1.PartnerService/Accrue", kPartner, Effect::kWrite},
    MethodRoles{"/coalition.v1.PartnerService/BatchAccrue", kPartner, Effect::kWrite},
    MethodRoles{"/coalition.v1.PartnerService/Redeem", kPartner, Effect::kWrite},
    MethodRoles{"/coalition.v1.PartnerService/ListTransactions", kPartner, Effect::kRead},
    MethodRoles{"/coalition.v1.PartnerService/HoldPoints", kPartner, Effect::kWrite},
    MethodRoles{"/coalition.v1.PartnerService/CapturePoints", kPartner, Effect::kWrite},
    MethodRoles{"/coalition.v1.PartnerService/VoidHold", kPartner, Effect::kWrite},
    MethodRoles{"/coalition.v1.PartnerService/QuotePrice", kPartner, Effect::kRead},
    MethodRoles{"/coalition.v1.AdminService/CreatePartner", kOperator, Effect::kWrite},
    MethodRoles{"/coalition.v1.AdminService/ListPartners", kOperator | kFinance | kAuditor,
                Effect::kRead},
    MethodRoles{"/coalition.v1.AdminService/CreateApiKey", kOperator, Effect::kWrite},
    MethodRoles{"/coalition.v1.AdminService/RevokeApiKey", kOperator, Effect::kWrite},
    MethodRoles{"/coalition.v1.AdminService/VerifyLedger", kOperator | kFinance | kAuditor,
                Effect::kRead},
    MethodRoles{"/coalition.v1.AdminService/SetRedemptionPolicy", kOperator, Effect::kWrite},
    MethodRoles{"/coalition.v1.AdminService/GetRedemptionPolicy", kOperator | kFinance | kAuditor,
                Effect::kRead},
    MethodRoles{"/coalition.v1.AdminService/RotatePiiKeys", kOperator, Effect::kWrite},
    MethodRoles{"/coalition.v1.AdminService/ListAuditEvents", kOperator | kAuditor,
                Effect::kRead},
    MethodRoles{"/coalition.v1.AdminService/SetEarnRules", kOperator, Effect::kWrite},
    MethodRoles{"/coalition.v1.AdminService/CreateCampaign", kOperator, Effect::kWrite},
    MethodRoles{"/coalition.v1.AdminService/RunExpiry", kOperator, Effect::kWrite},
    MethodRoles{"/coalition.v1.AdminService/GetBreakageReport", kOperator | kFinance | kAuditor,
                Effect::kRead},
    MethodRoles{"/coalition.v1.AdminService/SetTiers", kOperator, Effect::kWrite},
    MethodRoles{"/coalition.v1.AdminService/GetTiers", kOperator | kAuditor, Effect::kRead},
    MethodRoles{"/coalition.v1.AdminService/RunTierReview", kOperator, Effect::kWrite},
    MethodRoles{"/coalition.v1.PartnerService/GetPurchase", kPartner, Effect::kRead},
    MethodRoles{"/coalition.v1.PartnerService/RefundPurchase", kPartner, Effect::kWrite},
    MethodRoles{"/coalition.v1.AdminService/SetPartnerEconomics", kOperator, Effect::kWrite},
    MethodRoles{"/coalition.v1.AdminService/ListPartnerEconomics", kOperator | kFinance | kAuditor,
                Effect::kRead},
    MethodRoles{"/coalition.v1.SettlementService/RunSettlement", kOperator | kFinance,
                Effect::kWrite},
    MethodRoles{"/coalition.v1.SettlementService/GetSettlementBatch",
                kOperator | kFinance | kAuditor, Effect::kRead},
    MethodRoles{"/coalition.v1.SettlementService/ListSettlementBatches",
                kOperator | kFinance | kAuditor, Effect::kRead},
    MethodRoles{"/coalition.v1.SettlementService/GetStatement", kOperator | kFinance | kAuditor,
                Effect::kRead},
    MethodRoles{"/coalition.v1.AdminService/RegisterClientCertificate", kOperator,
                Effect::kWrite},
    MethodRoles{"/coalition.v1.AdminService/RevokeClientCertificate", kOperator, Effect::kWrite},
    MethodRoles{"/coalition.v1.AdminService/ListClientCertificates", kOperator | kAuditor,
                Effect::kRead},
    MethodRoles{"/coalition.v1.AdminService/GrantTargetedBonus", kOperator, Effect::kWrite},
    MethodRoles{"/coalition.v1.AdminService/GetBonusGrant", kOperator | kFinance | kAuditor,
                Effect::kRead},
    MethodRoles{"/coalition.v1.AdminService/GetRedemptionForecast",
                kOperator | kFinance | kAuditor, Effect::kRead},
    MethodRoles{"/coalition.v1.AdminService/GetEarnRules", kOperator | kFinance | kAuditor,
                Effect::kRead},
    MethodRoles{"/coalition.v1.AdminService/ListCampaigns", kOperator | kFinance | kAuditor,
                Effect::kRead},
};

const MethodRoles* Find(std::string_view method) {
  for (const auto& entry : kMethodRoles) {
    if (entry.method == method) return &entry;
  }
  return nullptr;
}

domain::Error Unauthenticated(std::string message) {
  return {domain::ErrorCode::kUnauthenticated, "UNAUTHENTICATED", std::move(message), {}};
}

// Staff keys are compared by hash, in constant time; an unset key matches
// nothing (no key hashes to the empty string).
std::string HashIfSet(const std::string& key) {
  return key.empty() ? std::string() : crypto::Sha256(key);
}

// The identities of a verified client certificate: its fingerprint and its
// subject alternative names. Only set when the server requested and verified
// the certificate against the client CA (mTLS configured); what it names is
// decided by the client_certificates table, never by the certificate itself.
std::optional<domain::PeerCertificate> VerifiedPeerCertificate(
    const grpc::ServerContext& context) {
  const auto auth = context.auth_context();
  if (!auth || !auth->IsPeerAuthenticated()) return std::nullopt;
  domain::PeerCertificate peer;
  for (const auto& pem : auth->FindPropertyValues("x509_pem_cert")) {
    peer.sha256_fingerprint =
        crypto::CertificateSha256Fingerprint(std::string_view(pem.data(), pem.size()));
    break;
  }
  // A certificate with hundreds of names is not a client we need to serve.
  constexpr size_t kMaxNames = 16;
  for (const auto& name : auth->FindPropertyValues("x509_subject_alternative_name")) {
    if (peer.subject_alt_names.size() == kMaxNames) break;
    peer.subject_alt_names.emplace_back(name.data(), name.size());
  }
  if (peer.sha256_fingerprint.empty() && peer.subject_alt_names.empty()) return std::nullopt;
  return peer;
}

domain::Error CertificateNotRegistered() {
  return {domain::ErrorCode::kUnauthenticated, "CLIENT_CERTIFICATE_NOT_REGISTERED",
          "the client certificate is not registered to a partner (or was revoked)", {}};
}

}  // namespace

std::string_view RoleName(Role role) {
  switch (role) {
    case Role::kOperator: return "OPERATOR";
    case Role::kPartner: return "PARTNER";
    case Role::kFinance: return "FINANCE";
    case Role::kAuditor: return "AUDITOR";
    case Role::kNone: return "NONE";
  }
  return "NONE";
}

std::string Principal::Actor() const {
  switch (role) {
    case Role::kOperator: return "operator";
    case Role::kFinance: return "finance";
    case Role::kAuditor: return "auditor";
    case Role::kPartner: return "partner:" + (partner ? partner->code : std::string("?"));
    case Role::kNone: return "anonymous";
  }
  return "anonymous";
}

void Authenticator::ForgetCachedKeys() const {
  std::lock_guard lock(cache_mutex_);
  cache_.clear();
  ++cache_generation_;
}

domain::Result<domain::Partner> Authenticator::CachedLookup(
    const std::string& cache_key,
    const std::function<domain::Result<domain::Partner>()>& lookup) const {
  const auto now = std::chrono::steady_clock::now();
  uint64_t generation = 0;
  {
    std::lock_guard lock(cache_mutex_);
    const auto cached = cache_.find(cache_key);
    if (cached != cache_.end() && cached->second.expires > now) return cached->second.partner;
    generation = cache_generation_;
  }
  // Unknown keys and certificates are not cached, so guessing cannot fill the
  // cache; it holds only valid ones, and a bound keeps even that small.
  auto partner = lookup();
  if (partner) {
    constexpr size_t kMaxCachedKeys = 10'000;
    std::lock_guard lock(cache_mutex_);
    if (generation != cache_generation_) return partner;
    if (cache_.size() >= kMaxCachedKeys) cache_.clear();
    cache_.insert_or_assign(cache_key, CachedPartner{*partner, now + key_cache_ttl_});
  }
  return partner;
}

domain::Result<domain::Partner> Authenticator::FindPartner(const std::string& key_hash) const {
  if (key_cache_ttl_.count() <= 0) return partners_.FindPartnerByKeyHash(key_hash);
  return CachedLookup(key_hash, [&] { return partners_.FindPartnerByKeyHash(key_hash); });
}

domain::Result<domain::Partner> Authenticator::FindCertifiedPartner(
    const domain::PeerCertificate& peer) const {
  // Cached by fingerprint, beside the API keys (a raw 32-byte hash never
  // equals this longer string), so ForgetCachedKeys forgets both.
  if (key_cache_ttl_.count() <= 0 || peer.sha256_fingerprint.empty()) {
    return partners_.FindPartnerByClientCertificate(peer);
  }
  return CachedLookup("cert:" + peer.sha256_fingerprint,
                      [&] { return partners_.FindPartnerByClientCertificate(peer); });
}

Authenticator::Authenticator(service::PartnerStore& partners, const std::string& operator_key)
    : Authenticator(partners, StaffKeys{operator_key, "", ""}) {}

Authenticator::Authenticator(service::PartnerStore& partners, const StaffKeys& keys,
                             std::chrono::milliseconds key_cache_ttl)
    : partners_(partners),
      operator_key_hash_(HashIfSet(keys.operator_key)),
      finance_key_hash_(HashIfSet(keys.finance_key)),
      auditor_key_hash_(HashIfSet(keys.auditor_key)),
      key_cache_ttl_(key_cache_ttl) {}

bool Authenticator::IsAllowed(std::string_view method, Role role) {
  if (role == Role::kNone) return false;
  const auto* entry = Find(method);
  return entry != nullptr && (entry->roles & (1u << static_cast<int>(role))) != 0;
}

bool Authenticator::Mutates(std::string_view method) {
  const auto* entry = Find(method);
  return entry == nullptr || entry->effect == Effect::kWrite;
}

bool Authenticator::IsAudited(std::string_view method) {
  return method.starts_with("/coalition.v1.AdminService/") ||
         method.starts_with("/coalition.v1.SettlementService/");
}

std::optional<Role> Authenticator::StaffRole(const std::string& key_hash) const {
  // Every comparison runs, so timing does not tell which role a key is near.
  const bool is_operator = crypto::ConstantTimeEquals(key_hash, operator_key_hash_);
  const bool is_finance = crypto::ConstantTimeEquals(key_hash, finance_key_hash_);
  const bool is_auditor = crypto::ConstantTimeEquals(key_hash, auditor_key_hash_);
  if (is_operator) return Role::kOperator;
  if (is_finance) return Role::kFinance;
  if (is_auditor) return Role::kAuditor;
  return std::nullopt;
}

domain::Result<Principal> Authenticator::Authorize(const grpc::ServerContext& context,
                                                   std::string_view method) const {
  auto principal = Authenticate(context);
  if (!principal) return principal;
  if (auto denied = CheckAllowed(*principal, method)) return *denied;
  return principal;
}

std::optional<domain::Error> Authenticator::CheckAllowed(const Principal& caller,
                                                         std::string_view method) {
  if (IsAllowed(method, caller.role)) return std::nullopt;
  return domain::Error{domain::ErrorCode::kPermissionDenied, "PERMISSION_DENIED",
                       "this credential may not call this method", {}};
}

domain::Result<Principal> Authenticator::Authenticate(const grpc::ServerContext& context) const {
  const auto& metadata = context.client_metadata();
  const auto header = metadata.find("authorization");
  const auto peer = VerifiedPeerCertificate(context);
  if (header == metadata.end()) {
    if (!peer) return Unauthenticated("missing authorization metadata");
    // mTLS: the registered identity of the verified certificate names the partner.
    auto partner = FindCertifiedPartner(*peer);
    if (!partner) {
      if (partner.error().code == domain::ErrorCode::kNotFound) return CertificateNotRegistered();
      return partner.error();
    }
    return Principal{Role::kPartner, std::move(partner).value()};
  }
  const std::string_view value(header->second.data(), header->second.size());
  constexpr std::string_view kBearer = "Bearer ";
  if (value.size() <= kBearer.size() || value.substr(0, kBearer.size()) != kBearer ||
      value.size() > 512) {
    return Unauthenticated("authorization must be 'Bearer <key>'");
  }
  const std::string key_hash = crypto::Sha256(value.substr(kBearer.size()));

  Principal principal{Role::kPartner, std::nullopt};
  if (auto staff = StaffRole(key_hash)) {
    principal.role = *staff;
  } else {
    auto partner = FindPartner(key_hash);
    if (!partner) {
      if (partner.error().code == domain::ErrorCode::kNotFound) {
        return Unauthenticated("unknown or revoked API key");
      }
      return partner.error();
    }
    principal.partner = std::move(partner).value();
    // A certificate registered to one partner with the key of another: refuse
    // both. An unregistered certificate beside a key is no identity at all.
    if (peer) {
      auto certified = FindCertifiedPartner(*peer);
      if (!certified && certified.error().code != domain::ErrorCode::kNotFound) {
        return certified.error();
      }
      if (certified && certified->id != principal.partner->id) {
        return domain::Error{
            domain::ErrorCode::kUnauthenticated, "CREDENTIALS_DISAGREE",
            "the API key and the client certificate belong to different partners", {}};
      }
    }
  }
  return principal;
}

}  // namespace coalition::rpc
