// Schema migrations: numbered SQL files per component (common, then the service), compiled
// into the binary (cmake/EmbedMigrations.cmake), applied once each in order, in one
// transaction, under an advisory lock so that replicas or Jobs racing each other apply them
// exactly once, and recorded in <schema>.schema_migrations with a checksum.
//
// The SQL may use two placeholders, substituted before execution:
//   ${schema}    the service's schema (tests use a fresh schema each)
//   ${app_role}  the login role the running service uses (gets only the grants it needs)
#pragma once

#include <soci/soci.h>

#include <string>
#include <vector>

#include "absl/status/status.h"

namespace cak::common::db {

struct Migration {
  int version;
  const char* name;  // file name, e.g. "0001_signals.sql"
  const char* sql;
};

// The migrations of one component, in version order without gaps, starting at 1.
struct MigrationSet {
  std::string component;  // "common", "intake", ...
  const std::vector<Migration>* migrations;
};

struct MigrationTarget {
  std::string schema;  // [a-z_][a-z0-9_]*
  // [a-z_][a-z0-9_]*, not the connected (owner) role; empty only in tests: the connected role.
  std::string app_role;
};

// The migrations every service schema starts with (processing log, idempotency keys).
const std::vector<Migration>& CommonMigrations();

// Applies what is pending. FAILED_PRECONDITION when the database has a version of a component
// newer than this binary knows or an applied migration's checksum differs from the binary's
// (someone edited a released migration); INVALID_ARGUMENT for a bad schema or role name.
absl::Status ApplyMigrations(soci::session& sql, const MigrationTarget& target, const std::vector<MigrationSet>& sets);

// For service start-up: OK when the schema is exactly at the binary's versions.
// FAILED_PRECONDITION (saying which) when migrations are pending, the schema is newer than
// the binary, or a checksum differs.
absl::Status CheckSchema(soci::session& sql, const std::string& schema, const std::vector<MigrationSet>& sets);

}  // namespace cak::common::db
