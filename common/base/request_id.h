// The request_id rule shared by every create method (AIP-155): optional; when set, 1 to 128
// printable ASCII characters. A UUID is recommended.
#pragma once

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace cak::common {

// INVALID_ARGUMENT (reason INVALID_REQUEST_ID, field `field`) for a bad request_id.
absl::Status ValidateRequestId(absl::string_view request_id, absl::string_view field = "request_id");

}  // namespace cak::common
