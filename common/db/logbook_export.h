// Export of a service's processing log to the organisation's Logboek Dataverwerkingen
// (DESIGN.md 4.2; the logbook's contract is protos/logboek/v1/logboek.proto).
//
// What it guarantees:
// - Everything, in order: every entry and every narrow subject row becomes one operation (one
//   data subject per record, as LDV expects), handed over in the order of the transactions
//   that wrote them. Rows are read only from transactions older than the oldest one still
//   running (common migration 0008), so a transaction that commits late can never be skipped.
// - Exactly once as the logbook sees it: at least once, with the operation id (the entry's
//   span id; for a subject row a hash of its entry's span and the subject) as the logbook's
//   de-duplication key. The cursor (<schema>.processing_log_export: the last transaction
//   fully accepted) moves only after the logbook accepted; a crash re-sends at most the
//   round in progress.
// - One exporter at a time across replicas: a round holds the cursor row FOR UPDATE SKIP
//   LOCKED; another replica's round finds it taken and waits for the next.
// - Never in the business call's way: a thread of its own at low priority, one pooled
//   connection while a round runs, and backoff with jitter while the logbook is down, slow
//   or refusing; the business calls write their entries as before.
// - The retention purge keeps every entry the logbook has not accepted (the cursor row exists
//   from the first start with export on, before anything was accepted).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/base/logbook.h"
#include "common/db/pool.h"

namespace cak::common::db {

struct LogbookExportOptions {
  std::string schema;
  std::string logbook;                              // the logbook's address, recorded with the cursor for people
  int batch_size = 1000;                            // operations per Export call
  int64_t round_operations = 50000;                 // a round ends at the first transaction boundary past this
  absl::Duration poll_interval = absl::Seconds(1);  // when caught up
  absl::Duration min_backoff = absl::Milliseconds(500);
  absl::Duration max_backoff = absl::Seconds(30);
  absl::Duration stats_interval = absl::Seconds(10);  // how often pending and lag are counted
};

// What the metrics show.
struct LogbookExportStats {
  int64_t pending = 0;     // operations final and not yet accepted, at the last count
  double lag_seconds = 0;  // age of the oldest of them; 0 when none
  int64_t batches = 0;     // Export calls accepted
  int64_t failures = 0;    // rounds that failed (logbook or database)
  int64_t operations = 0;  // operations accepted (a re-sent one counts again)
};

class LogbookExporter {
 public:
  // None of the pointers is owned.
  LogbookExporter(PgPool* pool, LogbookSink* sink, LogbookExportOptions options);
  ~LogbookExporter();  // Stop()

  // Creates the cursor row (so the purge keeps what is not yet accepted) and starts the thread.
  void Start();
  // Ends the round in progress at its next Export call and joins the thread.
  void Stop();

  // Creates the cursor row if absent. Database errors as statuses.
  absl::Status EnsureCursor();
  // One round: hands over what is final now, up to round_operations (rounded up to a
  // transaction). Returns how many operations were accepted; 0 when nothing was due or another
  // replica holds the round. The sink's error (nothing after it is sent; the cursor stays at
  // the last accepted transaction) or a database error.
  absl::StatusOr<int64_t> ExportRound();
  // Counts pending operations and the lag now (the thread does this every stats_interval).
  absl::Status RefreshStats();

  LogbookExportStats stats() const;

 private:
  void Run();

  PgPool* pool_;
  LogbookSink* sink_;
  LogbookExportOptions options_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread worker_;
  std::atomic<int64_t> pending_{0}, batches_{0}, failures_{0}, operations_{0};
  std::atomic<double> lag_seconds_{0};
};

}  // namespace cak::common::db
