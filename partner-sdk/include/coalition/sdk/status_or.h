#pragma once

#include <grpcpp/support/status.h>

#include <optional>
#include <stdexcept>
#include <utility>

#include "coalition/sdk/errors.h"

namespace coalition::sdk {

/// Thrown by StatusOr<T>::value() when there is no value. Carries the error.
class BadStatusOrAccess : public std::runtime_error {
 public:
  explicit BadStatusOrAccess(ErrorDetails details)
      : std::runtime_error(FormatError(details)), details_(std::move(details)) {}
  const ErrorDetails& details() const noexcept { return details_; }

 private:
  ErrorDetails details_;
};

/// Either a value (the response message of a call) or the error that ended the
/// call, google-cloud-cpp style. Check ok() before touching the value:
///
///     auto accrued = client.Accrue(request);
///     if (!accrued) {
///       if (accrued.error().reason == "MEMBER_NOT_FOUND") ...
///       std::cerr << FormatError(accrued.error()) << "\n";
///     } else {
///       std::cout << accrued->balance() << "\n";
///     }
///
/// When the SDK retried, the error is the one of the last attempt.
template <typename T>
class StatusOr {
 public:
  /// A value: the call succeeded.
  StatusOr(T value) : value_(std::move(value)) {}  // NOLINT: implicit on purpose
  /// An error. An OK `status` without a value is a programming error and is
  /// turned into UNKNOWN so that ok() never lies.
  StatusOr(const grpc::Status& status)  // NOLINT: implicit on purpose
      : status_(status.ok() ? grpc::Status(grpc::StatusCode::UNKNOWN,
                                           "StatusOr built from an OK status without a value")
                            : status),
        error_(DecodeError(status_)) {}

  bool ok() const noexcept { return value_.has_value(); }
  explicit operator bool() const noexcept { return ok(); }

  /// OK when there is a value; else the final gRPC status (with its
  /// `grpc-status-details-bin` payload intact).
  const grpc::Status& status() const noexcept { return status_; }
  /// The decoded error: code, reason (e.g. "INSUFFICIENT_POINTS"), metadata.
  /// code is OK and the rest empty when there is a value.
  const ErrorDetails& error() const noexcept { return error_; }
  grpc::StatusCode code() const noexcept { return error_.code; }

  /// The value; throws BadStatusOrAccess when there is none.
  T& value() & {
    Check();
    return *value_;
  }
  const T& value() const& {
    Check();
    return *value_;
  }
  T&& value() && {
    Check();
    return std::move(*value_);
  }

  /// Unchecked access: only after ok() returned true.
  T& operator*() & { return *value_; }
  const T& operator*() const& { return *value_; }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }

 private:
  void Check() const {
    if (!value_) throw BadStatusOrAccess(error_);
  }

  std::optional<T> value_;
  grpc::Status status_;  // default: OK
  ErrorDetails error_;   // default: code OK
};

}  // namespace coalition::sdk
