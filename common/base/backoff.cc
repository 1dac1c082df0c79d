// Retry waits (see backoff.h).
#include "common/base/backoff.h"

#include <algorithm>
#include <cstdint>
#include <random>

#include "common/base/random.h"

namespace cak::common {

absl::Duration RetryBackoff(absl::Duration min, absl::Duration max, int failures, double unit) {
  absl::Duration cap = min;
  for (int i = 1; i < failures && cap < max; ++i) cap *= 2;
  cap = std::min(cap, max);
  return min + (cap - min) * std::clamp(unit, 0.0, 1.0);
}

double JitterUnit() {
  thread_local std::mt19937_64 rng = [] {
    uint64_t seed = 0;
    RandomBytes(reinterpret_cast<uint8_t*>(&seed), sizeof(seed));
    return std::mt19937_64(seed);
  }();
  return std::uniform_real_distribution<double>(0.0, 1.0)(rng);
}

}  // namespace cak::common
