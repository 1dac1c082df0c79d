// The development logbook (see receiver.h).
#include "tools/logbook/receiver.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/base/json_text.h"
#include "common/base/random.h"

namespace cak::tools::logbook {
namespace {

// RFC 3339 in UTC with microseconds, e.g. "2026-12-06T04:05:06.123456Z".
std::string Rfc3339(const google::protobuf::Timestamp& ts) {
  const absl::CivilSecond c = absl::ToCivilSecond(absl::FromUnixSeconds(ts.seconds()), absl::UTCTimeZone());
  char buf[40];
  const int n = std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ", static_cast<int>(c.year()),
                              c.month(), c.day(), c.hour(), c.minute(), c.second(), ts.nanos() / 1000);
  return std::string(buf, static_cast<size_t>(n));
}

std::string Hex(absl::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (const char ch : bytes) {
    const auto c = static_cast<unsigned char>(ch);
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 15]);
  }
  return out;
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

void AppendOperationJson(const logboek::v1::Resource& resource, const logboek::v1::ProcessingOperation& op,
                         std::string* out) {
  // Through the suite's one JSON writer (common/base/json_text.h), so that a name or an
  // attribute with invalid UTF-8 still makes a valid line. Written by hand it took 1.4 us an
  // operation, this way 4.8 us (500,000 operations, one core): 210,000 a second, more than the
  // exporters send.
  nlohmann::ordered_json line = {
      {"resource", {{"name", resource.name()}, {"version", resource.version()}}},
      {"trace_id", Hex(op.trace_id())},
      {"operation_id", Hex(op.operation_id())},
      {"parent_operation_id", Hex(op.parent_operation_id())},
      {"name", op.name()},
      {"start_time", Rfc3339(op.start_time())},
      {"end_time", Rfc3339(op.end_time())},
      {"status", op.status_code() == logboek::v1::STATUS_CODE_OK      ? "OK"
                 : op.status_code() == logboek::v1::STATUS_CODE_ERROR ? "ERROR"
                                                                      : "UNKNOWN"},
  };
  if (op.has_foreign_operation()) {
    line["foreign_operation"] = {{"trace_id", Hex(op.foreign_operation().trace_id())},
                                 {"operation_id", Hex(op.foreign_operation().operation_id())},
                                 {"entity", op.foreign_operation().entity()}};
  }
  // As an object: a key given twice keeps its last value (what a JSON object can hold), in
  // the order the keys first appeared.
  nlohmann::ordered_json attributes = nlohmann::ordered_json::object();
  for (const auto& a : op.attributes()) attributes[a.key()] = a.value();
  line["attributes"] = std::move(attributes);
  out->append(common::JsonText(line));
}

std::string OperationJson(const logboek::v1::Resource& resource, const logboek::v1::ProcessingOperation& op) {
  std::string out;
  AppendOperationJson(resource, op, &out);
  return out;
}

absl::StatusOr<std::unique_ptr<Receiver>> Receiver::Open(std::string dir) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) return absl::InvalidArgumentError(absl::StrCat(dir, " is no directory"));
  std::unique_ptr<Receiver> r(new Receiver(dir));
  for (const auto& file : std::filesystem::directory_iterator(dir, ec)) {
    if (file.path().extension() != ".jsonl") continue;
    ReadOperationIds(file.path().string(), [&](const std::string& trace_hex, const std::string& operation_hex) {
      std::string trace, op;
      common::HexDecode(trace_hex, &trace);
      common::HexDecode(operation_hex, &op);
      r->seen_.insert(trace + op);
    });
  }
  return r;
}

int64_t ReadOperationIds(
    const std::string& path,
    const std::function<void(const std::string& trace_hex, const std::string& operation_hex)>& each) {
  std::ifstream in(path);
  std::string line;
  int64_t lines = 0;
  while (std::getline(in, line)) {
    ++lines;
    const auto j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (!j.is_object() || !j.contains("trace_id") || !j.contains("operation_id") || !j["trace_id"].is_string() ||
        !j["operation_id"].is_string()) {
      continue;  // a torn last line
    }
    each(j["trace_id"].get<std::string>(), j["operation_id"].get<std::string>());
  }
  return lines;
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
  absl::flat_hash_set<std::string> batch;
  for (const auto& op : request->operations()) {
    const std::string key = op.trace_id() + op.operation_id();
    if (seen_.count(key) || !batch.insert(key).second) {
      ++counts.duplicates;
      continue;
    }
    AppendOperationJson(request->resource(), op, &lines);
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
