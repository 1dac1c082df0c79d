// The real intake-svc binary as a process: start-up against a migrated schema, readiness,
// a SIGTERM drain (health NOT_SERVING, streams ended, exit 0), the run modes (--migrate-only,
// --purge --dry-run) and the refusals at start-up (bad configuration, a newer schema).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "absl/strings/str_cat.h"
#include "common/testing/child_process.h"
#include "common/testing/grpc_test_support.h"
#include "common/testing/pg_test_env.h"
#include "common/testing/status_matchers.h"
#include "intake-svc/src/storage/schema.h"
#include "intake-svc/test/intake_test_server.h"

namespace cak::intake {
namespace {

using common::testing::ContextFor;
using common::testing::TestCaller;
namespace pb = cak::voorlichting::intake::v1;

using Process = common::testing::ChildProcess;

class IntakeProcessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir[] = "/tmp/intake-proc-XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    key_file_ = std::string(dir) + "/hash.key";
    std::ofstream(key_file_) << "a-test-hash-key-that-is-long-enough-32\n";
  }
  std::vector<std::string> Args(const std::string& schema, std::vector<std::string> extra) {
    std::vector<std::string> args = {INTAKE_SVC_BINARY,
                                     "--db-dsn=" + common::testing::TestDsn(),
                                     "--db-schema=" + schema,
                                     "--auth-mode=development",
                                     "--hash-key-file=" + key_file_,
                                     "--listen-host=127.0.0.1",
                                     "--grpc-port=0",
                                     "--health-port=0",
                                     "--metrics-port=0",
                                     "--db-startup-timeout=5s"};
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  }
  std::string key_file_;
};

TEST_F(IntakeProcessTest, ServesAndDrainsOnSigterm) {
  auto schema = common::testing::TestSchema::Create("proc", storage::IntakeMigrationSets());
  ASSERT_TRUE(schema.ok()) << schema.status();
  // A long grace period: if the open watch stream held up the drain, the exit would take it all.
  Process p(Args((*schema)->name(), {"--shutdown-grace=60s"}));
  const std::string ready = p.ReadUntil("\"event\":\"ready\"");
  ASSERT_FALSE(ready.empty()) << p.ReadAll();
  const auto j = nlohmann::json::parse(ready);
  const int port = j["grpc_port"].get<int>();
  auto stub = pb::IntakeService::NewStub(common::testing::LocalChannel(port));

  pb::SubmitSignalRequest req;
  req.mutable_signal()->set_source_channel(pb::SOURCE_CHANNEL_EMAIL);
  req.mutable_signal()->set_category(pb::SIGNAL_CATEGORY_RULE_CHANGE);
  req.mutable_signal()->set_regulation(pb::REGULATION_WMO);
  req.mutable_signal()->set_description("Nieuwe eigen bijdrage Wmo per 1 januari");
  pb::SubmitSignalResponse resp;
  const TestCaller app{"portal", {"reporting_application"}, true};
  // The first health probe may not have passed yet: retry briefly.
  grpc::Status st;
  for (int i = 0; i < 200; ++i) {
    st = stub->SubmitSignal(ContextFor(app).get(), req, &resp);
    if (st.ok()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  CAK_ASSERT_GRPC_OK(st);

  // A watcher is connected when SIGTERM arrives: the drain ends its stream instead of waiting.
  auto watch_ctx = ContextFor(app, absl::Seconds(30));
  pb::WatchSignalRequest watch;
  watch.set_name(resp.signal().name());
  auto reader = stub->WatchSignal(watch_ctx.get(), watch);
  pb::WatchSignalResponse event;
  ASSERT_TRUE(reader->Read(&event));
  EXPECT_EQ(event.event().type(), pb::SIGNAL_EVENT_TYPE_RECEIVED);

  const auto t0 = std::chrono::steady_clock::now();
  p.Signal(SIGTERM);
  while (reader->Read(&event)) {
  }
  grpc::Status watch_status = reader->Finish();
  EXPECT_EQ(watch_status.error_code(), grpc::StatusCode::UNAVAILABLE) << watch_status.error_message();
  EXPECT_FALSE(p.ReadUntil("\"event\":\"shutdown_done\"").empty());
  EXPECT_EQ(p.Wait(), 0);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(30));
}

TEST_F(IntakeProcessTest, BadConfigurationExitsWithAClearMessage) {
  Process p(Args("intake", {"--db-pool-size=0", "--grpc-port=http"}));
  const std::string out = p.ReadAll();
  EXPECT_EQ(p.Wait(), 2);
  EXPECT_NE(out.find("--db-pool-size=0: must be between 1 and 512"), std::string::npos) << out;
  EXPECT_NE(out.find("--grpc-port=http"), std::string::npos) << out;
}

TEST_F(IntakeProcessTest, JwtModeWithoutAKeyIsRefused) {
  std::vector<std::string> args = Args("intake", {"--auth-mode=jwt"});
  Process p(args);
  const std::string out = p.ReadAll();
  EXPECT_EQ(p.Wait(), 2);
  EXPECT_NE(out.find("--auth-mode=jwt needs --jwt-public-key-file"), std::string::npos) << out;
}

TEST_F(IntakeProcessTest, RefusesASchemaNewerThanItKnows) {
  auto schema = common::testing::TestSchema::Create("newer", storage::IntakeMigrationSets());
  ASSERT_TRUE(schema.ok());
  CAK_ASSERT_OK((*schema)->Query("INSERT INTO " + (*schema)->name() +
                                 ".schema_migrations (component, version, name, checksum)"
                                 " VALUES ('intake', 99, '0099_future.sql', 'x')"));
  Process p(Args((*schema)->name(), {}));
  const std::string out = p.ReadAll();
  EXPECT_EQ(p.Wait(), 1);
  EXPECT_NE(out.find("newer than this binary knows"), std::string::npos) << out;
}

TEST_F(IntakeProcessTest, MigrateOnlyThenPurgeDryRun) {
  auto schema = common::testing::TestSchema::Create("modes", {}, "cak_test_app");
  ASSERT_TRUE(schema.ok());
  {
    Process migrate({INTAKE_SVC_BINARY, "--migrate-only", "--db-dsn=" + common::testing::TestDsn(),
                     "--db-schema=" + (*schema)->name(), "--db-app-role=cak_test_app"});
    const std::string out = migrate.ReadAll();
    ASSERT_EQ(migrate.Wait(), 0) << out;
  }
  EXPECT_EQ(*(*schema)->Query("SELECT max(version) FROM " + (*schema)->name() +
                              ".schema_migrations WHERE component = 'intake'"),
            absl::StrCat(storage::IntakeMigrationSets()[1].migrations->size()));
  Process purge(Args((*schema)->name(), {"--purge", "--dry-run"}));
  const std::string out = purge.ReadAll();
  EXPECT_EQ(purge.Wait(), 0) << out;
  EXPECT_NE(out.find("\"event\":\"purge_signals_done\",\"dry_run\":true"), std::string::npos) << out;
}

}  // namespace
}  // namespace cak::intake
