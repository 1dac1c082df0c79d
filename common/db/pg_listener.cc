// LISTEN loop (see pg_listener.h).
#include "common/db/pg_listener.h"

#include <libpq-fe.h>
#include <poll.h>

#include <chrono>

#include "common/base/log.h"

namespace cak::common::db {

PgListener::PgListener(std::string conninfo, std::string channel, std::function<void(const std::string&)> on_notify,
                       std::function<void()> on_resync)
    : conninfo_(std::move(conninfo)),
      channel_(std::move(channel)),
      on_notify_(std::move(on_notify)),
      on_resync_(std::move(on_resync)) {}

PgListener::~PgListener() { Stop(); }

void PgListener::Start() {
  thread_ = std::thread([this] { Run(); });
}

void PgListener::Stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

void PgListener::Run() {
  int backoff_ms = 100;
  bool had_connection = false;
  while (!stop_) {
    PGconn* conn = PQconnectdb(conninfo_.c_str());
    bool ok = PQstatus(conn) == CONNECTION_OK;
    if (ok) {
      PGresult* res = PQexec(conn, ("LISTEN " + channel_).c_str());
      ok = PQresultStatus(res) == PGRES_COMMAND_OK;
      PQclear(res);
    }
    if (ok) {
      backoff_ms = 100;
      if (had_connection) log::Info("db_listener_reconnected", {{"channel", channel_}});
      had_connection = true;
      // Anything committed while we were not listening is unknown: make watchers re-read.
      if (on_resync_) on_resync_();
      while (!stop_) {
        pollfd pfd{PQsocket(conn), POLLIN, 0};
        int n = poll(&pfd, 1, 250);
        if (n < 0) break;
        if (n == 0) continue;
        if (!PQconsumeInput(conn)) break;
        while (PGnotify* note = PQnotifies(conn)) {
          on_notify_(note->extra ? note->extra : "");
          PQfreemem(note);
        }
        if (PQstatus(conn) != CONNECTION_OK) break;
      }
      if (!stop_) log::Warning("db_listener_lost", {{"channel", channel_}});
    }
    PQfinish(conn);
    if (stop_) break;
    // Back off, but stay responsive to Stop().
    for (int waited = 0; waited < backoff_ms && !stop_; waited += 50) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    backoff_ms = std::min(backoff_ms * 2, 5000);
  }
}

}  // namespace cak::common::db
