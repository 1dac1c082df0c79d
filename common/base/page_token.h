// Opaque page tokens for keyset pagination (AIP-158). A token carries the sort key of the last
// item returned and a keyed check over it and the method and filters it was issued for, so that
// a token replayed with other filters or in another method, a truncated, edited or minted token
// or random text is refused with INVALID_ARGUMENT (reason INVALID_PAGE_TOKEN, field page_token)
// instead of returning wrong pages; every key part is checked for its kind before any query.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
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

// One page of a List method, the same way in every service (the api layer; the domain and
// storage see only a position and a limit): the page size rule above, the request's token
// decoded and every key part checked before any query, one row more read than the page holds
// to learn whether another page follows, and the next token made from the page's last row.
//
//   CAK_ASSIGN_OR_RETURN(auto page, Page::Open(tokens, fingerprint, req.page_size(),
//                                              req.page_token(), {50, 200}, {PagePart::kId}));
//   rows = Read(page.first() ? 0 : page.Id(0), page.read_limit());
//   resp.set_next_page_token(page.Close(rows, [](const Row& r) { return Key{r.id}; }));
class Page {
 public:
  struct Sizes {
    int default_size = 50;
    int max_size = 500;
  };
  // INVALID_ARGUMENT INVALID_PAGE_SIZE (page_size) or INVALID_PAGE_TOKEN (page_token).
  // `tokens` must outlive the page.
  static absl::StatusOr<Page> Open(const PageTokens& tokens, std::string filter_fingerprint, int page_size,
                                   absl::string_view page_token, Sizes sizes, const std::vector<PagePart>& parts);

  int size() const { return size_; }
  // How many rows to read: one more than the page holds.
  int read_limit() const { return size_ + 1; }
  // No token: the first page, no position to continue after.
  bool first() const { return after_.empty(); }
  // Part i of the position to continue after, as its kind (checked by Open; not on the first page).
  const std::string& Part(size_t i) const { return after_.at(i); }
  int64_t Id(size_t i) const;
  absl::Time Micros(size_t i) const;
  absl::CivilDay Day(size_t i) const;

  // Trims rows read with read_limit() to the page and returns the next page's token, made by
  // `key_of(last row kept)` (its parts in Open's order), or "" when this was the last page.
  template <typename Row, typename KeyOf>
  std::string Close(std::vector<Row>& rows, KeyOf key_of) const {
    if (rows.size() <= static_cast<size_t>(size_)) return "";
    rows.resize(size_);
    return tokens_->Encode(fingerprint_, key_of(rows.back()));
  }

  // The key parts of a time (microseconds) and a day, as Open checks them.
  static std::string MicrosPart(absl::Time t);
  static std::string DayPart(absl::CivilDay day);

 private:
  Page(const PageTokens* tokens, std::string fingerprint, int size, std::vector<std::string> after)
      : tokens_(tokens), fingerprint_(std::move(fingerprint)), size_(size), after_(std::move(after)) {}
  const PageTokens* tokens_;
  std::string fingerprint_;
  int size_;
  std::vector<std::string> after_;
};

}  // namespace cak::common
