// AnalysisService handlers (see analysis_api.h).
#include "analysis-svc/src/api/analysis_api.h"

#include "absl/strings/str_cat.h"
#include "common/base/errors.h"
#include "common/grpc/convert.h"
#include "common/grpc/data_subject_service.h"
#include "common/grpc/processing_log_service.h"
#include "common/grpc/subject_removal_service.h"

namespace cak::analysis::api {

namespace roles = common::roles;
using common::CallContext;

common::RoleTable AnalysisRoleTable() {
  return {
      {"ImportCustomers", {roles::kAdministrator}},
      {"ImportRelations", {roles::kAdministrator}},
      {"ImportMailings", {roles::kAdministrator}},
      {"ImportContactReports", {roles::kAdministrator}},
      {"ImportFile", {roles::kAdministrator}},
      {"GetSnapshot",
       {roles::kAnalyst, roles::kCampaignDesigner, roles::kApprover, roles::kAdministrator, roles::kCampaignService,
        roles::kDispatchService}},
      {"AnalyzeImpact", {roles::kAnalyst, roles::kCampaignDesigner, roles::kApprover}},
      {"CreateSample", {roles::kAnalyst, roles::kCampaignDesigner, roles::kCampaignService}},
      {"ExportListing", {roles::kAnalyst, roles::kCampaignDesigner}},
      {"DefineTargetGroups", {roles::kAnalyst, roles::kCampaignDesigner}},
      {"GetTargetGroupSet", {roles::kAnalyst, roles::kCampaignDesigner, roles::kApprover, roles::kCampaignService}},
      {"FreezeRecipientList", {roles::kAnalyst, roles::kCampaignDesigner, roles::kCampaignService}},
      {"GetRecipientList",
       {roles::kAnalyst, roles::kCampaignDesigner, roles::kApprover, roles::kCampaignService, roles::kDispatchService}},
      {"StreamRecipients", {roles::kDispatchService}},
      {"MeasureResponse", {roles::kAnalyst, roles::kCampaignDesigner, roles::kApprover, roles::kCampaignService}},
      {"GetResponseMeasurement",
       {roles::kAnalyst, roles::kCampaignDesigner, roles::kApprover, roles::kCampaignService}},
      {"ListResponseMeasurements",
       {roles::kAnalyst, roles::kCampaignDesigner, roles::kApprover, roles::kCampaignService}},
      {"PurgeInactiveCustomers", {roles::kAdministrator}},
      {common::kListProcessingLogEntries, {roles::kPrivacyOfficer}},
      {common::kExportSubjectData, {roles::kPrivacyOfficer}},
      {common::kRecordObjection, {roles::kPrivacyOfficer}},
      {common::kLiftObjection, {roles::kPrivacyOfficer}},
      {common::kEraseSubjectData, {roles::kPrivacyOfficer}},
      {common::kListSubjectRemovals, {roles::kIntakeService, roles::kDispatchService}},
  };
}

AnalysisApi::AnalysisApi(const common::RpcEnvironment* env, domain::AnalysisService* service)
    : env_(env), service_(service) {}

template <typename Request>
grpc::Status AnalysisApi::Import(grpc::ServerContext* ctx, const char* method, domain::Dataset dataset,
                                 grpc::ServerReader<Request>* reader, pb::ImportReport* resp) {
  return env_->Run(ctx, method, [&](const CallContext& call) -> absl::Status {
    Request message;
    if (!reader->Read(&message)) {
      return common::InvalidField(common::reason::kRequiredFieldMissing, "options", "the stream carried no message");
    }
    CAK_ASSIGN_OR_RETURN(std::unique_ptr<domain::ImportSession> session,
                         service_->BeginImport(call, dataset, FromProto(message.options()), method));
    std::vector<std::string> fields;
    std::vector<absl::string_view> views;
    std::string bytes;
    int64_t row = 0;
    bool first = true;
    do {
      if (!first && message.has_options()) {
        return common::InvalidField(common::reason::kInvalidFieldValue, "options",
                                    "options belong in the first message only");
      }
      first = false;
      for (const auto& r : message.rows()) {
        RowFields(r, &fields);
        views.assign(fields.begin(), fields.end());
        bytes.clear();
        r.SerializeToString(&bytes);
        session->AddFingerprint(bytes);
        CAK_RETURN_IF_ERROR(session->AddRow(++row, views));
      }
      message.Clear();
      if (ctx->IsCancelled()) return absl::CancelledError("the client cancelled the import");
    } while (reader->Read(&message));
    CAK_ASSIGN_OR_RETURN(domain::ImportReport report, session->Finish());
    ToProto(report, resp);
    return absl::OkStatus();
  });
}

grpc::Status AnalysisApi::ImportCustomers(grpc::ServerContext* ctx, grpc::ServerReader<pb::ImportCustomersRequest>* r,
                                          pb::ImportReport* resp) {
  return Import(ctx, "ImportCustomers", domain::Dataset::kCustomers, r, resp);
}
grpc::Status AnalysisApi::ImportRelations(grpc::ServerContext* ctx, grpc::ServerReader<pb::ImportRelationsRequest>* r,
                                          pb::ImportReport* resp) {
  return Import(ctx, "ImportRelations", domain::Dataset::kRelations, r, resp);
}
grpc::Status AnalysisApi::ImportMailings(grpc::ServerContext* ctx, grpc::ServerReader<pb::ImportMailingsRequest>* r,
                                         pb::ImportReport* resp) {
  return Import(ctx, "ImportMailings", domain::Dataset::kMailings, r, resp);
}
grpc::Status AnalysisApi::ImportContactReports(grpc::ServerContext* ctx,
                                               grpc::ServerReader<pb::ImportContactReportsRequest>* r,
                                               pb::ImportReport* resp) {
  return Import(ctx, "ImportContactReports", domain::Dataset::kContactReports, r, resp);
}

grpc::Status AnalysisApi::ImportFile(grpc::ServerContext* ctx, const pb::ImportFileRequest* req,
                                     pb::ImportReport* resp) {
  return env_->Run(ctx, "ImportFile", [&](const CallContext& call) -> absl::Status {
    CAK_ASSIGN_OR_RETURN(auto dataset,
                         common::RequiredEnum<domain::Dataset>(req->dataset(), pb::Dataset_IsValid, "dataset"));
    CAK_ASSIGN_OR_RETURN(domain::ImportReport report,
                         service_->ImportFile(call, dataset, req->path(), FromProto(req->options())));
    ToProto(report, resp);
    return absl::OkStatus();
  });
}

grpc::Status AnalysisApi::GetSnapshot(grpc::ServerContext* ctx, const pb::GetSnapshotRequest*, pb::Snapshot* resp) {
  return env_->Run(ctx, "GetSnapshot", [&](const CallContext& call) -> absl::Status {
    CAK_ASSIGN_OR_RETURN(domain::SnapshotInfo info, service_->GetSnapshot(call));
    ToProto(info, resp);
    return absl::OkStatus();
  });
}

grpc::Status AnalysisApi::AnalyzeImpact(grpc::ServerContext* ctx, const pb::AnalyzeImpactRequest* req,
                                        pb::ImpactAnalysis* resp) {
  return env_->Run(ctx, "AnalyzeImpact", [&](const CallContext& call) -> absl::Status {
    if (!req->has_criteria())
      return common::InvalidField(common::reason::kRequiredFieldMissing, "criteria", "criteria is required");
    domain::ImpactRequest in;
    CAK_ASSIGN_OR_RETURN(in.criteria, CriteriaFromProto(req->criteria(), "criteria"));
    if (req->has_reference_date()) {
      CAK_ASSIGN_OR_RETURN(in.reference_day, DayFromProto(req->reference_date(), "reference_date"));
    }
    if (req->has_mailing_from_date()) {
      CAK_ASSIGN_OR_RETURN(in.mailing_from, DayFromProto(req->mailing_from_date(), "mailing_from_date"));
    }
    if (req->has_mailing_to_date()) {
      CAK_ASSIGN_OR_RETURN(in.mailing_to, DayFromProto(req->mailing_to_date(), "mailing_to_date"));
    }
    in.pressure_min_contacts = req->pressure_min_contacts();
    in.pressure_days = req->pressure_days();
    in.purpose = req->purpose();
    CAK_ASSIGN_OR_RETURN(domain::ImpactOutcome out, service_->AnalyzeImpact(call, in));
    ToProto(out.impact, resp);
    resp->set_snapshot_version(out.snapshot_version);
    DayToProto(out.options.reference_day, resp->mutable_reference_date());
    DayToProto(out.options.mailing_from, resp->mutable_mailing_from_date());
    DayToProto(out.options.mailing_to, resp->mutable_mailing_to_date());
    resp->set_pressure_min_contacts(out.options.pressure_min_contacts);
    resp->set_pressure_days(out.options.pressure_days);
    return absl::OkStatus();
  });
}

grpc::Status AnalysisApi::CreateSample(grpc::ServerContext* ctx, const pb::CreateSampleRequest* req, pb::Sample* resp) {
  return env_->Run(ctx, "CreateSample", [&](const CallContext& call) -> absl::Status {
    domain::SampleRequest in;
    if (!req->target_group_set().empty()) {
      if (req->has_criteria()) {
        return common::InvalidField(common::reason::kInvalidFieldValue, "target_group_set",
                                    "give criteria or target_group_set, not both");
      }
      CAK_ASSIGN_OR_RETURN(in.target_group_set,
                           ParseName(req->target_group_set(), "targetGroupSets", "target_group_set"));
      in.group = req->group();
    } else {
      if (!req->has_criteria()) {
        return common::InvalidField(common::reason::kRequiredFieldMissing, "criteria",
                                    "criteria (or target_group_set) is required");
      }
      if (!req->group().empty()) {
        return common::InvalidField(common::reason::kInvalidFieldValue, "group", "group needs target_group_set");
      }
      CAK_ASSIGN_OR_RETURN(in.criteria, CriteriaFromProto(req->criteria(), "criteria"));
    }
    in.size = req->size();
    in.seed = req->seed();
    CAK_ASSIGN_OR_RETURN(auto strat, common::OptionalEnum<domain::Stratification>(
                                         req->stratification(), pb::Stratification_IsValid, "stratification"));
    in.stratification = strat.value_or(domain::Stratification::kNone);
    if (!pb::SampleView_IsValid(req->view())) {
      return common::InvalidField(common::reason::kUnknownEnumValue, "view", "view has an unknown value");
    }
    in.full_view = req->view() == pb::SAMPLE_VIEW_FULL;
    in.purpose = req->purpose();
    if (req->has_reference_date()) {
      CAK_ASSIGN_OR_RETURN(in.reference_day, DayFromProto(req->reference_date(), "reference_date"));
    }
    CAK_ASSIGN_OR_RETURN(domain::SampleOutcome out, service_->CreateSample(call, in));
    ToProto(out, resp);
    return absl::OkStatus();
  });
}

grpc::Status AnalysisApi::DefineTargetGroups(grpc::ServerContext* ctx, const pb::DefineTargetGroupsRequest* req,
                                             pb::TargetGroupSet* resp) {
  return env_->Run(ctx, "DefineTargetGroups", [&](const CallContext& call) -> absl::Status {
    domain::DefineGroupsRequest in;
    in.request_id = req->request_id();
    in.fingerprint = common::RequestFingerprint(*req, call.principal);
    in.signal = req->signal();
    for (int i = 0; i < req->groups_size(); ++i) {
      const auto& g = req->groups(i);
      const std::string path = absl::StrCat("groups[", i, "].criteria");
      if (!g.has_criteria())
        return common::InvalidField(common::reason::kRequiredFieldMissing, path, "criteria is required");
      CAK_ASSIGN_OR_RETURN(domain::Criteria criteria, CriteriaFromProto(g.criteria(), path));
      in.groups.push_back(domain::NamedCriteria{g.name(), std::move(criteria)});
    }
    if (req->has_reference_date()) {
      CAK_ASSIGN_OR_RETURN(in.reference_day, DayFromProto(req->reference_date(), "reference_date"));
    }
    in.purpose = req->purpose();
    bool replayed = false;
    CAK_ASSIGN_OR_RETURN(domain::TargetGroupSetRecord set, service_->DefineTargetGroups(call, in, &replayed));
    ToProto(set, resp);
    resp->set_replayed(replayed);
    return absl::OkStatus();
  });
}

grpc::Status AnalysisApi::GetTargetGroupSet(grpc::ServerContext* ctx, const pb::GetTargetGroupSetRequest* req,
                                            pb::TargetGroupSet* resp) {
  return env_->Run(ctx, "GetTargetGroupSet", [&](const CallContext& call) -> absl::Status {
    CAK_ASSIGN_OR_RETURN(std::string id, ParseName(req->name(), "targetGroupSets", "name"));
    CAK_ASSIGN_OR_RETURN(domain::TargetGroupSetRecord set, service_->GetTargetGroupSet(call, id));
    ToProto(set, resp);
    return absl::OkStatus();
  });
}

grpc::Status AnalysisApi::FreezeRecipientList(grpc::ServerContext* ctx, const pb::FreezeRecipientListRequest* req,
                                              pb::RecipientList* resp) {
  return env_->Run(ctx, "FreezeRecipientList", [&](const CallContext& call) -> absl::Status {
    domain::FreezeRequest in;
    in.request_id = req->request_id();
    in.fingerprint = common::RequestFingerprint(*req, call.principal);
    CAK_ASSIGN_OR_RETURN(in.target_group_set,
                         ParseName(req->target_group_set(), "targetGroupSets", "target_group_set"));
    in.group = req->group();
    in.control_share = req->control_share();
    in.control_seed = req->control_seed();
    bool replayed = false;
    CAK_ASSIGN_OR_RETURN(domain::RecipientListRecord list, service_->FreezeRecipientList(call, in, &replayed));
    ToProto(list, resp);
    resp->set_replayed(replayed);
    return absl::OkStatus();
  });
}

grpc::Status AnalysisApi::GetRecipientList(grpc::ServerContext* ctx, const pb::GetRecipientListRequest* req,
                                           pb::RecipientList* resp) {
  return env_->Run(ctx, "GetRecipientList", [&](const CallContext& call) -> absl::Status {
    CAK_ASSIGN_OR_RETURN(std::string id, ParseName(req->name(), "recipientLists", "name"));
    CAK_ASSIGN_OR_RETURN(domain::RecipientListRecord list, service_->GetRecipientList(call, id));
    ToProto(list, resp);
    return absl::OkStatus();
  });
}

grpc::Status AnalysisApi::StreamRecipients(grpc::ServerContext* ctx, const pb::StreamRecipientsRequest* req,
                                           grpc::ServerWriter<pb::StreamRecipientsResponse>* writer) {
  return env_->Run(ctx, "StreamRecipients", [&](const CallContext& call) -> absl::Status {
    CAK_ASSIGN_OR_RETURN(std::string id, ParseName(req->name(), "recipientLists", "name"));
    CAK_ASSIGN_OR_RETURN(auto field_set,
                         common::RequiredEnum<domain::FieldSet>(req->field_set(), pb::FieldSet_IsValid, "field_set"));
    constexpr int kPerMessage = 1000;
    pb::StreamRecipientsResponse response;
    return service_->StreamRecipients(call, id, field_set, req->with_customer_number(), req->after_position(),
                                      req->until_position(), [&](std::vector<domain::RecipientRow>& rows) {
                                        for (size_t i = 0; i < rows.size(); ++i) {
                                          ToProto(std::move(rows[i]), response.add_recipients());
                                          if (response.recipients_size() == kPerMessage || i + 1 == rows.size()) {
                                            if (!writer->Write(response)) return false;
                                            response.Clear();
                                          }
                                        }
                                        return !ctx->IsCancelled();
                                      });
  });
}

grpc::Status AnalysisApi::ExportListing(grpc::ServerContext* ctx, const pb::ExportListingRequest* req,
                                        grpc::ServerWriter<pb::ExportListingResponse>* writer) {
  return env_->Run(ctx, "ExportListing", [&](const CallContext& call) -> absl::Status {
    CAK_ASSIGN_OR_RETURN(domain::ListingRequest in, FromProto(*req));
    pb::ExportListingResponse response;
    return service_->ExportListing(call, in, [&](const std::string& csv, const domain::ListingProgress& progress) {
      response.set_csv(csv);
      response.set_rows_sent(progress.rows_sent);
      response.set_total_rows(progress.total_rows);
      response.set_selected(progress.selected);
      response.set_excluded_by_objection(progress.excluded_by_objection);
      response.set_snapshot_version(progress.snapshot_version);
      return writer->Write(response) && !ctx->IsCancelled();
    });
  });
}

grpc::Status AnalysisApi::MeasureResponse(grpc::ServerContext* ctx, const pb::MeasureResponseRequest* req,
                                          pb::ResponseMeasurement* resp) {
  return env_->Run(ctx, "MeasureResponse", [&](const CallContext& call) -> absl::Status {
    CAK_ASSIGN_OR_RETURN(domain::MeasureRequest in, FromProto(*req));
    CAK_ASSIGN_OR_RETURN(domain::MeasureOutcome out, service_->MeasureResponse(call, in));
    ToProto(out, resp);
    return absl::OkStatus();
  });
}

grpc::Status AnalysisApi::GetResponseMeasurement(grpc::ServerContext* ctx, const pb::GetResponseMeasurementRequest* req,
                                                 pb::ResponseMeasurement* resp) {
  return env_->Run(ctx, "GetResponseMeasurement", [&](const CallContext& call) -> absl::Status {
    CAK_ASSIGN_OR_RETURN(std::string id, ParseName(req->name(), "responseMeasurements", "name"));
    CAK_ASSIGN_OR_RETURN(domain::KeptMeasurement m, service_->GetResponseMeasurement(call, id));
    ToProto(m, resp);
    return absl::OkStatus();
  });
}

grpc::Status AnalysisApi::ListResponseMeasurements(grpc::ServerContext* ctx,
                                                   const pb::ListResponseMeasurementsRequest* req,
                                                   pb::ListResponseMeasurementsResponse* resp) {
  return env_->Run(ctx, "ListResponseMeasurements", [&](const CallContext& call) -> absl::Status {
    if (req->campaign().empty()) {
      return common::InvalidField(common::reason::kRequiredFieldMissing, "campaign", "campaign is required");
    }
    CAK_ASSIGN_OR_RETURN(std::string campaign_id, ParseName(req->campaign(), "campaigns", "campaign"));
    CAK_ASSIGN_OR_RETURN(
        auto page, common::Page::Open(env_->page_tokens(), absl::StrCat("ListResponseMeasurements:", req->campaign()),
                                      req->page_size(), req->page_token(), {20, 100},
                                      {common::PagePart::kMicros, common::PagePart::kUuid}));
    std::optional<std::pair<absl::Time, std::string>> after;
    if (!page.first()) after = std::make_pair(page.Micros(0), page.Part(1));
    CAK_ASSIGN_OR_RETURN(auto kept, service_->ListResponseMeasurements(call, absl::StrCat("campaigns/", campaign_id),
                                                                       after, page.read_limit()));
    resp->set_next_page_token(page.Close(kept, [](const domain::KeptMeasurement& m) {
      return std::vector{common::Page::MicrosPart(m.measure_time), m.id};
    }));
    for (const auto& m : kept) ToProto(m, resp->add_response_measurements());
    return absl::OkStatus();
  });
}

grpc::Status AnalysisApi::PurgeInactiveCustomers(grpc::ServerContext* ctx, const pb::PurgeInactiveCustomersRequest* req,
                                                 pb::PurgeInactiveCustomersResponse* resp) {
  return env_->Run(ctx, "PurgeInactiveCustomers", [&](const CallContext& call) -> absl::Status {
    CAK_ASSIGN_OR_RETURN(domain::PurgeOutcome out, service_->PurgeInactiveCustomers(call, req->dry_run()));
    resp->set_customers(out.counts.customers);
    resp->set_relations(out.counts.relations);
    resp->set_sample_members(out.counts.sample_members);
    resp->set_list_members(out.counts.list_members);
    DayToProto(out.cutoff, resp->mutable_cutoff_date());
    resp->set_dry_run(out.dry_run);
    return absl::OkStatus();
  });
}

}  // namespace cak::analysis::api
