// analysis-svc client (see gateways.h).
#include "absl/strings/str_cat.h"
#include "campaign-svc/src/clients/gateways.h"
#include "common/base/errors.h"
#include "common/grpc/type_convert.h"

namespace cak::campaign::clients {

namespace pb = cak::voorlichting::analysis::v1;

AnalysisClient::AnalysisClient(const common::PeerChannel* peer, absl::Duration timeout)
    : peer_(peer), stub_(pb::AnalysisService::NewStub(peer->channel())), timeout_(timeout) {}

absl::StatusOr<domain::TargetGroupSetInfo> AnalysisClient::GetTargetGroupSet(const common::CallContext& call,
                                                                             const std::string& set_id) {
  CAK_ASSIGN_OR_RETURN(auto ctx, peer_->Context(call, timeout_));
  pb::GetTargetGroupSetRequest req;
  req.set_name(absl::StrCat("targetGroupSets/", set_id));
  pb::TargetGroupSet set;
  CAK_RETURN_IF_ERROR(common::FromPeerStatus(stub_->GetTargetGroupSet(ctx.get(), req, &set), "analysis-svc"));
  domain::TargetGroupSetInfo out;
  out.id = set_id;
  out.signal_id = common::IdOfPeerName(set.signal(), "signals");
  out.snapshot_version = set.snapshot_version();
  for (const pb::TargetGroupStats& g : set.groups()) out.groups.push_back({g.name(), g.impact().total()});
  return out;
}

absl::StatusOr<domain::FrozenList> AnalysisClient::FreezeList(const common::CallContext& call,
                                                              const std::string& request_id, const std::string& set_id,
                                                              const std::string& group, double control_share,
                                                              uint64_t control_seed) {
  CAK_ASSIGN_OR_RETURN(auto ctx, peer_->Context(call, timeout_));
  pb::FreezeRecipientListRequest req;
  req.set_request_id(request_id);
  req.set_target_group_set(absl::StrCat("targetGroupSets/", set_id));
  req.set_group(group);
  req.set_control_share(control_share);
  req.set_control_seed(control_seed);
  pb::RecipientList list;
  CAK_RETURN_IF_ERROR(common::FromPeerStatus(stub_->FreezeRecipientList(ctx.get(), req, &list), "analysis-svc"));
  domain::FrozenList out;
  out.list_id = common::IdOfPeerName(list.name(), "recipientLists");
  out.member_count = list.member_count();
  if (!list.control_list().empty()) out.control_list_id = common::IdOfPeerName(list.control_list(), "recipientLists");
  return out;
}

absl::StatusOr<std::vector<domain::PreviewSubject>> AnalysisClient::SampleGroup(const common::CallContext& call,
                                                                                const std::string& set_id,
                                                                                const std::string& group, int size,
                                                                                uint64_t seed) {
  CAK_ASSIGN_OR_RETURN(auto ctx, peer_->Context(call, timeout_));
  pb::GetTargetGroupSetRequest get;
  get.set_name(absl::StrCat("targetGroupSets/", set_id));
  pb::TargetGroupSet set;
  CAK_RETURN_IF_ERROR(common::FromPeerStatus(stub_->GetTargetGroupSet(ctx.get(), get, &set), "analysis-svc"));
  // The group's own members: its criteria and none of the groups before it (first match wins).
  pb::CreateSampleRequest req;
  pb::CriteriaList* all = req.mutable_criteria()->mutable_all();
  bool found = false;
  for (const pb::TargetGroupStats& g : set.groups()) {
    if (g.name() == group) {
      *all->add_items() = g.criteria();
      found = true;
      break;
    }
    *all->add_items()->mutable_not_() = g.criteria();
  }
  if (!found) return absl::NotFoundError(absl::StrCat("group \"", group, "\" is not in the target group set"));
  req.set_size(size);
  req.set_seed(seed);
  req.set_view(pb::SAMPLE_VIEW_PSEUDONYMISED);
  if (set.groups_size() > 0 && set.groups(0).impact().has_reference_date()) {
    *req.mutable_reference_date() = set.groups(0).impact().reference_date();
  }
  CAK_ASSIGN_OR_RETURN(auto ctx2, peer_->Context(call, timeout_));
  pb::Sample sample;
  CAK_RETURN_IF_ERROR(common::FromPeerStatus(stub_->CreateSample(ctx2.get(), req, &sample), "analysis-svc"));
  std::vector<domain::PreviewSubject> out;
  for (const pb::SampleMember& m : sample.members()) {
    out.push_back({m.pseudonym(), m.data_subject_id(), m.masked_name(),
                   m.routing() == pb::ROUTING_REPRESENTATIVE || m.routing() == pb::ROUTING_CONTACT_PERSON});
  }
  return out;
}

}  // namespace cak::campaign::clients
