// A CallContext for domain and storage tests: what the RPC frame would build for a caller.
#pragma once

#include <string>
#include <vector>

#include "common/base/processing_log.h"

namespace cak::common::testing {

inline CallContext TestCall(const std::string& id, std::vector<std::string> roles,
                            PrincipalKind kind = PrincipalKind::kEmployee) {
  CallContext c;
  c.trace = TraceContext::NewRoot();
  c.principal = Principal{id, kind, std::move(roles)};
  return c;
}

}  // namespace cak::common::testing
