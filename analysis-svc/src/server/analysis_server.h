// The assembled analysis-svc: repositories -> domain service -> gRPC handlers -> server, plus
// the processing-log read API and the database health probe. main() builds it from
// configuration; the API tests and the benchmark build it on port 0 against a test schema with
// a fake clock.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "analysis-svc/src/api/analysis_api.h"
#include "analysis-svc/src/domain/analysis_service.h"
#include "analysis-svc/src/storage/pg_analysis_repository.h"
#include "analysis-svc/src/storage/pg_snapshot_repository.h"
#include "common/base/clock.h"
#include "common/db/pool.h"
#include "common/db/processing_log_store.h"
#include "common/grpc/auth.h"
#include "common/grpc/data_subject_service.h"
#include "common/grpc/metrics.h"
#include "common/grpc/processing_log_service.h"
#include "common/grpc/rpc.h"
#include "common/grpc/server.h"
#include "common/grpc/subject_removal_service.h"

namespace cak::analysis {

struct AnalysisServerOptions {
  common::db::PgPool* pool = nullptr;  // not owned
  std::string schema = "analysis";
  const common::Clock* clock = nullptr;                    // not owned
  const common::Authenticator* auth = nullptr;             // not owned
  common::ServerMetrics* metrics = nullptr;                // not owned; may be null
  std::optional<common::DataSubjectHasher> hasher;         // processing log; required
  std::optional<common::DataSubjectHasher> pseudonymizer;  // sample pseudonyms; required
  domain::AnalysisSettings settings;
  // dispatch-svc's outcomes for response measurement; null: none configured (a measurement
  // that names a dispatch order is then refused with DISPATCH_NOT_CONFIGURED). Not owned.
  domain::OutcomeSource* outcomes = nullptr;
  std::string zone_name = "Europe/Amsterdam";  // the zone of settings.zone, for SQL
  common::ServerOptions server;
  absl::Duration health_interval = absl::Seconds(1);
};

class AnalysisServer {
 public:
  explicit AnalysisServer(AnalysisServerOptions options);
  ~AnalysisServer();

  // Builds the columnar snapshot (so the replica reports SERVING only with it in memory and
  // the first request does not pay for it), then starts the gRPC servers, the health monitor
  // and the watcher that builds each newer snapshot in the background.
  absl::Status Start();
  // Stops serving, then the snapshot watcher (waiting for a build in progress).
  void Shutdown();
  void Wait();

  int grpc_port() const { return server_.grpc_port(); }
  int health_port() const { return server_.health_port(); }
  domain::AnalysisService& service() { return service_; }
  const common::db::ProcessingLogStore& log_store() const { return log_store_; }

 private:
  AnalysisServerOptions options_;
  common::db::ProcessingLogStore log_store_;
  storage::PgSnapshotRepository snapshots_;
  storage::PgAnalysisRepository analyses_;
  domain::AnalysisService service_;
  common::RpcEnvironment env_;
  api::AnalysisApi api_;
  common::ProcessingLogServiceImpl log_api_;
  common::DataSubjectServiceImpl subject_api_;
  common::SubjectRemovalServiceImpl removal_api_;  // the feed intake-svc and dispatch-svc follow
  common::ServiceServer server_;
};

}  // namespace cak::analysis
