// Shared proto type conversions (see type_convert.h).
#include "common/grpc/type_convert.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/base/errors.h"
#include "common/base/random.h"

namespace cak::common {

absl::StatusOr<absl::CivilDay> DayFromProto(const cak::voorlichting::type::v1::Date& d, absl::string_view field) {
  const absl::CivilDay day(d.year(), d.month(), d.day());
  if (d.year() < 1 || d.year() > 9999 || d.month() < 1 || d.month() > 12 || d.day() < 1 || day.month() != d.month() ||
      day.day() != d.day()) {
    return InvalidField("INVALID_DATE", field, absl::StrCat(field, " is not a calendar date"));
  }
  return day;
}

void DayToProto(absl::CivilDay day, cak::voorlichting::type::v1::Date* out) {
  out->set_year(static_cast<int32_t>(day.year()));
  out->set_month(day.month());
  out->set_day(day.day());
}

absl::StatusOr<absl::CivilDay> RequiredDayFromProto(bool has, const cak::voorlichting::type::v1::Date& date,
                                                    absl::string_view field) {
  if (!has) return InvalidField(reason::kRequiredFieldMissing, field, absl::StrCat(field, " is required"));
  return DayFromProto(date, field);
}

absl::StatusOr<std::string> ParseName(absl::string_view name, absl::string_view collection, absl::string_view field) {
  const std::string prefix = absl::StrCat(collection, "/");
  if (!absl::StartsWith(name, prefix) || !IsUuid(name.substr(prefix.size()))) {
    return InvalidField(reason::kInvalidResourceName, field, absl::StrCat(field, " must be ", collection, "/{uuid}"));
  }
  return absl::AsciiStrToLower(name.substr(prefix.size()));
}

std::string IdOfPeerName(absl::string_view name, absl::string_view collection) {
  absl::StatusOr<std::string> id = ParseName(name, collection, "name");
  return id.ok() ? *id : std::string(name);
}

}  // namespace cak::common
