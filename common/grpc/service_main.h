// The process skeleton the four services share, so that their main.cc hold only what differs:
// their own options, how their server is assembled and what their purge removes.
//
// RunService: configuration (the shared options, the service's own, one validation), the log
// level, then by mode
// - --migrate-only: the service's migrations as the schema owner, exit;
// - --purge [--dry-run]: the database, the service's purge of personal data (it logs what it
//   removed), then the processing log's retention (a dry run counts what it would remove), exit;
// - serving: the database, the authenticator and metrics, the service's server, the export to
//   the organisation's logbook, serve until SIGTERM/SIGINT, drain.
// A failure is one JSON log line (config_failed, database_not_ready, migrate_failed,
// purge_failed, ...) and exit code 1.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/base/clock.h"
#include "common/base/config.h"
#include "common/base/data_subject_hasher.h"
#include "common/base/processing_log.h"
#include "common/db/migrations.h"
#include "common/db/pool.h"
#include "common/grpc/auth.h"
#include "common/grpc/metrics.h"
#include "common/grpc/server.h"
#include "common/grpc/service_config.h"

namespace cak::common {

// Who the service is.
struct ServiceDescription {
  std::string name;            // "intake-svc": the log's service, the database application name
  std::string summary;         // one line for --help
  std::string default_schema;  // "intake"
  std::string api_service;     // full name of its main gRPC service, for the metrics
  std::vector<db::MigrationSet> migrations;
  bool time_zone = false;  // --time-zone (Europe/Amsterdam): the zone that decides what "today" is
};

// What the skeleton opened for the service (serving and purge modes).
struct ServiceContext {
  const ServiceConfig* config = nullptr;
  db::PgPool* pool = nullptr;
  const Clock* clock = nullptr;
  std::optional<DataSubjectHasher> hasher;  // the deployment's secret; always set
  absl::TimeZone zone;                      // with ServiceDescription::time_zone
  std::string zone_name;                    // its name
  Authenticator* auth = nullptr;            // serving only
  ServerMetrics* metrics = nullptr;
  ServerOptions server;
};

// Fills what every service's server options have in common (pool, schema, clock,
// authenticator, metrics, the deployment's hasher, server options) from the context.
template <typename ServerOptionsT>
void FillCommonServerOptions(const ServiceContext& ctx, ServerOptionsT& options) {
  options.pool = ctx.pool;
  options.schema = ctx.config->db_schema;
  options.clock = ctx.clock;
  options.auth = ctx.auth;
  options.metrics = ctx.metrics;
  options.hasher = ctx.hasher;
  options.server = ctx.server;
}

// A service being served: its server and what the server uses (peer channels, clients).
class ServiceProcess {
 public:
  virtual ~ServiceProcess() = default;
  virtual absl::Status Start() = 0;
  virtual void Shutdown() = 0;
  virtual int grpc_port() const = 0;
  virtual int health_port() const = 0;
};

// A ServiceProcess of a server type S (anything with Start, Shutdown, grpc_port and
// health_port): Keep() the parts the server uses, then Serve() the server, made last.
template <typename S>
class ServerProcess final : public ServiceProcess {
 public:
  ~ServerProcess() override {
    server_.reset();  // before the parts it uses, newest part first
    while (!parts_.empty()) parts_.pop_back();
  }
  template <typename T>
  T* Keep(std::unique_ptr<T> part) {
    T* raw = part.get();
    parts_.push_back(std::shared_ptr<void>(std::move(part)));
    return raw;
  }
  void Serve(std::unique_ptr<S> server) { server_ = std::move(server); }

  absl::Status Start() override { return server_->Start(); }
  void Shutdown() override { server_->Shutdown(); }
  int grpc_port() const override { return server_->grpc_port(); }
  int health_port() const override { return server_->health_port(); }

 private:
  std::vector<std::shared_ptr<void>> parts_;
  std::unique_ptr<S> server_;
};

// What differs per service.
struct ServiceHooks {
  // The service's own options, added after the shared ones.
  std::function<void(ConfigParser&)> add_options = [](ConfigParser&) {};
  // Checks the service's own options for the mode (the shared ones are checked already).
  std::function<absl::Status(ServiceConfig::Mode)> validate = [](ServiceConfig::Mode) { return absl::OkStatus(); };
  // Serving: the server and its parts.
  std::function<absl::StatusOr<std::unique_ptr<ServiceProcess>>(const ServiceContext&)> serve;
  // --purge: the service's purge of personal data under `call` (a dry run when
  // config->dry_run), logging what it removed; empty when the service holds none.
  std::function<absl::Status(const ServiceContext&, const CallContext& call)> purge;
};

// Runs the service process; returns its exit code. `config` receives the shared options.
int RunService(int argc, char** argv, const ServiceDescription& service, ServiceConfig& config,
               const ServiceHooks& hooks);

}  // namespace cak::common
