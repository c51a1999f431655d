#pragma once

#include <string>

#include "support/pg_cluster.h"

namespace coalition::testing {

// A fresh database with every migration applied, copied from a template that
// is migrated once per test binary, on the binary's shared cluster.
class TestDatabase {
 public:
  TestDatabase();
  ~TestDatabase();
  TestDatabase(const TestDatabase&) = delete;
  TestDatabase& operator=(const TestDatabase&) = delete;

  const std::string& url() const { return url_; }

  // Everything a rejected request must not change: row counts of every
  // ledger table and the sums of balances, lots and transfers.
  std::string Fingerprint() const;
  // Runs one SQL query and returns the first column of the first row.
  std::string QueryValue(const std::string& sql) const;

 private:
  std::string name_;
  std::string url_;
};

}  // namespace coalition::testing
