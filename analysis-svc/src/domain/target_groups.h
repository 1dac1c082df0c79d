// Target groups (doelgroepen, step 4): an ordered list of named criteria. A customer belongs to
// the first group whose criteria it matches, so the groups are disjoint by construction; the
// rest is "unassigned". Pure computation over a columnar snapshot.
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "analysis-svc/src/domain/criteria.h"

namespace cak::analysis::domain {

struct NamedCriteria {
  std::string name;
  Criteria criteria;
};

inline constexpr int kMaxTargetGroups = 50;

// INVALID_ARGUMENT naming the field (groups[i].name / groups[i].criteria...) for: no groups or
// more than 50, a name empty, longer than 80 characters or repeated, invalid criteria.
absl::Status ValidateTargetGroups(const std::vector<NamedCriteria>& groups);

struct GroupAssignment {
  std::vector<Bitmap> members;  // per group, disjoint
  int64_t unassigned = 0;
};

GroupAssignment AssignGroups(const std::vector<NamedCriteria>& groups, const ColumnarSnapshot& snapshot,
                             const EvalContext& context);

}  // namespace cak::analysis::domain
