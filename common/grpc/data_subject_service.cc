// Data subjects' rights API (see data_subject_service.h).
#include "common/grpc/data_subject_service.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/grpc/convert.h"
#include "common/grpc/type_convert.h"

namespace cak::common {

namespace pb = cak::voorlichting::privacy::v1;

DataSubjectServiceImpl::DataSubjectServiceImpl(const RpcEnvironment* env, db::PgPool* pool,
                                               const db::ProcessingLogStore* store, std::string service,
                                               SubjectRights rights)
    : env_(env), pool_(pool), store_(store), service_(std::move(service)), rights_(std::move(rights)) {}

grpc::Status DataSubjectServiceImpl::ExportSubjectData(grpc::ServerContext* context,
                                                       const pb::ExportSubjectDataRequest* request,
                                                       pb::SubjectDataExport* response) {
  return env_->Run(context, kExportSubjectData, [&](const CallContext& call) -> absl::Status {
    CAK_ASSIGN_OR_RETURN(const Bsn subject, Bsn::Parse(request->bsn(), "bsn"));
    CAK_ASSIGN_OR_RETURN(SubjectData data, rights_.exporter(call, subject));

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
    return Log(call, record);
  });
}

namespace {

// A reason to record (required, 10-500 characters).
absl::Status CheckReason(const std::string& text, absl::string_view field) {
  const size_t n = absl::StripAsciiWhitespace(text).size();
  if (n == 0) return InvalidField(reason::kRequiredFieldMissing, field, absl::StrCat(field, " is required"));
  if (n < 10)
    return InvalidField(reason::kInvalidFieldValue, field, absl::StrCat(field, " needs at least 10 characters"));
  if (text.size() > 500)
    return InvalidField(reason::kFieldTooLong, field, absl::StrCat(field, " has at most 500 characters"));
  return absl::OkStatus();
}

void ObjectionToProto(const ObjectionState& o, pb::Objection* out) {
  out->set_kind(static_cast<pb::ObjectionKind>(o.kind));
  out->set_scope(static_cast<pb::ObjectionScope>(o.scope));
  out->set_reason(o.reason);
  DayToProto(o.received_day, out->mutable_received_date());
  *out->mutable_record_time() = ToProtoTime(o.record_time);
  out->set_recorded_by(o.recorded_by);
  if (o.lift_time) {
    *out->mutable_lift_time() = ToProtoTime(*o.lift_time);
    out->set_lift_reason(o.lift_reason);
    out->set_lifted_by(o.lifted_by);
  }
}

absl::string_view KindName(ObjectionKind kind) {
  return kind == ObjectionKind::kObjection ? "OBJECTION" : "RESTRICTION";
}
absl::string_view ScopeName(ObjectionScope scope) {
  return scope == ObjectionScope::kAllSelection ? "ALL_SELECTION" : "CONTACT";
}

}  // namespace

grpc::Status DataSubjectServiceImpl::RecordObjection(grpc::ServerContext* context,
                                                     const pb::RecordObjectionRequest* request,
                                                     pb::ObjectionAnswer* response) {
  return env_->Run(context, kRecordObjection, [&](const CallContext& call) -> absl::Status {
    CAK_ASSIGN_OR_RETURN(Bsn subject, Bsn::Parse(request->bsn(), "bsn"));
    ObjectionRequest r{.subject = std::move(subject)};
    CAK_ASSIGN_OR_RETURN(r.kind, RequiredEnum<ObjectionKind>(request->kind(), pb::ObjectionKind_IsValid, "kind"));
    CAK_ASSIGN_OR_RETURN(r.scope, RequiredEnum<ObjectionScope>(request->scope(), pb::ObjectionScope_IsValid, "scope"));
    CAK_RETURN_IF_ERROR(CheckReason(request->reason(), "reason"));
    r.reason = std::string(absl::StripAsciiWhitespace(request->reason()));
    // "Today" generously: the person's date may be a day ahead of UTC in the Netherlands.
    const absl::CivilDay today = absl::ToCivilDay(env_->clock().Now(), absl::UTCTimeZone());
    r.received_day = today;
    if (request->has_received_date()) {
      CAK_ASSIGN_OR_RETURN(r.received_day, DayFromProto(request->received_date(), "received_date"));
      if (r.received_day > today + 1) {
        return InvalidField(reason::kInvalidFieldValue, "received_date", "received_date must not be in the future");
      }
    }
    ObjectionOutcome outcome;
    if (rights_.record_objection) {
      CAK_ASSIGN_OR_RETURN(outcome, rights_.record_objection(call, r));
    }
    ProcessingRecord record =
        MakeRecord("privacy.RecordObjection", ProcessingActivity::kRechtenBetrokkene, env_->clock().Now());
    record.data_subjects.push_back(r.subject);
    record.attributes = {{"kind", std::string(KindName(r.kind))},
                         {"scope", std::string(ScopeName(r.scope))},
                         {"received_date", absl::FormatCivilTime(r.received_day)}};
    return Answer(call, std::move(record), std::move(outcome), response);
  });
}

grpc::Status DataSubjectServiceImpl::LiftObjection(grpc::ServerContext* context,
                                                   const pb::LiftObjectionRequest* request,
                                                   pb::ObjectionAnswer* response) {
  return env_->Run(context, kLiftObjection, [&](const CallContext& call) -> absl::Status {
    CAK_ASSIGN_OR_RETURN(const Bsn subject, Bsn::Parse(request->bsn(), "bsn"));
    CAK_RETURN_IF_ERROR(CheckReason(request->reason(), "reason"));
    const std::string why(absl::StripAsciiWhitespace(request->reason()));
    ObjectionOutcome outcome;
    if (rights_.lift_objection) {
      CAK_ASSIGN_OR_RETURN(outcome, rights_.lift_objection(call, subject, why));
    }
    ProcessingRecord record =
        MakeRecord("privacy.LiftObjection", ProcessingActivity::kRechtenBetrokkene, env_->clock().Now());
    record.data_subjects.push_back(subject);
    return Answer(call, std::move(record), std::move(outcome), response);
  });
}

grpc::Status DataSubjectServiceImpl::EraseSubjectData(grpc::ServerContext* context,
                                                      const pb::EraseSubjectDataRequest* request,
                                                      pb::ErasureAnswer* response) {
  return env_->Run(context, kEraseSubjectData, [&](const CallContext& call) -> absl::Status {
    CAK_ASSIGN_OR_RETURN(const Bsn subject, Bsn::Parse(request->bsn(), "bsn"));
    CAK_RETURN_IF_ERROR(CheckReason(request->reason(), "reason"));
    ErasureOutcome outcome;
    if (rights_.erase) {
      CAK_ASSIGN_OR_RETURN(outcome, rights_.erase(call, subject, request->dry_run()));
    }
    ProcessingRecord record =
        MakeRecord("privacy.EraseSubjectData", ProcessingActivity::kRechtenBetrokkene, env_->clock().Now());
    record.data_subjects.push_back(subject);
    // (The reason stays out of the log: free text may name the person.)
    record.attributes = {{"dry_run", request->dry_run() ? "true" : "false"}};
    for (const ErasureOutcome::Category& c : outcome.categories) record.attributes[c.name] = absl::StrCat(c.count);
    CAK_RETURN_IF_ERROR(Log(call, record));
    response->set_service(service_);
    response->set_dry_run(request->dry_run());
    for (ErasureOutcome::Category& c : outcome.categories) {
      if (c.count == 0) continue;
      pb::ErasedCategory* out = response->add_categories();
      out->set_name(std::move(c.name));
      out->set_title(std::move(c.title));
      out->set_count(c.count);
    }
    for (std::string& k : outcome.kept) response->add_kept(std::move(k));
    response->add_kept(
        "Het verwerkingslogboek van deze dienst: wat met uw gegevens is gedaan, onder een sleutelcode in plaats van "
        "uw BSN, tot het einde van de bewaartermijn van het logboek (verantwoordingsplicht, art. 5 lid 2 AVG).");
    return absl::OkStatus();
  });
}

absl::Status DataSubjectServiceImpl::Log(const CallContext& call, const ProcessingRecord& record) const {
  return db::InTransaction(
      *pool_,
      [&](db::Tx& tx) {
        store_->Append(tx, call, record);
        return absl::OkStatus();
      },
      call.deadline);
}

absl::Status DataSubjectServiceImpl::Answer(const CallContext& call, ProcessingRecord record, ObjectionOutcome outcome,
                                            pb::ObjectionAnswer* response) const {
  record.attributes["unchanged"] = outcome.unchanged ? "true" : "false";
  record.attributes["effects"] = absl::StrCat(outcome.effects.size());
  CAK_RETURN_IF_ERROR(Log(call, record));
  response->set_service(service_);
  response->set_keeps_register(rights_.keeps_register);
  if (outcome.objection) ObjectionToProto(*outcome.objection, response->mutable_objection());
  response->set_unchanged(outcome.unchanged);
  for (std::string& e : outcome.effects) response->add_effects(std::move(e));
  if (!rights_.record_objection && !rights_.no_selection_remark.empty()) {
    response->add_remarks(rights_.no_selection_remark);
  }
  response->add_remarks(kStatutoryMailingsRemark);
  return absl::OkStatus();
}

}  // namespace cak::common
