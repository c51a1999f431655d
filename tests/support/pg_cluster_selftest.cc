// Standalone check of PgCluster, buildable without CMake or gtest:
//
//   g++ -std=c++20 -Wall -Wextra -Wpedantic -Wshadow -Werror -O1
//       tests/support/pg_cluster.cc tests/support/pg_cluster_selftest.cc
//       $(pkg-config --cflags --libs libpqxx) -o /tmp/pg_cluster_selftest
//   /tmp/pg_cluster_selftest
//
// (one command line). Exits 0 and prints timings on success; prints the failure
// and exits 1 otherwise.

#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <pqxx/pqxx>
#include <stdexcept>
#include <string>

#include "pg_cluster.h"

namespace {

using coalition::testing::PgCluster;
using Clock = std::chrono::steady_clock;

void Expect(bool condition, const std::string& what) {
  if (!condition) throw std::runtime_error("check failed: " + what);
}

double MillisSince(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

int SelectInt(const std::string& url, const std::string& sql) {
  pqxx::connection conn(url);
  pqxx::nontransaction tx(conn);
  return tx.exec1(sql)[0].as<int>();
}

void Run() {
  auto t0 = Clock::now();
  auto cluster = PgCluster::Start();
  std::cout << "Start(): " << MillisSince(t0) << " ms, port " << cluster->port() << ", data "
            << cluster->data_dir() << "\n";
  const std::string root = cluster->socket_dir();

  t0 = Clock::now();
  const std::string name = coalition::testing::UniqueDatabaseName("selftest");
  const std::string url = cluster->CreateDatabase(name);
  std::cout << "CreateDatabase(" << name << "): " << MillisSince(t0) << " ms -> " << url << "\n";
  Expect(url == cluster->Url(name), "CreateDatabase returns Url(name)");
  Expect(SelectInt(url, "SELECT 1") == 1, "SELECT 1");

  // Settings reached the server.
  {
    pqxx::connection conn(url);
    pqxx::nontransaction tx(conn);
    Expect(tx.exec1("SHOW fsync")[0].as<std::string>() == "off", "fsync=off");
    Expect(tx.exec1("SHOW max_connections")[0].as<int>() == 200, "max_connections=200");
    Expect(tx.exec1("SELECT current_user")[0].as<std::string>() == "postgres", "user postgres");
    tx.exec0("CREATE TABLE t (v int); INSERT INTO t VALUES (41), (1)");
  }

  // Template copy.
  t0 = Clock::now();
  const std::string copy = coalition::testing::UniqueDatabaseName("Sel-Copy!");
  cluster->CreateDatabase(copy, name);
  std::cout << "CreateDatabase(" << copy << " TEMPLATE " << name << "): " << MillisSince(t0)
            << " ms\n";
  Expect(SelectInt(cluster->Url(copy), "SELECT sum(v) FROM t") == 42, "template copied");

  // Drop with a session still connected (WITH (FORCE)).
  {
    pqxx::connection held(cluster->Url(copy));
    cluster->DropDatabase(copy);
  }
  cluster->DropDatabase(copy);  // IF EXISTS: idempotent.

  // Crash and restart on the same port; committed data survives.
  const int port = cluster->port();
  t0 = Clock::now();
  cluster->StopImmediate();
  std::cout << "StopImmediate(): " << MillisSince(t0) << " ms\n";
  Expect(!cluster->running(), "stopped");
  bool refused = false;
  try {
    pqxx::connection conn(url);
  } catch (const pqxx::broken_connection&) {
    refused = true;
  }
  Expect(refused, "connection refused while stopped");
  t0 = Clock::now();
  cluster->StartAgain();
  std::cout << "StartAgain(): " << MillisSince(t0) << " ms\n";
  Expect(cluster->port() == port, "same port");
  Expect(SelectInt(url, "SELECT sum(v) FROM t") == 42, "data survives restart");

  // A forked child destroying its copy of the object must not stop the server.
  const pid_t child = ::fork();
  if (child == 0) {
    cluster.reset();
    std::_Exit(0);
  }
  int status = 0;
  ::waitpid(child, &status, 0);
  Expect(SelectInt(url, "SELECT 1") == 1, "still running after a forked child exits");

  // Names.
  const std::string long_name =
      coalition::testing::UniqueDatabaseName(std::string(100, 'X') + "-tail");
  Expect(long_name.size() <= 63, "name <= 63 bytes");
  Expect(long_name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_") == std::string::npos,
         "name charset");
  Expect(coalition::testing::UniqueDatabaseName("1x").rfind("db_1x_", 0) == 0,
         "leading digit prefixed");
  Expect(coalition::testing::UniqueDatabaseName("a") != coalition::testing::UniqueDatabaseName("a"),
         "unique");

  // The shared cluster is a second, independent cluster that lives until exit.
  t0 = Clock::now();
  auto& shared = coalition::testing::SharedCluster();
  Expect(&shared == &coalition::testing::SharedCluster(), "shared is a singleton");
  Expect(SelectInt(shared.Url("postgres"), "SELECT 1") == 1, "shared cluster works");
  std::cout << "SharedCluster() first use: " << MillisSince(t0) << " ms\n";

  t0 = Clock::now();
  cluster.reset();
  std::cout << "~PgCluster(): " << MillisSince(t0) << " ms\n";
  Expect(!std::filesystem::exists(root), "temp dir removed");
}

}  // namespace

int main() {
  try {
    Run();
  } catch (const std::exception& e) {
    std::cerr << "FAIL: " << e.what() << "\n";
    return 1;
  }
  std::cout << "OK\n";
  return 0;
}
