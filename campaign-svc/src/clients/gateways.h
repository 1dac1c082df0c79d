// campaign-svc's peers over their gRPC contracts, as this service's own identity
// (common/grpc/peer_channel.h), continuing the caller's trace:
// - IntakeClient: intake.v1.IntakeService GetSignal, MarkSignalActionPlanned, CloseSignal;
// - AnalysisClient: analysis.v1.AnalysisService GetTargetGroupSet, FreezeRecipientList,
//   CreateSample of a target group (pseudonymised), MeasureResponse;
// - DispatchClient: dispatch.v1.DispatchService CheckFeasibility, GetFeasibilityCheck,
//   CreateDispatchOrder, GetDispatchOrder.
// Peer errors come back with the peer's code and reason (common::FromPeerStatus).
#pragma once

#include <memory>

#include "cak/voorlichting/analysis/v1/analysis_service.grpc.pb.h"
#include "cak/voorlichting/dispatch/v1/dispatch_service.grpc.pb.h"
#include "cak/voorlichting/intake/v1/intake_service.grpc.pb.h"
#include "campaign-svc/src/domain/peers.h"
#include "common/grpc/peer_channel.h"

namespace cak::campaign::clients {

class IntakeClient final : public domain::IntakeGateway {
 public:
  // `peer` is not owned; `timeout` bounds each call.
  IntakeClient(const common::PeerChannel* peer, absl::Duration timeout = absl::Seconds(10));
  absl::StatusOr<domain::SignalInfo> GetSignal(const common::CallContext& call, const std::string& signal_id) override;
  absl::Status MarkActionPlanned(const common::CallContext& call, const std::string& signal_id,
                                 const std::string& campaign_name) override;
  absl::Status Close(const common::CallContext& call, const std::string& signal_id,
                     const std::string& feedback) override;

 private:
  // After FAILED_PRECONDITION of a transition: OK when the signal already is in `target`.
  absl::Status AlreadyIn(const common::CallContext& call, const std::string& signal_id, domain::SignalState target,
                         absl::Status refused);
  const common::PeerChannel* peer_;
  std::unique_ptr<cak::voorlichting::intake::v1::IntakeService::Stub> stub_;
  absl::Duration timeout_;
};

class AnalysisClient final : public domain::AnalysisGateway {
 public:
  AnalysisClient(const common::PeerChannel* peer, absl::Duration timeout = absl::Seconds(30));
  absl::StatusOr<domain::TargetGroupSetInfo> GetTargetGroupSet(const common::CallContext& call,
                                                               const std::string& set_id) override;
  absl::StatusOr<domain::FrozenList> FreezeList(const common::CallContext& call, const std::string& request_id,
                                                const std::string& set_id, const std::string& group,
                                                double control_share, uint64_t control_seed) override;
  absl::StatusOr<std::vector<domain::PreviewSubject>> SampleGroup(const common::CallContext& call,
                                                                  const std::string& set_id, const std::string& group,
                                                                  int size, uint64_t seed) override;
  absl::StatusOr<domain::ResponseSummary> MeasureResponse(const common::CallContext& call,
                                                          const domain::ResponseQuestion& question) override;

 private:
  const common::PeerChannel* peer_;
  std::unique_ptr<cak::voorlichting::analysis::v1::AnalysisService::Stub> stub_;
  absl::Duration timeout_;
};

class DispatchClient final : public domain::DispatchGateway {
 public:
  DispatchClient(const common::PeerChannel* peer, absl::Duration timeout = absl::Seconds(30));
  absl::StatusOr<domain::GroupFeasibility> CheckFeasibility(const common::CallContext& call,
                                                            const domain::FeasibilityQuestion& question) override;
  absl::StatusOr<domain::GroupFeasibility> GetFeasibility(const common::CallContext& call,
                                                          const std::string& check_id) override;
  absl::StatusOr<std::string> CreateOrder(const common::CallContext& call, const domain::OrderRequest& order) override;
  absl::StatusOr<domain::OrderState> GetOrderState(const common::CallContext& call,
                                                   const std::string& order_id) override;

 private:
  const common::PeerChannel* peer_;
  std::unique_ptr<cak::voorlichting::dispatch::v1::DispatchService::Stub> stub_;
  absl::Duration timeout_;
};

}  // namespace cak::campaign::clients
