// intake-svc assembly (see intake_server.h).
#include "intake-svc/src/server/intake_server.h"

namespace cak::intake {

IntakeServer::IntakeServer(IntakeServerOptions options)
    : options_(std::move(options)),
      log_store_(options_.schema, "intake-svc", options_.hasher.value(),
                 [m = options_.metrics](int64_t n) {
                   if (m) m->ProcessingLogEntriesWritten(n);
                 }),
      repository_(options_.pool, options_.schema, &log_store_, options_.batching),
      service_(&repository_, &notifier_, options_.clock, options_.settings),
      env_(options_.auth, api::IntakeRoleTable(), options_.clock, options_.metrics,
           common::PageTokens::ForDeployment(options_.hasher.value())),
      api_(&env_, &service_),
      log_api_(&env_, options_.pool, &log_store_),
      subject_api_(&env_, options_.pool, &log_store_, "intake-svc",
                   common::SubjectRights{
                       .exporter = [this](const common::CallContext& call,
                                          const common::Bsn& bsn) { return service_.ExportSubjectData(call, bsn); },
                       .erase = [this](const common::CallContext& call, const common::Bsn& bsn,
                                       bool dry_run) { return service_.EraseSubjectData(call, bsn, dry_run); },
                       .no_selection_remark =
                           "intake-svc selecteert zelf niemand: signalen die u noemen blijven geregistreerd, maar wie "
                           "voor een actie wordt geselecteerd bepaalt analysis-svc, dat het bezwaar toepast."}),
      listener_(
          options_.pool->conninfo(), storage::PgSignalRepository::NotifyChannel(options_.schema),
          [this](const std::string& signal_id) { notifier_.Notify(signal_id); }, [this] { notifier_.NotifyAll(); }),
      server_(options_.server) {
  server_.AddService(&api_, api::pb::IntakeService::service_full_name());
  server_.AddService(&log_api_, cak::voorlichting::processinglog::v1::ProcessingLogService::service_full_name());
  server_.AddService(&subject_api_, cak::voorlichting::privacy::v1::DataSubjectService::service_full_name());
  if (options_.metrics) {
    options_.metrics->AddService(cak::voorlichting::processinglog::v1::ProcessingLogService::service_full_name());
    options_.metrics->AddService(cak::voorlichting::privacy::v1::DataSubjectService::service_full_name());
  }
  // Streams end first so that draining does not wait for watchers that would never finish.
  server_.OnShutdown([this] { notifier_.Shutdown(); });
}

IntakeServer::~IntakeServer() {
  Shutdown();
  listener_.Stop();
}

absl::Status IntakeServer::Start() {
  listener_.Start();
  if (absl::Status st = server_.Start(); !st.ok()) return st;
  if (options_.metrics) options_.metrics->ObservePool(options_.pool);
  common::db::PgPool* pool = options_.pool;
  server_.MonitorHealth([pool] { return common::db::DatabaseHealth(*pool); }, options_.health_interval);
  return absl::OkStatus();
}

void IntakeServer::Shutdown() { server_.Shutdown(); }

void IntakeServer::Wait() { server_.Wait(); }

}  // namespace cak::intake
