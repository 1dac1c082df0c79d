// Page token encoding (see page_token.h).
#include "common/base/page_token.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/civil_time.h"
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

bool ValidPagePart(PagePart kind, absl::string_view part) {
  int64_t n = 0;
  switch (kind) {
    case PagePart::kId:
      return !part.empty() && part.size() <= 19 && std::all_of(part.begin(), part.end(), absl::ascii_isdigit) &&
             absl::SimpleAtoi(part, &n);
    case PagePart::kMicros: {
      constexpr int64_t kMin = -62135596800LL * 1000000, kMax = 253402300799LL * 1000000;  // years 1..9999
      return absl::SimpleAtoi(part, &n) && absl::StrCat(n) == part && n >= kMin && n <= kMax;
    }
    case PagePart::kUuid:
      return IsUuid(part) && absl::AsciiStrToLower(part) == part;
    case PagePart::kDay: {
      absl::CivilDay day;
      return part.size() == 10 && absl::ParseCivilTime(part, &day) && absl::FormatCivilTime(day) == part;
    }
    case PagePart::kName:
      return !part.empty() && part.size() <= 100 && std::all_of(part.begin(), part.end(), [](char c) {
        return absl::ascii_isalnum(c) || c == '.' || c == '_' || c == '-';
      });
  }
  return false;
}

absl::StatusOr<std::vector<std::string>> DecodePageToken(absl::string_view token, absl::string_view filter_fingerprint,
                                                         const std::vector<PagePart>& expected) {
  std::string body;
  if (token.size() > 1024 || !absl::WebSafeBase64Unescape(token, &body)) return BadToken();
  const size_t check_at = body.rfind('|');
  if (check_at == std::string::npos || body.substr(check_at + 1) != ShortHash(body.substr(0, check_at))) {
    return BadToken();
  }
  std::vector<std::string> parts = absl::StrSplit(body.substr(0, check_at), '|');
  if (parts.size() != expected.size() + 2 || parts[0] != kVersion || parts[1] != ShortHash(filter_fingerprint)) {
    return BadToken();
  }
  for (size_t i = 0; i < expected.size(); ++i) {
    if (!ValidPagePart(expected[i], parts[i + 2])) return BadToken();
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
