// Error helpers shared by every layer: absl::Status values that carry a machine-readable
// reason (UPPER_SNAKE, becomes google.rpc.ErrorInfo.reason) and, for validation errors, the
// offending request field (becomes google.rpc.BadRequest.field_violations[].field) and, for
// a retryable refusal, when to try again (becomes google.rpc.RetryInfo.retry_delay).
//
// The domain and storage layers produce these; only common/grpc/status_conversion turns them
// into grpc::Status. Reasons and fields travel as absl::Status payloads so that the domain
// needs neither protobuf nor gRPC.
#pragma once

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace cak::common {

// Payload type URLs under which reason and field are stored in an absl::Status.
inline constexpr char kReasonPayloadUrl[] = "type.cak.nl/voorlichting.ErrorReason";
inline constexpr char kFieldPayloadUrl[] = "type.cak.nl/voorlichting.ErrorField";
inline constexpr char kRetryDelayPayloadUrl[] = "type.cak.nl/voorlichting.RetryDelay";

// Reasons used by more than one service. Service-specific reasons live with their domain.
namespace reason {
inline constexpr char kRequiredFieldMissing[] = "REQUIRED_FIELD_MISSING";
inline constexpr char kUnknownEnumValue[] = "UNKNOWN_ENUM_VALUE";
inline constexpr char kFieldTooLong[] = "FIELD_TOO_LONG";
inline constexpr char kInvalidFieldValue[] = "INVALID_FIELD_VALUE";
inline constexpr char kInvalidBsn[] = "INVALID_BSN";
inline constexpr char kInvalidPageSize[] = "INVALID_PAGE_SIZE";
inline constexpr char kInvalidPageToken[] = "INVALID_PAGE_TOKEN";
inline constexpr char kInvalidResourceName[] = "INVALID_RESOURCE_NAME";
inline constexpr char kInvalidRequestId[] = "INVALID_REQUEST_ID";
inline constexpr char kRequestIdReused[] = "REQUEST_ID_REUSED";
inline constexpr char kUnauthenticated[] = "UNAUTHENTICATED";
inline constexpr char kPermissionDenied[] = "PERMISSION_DENIED";
inline constexpr char kDatabaseUnavailable[] = "DATABASE_UNAVAILABLE";
inline constexpr char kDatabasePoolExhausted[] = "DATABASE_POOL_EXHAUSTED";
inline constexpr char kDatabaseError[] = "DATABASE_ERROR";
inline constexpr char kConcurrentUpdate[] = "CONCURRENT_UPDATE";
inline constexpr char kShuttingDown[] = "SHUTTING_DOWN";
}  // namespace reason

// An error with a reason.
absl::Status MakeError(absl::StatusCode code, absl::string_view reason, absl::string_view message);

// An error with a reason and the request field it is about (e.g. "signal.description",
// "signal.example_customer_bsns[2]").
absl::Status FieldError(absl::StatusCode code, absl::string_view reason, absl::string_view field,
                        absl::string_view message);

// Shorthand for FieldError(INVALID_ARGUMENT, ...).
absl::Status InvalidField(absl::string_view reason, absl::string_view field, absl::string_view message);

// The reason / field stored in a status; empty when there is none.
std::string ErrorReason(const absl::Status& status);
std::string ErrorField(const absl::Status& status);

// `status` with advice on when a retry may succeed (an estimate; for UNAVAILABLE and
// RESOURCE_EXHAUSTED refusals that clear by themselves), and that advice, if any.
absl::Status WithRetryDelay(absl::Status status, absl::Duration delay);
std::optional<absl::Duration> RetryDelay(const absl::Status& status);

// Returns `status` with `prefix` + "." prepended to its field (for nested validation).
absl::Status PrefixField(absl::Status status, absl::string_view prefix);

}  // namespace cak::common

#define CAK_STATUS_CONCAT_INNER_(a, b) a##b
#define CAK_STATUS_CONCAT_(a, b) CAK_STATUS_CONCAT_INNER_(a, b)

// Returns from the current function when `expr` (an absl::Status) is not OK.
#define CAK_RETURN_IF_ERROR(expr)                               \
  do {                                                          \
    if (absl::Status cak_status_ = (expr); !cak_status_.ok()) { \
      return cak_status_;                                       \
    }                                                           \
  } while (false)

// Evaluates `rexpr` (an absl::StatusOr<T>); returns its status when not OK, else moves the
// value into `lhs` (which may be a declaration, e.g. `auto x`).
#define CAK_ASSIGN_OR_RETURN(lhs, rexpr) \
  CAK_ASSIGN_OR_RETURN_IMPL_(CAK_STATUS_CONCAT_(cak_statusor_, __LINE__), lhs, rexpr)
#define CAK_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, rexpr) \
  auto statusor = (rexpr);                               \
  if (!statusor.ok()) {                                  \
    return std::move(statusor).status();                 \
  }                                                      \
  lhs = std::move(statusor).value()
