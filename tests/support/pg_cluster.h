#pragma once

// Throwaway PostgreSQL clusters for tests.
//
// A PgCluster is a private postmaster on 127.0.0.1 with its data directory, unix
// socket and server log in a fresh temporary directory. It is tuned for tests, not
// for durability (fsync and full_page_writes are off, synchronous_commit too unless
// PgClusterOptions::durable_commits), trusts
// every local connection and has superuser `postgres`.
//
// The server binaries are taken from $COALITION_PG_BINDIR when set, else from the
// newest /usr/lib/postgresql/<major>/bin (the Debian layout), else from $PATH.
// PostgreSQL refuses to run as root, so when the test process is root, initdb,
// postgres and pg_ctl are run as the OS user `postgres` through runuser(1).
// Set COALITION_TEST_KEEP_PGDATA=1 to keep the temporary directory for inspection.

#include <sys/types.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace coalition::testing {

struct PgClusterOptions {
  // synchronous_commit=on: a COMMIT the client saw succeed survives a crash of the
  // server processes (StopImmediate). Off by default, for speed. fsync stays off
  // either way: it only matters if the machine itself goes down.
  bool durable_commits = false;
};

class PgCluster {
 public:
  // Creates and starts a cluster on a free port, waiting (bounded) until it accepts
  // connections. Throws std::runtime_error, carrying the server log tail, on failure.
  static std::unique_ptr<PgCluster> Start(const PgClusterOptions& options = {});

  PgCluster(const PgCluster&) = delete;
  PgCluster& operator=(const PgCluster&) = delete;

  // Stops the server (immediate mode) and removes the temporary directory. Does
  // nothing in a forked child of the creating process (e.g. a gtest death test).
  ~PgCluster();

  int port() const { return port_; }
  // The directory holding the unix socket (usable as libpq `host`).
  const std::string& socket_dir() const { return root_dir_; }
  const std::string& data_dir() const { return data_dir_; }
  const std::string& log_path() const { return log_path_; }
  bool running() const { return server_pid_ > 0; }

  // "postgresql://postgres@127.0.0.1:PORT/DATABASE".
  std::string Url(const std::string& database) const;

  // CREATE DATABASE name [TEMPLATE template_db]; returns the new database's URL.
  // Retries for a while when the template is briefly in use by another session.
  std::string CreateDatabase(const std::string& name, const std::string& template_db = "");
  // DROP DATABASE IF EXISTS name WITH (FORCE).
  void DropDatabase(const std::string& name);

  // Simulates a crash: pg_ctl stop -m immediate (no shutdown checkpoint).
  void StopImmediate();
  // Starts the server again on the same port and data directory (crash recovery
  // runs if the last stop was immediate). Waits until it accepts connections.
  void StartAgain();

  // The last `max_bytes` of the server log, for failure messages.
  std::string LogTail(std::size_t max_bytes = 4096) const;

 private:
  PgCluster() = default;

  void Initdb();
  // Spawns the postmaster and waits for it to accept connections. Returns false if
  // it exited because the port was taken; throws on any other failure.
  bool TryStartServer();
  void WaitServerExit();
  [[noreturn]] void Fail(const std::string& what) const;
  std::vector<std::string> AsPostgresUser(std::vector<std::string> argv) const;

  std::string bin_dir_;
  std::string root_dir_;  // mkdtemp'd; owned by the postgres OS user when we are root.
  std::string data_dir_;
  std::string log_path_;
  int port_ = 0;
  PgClusterOptions options_;
  bool as_postgres_user_ = false;  // true when we are root.
  uid_t pg_uid_ = 0;
  gid_t pg_gid_ = 0;
  pid_t server_pid_ = -1;  // Our child: the postmaster, or runuser wrapping it.
  pid_t owner_pid_ = -1;   // The process that created the cluster.
};

// A cluster shared by the whole test binary: started on first use (thread-safe),
// stopped when the process exits normally.
PgCluster& SharedCluster();

// A database name unique within the machine for this process's lifetime:
// lowercase `prefix` (sanitised to [a-z0-9_]) + "_" + pid + "_" + counter, at most
// 63 bytes (PostgreSQL's NAMEDATALEN - 1).
std::string UniqueDatabaseName(std::string_view prefix);

}  // namespace coalition::testing
