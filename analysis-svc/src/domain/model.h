// The vocabulary of analysis-svc's domain: the reference values of the source systems (their
// numbers are the proto enum numbers, so storage and API convert one to one), calendar days as
// plain integers for the columnar engine, and the names used in CSV files and breakdowns.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "common/base/bsn.h"

namespace cak::analysis::domain {

enum class Regulation : uint8_t { kWlz = 1, kWmo = 2, kWanbetalers = 3, kOnverzekerden = 4 };
enum class Salutation : uint8_t { kMr = 1, kMs = 2, kNeutral = 3 };
enum class RelationKind : uint8_t { kLegalRepresentative = 1, kContactPerson = 2 };
enum class RoutingPreference : uint8_t { kCustomer = 1, kRelation = 2 };
enum class MailingType : uint8_t {
  kAnnualStatement = 1,
  kInvoice = 2,
  kDecision = 3,
  kPaymentReminder = 4,
  kNewsletter = 5
};
enum class ContactChannel : uint8_t { kPhone = 1, kLetter = 2, kEmail = 3, kWebsite = 4 };
enum class Routing : uint8_t { kCustomer = 1, kRepresentative = 2, kContactPerson = 3 };
enum class Dataset : uint8_t { kCustomers = 1, kRelations = 2, kMailings = 3, kContactReports = 4 };

// Largest enum number + 1 of each, for per-value count arrays indexed by the number.
inline constexpr int kRegulationSlots = 5;
inline constexpr int kMailingTypeSlots = 6;
inline constexpr int kContactChannelSlots = 5;
inline constexpr int kRoutingSlots = 4;

// Names as they appear in CSV files and as breakdown keys ("WLZ", "LEGAL_REPRESENTATIVE"):
// the proto enum value names without their prefix. An unknown name or number gives nullopt / "".
absl::string_view RegulationName(int value);
absl::string_view SalutationName(int value);
absl::string_view RelationKindName(int value);
absl::string_view RoutingPreferenceName(int value);
absl::string_view MailingTypeName(int value);
absl::string_view ContactChannelName(int value);
absl::string_view RoutingName(int value);
std::optional<int> ParseRegulation(absl::string_view name);
std::optional<int> ParseSalutation(absl::string_view name);
std::optional<int> ParseRelationKind(absl::string_view name);
std::optional<int> ParseRoutingPreference(absl::string_view name);
std::optional<int> ParseMailingType(absl::string_view name);
std::optional<int> ParseContactChannel(absl::string_view name);

// Table name stem of a data set ("customers", "relations", "mailings", "contact_reports").
absl::string_view DatasetName(Dataset dataset);
std::optional<Dataset> DatasetFromNumber(int value);
inline constexpr std::array<Dataset, 4> kAllDatasets = {Dataset::kCustomers, Dataset::kRelations, Dataset::kMailings,
                                                        Dataset::kContactReports};

// Days since 1970-01-01: the columnar engine compares dates as integers.
using DayNumber = int32_t;
inline DayNumber ToDayNumber(absl::CivilDay day) { return static_cast<DayNumber>(day - absl::CivilDay(1970, 1, 1)); }
inline absl::CivilDay FromDayNumber(DayNumber n) { return absl::CivilDay(1970, 1, 1) + n; }

// Whole years between `birth` and `on` (the age on that day).
int AgeInYears(absl::CivilDay birth, absl::CivilDay on);

// "GM0363" -> 363; nullopt when not "GM" + 4 digits.
std::optional<int> ParseMunicipalityCode(absl::string_view code);
std::string MunicipalityCode(int number);

// A BSN as stored (integer) and as written (9 digits with leading zeros).
std::string FormatBsn(int32_t bsn);
// A stored BSN as the value type (it passed the 11-test when it was imported).
common::Bsn BsnOf(int32_t bsn);

}  // namespace cak::analysis::domain
