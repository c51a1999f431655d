#pragma once

#include <string>
#include <string_view>

namespace coalition::crypto {

// Raw 32-byte digests.
std::string Sha256(std::string_view data);
std::string HmacSha256(std::string_view key, std::string_view data);

// Cryptographically secure random bytes (OpenSSL RAND_bytes); throws if the
// generator fails, which leaves nothing safe to do.
std::string RandomBytes(size_t count);

// RFC 4648 §5 without padding.
std::string Base64UrlEncode(std::string_view data);
// Returns false on any character outside the alphabet.
bool Base64UrlDecode(std::string_view text, std::string& out);

std::string HexEncode(std::string_view data);
// Returns false on an odd length or a character outside [0-9a-fA-F].
bool HexDecode(std::string_view text, std::string& out);

// Comparison whose time does not depend on where the inputs differ.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

// SHA-256 of the DER encoding of the first certificate in `pem`, in lowercase
// hex (what `openssl x509 -noout -fingerprint -sha256` shows, without the
// colons); empty when `pem` holds no readable certificate.
std::string CertificateSha256Fingerprint(std::string_view pem);

}  // namespace coalition::crypto
