// campaign-svc: the information action (record M7624 steps 4, 5 and 6), four-eyes approval and
// the release to dispatch-svc. Wiring only: its options and its server (with the clients of the
// other three services) on the shared process skeleton (common/grpc/service_main.h); it holds
// no personal data of its own, so its purge is the skeleton's processing-log purge alone. See
// campaign-svc/README.md.
#include "campaign-svc/src/clients/gateways.h"
#include "campaign-svc/src/server/campaign_server.h"
#include "campaign-svc/src/storage/schema.h"
#include "common/base/errors.h"
#include "common/grpc/peer_channel.h"
#include "common/grpc/service_main.h"

namespace {

namespace common = cak::common;
namespace clients = cak::campaign::clients;
using common::ServiceConfig;
using Process = common::ServerProcess<cak::campaign::CampaignServer>;

struct CampaignConfig {
  ServiceConfig common;
  common::PeerConfig intake, analysis, dispatch;
  int64_t outbox_threads = 1;
};

absl::StatusOr<std::unique_ptr<common::ServiceProcess>> Serve(const CampaignConfig& cfg,
                                                              const common::ServiceContext& ctx) {
  auto process = std::make_unique<Process>();
  auto peer = [&](const common::PeerConfig& config) -> absl::StatusOr<const common::PeerChannel*> {
    CAK_ASSIGN_OR_RETURN(auto channel, common::PeerChannelFrom(cfg.common, config));
    return process->Keep(std::move(channel));
  };
  CAK_ASSIGN_OR_RETURN(const common::PeerChannel* intake, peer(cfg.intake));
  CAK_ASSIGN_OR_RETURN(const common::PeerChannel* analysis, peer(cfg.analysis));
  CAK_ASSIGN_OR_RETURN(const common::PeerChannel* dispatch, peer(cfg.dispatch));
  cak::campaign::CampaignServerOptions options;
  common::FillCommonServerOptions(ctx, options);
  options.intake = process->Keep(std::make_unique<clients::IntakeClient>(intake));
  options.analysis = process->Keep(std::make_unique<clients::AnalysisClient>(analysis));
  options.dispatch = process->Keep(std::make_unique<clients::DispatchClient>(dispatch));
  options.settings.zone = ctx.zone;
  options.outbox_threads = static_cast<int>(cfg.outbox_threads);
  process->Serve(std::make_unique<cak::campaign::CampaignServer>(std::move(options)));
  return process;
}

}  // namespace

int main(int argc, char** argv) {
  CampaignConfig cfg;
  cfg.intake.services = {"cak.voorlichting.intake.v1.IntakeService"};
  cfg.analysis.services = {"cak.voorlichting.analysis.v1.AnalysisService"};
  cfg.dispatch.services = {"cak.voorlichting.dispatch.v1.DispatchService"};
  common::ServiceHooks hooks;
  hooks.add_options = [&](common::ConfigParser& parser) {
    common::AddPeerOptions(parser, "intake", &cfg.intake);
    common::AddPeerOptions(parser, "analysis", &cfg.analysis);
    common::AddPeerOptions(parser, "dispatch", &cfg.dispatch);
    parser.Int("outbox-threads", &cfg.outbox_threads, 1, 0, 8,
               "outbox deliveries at once by this replica (0: none; another replica delivers)");
  };
  hooks.validate = [&](ServiceConfig::Mode mode) -> absl::Status {
    if (mode != ServiceConfig::Mode::kServe) return absl::OkStatus();
    for (const auto& [flag, peer] : {std::pair<const char*, const common::PeerConfig*>{"--intake-address", &cfg.intake},
                                     {"--analysis-address", &cfg.analysis},
                                     {"--dispatch-address", &cfg.dispatch}}) {
      if (peer->address.empty()) return absl::InvalidArgumentError(absl::StrCat(flag, " is required"));
    }
    return absl::OkStatus();
  };
  hooks.serve = [&](const common::ServiceContext& ctx) { return Serve(cfg, ctx); };
  return common::RunService(argc, argv,
                            {.name = "campaign-svc",
                             .summary = "information actions, four eyes and release (M7624 steps 4-6)",
                             .default_schema = "campaign",
                             .api_service = "cak.voorlichting.campaign.v1.CampaignService",
                             .migrations = cak::campaign::storage::CampaignMigrationSets(),
                             .time_zone = true},
                            cfg.common, hooks);
}
