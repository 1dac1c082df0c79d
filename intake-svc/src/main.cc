// intake-svc: receives and tracks signals for CAK's information actions (record M7624 steps 1
// and 3). Wiring only: its options, its server and its purge on the shared process skeleton
// (common/grpc/service_main.h); see intake-svc/README.md.
#include "common/base/errors.h"
#include "common/base/log.h"
#include "common/grpc/service_main.h"
#include "common/grpc/subject_removal_service.h"
#include "intake-svc/src/server/intake_server.h"
#include "intake-svc/src/storage/schema.h"

namespace {

namespace common = cak::common;
namespace log = cak::common::log;
using common::ServiceConfig;

struct IntakeConfig {
  ServiceConfig common;
  common::PeerConfig analysis;
  absl::Duration signal_retention;
  absl::Duration duplicate_window;
};

std::unique_ptr<cak::intake::IntakeServer> MakeServer(const IntakeConfig& cfg, const common::ServiceContext& ctx) {
  cak::intake::IntakeServerOptions options;
  common::FillCommonServerOptions(ctx, options);
  options.settings.retention = cfg.signal_retention;
  options.settings.duplicate_window = cfg.duplicate_window;
  return std::make_unique<cak::intake::IntakeServer>(std::move(options));
}

// --purge: the customers analysis-svc removed (its removal feed), then signals past retention.
absl::Status Purge(const IntakeConfig& cfg, const common::ServiceContext& ctx, const common::CallContext& call) {
  const bool dry_run = cfg.common.dry_run;
  auto server = MakeServer(cfg, ctx);
  CAK_ASSIGN_OR_RETURN(auto analysis, common::PeerChannelFrom(cfg.common, cfg.analysis));
  common::SubjectRemovalClient feed(analysis.get(), absl::Minutes(1));
  CAK_ASSIGN_OR_RETURN(auto followed, server->service().FollowRemovals(call, feed, *ctx.hasher, dry_run));
  log::Info("follow_removals_done", {{"dry_run", dry_run},
                                     {"removals", followed.removals},
                                     {"customers_named", followed.subjects},
                                     {"signal_references", followed.records}});
  CAK_ASSIGN_OR_RETURN(auto purged, server->service().Purge(call, dry_run));
  log::Info("purge_signals_done",
            {{"dry_run", dry_run},
             {"signals", purged.count},
             {"cutoff", absl::FormatTime(absl::RFC3339_sec, purged.cutoff, absl::UTCTimeZone())}});
  return absl::OkStatus();
}

}  // namespace

int main(int argc, char** argv) {
  IntakeConfig cfg;
  cfg.analysis.services = {"cak.voorlichting.privacy.v1.SubjectRemovalService"};
  common::ServiceHooks hooks;
  hooks.add_options = [&](common::ConfigParser& parser) {
    parser.Duration("signal-retention", &cfg.signal_retention, absl::Hours(24 * 730), absl::Hours(24),
                    absl::Hours(24 * 365 * 100), "how long declined or closed signals are kept");
    parser.Duration("duplicate-window", &cfg.duplicate_window, absl::Hours(24 * 30), absl::ZeroDuration(),
                    absl::Hours(24 * 365 * 10), "how far back same regulation + category counts as a duplicate");
    common::AddPeerOptions(parser, "analysis", &cfg.analysis, "(--purge: it follows its removals)");
  };
  hooks.validate = [&](ServiceConfig::Mode mode) -> absl::Status {
    if (mode == ServiceConfig::Mode::kPurge && cfg.analysis.address.empty()) {
      return absl::InvalidArgumentError("--analysis-address (CAK_ANALYSIS_ADDRESS) is required with --purge");
    }
    return absl::OkStatus();
  };
  hooks.serve = [&](const common::ServiceContext& ctx) -> absl::StatusOr<std::unique_ptr<common::ServiceProcess>> {
    auto process = std::make_unique<common::ServerProcess<cak::intake::IntakeServer>>();
    process->Serve(MakeServer(cfg, ctx));
    return process;
  };
  hooks.purge = [&](const common::ServiceContext& ctx, const common::CallContext& call) {
    return Purge(cfg, ctx, call);
  };
  return common::RunService(argc, argv,
                            {.name = "intake-svc",
                             .summary = "signals for CAK information actions (M7624 steps 1 and 3)",
                             .default_schema = "intake",
                             .api_service = "cak.voorlichting.intake.v1.IntakeService",
                             .migrations = cak::intake::storage::IntakeMigrationSets()},
                            cfg.common, hooks);
}
