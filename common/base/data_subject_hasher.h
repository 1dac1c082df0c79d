// Pseudonymous data-subject ids for the processing log: HMAC-SHA256 of the BSN under a secret
// key (dpl.core.data_subject_id). The same BSN gives the same id within one key, so a privacy
// officer can find a person's entries, but the log alone never reveals a BSN.
#pragma once

#include <memory>
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
  // The same over any text: pseudonymous ids of people without a BSN (e.g. the
  // representative a letter was routed to). Callers prefix the text with its kind, so that
  // ids of different kinds never collide.
  std::string HashText(absl::string_view text) const;

 private:
  // The SHA-256 states after the key's inner and outer pads (RFC 2104), computed once: a hash
  // then costs two short SHA-256 runs and no allocation, which matters at half a million
  // subjects per disclosure. Immutable, so copies share it and Hash is thread-safe.
  struct Pads;
  explicit DataSubjectHasher(std::shared_ptr<const Pads> pads) : pads_(std::move(pads)) {}
  std::shared_ptr<const Pads> pads_;
};

}  // namespace cak::common
