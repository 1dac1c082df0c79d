// Server-side prepared statements that outlive a single call, for the hot write paths.
//
// SOCI deallocates a prepared statement together with its statement object, so PostgreSQL
// would parse and plan our large batched statements on every execution (measured: about a
// fifth of the database's CPU on SubmitSignal). This runs them through libpq on SOCI's own
// connection instead: prepared once per connection under a name derived from the SQL, then
// executed with text parameters. Errors are thrown as PreparedStatementError, which
// SociErrorToStatus maps like any other database error.
#pragma once

#include <soci/soci.h>

#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

typedef struct pg_result PGresult;
typedef struct pg_conn PGconn;

namespace cak::common::db {

class PreparedStatementError : public std::runtime_error {
 public:
  PreparedStatementError(const std::string& message, std::string sqlstate)
      : std::runtime_error(message), sqlstate_(std::move(sqlstate)) {}
  const std::string& sqlstate() const { return sqlstate_; }

 private:
  std::string sqlstate_;
};

// Rows of text values (nullopt for NULL).
using TextRows = std::vector<std::vector<std::optional<std::string>>>;

// Executes `sql` (placeholders $1..$n) with `params` on `session`'s connection, preparing it
// first if this connection has not seen it. Throws PreparedStatementError.
TextRows ExecutePrepared(soci::session& session, const std::string& sql,
                         const std::vector<std::optional<std::string>>& params);

// Executes `sql` as it is (no parameters, not prepared): for what PostgreSQL cannot prepare,
// such as DECLARE and FETCH of a cursor. Throws PreparedStatementError.
TextRows ExecuteText(soci::session& session, const std::string& sql);

// Throws PreparedStatementError for a failed libpq call (`res` may be null; it is cleared):
// SQLSTATE and the primary message only (DETAIL lines can quote a row's values).
[[noreturn]] void ThrowPgError(PGresult* res, PGconn* conn, const char* what);

// Called by the pool when a connection is closed, so its statements are not assumed to exist
// on a new connection that happens to get the same address.
void ForgetPreparedStatements(soci::session& session);

}  // namespace cak::common::db
