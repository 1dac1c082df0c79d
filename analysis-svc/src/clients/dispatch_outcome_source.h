// OutcomeSource over dispatch-svc's gRPC contract (dispatch.v1.DispatchService.ListOutcomes,
// every page of one order, each recipient's current outcome only: superseded reports are left
// out by dispatch-svc), as this service's own identity (common/grpc/peer_channel.h), continuing
// the caller's trace. Outcomes name recipients by list and position only.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "analysis-svc/src/domain/outcome_source.h"
#include "cak/voorlichting/dispatch/v1/dispatch_service.grpc.pb.h"
#include "common/grpc/peer_channel.h"

namespace cak::analysis::clients {

class DispatchOutcomeSource final : public domain::OutcomeSource {
 public:
  // `peer` is not owned. `call_timeout` bounds each page (10,000 outcomes).
  explicit DispatchOutcomeSource(const common::PeerChannel* peer, absl::Duration call_timeout = absl::Seconds(10));

  // UNAVAILABLE DISPATCH_UNAVAILABLE when dispatch-svc is unreachable, overloaded or too slow;
  // dispatch-svc's other errors as it gave them (reason and field kept).
  absl::StatusOr<std::vector<domain::PositionOutcome>> OrderOutcomes(const common::CallContext& call,
                                                                     const std::string& order_id) override;

 private:
  const common::PeerChannel* peer_;
  std::unique_ptr<cak::voorlichting::dispatch::v1::DispatchService::Stub> stub_;
  absl::Duration call_timeout_;
};

}  // namespace cak::analysis::clients
