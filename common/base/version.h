// The suite's version and the source revision it was built from, for the logbook (the
// resource version of every exported operation), the metrics (build_info) and --version.
#pragma once

#include "absl/strings/string_view.h"

namespace cak::common {

// The project version of the top-level CMakeLists.txt, e.g. "0.11.0".
absl::string_view SuiteVersion();
// The git revision CMake was configured at (-DCAK_REVISION=... overrides it; an image build
// passes its own), "unknown" outside a checkout.
absl::string_view SuiteRevision();

}  // namespace cak::common
