#include "common/base/csv.h"

namespace cak::common {

void AppendCsvField(absl::string_view s, std::string* out) {
  if (s.find_first_of(",\"\r\n") == absl::string_view::npos) {
    out->append(s.data(), s.size());
    return;
  }
  // Whole runs between quotes at once: letter texts are long and rarely hold a quote.
  out->push_back('"');
  for (size_t from = 0;;) {
    const size_t q = s.find('"', from);
    if (q == absl::string_view::npos) {
      out->append(s.data() + from, s.size() - from);
      break;
    }
    out->append(s.data() + from, q + 1 - from);
    out->push_back('"');
    from = q + 1;
  }
  out->push_back('"');
}

}  // namespace cak::common
