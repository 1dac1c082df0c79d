// The data subjects' rights API (cak.voorlichting.privacy.v1.DataSubjectService), the same in
// every service: the service supplies what it holds (a SubjectDataExporter); this class checks
// the request, logs the access under the person's keyed hash and answers.
#pragma once

#include <string>

#include "cak/voorlichting/privacy/v1/data_subject_service.grpc.pb.h"
#include "common/base/subject_data.h"
#include "common/db/pool.h"
#include "common/db/processing_log_store.h"
#include "common/grpc/rpc.h"

namespace cak::common {

// Method name for role tables; grant it to roles::kPrivacyOfficer only.
inline constexpr char kExportSubjectData[] = "ExportSubjectData";

class DataSubjectServiceImpl final : public cak::voorlichting::privacy::v1::DataSubjectService::Service {
 public:
  // None owned. `service` names the answering service ("intake-svc").
  DataSubjectServiceImpl(const RpcEnvironment* env, db::PgPool* pool, const db::ProcessingLogStore* store,
                         std::string service, SubjectDataExporter exporter);

  // Reads what the service holds, then logs the access ("privacy.ExportSubjectData", activity
  // inzage, the person as data subject) in a transaction of its own; nothing is answered that
  // was not logged.
  grpc::Status ExportSubjectData(grpc::ServerContext* context,
                                 const cak::voorlichting::privacy::v1::ExportSubjectDataRequest* request,
                                 cak::voorlichting::privacy::v1::SubjectDataExport* response) override;

 private:
  const RpcEnvironment* env_;
  db::PgPool* pool_;
  const db::ProcessingLogStore* store_;
  std::string service_;
  SubjectDataExporter exporter_;
};

}  // namespace cak::common
