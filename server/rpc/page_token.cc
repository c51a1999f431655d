#include "rpc/page_token.h"

#include "crypto/crypto.h"

namespace coalition::rpc {
namespace {
constexpr size_t kPositionBytes = 8;
constexpr size_t kMacBytes = 16;
}  // namespace

std::string PageTokenCodec::Mac(std::string_view scope, std::string_view position_bytes) const {
  std::string message(scope);
  message.push_back('\0');
  message.append(position_bytes);
  return crypto::HmacSha256(secret_, message).substr(0, kMacBytes);
}

std::string PageTokenCodec::Encode(std::string_view scope, int64_t position) const {
  std::string bytes(kPositionBytes, '\0');
  auto value = static_cast<uint64_t>(position);
  for (size_t i = 0; i < kPositionBytes; ++i) {
    bytes[kPositionBytes - 1 - i] = static_cast<char>(value & 0xFF);
    value >>= 8;
  }
  return crypto::Base64UrlEncode(bytes + Mac(scope, bytes));
}

std::optional<int64_t> PageTokenCodec::Decode(std::string_view token,
                                              std::string_view scope) const {
  std::string raw;
  if (token.size() > 64 || !crypto::Base64UrlDecode(token, raw) ||
      raw.size() != kPositionBytes + kMacBytes) {
    return std::nullopt;
  }
  const std::string position_bytes = raw.substr(0, kPositionBytes);
  if (!crypto::ConstantTimeEquals(raw.substr(kPositionBytes), Mac(scope, position_bytes))) {
    return std::nullopt;
  }
  uint64_t value = 0;
  for (char c : position_bytes) value = (value << 8) | static_cast<unsigned char>(c);
  return static_cast<int64_t>(value);
}

}  // namespace coalition::rpc
