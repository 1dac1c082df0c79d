// Opaque page tokens for keyset pagination (AIP-158). A token carries the sort key of the last
// item returned plus a fingerprint of the filters it was issued for, so that a token replayed
// with other filters, a truncated token or random text is refused with INVALID_ARGUMENT
// (reason INVALID_PAGE_TOKEN, field page_token) instead of returning wrong pages.
#pragma once

#include "absl/strings/string_view.h"
#include <string>
#include <vector>

#include "absl/status/statusor.h"

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

// `filter_fingerprint` names the method and everything that selects its rows (a token is
// refused with any other); key parts must not contain '|'.
std::string EncodePageToken(absl::string_view filter_fingerprint, const std::vector<std::string>& key);

// Returns the key parts, one of each of `parts`, each valid. An empty token is not a token:
// callers check for it first.
absl::StatusOr<std::vector<std::string>> DecodePageToken(absl::string_view token, absl::string_view filter_fingerprint,
                                                         const std::vector<PagePart>& parts);

// Page size rule shared by all List methods: negative is INVALID_ARGUMENT (reason
// INVALID_PAGE_SIZE, field page_size), 0 means `default_size`, larger than `max_size` is
// clamped to it (AIP-158).
absl::StatusOr<int> EffectivePageSize(int requested, int default_size, int max_size);

}  // namespace cak::common
