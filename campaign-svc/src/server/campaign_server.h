// The assembled campaign-svc: repository and peer gateways -> domain service -> gRPC handlers
// (CampaignService, the processing-log read API) -> server, plus the outbox relay that
// delivers releases to dispatch-svc and intake-svc, and the database health probe. main()
// builds it from configuration; API and end-to-end tests build it on port 0 against a test
// schema with fakes or the real peers.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "campaign-svc/src/api/campaign_api.h"
#include "campaign-svc/src/domain/campaign_service.h"
#include "campaign-svc/src/storage/pg_campaign_repository.h"
#include "common/base/clock.h"
#include "common/db/outbox.h"
#include "common/db/pool.h"
#include "common/db/processing_log_store.h"
#include "common/grpc/auth.h"
#include "common/grpc/data_subject_service.h"
#include "common/grpc/metrics.h"
#include "common/grpc/processing_log_service.h"
#include "common/grpc/rpc.h"
#include "common/grpc/server.h"

namespace cak::campaign {

struct CampaignServerOptions {
  common::db::PgPool* pool = nullptr;  // not owned
  std::string schema = "campaign";
  const common::Clock* clock = nullptr;             // not owned
  const common::Authenticator* auth = nullptr;      // not owned
  common::ServerMetrics* metrics = nullptr;         // not owned; may be null
  domain::IntakeGateway* intake = nullptr;          // not owned
  domain::AnalysisGateway* analysis = nullptr;      // not owned
  domain::DispatchGateway* dispatch = nullptr;      // not owned
  std::optional<common::DataSubjectHasher> hasher;  // processing log; required
  domain::CampaignSettings settings;
  int outbox_threads = 1;  // 0: no background relay (tests drive it)
  absl::Duration outbox_poll_interval = absl::Seconds(1);
  absl::Duration outbox_max_backoff = absl::Minutes(5);
  common::ServerOptions server;
  absl::Duration health_interval = absl::Seconds(1);
};

class CampaignServer {
 public:
  explicit CampaignServer(CampaignServerOptions options);
  ~CampaignServer();

  // Starts the gRPC servers, the health monitor and the outbox relay.
  absl::Status Start();
  void Shutdown();

  int grpc_port() const { return server_.grpc_port(); }
  int health_port() const { return server_.health_port(); }
  domain::CampaignService& service() { return service_; }
  common::db::OutboxRelay& relay() { return relay_; }
  const common::db::ProcessingLogStore& log_store() const { return log_store_; }

 private:
  CampaignServerOptions options_;
  common::db::ProcessingLogStore log_store_;
  common::db::OutboxRelay relay_;
  storage::PgCampaignRepository repository_;
  domain::CampaignService service_;
  common::RpcEnvironment env_;
  api::CampaignApi api_;
  common::ProcessingLogServiceImpl log_api_;
  common::DataSubjectServiceImpl subject_api_;
  common::ServiceServer server_;
};

}  // namespace cak::campaign
