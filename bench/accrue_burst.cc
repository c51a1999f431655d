// A quick accrual throughput probe: N clients, each with its own channel,
// send Accrue calls back to back for a fixed time against a running server
// and print throughput and latency percentiles. The full load generator with
// a pgbench reference comes with the benchmark issue.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <iostream>
#include <map>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>
#include <grpcpp/create_channel.h>

#include "coalition/sdk/errors.h"
#include "coalition/sdk/request_id.h"
#include "coalition/v1/partner_service.grpc.pb.h"

int main(int argc, char** argv) {
  CLI::App cli{"accrue_burst: accrual throughput against a running coalition-server"};
  std::string endpoint = "127.0.0.1:50051";
  std::string api_key;
  std::string currency = "USD";
  int clients = 16;
  int seconds = 10;
  int members = 10'000;
  cli.add_option("--endpoint", endpoint, "Server host:port")->envname("COALITION_ENDPOINT");
  cli.add_option("--key", api_key, "API key of a partner with auto_enroll")
      ->envname("COALITION_API_KEY")
      ->required();
  cli.add_option("--clients", clients, "Concurrent clients")->check(CLI::Range(1, 1024));
  cli.add_option("--seconds", seconds, "Duration")->check(CLI::Range(1, 600));
  cli.add_option("--members", members, "Distinct cards to spread accruals over")
      ->check(CLI::Range(1, 10'000'000));
  cli.add_option("--currency", currency, "Programme currency");
  CLI11_PARSE(cli, argc, argv);

  const std::string run = coalition::sdk::NewRequestId().substr(4, 8);
  std::atomic<bool> stop{false};
  std::vector<std::vector<double>> latencies(clients);
  std::vector<std::map<std::string, int>> errors(clients);
  std::vector<std::thread> threads;
  const auto started = std::chrono::steady_clock::now();
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      auto stub = coalition::v1::PartnerService::NewStub(
          grpc::CreateChannel(endpoint, grpc::InsecureChannelCredentials()));
      for (int64_t i = 0; !stop.load(std::memory_order_relaxed); ++i) {
        coalition::v1::AccrueRequest request;
        request.set_request_id("burst-" + run + "-" + std::to_string(c) + "-" + std::to_string(i));
        request.set_card_number("BURST-" + std::to_string((c * 7919 + i) % members));
        request.mutable_amount()->set_currency_code(currency);
        request.mutable_amount()->set_amount_minor(1000 + i % 5000);
        coalition::v1::AccrueResponse response;
        grpc::ClientContext context;
        context.AddMetadata("authorization", "Bearer " + api_key);
        context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
        const auto sent = std::chrono::steady_clock::now();
        const auto status = stub->Accrue(&context, request, &response);
        const double ms = std::chrono::duration<double, std::milli>(
                              std::chrono::steady_clock::now() - sent)
                              .count();
        if (status.ok()) {
          latencies[c].push_back(ms);
        } else {
          ++errors[c][coalition::sdk::StatusCodeName(status.error_code())];
        }
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::seconds(seconds));
  stop = true;
  for (auto& thread : threads) thread.join();
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

  std::vector<double> all;
  for (auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
  std::sort(all.begin(), all.end());
  const auto percentile = [&all](double p) {
    return all.empty() ? 0.0 : all[std::min(all.size() - 1, static_cast<size_t>(p * all.size()))];
  };
  std::map<std::string, int> error_totals;
  for (auto& e : errors) {
    for (auto& [code, count] : e) error_totals[code] += count;
  }
  std::cout << "clients " << clients << ", " << elapsed << " s\n"
            << "accruals ok: " << all.size() << " (" << all.size() / elapsed << " /s)\n"
            << "latency ms p50 " << percentile(0.50) << "  p95 " << percentile(0.95) << "  p99 "
            << percentile(0.99) << "  max " << (all.empty() ? 0.0 : all.back()) << "\n";
  for (const auto& [code, count] : error_totals) std::cout << "errors " << code << ": " << count << "\n";
  return error_totals.empty() ? 0 : 1;
}
