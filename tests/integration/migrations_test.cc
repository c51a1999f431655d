#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include <pqxx/pqxx>

#include "storage/migrations.h"
#include "support/pg_cluster.h"

namespace coalition::testing {
namespace {

std::string Query(const std::string& url, const std::string& sql) {
  pqxx::connection connection(url);
  pqxx::nontransaction tx(connection);
  return tx.exec1(sql)[0].as<std::string>();
}

TEST(MigrationsTest, AppliesEachMigrationOnceInOrder) {
  const auto url = SharedCluster().CreateDatabase(UniqueDatabaseName("migrate"));
  const auto& migrations = storage::EmbeddedMigrations();
  ASSERT_FALSE(migrations.empty());
  for (size_t i = 1; i < migrations.size(); ++i) {
    EXPECT_LT(migrations[i - 1].version, migrations[i].version);
  }
  const auto first = storage::ApplyMigrations(url);
  EXPECT_EQ(first.applied, static_cast<int>(migrations.size()));
  const auto second = storage::ApplyMigrations(url);
  EXPECT_EQ(second.applied, 0);
  EXPECT_EQ(second.already_applied, static_cast<int>(migrations.size()));
  EXPECT_EQ(Query(url, "SELECT count(*) FROM schema_migrations"),
            std::to_string(migrations.size()));
}

TEST(MigrationsTest, InstancesStartingTogetherApplyEachMigrationOnce) {
  const auto url = SharedCluster().CreateDatabase(UniqueDatabaseName("migrate_race"));
  std::atomic<int> applied{0};
  std::atomic<int> failures{0};
  std::vector<std::thread> instances;
  for (int i = 0; i < 4; ++i) {
    instances.emplace_back([&] {
      try {
        applied += storage::ApplyMigrations(url).applied;
      } catch (const std::exception&) {
        ++failures;
      }
    });
  }
  for (auto& instance : instances) instance.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(applied.load(), static_cast<int>(storage::EmbeddedMigrations().size()));
}

TEST(MigrationsTest, RefusesAnAppliedMigrationThatWasEdited) {
  const auto url = SharedCluster().CreateDatabase(UniqueDatabaseName("migrate_edit"));
  std::vector<storage::Migration> original = {{1, "first", "CREATE TABLE t1 (id int)"}};
  storage::ApplyMigrations(url, original);
  std::vector<storage::Migration> edited = {{1, "first", "CREATE TABLE t1 (id bigint)"},
                                            {2, "second", "CREATE TABLE t2 (id int)"}};
  EXPECT_THROW(storage::ApplyMigrations(url, edited), std::runtime_error);
  EXPECT_EQ(Query(url, "SELECT count(*) FROM schema_migrations"), "1");
}

TEST(MigrationsTest, AFailedMigrationLeavesNoTrace) {
  const auto url = SharedCluster().CreateDatabase(UniqueDatabaseName("migrate_fail"));
  std::vector<storage::Migration> broken = {
      {1, "good", "CREATE TABLE good (id int)"},
      {2, "bad", "CREATE TABLE half (id int); SELECT no_such_function()"}};
  EXPECT_THROW(storage::ApplyMigrations(url, broken), std::exception);
  EXPECT_EQ(Query(url, "SELECT count(*) FROM schema_migrations"), "1");
  EXPECT_EQ(Query(url, "SELECT count(*) FROM pg_tables WHERE tablename = 'half'"), "0");
}

}  // namespace
}  // namespace coalition::testing
