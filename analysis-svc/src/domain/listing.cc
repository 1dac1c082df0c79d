// Listing columns and CSV (see listing.h).
#include "analysis-svc/src/domain/listing.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "analysis-svc/src/domain/analysis_service.h"
#include "common/base/csv.h"
#include "common/base/errors.h"

namespace cak::analysis::domain {

namespace {

// Column names per field: [0] pseudonymised, [1] full.
const char* ColumnName(ListingField f, bool full) {
  switch (f) {
    case ListingField::kBsn:
      return full ? "bsn" : "pseudonym";
    // Refused outside the full view (ValidateListingFields).
    case ListingField::kCustomerNumber:
      return "customer_number";
    case ListingField::kName:
      return "name";
    case ListingField::kAddress:
      return "address";
    case ListingField::kPostcode:
      return full ? "postcode" : "postcode_digits";
    case ListingField::kMunicipality:
      return "municipality_code";
    case ListingField::kRegulation:
      return "regulation";
    case ListingField::kAge:
      return full ? "age" : "age_band";
    case ListingField::kRouting:
      return "routing";
    case ListingField::kDebt:
      return full ? "debt_cents" : "debt_band";
    case ListingField::kPaymentPlan:
      return "payment_plan";
    case ListingField::kActive:
      return "active";
  }
  return "";
}

std::string FullName(const CustomerDetails& d) {
  std::string out = d.initials;
  for (const std::string* part : {&d.name_prefix, &d.surname}) {
    if (part->empty()) continue;
    if (!out.empty()) out.push_back(' ');
    out += *part;
  }
  return out;
}

// "Kerkstraat 12 A, 1234 AB Utrecht"; empty without a known address.
std::string Address(const CustomerDetails& d) {
  if (d.street.empty()) return "";
  std::string out = absl::StrCat(d.street, " ", d.house_number);
  if (!d.house_number_suffix.empty()) absl::StrAppend(&out, " ", d.house_number_suffix);
  absl::StrAppend(&out, ", ", d.postcode, " ", d.city);
  return out;
}

std::string Value(ListingField f, bool full, const ListedCustomer& c) {
  const CustomerDetails* d = c.details;
  switch (f) {
    case ListingField::kBsn:
      return full ? FormatBsn(c.bsn) : c.pseudonym;
    // Never in the pseudonymised view (ValidateListingFields): nothing there even so.
    case ListingField::kCustomerNumber:
      return full && d ? d->customer_number : "";
    case ListingField::kName:
      return full && d ? FullName(*d) : "";
    case ListingField::kAddress:
      return full && d ? Address(*d) : "";
    case ListingField::kPostcode:
      if (!d) return "";
      return full ? d->postcode : PostcodeDigits(d->postcode);
    case ListingField::kMunicipality:
      return MunicipalityCode(c.municipality);
    case ListingField::kRegulation:
      return std::string(RegulationName(c.regulation));
    case ListingField::kAge:
      return full ? absl::StrCat(c.age_years) : AgeBand(c.age_years);
    case ListingField::kRouting:
      return std::string(RoutingName(c.routing));
    case ListingField::kDebt:
      return full ? absl::StrCat(c.debt_cents) : DebtBand(c.debt_cents);
    case ListingField::kPaymentPlan:
      return c.payment_plan ? "true" : "false";
    case ListingField::kActive:
      return c.active ? "true" : "false";
  }
  return "";
}

}  // namespace

absl::StatusOr<std::vector<ListingField>> ValidateListingFields(const std::vector<int>& fields, bool full_view) {
  if (fields.empty()) {
    return common::InvalidField(common::reason::kRequiredFieldMissing, "fields",
                                "choose at least one field of the whitelist");
  }
  std::vector<ListingField> out;
  std::vector<bool> seen(kListingFieldCount + 1, false);
  for (size_t i = 0; i < fields.size(); ++i) {
    const std::string path = absl::StrCat("fields[", i, "]");
    if (fields[i] < 1 || fields[i] > kListingFieldCount) {
      return common::InvalidField(common::reason::kUnknownEnumValue, path, "not a field of the listing whitelist");
    }
    if (seen[static_cast<size_t>(fields[i])]) {
      return common::InvalidField("DUPLICATE_FIELD", path, "each field may be chosen once");
    }
    seen[static_cast<size_t>(fields[i])] = true;
    const auto field = static_cast<ListingField>(fields[i]);
    if (!full_view &&
        (field == ListingField::kName || field == ListingField::kAddress || field == ListingField::kCustomerNumber)) {
      return common::InvalidField(reason::kFieldNeedsFullView, path,
                                  "name, address and customer number are in the FULL view only");
    }
    out.push_back(field);
  }
  return out;
}

std::vector<ListingColumn> ListingColumns(const std::vector<ListingField>& fields, bool full_view) {
  std::vector<ListingColumn> out;
  for (ListingField f : fields) out.push_back({f, ColumnName(f, full_view)});
  return out;
}

bool ListingNeedsDetails(const std::vector<ListingColumn>& columns, bool full_view) {
  for (const ListingColumn& c : columns) {
    switch (c.field) {
      case ListingField::kName:
      case ListingField::kAddress:
      case ListingField::kCustomerNumber:
        if (full_view) return true;
        break;
      case ListingField::kPostcode:
        return true;
      default:
        break;
    }
  }
  return false;
}

void AppendListingHeader(const std::vector<ListingColumn>& columns, std::string* csv) {
  for (size_t i = 0; i < columns.size(); ++i) {
    if (i > 0) csv->push_back(',');
    common::AppendCsvField(columns[i].name, csv);
  }
  csv->push_back('\n');
}

void AppendListingRow(const std::vector<ListingColumn>& columns, bool full_view, const ListedCustomer& customer,
                      std::string* csv) {
  for (size_t i = 0; i < columns.size(); ++i) {
    if (i > 0) csv->push_back(',');
    common::AppendCsvField(Value(columns[i].field, full_view, customer), csv);
  }
  csv->push_back('\n');
}

std::string AgeBand(int years) {
  if (years >= 100) return "100+";
  const int low = std::max(0, years) / 5 * 5;
  return absl::StrCat(low, "-", low + 4);
}

std::string DebtBand(int64_t cents) {
  if (cents <= 0) return "0";
  if (cents < 100 * 100) return "<100";
  if (cents < 1000 * 100) return "100-999";
  if (cents < 10000 * 100) return "1000-9999";
  return "10000+";
}

std::string PostcodeDigits(absl::string_view pc) {
  std::string out;
  for (char ch : pc) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(ch))) break;
    out.push_back(ch);
  }
  return out;
}

}  // namespace cak::analysis::domain
