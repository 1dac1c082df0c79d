// Rules for free text in requests, the same in every service: no control characters other than
// tab, newline and carriage return (a NUL would be cut off by the database driver, and the
// text may end up in a delivery file), and a length in Unicode code points.
#pragma once

#include <cstddef>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace cak::common {

inline constexpr char kReasonInvalidCharacters[] = "INVALID_CHARACTERS";

// INVALID_ARGUMENT (INVALID_CHARACTERS, `field`) for a control character.
absl::Status ValidateCharacters(absl::string_view text, absl::string_view field);

// Number of Unicode code points in valid UTF-8 `text`.
size_t Utf8Length(absl::string_view text);

// Required text of at most `max_chars` code points: INVALID_CHARACTERS for control characters,
// REQUIRED_FIELD_MISSING when empty or only white space, FIELD_TOO_LONG when longer.
absl::Status ValidateText(absl::string_view text, size_t max_chars, absl::string_view field);

// The same for optional text: empty is fine.
absl::Status ValidateOptionalText(absl::string_view text, size_t max_chars, absl::string_view field);

}  // namespace cak::common
