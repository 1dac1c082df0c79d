// Identifiers and random bytes from the operating system's CSPRNG (OpenSSL RAND_bytes):
// resource ids (UUID v4), trace and span ids, seeds.
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"

namespace cak::common {

// A random UUID, version 4, lower case with hyphens.
std::string NewUuid();

// True for a lower- or upper-case UUID in 8-4-4-4-12 form.
bool IsUuid(absl::string_view s);

// Fills `out` with `n` random bytes.
void RandomBytes(uint8_t* out, size_t n);

// Lower-case hex of `bytes`.
std::string HexEncode(absl::string_view bytes);
// Inverse of HexEncode; false on odd length or a non-hex character.
bool HexDecode(absl::string_view hex, std::string* out);

}  // namespace cak::common
