// Messages of the transactional outbox (DESIGN.md section 5), as the domain sees them: a
// hand-off to another service that is recorded in the same transaction as the change causing
// it and delivered afterwards, with retries, by common/db/outbox's relay. Pure: no database.
//
// Delivery is at least once; the receiver makes it exactly once through the message's
// request_id (every create RPC of the suite is idempotent by request_id), and handlers of
// non-creating calls treat "already done" as done.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace cak::common {

// A message to enqueue.
struct OutboxMessage {
  std::string topic;         // what to do, e.g. "dispatch.CreateDispatchOrder"
  std::string aggregate_id;  // the resource it belongs to (read back per aggregate)
  // Messages with the same key are delivered one after the other in enqueue order.
  std::string ordering_key;
  std::string request_id;  // globally unique; the idempotency key of the remote call
  std::string payload;     // topic-specific; never personal data
  // The enqueuing call's W3C traceparent: the delivery continues that trace (DESIGN.md 4.2).
  std::string traceparent;
};

enum class OutboxState { kPending, kDone, kFailed };

// A stored message with its delivery state.
struct OutboxRecord {
  int64_t id = 0;
  OutboxMessage message;
  OutboxState state = OutboxState::kPending;
  int attempts = 0;
  absl::Time next_attempt_time;
  std::string last_error;
  std::string result;  // what the handler returned (e.g. the created resource's name)
  absl::Time create_time;
  std::optional<absl::Time> done_time;
};

// Whether a failed delivery is tried again: infrastructure trouble (UNAVAILABLE,
// DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, ABORTED, INTERNAL, UNKNOWN, UNAUTHENTICATED while
// credentials rotate, CANCELLED at shutdown) is; a refusal of the request itself
// (INVALID_ARGUMENT, FAILED_PRECONDITION, NOT_FOUND, ...) is final and needs a person.
bool OutboxRetryable(const absl::Status& status);

// The wait before attempt `attempts + 1`: 1 s doubling per attempt, at most `max_backoff`.
absl::Duration OutboxBackoff(int attempts, absl::Duration max_backoff);

}  // namespace cak::common
