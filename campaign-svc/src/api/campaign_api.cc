// campaign-svc gRPC handlers (see campaign_api.h).
#include "campaign-svc/src/api/campaign_api.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "campaign-svc/src/api/mapping.h"
#include "campaign-svc/src/domain/readability.h"
#include "common/base/errors.h"
#include "common/base/page_token.h"
#include "common/base/text_rules.h"
#include "common/grpc/convert.h"
#include "common/grpc/data_subject_service.h"
#include "common/grpc/processing_log_service.h"
#include "common/grpc/type_convert.h"

namespace cak::campaign::api {

using common::CallContext;
namespace roles = common::roles;

common::RoleTable CampaignRoleTable() {
  const std::vector<std::string> readers = {roles::kCampaignDesigner, roles::kApprover, roles::kAnalyst,
                                            roles::kAdministrator};
  return {
      {"CreateCampaign", {roles::kCampaignDesigner}},
      {"GetCampaign", readers},
      {"ListCampaigns", readers},
      {"UpdateCampaignGroup", {roles::kCampaignDesigner}},
      {"ListMessageVersions", readers},
      {"PreviewMessage", {roles::kCampaignDesigner, roles::kApprover, roles::kAnalyst}},
      {"CheckPlainLanguage", {roles::kCampaignDesigner, roles::kApprover}},
      {"CheckCampaignFeasibility", {roles::kCampaignDesigner}},
      {"SubmitCampaignForReview", {roles::kCampaignDesigner}},
      // The approver role is checked again in the domain, with the four-eyes rule, so that
      // refusals carry their own reasons.
      {"ApproveCampaign", {roles::kApprover, roles::kCampaignDesigner}},
      {"RequestCampaignChanges", {roles::kApprover, roles::kCampaignDesigner}},
      {"ReleaseCampaign", {roles::kCampaignDesigner, roles::kApprover}},
      {"CompleteCampaign", {roles::kCampaignDesigner}},
      {"MeasureCampaignResponse", {roles::kCampaignDesigner, roles::kApprover, roles::kAnalyst}},
      {"CancelCampaign", {roles::kCampaignDesigner, roles::kApprover}},
      {common::kListProcessingLogEntries, {roles::kPrivacyOfficer}},
      {common::kExportSubjectData, {roles::kPrivacyOfficer}},
      {common::kRecordObjection, {roles::kPrivacyOfficer}},
      {common::kLiftObjection, {roles::kPrivacyOfficer}},
      {common::kEraseSubjectData, {roles::kPrivacyOfficer}},
  };
}

namespace {

absl::StatusOr<std::string> CampaignId(const std::string& name, absl::string_view field) {
  return common::ParseName(name, "campaigns", field);
}

}  // namespace

CampaignApi::CampaignApi(const common::RpcEnvironment* env, domain::CampaignService* service)
    : env_(env), service_(service) {}

grpc::Status CampaignApi::CreateCampaign(grpc::ServerContext* ctx, const pb::CreateCampaignRequest* req,
                                         pb::Campaign* resp) {
  return env_->Run(ctx, "CreateCampaign", [&](const CallContext& call) -> absl::Status {
    const pb::Campaign& c = req->campaign();
    domain::NewCampaign in;
    in.request_id = req->request_id();
    in.fingerprint = common::RequestFingerprint(*req, call.principal);
    in.title = c.title();
    CAK_ASSIGN_OR_RETURN(in.signal_id, common::ParseName(c.signal(), "signals", "campaign.signal"));
    CAK_ASSIGN_OR_RETURN(in.target_group_set_id,
                         common::ParseName(c.target_group_set(), "targetGroupSets", "campaign.target_group_set"));
    in.control_share = c.control_share();
    in.control_seed = c.control_seed();
    in.response_topics.assign(c.response_topics().begin(), c.response_topics().end());
    for (int i = 0; i < c.response_channels_size(); ++i) {
      CAK_ASSIGN_OR_RETURN(
          in.response_channels.emplace_back(),
          common::RequiredEnum<domain::ResponseChannel>(c.response_channels(i), pb::ResponseChannel_IsValid,
                                                        absl::StrCat("campaign.response_channels[", i, "]")));
    }
    bool replayed = false;
    CAK_ASSIGN_OR_RETURN(domain::Campaign created, service_->Create(call, in, &replayed));
    ToProto(created, resp);
    resp->set_replayed(replayed);
    return absl::OkStatus();
  });
}

grpc::Status CampaignApi::GetCampaign(grpc::ServerContext* ctx, const pb::GetCampaignRequest* req, pb::Campaign* resp) {
  return env_->Run(ctx, "GetCampaign", [&](const CallContext& call) -> absl::Status {
    CAK_ASSIGN_OR_RETURN(std::string id, CampaignId(req->name(), "name"));
    CAK_ASSIGN_OR_RETURN(domain::Campaign c, service_->Get(call, id));
    ToProto(c, resp);
    return absl::OkStatus();
  });
}

grpc::Status CampaignApi::ListCampaigns(grpc::ServerContext* ctx, const pb::ListCampaignsRequest* req,
                                        pb::ListCampaignsResponse* resp) {
  return env_->Run(ctx, "ListCampaigns", [&](const CallContext& call) -> absl::Status {
    domain::CampaignFilter filter;
    CAK_ASSIGN_OR_RETURN(filter.state,
                         common::OptionalEnum<domain::CampaignState>(req->state(), pb::CampaignState_IsValid, "state"));
    if (!req->signal().empty()) {
      CAK_ASSIGN_OR_RETURN(filter.signal_id, common::ParseName(req->signal(), "signals", "signal"));
    }
    CAK_ASSIGN_OR_RETURN(
        auto page,
        common::Page::Open(env_->page_tokens(), absl::StrCat("ListCampaigns:", req->state(), ":", filter.signal_id),
                           req->page_size(), req->page_token(), {50, 200},
                           {common::PagePart::kMicros, common::PagePart::kUuid}));
    std::optional<domain::ListPosition> after;
    if (!page.first()) after = domain::ListPosition{page.Micros(0), page.Part(1)};
    CAK_ASSIGN_OR_RETURN(auto campaigns, service_->List(call, filter, after, page.read_limit()));
    resp->set_next_page_token(page.Close(campaigns, [](const domain::Campaign& c) {
      return std::vector{common::Page::MicrosPart(c.create_time), c.id};
    }));
    for (const auto& c : campaigns) ToProto(c, resp->add_campaigns());
    return absl::OkStatus();
  });
}

grpc::Status CampaignApi::UpdateCampaignGroup(grpc::ServerContext* ctx, const pb::UpdateCampaignGroupRequest* req,
                                              pb::Campaign* resp) {
  return env_->Run(ctx, "UpdateCampaignGroup", [&](const CallContext& call) -> absl::Status {
    CAK_ASSIGN_OR_RETURN(std::string id, CampaignId(req->campaign(), "campaign"));
    domain::GroupUpdate u;
    u.group = req->group();
    u.paths.assign(req->update_mask().paths().begin(), req->update_mask().paths().end());
    auto has = [&](absl::string_view p) { return std::find(u.paths.begin(), u.paths.end(), p) != u.paths.end(); };
    if (has("action")) {
      CAK_ASSIGN_OR_RETURN(u.action, common::RequiredEnum<domain::Action>(req->action(), pb::Action_IsValid, "action"));
    }
    u.message_text = req->message_text();
    u.guidelines = req->guidelines();
    if (req->has_window_start()) {
      CAK_ASSIGN_OR_RETURN(u.window_start, common::DayFromProto(req->window_start(), "window_start"));
    }
    if (req->has_window_end()) {
      CAK_ASSIGN_OR_RETURN(u.window_end, common::DayFromProto(req->window_end(), "window_end"));
    }
    u.contact_moment_code = req->contact_moment_code();
    u.values.insert(req->values().begin(), req->values().end());
    CAK_ASSIGN_OR_RETURN(domain::Campaign c, service_->UpdateGroup(call, id, u));
    ToProto(c, resp);
    return absl::OkStatus();
  });
}

grpc::Status CampaignApi::ListMessageVersions(grpc::ServerContext* ctx, const pb::ListMessageVersionsRequest* req,
                                              pb::ListMessageVersionsResponse* resp) {
  return env_->Run(ctx, "ListMessageVersions", [&](const CallContext& call) -> absl::Status {
    CAK_ASSIGN_OR_RETURN(std::string id, CampaignId(req->campaign(), "campaign"));
    CAK_ASSIGN_OR_RETURN(domain::Campaign c, service_->Get(call, id));
    CAK_ASSIGN_OR_RETURN(auto versions, service_->ListMessageVersions(call, id, req->group()));
    CAK_ASSIGN_OR_RETURN(size_t gi, domain::FindGroup(c, req->group(), "group"));
    for (const domain::MessageVersion& m : versions) ToProto(c, c.groups[gi], m, resp->add_versions());
    return absl::OkStatus();
  });
}

grpc::Status CampaignApi::PreviewMessage(grpc::ServerContext* ctx, const pb::PreviewMessageRequest* req,
                                         pb::PreviewMessageResponse* resp) {
  return env_->Run(ctx, "PreviewMessage", [&](const CallContext& call) -> absl::Status {
    CAK_ASSIGN_OR_RETURN(std::string id, CampaignId(req->campaign(), "campaign"));
    domain::PreviewRequest in;
    in.group = req->group();
    in.sample_size = req->sample_size() == 0 ? 3 : req->sample_size();
    in.seed = req->seed();
    CAK_ASSIGN_OR_RETURN(domain::Preview preview, service_->PreviewMessage(call, id, in));
    resp->set_message_version(preview.message_version);
    for (const domain::RenderedPreview& p : preview.previews) {
      pb::RenderedPreview* out = resp->add_previews();
      out->set_pseudonym(p.pseudonym);
      out->set_text(p.text);
    }
    ToProto(domain::AssessDutch(preview.text), resp->mutable_readability());
    return absl::OkStatus();
  });
}

grpc::Status CampaignApi::CheckPlainLanguage(grpc::ServerContext* ctx, const pb::CheckPlainLanguageRequest* req,
                                             pb::ReadabilityReport* resp) {
  return env_->Run(ctx, "CheckPlainLanguage", [&](const CallContext&) -> absl::Status {
    CAK_RETURN_IF_ERROR(common::ValidateText(req->text(), 20000, "text"));
    ToProto(domain::AssessDutch(req->text()), resp);
    return absl::OkStatus();
  });
}

grpc::Status CampaignApi::CheckCampaignFeasibility(grpc::ServerContext* ctx,
                                                   const pb::CheckCampaignFeasibilityRequest* req, pb::Campaign* resp) {
  return env_->Run(ctx, "CheckCampaignFeasibility", [&](const CallContext& call) -> absl::Status {
    CAK_ASSIGN_OR_RETURN(std::string id, CampaignId(req->campaign(), "campaign"));
    CAK_ASSIGN_OR_RETURN(domain::Campaign c, service_->CheckFeasibility(call, id));
    ToProto(c, resp);
    return absl::OkStatus();
  });
}

grpc::Status CampaignApi::SubmitCampaignForReview(grpc::ServerContext* ctx,
                                                  const pb::SubmitCampaignForReviewRequest* req, pb::Campaign* resp) {
  return env_->Run(ctx, "SubmitCampaignForReview", [&](const CallContext& call) -> absl::Status {
    CAK_ASSIGN_OR_RETURN(std::string id, CampaignId(req->campaign(), "campaign"));
    CAK_ASSIGN_OR_RETURN(domain::Campaign c, service_->Submit(call, id, req->comment()));
    ToProto(c, resp);
    return absl::OkStatus();
  });
}

grpc::Status CampaignApi::ApproveCampaign(grpc::ServerContext* ctx, const pb::ApproveCampaignRequest* req,
                                          pb::Campaign* resp) {
  return env_->Run(ctx, "ApproveCampaign", [&](const CallContext& call) -> absl::Status {
    CAK_ASSIGN_OR_RETURN(std::string id, CampaignId(req->campaign(), "campaign"));
    CAK_ASSIGN_OR_RETURN(domain::Campaign c, service_->Approve(call, id, req->comment(), req->revision()));
    ToProto(c, resp);
    return absl::OkStatus();
  });
}

grpc::Status CampaignApi::RequestCampaignChanges(grpc::ServerContext* ctx, const pb::RequestCampaignChangesRequest* req,
                                                 pb::Campaign* resp) {
  return env_->Run(ctx, "RequestCampaignChanges", [&](const CallContext& call) -> absl::Status {
    CAK_ASSIGN_OR_RETURN(std::string id, CampaignId(req->campaign(), "campaign"));
    CAK_ASSIGN_OR_RETURN(domain::Campaign c, service_->RequestChanges(call, id, req->comment()));
    ToProto(c, resp);
    return absl::OkStatus();
  });
}

grpc::Status CampaignApi::ReleaseCampaign(grpc::ServerContext* ctx, const pb::ReleaseCampaignRequest* req,
                                          pb::Campaign* resp) {
  return env_->Run(ctx, "ReleaseCampaign", [&](const CallContext& call) -> absl::Status {
    CAK_ASSIGN_OR_RETURN(std::string id, CampaignId(req->campaign(), "campaign"));
    CAK_ASSIGN_OR_RETURN(domain::Campaign c, service_->Release(call, id));
    ToProto(c, resp);
    return absl::OkStatus();
  });
}

grpc::Status CampaignApi::CompleteCampaign(grpc::ServerContext* ctx, const pb::CompleteCampaignRequest* req,
                                           pb::Campaign* resp) {
  return env_->Run(ctx, "CompleteCampaign", [&](const CallContext& call) -> absl::Status {
    CAK_ASSIGN_OR_RETURN(std::string id, CampaignId(req->campaign(), "campaign"));
    CAK_ASSIGN_OR_RETURN(domain::Campaign c, service_->Complete(call, id, req->feedback()));
    ToProto(c, resp);
    return absl::OkStatus();
  });
}

grpc::Status CampaignApi::MeasureCampaignResponse(grpc::ServerContext* ctx,
                                                  const pb::MeasureCampaignResponseRequest* req, pb::Campaign* resp) {
  return env_->Run(ctx, "MeasureCampaignResponse", [&](const CallContext& call) -> absl::Status {
    CAK_ASSIGN_OR_RETURN(std::string id, CampaignId(req->campaign(), "campaign"));
    std::optional<absl::CivilDay> end_day;
    if (req->has_end_date()) {
      CAK_ASSIGN_OR_RETURN(end_day, common::DayFromProto(req->end_date(), "end_date"));
    }
    CAK_ASSIGN_OR_RETURN(domain::Campaign c, service_->MeasureResponse(call, id, end_day, req->sample_seed()));
    ToProto(c, resp);
    return absl::OkStatus();
  });
}

grpc::Status CampaignApi::CancelCampaign(grpc::ServerContext* ctx, const pb::CancelCampaignRequest* req,
                                         pb::Campaign* resp) {
  return env_->Run(ctx, "CancelCampaign", [&](const CallContext& call) -> absl::Status {
    CAK_ASSIGN_OR_RETURN(std::string id, CampaignId(req->campaign(), "campaign"));
    CAK_ASSIGN_OR_RETURN(domain::Campaign c, service_->Cancel(call, id, req->reason()));
    ToProto(c, resp);
    return absl::OkStatus();
  });
}

}  // namespace cak::campaign::api
