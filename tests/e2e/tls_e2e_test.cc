// TLS and mTLS (SPEC §8) with certificates from scripts/dev-certs.sh: the
// server refuses plaintext and untrusted clients, and under mTLS a client
// certificate alone identifies a partner, beside API keys.
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>

#include <grpcpp/create_channel.h>

#include "coalition/sdk/channel.h"
#include "e2e/e2e_fixture.h"

namespace coalition::testing {
namespace {

namespace fs = std::filesystem;

// Certificates for this test binary: a CA, a server certificate for
// localhost, and client certificates for partners "market" and "ghost".
const fs::path& CertDir() {
  static const fs::path dir = fs::temp_directory_path() /
                              ("coalition_tls_e2e_" + std::to_string(::getpid()));
  static std::once_flag once;
  std::call_once(once, [] {
    const std::string command = std::string("bash ") + COALITION_DEV_CERTS_SCRIPT + " --out " +
                                dir.string() + " market ghost >/dev/null 2>&1";
    if (std::system(command.c_str()) != 0) throw std::runtime_error("dev-certs.sh failed");
  });
  return dir;
}

std::string Read(const fs::path& path) {
  std::ifstream in(path);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::shared_ptr<grpc::ChannelCredentials> Tls(const std::string& client = "") {
  grpc::SslCredentialsOptions options;
  options.pem_root_certs = Read(CertDir() / "ca.pem");
  if (!client.empty()) {
    options.pem_cert_chain = Read(CertDir() / ("partner-" + client + ".pem"));
    options.pem_private_key = Read(CertDir() / ("partner-" + client + ".key"));
  }
  return grpc::SslCredentials(options);
}

class TlsE2eTest : public E2eFixture {
 protected:
  explicit TlsE2eTest(bool mutual = false)
      : E2eFixture([mutual](app::Config& config) {
          config.tls_cert_file = (CertDir() / "server.pem").string();
          config.tls_key_file = (CertDir() / "server.key").string();
          if (mutual) config.tls_client_ca_file = (CertDir() / "ca.pem").string();
        }) {
    // The certificate names localhost, so clients dial that name.
    channel_target_ = "localhost:" + std::to_string(server_->port());
    channel_credentials_ = Tls();
  }

  std::unique_ptr<v1::PartnerService::Stub> StubWith(
      const std::shared_ptr<grpc::ChannelCredentials>& credentials) const {
    return v1::PartnerService::NewStub(grpc::CreateChannel(channel_target_, credentials));
  }

  grpc::Status GetMemberWith(const std::shared_ptr<grpc::ChannelCredentials>& credentials,
                             const std::string& key, v1::GetMemberResponse* response) {
    v1::GetMemberRequest request;
    request.set_card_number("TLS-CARD");
    auto context = Context(key);
    context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    return StubWith(credentials)->GetMember(context.get(), request, response);
  }
};

TEST_F(TlsE2eTest, TrustedClientsOnlyAndNeverPlaintext) {
  const auto market = CreatePartner("market");
  ASSERT_TRUE(Enroll(market.api_key, "TLS-CARD").ok());
  v1::GetMemberResponse response;
  auto status = GetMemberWith(Tls(), market.api_key, &response);
  ASSERT_TRUE(status.ok()) << sdk::FormatError(status);
  EXPECT_EQ(response.member().card_numbers(0), "TLS-CARD");

  // The partner SDK's channel with the CA configured.
  sdk::ChannelOptions options;
  options.endpoint = channel_target_;
  options.tls = true;
  options.root_ca_file = (CertDir() / "ca.pem").string();
  options.api_key = market.api_key;
  auto sdk_stub = v1::PartnerService::NewStub(sdk::MakeChannel(options));
  grpc::ClientContext context;
  sdk::PrepareContext(context, options);
  v1::GetMemberRequest request;
  request.set_card_number("TLS-CARD");
  EXPECT_TRUE(sdk_stub->GetMember(&context, request, &response).ok());

  // Plaintext, or TLS without trusting the CA: no connection at all.
  EXPECT_EQ(GetMemberWith(grpc::InsecureChannelCredentials(), market.api_key, &response)
                .error_code(),
            grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(GetMemberWith(grpc::SslCredentials({}), market.api_key, &response).error_code(),
            grpc::StatusCode::UNAVAILABLE);
  // Without mTLS configured a client certificate identifies nobody.
  status = GetMemberWith(Tls("market"), "", &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
}

class MtlsE2eTest : public TlsE2eTest {
 protected:
  MtlsE2eTest() : TlsE2eTest(/*mutual=*/true) {}
};

TEST_F(MtlsE2eTest, AClientCertificateIdentifiesItsPartner) {
  const auto market = CreatePartner("market");
  const auto fuel = CreatePartner("fuel");
  ASSERT_TRUE(Enroll(market.api_key, "TLS-CARD").ok());
  ASSERT_TRUE(Accrue(market.api_key, "tls-accrue", "TLS-CARD", 700).ok());

  // The certificate alone: acts as partner "market".
  v1::GetMemberResponse response;
  auto status = GetMemberWith(Tls("market"), "", &response);
  ASSERT_TRUE(status.ok()) << sdk::FormatError(status);
  EXPECT_EQ(response.member().balance(), 7);
  v1::ListTransactionsRequest list;
  list.set_card_number("TLS-CARD");
  v1::ListTransactionsResponse transactions;
  auto context = Context("");
  ASSERT_TRUE(StubWith(Tls("market"))->ListTransactions(context.get(), list, &transactions).ok());
  EXPECT_EQ(transactions.transactions_size(), 1);  // market's own accrual

  // A certificate for a code that is no partner.
  status = GetMemberWith(Tls("ghost"), "", &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  // A certificate of one partner with another partner's key.
  status = GetMemberWith(Tls("market"), fuel.api_key, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  // The matching key with the certificate, and API keys without one, work.
  EXPECT_TRUE(GetMemberWith(Tls("market"), market.api_key, &response).ok());
  EXPECT_TRUE(GetMemberWith(Tls(), fuel.api_key, &response).ok());
  // A certificate never grants a staff role.
  v1::ListPartnersResponse partners;
  auto admin_context = Context("");
  EXPECT_EQ(v1::AdminService::NewStub(grpc::CreateChannel(channel_target_, Tls("market")))
                ->ListPartners(admin_context.get(), {}, &partners)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

}  // namespace
}  // namespace coalition::testing
