// The Prometheus endpoint: after a few calls its counters have moved by
// exactly those calls, by method and status code.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <sstream>

#include "e2e/e2e_fixture.h"

namespace coalition::testing {
namespace {

// GET http://127.0.0.1:<port>/metrics; the body, or "" on any failure.
std::string Scrape(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return "";
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string response;
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0) {
    const std::string request =
        "GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    if (write(fd, request.data(), request.size()) == static_cast<ssize_t>(request.size())) {
      char buffer[4096];
      for (ssize_t n; (n = read(fd, buffer, sizeof buffer)) > 0;) response.append(buffer, n);
    }
  }
  close(fd);
  const auto body = response.find("\r\n\r\n");
  return body == std::string::npos ? "" : response.substr(body + 4);
}

// The value of the sample `name{labels}` (labels as exposed, sorted by
// name), or 0 when it is not there yet.
double Sample(const std::string& exposition, const std::string& series) {
  std::istringstream lines(exposition);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind(series + " ", 0) == 0) return std::stod(line.substr(series.size() + 1));
  }
  return 0;
}

const std::string kAccrueOk =
    R"(coalition_rpc_requests_total{code="OK",method="/coalition.v1.PartnerService/Accrue"})";
const std::string kAccrueUnauthenticated =
    R"(coalition_rpc_requests_total{code="UNAUTHENTICATED",method="/coalition.v1.PartnerService/Accrue"})";
const std::string kRedeemRefused =
    R"(coalition_rpc_requests_total{code="FAILED_PRECONDITION",method="/coalition.v1.PartnerService/Redeem"})";
const std::string kAccrueLatencyCount =
    R"(coalition_rpc_latency_seconds_count{code="OK",method="/coalition.v1.PartnerService/Accrue"})";

class MetricsE2eTest : public E2eFixture {};

TEST_F(MetricsE2eTest, CountersMoveByTheCallsMadeByMethodAndCode) {
  ASSERT_GT(server_->metrics_port(), 0);
  const auto market = CreatePartner("metrics-mart", 1, 100, /*auto_enroll=*/true);
  const std::string before = Scrape(server_->metrics_port());
  ASSERT_NE(before.find("coalition_db_pool_connections"), std::string::npos) << before;

  ASSERT_TRUE(Accrue(market.api_key, "metrics-1", "METRICS-CARD", 500).ok());
  ASSERT_TRUE(Accrue(market.api_key, "metrics-2", "METRICS-CARD", 700).ok());
  ASSERT_TRUE(Accrue(market.api_key, "metrics-2", "METRICS-CARD", 700).ok());  // replay
  EXPECT_EQ(Accrue("ck_metrics-mart_not-a-key", "metrics-3", "METRICS-CARD", 700).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(Redeem(market.api_key, "metrics-4", "METRICS-CARD", 1000).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);

  const std::string after = Scrape(server_->metrics_port());
  EXPECT_EQ(Sample(after, kAccrueOk) - Sample(before, kAccrueOk), 3);
  EXPECT_EQ(Sample(after, kAccrueLatencyCount) - Sample(before, kAccrueLatencyCount), 3);
  EXPECT_EQ(Sample(after, kAccrueUnauthenticated) - Sample(before, kAccrueUnauthenticated), 1);
  EXPECT_EQ(Sample(after, kRedeemRefused) - Sample(before, kRedeemRefused), 1);
  EXPECT_GE(Sample(after, R"(coalition_db_pool_connections{state="size"})"), 8);
  EXPECT_GT(Sample(after, "coalition_db_pool_wait_seconds_count"),
            Sample(before, "coalition_db_pool_wait_seconds_count"));
}

}  // namespace
}  // namespace coalition::testing
