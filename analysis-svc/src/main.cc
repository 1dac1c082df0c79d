// analysis-svc: the source-system snapshot, impact analysis, samples, target groups and
// recipient lists for CAK's information actions (record M7624 steps 2 and 4), and response
// measurement (step 9). Wiring only: configuration -> pool -> dispatch-svc client -> server;
// see analysis-svc/README.md.
#include <cstdio>
#include <cstdlib>

#include "analysis-svc/src/clients/dispatch_outcome_source.h"
#include "analysis-svc/src/server/analysis_server.h"
#include "analysis-svc/src/storage/schema.h"
#include "common/base/config.h"
#include "common/base/log.h"
#include "common/db/migrations.h"
#include "common/grpc/logbook_client.h"
#include "common/grpc/peer_channel.h"
#include "common/grpc/service_config.h"

namespace {

using cak::common::ServiceConfig;
namespace log = cak::common::log;

struct AnalysisConfig {
  ServiceConfig common;
  std::string import_dir;
  double max_rejected_share = 0.01;
  int64_t customer_retention_years = 2;
  std::string time_zone;
  cak::common::PeerConfig dispatch;
};

int Fail(const char* what, const absl::Status& st) {
  log::Error(what, {{"error", st}});
  return 1;
}

// --purge: customers past retention, then processing-log entries past the log retention.
int RunPurge(const AnalysisConfig& cfg, cak::common::db::PgPool& pool, cak::analysis::AnalysisServer& server) {
  cak::common::SystemClock clock;
  const cak::common::CallContext call = cak::common::BatchJobCall("analysis-svc", clock);
  auto result = server.service().PurgeInactiveCustomers(call, cfg.common.dry_run);
  if (!result.ok()) return Fail("purge_failed", result.status());
  log::Info("purge_customers_done", {{"dry_run", cfg.common.dry_run},
                                     {"customers", result->counts.customers},
                                     {"relations", result->counts.relations},
                                     {"sample_members", result->counts.sample_members},
                                     {"list_members", result->counts.list_members},
                                     {"cutoff", absl::FormatCivilTime(result->cutoff)}});
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
  log::SetService("analysis-svc");

  AnalysisConfig cfg;
  cak::common::ConfigParser parser("analysis-svc",
                                   "snapshot, impact analysis, samples, target groups (M7624 steps 2 and 4)");
  cak::common::AddServiceOptions(parser, &cfg.common, "analysis");
  parser.String("import-dir", &cfg.import_dir, "", "directory ImportFile reads CSV files from (empty: ImportFile off)");
  parser.Double("max-rejected-share", &cfg.max_rejected_share, 0.01, 0.0, 1.0,
                "default largest share of rejected rows at which an import still loads");
  parser.Int("customer-retention-years", &cfg.customer_retention_years, 2, 1, 100,
             "whole years customer data is kept after the customer became inactive");
  parser.String("time-zone", &cfg.time_zone, "Europe/Amsterdam", "zone that decides what 'today' is");
  cak::common::AddPeerOptions(parser, "dispatch", &cfg.dispatch,
                              "for executor outcomes in response measurement (empty: measurements that name a "
                              "dispatch order are refused)");
  cak::common::ParseOrExit(parser, argc, argv, [&] { return cak::common::ValidateServiceConfig(cfg.common); });
  log::Level level;
  if (log::ParseLevel(cfg.common.log_level, &level)) log::SetMinLevel(level);

  if (cfg.common.mode() == ServiceConfig::Mode::kMigrate) {
    absl::Status st =
        cak::common::RunMigrations(cfg.common, cak::analysis::storage::AnalysisMigrationSets(), "analysis-svc-migrate");
    return st.ok() ? 0 : Fail("migrate_failed", st);
  }

  absl::TimeZone zone;
  if (!absl::LoadTimeZone(cfg.time_zone, &zone)) {
    return Fail("config_failed", absl::InvalidArgumentError("--time-zone: unknown zone (is tzdata installed?)"));
  }
  auto hasher = cak::common::HasherFrom(cfg.common);
  if (!hasher.ok()) return Fail("config_failed", hasher.status());
  auto pseudonymizer = cak::common::DerivedHasherFrom(cfg.common, "analysis-sample-pseudonym");
  if (!pseudonymizer.ok()) return Fail("config_failed", pseudonymizer.status());
  auto pool = cak::common::OpenDatabase(cfg.common, "analysis-svc", cak::analysis::storage::AnalysisMigrationSets());
  if (!pool.ok()) return Fail("database_not_ready", pool.status());

  std::unique_ptr<cak::common::PeerChannel> dispatch;
  std::unique_ptr<cak::analysis::clients::DispatchOutcomeSource> outcomes;
  if (cfg.common.mode() == ServiceConfig::Mode::kServe && !cfg.dispatch.address.empty()) {
    auto channel = cak::common::PeerChannelFrom(cfg.common, cfg.dispatch);
    if (!channel.ok()) return Fail("config_failed", channel.status());
    dispatch = *std::move(channel);
    outcomes = std::make_unique<cak::analysis::clients::DispatchOutcomeSource>(dispatch.get());
  }

  cak::common::SystemClock clock;
  auto auth = cak::common::AuthenticatorFrom(cfg.common, &clock);
  if (!auth.ok()) return Fail("config_failed", auth.status());

  cak::common::ServerMetrics metrics("cak.voorlichting.analysis.v1.AnalysisService");
  cak::analysis::AnalysisServerOptions options;
  options.pool = pool->get();
  options.schema = cfg.common.db_schema;
  options.clock = &clock;
  options.auth = auth->get();
  options.metrics = &metrics;
  options.hasher = *std::move(hasher);
  options.pseudonymizer = *std::move(pseudonymizer);
  options.settings.import_dir = cfg.import_dir;
  options.settings.max_rejected_share = cfg.max_rejected_share;
  options.settings.customer_retention_years = static_cast<int>(cfg.customer_retention_years);
  options.settings.zone = zone;
  options.outcomes = outcomes.get();
  options.zone_name = cfg.time_zone;
  options.server = cak::common::ServerOptionsFrom(cfg.common);
  cak::analysis::AnalysisServer server(std::move(options));

  if (cfg.common.mode() == ServiceConfig::Mode::kPurge) return RunPurge(cfg, **pool, server);

  // The processing log goes to the organisation's logbook (when configured) while serving.
  auto logbook = cak::common::StartLogbookExport(cfg.common, pool->get(), "analysis-svc", &metrics);
  if (!logbook.ok()) return Fail("config_failed", logbook.status());
  return cak::common::ServeUntilSignal(cfg.common, metrics, server);
}
