// AnalysisService mapping (see mapping.h).
#include "analysis-svc/src/api/mapping.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/base/bsn.h"
#include "common/base/errors.h"
#include "common/base/random.h"
#include "common/grpc/convert.h"

namespace cak::analysis::api {

namespace {

using common::InvalidField;
using domain::Criteria;
using domain::Predicate;
using Field = domain::Predicate::Field;
namespace reason = common::reason;
using TypeDate = cak::voorlichting::type::v1::Date;

constexpr char kUnknownField[] = "UNKNOWN_FIELD";

std::string EnumText(absl::string_view name, int value) {
  if (value == 0) return "";
  if (name.empty()) return absl::StrCat("#", value);  // rejected as UNKNOWN_ENUM_VALUE by the row rules
  return std::string(name);
}

std::string DateText(bool has, const TypeDate& d) {
  if (!has) return "";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", d.year(), d.month(), d.day());
  return buf;
}

void AddressFields(bool has, const pb::PostalAddress& a, std::vector<std::string>* f) {
  f->push_back(has ? a.street() : "");
  f->push_back(has && a.house_number() != 0 ? absl::StrCat(a.house_number()) : "");
  f->push_back(has ? a.house_number_suffix() : "");
  f->push_back(has ? a.postcode() : "");
  f->push_back(has ? a.city() : "");
}

absl::StatusOr<Criteria> Node(const pb::Criteria& c, const std::string& path, int depth);

absl::StatusOr<Predicate> PredicateFromProto(const pb::Predicate& p, const std::string& path) {
  if (!p.GetReflection()->GetUnknownFields(p).empty()) {
    return InvalidField(kUnknownField, path, absl::StrCat(path, " uses a field this server does not know"));
  }
  Predicate out;
  switch (p.field_case()) {
    case pb::Predicate::FIELD_NOT_SET:
      return InvalidField(kUnknownField, path, absl::StrCat(path, " names no field"));
    case pb::Predicate::kRegulationIn:
      out.field = Field::kRegulationIn;
      for (int r : p.regulation_in().regulations()) out.values.push_back(r);
      break;
    case pb::Predicate::kMunicipalityIn: {
      out.field = Field::kMunicipalityIn;
      const auto& codes = p.municipality_in().municipality_codes();
      for (int i = 0; i < codes.size(); ++i) {
        auto n = domain::ParseMunicipalityCode(codes[i]);
        if (!n) {
          const std::string f = absl::StrCat(path, ".municipality_in.municipality_codes[", i, "]");
          return InvalidField(reason::kInvalidFieldValue, f, absl::StrCat(f, " must be GM followed by 4 digits"));
        }
        out.values.push_back(*n);
      }
      break;
    }
    case pb::Predicate::kDebtBetween:
      out.field = Field::kDebtBetween;
      if (p.debt_between().has_min_cents()) out.min = p.debt_between().min_cents();
      if (p.debt_between().has_max_cents()) out.max = p.debt_between().max_cents();
      break;
    case pb::Predicate::kPaymentPlan:
      out.field = Field::kPaymentPlan;
      out.flag = p.payment_plan();
      break;
    case pb::Predicate::kHasRepresentative:
      out.field = Field::kHasRepresentative;
      out.flag = p.has_representative();
      break;
    case pb::Predicate::kHasContactPerson:
      out.field = Field::kHasContactPerson;
      out.flag = p.has_contact_person();
      break;
    case pb::Predicate::kActive:
      out.field = Field::kActive;
      out.flag = p.active();
      break;
    case pb::Predicate::kAgeBetween:
      out.field = Field::kAgeBetween;
      if (p.age_between().has_min_years()) out.min = p.age_between().min_years();
      if (p.age_between().has_max_years()) out.max = p.age_between().max_years();
      break;
    case pb::Predicate::kPlannedMailing: {
      out.field = Field::kPlannedMailing;
      const auto& m = p.planned_mailing();
      for (int t : m.mailing_types()) out.values.push_back(t);
      const std::string base = path + ".planned_mailing";
      CAK_ASSIGN_OR_RETURN(out.from,
                           common::RequiredDayFromProto(m.has_from_date(), m.from_date(), base + ".from_date"));
      CAK_ASSIGN_OR_RETURN(out.to, common::RequiredDayFromProto(m.has_to_date(), m.to_date(), base + ".to_date"));
      break;
    }
    case pb::Predicate::kContactedWithin: {
      out.field = Field::kContactedWithin;
      const auto& c = p.contacted_within();
      out.days = c.days();
      out.min_contacts = c.min_contacts() == 0 ? 1 : c.min_contacts();
      for (int ch : c.channels()) out.values.push_back(ch);
      out.reached_only = c.reached_only();
      break;
    }
    case pb::Predicate::kCustomerIn: {
      out.field = Field::kCustomerIn;
      const auto& bsns = p.customer_in().bsns();
      if (bsns.size() > domain::kMaxCustomerInBsns) {
        return InvalidField("CRITERIA_TOO_COMPLEX", path + ".customer_in.bsns",
                            absl::StrCat("at most ", domain::kMaxCustomerInBsns, " BSNs"));
      }
      for (int i = 0; i < bsns.size(); ++i) {
        const std::string f = absl::StrCat(path, ".customer_in.bsns[", i, "]");
        CAK_ASSIGN_OR_RETURN(common::Bsn bsn, common::Bsn::Parse(bsns[i], f));
        out.bsns.push_back(static_cast<int32_t>(std::stol(bsn.digits())));
      }
      break;
    }
  }
  return out;
}

absl::StatusOr<Criteria> Node(const pb::Criteria& c, const std::string& path, int depth) {
  if (depth > domain::kMaxCriteriaDepth) {
    return InvalidField("CRITERIA_TOO_COMPLEX", path,
                        absl::StrCat("criteria nest deeper than ", domain::kMaxCriteriaDepth, " levels"));
  }
  if (!c.GetReflection()->GetUnknownFields(c).empty()) {
    return InvalidField(kUnknownField, path, absl::StrCat(path, " uses a field this server does not know"));
  }
  Criteria out;
  switch (c.node_case()) {
    case pb::Criteria::NODE_NOT_SET:
      return InvalidField(reason::kRequiredFieldMissing, path,
                          absl::StrCat(path, " needs one of all, any, not, predicate"));
    case pb::Criteria::kAll:
    case pb::Criteria::kAny: {
      const bool all = c.node_case() == pb::Criteria::kAll;
      out.op = all ? Criteria::Op::kAll : Criteria::Op::kAny;
      const auto& items = all ? c.all().items() : c.any().items();
      if (items.size() > domain::kMaxCriteriaNodes) {
        return InvalidField("CRITERIA_TOO_COMPLEX", path, "criteria have too many nodes");
      }
      for (int i = 0; i < items.size(); ++i) {
        CAK_ASSIGN_OR_RETURN(Criteria child,
                             Node(items[i], absl::StrCat(path, all ? ".all" : ".any", ".items[", i, "]"), depth + 1));
        out.children.push_back(std::move(child));
      }
      break;
    }
    case pb::Criteria::kNot: {
      out.op = Criteria::Op::kNot;
      CAK_ASSIGN_OR_RETURN(Criteria child, Node(c.not_(), path + ".not", depth + 1));
      out.children.push_back(std::move(child));
      break;
    }
    case pb::Criteria::kPredicate: {
      out.op = Criteria::Op::kPredicate;
      CAK_ASSIGN_OR_RETURN(out.predicate, PredicateFromProto(c.predicate(), path + ".predicate"));
      break;
    }
  }
  return out;
}

pb::Count* AddCount(google::protobuf::RepeatedPtrField<pb::Count>* out, absl::string_view key, int64_t count) {
  pb::Count* c = out->Add();
  c->set_key(std::string(key));
  c->set_count(count);
  return c;
}

}  // namespace

absl::StatusOr<Criteria> CriteriaFromProto(const pb::Criteria& criteria, const std::string& path) {
  CAK_ASSIGN_OR_RETURN(Criteria c, Node(criteria, path, 1));
  CAK_RETURN_IF_ERROR(domain::Validate(c, path));
  return c;
}

void RowFields(const pb::Customer& r, std::vector<std::string>* f) {
  f->clear();
  f->push_back(r.bsn());
  f->push_back(r.customer_number());
  f->push_back(EnumText(domain::SalutationName(r.salutation()), r.salutation()));
  f->push_back(r.initials());
  f->push_back(r.name_prefix());
  f->push_back(r.surname());
  AddressFields(r.has_address(), r.address(), f);
  f->push_back(r.phone());
  f->push_back(r.email());
  f->push_back(EnumText(domain::RegulationName(r.regulation()), r.regulation()));
  f->push_back(r.municipality_code());
  f->push_back(DateText(r.has_birth_date(), r.birth_date()));
  f->push_back(absl::StrCat(r.debt_cents()));
  f->push_back(r.payment_plan() ? "true" : "false");
  f->push_back(r.iban());
  f->push_back(r.care_summary());
  f->push_back(r.active() ? "true" : "false");
  f->push_back(DateText(r.has_inactive_since(), r.inactive_since()));
}

void RowFields(const pb::Relation& r, std::vector<std::string>* f) {
  f->clear();
  f->push_back(r.customer_bsn());
  f->push_back(EnumText(domain::RelationKindName(r.kind()), r.kind()));
  f->push_back(r.initials());
  f->push_back(r.name_prefix());
  f->push_back(r.surname());
  AddressFields(r.has_address(), r.address(), f);
  f->push_back(r.phone());
  f->push_back(r.email());
  f->push_back(EnumText(domain::RoutingPreferenceName(r.routing()), r.routing()));
}

void RowFields(const pb::Mailing& r, std::vector<std::string>* f) {
  f->clear();
  f->push_back(r.customer_bsn());
  f->push_back(EnumText(domain::MailingTypeName(r.mailing_type()), r.mailing_type()));
  f->push_back(DateText(r.has_planned_date(), r.planned_date()));
}

void RowFields(const pb::ContactReport& r, std::vector<std::string>* f) {
  f->clear();
  f->push_back(r.customer_bsn());
  f->push_back(EnumText(domain::ContactChannelName(r.channel()), r.channel()));
  f->push_back(r.topic());
  if (r.has_contact_time()) {
    const absl::Time t = absl::FromUnixSeconds(r.contact_time().seconds());
    f->push_back(absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", t, absl::UTCTimeZone()));
  } else {
    f->push_back("");
  }
  f->push_back(r.reached() ? "true" : "false");
}

domain::ImportOptions FromProto(const pb::ImportOptions& o) {
  domain::ImportOptions out;
  out.request_id = o.request_id();
  if (o.has_max_rejected_share()) out.max_rejected_share = o.max_rejected_share();
  out.source = o.source();
  return out;
}

void ToProto(const domain::ImportReport& r, pb::ImportReport* out) {
  out->set_dataset(static_cast<pb::Dataset>(r.dataset));
  out->set_snapshot_version(r.snapshot_version);
  out->set_dataset_version(r.dataset_version);
  out->set_rows_read(r.rows_read);
  out->set_rows_loaded(r.rows_loaded);
  out->set_rows_rejected(r.rows_rejected);
  out->set_rows_skipped(r.rows_skipped);
  for (const auto& [why, n] : r.skipped) {
    pb::SkippedRows* skipped = out->add_skipped();
    skipped->set_reason(why);
    skipped->set_rows(n);
  }
  for (const auto& e : r.errors) {
    pb::RowError* pe = out->add_errors();
    pe->set_row(e.row);
    pe->set_field(e.field);
    pe->set_reason(e.reason);
    pe->set_message(e.message);
  }
  out->set_replayed(r.replayed);
  *out->mutable_completed_time() = common::ToProtoTime(r.completed_time);
}

void ToProto(const domain::SnapshotInfo& s, pb::Snapshot* out) {
  out->set_version(s.version);
  if (s.version != 0) *out->mutable_created_time() = common::ToProtoTime(s.created_time);
  for (domain::Dataset d : domain::kAllDatasets) {
    const auto& v = s.of(d);
    pb::DatasetVersion* pv = out->add_datasets();
    pv->set_dataset(static_cast<pb::Dataset>(d));
    pv->set_version(v.version);
    pv->set_row_count(v.row_count);
    if (v.version != 0) *pv->mutable_imported_time() = common::ToProtoTime(v.imported_time);
    pv->set_source(v.source);
  }
}

void ToProto(const domain::Impact& i, pb::ImpactAnalysis* out) {
  out->set_total(i.total);
  for (int r = 1; r < domain::kRegulationSlots; ++r)
    AddCount(out->mutable_by_regulation(), domain::RegulationName(r), i.by_regulation[r]);
  for (const auto& [number, count] : i.by_municipality) {
    AddCount(out->mutable_by_municipality(), domain::MunicipalityCode(number), count);
  }
  for (int r = 1; r < domain::kRoutingSlots; ++r)
    AddCount(out->mutable_by_routing(), domain::RoutingName(r), i.by_routing[r]);
  AddCount(out->mutable_by_reachability(), "POST", i.reach_post);
  AddCount(out->mutable_by_reachability(), "PHONE", i.reach_phone);
  AddCount(out->mutable_by_reachability(), "EMAIL", i.reach_email);
  AddCount(out->mutable_by_reachability(), "NONE", i.reach_none);
  out->set_mailing_overlap_total(i.mailing_overlap_total);
  for (int t = 1; t < domain::kMailingTypeSlots; ++t) {
    AddCount(out->mutable_mailing_overlap_by_type(), domain::MailingTypeName(t), i.mailing_overlap_by_type[t]);
  }
  out->set_contact_pressure(i.contact_pressure);
  out->set_excluded_by_objection(i.excluded_by_objection);
}

void ToProto(const Criteria& c, pb::Criteria* out) {
  switch (c.op) {
    case Criteria::Op::kAll:
    case Criteria::Op::kAny: {
      pb::CriteriaList* list = c.op == Criteria::Op::kAll ? out->mutable_all() : out->mutable_any();
      for (const auto& child : c.children) ToProto(child, list->add_items());
      return;
    }
    case Criteria::Op::kNot:
      ToProto(c.children.at(0), out->mutable_not_());
      return;
    case Criteria::Op::kPredicate:
      break;
  }
  const Predicate& p = c.predicate;
  pb::Predicate* pp = out->mutable_predicate();
  switch (p.field) {
    case Field::kRegulationIn:
      for (int v : p.values) pp->mutable_regulation_in()->add_regulations(static_cast<pb::Regulation>(v));
      break;
    case Field::kMunicipalityIn:
      for (int v : p.values) pp->mutable_municipality_in()->add_municipality_codes(domain::MunicipalityCode(v));
      break;
    case Field::kDebtBetween:
      pp->mutable_debt_between();
      if (p.min) pp->mutable_debt_between()->set_min_cents(*p.min);
      if (p.max) pp->mutable_debt_between()->set_max_cents(*p.max);
      break;
    case Field::kPaymentPlan:
      pp->set_payment_plan(p.flag);
      break;
    case Field::kHasRepresentative:
      pp->set_has_representative(p.flag);
      break;
    case Field::kHasContactPerson:
      pp->set_has_contact_person(p.flag);
      break;
    case Field::kActive:
      pp->set_active(p.flag);
      break;
    case Field::kAgeBetween:
      pp->mutable_age_between();
      if (p.min) pp->mutable_age_between()->set_min_years(static_cast<int32_t>(*p.min));
      if (p.max) pp->mutable_age_between()->set_max_years(static_cast<int32_t>(*p.max));
      break;
    case Field::kPlannedMailing: {
      auto* m = pp->mutable_planned_mailing();
      for (int v : p.values) m->add_mailing_types(static_cast<pb::MailingType>(v));
      DayToProto(p.from, m->mutable_from_date());
      DayToProto(p.to, m->mutable_to_date());
      break;
    }
    case Field::kContactedWithin: {
      auto* m = pp->mutable_contacted_within();
      m->set_days(p.days);
      m->set_min_contacts(p.min_contacts);
      for (int v : p.values) m->add_channels(static_cast<pb::ContactChannel>(v));
      m->set_reached_only(p.reached_only);
      break;
    }
    case Field::kCustomerIn:
      for (int32_t b : p.bsns) pp->mutable_customer_in()->add_bsns(domain::FormatBsn(b));
      break;
  }
}

void ToProto(const domain::TargetGroupSetRecord& set, pb::TargetGroupSet* out) {
  out->set_name("targetGroupSets/" + set.id);
  out->set_signal(set.signal);
  out->set_snapshot_version(set.snapshot_version);
  for (size_t i = 0; i < set.groups.size(); ++i) {
    pb::TargetGroupStats* g = out->add_groups();
    g->set_name(set.groups[i].name);
    ToProto(set.groups[i].criteria, g->mutable_criteria());
    if (i < set.impacts.size()) {
      pb::ImpactAnalysis* impact = g->mutable_impact();
      ToProto(set.impacts[i], impact);
      impact->set_snapshot_version(set.snapshot_version);
      const domain::ImpactOptions o = domain::DefaultImpactOptions(set.reference_day);
      DayToProto(o.reference_day, impact->mutable_reference_date());
      DayToProto(o.mailing_from, impact->mutable_mailing_from_date());
      DayToProto(o.mailing_to, impact->mutable_mailing_to_date());
      impact->set_pressure_min_contacts(o.pressure_min_contacts);
      impact->set_pressure_days(o.pressure_days);
    }
  }
  out->set_unassigned_count(set.unassigned);
  out->set_defined_by(set.defined_by);
  *out->mutable_create_time() = common::ToProtoTime(set.create_time);
}

void ToProto(const domain::RecipientListRecord& list, pb::RecipientList* out) {
  out->set_name("recipientLists/" + list.id);
  out->set_target_group_set("targetGroupSets/" + list.target_group_set);
  out->set_group(list.group);
  out->set_snapshot_version(list.snapshot_version);
  out->set_member_count(list.member_count);
  out->set_checksum(list.checksum);
  out->set_frozen_by(list.frozen_by);
  *out->mutable_create_time() = common::ToProtoTime(list.create_time);
  if (!list.control_list.empty()) out->set_control_list("recipientLists/" + list.control_list);
  if (!list.control_of.empty()) out->set_control_of("recipientLists/" + list.control_of);
  out->set_excluded_by_objection(list.excluded_by_objection);
}

absl::StatusOr<domain::MeasureRequest> FromProto(const pb::MeasureResponseRequest& r) {
  domain::MeasureRequest out;
  if (!r.campaign().empty() &&
      (!absl::StartsWith(r.campaign(), "campaigns/") || r.campaign().size() == 10 || r.campaign().size() > 200)) {
    return InvalidField(reason::kInvalidResourceName, "campaign", "campaign must be campaigns/{id}");
  }
  out.campaign = r.campaign();
  for (int i = 0; i < r.groups_size(); ++i) {
    const pb::MeasuredGroup& g = r.groups(i);
    const std::string path = absl::StrCat("groups[", i, "]");
    domain::MeasuredGroup& d = out.groups.emplace_back();
    d.group = g.group();
    if (g.recipient_list().empty()) {
      return InvalidField(reason::kRequiredFieldMissing, path + ".recipient_list", "recipient_list is required");
    }
    CAK_ASSIGN_OR_RETURN(d.list_id, ParseName(g.recipient_list(), "recipientLists", path + ".recipient_list"));
    if (!g.control_list().empty()) {
      CAK_ASSIGN_OR_RETURN(d.control_list, ParseName(g.control_list(), "recipientLists", path + ".control_list"));
    }
    if (!g.dispatch_order().empty()) {
      CAK_ASSIGN_OR_RETURN(d.dispatch_order, ParseName(g.dispatch_order(), "dispatchOrders", path + ".dispatch_order"));
    }
    if (!pb::ActionChannel_IsValid(g.channel())) {
      return InvalidField(reason::kUnknownEnumValue, path + ".channel", "channel has an unknown value");
    }
    d.channel = g.channel();
    if (g.has_send_date()) {
      CAK_ASSIGN_OR_RETURN(d.send_day, DayFromProto(g.send_date(), path + ".send_date"));
    }
  }
  if (r.has_end_date()) {
    CAK_ASSIGN_OR_RETURN(out.end_day, DayFromProto(r.end_date(), "end_date"));
  }
  out.sample_size = r.sample_size();
  out.sample_seed = r.sample_seed();
  out.filter.topics.assign(r.response_topics().begin(), r.response_topics().end());
  for (int i = 0; i < r.response_channels_size(); ++i) {
    const int c = r.response_channels(i);
    if (c == pb::CONTACT_CHANNEL_UNSPECIFIED || !pb::ContactChannel_IsValid(c)) {
      return InvalidField(reason::kUnknownEnumValue, absl::StrCat("response_channels[", i, "]"),
                          "a response channel must be a known channel");
    }
    out.filter.channels.push_back(c);
  }
  return out;
}

namespace {

void RateToProto(const domain::Rate& r, pb::Rate* out) {
  out->set_numerator(r.numerator);
  out->set_denominator(r.denominator);
  out->set_rate(r.rate());
}

void SampleToProto(const domain::ResponseSampleView& m, pb::ResponseSampleMember* out) {
  out->set_pseudonym(m.pseudonym);
  out->set_group(m.group);
  out->set_responded(m.responded);
  if (m.first_response_day) DayToProto(*m.first_response_day, out->mutable_first_response_date());
  out->set_first_response_channel(static_cast<pb::ContactChannel>(m.first_response_channel));
  out->set_contacts(m.contacts);
  out->set_outcome(m.outcome);
  out->set_regulation(static_cast<pb::Regulation>(m.regulation));
  out->set_municipality_code(domain::MunicipalityCode(m.municipality));
  out->set_age_years(m.age_years);
  out->set_routing(static_cast<pb::Routing>(m.routing));
}

}  // namespace

void ToProto(const domain::KeptMeasurement& m, pb::ResponseMeasurement* out) {
  out->set_name("responseMeasurements/" + m.id);
  out->set_campaign(m.campaign);
  out->set_snapshot_version(m.snapshot_version);
  out->set_contact_reports_version(m.contact_reports_version);
  DayToProto(m.end_day, out->mutable_end_date());
  for (const std::string& t : m.filter.topics) out->add_response_topics(t);
  for (int c : m.filter.channels) out->add_response_channels(static_cast<pb::ContactChannel>(c));
  out->set_sample_size(m.sample_size);
  out->set_sample_seed(m.sample_seed);
  out->set_measured_by(m.measured_by);
  for (size_t i = 0; i < m.groups.size(); ++i) {
    const domain::GroupResponse& g = m.groups[i];
    pb::GroupResponse* pg = out->add_groups();
    if (i < m.lists.size()) {
      const domain::GroupLists& l = m.lists[i];
      pg->set_recipient_list("recipientLists/" + l.recipient_list);
      if (!l.control_list.empty()) pg->set_control_list("recipientLists/" + l.control_list);
      if (!l.dispatch_order.empty()) pg->set_dispatch_order("dispatchOrders/" + l.dispatch_order);
    }
    pg->set_group(g.group);
    pg->set_channel(static_cast<pb::ActionChannel>(g.channel));
    DayToProto(g.send_day, pg->mutable_send_date());
    pg->set_contacted(g.contacted);
    pg->set_not_found(g.not_found);
    RateToProto(g.response, pg->mutable_response());
    RateToProto(g.control_response, pg->mutable_control_response());
    if (g.difference) {
      pg->set_difference(g.difference->value);
      pg->set_difference_ci_low(g.difference->ci_low);
      pg->set_difference_ci_high(g.difference->ci_high);
    }
    for (const domain::ChannelResponse& c : g.by_channel) {
      pb::ChannelResponse* pc = pg->add_by_channel();
      pc->set_channel(static_cast<pb::ContactChannel>(c.channel));
      pc->set_responders(c.responders);
      pc->set_rate(c.rate);
    }
    for (const domain::TopicResponse& t : g.by_topic) {
      pb::TopicResponse* pt = pg->add_by_topic();
      pt->set_topic(t.topic);
      pt->set_responders(t.responders);
      pt->set_rate(t.rate);
      pt->set_control_responders(t.control_responders);
      pt->set_control_rate(t.control_rate);
    }
    for (const domain::WeekResponse& w : g.by_week) {
      pb::WeekResponse* pw = pg->add_by_week();
      pw->set_week(w.week);
      DayToProto(w.week_start, pw->mutable_week_start());
      pw->set_new_responders(w.new_responders);
      pw->set_cumulative_rate(w.cumulative_rate);
      pw->set_control_cumulative_rate(w.control_cumulative_rate);
    }
    for (const domain::OutcomeCount& o : g.outcomes) {
      pb::OutcomeCount* po = pg->add_outcomes();
      po->set_outcome(o.outcome);
      po->set_count(o.count);
    }
    RateToProto(g.response_when_delivered, pg->mutable_response_when_delivered());
  }
  RateToProto(m.total_response, out->mutable_total_response());
  RateToProto(m.total_control_response, out->mutable_total_control_response());
  *out->mutable_measure_time() = common::ToProtoTime(m.measure_time);
}

void ToProto(const domain::MeasureOutcome& m, pb::ResponseMeasurement* out) {
  ToProto(static_cast<const domain::KeptMeasurement&>(m), out);
  for (const auto& r : m.responders) SampleToProto(r, out->add_responders());
  for (const auto& r : m.non_responders) SampleToProto(r, out->add_non_responders());
}

void ToProto(const domain::SampleOutcome& s, pb::Sample* out) {
  out->set_name("samples/" + s.id);
  out->set_snapshot_version(s.snapshot_version);
  out->set_seed(s.seed);
  out->set_stratification(static_cast<pb::Stratification>(s.stratification));
  out->set_population(s.population);
  out->set_excluded_by_objection(s.excluded_by_objection);
  for (const auto& m : s.members) {
    pb::SampleMember* pm = out->add_members();
    pm->set_pseudonym(m.pseudonym);
    pm->set_data_subject_id(m.data_subject_id);
    pm->set_masked_name(m.masked_name);
    pm->set_regulation(static_cast<pb::Regulation>(m.regulation));
    pm->set_municipality_code(domain::MunicipalityCode(m.municipality));
    pm->set_age_years(m.age_years);
    pm->set_routing(static_cast<pb::Routing>(m.routing));
    pm->set_stratum(m.stratum);
    if (m.details) {
      const domain::CustomerDetails& d = *m.details;
      pm->set_bsn(domain::FormatBsn(d.bsn));
      std::string name = d.initials;
      if (!d.name_prefix.empty()) absl::StrAppend(&name, " ", d.name_prefix);
      absl::StrAppend(&name, " ", d.surname);
      pm->set_full_name(name);
      if (!d.street.empty()) {
        auto* a = pm->mutable_address();
        a->set_street(d.street);
        a->set_house_number(d.house_number);
        a->set_house_number_suffix(d.house_number_suffix);
        a->set_postcode(d.postcode);
        a->set_city(d.city);
      }
      pm->set_debt_cents(d.debt_cents);
      pm->set_payment_plan(d.payment_plan);
    }
  }
  for (const auto& [key, count] : s.allocation) AddCount(out->mutable_allocation(), key, count);
}

void ToProto(domain::RecipientRow&& r, pb::Recipient* out) {
  out->set_position(r.position);
  if (r.withheld) {
    out->set_withheld_reason("OBJECTION");
    return;
  }
  out->set_bsn(domain::FormatBsn(r.bsn));
  out->set_routing(static_cast<pb::Routing>(r.routing));
  out->set_customer_number(std::move(r.customer_number));
  out->set_salutation(static_cast<pb::Salutation>(r.salutation));
  out->set_customer_name(std::move(r.customer_name));
  out->set_addressee_name(std::move(r.addressee_name));
  if (!r.street.empty()) {
    auto* a = out->mutable_address();
    a->set_street(std::move(r.street));
    a->set_house_number(r.house_number);
    a->set_house_number_suffix(std::move(r.house_number_suffix));
    a->set_postcode(std::move(r.postcode));
    a->set_city(std::move(r.city));
  }
  out->set_phone(std::move(r.phone));
}

absl::StatusOr<domain::ListingRequest> FromProto(const pb::ExportListingRequest& req) {
  domain::ListingRequest in;
  if (!req.target_group_set().empty()) {
    if (req.has_criteria()) {
      return InvalidField(reason::kInvalidFieldValue, "target_group_set",
                          "give criteria or target_group_set, not both");
    }
    CAK_ASSIGN_OR_RETURN(in.target_group_set, ParseName(req.target_group_set(), "targetGroupSets", "target_group_set"));
    in.group = req.group();
  } else {
    if (!req.has_criteria()) {
      return InvalidField(reason::kRequiredFieldMissing, "criteria", "criteria (or target_group_set) is required");
    }
    if (!req.group().empty()) return InvalidField(reason::kInvalidFieldValue, "group", "group needs target_group_set");
    CAK_ASSIGN_OR_RETURN(in.criteria, CriteriaFromProto(req.criteria(), "criteria"));
  }
  if (req.has_reference_date()) {
    CAK_ASSIGN_OR_RETURN(in.reference_day, DayFromProto(req.reference_date(), "reference_date"));
  }
  for (int f : req.fields()) in.fields.push_back(f);
  if (!pb::ListingView_IsValid(req.view())) {
    return InvalidField(reason::kUnknownEnumValue, "view", "view has an unknown value");
  }
  in.full_view = req.view() == pb::LISTING_VIEW_FULL;
  in.purpose = req.purpose();
  in.limit = req.limit();
  return in;
}

}  // namespace cak::analysis::api
