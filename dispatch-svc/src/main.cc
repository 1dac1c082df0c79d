// dispatch-svc: executors, feasibility and exactly-once deliveries to repro, KCC and
// dataverkeer (record M7624 steps 7 and 8). Wiring only: its options, its server (with the
// analysis-svc client) and its purge on the shared process skeleton
// (common/grpc/service_main.h); see dispatch-svc/README.md.
#include <unistd.h>

#include <algorithm>

#include "common/base/errors.h"
#include "common/base/log.h"
#include "common/grpc/peer_channel.h"
#include "common/grpc/service_main.h"
#include "common/grpc/subject_removal_service.h"
#include "dispatch-svc/src/clients/analysis_recipient_source.h"
#include "dispatch-svc/src/server/dispatch_server.h"
#include "dispatch-svc/src/storage/schema.h"

namespace {

namespace common = cak::common;
namespace log = cak::common::log;
using common::ServiceConfig;
using Process = common::ServerProcess<cak::dispatch::DispatchServer>;

struct DispatchConfig {
  ServiceConfig common;
  common::PeerConfig analysis;
  std::string delivery_dir;
  int64_t generator_threads = 2;
  int64_t max_batch_items = 50000;
  absl::Duration delivery_retention;
  absl::Duration batch_retry_min, batch_retry_max;
  std::string replica;
};

std::string HostName() {
  char buf[256] = {};
  if (gethostname(buf, sizeof buf - 1) != 0) return "dispatch-svc";
  return buf;
}

// The server over analysis-svc's lists; batches are generated only while serving.
std::unique_ptr<cak::dispatch::DispatchServer> MakeServer(const DispatchConfig& cfg, const common::ServiceContext& ctx,
                                                          cak::dispatch::domain::RecipientSource* recipients) {
  cak::dispatch::DispatchServerOptions options;
  common::FillCommonServerOptions(ctx, options);
  options.recipients = recipients;
  options.delivery_dir = cfg.delivery_dir;
  options.settings.zone = ctx.zone;
  options.settings.max_batch_items = cfg.max_batch_items;
  options.settings.delivery_retention = cfg.delivery_retention;
  options.settings.replica = cfg.replica;
  options.settings.batch_retry_min = cfg.batch_retry_min;
  options.settings.batch_retry_max = std::max(cfg.batch_retry_min, cfg.batch_retry_max);
  options.generator_threads =
      cfg.common.mode() == ServiceConfig::Mode::kServe ? static_cast<int>(cfg.generator_threads) : 0;
  return std::make_unique<cak::dispatch::DispatchServer>(std::move(options));
}

absl::StatusOr<std::unique_ptr<common::ServiceProcess>> Serve(const DispatchConfig& cfg,
                                                              const common::ServiceContext& ctx) {
  auto process = std::make_unique<Process>();
  CAK_ASSIGN_OR_RETURN(auto channel, common::PeerChannelFrom(cfg.common, cfg.analysis));
  auto* analysis = process->Keep(std::move(channel));
  auto* recipients = process->Keep(std::make_unique<cak::dispatch::clients::AnalysisRecipientSource>(analysis));
  process->Serve(MakeServer(cfg, ctx, recipients));
  return process;
}

// --purge: first what analysis-svc removed (retention purges, erasures): their delivery items;
// then orders past the delivery retention with their files.
absl::Status Purge(const DispatchConfig& cfg, const common::ServiceContext& ctx, const common::CallContext& call) {
  const bool dry_run = cfg.common.dry_run;
  CAK_ASSIGN_OR_RETURN(auto analysis, common::PeerChannelFrom(cfg.common, cfg.analysis));
  cak::dispatch::clients::AnalysisRecipientSource recipients(analysis.get());
  auto server = MakeServer(cfg, ctx, &recipients);
  common::SubjectRemovalClient feed(analysis.get(), absl::Minutes(1));
  CAK_ASSIGN_OR_RETURN(auto followed, server->service().FollowRemovals(call, feed, dry_run));
  log::Info("follow_removals_done", {{"dry_run", dry_run},
                                     {"removals", followed.removals},
                                     {"customers_with_items", followed.subjects},
                                     {"items_emptied", followed.records}});
  CAK_ASSIGN_OR_RETURN(auto counts, server->service().Purge(call, dry_run));
  log::Info("purge_deliveries_done", {{"dry_run", dry_run},
                                      {"orders", counts.orders},
                                      {"batches", counts.batches},
                                      {"items", counts.items},
                                      {"outcomes", counts.outcomes},
                                      {"files", counts.files}});
  return absl::OkStatus();
}

}  // namespace

int main(int argc, char** argv) {
  DispatchConfig cfg;
  cfg.analysis.services = {"cak.voorlichting.analysis.v1.AnalysisService",
                           "cak.voorlichting.privacy.v1.SubjectRemovalService"};
  common::ServiceHooks hooks;
  hooks.add_options = [&](common::ConfigParser& parser) {
    common::AddPeerOptions(parser, "analysis", &cfg.analysis, "(recipient lists; the purge follows its removals)");
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
    parser.String("replica", &cfg.replica, HostName(), "this replica's name (recorded on the batches it writes)");
  };
  hooks.validate = [&](ServiceConfig::Mode mode) -> absl::Status {
    if (mode == ServiceConfig::Mode::kMigrate) return absl::OkStatus();
    if (cfg.delivery_dir.empty()) return absl::InvalidArgumentError("--delivery-dir (CAK_DELIVERY_DIR) is required");
    // Serving streams lists from analysis-svc; the purge follows its removals.
    if (cfg.analysis.address.empty()) {
      return absl::InvalidArgumentError("--analysis-address (CAK_ANALYSIS_ADDRESS) is required");
    }
    return absl::OkStatus();
  };
  hooks.serve = [&](const common::ServiceContext& ctx) { return Serve(cfg, ctx); };
  hooks.purge = [&](const common::ServiceContext& ctx, const common::CallContext& call) {
    return Purge(cfg, ctx, call);
  };
  return common::RunService(argc, argv,
                            {.name = "dispatch-svc",
                             .summary = "executors, feasibility and deliveries (M7624 steps 7 and 8)",
                             .default_schema = "dispatch",
                             .api_service = "cak.voorlichting.dispatch.v1.DispatchService",
                             .migrations = cak::dispatch::storage::DispatchMigrationSets(),
                             .time_zone = true},
                            cfg.common, hooks);
}
