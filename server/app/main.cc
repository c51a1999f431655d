// coalition-server: the composition root. Parses the command line, loads the
// configuration, wires the server and waits for SIGTERM/SIGINT.
#include <pthread.h>
#include <signal.h>

#include <iostream>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "app/config.h"
#include "app/demo_seed.h"
#include "app/server.h"
#include "storage/migrations.h"

namespace {

sigset_t BlockShutdownSignals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  // Before any thread starts, so every thread inherits the mask and only the
  // sigwait below sees these signals.
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  return signals;
}

int Serve(const coalition::app::Config& config, const sigset_t& signals) {
  coalition::app::CoalitionServer server(config);
  server.Start();
  int signal_number = 0;
  sigwait(&signals, &signal_number);
  spdlog::info(R"({{"event":"shutdown","signal":{},"grace_seconds":{}}})", signal_number,
               config.shutdown_grace_seconds);
  server.Shutdown(std::chrono::seconds(config.shutdown_grace_seconds));
  spdlog::info(R"({{"event":"stopped"}})");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const sigset_t signals = BlockShutdownSignals();
  CLI::App cli{"coalition-server: the Coalition points ledger service"};
  std::optional<std::string> config_file;
  cli.add_option("--config", config_file, "JSON configuration file (COALITION_* variables override it)");
  cli.require_subcommand(0, 1);
  auto* serve = cli.add_subcommand("serve", "Apply migrations and serve gRPC (the default)");
  auto* migrate = cli.add_subcommand("migrate", "Apply pending database migrations and exit");
  auto* seed = cli.add_subcommand("seed-demo", "Create demo partners and members (dev mode)");
  std::string keys_file = ".dev/demo-keys.env";
  seed->add_option("--keys-file", keys_file, "Where to write the demo partners' API keys");
  (void)serve;
  CLI11_PARSE(cli, argc, argv);

  spdlog::set_pattern("%v");
  try {
    const auto config =
        coalition::app::LoadConfig(config_file, coalition::app::CoalitionEnvironment());
    spdlog::set_level(spdlog::level::from_str(config.log_level));
    if (migrate->parsed()) {
      const auto report = coalition::storage::ApplyMigrations(config.database_url);
      std::cout << "migrations applied: " << report.applied
                << ", already applied: " << report.already_applied << "\n";
      return 0;
    }
    if (seed->parsed()) {
      coalition::storage::ApplyMigrations(config.database_url);
      coalition::app::CoalitionServer server(config);
      coalition::app::SeedDemo(server, keys_file);
      return 0;
    }
    return Serve(config, signals);
  } catch (const std::exception& e) {
    spdlog::critical(nlohmann::json{{"event", "fatal"}, {"error", e.what()}}.dump(
        -1, ' ', false, nlohmann::json::error_handler_t::replace));
    return 1;
  }
}
