// The privacy officer's read API over a service's processing log
// (cak.voorlichting.processinglog.v1.ProcessingLogService), the same in every service.
// A lookup by data subject is itself a processing of that person's data and is logged.
#pragma once

#include "cak/voorlichting/processinglog/v1/processing_log_service.grpc.pb.h"
#include "common/db/pool.h"
#include "common/db/processing_log_store.h"
#include "common/grpc/rpc.h"

namespace cak::common {

// Method name for role tables; grant it to roles::kPrivacyOfficer.
inline constexpr char kListProcessingLogEntries[] = "ListProcessingLogEntries";

class ProcessingLogServiceImpl final : public cak::voorlichting::processinglog::v1::ProcessingLogService::Service {
 public:
  // None owned.
  ProcessingLogServiceImpl(const RpcEnvironment* env, db::PgPool* pool, const db::ProcessingLogStore* store);

  grpc::Status ListProcessingLogEntries(
      grpc::ServerContext* context,
      const cak::voorlichting::processinglog::v1::ListProcessingLogEntriesRequest* request,
      cak::voorlichting::processinglog::v1::ListProcessingLogEntriesResponse* response) override;

 private:
  const RpcEnvironment* env_;
  db::PgPool* pool_;
  const db::ProcessingLogStore* store_;
};

}  // namespace cak::common
