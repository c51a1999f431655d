// Crash safety (issue 8, SPEC §2 and §11): tills keep trading through the SDK while
// the harness kill -9s coalition-server several times and once crashes PostgreSQL
// (immediate stop, crash recovery on restart). Afterwards the ledger must be exactly
// what the tills were told: every acknowledged request applied once, nothing applied
// twice, rejected requests wrote nothing, every SPEC §2 invariant holds and no hold
// outlives its expiry.
//
// The chaos is driven by a seeded RNG and by progress, never by sleeps: each fault
// fires after a random number of acknowledged operations, and PostgreSQL comes back
// once the tills have seen it gone. COALITION_CRASH_SEED picks the seed.
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <grpcpp/create_channel.h>
#include <pqxx/pqxx>

#include "coalition/sdk/errors.h"
#include "coalition/sdk/partner_client.h"
#include "coalition/v1/admin_service.grpc.pb.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "support/pg_cluster.h"

extern char** environ;

namespace coalition::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using SteadyClock = std::chrono::steady_clock;

constexpr const char* kOperatorKey = "crash-test-operator-key-0123456789";
// 32 bytes in base64: a fixed key is fine for a throwaway database.
constexpr const char* kPiiKey = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

constexpr int kTills = 8;
constexpr int kPartners = 2;
// Few members for many tills: requests contend for the same member rows.
constexpr int kMembers = 10;
constexpr int kServerKills = 5;
// Each fault fires after this many acknowledged operations since the last one.
constexpr int kMinOpsBetweenFaults = 60;
constexpr int kMaxOpsBetweenFaults = 220;
constexpr int kOpsAfterLastFault = 150;
constexpr int kHoldTtlSeconds = 2;
// Bounds that turn a hang into a failure; the test keeps well inside ~3 minutes.
constexpr auto kServerStartLimit = seconds(30);
constexpr auto kProgressLimit = seconds(60);
constexpr auto kTillsSeeOutageLimit = seconds(5);
constexpr auto kHoldsSweptLimit = seconds(30);

// --- the server as a child process ------------------------------------------------

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

// The real coalition-server binary on a fixed port, restartable after a kill -9.
class ServerProcess {
 public:
  ServerProcess(std::string database_url, int port, std::string log_path)
      : database_url_(std::move(database_url)),
        target_("127.0.0.1:" + std::to_string(port)),
        log_path_(std::move(log_path)) {}
  ~ServerProcess() {
    if (pid_ > 0) Kill();
  }

  const std::string& target() const { return target_; }

  void Start() {
    std::vector<std::string> env;
    for (char** e = environ; *e != nullptr; ++e) {
      if (std::strncmp(*e, "COALITION_", 10) != 0) env.emplace_back(*e);
    }
    for (std::string setting : {
             "COALITION_DATABASE_URL=" + database_url_,
             "COALITION_LISTEN=" + target_,
             std::string("COALITION_OPERATOR_KEY=") + kOperatorKey,
             std::string("COALITION_PII_KEYS=k1:") + kPiiKey,
             std::string("COALITION_PII_INDEX_KEY=") + kPiiKey,
             std::string("COALITION_ALLOW_INSECURE=1"),
             std::string("COALITION_LOG_LEVEL=warn"),
             std::string("COALITION_METRICS_LISTEN="),
             std::string("COALITION_DB_POOL_SIZE=8"),
             std::string("COALITION_HOLD_SWEEP_SECONDS=1"),
             std::string("COALITION_SIGNUP_BONUS_POINTS=0"),
             // The tills here are many times faster than real ones.
             std::string("COALITION_RATE_LIMIT_PER_SECOND=1000000"),
             std::string("COALITION_RATE_LIMIT_BURST=1000000"),
         }) {
      env.push_back(std::move(setting));
    }
    std::vector<std::string> argv = {COALITION_SERVER_BINARY};
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log_path_.c_str(),
                                     O_WRONLY | O_APPEND | O_CREAT, 0644);
    posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
    const int rc = posix_spawn(&pid_, argv[0].c_str(), &actions, nullptr,
                               Pointers(argv).data(), Pointers(env).data());
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) throw std::runtime_error("cannot spawn " + argv[0] + ": " + std::strerror(rc));
    if (!WaitUntilServing()) {
      throw std::runtime_error("coalition-server did not serve on " + target_ + "; log:\n" +
                               LogTail());
    }
  }

  // kill -9: no graceful shutdown, in-flight requests die with the process.
  void Kill() { Stop(SIGKILL); }
  // Returns the exit status of a graceful stop.
  int Terminate() { return Stop(SIGTERM); }

  std::string LogTail() const {
    std::ifstream in(log_path_);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    return text.size() > 4000 ? text.substr(text.size() - 4000) : text;
  }

 private:
  static std::vector<char*> Pointers(std::vector<std::string>& strings) {
    std::vector<char*> pointers;
    for (auto& s : strings) pointers.push_back(s.data());
    pointers.push_back(nullptr);
    return pointers;
  }

  int Stop(int sig) {
    if (pid_ <= 0) return -1;
    ::kill(pid_, sig);
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    pid_ = -1;
    return status;
  }

  bool WaitUntilServing() {
    auto channel = grpc::CreateChannel(target_, grpc::InsecureChannelCredentials());
    auto health = grpc::health::v1::Health::NewStub(channel);
    const auto give_up = SteadyClock::now() + kServerStartLimit;
    while (SteadyClock::now() < give_up) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {  // It exited.
        pid_ = -1;
        return false;
      }
      // Blocks until the port accepts connections or the deadline passes.
      channel->WaitForConnected(std::chrono::system_clock::now() + milliseconds(200));
      grpc::ClientContext context;
      context.set_deadline(std::chrono::system_clock::now() + seconds(1));
      grpc::health::v1::HealthCheckResponse response;
      if (health->Check(&context, {}, &response).ok() &&
          response.status() == grpc::health::v1::HealthCheckResponse::SERVING) {
        return true;
      }
    }
    return false;
  }

  std::string database_url_;
  std::string target_;
  std::string log_path_;
  pid_t pid_ = -1;
};

// --- what the tills did ----------------------------------------------------------

enum class OpKind { kAccrue, kRedeem, kHold, kCapture, kVoid, kRefund };

const char* Name(OpKind kind) {
  switch (kind) {
    case OpKind::kAccrue: return "Accrue";
    case OpKind::kRedeem: return "Redeem";
    case OpKind::kHold: return "HoldPoints";
    case OpKind::kCapture: return "CapturePoints";
    case OpKind::kVoid: return "VoidHold";
    case OpKind::kRefund: return "RefundPurchase";
  }
  return "?";
}

enum class Outcome {
  kAcknowledged,   // OK: the till was told it happened.
  kRejected,       // A final business error (FAILED_PRECONDITION, NOT_FOUND).
  kGaveUp,         // The retry budget ran out (UNAVAILABLE, DEADLINE_EXCEEDED).
  kUnexpected,     // Any other error: a defect in itself.
};

// One business operation as the till's journal holds it: enough to send the
// identical request again, and what the till was told.
struct Op {
  OpKind kind = OpKind::kAccrue;
  std::string request_id;
  int partner = 0;
  int member = 0;
  int64_t amount_minor = 0;  // Accrue: cash paid; Refund: amount (0 = all that is left).
  int64_t points = 0;        // Redeem, HoldPoints; CapturePoints (0 = all held).
  std::string receipt_id;    // Accrue, Redeem, CapturePoints, Refund.
  std::string hold_id;       // CapturePoints, VoidHold.

  Outcome outcome = Outcome::kGaveUp;
  std::string error;  // code (reason) of the final error.
  // What the response said. Balance change: accrue +earned, redeem/capture
  // -points, refund +returned -clawed back.
  int64_t balance_delta = 0;
  std::string transfer_id;   // Accrue, Redeem, Capture; Refund: the refund transfer.
  int64_t transfer_points = 0;
  std::string clawback_transfer_id;  // Refund only.
  int64_t clawback_points = 0;
  std::string told_hold_id;  // HoldPoints, VoidHold, CapturePoints.
  int64_t hold_points = 0;
};

// What a response told the till, comparable between a call and its replay.
std::string Told(const Op& op) {
  std::ostringstream out;
  out << op.balance_delta << "/" << op.transfer_id << ":" << op.transfer_points << "/"
      << op.clawback_transfer_id << ":" << op.clawback_points << "/" << op.told_hold_id << ":"
      << op.hold_points;
  return out.str();
}

template <typename Response>
void Classify(const sdk::StatusOr<Response>& result, Op& op) {
  if (result.ok()) {
    op.outcome = Outcome::kAcknowledged;
    return;
  }
  const auto& error = result.error();
  op.error = sdk::StatusCodeName(error.code) + " (" + error.reason + ") " + error.message;
  switch (error.code) {
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::DEADLINE_EXCEEDED: op.outcome = Outcome::kGaveUp; break;
    case grpc::StatusCode::FAILED_PRECONDITION:
    case grpc::StatusCode::NOT_FOUND: op.outcome = Outcome::kRejected; break;
    default: op.outcome = Outcome::kUnexpected; break;
  }
}

std::string Card(int member) { return "CRASH-CARD-" + std::to_string(member); }

// Sends `op` (again, when it is a retry or a replay) and records the outcome.
// The request is built from the journal entry alone, so a resend is identical.
void Send(sdk::PartnerClient& client, Op& op) {
  op.balance_delta = 0;
  switch (op.kind) {
    case OpKind::kAccrue: {
      v1::AccrueRequest request;
      request.set_request_id(op.request_id);
      request.set_card_number(Card(op.member));
      request.mutable_amount()->set_currency_code("USD");
      request.mutable_amount()->set_amount_minor(op.amount_minor);
      request.set_receipt_id(op.receipt_id);
      auto result = client.Accrue(request);
      Classify(result, op);
      if (result.ok()) {
        op.balance_delta = result->points_earned();
        op.transfer_id = result->transfer_id();
        op.transfer_points = result->points_earned();
      }
      break;
    }
    case OpKind::kRedeem: {
      v1::RedeemRequest request;
      request.set_request_id(op.request_id);
      request.set_card_number(Card(op.member));
      request.set_points(op.points);
      auto result = client.Redeem(request);
      Classify(result, op);
      if (result.ok()) {
        op.balance_delta = -result->points_redeemed();
        op.transfer_id = result->transfer_id();
        op.transfer_points = result->points_redeemed();
      }
      break;
    }
    case OpKind::kHold: {
      v1::HoldPointsRequest request;
      request.set_request_id(op.request_id);
      request.set_card_number(Card(op.member));
      request.set_points(op.points);
      request.set_ttl_seconds(kHoldTtlSeconds);
      auto result = client.HoldPoints(request);
      Classify(result, op);
      if (result.ok()) {
        op.told_hold_id = result->hold().hold_id();
        op.hold_points = result->hold().points();
      }
      break;
    }
    case OpKind::kCapture: {
      v1::CapturePointsRequest request;
      request.set_request_id(op.request_id);
      request.set_hold_id(op.hold_id);
      request.set_points(op.points);
      request.set_receipt_id(op.receipt_id);
      auto result = client.CapturePoints(request);
      Classify(result, op);
      if (result.ok()) {
        op.balance_delta = -result->points_captured();
        op.transfer_id = result->transfer_id();
        op.transfer_points = result->points_captured();
        op.told_hold_id = result->hold().hold_id();
      }
      break;
    }
    case OpKind::kVoid: {
      v1::VoidHoldRequest request;
      request.set_request_id(op.request_id);
      request.set_hold_id(op.hold_id);
      auto result = client.VoidHold(request);
      Classify(result, op);
      if (result.ok()) {
        op.told_hold_id = result->hold().hold_id();
        op.hold_points = result->points_released();
      }
      break;
    }
    case OpKind::kRefund: {
      v1::RefundPurchaseRequest request;
      request.set_request_id(op.request_id);
      request.set_receipt_id(op.receipt_id);
      if (op.amount_minor > 0) {
        request.mutable_amount()->set_currency_code("USD");
        request.mutable_amount()->set_amount_minor(op.amount_minor);
      }
      auto result = client.RefundPurchase(request);
      Classify(result, op);
      if (result.ok()) {
        op.balance_delta = result->points_returned() - result->points_clawed_back();
        op.transfer_id = result->refund_transfer_id();
        op.transfer_points = result->points_returned();
        op.clawback_transfer_id = result->clawback_transfer_id();
        op.clawback_points = result->points_clawed_back();
      }
      break;
    }
  }
}

// Progress and outage signals shared by the tills and the harness.
struct Signals {
  std::mutex mutex;
  std::condition_variable changed;
  int64_t acknowledged = 0;
  int64_t failed_attempts = 0;  // Attempts the SDK will retry.
  std::atomic<bool> stop = false;

  void Add(int64_t Signals::*counter) {
    {
      std::lock_guard lock(mutex);
      ++(this->*counter);
    }
    changed.notify_all();
  }
  // Waits until `counter` reaches `target`; false when `limit` passes first.
  bool WaitFor(int64_t Signals::*counter, int64_t target, SteadyClock::duration limit) {
    std::unique_lock lock(mutex);
    return changed.wait_for(lock, limit, [&] { return this->*counter >= target; });
  }
  int64_t Read(int64_t Signals::*counter) {
    std::lock_guard lock(mutex);
    return this->*counter;
  }
};

// A till: one partner's client, its own RNG and journal. It trades until told to
// stop, then finishes the operation in hand.
class Till {
 public:
  Till(int index, int partner, const std::string& target, const std::string& api_key,
       uint64_t seed, Signals& signals)
      : index_(index), partner_(partner), rng_(seed), signals_(signals) {
    sdk::Options options;
    options.endpoint = target;
    options.tls = false;
    options.api_key = api_key;
    options.deadline = seconds(3);
    // Generous: the tills ride through every restart on their retries.
    options.retry.max_attempts = 200;
    options.retry.initial_backoff = milliseconds(20);
    options.retry.max_backoff = milliseconds(500);
    options.retry.total_timeout = seconds(60);
    options.on_attempt = [this](const sdk::AttemptInfo& attempt) {
      if (!attempt.will_retry) return;
      signals_.Add(&Signals::failed_attempts);
      retried_.emplace(attempt.request_id);
    };
    client_ = std::make_unique<sdk::PartnerClient>(sdk::MakePartnerConnection(options));
  }

  void Run() {
    while (!signals_.stop) {
      const int dice = Uniform(0, 99);
      const int member = Uniform(0, kMembers - 1);
      if (dice < 35) {
        // A cash purchase that earns points.
        Op& accrued = Do(OpKind::kAccrue, member, [&](Op& op) {
          op.amount_minor = Uniform(100, 20'000);
          op.receipt_id = NewReceipt();
        });
        if (accrued.outcome == Outcome::kAcknowledged) {
          receipts_.push_back({accrued.receipt_id, member});
        }
      } else if (dice < 50) {
        Do(OpKind::kRedeem, member, [&](Op& op) { op.points = Uniform(1, 60); });
      } else if (dice < 78) {
        Checkout(member);
      } else if (!receipts_.empty()) {
        // The receipt's member, whose points come back or are clawed back.
        const auto [receipt, buyer] =
            receipts_[Uniform(0, static_cast<int>(receipts_.size()) - 1)];
        Do(OpKind::kRefund, buyer, [&](Op& op) {
          op.receipt_id = receipt;
          op.amount_minor = Uniform(0, 1) == 0 ? 0 : Uniform(1, 3'000);
        });
      }
    }
  }

  std::vector<Op>& journal() { return journal_; }
  sdk::PartnerClient& client() { return *client_; }
  std::vector<std::string>& mismatches() { return mismatches_; }
  // Requests that needed more than one attempt: the ones a fault caught in flight.
  const std::set<std::string>& retried() const { return retried_; }

 private:
  // A cash-plus-points payment: hold, then capture (and pay the rest in cash,
  // which earns points), void, or walk away and let the hold expire.
  void Checkout(int member) {
    const Op& held = Do(OpKind::kHold, member, [&](Op& op) { op.points = Uniform(5, 80); });
    if (held.outcome != Outcome::kAcknowledged) return;
    const std::string hold_id = held.told_hold_id;
    const int64_t held_points = held.hold_points;
    const int next = Uniform(0, 99);
    if (next < 60) {
      const std::string receipt = NewReceipt();
      const Op& captured = Do(OpKind::kCapture, member, [&](Op& op) {
        op.hold_id = hold_id;
        op.points = Uniform(0, 1) == 0 ? 0 : Uniform(1, static_cast<int>(held_points));
        op.receipt_id = receipt;
      });
      if (captured.outcome != Outcome::kAcknowledged) return;
      const Op& cash = Do(OpKind::kAccrue, member, [&](Op& op) {
        op.amount_minor = Uniform(100, 5'000);
        op.receipt_id = receipt;
      });
      // The purchase exists once the points were captured, cash or not.
      (void)cash;
      receipts_.push_back({receipt, member});
    } else if (next < 85) {
      Do(OpKind::kVoid, member, [&](Op& op) { op.hold_id = hold_id; });
    }
  }

  // Journals a new operation, sends it, and sometimes sends it once more as a
  // till would after restarting mid-call: the replay must be told the same.
  template <typename Fill>
  Op& Do(OpKind kind, int member, Fill fill) {
    Op& op = journal_.emplace_back();
    op.kind = kind;
    op.partner = partner_;
    op.member = member;
    op.request_id = "crash-" + std::to_string(index_) + "-" + std::to_string(journal_.size());
    fill(op);
    Send(*client_, op);
    if (op.outcome == Outcome::kAcknowledged) {
      signals_.Add(&Signals::acknowledged);
      if (Uniform(0, 9) == 0) {
        Op replay = op;
        Send(*client_, replay);
        if (replay.outcome == Outcome::kAcknowledged && Told(replay) != Told(op)) {
          mismatches_.push_back(op.request_id + " (" + Name(op.kind) + "): first told " +
                                Told(op) + ", the replay " + Told(replay));
        }
        // A replay that could not get through changes nothing we know.
        if (replay.outcome != Outcome::kAcknowledged && replay.outcome != Outcome::kGaveUp) {
          mismatches_.push_back(op.request_id + " (" + Name(op.kind) +
                                "): acknowledged, then its replay failed with " + replay.error);
        }
      }
    }
    return op;
  }

  std::string NewReceipt() {
    return "R-" + std::to_string(index_) + "-" + std::to_string(++receipts_issued_);
  }
  int Uniform(int low, int high) { return std::uniform_int_distribution<int>(low, high)(rng_); }

  int index_;
  int partner_;
  std::mt19937_64 rng_;
  Signals& signals_;
  std::unique_ptr<sdk::PartnerClient> client_;
  // A deque would do too; references returned by Do() are used before the next
  // emplace_back, so a vector is fine.
  std::vector<Op> journal_;
  std::vector<std::pair<std::string, int>> receipts_;  // receipt_id, member.
  std::vector<std::string> mismatches_;
  std::set<std::string> retried_;  // Written by on_attempt, on this till's thread.
  int receipts_issued_ = 0;
};

// --- the database as it is afterwards ---------------------------------------------

struct TransferRow {
  std::string id;
  std::string kind;
  int64_t points = 0;
  std::string member_id;
};

struct HoldRow {
  std::string id;
  std::string request_id;
  std::string partner_id;
  int64_t points = 0;
  std::string status;
};

struct LedgerState {
  // (partner_id, request_id) -> transfers posted for it.
  std::map<std::pair<std::string, std::string>, std::vector<TransferRow>> transfers;
  std::vector<std::string> transfers_without_request;
  std::set<std::pair<std::string, std::string>> idempotency_keys;
  std::map<std::string, HoldRow> holds_by_id;
  std::map<std::pair<std::string, std::string>, std::vector<HoldRow>> holds_by_request;
  std::map<std::string, std::pair<int64_t, int64_t>> balance_and_held_by_card;
};

LedgerState ReadLedger(const std::string& url) {
  pqxx::connection connection(url);
  pqxx::read_transaction tx(connection);
  LedgerState state;
  for (const auto& row :
       tx.exec("SELECT id, kind, points, member_id, partner_id, request_id FROM transfers")) {
    TransferRow transfer{row[0].as<std::string>(), row[1].as<std::string>(),
                         row[2].as<int64_t>(), row[3].as<std::string>()};
    if (row[4].is_null() || row[5].is_null()) {
      state.transfers_without_request.push_back(transfer.id + " " + transfer.kind);
      continue;
    }
    state.transfers[{row[4].as<std::string>(), row[5].as<std::string>()}].push_back(transfer);
  }
  for (const auto& row : tx.exec("SELECT partner_id, request_id FROM idempotency_keys")) {
    state.idempotency_keys.emplace(row[0].as<std::string>(), row[1].as<std::string>());
  }
  for (const auto& row :
       tx.exec("SELECT id, request_id, partner_id, points, status FROM holds")) {
    HoldRow hold{row[0].as<std::string>(), row[1].as<std::string>(), row[2].as<std::string>(),
                 row[3].as<int64_t>(), row[4].as<std::string>()};
    state.holds_by_id[hold.id] = hold;
    state.holds_by_request[{hold.partner_id, hold.request_id}].push_back(hold);
  }
  for (const auto& row : tx.exec(
           "SELECT c.card_number, m.balance, m.held FROM cards c JOIN members m ON m.id = "
           "c.member_id")) {
    state.balance_and_held_by_card[row[0].as<std::string>()] = {row[1].as<int64_t>(),
                                                                row[2].as<int64_t>()};
  }
  return state;
}

// Transfers of `kind` among `rows`.
std::vector<TransferRow> OfKind(const std::vector<TransferRow>& rows, const std::string& kind) {
  std::vector<TransferRow> out;
  for (const auto& row : rows) {
    if (row.kind == kind) out.push_back(row);
  }
  return out;
}

// Checks one posting the till was told about: exactly one transfer of `kind`,
// with the id and points it was told (none when it was told 0 points).
void ExpectPosted(const Op& op, const std::vector<TransferRow>& rows, const std::string& kind,
                  const std::string& told_id, int64_t told_points) {
  const auto posted = OfKind(rows, kind);
  if (told_points == 0) {
    EXPECT_TRUE(posted.empty()) << op.request_id << " (" << Name(op.kind) << ") was told 0 "
                                << kind << " points but posted " << posted.size();
    return;
  }
  if (posted.size() != 1) {
    ADD_FAILURE() << op.request_id << " (" << Name(op.kind) << "): " << posted.size() << " "
                  << kind << " transfers for one acknowledged request";
    return;
  }
  EXPECT_EQ(posted[0].id, told_id) << op.request_id << " (" << Name(op.kind) << ")";
  EXPECT_EQ(posted[0].points, told_points) << op.request_id << " (" << Name(op.kind) << ")";
}

std::string KindOfTransfer(OpKind kind) {
  switch (kind) {
    case OpKind::kAccrue: return "ACCRUAL";
    case OpKind::kRedeem: return "REDEMPTION";
    case OpKind::kCapture: return "HOLD_CAPTURE";
    default: return "";
  }
}

uint64_t Seed() {
  if (const char* seed = std::getenv("COALITION_CRASH_SEED"); seed != nullptr && *seed != '\0') {
    return std::stoull(seed);
  }
  return 20261123;
}

std::unique_ptr<grpc::ClientContext> OperatorContext() {
  auto context = std::make_unique<grpc::ClientContext>();
  context->AddMetadata("authorization", std::string("Bearer ") + kOperatorKey);
  context->set_deadline(std::chrono::system_clock::now() + seconds(30));
  return context;
}

TEST(CrashTest, KillNineAndPostgresCrashLoseOrDoubleNothing) {
  const auto started = SteadyClock::now();
  const uint64_t seed = Seed();
  std::cout << "crash test seed " << seed << " (COALITION_CRASH_SEED to repeat)\n";
  std::mt19937_64 chaos(seed);

  PgClusterOptions cluster_options;
  cluster_options.durable_commits = true;
  auto cluster = PgCluster::Start(cluster_options);
  const std::string url = cluster->CreateDatabase("coalition_crash");
  ServerProcess server(url, FreePort(), cluster->socket_dir() + "/coalition-server.log");
  server.Start();

  // Two partners that auto-enrol, with a points value so captures make
  // purchases that can be refunded; members enrolled up front.
  auto admin = v1::AdminService::NewStub(
      grpc::CreateChannel(server.target(), grpc::InsecureChannelCredentials()));
  std::vector<std::string> partner_ids;
  std::vector<std::string> api_keys;
  for (int p = 0; p < kPartners; ++p) {
    v1::CreatePartnerRequest create;
    create.set_code("crash" + std::to_string(p));
    create.set_display_name("Crash partner " + std::to_string(p));
    create.mutable_earn_rate()->set_points(1);
    create.mutable_earn_rate()->set_per_amount_minor(100);
    create.set_issuance_price_micros(12'500);
    create.set_redemption_rate_micros(8'000);
    create.set_auto_enroll(true);
    v1::CreatePartnerResponse created;
    auto status = admin->CreatePartner(OperatorContext().get(), create, &created);
    ASSERT_TRUE(status.ok()) << sdk::FormatError(status);
    partner_ids.push_back(created.partner().partner_id());
    api_keys.push_back(created.api_key_secret());

    v1::SetRedemptionPolicyRequest policy;
    policy.set_partner_code(create.code());
    policy.mutable_policy()->set_point_value_micros(10'000);
    policy.mutable_policy()->set_block_size_points(1);
    policy.mutable_policy()->set_max_points_share_bps(10'000);
    policy.mutable_policy()->set_refund_policy(
        p == 0 ? v1::REFUND_POLICY_PROPORTIONAL : v1::REFUND_POLICY_POINTS_FIRST);
    v1::RedemptionPolicyResponse set;
    status = admin->SetRedemptionPolicy(OperatorContext().get(), policy, &set);
    ASSERT_TRUE(status.ok()) << sdk::FormatError(status);
  }

  Signals signals;
  std::vector<std::unique_ptr<Till>> tills;
  for (int t = 0; t < kTills; ++t) {
    tills.push_back(std::make_unique<Till>(t, t % kPartners, server.target(),
                                           api_keys[t % kPartners], seed * 1000 + t, signals));
  }
  for (int m = 0; m < kMembers; ++m) {
    v1::EnrollMemberRequest enroll;
    enroll.set_request_id("crash-enroll-" + std::to_string(m));
    enroll.set_card_number(Card(m));
    auto enrolled = tills[0]->client().EnrollMember(enroll);
    ASSERT_TRUE(enrolled.ok()) << sdk::FormatError(enrolled.error());
  }

  std::vector<std::thread> threads;
  for (auto& till : tills) threads.emplace_back([&till] { till->Run(); });
  const auto stop_tills = [&] {
    {
      std::lock_guard lock(signals.mutex);
      signals.stop = true;
    }
    for (auto& thread : threads) thread.join();
  };

  // kServerKills kill -9s and one PostgreSQL crash, in a seeded order, each after
  // a seeded number of acknowledged operations.
  std::vector<bool> faults(kServerKills, true);
  faults.insert(faults.begin() + std::uniform_int_distribution<int>(0, kServerKills)(chaos),
                false);
  std::string chaos_failure;
  int64_t outages_seen = 0;
  for (const bool kill_server : faults) {
    const int64_t after =
        std::uniform_int_distribution<int64_t>(kMinOpsBetweenFaults, kMaxOpsBetweenFaults)(chaos);
    if (!signals.WaitFor(&Signals::acknowledged, signals.Read(&Signals::acknowledged) + after,
                         kProgressLimit)) {
      chaos_failure = "no progress: the tills could not get " + std::to_string(after) +
                      " operations through in " + std::to_string(kProgressLimit.count()) + " s";
      break;
    }
    const int64_t failed_before = signals.Read(&Signals::failed_attempts);
    try {
      if (kill_server) {
        std::cout << "kill -9 coalition-server after " << signals.Read(&Signals::acknowledged)
                  << " acknowledged operations\n";
        server.Kill();
        server.Start();
      } else {
        std::cout << "immediate stop of PostgreSQL after " << signals.Read(&Signals::acknowledged)
                  << " acknowledged operations\n";
        cluster->StopImmediate();
        // Restart once the tills have seen the database gone (bounded: an idle
        // moment is no failure).
        if (signals.WaitFor(&Signals::failed_attempts, failed_before + kTills,
                            kTillsSeeOutageLimit)) {
          ++outages_seen;
        }
        cluster->StartAgain();
      }
    } catch (const std::exception& e) {
      chaos_failure = e.what();
      break;
    }
    if (kill_server && signals.Read(&Signals::failed_attempts) > failed_before) ++outages_seen;
  }
  if (chaos_failure.empty() &&
      !signals.WaitFor(&Signals::acknowledged,
                       signals.Read(&Signals::acknowledged) + kOpsAfterLastFault,
                       kProgressLimit)) {
    chaos_failure = "no progress after the last fault";
  }
  stop_tills();
  ASSERT_TRUE(chaos_failure.empty()) << chaos_failure << "\nserver log tail:\n"
                                     << server.LogTail() << "\npostgres log tail:\n"
                                     << cluster->LogTail();

  // A till that gave up sends its journal entry again once the service is
  // back, as a real one would; now every request has a final answer.
  int gave_up = 0;
  int retried_then_acknowledged = 0;
  std::map<std::string, int> outcomes;
  std::vector<std::string> failures;
  for (auto& till : tills) {
    for (auto& op : till->journal()) {
      if (op.outcome == Outcome::kGaveUp) {
        ++gave_up;
        Send(till->client(), op);
      }
      if (op.outcome == Outcome::kAcknowledged && till->retried().contains(op.request_id)) {
        ++retried_then_acknowledged;
      }
      const char* outcome = op.outcome == Outcome::kAcknowledged ? "acknowledged"
                            : op.outcome == Outcome::kRejected   ? "rejected"
                            : op.outcome == Outcome::kGaveUp     ? "gave up"
                                                                 : "unexpected";
      ++outcomes[std::string(Name(op.kind)) + " " + outcome];
      if (op.outcome == Outcome::kUnexpected || op.outcome == Outcome::kGaveUp) {
        failures.push_back(op.request_id + " (" + Name(op.kind) + "): " + op.error);
      }
    }
    for (const auto& mismatch : till->mismatches()) failures.push_back(mismatch);
  }
  for (const auto& [what, count] : outcomes) std::cout << "  " << what << ": " << count << "\n";
  std::cout << retried_then_acknowledged << " acknowledged requests needed retries; " << gave_up
            << " gave up during the chaos and were resent; " << outages_seen
            << " of " << faults.size() << " faults were seen by the tills\n";
  EXPECT_TRUE(failures.empty()) << failures.size() << " requests went wrong, e.g.:\n"
                                << [&] {
                                     std::string text;
                                     for (size_t i = 0; i < failures.size() && i < 20; ++i) {
                                       text += "  " + failures[i] + "\n";
                                     }
                                     return text;
                                   }();

  // (e) The sweeper releases every hold by its expiry: the tills walked away
  // from some, and the last ones expire kHoldTtlSeconds after the chaos.
  {
    pqxx::connection connection(url);
    const auto give_up = SteadyClock::now() + kHoldsSweptLimit;
    int64_t open = 0;
    for (;;) {
      pqxx::nontransaction tx(connection);
      open = tx.exec1("SELECT count(*) FROM holds WHERE status = 'OPEN'")[0].as<int64_t>();
      if (open == 0 || SteadyClock::now() > give_up) break;
      // Polls the outcome of the server's own sweeper; bounded above.
      std::this_thread::sleep_for(milliseconds(100));
    }
    EXPECT_EQ(open, 0) << "holds still open " << kHoldsSweptLimit.count() << " s after the chaos";
  }

  // (a) Every SPEC §2 invariant, as `coalitionctl verify` checks them.
  {
    v1::VerifyLedgerResponse verified;
    auto status = admin->VerifyLedger(OperatorContext().get(), {}, &verified);
    ASSERT_TRUE(status.ok()) << sdk::FormatError(status);
    for (const auto& check : verified.checks()) {
      EXPECT_TRUE(check.ok()) << check.name() << ": "
                              << (check.examples().empty() ? "" : check.examples(0));
    }
    EXPECT_TRUE(verified.ok());
  }

  // (b), (c), (d): the ledger against the tills' journals.
  const LedgerState ledger = ReadLedger(url);
  EXPECT_TRUE(ledger.transfers_without_request.empty())
      << "transfers no till asked for, e.g. " << ledger.transfers_without_request.front();
  std::set<std::pair<std::string, std::string>> journaled;
  std::map<int, int64_t> expected_balance;
  int64_t acknowledged = 0;
  for (auto& till : tills) {
    for (const auto& op : till->journal()) {
      const std::pair<std::string, std::string> key{partner_ids[op.partner], op.request_id};
      journaled.insert(key);
      const auto found = ledger.transfers.find(key);
      const std::vector<TransferRow> none;
      const auto& posted = found == ledger.transfers.end() ? none : found->second;
      const auto holds = ledger.holds_by_request.find(key);
      if (op.outcome == Outcome::kRejected || op.outcome == Outcome::kUnexpected) {
        // (d) A rejected request wrote nothing, not even its idempotency key.
        EXPECT_FALSE(ledger.idempotency_keys.contains(key))
            << op.request_id << " (" << Name(op.kind) << ") was rejected (" << op.error
            << ") but its request row exists";
        EXPECT_TRUE(posted.empty()) << op.request_id << " (" << Name(op.kind)
                                    << ") was rejected (" << op.error << ") but posted "
                                    << posted.size() << " transfers";
        EXPECT_EQ(holds, ledger.holds_by_request.end())
            << op.request_id << " (" << Name(op.kind) << ") was rejected but made a hold";
        continue;
      }
      if (op.outcome != Outcome::kAcknowledged) continue;  // Reported above.
      // (b) Applied exactly once, as the till was told.
      ++acknowledged;
      EXPECT_TRUE(ledger.idempotency_keys.contains(key))
          << op.request_id << " (" << Name(op.kind) << ") was acknowledged but has no request row";
      expected_balance[op.member] += op.balance_delta;
      switch (op.kind) {
        case OpKind::kAccrue:
        case OpKind::kRedeem:
        case OpKind::kCapture:
          ExpectPosted(op, posted, KindOfTransfer(op.kind), op.transfer_id, op.transfer_points);
          EXPECT_EQ(posted.size(), OfKind(posted, KindOfTransfer(op.kind)).size())
              << op.request_id << " (" << Name(op.kind) << ") posted other kinds of transfer";
          break;
        case OpKind::kRefund:
          ExpectPosted(op, posted, "REFUND", op.transfer_id, op.transfer_points);
          ExpectPosted(op, posted, "CLAWBACK", op.clawback_transfer_id, op.clawback_points);
          EXPECT_EQ(posted.size(),
                    OfKind(posted, "REFUND").size() + OfKind(posted, "CLAWBACK").size())
              << op.request_id << " posted other kinds of transfer";
          break;
        case OpKind::kHold: {
          EXPECT_TRUE(posted.empty()) << op.request_id << " (HoldPoints) posted a transfer";
          if (holds == ledger.holds_by_request.end() || holds->second.size() != 1) {
            ADD_FAILURE() << op.request_id << " (HoldPoints) made "
                          << (holds == ledger.holds_by_request.end() ? 0 : holds->second.size())
                          << " holds";
            break;
          }
          EXPECT_EQ(holds->second[0].id, op.told_hold_id) << op.request_id;
          EXPECT_EQ(holds->second[0].points, op.hold_points) << op.request_id;
          break;
        }
        case OpKind::kVoid: {
          EXPECT_TRUE(posted.empty()) << op.request_id << " (VoidHold) posted a transfer";
          const auto hold = ledger.holds_by_id.find(op.hold_id);
          if (hold == ledger.holds_by_id.end()) {
            ADD_FAILURE() << op.request_id << " (VoidHold): hold " << op.hold_id << " is gone";
            break;
          }
          EXPECT_EQ(hold->second.status, "VOIDED") << op.request_id;
          break;
        }
      }
    }
  }
  // (c) Nothing was posted for a request no till sent, and no member's balance
  // differs from what the acknowledged requests add up to.
  for (const auto& [key, rows] : ledger.transfers) {
    EXPECT_TRUE(journaled.contains(key))
        << rows.size() << " transfers for request " << key.second << " that no till sent";
  }
  for (int m = 0; m < kMembers; ++m) {
    const auto found = ledger.balance_and_held_by_card.find(Card(m));
    ASSERT_NE(found, ledger.balance_and_held_by_card.end()) << Card(m);
    EXPECT_EQ(found->second.first, expected_balance[m])
        << Card(m) << ": the balance is not what the acknowledged requests add up to";
    EXPECT_EQ(found->second.second, 0) << Card(m) << ": points still held after every hold closed";
  }
  EXPECT_GT(acknowledged, kServerKills * kMinOpsBetweenFaults);

  EXPECT_EQ(server.Terminate(), 0) << server.LogTail();
  const auto took = std::chrono::duration_cast<seconds>(SteadyClock::now() - started);
  std::cout << acknowledged << " acknowledged operations checked; the crash test took "
            << took.count() << " s\n";
}

}  // namespace
}  // namespace coalition::testing
