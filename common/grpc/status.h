// The one conversion from absl::Status to grpc::Status. The reason travels as
// google.rpc.ErrorInfo (domain "voorlichting.cak.nl"), the offending field as
// google.rpc.BadRequest and retry advice as google.rpc.RetryInfo, all inside google.rpc.Status in the
// grpc-status-details-bin trailer, which every gRPC client library can decode.
#pragma once

#include <grpcpp/grpcpp.h>

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace cak::common {

inline constexpr char kErrorDomain[] = "voorlichting.cak.nl";

grpc::Status ToGrpcStatus(const absl::Status& status);

// For clients and tests: the ErrorInfo reason, BadRequest field and RetryInfo delay in a
// grpc::Status (empty when absent).
struct GrpcErrorDetails {
  std::string reason;
  std::string field;
  std::optional<absl::Duration> retry_delay;
};
GrpcErrorDetails ParseGrpcErrorDetails(const grpc::Status& status);

}  // namespace cak::common
