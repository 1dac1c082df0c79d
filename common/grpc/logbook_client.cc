// The logboek.v1 client and the export's wiring (see logbook_client.h).
#include "common/grpc/logbook_client.h"

#include <chrono>

#include "absl/strings/str_cat.h"
#include "common/base/log.h"
#include "common/grpc/convert.h"
#include "common/grpc/service_config.h"

namespace cak::common {
namespace {

logboek::v1::StatusCode ToStatusCode(ProcessingStatus status) {
  switch (status) {
    case ProcessingStatus::kOk:
      return logboek::v1::STATUS_CODE_OK;
    case ProcessingStatus::kError:
      return logboek::v1::STATUS_CODE_ERROR;
    case ProcessingStatus::kUnset:
      break;
  }
  return logboek::v1::STATUS_CODE_UNKNOWN;
}

}  // namespace

void ToProto(const LogbookOperation& op, logboek::v1::ProcessingOperation* out) {
  out->set_trace_id(op.trace_id);
  out->set_operation_id(op.operation_id);
  out->set_parent_operation_id(op.parent_operation_id);
  out->set_name(op.name);
  *out->mutable_start_time() = ToProtoTime(op.start_time);
  *out->mutable_end_time() = ToProtoTime(op.end_time);
  out->set_status_code(ToStatusCode(op.status));
  if (!op.foreign_operation_id.empty()) {
    auto* foreign = out->mutable_foreign_operation();
    foreign->set_trace_id(op.foreign_trace_id);
    foreign->set_operation_id(op.foreign_operation_id);
    foreign->set_entity(op.foreign_entity);
  }
  for (const auto& [k, v] : op.attributes) {
    auto* a = out->add_attributes();
    a->set_key(k);
    a->set_value(v);
  }
}

absl::StatusOr<std::unique_ptr<GrpcLogbookSink>> GrpcLogbookSink::Create(PeerOptions peer, std::string resource,
                                                                         absl::Duration timeout) {
  auto channel = PeerChannel::Create(std::move(peer));
  if (!channel.ok()) return channel.status();
  return std::unique_ptr<GrpcLogbookSink>(new GrpcLogbookSink(*std::move(channel), std::move(resource), timeout));
}

GrpcLogbookSink::GrpcLogbookSink(std::unique_ptr<PeerChannel> channel, std::string resource, absl::Duration timeout)
    : channel_(std::move(channel)),
      stub_(logboek::v1::LogboekService::NewStub(channel_->channel())),
      resource_(std::move(resource)),
      timeout_(timeout) {}

absl::Status GrpcLogbookSink::Export(const std::vector<LogbookOperation>& operations) {
  logboek::v1::ExportOperationsRequest request;
  request.mutable_resource()->set_name(resource_);
  request.mutable_resource()->set_version(std::string(SuiteVersion()));
  request.mutable_operations()->Reserve(static_cast<int>(operations.size()));
  for (const LogbookOperation& op : operations) ToProto(op, request.add_operations());
  // The logbook is not one of the suite's services: no call context, only the channel's
  // credentials (and its bearer token when configured).
  CallContext none;
  none.trace = TraceContext::NewRoot();
  auto context = channel_->Context(none, timeout_);
  if (!context.ok()) return context.status();
  logboek::v1::ExportOperationsResponse response;
  const grpc::Status st = stub_->Export(context->get(), request, &response);
  return st.ok() ? absl::OkStatus() : FromPeerStatus(st, "logbook");
}

LogbookExport::LogbookExport(std::unique_ptr<GrpcLogbookSink> sink, db::PgPool* pool, db::LogbookExportOptions options)
    : sink_(std::move(sink)), exporter_(pool, sink_.get(), std::move(options)) {
  exporter_.Start();
}

LogbookExport::~LogbookExport() { exporter_.Stop(); }

absl::StatusOr<std::unique_ptr<LogbookExport>> StartLogbookExport(const ServiceConfig& config, db::PgPool* pool,
                                                                  const std::string& service, ServerMetrics* metrics) {
  if (config.logbook_address.empty()) {
    log::Info("logbook_export_off", {{"why", "--logbook-address is empty"}});
    return std::unique_ptr<LogbookExport>();
  }
  PeerOptions peer;
  peer.address = config.logbook_address;
  peer.ca_file = config.logbook_ca_file;
  peer.cert_file = config.logbook_cert_file;
  peer.key_file = config.logbook_key_file;
  peer.token_file = config.logbook_token_file;
  peer.max_message_bytes = 64 << 20;
  // The exporter has its own backoff with jitter; the channel only has to notice a logbook
  // that is back.
  peer.max_reconnect_backoff = absl::Seconds(5);
  auto sink = GrpcLogbookSink::Create(std::move(peer), service);
  if (!sink.ok()) return absl::InvalidArgumentError(absl::StrCat("logbook: ", sink.status().message()));
  db::LogbookExportOptions options;
  options.schema = config.db_schema;
  options.logbook = config.logbook_address;
  auto running = std::make_unique<LogbookExport>(*std::move(sink), pool, std::move(options));
  if (metrics) metrics->ObserveLogbookExport(&running->exporter());
  log::Info("logbook_export_on", {{"logbook", config.logbook_address}, {"tls", !config.logbook_ca_file.empty()}});
  return running;
}

}  // namespace cak::common
