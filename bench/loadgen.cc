// loadgen: the load generator of bench/run.sh. Many concurrent clients, each a
// thread with its own channel (so calls do not queue behind one HTTP/2
// connection), drive a running coalition-server with one scenario:
//
//   accrual  Accrue spread over --members pre-enrolled cards
//   mixed    till traffic: 60% Accrue, 20% Redeem, 20% HoldPoints + CapturePoints
//   hot      every client accrues to the same card (one member row for all)
//   seed     enrols the --members cards with an opening balance (idempotent)
//   bulk     streams --lines accruals over the --members cards with BatchAccrue,
//            split over the clients (one stream each); prints lines per second.
//            --file-id names the file: the same id again replays it.
//
// It prints throughput, latency percentiles and errors by gRPC code, and writes
// the same as JSON (--json). With --rate the clients are paced to a total call
// rate and each latency counts from the call's scheduled start, so a server
// that falls behind shows it in the percentiles (no coordinated omission).
#include <algorithm>
#include <atomic>
#include <chrono>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <map>
#include <random>
#include <sstream>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>
#include <grpcpp/create_channel.h>
#include <nlohmann/json.hpp>

#include "coalition/sdk/errors.h"
#include "coalition/sdk/request_id.h"
#include "coalition/v1/partner_service.grpc.pb.h"

namespace {

using Clock = std::chrono::steady_clock;
namespace v1 = coalition::v1;

struct Options {
  std::string endpoint = "127.0.0.1:50051";
  std::string api_key;
  std::string scenario = "accrual";
  std::string currency = "USD";
  std::string card_prefix = "LG";
  std::string json_path;
  int clients = 16;
  double seconds = 10;
  double warmup_seconds = 1;
  int members = 100'000;
  double rate = 0;  // total calls per second; 0 = as fast as the server answers
  int64_t seed_amount_minor = 100'000;
  int64_t lines = 200'000;      // bulk
  int lines_per_message = 1'000;  // bulk
  std::string file_id;          // bulk; default: this run's id
  bool receipts = true;         // bulk: every line names its own receipt
};

// What one client thread saw; merged after the run.
struct ClientStats {
  std::map<std::string, std::vector<double>> latencies_ms;  // by method
  std::map<std::string, int64_t> errors;                    // "CODE" or "CODE/REASON"
  int64_t operations = 0;
};

std::string CardNumber(const Options& options, int64_t index) {
  std::ostringstream card;
  card << options.card_prefix << '-' << std::setw(7) << std::setfill('0') << index;
  return card.str();
}

std::string SeedMarkerCard(const Options& options) {
  return options.card_prefix + "-SEEDED-" + std::to_string(options.members);
}

class Client {
 public:
  Client(const Options& options, int index, const std::string& run)
      : options_(options),
        index_(index),
        run_(run),
        stub_(v1::PartnerService::NewStub(
            grpc::CreateChannel(options.endpoint, grpc::InsecureChannelCredentials()))),
        random_(std::random_device{}() + static_cast<unsigned>(index)) {}

  // Runs one operation of the scenario starting at `scheduled`; records the
  // latency of each call when `record` is set.
  void RunOperation(Clock::time_point scheduled, bool record, int64_t sequence) {
    const auto& scenario = options_.scenario;
    if (scenario == "accrual") {
      Accrue(RandomCard(), 100 + Pick(49'900), scheduled, record);
    } else if (scenario == "hot") {
      Accrue(options_.card_prefix + "-HOT", 100 + Pick(49'900), scheduled, record);
    } else if (scenario == "seed") {
      Accrue(CardNumber(options_, sequence), options_.seed_amount_minor, scheduled, record,
             "seed-" + CardNumber(options_, sequence));
    } else {  // mixed
      const int roll = static_cast<int>(Pick(100));
      const std::string card = RandomCard();
      if (roll < 60) {
        Accrue(card, 100 + Pick(49'900), scheduled, record);
      } else if (roll < 80) {
        Redeem(card, 1 + Pick(5), scheduled, record);
      } else {
        HoldAndCapture(card, 1 + Pick(5), scheduled, record);
      }
    }
    if (record) ++stats_.operations;
  }

  ClientStats& stats() { return stats_; }

 private:
  int64_t Pick(int64_t bound) { return std::uniform_int_distribution<int64_t>(0, bound - 1)(random_); }
  std::string RandomCard() { return CardNumber(options_, Pick(options_.members)); }
  std::string NextRequestId() {
    return "lg-" + run_ + "-" + std::to_string(index_) + "-" + std::to_string(++calls_);
  }

  std::unique_ptr<grpc::ClientContext> Context() const {
    auto context = std::make_unique<grpc::ClientContext>();
    context->AddMetadata("authorization", "Bearer " + options_.api_key);
    context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    return context;
  }

  // Records the call; returns whether it succeeded.
  bool Record(const char* method, const grpc::Status& status, Clock::time_point since,
              bool record) {
    if (!record) return status.ok();
    if (status.ok()) {
      stats_.latencies_ms[method].push_back(
          std::chrono::duration<double, std::milli>(Clock::now() - since).count());
      return true;
    }
    const auto details = coalition::sdk::DecodeError(status);
    std::string key = coalition::sdk::StatusCodeName(details.code);
    if (!details.reason.empty()) key += "/" + details.reason;
    ++stats_.errors[key];
    return false;
  }

  void Accrue(const std::string& card, int64_t amount_minor, Clock::time_point scheduled,
              bool record, std::string request_id = "") {
    v1::AccrueRequest request;
    request.set_request_id(request_id.empty() ? NextRequestId() : std::move(request_id));
    request.set_card_number(card);
    request.mutable_amount()->set_currency_code(options_.currency);
    request.mutable_amount()->set_amount_minor(amount_minor);
    request.set_store_id("loadgen");
    v1::AccrueResponse response;
    Record("Accrue", stub_->Accrue(Context().get(), request, &response), scheduled, record);
  }

  void Redeem(const std::string& card, int64_t points, Clock::time_point scheduled, bool record) {
    v1::RedeemRequest request;
    request.set_request_id(NextRequestId());
    request.set_card_number(card);
    request.set_points(points);
    v1::RedeemResponse response;
    Record("Redeem", stub_->Redeem(Context().get(), request, &response), scheduled, record);
  }

  void HoldAndCapture(const std::string& card, int64_t points, Clock::time_point scheduled,
                      bool record) {
    v1::HoldPointsRequest hold;
    hold.set_request_id(NextRequestId());
    hold.set_card_number(card);
    hold.set_points(points);
    hold.set_reference("loadgen");
    v1::HoldPointsResponse held;
    if (!Record("HoldPoints", stub_->HoldPoints(Context().get(), hold, &held), scheduled, record)) {
      return;
    }
    v1::CapturePointsRequest capture;
    capture.set_request_id(NextRequestId());
    capture.set_hold_id(held.hold().hold_id());
    v1::CapturePointsResponse captured;
    const auto sent = Clock::now();
    Record("CapturePoints", stub_->CapturePoints(Context().get(), capture, &captured), sent,
           record);
  }

  const Options& options_;
  const int index_;
  const std::string run_;
  std::unique_ptr<v1::PartnerService::Stub> stub_;
  std::mt19937_64 random_;
  int64_t calls_ = 0;
  ClientStats stats_;
};

double Percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0.0;
  const auto rank = static_cast<size_t>(p * static_cast<double>(sorted.size()));
  return sorted[std::min(sorted.size() - 1, rank)];
}

nlohmann::json LatencySummary(std::vector<double> latencies, double seconds) {
  std::sort(latencies.begin(), latencies.end());
  return {{"calls", latencies.size()},
          {"per_second", static_cast<double>(latencies.size()) / seconds},
          {"p50_ms", Percentile(latencies, 0.50)},
          {"p95_ms", Percentile(latencies, 0.95)},
          {"p99_ms", Percentile(latencies, 0.99)},
          {"max_ms", latencies.empty() ? 0.0 : latencies.back()}};
}

bool SeedDone(const Options& options) {
  auto stub = v1::PartnerService::NewStub(
      grpc::CreateChannel(options.endpoint, grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  context.AddMetadata("authorization", "Bearer " + options.api_key);
  v1::GetMemberRequest request;
  request.set_card_number(SeedMarkerCard(options));
  v1::GetMemberResponse response;
  return stub->GetMember(&context, request, &response).ok();
}

// Seeding: every client takes the next card index until all are done.
nlohmann::json RunSeed(const Options& options, const std::string& run) {
  if (SeedDone(options)) {
    std::cout << "seed: " << options.members << " cards already enrolled\n";
    return {{"scenario", "seed"}, {"skipped", true}};
  }
  std::atomic<int64_t> next{0};
  std::vector<std::unique_ptr<Client>> clients;
  for (int c = 0; c < options.clients; ++c) {
    clients.push_back(std::make_unique<Client>(options, c, run));
  }
  const auto started = Clock::now();
  std::vector<std::thread> threads;
  for (auto& client : clients) {
    threads.emplace_back([&, raw = client.get()] {
      for (int64_t i; (i = next.fetch_add(1)) < options.members;) {
        raw->RunOperation(Clock::now(), true, i);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  const double elapsed = std::chrono::duration<double>(Clock::now() - started).count();
  int64_t failed = 0;
  for (auto& client : clients) {
    for (const auto& [code, count] : client->stats().errors) failed += count;
  }
  if (failed == 0) {
    v1::AccrueRequest request;
    auto stub = v1::PartnerService::NewStub(
        grpc::CreateChannel(options.endpoint, grpc::InsecureChannelCredentials()));
    grpc::ClientContext context;
    context.AddMetadata("authorization", "Bearer " + options.api_key);
    request.set_request_id("seed-" + SeedMarkerCard(options));
    request.set_card_number(SeedMarkerCard(options));
    request.mutable_amount()->set_currency_code(options.currency);
    request.mutable_amount()->set_amount_minor(100);
    v1::AccrueResponse response;
    const auto status = stub->Accrue(&context, request, &response);
    if (!status.ok()) std::cerr << "seed marker: " << coalition::sdk::FormatError(status) << "\n";
  }
  std::cout << "seed: " << options.members << " cards in " << elapsed << " s ("
            << static_cast<double>(options.members) / elapsed << " /s), " << failed
            << " failed\n";
  return {{"scenario", "seed"}, {"seconds", elapsed}, {"failed", failed}};
}

// The bulk scenario: each client streams its share of one file of accruals
// (line i goes to card i mod members) and waits for the summary.
nlohmann::json RunBulk(const Options& options, const std::string& run) {
  const std::string file_id = options.file_id.empty() ? run : options.file_id;
  std::vector<v1::BatchAccrueResponse> responses(options.clients);
  std::vector<grpc::Status> statuses(options.clients);
  const auto started = Clock::now();
  std::vector<std::thread> threads;
  for (int c = 0; c < options.clients; ++c) {
    threads.emplace_back([&, c] {
      auto stub = v1::PartnerService::NewStub(
          grpc::CreateChannel(options.endpoint, grpc::InsecureChannelCredentials()));
      grpc::ClientContext context;
      context.AddMetadata("authorization", "Bearer " + options.api_key);
      auto writer = stub->BatchAccrue(&context, &responses[c]);
      v1::BatchAccrueRequest message;
      for (int64_t i = c; i < options.lines; i += options.clients) {
        auto* line = message.add_lines();
        line->set_request_id("bulk-" + file_id + "-" + std::to_string(i));
        line->set_card_number(CardNumber(options, i % options.members));
        line->mutable_amount()->set_currency_code(options.currency);
        line->mutable_amount()->set_amount_minor(100 + (i * 7919) % 49'900);
        if (options.receipts) line->set_receipt_id("bulk-" + file_id + "-" + std::to_string(i));
        if (message.lines_size() == options.lines_per_message) {
          if (!writer->Write(message)) break;
          message.clear_lines();
        }
      }
      if (message.lines_size() > 0) writer->Write(message);
      writer->WritesDone();
      statuses[c] = writer->Finish();
    });
  }
  for (auto& thread : threads) thread.join();
  const double seconds = std::chrono::duration<double>(Clock::now() - started).count();
  int64_t received = 0, applied = 0, replayed = 0, rejected = 0, failed_streams = 0;
  std::map<std::string, int64_t> errors;
  for (int c = 0; c < options.clients; ++c) {
    if (!statuses[c].ok()) {
      ++failed_streams;
      errors[coalition::sdk::FormatError(statuses[c])] += 1;
      continue;
    }
    received += responses[c].lines_received();
    applied += responses[c].lines_applied();
    replayed += responses[c].lines_replayed();
    rejected += responses[c].lines_rejected();
    for (const auto& error : responses[c].errors()) errors[error.reason()] += 1;
  }
  const double per_second = static_cast<double>(applied + replayed) / seconds;
  std::cout << std::fixed << std::setprecision(1) << "bulk: " << options.lines << " lines, "
            << options.clients << " streams, " << seconds << " s\n  applied " << applied
            << ", replayed " << replayed << ", rejected " << rejected << ", failed streams "
            << failed_streams << "\n  " << per_second << " lines/s\n";
  for (const auto& [error, count] : errors) {
    std::cout << "  errors " << error << ": " << count << "\n";
  }
  return {{"scenario", "bulk"},        {"clients", options.clients},
          {"lines", options.lines},     {"seconds", seconds},
          {"received", received},       {"applied", applied},
          {"replayed", replayed},       {"rejected", rejected},
          {"failed_streams", failed_streams}, {"lines_per_second", per_second},
          {"errors", errors}};
}

nlohmann::json RunScenario(const Options& options, const std::string& run) {
  std::vector<std::unique_ptr<Client>> clients;
  for (int c = 0; c < options.clients; ++c) {
    clients.push_back(std::make_unique<Client>(options, c, run));
  }
  std::atomic<bool> stop{false};
  const auto started = Clock::now();
  const auto measure_from =
      started + std::chrono::duration_cast<Clock::duration>(
                    std::chrono::duration<double>(options.warmup_seconds));
  const auto interval = options.rate > 0
                            ? std::chrono::duration_cast<Clock::duration>(
                                  std::chrono::duration<double>(options.clients / options.rate))
                            : Clock::duration::zero();
  std::vector<std::thread> threads;
  for (int c = 0; c < options.clients; ++c) {
    threads.emplace_back([&, c] {
      auto& client = *clients[c];
      // Paced clients start spread over one interval rather than all at once.
      auto scheduled = started + interval * c / options.clients;
      for (int64_t i = 0; !stop.load(std::memory_order_relaxed); ++i) {
        if (options.rate > 0) {
          std::this_thread::sleep_until(scheduled);
        } else {
          scheduled = Clock::now();
        }
        client.RunOperation(scheduled, scheduled >= measure_from, i);
        scheduled += interval;
      }
    });
  }
  std::this_thread::sleep_until(measure_from + std::chrono::duration_cast<Clock::duration>(
                                                   std::chrono::duration<double>(options.seconds)));
  stop = true;
  const auto measured_until = Clock::now();
  for (auto& thread : threads) thread.join();
  const double seconds = std::chrono::duration<double>(measured_until - measure_from).count();

  std::map<std::string, std::vector<double>> by_method;
  std::vector<double> all;
  std::map<std::string, int64_t> errors;
  int64_t operations = 0;
  for (auto& client : clients) {
    auto& stats = client->stats();
    operations += stats.operations;
    for (auto& [method, latencies] : stats.latencies_ms) {
      all.insert(all.end(), latencies.begin(), latencies.end());
      auto& merged = by_method[method];
      merged.insert(merged.end(), latencies.begin(), latencies.end());
    }
    for (const auto& [code, count] : stats.errors) errors[code] += count;
  }
  nlohmann::json result = LatencySummary(all, seconds);
  result["scenario"] = options.scenario;
  result["clients"] = options.clients;
  result["members"] = options.scenario == "hot" ? 1 : options.members;
  result["target_rate"] = options.rate;
  result["seconds"] = seconds;
  result["operations"] = operations;
  result["errors"] = errors;
  int64_t error_total = 0;
  for (const auto& [code, count] : errors) error_total += count;
  result["error_total"] = error_total;
  for (auto& [method, latencies] : by_method) {
    result["methods"][method] = LatencySummary(std::move(latencies), seconds);
  }
  return result;
}

void Print(const nlohmann::json& result) {
  if (!result.contains("per_second")) return;
  std::cout << std::fixed << std::setprecision(1) << result["scenario"].get<std::string>()
            << ": " << result["clients"].get<int>() << " clients, "
            << result["seconds"].get<double>() << " s"
            << (result["target_rate"].get<double>() > 0
                    ? ", paced at " + std::to_string(result["target_rate"].get<int64_t>()) + "/s"
                    : "")
            << "\n  ok calls " << result["calls"].get<int64_t>() << " ("
            << result["per_second"].get<double>() << " /s)\n"
            << std::setprecision(2) << "  latency ms  p50 " << result["p50_ms"].get<double>()
            << "  p95 " << result["p95_ms"].get<double>() << "  p99 "
            << result["p99_ms"].get<double>() << "  max " << result["max_ms"].get<double>()
            << "\n";
  for (const auto& [method, summary] : result["methods"].items()) {
    std::cout << std::setprecision(1) << "  " << std::left << std::setw(14) << method
              << std::right << summary["per_second"].get<double>() << " /s  p99 "
              << std::setprecision(2) << summary["p99_ms"].get<double>() << " ms\n";
  }
  for (const auto& [code, count] : result["errors"].items()) {
    std::cout << "  errors " << code << ": " << count.get<int64_t>() << "\n";
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App cli{"loadgen: drive a running coalition-server with concurrent partner traffic"};
  Options options;
  cli.add_option("--endpoint", options.endpoint, "Server host:port")
      ->envname("COALITION_ENDPOINT");
  cli.add_option("--key", options.api_key,
                 "API key of the partner sending the traffic (seed needs auto_enroll)")
      ->envname("COALITION_API_KEY")
      ->required();
  cli.add_option("--scenario", options.scenario, "accrual, mixed, hot, seed or bulk")
      ->check(CLI::IsMember({"accrual", "mixed", "hot", "seed", "bulk"}));
  cli.add_option("--lines", options.lines, "bulk: accrual lines in the file")
      ->check(CLI::Range(int64_t{1}, int64_t{100'000'000}));
  cli.add_option("--lines-per-message", options.lines_per_message,
                 "bulk: lines per BatchAccrueRequest")
      ->check(CLI::Range(1, 10'000));
  cli.add_option("--file-id", options.file_id,
                 "bulk: names the file's request_ids (the same id again replays it)");
  cli.add_flag("!--no-receipts", options.receipts, "bulk: lines name no receipt (no purchases)");
  cli.add_option("--clients", options.clients, "Concurrent clients, each with its own channel")
      ->check(CLI::Range(1, 1024));
  cli.add_option("--seconds", options.seconds, "Measured duration")->check(CLI::Range(0.1, 3600.0));
  cli.add_option("--warmup", options.warmup_seconds, "Unmeasured seconds before")
      ->check(CLI::Range(0.0, 600.0));
  cli.add_option("--members", options.members, "Cards the traffic is spread over")
      ->check(CLI::Range(1, 9'999'999));
  cli.add_option("--card-prefix", options.card_prefix, "Cards are <prefix>-0000000 ...");
  cli.add_option("--rate", options.rate, "Total calls per second to pace at (0: unpaced)")
      ->check(CLI::Range(0.0, 1e7));
  cli.add_option("--seed-amount-minor", options.seed_amount_minor,
                 "Purchase amount of each seeding accrual (the opening balance)");
  cli.add_option("--currency", options.currency, "Programme currency");
  cli.add_option("--json", options.json_path, "Write the result as JSON to this file");
  CLI11_PARSE(cli, argc, argv);

  const std::string run = coalition::sdk::NewRequestId().substr(4, 10);
  nlohmann::json result = options.scenario == "seed"   ? RunSeed(options, run)
                          : options.scenario == "bulk" ? RunBulk(options, run)
                                                       : RunScenario(options, run);
  Print(result);
  if (!options.json_path.empty()) {
    std::ofstream out(options.json_path);
    out << result.dump(2) << "\n";
    if (!out) {
      std::cerr << "cannot write " << options.json_path << "\n";
      return 1;
    }
  }
  return 0;
}
