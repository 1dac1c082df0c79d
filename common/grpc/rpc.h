// The frame every RPC handler runs in. RpcEnvironment::Run
//   1. authenticates the caller (UNAUTHENTICATED) and checks the role table (PERMISSION_DENIED),
//      logging every denial;
//   2. builds the CallContext: a new span under the caller's W3C traceparent (or a new trace),
//      the principal, the start time from the injected clock, the caller's deadline;
//   3. runs the handler body, which maps proto <-> domain and nothing else;
//   4. converts the absl::Status (ToGrpcStatus), counts the RPC and its latency by code.
// So handlers stay a few lines, and no RPC can skip authentication or metrics.
#pragma once

#include <google/protobuf/message.h>
#include <grpcpp/grpcpp.h>

#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "common/base/clock.h"
#include "common/base/page_token.h"
#include "common/base/principal.h"
#include "common/base/processing_log.h"
#include "common/grpc/auth.h"
#include "common/grpc/metrics.h"

namespace cak::common {

class RpcEnvironment {
 public:
  // `metrics` may be null (unit tests). None of the pointers is owned. `page_tokens`: the
  // deployment's (PageTokens::ForDeployment) in a service; by default this process's own.
  RpcEnvironment(const Authenticator* auth, RoleTable roles, const Clock* clock, ServerMetrics* metrics,
                 PageTokens page_tokens = PageTokens());

  grpc::Status Run(grpc::ServerContext* context, absl::string_view method,
                   const std::function<absl::Status(const CallContext&)>& body) const;

  const RoleTable& roles() const { return roles_; }
  const Clock& clock() const { return *clock_; }
  const PageTokens& page_tokens() const { return page_tokens_; }

 private:
  const Authenticator* auth_;
  RoleTable roles_;
  const Clock* clock_;
  ServerMetrics* metrics_;
  PageTokens page_tokens_;
};

// SHA-256 (hex) over the request without its request_id field and the caller's id: two
// requests with the same request_id are "the same request" exactly when this matches.
std::string RequestFingerprint(const google::protobuf::Message& request, const Principal& caller);

// Adds the caller's span as "traceparent" to an outgoing call (service-to-service).
void PropagateTrace(grpc::ClientContext* context, const TraceContext& trace);

}  // namespace cak::common
