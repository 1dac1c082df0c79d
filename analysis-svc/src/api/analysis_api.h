// gRPC handlers of cak.voorlichting.analysis.v1.AnalysisService: proto <-> domain and nothing
// else. Authentication, authorisation, tracing and metrics come from RpcEnvironment::Run.
#pragma once

#include "analysis-svc/src/api/mapping.h"
#include "analysis-svc/src/domain/analysis_service.h"
#include "cak/voorlichting/analysis/v1/analysis_service.grpc.pb.h"
#include "common/grpc/auth.h"
#include "common/grpc/rpc.h"

namespace cak::analysis::api {

// Which roles may call which method (DESIGN.md section 4.9); anything else is denied.
common::RoleTable AnalysisRoleTable();

class AnalysisApi final : public pb::AnalysisService::Service {
 public:
  // None owned.
  AnalysisApi(const common::RpcEnvironment* env, domain::AnalysisService* service);

  grpc::Status ImportCustomers(grpc::ServerContext* ctx, grpc::ServerReader<pb::ImportCustomersRequest>* reader,
                               pb::ImportReport* resp) override;
  grpc::Status ImportRelations(grpc::ServerContext* ctx, grpc::ServerReader<pb::ImportRelationsRequest>* reader,
                               pb::ImportReport* resp) override;
  grpc::Status ImportMailings(grpc::ServerContext* ctx, grpc::ServerReader<pb::ImportMailingsRequest>* reader,
                              pb::ImportReport* resp) override;
  grpc::Status ImportContactReports(grpc::ServerContext* ctx,
                                    grpc::ServerReader<pb::ImportContactReportsRequest>* reader,
                                    pb::ImportReport* resp) override;
  grpc::Status ImportFile(grpc::ServerContext* ctx, const pb::ImportFileRequest* req, pb::ImportReport* resp) override;
  grpc::Status GetSnapshot(grpc::ServerContext* ctx, const pb::GetSnapshotRequest* req, pb::Snapshot* resp) override;
  grpc::Status AnalyzeImpact(grpc::ServerContext* ctx, const pb::AnalyzeImpactRequest* req,
                             pb::ImpactAnalysis* resp) override;
  grpc::Status CreateSample(grpc::ServerContext* ctx, const pb::CreateSampleRequest* req, pb::Sample* resp) override;
  grpc::Status DefineTargetGroups(grpc::ServerContext* ctx, const pb::DefineTargetGroupsRequest* req,
                                  pb::TargetGroupSet* resp) override;
  grpc::Status GetTargetGroupSet(grpc::ServerContext* ctx, const pb::GetTargetGroupSetRequest* req,
                                 pb::TargetGroupSet* resp) override;
  grpc::Status FreezeRecipientList(grpc::ServerContext* ctx, const pb::FreezeRecipientListRequest* req,
                                   pb::RecipientList* resp) override;
  grpc::Status GetRecipientList(grpc::ServerContext* ctx, const pb::GetRecipientListRequest* req,
                                pb::RecipientList* resp) override;
  grpc::Status StreamRecipients(grpc::ServerContext* ctx, const pb::StreamRecipientsRequest* req,
                                grpc::ServerWriter<pb::StreamRecipientsResponse>* writer) override;
  grpc::Status ExportListing(grpc::ServerContext* ctx, const pb::ExportListingRequest* req,
                             grpc::ServerWriter<pb::ExportListingResponse>* writer) override;
  grpc::Status MeasureResponse(grpc::ServerContext* ctx, const pb::MeasureResponseRequest* req,
                               pb::ResponseMeasurement* resp) override;
  grpc::Status GetResponseMeasurement(grpc::ServerContext* ctx, const pb::GetResponseMeasurementRequest* req,
                                      pb::ResponseMeasurement* resp) override;
  grpc::Status ListResponseMeasurements(grpc::ServerContext* ctx, const pb::ListResponseMeasurementsRequest* req,
                                        pb::ListResponseMeasurementsResponse* resp) override;
  grpc::Status PurgeInactiveCustomers(grpc::ServerContext* ctx, const pb::PurgeInactiveCustomersRequest* req,
                                      pb::PurgeInactiveCustomersResponse* resp) override;

 private:
  template <typename Request>
  grpc::Status Import(grpc::ServerContext* ctx, const char* method, domain::Dataset dataset,
                      grpc::ServerReader<Request>* reader, pb::ImportReport* resp);

  const common::RpcEnvironment* env_;
  domain::AnalysisService* service_;
};

}  // namespace cak::analysis::api
