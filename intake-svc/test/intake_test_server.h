// An intake-svc for API tests: a fresh schema, the real server on port 0 (health port 0),
// development authentication, a fake clock for the domain, and optionally a TCP proxy in
// front of PostgreSQL so a test can take the database away from this server only.
#pragma once

#include <memory>

#include "cak/voorlichting/intake/v1/intake_service.grpc.pb.h"
#include "cak/voorlichting/processinglog/v1/processing_log_service.grpc.pb.h"
#include "common/testing/fake_clock.h"
#include "common/testing/grpc_test_support.h"
#include "common/testing/pg_test_env.h"
#include "common/testing/tcp_proxy.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "intake-svc/src/server/intake_server.h"

namespace cak::intake::testing {

namespace pb = cak::voorlichting::intake::v1;

struct TestServerOptions {
  bool via_proxy = false;
  // Serve TLS with the test PKI (common/testing/certs), verifying client certificates; the
  // identity campaign-svc.voorlichting.svc has the campaign_service role.
  bool tls = false;
  absl::Duration health_interval = absl::Milliseconds(100);
  absl::Duration shutdown_grace = absl::Seconds(5);
};

class IntakeTestServer {
 public:
  static absl::StatusOr<std::unique_ptr<IntakeTestServer>> Start(TestServerOptions options = {});
  ~IntakeTestServer();

  pb::IntakeService::Stub& stub() { return *stub_; }
  cak::voorlichting::processinglog::v1::ProcessingLogService::Stub& log_stub() { return *log_stub_; }
  grpc::health::v1::Health::Stub& health_stub() { return *health_stub_; }
  int port() const { return server_->grpc_port(); }
  // With tls: a channel to the API presenting `client` ("campaign-svc", "stranger") as client
  // certificate, or none when empty.
  std::shared_ptr<grpc::Channel> TlsChannel(const std::string& client) const;
  common::testing::FakeClock& clock() { return clock_; }
  common::testing::TestSchema& schema() { return *schema_; }
  common::testing::TcpProxy* proxy() { return proxy_.get(); }
  IntakeServer& server() { return *server_; }
  common::ServerMetrics& metrics() { return metrics_; }

  // Rows in one of this server's tables.
  int64_t Count(const std::string& table);

  // Asks the health service (on the health port) for `service`'s status.
  grpc::health::v1::HealthCheckResponse::ServingStatus Health(const std::string& service = "");

 private:
  IntakeTestServer() = default;
  common::testing::FakeClock clock_;
  common::SystemClock auth_clock_;
  common::ServerMetrics metrics_{"cak.voorlichting.intake.v1.IntakeService"};
  std::unique_ptr<common::testing::TestSchema> schema_;
  std::unique_ptr<common::testing::TcpProxy> proxy_;
  std::unique_ptr<common::db::PgPool> pool_;
  std::unique_ptr<common::Authenticator> auth_;
  std::unique_ptr<IntakeServer> server_;
  std::unique_ptr<pb::IntakeService::Stub> stub_;
  std::unique_ptr<cak::voorlichting::processinglog::v1::ProcessingLogService::Stub> log_stub_;
  std::unique_ptr<grpc::health::v1::Health::Stub> health_stub_;
};

}  // namespace cak::intake::testing
