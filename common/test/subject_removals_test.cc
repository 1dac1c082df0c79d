// Following analysis-svc's removal feed: page by page from the follower's position, until up to
// date; a dry run walks the same pages and leaves the position where it was; a failed page
// stops the run at the last page done.
#include "common/base/subject_removals.h"

#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "common/testing/call_context.h"
#include "common/testing/fake_removal_feed.h"

namespace cak::common {
namespace {

TEST(FollowRemovalsTest, FollowsPageByPageFromThePositionUntilUpToDate) {
  testing::FakeRemovalFeed feed;
  for (int i = 0; i < 25; ++i) feed.Add(absl::StrCat("id-", i));
  const CallContext call = testing::TestCall("intake-svc/retention-job", {"administrator"});
  std::vector<std::vector<std::string>> pages;
  auto remove = [&](const std::vector<SubjectRemoval>& page, bool) -> absl::StatusOr<PageOutcome> {
    pages.emplace_back();
    for (const SubjectRemoval& r : page) pages.back().push_back(r.data_subject_id);
    return PageOutcome{1, 2};  // one held, two records, per page
  };

  auto dry = FollowRemovals(feed, call, {}, 10, /*dry_run=*/true, remove);
  ASSERT_TRUE(dry.ok()) << dry.status();
  EXPECT_EQ(dry->removals, 25);
  EXPECT_EQ(dry->position, RemovalPosition{});  // a dry run moves nothing
  ASSERT_EQ(pages.size(), 3u);
  EXPECT_EQ(pages[2].size(), 5u);

  pages.clear();
  auto done = FollowRemovals(feed, call, feed.removals()[4].position, 10, false, remove);
  ASSERT_TRUE(done.ok()) << done.status();
  EXPECT_EQ(done->removals, 20);
  EXPECT_EQ(done->subjects, 2);
  EXPECT_EQ(done->records, 4);
  EXPECT_EQ(done->position, feed.removals().back().position);
  ASSERT_EQ(pages.size(), 2u);
  EXPECT_EQ(pages[0].front(), "id-5");  // after the position, not at it

  // Up to date: one look, nothing removed.
  pages.clear();
  auto again = FollowRemovals(feed, call, done->position, 10, false, remove);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->removals, 0);
  EXPECT_EQ(again->position, done->position);
  EXPECT_TRUE(pages.empty());
}

TEST(FollowRemovalsTest, AFailedPageEndsTheRunWithItsError) {
  testing::FakeRemovalFeed feed;
  for (int i = 0; i < 5; ++i) feed.Add(absl::StrCat("id-", i));
  int calls = 0;
  auto result = FollowRemovals(feed, testing::TestCall("dispatch-svc/retention-job", {"administrator"}), {}, 2, false,
                               [&](const std::vector<SubjectRemoval>&, bool) -> absl::StatusOr<PageOutcome> {
                                 if (++calls == 2) return absl::UnavailableError("database away");
                                 return PageOutcome{};
                               });
  EXPECT_EQ(result.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(calls, 2);
}

}  // namespace
}  // namespace cak::common
