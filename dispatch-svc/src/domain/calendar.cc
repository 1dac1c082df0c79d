// Capacity planning (see calendar.h).
#include "dispatch-svc/src/domain/calendar.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "common/base/errors.h"
#include "common/base/message_template.h"
#include "dispatch-svc/src/domain/reasons.h"

namespace cak::dispatch::domain {

using common::InvalidField;

namespace {

int WeekdayBit(absl::CivilDay day) {
  switch (absl::GetWeekday(day)) {
    case absl::Weekday::monday:
      return 0;
    case absl::Weekday::tuesday:
      return 1;
    case absl::Weekday::wednesday:
      return 2;
    case absl::Weekday::thursday:
      return 3;
    case absl::Weekday::friday:
      return 4;
    case absl::Weekday::saturday:
      return 5;
    case absl::Weekday::sunday:
      return 6;
  }
  return 0;
}

std::string Day(absl::CivilDay d) { return common::DutchLongDate(d); }

}  // namespace

absl::Status ValidateCalendar(const CapacityCalendar& c, const std::string& field) {
  if (c.items_per_day < 1 || c.items_per_day > 10000000) {
    return InvalidField(common::reason::kInvalidFieldValue, field + ".items_per_day", "must be 1..10,000,000");
  }
  if ((c.working_days & 0x7f) == 0) {
    return InvalidField(common::reason::kRequiredFieldMissing, field + ".working_days", "at least one working day");
  }
  if (c.lead_time_days < 0 || c.lead_time_days > 60) {
    return InvalidField(common::reason::kInvalidFieldValue, field + ".lead_time_days", "must be 0..60");
  }
  if (c.blackout_dates.size() > 400) {
    return InvalidField(common::reason::kInvalidFieldValue, field + ".blackout_dates", "at most 400 dates");
  }
  return absl::OkStatus();
}

bool IsWorkingDay(const CapacityCalendar& c, absl::CivilDay day) {
  if ((c.working_days & (1 << WeekdayBit(day))) == 0) return false;
  return !std::binary_search(c.blackout_dates.begin(), c.blackout_dates.end(), day);
}

absl::CivilDay FirstPossibleDay(const CapacityCalendar& c, absl::CivilDay today) {
  absl::CivilDay day = today;
  // A calendar always has a working weekday, so this ends; blackouts are bounded in number.
  for (int lead = c.lead_time_days; lead >= 0; --lead) {
    do {
      ++day;
    } while (!IsWorkingDay(c, day));
  }
  return day;
}

CapacityPlan PlanVolume(const CapacityCalendar& c, const std::map<absl::CivilDay, int64_t>& booked, int64_t volume,
                        absl::CivilDay window_start, absl::CivilDay window_end, absl::CivilDay today) {
  CapacityPlan plan;
  const absl::CivilDay first_possible = FirstPossibleDay(c, today);
  if (first_possible > window_end) {
    plan.reasons.push_back(absl::StrCat("Het venster eindigt vóór de eerste mogelijke werkdag van de uitvoerder (",
                                        Day(first_possible), ", na ", c.lead_time_days, " werkdagen voorbereiding)."));
    return plan;
  }
  int64_t remaining = volume;
  int full_days = 0;
  for (absl::CivilDay day = std::max(window_start, first_possible); day <= window_end && remaining > 0; ++day) {
    if (!IsWorkingDay(c, day)) continue;
    auto b = booked.find(day);
    const int64_t free = c.items_per_day - (b == booked.end() ? 0 : b->second);
    if (free <= 0) {
      ++full_days;
      continue;
    }
    if (!plan.earliest_start) plan.earliest_start = day;
    const int64_t take = std::min(free, remaining);
    plan.spread.push_back(DayCount{day, take});
    remaining -= take;
  }
  plan.feasible = remaining == 0;
  if (window_start < first_possible) {
    plan.reasons.push_back(absl::StrCat("De uitvoerder kan op zijn vroegst beginnen op ", Day(first_possible), "."));
  }
  if (full_days > 0) {
    plan.reasons.push_back(
        absl::StrCat(full_days, " werkdag(en) in het venster zijn al volledig gereserveerd voor andere opdrachten."));
  }
  if (!plan.feasible) {
    plan.reasons.push_back(absl::StrCat("Onvoldoende capaciteit: ", volume - remaining, " van ", volume,
                                        " stuks passen in het venster; er ontbreken ", remaining, "."));
  }
  return plan;
}

absl::Status ValidateWindow(absl::CivilDay start, absl::CivilDay end, absl::CivilDay today, const std::string& prefix) {
  if (start < today) {
    return InvalidField(reason::kWindowInPast, prefix + "window_start", "the window starts in the past");
  }
  if (end < start) {
    return InvalidField(reason::kWindowInverted, prefix + "window_end", "the window ends before it starts");
  }
  if (end - start >= kMaxWindowDays) {
    return InvalidField(reason::kWindowTooLong, prefix + "window_end",
                        absl::StrCat("the window is longer than ", kMaxWindowDays, " days"));
  }
  return absl::OkStatus();
}

std::vector<PlannedBatch> PlanBatches(const std::vector<DayCount>& spread, int64_t max_batch_items) {
  std::vector<PlannedBatch> out;
  int64_t next = 1;
  for (const DayCount& d : spread) {
    for (int64_t left = d.count; left > 0;) {
      const int64_t n = std::min(left, max_batch_items);
      out.push_back(PlannedBatch{d.day, next, next + n - 1});
      next += n;
      left -= n;
    }
  }
  return out;
}

}  // namespace cak::dispatch::domain
