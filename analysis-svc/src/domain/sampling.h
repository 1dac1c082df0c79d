// Reproducible samples (steekproeven). A member's draw order is a keyed hash of the seed and
// its BSN, so the same seed on the same snapshot always gives the same sample, on any replica
// and after any restart, without storing random state; and the sample of a larger population
// is not disturbed by row order. Stratified samples allocate the size over the strata in
// proportion to their populations (largest remainder), then draw within each stratum.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "analysis-svc/src/domain/bitmap.h"
#include "analysis-svc/src/domain/columnar.h"

namespace cak::analysis::domain {

enum class Stratification { kNone = 0, kRegulation = 1, kMunicipality = 2, kRouting = 3 };

inline constexpr int kMaxSampleSize = 10000;

struct SampleDraw {
  int64_t population = 0;
  std::vector<uint32_t> rows;                               // members, by stratum (key order) then draw order
  std::vector<std::string> strata;                          // the stratum key of each member ("" when not stratified)
  std::vector<std::pair<std::string, int64_t>> allocation;  // members per stratum, key order
};

// Draws min(size, population) members from `selection`.
SampleDraw DrawSample(const ColumnarSnapshot& snapshot, const Bitmap& selection, int size, uint64_t seed,
                      Stratification stratification);

// The draw key of a BSN under a seed (exposed for tests).
uint64_t DrawKey(uint64_t seed, int32_t bsn);

}  // namespace cak::analysis::domain
