// The one conversion from absl::Status to grpc::Status. The reason travels as
// google.rpc.ErrorInfo (domain "voorlichting.cak.nl") and the offending field as
// google.rpc.BadRequest, both inside google.rpc.Status in the grpc-status-details-bin trailer,
// which every gRPC client library can decode.
#pragma once

#include <grpcpp/grpcpp.h>

#include <string>

#include "absl/status/status.h"

namespace cak::common {

inline constexpr char kErrorDomain[] = "voorlichting.cak.nl";

grpc::Status ToGrpcStatus(const absl::Status& status);

// For clients and tests: the ErrorInfo reason and BadRequest field in a grpc::Status
// (empty when absent).
struct GrpcErrorDetails {
  std::string reason;
  std::string field;
};
GrpcErrorDetails ParseGrpcErrorDetails(const grpc::Status& status);

}  // namespace cak::common
