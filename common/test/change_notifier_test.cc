// Keyed wake-ups for watchers. Waits use zero or tiny timeouts: no test sleeps.
#include "common/base/change_notifier.h"

#include <gtest/gtest.h>

namespace cak::common {
namespace {

using WaitResult = ChangeNotifier::WaitResult;

TEST(ChangeNotifierTest, NotifyWakesOnlyThatKey) {
  ChangeNotifier n;
  auto a = n.Subscribe("a");
  auto b = n.Subscribe("b");
  n.Notify("a");
  EXPECT_EQ(a->Wait(absl::ZeroDuration()), WaitResult::kChanged);
  EXPECT_EQ(a->Wait(absl::ZeroDuration()), WaitResult::kTimeout);  // consumed
  EXPECT_EQ(b->Wait(absl::ZeroDuration()), WaitResult::kTimeout);
}

TEST(ChangeNotifierTest, NotifyAllAndShutdown) {
  ChangeNotifier n;
  auto a = n.Subscribe("a");
  n.NotifyAll();
  EXPECT_EQ(a->Wait(absl::ZeroDuration()), WaitResult::kChanged);
  n.Shutdown();
  EXPECT_EQ(a->Wait(absl::Hours(1)), WaitResult::kShutdown);
  EXPECT_TRUE(n.is_shut_down());
}

TEST(ChangeNotifierTest, NotifyWithoutSubscribersIsANoOp) {
  ChangeNotifier n;
  n.Notify("nobody");
  auto a = n.Subscribe("nobody");
  EXPECT_EQ(a->Wait(absl::ZeroDuration()), WaitResult::kTimeout);
}

}  // namespace
}  // namespace cak::common
