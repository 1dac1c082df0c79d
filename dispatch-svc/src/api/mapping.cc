// dispatch-svc proto <-> domain mapping (see mapping.h).
#include "dispatch-svc/src/api/mapping.h"

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/base/errors.h"
#include "common/grpc/convert.h"

namespace cak::dispatch::api {

using common::InvalidField;
namespace reason = common::reason;

namespace {

absl::StatusOr<domain::CapacityCalendar> CalendarFromProto(const pb::CapacityCalendar& c) {
  domain::CapacityCalendar out;
  out.items_per_day = c.items_per_day();
  out.lead_time_days = c.lead_time_days();
  for (int i = 0; i < c.working_days_size(); ++i) {
    CAK_ASSIGN_OR_RETURN(int day, common::RequiredEnum<int>(c.working_days(i), pb::Weekday_IsValid,
                                                            absl::StrCat("executor.calendar.working_days[", i, "]")));
    out.working_days |= static_cast<uint8_t>(1 << (day - 1));
  }
  for (int i = 0; i < c.blackout_dates_size(); ++i) {
    CAK_ASSIGN_OR_RETURN(
        absl::CivilDay d,
        common::DayFromProto(c.blackout_dates(i), absl::StrCat("executor.calendar.blackout_dates[", i, "]")));
    out.blackout_dates.push_back(d);
  }
  return out;
}

absl::StatusOr<domain::DeliveryMethod> MethodFromProto(const pb::Executor& e) {
  return common::RequiredEnum<domain::DeliveryMethod>(e.delivery_method(), pb::DeliveryMethod_IsValid,
                                                      "executor.delivery_method");
}

}  // namespace

absl::StatusOr<domain::Executor> ExecutorFromProto(const pb::Executor& e) {
  domain::Executor out;
  out.display_name = e.display_name();
  CAK_ASSIGN_OR_RETURN(out.channel,
                       common::RequiredEnum<domain::Channel>(e.channel(), pb::Channel_IsValid, "executor.channel"));
  out.identity = e.identity();
  out.location_country = e.location_country();
  CAK_ASSIGN_OR_RETURN(out.delivery_method, MethodFromProto(e));
  CAK_ASSIGN_OR_RETURN(out.calendar, CalendarFromProto(e.calendar()));
  return out;
}

absl::StatusOr<domain::Executor> ExecutorPatchFromProto(const pb::Executor& e, const std::vector<std::string>& paths) {
  domain::Executor out;
  out.display_name = e.display_name();
  out.location_country = e.location_country();
  for (const std::string& path : paths) {
    if (path == "calendar") {
      CAK_ASSIGN_OR_RETURN(out.calendar, CalendarFromProto(e.calendar()));
    }
    if (path == "delivery_method") {
      CAK_ASSIGN_OR_RETURN(out.delivery_method, MethodFromProto(e));
    }
  }
  return out;
}

void ToProto(const domain::Executor& e, pb::Executor* out) {
  out->set_name(absl::StrCat("executors/", e.id));
  out->set_display_name(e.display_name);
  out->set_channel(static_cast<pb::Channel>(e.channel));
  out->set_identity(e.identity);
  out->set_location_country(e.location_country);
  pb::CapacityCalendar* c = out->mutable_calendar();
  c->set_items_per_day(e.calendar.items_per_day);
  c->set_lead_time_days(e.calendar.lead_time_days);
  for (int d = 0; d < 7; ++d) {
    if (e.calendar.working_days & (1 << d)) c->add_working_days(static_cast<pb::Weekday>(d + 1));
  }
  for (absl::CivilDay d : e.calendar.blackout_dates) common::DayToProto(d, c->add_blackout_dates());
  out->set_delivery_method(static_cast<pb::DeliveryMethod>(e.delivery_method));
  *out->mutable_create_time() = common::ToProtoTime(e.create_time);
  out->set_created_by(e.created_by);
}

void ToProto(const domain::FeasibilityCheck& c, pb::FeasibilityCheck* out) {
  out->set_name(absl::StrCat("feasibilityChecks/", c.id));
  out->set_executor(absl::StrCat("executors/", c.executor_id));
  out->set_channel(static_cast<pb::Channel>(c.channel));
  out->set_volume(c.volume);
  common::DayToProto(c.window_start, out->mutable_window_start());
  common::DayToProto(c.window_end, out->mutable_window_end());
  out->set_campaign(c.campaign);
  out->set_feasible(c.feasible);
  if (c.earliest_start) common::DayToProto(*c.earliest_start, out->mutable_earliest_start());
  for (const domain::DayCount& d : c.spread) {
    pb::DayCount* dc = out->add_spread();
    common::DayToProto(d.day, dc->mutable_date());
    dc->set_count(d.count);
  }
  for (const std::string& r : c.reasons) out->add_reasons(r);
  out->set_state(static_cast<pb::FeasibilityState>(c.state));
  out->set_requested_by(c.requested_by);
  out->set_decided_by(c.decided_by);
  out->set_decision_comment(c.decision_comment);
  *out->mutable_create_time() = common::ToProtoTime(c.create_time);
  if (c.decide_time) *out->mutable_decide_time() = common::ToProtoTime(*c.decide_time);
  out->set_guidelines(c.guidelines);
}

absl::StatusOr<domain::Order> OrderFromProto(const pb::DispatchOrder& o) {
  domain::Order out;
  out.campaign = o.campaign();
  out.target_group = o.target_group();
  CAK_ASSIGN_OR_RETURN(out.recipient_list,
                       common::ParseName(o.recipient_list(), "recipientLists", "order.recipient_list"));
  CAK_ASSIGN_OR_RETURN(out.channel,
                       common::RequiredEnum<domain::Channel>(o.channel(), pb::Channel_IsValid, "order.channel"));
  out.template_reference = o.message().reference();
  out.template_text = o.message().text();
  out.guidelines = o.guidelines();
  CAK_ASSIGN_OR_RETURN(out.window_start,
                       common::RequiredDayFromProto(o.has_window_start(), o.window_start(), "order.window_start"));
  CAK_ASSIGN_OR_RETURN(out.window_end,
                       common::RequiredDayFromProto(o.has_window_end(), o.window_end(), "order.window_end"));
  for (const auto& [k, v] : o.values()) out.values[k] = v;
  out.contact_moment_code = o.contact_moment_code();
  if (!o.feasibility_check().empty()) {
    CAK_ASSIGN_OR_RETURN(out.feasibility_check,
                         common::ParseName(o.feasibility_check(), "feasibilityChecks", "order.feasibility_check"));
  }
  return out;
}

void ToProto(const domain::Order& o, pb::DispatchOrder* out) {
  out->set_name(absl::StrCat("dispatchOrders/", o.id));
  out->set_campaign(o.campaign);
  out->set_target_group(o.target_group);
  out->set_recipient_list(absl::StrCat("recipientLists/", o.recipient_list));
  out->set_channel(static_cast<pb::Channel>(o.channel));
  out->mutable_message()->set_reference(o.template_reference);
  out->mutable_message()->set_text(o.template_text);
  out->set_guidelines(o.guidelines);
  common::DayToProto(o.window_start, out->mutable_window_start());
  common::DayToProto(o.window_end, out->mutable_window_end());
  for (const auto& [k, v] : o.values) (*out->mutable_values())[k] = v;
  out->set_contact_moment_code(o.contact_moment_code);
  if (!o.feasibility_check.empty()) out->set_feasibility_check(absl::StrCat("feasibilityChecks/", o.feasibility_check));
  out->set_executor(absl::StrCat("executors/", o.executor_id));
  out->set_state(static_cast<pb::OrderState>(o.state));
  out->set_recipient_count(o.recipient_count);
  out->set_batch_count(o.batch_count);
  out->set_batches_written(o.batches_written);
  out->set_batches_acknowledged(o.batches_acknowledged);
  out->set_created_by(o.created_by);
  *out->mutable_create_time() = common::ToProtoTime(o.create_time);
}

void ToProto(const domain::Batch& b, pb::Batch* out) {
  out->set_name(absl::StrCat("dispatchOrders/", b.order_id, "/batches/", b.batch_no));
  out->set_executor(absl::StrCat("executors/", b.executor_id));
  out->set_channel(static_cast<pb::Channel>(b.channel));
  common::DayToProto(b.planned_date, out->mutable_planned_date());
  out->set_first_position(b.first_position);
  out->set_last_position(b.last_position);
  out->set_state(static_cast<pb::BatchState>(b.state));
  out->set_item_count(b.item_count);
  out->set_withheld_count(b.withheld_count);
  out->set_failed_attempts(b.failed_attempts);
  if (b.next_attempt_time) *out->mutable_next_attempt_time() = common::ToProtoTime(*b.next_attempt_time);
  out->set_last_failure_reason(b.last_failure);
  out->set_sha256(b.sha256);
  out->set_data_file(b.data_file);
  out->set_manifest_file(b.manifest_file);
  if (b.write_time) *out->mutable_write_time() = common::ToProtoTime(*b.write_time);
  if (b.acknowledge_time) *out->mutable_acknowledge_time() = common::ToProtoTime(*b.acknowledge_time);
  out->set_acknowledged_by(b.acknowledged_by);
  out->set_guidelines(b.guidelines);
}

void ToProto(domain::RenderedItem&& r, domain::Channel channel, pb::BatchItem* out) {
  domain::Item& it = r.item;
  out->set_position(it.position);
  switch (channel) {
    case domain::Channel::kLetter: {
      out->set_addressee_name(std::move(it.addressee_name));
      pb::PostalAddress* a = out->mutable_address();
      a->set_street(std::move(it.street));
      a->set_house_number(it.house_number);
      a->set_house_number_suffix(std::move(it.house_number_suffix));
      a->set_postcode(std::move(it.postcode));
      a->set_city(std::move(it.city));
      break;
    }
    case domain::Channel::kCall:
      out->set_addressee_name(std::move(it.addressee_name));
      out->set_customer_name(std::move(it.customer_name));
      out->set_phone(std::move(it.phone));
      break;
    case domain::Channel::kContactMoment:
      out->set_customer_number(std::move(it.customer_number));
      out->set_contact_moment_code(std::move(r.contact_moment_code));
      break;
  }
  out->set_text(std::move(r.text));
}

void ToProto(const domain::RecordedOutcome& o, pb::RecordedOutcome* out) {
  out->set_order(absl::StrCat("dispatchOrders/", o.order_id));
  out->set_recipient_list(absl::StrCat("recipientLists/", o.recipient_list));
  out->set_position(o.position);
  out->set_channel(static_cast<pb::Channel>(o.channel));
  out->set_outcome(static_cast<pb::Outcome>(o.outcome));
  *out->mutable_outcome_time() = common::ToProtoTime(o.outcome_time);
  *out->mutable_report_time() = common::ToProtoTime(o.report_time);
  out->set_campaign(o.campaign);
  out->set_target_group(o.target_group);
  out->set_current(o.current);
}

absl::StatusOr<std::pair<std::string, int32_t>> ParseBatchName(absl::string_view name, absl::string_view field) {
  const std::vector<absl::string_view> parts = absl::StrSplit(name, '/');
  int32_t n = 0;
  if (parts.size() != 4 || parts[0] != "dispatchOrders" || parts[2] != "batches" || !absl::SimpleAtoi(parts[3], &n) ||
      n < 1) {
    return InvalidField(reason::kInvalidResourceName, field,
                        absl::StrCat(field, " must be dispatchOrders/{uuid}/batches/{n}"));
  }
  CAK_ASSIGN_OR_RETURN(std::string order,
                       common::ParseName(absl::StrCat("dispatchOrders/", parts[1]), "dispatchOrders", field));
  return std::make_pair(order, n);
}

absl::StatusOr<std::string> ParseExecutorName(absl::string_view name, absl::string_view field) {
  if (!absl::StartsWith(name, "executors/") || name.size() <= 10) {
    return InvalidField(reason::kInvalidResourceName, field, absl::StrCat(field, " must be executors/{id}"));
  }
  return std::string(name.substr(10));
}

}  // namespace cak::dispatch::api
