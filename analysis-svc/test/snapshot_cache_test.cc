// The snapshot cache: one rebuild at a time, and a request that cannot wait for a rebuild in
// progress gets UNAVAILABLE (SNAPSHOT_REBUILDING) at its deadline instead of holding a thread.
#include "analysis-svc/src/domain/snapshot_cache.h"

#include <gtest/gtest.h>

#include <future>
#include <thread>

#include "common/testing/status_matchers.h"

namespace cak::analysis::domain {
namespace {

// Reports snapshot 1; building it blocks until the test releases it.
class BlockingRepository final : public SnapshotRepository {
 public:
  absl::StatusOr<SnapshotInfo> CurrentSnapshot(absl::Time) override {
    SnapshotInfo info;
    info.version = 1;
    info.datasets[0].version = 1;
    return info;
  }
  absl::StatusOr<std::shared_ptr<const ColumnarSnapshot>> LoadColumnar(const SnapshotInfo& s) override {
    ++loads;
    started.set_value();
    release.get_future().wait();
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

  std::atomic<int> loads{0};
  std::promise<void> started, release;
};

TEST(SnapshotCacheTest, OneRebuildAtATimeAndWaitersKeepTheirDeadline) {
  BlockingRepository repo;
  SnapshotCache cache(&repo);
  auto first = std::async(std::launch::async, [&] { return cache.Current(absl::InfiniteFuture()); });
  repo.started.get_future().wait();  // the rebuild is under way
  // A caller whose deadline has passed does not wait for it.
  EXPECT_THAT(cache.Current(absl::UnixEpoch()).status(),
              common::testing::StatusIs(absl::StatusCode::kUnavailable, "SNAPSHOT_REBUILDING", ""));
  repo.release.set_value();
  ASSERT_TRUE(first.get().ok());
  // Built once; later callers get it without another rebuild.
  auto again = cache.Current(absl::UnixEpoch());
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->info.version, 1);
  EXPECT_EQ(repo.loads.load(), 1);
}

}  // namespace
}  // namespace cak::analysis::domain
