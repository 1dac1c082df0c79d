// Input rules for signals. Every rule names the request field it is about, so the caller gets
// INVALID_ARGUMENT with a reason and a google.rpc.BadRequest field.
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
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
inline constexpr char kReasonInvalidCharacters[] = "INVALID_CHARACTERS";

// No control characters other than tab, newline and carriage return (a NUL would be cut off
// by the database driver). INVALID_ARGUMENT (INVALID_CHARACTERS, `field`).
absl::Status ValidateCharacters(absl::string_view text, absl::string_view field);

// Number of Unicode code points in valid UTF-8 `text`.
size_t Utf8Length(absl::string_view text);

// Required text of at most `max_chars` code points: INVALID_CHARACTERS for control characters,
// REQUIRED_FIELD_MISSING when empty or only white space, FIELD_TOO_LONG when longer.
absl::Status ValidateText(absl::string_view text, size_t max_chars, absl::string_view field);

// The content of a new signal (without the BSNs, which are parsed by the caller):
// description, attachments, and the number and uniqueness of the example customers.
// `field_prefix` is the request field holding it ("signal").
absl::Status ValidateNewSignal(const Signal& signal, absl::string_view field_prefix);

// "signals/{uuid}" -> the id. INVALID_ARGUMENT (INVALID_RESOURCE_NAME) otherwise.
absl::StatusOr<std::string> ParseSignalName(absl::string_view name, absl::string_view field);

}  // namespace cak::intake::domain
