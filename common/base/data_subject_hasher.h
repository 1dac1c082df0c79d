// Pseudonymous data-subject ids for the processing log: HMAC-SHA256 of the BSN under a secret
// key (dpl.core.data_subject_id). The same BSN gives the same id within one key, so a privacy
// officer can find a person's entries, but the log alone never reveals a BSN.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "common/base/bsn.h"

namespace cak::common {

class DataSubjectHasher {
 public:
  // The key must be at least 32 bytes. INVALID_ARGUMENT otherwise.
  static absl::StatusOr<DataSubjectHasher> Create(std::string key);

  // Lower-case hex HMAC-SHA256 (64 characters).
  std::string Hash(const Bsn& bsn) const;

 private:
  explicit DataSubjectHasher(std::string key) : key_(std::move(key)) {}
  std::string key_;
};

}  // namespace cak::common
