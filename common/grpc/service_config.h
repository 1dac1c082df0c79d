// The configuration every service shares (server, database, authentication, privacy, logging,
// run modes), declared once so that flags, environment variables and their validation are the
// same in all four services; and the start-up steps built from it.
//
// Run modes: serving (default), --migrate-only (apply migrations as the schema owner and exit:
// the Kubernetes migration Job), --purge [--dry-run] (retention purge once and exit: the
// CronJob). Each mode requires only what it uses, e.g. the migration Job needs no JWT key.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/base/config.h"
#include "common/base/data_subject_hasher.h"
#include "common/base/log.h"
#include "common/base/processing_log.h"
#include "common/db/migrations.h"
#include "common/db/pool.h"
#include "common/grpc/auth.h"
#include "common/grpc/metrics.h"
#include "common/grpc/peer_channel.h"
#include "common/grpc/server.h"

namespace cak::common {

struct ServiceConfig {
  // Server.
  std::string listen_host;
  int grpc_port = 0;
  int health_port = 0;
  int metrics_port = 0;
  int64_t max_message_bytes = 0;
  absl::Duration shutdown_grace;
  absl::Duration max_connection_age, max_connection_age_grace;
  std::string tls_cert_file, tls_key_file, tls_client_ca_file;
  // Database.
  std::string db_dsn;
  std::string db_password_file;
  std::string db_schema;
  std::string db_app_role;
  int64_t db_pool_size = 0;
  absl::Duration db_acquire_timeout, db_statement_timeout, db_startup_timeout;
  // Authentication.
  std::string auth_mode;
  std::string jwt_public_key_file, jwt_jwks_file, jwt_algorithm, jwt_issuer, jwt_audience;
  std::string service_identities;
  // Privacy.
  std::string hash_key_file;
  absl::Duration processing_log_retention;
  // Export of the processing log to the organisation's Logboek Dataverwerkingen (off when the
  // address is empty).
  std::string logbook_address;
  std::string logbook_ca_file, logbook_cert_file, logbook_key_file, logbook_token_file;
  // Logging.
  std::string log_level;
  // Modes.
  bool migrate_only = false;
  bool purge = false;
  bool dry_run = false;

  enum class Mode { kServe, kMigrate, kPurge };
  Mode mode() const { return migrate_only ? Mode::kMigrate : purge ? Mode::kPurge : Mode::kServe; }
};

// Declares the shared options. `default_schema` is the service's schema ("intake").
void AddServiceOptions(ConfigParser& parser, ServiceConfig* config, const std::string& default_schema);

// Cross-option rules for the chosen mode (e.g. jwt mode needs a key file; TLS files come
// together). INVALID_ARGUMENT listing every problem.
absl::Status ValidateServiceConfig(const ServiceConfig& config);

// Parses argv and the environment into `parser`'s targets; prints usage or the problems and
// exits (0 for --help, 2 for bad configuration) instead of returning when it must.
void ParseOrExit(ConfigParser& parser, int argc, char** argv, const std::function<absl::Status()>& validate);

absl::StatusOr<db::PoolOptions> PoolOptionsFrom(const ServiceConfig& config, const std::string& application_name);
absl::StatusOr<AuthOptions> AuthOptionsFrom(const ServiceConfig& config);

// The server's authenticator (serve mode; null in the batch modes, which take no calls), with a
// warning in the log when development mode is on. `clock` is not owned.
absl::StatusOr<std::unique_ptr<Authenticator>> AuthenticatorFrom(const ServiceConfig& config, const Clock* clock);
ServerOptions ServerOptionsFrom(const ServiceConfig& config);
absl::StatusOr<DataSubjectHasher> HasherFrom(const ServiceConfig& config);
// The call context of a batch job (the retention purge): a new trace, the job as an
// application with the administrator role, started now. Its entries in the processing log name
// "<service>/retention-job" as the actor.
CallContext BatchJobCall(const std::string& service, const Clock& clock);

// Another service of the suite this one calls: its address and how to reach it.
struct PeerConfig {
  std::string address, ca_file, token_file;
  // The peer's services this one calls (full names), whose idempotent methods are retried
  // (PeerOptions::retry_services).
  std::vector<std::string> services;
};
// Declares --<name>-address, --<name>-ca-file and --<name>-token-file ("dispatch": dispatch-svc).
// `purpose` (may be empty) ends the address's description: what the peer is called for.
void AddPeerOptions(ConfigParser& parser, const std::string& name, PeerConfig* peer, const std::string& purpose = "");
// The channel to `peer`, presenting this service's TLS certificate (config.tls_cert_file /
// tls_key_file) as its client identity when the peer's CA is given.
absl::StatusOr<std::unique_ptr<PeerChannel>> PeerChannelFrom(const ServiceConfig& config, const PeerConfig& peer);

// A hasher under a key derived from the same secret for another purpose (e.g. pseudonyms
// shown to analysts), so its output cannot be matched with the processing log's subject ids.
absl::StatusOr<DataSubjectHasher> DerivedHasherFrom(const ServiceConfig& config, absl::string_view purpose);

// --migrate-only: connects with the configured (owner) credentials and applies `sets`.
absl::Status RunMigrations(const ServiceConfig& config, const std::vector<db::MigrationSet>& sets,
                           const std::string& application_name);

// Start-up: waits (with back-off) until the database answers, at most `timeout`, then checks
// that the schema is exactly at this binary's migration versions.
absl::Status WaitForDatabase(db::PgPool& pool, absl::Duration timeout, const std::string& schema,
                             const std::vector<db::MigrationSet>& sets);

// The database side of start-up in serve and purge modes: the pool (named
// `application_name`), then WaitForDatabase. INVALID_ARGUMENT for bad pool options; what
// WaitForDatabase returns otherwise.
absl::StatusOr<std::unique_ptr<db::PgPool>> OpenDatabase(const ServiceConfig& config,
                                                         const std::string& application_name,
                                                         const std::vector<db::MigrationSet>& sets);

// Serve mode's end: blocks SIGTERM/SIGINT before the first server thread exists (so only
// WaitForTerminationSignal receives them), serves /metrics, starts `server` (anything with
// Start(), Shutdown(), grpc_port() and health_port()), logs "ready" with the ports, and on the
// signal drains it. Returns the process's exit code.
template <typename Server>
int ServeUntilSignal(const ServiceConfig& config, ServerMetrics& metrics, Server& server) {
  BlockTerminationSignals();
  if (absl::Status st = metrics.Serve(config.listen_host, config.metrics_port); !st.ok()) {
    log::Error("metrics_failed", {{"error", st}});
    return 1;
  }
  if (absl::Status st = server.Start(); !st.ok()) {
    log::Error("start_failed", {{"error", st}});
    return 1;
  }
  log::Info(
      "ready",
      {{"grpc_port", server.grpc_port()}, {"health_port", server.health_port()}, {"metrics_port", metrics.port()}});
  const int sig = WaitForTerminationSignal();
  log::Info("signal_received", {{"signal", sig}});
  server.Shutdown();
  return 0;
}

}  // namespace cak::common
