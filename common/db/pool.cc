// Session pool, transactions and SOCI error mapping (see pool.h).
#include "common/db/pool.h"

#include <libpq-fe.h>
#include <poll.h>
#include <soci/postgresql/soci-postgresql.h>

#include <optional>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/base/errors.h"
#include "common/base/log.h"
#include "common/db/prepared.h"

namespace cak::common::db {
std::string QuoteConninfoValue(absl::string_view v) {
  std::string out = "'";
  for (char c : v) {
    if (c == '\'' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('\'');
  return out;
}

PGconn* NativeConnection(soci::session& sql) {
  auto* backend = static_cast<soci::postgresql_session_backend*>(sql.get_backend());
  return backend == nullptr ? nullptr : backend->conn_;
}

bool ConnectionOk(soci::session& sql) {
  PGconn* conn = NativeConnection(sql);
  return conn != nullptr && PQstatus(conn) == CONNECTION_OK;
}

bool IsConnectionLoss(const std::exception& e, soci::session& sql) {
  const std::string state = SqlState(e);
  return !ConnectionOk(sql) || absl::StartsWith(state, "08") || state == "57P01" || state == "57P02" ||
         state == "57P03";
}

std::string SqlState(const std::exception& e) {
  if (const auto* pg = dynamic_cast<const soci::postgresql_soci_error*>(&e)) return pg->sqlstate();
  if (const auto* pe = dynamic_cast<const PreparedStatementError*>(&e)) return pe->sqlstate();
  return "";
}

namespace {

// The first line of a database error without the statement and its parameters: SOCI appends
// `while executing "..." with :p="..."` and PostgreSQL a DETAIL with key values, and both can
// hold personal data, which never goes to a log.
std::string LoggableDbError(const std::exception& e) {
  std::string text = e.what();
  text = text.substr(0, text.find('\n'));
  const size_t executing = text.find(" while executing");
  if (executing != std::string::npos) text.resize(executing);
  return text;
}

}  // namespace

absl::Status SociErrorToStatus(const std::exception& e, soci::session& sql) {
  const std::string state = SqlState(e);
  if (IsConnectionLoss(e, sql) || absl::StartsWith(state, "53")) {
    log::Warning("db_unavailable", {{"sqlstate", state}, {"error", LoggableDbError(e)}});
    return MakeError(absl::StatusCode::kUnavailable, reason::kDatabaseUnavailable,
                     "the database is unavailable; retry later");
  }
  if (state == "40001" || state == "40P01") {
    return MakeError(absl::StatusCode::kAborted, reason::kConcurrentUpdate, "concurrent update; retry the request");
  }
  if (state == "57014") {
    return MakeError(absl::StatusCode::kDeadlineExceeded, reason::kDatabaseError,
                     "the database statement took too long");
  }
  log::Error("db_error", {{"sqlstate", state}, {"error", LoggableDbError(e)}});
  return MakeError(absl::StatusCode::kInternal, reason::kDatabaseError, "internal database error");
}

Lease::Lease(Lease&& other) noexcept : pool_(other.pool_), slot_(other.slot_), session_(other.session_) {
  other.pool_ = nullptr;
}

Lease::~Lease() {
  if (pool_ != nullptr) pool_->Release(slot_);
}

void Lease::ConnectionLost() { pool_->EndGeneration(slot_); }

PgPool::PgPool(PoolOptions options) : options_(std::move(options)) {
  slots_.resize(options_.size);
  busy_.assign(options_.size, false);
  opened_in_.assign(options_.size, 0);
  full_conninfo_ = absl::StrCat(
      options_.conninfo, " connect_timeout=", std::max<int64_t>(1, absl::ToInt64Seconds(options_.connect_timeout)),
      // Keepalives notice a half-open connection (e.g. the LISTEN one) within about a minute.
      " keepalives=1 keepalives_idle=30 keepalives_interval=10 keepalives_count=3",
      " application_name=", QuoteConninfoValue(options_.application_name), " options=",
      QuoteConninfoValue(absl::StrCat("-c statement_timeout=", absl::ToInt64Milliseconds(options_.statement_timeout),
                                      options_.session_role.empty() ? "" : " -c role=" + options_.session_role)));
}

PgPool::~PgPool() {
  for (size_t i = 0; i < slots_.size(); ++i) Drop(i);
}

absl::StatusOr<std::unique_ptr<PgPool>> PgPool::Create(PoolOptions options) {
  if (options.size < 1) return absl::InvalidArgumentError("pool size must be at least 1");
  if (options.conninfo.empty()) return absl::InvalidArgumentError("empty database connection string");
  return std::unique_ptr<PgPool>(new PgPool(std::move(options)));
}

void PgPool::Drop(size_t slot) {
  if (slots_[slot]) ForgetPreparedStatements(*slots_[slot]);
  slots_[slot].reset();
}

namespace {

// True when an idle connection has something to read or was hung up on: the server closed it
// (a restart or pg_terminate_backend sends a FATAL message, then closes the socket) or sent
// something nobody asked for. Either way it is not lent out as it is. Costs one poll(2).
bool IdleConnectionDisturbed(PGconn* conn) {
  const int fd = PQsocket(conn);
  if (fd < 0) return true;
  pollfd p{fd, POLLIN | POLLRDHUP, 0};
  return poll(&p, 1, 0) != 0;
}

}  // namespace

absl::Status PgPool::EnsureOpen(size_t slot) {
  uint64_t generation = 0;
  bool ended = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    generation = generation_;
    ended = opened_in_[slot] != generation_;
  }
  auto& session = slots_[slot];
  if (session) {
    if (!ended && ConnectionOk(*session) && !IdleConnectionDisturbed(NativeConnection(*session))) {
      return absl::OkStatus();
    }
    log::Info("db_session_replaced", {{"why", ended ? "generation_ended" : "connection_closed"}});
    Drop(slot);
  }
  try {
    session = std::make_unique<soci::session>(soci::postgresql, full_conninfo_);
  } catch (const std::exception& e) {
    log::Warning("db_connect_failed", {{"error", std::string(e.what())}});
    return MakeError(absl::StatusCode::kUnavailable, reason::kDatabaseUnavailable,
                     "the database is unavailable; retry later");
  }
  std::lock_guard<std::mutex> lock(mu_);
  opened_in_[slot] = generation;
  return absl::OkStatus();
}

void PgPool::EndGeneration(size_t slot) {
  std::lock_guard<std::mutex> lock(mu_);
  if (opened_in_[slot] != generation_) return;  // already ended by another session's failure
  ++generation_;
  log::Warning("db_connections_lost", {{"generation", static_cast<int64_t>(generation_)}});
}

namespace {
absl::Status DeadlineExceeded() {
  return absl::DeadlineExceededError("the request deadline passed before the database was reached");
}
}  // namespace

absl::StatusOr<Lease> PgPool::Acquire(absl::Time deadline) {
  const absl::Duration budget = std::min(options_.acquire_timeout, deadline - absl::Now());
  if (budget <= absl::ZeroDuration()) return DeadlineExceeded();
  size_t slot = 0;
  {
    std::unique_lock<std::mutex> lock(mu_);
    auto find_free = [&]() {
      for (size_t i = 0; i < busy_.size(); ++i) {
        if (!busy_[i]) {
          slot = i;
          return true;
        }
      }
      return false;
    };
    if (!find_free()) {
      ++waiting_;
      const bool got = cv_.wait_for(lock, absl::ToChronoNanoseconds(budget), find_free);
      --waiting_;
      if (!got) {
        if (budget < options_.acquire_timeout) return DeadlineExceeded();
        return MakeError(absl::StatusCode::kResourceExhausted, reason::kDatabasePoolExhausted,
                         "all database connections are busy; retry later");
      }
    }
    busy_[slot] = true;
    ++in_use_;
  }
  if (absl::Status st = EnsureOpen(slot); !st.ok()) {
    Release(slot);
    return st;
  }
  return Lease(this, slot, slots_[slot].get());
}

void PgPool::Release(size_t slot) {
  auto& session = slots_[slot];
  if (session) {
    PGconn* conn = NativeConnection(*session);
    if (conn == nullptr || PQstatus(conn) != CONNECTION_OK) {
      Drop(slot);
    } else if (PQtransactionStatus(conn) != PQTRANS_IDLE) {
      // A transaction left open (a bug or an exception path): never hand it to the next user.
      try {
        session->rollback();
      } catch (...) {
      }
      if (PQtransactionStatus(conn) != PQTRANS_IDLE) Drop(slot);
    }
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    busy_[slot] = false;
    --in_use_;
  }
  cv_.notify_one();
}

absl::Status PgPool::Ping() {
  return WithSession(*this, [](soci::session& sql) {
    int one = 0;
    sql << "SELECT 1", soci::into(one);
    return absl::OkStatus();
  });
}

absl::Status DatabaseHealth(PgPool& pool) {
  absl::Status st = pool.Ping();
  if (st.code() == absl::StatusCode::kResourceExhausted) return absl::OkStatus();
  return st;
}

Tx::Tx(soci::session& sql) : sql_(sql) { sql_.begin(); }

Tx::~Tx() {
  if (!done_) {
    try {
      sql_.rollback();
    } catch (...) {
      // The connection is gone; the pool drops it on release.
    }
  }
}

void Tx::Commit() {
  sql_.commit();
  done_ = true;
  for (auto& fn : on_commit_) fn();
}

absl::Status InTransaction(PgPool& pool, const std::function<absl::Status(Tx&)>& fn, absl::Time deadline) {
  for (int attempt = 1;; ++attempt) {
    auto lease = pool.Acquire(deadline);
    if (!lease.ok()) return lease.status();
    soci::session& sql = lease->sql();
    std::optional<Tx> tx;
    try {
      tx.emplace(sql);
    } catch (const std::exception& e) {
      if (IsConnectionLoss(e, sql)) {
        lease->ConnectionLost();
        // BEGIN failed, so nothing of the caller's ran: once more, on a fresh connection.
        if (attempt == 1) continue;
      }
      return SociErrorToStatus(e, sql);
    }
    try {
      if (deadline != absl::InfiniteFuture()) {
        const int64_t ms = absl::ToInt64Milliseconds(deadline - absl::Now());
        if (ms <= 0) return DeadlineExceeded();
        const int64_t configured = absl::ToInt64Milliseconds(pool.options().statement_timeout);
        if (configured == 0 || ms < configured) {  // 0: no server-side limit configured
          const std::string timeout = std::to_string(ms);
          sql << "SELECT set_config('statement_timeout', :ms, true)", soci::use(timeout);
        }
      }
      absl::Status st = fn(*tx);
      if (!st.ok()) return st;  // ~Tx rolls back
      tx->Commit();
      return absl::OkStatus();
    } catch (const std::exception& e) {
      if (IsConnectionLoss(e, sql)) lease->ConnectionLost();
      return SociErrorToStatus(e, sql);
    }
  }
}

absl::Status WithSession(PgPool& pool, const std::function<absl::Status(soci::session&)>& fn, absl::Time deadline) {
  auto lease = pool.Acquire(deadline);
  if (!lease.ok()) return lease.status();
  soci::session& sql = lease->sql();
  try {
    return fn(sql);
  } catch (const std::exception& e) {
    if (IsConnectionLoss(e, sql)) lease->ConnectionLost();
    return SociErrorToStatus(e, sql);
  }
}

}  // namespace cak::common::db
