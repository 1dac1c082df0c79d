// Page tokens are bound to their filters and refuse tampering; page sizes follow AIP-158.
#include "common/base/page_token.h"

#include <gtest/gtest.h>

#include "common/testing/status_matchers.h"

namespace cak::common {
namespace {

using testing::StatusIs;

TEST(PageTokenTest, RoundTrips) {
  std::string token = EncodePageToken("state=1", {"1700000000000000", "abc"});
  auto key = DecodePageToken(token, "state=1", 2);
  ASSERT_TRUE(key.ok());
  EXPECT_EQ((*key)[0], "1700000000000000");
  EXPECT_EQ((*key)[1], "abc");
}

TEST(PageTokenTest, RefusedWithOtherFiltersOrWhenMangled) {
  std::string token = EncodePageToken("state=1", {"1", "abc"});
  EXPECT_THAT(DecodePageToken(token, "state=2", 2),
              StatusIs(absl::StatusCode::kInvalidArgument, "INVALID_PAGE_TOKEN", "page_token"));
  EXPECT_THAT(DecodePageToken("not a token!", "state=1", 2),
              StatusIs(absl::StatusCode::kInvalidArgument, "INVALID_PAGE_TOKEN", "page_token"));
  EXPECT_THAT(DecodePageToken(token.substr(0, token.size() - 4), "state=1", 2),
              StatusIs(absl::StatusCode::kInvalidArgument, "INVALID_PAGE_TOKEN", "page_token"));
  EXPECT_THAT(DecodePageToken(token, "state=1", 3),
              StatusIs(absl::StatusCode::kInvalidArgument, "INVALID_PAGE_TOKEN", "page_token"));
}

TEST(PageTokenTest, PageSizeRules) {
  EXPECT_EQ(*EffectivePageSize(0, 50, 500), 50);
  EXPECT_EQ(*EffectivePageSize(20, 50, 500), 20);
  EXPECT_EQ(*EffectivePageSize(9999, 50, 500), 500);
  EXPECT_THAT(EffectivePageSize(-1, 50, 500),
              StatusIs(absl::StatusCode::kInvalidArgument, "INVALID_PAGE_SIZE", "page_size"));
}

}  // namespace
}  // namespace cak::common
