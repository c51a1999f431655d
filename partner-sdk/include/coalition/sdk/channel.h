#pragma once

#include <grpcpp/channel.h>
#include <grpcpp/client_context.h>

#include <chrono>
#include <memory>
#include <string>

namespace coalition::sdk {

/// How to reach and authenticate to a Coalition server.
struct ChannelOptions {
  /// host:port of the server (any gRPC target URI works too).
  std::string endpoint = "127.0.0.1:50051";
  /// Use TLS. Plaintext is for local development only: the API key travels
  /// in every call's metadata.
  bool tls = false;
  /// PEM file of root certificates to trust; empty means the system roots.
  /// Only used with `tls`.
  std::string root_ca_file;
  /// PEM client certificate chain and private key for mutual TLS; both or
  /// neither. Only used with `tls`.
  std::string client_cert_file;
  std::string client_key_file;
  /// Sent as `authorization: Bearer <api_key>` on every call.
  std::string api_key;
  /// Per-call deadline, applied by PrepareContext.
  std::chrono::milliseconds deadline{5000};
  /// Prepended to the SDK's user agent (e.g. "coalitionctl/0.1.0") so the
  /// server's logs tell the tools apart.
  std::string user_agent_prefix;
};

/// The SDK's own user agent token, "coalition-partner-sdk/<version>".
std::string SdkUserAgent();

/// Creates a channel to `options.endpoint`. The channel connects lazily, so an
/// unreachable server shows up as UNAVAILABLE on the first call, not here.
/// Throws std::runtime_error if `root_ca_file`, `client_cert_file` or
/// `client_key_file` cannot be read, std::invalid_argument if only one of the
/// last two is set.
std::shared_ptr<grpc::Channel> MakeChannel(const ChannelOptions& options);

/// Adds the API key and the deadline to `context`. Call once per call: a
/// ClientContext must not be reused.
void PrepareContext(grpc::ClientContext& context, const ChannelOptions& options);

}  // namespace coalition::sdk
