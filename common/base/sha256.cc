// SHA-256 (see sha256.h).
#include "common/base/sha256.h"

#include <openssl/evp.h>

#include "common/base/random.h"

namespace cak::common {

namespace {
const EVP_MD* Sha256Md() {
  static EVP_MD* const kSha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  return kSha256;
}
}  // namespace

std::string Sha256(absl::string_view data) {
  const EVP_MD* kSha256 = Sha256Md();
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), digest, &len, kSha256, nullptr);
  return std::string(reinterpret_cast<char*>(digest), len);
}

std::string Sha256Hex(absl::string_view data) { return HexEncode(Sha256(data)); }

Sha256Stream::Sha256Stream() : ctx_(EVP_MD_CTX_new()) { EVP_DigestInit_ex(ctx_, Sha256Md(), nullptr); }

Sha256Stream::~Sha256Stream() { EVP_MD_CTX_free(ctx_); }

void Sha256Stream::Update(absl::string_view data) { EVP_DigestUpdate(ctx_, data.data(), data.size()); }

std::string Sha256Stream::FinalHex() {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx_, digest, &len);
  return HexEncode(absl::string_view(reinterpret_cast<char*>(digest), len));
}

}  // namespace cak::common
