// Implementation of the reason / field payload helpers (see errors.h).
#include "common/base/errors.h"

#include "absl/strings/cord.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace cak::common {

absl::Status MakeError(absl::StatusCode code, absl::string_view reason, absl::string_view message) {
  absl::Status status(code, message);
  status.SetPayload(kReasonPayloadUrl, absl::Cord(reason));
  return status;
}

absl::Status FieldError(absl::StatusCode code, absl::string_view reason, absl::string_view field,
                        absl::string_view message) {
  absl::Status status = MakeError(code, reason, message);
  status.SetPayload(kFieldPayloadUrl, absl::Cord(field));
  return status;
}

absl::Status InvalidField(absl::string_view reason, absl::string_view field, absl::string_view message) {
  return FieldError(absl::StatusCode::kInvalidArgument, reason, field, message);
}

std::string ErrorReason(const absl::Status& status) {
  auto payload = status.GetPayload(kReasonPayloadUrl);
  return payload ? std::string(*payload) : std::string();
}

std::string ErrorField(const absl::Status& status) {
  auto payload = status.GetPayload(kFieldPayloadUrl);
  return payload ? std::string(*payload) : std::string();
}

absl::Status WithRetryDelay(absl::Status status, absl::Duration delay) {
  if (status.ok()) return status;
  status.SetPayload(kRetryDelayPayloadUrl, absl::Cord(absl::StrCat(absl::ToInt64Milliseconds(delay))));
  return status;
}

std::optional<absl::Duration> RetryDelay(const absl::Status& status) {
  auto payload = status.GetPayload(kRetryDelayPayloadUrl);
  int64_t ms = 0;
  if (!payload || !absl::SimpleAtoi(std::string(*payload), &ms)) return std::nullopt;
  return absl::Milliseconds(ms);
}

absl::Status PrefixField(absl::Status status, absl::string_view prefix) {
  if (status.ok()) return status;
  std::string field = ErrorField(status);
  status.SetPayload(kFieldPayloadUrl,
                    absl::Cord(field.empty() ? std::string(prefix) : absl::StrCat(prefix, ".", field)));
  return status;
}

}  // namespace cak::common
