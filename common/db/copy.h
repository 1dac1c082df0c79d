// COPY through libpq on a pooled SOCI session: the bulk path in and out (CONVENTIONS.md,
// "Bulk in, bulk out"). Text format; callers produce and consume its lines (tab-separated,
// \N for NULL, backslash escapes). Errors are thrown as PreparedStatementError, so the
// session wrappers of pool.h map them like any other database error.
#pragma once

#include <soci/soci.h>

#include <cstdint>
#include <exception>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/string_view.h"
#include "common/base/bounded_queue.h"

typedef struct pg_conn PGconn;

namespace cak::common::db {

// One COPY ... FROM STDIN. While it runs, the session can do nothing else.
class CopyIn {
 public:
  // Starts `statement` (a COPY ... FROM STDIN). Throws.
  CopyIn(soci::session& sql, const std::string& statement);
  CopyIn(const CopyIn&) = delete;
  CopyIn& operator=(const CopyIn&) = delete;
  // Aborts the COPY if neither End() nor Abort() ran (the rows are then not loaded).
  ~CopyIn();

  // Sends complete text-format lines. Throws.
  void Write(absl::string_view lines);
  // Finishes the COPY; returns the number of rows loaded. Throws (e.g. a constraint failed).
  int64_t End();
  // Cancels the COPY; nothing it sent is kept. Never throws.
  void Abort(const char* reason) noexcept;

 private:
  PGconn* conn_;
  bool active_ = true;
};

// A CopyIn fed from a producer thread through a bounded queue, sent by a thread of its own:
// producing the rows (parsing, checking) and sending them overlap, so a bulk load runs at the
// speed of the slower of the two instead of their sum. Errors surface on the next Write() or
// on End().
class PipelinedCopyIn {
 public:
  // Starts the COPY (throws like CopyIn). At most `max_pending` chunks wait in the queue.
  PipelinedCopyIn(soci::session& sql, const std::string& statement, size_t max_pending = 4);
  PipelinedCopyIn(const PipelinedCopyIn&) = delete;
  PipelinedCopyIn& operator=(const PipelinedCopyIn&) = delete;
  ~PipelinedCopyIn();  // aborts unless End() ran

  // Queues complete lines; blocks while the queue is full. Throws the sender's error.
  void Write(std::string lines);
  // Sends what is queued and finishes the COPY; returns the rows loaded. Throws.
  int64_t End();

 private:
  void Run();
  void Stop();

  CopyIn copy_;
  BoundedQueue<std::string> queue_;
  bool ended_ = false;
  std::exception_ptr error_;  // the sender's, set before it abandons the queue
  std::thread sender_;
};

// One row of COPY TO STDOUT text output: unescaped fields, and which are NULL.
struct CopyRow {
  std::vector<absl::string_view> fields;
  std::vector<bool> null;
};

// Runs `statement` (a COPY ... TO STDOUT) and calls `row` for every row; the views are valid
// only during the call. Throws; an exception from `row` ends the COPY and propagates.
void CopyOut(soci::session& sql, const std::string& statement, const std::function<void(const CopyRow&)>& row);

// The same, one text-format line at a time (without its newline; fields tab-separated, \N for
// NULL, escapes as sent): for bulk readers that parse their few known columns in place.
void CopyOutLines(soci::session& sql, const std::string& statement,
                  const std::function<void(absl::string_view line)>& line);
// A field of such a line with its backslash escapes undone: `field` itself when it has none,
// else a view of `scratch`.
absl::string_view UnescapeCopyField(absl::string_view field, std::string* scratch);
// The same, the data as the server sends it (one CopyData message a call: a text line with its
// newline, or a binary-format row, the header before the first and the trailer after the last):
// for relaying a COPY ... TO STDOUT (FORMAT binary) into a COPY ... FROM STDIN (FORMAT binary)
// unparsed.
void CopyOutData(soci::session& sql, const std::string& statement,
                 const std::function<void(absl::string_view data)>& data);

}  // namespace cak::common::db
