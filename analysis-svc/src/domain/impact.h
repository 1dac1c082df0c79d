// Impact analysis on a selection: the total and the breakdowns analysts need to judge an event
// (step 2) and to weigh target groups (step 4). Pure computation over a columnar snapshot.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/civil_time.h"
#include "analysis-svc/src/domain/bitmap.h"
#include "analysis-svc/src/domain/columnar.h"

namespace cak::analysis::domain {

struct ImpactOptions {
  absl::CivilDay reference_day;
  absl::CivilDay mailing_from, mailing_to;  // overlap window, inclusive
  int pressure_min_contacts = 3;
  int pressure_days = 90;
};

struct Impact {
  int64_t total = 0;
  std::array<int64_t, kRegulationSlots> by_regulation{};
  // (CBS municipality number, count), largest first, only non-zero.
  std::vector<std::pair<int, int64_t>> by_municipality;
  std::array<int64_t, kRoutingSlots> by_routing{};
  int64_t reach_post = 0, reach_phone = 0, reach_email = 0, reach_none = 0;
  int64_t mailing_overlap_total = 0;
  std::array<int64_t, kMailingTypeSlots> mailing_overlap_by_type{};
  int64_t contact_pressure = 0;
  // Matched the selection but left out by an objection or restriction (never counted above).
  int64_t excluded_by_objection = 0;
};

// Defaults for an analysis on `reference_day`: mailing window of 90 days from it, pressure
// threshold 3 contacts in 90 days.
ImpactOptions DefaultImpactOptions(absl::CivilDay reference_day);

// INVALID_ARGUMENT naming the field for a window with from > to, pressure_min_contacts < 1 or
// pressure_days outside 1..3660.
absl::Status ValidateImpactOptions(const ImpactOptions& options);

Impact AnalyzeImpact(const ColumnarSnapshot& snapshot, const Bitmap& selection, const ImpactOptions& options);

}  // namespace cak::analysis::domain
