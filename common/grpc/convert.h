// Proto <-> domain conversions every API layer needs: timestamps and enums, with the
// validation errors (reason + field) the contracts promise.
#pragma once

#include <google/protobuf/timestamp.pb.h>

#include <optional>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/base/errors.h"

namespace cak::common {

google::protobuf::Timestamp ToProtoTime(absl::Time t);

// INVALID_ARGUMENT (INVALID_FIELD_VALUE, `field`) for a timestamp outside
// 0001-01-01..9999-12-31 or with nanos out of range.
absl::StatusOr<absl::Time> FromProtoTime(const google::protobuf::Timestamp& ts, absl::string_view field);

// A required enum field: 0 (UNSPECIFIED) is REQUIRED_FIELD_MISSING, a number the contract does
// not define is UNKNOWN_ENUM_VALUE. Domain enums use the proto numbers.
template <typename DomainEnum>
absl::StatusOr<DomainEnum> RequiredEnum(int value, bool (*is_valid)(int), absl::string_view field) {
  if (value == 0) return InvalidField(reason::kRequiredFieldMissing, field, absl::StrCat(field, " is required"));
  if (!is_valid(value)) {
    return InvalidField(reason::kUnknownEnumValue, field, absl::StrCat(field, " has an unknown value ", value));
  }
  return static_cast<DomainEnum>(value);
}

// An optional enum field (filters): 0 means "not set".
template <typename DomainEnum>
absl::StatusOr<std::optional<DomainEnum>> OptionalEnum(int value, bool (*is_valid)(int), absl::string_view field) {
  if (value == 0) return std::optional<DomainEnum>();
  if (!is_valid(value)) {
    return InvalidField(reason::kUnknownEnumValue, field, absl::StrCat(field, " has an unknown value ", value));
  }
  return std::optional<DomainEnum>(static_cast<DomainEnum>(value));
}

}  // namespace cak::common
