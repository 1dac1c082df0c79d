// The transactional outbox in PostgreSQL (table <schema>.outbox, common migration 0006) and its
// relay. EnqueueOutbox() writes messages inside the caller's transaction, so they exist exactly
// when the change that caused them committed. OutboxRelay delivers them in the background, in
// three steps, and holds a database connection only in the first and the last:
// 1. a short transaction claims a due message (FOR UPDATE SKIP LOCKED, so replicas never claim
//    one message at the same time) and leases it: a token of this delivery, and the message due
//    again only when the lease (OutboxRelayOptions::lease) has run out;
// 2. the topic's handler makes the remote call, without a connection;
// 3. a second transaction marks it DONE with the handler's result, retried later with backoff
//    (retryable errors), or FAILED (a refusal, which needs a person) -- if the lease is still
//    this delivery's token. A delivery that outlived its lease finds the message taken over by
//    another and leaves it to that one.
// A crash after the remote call and before step 3 leaves the message PENDING: it is delivered
// again once its lease runs out, with the same request_id, which the receiver recognises.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/base/clock.h"
#include "common/base/outbox.h"
#include "common/db/pool.h"

namespace cak::common::db {

// Writes `messages` in the caller's transaction. Throws what SOCI throws (a duplicate
// request_id violates the table's unique constraint).
void EnqueueOutbox(Tx& tx, const std::string& schema, const std::vector<OutboxMessage>& messages, absl::Time now);

// The messages of one aggregate in enqueue order. Throws what SOCI throws.
std::vector<OutboxRecord> ReadOutbox(soci::session& sql, const std::string& schema, const std::string& aggregate_id);

// For a query that reads aggregates together with their messages (a page of them in one
// statement): a scalar subquery, to put in its select list, giving the messages of the
// aggregate whose id (text) is the SQL expression `aggregate_id_expr` (e.g. `c.id::text`) as one
// JSON array, in enqueue order; ParseOutboxJson() reads that column back. ReadOutbox() is the
// same for one aggregate.
std::string OutboxJsonColumn(const std::string& schema, const std::string& aggregate_id_expr);
std::vector<OutboxRecord> ParseOutboxJson(const std::string& json);

// Puts the FAILED messages of `aggregate_id` back to PENDING, due now (a person fixed what the
// receiver refused and asks again); their request ids stay, so what the receiver did create is
// answered, not made twice. Returns how many. Throws what SOCI throws.
int64_t RequeueFailedOutbox(Tx& tx, const std::string& schema, const std::string& aggregate_id, absl::Time now);

// Delivers one message: returns the result to store (e.g. the created resource's name) or an
// error, judged by OutboxRetryable().
using OutboxHandler = std::function<absl::StatusOr<std::string>(const OutboxRecord&)>;

struct OutboxRelayOptions {
  std::string schema;
  int threads = 1;  // 0: none (tests call DeliverOne)
  absl::Duration poll_interval = absl::Seconds(1);
  absl::Duration max_backoff = absl::Minutes(5);
  // INTERNAL and UNKNOWN may be passing trouble or a bug that fails every time: after this many
  // attempts they count as a refusal (FAILED), so one bad message cannot block its ordering
  // key for ever. UNAVAILABLE and the other plainly passing errors are retried without limit.
  int max_uncertain_attempts = 10;
  // How long a claimed message is this delivery's: longer than a handler takes (its remote
  // call's deadline). A replica that dies mid-call holds the message up for at most this long.
  absl::Duration lease = absl::Minutes(2);
};

class OutboxRelay {
 public:
  // None of the pointers is owned. A message whose topic has no handler is FAILED.
  OutboxRelay(PgPool* pool, const Clock* clock, OutboxRelayOptions options,
              std::map<std::string, OutboxHandler> handlers);
  ~OutboxRelay();  // Stop()

  void Start();
  // Looks for due messages now (call after a commit that enqueued some).
  void Wake();
  // Lets a delivery in progress finish, then joins the workers.
  void Stop();

  // Delivers at most one due message. True when one was claimed (whatever came of it); false
  // when none is due. Database errors come back as statuses.
  absl::StatusOr<bool> DeliverOne();

  int64_t delivered() const { return delivered_.load(); }
  int64_t failed() const { return failed_.load(); }

 private:
  void Run();

  PgPool* pool_;
  const Clock* clock_;
  OutboxRelayOptions options_;
  std::map<std::string, OutboxHandler> handlers_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  uint64_t wakeups_ = 0;
  std::vector<std::thread> workers_;
  std::atomic<int64_t> delivered_{0}, failed_{0};
};

}  // namespace cak::common::db
