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

#include <atomic>
#include <thread>

#include "common/base/batcher.h"

namespace cak::common {
namespace {

TEST(BatcherTest, EveryCallerGetsItsOwnResultAndBatchesForm) {
  std::atomic<int> batches{0};
  std::atomic<size_t> largest{0};
  Batcher<int, int> batcher(2, 16, [&](const std::vector<const int*>& in) {
    batches++;
    size_t seen = largest.load();
    while (in.size() > seen && !largest.compare_exchange_weak(seen, in.size())) {
    }
    std::vector<int> out;
    for (const int* v : in) out.push_back(*v * 10);
    return out;
  });
  std::vector<std::thread> callers;
  std::vector<int> results(200);
  for (int i = 0; i < 200; ++i) {
    callers.emplace_back([&, i] { results[i] = batcher.Run(i); });
  }
  for (auto& t : callers) t.join();
  for (int i = 0; i < 200; ++i) EXPECT_EQ(results[i], i * 10);
  EXPECT_LE(largest.load(), 16u);
  EXPECT_LE(batches.load(), 200);
}

}  // namespace
}  // namespace cak::common
