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
#include "openssl/crypto.h"

namespace cak::common {
namespace {

constexpr char kVersion[] = "p2";

absl::Status BadToken() {
  return InvalidField(reason::kInvalidPageToken, "page_token",
                      "the page token is malformed or belongs to another request");
}

DataSubjectHasher RandomMac() {
  uint8_t key[32];
  RandomBytes(key, sizeof key);
  return *DataSubjectHasher::Create(HexEncode(absl::string_view(reinterpret_cast<const char*>(key), sizeof key)));
}

}  // namespace

PageTokens::PageTokens() : mac_(RandomMac()) {}

PageTokens PageTokens::ForDeployment(const DataSubjectHasher& deployment_secret) {
  return PageTokens(*DataSubjectHasher::Create(deployment_secret.HashText("page-token-key")));
}

std::string PageTokens::Check(absl::string_view filter_fingerprint, absl::string_view body) const {
  return mac_.HashText(absl::StrCat(filter_fingerprint.size(), ":", filter_fingerprint, "|", body)).substr(0, 32);
}

// Layout: base64url("p2|<key parts...>|<check>"), <check> the first 128 bits of an HMAC over the
// filter fingerprint and everything before it.
std::string PageTokens::Encode(absl::string_view filter_fingerprint, const std::vector<std::string>& key) const {
  const std::string body = absl::StrCat(kVersion, "|", absl::StrJoin(key, "|"));
  return absl::WebSafeBase64Escape(absl::StrCat(body, "|", Check(filter_fingerprint, body)));
}

absl::StatusOr<std::vector<std::string>> PageTokens::Decode(absl::string_view token,
                                                            absl::string_view filter_fingerprint,
                                                            const std::vector<PagePart>& expected) const {
  std::string raw;
  if (token.size() > 1024 || !absl::WebSafeBase64Unescape(token, &raw)) return BadToken();
  const size_t check_at = raw.rfind('|');
  if (check_at == std::string::npos) return BadToken();
  const absl::string_view body = absl::string_view(raw).substr(0, check_at);
  const std::string check = Check(filter_fingerprint, body);
  const absl::string_view given = absl::string_view(raw).substr(check_at + 1);
  // (Constant time: the comparison does not tell how much of a guess was right.)
  if (given.size() != check.size() || CRYPTO_memcmp(given.data(), check.data(), check.size()) != 0) {
    return BadToken();
  }
  std::vector<std::string> parts = absl::StrSplit(body, '|');
  if (parts.size() != expected.size() + 1 || parts[0] != kVersion) return BadToken();
  for (size_t i = 0; i < expected.size(); ++i) {
    if (!ValidPagePart(expected[i], parts[i + 1])) return BadToken();
  }
  return std::vector<std::string>(parts.begin() + 1, parts.end());
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

absl::StatusOr<int> EffectivePageSize(int requested, int default_size, int max_size) {
  if (requested < 0) {
    return InvalidField(reason::kInvalidPageSize, "page_size", "page_size must not be negative");
  }
  if (requested == 0) return default_size;
  return requested > max_size ? max_size : requested;
}

absl::StatusOr<Page> Page::Open(const PageTokens& tokens, std::string filter_fingerprint, int page_size,
                                absl::string_view page_token, Sizes sizes, const std::vector<PagePart>& parts) {
  CAK_ASSIGN_OR_RETURN(int size, EffectivePageSize(page_size, sizes.default_size, sizes.max_size));
  std::vector<std::string> after;
  if (!page_token.empty()) {
    CAK_ASSIGN_OR_RETURN(after, tokens.Decode(page_token, filter_fingerprint, parts));
  }
  return Page(&tokens, std::move(filter_fingerprint), size, std::move(after));
}

// (Each part was checked for its kind by Decode, so the conversions cannot fail.)
int64_t Page::Id(size_t i) const {
  int64_t n = 0;
  (void)absl::SimpleAtoi(Part(i), &n);
  return n;
}

absl::Time Page::Micros(size_t i) const { return absl::FromUnixMicros(Id(i)); }

absl::CivilDay Page::Day(size_t i) const {
  absl::CivilDay day;
  (void)absl::ParseCivilTime(Part(i), &day);
  return day;
}

std::string Page::MicrosPart(absl::Time t) { return absl::StrCat(absl::ToUnixMicros(t)); }

std::string Page::DayPart(absl::CivilDay day) { return absl::FormatCivilTime(day); }

}  // namespace cak::common
