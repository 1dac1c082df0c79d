// Prepared statements on the native connection (see prepared.h).
#include "common/db/prepared.h"

#include <libpq-fe.h>

#include <mutex>
#include <unordered_map>
#include <unordered_set>

#include "common/base/random.h"
#include "common/base/sha256.h"
#include "common/db/pool.h"

namespace cak::common::db {
namespace {

struct Registry {
  std::mutex mu;
  std::unordered_map<const PGconn*, std::unordered_set<std::string>> prepared;
};

Registry& GetRegistry() {
  static Registry* r = new Registry();
  return *r;
}

}  // namespace

[[noreturn]] void ThrowPgError(PGresult* res, PGconn* conn, const char* what) {
  const char* state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : nullptr;
  // Only the primary message: DETAIL lines can quote the values of a row.
  const char* primary = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : nullptr;
  std::string message = std::string(what) + ": " + (primary ? primary : PQerrorMessage(conn));
  std::string sqlstate = state ? state : (PQstatus(conn) == CONNECTION_OK ? "XX000" : "08006");
  if (res) PQclear(res);
  throw PreparedStatementError(message, sqlstate);
}

namespace {

// The rows of a finished statement as text; clears `res`. Throws for a failed one.
TextRows TakeRows(PGresult* res, PGconn* conn, const char* what) {
  const ExecStatusType status = PQresultStatus(res);
  if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) ThrowPgError(res, conn, what);
  TextRows rows;
  const int n = PQntuples(res), m = PQnfields(res);
  rows.reserve(n);
  for (int r = 0; r < n; ++r) {
    auto& row = rows.emplace_back();
    row.reserve(m);
    for (int c = 0; c < m; ++c) {
      if (PQgetisnull(res, r, c)) {
        row.emplace_back(std::nullopt);
      } else {
        row.emplace_back(std::string(PQgetvalue(res, r, c), PQgetlength(res, r, c)));
      }
    }
  }
  PQclear(res);
  return rows;
}

}  // namespace

TextRows ExecuteText(soci::session& session, const std::string& sql) {
  PGconn* conn = NativeConnection(session);
  return TakeRows(PQexec(conn, sql.c_str()), conn, "execute");
}

TextRows ExecutePrepared(soci::session& session, const std::string& sql,
                         const std::vector<std::optional<std::string>>& params) {
  PGconn* conn = NativeConnection(session);
  const std::string name = "cak_" + HexEncode(Sha256(sql).substr(0, 10));
  Registry& registry = GetRegistry();
  bool known;
  {
    std::lock_guard<std::mutex> lock(registry.mu);
    known = registry.prepared[conn].count(name) > 0;
  }
  if (!known) {
    PGresult* res = PQprepare(conn, name.c_str(), sql.c_str(), 0, nullptr);
    const bool ok = PQresultStatus(res) == PGRES_COMMAND_OK;
    const char* state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
    if (!ok && !(state && std::string(state) == "42P05")) ThrowPgError(res, conn, "prepare");  // 42P05: exists already
    PQclear(res);
    std::lock_guard<std::mutex> lock(registry.mu);
    registry.prepared[conn].insert(name);
  }
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const auto& p : params) values.push_back(p ? p->c_str() : nullptr);
  PGresult* res =
      PQexecPrepared(conn, name.c_str(), static_cast<int>(values.size()), values.data(), nullptr, nullptr, 0);
  return TakeRows(res, conn, "execute");
}

void ForgetPreparedStatements(soci::session& session) {
  PGconn* conn = NativeConnection(session);
  if (conn == nullptr) return;
  Registry& registry = GetRegistry();
  std::lock_guard<std::mutex> lock(registry.mu);
  registry.prepared.erase(conn);
}

}  // namespace cak::common::db
