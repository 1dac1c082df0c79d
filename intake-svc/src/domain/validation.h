// Input rules for signals. Every rule names the request field it is about, so the caller gets
// INVALID_ARGUMENT with a reason and a google.rpc.BadRequest field.
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "common/base/text_rules.h"
#include "intake-svc/src/domain/signal.h"

namespace cak::intake::domain {

inline constexpr size_t kMaxDescriptionChars = 10000;
inline constexpr size_t kMaxInformationChars = 10000;
inline constexpr size_t kMaxFeedbackChars = 4000;
inline constexpr size_t kMaxCampaignChars = 200;
inline constexpr size_t kMaxExampleCustomers = 1000;
inline constexpr size_t kMaxAttachments = 20;
inline constexpr int64_t kMaxAttachmentBytes = int64_t{1} << 30;

inline constexpr char kReasonTooManyItems[] = "TOO_MANY_ITEMS";
inline constexpr char kReasonDuplicateValue[] = "DUPLICATE_VALUE";
inline constexpr char kReasonInvalidTimeWindow[] = "INVALID_TIME_WINDOW";
// The free-text rules every service shares (common/base/text_rules.h).
using common::kReasonInvalidCharacters;
using common::Utf8Length;
using common::ValidateCharacters;
using common::ValidateText;

// The content of a new signal (without the BSNs, which are parsed by the caller):
// description, attachments, and the number and uniqueness of the example customers.
// `field_prefix` is the request field holding it ("signal").
absl::Status ValidateNewSignal(const Signal& signal, absl::string_view field_prefix);

// "signals/{uuid}" -> the id. INVALID_ARGUMENT (INVALID_RESOURCE_NAME) otherwise.
absl::StatusOr<std::string> ParseSignalName(absl::string_view name, absl::string_view field);

}  // namespace cak::intake::domain
