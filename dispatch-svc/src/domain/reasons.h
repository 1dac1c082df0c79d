// Machine-readable reasons (google.rpc.ErrorInfo.reason) specific to dispatch-svc.
#pragma once

namespace cak::dispatch::domain::reason {
inline constexpr char kLocationOutsideEu[] = "LOCATION_OUTSIDE_EU";
inline constexpr char kExecutorExists[] = "EXECUTOR_ALREADY_EXISTS";
inline constexpr char kExecutorNotFound[] = "EXECUTOR_NOT_FOUND";
inline constexpr char kUnknownExecutor[] = "UNKNOWN_EXECUTOR_IDENTITY";
inline constexpr char kNoExecutorForChannel[] = "NO_EXECUTOR_FOR_CHANNEL";
inline constexpr char kWindowInPast[] = "WINDOW_IN_PAST";
inline constexpr char kWindowInverted[] = "WINDOW_INVERTED";
inline constexpr char kWindowTooLong[] = "WINDOW_TOO_LONG";
inline constexpr char kFeasibilityNotFound[] = "FEASIBILITY_CHECK_NOT_FOUND";
inline constexpr char kAlreadyDecided[] = "ALREADY_DECIDED";
inline constexpr char kFeasibilityNotConfirmed[] = "FEASIBILITY_NOT_CONFIRMED";
inline constexpr char kFeasibilityMismatch[] = "FEASIBILITY_CHECK_MISMATCH";
inline constexpr char kRecipientListNotFound[] = "RECIPIENT_LIST_NOT_FOUND";
inline constexpr char kEmptyRecipientList[] = "EMPTY_RECIPIENT_LIST";
inline constexpr char kInsufficientCapacity[] = "INSUFFICIENT_CAPACITY";
inline constexpr char kOrderNotFound[] = "DISPATCH_ORDER_NOT_FOUND";
inline constexpr char kBatchNotFound[] = "BATCH_NOT_FOUND";
inline constexpr char kBatchNotWritten[] = "BATCH_NOT_WRITTEN";
inline constexpr char kOutcomeNotInBatch[] = "OUTCOME_RECIPIENT_NOT_IN_BATCH";
inline constexpr char kOutcomeNotForChannel[] = "OUTCOME_NOT_FOR_CHANNEL";
inline constexpr char kOutcomeInFuture[] = "OUTCOME_TIME_IN_FUTURE";
inline constexpr char kDuplicateOutcome[] = "DUPLICATE_OUTCOME_IN_REQUEST";
inline constexpr char kRecipientsUnavailable[] = "RECIPIENT_SOURCE_UNAVAILABLE";
inline constexpr char kRecipientListChanged[] = "RECIPIENT_LIST_CHANGED";
inline constexpr char kDeliveryStorageFull[] = "DELIVERY_STORAGE_FULL";
inline constexpr char kDeliveryIoError[] = "DELIVERY_IO_ERROR";
}  // namespace cak::dispatch::domain::reason
