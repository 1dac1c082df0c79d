// The shared process skeleton (see service_main.h).
#include "common/grpc/service_main.h"

#include <grpc/support/log.h>

#include "common/base/errors.h"
#include "common/base/log.h"
#include "common/db/processing_log_store.h"
#include "common/grpc/logbook_client.h"

namespace cak::common {
namespace {

// gRPC core's own messages (e.g. a port it cannot bind) as lines of the JSON log, so that the
// log stream stays one JSON object per line.
void GrpcCoreLog(gpr_log_func_args* args) {
  const log::Level level = args->severity == GPR_LOG_SEVERITY_ERROR  ? log::Level::kError
                           : args->severity == GPR_LOG_SEVERITY_INFO ? log::Level::kInfo
                                                                     : log::Level::kDebug;
  log::Write(
      level, "grpc_core",
      {{"message", args->message ? args->message : ""}, {"file", args->file ? args->file : ""}, {"line", args->line}});
}

int Fail(const char* what, const absl::Status& st) {
  log::Error(what, {{"error", st}});
  return 1;
}

// --purge: the service's own purge, then the processing log past its retention.
int Purge(const ServiceDescription& service, const ServiceHooks& hooks, const ServiceContext& ctx) {
  const ServiceConfig& config = *ctx.config;
  const CallContext call = BatchJobCall(service.name, *ctx.clock);
  if (hooks.purge) {
    if (absl::Status st = hooks.purge(ctx, call); !st.ok()) return Fail("purge_failed", st);
  }
  const db::ProcessingLogStore store(config.db_schema, service.name, *ctx.hasher);
  const absl::Time cutoff = ctx.clock->Now() - config.processing_log_retention;
  if (config.dry_run) {  // what the purge would remove, and what it would keep for the logbook
    auto count = db::CountProcessingLogPurge(*ctx.pool, store, cutoff);
    if (!count.ok()) return Fail("purge_processing_log_failed", count.status());
    log::Info("purge_processing_log_done",
              {{"dry_run", true}, {"entries", count->removable}, {"held_for_logbook", count->held_for_logbook}});
    return 0;
  }
  auto removed = db::PurgeProcessingLog(*ctx.pool, store, cutoff);
  if (!removed.ok()) return Fail("purge_processing_log_failed", removed.status());
  log::Info("purge_processing_log_done", {{"dry_run", false}, {"entries", *removed}});
  return 0;
}

}  // namespace

int RunService(int argc, char** argv, const ServiceDescription& service, ServiceConfig& config,
               const ServiceHooks& hooks) {
  log::SetService(service.name);
  gpr_set_log_function(GrpcCoreLog);
  std::string zone_name;
  ConfigParser parser(service.name, service.summary);
  AddServiceOptions(parser, &config, service.default_schema);
  if (service.time_zone) {
    parser.String("time-zone", &zone_name, "Europe/Amsterdam", "zone that decides what 'today' is");
  }
  hooks.add_options(parser);
  ParseOrExit(parser, argc, argv, [&]() -> absl::Status {
    CAK_RETURN_IF_ERROR(ValidateServiceConfig(config));
    return hooks.validate(config.mode());
  });
  log::Level level;
  if (log::ParseLevel(config.log_level, &level)) log::SetMinLevel(level);

  if (config.mode() == ServiceConfig::Mode::kMigrate) {
    absl::Status st = RunMigrations(config, service.migrations, service.name + "-migrate");
    return st.ok() ? 0 : Fail("migrate_failed", st);
  }

  SystemClock clock;
  ServiceContext ctx;
  ctx.config = &config;
  ctx.clock = &clock;
  ctx.zone_name = zone_name;
  if (service.time_zone && !absl::LoadTimeZone(zone_name, &ctx.zone)) {
    return Fail("config_failed", absl::InvalidArgumentError("--time-zone: unknown zone (is tzdata installed?)"));
  }
  auto hasher = HasherFrom(config);
  if (!hasher.ok()) return Fail("config_failed", hasher.status());
  ctx.hasher = *std::move(hasher);
  auto pool = OpenDatabase(config, service.name, service.migrations);
  if (!pool.ok()) return Fail("database_not_ready", pool.status());
  ctx.pool = pool->get();
  ctx.server = ServerOptionsFrom(config);

  if (config.mode() == ServiceConfig::Mode::kPurge) return Purge(service, hooks, ctx);

  auto auth = AuthenticatorFrom(config, &clock);
  if (!auth.ok()) return Fail("config_failed", auth.status());
  ctx.auth = auth->get();
  ServerMetrics metrics(service.api_service);
  ctx.metrics = &metrics;
  auto process = hooks.serve(ctx);
  if (!process.ok()) return Fail("config_failed", process.status());
  // Until here SIGTERM/SIGINT simply end the process (migrations, purges and the start-up wait
  // are transactional); from here on they mean "drain". The processing log goes to the
  // organisation's logbook (when configured) while serving.
  auto logbook = StartLogbookExport(config, ctx.pool, service.name, &metrics);
  if (!logbook.ok()) return Fail("config_failed", logbook.status());
  return ServeUntilSignal(config, metrics, **process);
}

}  // namespace cak::common
