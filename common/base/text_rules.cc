// Free-text rules (see text_rules.h).
#include "common/base/text_rules.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/base/errors.h"

namespace cak::common {

size_t Utf8Length(absl::string_view text) {
  size_t n = 0;
  for (unsigned char c : text) n += (c & 0xC0) != 0x80;
  return n;
}

absl::Status ValidateCharacters(absl::string_view text, absl::string_view field) {
  for (unsigned char c : text) {
    if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f) {
      return InvalidField(kReasonInvalidCharacters, field, absl::StrCat(field, " contains a control character"));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateOptionalText(absl::string_view text, size_t max_chars, absl::string_view field) {
  CAK_RETURN_IF_ERROR(ValidateCharacters(text, field));
  if (Utf8Length(text) > max_chars) {
    return InvalidField(reason::kFieldTooLong, field,
                        absl::StrCat(field, " is longer than ", max_chars, " characters"));
  }
  return absl::OkStatus();
}

absl::Status ValidateText(absl::string_view text, size_t max_chars, absl::string_view field) {
  CAK_RETURN_IF_ERROR(ValidateCharacters(text, field));
  if (absl::StripAsciiWhitespace(text).empty()) {
    return InvalidField(reason::kRequiredFieldMissing, field, absl::StrCat(field, " is required"));
  }
  return ValidateOptionalText(text, max_chars, field);
}

}  // namespace cak::common
