// PostgreSQL COPY text format, the producing side: pure string building, so that a domain
// layer can prepare bulk rows without linking the database (common/db/copy.h sends them).
#pragma once

#include <string>

#include "absl/strings/string_view.h"

namespace cak::common {

// Appends `value` escaped for COPY text format (backslash, tab, newline, carriage return).
inline void AppendCopyText(std::string* out, absl::string_view value) {
  size_t start = 0;
  for (size_t i = 0; i < value.size(); ++i) {
    const char c = value[i];
    // Only control characters and the backslash are escaped: most characters pass one test.
    if (static_cast<unsigned char>(c) >= 0x20 && c != '\\') continue;
    const char* esc = c == '\\' ? "\\\\" : c == '\t' ? "\\t" : c == '\n' ? "\\n" : c == '\r' ? "\\r" : nullptr;
    if (esc) {
      out->append(value.data() + start, i - start);
      out->append(esc);
      start = i + 1;
    }
  }
  out->append(value.data() + start, value.size() - start);
}

// The same, with an empty value written as NULL (\N).
inline void AppendCopyTextOrNull(std::string* out, absl::string_view value) {
  if (value.empty()) {
    out->append("\\N");
  } else {
    AppendCopyText(out, value);
  }
}

}  // namespace cak::common
