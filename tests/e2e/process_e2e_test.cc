// The shipped binaries as a user runs them: coalition-server started as a
// process, driven by coalitionctl, stopped with SIGTERM.
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <grpcpp/create_channel.h>
#include <nlohmann/json.hpp>

#include "coalition/v1/partner_service.grpc.pb.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "support/test_database.h"

extern char** environ;

namespace coalition::testing {
namespace {

constexpr const char* kOperatorKey = "process-test-operator-key-42";

int FreePort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address));
  socklen_t length = sizeof(address);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  ::close(fd);
  return ntohs(address.sin_port);
}

std::vector<char*> Pointers(std::vector<std::string>& strings) {
  std::vector<char*> pointers;
  for (auto& s : strings) pointers.push_back(s.data());
  pointers.push_back(nullptr);
  return pointers;
}

std::vector<std::string> Environment(const std::vector<std::string>& extra) {
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    if (std::strncmp(*e, "COALITION_", 10) != 0) env.emplace_back(*e);
  }
  env.insert(env.end(), extra.begin(), extra.end());
  return env;
}

pid_t Spawn(std::vector<std::string> argv, std::vector<std::string> env, int stdout_fd = -1) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  if (stdout_fd >= 0) posix_spawn_file_actions_adddup2(&actions, stdout_fd, STDOUT_FILENO);
  pid_t pid = 0;
  auto args = Pointers(argv);
  auto envp = Pointers(env);
  const int rc = posix_spawn(&pid, args[0], &actions, nullptr, args.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) throw std::runtime_error("cannot spawn " + argv[0]);
  return pid;
}

struct Output {
  int exit_code;
  std::string out;
};

// Runs a command to completion and captures its stdout.
Output RunToCompletion(std::vector<std::string> argv, std::vector<std::string> env) {
  int pipe_fds[2];
  if (::pipe(pipe_fds) != 0) throw std::runtime_error("pipe");
  const pid_t pid = Spawn(std::move(argv), std::move(env), pipe_fds[1]);
  ::close(pipe_fds[1]);
  std::string out;
  char buffer[4096];
  for (ssize_t n; (n = ::read(pipe_fds[0], buffer, sizeof(buffer))) > 0;) out.append(buffer, n);
  ::close(pipe_fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

// The exit code of `pid` once it exits, or nullopt (and the process killed)
// if it is still running after `limit`: a bound for a test that expects a
// process to give up, so a regression fails instead of hanging.
std::optional<int> ExitCodeWithin(pid_t pid, std::chrono::seconds limit) {
  const auto give_up = std::chrono::steady_clock::now() + limit;
  int status = 0;
  while (::waitpid(pid, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > give_up) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      return std::nullopt;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

bool WaitUntilServing(const std::string& target, std::chrono::seconds limit) {
  auto channel = grpc::CreateChannel(target, grpc::InsecureChannelCredentials());
  auto health = grpc::health::v1::Health::NewStub(channel);
  const auto give_up = std::chrono::system_clock::now() + limit;
  while (std::chrono::system_clock::now() < give_up) {
    // Blocks until the port accepts connections or the deadline passes.
    channel->WaitForConnected(std::chrono::system_clock::now() + std::chrono::milliseconds(500));
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(1));
    grpc::health::v1::HealthCheckResponse response;
    if (health->Check(&context, {}, &response).ok() &&
        response.status() == grpc::health::v1::HealthCheckResponse::SERVING) {
      return true;
    }
  }
  return false;
}

// 32 bytes in base64: a fixed key is fine for a throwaway database.
const std::string kPiiKey = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

// What a plaintext test server needs, plus `extra`.
std::vector<std::string> ServerEnvironment(const TestDatabase& db, const std::string& target,
                                           std::vector<std::string> extra = {}) {
  std::vector<std::string> settings = {"COALITION_DATABASE_URL=" + db.url(),
                                       "COALITION_LISTEN=" + target,
                                       std::string("COALITION_OPERATOR_KEY=") + kOperatorKey,
                                       "COALITION_PII_KEYS=k1:" + kPiiKey,
                                       "COALITION_PII_INDEX_KEY=" + kPiiKey,
                                       "COALITION_ALLOW_INSECURE=1",
                                       "COALITION_LOG_LEVEL=warn",
                                       "COALITION_METRICS_LISTEN=127.0.0.1:0"};
  settings.insert(settings.end(), extra.begin(), extra.end());
  return Environment(settings);
}

TEST(ProcessE2eTest, ServerRunsDrivenByCoalitionctlAndStopsCleanlyOnSigterm) {
  TestDatabase db;
  const int port = FreePort();
  const std::string target = "127.0.0.1:" + std::to_string(port);
  const pid_t server = Spawn({COALITION_SERVER_BINARY}, ServerEnvironment(db, target));
  ASSERT_TRUE(WaitUntilServing(target, std::chrono::seconds(30)));

  // A second server on the same port refuses to start rather than share the
  // port (SO_REUSEPORT) and answer half of the calls.
  const pid_t second = Spawn({COALITION_SERVER_BINARY}, ServerEnvironment(db, target));
  EXPECT_EQ(ExitCodeWithin(second, std::chrono::seconds(30)), std::optional<int>(1));

  const auto ctl_env = Environment({"COALITION_ENDPOINT=" + target,
                                    std::string("COALITION_OPERATOR_KEY=") + kOperatorKey});
  auto created = RunToCompletion({COALITION_CTL_BINARY, "--output", "json", "partner", "create", "--code",
                      "fuelco", "--name", "FuelCo", "--earn-points", "1", "--earn-per-minor", "600",
                      "--issuance-price-micros", "12500", "--redemption-rate-micros", "8000"},
                     ctl_env);
  ASSERT_EQ(created.exit_code, 0) << created.out;
  const auto partner = nlohmann::json::parse(created.out);
  EXPECT_EQ(partner["partner"]["code"], "fuelco");
  EXPECT_EQ(partner["api_key_secret"].template get<std::string>().rfind("ck_fuelco_", 0), 0u);

  auto listed = RunToCompletion({COALITION_CTL_BINARY, "--output", "json", "partner", "list"}, ctl_env);
  ASSERT_EQ(listed.exit_code, 0);
  EXPECT_EQ(nlohmann::json::parse(listed.out)["partners"].size(), 1u);

  auto duplicate = RunToCompletion({COALITION_CTL_BINARY, "partner", "create", "--code", "fuelco", "--name",
                        "Again", "--earn-points", "1", "--earn-per-minor", "1",
                        "--issuance-price-micros", "1", "--redemption-rate-micros", "1"},
                       ctl_env);
  EXPECT_EQ(duplicate.exit_code, 4);  // ALREADY_EXISTS

  auto verified = RunToCompletion({COALITION_CTL_BINARY, "--output", "json", "verify"}, ctl_env);
  EXPECT_EQ(verified.exit_code, 0) << verified.out;
  EXPECT_TRUE(nlohmann::json::parse(verified.out)["ok"].template get<bool>());

  auto wrong_key = RunToCompletion({COALITION_CTL_BINARY, "--key", "not-the-operator-key", "partner", "list"},
                       ctl_env);
  EXPECT_EQ(wrong_key.exit_code, 5);  // UNAUTHENTICATED

  ASSERT_EQ(::kill(server, SIGTERM), 0);
  int status = 0;
  ASSERT_EQ(::waitpid(server, &status, 0), server);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

// A finance team with only the finance key: runs settlement and exports a
// CSV whose net amounts balance; it may not administer partners.
TEST(ProcessE2eTest, FinanceKeySettlesAndExportsCsvWithCoalitionctl) {
  constexpr const char* kFinanceKey = "process-test-finance-key-42";
  TestDatabase db;
  const int port = FreePort();
  const std::string target = "127.0.0.1:" + std::to_string(port);
  const pid_t server =
      Spawn({COALITION_SERVER_BINARY},
            ServerEnvironment(db, target, {std::string("COALITION_FINANCE_KEY=") + kFinanceKey}));
  ASSERT_TRUE(WaitUntilServing(target, std::chrono::seconds(30)));
  const auto operator_env = Environment({"COALITION_ENDPOINT=" + target,
                                         std::string("COALITION_OPERATOR_KEY=") + kOperatorKey});
  std::vector<std::string> secrets;
  for (const std::string code : {"market", "fuel"}) {
    auto created = RunToCompletion(
        {COALITION_CTL_BINARY, "--output", "json", "partner", "create", "--code", code, "--name",
         code, "--earn-points", "1", "--earn-per-minor", "100", "--issuance-price-micros", "12500",
         "--redemption-rate-micros", "8000", "--auto-enroll"},
        operator_env);
    ASSERT_EQ(created.exit_code, 0) << created.out;
    secrets.push_back(nlohmann::json::parse(created.out)["api_key_secret"].get<std::string>());
  }
  auto partner = v1::PartnerService::NewStub(
      grpc::CreateChannel(target, grpc::InsecureChannelCredentials()));
  {
    grpc::ClientContext context;
    context.AddMetadata("authorization", "Bearer " + secrets[0]);
    v1::AccrueRequest accrue;
    accrue.set_request_id("shop-1");
    accrue.set_card_number("PROC-CARD-1");
    accrue.mutable_amount()->set_currency_code("USD");
    accrue.mutable_amount()->set_amount_minor(10'000);  // 100 points
    v1::AccrueResponse accrued;
    ASSERT_TRUE(partner->Accrue(&context, accrue, &accrued).ok());
  }
  {
    grpc::ClientContext context;
    context.AddMetadata("authorization", "Bearer " + secrets[1]);
    v1::RedeemRequest redeem;
    redeem.set_request_id("pump-1");
    redeem.set_card_number("PROC-CARD-1");
    redeem.set_points(40);
    v1::RedeemResponse redeemed;
    ASSERT_TRUE(partner->Redeem(&context, redeem, &redeemed).ok());
  }

  const auto finance_env = Environment({"COALITION_ENDPOINT=" + target,
                                        std::string("COALITION_FINANCE_KEY=") + kFinanceKey});
  auto run = RunToCompletion({COALITION_CTL_BINARY, "settlement", "run", "--mode", "multilateral",
                              "--request-id", "period-1"},
                             finance_env);
  ASSERT_EQ(run.exit_code, 0) << run.out;
  EXPECT_NE(run.out.find("reconciliation: OK"), std::string::npos) << run.out;

  auto exported = RunToCompletion({COALITION_CTL_BINARY, "settlement", "export", "--batch", "1"},
                                  finance_env);
  ASSERT_EQ(exported.exit_code, 0);
  std::istringstream csv(exported.out);
  std::string header;
  std::getline(csv, header);
  EXPECT_EQ(header.rfind("batch_id,cutoff,party,partner_id,partner_code,", 0), 0u) << header;
  // market pays 100 x 1.25 c, fuel is reimbursed 40 x 0.8 c, the operator keeps the rest.
  EXPECT_NE(exported.out.find(",market,100,0,0,0,0,0,1.25,0.00,-1.25,-1.25,0.00,USD"),
            std::string::npos)
      << exported.out;
  EXPECT_NE(exported.out.find(",fuel,0,0,40,0,0,0,0.00,0.32,0.32,0.32,0.00,USD"),
            std::string::npos)
      << exported.out;
  EXPECT_NE(exported.out.find(",operator,0,0,0,0,0,0,,,0.93,0.93,0.00,USD"), std::string::npos)
      << exported.out;

  // Finance may read partners but not create them.
  auto refused = RunToCompletion({COALITION_CTL_BINARY, "partner", "create", "--code", "sneaky",
                                  "--name", "Sneaky", "--earn-points", "1",
                                  "--earn-per-minor", "100", "--issuance-price-micros", "1",
                                  "--redemption-rate-micros", "1"},
                                 finance_env);
  EXPECT_EQ(refused.exit_code, 5) << refused.out;  // PERMISSION_DENIED

  ASSERT_EQ(::kill(server, SIGTERM), 0);
  int status = 0;
  ASSERT_EQ(::waitpid(server, &status, 0), server);
}

TEST(ProcessE2eTest, ServerRefusesToStartWithoutRequiredConfiguration) {
  auto result = RunToCompletion({COALITION_SERVER_BINARY}, Environment({"COALITION_LISTEN=127.0.0.1:1"}));
  EXPECT_EQ(result.exit_code, 1);
}

}  // namespace
}  // namespace coalition::testing
