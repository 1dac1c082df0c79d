// RPC frame: authentication, authorisation, trace context, metrics (see rpc.h).
#include "common/grpc/rpc.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include <chrono>

#include "common/base/errors.h"
#include "common/base/log.h"
#include "common/base/random.h"
#include "common/base/sha256.h"
#include "common/base/trace_context.h"
#include "common/grpc/status.h"

namespace cak::common {

RpcEnvironment::RpcEnvironment(const Authenticator* auth, RoleTable roles, const Clock* clock, ServerMetrics* metrics,
                               PageTokens page_tokens)
    : auth_(auth), roles_(std::move(roles)), clock_(clock), metrics_(metrics), page_tokens_(std::move(page_tokens)) {}

grpc::Status RpcEnvironment::Run(grpc::ServerContext* context, absl::string_view method,
                                 const std::function<absl::Status(const CallContext&)>& body) const {
  const auto started = std::chrono::steady_clock::now();
  if (metrics_) metrics_->RpcStarted(method);

  // Every call ends in one access-log line ("rpc": method, code, reason, duration, caller and
  // trace; never a request field, so never personal data) and in the metrics.
  std::string caller, trace_id;
  auto finish = [&](const absl::Status& status) {
    grpc::Status out = ToGrpcStatus(status);
    const absl::Duration took = absl::FromChrono(std::chrono::steady_clock::now() - started);
    if (metrics_) metrics_->RpcHandled(method, out.error_code(), took);
    log::Info("rpc", {{"method", method},
                      {"code", GrpcCodeName(out.error_code())},
                      {"reason", ErrorReason(status)},
                      {"duration_ms", absl::ToDoubleMilliseconds(took)},
                      {"caller", caller},
                      {"trace_id", trace_id}});
    return out;
  };

  absl::StatusOr<Principal> principal = auth_->Authenticate(*context);
  if (!principal.ok()) {
    log::Warning("rpc_unauthenticated", {{"method", std::string(method)},
                                         {"peer", context->peer()},
                                         {"why", std::string(principal.status().message())}});
    return finish(principal.status());
  }
  if (absl::Status st = roles_.Authorize(*principal, method); !st.ok()) {
    std::string roles;
    for (const auto& r : principal->roles) roles += (roles.empty() ? "" : "+") + r;
    log::Warning("rpc_permission_denied",
                 {{"method", std::string(method)}, {"principal", principal->id}, {"roles", roles}});
    return finish(st);
  }

  CallContext call;
  const auto& metadata = context->client_metadata();
  std::optional<absl::string_view> traceparent;
  if (auto it = metadata.find("traceparent"); it != metadata.end()) {
    traceparent = absl::string_view(it->second.data(), it->second.size());
  }
  call.trace = TraceContext::FromIncoming(traceparent);
  call.principal = *std::move(principal);
  caller = call.principal.id;
  trace_id = call.trace.TraceIdHex();
  call.start_time = clock_->Now();
  const auto deadline = context->deadline();
  if (deadline != std::chrono::system_clock::time_point::max()) {
    call.deadline = absl::FromChrono(deadline);
  }
  context->AddInitialMetadata("traceparent", call.trace.ToTraceparent());

  absl::Status status;
  if (context->IsCancelled()) {
    status = absl::CancelledError("the call was cancelled");
  } else {
    status = body(call);
  }
  if (!status.ok() && (status.code() == absl::StatusCode::kInternal || status.code() == absl::StatusCode::kUnknown ||
                       status.code() == absl::StatusCode::kDataLoss)) {
    log::Error("rpc_failed",
               {{"method", std::string(method)}, {"trace_id", call.trace.TraceIdHex()}, {"status", status}});
  }
  return finish(status);
}

std::string RequestFingerprint(const google::protobuf::Message& request, const Principal& caller) {
  std::unique_ptr<google::protobuf::Message> copy(request.New());
  copy->CopyFrom(request);
  if (const auto* field = copy->GetDescriptor()->FindFieldByName("request_id")) {
    copy->GetReflection()->ClearField(copy.get(), field);
  }
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream stream(&bytes);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    copy->SerializeToCodedStream(&coded);
  }
  bytes.append("\x1f").append(caller.id);
  return Sha256Hex(bytes);
}

void PropagateTrace(grpc::ClientContext* context, const TraceContext& trace) {
  context->AddMetadata("traceparent", trace.ToTraceparent());
}

}  // namespace cak::common
