// COPY in and out (see copy.h).
#include "common/db/copy.h"

#include <libpq-fe.h>

#include <cstdlib>

#include "common/db/pool.h"
#include "common/db/prepared.h"

namespace cak::common::db {

CopyIn::CopyIn(soci::session& sql, const std::string& statement) : conn_(NativeConnection(sql)) {
  PGresult* res = PQexec(conn_, statement.c_str());
  if (PQresultStatus(res) != PGRES_COPY_IN) {
    active_ = false;
    ThrowPgError(res, conn_, "COPY FROM STDIN");
  }
  PQclear(res);
}

CopyIn::~CopyIn() {
  if (active_) Abort("abandoned");
}

void CopyIn::Write(absl::string_view lines) {
  if (lines.empty()) return;
  if (PQputCopyData(conn_, lines.data(), static_cast<int>(lines.size())) != 1) {
    active_ = false;
    ThrowPgError(nullptr, conn_, "COPY data");
  }
}

int64_t CopyIn::End() {
  active_ = false;
  if (PQputCopyEnd(conn_, nullptr) != 1) ThrowPgError(nullptr, conn_, "COPY end");
  PGresult* res = PQgetResult(conn_);
  if (PQresultStatus(res) != PGRES_COMMAND_OK) {
    while (PGresult* more = PQgetResult(conn_)) PQclear(more);
    ThrowPgError(res, conn_, "COPY");
  }
  const int64_t rows = std::strtoll(PQcmdTuples(res), nullptr, 10);
  PQclear(res);
  while (PGresult* more = PQgetResult(conn_)) PQclear(more);
  return rows;
}

void CopyIn::Abort(const char* reason) noexcept {
  active_ = false;
  if (PQputCopyEnd(conn_, reason) == 1) {
    while (PGresult* res = PQgetResult(conn_)) PQclear(res);
  }
}

PipelinedCopyIn::PipelinedCopyIn(soci::session& sql, const std::string& statement, size_t max_pending)
    : copy_(sql, statement), queue_(max_pending), sender_([this] { Run(); }) {}

PipelinedCopyIn::~PipelinedCopyIn() {
  Stop();
  if (!ended_) copy_.Abort("abandoned");
}

void PipelinedCopyIn::Stop() {
  queue_.Close();
  if (sender_.joinable()) sender_.join();
}

void PipelinedCopyIn::Run() {
  std::string chunk;
  while (queue_.Pop(&chunk)) {
    try {
      copy_.Write(chunk);
    } catch (...) {
      error_ = std::current_exception();
      queue_.Abandon();  // (after error_: the writer that finds it abandoned reads the error)
      return;
    }
  }
}

void PipelinedCopyIn::Write(std::string lines) {
  if (!queue_.Push(std::move(lines))) std::rethrow_exception(error_);
}

int64_t PipelinedCopyIn::End() {
  Stop();
  if (error_) std::rethrow_exception(error_);
  ended_ = true;
  return copy_.End();
}

absl::string_view UnescapeCopyField(absl::string_view field, std::string* scratch) {
  if (field.find('\\') == absl::string_view::npos) return field;
  scratch->clear();
  scratch->reserve(field.size());
  for (size_t k = 0; k < field.size(); ++k) {
    if (field[k] != '\\' || k + 1 == field.size()) {
      scratch->push_back(field[k]);
      continue;
    }
    const char c = field[++k];
    scratch->push_back(c == 't'   ? '\t'
                       : c == 'n' ? '\n'
                       : c == 'r' ? '\r'
                       : c == 'b' ? '\b'
                       : c == 'f' ? '\f'
                       : c == 'v' ? '\v'
                                  : c);
  }
  return *scratch;
}

void CopyOutLines(soci::session& sql, const std::string& statement,
                  const std::function<void(absl::string_view line)>& line) {
  CopyOutData(sql, statement, [&](absl::string_view data) {
    if (!data.empty() && data.back() == '\n') data.remove_suffix(1);
    line(data);
  });
}

void CopyOutData(soci::session& sql, const std::string& statement,
                 const std::function<void(absl::string_view data)>& data) {
  PGconn* conn = NativeConnection(sql);
  PGresult* res = PQexec(conn, statement.c_str());
  if (PQresultStatus(res) != PGRES_COPY_OUT) ThrowPgError(res, conn, "COPY TO STDOUT");
  PQclear(res);
  auto drain = [conn] {
    while (PGresult* r = PQgetResult(conn)) PQclear(r);
  };
  while (true) {
    char* buf = nullptr;
    const int len = PQgetCopyData(conn, &buf, 0);
    if (len == -1) break;  // done
    if (len < 0) ThrowPgError(nullptr, conn, "COPY TO STDOUT data");
    struct Freer {
      char* p;
      ~Freer() { PQfreemem(p); }
    } freer{buf};
    try {
      data(absl::string_view(buf, static_cast<size_t>(len)));
    } catch (...) {
      // Leave the connection usable: cancel the rest of the COPY.
      if (PGcancel* cancel = PQgetCancel(conn)) {
        char err[256];
        PQcancel(cancel, err, sizeof err);
        PQfreeCancel(cancel);
      }
      while (true) {
        char* rest = nullptr;
        const int n = PQgetCopyData(conn, &rest, 0);
        if (rest) PQfreemem(rest);
        if (n < 0) break;
      }
      drain();
      throw;
    }
  }
  PGresult* end = PQgetResult(conn);
  if (PQresultStatus(end) != PGRES_COMMAND_OK) {
    drain();
    ThrowPgError(end, conn, "COPY TO STDOUT");
  }
  PQclear(end);
  drain();
}

void CopyOut(soci::session& sql, const std::string& statement, const std::function<void(const CopyRow&)>& row) {
  CopyRow out;
  std::vector<std::string> unescaped;
  CopyOutLines(sql, statement, [&](absl::string_view line) {
    out.fields.clear();
    out.null.clear();
    size_t fields = 1;
    for (char c : line) fields += c == '\t';
    // Reserved up front: the views into `unescaped` must not move.
    if (unescaped.size() < fields) unescaped.resize(fields);
    size_t start = 0;
    for (size_t i = 0, k = 0; i <= line.size(); ++i) {
      if (i < line.size() && line[i] != '\t') continue;
      const absl::string_view f = line.substr(start, i - start);
      start = i + 1;
      const bool null = f == "\\N";
      out.fields.push_back(null ? absl::string_view() : UnescapeCopyField(f, &unescaped[k++]));
      out.null.push_back(null);
    }
    row(out);
  });
}

}  // namespace cak::common::db
