// A small Logboek Dataverwerkingen for development, tests and the main job: it implements the
// reference logbook's export contract (logboek.v1.LogboekService) and keeps what it receives
// as JSON lines, one file per exporting service (<dir>/<resource>.jsonl), one operation a
// line. Like the reference it de-duplicates by operation: an operation (trace id + operation
// id) it already holds, from this run or an earlier one in the same directory, is accepted
// again without being written twice. A batch is written and flushed before it is answered.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>

#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "logboek/v1/logboek.grpc.pb.h"

namespace cak::tools::logbook {

struct ResourceCounts {
  int64_t stored = 0;      // operations written
  int64_t duplicates = 0;  // operations received again and not written
};

class Receiver final : public logboek::v1::LogboekService::Service {
 public:
  // `dir` must exist. Reads the operation ids already in its files.
  static absl::StatusOr<std::unique_ptr<Receiver>> Open(std::string dir);

  grpc::Status Export(grpc::ServerContext* context, const logboek::v1::ExportOperationsRequest* request,
                      logboek::v1::ExportOperationsResponse* response) override;

  // Per resource name, what this run received.
  std::map<std::string, ResourceCounts> counts() const;

 private:
  explicit Receiver(std::string dir) : dir_(std::move(dir)) {}
  std::string dir_;
  mutable std::mutex mu_;
  absl::flat_hash_set<std::string> seen_;  // trace id + operation id (raw bytes)
  std::map<std::string, ResourceCounts> counts_;
};

// Reads a file the Receiver wrote (one operation a line) and calls `each` with every
// operation's trace id and operation id (lower-case hex); a torn last line is skipped. Returns
// how many lines the file has (0 when it does not exist).
int64_t ReadOperationIds(
    const std::string& path,
    const std::function<void(const std::string& trace_hex, const std::string& operation_hex)>& each);

// One operation as the JSON line the receiver writes (ids in lower-case hex, times RFC 3339
// with microseconds, status as "OK" / "ERROR" / "UNKNOWN", attributes as an object).
std::string OperationJson(const logboek::v1::Resource& resource, const logboek::v1::ProcessingOperation& op);

}  // namespace cak::tools::logbook
