#include "common/base/subject_removals.h"

#include "common/base/errors.h"

namespace cak::common {

absl::StatusOr<FollowOutcome> FollowRemovals(SubjectRemovalFeed& feed, const CallContext& call, RemovalPosition from,
                                             int page_size, bool dry_run, const RemovePage& remove) {
  FollowOutcome out;
  out.position = from;
  RemovalPosition at = from;
  while (true) {
    CAK_ASSIGN_OR_RETURN(const std::vector<SubjectRemoval> page, feed.After(call, at, page_size));
    if (page.empty()) break;
    CAK_ASSIGN_OR_RETURN(const PageOutcome done, remove(page, dry_run));
    out.removals += static_cast<int64_t>(page.size());
    out.subjects += done.subjects;
    out.records += done.records;
    at = page.back().position;
    if (!dry_run) out.position = at;
    if (static_cast<int>(page.size()) < page_size) break;  // up to date
  }
  return out;
}

}  // namespace cak::common
