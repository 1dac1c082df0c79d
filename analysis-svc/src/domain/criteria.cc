// Criteria validation, evaluation and stored form (see criteria.h).
#include "analysis-svc/src/domain/criteria.h"

#include <algorithm>
#include <limits>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/base/errors.h"

namespace cak::analysis::domain {

namespace {

using common::InvalidField;
namespace reason = common::reason;
using Field = Predicate::Field;

inline constexpr char kCriteriaTooComplex[] = "CRITERIA_TOO_COMPLEX";
inline constexpr char kEmptyOperand[] = "EMPTY_OPERAND";
inline constexpr char kInvalidRange[] = "INVALID_RANGE";

absl::string_view FieldName(Field f) {
  switch (f) {
    case Field::kRegulationIn:
      return "regulation_in";
    case Field::kMunicipalityIn:
      return "municipality_in";
    case Field::kDebtBetween:
      return "debt_between";
    case Field::kPaymentPlan:
      return "payment_plan";
    case Field::kHasRepresentative:
      return "has_representative";
    case Field::kHasContactPerson:
      return "has_contact_person";
    case Field::kActive:
      return "active";
    case Field::kAgeBetween:
      return "age_between";
    case Field::kPlannedMailing:
      return "planned_mailing";
    case Field::kContactedWithin:
      return "contacted_within";
    case Field::kCustomerIn:
      return "customer_in";
  }
  return "";
}

absl::Status ValidateEnums(const std::vector<int>& values, int slots, const std::string& path, bool required) {
  if (required && values.empty())
    return InvalidField(kEmptyOperand, path, absl::StrCat(path, " needs at least one value"));
  for (size_t i = 0; i < values.size(); ++i) {
    if (values[i] < 1 || values[i] >= slots) {
      std::string p = absl::StrCat(path, "[", i, "]");
      return InvalidField(reason::kUnknownEnumValue, p, absl::StrCat(p, " is not a known value"));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidatePredicate(const Predicate& p, const std::string& base) {
  const std::string path = absl::StrCat(base, ".", FieldName(p.field));
  switch (p.field) {
    case Field::kRegulationIn:
      return ValidateEnums(p.values, kRegulationSlots, path + ".regulations", true);
    case Field::kMunicipalityIn:
      if (p.values.empty()) {
        return InvalidField(kEmptyOperand, path + ".municipality_codes", "at least one municipality code is needed");
      }
      return absl::OkStatus();
    case Field::kDebtBetween:
      if (p.min && *p.min < 0) return InvalidField(kInvalidRange, path + ".min_cents", "min_cents must be >= 0");
      if (p.max && *p.max < 0) return InvalidField(kInvalidRange, path + ".max_cents", "max_cents must be >= 0");
      if (p.min && p.max && *p.min > *p.max) {
        return InvalidField(kInvalidRange, path + ".max_cents", "max_cents must not be below min_cents");
      }
      return absl::OkStatus();
    case Field::kAgeBetween:
      if (p.min && (*p.min < 0 || *p.min > 150))
        return InvalidField(kInvalidRange, path + ".min_years", "min_years must be 0..150");
      if (p.max && (*p.max < 0 || *p.max > 150))
        return InvalidField(kInvalidRange, path + ".max_years", "max_years must be 0..150");
      if (p.min && p.max && *p.min > *p.max) {
        return InvalidField(kInvalidRange, path + ".max_years", "max_years must not be below min_years");
      }
      return absl::OkStatus();
    case Field::kPlannedMailing:
      CAK_RETURN_IF_ERROR(ValidateEnums(p.values, kMailingTypeSlots, path + ".mailing_types", false));
      if (p.from > p.to) return InvalidField(kInvalidRange, path + ".to_date", "to_date must not be before from_date");
      return absl::OkStatus();
    case Field::kContactedWithin:
      if (p.days < 1 || p.days > kMaxContactDays) {
        return InvalidField(kInvalidRange, path + ".days", absl::StrCat("days must be 1..", kMaxContactDays));
      }
      if (p.min_contacts < 1) return InvalidField(kInvalidRange, path + ".min_contacts", "min_contacts must be >= 1");
      return ValidateEnums(p.values, kContactChannelSlots, path + ".channels", false);
    case Field::kCustomerIn:
      if (p.bsns.empty()) return InvalidField(kEmptyOperand, path + ".bsns", "at least one BSN is needed");
      if (p.bsns.size() > static_cast<size_t>(kMaxCustomerInBsns)) {
        return InvalidField(kCriteriaTooComplex, path + ".bsns", absl::StrCat("at most ", kMaxCustomerInBsns, " BSNs"));
      }
      return absl::OkStatus();
    case Field::kPaymentPlan:
    case Field::kHasRepresentative:
    case Field::kHasContactPerson:
    case Field::kActive:
      return absl::OkStatus();
  }
  return absl::OkStatus();
}

absl::Status ValidateNode(const Criteria& c, const std::string& path, int depth, int* nodes) {
  if (depth > kMaxCriteriaDepth) {
    return InvalidField(kCriteriaTooComplex, path,
                        absl::StrCat("criteria nest deeper than ", kMaxCriteriaDepth, " levels"));
  }
  if (++*nodes > kMaxCriteriaNodes) {
    return InvalidField(kCriteriaTooComplex, path,
                        absl::StrCat("criteria have more than ", kMaxCriteriaNodes, " nodes"));
  }
  switch (c.op) {
    case Criteria::Op::kAll:
    case Criteria::Op::kAny: {
      const char* name = c.op == Criteria::Op::kAll ? ".all.items[" : ".any.items[";
      for (size_t i = 0; i < c.children.size(); ++i) {
        CAK_RETURN_IF_ERROR(ValidateNode(c.children[i], absl::StrCat(path, name, i, "]"), depth + 1, nodes));
      }
      return absl::OkStatus();
    }
    case Criteria::Op::kNot:
      if (c.children.size() != 1)
        return InvalidField(reason::kRequiredFieldMissing, path + ".not", "not needs one operand");
      return ValidateNode(c.children[0], path + ".not", depth + 1, nodes);
    case Criteria::Op::kPredicate:
      return ValidatePredicate(c.predicate, path + ".predicate");
  }
  return absl::OkStatus();
}

int32_t Ymd(absl::CivilDay d) { return static_cast<int32_t>(d.year() * 10000 + d.month() * 100 + d.day()); }

bool InSet(const std::vector<int>& values, int v) {
  return values.empty() || std::find(values.begin(), values.end(), v) != values.end();
}

template <typename Pred>
Bitmap Scan(uint32_t n, Pred&& pred) {
  Bitmap out(n);
  auto& words = out.words();
  for (uint32_t base = 0; base < n; base += 64) {
    uint64_t w = 0;
    const uint32_t end = std::min<uint32_t>(n, base + 64);
    for (uint32_t i = base; i < end; ++i) w |= uint64_t{pred(i)} << (i - base);
    words[base >> 6] = w;
  }
  return out;
}

Bitmap EvaluatePredicate(const Predicate& p, const ColumnarSnapshot& s, const EvalContext& ctx) {
  const uint32_t n = s.size();
  switch (p.field) {
    case Field::kRegulationIn: {
      bool wanted[256] = {};
      for (int v : p.values) wanted[v & 0xff] = true;
      return Scan(n, [&](uint32_t i) { return wanted[s.regulation[i]]; });
    }
    case Field::kMunicipalityIn: {
      std::vector<bool> wanted(s.municipality_numbers.size(), false);
      for (int v : p.values) {
        if (auto idx = s.MunicipalityIndex(v)) wanted[*idx] = true;
      }
      return Scan(n, [&](uint32_t i) { return bool(wanted[s.municipality[i]]); });
    }
    case Field::kDebtBetween: {
      const int64_t lo = p.min.value_or(INT64_MIN), hi = p.max.value_or(INT64_MAX);
      return Scan(n, [&](uint32_t i) { return s.debt_cents[i] >= lo && s.debt_cents[i] <= hi; });
    }
    case Field::kPaymentPlan:
    case Field::kHasRepresentative:
    case Field::kHasContactPerson:
    case Field::kActive: {
      const uint8_t bit = p.field == Field::kPaymentPlan         ? kPaymentPlan
                          : p.field == Field::kHasRepresentative ? kHasRepresentative
                          : p.field == Field::kHasContactPerson  ? kHasContactPerson
                                                                 : kActive;
      const bool want = p.flag;
      return Scan(n, [&](uint32_t i) { return ((s.flags[i] & bit) != 0) == want; });
    }
    case Field::kAgeBetween: {
      // age >= a  <=>  birth (as yyyymmdd) <= reference with the year a less; likewise for <= b.
      const absl::CivilDay r = ctx.reference_day;
      const int32_t ref = Ymd(r);
      const int32_t hi = p.min ? ref - *p.min * 10000 : INT32_MAX;            // born on or before
      const int32_t lo = p.max ? ref - (*p.max + 1) * 10000 + 1 : INT32_MIN;  // born after
      // lo: age <= b  <=>  age < b + 1  <=>  birth > ref - (b+1) years  <=>  birth >= that + 1 (in yyyymmdd order)
      return Scan(n, [&](uint32_t i) { return s.birth_ymd[i] <= hi && s.birth_ymd[i] >= lo; });
    }
    case Field::kPlannedMailing: {
      const DayNumber from = ToDayNumber(p.from), to = ToDayNumber(p.to);
      bool wanted[256] = {};
      for (int t = 1; t < kMailingTypeSlots; ++t) wanted[t] = InSet(p.values, t);
      return Scan(n, [&](uint32_t i) {
        for (uint32_t k = s.mailing_offset[i]; k < s.mailing_offset[i + 1]; ++k) {
          if (s.mailing_day[k] >= from && s.mailing_day[k] <= to && wanted[s.mailing_type[k]]) return true;
        }
        return false;
      });
    }
    case Field::kContactedWithin: {
      const DayNumber to = ToDayNumber(ctx.reference_day), from = to - p.days + 1;
      bool wanted[256] = {};
      for (int c = 1; c < kContactChannelSlots; ++c) {
        wanted[c] = InSet(p.values, c);
        wanted[c | 0x80] = wanted[c];
        if (p.reached_only) wanted[c] = false;
      }
      const int need = p.min_contacts;
      return Scan(n, [&](uint32_t i) {
        int count = 0;
        for (uint32_t k = s.contact_offset[i]; k < s.contact_offset[i + 1]; ++k) {
          if (s.contact_day[k] >= from && s.contact_day[k] <= to && wanted[s.contact_channel[k]] && ++count >= need) {
            return true;
          }
        }
        return false;
      });
    }
    case Field::kCustomerIn: {
      Bitmap out(n);
      for (int32_t b : p.bsns) {
        if (auto row = s.RowOf(b)) out.Set(*row);
      }
      return out;
    }
  }
  return Bitmap(n);
}

nlohmann::json PredicateJson(const Predicate& p) {
  nlohmann::json j;
  j["f"] = static_cast<int>(p.field);
  if (!p.values.empty()) j["v"] = p.values;
  if (!p.bsns.empty()) j["b"] = p.bsns;
  if (p.min) j["min"] = *p.min;
  if (p.max) j["max"] = *p.max;
  j["flag"] = p.flag;
  if (p.field == Field::kPlannedMailing) {
    j["from"] = Ymd(p.from);
    j["to"] = Ymd(p.to);
  }
  if (p.field == Field::kContactedWithin) {
    j["days"] = p.days;
    j["mc"] = p.min_contacts;
    j["ro"] = p.reached_only;
  }
  return j;
}

nlohmann::json NodeJson(const Criteria& c) {
  nlohmann::json j;
  switch (c.op) {
    case Criteria::Op::kAll:
    case Criteria::Op::kAny: {
      nlohmann::json items = nlohmann::json::array();
      for (const auto& child : c.children) items.push_back(NodeJson(child));
      j[c.op == Criteria::Op::kAll ? "all" : "any"] = std::move(items);
      break;
    }
    case Criteria::Op::kNot:
      j["not"] = NodeJson(c.children.at(0));
      break;
    case Criteria::Op::kPredicate:
      j["p"] = PredicateJson(c.predicate);
      break;
  }
  return j;
}

// A stored yyyymmdd: a real calendar day, nothing CivilDay would normalise into another one
// (20520292 or 4 would not come back as written). Found by tests/fuzz/criteria_fuzzer.cc.
absl::CivilDay FromYmd(int32_t v) {
  const absl::CivilDay day(v / 10000, (v / 100) % 100, v % 100);
  if (v < 0 || Ymd(day) != v) throw std::runtime_error("criteria: not a date");
  return day;
}

// A number of the stored form: an integer of T's range, nothing else (nlohmann's get<int>() would
// convert a float, with undefined behaviour out of range, or wrap a large integer). Found by
// tests/fuzz/criteria_fuzzer.cc.
template <typename T>
T Integer(const nlohmann::json& j) {
  if (!j.is_number_integer()) throw std::runtime_error("criteria: not an integer");
  if (j.is_number_unsigned()) {
    const auto v = j.get<uint64_t>();
    if (v > static_cast<uint64_t>(std::numeric_limits<T>::max())) throw std::runtime_error("criteria: out of range");
    return static_cast<T>(v);
  }
  const auto v = j.get<int64_t>();
  if (v < std::numeric_limits<T>::min() || v > std::numeric_limits<T>::max()) {
    throw std::runtime_error("criteria: out of range");
  }
  return static_cast<T>(v);
}

template <typename T>
std::vector<T> Integers(const nlohmann::json& j) {
  if (!j.is_array()) throw std::runtime_error("criteria: not a list");
  std::vector<T> out;
  out.reserve(j.size());
  for (const auto& item : j) out.push_back(Integer<T>(item));
  return out;
}

Criteria NodeFromJson(const nlohmann::json& j, int depth) {
  if (depth > kMaxCriteriaDepth + 1) throw std::runtime_error("criteria too deep");
  Criteria c;
  if (j.contains("all") || j.contains("any")) {
    c.op = j.contains("all") ? Criteria::Op::kAll : Criteria::Op::kAny;
    for (const auto& item : j.at(c.op == Criteria::Op::kAll ? "all" : "any"))
      c.children.push_back(NodeFromJson(item, depth + 1));
  } else if (j.contains("not")) {
    c.op = Criteria::Op::kNot;
    c.children.push_back(NodeFromJson(j.at("not"), depth + 1));
  } else {
    c.op = Criteria::Op::kPredicate;
    const auto& pj = j.at("p");
    Predicate& p = c.predicate;
    p.field = static_cast<Field>(Integer<int>(pj.at("f")));
    if (pj.contains("v")) p.values = Integers<int>(pj.at("v"));
    if (pj.contains("b")) p.bsns = Integers<int32_t>(pj.at("b"));
    if (pj.contains("min")) p.min = Integer<int64_t>(pj.at("min"));
    if (pj.contains("max")) p.max = Integer<int64_t>(pj.at("max"));
    p.flag = pj.at("flag").get<bool>();
    if (pj.contains("from")) p.from = FromYmd(Integer<int32_t>(pj.at("from")));
    if (pj.contains("to")) p.to = FromYmd(Integer<int32_t>(pj.at("to")));
    if (pj.contains("days")) p.days = Integer<int>(pj.at("days"));
    if (pj.contains("mc")) p.min_contacts = Integer<int>(pj.at("mc"));
    if (pj.contains("ro")) p.reached_only = pj.at("ro").get<bool>();
  }
  return c;
}

}  // namespace

absl::Status Validate(const Criteria& criteria, absl::string_view path) {
  int nodes = 0;
  return ValidateNode(criteria, std::string(path), 1, &nodes);
}

Bitmap Evaluate(const Criteria& c, const ColumnarSnapshot& s, const EvalContext& ctx) {
  switch (c.op) {
    case Criteria::Op::kAll: {
      Bitmap out(s.size(), true);
      for (const auto& child : c.children) out &= Evaluate(child, s, ctx);
      return out;
    }
    case Criteria::Op::kAny: {
      Bitmap out(s.size(), false);
      for (const auto& child : c.children) out |= Evaluate(child, s, ctx);
      return out;
    }
    case Criteria::Op::kNot: {
      Bitmap out = Evaluate(c.children.at(0), s, ctx);
      out.Invert();
      return out;
    }
    case Criteria::Op::kPredicate:
      return EvaluatePredicate(c.predicate, s, ctx);
  }
  return Bitmap(s.size());
}

bool RemoveNamedCustomer(Criteria* c, int32_t bsn) {
  bool named = false;
  if (c->op == Criteria::Op::kPredicate && c->predicate.field == Field::kCustomerIn) {
    auto& bsns = c->predicate.bsns;
    const auto end = std::remove(bsns.begin(), bsns.end(), bsn);
    named = end != bsns.end();
    bsns.erase(end, bsns.end());
  }
  for (Criteria& child : c->children) named |= RemoveNamedCustomer(&child, bsn);
  return named;
}

std::vector<int32_t> NamedCustomers(const Criteria& c) {
  std::vector<int32_t> out;
  if (c.op == Criteria::Op::kPredicate && c.predicate.field == Field::kCustomerIn) out = c.predicate.bsns;
  for (const auto& child : c.children) {
    std::vector<int32_t> more = NamedCustomers(child);
    out.insert(out.end(), more.begin(), more.end());
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::optional<std::string> NamedCustomersPath(const Criteria& c, absl::string_view path) {
  switch (c.op) {
    case Criteria::Op::kPredicate:
      if (c.predicate.field != Field::kCustomerIn) return std::nullopt;
      return absl::StrCat(path, ".predicate.customer_in");
    case Criteria::Op::kNot:
      if (c.children.empty()) return std::nullopt;
      return NamedCustomersPath(c.children[0], absl::StrCat(path, ".not"));
    case Criteria::Op::kAll:
    case Criteria::Op::kAny:
      for (size_t i = 0; i < c.children.size(); ++i) {
        auto found = NamedCustomersPath(
            c.children[i], absl::StrCat(path, c.op == Criteria::Op::kAll ? ".all" : ".any", ".items[", i, "]"));
        if (found) return found;
      }
      return std::nullopt;
  }
  return std::nullopt;
}

std::string ToJson(const Criteria& criteria) { return NodeJson(criteria).dump(); }

absl::StatusOr<Criteria> FromJson(absl::string_view json) {
  try {
    return NodeFromJson(nlohmann::json::parse(json.begin(), json.end()), 0);
  } catch (const std::exception& e) {
    return absl::InternalError(absl::StrCat("stored criteria unreadable: ", e.what()));
  }
}

Criteria All(std::vector<Criteria> children) { return Criteria{Criteria::Op::kAll, std::move(children), {}}; }
Criteria Any(std::vector<Criteria> children) { return Criteria{Criteria::Op::kAny, std::move(children), {}}; }
Criteria Not(Criteria child) {
  Criteria c{Criteria::Op::kNot, {}, {}};
  c.children.push_back(std::move(child));
  return c;
}
Criteria Where(Predicate predicate) { return Criteria{Criteria::Op::kPredicate, {}, std::move(predicate)}; }

}  // namespace cak::analysis::domain
