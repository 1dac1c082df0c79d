// SHA-256 (see sha256.h).
#include "common/base/sha256.h"

#include <openssl/evp.h>

#include "common/base/random.h"

namespace cak::common {

std::string Sha256(absl::string_view data) {
  static EVP_MD* const kSha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), digest, &len, kSha256, nullptr);
  return std::string(reinterpret_cast<char*>(digest), len);
}

std::string Sha256Hex(absl::string_view data) { return HexEncode(Sha256(data)); }

}  // namespace cak::common
