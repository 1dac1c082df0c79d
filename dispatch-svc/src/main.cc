// dispatch-svc: executors, feasibility and exactly-once deliveries to repro, KCC and
// dataverkeer (record M7624 steps 7 and 8). Wiring only: configuration -> pool -> analysis-svc
// client -> server; see dispatch-svc/README.md.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include "common/base/config.h"
#include "common/base/errors.h"
#include "common/base/log.h"
#include "common/db/migrations.h"
#include "common/grpc/logbook_client.h"
#include "common/grpc/peer_channel.h"
#include "common/grpc/service_config.h"
#include "common/grpc/subject_removal_service.h"
#include "dispatch-svc/src/clients/analysis_recipient_source.h"
#include "dispatch-svc/src/server/dispatch_server.h"
#include "dispatch-svc/src/storage/schema.h"

namespace {

using cak::common::ServiceConfig;
namespace log = cak::common::log;

struct DispatchConfig {
  ServiceConfig common;
  cak::common::PeerConfig analysis;
  std::string delivery_dir;
  int64_t generator_threads = 2;
  int64_t max_batch_items = 50000;
  absl::Duration delivery_retention;
  absl::Duration batch_retry_min, batch_retry_max;
  std::string time_zone;
  std::string replica;
};

int Fail(const char* what, const absl::Status& st) {
  log::Error(what, {{"error", st}});
  return 1;
}

std::string HostName() {
  char buf[256] = {};
  if (gethostname(buf, sizeof buf - 1) != 0) return "dispatch-svc";
  return buf;
}

}  // namespace

int main(int argc, char** argv) {
  log::SetService("dispatch-svc");

  DispatchConfig cfg;
  cak::common::ConfigParser parser("dispatch-svc", "executors, feasibility and deliveries (M7624 steps 7 and 8)");
  cak::common::AddServiceOptions(parser, &cfg.common, "dispatch");
  cak::common::AddPeerOptions(parser, "analysis", &cfg.analysis, "(recipient lists; the purge follows its removals)");
  parser.String("delivery-dir", &cfg.delivery_dir, "",
                "root of the delivery files (one directory per executor); shared by all replicas");
  parser.Int("generator-threads", &cfg.generator_threads, 2, 0, 16,
             "batches generated at once by this replica (two overlap one batch's storing with the next one's "
             "stream)");
  parser.Int("max-batch-items", &cfg.max_batch_items, 50000, 1, 1000000, "largest batch (one data file)");
  parser.Duration("delivery-retention", &cfg.delivery_retention, absl::Hours(24 * 730), absl::Hours(24),
                  absl::Hours(24 * 365 * 20),
                  "how long after an order's window delivery files and per-recipient records are kept");
  parser.Duration("batch-retry-min", &cfg.batch_retry_min, absl::Seconds(2), absl::Milliseconds(100), absl::Hours(1),
                  "wait after a batch's first failed attempt (it doubles per failure, with jitter)");
  parser.Duration("batch-retry-max", &cfg.batch_retry_max, absl::Minutes(10), absl::Seconds(1), absl::Hours(24),
                  "longest wait between a failing batch's attempts");
  parser.String("time-zone", &cfg.time_zone, "Europe/Amsterdam", "zone that decides what 'today' is");
  parser.String("replica", &cfg.replica, HostName(), "this replica's name (recorded on the batches it writes)");
  cak::common::ParseOrExit(parser, argc, argv, [&]() -> absl::Status {
    CAK_RETURN_IF_ERROR(cak::common::ValidateServiceConfig(cfg.common));
    if (cfg.common.mode() != ServiceConfig::Mode::kMigrate && cfg.delivery_dir.empty()) {
      return absl::InvalidArgumentError("--delivery-dir (CAK_DELIVERY_DIR) is required");
    }
    // Serving streams lists from analysis-svc; the purge follows its removals.
    if (cfg.common.mode() != ServiceConfig::Mode::kMigrate && cfg.analysis.address.empty()) {
      return absl::InvalidArgumentError("--analysis-address (CAK_ANALYSIS_ADDRESS) is required");
    }
    return absl::OkStatus();
  });
  log::Level level;
  if (log::ParseLevel(cfg.common.log_level, &level)) log::SetMinLevel(level);

  if (cfg.common.mode() == ServiceConfig::Mode::kMigrate) {
    absl::Status st =
        cak::common::RunMigrations(cfg.common, cak::dispatch::storage::DispatchMigrationSets(), "dispatch-svc-migrate");
    return st.ok() ? 0 : Fail("migrate_failed", st);
  }

  absl::TimeZone zone;
  if (!absl::LoadTimeZone(cfg.time_zone, &zone)) {
    return Fail("config_failed", absl::InvalidArgumentError("--time-zone: unknown zone (is tzdata installed?)"));
  }
  auto hasher = cak::common::HasherFrom(cfg.common);
  if (!hasher.ok()) return Fail("config_failed", hasher.status());
  auto pool = cak::common::OpenDatabase(cfg.common, "dispatch-svc", cak::dispatch::storage::DispatchMigrationSets());
  if (!pool.ok()) return Fail("database_not_ready", pool.status());

  std::unique_ptr<cak::common::PeerChannel> analysis;
  std::unique_ptr<cak::dispatch::clients::AnalysisRecipientSource> recipients;
  {
    auto channel = cak::common::PeerChannelFrom(cfg.common, cfg.analysis);
    if (!channel.ok()) return Fail("config_failed", channel.status());
    analysis = *std::move(channel);
    recipients = std::make_unique<cak::dispatch::clients::AnalysisRecipientSource>(analysis.get());
  }

  cak::common::SystemClock clock;
  auto auth = cak::common::AuthenticatorFrom(cfg.common, &clock);
  if (!auth.ok()) return Fail("config_failed", auth.status());

  cak::common::ServerMetrics metrics("cak.voorlichting.dispatch.v1.DispatchService");
  cak::dispatch::DispatchServerOptions options;
  options.pool = pool->get();
  options.schema = cfg.common.db_schema;
  options.clock = &clock;
  options.auth = auth->get();
  options.metrics = &metrics;
  options.recipients = recipients.get();
  options.hasher = *std::move(hasher);
  options.delivery_dir = cfg.delivery_dir;
  options.settings.zone = zone;
  options.settings.max_batch_items = cfg.max_batch_items;
  options.settings.delivery_retention = cfg.delivery_retention;
  options.settings.replica = cfg.replica;
  options.settings.batch_retry_min = cfg.batch_retry_min;
  options.settings.batch_retry_max = std::max(cfg.batch_retry_min, cfg.batch_retry_max);
  options.generator_threads =
      cfg.common.mode() == ServiceConfig::Mode::kServe ? static_cast<int>(cfg.generator_threads) : 0;
  options.server = cak::common::ServerOptionsFrom(cfg.common);
  cak::dispatch::DispatchServer server(std::move(options));

  if (cfg.common.mode() == ServiceConfig::Mode::kPurge) {
    const cak::common::CallContext call = cak::common::BatchJobCall("dispatch-svc", clock);
    // First what analysis-svc removed (retention purges, erasures): their delivery items.
    cak::common::SubjectRemovalClient feed(analysis.get(), absl::Minutes(1));
    auto followed = server.service().FollowRemovals(call, feed, cfg.common.dry_run);
    if (!followed.ok()) return Fail("follow_removals_failed", followed.status());
    log::Info("follow_removals_done", {{"dry_run", cfg.common.dry_run},
                                       {"removals", followed->removals},
                                       {"customers_with_items", followed->subjects},
                                       {"items_emptied", followed->records}});
    auto counts = server.service().Purge(call, cfg.common.dry_run);
    if (!counts.ok()) return Fail("purge_failed", counts.status());
    log::Info("purge_deliveries_done", {{"dry_run", cfg.common.dry_run},
                                        {"orders", counts->orders},
                                        {"batches", counts->batches},
                                        {"items", counts->items},
                                        {"outcomes", counts->outcomes},
                                        {"files", counts->files}});
    if (!cfg.common.dry_run) {
      auto removed = cak::common::db::PurgeProcessingLog(**pool, server.log_store(),
                                                         clock.Now() - cfg.common.processing_log_retention);
      if (!removed.ok()) return Fail("purge_processing_log_failed", removed.status());
      log::Info("purge_processing_log_done", {{"entries", *removed}});
    }
    return 0;
  }

  // The processing log goes to the organisation's logbook (when configured) while serving.
  auto logbook = cak::common::StartLogbookExport(cfg.common, pool->get(), "dispatch-svc", &metrics);
  if (!logbook.ok()) return Fail("config_failed", logbook.status());
  return cak::common::ServeUntilSignal(cfg.common, metrics, server);
}
