// Snapshot cache (see snapshot_cache.h).
#include "analysis-svc/src/domain/snapshot_cache.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/base/errors.h"
#include "common/base/log.h"

namespace cak::analysis::domain {

namespace {

int64_t RowsOf(const SnapshotInfo& info) {
  int64_t rows = 0;
  for (const auto& d : info.datasets) rows += d.row_count;
  return rows;
}

}  // namespace

SnapshotCache::SnapshotCache(SnapshotRepository* repository, SnapshotCacheOptions options)
    : repository_(repository), options_(std::move(options)) {}

SnapshotCache::~SnapshotCache() { Stop(); }

bool SnapshotCache::HoldsLocked(int64_t version) const { return current_.columns && current_.info.version >= version; }

void SnapshotCache::WantLocked(int64_t version) {
  wanted_ = std::max(wanted_, version);
  if (building_ || stopped_ || HoldsLocked(wanted_)) return;
  building_ = true;
  build_error_ = absl::OkStatus();
  build_start_ = absl::Now();
  // The previous build thread has ended its loop (building_ was false); only its exit is left.
  if (builder_.joinable()) builder_.join();
  builder_ = std::thread([this] { BuildLoop(); });
}

void SnapshotCache::BuildLoop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopped_ && !HoldsLocked(wanted_)) {
    build_start_ = absl::Now();
    build_rows_ = 0;
    lock.unlock();
    // The latest version, which may be newer than the one asked for: building it saves a build.
    absl::StatusOr<SnapshotInfo> info = repository_->CurrentSnapshot(absl::InfiniteFuture());
    absl::StatusOr<std::shared_ptr<const ColumnarSnapshot>> columns = absl::InternalError("not built");
    if (info.ok()) {
      {
        std::lock_guard<std::mutex> rows(mu_);
        build_rows_ = RowsOf(*info);
      }
      if (options_.before_build) options_.before_build(*info);
      if (info->version == 0) {
        columns = std::make_shared<const ColumnarSnapshot>();
      } else {
        columns = repository_->LoadColumnar(*info);
      }
    }
    lock.lock();
    if (!info.ok() || !columns.ok()) {
      // The requests waiting get the error; the next request or poll tries again.
      build_error_ = info.ok() ? columns.status() : info.status();
      common::log::Warning("columnar_snapshot_build_failed",
                           {{"snapshot_version", wanted_}, {"error", build_error_.ToString()}});
      break;
    }
    last_build_ = absl::Now() - build_start_;
    last_build_rows_ = RowsOf(*info);
    wanted_ = std::max(wanted_, info->version);
    if (!HoldsLocked(info->version)) current_ = CurrentSnapshot{*info, *std::move(columns)};
    common::log::Info("columnar_snapshot_ready",
                      {{"snapshot_version", info->version}, {"build_ms", absl::ToInt64Milliseconds(last_build_)}});
    built_.notify_all();
  }
  building_ = false;
  built_.notify_all();
}

absl::Status SnapshotCache::RebuildingLocked() const {
  // The last build's time, scaled to this build's rows (an import of millions of contact
  // reports makes the next build longer than the last).
  absl::Duration estimate = last_build_;
  if (last_build_rows_ > 0 && build_rows_ > 0) {
    estimate = last_build_ * (static_cast<double>(build_rows_) / static_cast<double>(last_build_rows_));
  }
  const absl::Duration rest = estimate - (absl::Now() - build_start_);
  const absl::Duration delay = std::max(options_.min_retry_delay, rest);
  return common::WithRetryDelay(
      common::MakeError(absl::StatusCode::kUnavailable, kReasonSnapshotRebuilding,
                        absl::StrCat("this replica is building snapshot ", wanted_,
                                     " (a new import, erasure or purge); retry in about ",
                                     absl::ToInt64Seconds(absl::Ceil(delay, absl::Seconds(1))), " s")),
      delay);
}

absl::StatusOr<CurrentSnapshot> SnapshotCache::Await(const SnapshotInfo& info, absl::Time wait_until) {
  std::unique_lock<std::mutex> lock(mu_);
  if (HoldsLocked(info.version)) return current_;
  if (info.version == 0) {  // nothing imported yet: nothing to build
    current_ = CurrentSnapshot{info, std::make_shared<const ColumnarSnapshot>()};
    return current_;
  }
  WantLocked(info.version);
  auto done = [&] { return HoldsLocked(info.version) || !building_; };
  if (wait_until == absl::InfiniteFuture()) {
    built_.wait(lock, done);
  } else {
    built_.wait_until(lock, absl::ToChronoTime(wait_until), done);
  }
  if (HoldsLocked(info.version)) return current_;
  if (!building_ && !build_error_.ok()) return build_error_;
  return RebuildingLocked();
}

absl::StatusOr<CurrentSnapshot> SnapshotCache::CurrentOrEmpty(absl::Time deadline) {
  CAK_ASSIGN_OR_RETURN(SnapshotInfo info, repository_->CurrentSnapshot(deadline));
  return Await(info, std::min(deadline, absl::Now() + options_.max_wait));
}

absl::Status SnapshotCache::AwaitLatest(absl::Time deadline) {
  CAK_ASSIGN_OR_RETURN(SnapshotInfo info, repository_->CurrentSnapshot(deadline));
  return Await(info, deadline).status();
}

void SnapshotCache::Published(int64_t version) {
  std::lock_guard<std::mutex> lock(mu_);
  WantLocked(version);
}

absl::Status SnapshotCache::Refresh(absl::Time deadline) {
  CAK_ASSIGN_OR_RETURN(SnapshotInfo info, repository_->CurrentSnapshot(deadline));
  if (info.version == 0) return absl::OkStatus();
  std::lock_guard<std::mutex> lock(mu_);
  WantLocked(info.version);
  return absl::OkStatus();
}

void SnapshotCache::StartWatching() {
  std::lock_guard<std::mutex> lock(mu_);
  if (watching_ || stopped_) return;
  watching_ = true;
  watcher_ = std::thread([this] { WatchLoop(); });
}

void SnapshotCache::WatchLoop() {
  bool failing = false;
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopped_) {
    watch_cv_.wait_for(lock, absl::ToChronoMilliseconds(options_.poll_interval), [&] { return stopped_; });
    if (stopped_) break;
    lock.unlock();
    const absl::Status st = Refresh(absl::Now() + options_.poll_interval);
    if (!st.ok() && !failing) common::log::Warning("snapshot_version_read_failed", {{"error", st.ToString()}});
    failing = !st.ok();  // (one warning per outage)
    lock.lock();
  }
}

void SnapshotCache::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopped_ = true;
  }
  watch_cv_.notify_all();
  if (watcher_.joinable()) watcher_.join();
  // WantLocked starts no thread once stopped_ is set, so builder_ is not replaced meanwhile.
  if (builder_.joinable()) builder_.join();
}

absl::Duration SnapshotCache::last_build_duration() const {
  std::lock_guard<std::mutex> lock(mu_);
  return last_build_;
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
