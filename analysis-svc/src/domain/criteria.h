// Selection criteria: a typed expression tree over customers (AND / OR / NOT over field
// predicates). Clients build it in the proto; the API layer maps it here one to one, and
// Validate() checks every rule, naming the offending field by its request path. There is no
// textual form a client could send: nothing here is ever turned into SQL.
//
// Evaluate() runs a tree on a columnar snapshot and returns the matching rows as a bitmap.
// ToJson / FromJson are the stored form (target group definitions).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "analysis-svc/src/domain/bitmap.h"
#include "analysis-svc/src/domain/columnar.h"

namespace cak::analysis::domain {

struct Predicate {
  enum class Field {
    kRegulationIn,
    kMunicipalityIn,
    kDebtBetween,
    kPaymentPlan,
    kHasRepresentative,
    kHasContactPerson,
    kActive,
    kAgeBetween,
    kPlannedMailing,
    kContactedWithin,
    kCustomerIn,
  };
  Field field = Field::kActive;
  std::vector<int> values;          // regulations, mailing types, channels, municipality numbers
  std::vector<int32_t> bsns;        // kCustomerIn
  std::optional<int64_t> min, max;  // debt in cents, age in years (inclusive)
  bool flag = true;                 // the boolean predicates: has (true) or has not (false)
  bool reached_only = false;        // kContactedWithin
  absl::CivilDay from, to;          // kPlannedMailing window (inclusive)
  int days = 0, min_contacts = 1;   // kContactedWithin
};

struct Criteria {
  enum class Op { kAll, kAny, kNot, kPredicate };
  Op op = Op::kAll;
  std::vector<Criteria> children;  // kAll, kAny: any number; kNot: exactly one
  Predicate predicate;             // kPredicate
};

// Limits that keep one request from monopolising the engine.
inline constexpr int kMaxCriteriaDepth = 16;
inline constexpr int kMaxCriteriaNodes = 500;
inline constexpr int kMaxCustomerInBsns = 100000;
inline constexpr int kMaxContactDays = 3660;

// INVALID_ARGUMENT naming the field under `path` (e.g. "criteria.all.items[2].predicate.
// debt_between.min_cents") for: a bound below zero or min > max, an empty value list, an
// unknown enum number, a window with from > to, days outside 1..3660, min_contacts < 1, a tree
// deeper than 16 levels or larger than 500 nodes, or more than 100000 BSNs.
absl::Status Validate(const Criteria& criteria, absl::string_view path);

struct EvalContext {
  absl::CivilDay reference_day;  // "today" for ages and contact windows
};

// The rows of `snapshot` matching `criteria` (assumed valid).
Bitmap Evaluate(const Criteria& criteria, const ColumnarSnapshot& snapshot, const EvalContext& context);

// The BSNs a tree names (customer_in predicates): personal data wherever the tree is stored
// or shown.
std::vector<int32_t> NamedCustomers(const Criteria& criteria);

// The request path of the first customer_in predicate of a tree found at `path` (as the API
// names fields: "criteria.all.items[1].predicate.customer_in"), or nullopt when it names nobody.
std::optional<std::string> NamedCustomersPath(const Criteria& criteria, absl::string_view path);

// Erasure: `bsn` out of every customer_in predicate of the tree (a predicate left without BSNs
// matches nobody, as the erased customer no longer would). Returns whether the tree named them.
bool RemoveNamedCustomer(Criteria* criteria, int32_t bsn);

// Stored form: a compact JSON text. FromJson fails (INTERNAL) on text ToJson did not make.
std::string ToJson(const Criteria& criteria);
absl::StatusOr<Criteria> FromJson(absl::string_view json);

// Convenience constructors (tests, tools).
Criteria All(std::vector<Criteria> children);
Criteria Any(std::vector<Criteria> children);
Criteria Not(Criteria child);
Criteria Where(Predicate predicate);

}  // namespace cak::analysis::domain
