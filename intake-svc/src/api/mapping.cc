// Proto <-> domain mapping (see mapping.h).
#include "intake-svc/src/api/mapping.h"

#include "absl/strings/str_cat.h"
#include "common/grpc/convert.h"

namespace cak::intake::api {

using common::FromProtoTime;
using common::OptionalEnum;
using common::RequiredEnum;
using common::ToProtoTime;

// The domain enums use the proto numbers; keep them in step.
static_assert(static_cast<int>(domain::SignalState::kClosed) == pb::SIGNAL_STATE_CLOSED);
static_assert(static_cast<int>(domain::SignalState::kActionPlanned) == pb::SIGNAL_STATE_ACTION_PLANNED);
static_assert(static_cast<int>(domain::DeclineReason::kOutOfScope) == pb::DECLINE_REASON_OUT_OF_SCOPE);
static_assert(static_cast<int>(domain::Category::kOther) == pb::SIGNAL_CATEGORY_OTHER);
static_assert(static_cast<int>(domain::Regulation::kWmo) == pb::REGULATION_WMO);
static_assert(static_cast<int>(domain::SourceChannel::kEmployee) == pb::SOURCE_CHANNEL_EMPLOYEE);
static_assert(static_cast<int>(domain::EventType::kInformationAdded) == pb::SIGNAL_EVENT_TYPE_INFORMATION_ADDED);
static_assert(static_cast<int>(domain::DuplicateMatch::kBoth) == pb::DUPLICATE_MATCH_BOTH);

namespace {

pb::Actor ToProto(const domain::Actor& actor) {
  pb::Actor out;
  out.set_id(actor.id);
  out.set_kind(actor.kind == common::PrincipalKind::kApplication ? pb::ACTOR_KIND_APPLICATION
                                                                 : pb::ACTOR_KIND_EMPLOYEE);
  return out;
}

}  // namespace

absl::StatusOr<domain::Signal> FromProto(const pb::NewSignal& p) {
  domain::Signal s;
  CAK_ASSIGN_OR_RETURN(s.source_channel, RequiredEnum<domain::SourceChannel>(
                                             p.source_channel(), pb::SourceChannel_IsValid, "signal.source_channel"));
  CAK_ASSIGN_OR_RETURN(s.category,
                       RequiredEnum<domain::Category>(p.category(), pb::SignalCategory_IsValid, "signal.category"));
  CAK_ASSIGN_OR_RETURN(s.regulation,
                       RequiredEnum<domain::Regulation>(p.regulation(), pb::Regulation_IsValid, "signal.regulation"));
  s.description = p.description();
  s.example_customers.reserve(p.example_customer_bsns_size());
  for (int i = 0; i < p.example_customer_bsns_size(); ++i) {
    CAK_ASSIGN_OR_RETURN(common::Bsn bsn, common::Bsn::Parse(p.example_customer_bsns(i),
                                                             absl::StrCat("signal.example_customer_bsns[", i, "]")));
    s.example_customers.push_back(std::move(bsn));
  }
  for (const auto& a : p.attachments()) {
    s.attachments.push_back(domain::Attachment{a.file_name(), a.media_type(), a.size_bytes(), a.uri(), a.sha256()});
  }
  return s;
}

absl::StatusOr<domain::ListQuery> FromProto(const pb::ListSignalsRequest& p) {
  domain::ListQuery q;
  CAK_ASSIGN_OR_RETURN(q.state, OptionalEnum<domain::SignalState>(p.state(), pb::SignalState_IsValid, "state"));
  CAK_ASSIGN_OR_RETURN(q.category,
                       OptionalEnum<domain::Category>(p.category(), pb::SignalCategory_IsValid, "category"));
  CAK_ASSIGN_OR_RETURN(q.regulation,
                       OptionalEnum<domain::Regulation>(p.regulation(), pb::Regulation_IsValid, "regulation"));
  q.reporter = p.reporter();
  if (p.has_receive_time_start()) {
    CAK_ASSIGN_OR_RETURN(q.received_from, FromProtoTime(p.receive_time_start(), "receive_time_start"));
  }
  if (p.has_receive_time_end()) {
    CAK_ASSIGN_OR_RETURN(q.received_before, FromProtoTime(p.receive_time_end(), "receive_time_end"));
  }
  return q;
}

absl::StatusOr<domain::View> ViewFromProto(pb::SignalView view) {
  switch (view) {
    case pb::SIGNAL_VIEW_UNSPECIFIED:
    case pb::SIGNAL_VIEW_BASIC:
      return domain::View::kBasic;
    case pb::SIGNAL_VIEW_FULL:
      return domain::View::kFull;
    default:
      return common::InvalidField(common::reason::kUnknownEnumValue, "view", "view has an unknown value");
  }
}

void ToProto(const domain::Signal& s, domain::View view, pb::Signal* out) {
  out->set_name(domain::SignalName(s.id));
  *out->mutable_reporter() = ToProto(s.reporter);
  out->set_source_channel(static_cast<pb::SourceChannel>(s.source_channel));
  out->set_category(static_cast<pb::SignalCategory>(s.category));
  out->set_regulation(static_cast<pb::Regulation>(s.regulation));
  out->set_description(s.description);
  if (view == domain::View::kFull) {
    for (const auto& bsn : s.example_customers) out->add_example_customer_bsns(bsn.digits());
  }
  out->set_example_customer_count(s.example_customer_count);
  for (const auto& a : s.attachments) {
    auto* pa = out->add_attachments();
    pa->set_file_name(a.file_name);
    pa->set_media_type(a.media_type);
    pa->set_size_bytes(a.size_bytes);
    pa->set_uri(a.uri);
    pa->set_sha256(a.sha256);
  }
  out->set_state(static_cast<pb::SignalState>(s.state));
  out->set_decline_reason(static_cast<pb::DeclineReason>(s.decline_reason));
  out->set_feedback(s.feedback);
  for (const auto& i : s.information) {
    auto* pi = out->add_information();
    pi->set_text(i.text);
    *pi->mutable_added_by() = ToProto(i.added_by);
    *pi->mutable_add_time() = ToProtoTime(i.add_time);
  }
  for (const auto& d : s.duplicate_candidates) {
    auto* pd = out->add_duplicate_candidates();
    pd->set_signal(domain::SignalName(d.signal_id));
    pd->set_match(static_cast<pb::DuplicateMatch>(d.match));
    pd->set_shared_customer_count(d.shared_customer_count);
  }
  for (const auto& c : s.state_changes) {
    auto* pc = out->add_state_changes();
    pc->set_from_state(c.from ? static_cast<pb::SignalState>(*c.from) : pb::SIGNAL_STATE_UNSPECIFIED);
    pc->set_to_state(static_cast<pb::SignalState>(c.to));
    *pc->mutable_actor() = ToProto(c.actor);
    *pc->mutable_change_time() = ToProtoTime(c.change_time);
  }
  *out->mutable_receive_time() = ToProtoTime(s.receive_time);
  *out->mutable_update_time() = ToProtoTime(s.update_time);
  out->set_action_traceparent(s.action_traceparent);
}

void ToProto(const domain::SignalEvent& e, pb::SignalEvent* out) {
  out->set_sequence(e.sequence);
  out->set_signal(domain::SignalName(e.signal_id));
  out->set_type(static_cast<pb::SignalEventType>(e.type));
  out->set_from_state(e.from ? static_cast<pb::SignalState>(*e.from) : pb::SIGNAL_STATE_UNSPECIFIED);
  out->set_to_state(static_cast<pb::SignalState>(e.to));
  *out->mutable_actor() = ToProto(e.actor);
  *out->mutable_event_time() = ToProtoTime(e.event_time);
  out->set_decline_reason(static_cast<pb::DeclineReason>(e.decline_reason));
  out->set_feedback(e.text);
}

}  // namespace cak::intake::api
