// RecipientSource over analysis-svc's gRPC contract (analysis.v1.AnalysisService):
// GetRecipientList and StreamRecipients with the channel's field set, as this service's own
// identity (common/grpc/peer_channel.h), continuing the caller's trace.
#pragma once

#include <memory>

#include "cak/voorlichting/analysis/v1/analysis_service.grpc.pb.h"
#include "common/grpc/peer_channel.h"
#include "dispatch-svc/src/domain/repository.h"

namespace cak::dispatch::clients {

class AnalysisRecipientSource final : public domain::RecipientSource {
 public:
  // `peer` is not owned. `call_timeout` bounds GetRecipientList; a stream has no deadline of
  // its own beyond the caller's (a batch of 50,000 takes seconds, not minutes).
  AnalysisRecipientSource(const common::PeerChannel* peer, absl::Duration call_timeout = absl::Seconds(10));

  absl::StatusOr<domain::RecipientListInfo> GetList(const common::CallContext& call,
                                                    const std::string& list_id) override;
  absl::Status Stream(const common::CallContext& call, const std::string& list_id, domain::Channel channel,
                      bool with_customer_number, int64_t after_position, int64_t until_position,
                      const std::function<absl::Status(std::vector<domain::Recipient>&)>& sink) override;

 private:
  const common::PeerChannel* peer_;
  std::unique_ptr<cak::voorlichting::analysis::v1::AnalysisService::Stub> stub_;
  absl::Duration call_timeout_;
};

}  // namespace cak::dispatch::clients
