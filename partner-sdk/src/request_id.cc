#include "coalition/sdk/request_id.h"

#include <openssl/err.h>
#include <openssl/rand.h>

#include <array>
#include <stdexcept>
#include <string>

namespace coalition::sdk {

std::string NewRequestId() {
  // 128 bits keeps collisions between independent tills out of reach without
  // any coordination between them.
  std::array<unsigned char, 16> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
    throw std::runtime_error("RAND_bytes failed: " + std::to_string(ERR_get_error()));
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id = "req_";
  id.reserve(4 + 2 * bytes.size());
  for (unsigned char b : bytes) {
    id += kHex[b >> 4];
    id += kHex[b & 0x0f];
  }
  return id;
}

}  // namespace coalition::sdk
