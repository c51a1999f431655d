// An independent client in another language: tests/interop/coalition_flow.py
// generates Python stubs from protos/ and runs the whole partner flow against
// the in-process server; the database is then checked on its own.
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "e2e/e2e_fixture.h"

extern char** environ;

namespace coalition::testing {
namespace {

// Debian's python3-grpcio and python3-grpc-tools install into
// /usr/lib/python3/dist-packages, which only the system interpreter sees (a
// pyenv or virtualenv python3 earlier on PATH would not).
constexpr const char* kPython = "/usr/bin/python3";
constexpr const char* kPythonPackages =
    "python3 python3-grpcio python3-grpc-tools python3-pkg-resources";

struct Output {
  int exit_code;
  std::string out;
};

// Runs a command to completion, capturing stdout and stderr together.
Output RunToCompletion(std::vector<std::string> argv) {
  int pipe_fds[2];
  if (::pipe(pipe_fds) != 0) throw std::runtime_error("pipe");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDERR_FILENO);
  posix_spawn_file_actions_addclose(&actions, pipe_fds[0]);
  std::vector<char*> args;
  for (auto& arg : argv) args.push_back(arg.data());
  args.push_back(nullptr);
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(pipe_fds[1]);
  if (rc != 0) {
    ::close(pipe_fds[0]);
    return {-1, "cannot spawn " + argv[0]};
  }
  std::string out;
  char buffer[4096];
  for (ssize_t n; (n = ::read(pipe_fds[0], buffer, sizeof(buffer))) > 0;) out.append(buffer, n);
  ::close(pipe_fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

using InteropE2eTest = E2eFixture;

TEST_F(InteropE2eTest, PythonClientGeneratedFromProtosRunsTheFullFlow) {
  const auto prerequisites = RunToCompletion({kPython, "-c", "import grpc, grpc_tools.protoc"});
  ASSERT_EQ(prerequisites.exit_code, 0)
      << kPython << " with the grpc and grpc_tools modules is required; install the Debian "
      << "packages: apt-get install " << kPythonPackages << " (scripts/deps.sh does)\n"
      << prerequisites.out;

  const auto began = std::chrono::steady_clock::now();
  const auto flow = RunToCompletion(
      {kPython, COALITION_INTEROP_SCRIPT, "--endpoint", target_, "--operator-key", kOperatorKey});
  const auto seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
  std::printf("python flow took %.2fs\n", seconds);
  // The database checks below would only echo a failed flow.
  ASSERT_EQ(flow.exit_code, 0) << flow.out;
  EXPECT_NE(flow.out.find("python interop: 8 passed, 0 failed"), std::string::npos) << flow.out;

  // What the Python client did, seen from the database rather than the API.
  EXPECT_EQ(db_.QueryValue("SELECT m.balance FROM members m JOIN cards c ON c.member_id = m.id "
                           "WHERE c.card_number = 'PY-0001'"),
            "20");
  EXPECT_EQ(db_.QueryValue("SELECT count(*) FROM transfers WHERE kind = 'REDEMPTION'"), "15");
  ExpectLedgerConsistent();
}

}  // namespace
}  // namespace coalition::testing
