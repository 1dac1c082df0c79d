// Objections as selection applies them (see objections.h).
#include "analysis-svc/src/domain/objections.h"

#include <algorithm>

namespace cak::analysis::domain {

bool ObjectedBsns::Contains(int32_t bsn) const { return std::binary_search(bsns.begin(), bsns.end(), bsn); }

ObjectionRows MapObjections(const ColumnarSnapshot& snapshot, const std::vector<ActiveObjection>& active,
                            int64_t register_version) {
  ObjectionRows out;
  out.register_version = register_version;
  out.snapshot_version = snapshot.version;
  for (const ActiveObjection& o : active) {
    const std::optional<uint32_t> row = snapshot.RowOf(o.bsn);
    if (!row) continue;  // not a customer now; applies the moment they are imported
    out.contact.push_back(*row);
    if (o.scope == common::ObjectionScope::kAllSelection) out.all_selection.push_back(*row);
  }
  std::sort(out.contact.begin(), out.contact.end());
  std::sort(out.all_selection.begin(), out.all_selection.end());
  return out;
}

int64_t Exclude(const std::vector<uint32_t>& rows, Bitmap* selection) {
  int64_t n = 0;
  for (uint32_t row : rows) {
    if (row < selection->size() && selection->Test(row)) {
      selection->Clear(row);
      ++n;
    }
  }
  return n;
}

absl::Status ObjectionCache::Refresh(int64_t version, absl::Time deadline) {
  if (bsns_ && bsns_->register_version == version) return absl::OkStatus();
  // (Read under the lock: a record or lift is rare, and one reader is enough.)
  CAK_ASSIGN_OR_RETURN(active_, repository_->ActiveObjections(deadline));
  auto bsns = std::make_shared<ObjectedBsns>();
  bsns->register_version = version;
  for (const ActiveObjection& o : active_) bsns->bsns.push_back(o.bsn);
  std::sort(bsns->bsns.begin(), bsns->bsns.end());
  bsns_ = std::move(bsns);
  return absl::OkStatus();
}

absl::StatusOr<std::shared_ptr<const ObjectionRows>> ObjectionCache::For(const ColumnarSnapshot& snapshot,
                                                                         absl::Time deadline) {
  CAK_ASSIGN_OR_RETURN(const int64_t version, repository_->ObjectionRegisterVersion(deadline));
  std::lock_guard<std::mutex> lock(mu_);
  CAK_RETURN_IF_ERROR(Refresh(version, deadline));
  if (!rows_ || rows_->register_version != bsns_->register_version || rows_->snapshot_version != snapshot.version) {
    rows_ = std::make_shared<const ObjectionRows>(MapObjections(snapshot, active_, bsns_->register_version));
  }
  return rows_;
}

absl::StatusOr<std::shared_ptr<const ObjectedBsns>> ObjectionCache::Bsns(absl::Time deadline) {
  CAK_ASSIGN_OR_RETURN(const int64_t version, repository_->ObjectionRegisterVersion(deadline));
  std::lock_guard<std::mutex> lock(mu_);
  CAK_RETURN_IF_ERROR(Refresh(version, deadline));
  return bsns_;
}

}  // namespace cak::analysis::domain
