// Migration runner (see migrations.h).
#include "common/db/migrations.h"

#include <libpq-fe.h>

#include <map>
#include <optional>
#include <regex>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "common/base/log.h"
#include "common/base/random.h"
#include "common/base/sha256.h"
#include "common/db/pool.h"

namespace cak::common::db {
namespace {

bool IsIdentifier(const std::string& s) {
  static const std::regex kIdent("[a-z_][a-z0-9_]{0,62}");
  return std::regex_match(s, kIdent);
}

std::string Checksum(const char* sql) { return Sha256Hex(sql); }

struct Applied {
  int version;
  std::string checksum;
};

// component -> version -> checksum, or nullopt when the table does not exist yet.
std::optional<std::map<std::string, std::map<int, std::string>>> ReadApplied(soci::session& sql,
                                                                             const std::string& schema) {
  std::string table;
  soci::indicator ind = soci::i_null;
  const std::string qualified = schema + ".schema_migrations";
  sql << "SELECT to_regclass(:t)::text", soci::use(qualified), soci::into(table, ind);
  if (ind != soci::i_ok) return std::nullopt;
  std::map<std::string, std::map<int, std::string>> applied;
  soci::rowset<soci::row> rows =
      (sql.prepare << "SELECT component, version, checksum FROM " + schema + ".schema_migrations");
  for (const soci::row& r : rows) {
    applied[r.get<std::string>(0)][r.get<int>(1)] = r.get<std::string>(2);
  }
  return applied;
}

// Compares the applied versions of each set with the binary's. Returns the first problem.
absl::Status Compare(const std::map<std::string, std::map<int, std::string>>& applied,
                     const std::vector<MigrationSet>& sets, const std::string& schema, bool pending_is_error) {
  for (const MigrationSet& set : sets) {
    const int known = static_cast<int>(set.migrations->size());
    auto it = applied.find(set.component);
    if (it == applied.end()) {
      if (pending_is_error) {
        return absl::FailedPreconditionError(
            absl::StrCat("schema ", schema, " has no ", set.component,
                         " migrations applied; run the migrations first (--migrate-only)"));
      }
      continue;
    }
    const int db_version = it->second.empty() ? 0 : it->second.rbegin()->first;
    if (db_version > known) {
      return absl::FailedPreconditionError(absl::StrCat("schema ", schema, " is at ", set.component, " version ",
                                                        db_version, ", newer than this binary knows (", known,
                                                        "); refusing to run against it"));
    }
    for (const auto& [version, checksum] : it->second) {
      const Migration& m = (*set.migrations)[version - 1];
      if (Checksum(m.sql) != checksum) {
        return absl::FailedPreconditionError(absl::StrCat("migration ", set.component, "/", m.name,
                                                          " differs from the one applied to schema ", schema,
                                                          " (checksum mismatch); released migrations must not change"));
      }
    }
    if (pending_is_error && db_version < known) {
      return absl::FailedPreconditionError(absl::StrCat("schema ", schema, " is at ", set.component, " version ",
                                                        db_version, ", this binary needs ", known,
                                                        "; run the migrations first (--migrate-only)"));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateSets(const std::vector<MigrationSet>& sets) {
  for (const MigrationSet& set : sets) {
    for (size_t i = 0; i < set.migrations->size(); ++i) {
      if ((*set.migrations)[i].version != static_cast<int>(i + 1)) {
        return absl::InternalError(
            absl::StrCat("migrations of ", set.component, " are not numbered 1..n without gaps"));
      }
    }
  }
  return absl::OkStatus();
}

// Runs a multi-statement script through libpq (SOCI's statements take one command each).
absl::Status ExecScript(soci::session& sql, const std::string& text, const char* name) {
  PGresult* res = PQexec(NativeConnection(sql), text.c_str());
  const ExecStatusType status = PQresultStatus(res);
  std::string error = PQresultErrorMessage(res);
  PQclear(res);
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    return absl::InternalError(absl::StrCat("migration ", name, " failed: ", error));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ApplyMigrations(soci::session& sql, const MigrationTarget& target, const std::vector<MigrationSet>& sets) {
  if (!IsIdentifier(target.schema)) {
    return absl::InvalidArgumentError(absl::StrCat("invalid schema name '", target.schema, "'"));
  }
  if (!target.app_role.empty() && !IsIdentifier(target.app_role)) {
    return absl::InvalidArgumentError(absl::StrCat("invalid role name '", target.app_role, "'"));
  }
  if (absl::Status st = ValidateSets(sets); !st.ok()) return st;
  const std::string& schema = target.schema;
  try {
    std::string current;
    sql << "SELECT current_user", soci::into(current);
    std::string app_role = target.app_role;
    if (app_role.empty()) {
      app_role = current;  // tests only: --migrate-only requires --db-app-role
    } else if (app_role == current) {
      return absl::InvalidArgumentError("the runtime role must differ from the schema owner running the migrations");
    }

    Tx tx(sql);
    // One lock per schema: concurrent runners wait here, then see the others' work.
    const std::string lock_key = "cak-migrations:" + schema;
    sql << "SELECT pg_advisory_xact_lock(hashtext(:k))", soci::use(lock_key);
    // Production schemas are created by the platform team and owned by the migration role,
    // which need not have CREATE on the database; create only what is missing.
    int exists = 0;
    sql << "SELECT count(*) FROM pg_namespace WHERE nspname = :s", soci::use(schema), soci::into(exists);
    if (exists == 0) sql << "CREATE SCHEMA " + schema;
    sql << "CREATE TABLE IF NOT EXISTS " + schema +
               ".schema_migrations ("
               " component text NOT NULL, version integer NOT NULL, name text NOT NULL,"
               " checksum text NOT NULL, applied_time timestamptz NOT NULL DEFAULT now(),"
               " applied_by text NOT NULL DEFAULT current_user, PRIMARY KEY (component, version))";
    // The running service checks the versions at start-up, so it may read this table.
    sql << "GRANT USAGE ON SCHEMA " + schema + " TO " + app_role;
    sql << "GRANT SELECT ON " + schema + ".schema_migrations TO " + app_role;
    auto applied = ReadApplied(sql, schema).value_or(std::map<std::string, std::map<int, std::string>>{});
    if (absl::Status st = Compare(applied, sets, schema, /*pending_is_error=*/false); !st.ok()) {
      return st;
    }
    int count = 0;
    for (const MigrationSet& set : sets) {
      const auto& done = applied[set.component];
      const int db_version = done.empty() ? 0 : done.rbegin()->first;
      for (const Migration& m : *set.migrations) {
        if (m.version <= db_version) continue;
        const std::string text = absl::StrReplaceAll(m.sql, {{"${schema}", schema}, {"${app_role}", app_role}});
        if (absl::Status st = ExecScript(sql, text, m.name); !st.ok()) return st;
        const std::string name = m.name;
        const std::string checksum = Checksum(m.sql);
        sql << "INSERT INTO " + schema +
                   ".schema_migrations (component, version, name, checksum) VALUES (:c, :v, :n, :s)",
            soci::use(set.component), soci::use(m.version), soci::use(name), soci::use(checksum);
        log::Info("migration_applied", {{"schema", schema}, {"component", set.component}, {"migration", m.name}});
        ++count;
      }
    }
    tx.Commit();
    log::Info("migrations_done", {{"schema", schema}, {"applied", count}});
    return absl::OkStatus();
  } catch (const std::exception& e) {
    return SociErrorToStatus(e, sql);
  }
}

absl::Status CheckSchema(soci::session& sql, const std::string& schema, const std::vector<MigrationSet>& sets) {
  if (!IsIdentifier(schema)) {
    return absl::InvalidArgumentError(absl::StrCat("invalid schema name '", schema, "'"));
  }
  if (absl::Status st = ValidateSets(sets); !st.ok()) return st;
  try {
    auto applied = ReadApplied(sql, schema);
    if (!applied) {
      return absl::FailedPreconditionError(
          absl::StrCat("schema ", schema, " has no migrations table; run the migrations first (--migrate-only)"));
    }
    return Compare(*applied, sets, schema, /*pending_is_error=*/true);
  } catch (const std::exception& e) {
    return SociErrorToStatus(e, sql);
  }
}

}  // namespace cak::common::db
