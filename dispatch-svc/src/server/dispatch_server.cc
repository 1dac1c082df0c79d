// dispatch-svc assembly (see dispatch_server.h).
#include "dispatch-svc/src/server/dispatch_server.h"

#include "common/base/errors.h"
#include "common/base/log.h"

namespace cak::dispatch {

namespace {

// The settings with their observers wired to the metrics.
DispatchServerOptions Observed(DispatchServerOptions o) {
  if (o.metrics != nullptr && !o.settings.batch_attempt_failed) {
    o.settings.batch_attempt_failed =
        o.metrics->LabeledCounter("dispatch_batch_attempts_failed_total",
                                  "Batch generation attempts that failed, by reason; the batch is tried again after a "
                                  "backoff (alert when it keeps growing)",
                                  "reason");
  }
  return o;
}

}  // namespace

DispatchServer::DispatchServer(DispatchServerOptions options)
    : options_(Observed(std::move(options))),
      log_store_(options_.schema, "dispatch-svc", options_.hasher.value(),
                 [m = options_.metrics](int64_t n) {
                   if (m) m->ProcessingLogEntriesWritten(n);
                 }),
      repository_(options_.pool, options_.schema, &log_store_, options_.settings.replica),
      files_(options_.delivery_dir),
      service_(&repository_, options_.delivery_store != nullptr ? options_.delivery_store : &files_,
               options_.recipients, options_.clock, options_.hasher.value(), options_.settings),
      generator_(options_.generator_threads > 0
                     ? std::make_unique<domain::BatchGenerator>(&service_, options_.generator_threads,
                                                                options_.generator_poll_interval)
                     : nullptr),
      env_(options_.auth, api::DispatchRoleTable(), options_.clock, options_.metrics,
           common::PageTokens::ForDeployment(options_.hasher.value())),
      api_(&env_, &service_,
           [g = generator_.get()] {
             if (g) g->Wake();
           }),
      executor_api_(&env_, &service_),
      log_api_(&env_, options_.pool, &log_store_),
      subject_api_(&env_, options_.pool, &log_store_, "dispatch-svc",
                   common::SubjectRights{
                       .exporter = [this](const common::CallContext& call,
                                          const common::Bsn& bsn) { return service_.ExportSubjectData(call, bsn); },
                       .record_objection =
                           [this](const common::CallContext& call, const common::ObjectionRequest& request) {
                             return service_.ObjectionEffects(call, request.subject, /*lifted=*/false);
                           },
                       .lift_objection =
                           [this](const common::CallContext& call, const common::Bsn& bsn, const std::string&) {
                             return service_.ObjectionEffects(call, bsn, /*lifted=*/true);
                           },
                       .erase = [this](const common::CallContext& call, const common::Bsn& bsn,
                                       bool dry_run) { return service_.EraseSubjectData(call, bsn, dry_run); }}),
      server_(options_.server) {
  server_.AddService(&api_, api::pb::DispatchService::service_full_name());
  server_.AddService(&executor_api_, api::pb::ExecutorService::service_full_name());
  server_.AddService(&log_api_, cak::voorlichting::processinglog::v1::ProcessingLogService::service_full_name());
  server_.AddService(&subject_api_, cak::voorlichting::privacy::v1::DataSubjectService::service_full_name());
  if (options_.metrics) {
    options_.metrics->AddService(api::pb::ExecutorService::service_full_name());
    options_.metrics->AddService(cak::voorlichting::processinglog::v1::ProcessingLogService::service_full_name());
    options_.metrics->AddService(cak::voorlichting::privacy::v1::DataSubjectService::service_full_name());
  }
}

DispatchServer::~DispatchServer() { Shutdown(); }

absl::Status DispatchServer::Start() {
  CAK_RETURN_IF_ERROR(files_.CheckWritable());
  // Another replica may be writing right now: only leftovers older than any generation.
  const int removed = files_.CollectTemporaryFiles(absl::Hours(1));
  if (removed > 0) common::log::Info("temporary_delivery_files_removed", {{"files", removed}});
  CAK_RETURN_IF_ERROR(server_.Start());
  if (options_.metrics) options_.metrics->ObservePool(options_.pool);
  common::db::PgPool* pool = options_.pool;
  server_.MonitorHealth([pool] { return common::db::DatabaseHealth(*pool); }, options_.health_interval);
  if (generator_) generator_->Start();
  return absl::OkStatus();
}

void DispatchServer::Shutdown() {
  // Generation first: a batch in progress finishes (or rolls back) before the pool goes.
  if (generator_) generator_->Stop();
  server_.Shutdown();
}

}  // namespace cak::dispatch
