// Prometheus metrics (see metrics.h).
#include "common/grpc/metrics.h"

#include <google/protobuf/descriptor.h>
#include <prometheus/collectable.h>
#include <prometheus/gauge.h>
#include <prometheus/text_serializer.h>
#include <sys/resource.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/base/version.h"
#include "common/db/logbook_export.h"
#include "common/db/pool.h"

namespace cak::common {
namespace {

// A family of one unlabelled value.
prometheus::MetricFamily OneValue(const char* name, const char* help, prometheus::MetricType type, double value) {
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
}

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
    using T = prometheus::MetricType;
    return {
        OneValue("logbook_export_pending_operations",
                 "Processing-log operations of committed transactions the logbook has not accepted yet (counted every "
                 "few seconds)",
                 T::Gauge, static_cast<double>(s.pending)),
        OneValue("logbook_export_lag_seconds", "Age of the oldest operation the logbook has not accepted yet", T::Gauge,
                 s.lag_seconds),
        OneValue("logbook_export_batches_total", "Export calls the logbook accepted", T::Counter,
                 static_cast<double>(s.batches)),
        OneValue("logbook_export_operations_total", "Operations the logbook accepted (a re-sent one counts again)",
                 T::Counter, static_cast<double>(s.operations)),
        OneValue("logbook_export_failures_total",
                 "Export rounds that failed (logbook or database); retried with backoff", T::Counter,
                 static_cast<double>(s.failures))};
  }

 private:
  const db::LogbookExporter* exporter_;
};

// The process's own figures, read from /proc at every scrape under the names Prometheus'
// client libraries use (process_*), so the platform's standard dashboards and alerts apply.
class ProcessCollectable : public prometheus::Collectable {
 public:
  std::vector<prometheus::MetricFamily> Collect() const override {
    using T = prometheus::MetricType;
    std::vector<prometheus::MetricFamily> out;
    const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
    // /proc/self/stat: the fields after the command name (which may hold spaces) in ")".
    std::ifstream stat_file("/proc/self/stat");
    std::string stat((std::istreambuf_iterator<char>(stat_file)), std::istreambuf_iterator<char>());
    const size_t close = stat.rfind(')');
    if (close != std::string::npos && ticks > 0) {
      std::vector<std::string> f = absl::StrSplit(stat.substr(close + 2), ' ');
      // f[0] is field 3 (state): utime is field 14, stime 15, starttime 22, vsize 23, rss 24.
      auto field = [&](size_t n) {
        double v = 0;
        return n - 3 < f.size() && absl::SimpleAtod(f[n - 3], &v) ? v : 0.0;
      };
      out.push_back(OneValue("process_cpu_seconds_total", "User and system CPU time spent in seconds", T::Counter,
                             (field(14) + field(15)) / ticks));
      out.push_back(OneValue("process_virtual_memory_bytes", "Virtual memory size in bytes", T::Gauge, field(23)));
      out.push_back(OneValue("process_resident_memory_bytes", "Resident memory size in bytes", T::Gauge,
                             field(24) * static_cast<double>(sysconf(_SC_PAGESIZE))));
      if (const double boot = BootTime(); boot > 0) {
        out.push_back(OneValue("process_start_time_seconds", "Start time of the process since unix epoch in seconds",
                               T::Gauge, boot + field(22) / ticks));
      }
    }
    std::error_code ec;
    double fds = 0;
    for (auto it = std::filesystem::directory_iterator("/proc/self/fd", ec);
         !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
      ++fds;
    }
    out.push_back(OneValue("process_open_fds", "Number of open file descriptors", T::Gauge, fds));
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) == 0) {
      out.push_back(OneValue("process_max_fds", "Maximum number of open file descriptors", T::Gauge,
                             static_cast<double>(limit.rlim_cur)));
    }
    return out;
  }

 private:
  // The boot time (btime of /proc/stat), to which a process's start time in ticks is relative.
  static double BootTime() {
    std::ifstream in("/proc/stat");
    std::string line;
    while (std::getline(in, line)) {
      double v = 0;
      if (absl::StartsWith(line, "btime ") && absl::SimpleAtod(line.substr(6), &v)) return v;
    }
    return 0;
  }
};

const char* GrpcType(const google::protobuf::MethodDescriptor& m) {
  if (m.client_streaming()) return m.server_streaming() ? "bidi_stream" : "client_stream";
  return m.server_streaming() ? "server_stream" : "unary";
}

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
  prometheus::BuildGauge()
      .Name("voorlichting_build_info")
      .Help("The suite's version and source revision this process runs (always 1)")
      .Register(*registry_)
      .Add({{"version", std::string(SuiteVersion())}, {"revision", std::string(SuiteRevision())}})
      .Set(1);
  collectables_.push_back(std::make_shared<ProcessCollectable>());
  AddMethodTypes(service_);
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
  AddMethodTypes(full_name);
}

void ServerMetrics::AddMethodTypes(const std::string& full_name) {
  const google::protobuf::ServiceDescriptor* service =
      google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(full_name);
  if (service == nullptr) return;
  for (int i = 0; i < service->method_count(); ++i) {
    method_type_[service->method(i)->name()] = GrpcType(*service->method(i));
  }
}

const std::string& ServerMetrics::ServiceOf(absl::string_view method) const {
  auto it = method_service_.find(method);
  return it == method_service_.end() ? service_ : it->second;
}

std::string ServerMetrics::TypeOf(absl::string_view method) const {
  auto it = method_type_.find(method);
  return it == method_type_.end() ? "unary" : it->second;
}

void ServerMetrics::RpcStarted(absl::string_view method) {
  started_
      ->Add({{"grpc_service", ServiceOf(method)}, {"grpc_method", std::string(method)}, {"grpc_type", TypeOf(method)}})
      .Increment();
}

void ServerMetrics::RpcHandled(absl::string_view method, grpc::StatusCode code, absl::Duration latency) {
  handled_
      ->Add({{"grpc_service", ServiceOf(method)},
             {"grpc_method", std::string(method)},
             {"grpc_type", TypeOf(method)},
             {"grpc_code", std::string(GrpcCodeName(code))}})
      .Increment();
  static const prometheus::Histogram::BucketBoundaries kBuckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                                   0.1,    0.25,  0.5,    1,     2.5,  5,     10};
  latency_
      ->Add({{"grpc_service", ServiceOf(method)}, {"grpc_method", std::string(method)}, {"grpc_type", TypeOf(method)}},
            kBuckets)
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
