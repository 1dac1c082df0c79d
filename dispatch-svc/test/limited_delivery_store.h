// A deliveries volume with little room, for the full-volume tests: files go to a real directory
// (FileDeliveryStore), but the store has only `free` bytes: FreeBytes says what is left, and a
// write that does not fit fails as on a full disk (RESOURCE_EXHAUSTED, DELIVERY_STORAGE_FULL).
// A discarded (uncommitted) file gives its bytes back.
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "common/base/errors.h"
#include "dispatch-svc/src/domain/reasons.h"
#include "dispatch-svc/src/storage/file_delivery_store.h"

namespace cak::dispatch::testing {

class LimitedDeliveryStore final : public domain::DeliveryStore {
 public:
  explicit LimitedDeliveryStore(std::string root) : files_(std::move(root)) {}

  // The room from now on (committed files keep theirs); negative: the real volume's.
  void SetFree(int64_t bytes) {
    std::lock_guard<std::mutex> lock(mu_);
    limit_ = bytes;
    used_ = 0;
  }

  absl::StatusOr<std::unique_ptr<domain::DeliveryFile>> Create(const std::string& relative_path) override {
    CAK_ASSIGN_OR_RETURN(std::unique_ptr<domain::DeliveryFile> file, files_.Create(relative_path));
    return std::make_unique<File>(this, std::move(file));
  }
  absl::Status Remove(const std::string& relative_path) override { return files_.Remove(relative_path); }
  absl::StatusOr<int64_t> FreeBytes() override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (limit_ >= 0) return limit_ - used_;
    }
    return files_.FreeBytes();
  }

 private:
  class File final : public domain::DeliveryFile {
   public:
    File(LimitedDeliveryStore* store, std::unique_ptr<domain::DeliveryFile> file)
        : store_(store), file_(std::move(file)) {}
    ~File() override {
      if (!committed_) store_->Release(taken_);
    }
    absl::Status Append(absl::string_view bytes) override {
      const auto n = static_cast<int64_t>(bytes.size());
      if (!store_->Take(n)) {
        return common::MakeError(absl::StatusCode::kResourceExhausted, domain::reason::kDeliveryStorageFull,
                                 "cannot write: No space left on device");
      }
      taken_ += n;
      return file_->Append(bytes);
    }
    absl::Status Commit() override {
      CAK_RETURN_IF_ERROR(file_->Commit());
      committed_ = true;
      return absl::OkStatus();
    }

   private:
    LimitedDeliveryStore* store_;
    std::unique_ptr<domain::DeliveryFile> file_;
    int64_t taken_ = 0;
    bool committed_ = false;
  };

  bool Take(int64_t n) {
    std::lock_guard<std::mutex> lock(mu_);
    if (limit_ >= 0 && used_ + n > limit_) return false;
    used_ += n;
    return true;
  }
  void Release(int64_t n) {
    std::lock_guard<std::mutex> lock(mu_);
    used_ = std::max<int64_t>(0, used_ - n);
  }

  storage::FileDeliveryStore files_;
  std::mutex mu_;
  int64_t limit_ = -1;
  int64_t used_ = 0;
};

}  // namespace cak::dispatch::testing
