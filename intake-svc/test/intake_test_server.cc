// Test server assembly (see intake_test_server.h).
#include "intake-svc/test/intake_test_server.h"

#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "intake-svc/src/storage/schema.h"

namespace cak::intake::testing {

absl::StatusOr<std::unique_ptr<IntakeTestServer>> IntakeTestServer::Start(TestServerOptions options) {
  std::unique_ptr<IntakeTestServer> t(new IntakeTestServer());
  auto schema = common::testing::TestSchema::Create("intake", storage::IntakeMigrationSets());
  if (!schema.ok()) return schema.status();
  t->schema_ = *std::move(schema);

  common::db::PoolOptions pool_options;
  pool_options.conninfo = common::testing::TestDsn();
  pool_options.size = 8;
  pool_options.acquire_timeout = absl::Seconds(2);
  pool_options.connect_timeout = absl::Seconds(1);
  if (options.via_proxy) {
    std::string host;
    int port = 0;
    if (!common::testing::HostPortFromDsn(pool_options.conninfo, &host, &port)) {
      return absl::InternalError("CAK_TEST_PG_DSN needs host= and port= for the proxy");
    }
    t->proxy_ = std::make_unique<common::testing::TcpProxy>(host, port);
    if (absl::Status st = t->proxy_->Start(); !st.ok()) return st;
    pool_options.conninfo =
        std::regex_replace(pool_options.conninfo, std::regex("port=[0-9]+"), absl::StrCat("port=", t->proxy_->port()));
  }
  auto pool = common::db::PgPool::Create(pool_options);
  if (!pool.ok()) return pool.status();
  t->pool_ = *std::move(pool);

  common::AuthOptions auth;
  auth.mode = "development";
  auth.service_identities = {{"campaign-svc.voorlichting.svc", {"campaign_service"}}};
  auto authenticator = common::Authenticator::Create(auth, &t->auth_clock_);
  if (!authenticator.ok()) return authenticator.status();
  t->auth_ = *std::move(authenticator);

  IntakeServerOptions o;
  o.pool = t->pool_.get();
  o.schema = t->schema_->name();
  o.clock = &t->clock_;
  o.auth = t->auth_.get();
  o.metrics = &t->metrics_;
  o.hasher = *common::DataSubjectHasher::Create("test-hash-key-of-at-least-32-bytes!!");
  o.settings.watch_tick = absl::Milliseconds(50);
  o.settings.watch_resync = absl::Milliseconds(500);
  o.server.host = "127.0.0.1";
  o.server.grpc_port = 0;
  o.server.health_port = 0;
  o.server.shutdown_grace = options.shutdown_grace;
  o.health_interval = options.health_interval;
  if (options.tls) {
    const std::string dir = CAK_TEST_CERTS_DIR;
    o.server.tls = common::TlsFiles{dir + "/server.pem", dir + "/server.key", dir + "/ca.pem"};
  }
  if (absl::Status st = t->metrics_.Serve("127.0.0.1", 0); !st.ok()) return st;
  t->server_ = std::make_unique<IntakeServer>(std::move(o));
  if (absl::Status st = t->server_->Start(); !st.ok()) return st;

  auto channel = options.tls ? t->TlsChannel("") : common::testing::LocalChannel(t->server_->grpc_port());
  t->stub_ = pb::IntakeService::NewStub(channel);
  t->log_stub_ = cak::voorlichting::processinglog::v1::ProcessingLogService::NewStub(channel);
  t->health_stub_ = grpc::health::v1::Health::NewStub(common::testing::LocalChannel(t->server_->health_port()));
  // Ready once the first health probe has passed.
  // (Generous: a loaded CI machine may be slow to run the first probe.)
  for (int i = 0; i < 500 && t->Health() != grpc::health::v1::HealthCheckResponse::SERVING; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return t;
}

IntakeTestServer::~IntakeTestServer() {
  if (server_) server_->Shutdown();
  server_.reset();
}

std::shared_ptr<grpc::Channel> IntakeTestServer::TlsChannel(const std::string& client) const {
  auto read = [](const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  };
  const std::string dir = CAK_TEST_CERTS_DIR;
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = read(dir + "/ca.pem");
  if (!client.empty()) {
    ssl.pem_private_key = read(dir + "/" + client + ".key");
    ssl.pem_cert_chain = read(dir + "/" + client + ".pem");
  }
  return grpc::CreateChannel(absl::StrCat("localhost:", server_->grpc_port()), grpc::SslCredentials(ssl));
}

int64_t IntakeTestServer::Count(const std::string& table) {
  auto n = schema_->Query("SELECT count(*) FROM " + schema_->name() + "." + table);
  int64_t out = -1;
  if (n.ok()) (void)absl::SimpleAtoi(*n, &out);
  return out;
}

grpc::health::v1::HealthCheckResponse::ServingStatus IntakeTestServer::Health(const std::string& service) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
  grpc::health::v1::HealthCheckRequest req;
  req.set_service(service);
  grpc::health::v1::HealthCheckResponse resp;
  grpc::Status st = health_stub_->Check(&ctx, req, &resp);
  return st.ok() ? resp.status() : grpc::health::v1::HealthCheckResponse::UNKNOWN;
}

}  // namespace cak::intake::testing
