// Retention that cascades (protos/cak/voorlichting/privacy/v1/subject_removal_service.proto):
// analysis-svc decides that a person is no longer held (retention purge, erasure) and serves the
// removals as a feed; intake-svc and dispatch-svc follow it in their purge job and remove their
// references. This is the follower's side, without gRPC or SQL: the feed and the page's
// removal are the caller's.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/base/processing_log.h"

namespace cak::common {

// Numbers as in the proto enum.
enum class RemovalCause { kPastRetention = 1, kErased = 2 };

// A place in the feed: the transaction that wrote a removal and its entry (both 0: the start).
struct RemovalPosition {
  int64_t transaction = 0;
  int64_t entry_id = 0;
  friend bool operator==(const RemovalPosition&, const RemovalPosition&) = default;
};

struct SubjectRemoval {
  RemovalPosition position;
  std::string data_subject_id;  // the person's processing-log id (DataSubjectHasher::Hash)
  RemovalCause cause = RemovalCause::kPastRetention;
  absl::Time removal_time;
};

class SubjectRemovalFeed {
 public:
  virtual ~SubjectRemovalFeed() = default;
  // The removals after `after`, oldest first, at most `limit`.
  virtual absl::StatusOr<std::vector<SubjectRemoval>> After(const CallContext& call, const RemovalPosition& after,
                                                            int limit) = 0;
};

// What following the feed did (or, dry run, would do).
struct FollowOutcome {
  int64_t removals = 0;      // read from the feed
  int64_t subjects = 0;      // of whom this service held something
  int64_t records = 0;       // this service's records removed or emptied
  RemovalPosition position;  // where the next run starts (a dry run: where this one started)
};

// What one page's removal did: of how many people something was held, how many records went.
struct PageOutcome {
  int64_t subjects = 0, records = 0;
};

// A page being followed, for the follower's repository: the position to record and the log
// entry to write (with the people of whom something was removed as its data subjects), both in
// the transaction of the removals.
struct FollowedPage {
  RemovalPosition position;
  ProcessingRecord record;
};

// Removes this service's references to `page`'s people; unless `dry_run`, records the page's
// last position as the follower's in the same transaction, so a crash repeats at most the page.
using RemovePage = std::function<absl::StatusOr<PageOutcome>(const std::vector<SubjectRemoval>& page, bool dry_run)>;

// Follows `feed` from `from` in pages of `page_size` until it is up to date. A dry run walks the
// same pages and changes nothing.
absl::StatusOr<FollowOutcome> FollowRemovals(SubjectRemovalFeed& feed, const CallContext& call, RemovalPosition from,
                                             int page_size, bool dry_run, const RemovePage& remove);

}  // namespace cak::common
