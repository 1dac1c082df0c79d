// The assembled intake-svc: repository -> domain service -> gRPC handlers -> server, plus the
// processing-log read API, the database health probe and the LISTEN connection that wakes
// watchers. main() builds it from configuration; the API tests build it on port 0 against a
// test schema with a fake clock.
#pragma once

#include <memory>
#include <string>

#include "common/base/change_notifier.h"
#include "common/base/clock.h"
#include "common/db/pg_listener.h"
#include "common/db/pool.h"
#include "common/db/processing_log_store.h"
#include "common/grpc/auth.h"
#include "common/grpc/data_subject_service.h"
#include "common/grpc/metrics.h"
#include "common/grpc/processing_log_service.h"
#include "common/grpc/rpc.h"
#include "common/grpc/server.h"
#include "intake-svc/src/api/intake_api.h"
#include "intake-svc/src/domain/signal_service.h"
#include "intake-svc/src/storage/pg_signal_repository.h"

namespace cak::intake {

struct IntakeServerOptions {
  common::db::PgPool* pool = nullptr;  // not owned
  std::string schema = "intake";
  const common::Clock* clock = nullptr;             // not owned
  const common::Authenticator* auth = nullptr;      // not owned
  common::ServerMetrics* metrics = nullptr;         // not owned; may be null
  std::optional<common::DataSubjectHasher> hasher;  // required
  domain::IntakeSettings settings;
  storage::PgSignalRepository::BatchOptions batching;
  common::ServerOptions server;
  absl::Duration health_interval = absl::Seconds(1);
};

class IntakeServer {
 public:
  explicit IntakeServer(IntakeServerOptions options);
  ~IntakeServer();

  // Starts the notification listener, the gRPC servers and the health monitor.
  absl::Status Start();
  // Graceful shutdown (see common::ServiceServer::Shutdown); ends watch streams first.
  void Shutdown();
  void Wait();

  int grpc_port() const { return server_.grpc_port(); }
  int health_port() const { return server_.health_port(); }
  domain::SignalService& service() { return service_; }
  const common::db::ProcessingLogStore& log_store() const { return log_store_; }

 private:
  IntakeServerOptions options_;
  common::ChangeNotifier notifier_;
  common::db::ProcessingLogStore log_store_;
  storage::PgSignalRepository repository_;
  domain::SignalService service_;
  common::RpcEnvironment env_;
  api::IntakeApi api_;
  common::ProcessingLogServiceImpl log_api_;
  common::DataSubjectServiceImpl subject_api_;
  common::db::PgListener listener_;
  common::ServiceServer server_;
};

}  // namespace cak::intake
