// Outbox retry rules (see outbox.h).
#include "common/base/outbox.h"

#include <algorithm>

#include "common/base/backoff.h"

namespace cak::common {

bool OutboxRetryable(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded:
    case absl::StatusCode::kResourceExhausted:
    case absl::StatusCode::kAborted:
    case absl::StatusCode::kInternal:
    case absl::StatusCode::kUnknown:
    case absl::StatusCode::kUnauthenticated:
    case absl::StatusCode::kCancelled:
      return true;
    default:
      return false;
  }
}

absl::Duration OutboxBackoff(int attempts, absl::Duration max_backoff) {
  return RetryBackoff(absl::Seconds(1), max_backoff, std::max(attempts, 0) + 1, 1.0);
}

}  // namespace cak::common
