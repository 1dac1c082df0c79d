// intake-svc: receives and tracks signals for CAK's information actions (record M7624 steps 1
// and 3). Wiring only: configuration -> pool -> server; see intake-svc/README.md.
#include <cstdio>
#include <cstdlib>

#include "common/base/config.h"
#include "common/base/errors.h"
#include "common/base/log.h"
#include "common/db/migrations.h"
#include "common/grpc/logbook_client.h"
#include "common/grpc/service_config.h"
#include "common/grpc/subject_removal_service.h"
#include "intake-svc/src/server/intake_server.h"
#include "intake-svc/src/storage/schema.h"

namespace {

using cak::common::ServiceConfig;
namespace log = cak::common::log;

struct IntakeConfig {
  ServiceConfig common;
  cak::common::PeerConfig analysis;
  absl::Duration signal_retention;
  absl::Duration duplicate_window;
};

int Fail(const char* what, const absl::Status& st) {
  log::Error(what, {{"error", st}});
  return 1;
}

// --purge: the customers analysis-svc removed (its removal feed), signals past retention, then
// processing-log entries past the log retention.
int RunPurge(const IntakeConfig& cfg, cak::common::db::PgPool& pool, cak::intake::IntakeServer& server,
             const cak::common::DataSubjectHasher& ids) {
  cak::common::SystemClock clock;
  const cak::common::CallContext call = cak::common::BatchJobCall("intake-svc", clock);
  auto analysis = cak::common::PeerChannelFrom(cfg.common, cfg.analysis);
  if (!analysis.ok()) return Fail("config_failed", analysis.status());
  cak::common::SubjectRemovalClient feed(analysis->get(), absl::Minutes(1));
  auto followed = server.service().FollowRemovals(call, feed, ids, cfg.common.dry_run);
  if (!followed.ok()) return Fail("follow_removals_failed", followed.status());
  log::Info("follow_removals_done", {{"dry_run", cfg.common.dry_run},
                                     {"removals", followed->removals},
                                     {"customers_named", followed->subjects},
                                     {"signal_references", followed->records}});
  auto result = server.service().Purge(call, cfg.common.dry_run);
  if (!result.ok()) return Fail("purge_failed", result.status());
  log::Info("purge_signals_done",
            {{"dry_run", cfg.common.dry_run},
             {"signals", result->count},
             {"cutoff", absl::FormatTime(absl::RFC3339_sec, result->cutoff, absl::UTCTimeZone())}});
  if (!cfg.common.dry_run) {
    auto removed = cak::common::db::PurgeProcessingLog(pool, server.log_store(),
                                                       clock.Now() - cfg.common.processing_log_retention);
    if (!removed.ok()) return Fail("purge_processing_log_failed", removed.status());
    log::Info("purge_processing_log_done", {{"entries", *removed}});
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  log::SetService("intake-svc");

  IntakeConfig cfg;
  cak::common::ConfigParser parser("intake-svc", "signals for CAK information actions (M7624 steps 1 and 3)");
  cak::common::AddServiceOptions(parser, &cfg.common, "intake");
  parser.Duration("signal-retention", &cfg.signal_retention, absl::Hours(24 * 730), absl::Hours(24),
                  absl::Hours(24 * 365 * 100), "how long declined or closed signals are kept");
  parser.Duration("duplicate-window", &cfg.duplicate_window, absl::Hours(24 * 30), absl::ZeroDuration(),
                  absl::Hours(24 * 365 * 10), "how far back same regulation + category counts as a duplicate");
  cak::common::AddPeerOptions(parser, "analysis", &cfg.analysis, "(--purge: it follows its removals)");
  cak::common::ParseOrExit(parser, argc, argv, [&]() -> absl::Status {
    CAK_RETURN_IF_ERROR(cak::common::ValidateServiceConfig(cfg.common));
    if (cfg.common.mode() == ServiceConfig::Mode::kPurge && cfg.analysis.address.empty()) {
      return absl::InvalidArgumentError("--analysis-address (CAK_ANALYSIS_ADDRESS) is required with --purge");
    }
    return absl::OkStatus();
  });
  log::Level level;
  if (log::ParseLevel(cfg.common.log_level, &level)) log::SetMinLevel(level);

  if (cfg.common.mode() == ServiceConfig::Mode::kMigrate) {
    absl::Status st =
        cak::common::RunMigrations(cfg.common, cak::intake::storage::IntakeMigrationSets(), "intake-svc-migrate");
    return st.ok() ? 0 : Fail("migrate_failed", st);
  }

  auto hasher = cak::common::HasherFrom(cfg.common);
  if (!hasher.ok()) return Fail("config_failed", hasher.status());
  auto pool = cak::common::OpenDatabase(cfg.common, "intake-svc", cak::intake::storage::IntakeMigrationSets());
  if (!pool.ok()) return Fail("database_not_ready", pool.status());

  cak::common::SystemClock clock;
  auto auth = cak::common::AuthenticatorFrom(cfg.common, &clock);
  if (!auth.ok()) return Fail("config_failed", auth.status());

  cak::common::ServerMetrics metrics("cak.voorlichting.intake.v1.IntakeService");
  cak::intake::IntakeServerOptions options;
  options.pool = pool->get();
  options.schema = cfg.common.db_schema;
  options.clock = &clock;
  options.auth = auth->get();
  options.metrics = &metrics;
  options.hasher = *hasher;
  options.settings.retention = cfg.signal_retention;
  options.settings.duplicate_window = cfg.duplicate_window;
  options.server = cak::common::ServerOptionsFrom(cfg.common);
  cak::intake::IntakeServer server(std::move(options));

  if (cfg.common.mode() == ServiceConfig::Mode::kPurge) return RunPurge(cfg, **pool, server, *hasher);

  // Until here SIGTERM/SIGINT simply end the process (migrations, purges and the start-up wait
  // are transactional); from here on they mean "drain".
  // The processing log goes to the organisation's logbook (when configured) while serving.
  auto logbook = cak::common::StartLogbookExport(cfg.common, pool->get(), "intake-svc", &metrics);
  if (!logbook.ok()) return Fail("config_failed", logbook.status());
  return cak::common::ServeUntilSignal(cfg.common, metrics, server);
}
