// Fuzz: bearer tokens as callers send them. Whatever the text, verification answers a
// principal or UNAUTHENTICATED, never anything else; and nothing the fuzzer makes up passes
// (it has no private key), except a token it was given that the development key signed.
#include <cstdint>
#include <memory>
#include <string>

#include "common/base/clock.h"
#include "common/grpc/auth.h"

namespace {

// A fixed clock inside the validity of the seed corpus's tokens.
class FixedClock final : public cak::common::Clock {
 public:
  absl::Time Now() const override { return absl::FromUnixSeconds(1793000000); }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const FixedClock clock;
  static const std::unique_ptr<cak::common::Authenticator> auth = [] {
    cak::common::AuthOptions options;
    options.mode = "development";
    return *cak::common::Authenticator::Create(options, &clock);
  }();
  const std::string token(reinterpret_cast<const char*>(data), size);
  auto principal = auth->VerifyToken(token);
  if (!principal.ok() && principal.status().code() != absl::StatusCode::kUnauthenticated) __builtin_trap();
  if (principal.ok() && principal->id.empty()) __builtin_trap();
  return 0;
}
