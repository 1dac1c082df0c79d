// The signal lifecycle as a table: every allowed transition passes, every other is refused.
#include "intake-svc/src/domain/lifecycle.h"

#include <gtest/gtest.h>

#include <set>

#include "common/base/errors.h"

namespace cak::intake::domain {
namespace {

using S = SignalState;

TEST(LifecycleTest, OnlyTheDrawnTransitionsAreAllowed) {
  const std::set<std::pair<S, S>> allowed = {
      {S::kReceived, S::kInAssessment},      {S::kReceived, S::kNoAction},    {S::kInAssessment, S::kNoAction},
      {S::kInAssessment, S::kActionPlanned}, {S::kActionPlanned, S::kClosed}, {S::kNoAction, S::kReceived},
  };
  for (int f = 1; f <= 5; ++f) {
    for (int t = 1; t <= 5; ++t) {
      const S from = static_cast<S>(f), to = static_cast<S>(t);
      absl::Status st = CheckTransition(from, to, "test");
      if (allowed.count({from, to})) {
        EXPECT_TRUE(st.ok()) << StateName(from) << " -> " << StateName(to);
      } else {
        EXPECT_EQ(st.code(), absl::StatusCode::kFailedPrecondition) << StateName(from) << " -> " << StateName(to);
        EXPECT_EQ(common::ErrorReason(st), "INVALID_STATE_TRANSITION");
      }
    }
  }
}

TEST(LifecycleTest, FinalStates) {
  EXPECT_TRUE(IsFinal(S::kClosed, DeclineReason::kNone));
  EXPECT_TRUE(IsFinal(S::kNoAction, DeclineReason::kDuplicate));
  EXPECT_FALSE(IsFinal(S::kNoAction, DeclineReason::kIncomplete));  // the reporter may complete it
  EXPECT_FALSE(IsFinal(S::kActionPlanned, DeclineReason::kNone));
}

TEST(LifecycleTest, InformationOnlyWhileOpenOrIncomplete) {
  Signal s;
  s.state = S::kReceived;
  EXPECT_TRUE(CheckCanAddInformation(s).ok());
  s.state = S::kNoAction;
  s.decline_reason = DeclineReason::kIncomplete;
  EXPECT_TRUE(CheckCanAddInformation(s).ok());
  s.decline_reason = DeclineReason::kOutOfScope;
  EXPECT_EQ(CheckCanAddInformation(s).code(), absl::StatusCode::kFailedPrecondition);
  s.state = S::kClosed;
  EXPECT_EQ(CheckCanAddInformation(s).code(), absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace cak::intake::domain
