// TLS and mTLS (SPEC §8) with certificates from scripts/dev-certs.sh: the
// server refuses plaintext and untrusted clients, and under mTLS a client
// certificate registered with AdminService alone identifies its partner,
// beside API keys.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
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

// What `openssl x509 -noout -fingerprint -sha256` prints for `pem_file`
// ("AB:CD:..."), computed independently of the server's code.
std::string OpensslFingerprint(const fs::path& pem_file) {
  const std::string command =
      "openssl x509 -noout -fingerprint -sha256 -in " + pem_file.string() + " 2>/dev/null";
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(command.c_str(), "r"), pclose);
  if (!pipe) throw std::runtime_error("cannot run openssl");
  std::string output;
  char buffer[256];
  while (fgets(buffer, sizeof buffer, pipe.get()) != nullptr) output += buffer;
  const auto equals = output.find('=');
  if (equals == std::string::npos) throw std::runtime_error("no fingerprint from openssl");
  output = output.substr(equals + 1);
  while (!output.empty() && (output.back() == '\n' || output.back() == '\r')) output.pop_back();
  return output;
}

class MtlsE2eTest : public TlsE2eTest {
 protected:
  MtlsE2eTest() : TlsE2eTest(/*mutual=*/true) {}

  grpc::Status Register(const std::string& partner_code, v1::CertificateMatch match,
                        const std::string& identity, v1::ClientCertificate* registered) {
    v1::RegisterClientCertificateRequest request;
    request.set_partner_code(partner_code);
    request.set_match(match);
    request.set_identity(identity);
    v1::RegisterClientCertificateResponse response;
    auto status =
        AdminStub()->RegisterClientCertificate(Context(kOperatorKey).get(), request, &response);
    if (registered != nullptr) *registered = response.certificate();
    return status;
  }

  grpc::Status Revoke(const std::string& certificate_id) {
    v1::RevokeClientCertificateRequest request;
    request.set_certificate_id(certificate_id);
    v1::RevokeClientCertificateResponse response;
    return AdminStub()->RevokeClientCertificate(Context(kOperatorKey).get(), request, &response);
  }
};

TEST_F(MtlsE2eTest, ARegisteredCertificateIdentifiesItsPartner) {
  const auto market = CreatePartner("market");
  const auto fuel = CreatePartner("fuel");
  ASSERT_TRUE(Enroll(market.api_key, "TLS-CARD").ok());
  ASSERT_TRUE(Accrue(market.api_key, "tls-accrue", "TLS-CARD", 700).ok());

  // A verified certificate whose CN is a partner code names nobody until
  // an operator maps it.
  v1::GetMemberResponse response;
  auto status = GetMemberWith(Tls("market"), "", &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(Reason(status), "CLIENT_CERTIFICATE_NOT_REGISTERED");

  // Pinned by fingerprint, given as openssl prints it.
  const std::string fingerprint = OpensslFingerprint(CertDir() / "partner-market.pem");
  v1::ClientCertificate registered;
  status = Register("market", v1::CERTIFICATE_MATCH_SHA256_FINGERPRINT, fingerprint, &registered);
  ASSERT_TRUE(status.ok()) << sdk::FormatError(status);
  EXPECT_EQ(registered.partner_id(), market.partner_id);
  EXPECT_EQ(registered.identity().size(), 64u);  // normalised: no colons, lower case
  EXPECT_FALSE(registered.has_revoked_at());

  // The certificate alone: acts as partner "market".
  status = GetMemberWith(Tls("market"), "", &response);
  ASSERT_TRUE(status.ok()) << sdk::FormatError(status);
  EXPECT_EQ(response.member().balance(), 7);
  v1::ListTransactionsRequest list;
  list.set_card_number("TLS-CARD");
  v1::ListTransactionsResponse transactions;
  auto context = Context("");
  ASSERT_TRUE(StubWith(Tls("market"))->ListTransactions(context.get(), list, &transactions).ok());
  EXPECT_EQ(transactions.transactions_size(), 1);  // market's own accrual

  // The partner SDK's channel with a client certificate and no API key.
  sdk::ChannelOptions options;
  options.endpoint = channel_target_;
  options.tls = true;
  options.root_ca_file = (CertDir() / "ca.pem").string();
  options.client_cert_file = (CertDir() / "partner-market.pem").string();
  options.client_key_file = (CertDir() / "partner-market.key").string();
  auto sdk_stub = v1::PartnerService::NewStub(sdk::MakeChannel(options));
  grpc::ClientContext sdk_context;
  sdk::PrepareContext(sdk_context, options);
  v1::GetMemberRequest get;
  get.set_card_number("TLS-CARD");
  status = sdk_stub->GetMember(&sdk_context, get, &response);
  EXPECT_TRUE(status.ok()) << sdk::FormatError(status);

  // An unregistered certificate from the same CA.
  status = GetMemberWith(Tls("ghost"), "", &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(Reason(status), "CLIENT_CERTIFICATE_NOT_REGISTERED");
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

  // Revoked: refused at once on this instance.
  ASSERT_TRUE(Revoke(registered.certificate_id()).ok());
  status = GetMemberWith(Tls("market"), "", &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(Reason(status), "CLIENT_CERTIFICATE_NOT_REGISTERED");
  EXPECT_TRUE(Revoke(registered.certificate_id()).ok());  // twice is harmless
  v1::ListClientCertificatesRequest list_certificates;
  list_certificates.set_partner_code("market");
  v1::ListClientCertificatesResponse certificates;
  ASSERT_TRUE(AdminStub()
                  ->ListClientCertificates(Context(kOperatorKey).get(), list_certificates,
                                           &certificates)
                  .ok());
  ASSERT_EQ(certificates.certificates_size(), 1);
  EXPECT_TRUE(certificates.certificates(0).has_revoked_at());
  // Once revoked, the identity may be registered again.
  EXPECT_TRUE(Register("market", v1::CERTIFICATE_MATCH_SHA256_FINGERPRINT, fingerprint, nullptr)
                  .ok());
  EXPECT_TRUE(GetMemberWith(Tls("market"), "", &response).ok());
}

TEST_F(MtlsE2eTest, ACertificateMappedToOnePartnerCannotActAsAnother) {
  const auto market = CreatePartner("market");
  const auto fuel = CreatePartner("fuel");
  // By subject alternative name (dev-certs.sh puts DNS:<code> in each).
  v1::ClientCertificate registered;
  auto status =
      Register("market", v1::CERTIFICATE_MATCH_SUBJECT_ALT_NAME, "market", &registered);
  ASSERT_TRUE(status.ok()) << sdk::FormatError(status);
  // One identity, one partner.
  status = Register("fuel", v1::CERTIFICATE_MATCH_SUBJECT_ALT_NAME, "market", nullptr);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_EQ(Reason(status), "CLIENT_CERTIFICATE_TAKEN");

  // Fuel's member, accrual and hold.
  ASSERT_TRUE(Enroll(fuel.api_key, "FUEL-CARD").ok());
  ASSERT_TRUE(Accrue(fuel.api_key, "fuel-accrue", "FUEL-CARD", 500).ok());
  v1::HoldPointsRequest hold;
  hold.set_request_id("fuel-hold");
  hold.set_card_number("FUEL-CARD");
  hold.set_points(2);
  v1::HoldPointsResponse held;
  auto fuel_context = Context(fuel.api_key);
  ASSERT_TRUE(PartnerStub()->HoldPoints(fuel_context.get(), hold, &held).ok());
  const auto before = db_.Fingerprint();

  // Market's certificate with fuel's key: neither identity is taken.
  v1::GetMemberResponse response;
  status = GetMemberWith(Tls("market"), fuel.api_key, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(Reason(status), "CREDENTIALS_DISAGREE");
  // As market, fuel's transactions and holds are invisible.
  v1::ListTransactionsRequest list;
  list.set_card_number("FUEL-CARD");
  v1::ListTransactionsResponse transactions;
  auto context = Context("");
  status = StubWith(Tls("market"))->ListTransactions(context.get(), list, &transactions);
  ASSERT_TRUE(status.ok()) << sdk::FormatError(status);
  EXPECT_EQ(transactions.transactions_size(), 0);
  v1::VoidHoldRequest void_hold;
  void_hold.set_request_id("market-void");
  void_hold.set_hold_id(held.hold().hold_id());
  v1::VoidHoldResponse voided;
  auto void_context = Context("");
  status = StubWith(Tls("market"))->VoidHold(void_context.get(), void_hold, &voided);
  EXPECT_EQ(Reason(status), "HOLD_NOT_FOUND");
  EXPECT_EQ(db_.Fingerprint(), before);

  // Malformed registrations change nothing.
  status = Register("market", v1::CERTIFICATE_MATCH_SHA256_FINGERPRINT, "AB:CD", nullptr);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Field(status), "identity");
  status = Register("market", v1::CERTIFICATE_MATCH_UNSPECIFIED, "market", nullptr);
  EXPECT_EQ(Field(status), "match");
  status = Register("nobody", v1::CERTIFICATE_MATCH_SUBJECT_ALT_NAME, "x.example", nullptr);
  EXPECT_EQ(Reason(status), "PARTNER_NOT_FOUND");
  EXPECT_EQ(db_.QueryValue("SELECT count(*) FROM client_certificates"), "1");
}

}  // namespace
}  // namespace coalition::testing
