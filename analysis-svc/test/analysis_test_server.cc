// Test server assembly (see analysis_test_server.h).
#include "analysis-svc/test/analysis_test_server.h"

#include <filesystem>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "analysis-svc/src/storage/schema.h"
#include "common/base/random.h"
#include "common/testing/call_context.h"
#include "tools/datagen/population.h"

namespace cak::analysis::testing {

common::CallContext AdminCall() {
  common::CallContext call = common::testing::TestCall("ops-1", {common::roles::kAdministrator});
  call.start_time = absl::FromCivil(absl::CivilSecond(2026, 11, 2, 9, 0, 0), absl::UTCTimeZone());
  return call;
}

absl::StatusOr<std::unique_ptr<AnalysisTestServer>> AnalysisTestServer::Start(TestServerOptions options) {
  std::unique_ptr<AnalysisTestServer> t(new AnalysisTestServer());
  auto schema = common::testing::TestSchema::Create("analysis", storage::AnalysisMigrationSets(), kAppRole);
  if (!schema.ok()) return schema.status();
  t->schema_ = *std::move(schema);
  auto pool = t->schema_->MakePool(options.pool_size, absl::Seconds(5), kAppRole);
  if (!pool.ok()) return pool.status();
  t->pool_ = *std::move(pool);

  t->import_dir_ = (std::filesystem::temp_directory_path() / ("cak-analysis-import-" + common::NewUuid())).string();
  std::filesystem::create_directories(t->import_dir_);
  if (options.customers > 0) {
    tools::datagen::PopulationOptions p;
    p.customers = options.customers;
    p.seed = options.seed;
    p.reference_date = absl::CivilDay(2026, 11, 1);
    auto population = tools::datagen::Population::Create(p);
    if (!population.ok()) return population.status();
    auto written = tools::datagen::WriteAll(*population, t->import_dir_);
    if (!written.ok()) return written.status();
  }

  common::AuthOptions auth;
  auth.mode = "development";
  auto authenticator = common::Authenticator::Create(auth, &t->auth_clock_);
  if (!authenticator.ok()) return authenticator.status();
  t->auth_ = *std::move(authenticator);

  AnalysisServerOptions o;
  o.pool = t->pool_.get();
  o.schema = t->schema_->name();
  o.clock = &t->clock_;
  o.auth = t->auth_.get();
  o.hasher = *common::DataSubjectHasher::Create("test-hash-key-of-at-least-32-bytes!!");
  o.pseudonymizer = *common::DataSubjectHasher::Create("test-pseudonym-key-of-at-least-32-bytes");
  o.settings.import_dir = t->import_dir_;
  o.settings.zone = absl::UTCTimeZone();
  o.zone_name = "UTC";
  o.settings.stream_log_chunk = options.stream_log_chunk;
  o.settings.max_concurrent_streams = options.max_concurrent_streams;
  o.outcomes = options.outcomes;
  o.server.host = "127.0.0.1";
  o.server.grpc_port = 0;
  o.server.health_port = 0;
  o.server.shutdown_grace = absl::Seconds(5);
  o.settings.snapshot_cache = options.snapshot_cache;
  t->options_ = o;
  t->server_ = std::make_unique<AnalysisServer>(std::move(o));
  if (options.start_grpc) {
    if (absl::Status st = t->server_->Start(); !st.ok()) return st;
    auto channel = common::testing::LocalChannel(t->server_->grpc_port());
    t->stub_ = pb::AnalysisService::NewStub(channel);
    t->log_stub_ = cak::voorlichting::processinglog::v1::ProcessingLogService::NewStub(channel);
  }
  return t;
}

AnalysisTestServer::~AnalysisTestServer() {
  if (server_) server_->Shutdown();
  server_.reset();
  std::error_code ec;
  std::filesystem::remove_all(import_dir_, ec);
}

absl::StatusOr<std::unique_ptr<AnalysisServer>> AnalysisTestServer::StartReplica(
    domain::SnapshotCacheOptions snapshot_cache) {
  AnalysisServerOptions o = options_;
  o.settings.snapshot_cache = std::move(snapshot_cache);
  auto replica = std::make_unique<AnalysisServer>(std::move(o));
  if (absl::Status st = replica->Start(); !st.ok()) return st;
  return replica;
}

absl::Status AnalysisTestServer::ImportGenerated() {
  const std::pair<domain::Dataset, const char*> files[] = {{domain::Dataset::kCustomers, "customers.csv"},
                                                           {domain::Dataset::kRelations, "relations.csv"},
                                                           {domain::Dataset::kMailings, "mailings.csv"},
                                                           {domain::Dataset::kContactReports, "contact_reports.csv"}};
  for (const auto& [dataset, file] : files) {
    auto report = service().ImportFile(AdminCall(), dataset, file, {});
    if (!report.ok()) return report.status();
  }
  return absl::OkStatus();
}

int64_t AnalysisTestServer::Count(const std::string& table) {
  auto n = schema_->Query("SELECT count(*) FROM " + schema_->name() + "." + table);
  int64_t out = -1;
  if (n.ok()) (void)absl::SimpleAtoi(*n, &out);
  return out;
}

}  // namespace cak::analysis::testing
