// Opaque page tokens for keyset pagination (AIP-158). A token carries the sort key of the last
// item returned and a keyed check over it and the method and filters it was issued for, so that
// a token replayed with other filters or in another method, a truncated, edited or minted token
// or random text is refused with INVALID_ARGUMENT (reason INVALID_PAGE_TOKEN, field page_token)
// instead of returning wrong pages; every key part is checked for its kind before any query.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/base/data_subject_hasher.h"

namespace cak::common {

// What one part of a token's key must be. A decoded token's parts are all checked before any
// query sees them, so an edited (well-formed) token is INVALID_PAGE_TOKEN, never a database
// error or a silently different page.
enum class PagePart {
  kId,      // a non-negative decimal integer (a row id, a batch number)
  kMicros,  // microseconds since the epoch within years 1..9999
  kUuid,    // a UUID in canonical lower-case form
  kDay,     // a date, YYYY-MM-DD
  kName,    // 1-100 characters of a-z, A-Z, 0-9, '.', '_', '-' (an executor id)
};

// Whether `part` is a valid `kind`.
bool ValidPagePart(PagePart kind, absl::string_view part);

// The page tokens of one deployment. The check at a token's end is an HMAC under a key only
// the deployment has, so nobody outside can mint or edit a token; a token of another
// deployment (or, by default, another process) is INVALID_PAGE_TOKEN like any forgery.
class PageTokens {
 public:
  // A key of this process only (random): tokens do not outlive it. Tests and tools.
  PageTokens();
  // The deployment's key, derived from its secret (the processing-log hasher's key): tokens
  // work across replicas and restarts.
  static PageTokens ForDeployment(const DataSubjectHasher& deployment_secret);

  // `filter_fingerprint` names the method and everything that selects its rows (a token is
  // refused with any other); key parts must not contain '|'.
  std::string Encode(absl::string_view filter_fingerprint, const std::vector<std::string>& key) const;

  // Returns the key parts, one of each of `parts`, each valid. An empty token is not a token:
  // callers check for it first.
  absl::StatusOr<std::vector<std::string>> Decode(absl::string_view token, absl::string_view filter_fingerprint,
                                                  const std::vector<PagePart>& parts) const;

 private:
  explicit PageTokens(DataSubjectHasher mac) : mac_(std::move(mac)) {}
  std::string Check(absl::string_view filter_fingerprint, absl::string_view body) const;
  DataSubjectHasher mac_;
};

// Page size rule shared by all List methods: negative is INVALID_ARGUMENT (reason
// INVALID_PAGE_SIZE, field page_size), 0 means `default_size`, larger than `max_size` is
// clamped to it (AIP-158).
absl::StatusOr<int> EffectivePageSize(int requested, int default_size, int max_size);

}  // namespace cak::common
