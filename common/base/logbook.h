// What the organisation's Logboek Dataverwerkingen receives from a service, as plain values:
// one processing operation per record (the reference logbook's ProcessingOperation), and the
// logbook as the exporter sees it. The gRPC client of logboek.v1.LogboekService
// (common/grpc/logbook_client.h) implements LogbookSink; tests use fakes.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/base/processing_log.h"

namespace cak::common {

// The LDV attribute names the suite records (Logius standard, dpl.core.*), and ours.
inline constexpr char kAttrProcessingActivity[] = "dpl.core.processing_activity_id";
inline constexpr char kAttrDataSubjectId[] = "dpl.core.data_subject_id";
inline constexpr char kAttrDataSubjectIdType[] = "dpl.core.data_subject_id_type";
// Attributes the suite records beyond dpl.core carry this prefix ("cak.legal_basis",
// "cak.actor", "cak.addressee", and each entry attribute as "cak.<key>").
inline constexpr char kAttrPrefix[] = "cak.";

struct LogbookOperation {
  std::string trace_id;             // 16 raw bytes
  std::string operation_id;         // 8 raw bytes: the logbook's de-duplication key
  std::string parent_operation_id;  // 8 raw bytes, or empty for a root operation
  std::string name;
  absl::Time start_time, end_time;
  ProcessingStatus status = ProcessingStatus::kUnset;
  // The calling application's operation (dpl.core.foreign_operation), when there was one.
  std::string foreign_trace_id, foreign_operation_id, foreign_entity;
  std::vector<std::pair<std::string, std::string>> attributes;
};

class LogbookSink {
 public:
  virtual ~LogbookSink() = default;
  // Hands `operations` (in order) to the logbook. OK means stored; any error means "again
  // later" (the logbook de-duplicates by operation id, so a batch may arrive twice).
  virtual absl::Status Export(const std::vector<LogbookOperation>& operations) = 0;
};

}  // namespace cak::common
