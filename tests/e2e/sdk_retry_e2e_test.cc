// The partner SDK's retries against the real server, through a loopback TCP
// proxy that can cut the connection mid-call: a money move whose response is
// lost after the server applied it is retried with the same request_id and
// applied exactly once; client errors are not retried; a dead endpoint is
// given up on after max_attempts, within the time budget.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <functional>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "coalition/sdk/partner_client.h"
#include "coalition/sdk/partner_connection.h"
#include "e2e/e2e_fixture.h"

namespace coalition::testing {
namespace {

// A listening socket on 127.0.0.1 with a kernel-chosen port.
int ListenLoopback(int* port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::runtime_error("socket: " + std::string(std::strerror(errno)));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 || ::listen(fd, 16) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    ::close(fd);
    throw std::runtime_error("bind/listen: " + std::string(std::strerror(errno)));
  }
  *port = ntohs(addr.sin_port);
  return fd;
}

int ConnectLoopback(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

bool SendAll(int fd, const char* data, size_t size) {
  while (size > 0) {
    const ssize_t n = ::send(fd, data, size, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

constexpr size_t kFrameHeaderSize = 9;
constexpr uint8_t kFrameTypeHeaders = 0x1;
constexpr std::string_view kClientPreface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

struct FrameHeader {
  uint32_t length;
  uint8_t type;
  uint32_t stream_id;
};

FrameHeader ParseFrameHeader(const std::string& buffer, size_t at) {
  auto byte = [&](size_t i) { return static_cast<uint32_t>(static_cast<uint8_t>(buffer[at + i])); };
  return {(byte(0) << 16) | (byte(1) << 8) | byte(2), static_cast<uint8_t>(byte(3)),
          ((byte(5) << 24) | (byte(6) << 16) | (byte(7) << 8) | byte(8)) & 0x7fffffffu};
}

// Forwards TCP between gRPC clients and the server, and understands just
// enough HTTP/2 (frame headers) to count the calls the clients start and to
// cut a connection at a chosen moment: once armed, it drops the connection
// instead of forwarding the next response HEADERS frame from the server. The
// gRPC server sends a unary call's response headers only after its handler
// returned, so at that point the call was applied; the client sees the
// connection die with the call in flight (UNAVAILABLE).
//
// Bounded: at most kMaxConnections connections, two threads each, all joined
// by the destructor; no sleeps.
class CuttingProxy {
 public:
  static constexpr int kMaxConnections = 32;

  explicit CuttingProxy(int upstream_port) : upstream_port_(upstream_port) {
    listen_fd_ = ListenLoopback(&port_);
    acceptor_ = std::thread([this] { AcceptLoop(); });
  }

  ~CuttingProxy() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopping_ = true;
    }
    ::shutdown(listen_fd_, SHUT_RDWR);  // wakes accept()
    acceptor_.join();
    ::close(listen_fd_);
    for (auto& connection : connections_) {
      ::shutdown(connection->client_fd, SHUT_RDWR);
      ::shutdown(connection->server_fd, SHUT_RDWR);
    }
    for (auto& connection : connections_) {
      connection->client_to_server.join();
      connection->server_to_client.join();
      ::close(connection->client_fd);
      ::close(connection->server_fd);
    }
  }

  std::string target() const { return "127.0.0.1:" + std::to_string(port_); }

  // Cuts the connection that carries the next response; `on_cut` runs first,
  // while the client is still waiting for its answer.
  void CutNextResponse(std::function<void()> on_cut) {
    std::lock_guard<std::mutex> lock(mu_);
    on_cut_ = std::move(on_cut);
    armed_ = true;
  }

  int connections() const { return connections_accepted_.load(); }
  // Calls started by clients: HEADERS frames that open a stream.
  int calls() const { return calls_.load(); }
  int cuts() const { return cuts_.load(); }

 private:
  struct Connection {
    int client_fd = -1;
    int server_fd = -1;
    std::thread client_to_server;
    std::thread server_to_client;
  };

  void AcceptLoop() {
    for (;;) {
      const int client = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      std::lock_guard<std::mutex> lock(mu_);
      if (stopping_) {
        if (client >= 0) ::close(client);
        return;
      }
      if (client < 0) {
        if (errno == EINTR || errno == ECONNABORTED) continue;
        return;
      }
      const int server = ConnectLoopback(upstream_port_);
      if (server < 0 || static_cast<int>(connections_.size()) >= kMaxConnections) {
        ::close(client);
        if (server >= 0) ::close(server);
        continue;
      }
      ++connections_accepted_;
      auto connection = std::make_unique<Connection>();
      connection->client_fd = client;
      connection->server_fd = server;
      Connection* c = connection.get();
      c->client_to_server = std::thread([this, c] { ClientToServer(*c); });
      c->server_to_client = std::thread([this, c] { ServerToClient(*c); });
      connections_.push_back(std::move(connection));
    }
  }

  static void Close(Connection& c) {
    ::shutdown(c.client_fd, SHUT_RDWR);
    ::shutdown(c.server_fd, SHUT_RDWR);
  }

  void ClientToServer(Connection& c) {
    std::string pending;  // not yet parsed, for counting calls
    size_t skip = kClientPreface.size();
    char chunk[16384];
    for (;;) {
      const ssize_t n = ::recv(c.client_fd, chunk, sizeof(chunk), 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      pending.append(chunk, static_cast<size_t>(n));
      for (;;) {
        if (skip > 0) {
          const size_t drop = std::min(skip, pending.size());
          pending.erase(0, drop);
          skip -= drop;
          if (skip > 0) break;
        }
        if (pending.size() < kFrameHeaderSize) break;
        const FrameHeader frame = ParseFrameHeader(pending, 0);
        if (frame.type == kFrameTypeHeaders && frame.stream_id % 2 == 1) ++calls_;
        pending.erase(0, kFrameHeaderSize);
        skip = frame.length;
      }
      if (!SendAll(c.server_fd, chunk, static_cast<size_t>(n))) break;
    }
    Close(c);
  }

  void ServerToClient(Connection& c) {
    std::string pending;
    char chunk[16384];
    for (;;) {
      const ssize_t n = ::recv(c.server_fd, chunk, sizeof(chunk), 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      pending.append(chunk, static_cast<size_t>(n));
      // Forward whole frames only, so a cut can fall between two of them.
      size_t at = 0;
      while (pending.size() - at >= kFrameHeaderSize) {
        const FrameHeader frame = ParseFrameHeader(pending, at);
        const size_t size = kFrameHeaderSize + frame.length;
        if (pending.size() - at < size) break;
        if (frame.type == kFrameTypeHeaders && frame.stream_id != 0 && TakeCut()) {
          Close(c);
          return;
        }
        if (!SendAll(c.client_fd, pending.data() + at, size)) {
          Close(c);
          return;
        }
        at += size;
      }
      pending.erase(0, at);
    }
    Close(c);
  }

  // True (once per arming) when this response is the one to cut.
  bool TakeCut() {
    std::function<void()> on_cut;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!armed_) return false;
      armed_ = false;
      on_cut = std::move(on_cut_);
    }
    if (on_cut) on_cut();
    ++cuts_;
    return true;
  }

  const int upstream_port_;
  int port_ = 0;
  int listen_fd_ = -1;
  std::thread acceptor_;
  std::mutex mu_;
  bool stopping_ = false;
  bool armed_ = false;
  std::function<void()> on_cut_;
  std::vector<std::unique_ptr<Connection>> connections_;  // guarded by mu_ until stopping_
  std::atomic<int> connections_accepted_{0};
  std::atomic<int> calls_{0};
  std::atomic<int> cuts_{0};
};

// What the SDK reported about each attempt.
struct Attempts {
  std::mutex mu;
  std::vector<std::string> request_ids;
  std::vector<grpc::StatusCode> codes;

  void Attach(sdk::Options& options) {
    options.on_attempt = [this](const sdk::AttemptInfo& info) {
      std::lock_guard<std::mutex> lock(mu);
      request_ids.emplace_back(info.request_id);
      codes.push_back(info.status->error_code());
    };
  }
  size_t size() {
    std::lock_guard<std::mutex> lock(mu);
    return codes.size();
  }
};

class SdkRetryE2eTest : public E2eFixture {
 protected:
  sdk::Options LocalOptions(const std::string& endpoint, const std::string& api_key) {
    sdk::Options options;
    options.endpoint = endpoint;
    options.tls = false;  // loopback test server
    options.api_key = api_key;
    options.retry.initial_backoff = std::chrono::milliseconds(10);
    options.retry.max_backoff = std::chrono::milliseconds(50);
    attempts_.Attach(options);
    return options;
  }

  v1::AccrueRequest Accrual(const std::string& card, int64_t amount_minor) {
    v1::AccrueRequest request;
    request.set_card_number(card);
    request.mutable_amount()->set_currency_code("USD");
    request.mutable_amount()->set_amount_minor(amount_minor);
    return request;
  }

  Attempts attempts_;
};

TEST_F(SdkRetryE2eTest, LostAccrueResponseIsRetriedWithTheSameRequestIdAndAppliedOnce) {
  const auto market = CreatePartner("market", 1, 100);
  ASSERT_TRUE(Enroll(market.api_key, "6001-0001").ok());
  ASSERT_EQ(db_.QueryValue("SELECT count(*) FROM transfers"), "0");

  CuttingProxy proxy(server_->port());
  std::string transfers_at_cut;
  proxy.CutNextResponse(
      [&] { transfers_at_cut = db_.QueryValue("SELECT count(*) FROM transfers"); });
  sdk::PartnerClient client(
      sdk::MakePartnerConnection(LocalOptions(proxy.target(), market.api_key)));

  // No request_id: the SDK must pick one before the first attempt.
  auto accrued = client.Accrue(Accrual("6001-0001", 12'345));
  ASSERT_TRUE(accrued.ok()) << sdk::FormatError(accrued.error());

  // The first attempt reached the server and was applied before the client
  // lost the connection; otherwise this test would prove nothing.
  EXPECT_EQ(proxy.cuts(), 1);
  EXPECT_EQ(transfers_at_cut, "1");
  ASSERT_GE(attempts_.codes.size(), 2u);
  EXPECT_EQ(attempts_.codes.front(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(attempts_.codes.back(), grpc::StatusCode::OK);
  EXPECT_EQ(proxy.calls(), static_cast<int>(attempts_.codes.size()));
  EXPECT_GE(proxy.connections(), 2);  // the retry went over a new connection

  // One request_id, generated by the SDK, sent on every attempt.
  const std::string request_id = attempts_.request_ids.front();
  EXPECT_EQ(request_id.rfind("req_", 0), 0u) << request_id;
  for (const std::string& id : attempts_.request_ids) EXPECT_EQ(id, request_id);

  // Applied exactly once, and the client was told about that one transfer.
  EXPECT_EQ(db_.QueryValue("SELECT count(*) FROM transfers"), "1");
  EXPECT_EQ(db_.QueryValue("SELECT id::text FROM transfers"), accrued->transfer_id());
  EXPECT_EQ(db_.QueryValue("SELECT request_id FROM transfers"), request_id);
  EXPECT_EQ(accrued->points_earned(), 123);
  EXPECT_EQ(accrued->balance(), 123);
  EXPECT_EQ(GetMember(market.api_key, "6001-0001").balance(), 123);

  // And the client keeps working over the same connection.
  v1::GetMemberRequest lookup;
  lookup.set_card_number("6001-0001");
  auto member = client.GetMember(lookup);
  ASSERT_TRUE(member.ok()) << sdk::FormatError(member.error());
  EXPECT_EQ(member->member().balance(), 123);
  ExpectLedgerConsistent();
}

TEST_F(SdkRetryE2eTest, LostRedeemResponseIsAppliedOnce) {
  const auto market = CreatePartner("market", 1, 1);
  const auto fuel = CreatePartner("fuel", 1, 1);
  ASSERT_TRUE(Enroll(market.api_key, "6001-0002").ok());
  ASSERT_TRUE(Accrue(market.api_key, "seed-1", "6001-0002", 500).ok());

  CuttingProxy proxy(server_->port());
  proxy.CutNextResponse(nullptr);
  sdk::PartnerClient client(sdk::MakePartnerConnection(LocalOptions(proxy.target(), fuel.api_key)));
  v1::RedeemRequest redeem;
  redeem.set_request_id("pump-7-0001");  // the caller's own id is kept
  redeem.set_card_number("6001-0002");
  redeem.set_points(200);
  auto redeemed = client.Redeem(redeem);
  ASSERT_TRUE(redeemed.ok()) << sdk::FormatError(redeemed.error());
  EXPECT_EQ(proxy.cuts(), 1);
  EXPECT_GE(attempts_.size(), 2u);
  for (const std::string& id : attempts_.request_ids) EXPECT_EQ(id, "pump-7-0001");
  EXPECT_EQ(redeemed->balance(), 300);
  EXPECT_EQ(db_.QueryValue("SELECT count(*) FROM transfers WHERE kind = 'REDEMPTION'"), "1");
  EXPECT_EQ(db_.QueryValue("SELECT id::text FROM transfers WHERE kind = 'REDEMPTION'"),
            redeemed->transfer_id());
  EXPECT_EQ(GetMember(market.api_key, "6001-0002").balance(), 300);
  ExpectLedgerConsistent();
}

TEST_F(SdkRetryE2eTest, ClientErrorsAreNotRetried) {
  const auto market = CreatePartner("market", 1, 100);
  ASSERT_TRUE(Enroll(market.api_key, "6001-0003").ok());
  CuttingProxy proxy(server_->port());
  sdk::PartnerClient client(
      sdk::MakePartnerConnection(LocalOptions(proxy.target(), market.api_key)));

  // INVALID_ARGUMENT: a negative amount.
  auto invalid = client.Accrue(Accrual("6001-0003", -5));
  EXPECT_EQ(invalid.code(), grpc::StatusCode::INVALID_ARGUMENT)
      << sdk::FormatError(invalid.error());
  EXPECT_EQ(attempts_.size(), 1u);
  EXPECT_EQ(proxy.calls(), 1);

  // FAILED_PRECONDITION: more points than the member has.
  v1::RedeemRequest redeem;
  redeem.set_card_number("6001-0003");
  redeem.set_points(1'000);
  auto refused = client.Redeem(redeem);
  EXPECT_EQ(refused.code(), grpc::StatusCode::FAILED_PRECONDITION)
      << sdk::FormatError(refused.error());
  EXPECT_EQ(refused.error().reason, "INSUFFICIENT_POINTS");
  EXPECT_EQ(attempts_.size(), 2u);
  EXPECT_EQ(proxy.calls(), 2);

  // NOT_FOUND on a read: not retried either.
  v1::GetMemberRequest lookup;
  lookup.set_card_number("9999-9999");
  auto missing = client.GetMember(lookup);
  EXPECT_EQ(missing.error().reason, "MEMBER_NOT_FOUND");
  EXPECT_EQ(attempts_.size(), 3u);
  EXPECT_EQ(proxy.calls(), 3);
  EXPECT_EQ(db_.QueryValue("SELECT count(*) FROM transfers"), "0");
}

TEST_F(SdkRetryE2eTest, DeadEndpointStopsAtMaxAttemptsWithinTheBudget) {
  int port = 0;
  ::close(ListenLoopback(&port));  // a port nobody listens on any more
  sdk::Options options = LocalOptions("127.0.0.1:" + std::to_string(port), "some-key");
  options.retry.max_attempts = 5;
  options.retry.total_timeout = std::chrono::seconds(10);
  sdk::PartnerClient client(sdk::MakePartnerConnection(options));
  const auto start = std::chrono::steady_clock::now();
  auto accrued = client.Accrue(Accrual("6001-0004", 100));
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(accrued.code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(attempts_.size(), 5u);
  EXPECT_LT(elapsed, options.retry.total_timeout);
  for (const std::string& id : attempts_.request_ids) EXPECT_EQ(id, attempts_.request_ids[0]);
}

TEST_F(SdkRetryE2eTest, UnresponsiveEndpointStopsAtTheTimeBudget) {
  // Accepts TCP connections (in the kernel backlog) but never answers.
  int port = 0;
  const int black_hole = ListenLoopback(&port);
  sdk::Options options = LocalOptions("127.0.0.1:" + std::to_string(port), "some-key");
  options.deadline = std::chrono::milliseconds(200);
  options.retry.max_attempts = 1'000;
  options.retry.total_timeout = std::chrono::milliseconds(900);
  sdk::PartnerClient client(sdk::MakePartnerConnection(options));
  const auto start = std::chrono::steady_clock::now();
  v1::GetMemberRequest lookup;
  lookup.set_card_number("6001-0005");
  auto member = client.GetMember(lookup);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  ::close(black_hole);
  EXPECT_FALSE(member.ok());
  EXPECT_TRUE(member.code() == grpc::StatusCode::DEADLINE_EXCEEDED ||
              member.code() == grpc::StatusCode::UNAVAILABLE)
      << sdk::FormatError(member.error());
  EXPECT_GE(attempts_.size(), 2u);
  EXPECT_LT(attempts_.size(), 1'000u);
  EXPECT_LT(elapsed, std::chrono::milliseconds(900 + 1000));  // slack for loaded CI machines
}

// The examples in partner-sdk/examples, run as a partner would run them.
struct ProcessResult {
  int exit_code = -1;
  std::string output;
};

ProcessResult RunExample(const std::string& name, const std::string& endpoint,
                         const std::string& api_key, const std::string& args) {
  const std::string command = "COALITION_ENDPOINT='" + endpoint + "' COALITION_API_KEY='" +
                              api_key + "' COALITION_PLAINTEXT=1 " + COALITION_SDK_EXAMPLES_DIR +
                              "/coalition-sdk-" + name + " " + args + " 2>&1";
  ProcessResult result;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return result;
  std::array<char, 4096> buffer{};
  size_t n = 0;
  while ((n = std::fread(buffer.data(), 1, buffer.size(), pipe)) > 0)
    result.output.append(buffer.data(), n);
  const int status = ::pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

TEST_F(SdkRetryE2eTest, ExamplesWorkAgainstTheServer) {
  const auto market = CreatePartner("market", 1, 100, /*auto_enroll=*/true);
  const auto fuel = CreatePartner("fuel", 1, 100);

  auto checkout = RunExample("till_checkout", target_, market.api_key, "6001-0009 12.34 USD");
  EXPECT_EQ(checkout.exit_code, 0) << checkout.output;
  EXPECT_NE(checkout.output.find("not enrolled yet"), std::string::npos) << checkout.output;
  EXPECT_NE(checkout.output.find("earned 12 points"), std::string::npos) << checkout.output;
  EXPECT_NE(checkout.output.find("balance: 12 points"), std::string::npos) << checkout.output;

  auto redeem = RunExample("redeem_elsewhere", target_, fuel.api_key, "6001-0009 5 order-1");
  EXPECT_EQ(redeem.exit_code, 0) << redeem.output;
  EXPECT_NE(redeem.output.find("balance:   7"), std::string::npos) << redeem.output;
  auto too_much = RunExample("redeem_elsewhere", target_, fuel.api_key, "6001-0009 500");
  EXPECT_EQ(too_much.exit_code, 4) << too_much.output;

  // The retry demo through a proxy that loses the first answer: two attempts,
  // one request_id, one transfer.
  CuttingProxy proxy(server_->port());
  proxy.CutNextResponse(nullptr);
  auto demo = RunExample("retry_demo", proxy.target(), market.api_key, "6001-0009 3.00");
  EXPECT_EQ(demo.exit_code, 0) << demo.output;
  EXPECT_NE(demo.output.find("Accrue attempt 1 request_id req_"), std::string::npos) << demo.output;
  EXPECT_NE(demo.output.find("-> retrying"), std::string::npos) << demo.output;
  EXPECT_NE(demo.output.find("Accrue attempt 2 request_id req_"), std::string::npos) << demo.output;
  EXPECT_NE(demo.output.find("balance 10"), std::string::npos) << demo.output;
  EXPECT_EQ(db_.QueryValue("SELECT count(DISTINCT request_id) || '/' || count(*) FROM transfers "
                           "WHERE kind = 'ACCRUAL'"),
            "2/2");
  ExpectLedgerConsistent();
}

}  // namespace
}  // namespace coalition::testing
