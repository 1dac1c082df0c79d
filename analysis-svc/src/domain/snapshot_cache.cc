// Snapshot cache (see snapshot_cache.h).
#include "analysis-svc/src/domain/snapshot_cache.h"

#include "common/base/errors.h"

namespace cak::analysis::domain {

absl::StatusOr<CurrentSnapshot> SnapshotCache::CurrentOrEmpty(absl::Time deadline) {
  CAK_ASSIGN_OR_RETURN(SnapshotInfo info, repository_->CurrentSnapshot(deadline));
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (current_.columns && current_.info.version == info.version) return current_;
  }
  std::lock_guard<std::mutex> load(load_mu_);
  {
    std::lock_guard<std::mutex> lock(mu_);  // someone else may have loaded it meanwhile
    if (current_.columns && current_.info.version >= info.version) return current_;
  }
  std::shared_ptr<const ColumnarSnapshot> columns;
  if (info.version == 0) {
    columns = std::make_shared<ColumnarSnapshot>();
  } else {
    CAK_ASSIGN_OR_RETURN(columns, repository_->LoadColumnar(info));
  }
  std::lock_guard<std::mutex> lock(mu_);
  current_ = CurrentSnapshot{info, std::move(columns)};
  return current_;
}

absl::StatusOr<CurrentSnapshot> SnapshotCache::Current(absl::Time deadline) {
  CAK_ASSIGN_OR_RETURN(CurrentSnapshot snapshot, CurrentOrEmpty(deadline));
  if (snapshot.info.of(Dataset::kCustomers).version == 0) {
    return common::MakeError(absl::StatusCode::kFailedPrecondition, kReasonNoSnapshot,
                             "no customers have been imported yet");
  }
  return snapshot;
}

}  // namespace cak::analysis::domain
