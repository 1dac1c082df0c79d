// HMAC-SHA256 of BSNs (see data_subject_hasher.h).
#include "common/base/data_subject_hasher.h"

#include <openssl/evp.h>
#include <openssl/core_names.h>
#include <openssl/params.h>

#include "common/base/random.h"

namespace cak::common {

namespace {

EVP_MAC_CTX* KeyedHmac(const std::string& key) {
  static EVP_MAC* const kHmac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  EVP_MAC_CTX* ctx = EVP_MAC_CTX_new(kHmac);
  char digest[] = "SHA256";
  OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string("digest", digest, 0), OSSL_PARAM_construct_end()};
  EVP_MAC_init(ctx, reinterpret_cast<const unsigned char*>(key.data()), key.size(), params);
  return ctx;
}

}  // namespace

DataSubjectHasher::DataSubjectHasher(std::string key) : key_(std::move(key)), keyed_(KeyedHmac(key_)) {}

DataSubjectHasher::DataSubjectHasher(const DataSubjectHasher& other)
    : key_(other.key_), keyed_(EVP_MAC_CTX_dup(other.keyed_)) {}

DataSubjectHasher& DataSubjectHasher::operator=(const DataSubjectHasher& other) {
  if (this != &other) {
    EVP_MAC_CTX_free(keyed_);
    key_ = other.key_;
    keyed_ = EVP_MAC_CTX_dup(other.keyed_);
  }
  return *this;
}

DataSubjectHasher::~DataSubjectHasher() { EVP_MAC_CTX_free(keyed_); }

absl::StatusOr<DataSubjectHasher> DataSubjectHasher::Create(std::string key) {
  if (key.size() < 32) {
    return absl::InvalidArgumentError("the data-subject hash key must be at least 32 bytes");
  }
  return DataSubjectHasher(std::move(key));
}

std::string DataSubjectHasher::Hash(const Bsn& bsn) const { return HashText(bsn.digits()); }

std::string DataSubjectHasher::HashText(absl::string_view digits) const {
  EVP_MAC_CTX* ctx = EVP_MAC_CTX_dup(keyed_);
  unsigned char mac[EVP_MAX_MD_SIZE];
  size_t mac_len = 0;
  EVP_MAC_update(ctx, reinterpret_cast<const unsigned char*>(digits.data()), digits.size());
  EVP_MAC_final(ctx, mac, &mac_len, sizeof mac);
  EVP_MAC_CTX_free(ctx);
  return HexEncode(absl::string_view(reinterpret_cast<const char*>(mac), mac_len));
}

}  // namespace cak::common
