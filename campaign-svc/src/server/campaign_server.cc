// campaign-svc assembly (see campaign_server.h).
#include "campaign-svc/src/server/campaign_server.h"

#include "common/base/errors.h"

namespace cak::campaign {

namespace {

std::map<std::string, common::db::OutboxHandler> Handlers(domain::CampaignService* service) {
  return {
      {domain::kTopicCreateOrder, [service](const common::OutboxRecord& m) { return service->DeliverOrder(m); }},
      {domain::kTopicSignalPlanned,
       [service](const common::OutboxRecord& m) { return service->DeliverSignalPlanned(m); }},
      {domain::kTopicSignalClosed,
       [service](const common::OutboxRecord& m) { return service->DeliverSignalClosed(m); }},
  };
}

}  // namespace

CampaignServer::CampaignServer(CampaignServerOptions options)
    : options_(std::move(options)),
      log_store_(options_.schema, "campaign-svc", options_.hasher.value(),
                 [m = options_.metrics](int64_t n) {
                   if (m) m->ProcessingLogEntriesWritten(n);
                 }),
      relay_(options_.pool, options_.clock,
             common::db::OutboxRelayOptions{options_.schema, options_.outbox_threads, options_.outbox_poll_interval,
                                            options_.outbox_max_backoff},
             Handlers(&service_)),
      repository_(options_.pool, options_.schema, &log_store_, [this] { relay_.Wake(); }),
      service_(&repository_, options_.intake, options_.analysis, options_.dispatch, options_.clock, options_.settings),
      env_(options_.auth, api::CampaignRoleTable(), options_.clock, options_.metrics,
           common::PageTokens::ForDeployment(options_.hasher.value())),
      api_(&env_, &service_),
      log_api_(&env_, options_.pool, &log_store_),
      subject_api_(&env_, options_.pool, &log_store_, "campaign-svc",
                   common::SubjectRights{.exporter =
                                             [this](const common::CallContext& call, const common::Bsn& bsn) {
                                               // campaign-svc knows people only by their log id (previews).
                                               return service_.ExportSubjectData(call, log_store_.hasher().Hash(bsn));
                                             },
                                         .no_selection_remark =
                                             "campaign-svc selecteert zelf niemand: voorbeeldberichten worden gemaakt "
                                             "uit steekproeven van analysis-svc, dat het bezwaar toepast."}),
      server_(options_.server) {
  server_.AddService(&api_, api::pb::CampaignService::service_full_name());
  server_.AddService(&log_api_, cak::voorlichting::processinglog::v1::ProcessingLogService::service_full_name());
  server_.AddService(&subject_api_, cak::voorlichting::privacy::v1::DataSubjectService::service_full_name());
  if (options_.metrics) {
    options_.metrics->AddService(cak::voorlichting::processinglog::v1::ProcessingLogService::service_full_name());
    options_.metrics->AddService(cak::voorlichting::privacy::v1::DataSubjectService::service_full_name());
  }
}

CampaignServer::~CampaignServer() { Shutdown(); }

absl::Status CampaignServer::Start() {
  CAK_RETURN_IF_ERROR(server_.Start());
  if (options_.metrics) options_.metrics->ObservePool(options_.pool);
  common::db::PgPool* pool = options_.pool;
  server_.MonitorHealth([pool] { return common::db::DatabaseHealth(*pool); }, options_.health_interval);
  if (options_.outbox_threads > 0) relay_.Start();
  return absl::OkStatus();
}

void CampaignServer::Shutdown() {
  // The relay first: a delivery in progress finishes (or rolls back) before the pool goes.
  relay_.Stop();
  server_.Shutdown();
}

}  // namespace cak::campaign
