// Capacity planning over an executor's calendar (step 7): which days the executor works, how
// much is still free on each, and how a volume spreads over a window. Pure functions; the
// capacity other orders already booked comes from storage.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/civil_time.h"
#include "dispatch-svc/src/domain/model.h"

namespace cak::dispatch::domain {

// INVALID_ARGUMENT (field under `field`, e.g. "executor.calendar") for: items_per_day outside
// 1..10,000,000, no working day, lead time outside 0..60, more than 400 blackout dates.
absl::Status ValidateCalendar(const CapacityCalendar& calendar, const std::string& field);

// Whether the executor works on `day` (a working weekday and no blackout).
bool IsWorkingDay(const CapacityCalendar& calendar, absl::CivilDay day);

// The first day work ordered on `today` can be done: after `lead_time_days` further working
// days, the next working day (lead time 0: the first working day after today).
absl::CivilDay FirstPossibleDay(const CapacityCalendar& calendar, absl::CivilDay today);

struct CapacityPlan {
  bool feasible = false;
  std::optional<absl::CivilDay> earliest_start;  // first day with free capacity in the window
  std::vector<DayCount> spread;                  // the volume, day by day, as far as it fits
  std::vector<std::string> reasons;              // Dutch, for people
};

// Spreads `volume` over the free capacity (items_per_day minus `booked`) of the working days
// from max(window_start, FirstPossibleDay(today)) to window_end, filling each day before the
// next. Feasible when all of it fits.
CapacityPlan PlanVolume(const CapacityCalendar& calendar, const std::map<absl::CivilDay, int64_t>& booked,
                        int64_t volume, absl::CivilDay window_start, absl::CivilDay window_end, absl::CivilDay today);

// The longest window accepted, in days.
inline constexpr int kMaxWindowDays = 366;

// INVALID_ARGUMENT for a window that ends before it starts (WINDOW_INVERTED), starts before
// `today` (WINDOW_IN_PAST) or is longer than kMaxWindowDays (WINDOW_TOO_LONG). Fields are
// `<prefix>window_start` / `<prefix>window_end`.
absl::Status ValidateWindow(absl::CivilDay start, absl::CivilDay end, absl::CivilDay today, const std::string& prefix);

struct PlannedBatch {
  absl::CivilDay day;
  int64_t first_position = 0, last_position = 0;
};

// The batches of an order of `count` recipients (positions 1..count): each day of `spread`
// in turn takes its count, cut into batches of at most `max_batch_items`.
std::vector<PlannedBatch> PlanBatches(const std::vector<DayCount>& spread, int64_t max_batch_items);

}  // namespace cak::dispatch::domain
