#pragma once

#include <string>

#include "app/server.h"

namespace coalition::app {

// Dev mode: creates the demo partners (a supermarket, a fuel chain, a
// department store) and a few members with points, unless they exist, and
// writes each partner's API key to `keys_file` as KEY=value lines. Safe to
// run again: existing partners keep their keys; a partner whose key is
// missing from the file gets a new one.
void SeedDemo(CoalitionServer& server, const std::string& keys_file);

}  // namespace coalition::app
