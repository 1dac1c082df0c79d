// PostgreSQL for storage and API tests. The test command (scripts/test.sh) starts the
// project-local cluster and exports CAK_TEST_PG_DSN; every test gets a schema of its own
// (random name, migrated, dropped afterwards), so tests are independent and can run in
// parallel against one database.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/db/migrations.h"
#include "common/db/pool.h"

namespace cak::common::testing {

// The test database's connection string (CAK_TEST_PG_DSN). Aborts the test binary with a
// clear message when unset: database tests are never silently skipped.
std::string TestDsn();

// A fresh schema with `sets` applied. Dropped (CASCADE) on destruction.
class TestSchema {
 public:
  // `app_role` (created if missing) gets the runtime grants; empty: the test's own role.
  static absl::StatusOr<std::unique_ptr<TestSchema>> Create(const std::string& prefix,
                                                            const std::vector<db::MigrationSet>& sets,
                                                            const std::string& app_role = "");
  ~TestSchema();

  const std::string& name() const { return name_; }
  // A pool on the test database (as the test role).
  // `session_role`: run every session as that role (privilege tests).
  absl::StatusOr<std::unique_ptr<db::PgPool>> MakePool(int size = 4, absl::Duration acquire_timeout = absl::Seconds(5),
                                                       const std::string& session_role = "") const;
  // Runs one SQL command, for assertions and set-up; returns the first column of the first
  // row as text ("" when no row).
  absl::StatusOr<std::string> Query(const std::string& sql) const;

 private:
  explicit TestSchema(std::string name) : name_(std::move(name)) {}
  std::string name_;
};

}  // namespace cak::common::testing
