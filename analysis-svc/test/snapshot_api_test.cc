// The columnar snapshot over gRPC, with two replicas on one schema: the replica that imports
// builds the new snapshot without any request asking for it, so its next AnalyzeImpact is
// served at once; another replica that is still building answers UNAVAILABLE,
// SNAPSHOT_REBUILDING, with google.rpc.RetryInfo, and serves the new snapshot once built.
// Builds are held with a gate (the cache's before_build hook), never with sleeps.
#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <future>
#include <map>
#include <mutex>

#include "absl/cleanup/cleanup.h"
#include "analysis-svc/test/analysis_test_server.h"
#include "common/grpc/status.h"
#include "common/testing/status_matchers.h"

namespace cak::analysis {
namespace {

using common::testing::ContextFor;
using common::testing::GrpcStatusIs;
using common::testing::TestCaller;
namespace pb = testing::pb;

const TestCaller kAnalyst{"emp-2001", {"analyst"}};
const TestCaller kAdmin{"ops-1", {"administrator"}};

pb::AnalyzeImpactRequest Everyone() {
  pb::AnalyzeImpactRequest req;
  req.mutable_criteria()->mutable_all();
  return req;
}

// Counts the builds per version; a closed gate holds every build of a version above
// `open_up_to` until Open().
class BuildGate {
 public:
  domain::SnapshotCacheOptions Options(int64_t open_up_to) {
    open_up_to_ = open_up_to;
    domain::SnapshotCacheOptions o;
    o.max_wait = absl::ZeroDuration();
    o.poll_interval = absl::Hours(1);  // the tests drive every build themselves
    o.before_build = [this](const domain::SnapshotInfo& info) {
      std::unique_lock<std::mutex> lock(mu_);
      ++builds_[info.version];
      changed_.notify_all();
      changed_.wait(lock, [&] { return open_ || info.version <= open_up_to_; });
    };
    return o;
  }
  void Open() {
    std::lock_guard<std::mutex> lock(mu_);
    open_ = true;
    changed_.notify_all();
  }
  // Blocks until a build of `version` has started.
  void AwaitBuild(int64_t version) {
    std::unique_lock<std::mutex> lock(mu_);
    changed_.wait(lock, [&] { return builds_[version] > 0; });
  }
  int Builds(int64_t version) {
    std::lock_guard<std::mutex> lock(mu_);
    return builds_[version];
  }

 private:
  std::mutex mu_;
  std::condition_variable changed_;
  std::map<int64_t, int> builds_;
  int64_t open_up_to_ = 0;
  bool open_ = false;
};

TEST(SnapshotApiTest, TheImportingReplicaServesAtOnceAndAnotherOneSaysWhenToRetry) {
  BuildGate gate_a, gate_b;
  testing::TestServerOptions options;
  options.snapshot_cache = gate_a.Options(INT64_MAX);  // replica A never held
  auto started = testing::AnalysisTestServer::Start(options);
  ASSERT_TRUE(started.ok()) << started.status();
  testing::AnalysisTestServer& a = **started;
  CAK_ASSERT_OK(a.ImportGenerated());  // snapshot versions 1..4
  CAK_ASSERT_OK(a.service().snapshots().AwaitLatest(absl::InfiniteFuture()));
  auto replica = a.StartReplica(gate_b.Options(4));  // B starts on version 4; later ones wait
  ASSERT_TRUE(replica.ok()) << replica.status();
  absl::Cleanup open_gates = [&] {  // (a failed expectation must not leave a build held)
    gate_a.Open();
    gate_b.Open();
  };
  auto b_stub = pb::AnalysisService::NewStub(common::testing::LocalChannel((*replica)->grpc_port()));

  // A new import on A: snapshot 5.
  pb::ImportFileRequest import;
  import.set_dataset(pb::DATASET_MAILINGS);
  import.set_path("mailings.csv");
  pb::ImportReport report;
  CAK_ASSERT_GRPC_OK(a.stub().ImportFile(ContextFor(kAdmin).get(), import, &report));
  ASSERT_EQ(report.snapshot_version(), 5);

  // A started building it when it published, before any request asked.
  gate_a.AwaitBuild(5);
  CAK_ASSERT_OK(a.service().snapshots().AwaitLatest(absl::InfiniteFuture()));
  pb::ImpactAnalysis on_a;
  CAK_ASSERT_GRPC_OK(a.stub().AnalyzeImpact(ContextFor(kAnalyst).get(), Everyone(), &on_a));
  EXPECT_EQ(on_a.total(), 2000);
  EXPECT_EQ(gate_a.Builds(5), 1);  // the request built nothing

  // B learns of snapshot 5 from the request (its watcher is idle here) and builds it; the
  // request does not wait for the build.
  pb::ImpactAnalysis on_b;
  const grpc::Status busy = b_stub->AnalyzeImpact(ContextFor(kAnalyst).get(), Everyone(), &on_b);
  EXPECT_THAT(busy, GrpcStatusIs(grpc::StatusCode::UNAVAILABLE, "SNAPSHOT_REBUILDING", ""));
  const common::GrpcErrorDetails details = common::ParseGrpcErrorDetails(busy);
  ASSERT_TRUE(details.retry_delay.has_value());
  EXPECT_GE(*details.retry_delay, absl::Seconds(1));
  gate_b.AwaitBuild(5);
  gate_b.Open();
  CAK_ASSERT_OK((*replica)->service().snapshots().AwaitLatest(absl::InfiniteFuture()));
  CAK_ASSERT_GRPC_OK(b_stub->AnalyzeImpact(ContextFor(kAnalyst).get(), Everyone(), &on_b));
  EXPECT_EQ(on_b.total(), on_a.total());
  EXPECT_EQ(gate_b.Builds(5), 1);
}

TEST(SnapshotApiTest, TheWatcherBuildsASnapshotPublishedOnAnotherReplica) {
  auto started = testing::AnalysisTestServer::Start();
  ASSERT_TRUE(started.ok()) << started.status();
  testing::AnalysisTestServer& a = **started;
  CAK_ASSERT_OK(a.ImportGenerated());
  std::promise<void> built;
  std::atomic<bool> seen{false};
  domain::SnapshotCacheOptions o;
  o.poll_interval = absl::Milliseconds(10);
  o.before_build = [&](const domain::SnapshotInfo& info) {
    if (info.version == 5 && !seen.exchange(true)) built.set_value();
  };
  auto replica = a.StartReplica(o);
  ASSERT_TRUE(replica.ok()) << replica.status();
  CAK_ASSERT_OK(a.service().ImportFile(testing::AdminCall(), domain::Dataset::kMailings, "mailings.csv", {}).status());
  built.get_future().wait();  // no request on the replica asked for it
  CAK_ASSERT_OK((*replica)->service().snapshots().AwaitLatest(absl::InfiniteFuture()));
  (*replica)->Shutdown();
}

}  // namespace
}  // namespace cak::analysis
