// The project's synthetic personal data: deterministic, valid-looking values for tests, the
// benchmark and the demo. Personal data in this repository is only ever made here (the full
// population generator of analysis-svc builds on it).
#pragma once

#include <cstdint>
#include <vector>

#include "common/base/bsn.h"

namespace cak::common {

// splitmix64: small, fast, and the same on every platform, so a seed always gives the same data.
class SyntheticRandom {
 public:
  explicit SyntheticRandom(uint64_t seed) : state_(seed) {}
  uint64_t Next();
  // Uniform in [0, n).
  uint64_t Below(uint64_t n) { return Next() % n; }

 private:
  uint64_t state_;
};

// `count` distinct valid BSNs (they pass the 11-test) determined by `seed`.
std::vector<Bsn> SyntheticBsns(uint64_t seed, int count);

}  // namespace cak::common
