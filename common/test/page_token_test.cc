// Page tokens are bound to their filters and refuse tampering; page sizes follow AIP-158.
#include "common/base/page_token.h"

#include <gtest/gtest.h>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/testing/status_matchers.h"

namespace cak::common {
namespace {

using testing::StatusIs;

constexpr char kUuid[] = "5b7f2f0e-2a43-4d7e-8c57-2f3a9d1b6e01";
const PageTokens kTokens =
    PageTokens::ForDeployment(*DataSubjectHasher::Create("a-deployment-secret-of-32-bytes-or-more"));

TEST(PageTokenTest, RoundTrips) {
  std::string token = kTokens.Encode("state=1", {"1700000000000000", kUuid});
  auto key = kTokens.Decode(token, "state=1", {PagePart::kMicros, PagePart::kUuid});
  ASSERT_TRUE(key.ok());
  EXPECT_EQ((*key)[0], "1700000000000000");
  EXPECT_EQ((*key)[1], kUuid);
}

TEST(PageTokenTest, RefusedWithOtherFiltersOrWhenMangled) {
  std::string token = kTokens.Encode("state=1", {"1", "abc"});
  const std::vector<PagePart> parts = {PagePart::kId, PagePart::kName};
  EXPECT_TRUE(kTokens.Decode(token, "state=1", parts).ok());
  EXPECT_THAT(kTokens.Decode(token, "state=2", parts),
              StatusIs(absl::StatusCode::kInvalidArgument, "INVALID_PAGE_TOKEN", "page_token"));
  EXPECT_THAT(kTokens.Decode("not a token!", "state=1", parts),
              StatusIs(absl::StatusCode::kInvalidArgument, "INVALID_PAGE_TOKEN", "page_token"));
  EXPECT_THAT(kTokens.Decode(token.substr(0, token.size() - 4), "state=1", parts),
              StatusIs(absl::StatusCode::kInvalidArgument, "INVALID_PAGE_TOKEN", "page_token"));
  EXPECT_THAT(kTokens.Decode(token, "state=1", {PagePart::kId, PagePart::kName, PagePart::kId}),
              StatusIs(absl::StatusCode::kInvalidArgument, "INVALID_PAGE_TOKEN", "page_token"));
}

// Nobody without the deployment's key can mint a token: another deployment's (or another
// process's) token, or one whose check was recomputed without the key, is refused; the same
// deployment's key gives the same tokens in every replica.
TEST(PageTokenTest, OnlyTheDeploymentsKeyMintsTokens) {
  const std::string token = kTokens.Encode("state=1", {"7"});
  const PageTokens replica =
      PageTokens::ForDeployment(*DataSubjectHasher::Create("a-deployment-secret-of-32-bytes-or-more"));
  EXPECT_TRUE(replica.Decode(token, "state=1", {PagePart::kId}).ok());
  const PageTokens other =
      PageTokens::ForDeployment(*DataSubjectHasher::Create("another-deployment-secret-of-32-bytes"));
  EXPECT_THAT(other.Decode(token, "state=1", {PagePart::kId}),
              StatusIs(absl::StatusCode::kInvalidArgument, "INVALID_PAGE_TOKEN", "page_token"));
  EXPECT_THAT(PageTokens().Decode(token, "state=1", {PagePart::kId}),
              StatusIs(absl::StatusCode::kInvalidArgument, "INVALID_PAGE_TOKEN", "page_token"));
  std::string raw;
  ASSERT_TRUE(absl::WebSafeBase64Unescape(token, &raw));
  const std::string edited = absl::WebSafeBase64Escape("p2|8" + raw.substr(raw.rfind('|')));  // another key, same check
  EXPECT_THAT(kTokens.Decode(edited, "state=1", {PagePart::kId}),
              StatusIs(absl::StatusCode::kInvalidArgument, "INVALID_PAGE_TOKEN", "page_token"));
}

// A well-formed token (the check hash is not a secret) with a bad key part is refused before
// any query could see the part.
TEST(PageTokenTest, EveryKeyPartIsCheckedForItsKind) {
  const struct {
    PagePart kind;
    std::vector<std::string> good, bad;
  } cases[] = {
      {PagePart::kId, {"0", "42", "9223372036854775807"}, {"", "-1", "1.5", "abc", "9223372036854775808", " 1", "0x1"}},
      {PagePart::kMicros, {"0", "-1", "1700000000000000"}, {"", "abc", "253402300800000000", "01", "+5"}},
      {PagePart::kUuid,
       {kUuid},
       {"", "not-a-uuid", "5B7F2F0E-2A43-4D7E-8C57-2F3A9D1B6E01", "5b7f2f0e2a434d7e8c572f3a9d1b6e01"}},
      {PagePart::kDay, {"2026-12-06"}, {"", "2026-13-01", "2026-02-30", "26-12-06", "2026-12-6"}},
      {PagePart::kName, {"repro", "kcc-1", "a.b_c"}, {"", "a b", "x'; DROP", std::string(101, 'a')}},
  };
  for (const auto& c : cases) {
    for (const std::string& part : c.good) {
      EXPECT_TRUE(kTokens.Decode(kTokens.Encode("f", {part}), "f", {c.kind}).ok()) << part;
    }
    for (const std::string& part : c.bad) {
      EXPECT_THAT(kTokens.Decode(kTokens.Encode("f", {part}), "f", {c.kind}),
                  StatusIs(absl::StatusCode::kInvalidArgument, "INVALID_PAGE_TOKEN", "page_token"))
          << part;
    }
  }
}

TEST(PageTokenTest, PageSizeRules) {
  EXPECT_EQ(*EffectivePageSize(0, 50, 500), 50);
  EXPECT_EQ(*EffectivePageSize(20, 50, 500), 20);
  EXPECT_EQ(*EffectivePageSize(9999, 50, 500), 500);
  EXPECT_THAT(EffectivePageSize(-1, 50, 500),
              StatusIs(absl::StatusCode::kInvalidArgument, "INVALID_PAGE_SIZE", "page_size"));
}

// A List method's paging end to end: every row once, in order, over pages of the asked size,
// the last page without a token, and each token bound to the method's filters.
TEST(PageTest, WalksEveryRowOnceAndEndsWithoutAToken) {
  struct Row {
    int64_t id;
    absl::CivilDay day;
  };
  std::vector<Row> table;
  for (int64_t id = 1; id <= 7; ++id) table.push_back({id, absl::CivilDay(2026, 12, 1) + static_cast<int>(id)});
  auto read = [&](const Page& page) {
    std::vector<Row> rows;
    for (const Row& r : table) {
      if ((page.first() || r.id > page.Id(0)) && static_cast<int>(rows.size()) < page.read_limit()) rows.push_back(r);
    }
    return rows;
  };
  std::vector<int64_t> seen;
  std::string token;
  int pages = 0;
  do {
    auto page = Page::Open(kTokens, "ListRows:x", 3, token, {50, 500}, {PagePart::kId, PagePart::kDay});
    ASSERT_TRUE(page.ok()) << page.status();
    EXPECT_EQ(page->size(), 3);
    if (pages > 0) {
      EXPECT_EQ(page->Day(1), absl::CivilDay(2026, 12, 1) + static_cast<int>(page->Id(0)));
    }
    std::vector<Row> rows = read(*page);
    token = page->Close(rows, [](const Row& r) { return std::vector{absl::StrCat(r.id), Page::DayPart(r.day)}; });
    EXPECT_LE(rows.size(), 3u);
    for (const Row& r : rows) seen.push_back(r.id);
    ++pages;
  } while (!token.empty() && pages < 10);
  EXPECT_EQ(seen, (std::vector<int64_t>{1, 2, 3, 4, 5, 6, 7}));
  EXPECT_EQ(pages, 3);

  auto first = Page::Open(kTokens, "ListRows:x", 3, "", {50, 500}, {PagePart::kId, PagePart::kDay});
  std::vector<Row> rows = read(*first);
  const std::string next = first->Close(rows, [](const Row& r) {
    return std::vector{absl::StrCat(r.id), Page::DayPart(r.day)};
  });
  EXPECT_THAT(Page::Open(kTokens, "ListRows:y", 3, next, {50, 500}, {PagePart::kId, PagePart::kDay}),
              StatusIs(absl::StatusCode::kInvalidArgument, "INVALID_PAGE_TOKEN", "page_token"));
  EXPECT_THAT(Page::Open(kTokens, "ListRows:x", -1, "", {50, 500}, {PagePart::kId}),
              StatusIs(absl::StatusCode::kInvalidArgument, "INVALID_PAGE_SIZE", "page_size"));
  EXPECT_EQ(Page::Open(kTokens, "ListRows:x", 0, "", {50, 500}, {PagePart::kId})->size(), 50);
  EXPECT_EQ(Page::Open(kTokens, "ListRows:x", 9999, "", {50, 500}, {PagePart::kId})->read_limit(), 501);
  EXPECT_EQ(Page::Open(kTokens, "f", 1, kTokens.Encode("f", {"-5"}), {50, 500}, {PagePart::kMicros})->Micros(0),
            absl::FromUnixMicros(-5));
}

}  // namespace
}  // namespace cak::common
