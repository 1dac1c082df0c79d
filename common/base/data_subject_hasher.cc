// HMAC-SHA256 of BSNs (see data_subject_hasher.h).
#include "common/base/data_subject_hasher.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "common/base/random.h"

namespace cak::common {

absl::StatusOr<DataSubjectHasher> DataSubjectHasher::Create(std::string key) {
  if (key.size() < 32) {
    return absl::InvalidArgumentError("the data-subject hash key must be at least 32 bytes");
  }
  return DataSubjectHasher(std::move(key));
}

std::string DataSubjectHasher::Hash(const Bsn& bsn) const {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  const std::string& digits = bsn.digits();
  HMAC(EVP_sha256(), key_.data(), static_cast<int>(key_.size()),
       reinterpret_cast<const unsigned char*>(digits.data()), digits.size(), mac, &mac_len);
  return HexEncode(absl::string_view(reinterpret_cast<const char*>(mac), mac_len));
}

}  // namespace cak::common
