// Listings (uitlijsting, step 2 of M7624): which columns a listing may carry (the whitelist),
// what each shows in which view, and the CSV it is written as. Pure: ExportListing selects the
// customers and reads their details; this module only decides and formats.
//
// The pseudonymised view (the default) shows no direct identifier: a pseudonym (the samples'
// keyed hash) instead of the BSN, and coarse values where a value narrows a person down (the
// postcode's digits, an age band of five years, a debt band). Name, address and customer
// number are refused in it (FIELD_NEEDS_FULL_VIEW): even masked (initials, first letters) or
// coarsened to a city, beside postcode digits and an age band they come close to naming the
// person. Each coarse column is named after what it holds ("pseudonym", "age_band"), so a file
// never shows a pseudonym under "bsn".
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "analysis-svc/src/domain/repository.h"

namespace cak::analysis::domain {

// The whitelist; the numbers are the proto's ListingField numbers.
enum class ListingField {
  kBsn = 1,
  kCustomerNumber = 2,
  kName = 3,
  kAddress = 4,
  kPostcode = 5,
  kMunicipality = 6,
  kRegulation = 7,
  kAge = 8,
  kRouting = 9,
  kDebt = 10,
  kPaymentPlan = 11,
  kActive = 12,
};
inline constexpr int kListingFieldCount = 12;
inline constexpr int kMaxListingRows = 100000;  // a request's limit, and its default
inline constexpr int kListingChunkRows = 1000;  // rows read, logged and sent per message

// The chosen fields (proto numbers, in request order) as the whitelist's values:
// INVALID_ARGUMENT REQUIRED_FIELD_MISSING ("fields") when none, UNKNOWN_ENUM_VALUE
// ("fields[i]") for a number outside the whitelist, DUPLICATE_FIELD ("fields[i]") for one
// chosen twice, FIELD_NEEDS_FULL_VIEW ("fields[i]") for name, address or customer number
// outside the full view.
absl::StatusOr<std::vector<ListingField>> ValidateListingFields(const std::vector<int>& fields, bool full_view);

struct ListingColumn {
  ListingField field;
  std::string name;  // the header's column name in the view
};

// The columns of a listing in the view, in the order chosen (fields as ValidateListingFields
// accepts them for the view).
std::vector<ListingColumn> ListingColumns(const std::vector<ListingField>& fields, bool full_view);

// Whether a column needs what only PostgreSQL holds (names, addresses, customer numbers).
bool ListingNeedsDetails(const std::vector<ListingColumn>& columns, bool full_view);

// One listed customer: the snapshot's columns, and its details when the columns need them.
struct ListedCustomer {
  int32_t bsn = 0;
  std::string pseudonym;
  int regulation = 0;
  int municipality = 0;  // CBS number
  int age_years = 0;
  int routing = 0;
  int64_t debt_cents = 0;
  bool payment_plan = false;
  bool active = false;
  const CustomerDetails* details = nullptr;  // null: not read (or no longer there)
};

// The header line, and one customer's line, each ending in "\n" (RFC 4180 quoting).
void AppendListingHeader(const std::vector<ListingColumn>& columns, std::string* csv);
void AppendListingRow(const std::vector<ListingColumn>& columns, bool full_view, const ListedCustomer& customer,
                      std::string* csv);

// The coarse values of the pseudonymised view.
std::string AgeBand(int years);                    // "65-69"; "100+"
std::string DebtBand(int64_t cents);               // euros: "0", "<100", "100-999", "1000-9999", "10000+"
std::string PostcodeDigits(absl::string_view pc);  // "1234 AB" -> "1234"

}  // namespace cak::analysis::domain
