// SHA-256 with the digest implementation fetched once: OpenSSL 3's one-shot helpers look the
// algorithm up in the provider store on every call, which takes locks on hot paths.
#pragma once

#include <string>

#include "absl/strings/string_view.h"

namespace cak::common {

// 32 raw bytes.
std::string Sha256(absl::string_view data);
// 64 lower-case hex characters.
std::string Sha256Hex(absl::string_view data);

}  // namespace cak::common
