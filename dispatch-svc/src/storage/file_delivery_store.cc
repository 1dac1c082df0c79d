// Delivery files (see file_delivery_store.h).
#include "dispatch-svc/src/storage/file_delivery_store.h"

#include <fcntl.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/base/errors.h"
#include "common/base/random.h"
#include "dispatch-svc/src/domain/reasons.h"

namespace cak::dispatch::storage {

namespace fs = std::filesystem;

namespace {

// A full volume (or quota) is RESOURCE_EXHAUSTED: the batch is tried again once there is room.
absl::Status IoError(absl::string_view what, const std::string& path) {
  const bool full = errno == ENOSPC || errno == EDQUOT;
  return common::MakeError(full ? absl::StatusCode::kResourceExhausted : absl::StatusCode::kInternal,
                           full ? domain::reason::kDeliveryStorageFull : domain::reason::kDeliveryIoError,
                           absl::StrCat(what, " '", path, "': ", std::strerror(errno)));
}

absl::StatusOr<std::string> Resolve(const std::string& root, const std::string& relative) {
  const fs::path rel(relative);
  if (relative.empty() || rel.is_absolute()) {
    return absl::InvalidArgumentError("a delivery file path must be relative");
  }
  for (const fs::path& part : rel) {
    if (part == ".." || part == ".") return absl::InvalidArgumentError("a delivery file path may not hold . or ..");
  }
  return (fs::path(root) / rel).string();
}

class PosixDeliveryFile final : public domain::DeliveryFile {
 public:
  PosixDeliveryFile(int fd, std::string tmp, std::string final_path, std::string dir)
      : fd_(fd), tmp_(std::move(tmp)), final_(std::move(final_path)), dir_(std::move(dir)) {}
  ~PosixDeliveryFile() override {
    if (fd_ >= 0) close(fd_);
    if (!committed_) unlink(tmp_.c_str());
  }

  absl::Status Append(absl::string_view bytes) override {
    // Buffered: one write per ~1 MB keeps system calls off the generator's path.
    buffer_.append(bytes.data(), bytes.size());
    return buffer_.size() >= (1 << 20) ? Flush() : absl::OkStatus();
  }

  absl::Status Commit() override {
    CAK_RETURN_IF_ERROR(Flush());
    if (fdatasync(fd_) != 0) return IoError("cannot flush", tmp_);
    close(fd_);
    fd_ = -1;
    if (rename(tmp_.c_str(), final_.c_str()) != 0) return IoError("cannot rename into", final_);
    committed_ = true;
    // The rename itself must survive a crash too.
    const int dfd = open(dir_.c_str(), O_RDONLY | O_DIRECTORY);
    if (dfd >= 0) {
      fsync(dfd);
      close(dfd);
    }
    return absl::OkStatus();
  }

 private:
  absl::Status Flush() {
    size_t done = 0;
    while (done < buffer_.size()) {
      const ssize_t n = write(fd_, buffer_.data() + done, buffer_.size() - done);
      if (n < 0) {
        if (errno == EINTR) continue;
        return IoError("cannot write", tmp_);
      }
      done += static_cast<size_t>(n);
    }
    buffer_.clear();
    return absl::OkStatus();
  }

  int fd_;
  std::string tmp_, final_, dir_;
  std::string buffer_;
  bool committed_ = false;
};

}  // namespace

absl::StatusOr<std::unique_ptr<domain::DeliveryFile>> FileDeliveryStore::Create(const std::string& relative_path) {
  CAK_ASSIGN_OR_RETURN(std::string path, Resolve(root_, relative_path));
  const fs::path p(path);
  std::error_code ec;
  fs::create_directories(p.parent_path(), ec);
  if (ec) {
    errno = ec.value();
    return IoError("cannot create directory", p.parent_path().string());
  }
  const std::string tmp = (p.parent_path() / (".tmp-" + common::NewUuid() + "-" + p.filename().string())).string();
  const int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
  if (fd < 0) return IoError("cannot create", tmp);
  return std::make_unique<PosixDeliveryFile>(fd, tmp, path, p.parent_path().string());
}

absl::Status FileDeliveryStore::Remove(const std::string& relative_path) {
  CAK_ASSIGN_OR_RETURN(std::string path, Resolve(root_, relative_path));
  if (unlink(path.c_str()) != 0 && errno != ENOENT) return IoError("cannot remove", path);
  return absl::OkStatus();
}

absl::StatusOr<int64_t> FileDeliveryStore::FreeBytes() {
  struct statvfs st {};
  if (statvfs(root_.c_str(), &st) != 0) return IoError("cannot inspect", root_);
  return static_cast<int64_t>(st.f_bavail) * static_cast<int64_t>(st.f_frsize);
}

int FileDeliveryStore::CollectTemporaryFiles(absl::Duration age) {
  int removed = 0;
  std::error_code ec;
  const auto cutoff = fs::file_time_type::clock::now() - absl::ToChronoSeconds(age);
  for (auto it = fs::recursive_directory_iterator(root_, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    if (!it->is_regular_file(ec) || !absl::StartsWith(it->path().filename().string(), ".tmp-")) continue;
    if (it->last_write_time(ec) < cutoff && fs::remove(it->path(), ec)) ++removed;
  }
  return removed;
}

absl::Status FileDeliveryStore::CheckWritable() const {
  if (root_.empty() || access(root_.c_str(), W_OK | X_OK) != 0) {
    return common::MakeError(absl::StatusCode::kFailedPrecondition, "DELIVERY_DIR_NOT_WRITABLE",
                             absl::StrCat("the delivery directory '", root_, "' is missing or not writable"));
  }
  return absl::OkStatus();
}

}  // namespace cak::dispatch::storage
