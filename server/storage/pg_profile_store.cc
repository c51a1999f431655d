// Member PII at rest: sealing, reading back for the supplying partner, blind
// index lookups and key rotation. Plaintext never reaches SQL.
#include <array>

#include "crypto/crypto.h"
#include "storage/pg_stores.h"
#include "storage/transaction_helpers.h"

namespace coalition::storage {

using domain::Error;
using domain::MemberId;
using domain::Result;

namespace {

// Field names are part of each value's AAD: renaming one makes old
// ciphertexts unreadable.
constexpr std::array<const char*, 5> kFields = {"given_name", "family_name", "email", "phone",
                                                "date_of_birth"};

std::array<std::string, 5> Values(const domain::MemberProfile& profile) {
  return {profile.given_name, profile.family_name, profile.email, profile.phone,
          profile.date_of_birth};
}

domain::MemberProfile FromValues(std::array<std::string, 5> values) {
  return domain::MemberProfile{std::move(values[0]), std::move(values[1]), std::move(values[2]),
                               std::move(values[3]), std::move(values[4])};
}

struct SealedRow {
  std::array<std::string, 5> sealed_hex;
  std::string email_index_hex;
  std::string phone_index_hex;
};

SealedRow Seal(const crypto::PiiKeyRing& keys, MemberId member,
               const domain::MemberProfile& profile) {
  SealedRow row;
  const auto values = Values(profile);
  for (size_t i = 0; i < kFields.size(); ++i) {
    row.sealed_hex[i] = crypto::HexEncode(keys.Seal(member, kFields[i], values[i]));
  }
  row.email_index_hex = crypto::HexEncode(keys.EmailIndex(profile.email));
  row.phone_index_hex = crypto::HexEncode(keys.PhoneIndex(profile.phone));
  return row;
}

Error Unreadable(MemberId member) {
  // Names the member, never the data.
  return {domain::ErrorCode::kInternal, "PII_UNREADABLE",
          "profile of member " + std::to_string(member) + " cannot be decrypted", {}};
}

// A row of kProfileColumns: legacy plaintext (key_id NULL) or sealed.
Result<domain::MemberProfile> OpenRow(const crypto::PiiKeyRing& keys, const pqxx::row& row) {
  const auto member = row[0].as<MemberId>();
  if (row[1].is_null()) {
    return FromValues({row[2].as<std::string>(), row[3].as<std::string>(),
                       row[4].as<std::string>(), row[5].as<std::string>(), ""});
  }
  const auto key_id = row[1].as<std::string>();
  if (!keys.HasKey(key_id)) {
    return Error::FailedPrecondition("PII_KEY_MISSING",
                                     "PII key '" + key_id + "' is not configured");
  }
  std::array<std::string, 5> values;
  for (size_t i = 0; i < kFields.size(); ++i) {
    // Sealed before dates of birth were kept: none.
    if (row[6 + static_cast<int>(i)].is_null()) continue;
    std::string sealed;
    if (!crypto::HexDecode(row[6 + static_cast<int>(i)].as<std::string>(), sealed)) {
      return Unreadable(member);
    }
    auto opened = keys.Open(member, kFields[i], key_id, sealed);
    if (!opened) return Unreadable(member);
    values[i] = std::move(*opened);
  }
  return FromValues(std::move(values));
}

}  // namespace

void InsertSealedProfile(pqxx::work& tx, const crypto::PiiKeyRing& keys, MemberId member,
                         domain::PartnerId partner, const domain::MemberProfile& profile) {
  const auto row = Seal(keys, member, profile);
  tx.exec_prepared0("insert_sealed_profile", member, partner, keys.active_key_id(),
                    row.sealed_hex[0], row.sealed_hex[1], row.sealed_hex[2], row.sealed_hex[3],
                    row.email_index_hex, row.phone_index_hex, row.sealed_hex[4]);
}

Result<std::optional<domain::MemberProfile>> PgLedgerStore::GetMemberProfile(
    MemberId member, domain::PartnerId partner) {
  using Found = std::optional<domain::MemberProfile>;
  return database_.Read<Found>("get_profile", [&](pqxx::nontransaction& tx) -> Result<Found> {
    const auto rows = tx.exec_prepared("get_profile", member, partner);
    if (rows.empty()) return Found();
    auto profile = OpenRow(pii_keys_, rows[0]);
    if (!profile) return profile.error();
    return Found(std::move(*profile));
  });
}

Result<std::vector<MemberId>> PgLedgerStore::FindMembersByContact(domain::PartnerId partner,
                                                                  const std::string& email,
                                                                  const std::string& phone) {
  using Members = std::vector<MemberId>;
  const bool by_email = !email.empty();
  const auto index = by_email ? pii_keys_.EmailIndex(email) : pii_keys_.PhoneIndex(phone);
  if (index.empty()) return Members();
  return database_.Read<Members>("find_members_by_contact",
                                 [&](pqxx::nontransaction& tx) -> Result<Members> {
                                   const auto rows = tx.exec_prepared(
                                       by_email ? "find_members_by_email_index"
                                                : "find_members_by_phone_index",
                                       partner, crypto::HexEncode(index));
                                   Members members;
                                   for (const auto& row : rows) {
                                     members.push_back(row[0].as<MemberId>());
                                   }
                                   return members;
                                 });
}

Result<domain::PiiRotationStep> PgLedgerStore::RotatePiiKeys(int batch_size, bool legacy_only) {
  return database_.Transact<domain::PiiRotationStep>(
      "rotate_pii_keys", [&](pqxx::work& tx) -> Result<domain::PiiRotationStep> {
        const auto& active = pii_keys_.active_key_id();
        domain::PiiRotationStep step;
        for (const auto& row :
             tx.exec_prepared("profiles_to_reseal", active, legacy_only, batch_size)) {
          auto profile = OpenRow(pii_keys_, row);
          if (!profile) return profile.error();
          const auto member = row[0].as<MemberId>();
          const auto sealed = Seal(pii_keys_, member, *profile);
          tx.exec_prepared0("reseal_profile", member, active, sealed.sealed_hex[0],
                            sealed.sealed_hex[1], sealed.sealed_hex[2], sealed.sealed_hex[3],
                            sealed.email_index_hex, sealed.phone_index_hex,
                            sealed.sealed_hex[4]);
          ++step.resealed;
        }
        step.remaining =
            tx.exec_prepared1("count_profiles_to_reseal", active, legacy_only)[0].as<int64_t>();
        return step;
      });
}

}  // namespace coalition::storage
