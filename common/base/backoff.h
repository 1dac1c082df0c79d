// Waits between retries, one rule for every retry loop of the suite (the logbook export, the
// outbox relay, dispatch-svc's batch attempts): exponential growth with "full jitter", so that
// callers that failed together do not come back together.
#pragma once

#include "absl/time/time.h"

namespace cak::common {

// The wait after `failures` failed attempts in a row (1, 2, ...): a point between `min` and
// min(max, min * 2^(failures-1)), chosen by `unit` in [0, 1] (0: `min`, 1: the cap).
absl::Duration RetryBackoff(absl::Duration min, absl::Duration max, int failures, double unit);

// A uniformly random `unit` for RetryBackoff (a per-thread generator seeded from the OS).
double JitterUnit();

}  // namespace cak::common
