// Exactly once, the two ways it can break: two replicas generating the same order at the same
// time (each batch must be claimed by one of them only: FOR UPDATE SKIP LOCKED), and the real
// dispatch-svc binary killed with SIGKILL in the middle of generating, then restarted (the
// same batches, every recipient once, no gap, files whole and matching their manifests).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/base/random.h"
#include "common/base/sha256.h"
#include "common/grpc/dev_tokens.h"
#include "common/grpc/type_convert.h"
#include "common/testing/child_process.h"
#include "common/testing/status_matchers.h"
#include "dispatch-svc/src/storage/schema.h"
#include "dispatch-svc/test/dispatch_test_server.h"
#include "dispatch-svc/test/fake_analysis.h"

namespace cak::dispatch::testing {
namespace {

using common::testing::ChildProcess;
using common::testing::ContextFor;

// Every batch of the order: written, its slice streamed exactly `streams` times in total, and
// every position of the list exactly once among the items.
void ExpectExactlyOnce(const common::testing::TestSchema& schema, const std::string& order_id, int64_t members) {
  auto q = [&](const std::string& sql) {
    auto r = schema.Query(sql);
    return r.ok() ? *r : std::string(r.status().message());
  };
  const std::string s = schema.name();
  EXPECT_EQ(q(absl::StrCat("SELECT count(*) FROM ", s, ".items WHERE order_id = '", order_id, "'")),
            absl::StrCat(members));
  EXPECT_EQ(q(absl::StrCat("SELECT count(DISTINCT position) || '/' || min(position) || '/' || max(position) FROM ", s,
                           ".items WHERE order_id = '", order_id, "'")),
            absl::StrCat(members, "/1/", members));
  // Items sit in the batch whose planned slice holds them.
  EXPECT_EQ(q(absl::StrCat("SELECT count(*) FROM ", s, ".items i JOIN ", s,
                           ".batches b ON b.order_id = i.order_id AND b.batch_no = i.batch_no"
                           " WHERE i.position NOT BETWEEN b.first_position AND b.last_position")),
            "0");
  EXPECT_EQ(q(absl::StrCat("SELECT count(*) FROM ", s,
                           ".batches WHERE state <> 2 OR item_count <>"
                           " last_position - first_position + 1")),
            "0");
  // The hand-over log holds each recipient once.
  EXPECT_EQ(
      q(absl::StrCat("SELECT count(*) || '/' || count(DISTINCT data_subject_id) FROM ", s, ".processing_log_subjects")),
      absl::StrCat(members, "/", members));
}

TEST(ExactlyOnceTest, TwoReplicasNeverGenerateTheSameBatch) {
  FakeAnalysis analysis;
  const int64_t members = 12000;
  const std::string list = analysis.AddList(members);
  TestServerOptions a;
  a.analysis_port = analysis.port();
  a.generator_threads = 2;
  a.max_batch_items = 300;  // 40 batches
  auto first = DispatchTestServer::Start(a);
  ASSERT_TRUE(first.ok()) << first.status();
  TestServerOptions b = a;
  b.shared_schema = &(*first)->schema();
  b.shared_delivery_dir = (*first)->delivery_dir();
  b.replica = "replica-b";
  auto second = DispatchTestServer::Start(b);
  ASSERT_TRUE(second.ok()) << second.status();

  pb::Executor executor;
  CAK_ASSERT_GRPC_OK((*first)->stub().CreateExecutor(
      ContextFor(Admin()).get(), ExecutorRequest("repro", pb::CHANNEL_LETTER, "repro.executors.cak.nl", 100000),
      &executor));
  pb::DispatchOrder order;
  CAK_ASSERT_GRPC_OK((*first)->stub().CreateDispatchOrder(ContextFor(CampaignService()).get(),
                                                          OrderRequest("twice-1", list, pb::CHANNEL_LETTER), &order));
  ASSERT_EQ(order.batch_count(), 40);
  // Both replicas' generators race for the batches (the second learns of the order only by
  // polling, as a replica that did not take the request would).
  for (int i = 0; i < 600 && order.state() == pb::ORDER_STATE_GENERATING; ++i) {
    absl::SleepFor(absl::Milliseconds(50));
    pb::GetDispatchOrderRequest get;
    get.set_name(order.name());
    ASSERT_TRUE((*second)->stub().GetDispatchOrder(ContextFor(CampaignService()).get(), get, &order).ok());
  }
  ASSERT_EQ(order.state(), pb::ORDER_STATE_READY);
  const std::string id = order.name().substr(std::string("dispatchOrders/").size());
  ExpectExactlyOnce((*first)->schema(), id, members);
  for (int64_t p = 1; p <= members; p += 300) {
    EXPECT_EQ(analysis.SliceStreams(list, p - 1, p + 299), 1) << "slice after " << p - 1;
  }
  EXPECT_EQ(analysis.members_streamed(), members);
  EXPECT_EQ((*first)->server().batches_generated() + (*second)->server().batches_generated(), 40);
}

class KillTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = (std::filesystem::temp_directory_path() / ("dispatch-proc-" + common::NewUuid())).string();
    std::filesystem::create_directories(dir_ + "/deliveries");
    std::ofstream(dir_ + "/hash.key") << "a-test-hash-key-that-is-long-enough-32\n";
    common::TokenClaims claims;
    claims.subject = "dispatch-svc.voorlichting.svc";
    claims.roles = {common::roles::kDispatchService};
    claims.application = true;
    std::ofstream(dir_ + "/analysis.token") << *common::MintToken(claims);
    auto schema = common::testing::TestSchema::Create("dproc", storage::DispatchMigrationSets());
    ASSERT_TRUE(schema.ok()) << schema.status();
    schema_ = *std::move(schema);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::unique_ptr<ChildProcess> Start() {
    auto p = std::make_unique<ChildProcess>(std::vector<std::string>{
        DISPATCH_SVC_BINARY, "--db-dsn=" + common::testing::TestDsn(), "--db-schema=" + schema_->name(),
        "--auth-mode=development", "--hash-key-file=" + dir_ + "/hash.key", "--delivery-dir=" + dir_ + "/deliveries",
        absl::StrCat("--analysis-address=127.0.0.1:", analysis_.port()),
        "--analysis-token-file=" + dir_ + "/analysis.token", "--max-batch-items=500", "--time-zone=UTC",
        "--listen-host=127.0.0.1", "--grpc-port=0", "--health-port=0", "--metrics-port=0", "--db-startup-timeout=5s",
        "--shutdown-grace=5s", "--replica=proc"});
    const std::string ready = p->ReadUntil("\"event\":\"ready\"");
    if (ready.empty()) {
      ADD_FAILURE() << p->ReadAll();
      return p;
    }
    auto channel = common::testing::LocalChannel(nlohmann::json::parse(ready)["grpc_port"].get<int>());
    stub_ = pb::DispatchService::NewStub(channel);
    return p;
  }

  std::string Q(const std::string& sql) {
    auto r = schema_->Query(sql);
    return r.ok() ? *r : std::string(r.status().message());
  }

  std::string dir_;
  FakeAnalysis analysis_;
  std::unique_ptr<common::testing::TestSchema> schema_;
  std::unique_ptr<pb::DispatchService::Stub> stub_;
};

TEST_F(KillTest, KilledWhileGeneratingThenRestartedGivesTheSameBatchesOnce) {
  const int64_t members = 6000;  // 12 batches of 500
  const std::string list = analysis_.AddList(members);
  analysis_.SetDelayPerMessage(absl::Milliseconds(60));  // ~30 ms per item-thousand: time to kill mid-batch
  auto process = Start();
  ASSERT_NE(stub_, nullptr);
  pb::Executor executor;
  grpc::Status st;
  for (int i = 0; i < 50; ++i) {  // the first health probe may not have passed yet
    st = stub_->CreateExecutor(ContextFor(Admin()).get(),
                               ExecutorRequest("repro", pb::CHANNEL_LETTER, "repro.executors.cak.nl", 100000),
                               &executor);
    if (st.error_code() != grpc::StatusCode::UNAVAILABLE) break;
    absl::SleepFor(absl::Milliseconds(100));
  }
  CAK_ASSERT_GRPC_OK(st);
  // The child's "today" is the real one: a window from tomorrow on.
  auto req = OrderRequest("kill-1", list, pb::CHANNEL_LETTER);
  const absl::CivilDay today = absl::ToCivilDay(absl::Now(), absl::UTCTimeZone());
  common::DayToProto(today + 1, req.mutable_order()->mutable_window_start());
  common::DayToProto(today + 60, req.mutable_order()->mutable_window_end());
  pb::DispatchOrder order;
  CAK_ASSERT_GRPC_OK(stub_->CreateDispatchOrder(ContextFor(CampaignService()).get(), req, &order));
  const std::string id = order.name().substr(std::string("dispatchOrders/").size());

  // Kill it once some batches are written and the next is under way.
  const std::string s = schema_->name();
  for (int i = 0; i < 400 && Q(absl::StrCat("SELECT count(*) FROM ", s, ".batches WHERE state = 2")) < "3"; ++i) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  absl::SleepFor(absl::Milliseconds(120));
  process->Signal(SIGKILL);
  process->Wait();
  const std::string written_before = Q(absl::StrCat("SELECT count(*) FROM ", s, ".batches WHERE state = 2"));
  EXPECT_NE(written_before, absl::StrCat(order.batch_count()));
  // What the kill left: whole batches only (every written batch has all its items).
  EXPECT_EQ(Q(absl::StrCat("SELECT count(*) FROM ", s, ".items i JOIN ", s,
                           ".batches b USING (order_id, batch_no) WHERE b.state = 1")),
            "0");

  analysis_.SetDelayPerMessage(absl::ZeroDuration());
  auto restarted = Start();
  ASSERT_NE(stub_, nullptr);
  for (int i = 0; i < 600 && order.state() != pb::ORDER_STATE_READY; ++i) {
    absl::SleepFor(absl::Milliseconds(50));
    pb::GetDispatchOrderRequest get;
    get.set_name(order.name());
    (void)stub_->GetDispatchOrder(ContextFor(CampaignService()).get(), get, &order);
  }
  ASSERT_EQ(order.state(), pb::ORDER_STATE_READY);
  ExpectExactlyOnce(*schema_, id, members);
  // Every data file is whole and matches its manifest; no half-written file under a real name.
  int files = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir_ + "/deliveries")) {
    if (!entry.is_regular_file()) continue;
    const std::string name = entry.path().filename().string();
    if (absl::StartsWith(name, ".tmp-")) continue;  // a killed writer's leftover, never renamed
    if (!absl::EndsWith(name, ".csv")) continue;
    ++files;
    const std::string data = ReadFile(entry.path().string());
    std::string manifest_path = entry.path().string();
    manifest_path.replace(manifest_path.size() - 4, 4, ".manifest.json");
    const auto manifest = nlohmann::json::parse(ReadFile(manifest_path));
    EXPECT_EQ(manifest["sha256"].get<std::string>(), common::Sha256Hex(data)) << name;
    EXPECT_EQ(manifest["count"].get<int64_t>(), 500) << name;
  }
  EXPECT_EQ(files, order.batch_count());
  restarted->Signal(SIGTERM);
  EXPECT_EQ(restarted->Wait(), 0);
}

}  // namespace
}  // namespace cak::dispatch::testing
