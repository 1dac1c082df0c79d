// Test schemas (see pg_test_env.h).
#include "common/testing/pg_test_env.h"

#include <libpq-fe.h>

#include <cstdio>
#include <cstdlib>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/base/random.h"

namespace cak::common::testing {

std::string TestDsn() {
  const char* dsn = std::getenv("CAK_TEST_PG_DSN");
  if (dsn == nullptr || *dsn == '\0') {
    std::fputs("CAK_TEST_PG_DSN is not set: run the tests with scripts/test.sh, which starts PostgreSQL\n", stderr);
    std::abort();
  }
  return dsn;
}

absl::StatusOr<std::unique_ptr<TestSchema>> TestSchema::Create(const std::string& prefix,
                                                               const std::vector<db::MigrationSet>& sets,
                                                               const std::string& app_role) {
  uint8_t r[6];
  RandomBytes(r, sizeof r);
  std::string name = absl::AsciiStrToLower(
      absl::StrCat("t_", prefix, "_", HexEncode(absl::string_view(reinterpret_cast<char*>(r), sizeof r))));
  std::unique_ptr<TestSchema> schema(new TestSchema(name));
  if (!app_role.empty()) {
    // Roles are cluster-wide and tests run in parallel: creating one that exists is fine.
    auto created = schema->Query("DO $$ BEGIN CREATE ROLE " + app_role +
                                 " NOLOGIN; EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$");
    if (!created.ok()) return created.status();
  }
  auto pool = schema->MakePool(1);
  if (!pool.ok()) return pool.status();
  auto lease = (*pool)->Acquire();
  if (!lease.ok()) return lease.status();
  absl::Status st = db::ApplyMigrations(lease->sql(), db::MigrationTarget{name, app_role}, sets);
  if (!st.ok()) return st;
  return schema;
}

TestSchema::~TestSchema() { (void)Query(absl::StrCat("DROP SCHEMA IF EXISTS ", name_, " CASCADE")); }

absl::StatusOr<std::unique_ptr<db::PgPool>> TestSchema::MakePool(int size, absl::Duration acquire_timeout,
                                                                 const std::string& session_role) const {
  db::PoolOptions o;
  o.conninfo = TestDsn();
  o.size = size;
  o.acquire_timeout = acquire_timeout;
  o.application_name = "cak-test";
  o.session_role = session_role;
  return db::PgPool::Create(o);
}

absl::StatusOr<std::string> TestSchema::Query(const std::string& sql) const {
  PGconn* conn = PQconnectdb(TestDsn().c_str());
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string err = PQerrorMessage(conn);
    PQfinish(conn);
    return absl::UnavailableError(err);
  }
  PQsetNoticeProcessor(
      conn, [](void*, const char*) {}, nullptr);  // e.g. DROP ... CASCADE chatter
  PGresult* res = PQexec(conn, sql.c_str());
  const ExecStatusType status = PQresultStatus(res);
  absl::StatusOr<std::string> out;
  if (status == PGRES_TUPLES_OK) {
    out = PQntuples(res) > 0 && PQnfields(res) > 0 ? std::string(PQgetvalue(res, 0, 0)) : std::string();
  } else if (status == PGRES_COMMAND_OK) {
    out = std::string(PQcmdTuples(res));
  } else {
    out = absl::InternalError(PQresultErrorMessage(res));
  }
  PQclear(res);
  PQfinish(conn);
  return out;
}

}  // namespace cak::common::testing
