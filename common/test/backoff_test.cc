// Retry waits: exponential up to the cap, with the jitter choosing a point below it.
#include "common/base/backoff.h"

#include <gtest/gtest.h>

namespace cak::common {
namespace {

TEST(RetryBackoffTest, GrowsWithFailuresUpToTheCapWithJitter) {
  const absl::Duration min = absl::Milliseconds(500), max = absl::Seconds(60);
  EXPECT_EQ(RetryBackoff(min, max, 1, 0.99), min);
  EXPECT_EQ(RetryBackoff(min, max, 3, 1.0), absl::Seconds(2));
  EXPECT_EQ(RetryBackoff(min, max, 3, 0.0), min);
  EXPECT_EQ(RetryBackoff(min, max, 3, 0.5), absl::Milliseconds(1250));
  EXPECT_EQ(RetryBackoff(min, max, 40, 1.0), max);
  EXPECT_EQ(RetryBackoff(min, max, 0, 1.0), min);
}

TEST(RetryBackoffTest, JitterSpreadsOverTheUnitInterval) {
  double lo = 1, hi = 0;
  for (int i = 0; i < 1000; ++i) {
    const double u = JitterUnit();
    ASSERT_GE(u, 0.0);
    ASSERT_LT(u, 1.0);
    lo = std::min(lo, u);
    hi = std::max(hi, u);
  }
  EXPECT_LT(lo, 0.1);
  EXPECT_GT(hi, 0.9);
}

}  // namespace
}  // namespace cak::common
