// dispatch-svc client (see gateways.h).
#include "absl/strings/str_cat.h"
#include "campaign-svc/src/clients/gateways.h"
#include "common/base/errors.h"
#include "common/grpc/convert.h"
#include "common/grpc/type_convert.h"

namespace cak::campaign::clients {

namespace pb = cak::voorlichting::dispatch::v1;

namespace {

pb::Channel PbChannel(domain::Action a) {
  switch (a) {
    case domain::Action::kLetter:
      return pb::CHANNEL_LETTER;
    case domain::Action::kCall:
      return pb::CHANNEL_CALL;
    case domain::Action::kContactMoment:
      return pb::CHANNEL_CONTACT_MOMENT;
    default:
      return pb::CHANNEL_UNSPECIFIED;
  }
}

domain::GroupFeasibility FromProto(const pb::FeasibilityCheck& c) {
  domain::GroupFeasibility f;
  f.check_id = common::IdOfPeerName(c.name(), "feasibilityChecks");
  f.state = static_cast<domain::FeasibilityState>(c.state());
  f.feasible = c.feasible();
  if (c.has_earliest_start()) {
    auto day = common::DayFromProto(c.earliest_start(), "earliest_start");
    if (day.ok()) f.earliest_start = *day;
  }
  f.reasons.assign(c.reasons().begin(), c.reasons().end());
  f.decided_by = c.decided_by();
  f.decision_comment = c.decision_comment();
  f.volume = c.volume();
  f.guidelines = c.guidelines();
  f.check_time = c.has_decide_time() ? absl::FromUnixSeconds(c.decide_time().seconds())
                                     : absl::FromUnixSeconds(c.create_time().seconds());
  return f;
}

}  // namespace

DispatchClient::DispatchClient(const common::PeerChannel* peer, absl::Duration timeout)
    : peer_(peer), stub_(pb::DispatchService::NewStub(peer->channel())), timeout_(timeout) {}

absl::StatusOr<domain::GroupFeasibility> DispatchClient::CheckFeasibility(const common::CallContext& call,
                                                                          const domain::FeasibilityQuestion& q) {
  CAK_ASSIGN_OR_RETURN(auto ctx, peer_->Context(call, timeout_));
  pb::CheckFeasibilityRequest req;
  req.set_request_id(q.request_id);
  req.set_channel(PbChannel(q.action));
  req.set_volume(q.volume);
  common::DayToProto(q.window_start, req.mutable_window_start());
  common::DayToProto(q.window_end, req.mutable_window_end());
  req.set_campaign(q.campaign_name);
  req.set_guidelines(q.guidelines);
  pb::FeasibilityCheck check;
  CAK_RETURN_IF_ERROR(common::FromPeerStatus(stub_->CheckFeasibility(ctx.get(), req, &check), "dispatch-svc"));
  return FromProto(check);
}

absl::StatusOr<domain::GroupFeasibility> DispatchClient::GetFeasibility(const common::CallContext& call,
                                                                        const std::string& check_id) {
  CAK_ASSIGN_OR_RETURN(auto ctx, peer_->Context(call, timeout_));
  pb::GetFeasibilityCheckRequest req;
  req.set_name(absl::StrCat("feasibilityChecks/", check_id));
  pb::FeasibilityCheck check;
  CAK_RETURN_IF_ERROR(common::FromPeerStatus(stub_->GetFeasibilityCheck(ctx.get(), req, &check), "dispatch-svc"));
  return FromProto(check);
}

absl::StatusOr<std::string> DispatchClient::CreateOrder(const common::CallContext& call,
                                                        const domain::OrderRequest& o) {
  CAK_ASSIGN_OR_RETURN(auto ctx, peer_->Context(call, timeout_));
  pb::CreateDispatchOrderRequest req;
  req.set_request_id(o.request_id);
  pb::DispatchOrder* order = req.mutable_order();
  order->set_campaign(o.campaign_name);
  order->set_target_group(o.group);
  order->set_recipient_list(absl::StrCat("recipientLists/", o.recipient_list_id));
  order->set_channel(PbChannel(o.action));
  order->mutable_message()->set_reference(o.message_reference);
  order->mutable_message()->set_text(o.message_text);
  order->set_guidelines(o.guidelines);
  common::DayToProto(o.window_start, order->mutable_window_start());
  common::DayToProto(o.window_end, order->mutable_window_end());
  for (const auto& [k, v] : o.values) (*order->mutable_values())[k] = v;
  order->set_contact_moment_code(o.contact_moment_code);
  if (!o.feasibility_check_id.empty()) {
    order->set_feasibility_check(absl::StrCat("feasibilityChecks/", o.feasibility_check_id));
  }
  pb::DispatchOrder created;
  CAK_RETURN_IF_ERROR(common::FromPeerStatus(stub_->CreateDispatchOrder(ctx.get(), req, &created), "dispatch-svc"));
  return created.name();
}

absl::StatusOr<domain::OrderState> DispatchClient::GetOrderState(const common::CallContext& call,
                                                                 const std::string& order_name) {
  CAK_ASSIGN_OR_RETURN(auto ctx, peer_->Context(call, timeout_));
  pb::GetDispatchOrderRequest req;
  req.set_name(order_name);
  pb::DispatchOrder order;
  CAK_RETURN_IF_ERROR(common::FromPeerStatus(stub_->GetDispatchOrder(ctx.get(), req, &order), "dispatch-svc"));
  return static_cast<domain::OrderState>(order.state());
}

}  // namespace cak::campaign::clients
