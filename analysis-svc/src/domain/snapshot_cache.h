// The columnar snapshot this replica computes on, kept current in the background.
//
// A new snapshot version appears whenever an import, an erasure or a purge publishes one, on
// any replica. Building its columnar copy takes seconds for millions of customers, and no caller
// should pay that silently. So the build runs on a thread of its own: started at once on the
// replica that published (Published()), by the watcher on the others (StartWatching(): a cheap
// read of the latest version every poll interval), or by the first request that sees the new
// version before the watcher did. A request that needs a version still being built waits a
// little (SnapshotCacheOptions::max_wait, or less when its deadline is nearer), then gets
// UNAVAILABLE, reason SNAPSHOT_REBUILDING, with a retry delay: what is left of the build,
// estimated from the last one. One build at a time; a build that ends behind the latest version
// is followed by one of the latest. Old snapshots live on while a request still holds them.
#pragma once

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "analysis-svc/src/domain/repository.h"

namespace cak::analysis::domain {

struct CurrentSnapshot {
  SnapshotInfo info;
  std::shared_ptr<const ColumnarSnapshot> columns;
};

struct SnapshotCacheOptions {
  // How long a request waits for a build in progress before it is answered UNAVAILABLE
  // (SNAPSHOT_REBUILDING): long enough for the small snapshots of tests and demos, short
  // enough that nobody mistakes it for a hang.
  absl::Duration max_wait = absl::Seconds(1);
  // The least retry delay advised; the estimate is the rest of the last build's duration.
  absl::Duration min_retry_delay = absl::Seconds(1);
  // How often the watcher reads the latest snapshot version.
  absl::Duration poll_interval = absl::Seconds(1);
  // Tests: runs on the build thread before each build, with the version about to be built
  // (to hold a build in progress without sleeping).
  std::function<void(const SnapshotInfo&)> before_build;
};

class SnapshotCache {
 public:
  explicit SnapshotCache(SnapshotRepository* repository, SnapshotCacheOptions options = {});
  // Stops the watcher and waits for a build in progress.
  ~SnapshotCache();
  SnapshotCache(const SnapshotCache&) = delete;
  SnapshotCache& operator=(const SnapshotCache&) = delete;

  // The latest published snapshot. FAILED_PRECONDITION (reason NO_SNAPSHOT) before the first
  // customers import; UNAVAILABLE (SNAPSHOT_REBUILDING, with a retry delay) while this replica
  // is still building it; a failed build's error (e.g. UNAVAILABLE DATABASE_UNAVAILABLE).
  absl::StatusOr<CurrentSnapshot> Current(absl::Time deadline);
  // The same, but an empty snapshot (version 0) instead of NO_SNAPSHOT.
  absl::StatusOr<CurrentSnapshot> CurrentOrEmpty(absl::Time deadline);
  // The current customers' BSNs (bsn column only, unless the full snapshot of the same
  // customers version is at hand): what an import checks references against, without
  // building the whole snapshot that the import is about to replace.
  absl::StatusOr<std::shared_ptr<const ColumnarSnapshot>> CurrentCustomerKeys(absl::Time deadline);

  // This replica has just published snapshot `version`: starts building it now (no wait).
  void Published(int64_t version);
  // Reads the latest version and starts building it when this replica does not hold it yet;
  // does not wait for the build. Errors: the version read's.
  absl::Status Refresh(absl::Time deadline);
  // Builds the latest version if this replica does not hold it yet and waits for it: at
  // start-up, before the replica reports SERVING. Errors: the build's; UNAVAILABLE
  // (SNAPSHOT_REBUILDING) at the deadline.
  absl::Status AwaitLatest(absl::Time deadline);

  // Refresh() every poll interval on a thread of its own, until Stop().
  void StartWatching();
  // Stops the watcher and waits for a build in progress; no build starts after it (requests
  // that need one get SNAPSHOT_REBUILDING). For the server's shutdown.
  void Stop();

  // How long the last completed build took (zero before the first).
  absl::Duration last_build_duration() const;

 private:
  // Whether the snapshot held is `version` or newer. mu_ held.
  bool HoldsLocked(int64_t version) const;
  // Makes sure a build reaching `version` runs or has run. mu_ held.
  void WantLocked(int64_t version);
  // The snapshot of `info` (read before `wait_until`), waiting for its build until
  // `wait_until` at the latest.
  absl::StatusOr<CurrentSnapshot> Await(const SnapshotInfo& info, absl::Time wait_until);
  // UNAVAILABLE SNAPSHOT_REBUILDING with the estimated rest of the build. mu_ held.
  absl::Status RebuildingLocked() const;
  void BuildLoop();
  void WatchLoop();

  SnapshotRepository* repository_;
  const SnapshotCacheOptions options_;

  mutable std::mutex mu_;
  std::condition_variable built_;  // a build ended (or stopped)
  CurrentSnapshot current_;
  int64_t wanted_ = 0;  // the newest version asked for
  bool building_ = false;
  bool stopped_ = false;      // Stop() ran
  absl::Status build_error_;  // the last build's failure, until the next one starts
  absl::Time build_start_;
  absl::Duration last_build_ = absl::ZeroDuration();
  int64_t last_build_rows_ = 0;  // rows of the snapshot last built (all data sets)
  int64_t build_rows_ = 0;       // rows of the snapshot being built, once known
  std::thread builder_;
  int64_t keys_version_ = 0;  // customers version of keys_
  std::shared_ptr<const ColumnarSnapshot> keys_;

  std::condition_variable watch_cv_;
  bool watching_ = false;
  std::thread watcher_;
};

inline constexpr char kReasonNoSnapshot[] = "NO_SNAPSHOT";
inline constexpr char kReasonSnapshotRebuilding[] = "SNAPSHOT_REBUILDING";

}  // namespace cak::analysis::domain
