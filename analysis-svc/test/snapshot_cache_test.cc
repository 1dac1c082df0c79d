// The snapshot cache: builds run in the background, one at a time; a request that needs a
// version still being built gets UNAVAILABLE (SNAPSHOT_REBUILDING) with a retry delay instead
// of waiting for it; a version this replica published is built without any request asking.
// Builds are held with a gate, never with sleeps.
#include "analysis-svc/src/domain/snapshot_cache.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <future>
#include <mutex>
#include <vector>

#include "common/base/errors.h"
#include "common/testing/status_matchers.h"

namespace cak::analysis::domain {
namespace {

using common::testing::StatusIs;

// Reports snapshot `version`; each build waits until the gate is open.
class GatedRepository final : public SnapshotRepository {
 public:
  absl::StatusOr<SnapshotInfo> CurrentSnapshot(absl::Time) override {
    SnapshotInfo info;
    info.version = version.load();
    info.datasets[0].version = info.version;
    return info;
  }
  absl::StatusOr<std::shared_ptr<const ColumnarSnapshot>> LoadColumnar(const SnapshotInfo& s) override {
    {
      std::unique_lock<std::mutex> lock(mu);
      built.push_back(s.version);
      started.notify_all();
      opened.wait(lock, [&] { return open; });
      if (!fail.ok()) return fail;
    }
    auto c = std::make_shared<ColumnarSnapshot>();
    c->version = s.version;
    return std::shared_ptr<const ColumnarSnapshot>(c);
  }
  absl::StatusOr<std::shared_ptr<const ColumnarSnapshot>> LoadCustomerKeys(const SnapshotInfo&) override {
    return absl::UnimplementedError("");
  }
  absl::StatusOr<std::unique_ptr<DatasetLoad>> BeginLoad(Dataset, const std::string&) override {
    return absl::UnimplementedError("");
  }
  absl::StatusOr<std::optional<Claimed>> FindClaim(const std::string&, const std::string&) override {
    return absl::UnimplementedError("");
  }
  absl::StatusOr<ImportReport> GetImportReport(int64_t) override { return absl::UnimplementedError(""); }
  absl::StatusOr<int> CollectVersions() override { return absl::UnimplementedError(""); }

  void Open(bool value) {
    std::lock_guard<std::mutex> lock(mu);
    open = value;
    opened.notify_all();
  }
  // Blocks until `n` builds have started.
  void AwaitBuilds(size_t n) {
    std::unique_lock<std::mutex> lock(mu);
    started.wait(lock, [&] { return built.size() >= n; });
  }
  std::vector<int64_t> Built() {
    std::lock_guard<std::mutex> lock(mu);
    return built;
  }

  std::atomic<int64_t> version{1};
  std::mutex mu;
  std::condition_variable started, opened;
  bool open = false;
  absl::Status fail;
  std::vector<int64_t> built;
};

// No waiting for a build in these tests unless they say so.
SnapshotCacheOptions NoWait() {
  SnapshotCacheOptions o;
  o.max_wait = absl::ZeroDuration();
  return o;
}

TEST(SnapshotCacheTest, OneBuildAtATimeAndWaitersKeepTheirDeadline) {
  GatedRepository repo;
  SnapshotCacheOptions options;
  options.max_wait = absl::InfiniteDuration();
  SnapshotCache cache(&repo, options);
  auto first = std::async(std::launch::async, [&] { return cache.Current(absl::InfiniteFuture()); });
  repo.AwaitBuilds(1);  // the build is under way
  // A caller whose deadline has passed does not wait for it, and is told when to come back.
  const absl::Status busy = cache.Current(absl::UnixEpoch()).status();
  EXPECT_THAT(busy, StatusIs(absl::StatusCode::kUnavailable, "SNAPSHOT_REBUILDING", ""));
  ASSERT_TRUE(common::RetryDelay(busy).has_value());
  EXPECT_GE(*common::RetryDelay(busy), absl::Seconds(1));
  repo.Open(true);
  ASSERT_TRUE(first.get().ok());
  // Built once; later callers get it without another build.
  auto again = cache.Current(absl::UnixEpoch());
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->info.version, 1);
  EXPECT_EQ(repo.Built(), std::vector<int64_t>{1});
}

TEST(SnapshotCacheTest, ARequestDuringABuildIsToldToRetryInsteadOfWaiting) {
  GatedRepository repo;
  SnapshotCache cache(&repo, NoWait());
  repo.Open(true);
  CAK_ASSERT_OK(cache.AwaitLatest(absl::InfiniteFuture()));
  repo.Open(false);
  repo.version = 2;  // published elsewhere
  const absl::Status busy = cache.Current(absl::InfiniteFuture()).status();
  EXPECT_THAT(busy, StatusIs(absl::StatusCode::kUnavailable, "SNAPSHOT_REBUILDING", ""));
  EXPECT_GE(common::RetryDelay(busy).value_or(absl::ZeroDuration()), absl::Seconds(1));
  repo.AwaitBuilds(2);  // the request started the build; it goes on without the request
  repo.Open(true);
  CAK_ASSERT_OK(cache.AwaitLatest(absl::InfiniteFuture()));
  auto now = cache.Current(absl::InfiniteFuture());
  ASSERT_TRUE(now.ok()) << now.status();
  EXPECT_EQ(now->info.version, 2);
  EXPECT_EQ(repo.Built(), (std::vector<int64_t>{1, 2}));
}

TEST(SnapshotCacheTest, APublishedVersionIsBuiltWithoutARequest) {
  GatedRepository repo;
  repo.Open(true);
  SnapshotCache cache(&repo, NoWait());
  CAK_ASSERT_OK(cache.AwaitLatest(absl::InfiniteFuture()));
  repo.version = 2;
  cache.Published(2);  // what an import does right after it published
  repo.AwaitBuilds(2);
  CAK_ASSERT_OK(cache.AwaitLatest(absl::InfiniteFuture()));
  // The next request finds it built: no wait, no build of its own.
  auto now = cache.Current(absl::UnixEpoch() + absl::Seconds(1));
  ASSERT_TRUE(now.ok()) << now.status();
  EXPECT_EQ(now->info.version, 2);
  EXPECT_EQ(repo.Built(), (std::vector<int64_t>{1, 2}));
}

TEST(SnapshotCacheTest, TheWatcherBuildsVersionsPublishedElsewhere) {
  GatedRepository repo;
  repo.Open(true);
  SnapshotCacheOptions options = NoWait();
  options.poll_interval = absl::Milliseconds(1);
  std::promise<int64_t> second;
  options.before_build = [&](const SnapshotInfo& info) {
    if (info.version == 2) second.set_value(info.version);
  };
  SnapshotCache cache(&repo, options);
  CAK_ASSERT_OK(cache.AwaitLatest(absl::InfiniteFuture()));
  cache.StartWatching();
  repo.version = 2;
  EXPECT_EQ(second.get_future().get(), 2);  // no request asked for it
  cache.Stop();
  EXPECT_EQ(repo.Built(), (std::vector<int64_t>{1, 2}));
}

TEST(SnapshotCacheTest, AFailedBuildIsReportedAndTriedAgain) {
  GatedRepository repo;
  repo.fail = common::MakeError(absl::StatusCode::kUnavailable, "DATABASE_UNAVAILABLE", "down");
  repo.Open(true);
  SnapshotCache cache(&repo, NoWait());
  EXPECT_THAT(cache.AwaitLatest(absl::InfiniteFuture()),
              StatusIs(absl::StatusCode::kUnavailable, "DATABASE_UNAVAILABLE", ""));
  repo.fail = absl::OkStatus();
  CAK_ASSERT_OK(cache.AwaitLatest(absl::InfiniteFuture()));
  EXPECT_EQ(repo.Built(), (std::vector<int64_t>{1, 1}));
}

TEST(SnapshotCacheTest, NoBuildStartsAfterStop) {
  GatedRepository repo;
  SnapshotCache cache(&repo, NoWait());
  cache.Stop();
  EXPECT_THAT(cache.Current(absl::InfiniteFuture()).status(),
              StatusIs(absl::StatusCode::kUnavailable, "SNAPSHOT_REBUILDING", ""));
  EXPECT_TRUE(repo.Built().empty());
}

}  // namespace
}  // namespace cak::analysis::domain
