// analysis-svc: the source-system snapshot, impact analysis, samples, target groups and
// recipient lists for CAK's information actions (record M7624 steps 2 and 4), and response
// measurement (step 9). Wiring only: its options, its server (with the dispatch-svc client) and
// its purge on the shared process skeleton (common/grpc/service_main.h); see
// analysis-svc/README.md.
#include "analysis-svc/src/clients/dispatch_outcome_source.h"
#include "analysis-svc/src/server/analysis_server.h"
#include "analysis-svc/src/storage/schema.h"
#include "common/base/errors.h"
#include "common/base/log.h"
#include "common/grpc/peer_channel.h"
#include "common/grpc/service_main.h"

namespace {

namespace common = cak::common;
namespace log = cak::common::log;
using common::ServiceConfig;
using Process = common::ServerProcess<cak::analysis::AnalysisServer>;

struct AnalysisConfig {
  ServiceConfig common;
  std::string import_dir;
  double max_rejected_share = 0.01;
  int64_t customer_retention_years = 2;
  absl::Duration snapshot_poll_interval = absl::Seconds(1);
  absl::Duration snapshot_max_wait = absl::Seconds(1);
  common::PeerConfig dispatch;
};

// The server; `outcomes` (dispatch-svc's, null when not configured) for response measurement.
absl::StatusOr<std::unique_ptr<cak::analysis::AnalysisServer>> MakeServer(
    const AnalysisConfig& cfg, const common::ServiceContext& ctx, cak::analysis::domain::OutcomeSource* outcomes) {
  CAK_ASSIGN_OR_RETURN(auto pseudonymizer, common::DerivedHasherFrom(cfg.common, "analysis-sample-pseudonym"));
  cak::analysis::AnalysisServerOptions options;
  common::FillCommonServerOptions(ctx, options);
  options.pseudonymizer = std::move(pseudonymizer);
  options.settings.import_dir = cfg.import_dir;
  options.settings.max_rejected_share = cfg.max_rejected_share;
  options.settings.customer_retention_years = static_cast<int>(cfg.customer_retention_years);
  options.settings.zone = ctx.zone;
  options.settings.snapshot_cache.poll_interval = cfg.snapshot_poll_interval;
  options.settings.snapshot_cache.max_wait = cfg.snapshot_max_wait;
  options.outcomes = outcomes;
  options.zone_name = ctx.zone_name;
  return std::make_unique<cak::analysis::AnalysisServer>(std::move(options));
}

absl::StatusOr<std::unique_ptr<common::ServiceProcess>> Serve(const AnalysisConfig& cfg,
                                                              const common::ServiceContext& ctx) {
  auto process = std::make_unique<Process>();
  cak::analysis::clients::DispatchOutcomeSource* outcomes = nullptr;
  if (!cfg.dispatch.address.empty()) {
    CAK_ASSIGN_OR_RETURN(auto channel, common::PeerChannelFrom(cfg.common, cfg.dispatch));
    auto* dispatch = process->Keep(std::move(channel));
    outcomes = process->Keep(std::make_unique<cak::analysis::clients::DispatchOutcomeSource>(dispatch));
  }
  CAK_ASSIGN_OR_RETURN(auto server, MakeServer(cfg, ctx, outcomes));
  process->Serve(std::move(server));
  return process;
}

// --purge: customers past retention.
absl::Status Purge(const AnalysisConfig& cfg, const common::ServiceContext& ctx, const common::CallContext& call) {
  CAK_ASSIGN_OR_RETURN(auto server, MakeServer(cfg, ctx, nullptr));
  CAK_ASSIGN_OR_RETURN(auto result, server->service().PurgeInactiveCustomers(call, cfg.common.dry_run));
  log::Info("purge_customers_done", {{"dry_run", cfg.common.dry_run},
                                     {"customers", result.counts.customers},
                                     {"relations", result.counts.relations},
                                     {"sample_members", result.counts.sample_members},
                                     {"list_members", result.counts.list_members},
                                     {"cutoff", absl::FormatCivilTime(result.cutoff)}});
  return absl::OkStatus();
}

}  // namespace

int main(int argc, char** argv) {
  AnalysisConfig cfg;
  cfg.dispatch.services = {"cak.voorlichting.dispatch.v1.DispatchService"};
  common::ServiceHooks hooks;
  hooks.add_options = [&](common::ConfigParser& parser) {
    parser.String("import-dir", &cfg.import_dir, "",
                  "directory ImportFile reads CSV files from (empty: ImportFile off)");
    parser.Double("max-rejected-share", &cfg.max_rejected_share, 0.01, 0.0, 1.0,
                  "default largest share of rejected rows at which an import still loads");
    parser.Int("customer-retention-years", &cfg.customer_retention_years, 2, 1, 100,
               "whole years customer data is kept after the customer became inactive");
    parser.Duration("snapshot-poll-interval", &cfg.snapshot_poll_interval, absl::Seconds(1), absl::Milliseconds(100),
                    absl::Minutes(10),
                    "how often a replica checks for a snapshot published elsewhere (an import, erasure or purge "
                    "on another replica) and starts building its columnar copy");
    parser.Duration("snapshot-max-wait", &cfg.snapshot_max_wait, absl::Seconds(1), absl::ZeroDuration(),
                    absl::Seconds(30),
                    "how long a request waits for a snapshot build in progress before it is answered UNAVAILABLE "
                    "(SNAPSHOT_REBUILDING) with a retry delay");
    common::AddPeerOptions(parser, "dispatch", &cfg.dispatch,
                           "for executor outcomes in response measurement (empty: measurements that name a "
                           "dispatch order are refused)");
  };
  hooks.serve = [&](const common::ServiceContext& ctx) { return Serve(cfg, ctx); };
  hooks.purge = [&](const common::ServiceContext& ctx, const common::CallContext& call) {
    return Purge(cfg, ctx, call);
  };
  return common::RunService(argc, argv,
                            {.name = "analysis-svc",
                             .summary = "snapshot, impact analysis, samples, target groups (M7624 steps 2 and 4)",
                             .default_schema = "analysis",
                             .api_service = "cak.voorlichting.analysis.v1.AnalysisService",
                             .migrations = cak::analysis::storage::AnalysisMigrationSets(),
                             .time_zone = true},
                            cfg.common, hooks);
}
