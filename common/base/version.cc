// Version and revision (see version.h), set by common/CMakeLists.txt.
#include "common/base/version.h"

namespace cak::common {

absl::string_view SuiteVersion() { return CAK_VERSION; }
absl::string_view SuiteRevision() { return CAK_REVISION; }

}  // namespace cak::common
