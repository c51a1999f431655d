#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace coalition::rpc {

// Opaque page tokens: a position signed with HMAC-SHA256 and bound to a
// scope (the list and its filter), so a token can be neither forged nor
// replayed against another member's or partner's list.
class PageTokenCodec {
 public:
  explicit PageTokenCodec(std::string secret) : secret_(std::move(secret)) {}

  std::string Encode(std::string_view scope, int64_t position) const;
  // Nothing when the token is malformed, forged or from another scope.
  std::optional<int64_t> Decode(std::string_view token, std::string_view scope) const;

 private:
  std::string Mac(std::string_view scope, std::string_view position_bytes) const;
  const std::string secret_;
};

}  // namespace coalition::rpc
