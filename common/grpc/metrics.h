// Prometheus metrics of a service, served in the text format on a separate port:
//   grpc_server_started_total{grpc_service,grpc_method,grpc_type}
//   grpc_server_handled_total{grpc_service,grpc_method,grpc_type,grpc_code}   (by status code)
//   grpc_server_handling_seconds{grpc_service,grpc_method,grpc_type}          (histogram)
//     (grpc_type: unary, server_stream, client_stream or bidi_stream, as go-grpc-prometheus)
//   db_pool_connections{state="in_use"|"waiting"|"max"}
//   processing_log_entries_written_total
//   voorlichting_build_info{version,revision} 1
//   process_cpu_seconds_total, process_resident_memory_bytes, process_virtual_memory_bytes,
//   process_open_fds, process_max_fds, process_start_time_seconds (from /proc, at each scrape)
// plus a service's own counters (LabeledCounter), e.g. dispatch_batch_attempts_failed_total.
#pragma once

#include <grpcpp/grpcpp.h>
#include <prometheus/counter.h>
#include <prometheus/exposer.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace cak::common {
namespace db {
class PgPool;
class LogbookExporter;
}  // namespace db

class ServerMetrics {
 public:
  // `grpc_service` labels every method not claimed by AddService.
  explicit ServerMetrics(std::string grpc_service);
  ~ServerMetrics();

  // Labels the methods of another service on the same server (its full name, e.g.
  // "cak.voorlichting.dispatch.v1.ExecutorService", looked up in the generated descriptors)
  // with that service. Call before serving.
  void AddService(const std::string& full_name);

  void RpcStarted(absl::string_view method);
  void RpcHandled(absl::string_view method, grpc::StatusCode code, absl::Duration latency);
  void ProcessingLogEntriesWritten(int64_t n);
  // A counter of the service's own events with one label; the function (thread-safe, valid as
  // long as these metrics) counts one event with that label value.
  std::function<void(const std::string& label_value)> LabeledCounter(const std::string& name, const std::string& help,
                                                                     const std::string& label);
  // Reports the pool's gauges at every scrape.
  void ObservePool(const db::PgPool* pool);
  // Reports the processing-log export (pending operations, lag, batches, failures) at every
  // scrape. `exporter` must outlive the metrics' serving.
  void ObserveLogbookExport(const db::LogbookExporter* exporter);

  // Serves /metrics on host:port (port 0: any free port).
  absl::Status Serve(const std::string& host, int port);
  int port() const;

  // The text exposition, as a scrape would return it (for tests and the CLI).
  std::string Render() const;

 private:
  const std::string& ServiceOf(absl::string_view method) const;
  std::string TypeOf(absl::string_view method) const;
  void AddMethodTypes(const std::string& full_name);

  std::string service_;
  std::map<std::string, std::string, std::less<>> method_service_;
  std::map<std::string, std::string, std::less<>> method_type_;  // unary, server_stream, ...
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>* started_;
  prometheus::Family<prometheus::Counter>* handled_;
  prometheus::Family<prometheus::Histogram>* latency_;
  prometheus::Counter* log_entries_;
  // Read at scrape time: the pool's gauges, the logbook export.
  std::vector<std::shared_ptr<prometheus::Collectable>> collectables_;
  std::unique_ptr<prometheus::Exposer> exposer_;
};

// The canonical name of a gRPC status code ("OK", "INVALID_ARGUMENT", ...).
absl::string_view GrpcCodeName(grpc::StatusCode code);

}  // namespace cak::common
