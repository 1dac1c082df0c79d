// Helpers for API tests over a real gRPC channel: a channel to 127.0.0.1:<port> and client
// contexts carrying a development bearer token for a chosen principal.
#pragma once

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/time/time.h"

namespace cak::common::testing {

std::shared_ptr<grpc::Channel> LocalChannel(int port);

struct TestCaller {
  std::string id = "emp-1001";
  std::vector<std::string> roles;
  bool application = false;
};

// A context with "authorization: Bearer <dev token>" for `caller` and a deadline.
std::unique_ptr<grpc::ClientContext> ContextFor(const TestCaller& caller, absl::Duration deadline = absl::Seconds(10));

// A context without credentials.
std::unique_ptr<grpc::ClientContext> AnonymousContext(absl::Duration deadline = absl::Seconds(10));

}  // namespace cak::common::testing
