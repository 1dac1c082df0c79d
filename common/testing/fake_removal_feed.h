// analysis-svc's removal feed in memory (common/base/subject_removals.h), for the followers'
// tests: removals in the order added, each at a position after the one before.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "common/base/subject_removals.h"

namespace cak::common::testing {

class FakeRemovalFeed final : public SubjectRemovalFeed {
 public:
  void Add(std::string data_subject_id, RemovalCause cause = RemovalCause::kPastRetention) {
    ++next_;
    removals_.push_back({RemovalPosition{next_ / 3 + 1, next_}, std::move(data_subject_id), cause, absl::UnixEpoch()});
  }

  absl::StatusOr<std::vector<SubjectRemoval>> After(const CallContext&, const RemovalPosition& after,
                                                    int limit) override {
    ++calls_;
    std::vector<SubjectRemoval> out;
    for (const SubjectRemoval& r : removals_) {
      if (std::make_pair(r.position.transaction, r.position.entry_id) <=
          std::make_pair(after.transaction, after.entry_id)) {
        continue;
      }
      if (static_cast<int>(out.size()) == limit) break;
      out.push_back(r);
    }
    return out;
  }

  const std::vector<SubjectRemoval>& removals() const { return removals_; }
  int calls() const { return calls_; }

 private:
  std::vector<SubjectRemoval> removals_;
  int64_t next_ = 0;
  int calls_ = 0;
};

}  // namespace cak::common::testing
