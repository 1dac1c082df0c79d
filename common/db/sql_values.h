// Values as PostgreSQL writes them in text results and COPY output, read back for the
// repositories: integers, and ISO dates ("YYYY-MM-DD", the default DateStyle).
#pragma once

#include <charconv>
#include <cstdint>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"

namespace cak::common::db {

// 0 for text that is not an integer (PostgreSQL wrote it, so it is one).
inline int64_t ToInt(absl::string_view s) {
  int64_t v = 0;
  std::from_chars(s.data(), s.data() + s.size(), v);
  return v;
}
// 0 for NULL.
inline int64_t ToInt(const std::optional<std::string>& s) { return s ? ToInt(absl::string_view(*s)) : 0; }

inline absl::CivilDay ParseIsoDay(absl::string_view d) {
  return absl::CivilDay(ToInt(d.substr(0, 4)), ToInt(d.substr(5, 2)), ToInt(d.substr(8, 2)));
}

// The other way, for a date parameter.
inline std::string IsoDay(absl::CivilDay d) { return absl::FormatCivilTime(d); }

}  // namespace cak::common::db
