// Sampling (see sampling.h).
#include "analysis-svc/src/domain/sampling.h"

#include <algorithm>
#include <map>
#include <queue>

namespace cak::analysis::domain {

namespace {

uint64_t Mix(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

std::string StratumKey(const ColumnarSnapshot& s, uint32_t row, Stratification st) {
  switch (st) {
    case Stratification::kNone:
      return "";
    case Stratification::kRegulation:
      return std::string(RegulationName(s.regulation[row]));
    case Stratification::kMunicipality:
      return MunicipalityCode(s.municipality_numbers[s.municipality[row]]);
    case Stratification::kRouting:
      return std::string(RoutingName(s.routing[row]));
  }
  return "";
}

// A dense stratum number per row (so the scan needs no string work).
int StratumIndex(const ColumnarSnapshot& s, uint32_t row, Stratification st) {
  switch (st) {
    case Stratification::kNone:
      return 0;
    case Stratification::kRegulation:
      return s.regulation[row];
    case Stratification::kMunicipality:
      return s.municipality[row];
    case Stratification::kRouting:
      return s.routing[row];
  }
  return 0;
}

int StratumCount(const ColumnarSnapshot& s, Stratification st) {
  switch (st) {
    case Stratification::kNone:
      return 1;
    case Stratification::kRegulation:
      return kRegulationSlots;
    case Stratification::kMunicipality:
      return static_cast<int>(s.municipality_numbers.size());
    case Stratification::kRouting:
      return kRoutingSlots;
  }
  return 1;
}

}  // namespace

uint64_t DrawKey(uint64_t seed, int32_t bsn) {
  return Mix(Mix(seed) ^ static_cast<uint64_t>(static_cast<uint32_t>(bsn)));
}

SampleDraw DrawSample(const ColumnarSnapshot& s, const Bitmap& selection, int size, uint64_t seed, Stratification st) {
  SampleDraw out;
  const int strata = StratumCount(s, st);
  std::vector<int64_t> population(strata, 0);
  selection.ForEach([&](uint32_t i) { ++population[StratumIndex(s, i, st)]; });
  for (int64_t p : population) out.population += p;
  const int64_t want = std::min<int64_t>(size, out.population);
  if (want <= 0) return out;

  // Proportional allocation, largest remainder; ties to the lower stratum number.
  std::vector<int64_t> quota(strata, 0);
  std::vector<std::pair<int64_t, int>> remainders;  // (remainder numerator, stratum)
  int64_t given = 0;
  for (int k = 0; k < strata; ++k) {
    quota[k] = population[k] * want / out.population;
    given += quota[k];
    remainders.emplace_back(population[k] * want % out.population, k);
  }
  std::stable_sort(remainders.begin(), remainders.end(),
                   [](const auto& a, const auto& b) { return a.first > b.first; });
  for (size_t r = 0; given < want && r < remainders.size(); ++r) {
    if (quota[remainders[r].second] < population[remainders[r].second]) {
      ++quota[remainders[r].second];
      ++given;
    }
  }

  // Per stratum, keep the `quota` smallest draw keys (a bounded max-heap; O(n log k)).
  using Entry = std::pair<uint64_t, uint32_t>;  // (key, row)
  std::vector<std::priority_queue<Entry>> heaps(strata);
  selection.ForEach([&](uint32_t i) {
    const int k = StratumIndex(s, i, st);
    if (quota[k] == 0) return;
    const Entry e{DrawKey(seed, s.bsn[i]), i};
    auto& h = heaps[k];
    if (static_cast<int64_t>(h.size()) < quota[k]) {
      h.push(e);
    } else if (e < h.top()) {
      h.pop();
      h.push(e);
    }
  });

  // Strata in key order ("" < "MR"...); members in draw order within a stratum.
  std::map<std::string, int> by_key;
  for (int k = 0; k < strata; ++k) {
    if (!heaps[k].empty()) {
      // any row of the stratum names it
      by_key.emplace(StratumKey(s, heaps[k].top().second, st), k);
    }
  }
  for (const auto& [key, k] : by_key) {
    std::vector<Entry> members;
    while (!heaps[k].empty()) {
      members.push_back(heaps[k].top());
      heaps[k].pop();
    }
    std::sort(members.begin(), members.end());
    for (const auto& m : members) {
      out.rows.push_back(m.second);
      out.strata.push_back(key);
    }
    out.allocation.emplace_back(key, static_cast<int64_t>(members.size()));
  }
  return out;
}

}  // namespace cak::analysis::domain
