// Conversions of the suite's shared proto types (cak.voorlichting.type.v1) and resource names,
// for every API layer: one rule for what a valid date and a valid "<collection>/{uuid}" are.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "cak/voorlichting/type/v1/date.pb.h"

namespace cak::common {

// Date -> civil day; INVALID_ARGUMENT (INVALID_DATE, `field`) when it is no calendar date.
absl::StatusOr<absl::CivilDay> DayFromProto(const cak::voorlichting::type::v1::Date& date, absl::string_view field);
void DayToProto(absl::CivilDay day, cak::voorlichting::type::v1::Date* out);
// A required date field (`has` is the message's has_<field>()): REQUIRED_FIELD_MISSING when
// unset, else as DayFromProto.
absl::StatusOr<absl::CivilDay> RequiredDayFromProto(bool has, const cak::voorlichting::type::v1::Date& date,
                                                    absl::string_view field);

// Resource names: "<collection>/{uuid}" -> the id (lower case); INVALID_ARGUMENT
// INVALID_RESOURCE_NAME for anything else.
absl::StatusOr<std::string> ParseName(absl::string_view name, absl::string_view collection, absl::string_view field);

// The id in a resource name a peer service returned ("recipientLists/{id}" -> id): the peer's
// contract guarantees the form, so anything else comes back unchanged rather than failing.
std::string IdOfPeerName(absl::string_view name, absl::string_view collection);

}  // namespace cak::common
