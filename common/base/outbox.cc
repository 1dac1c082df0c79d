// Outbox retry rules (see outbox.h).
#include "common/base/outbox.h"

#include <algorithm>

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
  const int shift = std::clamp(attempts, 0, 20);
  return std::min(absl::Seconds(1) * (int64_t{1} << shift), max_backoff);
}

}  // namespace cak::common
