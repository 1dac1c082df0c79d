// The services' side of the Logboek Dataverwerkingen: the logboek.v1 gRPC client that the
// processing-log exporter (common/db/logbook_export.h) hands its operations to, and the
// serve-mode wiring of both from the shared configuration (--logbook-address and its TLS
// options), with the export's metrics.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/base/logbook.h"
#include "common/base/version.h"  // SuiteVersion(): the resource version it sends
#include "common/db/logbook_export.h"
#include "common/grpc/metrics.h"
#include "common/grpc/peer_channel.h"
#include "logboek/v1/logboek.grpc.pb.h"

namespace cak::common {

// `op` as the reference logbook's message.
void ToProto(const LogbookOperation& op, logboek::v1::ProcessingOperation* out);

class GrpcLogbookSink final : public LogbookSink {
 public:
  // `resource` names the exporting service ("intake-svc"). INVALID_ARGUMENT for an empty
  // address or unreadable certificate files.
  static absl::StatusOr<std::unique_ptr<GrpcLogbookSink>> Create(PeerOptions peer, std::string resource,
                                                                 absl::Duration timeout = absl::Seconds(30));

  // One Export call with a deadline of `timeout`; the logbook's status as an absl::Status.
  absl::Status Export(const std::vector<LogbookOperation>& operations) override;

 private:
  GrpcLogbookSink(std::unique_ptr<PeerChannel> channel, std::string resource, absl::Duration timeout);
  std::unique_ptr<PeerChannel> channel_;
  std::unique_ptr<logboek::v1::LogboekService::Stub> stub_;
  std::string resource_;
  absl::Duration timeout_;
};

struct ServiceConfig;

// A running export (sink and exporter); stops when destroyed.
class LogbookExport {
 public:
  LogbookExport(std::unique_ptr<GrpcLogbookSink> sink, db::PgPool* pool, db::LogbookExportOptions options);
  ~LogbookExport();
  db::LogbookExporter& exporter() { return exporter_; }

 private:
  std::unique_ptr<GrpcLogbookSink> sink_;
  db::LogbookExporter exporter_;
};

// Serve mode: starts the export of `service`'s processing log when --logbook-address is set
// (null when not), and shows it in `metrics` (may be null). INVALID_ARGUMENT for bad TLS files.
absl::StatusOr<std::unique_ptr<LogbookExport>> StartLogbookExport(const ServiceConfig& config, db::PgPool* pool,
                                                                  const std::string& service, ServerMetrics* metrics);

}  // namespace cak::common
