// Impact analysis (see impact.h).
#include "analysis-svc/src/domain/impact.h"

#include <algorithm>

#include "analysis-svc/src/domain/criteria.h"
#include "common/base/errors.h"

namespace cak::analysis::domain {

ImpactOptions DefaultImpactOptions(absl::CivilDay reference_day) {
  ImpactOptions o;
  o.reference_day = reference_day;
  o.mailing_from = reference_day;
  o.mailing_to = reference_day + 89;
  return o;
}

absl::Status ValidateImpactOptions(const ImpactOptions& o) {
  if (o.mailing_from > o.mailing_to) {
    return common::InvalidField("INVALID_RANGE", "mailing_to_date",
                                "mailing_to_date must not be before mailing_from_date");
  }
  if (o.pressure_min_contacts < 1) {
    return common::InvalidField("INVALID_RANGE", "pressure_min_contacts", "pressure_min_contacts must be >= 1");
  }
  if (o.pressure_days < 1 || o.pressure_days > kMaxContactDays) {
    return common::InvalidField("INVALID_RANGE", "pressure_days", "pressure_days must be 1..3660");
  }
  return absl::OkStatus();
}

Impact AnalyzeImpact(const ColumnarSnapshot& s, const Bitmap& selection, const ImpactOptions& o) {
  Impact r;
  std::vector<int64_t> by_municipality(s.municipality_numbers.size(), 0);
  std::array<int64_t, 8> by_reach{};
  const DayNumber mfrom = ToDayNumber(o.mailing_from), mto = ToDayNumber(o.mailing_to);
  const DayNumber pto = ToDayNumber(o.reference_day), pfrom = pto - o.pressure_days + 1;
  selection.ForEach([&](uint32_t i) {
    ++r.total;
    ++r.by_regulation[s.regulation[i]];
    ++by_municipality[s.municipality[i]];
    ++r.by_routing[s.routing[i]];
    ++by_reach[s.reach[i]];
    uint8_t types = 0;  // bit per mailing type in the window
    for (uint32_t k = s.mailing_offset[i]; k < s.mailing_offset[i + 1]; ++k) {
      if (s.mailing_day[k] >= mfrom && s.mailing_day[k] <= mto) types |= static_cast<uint8_t>(1u << s.mailing_type[k]);
    }
    if (types) {
      ++r.mailing_overlap_total;
      for (int t = 1; t < kMailingTypeSlots; ++t) r.mailing_overlap_by_type[t] += (types >> t) & 1;
    }
    int contacts = 0;
    for (uint32_t k = s.contact_offset[i]; k < s.contact_offset[i + 1]; ++k) {
      contacts += s.contact_day[k] >= pfrom && s.contact_day[k] <= pto;
    }
    r.contact_pressure += contacts >= o.pressure_min_contacts;
  });
  for (int bits = 0; bits < 8; ++bits) {
    if (bits & kReachPost) r.reach_post += by_reach[bits];
    if (bits & kReachPhone) r.reach_phone += by_reach[bits];
    if (bits & kReachEmail) r.reach_email += by_reach[bits];
  }
  r.reach_none = by_reach[0];
  for (size_t m = 0; m < by_municipality.size(); ++m) {
    if (by_municipality[m] > 0) r.by_municipality.emplace_back(s.municipality_numbers[m], by_municipality[m]);
  }
  std::sort(r.by_municipality.begin(), r.by_municipality.end(), [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  });
  return r;
}

}  // namespace cak::analysis::domain
