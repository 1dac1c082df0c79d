// An in-memory deliveries volume for dispatch-svc's domain unit tests: files appear under their
// name only when committed (replacing an earlier one), a discarded file leaves nothing, and the
// volume has a free-byte budget that a test sets to simulate a full disk. FreeBytes answers the
// budget; a write that does not fit fails as on a full disk (RESOURCE_EXHAUSTED,
// DELIVERY_STORAGE_FULL), and a discarded file gives its bytes back (as LimitedDeliveryStore
// does over a real directory for the API tests).
#pragma once

#include <algorithm>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "absl/strings/match.h"
#include "common/base/errors.h"
#include "dispatch-svc/src/domain/reasons.h"
#include "dispatch-svc/src/domain/repository.h"

namespace cak::dispatch::testing {

class FakeDeliveryStore final : public domain::DeliveryStore {
 public:
  // What FreeBytes answers when the budget is unlimited.
  static constexpr int64_t kUnlimitedFree = int64_t{1} << 40;

  // The room from now on (committed files keep theirs); negative: unlimited.
  void SetFree(int64_t bytes) {
    std::lock_guard<std::mutex> lock(mu_);
    limit_ = bytes;
    used_ = 0;
  }

  absl::StatusOr<std::unique_ptr<domain::DeliveryFile>> Create(const std::string& relative_path) override {
    if (relative_path.empty() || relative_path[0] == '/' || absl::StrContains(relative_path, "..")) {
      return common::InvalidField(common::reason::kInvalidFieldValue, "relative_path",
                                  "a path inside the delivery directory");
    }
    std::lock_guard<std::mutex> lock(mu_);
    ++created_;
    ++open_;
    return std::unique_ptr<domain::DeliveryFile>(new File(this, relative_path));
  }

  absl::StatusOr<int64_t> FreeBytes() override {
    std::lock_guard<std::mutex> lock(mu_);
    ++free_bytes_calls_;
    return limit_ < 0 ? kUnlimitedFree : limit_ - used_;
  }

  absl::Status Remove(const std::string& relative_path) override {
    std::lock_guard<std::mutex> lock(mu_);
    files_.erase(relative_path);
    return absl::OkStatus();
  }

  // Committed files by path.
  std::map<std::string, std::string> files() const {
    std::lock_guard<std::mutex> lock(mu_);
    return files_;
  }
  // A committed file's bytes; "" when there is none.
  std::string Read(const std::string& path) const {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = files_.find(path);
    return it == files_.end() ? std::string() : it->second;
  }
  int files_created() const {
    std::lock_guard<std::mutex> lock(mu_);
    return created_;
  }
  // Files created and neither committed nor discarded yet.
  int files_open() const {
    std::lock_guard<std::mutex> lock(mu_);
    return open_;
  }
  int free_bytes_calls() const {
    std::lock_guard<std::mutex> lock(mu_);
    return free_bytes_calls_;
  }

 private:
  class File final : public domain::DeliveryFile {
   public:
    File(FakeDeliveryStore* store, std::string path) : store_(store), path_(std::move(path)) {}
    ~File() override { store_->Close(committed_ ? 0 : static_cast<int64_t>(bytes_.size())); }
    absl::Status Append(absl::string_view bytes) override {
      if (committed_) return absl::FailedPreconditionError("fake: append after commit");
      if (!store_->Take(static_cast<int64_t>(bytes.size()))) {
        return common::MakeError(absl::StatusCode::kResourceExhausted, domain::reason::kDeliveryStorageFull,
                                 "cannot write: No space left on device");
      }
      bytes_.append(bytes.data(), bytes.size());
      return absl::OkStatus();
    }
    absl::Status Commit() override {
      if (committed_) return absl::FailedPreconditionError("fake: committed twice");
      store_->Publish(path_, bytes_);
      committed_ = true;
      return absl::OkStatus();
    }

   private:
    FakeDeliveryStore* store_;
    std::string path_;
    std::string bytes_;
    bool committed_ = false;
  };

  bool Take(int64_t n) {
    std::lock_guard<std::mutex> lock(mu_);
    if (limit_ >= 0 && used_ + n > limit_) return false;
    used_ += n;
    return true;
  }
  // A file is done: discarded ones give their bytes back.
  void Close(int64_t released) {
    std::lock_guard<std::mutex> lock(mu_);
    used_ = std::max<int64_t>(0, used_ - released);
    --open_;
  }
  void Publish(const std::string& path, const std::string& bytes) {
    std::lock_guard<std::mutex> lock(mu_);
    files_[path] = bytes;  // the rename: replaces an earlier file
  }

  mutable std::mutex mu_;
  std::map<std::string, std::string> files_;
  int64_t limit_ = -1;
  int64_t used_ = 0;
  int created_ = 0, open_ = 0, free_bytes_calls_ = 0;
};

}  // namespace cak::dispatch::testing
