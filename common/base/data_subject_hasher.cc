// HMAC-SHA256 of BSNs (see data_subject_hasher.h).
//
// OpenSSL 3 marks the SHA256_* functions deprecated in favour of EVP, whose HMAC duplicates a
// context (allocations, reference counts) per call: at 500k subjects per disclosure that was
// most of the hashing time. HMAC over precomputed pad states is the textbook construction
// (RFC 2104, section 4); the test checks it against RFC 4231's vectors.
#define OPENSSL_SUPPRESS_DEPRECATED
#include "common/base/data_subject_hasher.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include <cstring>

namespace cak::common {

struct DataSubjectHasher::Pads {
  SHA256_CTX inner;
  SHA256_CTX outer;
};

absl::StatusOr<DataSubjectHasher> DataSubjectHasher::Create(std::string key) {
  if (key.size() < 32) {
    return absl::InvalidArgumentError("the data-subject hash key must be at least 32 bytes");
  }
  unsigned char block[SHA256_CBLOCK] = {};
  if (key.size() > SHA256_CBLOCK) {
    SHA256(reinterpret_cast<const unsigned char*>(key.data()), key.size(), block);
  } else {
    std::memcpy(block, key.data(), key.size());
  }
  auto pads = std::make_shared<Pads>();
  unsigned char pad[SHA256_CBLOCK];
  for (int i = 0; i < SHA256_CBLOCK; ++i) pad[i] = block[i] ^ 0x36;
  SHA256_Init(&pads->inner);
  SHA256_Update(&pads->inner, pad, sizeof pad);
  for (int i = 0; i < SHA256_CBLOCK; ++i) pad[i] = block[i] ^ 0x5c;
  SHA256_Init(&pads->outer);
  SHA256_Update(&pads->outer, pad, sizeof pad);
  OPENSSL_cleanse(block, sizeof block);
  OPENSSL_cleanse(pad, sizeof pad);
  return DataSubjectHasher(std::move(pads));
}

std::string DataSubjectHasher::Hash(const Bsn& bsn) const { return HashText(bsn.digits()); }

std::string DataSubjectHasher::HashText(absl::string_view text) const {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256_CTX ctx = pads_->inner;
  SHA256_Update(&ctx, text.data(), text.size());
  SHA256_Final(digest, &ctx);
  ctx = pads_->outer;
  SHA256_Update(&ctx, digest, sizeof digest);
  SHA256_Final(digest, &ctx);
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(2 * SHA256_DIGEST_LENGTH, '0');
  for (int i = 0; i < SHA256_DIGEST_LENGTH; ++i) {
    out[2 * i] = kDigits[digest[i] >> 4];
    out[2 * i + 1] = kDigits[digest[i] & 15];
  }
  return out;
}

}  // namespace cak::common
