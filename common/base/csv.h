// CSV fields as RFC 4180 writes them: the one way the suite's files (dispatch-svc's letter and
// call files, analysis-svc's listings, the flow's contact-report extract) quote their values.
#pragma once

#include <string>

#include "absl/strings/string_view.h"

namespace cak::common {

// Appends `s` as one CSV field: as it is, or between quotes (a quote doubled) when it holds a
// comma, a quote or a line break.
void AppendCsvField(absl::string_view s, std::string* out);

}  // namespace cak::common
