// The columnar snapshot this replica computes on. Every request asks for the current one:
// a cheap read of the latest snapshot version, and a rebuild only when it changed (a new
// import or a purge, on any replica). One rebuild at a time; requests that arrive during a
// rebuild wait for it (until their deadline: then UNAVAILABLE, SNAPSHOT_REBUILDING) rather
// than starting their own. Old snapshots live on while a request
// still holds them.
#pragma once

#include <memory>
#include <mutex>

#include "absl/status/statusor.h"
#include "analysis-svc/src/domain/repository.h"

namespace cak::analysis::domain {

struct CurrentSnapshot {
  SnapshotInfo info;
  std::shared_ptr<const ColumnarSnapshot> columns;
};

class SnapshotCache {
 public:
  explicit SnapshotCache(SnapshotRepository* repository) : repository_(repository) {}

  // FAILED_PRECONDITION (reason NO_SNAPSHOT) before the first customers import.
  absl::StatusOr<CurrentSnapshot> Current(absl::Time deadline);
  // The same, but an empty snapshot (version 0) instead of NO_SNAPSHOT.
  absl::StatusOr<CurrentSnapshot> CurrentOrEmpty(absl::Time deadline);
  // The current customers' BSNs (bsn column only, unless the full snapshot of the same
  // customers version is at hand): what an import checks references against, without
  // building the whole snapshot that the import is about to replace.
  absl::StatusOr<std::shared_ptr<const ColumnarSnapshot>> CurrentCustomerKeys(absl::Time deadline);

 private:
  SnapshotRepository* repository_;
  std::timed_mutex load_mu_;  // one rebuild at a time
  std::mutex mu_;
  CurrentSnapshot current_;
  int64_t keys_version_ = 0;  // customers version of keys_
  std::shared_ptr<const ColumnarSnapshot> keys_;
};

inline constexpr char kReasonNoSnapshot[] = "NO_SNAPSHOT";
inline constexpr char kReasonSnapshotRebuilding[] = "SNAPSHOT_REBUILDING";

}  // namespace cak::analysis::domain
