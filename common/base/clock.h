// Time source. Code that needs "now" takes a Clock so tests can inject a fixed or stepping
// time (common/testing/fake_clock.h); only main() wires the SystemClock.
#pragma once

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace cak::common {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual absl::Time Now() const = 0;
};

class SystemClock final : public Clock {
 public:
  absl::Time Now() const override { return absl::Now(); }
};

}  // namespace cak::common
