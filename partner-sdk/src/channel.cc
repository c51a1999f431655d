#include "coalition/sdk/channel.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/support/channel_arguments.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

#ifndef COALITION_SDK_VERSION
#define COALITION_SDK_VERSION "0.0.0"
#endif

namespace coalition::sdk {

namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw std::runtime_error("cannot read " + path + ": " + std::strerror(errno));
  }
  std::ostringstream contents;
  contents << in.rdbuf();
  if (in.bad()) throw std::runtime_error("cannot read " + path);
  return contents.str();
}

}  // namespace

std::string SdkUserAgent() { return std::string("coalition-partner-sdk/") + COALITION_SDK_VERSION; }

std::shared_ptr<grpc::Channel> MakeChannel(const ChannelOptions& options) {
  grpc::ChannelArguments args;
  std::string user_agent = SdkUserAgent();
  if (!options.user_agent_prefix.empty()) {
    user_agent = options.user_agent_prefix + " " + user_agent;
  }
  args.SetUserAgentPrefix(user_agent);

  std::shared_ptr<grpc::ChannelCredentials> credentials;
  if (options.tls) {
    grpc::SslCredentialsOptions ssl;
    if (!options.root_ca_file.empty()) ssl.pem_root_certs = ReadFile(options.root_ca_file);
    if (options.client_cert_file.empty() != options.client_key_file.empty()) {
      throw std::invalid_argument("mutual TLS needs both a client certificate and its key");
    }
    if (!options.client_cert_file.empty()) {
      ssl.pem_cert_chain = ReadFile(options.client_cert_file);
      ssl.pem_private_key = ReadFile(options.client_key_file);
    }
    credentials = grpc::SslCredentials(ssl);
  } else {
    credentials = grpc::InsecureChannelCredentials();
  }
  return grpc::CreateCustomChannel(options.endpoint, credentials, args);
}

void PrepareContext(grpc::ClientContext& context, const ChannelOptions& options) {
  if (!options.api_key.empty()) {
    context.AddMetadata("authorization", "Bearer " + options.api_key);
  }
  context.set_deadline(std::chrono::system_clock::now() + options.deadline);
}

}  // namespace coalition::sdk
