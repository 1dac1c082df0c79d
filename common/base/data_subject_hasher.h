// Pseudonymous data-subject ids for the processing log: HMAC-SHA256 of the BSN under a secret
// key (dpl.core.data_subject_id). The same BSN gives the same id within one key, so a privacy
// officer can find a person's entries, but the log alone never reveals a BSN.
#pragma once

#include <string>

#include "absl/status/statusor.h"

struct evp_mac_ctx_st;  // OpenSSL EVP_MAC_CTX
#include "common/base/bsn.h"

namespace cak::common {

class DataSubjectHasher {
 public:
  DataSubjectHasher(const DataSubjectHasher& other);
  DataSubjectHasher& operator=(const DataSubjectHasher& other);
  ~DataSubjectHasher();

  // The key must be at least 32 bytes. INVALID_ARGUMENT otherwise.
  static absl::StatusOr<DataSubjectHasher> Create(std::string key);

  // Lower-case hex HMAC-SHA256 (64 characters).
  std::string Hash(const Bsn& bsn) const;
  // The same over any text: pseudonymous ids of people without a BSN (e.g. the
  // representative a letter was routed to). Callers prefix the text with its kind, so that
  // ids of different kinds never collide.
  std::string HashText(absl::string_view text) const;

 private:
  explicit DataSubjectHasher(std::string key);
  std::string key_;
  // HMAC-SHA256 keyed once; each Hash works on a copy (copies are cheap and thread-safe).
  ::evp_mac_ctx_st* keyed_ = nullptr;
};

}  // namespace cak::common
