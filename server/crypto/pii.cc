#include "crypto/pii.h"

#include <openssl/evp.h>

#include <algorithm>
#include <memory>
#include <stdexcept>

#include "crypto/crypto.h"

namespace coalition::crypto {
namespace {

constexpr size_t kNonceBytes = 12;
constexpr size_t kTagBytes = 16;

using CipherContext = std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;

CipherContext NewContext() {
  CipherContext context(EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free);
  if (!context) throw std::runtime_error("EVP_CIPHER_CTX_new failed");
  return context;
}

const unsigned char* Bytes(std::string_view data) {
  return reinterpret_cast<const unsigned char*>(data.data());
}

unsigned char* Bytes(std::string& data) { return reinterpret_cast<unsigned char*>(data.data()); }

// "coalition/pii/v1|<member>|<field>": a value sealed for one member's field
// opens for no other.
std::string Aad(int64_t member_id, std::string_view field) {
  return "coalition/pii/v1|" + std::to_string(member_id) + "|" + std::string(field);
}

bool ValidKeyId(std::string_view id) {
  if (id.empty() || id.size() > 32) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '.' || c == '_' || c == '-';
  });
}

}  // namespace

std::string AesGcmSeal(std::string_view key, std::string_view nonce, std::string_view aad,
                       std::string_view plaintext) {
  if (key.size() != PiiKeyRing::kKeyBytes || nonce.size() != kNonceBytes) {
    throw std::invalid_argument("AES-256-GCM needs a 32-byte key and a 12-byte nonce");
  }
  auto context = NewContext();
  std::string sealed(nonce);
  sealed.resize(kNonceBytes + plaintext.size() + kTagBytes);
  int length = 0;
  int written = 0;
  if (EVP_EncryptInit_ex(context.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) != 1 ||
      EVP_CIPHER_CTX_ctrl(context.get(), EVP_CTRL_GCM_SET_IVLEN, kNonceBytes, nullptr) != 1 ||
      EVP_EncryptInit_ex(context.get(), nullptr, nullptr, Bytes(key), Bytes(nonce)) != 1 ||
      EVP_EncryptUpdate(context.get(), nullptr, &length, Bytes(aad),
                        static_cast<int>(aad.size())) != 1 ||
      EVP_EncryptUpdate(context.get(), Bytes(sealed) + kNonceBytes, &written, Bytes(plaintext),
                        static_cast<int>(plaintext.size())) != 1 ||
      EVP_EncryptFinal_ex(context.get(), Bytes(sealed) + kNonceBytes + written, &length) != 1 ||
      EVP_CIPHER_CTX_ctrl(context.get(), EVP_CTRL_GCM_GET_TAG, kTagBytes,
                          Bytes(sealed) + kNonceBytes + plaintext.size()) != 1) {
    throw std::runtime_error("AES-256-GCM encryption failed");
  }
  return sealed;
}

std::optional<std::string> AesGcmOpen(std::string_view key, std::string_view aad,
                                      std::string_view sealed) {
  if (key.size() != PiiKeyRing::kKeyBytes || sealed.size() < kNonceBytes + kTagBytes) {
    return std::nullopt;
  }
  const auto nonce = sealed.substr(0, kNonceBytes);
  const auto ciphertext = sealed.substr(kNonceBytes, sealed.size() - kNonceBytes - kTagBytes);
  std::string tag(sealed.substr(sealed.size() - kTagBytes));
  auto context = NewContext();
  std::string plaintext(ciphertext.size(), '\0');
  int length = 0;
  int written = 0;
  if (EVP_DecryptInit_ex(context.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) != 1 ||
      EVP_CIPHER_CTX_ctrl(context.get(), EVP_CTRL_GCM_SET_IVLEN, kNonceBytes, nullptr) != 1 ||
      EVP_DecryptInit_ex(context.get(), nullptr, nullptr, Bytes(key), Bytes(nonce)) != 1 ||
      EVP_DecryptUpdate(context.get(), nullptr, &length, Bytes(aad),
                        static_cast<int>(aad.size())) != 1 ||
      EVP_DecryptUpdate(context.get(), Bytes(plaintext), &written, Bytes(ciphertext),
                        static_cast<int>(ciphertext.size())) != 1 ||
      EVP_CIPHER_CTX_ctrl(context.get(), EVP_CTRL_GCM_SET_TAG, kTagBytes, tag.data()) != 1) {
    return std::nullopt;
  }
  // The tag is checked here: nothing is returned unless it matches.
  if (EVP_DecryptFinal_ex(context.get(), Bytes(plaintext) + written, &length) != 1) {
    return std::nullopt;
  }
  return plaintext;
}

bool Base64Decode(std::string_view text, std::string& out) {
  out.clear();
  if (text.empty() || text.size() % 4 != 0) return false;
  std::string decoded(text.size() / 4 * 3, '\0');
  const int length = EVP_DecodeBlock(Bytes(decoded), Bytes(text), static_cast<int>(text.size()));
  if (length < 0) return false;
  // EVP_DecodeBlock counts padding as zero bytes; take them off again.
  size_t padding = 0;
  if (text.back() == '=') ++padding;
  if (text.size() >= 2 && text[text.size() - 2] == '=') ++padding;
  if (static_cast<size_t>(length) < padding) return false;
  decoded.resize(static_cast<size_t>(length) - padding);
  // Reject texts that are not what Encode would print (whitespace, stray '=').
  if (Base64Encode(decoded) != text) return false;
  out = std::move(decoded);
  return true;
}

std::string Base64Encode(std::string_view data) {
  std::string encoded(4 * ((data.size() + 2) / 3) + 1, '\0');
  const int length = EVP_EncodeBlock(Bytes(encoded), Bytes(data), static_cast<int>(data.size()));
  encoded.resize(static_cast<size_t>(length));
  return encoded;
}

PiiKeyRing::PiiKeyRing(std::map<std::string, std::string> keys, std::string active_key_id,
                       std::string index_key)
    : active_key_id_(std::move(active_key_id)), index_key_(std::move(index_key)) {
  for (auto& [id, key] : keys) {
    if (!ValidKeyId(id)) {
      throw std::invalid_argument("PII key ids are 1-32 characters of [A-Za-z0-9._-]");
    }
    if (key.size() != kKeyBytes) {
      throw std::invalid_argument("PII key '" + id + "' must be 32 bytes (base64 of 32 bytes)");
    }
    keys_.emplace(id, std::move(key));
  }
  if (!keys_.contains(active_key_id_)) {
    throw std::invalid_argument("the active PII key id '" + active_key_id_ +
                                "' is not among the PII keys");
  }
  if (index_key_.size() < kKeyBytes) {
    throw std::invalid_argument("the PII index key must be at least 32 bytes");
  }
}

PiiKeyRing PiiKeyRing::Generate() {
  return PiiKeyRing({{"generated", RandomBytes(kKeyBytes)}}, "generated", RandomBytes(kKeyBytes));
}

std::string PiiKeyRing::Seal(int64_t member_id, std::string_view field,
                             std::string_view plaintext) const {
  return AesGcmSeal(keys_.find(active_key_id_)->second, RandomBytes(kNonceBytes),
                    Aad(member_id, field), plaintext);
}

std::optional<std::string> PiiKeyRing::Open(int64_t member_id, std::string_view field,
                                            std::string_view key_id,
                                            std::string_view sealed) const {
  const auto key = keys_.find(key_id);
  if (key == keys_.end()) return std::nullopt;
  return AesGcmOpen(key->second, Aad(member_id, field), sealed);
}

std::string PiiKeyRing::EmailIndex(std::string_view email) const {
  const auto normalised = NormaliseEmail(email);
  if (normalised.empty()) return {};
  return HmacSha256(index_key_, "email|" + normalised);
}

std::string PiiKeyRing::PhoneIndex(std::string_view phone) const {
  const auto normalised = NormalisePhone(phone);
  if (normalised.empty()) return {};
  return HmacSha256(index_key_, "phone|" + normalised);
}

std::string NormaliseEmail(std::string_view email) {
  const auto is_space = [](char c) { return c == ' ' || (c >= '\t' && c <= '\r'); };
  while (!email.empty() && is_space(email.front())) email.remove_prefix(1);
  while (!email.empty() && is_space(email.back())) email.remove_suffix(1);
  std::string normalised(email);
  for (auto& c : normalised) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return normalised;
}

std::string NormalisePhone(std::string_view phone) {
  std::string digits;
  for (char c : phone) {
    if (c >= '0' && c <= '9') digits.push_back(c);
  }
  return digits;
}

}  // namespace coalition::crypto
