// Prometheus metrics (see metrics.h).
#include "common/grpc/metrics.h"

#include <google/protobuf/descriptor.h>
#include <prometheus/collectable.h>
#include <prometheus/text_serializer.h>

#include "absl/strings/str_cat.h"
#include "common/db/logbook_export.h"
#include "common/db/pool.h"

namespace cak::common {
namespace {

// Reads the pool's gauges when Prometheus scrapes.
class PoolCollectable : public prometheus::Collectable {
 public:
  explicit PoolCollectable(const db::PgPool* pool) : pool_(pool) {}
  std::vector<prometheus::MetricFamily> Collect() const override {
    prometheus::MetricFamily family;
    family.name = "db_pool_connections";
    family.help = "Database pool connections by state (in_use, waiting callers, max)";
    family.type = prometheus::MetricType::Gauge;
    auto add = [&](const char* state, double value) {
      prometheus::ClientMetric m;
      m.label.push_back({"state", state});
      m.gauge.value = value;
      family.metric.push_back(std::move(m));
    };
    add("in_use", pool_->in_use());
    add("waiting", pool_->waiting());
    add("max", pool_->size());
    return {family};
  }

 private:
  const db::PgPool* pool_;
};

// Reads the processing-log export's figures when Prometheus scrapes.
class LogbookExportCollectable : public prometheus::Collectable {
 public:
  explicit LogbookExportCollectable(const db::LogbookExporter* exporter) : exporter_(exporter) {}
  std::vector<prometheus::MetricFamily> Collect() const override {
    const db::LogbookExportStats s = exporter_->stats();
    auto family = [](const char* name, const char* help, prometheus::MetricType type, double value) {
      prometheus::MetricFamily f;
      f.name = name;
      f.help = help;
      f.type = type;
      prometheus::ClientMetric m;
      if (type == prometheus::MetricType::Counter) {
        m.counter.value = value;
      } else {
        m.gauge.value = value;
      }
      f.metric.push_back(std::move(m));
      return f;
    };
    using T = prometheus::MetricType;
    return {
        family("logbook_export_pending_operations",
               "Processing-log operations of committed transactions the logbook has not accepted yet (counted every "
               "few seconds)",
               T::Gauge, static_cast<double>(s.pending)),
        family("logbook_export_lag_seconds", "Age of the oldest operation the logbook has not accepted yet", T::Gauge,
               s.lag_seconds),
        family("logbook_export_batches_total", "Export calls the logbook accepted", T::Counter,
               static_cast<double>(s.batches)),
        family("logbook_export_operations_total", "Operations the logbook accepted (a re-sent one counts again)",
               T::Counter, static_cast<double>(s.operations)),
        family("logbook_export_failures_total", "Export rounds that failed (logbook or database); retried with backoff",
               T::Counter, static_cast<double>(s.failures))};
  }

 private:
  const db::LogbookExporter* exporter_;
};

}  // namespace

absl::string_view GrpcCodeName(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK:
      return "OK";
    case grpc::StatusCode::CANCELLED:
      return "CANCELLED";
    case grpc::StatusCode::UNKNOWN:
      return "UNKNOWN";
    case grpc::StatusCode::INVALID_ARGUMENT:
      return "INVALID_ARGUMENT";
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return "DEADLINE_EXCEEDED";
    case grpc::StatusCode::NOT_FOUND:
      return "NOT_FOUND";
    case grpc::StatusCode::ALREADY_EXISTS:
      return "ALREADY_EXISTS";
    case grpc::StatusCode::PERMISSION_DENIED:
      return "PERMISSION_DENIED";
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return "RESOURCE_EXHAUSTED";
    case grpc::StatusCode::FAILED_PRECONDITION:
      return "FAILED_PRECONDITION";
    case grpc::StatusCode::ABORTED:
      return "ABORTED";
    case grpc::StatusCode::OUT_OF_RANGE:
      return "OUT_OF_RANGE";
    case grpc::StatusCode::UNIMPLEMENTED:
      return "UNIMPLEMENTED";
    case grpc::StatusCode::INTERNAL:
      return "INTERNAL";
    case grpc::StatusCode::UNAVAILABLE:
      return "UNAVAILABLE";
    case grpc::StatusCode::DATA_LOSS:
      return "DATA_LOSS";
    case grpc::StatusCode::UNAUTHENTICATED:
      return "UNAUTHENTICATED";
    default:
      return "UNKNOWN";
  }
}

ServerMetrics::ServerMetrics(std::string grpc_service)
    : service_(std::move(grpc_service)), registry_(std::make_shared<prometheus::Registry>()) {
  started_ = &prometheus::BuildCounter()
                  .Name("grpc_server_started_total")
                  .Help("RPCs started on the server")
                  .Register(*registry_);
  handled_ = &prometheus::BuildCounter()
                  .Name("grpc_server_handled_total")
                  .Help("RPCs completed on the server, by status code")
                  .Register(*registry_);
  latency_ = &prometheus::BuildHistogram()
                  .Name("grpc_server_handling_seconds")
                  .Help("Time from the start of an RPC to its status")
                  .Register(*registry_);
  log_entries_ = &prometheus::BuildCounter()
                      .Name("processing_log_entries_written_total")
                      .Help("Processing-log entries committed")
                      .Register(*registry_)
                      .Add({});
}

ServerMetrics::~ServerMetrics() {
  if (exposer_) {
    for (const auto& c : collectables_) exposer_->RemoveCollectable(c);
  }
}

void ServerMetrics::AddService(const std::string& full_name) {
  const google::protobuf::ServiceDescriptor* service =
      google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(full_name);
  if (service == nullptr) return;
  for (int i = 0; i < service->method_count(); ++i) method_service_[service->method(i)->name()] = full_name;
}

const std::string& ServerMetrics::ServiceOf(absl::string_view method) const {
  auto it = method_service_.find(method);
  return it == method_service_.end() ? service_ : it->second;
}

void ServerMetrics::RpcStarted(absl::string_view method) {
  started_->Add({{"grpc_service", ServiceOf(method)}, {"grpc_method", std::string(method)}}).Increment();
}

void ServerMetrics::RpcHandled(absl::string_view method, grpc::StatusCode code, absl::Duration latency) {
  handled_
      ->Add({{"grpc_service", ServiceOf(method)},
             {"grpc_method", std::string(method)},
             {"grpc_code", std::string(GrpcCodeName(code))}})
      .Increment();
  static const prometheus::Histogram::BucketBoundaries kBuckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                                   0.1,    0.25,  0.5,    1,     2.5,  5,     10};
  latency_->Add({{"grpc_service", ServiceOf(method)}, {"grpc_method", std::string(method)}}, kBuckets)
      .Observe(absl::ToDoubleSeconds(latency));
}

void ServerMetrics::ProcessingLogEntriesWritten(int64_t n) { log_entries_->Increment(static_cast<double>(n)); }

std::function<void(const std::string&)> ServerMetrics::LabeledCounter(const std::string& name, const std::string& help,
                                                                      const std::string& label) {
  auto* family = &prometheus::BuildCounter().Name(name).Help(help).Register(*registry_);
  return [family, label](const std::string& value) { family->Add({{label, value}}).Increment(); };
}

void ServerMetrics::ObservePool(const db::PgPool* pool) {
  collectables_.push_back(std::make_shared<PoolCollectable>(pool));
  if (exposer_) exposer_->RegisterCollectable(collectables_.back());
}

void ServerMetrics::ObserveLogbookExport(const db::LogbookExporter* exporter) {
  collectables_.push_back(std::make_shared<LogbookExportCollectable>(exporter));
  if (exposer_) exposer_->RegisterCollectable(collectables_.back());
}

absl::Status ServerMetrics::Serve(const std::string& host, int port) {
  try {
    exposer_ = std::make_unique<prometheus::Exposer>(absl::StrCat(host, ":", port));
  } catch (const std::exception& e) {
    return absl::UnavailableError(absl::StrCat("cannot serve metrics on ", host, ":", port, ": ", e.what()));
  }
  exposer_->RegisterCollectable(registry_);
  for (const auto& c : collectables_) exposer_->RegisterCollectable(c);
  return absl::OkStatus();
}

int ServerMetrics::port() const {
  if (!exposer_) return 0;
  auto ports = exposer_->GetListeningPorts();
  return ports.empty() ? 0 : ports.front();
}

std::string ServerMetrics::Render() const {
  auto families = registry_->Collect();
  for (const auto& c : collectables_) {
    auto more = c->Collect();
    families.insert(families.end(), more.begin(), more.end());
  }
  return prometheus::TextSerializer().Serialize(families);
}

}  // namespace cak::common
