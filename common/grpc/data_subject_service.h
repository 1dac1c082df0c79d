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

// Method names for role tables; grant them to roles::kPrivacyOfficer only.
inline constexpr char kExportSubjectData[] = "ExportSubjectData";
inline constexpr char kRecordObjection[] = "RecordObjection";
inline constexpr char kLiftObjection[] = "LiftObjection";
inline constexpr char kEraseSubjectData[] = "EraseSubjectData";

// What every objection answer says (Dutch): statutory mailings are not this system's.
inline constexpr char kStatutoryMailingsRemark[] =
    "Wettelijk verplichte berichten (zoals beschikkingen, facturen en aanmaningen) verstuurt het CAK met andere "
    "systemen; een bezwaar of beperking hier stopt die niet.";

class DataSubjectServiceImpl final : public cak::voorlichting::privacy::v1::DataSubjectService::Service {
 public:
  // None owned. `service` names the answering service ("intake-svc").
  DataSubjectServiceImpl(const RpcEnvironment* env, db::PgPool* pool, const db::ProcessingLogStore* store,
                         std::string service, SubjectRights rights);

  // Reads what the service holds, then logs the access ("privacy.ExportSubjectData", activity
  // inzage, the person as data subject) in a transaction of its own; nothing is answered that
  // was not logged.
  grpc::Status ExportSubjectData(grpc::ServerContext* context,
                                 const cak::voorlichting::privacy::v1::ExportSubjectDataRequest* request,
                                 cak::voorlichting::privacy::v1::SubjectDataExport* response) override;

  // Checks the request, lets the service apply it (SubjectRights), then logs the call
  // ("privacy.RecordObjection" / "privacy.LiftObjection", activity rechten betrokkenen, the
  // person as data subject) and answers with the statutory-mailings remark. A refusal writes
  // nothing.
  grpc::Status RecordObjection(grpc::ServerContext* context,
                               const cak::voorlichting::privacy::v1::RecordObjectionRequest* request,
                               cak::voorlichting::privacy::v1::ObjectionAnswer* response) override;
  grpc::Status LiftObjection(grpc::ServerContext* context,
                             const cak::voorlichting::privacy::v1::LiftObjectionRequest* request,
                             cak::voorlichting::privacy::v1::ObjectionAnswer* response) override;
  // Checks the request, lets the service erase (or count, dry run), then logs the call
  // ("privacy.EraseSubjectData", the person as data subject, the counts as attributes). Every
  // answer says the processing log keeps its hashed entries.
  grpc::Status EraseSubjectData(grpc::ServerContext* context,
                                const cak::voorlichting::privacy::v1::EraseSubjectDataRequest* request,
                                cak::voorlichting::privacy::v1::ErasureAnswer* response) override;

 private:
  // Logs `record` (the call, the person as its data subject) in a transaction of its own.
  absl::Status Log(const CallContext& call, const ProcessingRecord& record) const;
  // Logs `record` and fills the answer from `outcome`.
  absl::Status Answer(const CallContext& call, ProcessingRecord record, ObjectionOutcome outcome,
                      cak::voorlichting::privacy::v1::ObjectionAnswer* response) const;

  const RpcEnvironment* env_;
  db::PgPool* pool_;
  const db::ProcessingLogStore* store_;
  std::string service_;
  SubjectRights rights_;
};

}  // namespace cak::common
