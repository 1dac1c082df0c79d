// PostgreSQL access for the services: a fixed-size pool of SOCI sessions with an acquire
// timeout, and transactions that turn SOCI's exceptions into absl::Status.
//
// - Acquire() waits at most `acquire_timeout` for a free session and then answers
//   RESOURCE_EXHAUSTED (reason DATABASE_POOL_EXHAUSTED): callers never hang on a busy pool.
// - Sessions are opened lazily; a failed connect answers UNAVAILABLE (reason
//   DATABASE_UNAVAILABLE).
// - A lost connection is replaced without failing a caller where that is safe:
//   - an idle session is checked before it is lent: when the server has closed it (a restart
//     or pg_terminate_backend sends a FATAL message and closes the socket) or anything else
//     arrived while it sat idle, it is replaced by a fresh one;
//   - a connection-level error on any session ends its generation: every session opened
//     before it is replaced on its next use, so one failure does not repeat per session;
//   - InTransaction retries once on a fresh connection when BEGIN itself fails with a
//     connection-level error (nothing of the caller's has run yet). Other failures are not
//     retried: the caller's statements may have taken effect or been streamed out.
// - A session goes back to the pool only when it is idle (no open transaction); a session
//   whose connection is bad is dropped and reopened on next use.
#pragma once

#include <soci/soci.h>

#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

typedef struct pg_conn PGconn;

namespace cak::common::db {

struct PoolOptions {
  // libpq connection string, including the password where one is needed.
  std::string conninfo;
  int size = 8;
  absl::Duration acquire_timeout = absl::Seconds(2);
  absl::Duration connect_timeout = absl::Seconds(3);
  // Server-side statement_timeout for every session (0: none).
  absl::Duration statement_timeout = absl::Seconds(30);
  std::string application_name = "cak-voorlichting";
  // When set, every session runs as this role (SET ROLE through the startup options): e.g.
  // one login role per host with per-service roles, or tests that check a role's privileges.
  std::string session_role;
};

class PgPool;

// A session borrowed from the pool; returned when destroyed.
class Lease {
 public:
  Lease(Lease&& other) noexcept;
  Lease& operator=(Lease&&) = delete;
  ~Lease();

  soci::session& operator*() const { return *session_; }
  soci::session* operator->() const { return session_; }
  soci::session& sql() const { return *session_; }
  // The connection failed at the connection level (see IsConnectionLoss): this session and
  // every other one opened before it are replaced on their next use.
  void ConnectionLost();

 private:
  friend class PgPool;
  Lease(PgPool* pool, size_t slot, soci::session* session) : pool_(pool), slot_(slot), session_(session) {}
  PgPool* pool_;
  size_t slot_;
  soci::session* session_;
};

class PgPool {
 public:
  // Validates the options; connects nothing yet.
  static absl::StatusOr<std::unique_ptr<PgPool>> Create(PoolOptions options);
  ~PgPool();

  // See the file comment for the codes: RESOURCE_EXHAUSTED, UNAVAILABLE; DEADLINE_EXCEEDED
  // when `deadline` (the caller's RPC deadline) passes first.
  absl::StatusOr<Lease> Acquire(absl::Time deadline = absl::InfiniteFuture());

  // Runs "SELECT 1" on a pooled session: OK, or UNAVAILABLE when the database is unreachable.
  absl::Status Ping();

  int size() const { return static_cast<int>(slots_.size()); }
  int in_use() const { return in_use_.load(); }
  int waiting() const { return waiting_.load(); }
  const PoolOptions& options() const { return options_; }
  // The full libpq connection string (with timeouts), e.g. for a LISTEN connection.
  const std::string& conninfo() const { return full_conninfo_; }

 private:
  friend class Lease;
  explicit PgPool(PoolOptions options);
  void Release(size_t slot);
  absl::Status EnsureOpen(size_t slot);
  void Drop(size_t slot);
  void EndGeneration(size_t slot);

  PoolOptions options_;
  std::string full_conninfo_;
  std::vector<std::unique_ptr<soci::session>> slots_;
  std::vector<bool> busy_;
  // The generation each slot's session was opened in; sessions of an ended generation are
  // replaced on their next use (guarded by mu_).
  std::vector<uint64_t> opened_in_;
  uint64_t generation_ = 0;
  std::mutex mu_;
  std::condition_variable cv_;
  std::atomic<int> in_use_{0};
  std::atomic<int> waiting_{0};
};

// `value` quoted for a libpq key=value connection string ('...' with \ and ' escaped).
std::string QuoteConninfoValue(absl::string_view value);

// For readiness: OK when the database answers, and also when every pooled session is busy
// (load is not an outage; taking replicas out of service under load would spread it).
// UNAVAILABLE when the database cannot be reached.
absl::Status DatabaseHealth(PgPool& pool);

// The libpq connection under a SOCI PostgreSQL session (for COPY, LISTEN, status checks).
PGconn* NativeConnection(soci::session& sql);

// True when the session's connection is usable.
bool ConnectionOk(soci::session& sql);

// True when `e` (thrown on `sql`) means the connection itself is gone: libpq lost it, a
// connection exception (SQLSTATE class 08), or the server ended the session (57P01 admin
// shutdown, 57P02 crash shutdown, 57P03 cannot connect now).
bool IsConnectionLoss(const std::exception& e, soci::session& sql);

// Maps a SOCI / PostgreSQL error to a status: connection problems and server shutdown
// UNAVAILABLE, serialization failures and deadlocks ABORTED, statement timeout
// DEADLINE_EXCEEDED, everything else INTERNAL (reason DATABASE_ERROR; the SQL error is logged,
// not returned to the client).
absl::Status SociErrorToStatus(const std::exception& e, soci::session& sql);

// The SQLSTATE of a PostgreSQL error, or "" for other exceptions.
std::string SqlState(const std::exception& e);

// A transaction on a leased session. Rolls back unless Commit() succeeded. Callbacks
// registered with OnCommit run after a successful commit (metrics, in-process wake-ups).
class Tx {
 public:
  explicit Tx(soci::session& sql);
  Tx(const Tx&) = delete;
  Tx& operator=(const Tx&) = delete;
  ~Tx();

  soci::session& sql() { return sql_; }
  void OnCommit(std::function<void()> fn) { on_commit_.push_back(std::move(fn)); }
  // Throws what SOCI throws.
  void Commit();

 private:
  soci::session& sql_;
  bool done_ = false;
  std::vector<std::function<void()>> on_commit_;
};

// Runs `fn` in a transaction on a pooled session: commits when it returns OK, rolls back when
// it returns an error or throws. Pool and database errors come back as statuses. A finite
// `deadline` (the RPC's) bounds the wait for a session and the transaction's statements.
absl::Status InTransaction(PgPool& pool, const std::function<absl::Status(Tx&)>& fn,
                           absl::Time deadline = absl::InfiniteFuture());

// Runs `fn` on a pooled session without a transaction (single read statements).
absl::Status WithSession(PgPool& pool, const std::function<absl::Status(soci::session&)>& fn,
                         absl::Time deadline = absl::InfiniteFuture());

}  // namespace cak::common::db
