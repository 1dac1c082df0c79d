// campaign-svc: the information action (record M7624 steps 4, 5 and 6), four-eyes approval and
// the release to dispatch-svc. Wiring only: configuration -> pool -> peer clients -> server;
// see campaign-svc/README.md.
#include <cstdio>
#include <cstdlib>

#include "campaign-svc/src/clients/gateways.h"
#include "campaign-svc/src/server/campaign_server.h"
#include "campaign-svc/src/storage/schema.h"
#include "common/base/config.h"
#include "common/base/errors.h"
#include "common/base/log.h"
#include "common/db/migrations.h"
#include "common/grpc/logbook_client.h"
#include "common/grpc/peer_channel.h"
#include "common/grpc/service_config.h"

namespace {

using cak::common::ServiceConfig;
namespace log = cak::common::log;

struct CampaignConfig {
  ServiceConfig common;
  cak::common::PeerConfig intake, analysis, dispatch;
  int64_t outbox_threads = 1;
  std::string time_zone;
};

int Fail(const char* what, const absl::Status& st) {
  log::Error(what, {{"error", st}});
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  log::SetService("campaign-svc");

  CampaignConfig cfg;
  cak::common::ConfigParser parser("campaign-svc", "information actions, four eyes and release (M7624 steps 4-6)");
  cak::common::AddServiceOptions(parser, &cfg.common, "campaign");
  cak::common::AddPeerOptions(parser, "intake", &cfg.intake);
  cak::common::AddPeerOptions(parser, "analysis", &cfg.analysis);
  cak::common::AddPeerOptions(parser, "dispatch", &cfg.dispatch);
  parser.Int("outbox-threads", &cfg.outbox_threads, 1, 0, 8,
             "outbox deliveries at once by this replica (0: none; another replica delivers)");
  parser.String("time-zone", &cfg.time_zone, "Europe/Amsterdam", "zone that decides what 'today' is");
  cak::common::ParseOrExit(parser, argc, argv, [&]() -> absl::Status {
    CAK_RETURN_IF_ERROR(cak::common::ValidateServiceConfig(cfg.common));
    if (cfg.common.mode() == ServiceConfig::Mode::kServe) {
      for (const auto& [flag, peer] :
           {std::pair<const char*, const cak::common::PeerConfig*>{"--intake-address", &cfg.intake},
            {"--analysis-address", &cfg.analysis},
            {"--dispatch-address", &cfg.dispatch}}) {
        if (peer->address.empty()) return absl::InvalidArgumentError(absl::StrCat(flag, " is required"));
      }
    }
    return absl::OkStatus();
  });
  log::Level level;
  if (log::ParseLevel(cfg.common.log_level, &level)) log::SetMinLevel(level);

  if (cfg.common.mode() == ServiceConfig::Mode::kMigrate) {
    absl::Status st =
        cak::common::RunMigrations(cfg.common, cak::campaign::storage::CampaignMigrationSets(), "campaign-svc-migrate");
    return st.ok() ? 0 : Fail("migrate_failed", st);
  }

  absl::TimeZone zone;
  if (!absl::LoadTimeZone(cfg.time_zone, &zone)) {
    return Fail("config_failed", absl::InvalidArgumentError("--time-zone: unknown zone (is tzdata installed?)"));
  }
  auto hasher = cak::common::HasherFrom(cfg.common);
  if (!hasher.ok()) return Fail("config_failed", hasher.status());
  auto pool = cak::common::OpenDatabase(cfg.common, "campaign-svc", cak::campaign::storage::CampaignMigrationSets());
  if (!pool.ok()) return Fail("database_not_ready", pool.status());
  cak::common::SystemClock clock;

  if (cfg.common.mode() == ServiceConfig::Mode::kPurge) {
    // campaign-svc stores no personal data; only its processing log has a retention.
    cak::common::db::ProcessingLogStore store(cfg.common.db_schema, "campaign-svc", *hasher);
    if (cfg.common.dry_run) return 0;
    auto removed =
        cak::common::db::PurgeProcessingLog(**pool, store, clock.Now() - cfg.common.processing_log_retention);
    if (!removed.ok()) return Fail("purge_processing_log_failed", removed.status());
    log::Info("purge_processing_log_done", {{"entries", *removed}});
    return 0;
  }

  std::unique_ptr<cak::common::PeerChannel> intake_channel, analysis_channel, dispatch_channel;
  for (auto [peer, out] : {std::pair<const cak::common::PeerConfig*, std::unique_ptr<cak::common::PeerChannel>*>{
                               &cfg.intake, &intake_channel},
                           {&cfg.analysis, &analysis_channel},
                           {&cfg.dispatch, &dispatch_channel}}) {
    auto channel = cak::common::PeerChannelFrom(cfg.common, *peer);
    if (!channel.ok()) return Fail("config_failed", channel.status());
    *out = *std::move(channel);
  }
  cak::campaign::clients::IntakeClient intake(intake_channel.get());
  cak::campaign::clients::AnalysisClient analysis(analysis_channel.get());
  cak::campaign::clients::DispatchClient dispatch(dispatch_channel.get());

  auto auth = cak::common::AuthenticatorFrom(cfg.common, &clock);
  if (!auth.ok()) return Fail("config_failed", auth.status());

  cak::common::ServerMetrics metrics("cak.voorlichting.campaign.v1.CampaignService");
  cak::campaign::CampaignServerOptions options;
  options.pool = pool->get();
  options.schema = cfg.common.db_schema;
  options.clock = &clock;
  options.auth = auth->get();
  options.metrics = &metrics;
  options.intake = &intake;
  options.analysis = &analysis;
  options.dispatch = &dispatch;
  options.hasher = *std::move(hasher);
  options.settings.zone = zone;
  options.outbox_threads = static_cast<int>(cfg.outbox_threads);
  options.server = cak::common::ServerOptionsFrom(cfg.common);
  cak::campaign::CampaignServer server(std::move(options));
  // The processing log goes to the organisation's logbook (when configured) while serving.
  auto logbook = cak::common::StartLogbookExport(cfg.common, pool->get(), "campaign-svc", &metrics);
  if (!logbook.ok()) return Fail("config_failed", logbook.status());
  return cak::common::ServeUntilSignal(cfg.common, metrics, server);
}
