// IntakeService handlers (see intake_api.h).
#include "intake-svc/src/api/intake_api.h"

#include "absl/strings/str_cat.h"
#include "common/base/errors.h"
#include "common/grpc/convert.h"
#include "common/grpc/data_subject_service.h"
#include "common/grpc/processing_log_service.h"
#include "intake-svc/src/api/mapping.h"
#include "intake-svc/src/domain/validation.h"

namespace cak::intake::api {

namespace roles = common::roles;
using common::CallContext;

namespace {

// The filters of a ListSignals request, to which its page tokens are bound.
std::string ListFingerprint(const domain::ListQuery& q) {
  auto opt = [](const auto& v) { return v ? absl::StrCat(static_cast<int>(*v)) : std::string("-"); };
  auto time = [](const std::optional<absl::Time>& t) { return t ? common::Page::MicrosPart(*t) : "-"; };
  return absl::StrCat("ListSignals:", opt(q.state), "/", opt(q.category), "/", opt(q.regulation), "/", q.reporter, "/",
                      time(q.received_from), "/", time(q.received_before));
}

}  // namespace

common::RoleTable IntakeRoleTable() {
  return {
      {"SubmitSignal", {roles::kIntakeOfficer, roles::kReportingApplication}},
      // The privacy officer reads a signal (never its BSNs: the full view is for the intake
      // officer and the analyst) to find its information action's trace.
      {"GetSignal",
       {roles::kIntakeOfficer, roles::kAnalyst, roles::kCampaignDesigner, roles::kApprover,
        roles::kReportingApplication, roles::kCampaignService, roles::kAnalysisService, roles::kPrivacyOfficer}},
      {"ListSignals",
       {roles::kIntakeOfficer, roles::kAnalyst, roles::kCampaignDesigner, roles::kApprover,
        roles::kReportingApplication}},
      {"AddSignalInformation", {roles::kIntakeOfficer, roles::kReportingApplication}},
      {"DeclineSignal", {roles::kIntakeOfficer, roles::kAnalyst}},
      {"StartSignalAssessment", {roles::kIntakeOfficer, roles::kAnalyst, roles::kAnalysisService}},
      {"MarkSignalActionPlanned", {roles::kCampaignDesigner, roles::kCampaignService}},
      {"CloseSignal", {roles::kCampaignDesigner, roles::kCampaignService}},
      {"WatchSignal", {roles::kReportingApplication, roles::kIntakeOfficer}},
      {"PurgeSignals", {roles::kAdministrator}},
      {common::kListProcessingLogEntries, {roles::kPrivacyOfficer}},
      {common::kExportSubjectData, {roles::kPrivacyOfficer}},
      {common::kRecordObjection, {roles::kPrivacyOfficer}},
      {common::kLiftObjection, {roles::kPrivacyOfficer}},
      {common::kEraseSubjectData, {roles::kPrivacyOfficer}},
  };
}

IntakeApi::IntakeApi(const common::RpcEnvironment* env, domain::SignalService* service)
    : env_(env), service_(service) {}

grpc::Status IntakeApi::SubmitSignal(grpc::ServerContext* ctx, const pb::SubmitSignalRequest* req,
                                     pb::SubmitSignalResponse* resp) {
  return env_->Run(ctx, "SubmitSignal", [&](const CallContext& call) -> absl::Status {
    if (!req->has_signal()) {
      return common::InvalidField(common::reason::kRequiredFieldMissing, "signal", "signal is required");
    }
    domain::SubmitInput input;
    CAK_ASSIGN_OR_RETURN(input.content, FromProto(req->signal()));
    input.request_id = req->request_id();
    input.fingerprint = common::RequestFingerprint(*req, call.principal);
    CAK_ASSIGN_OR_RETURN(domain::CreateOutcome outcome, service_->Submit(call, std::move(input)));
    ToProto(outcome.signal, domain::View::kBasic, resp->mutable_signal());
    resp->set_replayed(outcome.replayed);
    return absl::OkStatus();
  });
}

grpc::Status IntakeApi::GetSignal(grpc::ServerContext* ctx, const pb::GetSignalRequest* req, pb::Signal* resp) {
  return env_->Run(ctx, "GetSignal", [&](const CallContext& call) -> absl::Status {
    CAK_ASSIGN_OR_RETURN(std::string id, domain::ParseSignalName(req->name(), "name"));
    CAK_ASSIGN_OR_RETURN(domain::View view, ViewFromProto(req->view()));
    CAK_ASSIGN_OR_RETURN(domain::Signal signal, service_->Get(call, id, view));
    ToProto(signal, view, resp);
    return absl::OkStatus();
  });
}

grpc::Status IntakeApi::ListSignals(grpc::ServerContext* ctx, const pb::ListSignalsRequest* req,
                                    pb::ListSignalsResponse* resp) {
  return env_->Run(ctx, "ListSignals", [&](const CallContext& call) -> absl::Status {
    CAK_ASSIGN_OR_RETURN(domain::ListQuery query, FromProto(*req));
    CAK_ASSIGN_OR_RETURN(
        auto page, common::Page::Open(env_->page_tokens(), ListFingerprint(query), req->page_size(), req->page_token(),
                                      {50, 500}, {common::PagePart::kMicros, common::PagePart::kUuid}));
    query.limit = page.read_limit();
    if (!page.first()) query.after = std::make_pair(page.Micros(0), page.Part(1));
    CAK_ASSIGN_OR_RETURN(std::vector<domain::Signal> signals, service_->List(call, std::move(query)));
    resp->set_next_page_token(page.Close(signals, [](const domain::Signal& s) {
      return std::vector{common::Page::MicrosPart(s.receive_time), s.id};
    }));
    for (const auto& s : signals) ToProto(s, domain::View::kBasic, resp->add_signals());
    return absl::OkStatus();
  });
}

grpc::Status IntakeApi::Change(
    grpc::ServerContext* ctx, const char* method, const std::string& name, pb::Signal* resp,
    const std::function<absl::StatusOr<domain::Signal>(const CallContext&, const std::string&)>& op) {
  return env_->Run(ctx, method, [&](const CallContext& call) -> absl::Status {
    CAK_ASSIGN_OR_RETURN(std::string id, domain::ParseSignalName(name, "name"));
    CAK_ASSIGN_OR_RETURN(domain::Signal signal, op(call, id));
    ToProto(signal, domain::View::kBasic, resp);
    return absl::OkStatus();
  });
}

grpc::Status IntakeApi::AddSignalInformation(grpc::ServerContext* ctx, const pb::AddSignalInformationRequest* req,
                                             pb::Signal* resp) {
  return Change(ctx, "AddSignalInformation", req->name(), resp, [&](const CallContext& call, const std::string& id) {
    return service_->AddInformation(call, id, req->text());
  });
}

grpc::Status IntakeApi::DeclineSignal(grpc::ServerContext* ctx, const pb::DeclineSignalRequest* req, pb::Signal* resp) {
  return Change(ctx, "DeclineSignal", req->name(), resp,
                [&](const CallContext& call, const std::string& id) -> absl::StatusOr<domain::Signal> {
                  CAK_ASSIGN_OR_RETURN(auto reason, common::RequiredEnum<domain::DeclineReason>(
                                                        req->reason(), pb::DeclineReason_IsValid, "reason"));
                  return service_->Decline(call, id, reason, req->feedback());
                });
}

grpc::Status IntakeApi::StartSignalAssessment(grpc::ServerContext* ctx, const pb::StartSignalAssessmentRequest* req,
                                              pb::Signal* resp) {
  return Change(ctx, "StartSignalAssessment", req->name(), resp,
                [&](const CallContext& call, const std::string& id) { return service_->StartAssessment(call, id); });
}

grpc::Status IntakeApi::MarkSignalActionPlanned(grpc::ServerContext* ctx, const pb::MarkSignalActionPlannedRequest* req,
                                                pb::Signal* resp) {
  return Change(ctx, "MarkSignalActionPlanned", req->name(), resp, [&](const CallContext& call, const std::string& id) {
    return service_->MarkActionPlanned(call, id, req->campaign());
  });
}

grpc::Status IntakeApi::CloseSignal(grpc::ServerContext* ctx, const pb::CloseSignalRequest* req, pb::Signal* resp) {
  return Change(ctx, "CloseSignal", req->name(), resp, [&](const CallContext& call, const std::string& id) {
    return service_->Close(call, id, req->feedback());
  });
}

grpc::Status IntakeApi::WatchSignal(grpc::ServerContext* ctx, const pb::WatchSignalRequest* req,
                                    grpc::ServerWriter<pb::WatchSignalResponse>* writer) {
  return env_->Run(ctx, "WatchSignal", [&](const CallContext& call) -> absl::Status {
    CAK_ASSIGN_OR_RETURN(std::string id, domain::ParseSignalName(req->name(), "name"));
    domain::WatchSink sink;
    sink.send = [&](const domain::SignalEvent& e) {
      pb::WatchSignalResponse response;
      ToProto(e, response.mutable_event());
      return writer->Write(response);
    };
    sink.cancelled = [ctx] { return ctx->IsCancelled(); };
    return service_->Watch(call, id, req->after_sequence(), sink);
  });
}

grpc::Status IntakeApi::PurgeSignals(grpc::ServerContext* ctx, const pb::PurgeSignalsRequest* req,
                                     pb::PurgeSignalsResponse* resp) {
  return env_->Run(ctx, "PurgeSignals", [&](const CallContext& call) -> absl::Status {
    CAK_ASSIGN_OR_RETURN(domain::PurgeResult result, service_->Purge(call, req->dry_run()));
    resp->set_purged_signal_count(result.count);
    for (const auto& id : result.signal_ids) resp->add_purged_signals(domain::SignalName(id));
    *resp->mutable_cutoff_time() = common::ToProtoTime(result.cutoff);
    resp->set_dry_run(result.dry_run);
    return absl::OkStatus();
  });
}

}  // namespace cak::intake::api
