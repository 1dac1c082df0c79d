// Where response measurement gets the executors' per-recipient outcomes (printed, reached,
// placed, ...): dispatch-svc owns them and names recipients by recipient list and position,
// never by BSN. The gRPC implementation is src/clients/dispatch_outcome_source; tests use a
// fake dispatch-svc or a fake of this interface.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "analysis-svc/src/domain/response.h"
#include "common/base/processing_log.h"

namespace cak::analysis::domain {

// Reasons of the outcome source.
namespace reason {
inline constexpr char kDispatchNotConfigured[] = "DISPATCH_NOT_CONFIGURED";
inline constexpr char kDispatchUnavailable[] = "DISPATCH_UNAVAILABLE";
}  // namespace reason

class OutcomeSource {
 public:
  virtual ~OutcomeSource() = default;
  // The current outcome of every recipient of the dispatch order `order_id` (the id of
  // "dispatchOrders/{id}"; dispatch-svc's RecordedOutcome.current), any order, while handling
  // `call` (its trace and deadline continue). UNAVAILABLE
  // (DISPATCH_UNAVAILABLE) when dispatch-svc cannot be reached or does not answer in time;
  // otherwise dispatch-svc's own error with its reason (e.g. NOT_FOUND for an unknown order).
  virtual absl::StatusOr<std::vector<PositionOutcome>> OrderOutcomes(const common::CallContext& call,
                                                                     const std::string& order_id) = 0;
};

}  // namespace cak::analysis::domain
