// analysis-svc assembly (see analysis_server.h).
#include "analysis-svc/src/server/analysis_server.h"

#include "common/base/log.h"

namespace cak::analysis {

namespace {
storage::PgSnapshotRepository::Options SnapshotOptions(const AnalysisServerOptions& o) {
  storage::PgSnapshotRepository::Options s;
  s.schema = o.schema;
  s.zone = o.zone_name;
  return s;
}

domain::AnalysisSettings Settings(const AnalysisServerOptions& o) {
  domain::AnalysisSettings s = o.settings;
  s.subject_ids = o.hasher;
  return s;
}
}  // namespace

AnalysisServer::AnalysisServer(AnalysisServerOptions options)
    : options_(std::move(options)),
      log_store_(options_.schema, "analysis-svc", options_.hasher.value(),
                 [m = options_.metrics](int64_t n) {
                   if (m) m->ProcessingLogEntriesWritten(n);
                 }),
      snapshots_(options_.pool, &log_store_, SnapshotOptions(options_)),
      analyses_(options_.pool, options_.schema, &log_store_),
      service_(&snapshots_, &analyses_, options_.clock, options_.pseudonymizer.value(), Settings(options_),
               options_.outcomes),
      env_(options_.auth, api::AnalysisRoleTable(), options_.clock, options_.metrics,
           common::PageTokens::ForDeployment(options_.hasher.value())),
      api_(&env_, &service_),
      log_api_(&env_, options_.pool, &log_store_),
      subject_api_(
          &env_, options_.pool, &log_store_, "analysis-svc",
          common::SubjectRights{
              .exporter = [this](const common::CallContext& call,
                                 const common::Bsn& bsn) { return service_.ExportSubjectData(call, bsn); },
              .record_objection =
                  [this](const common::CallContext& call, const common::ObjectionRequest& request) {
                    return service_.RecordObjection(call, request);
                  },
              .lift_objection = [this](const common::CallContext& call, const common::Bsn& bsn,
                                       const std::string& why) { return service_.LiftObjection(call, bsn, why); },
              .erase = [this](const common::CallContext& call, const common::Bsn& bsn,
                              bool dry_run) { return service_.EraseSubjectData(call, bsn, dry_run); },
              .keeps_register = true}),
      removal_api_(&env_, [this](const common::CallContext& call, const common::RemovalPosition& after,
                                 int page_size) { return service_.ListSubjectRemovals(call, after, page_size); }),
      server_(options_.server) {
  server_.AddService(&api_, api::pb::AnalysisService::service_full_name());
  server_.AddService(&log_api_, cak::voorlichting::processinglog::v1::ProcessingLogService::service_full_name());
  server_.AddService(&subject_api_, cak::voorlichting::privacy::v1::DataSubjectService::service_full_name());
  server_.AddService(&removal_api_, cak::voorlichting::privacy::v1::SubjectRemovalService::service_full_name());
  if (options_.metrics) {
    options_.metrics->AddService(cak::voorlichting::processinglog::v1::ProcessingLogService::service_full_name());
    options_.metrics->AddService(cak::voorlichting::privacy::v1::DataSubjectService::service_full_name());
    options_.metrics->AddService(cak::voorlichting::privacy::v1::SubjectRemovalService::service_full_name());
  }
}

AnalysisServer::~AnalysisServer() { Shutdown(); }

absl::Status AnalysisServer::Start() {
  if (absl::Status st = service_.snapshots().AwaitLatest(absl::InfiniteFuture()); !st.ok()) return st;
  if (absl::Status st = server_.Start(); !st.ok()) return st;
  service_.snapshots().StartWatching();
  if (options_.metrics) options_.metrics->ObservePool(options_.pool);
  common::db::PgPool* pool = options_.pool;
  server_.MonitorHealth([pool] { return common::db::DatabaseHealth(*pool); }, options_.health_interval);
  return absl::OkStatus();
}

void AnalysisServer::Shutdown() {
  server_.Shutdown();
  service_.snapshots().Stop();
}

void AnalysisServer::Wait() { server_.Wait(); }

}  // namespace cak::analysis
