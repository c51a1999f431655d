#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace coalition::crypto {

// AES-256-GCM with a 96-bit nonce and a 128-bit tag. The sealed form is
// nonce || ciphertext || tag. `key` is 32 bytes, `nonce` 12 bytes.
std::string AesGcmSeal(std::string_view key, std::string_view nonce, std::string_view aad,
                       std::string_view plaintext);
// Nothing when the key, the AAD or any byte of `sealed` is not what sealed it.
std::optional<std::string> AesGcmOpen(std::string_view key, std::string_view aad,
                                      std::string_view sealed);

// RFC 4648 §4 base64 (with padding), as `openssl rand -base64 32` prints it.
// Returns false on anything else.
bool Base64Decode(std::string_view text, std::string& out);
std::string Base64Encode(std::string_view data);

// Members' personal data at rest (SPEC §8). Every value is sealed with a
// fresh random nonce under the active key; the key id is stored beside it so
// older keys keep decrypting until rotation has re-sealed their rows. The AAD
// names the member and the field, so a ciphertext copied to another row or
// column no longer opens. Lookups use keyed HMAC-SHA256 "blind indexes" of
// the normalised value under a separate index key, never the plaintext.
class PiiKeyRing {
 public:
  static constexpr size_t kKeyBytes = 32;

  // `keys`: key id -> 32 raw bytes. Throws std::invalid_argument when a key
  // has the wrong size, the active id is not in `keys`, an id is not 1-32
  // chars of [A-Za-z0-9._-], or the index key is shorter than 32 bytes.
  PiiKeyRing(std::map<std::string, std::string> keys, std::string active_key_id,
             std::string index_key);

  // One random data key ("generated") and index key: dev mode and tests,
  // whose data does not outlive the process's keys.
  static PiiKeyRing Generate();

  const std::string& active_key_id() const { return active_key_id_; }
  bool HasKey(std::string_view key_id) const { return keys_.contains(std::string(key_id)); }

  // Seals under the active key.
  std::string Seal(int64_t member_id, std::string_view field, std::string_view plaintext) const;
  // Nothing when `key_id` is unknown or the value does not authenticate.
  std::optional<std::string> Open(int64_t member_id, std::string_view field,
                                  std::string_view key_id, std::string_view sealed) const;

  // 32-byte blind indexes; empty when the normalised value is empty.
  std::string EmailIndex(std::string_view email) const;
  std::string PhoneIndex(std::string_view phone) const;

 private:
  std::map<std::string, std::string, std::less<>> keys_;
  std::string active_key_id_;
  std::string index_key_;
};

// Trimmed and lower-cased (ASCII), so " Zoe@Example.COM" finds "zoe@example.com".
std::string NormaliseEmail(std::string_view email);
// Digits only, so "+1 (555) 010-0200" finds "15550100200".
std::string NormalisePhone(std::string_view phone);

}  // namespace coalition::crypto
