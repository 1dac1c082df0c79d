// An analysis-svc for storage, API and benchmark runs: a fresh schema whose runtime grants go
// to the role cak_test_app, a pool that runs every session as that role (so the tests exercise
// the production privileges: COPY into a version table, the owner's functions for the rest),
// the real server on port 0 with development authentication, a fake clock, and an import
// directory of its own filled by the project's generator.
#pragma once

#include <memory>
#include <string>

#include "analysis-svc/src/server/analysis_server.h"
#include "cak/voorlichting/analysis/v1/analysis_service.grpc.pb.h"
#include "cak/voorlichting/processinglog/v1/processing_log_service.grpc.pb.h"
#include "common/testing/fake_clock.h"
#include "common/testing/grpc_test_support.h"
#include "common/testing/pg_test_env.h"

namespace cak::analysis::testing {

namespace pb = cak::voorlichting::analysis::v1;

inline constexpr char kAppRole[] = "cak_test_app";

struct TestServerOptions {
  bool start_grpc = true;
  int pool_size = 8;
  // Customers of the generated population written to the import directory (0: none).
  int64_t customers = 2000;
  uint64_t seed = 1;
  // Recipients logged and sent per chunk of StreamRecipients: small in tests so that small
  // lists cross chunk boundaries; benchmarks use the production setting (5000).
  int stream_log_chunk = 500;
  // StreamRecipients and ExportListing at once (the production default).
  int max_concurrent_streams = 4;
  // dispatch-svc's outcomes for MeasureResponse (not owned); null: none configured.
  domain::OutcomeSource* outcomes = nullptr;
  // The columnar snapshot's background builds (tests hold a build with before_build).
  domain::SnapshotCacheOptions snapshot_cache;
};

class AnalysisTestServer {
 public:
  static absl::StatusOr<std::unique_ptr<AnalysisTestServer>> Start(TestServerOptions options = {});
  ~AnalysisTestServer();

  pb::AnalysisService::Stub& stub() { return *stub_; }
  cak::voorlichting::processinglog::v1::ProcessingLogService::Stub& log_stub() { return *log_stub_; }
  domain::AnalysisService& service() { return server_->service(); }
  AnalysisServer& server() { return *server_; }
  common::testing::FakeClock& clock() { return clock_; }
  common::testing::TestSchema& schema() { return *schema_; }
  common::db::PgPool& pool() { return *pool_; }
  const std::string& import_dir() const { return import_dir_; }

  // Another replica of this server: the same schema, pool and settings, its own snapshot cache
  // (with `snapshot_cache`), started (the snapshot built, then serving on a port of its own).
  absl::StatusOr<std::unique_ptr<AnalysisServer>> StartReplica(domain::SnapshotCacheOptions snapshot_cache);

  // Imports the generated files (customers, relations, mailings, contact reports) through
  // the domain service, as an administrator would with ImportFile.
  absl::Status ImportGenerated();

  // Rows in one of this server's tables; -1 on error.
  int64_t Count(const std::string& table);

 private:
  AnalysisTestServer() = default;
  AnalysisServerOptions options_;  // the replicas' (snapshot_cache aside)
  common::testing::FakeClock clock_;
  common::SystemClock auth_clock_;
  std::string import_dir_;
  std::unique_ptr<common::testing::TestSchema> schema_;
  std::unique_ptr<common::db::PgPool> pool_;
  std::unique_ptr<common::Authenticator> auth_;
  std::unique_ptr<AnalysisServer> server_;
  std::unique_ptr<pb::AnalysisService::Stub> stub_;
  std::unique_ptr<cak::voorlichting::processinglog::v1::ProcessingLogService::Stub> log_stub_;
};

// A call context as the RPC frame builds it, for domain-level calls in tests.
common::CallContext AdminCall();

}  // namespace cak::analysis::testing
