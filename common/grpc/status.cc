// absl::Status -> grpc::Status with rich error details (see status.h).
#include "common/grpc/status.h"

#include "common/base/errors.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"

namespace cak::common {

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  const auto code = static_cast<grpc::StatusCode>(status.code());
  const std::string message(status.message());
  const std::string reason = ErrorReason(status);
  const std::string field = ErrorField(status);
  const std::optional<absl::Duration> retry_delay = RetryDelay(status);
  if (reason.empty() && field.empty() && !retry_delay) return grpc::Status(code, message);

  google::rpc::Status rich;
  rich.set_code(static_cast<int>(code));
  rich.set_message(message);
  if (!reason.empty()) {
    google::rpc::ErrorInfo info;
    info.set_reason(reason);
    info.set_domain(kErrorDomain);
    if (!field.empty()) (*info.mutable_metadata())["field"] = field;
    rich.add_details()->PackFrom(info);
  }
  if (!field.empty()) {
    google::rpc::BadRequest bad_request;
    auto* violation = bad_request.add_field_violations();
    violation->set_field(field);
    violation->set_description(message);
    rich.add_details()->PackFrom(bad_request);
  }
  if (retry_delay) {
    google::rpc::RetryInfo retry;
    const int64_t ms = absl::ToInt64Milliseconds(*retry_delay);
    retry.mutable_retry_delay()->set_seconds(ms / 1000);
    retry.mutable_retry_delay()->set_nanos(static_cast<int32_t>(ms % 1000) * 1000000);
    rich.add_details()->PackFrom(retry);
  }
  return grpc::Status(code, message, rich.SerializeAsString());
}

GrpcErrorDetails ParseGrpcErrorDetails(const grpc::Status& status) {
  GrpcErrorDetails out;
  google::rpc::Status rich;
  if (status.error_details().empty() || !rich.ParseFromString(status.error_details())) return out;
  for (const auto& any : rich.details()) {
    google::rpc::ErrorInfo info;
    google::rpc::BadRequest bad_request;
    google::rpc::RetryInfo retry;
    if (any.UnpackTo(&info)) {
      out.reason = info.reason();
    } else if (any.UnpackTo(&bad_request) && bad_request.field_violations_size() > 0) {
      out.field = bad_request.field_violations(0).field();
    } else if (any.UnpackTo(&retry)) {
      out.retry_delay = absl::Seconds(retry.retry_delay().seconds()) + absl::Nanoseconds(retry.retry_delay().nanos());
    }
  }
  return out;
}

}  // namespace cak::common
