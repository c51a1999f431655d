#pragma once

#include <grpcpp/support/status.h>

#include <chrono>
#include <functional>
#include <string>
#include <string_view>

namespace coalition::sdk {

/// How the SDK retries a failed call. Only UNAVAILABLE and DEADLINE_EXCEEDED
/// are ever retried (the request may not have reached the server, or its
/// answer was lost); every other code is final. Money moves are retried with
/// the same request_id, so the server applies them at most once.
///
/// The delay before retry n (n = 1, 2, ...) is drawn uniformly from
/// [0, min(max_backoff, initial_backoff * multiplier^(n-1))] ("full jitter"),
/// so that many tills recovering from the same outage do not retry in step.
struct RetryPolicy {
  /// Attempts in all, the first one included. 1 disables retries.
  int max_attempts = 5;
  std::chrono::milliseconds initial_backoff{100};
  std::chrono::milliseconds max_backoff{2000};
  double multiplier = 2.0;
  /// Budget for the whole call, every attempt and delay included. No attempt
  /// starts after it is spent, and no attempt's deadline runs past it.
  std::chrono::milliseconds total_timeout{15000};
};

/// What the SDK reports after each attempt of a call (see Options::on_attempt).
struct AttemptInfo {
  /// The RPC's method name, e.g. "Accrue".
  std::string_view method;
  /// 1 for the first attempt.
  int attempt = 0;
  /// The request_id sent with the attempt; empty for reads.
  std::string_view request_id;
  /// How the attempt ended.
  const grpc::Status* status = nullptr;
  /// True when the SDK will retry after this attempt.
  bool will_retry = false;
};

/// Everything a PartnerConnection needs, with production defaults.
struct Options {
  /// host:port of the Coalition server (any gRPC target URI works too).
  std::string endpoint = "localhost:50051";
  /// TLS is on by default. Turn it off only for local development: the API
  /// key travels in every call's metadata.
  bool tls = true;
  /// PEM file of root certificates to trust; empty means the system roots.
  std::string root_ca_file;
  /// PEM client certificate chain and private key for mutual TLS; both or
  /// neither.
  std::string client_cert_file;
  std::string client_key_file;
  /// Partner API key, sent as `authorization: Bearer <api_key>`. May stay
  /// empty when `client_cert_file` is a certificate the operator registered
  /// for this partner (`coalitionctl partner cert add`): it then identifies
  /// the partner alone.
  std::string api_key;
  /// Deadline of each attempt (capped by what is left of the retry budget).
  std::chrono::milliseconds deadline{5000};
  RetryPolicy retry;
  /// Prepended to the SDK's user agent ("coalition-partner-sdk/<version>"),
  /// e.g. "acme-till/3.2".
  std::string user_agent_prefix;
  /// Called after every attempt, on the calling thread; for logs and metrics.
  /// Must be thread-safe if the client is shared between threads. Optional.
  std::function<void(const AttemptInfo&)> on_attempt;
};

}  // namespace coalition::sdk
