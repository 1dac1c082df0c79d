// The assembled dispatch-svc: repository, delivery directory and recipient source -> domain
// service -> gRPC handlers (DispatchService, ExecutorService, the processing-log read API) ->
// server, plus the background batch generator and the database health probe. main() builds it
// from configuration; API tests and the benchmark build it on port 0 against a test schema,
// with a fake clock and either a fake or the real analysis-svc.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "common/base/clock.h"
#include "common/db/pool.h"
#include "common/db/processing_log_store.h"
#include "common/grpc/auth.h"
#include "common/grpc/data_subject_service.h"
#include "common/grpc/metrics.h"
#include "common/grpc/processing_log_service.h"
#include "common/grpc/rpc.h"
#include "common/grpc/server.h"
#include "dispatch-svc/src/api/dispatch_api.h"
#include "dispatch-svc/src/domain/dispatch_service.h"
#include "dispatch-svc/src/storage/file_delivery_store.h"
#include "dispatch-svc/src/storage/pg_dispatch_repository.h"

namespace cak::dispatch {

struct DispatchServerOptions {
  common::db::PgPool* pool = nullptr;  // not owned
  std::string schema = "dispatch";
  const common::Clock* clock = nullptr;             // not owned
  const common::Authenticator* auth = nullptr;      // not owned
  common::ServerMetrics* metrics = nullptr;         // not owned; may be null
  domain::RecipientSource* recipients = nullptr;    // not owned (analysis-svc)
  std::optional<common::DataSubjectHasher> hasher;  // processing log; required
  std::string delivery_dir;
  // Where batches are written; null: files in `delivery_dir` (tests put a volume of their own).
  domain::DeliveryStore* delivery_store = nullptr;  // not owned
  domain::DispatchSettings settings;
  int generator_threads = 1;  // 0: no background generation (tests drive it)
  absl::Duration generator_poll_interval = absl::Seconds(2);
  common::ServerOptions server;
  absl::Duration health_interval = absl::Seconds(1);
};

class DispatchServer {
 public:
  explicit DispatchServer(DispatchServerOptions options);
  ~DispatchServer();

  // Checks the delivery directory, clears temporary files a crash left, starts the gRPC
  // servers, the health monitor and the batch generator.
  absl::Status Start();
  void Shutdown();

  int grpc_port() const { return server_.grpc_port(); }
  int health_port() const { return server_.health_port(); }
  domain::DispatchService& service() { return service_; }
  const common::db::ProcessingLogStore& log_store() const { return log_store_; }
  int64_t batches_generated() const { return generator_ ? generator_->generated() : 0; }

 private:
  DispatchServerOptions options_;
  common::db::ProcessingLogStore log_store_;
  storage::PgDispatchRepository repository_;
  storage::FileDeliveryStore files_;
  domain::DispatchService service_;
  std::unique_ptr<domain::BatchGenerator> generator_;
  common::RpcEnvironment env_;
  api::DispatchApi api_;
  api::ExecutorApi executor_api_;
  common::ProcessingLogServiceImpl log_api_;
  common::DataSubjectServiceImpl subject_api_;
  common::ServiceServer server_;
};

}  // namespace cak::dispatch
