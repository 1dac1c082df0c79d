// The real analysis-svc binary as a process: an import whose server is killed (SIGKILL) in the
// middle of its COPY leaves the previous snapshot whole; after a restart the service answers
// from that snapshot, and the next import collects the dead one's table. Also the SIGTERM drain.
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "absl/strings/str_cat.h"
#include "analysis-svc/src/storage/schema.h"
#include "cak/voorlichting/analysis/v1/analysis_service.grpc.pb.h"
#include "common/base/random.h"
#include "common/testing/child_process.h"
#include "common/testing/grpc_test_support.h"
#include "common/testing/pg_test_env.h"
#include "common/testing/status_matchers.h"
#include "tools/datagen/population.h"

namespace cak::analysis {
namespace {

using common::testing::ChildProcess;
using common::testing::ContextFor;
using common::testing::TestCaller;
namespace pb = cak::voorlichting::analysis::v1;

const TestCaller kAdmin{"ops-1", {"administrator"}};
const TestCaller kAnalyst{"emp-2001", {"analyst"}};

class AnalysisProcessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = (std::filesystem::temp_directory_path() / ("analysis-proc-" + common::NewUuid())).string();
    std::filesystem::create_directories(dir_ + "/import");
    std::ofstream(dir_ + "/hash.key") << "a-test-hash-key-that-is-long-enough-32\n";
    tools::datagen::PopulationOptions p;
    p.customers = 3000;
    auto population = tools::datagen::Population::Create(p);
    ASSERT_TRUE(population.ok());
    ASSERT_TRUE(tools::datagen::WriteAll(*population, dir_ + "/import").ok());
    auto schema = common::testing::TestSchema::Create("aproc", storage::AnalysisMigrationSets());
    ASSERT_TRUE(schema.ok()) << schema.status();
    schema_ = *std::move(schema);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::unique_ptr<ChildProcess> Start() {
    auto p = std::make_unique<ChildProcess>(std::vector<std::string>{
        ANALYSIS_SVC_BINARY, "--db-dsn=" + common::testing::TestDsn(), "--db-schema=" + schema_->name(),
        "--auth-mode=development", "--hash-key-file=" + dir_ + "/hash.key", "--import-dir=" + dir_ + "/import",
        "--time-zone=UTC", "--listen-host=127.0.0.1", "--grpc-port=0", "--health-port=0", "--metrics-port=0",
        "--db-startup-timeout=5s", "--shutdown-grace=5s"});
    const std::string ready = p->ReadUntil("\"event\":\"ready\"");
    if (ready.empty()) {
      ADD_FAILURE() << p->ReadAll();
      return p;
    }
    stub_ = pb::AnalysisService::NewStub(
        common::testing::LocalChannel(nlohmann::json::parse(ready)["grpc_port"].get<int>()));
    return p;
  }

  grpc::Status ImportFile(pb::Dataset dataset, const std::string& file, pb::ImportReport* report) {
    pb::ImportFileRequest req;
    req.set_dataset(dataset);
    req.set_path(file);
    grpc::Status st;
    for (int i = 0; i < 100; ++i) {  // the first health probe may not have passed yet
      st = stub_->ImportFile(ContextFor(kAdmin, absl::Seconds(60)).get(), req, report);
      if (st.error_code() != grpc::StatusCode::UNAVAILABLE) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return st;
  }

  std::string Q(const std::string& sql) {
    auto r = schema_->Query(sql);
    return r.ok() ? *r : "error";
  }

  std::string dir_;
  std::unique_ptr<common::testing::TestSchema> schema_;
  std::unique_ptr<pb::AnalysisService::Stub> stub_;
};

pb::Customer Row(int64_t i) {
  // Valid synthetic BSNs: 8 digits from the index, then the 11-test check digit (skip 10).
  std::string digits = absl::StrCat(20000000 + i);
  int sum = 0;
  for (int k = 0; k < 8; ++k) sum += (9 - k) * (digits[k] - '0');
  pb::Customer c;
  c.set_bsn(digits + std::to_string(sum % 11 == 10 ? 0 : sum % 11));  // the 1 in 11 with check 10 is rejected: fine
  c.set_customer_number(absl::StrCat(1000000000 + i));
  c.set_salutation(pb::SALUTATION_NEUTRAL);
  c.set_initials("A.");
  c.set_surname("Jansen");
  c.set_regulation(pb::REGULATION_WMO);
  c.set_municipality_code("GM0344");
  c.mutable_birth_date()->set_year(1950);
  c.mutable_birth_date()->set_month(1);
  c.mutable_birth_date()->set_day(1);
  c.set_active(true);
  return c;
}

TEST_F(AnalysisProcessTest, ServerKilledDuringAnImportLeavesThePreviousSnapshot) {
  auto server = Start();
  ASSERT_TRUE(stub_);
  pb::ImportReport report;
  CAK_ASSERT_GRPC_OK(ImportFile(pb::DATASET_CUSTOMERS, "customers.csv", &report));
  const int64_t published = report.dataset_version();
  const std::string s = schema_->name();

  // A streamed import is mid-COPY (its version table exists, rows are arriving) when the
  // process is killed.
  {
    auto ctx = ContextFor(kAdmin, absl::Seconds(60));
    pb::ImportReport unused;
    auto writer = stub_->ImportCustomers(ctx.get(), &unused);
    pb::ImportCustomersRequest first;
    first.mutable_options()->set_source("interrupted");
    for (int i = 0; i < 20000; ++i) *first.add_rows() = Row(i);
    ASSERT_TRUE(writer->Write(first));
    for (int i = 0; i < 200 && Q("SELECT count(*) FROM " + s + ".dataset_versions WHERE status = 'loading'") != "1";
         ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ASSERT_EQ(Q("SELECT count(*) FROM " + s + ".dataset_versions WHERE status = 'loading'"), "1");
    server->Signal(SIGKILL);
    EXPECT_EQ(server->Wait(), 128 + SIGKILL);
    writer->WritesDone();
    EXPECT_FALSE(writer->Finish().ok());
  }
  const std::string orphan = Q("SELECT id FROM " + s + ".dataset_versions WHERE status = 'loading'");

  // Restarted, the service answers from the snapshot that was there before.
  server = Start();
  ASSERT_TRUE(stub_);
  pb::Snapshot snap;
  CAK_ASSERT_GRPC_OK(stub_->GetSnapshot(ContextFor(kAnalyst).get(), pb::GetSnapshotRequest(), &snap));
  EXPECT_EQ(snap.version(), 1);
  EXPECT_EQ(snap.datasets(0).version(), published);
  pb::AnalyzeImpactRequest impact;
  impact.mutable_criteria()->mutable_all();
  pb::ImpactAnalysis a;
  CAK_ASSERT_GRPC_OK(stub_->AnalyzeImpact(ContextFor(kAnalyst).get(), impact, &a));
  EXPECT_EQ(a.total(), 3000);

  // The next import goes through and collects the dead import's table, once PostgreSQL has
  // ended the killed process's session (its advisory lock marks the import as alive; on a busy
  // machine the backend may take a moment to notice its client is gone).
  const std::string lock_held =
      "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid = 7624 AND"
      " objid = " +
      orphan + " AND objsubid = 2";
  for (int i = 0; i < 500 && Q(lock_held) != "0"; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  ASSERT_EQ(Q(lock_held), "0");
  CAK_ASSERT_GRPC_OK(ImportFile(pb::DATASET_RELATIONS, "relations.csv", &report));
  EXPECT_EQ(Q("SELECT status FROM " + s + ".dataset_versions WHERE id = " + orphan), "dropped");
  EXPECT_EQ(
      Q("SELECT count(*) FROM pg_tables WHERE schemaname = '" + s + "' AND tablename = 'customers_v" + orphan + "'"),
      "0");

  server->Signal(SIGTERM);
  EXPECT_EQ(server->Wait(), 0);
}

}  // namespace
}  // namespace cak::analysis
