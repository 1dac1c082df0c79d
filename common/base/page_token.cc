// Page token encoding (see page_token.h).
#include "common/base/page_token.h"

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/base/errors.h"
#include "common/base/random.h"
#include "common/base/sha256.h"

namespace cak::common {
namespace {

constexpr char kVersion[] = "p1";

std::string ShortHash(absl::string_view s) { return HexEncode(Sha256(s).substr(0, 8)); }

absl::Status BadToken() {
  return InvalidField(reason::kInvalidPageToken, "page_token",
                      "the page token is malformed or belongs to a request with other filters");
}

}  // namespace

// Layout: base64url("p1|<filter hash>|<key parts...>|<check>"), where <check> is a hash of
// everything before it, so a truncated or edited token is recognised.
std::string EncodePageToken(absl::string_view filter_fingerprint, const std::vector<std::string>& key) {
  std::string body = absl::StrCat(kVersion, "|", ShortHash(filter_fingerprint), "|", absl::StrJoin(key, "|"));
  return absl::WebSafeBase64Escape(absl::StrCat(body, "|", ShortHash(body)));
}

absl::StatusOr<std::vector<std::string>> DecodePageToken(absl::string_view token,
                                                         absl::string_view filter_fingerprint,
                                                         size_t expected_parts) {
  std::string body;
  if (token.size() > 1024 || !absl::WebSafeBase64Unescape(token, &body)) return BadToken();
  const size_t check_at = body.rfind('|');
  if (check_at == std::string::npos || body.substr(check_at + 1) != ShortHash(body.substr(0, check_at))) {
    return BadToken();
  }
  std::vector<std::string> parts = absl::StrSplit(body.substr(0, check_at), '|');
  if (parts.size() != expected_parts + 2 || parts[0] != kVersion ||
      parts[1] != ShortHash(filter_fingerprint)) {
    return BadToken();
  }
  return std::vector<std::string>(parts.begin() + 2, parts.end());
}

absl::StatusOr<int> EffectivePageSize(int requested, int default_size, int max_size) {
  if (requested < 0) {
    return InvalidField(reason::kInvalidPageSize, "page_size", "page_size must not be negative");
  }
  if (requested == 0) return default_size;
  return requested > max_size ? max_size : requested;
}

}  // namespace cak::common
