// Prometheus metrics of a service, served in the text format on a separate port:
//   grpc_server_started_total{grpc_service,grpc_method}
//   grpc_server_handled_total{grpc_service,grpc_method,grpc_code}   (errors by status code)
//   grpc_server_handling_seconds{grpc_service,grpc_method}          (histogram)
//   db_pool_connections{state="in_use"|"waiting"|"max"}
//   processing_log_entries_written_total
#pragma once

#include "absl/strings/string_view.h"
#include <memory>
#include <mutex>
#include <string>

#include <grpcpp/grpcpp.h>
#include <prometheus/counter.h>
#include <prometheus/exposer.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace cak::common {
namespace db {
class PgPool;
}

class ServerMetrics {
 public:
  explicit ServerMetrics(std::string grpc_service);
  ~ServerMetrics();

  void RpcStarted(absl::string_view method);
  void RpcHandled(absl::string_view method, grpc::StatusCode code, absl::Duration latency);
  void ProcessingLogEntriesWritten(int64_t n);
  // Reports the pool's gauges at every scrape.
  void ObservePool(const db::PgPool* pool);

  // Serves /metrics on host:port (port 0: any free port).
  absl::Status Serve(const std::string& host, int port);
  int port() const;

  // The text exposition, as a scrape would return it (for tests and the CLI).
  std::string Render() const;

 private:
  std::string service_;
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>* started_;
  prometheus::Family<prometheus::Counter>* handled_;
  prometheus::Family<prometheus::Histogram>* latency_;
  prometheus::Counter* log_entries_;
  std::shared_ptr<prometheus::Collectable> pool_collectable_;
  std::unique_ptr<prometheus::Exposer> exposer_;
};

// The canonical name of a gRPC status code ("OK", "INVALID_ARGUMENT", ...).
absl::string_view GrpcCodeName(grpc::StatusCode code);

}  // namespace cak::common
