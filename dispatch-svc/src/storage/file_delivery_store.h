// The delivery directory on a file system (a volume shared by all replicas): each file is
// written under a temporary name in its final directory, flushed, and renamed into place, so a
// reader never sees part of a file, and a crash leaves at most a temporary file (named
// ".tmp-*", which executors ignore and CollectTemporaryFiles removes).
#pragma once

#include <string>

#include "dispatch-svc/src/domain/repository.h"

namespace cak::dispatch::storage {

class FileDeliveryStore final : public domain::DeliveryStore {
 public:
  explicit FileDeliveryStore(std::string root) : root_(std::move(root)) {}

  // INVALID_ARGUMENT for a path that is absolute or leaves the root; RESOURCE_EXHAUSTED
  // (DELIVERY_STORAGE_FULL) when the volume is full, INTERNAL (DELIVERY_IO_ERROR) for other I/O
  // errors, here and in the file's writes.
  absl::StatusOr<std::unique_ptr<domain::DeliveryFile>> Create(const std::string& relative_path) override;
  // The volume's space available to this process (statvfs f_bavail).
  absl::StatusOr<int64_t> FreeBytes() override;
  absl::Status Remove(const std::string& relative_path) override;

  // Removes temporary files older than `age` (left by a crashed writer). Returns how many.
  int CollectTemporaryFiles(absl::Duration age);

  // FAILED_PRECONDITION when the root is missing or not writable (checked at start-up).
  absl::Status CheckWritable() const;
  const std::string& root() const { return root_; }

 private:
  std::string root_;
};

}  // namespace cak::dispatch::storage
