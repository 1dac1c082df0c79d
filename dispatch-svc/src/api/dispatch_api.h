// gRPC handlers of cak.voorlichting.dispatch.v1.DispatchService and ExecutorService: proto <->
// domain and nothing else. Authentication, authorisation, tracing and metrics come from
// RpcEnvironment::Run; page tokens are encoded here (opaque to clients, keyset underneath).
#pragma once

#include "cak/voorlichting/dispatch/v1/dispatch_service.grpc.pb.h"
#include "common/grpc/rpc.h"
#include "dispatch-svc/src/domain/dispatch_service.h"

namespace cak::dispatch::api {

namespace pb = cak::voorlichting::dispatch::v1;

// Which roles may call which method of both services (DESIGN.md section 4.9).
common::RoleTable DispatchRoleTable();

class DispatchApi final : public pb::DispatchService::Service {
 public:
  // None owned. `on_order_created` (may be empty) wakes the local batch generator.
  DispatchApi(const common::RpcEnvironment* env, domain::DispatchService* service,
              std::function<void()> on_order_created);

  grpc::Status CreateExecutor(grpc::ServerContext* ctx, const pb::CreateExecutorRequest* req,
                              pb::Executor* resp) override;
  grpc::Status UpdateExecutor(grpc::ServerContext* ctx, const pb::UpdateExecutorRequest* req,
                              pb::Executor* resp) override;
  grpc::Status GetExecutor(grpc::ServerContext* ctx, const pb::GetExecutorRequest* req, pb::Executor* resp) override;
  grpc::Status ListExecutors(grpc::ServerContext* ctx, const pb::ListExecutorsRequest* req,
                             pb::ListExecutorsResponse* resp) override;
  grpc::Status CheckFeasibility(grpc::ServerContext* ctx, const pb::CheckFeasibilityRequest* req,
                                pb::FeasibilityCheck* resp) override;
  grpc::Status GetFeasibilityCheck(grpc::ServerContext* ctx, const pb::GetFeasibilityCheckRequest* req,
                                   pb::FeasibilityCheck* resp) override;
  grpc::Status CreateDispatchOrder(grpc::ServerContext* ctx, const pb::CreateDispatchOrderRequest* req,
                                   pb::DispatchOrder* resp) override;
  grpc::Status GetDispatchOrder(grpc::ServerContext* ctx, const pb::GetDispatchOrderRequest* req,
                                pb::DispatchOrder* resp) override;
  grpc::Status ListBatches(grpc::ServerContext* ctx, const pb::ListBatchesRequest* req,
                           pb::ListBatchesResponse* resp) override;
  grpc::Status ListOutcomes(grpc::ServerContext* ctx, const pb::ListOutcomesRequest* req,
                            pb::ListOutcomesResponse* resp) override;

 private:
  const common::RpcEnvironment* env_;
  domain::DispatchService* service_;
  std::function<void()> on_order_created_;
};

class ExecutorApi final : public pb::ExecutorService::Service {
 public:
  ExecutorApi(const common::RpcEnvironment* env, domain::DispatchService* service);

  grpc::Status ConfirmFeasibility(grpc::ServerContext* ctx, const pb::ConfirmFeasibilityRequest* req,
                                  pb::FeasibilityCheck* resp) override;
  grpc::Status RejectFeasibility(grpc::ServerContext* ctx, const pb::RejectFeasibilityRequest* req,
                                 pb::FeasibilityCheck* resp) override;
  grpc::Status ListFeasibilityChecks(grpc::ServerContext* ctx, const pb::ListFeasibilityChecksRequest* req,
                                     pb::ListFeasibilityChecksResponse* resp) override;
  grpc::Status ListDispatchOrders(grpc::ServerContext* ctx, const pb::ListDispatchOrdersRequest* req,
                                  pb::ListDispatchOrdersResponse* resp) override;
  grpc::Status ListOpenBatches(grpc::ServerContext* ctx, const pb::ListOpenBatchesRequest* req,
                               pb::ListOpenBatchesResponse* resp) override;
  grpc::Status StreamBatchItems(grpc::ServerContext* ctx, const pb::StreamBatchItemsRequest* req,
                                grpc::ServerWriter<pb::StreamBatchItemsResponse>* writer) override;
  grpc::Status AcknowledgeBatch(grpc::ServerContext* ctx, const pb::AcknowledgeBatchRequest* req,
                                pb::Batch* resp) override;
  grpc::Status ReportOutcomes(grpc::ServerContext* ctx, const pb::ReportOutcomesRequest* req,
                              pb::ReportOutcomesResponse* resp) override;

 private:
  const common::RpcEnvironment* env_;
  domain::DispatchService* service_;
};

}  // namespace cak::dispatch::api
