// Shared by the PartnerClient examples: connection settings from the
// environment and the command line, and nothing else worth copying.
//
//   COALITION_ENDPOINT   host:port (or --endpoint=host:port)
//   COALITION_API_KEY    partner API key (or --key=...; the environment is
//                        better: command lines are visible to other users)
//   COALITION_CA_FILE    PEM roots to trust instead of the system ones (or --ca-file=...)
//   COALITION_PLAINTEXT  set to 1 (or pass --plaintext) to talk to a local
//                        development server without TLS
//
// Other arguments are returned in order as positional arguments.
#pragma once

#include <cstdlib>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "coalition/sdk/options.h"

namespace coalition_examples {

struct Args {
  coalition::sdk::Options options;
  std::vector<std::string> positional;
};

inline std::string Env(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? "" : value;
}

// Returns nullopt (after printing why) on a usage error.
inline std::optional<Args> ParseArgs(int argc, char** argv, std::string_view usage) {
  Args args;
  args.options.tls = true;  // the SDK's default, spelled out
  if (std::string endpoint = Env("COALITION_ENDPOINT"); !endpoint.empty()) {
    args.options.endpoint = endpoint;
  }
  args.options.api_key = Env("COALITION_API_KEY");
  args.options.root_ca_file = Env("COALITION_CA_FILE");
  if (Env("COALITION_PLAINTEXT") == "1") args.options.tls = false;

  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    auto value_of = [&](std::string_view flag) -> std::optional<std::string> {
      if (arg.substr(0, flag.size()) == flag && arg.size() > flag.size() &&
          arg[flag.size()] == '=') {
        return std::string(arg.substr(flag.size() + 1));
      }
      return std::nullopt;
    };
    if (arg == "--plaintext") {
      args.options.tls = false;
    } else if (auto endpoint = value_of("--endpoint")) {
      args.options.endpoint = *endpoint;
    } else if (auto key = value_of("--key")) {
      args.options.api_key = *key;
    } else if (auto ca = value_of("--ca-file")) {
      args.options.root_ca_file = *ca;
    } else if (arg == "--help" || arg == "-h" || (arg.size() > 1 && arg[0] == '-')) {
      std::cerr << "usage: " << argv[0] << " [--endpoint=HOST:PORT] [--key=KEY] [--plaintext] "
                << "[--ca-file=PEM] " << usage << "\n";
      return std::nullopt;
    } else {
      args.positional.emplace_back(arg);
    }
  }
  if (args.options.api_key.empty()) {
    std::cerr << "no API key: set COALITION_API_KEY or pass --key=...\n";
    return std::nullopt;
  }
  return args;
}

}  // namespace coalition_examples
