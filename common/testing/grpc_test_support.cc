// API test helpers (see grpc_test_support.h).
#include "common/testing/grpc_test_support.h"

#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "common/grpc/dev_tokens.h"

namespace cak::common::testing {

std::shared_ptr<grpc::Channel> LocalChannel(int port) {
  return grpc::CreateChannel(absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials());
}

std::unique_ptr<grpc::ClientContext> AnonymousContext(absl::Duration deadline) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(std::chrono::system_clock::now() + absl::ToChronoNanoseconds(deadline));
  return ctx;
}

std::unique_ptr<grpc::ClientContext> ContextFor(const TestCaller& caller, absl::Duration deadline) {
  auto ctx = AnonymousContext(deadline);
  TokenClaims claims;
  claims.subject = caller.id;
  claims.roles = caller.roles;
  claims.application = caller.application;
  auto token = MintToken(claims);
  if (!token.ok()) std::abort();
  ctx->AddMetadata("authorization", absl::StrCat("Bearer ", *token));
  return ctx;
}

}  // namespace cak::common::testing
