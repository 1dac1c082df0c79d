// Reference-value names and small date helpers (see model.h).
#include "analysis-svc/src/domain/model.h"

#include <cstdio>

#include "absl/strings/ascii.h"

namespace cak::analysis::domain {

namespace {

template <size_t N>
absl::string_view NameOf(const std::array<absl::string_view, N>& names, int value) {
  return value > 0 && value < static_cast<int>(N) ? names[value] : absl::string_view();
}

template <size_t N>
std::optional<int> NumberOf(const std::array<absl::string_view, N>& names, absl::string_view name) {
  for (size_t i = 1; i < N; ++i) {
    if (names[i] == name) return static_cast<int>(i);
  }
  return std::nullopt;
}

constexpr std::array<absl::string_view, 5> kRegulations = {"", "WLZ", "WMO", "WANBETALERS", "ONVERZEKERDEN"};
constexpr std::array<absl::string_view, 4> kSalutations = {"", "MR", "MS", "NEUTRAL"};
constexpr std::array<absl::string_view, 3> kRelationKinds = {"", "LEGAL_REPRESENTATIVE", "CONTACT_PERSON"};
constexpr std::array<absl::string_view, 3> kRoutingPreferences = {"", "CUSTOMER", "RELATION"};
constexpr std::array<absl::string_view, 6> kMailingTypes = {"",         "ANNUAL_STATEMENT", "INVOICE",
                                                            "DECISION", "PAYMENT_REMINDER", "NEWSLETTER"};
constexpr std::array<absl::string_view, 5> kContactChannels = {"", "PHONE", "LETTER", "EMAIL", "WEBSITE"};
constexpr std::array<absl::string_view, 4> kRoutings = {"", "CUSTOMER", "REPRESENTATIVE", "CONTACT_PERSON"};
constexpr std::array<absl::string_view, 5> kDatasets = {"", "customers", "relations", "mailings", "contact_reports"};

}  // namespace

absl::string_view RegulationName(int value) { return NameOf(kRegulations, value); }
absl::string_view SalutationName(int value) { return NameOf(kSalutations, value); }
absl::string_view RelationKindName(int value) { return NameOf(kRelationKinds, value); }
absl::string_view RoutingPreferenceName(int value) { return NameOf(kRoutingPreferences, value); }
absl::string_view MailingTypeName(int value) { return NameOf(kMailingTypes, value); }
absl::string_view ContactChannelName(int value) { return NameOf(kContactChannels, value); }
absl::string_view RoutingName(int value) { return NameOf(kRoutings, value); }
std::optional<int> ParseRegulation(absl::string_view name) { return NumberOf(kRegulations, name); }
std::optional<int> ParseSalutation(absl::string_view name) { return NumberOf(kSalutations, name); }
std::optional<int> ParseRelationKind(absl::string_view name) { return NumberOf(kRelationKinds, name); }
std::optional<int> ParseRoutingPreference(absl::string_view name) { return NumberOf(kRoutingPreferences, name); }
std::optional<int> ParseMailingType(absl::string_view name) { return NumberOf(kMailingTypes, name); }
std::optional<int> ParseContactChannel(absl::string_view name) { return NumberOf(kContactChannels, name); }

absl::string_view DatasetName(Dataset dataset) { return kDatasets[static_cast<int>(dataset)]; }

std::optional<Dataset> DatasetFromNumber(int value) {
  if (value < 1 || value > 4) return std::nullopt;
  return static_cast<Dataset>(value);
}

int AgeInYears(absl::CivilDay birth, absl::CivilDay on) {
  int age = static_cast<int>(on.year() - birth.year());
  if (on.month() < birth.month() || (on.month() == birth.month() && on.day() < birth.day())) --age;
  return age;
}

std::optional<int> ParseMunicipalityCode(absl::string_view code) {
  if (code.size() != 6 || code[0] != 'G' || code[1] != 'M') return std::nullopt;
  int n = 0;
  for (size_t i = 2; i < 6; ++i) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(code[i]))) return std::nullopt;
    n = n * 10 + (code[i] - '0');
  }
  return n;
}

std::string MunicipalityCode(int number) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "GM%04d", number % 10000);
  return buf;
}

common::Bsn BsnOf(int32_t bsn) { return *common::Bsn::Parse(FormatBsn(bsn)); }

std::string FormatBsn(int32_t bsn) {
  char buf[12];
  std::snprintf(buf, sizeof buf, "%09d", bsn);
  return buf;
}

}  // namespace cak::analysis::domain
