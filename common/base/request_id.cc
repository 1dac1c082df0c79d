// request_id validation (see request_id.h).
#include "common/base/request_id.h"

#include "common/base/errors.h"

namespace cak::common {

absl::Status ValidateRequestId(absl::string_view request_id, absl::string_view field) {
  if (request_id.size() > 128) {
    return InvalidField(reason::kInvalidRequestId, field, "request_id is longer than 128 characters");
  }
  for (char c : request_id) {
    if (c < 0x21 || c > 0x7e) {
      return InvalidField(reason::kInvalidRequestId, field,
                          "request_id may only contain printable ASCII characters without spaces");
    }
  }
  return absl::OkStatus();
}

}  // namespace cak::common
