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
  // One rebuild at a time; the others wait for it, but no longer than their deadline.
  std::unique_lock<std::timed_mutex> load(load_mu_, std::defer_lock);
  if (deadline == absl::InfiniteFuture()) {
    load.lock();
  } else if (!load.try_lock_until(absl::ToChronoTime(deadline))) {
    return common::MakeError(absl::StatusCode::kUnavailable, kReasonSnapshotRebuilding,
                             "the snapshot is being rebuilt after a new import; retry shortly");
  }
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

absl::StatusOr<std::shared_ptr<const ColumnarSnapshot>> SnapshotCache::CurrentCustomerKeys(absl::Time deadline) {
  CAK_ASSIGN_OR_RETURN(SnapshotInfo info, repository_->CurrentSnapshot(deadline));
  const int64_t customers = info.of(Dataset::kCustomers).version;
  if (customers == 0) {
    return common::MakeError(absl::StatusCode::kFailedPrecondition, kReasonNoSnapshot,
                             "no customers have been imported yet");
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (current_.columns && current_.info.of(Dataset::kCustomers).version == customers) return current_.columns;
    if (keys_ && keys_version_ == customers) return keys_;
  }
  CAK_ASSIGN_OR_RETURN(std::shared_ptr<const ColumnarSnapshot> keys, repository_->LoadCustomerKeys(info));
  std::lock_guard<std::mutex> lock(mu_);
  keys_ = keys;
  keys_version_ = customers;
  return keys;
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
