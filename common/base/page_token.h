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

// Key parts must not contain '|'.
std::string EncodePageToken(absl::string_view filter_fingerprint, const std::vector<std::string>& key);

// Returns the key parts; `expected_parts` of them. An empty token is not a token: callers
// check for it first.
absl::StatusOr<std::vector<std::string>> DecodePageToken(absl::string_view token,
                                                         absl::string_view filter_fingerprint,
                                                         size_t expected_parts);

// Page size rule shared by all List methods: negative is INVALID_ARGUMENT (reason
// INVALID_PAGE_SIZE, field page_size), 0 means `default_size`, larger than `max_size` is
// clamped to it (AIP-158).
absl::StatusOr<int> EffectivePageSize(int requested, int default_size, int max_size);

}  // namespace cak::common
