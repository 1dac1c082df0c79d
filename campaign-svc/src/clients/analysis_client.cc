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
  // The group is sampled where it is defined: analysis-svc draws from the members its frozen
  // list would have (the set's snapshot and reference date), so a preview shows whom the
  // campaign will reach.
  pb::CreateSampleRequest req;
  req.set_target_group_set(absl::StrCat("targetGroupSets/", set_id));
  req.set_group(group);
  req.set_size(size);
  req.set_seed(seed);
  req.set_view(pb::SAMPLE_VIEW_PSEUDONYMISED);
  CAK_ASSIGN_OR_RETURN(auto ctx, peer_->Context(call, timeout_));
  pb::Sample sample;
  CAK_RETURN_IF_ERROR(common::FromPeerStatus(stub_->CreateSample(ctx.get(), req, &sample), "analysis-svc"));
  std::vector<domain::PreviewSubject> out;
  for (const pb::SampleMember& m : sample.members()) {
    out.push_back({m.pseudonym(), m.data_subject_id(), m.masked_name(),
                   m.routing() == pb::ROUTING_REPRESENTATIVE || m.routing() == pb::ROUTING_CONTACT_PERSON});
  }
  return out;
}

absl::StatusOr<domain::ResponseSummary> AnalysisClient::MeasureResponse(const common::CallContext& call,
                                                                        const domain::ResponseQuestion& question) {
  pb::MeasureResponseRequest req;
  req.set_campaign(question.campaign_name);
  for (const domain::ResponseQuestion::Group& g : question.groups) {
    pb::MeasuredGroup* m = req.add_groups();
    m->set_group(g.name);
    m->set_recipient_list(absl::StrCat("recipientLists/", g.recipient_list_id));
    if (!g.control_list_id.empty()) m->set_control_list(absl::StrCat("recipientLists/", g.control_list_id));
    m->set_dispatch_order(g.dispatch_order);
    // Action and ActionChannel number LETTER, CALL and CONTACT_MOMENT alike.
    m->set_channel(static_cast<pb::ActionChannel>(static_cast<int>(g.action)));
    common::DayToProto(g.send_day, m->mutable_send_date());
  }
  if (question.end_day) common::DayToProto(*question.end_day, req.mutable_end_date());
  for (const std::string& t : question.topics) req.add_response_topics(t);
  // ResponseChannel and ContactChannel number the channels alike.
  for (domain::ResponseChannel ch : question.channels) {
    req.add_response_channels(static_cast<pb::ContactChannel>(static_cast<int>(ch)));
  }
  req.set_sample_seed(question.sample_seed);
  CAK_ASSIGN_OR_RETURN(auto ctx, peer_->Context(call, timeout_));
  pb::ResponseMeasurement measured;
  CAK_RETURN_IF_ERROR(common::FromPeerStatus(stub_->MeasureResponse(ctx.get(), req, &measured), "analysis-svc"));
  domain::ResponseSummary out;
  out.measurement = measured.name();
  out.measure_time =
      absl::FromUnixSeconds(measured.measure_time().seconds()) + absl::Nanoseconds(measured.measure_time().nanos());
  out.snapshot_version = measured.snapshot_version();
  out.responders = measured.total_response().numerator();
  out.members = measured.total_response().denominator();
  out.control_responders = measured.total_control_response().numerator();
  out.control_members = measured.total_control_response().denominator();
  return out;
}

}  // namespace cak::campaign::clients
