// The real intake-svc binary as a process: start-up against a migrated schema, readiness,
// a SIGTERM drain (health NOT_SERVING, streams ended, exit 0), the run modes (--migrate-only,
// --purge --dry-run) and the refusals at start-up (bad configuration, a newer schema).
#include <arpa/inet.h>
#include <fcntl.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/base/principal.h"
#include "common/base/random.h"
#include "common/grpc/auth.h"
#include "common/grpc/dev_keys.h"
#include "common/grpc/dev_tokens.h"
#include "common/grpc/subject_removal_service.h"
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

// The log stream stays one JSON object per line, gRPC core's own messages included: here the
// one it writes when the API port is taken.
TEST_F(IntakeProcessTest, GrpcCoreMessagesAreJsonLogLines) {
  auto schema = common::testing::TestSchema::Create("proc", storage::IntakeMigrationSets());
  ASSERT_TRUE(schema.ok()) << schema.status();
  const int taken = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(taken, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  ASSERT_EQ(bind(taken, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(listen(taken, 1), 0);
  ASSERT_EQ(getsockname(taken, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  Process p(Args((*schema)->name(), {absl::StrCat("--grpc-port=", ntohs(addr.sin_port))}));
  const std::string out = p.ReadAll();
  EXPECT_EQ(p.Wait(), 1);
  close(taken);
  int grpc_core = 0;
  for (absl::string_view line : absl::StrSplit(out, '\n', absl::SkipEmpty())) {
    const auto j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    ASSERT_FALSE(j.is_discarded()) << "not a JSON line: " << line;
    if (j["event"] == "grpc_core") ++grpc_core;
  }
  EXPECT_GT(grpc_core, 0) << out;
  EXPECT_NE(out.find("\"event\":\"start_failed\""), std::string::npos) << out;
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
  EXPECT_NE(out.find("--auth-mode=jwt needs one of --jwt-public-key-file and --jwt-jwks-file"), std::string::npos)
      << out;
}

// The key set as production configures it (--auth-mode=jwt --jwt-jwks-file): over a real
// channel, a token whose kid names the set's key is served; one naming no key of the set is
// UNAUTHENTICATED and writes nothing.
TEST_F(IntakeProcessTest, AKeySetServesItsKidAndRefusesAnUnknownKidWritingNothing) {
  auto schema = common::testing::TestSchema::Create("jwks", storage::IntakeMigrationSets());
  ASSERT_TRUE(schema.ok()) << schema.status();
  const std::string jwks_file = key_file_ + ".jwks.json";
  auto jwk = common::PublicJwk(common::kDevJwtPrivateKeyPem, "2026-12", "RS256");
  ASSERT_TRUE(jwk.ok()) << jwk.status();
  std::ofstream(jwks_file) << R"({"keys":[)" << *jwk << "]}";
  std::vector<std::string> args = Args((*schema)->name(), {});
  for (std::string& a : args) {
    if (a == "--auth-mode=development") a = "--auth-mode=jwt";
  }
  args.insert(args.end(), {"--jwt-jwks-file=" + jwks_file, absl::StrCat("--jwt-issuer=", common::kDevJwtIssuer),
                           absl::StrCat("--jwt-audience=", common::kDevJwtAudience)});
  Process p(args);
  const std::string ready = p.ReadUntil("\"event\":\"ready\"");
  ASSERT_FALSE(ready.empty()) << p.ReadAll();
  auto stub = pb::IntakeService::NewStub(common::testing::LocalChannel(nlohmann::json::parse(ready)["grpc_port"]));

  auto submit = [&](const std::string& kid) {
    common::TokenClaims claims;
    claims.subject = "kcc-portal";
    claims.roles = {common::roles::kReportingApplication};
    claims.application = true;
    claims.key_id = kid;
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    ctx.AddMetadata("authorization", "Bearer " + *common::MintToken(claims));
    pb::SubmitSignalRequest req;
    req.set_request_id(common::NewUuid());
    req.mutable_signal()->set_source_channel(pb::SOURCE_CHANNEL_KCC);
    req.mutable_signal()->set_category(pb::SIGNAL_CATEGORY_WRONG_INVOICE);
    req.mutable_signal()->set_regulation(pb::REGULATION_WLZ);
    req.mutable_signal()->set_description("Klanten kregen een tweede factuur voor dezelfde periode.");
    pb::SubmitSignalResponse resp;
    return stub->SubmitSignal(&ctx, req, &resp);
  };
  const std::string signals = "SELECT count(*) FROM " + (*schema)->name() + ".signals";

  grpc::Status known;
  for (int i = 0; i < 100; ++i) {  // the first health probe may not have passed yet
    known = submit("2026-12");
    if (known.ok()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  CAK_ASSERT_GRPC_OK(known);
  EXPECT_EQ(*(*schema)->Query(signals), "1");
  const grpc::Status unknown = submit("2026-11");  // no key of the set (retired, or not yet added)
  EXPECT_EQ(unknown.error_code(), grpc::StatusCode::UNAUTHENTICATED) << unknown.error_message();
  EXPECT_EQ(*(*schema)->Query(signals), "1");
  p.Signal(SIGTERM);
  EXPECT_EQ(p.Wait(), 0);
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
  // analysis-svc's removal feed as the purge reads it (with its token): up to date.
  common::SystemClock clock;
  common::AuthOptions auth;
  auth.mode = "development";
  auto authenticator = common::Authenticator::Create(auth, &clock);
  ASSERT_TRUE(authenticator.ok());
  const common::RpcEnvironment env(authenticator->get(),
                                   common::RoleTable{{common::kListSubjectRemovals, {common::roles::kIntakeService}}},
                                   &clock, nullptr);
  std::atomic<int> reads = 0;
  common::SubjectRemovalServiceImpl feed(&env, [&](const common::CallContext&, const common::RemovalPosition&, int) {
    ++reads;
    return absl::StatusOr<std::vector<common::SubjectRemoval>>(std::vector<common::SubjectRemoval>{});
  });
  int port = 0;
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&feed);
  const std::unique_ptr<grpc::Server> analysis = builder.BuildAndStart();
  ASSERT_NE(port, 0);
  common::TokenClaims claims;
  claims.subject = "intake-svc.voorlichting.svc";
  claims.roles = {common::roles::kIntakeService};
  claims.application = true;
  claims.lifetime = absl::Hours(1);
  std::ofstream(key_file_ + ".token") << *common::MintToken(claims);

  // Without analysis-svc's address the purge does not start: it would not follow the removals.
  {
    Process refused(Args((*schema)->name(), {"--purge", "--dry-run"}));
    const std::string out = refused.ReadAll();
    EXPECT_EQ(refused.Wait(), 2) << out;
    EXPECT_NE(out.find("--analysis-address"), std::string::npos) << out;
  }
  Process purge(Args((*schema)->name(), {"--purge", "--dry-run", absl::StrCat("--analysis-address=127.0.0.1:", port),
                                         "--analysis-token-file=" + key_file_ + ".token"}));
  const std::string out = purge.ReadAll();
  EXPECT_EQ(purge.Wait(), 0) << out;
  EXPECT_NE(out.find("\"event\":\"follow_removals_done\",\"dry_run\":true,\"removals\":0"), std::string::npos) << out;
  EXPECT_NE(out.find("\"event\":\"purge_signals_done\",\"dry_run\":true"), std::string::npos) << out;
  // The processing log's part too: what it would remove and keep for the logbook (nothing yet).
  EXPECT_NE(out.find("\"event\":\"purge_processing_log_done\",\"dry_run\":true,\"entries\":0,\"held_for_logbook\":0"),
            std::string::npos)
      << out;
  EXPECT_EQ(reads.load(), 1);
  analysis->Shutdown();
}

}  // namespace
}  // namespace cak::intake
