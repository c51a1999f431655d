#pragma once

#include <string>

namespace coalition::sdk {

/// A fresh idempotency key for a money-moving call: "req_" followed by 128
/// random bits in hex (36 characters). Generate it once per business
/// operation and reuse it on every retry of that operation, so a retry after a
/// lost response cannot apply the operation twice.
/// Throws std::runtime_error if the OpenSSL random generator fails.
std::string NewRequestId();

}  // namespace coalition::sdk
