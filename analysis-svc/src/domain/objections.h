// Objections and restrictions (GDPR art. 21 and 18) as selection applies them: the register's
// active entries mapped onto one columnar snapshot's rows, so that impact analysis, samples,
// target groups and freezes leave the person out with a cheap pass over a few thousand rows,
// and streams withhold members of lists frozen before the objection.
//
// ObjectionCache keeps the mapping for the current snapshot and register version: a request
// pays one read of the register's version; the register itself is read again only after a
// record or lift (on any replica), the mapping redone only for a new snapshot.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "absl/status/statusor.h"
#include "analysis-svc/src/domain/bitmap.h"
#include "analysis-svc/src/domain/columnar.h"
#include "analysis-svc/src/domain/repository.h"
#include "common/base/errors.h"

namespace cak::analysis::domain {

struct ObjectionRows {
  int64_t register_version = 0;
  int64_t snapshot_version = 0;
  std::vector<uint32_t> all_selection;  // rows with scope ALL_SELECTION: out of statistics too
  std::vector<uint32_t> contact;        // rows with any scope: out of samples, groups and lists
};

// Every active objection's BSN (customers or not), ascending: whom a stream withholds.
struct ObjectedBsns {
  int64_t register_version = 0;
  std::vector<int32_t> bsns;
  bool Contains(int32_t bsn) const;
};

// Maps `active` (any order) onto `snapshot`'s rows.
ObjectionRows MapObjections(const ColumnarSnapshot& snapshot, const std::vector<ActiveObjection>& active,
                            int64_t register_version);

// Clears `rows` in `selection`; returns how many of them were set (the people left out).
int64_t Exclude(const std::vector<uint32_t>& rows, Bitmap* selection);

class ObjectionCache {
 public:
  explicit ObjectionCache(AnalysisRepository* repository) : repository_(repository) {}

  // The objections mapped onto `snapshot`, as the register stands.
  absl::StatusOr<std::shared_ptr<const ObjectionRows>> For(const ColumnarSnapshot& snapshot, absl::Time deadline);
  // The objected BSNs, as the register stands.
  absl::StatusOr<std::shared_ptr<const ObjectedBsns>> Bsns(absl::Time deadline);

 private:
  // Reads the register again unless it was read at `version` (mu_ held).
  absl::Status Refresh(int64_t version, absl::Time deadline);
  AnalysisRepository* repository_;
  std::mutex mu_;
  std::vector<ActiveObjection> active_;  // as read at version bsns_->register_version
  std::shared_ptr<const ObjectedBsns> bsns_;
  std::shared_ptr<const ObjectionRows> rows_;
};

}  // namespace cak::analysis::domain
