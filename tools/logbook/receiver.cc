// The development logbook (see receiver.h).
#include "tools/logbook/receiver.h"

#include <cctype>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/base/random.h"

namespace cak::tools::logbook {
namespace {

std::string Rfc3339(const google::protobuf::Timestamp& ts) {
  const absl::Time t = absl::FromUnixSeconds(ts.seconds()) + absl::Nanoseconds(ts.nanos());
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", t, absl::UTCTimeZone());
}

// A resource name as a file name: letters, digits, '-', '_' and '.'; anything else '_'.
std::string FileNameOf(const std::string& resource) {
  std::string out = resource.empty() ? "unnamed" : resource;
  for (char& c : out) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.')) c = '_';
  }
  if (out[0] == '.') out[0] = '_';
  return out;
}

}  // namespace

std::string OperationJson(const logboek::v1::Resource& resource, const logboek::v1::ProcessingOperation& op) {
  nlohmann::ordered_json j;
  j["resource"] = {{"name", resource.name()}, {"version", resource.version()}};
  j["trace_id"] = common::HexEncode(op.trace_id());
  j["operation_id"] = common::HexEncode(op.operation_id());
  j["parent_operation_id"] = common::HexEncode(op.parent_operation_id());
  j["name"] = op.name();
  j["start_time"] = Rfc3339(op.start_time());
  j["end_time"] = Rfc3339(op.end_time());
  j["status"] = op.status_code() == logboek::v1::STATUS_CODE_OK      ? "OK"
                : op.status_code() == logboek::v1::STATUS_CODE_ERROR ? "ERROR"
                                                                     : "UNKNOWN";
  if (op.has_foreign_operation()) {
    j["foreign_operation"] = {{"trace_id", common::HexEncode(op.foreign_operation().trace_id())},
                              {"operation_id", common::HexEncode(op.foreign_operation().operation_id())},
                              {"entity", op.foreign_operation().entity()}};
  }
  nlohmann::ordered_json attributes = nlohmann::ordered_json::object();
  for (const auto& a : op.attributes()) attributes[a.key()] = a.value();
  j["attributes"] = std::move(attributes);
  return j.dump();
}

absl::StatusOr<std::unique_ptr<Receiver>> Receiver::Open(std::string dir) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) return absl::InvalidArgumentError(absl::StrCat(dir, " is no directory"));
  std::unique_ptr<Receiver> r(new Receiver(dir));
  for (const auto& file : std::filesystem::directory_iterator(dir, ec)) {
    if (file.path().extension() != ".jsonl") continue;
    std::ifstream in(file.path());
    std::string line;
    while (std::getline(in, line)) {
      const auto j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
      if (!j.is_object() || !j.contains("trace_id") || !j.contains("operation_id")) continue;  // a torn last line
      std::string trace, op;
      common::HexDecode(j["trace_id"].get<std::string>(), &trace);
      common::HexDecode(j["operation_id"].get<std::string>(), &op);
      r->seen_.insert(trace + op);
    }
  }
  return r;
}

grpc::Status Receiver::Export(grpc::ServerContext*, const logboek::v1::ExportOperationsRequest* request,
                              logboek::v1::ExportOperationsResponse*) {
  for (const auto& op : request->operations()) {
    if (op.trace_id().size() != 16 || op.operation_id().size() != 8 ||
        !(op.parent_operation_id().empty() || op.parent_operation_id().size() == 8)) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                          "trace_id must be 16 bytes, operation_id 8 and parent_operation_id 8 or none");
    }
  }
  std::lock_guard<std::mutex> lock(mu_);
  std::string lines;
  ResourceCounts& counts = counts_[request->resource().name()];
  std::set<std::string> batch;
  for (const auto& op : request->operations()) {
    const std::string key = op.trace_id() + op.operation_id();
    if (seen_.count(key) || !batch.insert(key).second) {
      ++counts.duplicates;
      continue;
    }
    lines += OperationJson(request->resource(), op);
    lines += '\n';
  }
  if (!lines.empty()) {
    const std::string path = absl::StrCat(dir_, "/", FileNameOf(request->resource().name()), ".jsonl");
    std::FILE* f = std::fopen(path.c_str(), "a");
    if (f == nullptr) return grpc::Status(grpc::StatusCode::UNAVAILABLE, "cannot open the logbook file");
    const bool ok = std::fwrite(lines.data(), 1, lines.size(), f) == lines.size() && std::fflush(f) == 0;
    std::fclose(f);
    if (!ok) return grpc::Status(grpc::StatusCode::UNAVAILABLE, "cannot write the logbook file");
  }
  seen_.insert(batch.begin(), batch.end());
  counts.stored += static_cast<int64_t>(batch.size());
  return grpc::Status::OK;
}

std::map<std::string, ResourceCounts> Receiver::counts() const {
  std::lock_guard<std::mutex> lock(mu_);
  return counts_;
}

}  // namespace cak::tools::logbook
