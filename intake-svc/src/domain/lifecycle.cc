// Signal lifecycle rules (see lifecycle.h).
#include "intake-svc/src/domain/lifecycle.h"

#include "absl/strings/str_cat.h"
#include "common/base/errors.h"

namespace cak::intake::domain {

absl::string_view StateName(SignalState state) {
  switch (state) {
    case SignalState::kReceived:
      return "RECEIVED";
    case SignalState::kInAssessment:
      return "IN_ASSESSMENT";
    case SignalState::kNoAction:
      return "NO_ACTION";
    case SignalState::kActionPlanned:
      return "ACTION_PLANNED";
    case SignalState::kClosed:
      return "CLOSED";
  }
  return "UNKNOWN";
}

absl::Status CheckTransition(SignalState from, SignalState to, absl::string_view action) {
  using S = SignalState;
  const bool allowed = (from == S::kReceived && (to == S::kInAssessment || to == S::kNoAction)) ||
                       (from == S::kInAssessment && (to == S::kNoAction || to == S::kActionPlanned)) ||
                       (from == S::kActionPlanned && to == S::kClosed) || (from == S::kNoAction && to == S::kReceived);
  if (allowed) return absl::OkStatus();
  return common::MakeError(absl::StatusCode::kFailedPrecondition, kReasonInvalidStateTransition,
                           absl::StrCat("cannot ", action, ": the signal is ", StateName(from)));
}

absl::Status CheckCanAddInformation(const Signal& signal) {
  if (IsOpen(signal.state) && signal.state != SignalState::kActionPlanned) return absl::OkStatus();
  if (signal.state == SignalState::kNoAction && signal.decline_reason == DeclineReason::kIncomplete) {
    return absl::OkStatus();
  }
  return common::MakeError(absl::StatusCode::kFailedPrecondition, kReasonInvalidStateTransition,
                           absl::StrCat("cannot add information: the signal is ", StateName(signal.state),
                                        signal.state == SignalState::kNoAction ? " (not as incomplete)" : ""));
}

bool IsFinal(SignalState state, DeclineReason reason) {
  return state == SignalState::kClosed || (state == SignalState::kNoAction && reason != DeclineReason::kIncomplete);
}

bool IsOpen(SignalState state) {
  return state == SignalState::kReceived || state == SignalState::kInAssessment || state == SignalState::kActionPlanned;
}

}  // namespace cak::intake::domain
