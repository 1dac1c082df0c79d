// The signal lifecycle (DESIGN.md section 3) as pure rules:
//
//   RECEIVED ----------------> IN_ASSESSMENT ----> ACTION_PLANNED ----> CLOSED
//      |                           |
//      +--> NO_ACTION <------------+        (decline: reason + feedback for the reporter)
//              | (only when the reason was INCOMPLETE, by adding information)
//              +--> RECEIVED
//
// A transition not drawn here is FAILED_PRECONDITION with reason INVALID_STATE_TRANSITION.
#pragma once

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "intake-svc/src/domain/signal.h"

namespace cak::intake::domain {

inline constexpr char kReasonInvalidStateTransition[] = "INVALID_STATE_TRANSITION";

absl::string_view StateName(SignalState state);

// OK when `from` -> `to` is allowed; `action` names the operation for the message.
absl::Status CheckTransition(SignalState from, SignalState to, absl::string_view action);

// Information may be added while the signal is open, and to a signal declined as INCOMPLETE
// (which reopens it). FAILED_PRECONDITION otherwise.
absl::Status CheckCanAddInformation(const Signal& signal);

// True when nothing more will happen to the signal: CLOSED, or NO_ACTION for a reason other
// than INCOMPLETE. Watch streams end there; retention counts from its final_time.
bool IsFinal(SignalState state, DeclineReason reason);

// Open signals are candidates for duplicate suggestions.
bool IsOpen(SignalState state);

}  // namespace cak::intake::domain
