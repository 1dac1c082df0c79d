// Data subjects' rights API (see data_subject_service.h).
#include "common/grpc/data_subject_service.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/grpc/convert.h"

namespace cak::common {

namespace pb = cak::voorlichting::privacy::v1;

DataSubjectServiceImpl::DataSubjectServiceImpl(const RpcEnvironment* env, db::PgPool* pool,
                                               const db::ProcessingLogStore* store, std::string service,
                                               SubjectDataExporter exporter)
    : env_(env), pool_(pool), store_(store), service_(std::move(service)), exporter_(std::move(exporter)) {}

grpc::Status DataSubjectServiceImpl::ExportSubjectData(grpc::ServerContext* context,
                                                       const pb::ExportSubjectDataRequest* request,
                                                       pb::SubjectDataExport* response) {
  return env_->Run(context, kExportSubjectData, [&](const CallContext& call) -> absl::Status {
    CAK_ASSIGN_OR_RETURN(const Bsn subject, Bsn::Parse(request->bsn(), "bsn"));
    CAK_ASSIGN_OR_RETURN(SubjectData data, exporter_(call, subject));

    ProcessingRecord record = MakeRecord("privacy.ExportSubjectData", ProcessingActivity::kInzage, env_->clock().Now());
    record.data_subjects.push_back(subject);
    std::vector<std::string> names;
    int64_t records = 0;
    response->set_service(service_);
    for (SubjectDataCategory& c : data.categories) {
      if (c.records.empty()) continue;
      names.push_back(c.name);
      records += static_cast<int64_t>(c.records.size());
      pb::DataCategory* out = response->add_categories();
      out->set_name(std::move(c.name));
      out->set_title(std::move(c.title));
      out->set_purpose(std::move(c.purpose));
      out->set_legal_basis(std::move(c.legal_basis));
      out->set_source(std::move(c.source));
      out->set_retention(std::move(c.retention));
      for (SubjectDataRecord& r : c.records) {
        pb::DataRecord* rec = out->add_records();
        for (SubjectDataField& f : r.fields) {
          pb::DataField* field = rec->add_fields();
          field->set_name(std::move(f.name));
          field->set_label(std::move(f.label));
          field->set_value(std::move(f.value));
        }
      }
    }
    response->set_holds_data(records > 0);
    for (std::string& remark : data.remarks) response->add_remarks(std::move(remark));
    *response->mutable_export_time() = ToProtoTime(record.end_time);
    record.attributes = {{"categories", absl::StrJoin(names, ",")}, {"records", absl::StrCat(records)}};
    return db::InTransaction(
        *pool_,
        [&](db::Tx& tx) {
          store_->Append(tx, call, record);
          return absl::OkStatus();
        },
        call.deadline);
  });
}

}  // namespace cak::common
