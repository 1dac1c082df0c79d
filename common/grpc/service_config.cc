// Shared service configuration and start-up steps (see service_config.h).
#include "common/grpc/service_config.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/base/errors.h"
#include "common/base/log.h"
#include "common/base/sha256.h"

namespace cak::common {

void AddServiceOptions(ConfigParser& p, ServiceConfig* c, const std::string& default_schema) {
  p.String("listen-host", &c->listen_host, "0.0.0.0", "address the servers listen on");
  p.Port("grpc-port", &c->grpc_port, 50051, "gRPC API port");
  p.Port("health-port", &c->health_port, 8081, "plaintext port serving only grpc.health.v1 (kubelet probes)");
  p.Port("metrics-port", &c->metrics_port, 9464, "Prometheus /metrics port");
  p.Int("max-message-bytes", &c->max_message_bytes, 4 << 20, 1024, 64 << 20, "largest gRPC message accepted or sent");
  p.Duration("shutdown-grace", &c->shutdown_grace, absl::Seconds(20), absl::ZeroDuration(), absl::Minutes(10),
             "how long running calls may finish after SIGTERM");
  p.Duration("max-connection-age", &c->max_connection_age, absl::Minutes(5), absl::Seconds(10), absl::Hours(24),
             "a client connection is closed (GOAWAY) after this long, so that clients behind a ClusterIP Service "
             "reconnect and load spreads over new replicas");
  p.Duration("max-connection-age-grace", &c->max_connection_age_grace, absl::Minutes(5), absl::ZeroDuration(),
             absl::Hours(2), "how long calls on such a connection may still run (long streams need more)");
  p.String("tls-cert-file", &c->tls_cert_file, "", "server certificate (PEM); enables TLS");
  p.String("tls-key-file", &c->tls_key_file, "", "server private key (PEM)");
  p.String("tls-client-ca-file", &c->tls_client_ca_file, "", "CA for client certificates (mTLS between services)");

  p.String("db-dsn", &c->db_dsn, "", "libpq connection string without the password");
  p.String("db-password-file", &c->db_password_file, "", "file holding the database password");
  p.String("db-schema", &c->db_schema, default_schema, "the service's own schema");
  p.String("db-app-role", &c->db_app_role, "", "--migrate-only: the runtime role to grant access to");
  p.Int("db-pool-size", &c->db_pool_size, 16, 1, 512, "database connections in the pool");
  p.Duration("db-acquire-timeout", &c->db_acquire_timeout, absl::Seconds(2), absl::Milliseconds(1), absl::Minutes(1),
             "longest wait for a free connection before RESOURCE_EXHAUSTED");
  p.Duration("db-statement-timeout", &c->db_statement_timeout, absl::Seconds(30), absl::Milliseconds(1), absl::Hours(1),
             "server-side statement timeout");
  p.Duration("db-startup-timeout", &c->db_startup_timeout, absl::Seconds(60), absl::ZeroDuration(), absl::Hours(1),
             "how long start-up waits for the database");

  p.Choice("auth-mode", &c->auth_mode, "jwt", {"jwt", "development"},
           "jwt: bearer tokens signed by --jwt-public-key-file or a key of --jwt-jwks-file; development: the "
           "repository's test key");
  p.String("jwt-public-key-file", &c->jwt_public_key_file, "", "PEM public key that signs employee tokens");
  p.String("jwt-jwks-file", &c->jwt_jwks_file, "",
           "instead of --jwt-public-key-file: a JSON Web Key Set; the token's kid picks the key, each key names its "
           "kid and alg (two keys during a rotation)");
  p.String("jwt-algorithm", &c->jwt_algorithm, "",
           "with --jwt-public-key-file: the one signature algorithm accepted (RS256, RS384, RS512 for an RSA key; "
           "ES256 for EC); empty: RS256 for RSA, ES256 for EC");
  p.String("jwt-issuer", &c->jwt_issuer, "", "required iss claim");
  p.String("jwt-audience", &c->jwt_audience, "", "required aud claim");
  p.String("service-identities", &c->service_identities, "",
           "mTLS identities and their roles: identity=role+role,identity2=role");

  p.String("hash-key-file", &c->hash_key_file, "",
           "secret key (>= 32 bytes) for data-subject ids in the processing log");
  p.Duration("processing-log-retention", &c->processing_log_retention, absl::Hours(24 * 365 * 5), absl::Hours(24 * 366),
             absl::Hours(24 * 365 * 100),
             "how long processing-log entries are kept (--purge removes older ones; the database never deletes "
             "entries younger than one year)");
  p.String("logbook-address", &c->logbook_address, "",
           "host:port of the Logboek Dataverwerkingen (logboek.v1.LogboekService) the processing log is exported "
           "to; empty: no export");
  p.String("logbook-ca-file", &c->logbook_ca_file, "", "CA (PEM) that signs the logbook's certificate; enables TLS");
  p.String("logbook-cert-file", &c->logbook_cert_file, "", "client certificate (PEM) presented to the logbook");
  p.String("logbook-key-file", &c->logbook_key_file, "", "the client certificate's private key (PEM)");
  p.String("logbook-token-file", &c->logbook_token_file, "",
           "file holding a bearer token for the logbook (re-read when it changes)");
  p.Choice("log-level", &c->log_level, "info", {"debug", "info", "warning", "error"}, "lowest level logged");

  p.Bool("migrate-only", &c->migrate_only, false, "apply the database migrations and exit");
  p.Bool("purge", &c->purge, false, "run the retention purge once and exit");
  p.Bool("dry-run", &c->dry_run, false, "with --purge: report what would be purged, remove nothing");
}

absl::Status ValidateServiceConfig(const ServiceConfig& c) {
  std::vector<std::string> problems;
  if (c.db_dsn.empty()) problems.push_back("--db-dsn (CAK_DB_DSN) is required");
  if (c.migrate_only && c.purge) problems.push_back("--migrate-only and --purge exclude each other");
  if (c.dry_run && !c.purge) problems.push_back("--dry-run needs --purge");
  if (c.mode() == ServiceConfig::Mode::kMigrate && c.db_app_role.empty()) {
    problems.push_back("--migrate-only needs --db-app-role (the runtime role, not the schema owner)");
  }
  if (c.mode() != ServiceConfig::Mode::kMigrate && c.hash_key_file.empty()) {
    problems.push_back("--hash-key-file (CAK_HASH_KEY_FILE) is required");
  }
  if (c.mode() == ServiceConfig::Mode::kServe) {
    if (c.auth_mode == "jwt") {
      if (c.jwt_public_key_file.empty() == c.jwt_jwks_file.empty()) {
        problems.push_back("--auth-mode=jwt needs one of --jwt-public-key-file and --jwt-jwks-file");
      }
      if (!c.jwt_jwks_file.empty() && !c.jwt_algorithm.empty()) {
        problems.push_back("--jwt-algorithm goes with --jwt-public-key-file (a JWKS key names its alg)");
      }
      if (c.jwt_issuer.empty()) problems.push_back("--auth-mode=jwt needs --jwt-issuer");
      if (c.jwt_audience.empty()) problems.push_back("--auth-mode=jwt needs --jwt-audience");
    }
    if (c.tls_cert_file.empty() != c.tls_key_file.empty()) {
      problems.push_back("--tls-cert-file and --tls-key-file go together");
    }
    if (!c.tls_client_ca_file.empty() && c.tls_cert_file.empty()) {
      problems.push_back("--tls-client-ca-file needs --tls-cert-file");
    }
    if (!c.service_identities.empty()) {
      if (auto ids = ParseServiceIdentities(c.service_identities); !ids.ok()) {
        problems.push_back(absl::StrCat("--service-identities: ", ids.status().message()));
      }
    }
    if (c.logbook_cert_file.empty() != c.logbook_key_file.empty()) {
      problems.push_back("--logbook-cert-file and --logbook-key-file go together");
    }
    if (!c.logbook_cert_file.empty() && c.logbook_ca_file.empty()) {
      problems.push_back("--logbook-cert-file needs --logbook-ca-file (a client certificate only goes over TLS)");
    }
    if (c.grpc_port != 0 && (c.grpc_port == c.health_port || c.grpc_port == c.metrics_port)) {
      problems.push_back("--grpc-port must differ from --health-port and --metrics-port");
    }
  }
  if (problems.empty()) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrJoin(problems, "\n"));
}

void ParseOrExit(ConfigParser& parser, int argc, char** argv, const std::function<absl::Status()>& validate) {
  std::vector<std::string> args(argv + 1, argv + argc);
  absl::Status st = parser.Parse(args, ProcessEnv());
  if (parser.help_requested()) {
    std::fputs(parser.Usage().c_str(), stdout);
    std::exit(0);
  }
  if (st.ok()) st = validate();
  if (!st.ok()) {
    std::fprintf(stderr, "configuration error:\n%s\n(run with --help for all options)\n",
                 std::string(st.message()).c_str());
    std::exit(2);
  }
}

absl::StatusOr<db::PoolOptions> PoolOptionsFrom(const ServiceConfig& c, const std::string& application_name) {
  db::PoolOptions o;
  o.conninfo = c.db_dsn;
  if (!c.db_password_file.empty()) {
    auto password = ReadSecretFile("--db-password-file", c.db_password_file);
    if (!password.ok()) return password.status();
    o.conninfo = absl::StrCat(c.db_dsn, " password=", db::QuoteConninfoValue(*password));
  }
  o.size = static_cast<int>(c.db_pool_size);
  o.acquire_timeout = c.db_acquire_timeout;
  o.statement_timeout = c.db_statement_timeout;
  o.application_name = application_name;
  return o;
}

absl::StatusOr<AuthOptions> AuthOptionsFrom(const ServiceConfig& c) {
  AuthOptions o;
  o.mode = c.auth_mode;
  o.issuer = c.jwt_issuer;
  o.audience = c.jwt_audience;
  o.jwt_algorithm = c.jwt_algorithm;
  if (c.auth_mode == "jwt" && !c.jwt_public_key_file.empty()) {
    auto key = ReadSecretFile("--jwt-public-key-file", c.jwt_public_key_file);
    if (!key.ok()) return key.status();
    o.jwt_public_key_pem = *key + "\n";
  }
  if (c.auth_mode == "jwt" && !c.jwt_jwks_file.empty()) {
    auto jwks = ReadSecretFile("--jwt-jwks-file", c.jwt_jwks_file);
    if (!jwks.ok()) return jwks.status();
    o.jwt_jwks = *std::move(jwks);
  }
  auto ids = ParseServiceIdentities(c.service_identities);
  if (!ids.ok()) return ids.status();
  o.service_identities = *std::move(ids);
  return o;
}

ServerOptions ServerOptionsFrom(const ServiceConfig& c) {
  ServerOptions o;
  o.host = c.listen_host;
  o.grpc_port = c.grpc_port;
  o.health_port = c.health_port;
  o.max_message_bytes = static_cast<int>(c.max_message_bytes);
  o.shutdown_grace = c.shutdown_grace;
  o.max_connection_age = c.max_connection_age;
  o.max_connection_age_grace = c.max_connection_age_grace;
  o.tls = TlsFiles{c.tls_cert_file, c.tls_key_file, c.tls_client_ca_file};
  return o;
}

absl::StatusOr<DataSubjectHasher> HasherFrom(const ServiceConfig& c) {
  auto key = ReadSecretFile("--hash-key-file", c.hash_key_file);
  if (!key.ok()) return key.status();
  return DataSubjectHasher::Create(*std::move(key));
}

absl::StatusOr<std::unique_ptr<Authenticator>> AuthenticatorFrom(const ServiceConfig& c, const Clock* clock) {
  if (c.mode() != ServiceConfig::Mode::kServe) return std::unique_ptr<Authenticator>();
  auto options = AuthOptionsFrom(c);
  if (!options.ok()) return options.status();
  auto created = Authenticator::Create(*options, clock);
  if (!created.ok()) return created.status();
  if (c.auth_mode == "development") {
    log::Warning("auth_development_mode", {{"note", "tokens signed with the repository's test key are accepted"}});
  }
  return created;
}

absl::StatusOr<std::unique_ptr<db::PgPool>> OpenDatabase(const ServiceConfig& config,
                                                         const std::string& application_name,
                                                         const std::vector<db::MigrationSet>& sets) {
  auto options = PoolOptionsFrom(config, application_name);
  if (!options.ok()) return options.status();
  auto pool = db::PgPool::Create(*options);
  if (!pool.ok()) return pool.status();
  CAK_RETURN_IF_ERROR(WaitForDatabase(**pool, config.db_startup_timeout, config.db_schema, sets));
  return pool;
}

void AddPeerOptions(ConfigParser& parser, const std::string& name, PeerConfig* peer, const std::string& purpose) {
  parser.String(name + "-address", &peer->address, "",
                name + "-svc's gRPC address (host:port)" + (purpose.empty() ? "" : " " + purpose));
  parser.String(name + "-ca-file", &peer->ca_file, "",
                "CA that signs " + name +
                    "-svc's certificate; enables TLS to it, with --tls-cert-file/--tls-key-file as this service's "
                    "client identity");
  parser.String(name + "-token-file", &peer->token_file, "",
                "bearer token for " + name + "-svc (re-read when the file changes), instead of or besides mTLS");
}

absl::StatusOr<std::unique_ptr<PeerChannel>> PeerChannelFrom(const ServiceConfig& config, const PeerConfig& peer) {
  PeerOptions options;
  options.address = peer.address;
  options.ca_file = peer.ca_file;
  options.cert_file = config.tls_cert_file;
  options.key_file = config.tls_key_file;
  options.token_file = peer.token_file;
  options.max_message_bytes = static_cast<int>(config.max_message_bytes);
  options.retry_services = peer.services;
  return PeerChannel::Create(options);
}

CallContext BatchJobCall(const std::string& service, const Clock& clock) {
  CallContext call;
  call.trace = TraceContext::NewRoot();
  call.principal = {service + "/retention-job", PrincipalKind::kApplication, {roles::kAdministrator}};
  call.start_time = clock.Now();
  return call;
}

absl::StatusOr<DataSubjectHasher> DerivedHasherFrom(const ServiceConfig& c, absl::string_view purpose) {
  auto key = ReadSecretFile("--hash-key-file", c.hash_key_file);
  if (!key.ok()) return key.status();
  // One secret, independent keys per purpose: SHA-256 over the key and the purpose's name.
  return DataSubjectHasher::Create(Sha256Hex(absl::StrCat(*key, "\n", purpose)));
}

absl::Status RunMigrations(const ServiceConfig& c, const std::vector<db::MigrationSet>& sets,
                           const std::string& application_name) {
  auto options = PoolOptionsFrom(c, application_name);
  if (!options.ok()) return options.status();
  options->size = 1;
  options->acquire_timeout = absl::Minutes(1);
  options->statement_timeout = absl::ZeroDuration();  // an index build may take long
  auto pool = db::PgPool::Create(*options);
  if (!pool.ok()) return pool.status();
  absl::Status st = WaitForDatabase(**pool, c.db_startup_timeout, c.db_schema, {});
  if (!st.ok()) return st;
  auto lease = (*pool)->Acquire();
  if (!lease.ok()) return lease.status();
  return db::ApplyMigrations(lease->sql(), db::MigrationTarget{c.db_schema, c.db_app_role}, sets);
}

absl::Status WaitForDatabase(db::PgPool& pool, absl::Duration timeout, const std::string& schema,
                             const std::vector<db::MigrationSet>& sets) {
  const absl::Time give_up = absl::Now() + timeout;
  absl::Duration backoff = absl::Milliseconds(200);
  while (true) {
    absl::Status st = pool.Ping();
    if (st.ok()) break;
    if (absl::Now() + backoff > give_up) {
      return absl::UnavailableError(
          absl::StrCat("the database did not answer within ", absl::FormatDuration(timeout), ": ", st.message()));
    }
    log::Warning("db_waiting", {{"why", st}});
    std::this_thread::sleep_for(absl::ToChronoNanoseconds(backoff));
    backoff = std::min(backoff * 2, absl::Seconds(5));
  }
  if (sets.empty()) return absl::OkStatus();
  auto lease = pool.Acquire();
  if (!lease.ok()) return lease.status();
  return db::CheckSchema(lease->sql(), schema, sets);
}

}  // namespace cak::common
