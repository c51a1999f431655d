#pragma once

#include <string>
#include <utility>
#include <variant>

namespace coalition::domain {

// The canonical outcomes a caller can act on; rpc/ maps them 1:1 to gRPC codes.
enum class ErrorCode {
  kInvalidArgument,
  kNotFound,
  kAlreadyExists,
  kFailedPrecondition,
  kUnauthenticated,
  kPermissionDenied,
  kResourceExhausted,
  kUnavailable,
  kInternal,
};

// A failure as a value: a code, a machine-readable reason (UPPER_SNAKE_CASE),
// a message safe to show a partner (never PII or secrets) and, for bad input,
// the offending field.
struct Error {
  ErrorCode code;
  std::string reason;
  std::string message;
  std::string field;

  static Error InvalidArgument(std::string field, std::string message,
                               std::string reason = "INVALID_ARGUMENT") {
    return {ErrorCode::kInvalidArgument, std::move(reason), std::move(message), std::move(field)};
  }
  static Error NotFound(std::string reason, std::string message) {
    return {ErrorCode::kNotFound, std::move(reason), std::move(message), {}};
  }
  static Error FailedPrecondition(std::string reason, std::string message) {
    return {ErrorCode::kFailedPrecondition, std::move(reason), std::move(message), {}};
  }
  static Error AlreadyExists(std::string reason, std::string message) {
    return {ErrorCode::kAlreadyExists, std::move(reason), std::move(message), {}};
  }
  static Error Unavailable(std::string reason, std::string message) {
    return {ErrorCode::kUnavailable, std::move(reason), std::move(message), {}};
  }
  static Error Internal(std::string message) {
    return {ErrorCode::kInternal, "INTERNAL", std::move(message), {}};
  }
};

// Either a value or an Error (std::expected arrives with C++23).
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::move(value)) {}       // NOLINT(google-explicit-constructor)
  Result(Error error) : state_(std::move(error)) {}   // NOLINT(google-explicit-constructor)

  bool ok() const { return std::holds_alternative<T>(state_); }
  explicit operator bool() const { return ok(); }
  const T& value() const& { return std::get<T>(state_); }
  T& value() & { return std::get<T>(state_); }
  T&& value() && { return std::get<T>(std::move(state_)); }
  const T& operator*() const& { return value(); }
  T& operator*() & { return value(); }
  const T* operator->() const { return &value(); }
  T* operator->() { return &value(); }
  const Error& error() const { return std::get<Error>(state_); }

 private:
  std::variant<T, Error> state_;
};

// For operations that return nothing on success.
struct Ok {};

}  // namespace coalition::domain
