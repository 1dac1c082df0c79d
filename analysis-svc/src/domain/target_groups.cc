// Target group assignment (see target_groups.h).
#include "analysis-svc/src/domain/target_groups.h"

#include <set>

#include "absl/strings/str_cat.h"
#include "common/base/errors.h"

namespace cak::analysis::domain {

absl::Status ValidateTargetGroups(const std::vector<NamedCriteria>& groups) {
  if (groups.empty() || groups.size() > static_cast<size_t>(kMaxTargetGroups)) {
    return common::InvalidField("INVALID_GROUP_COUNT", "groups",
                                absl::StrCat("between 1 and ", kMaxTargetGroups, " groups"));
  }
  std::set<std::string> names;
  for (size_t i = 0; i < groups.size(); ++i) {
    const std::string path = absl::StrCat("groups[", i, "]");
    const std::string& name = groups[i].name;
    if (name.empty())
      return common::InvalidField(common::reason::kRequiredFieldMissing, path + ".name", "a group needs a name");
    if (name.size() > 80)
      return common::InvalidField(common::reason::kFieldTooLong, path + ".name", "at most 80 characters");
    if (!names.insert(name).second) {
      return common::InvalidField("DUPLICATE_GROUP_NAME", path + ".name", "group names must be unique within the set");
    }
    CAK_RETURN_IF_ERROR(Validate(groups[i].criteria, path + ".criteria"));
  }
  return absl::OkStatus();
}

GroupAssignment AssignGroups(const std::vector<NamedCriteria>& groups, const ColumnarSnapshot& snapshot,
                             const EvalContext& context) {
  GroupAssignment out;
  Bitmap taken(snapshot.size());
  for (const auto& group : groups) {
    Bitmap members = Evaluate(group.criteria, snapshot, context);
    members.AndNot(taken);
    taken |= members;
    out.members.push_back(std::move(members));
  }
  out.unassigned = snapshot.size() - taken.Count();
  return out;
}

}  // namespace cak::analysis::domain
