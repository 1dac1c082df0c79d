// gRPC handlers of cak.voorlichting.intake.v1.IntakeService: proto <-> domain and nothing
// else. Authentication, authorisation, tracing and metrics come from RpcEnvironment::Run.
#pragma once

#include "cak/voorlichting/intake/v1/intake_service.grpc.pb.h"
#include "common/grpc/auth.h"
#include "common/grpc/rpc.h"
#include "intake-svc/src/domain/signal_service.h"

namespace cak::intake::api {

namespace pb = cak::voorlichting::intake::v1;

// Which roles may call which method (DESIGN.md section 4.9). Every IntakeService method and the
// processing-log read are listed; anything else is denied.
common::RoleTable IntakeRoleTable();

class IntakeApi final : public pb::IntakeService::Service {
 public:
  // None owned.
  IntakeApi(const common::RpcEnvironment* env, domain::SignalService* service);

  grpc::Status SubmitSignal(grpc::ServerContext* ctx, const pb::SubmitSignalRequest* req,
                            pb::SubmitSignalResponse* resp) override;
  grpc::Status GetSignal(grpc::ServerContext* ctx, const pb::GetSignalRequest* req, pb::Signal* resp) override;
  grpc::Status ListSignals(grpc::ServerContext* ctx, const pb::ListSignalsRequest* req,
                           pb::ListSignalsResponse* resp) override;
  grpc::Status AddSignalInformation(grpc::ServerContext* ctx, const pb::AddSignalInformationRequest* req,
                                    pb::Signal* resp) override;
  grpc::Status DeclineSignal(grpc::ServerContext* ctx, const pb::DeclineSignalRequest* req, pb::Signal* resp) override;
  grpc::Status StartSignalAssessment(grpc::ServerContext* ctx, const pb::StartSignalAssessmentRequest* req,
                                     pb::Signal* resp) override;
  grpc::Status MarkSignalActionPlanned(grpc::ServerContext* ctx, const pb::MarkSignalActionPlannedRequest* req,
                                       pb::Signal* resp) override;
  grpc::Status CloseSignal(grpc::ServerContext* ctx, const pb::CloseSignalRequest* req, pb::Signal* resp) override;
  grpc::Status WatchSignal(grpc::ServerContext* ctx, const pb::WatchSignalRequest* req,
                           grpc::ServerWriter<pb::WatchSignalResponse>* writer) override;
  grpc::Status PurgeSignals(grpc::ServerContext* ctx, const pb::PurgeSignalsRequest* req,
                            pb::PurgeSignalsResponse* resp) override;

 private:
  // Runs a lifecycle operation that returns the changed signal (basic view).
  grpc::Status Change(
      grpc::ServerContext* ctx, const char* method, const std::string& name, pb::Signal* resp,
      const std::function<absl::StatusOr<domain::Signal>(const common::CallContext&, const std::string& id)>& op);

  const common::RpcEnvironment* env_;
  domain::SignalService* service_;
};

}  // namespace cak::intake::api
