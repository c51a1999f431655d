#include "pg_cluster.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <pqxx/pqxx>
#include <stdexcept>
#include <system_error>
#include <thread>
#include <utility>

extern char** environ;

namespace coalition::testing {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// Bounds for the polling loops. Generous: a loaded CI machine with two cores may run
// several test binaries, each starting its own cluster.
constexpr auto kStartTimeout = std::chrono::seconds(60);
constexpr auto kPollInterval = std::chrono::milliseconds(10);
constexpr auto kTemplateBusyTimeout = std::chrono::seconds(10);
constexpr int kPortAttempts = 5;

[[noreturn]] void ThrowErrno(const std::string& what) {
  throw std::system_error(errno, std::generic_category(), what);
}

std::string Join(const std::vector<std::string>& argv) {
  std::string out;
  for (const auto& arg : argv) {
    if (!out.empty()) out += ' ';
    out += arg;
  }
  return out;
}

bool IsExecutable(const fs::path& path) { return ::access(path.c_str(), X_OK) == 0; }

// $COALITION_PG_BINDIR, else the newest Debian /usr/lib/postgresql/<major>/bin, else
// the directory of the first initdb on $PATH.
std::string FindPgBinDir() {
  if (const char* env = std::getenv("COALITION_PG_BINDIR"); env != nullptr && *env != '\0') {
    if (!IsExecutable(fs::path(env) / "initdb")) {
      throw std::runtime_error(std::string("COALITION_PG_BINDIR=") + env + " has no initdb");
    }
    return env;
  }
  std::error_code ec;
  int best_major = -1;
  std::string best;
  for (const auto& entry : fs::directory_iterator("/usr/lib/postgresql", ec)) {
    const std::string name = entry.path().filename().string();
    const bool numeric = !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
      return std::isdigit(static_cast<unsigned char>(c)) != 0;
    });
    if (!numeric) continue;
    const int major = std::atoi(name.c_str());
    if (major > best_major && IsExecutable(entry.path() / "bin" / "initdb")) {
      best_major = major;
      best = (entry.path() / "bin").string();
    }
  }
  if (!best.empty()) return best;
  if (const char* path = std::getenv("PATH"); path != nullptr) {
    std::string_view rest(path);
    while (!rest.empty()) {
      const auto colon = rest.find(':');
      const std::string dir(rest.substr(0, colon));
      if (!dir.empty() && IsExecutable(fs::path(dir) / "initdb")) return dir;
      if (colon == std::string_view::npos) break;
      rest.remove_prefix(colon + 1);
    }
  }
  throw std::runtime_error(
      "PostgreSQL server binaries not found (install the postgresql package or set "
      "COALITION_PG_BINDIR)");
}

std::string FindRunuser() {
  for (const char* candidate : {"/usr/sbin/runuser", "/sbin/runuser", "/usr/bin/runuser"}) {
    if (IsExecutable(candidate)) return candidate;
  }
  return "runuser";  // Let posix_spawnp search $PATH.
}

// Where the cluster's temporary directory goes. The unix socket path must fit in
// sockaddr_un (107 bytes), and as root the directory must be reachable by the
// postgres user, which $TMPDIR (say, under /root) may not be.
std::string TempBase() {
  if (::geteuid() != 0) {
    if (const char* tmp = std::getenv("TMPDIR");
        tmp != nullptr && *tmp != '\0' && std::strlen(tmp) < 60) {
      return tmp;
    }
  }
  return "/tmp";
}

int PickFreePort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) ThrowErrno("socket");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    const int saved = errno;
    ::close(fd);
    errno = saved;
    ThrowErrno("bind 127.0.0.1:0");
  }
  ::close(fd);
  return ntohs(addr.sin_port);
}

// RAII for the posix_spawn attribute and file-action objects.
class SpawnSetup {
 public:
  SpawnSetup() {
    if (posix_spawn_file_actions_init(&actions_) != 0 || posix_spawnattr_init(&attr_) != 0) {
      throw std::runtime_error("posix_spawn init failed");
    }
    // The caller may block or ignore signals (a gRPC server blocks them in main, many
    // programs ignore SIGPIPE); both would be inherited across exec. Give the children
    // a clean slate.
    sigset_t empty;
    sigemptyset(&empty);
    sigset_t defaults;
    sigemptyset(&defaults);
    for (int sig : {SIGPIPE, SIGCHLD, SIGINT, SIGQUIT, SIGTERM, SIGHUP, SIGUSR1, SIGUSR2}) {
      sigaddset(&defaults, sig);
    }
    posix_spawnattr_setsigmask(&attr_, &empty);
    posix_spawnattr_setsigdefault(&attr_, &defaults);
    posix_spawnattr_setflags(&attr_, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  }
  ~SpawnSetup() {
    posix_spawn_file_actions_destroy(&actions_);
    posix_spawnattr_destroy(&attr_);
  }
  SpawnSetup(const SpawnSetup&) = delete;
  SpawnSetup& operator=(const SpawnSetup&) = delete;

  void Chdir(const std::string& dir) {
    Check(posix_spawn_file_actions_addchdir_np(&actions_, dir.c_str()), "addchdir");
  }
  void StdinFromDevNull() {
    Check(posix_spawn_file_actions_addopen(&actions_, STDIN_FILENO, "/dev/null", O_RDONLY, 0),
          "addopen");
  }
  void OutputTo(int fd) {
    Check(posix_spawn_file_actions_adddup2(&actions_, fd, STDOUT_FILENO), "adddup2");
    Check(posix_spawn_file_actions_adddup2(&actions_, fd, STDERR_FILENO), "adddup2");
  }
  void OutputAppendTo(const std::string& path) {
    Check(posix_spawn_file_actions_addopen(&actions_, STDOUT_FILENO, path.c_str(),
                                           O_WRONLY | O_APPEND | O_CREAT, 0644),
          "addopen");
    Check(posix_spawn_file_actions_adddup2(&actions_, STDOUT_FILENO, STDERR_FILENO), "adddup2");
  }

  pid_t Spawn(const std::vector<std::string>& argv) {
    std::vector<char*> args;
    args.reserve(argv.size() + 1);
    for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
    args.push_back(nullptr);
    pid_t pid = -1;
    const int rc = posix_spawnp(&pid, args[0], &actions_, &attr_, args.data(), environ);
    if (rc != 0) {
      throw std::system_error(rc, std::generic_category(), "posix_spawn " + Join(argv));
    }
    return pid;
  }

 private:
  static void Check(int rc, const char* what) {
    if (rc != 0) throw std::system_error(rc, std::generic_category(), what);
  }

  posix_spawn_file_actions_t actions_;
  posix_spawnattr_t attr_;
};

// Waits for `pid`; returns its wait status, or nullopt if it could not be reaped
// (SIGCHLD ignored by the program, so the kernel reaped it already).
std::optional<int> WaitFor(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno == EINTR) continue;
    return std::nullopt;
  }
  return status;
}

std::string DescribeStatus(std::optional<int> status) {
  if (!status) return "unknown status";
  if (WIFEXITED(*status)) return "exit code " + std::to_string(WEXITSTATUS(*status));
  if (WIFSIGNALED(*status)) return "signal " + std::to_string(WTERMSIG(*status));
  return "status " + std::to_string(*status);
}

struct RunResult {
  std::optional<int> status;
  std::string output;
  bool ok() const { return status && WIFEXITED(*status) && WEXITSTATUS(*status) == 0; }
};

// Runs argv to completion with stdout+stderr captured.
RunResult RunCaptured(const std::vector<std::string>& argv, const std::string& cwd) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) ThrowErrno("pipe2");
  pid_t pid = -1;
  try {
    SpawnSetup setup;
    setup.Chdir(cwd);
    setup.StdinFromDevNull();
    setup.OutputTo(fds[1]);
    pid = setup.Spawn(argv);
  } catch (...) {
    ::close(fds[0]);
    ::close(fds[1]);
    throw;
  }
  ::close(fds[1]);
  RunResult result;
  char buf[4096];
  for (;;) {
    const ssize_t n = ::read(fds[0], buf, sizeof(buf));
    if (n > 0) {
      result.output.append(buf, static_cast<std::size_t>(n));
    } else if (n == 0 || errno != EINTR) {
      break;
    }
  }
  ::close(fds[0]);
  result.status = WaitFor(pid);
  return result;
}

std::uintmax_t FileSize(const std::string& path) {
  std::error_code ec;
  const auto size = fs::file_size(path, ec);
  return ec ? 0 : size;
}

std::string ReadFrom(const std::string& path, std::uintmax_t offset) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "";
  in.seekg(static_cast<std::streamoff>(offset));
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// The postmaster's pid from the first line of postmaster.pid, or -1.
pid_t ReadPostmasterPid(const std::string& data_dir) {
  std::ifstream in(data_dir + "/postmaster.pid");
  long pid = -1;
  if (in >> pid && pid > 0) return static_cast<pid_t>(pid);
  return -1;
}

}  // namespace

std::unique_ptr<PgCluster> PgCluster::Start(const PgClusterOptions& options) {
  std::unique_ptr<PgCluster> cluster(new PgCluster());
  cluster->options_ = options;
  cluster->owner_pid_ = ::getpid();
  cluster->bin_dir_ = FindPgBinDir();

  if (::geteuid() == 0) {
    const passwd* pw = ::getpwnam("postgres");
    if (pw == nullptr) {
      throw std::runtime_error(
          "running as root but there is no 'postgres' OS user to run "
          "PostgreSQL as (install the postgresql package)");
    }
    cluster->as_postgres_user_ = true;
    cluster->pg_uid_ = pw->pw_uid;
    cluster->pg_gid_ = pw->pw_gid;
  }

  std::string tmpl = TempBase() + "/coalition-pg-XXXXXX";
  if (::mkdtemp(tmpl.data()) == nullptr) ThrowErrno("mkdtemp " + tmpl);
  cluster->root_dir_ = tmpl;
  cluster->data_dir_ = tmpl + "/data";
  cluster->log_path_ = tmpl + "/postgres.log";
  if (cluster->as_postgres_user_ &&
      ::chown(cluster->root_dir_.c_str(), cluster->pg_uid_, cluster->pg_gid_) != 0) {
    ThrowErrno("chown " + cluster->root_dir_ + " to postgres");
  }

  cluster->Initdb();
  for (int attempt = 0; attempt < kPortAttempts; ++attempt) {
    cluster->port_ = PickFreePort();
    if (cluster->TryStartServer()) return cluster;
  }
  cluster->Fail("postgres could not bind a free port after " + std::to_string(kPortAttempts) +
                " attempts");
}

PgCluster::~PgCluster() {
  // A forked child (gtest death test, a test that forks) must not tear down the
  // parent's cluster.
  if (owner_pid_ != ::getpid()) return;
  if (running()) {
    try {
      StopImmediate();
    } catch (const std::exception& e) {
      std::cerr << "PgCluster: stopping the server in " << data_dir_ << " failed: " << e.what()
                << "\n";
    }
  }
  if (root_dir_.empty()) return;
  if (const char* keep = std::getenv("COALITION_TEST_KEEP_PGDATA");
      keep != nullptr && std::string_view(keep) == "1") {
    std::cerr << "PgCluster: keeping " << root_dir_ << "\n";
    return;
  }
  std::error_code ec;
  fs::remove_all(root_dir_, ec);
  if (ec) std::cerr << "PgCluster: removing " << root_dir_ << ": " << ec.message() << "\n";
}

std::string PgCluster::Url(const std::string& database) const {
  return "postgresql://postgres@127.0.0.1:" + std::to_string(port_) + "/" + database;
}

std::string PgCluster::CreateDatabase(const std::string& name, const std::string& template_db) {
  pqxx::connection conn(Url("postgres"));
  std::string sql = "CREATE DATABASE " + conn.quote_name(name);
  if (!template_db.empty()) sql += " TEMPLATE " + conn.quote_name(template_db);
  const auto deadline = Clock::now() + kTemplateBusyTimeout;
  for (;;) {
    try {
      pqxx::nontransaction tx(conn);
      tx.exec(sql);
      return Url(name);
    } catch (const pqxx::sql_error& e) {
      // 55006 object_in_use: another session is connected to the template. It is
      // usually a pool closing down from a previous test; wait for it, bounded.
      if (e.sqlstate() != "55006" || Clock::now() > deadline) throw;
    }
    std::this_thread::sleep_for(kPollInterval);
  }
}

void PgCluster::DropDatabase(const std::string& name) {
  pqxx::connection conn(Url("postgres"));
  pqxx::nontransaction tx(conn);
  tx.exec("DROP DATABASE IF EXISTS " + conn.quote_name(name) + " WITH (FORCE)");
}

void PgCluster::StopImmediate() {
  if (!running()) return;
  // Equivalent to `pg_ctl stop -m immediate`, which sends SIGQUIT to the postmaster,
  // but without pg_ctl's 100 ms polling: the postmaster (or the runuser wrapping it)
  // is our child, so waitpid tells us exactly when it is gone.
  pid_t postmaster = as_postgres_user_ ? ReadPostmasterPid(data_dir_) : server_pid_;
  if (postmaster <= 0) postmaster = server_pid_;  // Not up yet: runuser forwards SIGTERM.
  if (::kill(postmaster, SIGQUIT) != 0 && errno != ESRCH) {
    ThrowErrno("kill postmaster " + std::to_string(postmaster));
  }
  WaitServerExit();
}

void PgCluster::StartAgain() {
  if (running()) Fail("StartAgain: the server is already running");
  if (!TryStartServer()) {
    Fail("StartAgain: port " + std::to_string(port_) + " has been taken by another process");
  }
}

std::string PgCluster::LogTail(std::size_t max_bytes) const {
  const auto size = FileSize(log_path_);
  return ReadFrom(log_path_, size > max_bytes ? size - max_bytes : 0);
}

void PgCluster::Initdb() {
  // --no-sync: the cluster is disposable. --locale=C: fast, and the server log stays
  // in English whatever the caller's environment.
  const RunResult result = RunCaptured(
      AsPostgresUser({bin_dir_ + "/initdb", "-D", data_dir_, "-U", "postgres", "-A", "trust", "-E",
                      "UTF8", "--locale=C", "--no-sync", "--no-instructions"}),
      root_dir_);
  if (!result.ok()) {
    throw std::runtime_error("initdb failed (" + DescribeStatus(result.status) + "):\n" +
                             result.output);
  }
}

bool PgCluster::TryStartServer() {
  const std::string port = std::to_string(port_);
  const auto log_offset = FileSize(log_path_);
  {
    SpawnSetup setup;
    // The postgres user may not be able to enter the caller's working directory.
    setup.Chdir(root_dir_);
    setup.StdinFromDevNull();
    setup.OutputAppendTo(log_path_);
    // clang-format off
    server_pid_ = setup.Spawn(AsPostgresUser({
        bin_dir_ + "/postgres", "-D", data_dir_, "-p", port,
        "-c", "listen_addresses=127.0.0.1",
        "-c", "unix_socket_directories=" + root_dir_,
        "-c", "fsync=off",
        "-c", std::string("synchronous_commit=") + (options_.durable_commits ? "on" : "off"),
        "-c", "full_page_writes=off",
        "-c", "max_connections=200",
    }));
    // clang-format on
  }

  // Poll through our private unix socket rather than TCP: an answer there can only
  // come from our postmaster, and it creates its unix socket after binding TCP (a
  // failed TCP bind is fatal because listen_addresses names a single address).
  // While the server starts up or recovers, connecting fails and we poll again.
  const std::string conninfo =
      "host=" + root_dir_ + " port=" + port + " dbname=postgres user=postgres connect_timeout=5";
  const auto deadline = Clock::now() + kStartTimeout;
  std::string last_error;
  for (;;) {
    int status = 0;
    const pid_t reaped = ::waitpid(server_pid_, &status, WNOHANG);
    if (reaped == server_pid_) {
      server_pid_ = -1;
      const std::string log = ReadFrom(log_path_, log_offset);
      if (log.find("Address already in use") != std::string::npos) return false;
      Fail("postgres exited during start-up (" + DescribeStatus(status) + ")");
    }
    try {
      pqxx::connection probe(conninfo);
      return true;
    } catch (const pqxx::broken_connection& e) {
      last_error = e.what();  // Not accepting connections yet.
    }
    if (Clock::now() > deadline) {
      // server_pid_ stays set, so the destructor stops what did start.
      Fail("postgres did not accept connections within " +
           std::to_string(std::chrono::seconds(kStartTimeout).count()) +
           " s; last connection error: " + last_error);
    }
    std::this_thread::sleep_for(kPollInterval);
  }
}

void PgCluster::WaitServerExit() {
  const pid_t pid = std::exchange(server_pid_, -1);
  if (WaitFor(pid)) return;
  // SIGCHLD is ignored, so the child was reaped for us and waitpid cannot wait.
  // Fall back to polling the postmaster (bounded).
  const auto deadline = Clock::now() + kStartTimeout;
  while (::kill(pid, 0) == 0 || ReadPostmasterPid(data_dir_) > 0) {
    if (Clock::now() > deadline) Fail("postgres did not stop");
    std::this_thread::sleep_for(kPollInterval);
  }
}

void PgCluster::Fail(const std::string& what) const {
  throw std::runtime_error("PgCluster (" + data_dir_ + "): " + what + "\n--- server log tail (" +
                           log_path_ + ") ---\n" + LogTail());
}

std::vector<std::string> PgCluster::AsPostgresUser(std::vector<std::string> argv) const {
  if (!as_postgres_user_) return argv;
  std::vector<std::string> wrapped = {FindRunuser(), "-u", "postgres", "--"};
  wrapped.insert(wrapped.end(), std::make_move_iterator(argv.begin()),
                 std::make_move_iterator(argv.end()));
  return wrapped;
}

PgCluster& SharedCluster() {
  // Function-local static: started on first use (thread-safe), destroyed by the
  // normal static-destruction sequence at exit. A forked child that exits is a no-op
  // thanks to the owner check in ~PgCluster.
  static const std::unique_ptr<PgCluster> cluster = PgCluster::Start();
  return *cluster;
}

std::string UniqueDatabaseName(std::string_view prefix) {
  static std::atomic<unsigned> counter{0};
  const std::string suffix =
      "_" + std::to_string(::getpid()) + "_" + std::to_string(counter.fetch_add(1) + 1);
  std::string name;
  for (const char c : prefix) {
    const auto u = static_cast<unsigned char>(c);
    name += (std::isalnum(u) != 0) ? static_cast<char>(std::tolower(u)) : '_';
  }
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name.front())) != 0) {
    name.insert(0, "db_");
  }
  constexpr std::size_t kMaxName = 63;
  name.resize(std::min(name.size(), kMaxName - suffix.size()));
  return name + suffix;
}

}  // namespace coalition::testing
