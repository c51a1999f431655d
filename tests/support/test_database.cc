#include "support/test_database.h"

#include <mutex>

#include <pqxx/pqxx>

#include "storage/migrations.h"

namespace coalition::testing {
namespace {

const std::string& MigratedTemplate() {
  static std::once_flag once;
  static std::string name = "coalition_template";
  std::call_once(once, [] {
    const std::string url = SharedCluster().CreateDatabase(name);
    storage::ApplyMigrations(url);
  });
  return name;
}

}  // namespace

TestDatabase::TestDatabase() : name_(UniqueDatabaseName("coalition_test")) {
  url_ = SharedCluster().CreateDatabase(name_, MigratedTemplate());
}

TestDatabase::~TestDatabase() {
  try {
    SharedCluster().DropDatabase(name_);
  } catch (const std::exception&) {
    // The cluster goes away with the test binary anyway.
  }
}

std::string TestDatabase::QueryValue(const std::string& sql) const {
  pqxx::connection connection(url_);
  pqxx::nontransaction tx(connection);
  const auto row = tx.exec1(sql);
  return row[0].is_null() ? "NULL" : row[0].as<std::string>();
}

std::string TestDatabase::Fingerprint() const {
  return QueryValue(R"~(
    SELECT concat_ws(' ',
      (SELECT count(*) FROM partners), (SELECT count(*) FROM api_keys),
      (SELECT count(*) FILTER (WHERE revoked_at IS NOT NULL) FROM api_keys),
      (SELECT count(*) FROM accounts), (SELECT count(*) FROM members),
      (SELECT count(*) FROM cards), (SELECT count(*) FROM member_profiles),
      (SELECT count(*) FROM transfers), (SELECT count(*) FROM lots),
      (SELECT count(*) FROM lot_consumptions), (SELECT count(*) FROM idempotency_keys),
      (SELECT count(*) FROM holds),
      (SELECT count(*) FILTER (WHERE status = 'OPEN') FROM holds),
      (SELECT coalesce(sum(balance), 0) FROM members),
      (SELECT coalesce(sum(held), 0) FROM members),
      (SELECT coalesce(sum(remaining), 0) FROM lots),
      (SELECT coalesce(sum(points), 0) FROM transfers),
      (SELECT coalesce(sum(debt), 0) FROM members),
      (SELECT count(*) FROM purchases), (SELECT count(*) FROM lot_restorations),
      (SELECT coalesce(sum(cash_paid_minor + points_paid + points_earned + amount_refunded_minor
                           + cash_returned_minor + points_returned + points_clawed_back), 0)
       FROM purchases)))~");
}

}  // namespace coalition::testing
