// The identity of a create request for idempotency (AIP-155): operation + request_id, and a
// fingerprint of the request so that a reused request_id with other content is recognised.
#pragma once

#include <string>

namespace cak::common {

struct IdempotencyKey {
  std::string operation;    // e.g. "SubmitSignal"
  std::string request_id;   // validated by ValidateRequestId
  std::string fingerprint;  // RequestFingerprint(): hash of the request and the caller
};

}  // namespace cak::common
