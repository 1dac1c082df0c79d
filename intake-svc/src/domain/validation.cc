// Signal input rules (see validation.h).
#include "intake-svc/src/domain/validation.h"

#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/base/errors.h"
#include "common/base/random.h"

namespace cak::intake::domain {

using common::InvalidField;
namespace reason = common::reason;

namespace {

bool IsLowerHex64(absl::string_view s) {
  if (s.size() != 64) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

bool IsMediaType(absl::string_view s) {
  const size_t slash = s.find('/');
  if (slash == absl::string_view::npos || slash == 0 || slash + 1 == s.size() || s.size() > 127) return false;
  for (char c : s) {
    if (!(absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '/' || c == '.' || c == '+' || c == '-' ||
          c == '_')) {
      return false;
    }
  }
  return s.find('/', slash + 1) == absl::string_view::npos;
}

absl::Status ValidateAttachment(const Attachment& a, const std::string& f) {
  if (absl::Status st = ValidateText(a.file_name, 255, f + ".file_name"); !st.ok()) return st;
  if (a.media_type.empty()) {
    return InvalidField(reason::kRequiredFieldMissing, f + ".media_type", "media_type is required");
  }
  if (!IsMediaType(a.media_type)) {
    return InvalidField(reason::kInvalidFieldValue, f + ".media_type", "media_type is not a media type (type/subtype)");
  }
  if (a.size_bytes < 0 || a.size_bytes > kMaxAttachmentBytes) {
    return InvalidField(reason::kInvalidFieldValue, f + ".size_bytes", "size_bytes must be between 0 and 1 GiB");
  }
  if (a.uri.empty()) return InvalidField(reason::kRequiredFieldMissing, f + ".uri", "uri is required");
  CAK_RETURN_IF_ERROR(ValidateCharacters(a.uri, f + ".uri"));
  if (a.uri.size() > 2048) return InvalidField(reason::kFieldTooLong, f + ".uri", "uri is longer than 2048 characters");
  if (!IsLowerHex64(a.sha256)) {
    return InvalidField(reason::kInvalidFieldValue, f + ".sha256", "sha256 must be 64 lower-case hex characters");
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateNewSignal(const Signal& signal, absl::string_view field_prefix) {
  const std::string p(field_prefix);
  if (absl::Status st = ValidateText(signal.description, kMaxDescriptionChars, p + ".description"); !st.ok()) {
    return st;
  }
  if (signal.example_customers.size() > kMaxExampleCustomers) {
    return InvalidField(kReasonTooManyItems, p + ".example_customer_bsns",
                        absl::StrCat("at most ", kMaxExampleCustomers, " example customers"));
  }
  std::set<common::Bsn> seen;
  for (size_t i = 0; i < signal.example_customers.size(); ++i) {
    if (!seen.insert(signal.example_customers[i]).second) {
      return InvalidField(kReasonDuplicateValue, absl::StrCat(p, ".example_customer_bsns[", i, "]"),
                          "this BSN is already in the list");
    }
  }
  if (signal.attachments.size() > kMaxAttachments) {
    return InvalidField(kReasonTooManyItems, p + ".attachments",
                        absl::StrCat("at most ", kMaxAttachments, " attachments"));
  }
  for (size_t i = 0; i < signal.attachments.size(); ++i) {
    if (absl::Status st = ValidateAttachment(signal.attachments[i], absl::StrCat(p, ".attachments[", i, "]"));
        !st.ok()) {
      return st;
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> ParseSignalName(absl::string_view name, absl::string_view field) {
  absl::string_view id = name;
  if (name.empty()) {
    return InvalidField(reason::kRequiredFieldMissing, field, absl::StrCat(field, " is required"));
  }
  if (!absl::ConsumePrefix(&id, "signals/") || !common::IsUuid(id)) {
    return InvalidField(reason::kInvalidResourceName, field, absl::StrCat(field, " must look like signals/{uuid}"));
  }
  return absl::AsciiStrToLower(id);
}

}  // namespace cak::intake::domain
