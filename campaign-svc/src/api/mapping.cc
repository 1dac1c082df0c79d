// campaign-svc proto mapping (see mapping.h).
#include "campaign-svc/src/api/mapping.h"

#include "absl/strings/str_cat.h"
#include "common/grpc/convert.h"
#include "common/grpc/type_convert.h"

namespace cak::campaign::api {

void ToProto(const domain::Readability& r, pb::ReadabilityReport* out) {
  out->set_flesch_douma(r.flesch_douma);
  out->set_level(r.level);
  out->set_below_b1(r.below_b1);
  out->set_sentences(r.sentences);
  out->set_words(r.words);
  out->set_words_per_sentence(r.words_per_sentence);
  out->set_syllables_per_word(r.syllables_per_word);
  for (const domain::LongSentence& s : r.long_sentences) {
    pb::LongSentence* l = out->add_long_sentences();
    l->set_index(s.index);
    l->set_words(s.words);
    l->set_start(s.start);
  }
  for (const std::string& w : r.long_words) out->add_long_words(w);
  for (const std::string& w : r.warnings) out->add_warnings(w);
}

void ToProto(const domain::Campaign& c, const domain::CampaignGroup& g, const domain::MessageVersion& m,
             pb::MessageVersion* out) {
  out->set_version(m.version);
  out->set_text(m.text);
  ToProto(domain::AssessDutch(m.text), out->mutable_readability());
  out->set_author(m.author);
  *out->mutable_create_time() = common::ToProtoTime(m.create_time);
  out->set_reference(domain::MessageReference(c, g, m.version));
}

void ToProto(const domain::Campaign& c, pb::Campaign* out) {
  out->set_name(absl::StrCat("campaigns/", c.id));
  out->set_title(c.title);
  out->set_signal(absl::StrCat("signals/", c.signal_id));
  out->set_target_group_set(absl::StrCat("targetGroupSets/", c.target_group_set_id));
  out->set_state(static_cast<pb::CampaignState>(c.state));
  out->set_control_share(c.control_share);
  out->set_control_seed(c.control_seed);
  for (const std::string& t : c.response_topics) out->add_response_topics(t);
  for (domain::ResponseChannel ch : c.response_channels) {
    out->add_response_channels(static_cast<pb::ResponseChannel>(static_cast<int>(ch)));
  }
  if (c.latest_response) {
    const domain::ResponseSummary& r = *c.latest_response;
    pb::ResponseSummary* s = out->mutable_latest_response();
    s->set_response_measurement(r.measurement);
    *s->mutable_measure_time() = common::ToProtoTime(r.measure_time);
    s->set_snapshot_version(r.snapshot_version);
    s->set_responders(r.responders);
    s->set_members(r.members);
    s->set_response_rate(r.members == 0 ? 0.0 : static_cast<double>(r.responders) / r.members);
    s->set_control_responders(r.control_responders);
    s->set_control_members(r.control_members);
    s->set_control_rate(r.control_members == 0 ? 0.0 : static_cast<double>(r.control_responders) / r.control_members);
  }
  out->set_created_by(c.created_by);
  for (const std::string& e : c.editors) out->add_editors(e);
  for (const domain::Decision& d : c.decisions) {
    pb::Decision* p = out->add_decisions();
    p->set_kind(static_cast<pb::DecisionKind>(d.kind));
    p->set_actor(d.actor);
    p->set_comment(d.comment);
    *p->mutable_decide_time() = common::ToProtoTime(d.time);
  }
  *out->mutable_create_time() = common::ToProtoTime(c.create_time);
  *out->mutable_update_time() = common::ToProtoTime(c.update_time);
  out->set_revision(c.revision);
  for (const domain::CampaignGroup& g : c.groups) {
    pb::CampaignGroup* p = out->add_groups();
    p->set_group(g.name);
    p->set_priority(g.priority);
    p->set_member_count(g.member_count);
    p->set_control_count(domain::ControlCount(g.member_count, c.control_share));
    p->set_action(static_cast<pb::Action>(g.action));
    if (g.message) ToProto(c, g, *g.message, p->mutable_message());
    p->set_guidelines(g.guidelines);
    if (g.window_start) common::DayToProto(*g.window_start, p->mutable_window_start());
    if (g.window_end) common::DayToProto(*g.window_end, p->mutable_window_end());
    p->set_contact_moment_code(g.contact_moment_code);
    for (const auto& [k, v] : g.values) (*p->mutable_values())[k] = v;
    if (g.feasibility) {
      const domain::GroupFeasibility& f = *g.feasibility;
      pb::GroupFeasibility* pf = p->mutable_feasibility();
      pf->set_feasibility_check(absl::StrCat("feasibilityChecks/", f.check_id));
      pf->set_state(static_cast<pb::FeasibilityState>(f.state));
      pf->set_feasible(f.feasible);
      if (f.earliest_start) common::DayToProto(*f.earliest_start, pf->mutable_earliest_start());
      for (const std::string& r : f.reasons) pf->add_reasons(r);
      pf->set_decided_by(f.decided_by);
      pf->set_decision_comment(f.decision_comment);
      pf->set_volume(f.volume);
      *pf->mutable_check_time() = common::ToProtoTime(f.check_time);
    }
    if (!g.recipient_list.empty()) p->set_recipient_list(absl::StrCat("recipientLists/", g.recipient_list));
    if (!g.control_list.empty()) p->set_control_list(absl::StrCat("recipientLists/", g.control_list));
    p->set_recipient_count(g.recipient_count);
    p->set_order_delivery(static_cast<pb::OrderDelivery>(g.order_delivery));
    p->set_dispatch_order(g.dispatch_order);
    p->set_order_error(g.order_error);
  }
}

}  // namespace cak::campaign::api
