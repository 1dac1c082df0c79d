// Machine-readable reasons (google.rpc.ErrorInfo.reason) of campaign-svc's errors.
#pragma once

namespace cak::campaign::domain::reason {

inline constexpr char kCampaignNotFound[] = "CAMPAIGN_NOT_FOUND";
inline constexpr char kGroupNotFound[] = "GROUP_NOT_FOUND";
inline constexpr char kCampaignNotEditable[] = "CAMPAIGN_NOT_EDITABLE";
inline constexpr char kInvalidTransition[] = "INVALID_STATE_TRANSITION";
inline constexpr char kGroupIncomplete[] = "GROUP_INCOMPLETE";
inline constexpr char kFeasibilityNotConfirmed[] = "FEASIBILITY_NOT_CONFIRMED";
inline constexpr char kNotFeasible[] = "NOT_FEASIBLE";
inline constexpr char kFourEyesViolation[] = "FOUR_EYES_VIOLATION";
inline constexpr char kApproverRoleRequired[] = "APPROVER_ROLE_REQUIRED";
inline constexpr char kRevisionChanged[] = "REVISION_CHANGED";
inline constexpr char kSignalNotInAssessment[] = "SIGNAL_NOT_IN_ASSESSMENT";
inline constexpr char kSignalNotOpen[] = "SIGNAL_NOT_OPEN";
inline constexpr char kTargetGroupSetOfOtherSignal[] = "TARGET_GROUP_SET_OF_OTHER_SIGNAL";
inline constexpr char kOrdersNotCompleted[] = "ORDERS_NOT_COMPLETED";
inline constexpr char kInvalidWindow[] = "INVALID_WINDOW";
inline constexpr char kUnknownValue[] = "UNKNOWN_VALUE";
inline constexpr char kNoMessage[] = "NO_MESSAGE";
inline constexpr char kNothingToContact[] = "NOTHING_TO_CONTACT";
inline constexpr char kWindowStarted[] = "WINDOW_STARTED";
// A response topic that is not in the contact-report topic vocabulary (common::ContactTopics).
inline constexpr char kUnknownContactTopic[] = "UNKNOWN_CONTACT_TOPIC";

}  // namespace cak::campaign::domain::reason
