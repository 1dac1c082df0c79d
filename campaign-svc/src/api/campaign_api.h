// gRPC handlers of cak.voorlichting.campaign.v1.CampaignService: proto <-> domain and nothing
// else. Authentication, authorisation, tracing and metrics come from RpcEnvironment::Run.
#pragma once

#include "cak/voorlichting/campaign/v1/campaign_service.grpc.pb.h"
#include "campaign-svc/src/domain/campaign_service.h"
#include "common/grpc/rpc.h"

namespace cak::campaign::api {

namespace pb = cak::voorlichting::campaign::v1;

// Which roles may call which method (DESIGN.md section 4.9).
common::RoleTable CampaignRoleTable();

class CampaignApi final : public pb::CampaignService::Service {
 public:
  // Neither pointer is owned.
  CampaignApi(const common::RpcEnvironment* env, domain::CampaignService* service);

  grpc::Status CreateCampaign(grpc::ServerContext* ctx, const pb::CreateCampaignRequest* req,
                              pb::Campaign* resp) override;
  grpc::Status GetCampaign(grpc::ServerContext* ctx, const pb::GetCampaignRequest* req, pb::Campaign* resp) override;
  grpc::Status ListCampaigns(grpc::ServerContext* ctx, const pb::ListCampaignsRequest* req,
                             pb::ListCampaignsResponse* resp) override;
  grpc::Status UpdateCampaignGroup(grpc::ServerContext* ctx, const pb::UpdateCampaignGroupRequest* req,
                                   pb::Campaign* resp) override;
  grpc::Status ListMessageVersions(grpc::ServerContext* ctx, const pb::ListMessageVersionsRequest* req,
                                   pb::ListMessageVersionsResponse* resp) override;
  grpc::Status PreviewMessage(grpc::ServerContext* ctx, const pb::PreviewMessageRequest* req,
                              pb::PreviewMessageResponse* resp) override;
  grpc::Status CheckPlainLanguage(grpc::ServerContext* ctx, const pb::CheckPlainLanguageRequest* req,
                                  pb::ReadabilityReport* resp) override;
  grpc::Status CheckCampaignFeasibility(grpc::ServerContext* ctx, const pb::CheckCampaignFeasibilityRequest* req,
                                        pb::Campaign* resp) override;
  grpc::Status SubmitCampaignForReview(grpc::ServerContext* ctx, const pb::SubmitCampaignForReviewRequest* req,
                                       pb::Campaign* resp) override;
  grpc::Status ApproveCampaign(grpc::ServerContext* ctx, const pb::ApproveCampaignRequest* req,
                               pb::Campaign* resp) override;
  grpc::Status RequestCampaignChanges(grpc::ServerContext* ctx, const pb::RequestCampaignChangesRequest* req,
                                      pb::Campaign* resp) override;
  grpc::Status ReleaseCampaign(grpc::ServerContext* ctx, const pb::ReleaseCampaignRequest* req,
                               pb::Campaign* resp) override;
  grpc::Status MeasureCampaignResponse(grpc::ServerContext* ctx, const pb::MeasureCampaignResponseRequest* req,
                                       pb::Campaign* resp) override;
  grpc::Status CompleteCampaign(grpc::ServerContext* ctx, const pb::CompleteCampaignRequest* req,
                                pb::Campaign* resp) override;
  grpc::Status CancelCampaign(grpc::ServerContext* ctx, const pb::CancelCampaignRequest* req,
                              pb::Campaign* resp) override;

 private:
  const common::RpcEnvironment* env_;
  domain::CampaignService* service_;
};

}  // namespace cak::campaign::api
