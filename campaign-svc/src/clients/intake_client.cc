// intake-svc client (see gateways.h).
#include "absl/strings/str_cat.h"
#include "campaign-svc/src/clients/gateways.h"
#include "common/base/errors.h"

namespace cak::campaign::clients {

namespace pb = cak::voorlichting::intake::v1;

IntakeClient::IntakeClient(const common::PeerChannel* peer, absl::Duration timeout)
    : peer_(peer), stub_(pb::IntakeService::NewStub(peer->channel())), timeout_(timeout) {}

absl::StatusOr<domain::SignalInfo> IntakeClient::GetSignal(const common::CallContext& call,
                                                           const std::string& signal_id) {
  CAK_ASSIGN_OR_RETURN(auto ctx, peer_->Context(call, timeout_));
  pb::GetSignalRequest req;
  req.set_name(absl::StrCat("signals/", signal_id));
  pb::Signal signal;
  CAK_RETURN_IF_ERROR(common::FromPeerStatus(stub_->GetSignal(ctx.get(), req, &signal), "intake-svc"));
  return domain::SignalInfo{static_cast<domain::SignalState>(signal.state()), signal.action_traceparent()};
}

absl::Status IntakeClient::AlreadyIn(const common::CallContext& call, const std::string& signal_id,
                                     domain::SignalState target, absl::Status refused) {
  if (refused.code() != absl::StatusCode::kFailedPrecondition) return refused;
  absl::StatusOr<domain::SignalInfo> signal = GetSignal(call, signal_id);
  if (signal.ok() && signal->state == target) return absl::OkStatus();  // an earlier delivery did it
  return refused;
}

absl::Status IntakeClient::MarkActionPlanned(const common::CallContext& call, const std::string& signal_id,
                                             const std::string& campaign_name) {
  CAK_ASSIGN_OR_RETURN(auto ctx, peer_->Context(call, timeout_));
  pb::MarkSignalActionPlannedRequest req;
  req.set_name(absl::StrCat("signals/", signal_id));
  req.set_campaign(campaign_name);
  pb::Signal signal;
  absl::Status st = common::FromPeerStatus(stub_->MarkSignalActionPlanned(ctx.get(), req, &signal), "intake-svc");
  return st.ok() ? st : AlreadyIn(call, signal_id, domain::SignalState::kActionPlanned, st);
}

absl::Status IntakeClient::Close(const common::CallContext& call, const std::string& signal_id,
                                 const std::string& feedback) {
  CAK_ASSIGN_OR_RETURN(auto ctx, peer_->Context(call, timeout_));
  pb::CloseSignalRequest req;
  req.set_name(absl::StrCat("signals/", signal_id));
  req.set_feedback(feedback);
  pb::Signal signal;
  absl::Status st = common::FromPeerStatus(stub_->CloseSignal(ctx.get(), req, &signal), "intake-svc");
  return st.ok() ? st : AlreadyIn(call, signal_id, domain::SignalState::kClosed, st);
}

}  // namespace cak::campaign::clients
