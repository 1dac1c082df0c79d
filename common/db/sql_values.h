// Values as PostgreSQL writes them in text results and COPY output, read back for the
// repositories: integers, ISO dates ("YYYY-MM-DD", the default DateStyle), times as
// microseconds since the epoch (the to_micros / from_micros functions of common migration
// 0003), and a text row's fields.
#pragma once

#include <charconv>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"

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

// A time parameter for ${schema}.from_micros($n::bigint), and a to_micros(...) result read back
// (NULL or not a number: the epoch).
inline std::string MicrosText(absl::Time t) { return absl::StrCat(absl::ToUnixMicros(t)); }
inline absl::Time TimeFromMicros(absl::string_view s) { return absl::FromUnixMicros(ToInt(s)); }
inline absl::Time TimeFromMicros(const std::string& s) { return TimeFromMicros(absl::string_view(s)); }
inline absl::Time TimeFromMicros(const std::optional<std::string>& s) { return absl::FromUnixMicros(ToInt(s)); }

// Field `i` of a text row ("" for NULL).
inline const std::string& TextAt(const std::vector<std::optional<std::string>>& row, size_t i) {
  static const std::string kEmpty;
  return row.at(i) ? *row.at(i) : kEmpty;
}

}  // namespace cak::common::db
