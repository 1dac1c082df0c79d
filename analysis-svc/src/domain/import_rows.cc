// Row rules and COPY encoding (see import_rows.h). This is the hot loop of a bulk import
// (millions of rows): no allocation per good row beyond the output buffer, no absl::Status on
// the good path.
#include "analysis-svc/src/domain/import_rows.h"

#include <algorithm>
#include <charconv>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/base/bsn.h"

namespace cak::analysis::domain {

namespace {

namespace rr = row_reason;

bool Fail(RowError* e, absl::string_view field, absl::string_view reason, absl::string_view message) {
  e->field = std::string(field);
  e->reason = std::string(reason);
  e->message = std::string(message);
  return false;
}

// Valid UTF-8 without control characters.
bool CleanText(absl::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const auto* end = p + s.size();
  while (p < end) {
    const unsigned char c = *p;
    if (c < 0x80) {
      if (c < 0x20 || c == 0x7f) return false;
      ++p;
      continue;
    }
    int len = (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
    if (len == 0 || c == 0xC0 || c == 0xC1 || c > 0xF4 || end - p < len) return false;
    for (int k = 1; k < len; ++k) {
      if ((p[k] & 0xC0) != 0x80) return false;
    }
    if (len == 3 && ((c == 0xE0 && p[1] < 0xA0) || (c == 0xED && p[1] >= 0xA0))) return false;  // overlong, surrogate
    if (len == 4 && ((c == 0xF0 && p[1] < 0x90) || (c == 0xF4 && p[1] >= 0x90))) return false;
    p += len;
  }
  return true;
}

size_t CodePoints(absl::string_view s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

// Text column: optional or required, at most `max` code points.
bool Text(absl::string_view v, absl::string_view field, size_t max, bool required, RowError* e) {
  if (v.empty()) return required ? Fail(e, field, rr::kRequired, absl::StrCat(field, " is required")) : true;
  if (!CleanText(v)) return Fail(e, field, rr::kInvalidCharacters, absl::StrCat(field, " is not valid UTF-8 text"));
  if (v.size() > max && CodePoints(v) > max) {
    return Fail(e, field, rr::kTooLong, absl::StrCat(field, " is longer than ", max, " characters"));
  }
  return true;
}

bool Digits(absl::string_view v, size_t n) {
  if (v.size() != n) return false;
  for (char c : v) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

bool Int64(absl::string_view v, int64_t* out) {
  if (v.empty()) return false;
  auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), *out);
  return ec == std::errc() && ptr == v.data() + v.size();
}

bool Bool(absl::string_view v, absl::string_view field, bool* out, RowError* e) {
  if (v == "true") return *out = true, true;
  if (v == "false") return *out = false, true;
  return Fail(e, field, rr::kInvalidValue, absl::StrCat(field, " must be true or false"));
}

bool ParseDate(absl::string_view v, absl::CivilDay* out) {
  if (v.size() != 10 || v[4] != '-' || v[7] != '-' || !Digits(v.substr(0, 4), 4) || !Digits(v.substr(5, 2), 2) ||
      !Digits(v.substr(8, 2), 2)) {
    return false;
  }
  const int y = std::stoi(std::string(v.substr(0, 4))), m = (v[5] - '0') * 10 + (v[6] - '0'),
            d = (v[8] - '0') * 10 + (v[9] - '0');
  if (m < 1 || m > 12 || d < 1 || d > 31 || y < 1800) return false;
  const absl::CivilDay day(y, m, d);
  if (day.month() != m || day.day() != d) return false;  // 2023-02-30 normalises: not a date
  *out = day;
  return true;
}

bool Date(absl::string_view v, absl::string_view field, bool required, absl::CivilDay not_after, absl::CivilDay* out,
          RowError* e) {
  if (v.empty()) return required ? Fail(e, field, rr::kRequired, absl::StrCat(field, " is required")) : true;
  if (!ParseDate(v, out)) return Fail(e, field, rr::kInvalidDate, absl::StrCat(field, " is not a date (YYYY-MM-DD)"));
  if (*out > not_after) return Fail(e, field, rr::kDateInFuture, absl::StrCat(field, " is in the future"));
  return true;
}

bool BsnField(absl::string_view v, absl::string_view field, int32_t* out, RowError* e) {
  if (v.empty()) return Fail(e, field, rr::kRequired, absl::StrCat(field, " is required"));
  if (!common::Bsn::IsValid(v)) return Fail(e, field, rr::kInvalidBsn, absl::StrCat(field, " is not a valid BSN"));
  int64_t n = 0;
  Int64(v, &n);
  *out = static_cast<int32_t>(n);
  return true;
}

bool Enum(absl::string_view v, absl::string_view field, std::optional<int> (*parse)(absl::string_view), int* out,
          RowError* e) {
  if (v.empty()) return Fail(e, field, rr::kRequired, absl::StrCat(field, " is required"));
  auto n = parse(v);
  if (!n) return Fail(e, field, rr::kUnknownEnum, absl::StrCat(field, " has an unknown value"));
  *out = *n;
  return true;
}

// "1234 AB" (also accepted: "1234AB", written back with the space).
bool Postcode(absl::string_view v, std::string* normalised) {
  std::string s;
  for (char c : v) {
    if (c != ' ') s.push_back(static_cast<char>(absl::ascii_toupper(static_cast<unsigned char>(c))));
  }
  if (s.size() != 6 || !Digits(s.substr(0, 4), 4) || s[0] == '0' || !absl::ascii_isupper(s[4]) ||
      !absl::ascii_isupper(s[5])) {
    return false;
  }
  *normalised = s.substr(0, 4) + " " + s.substr(4);
  return true;
}

bool Phone(absl::string_view v) { return v.size() == 12 && v.substr(0, 3) == "+31" && Digits(v.substr(3), 9); }

bool Email(absl::string_view v) {
  const size_t at = v.find('@');
  return at != absl::string_view::npos && at > 0 && at + 1 < v.size() &&
         v.find('@', at + 1) == absl::string_view::npos && v.find('.', at) != absl::string_view::npos &&
         v.size() <= 254 && v.find(' ') == absl::string_view::npos;
}

// NL IBAN: "NL", 2 check digits, 4 bank letters, 10 digits; mod-97 == 1.
bool Iban(absl::string_view v) {
  if (v.size() != 18 || v.substr(0, 2) != "NL" || !Digits(v.substr(2, 2), 2) || !Digits(v.substr(8), 10)) return false;
  for (size_t i = 4; i < 8; ++i) {
    if (!absl::ascii_isupper(static_cast<unsigned char>(v[i]))) return false;
  }
  int rem = 0;
  auto feed = [&](char c) {
    if (c >= '0' && c <= '9') {
      rem = (rem * 10 + (c - '0')) % 97;
    } else {
      const int n = c - 'A' + 10;
      rem = (rem * 100 + n) % 97;
    }
  };
  for (size_t i = 4; i < v.size(); ++i) feed(v[i]);
  for (size_t i = 0; i < 4; ++i) feed(v[i]);
  return rem == 1;
}

// The address block: street, house_number, house_number_suffix, postcode, city starting at
// fields[i]. All of street / number / postcode / city set, or none of the five.
struct Address {
  bool present = false;
  int64_t number = 0;
  std::string postcode;
};

bool AddressBlock(const std::vector<absl::string_view>& f, size_t i, Address* a, RowError* e) {
  const bool any = !f[i].empty() || !f[i + 1].empty() || !f[i + 2].empty() || !f[i + 3].empty() || !f[i + 4].empty();
  if (!any) return true;
  const char* names[] = {"street", "house_number", "house_number_suffix", "postcode", "city"};
  for (size_t k : {0, 1, 3, 4}) {
    if (f[i + k].empty()) {
      return Fail(e, names[k], rr::kIncompleteAddress, "street, house_number, postcode and city go together");
    }
  }
  if (!Text(f[i], "street", 100, true, e) || !Text(f[i + 2], "house_number_suffix", 10, false, e) ||
      !Text(f[i + 4], "city", 80, true, e)) {
    return false;
  }
  if (!Int64(f[i + 1], &a->number) || a->number < 1 || a->number > 99999) {
    return Fail(e, "house_number", rr::kInvalidValue, "house_number must be 1..99999");
  }
  if (!Postcode(f[i + 3], &a->postcode))
    return Fail(e, "postcode", rr::kInvalidValue, "postcode must look like 1234 AB");
  a->present = true;
  return true;
}

void Sep(std::string* out) { out->push_back('\t'); }
void Null(std::string* out) { out->append("\\N"); }
void TextOrNull(std::string* out, absl::string_view v) {
  if (v.empty()) {
    Null(out);
  } else {
    AppendCopyText(out, v);
  }
}
void Int(std::string* out, int64_t v) {
  char buf[24];
  auto [ptr, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out->append(buf, ptr);
}
void Day(std::string* out, absl::CivilDay d) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", static_cast<int>(d.year()), d.month(), d.day());
  out->append(buf);
}
void AddressOut(std::string* out, const std::vector<absl::string_view>& f, size_t i, const Address& a) {
  if (!a.present) {
    out->append("\\N\t\\N\t\\N\t\\N\t\\N");
    return;
  }
  AppendCopyText(out, f[i]);
  Sep(out);
  Int(out, a.number);
  Sep(out);
  TextOrNull(out, f[i + 2]);
  Sep(out);
  out->append(a.postcode);
  Sep(out);
  AppendCopyText(out, f[i + 4]);
}

bool Contact(absl::string_view phone, absl::string_view email, RowError* e) {
  if (!phone.empty() && !Phone(phone)) return Fail(e, "phone", rr::kInvalidValue, "phone must be +31 and 9 digits");
  if (!email.empty() && (!CleanText(email) || !Email(email)))
    return Fail(e, "email", rr::kInvalidValue, "email is not an address");
  return true;
}

const std::vector<std::string> kCustomerColumns = {"bsn",
                                                   "customer_number",
                                                   "salutation",
                                                   "initials",
                                                   "name_prefix",
                                                   "surname",
                                                   "street",
                                                   "house_number",
                                                   "house_number_suffix",
                                                   "postcode",
                                                   "city",
                                                   "phone",
                                                   "email",
                                                   "regulation",
                                                   "municipality_code",
                                                   "birth_date",
                                                   "debt_cents",
                                                   "payment_plan",
                                                   "iban",
                                                   "care_summary",
                                                   "active",
                                                   "inactive_since"};
const std::vector<std::string> kRelationColumns = {
    "customer_bsn",        "kind",     "initials", "name_prefix", "surname", "street", "house_number",
    "house_number_suffix", "postcode", "city",     "phone",       "email",   "routing"};
const std::vector<std::string> kRelationCopyColumns = {
    "relation_seq", "customer_bsn",        "kind",     "initials", "name_prefix", "surname", "street",
    "house_number", "house_number_suffix", "postcode", "city",     "phone",       "email",   "routing"};
const std::vector<std::string> kMailingColumns = {"customer_bsn", "mailing_type", "planned_date"};
const std::vector<std::string> kContactColumns = {"customer_bsn", "channel", "topic", "contact_time", "reached"};

}  // namespace

bool CustomerActiveAfter(const std::vector<absl::string_view>& fields, absl::CivilDay day) {
  static const auto column = [](const char* name) {
    return static_cast<size_t>(std::find(kCustomerColumns.begin(), kCustomerColumns.end(), name) -
                               kCustomerColumns.begin());
  };
  static const size_t kActive = column("active"), kInactiveSince = column("inactive_since");
  if (fields.size() != kCustomerColumns.size()) return false;
  if (fields[kActive] == "true") return true;
  absl::CivilDay since;
  return ParseDate(fields[kInactiveSince], &since) && since > day;
}

const std::vector<std::string>& InputColumns(Dataset dataset) {
  switch (dataset) {
    case Dataset::kCustomers:
      return kCustomerColumns;
    case Dataset::kRelations:
      return kRelationColumns;
    case Dataset::kMailings:
      return kMailingColumns;
    case Dataset::kContactReports:
      return kContactColumns;
  }
  return kCustomerColumns;
}

const std::vector<std::string>& CopyColumns(Dataset dataset) {
  return dataset == Dataset::kRelations ? kRelationCopyColumns : InputColumns(dataset);
}

RowEncoder::RowEncoder(Dataset dataset, absl::CivilDay today, const ColumnarSnapshot* customers)
    : dataset_(dataset), today_(today), customers_(customers) {}

bool RowEncoder::CustomerKnown(int32_t bsn) const { return customers_ && customers_->RowOf(bsn).has_value(); }

bool RowEncoder::Encode(int64_t row, const std::vector<absl::string_view>& fields, std::string* out, RowError* error) {
  error->row = row;
  if (fields.size() != InputColumns(dataset_).size()) {
    return Fail(error, "", rr::kWrongColumnCount,
                absl::StrCat("expected ", InputColumns(dataset_).size(), " columns, found ", fields.size()));
  }
  const size_t mark = out->size();
  bool ok = false;
  switch (dataset_) {
    case Dataset::kCustomers:
      ok = EncodeCustomer(fields, out, error);
      break;
    case Dataset::kRelations:
      ok = EncodeRelation(fields, out, error);
      break;
    case Dataset::kMailings:
      ok = EncodeMailing(fields, out, error);
      break;
    case Dataset::kContactReports:
      ok = EncodeContactReport(fields, out, error);
      break;
  }
  if (!ok) out->resize(mark);
  return ok;
}

bool RowEncoder::EncodeCustomer(const std::vector<absl::string_view>& f, std::string* out, RowError* e) {
  int32_t bsn = 0;
  int salutation = 0, regulation = 0;
  int64_t debt = 0;
  bool payment_plan = false, active = false;
  absl::CivilDay birth, inactive;
  Address address;
  if (!BsnField(f[0], "bsn", &bsn, e)) return false;
  if (!Digits(f[1], 10)) return Fail(e, "customer_number", rr::kInvalidValue, "customer_number must be 10 digits");
  if (!Enum(f[2], "salutation", ParseSalutation, &salutation, e) || !Text(f[3], "initials", 20, true, e) ||
      !Text(f[4], "name_prefix", 20, false, e) || !Text(f[5], "surname", 100, true, e) ||
      !AddressBlock(f, 6, &address, e) || !Contact(f[11], f[12], e) ||
      !Enum(f[13], "regulation", ParseRegulation, &regulation, e)) {
    return false;
  }
  if (!ParseMunicipalityCode(f[14]))
    return Fail(e, "municipality_code", rr::kInvalidValue, "municipality_code must be GM + 4 digits");
  if (!Date(f[15], "birth_date", true, today_, &birth, e)) return false;
  if (!Int64(f[16], &debt) || debt < 0)
    return Fail(e, "debt_cents", rr::kInvalidValue, "debt_cents must be a whole number >= 0");
  if (!Bool(f[17], "payment_plan", &payment_plan, e)) return false;
  if (!f[18].empty() && !Iban(f[18])) return Fail(e, "iban", rr::kInvalidIban, "iban is not a valid Dutch IBAN");
  if (!Text(f[19], "care_summary", 500, false, e) || !Bool(f[20], "active", &active, e)) return false;
  if (active && !f[21].empty())
    return Fail(e, "inactive_since", rr::kInvalidValue, "an active customer has no inactive_since");
  if (!Date(f[21], "inactive_since", !active, today_, &inactive, e)) return false;
  if (!seen_bsns_.insert(bsn).second)
    return Fail(e, "bsn", rr::kDuplicateBsn, "bsn occurs more than once in this import");

  Int(out, bsn);
  for (size_t i : {1, 2, 3, 4, 5}) {
    Sep(out);
    TextOrNull(out, f[i]);
  }
  Sep(out);
  AddressOut(out, f, 6, address);
  Sep(out);
  TextOrNull(out, f[11]);
  Sep(out);
  TextOrNull(out, f[12]);
  Sep(out);
  out->append(f[13].data(), f[13].size());
  Sep(out);
  out->append(f[14].data(), f[14].size());
  Sep(out);
  Day(out, birth);
  Sep(out);
  Int(out, debt);
  Sep(out);
  out->append(payment_plan ? "t" : "f");
  Sep(out);
  TextOrNull(out, f[18]);
  Sep(out);
  TextOrNull(out, f[19]);
  Sep(out);
  out->append(active ? "t" : "f");
  Sep(out);
  if (active) {
    Null(out);
  } else {
    Day(out, inactive);
  }
  out->push_back('\n');
  return true;
}

bool RowEncoder::EncodeRelation(const std::vector<absl::string_view>& f, std::string* out, RowError* e) {
  int32_t bsn = 0;
  int kind = 0, routing = 0;
  Address address;
  if (!BsnField(f[0], "customer_bsn", &bsn, e)) return false;
  if (!Enum(f[1], "kind", ParseRelationKind, &kind, e) || !Text(f[2], "initials", 20, true, e) ||
      !Text(f[3], "name_prefix", 20, false, e) || !Text(f[4], "surname", 100, true, e) ||
      !AddressBlock(f, 5, &address, e) || !Contact(f[10], f[11], e) ||
      !Enum(f[12], "routing", ParseRoutingPreference, &routing, e)) {
    return false;
  }
  if (!CustomerKnown(bsn))
    return Fail(e, "customer_bsn", rr::kUnknownCustomer, "customer_bsn is not a customer of the current snapshot");
  Int(out, ++relation_seq_);
  Sep(out);
  Int(out, bsn);
  Sep(out);
  out->append(f[1].data(), f[1].size());
  for (size_t i : {2, 3, 4}) {
    Sep(out);
    TextOrNull(out, f[i]);
  }
  Sep(out);
  AddressOut(out, f, 5, address);
  Sep(out);
  TextOrNull(out, f[10]);
  Sep(out);
  TextOrNull(out, f[11]);
  Sep(out);
  out->append(f[12].data(), f[12].size());
  out->push_back('\n');
  return true;
}

bool RowEncoder::EncodeMailing(const std::vector<absl::string_view>& f, std::string* out, RowError* e) {
  int32_t bsn = 0;
  int type = 0;
  absl::CivilDay day;
  if (!BsnField(f[0], "customer_bsn", &bsn, e) || !Enum(f[1], "mailing_type", ParseMailingType, &type, e) ||
      !Date(f[2], "planned_date", true, absl::CivilDay(9999, 12, 31), &day, e)) {
    return false;
  }
  if (!CustomerKnown(bsn))
    return Fail(e, "customer_bsn", rr::kUnknownCustomer, "customer_bsn is not a customer of the current snapshot");
  Int(out, bsn);
  Sep(out);
  out->append(f[1].data(), f[1].size());
  Sep(out);
  Day(out, day);
  out->push_back('\n');
  return true;
}

bool RowEncoder::EncodeContactReport(const std::vector<absl::string_view>& f, std::string* out, RowError* e) {
  int32_t bsn = 0;
  int channel = 0;
  bool reached = false;
  absl::CivilDay day;
  if (!BsnField(f[0], "customer_bsn", &bsn, e) || !Enum(f[1], "channel", ParseContactChannel, &channel, e) ||
      !Text(f[2], "topic", 200, true, e)) {
    return false;
  }
  // RFC 3339 UTC: YYYY-MM-DDTHH:MM:SSZ (seconds precision).
  const absl::string_view t = f[3];
  if (t.empty()) return Fail(e, "contact_time", rr::kRequired, "contact_time is required");
  if (t.size() != 20 || t[10] != 'T' || t[13] != ':' || t[16] != ':' || t[19] != 'Z' ||
      !ParseDate(t.substr(0, 10), &day) || !Digits(t.substr(11, 2), 2) || !Digits(t.substr(14, 2), 2) ||
      !Digits(t.substr(17, 2), 2) || (t[11] - '0') * 10 + (t[12] - '0') > 23 || t[14] > '5' || t[17] > '5') {
    return Fail(e, "contact_time", rr::kInvalidDate, "contact_time must be RFC 3339 UTC (2026-03-01T09:15:00Z)");
  }
  if (day > today_) return Fail(e, "contact_time", rr::kDateInFuture, "contact_time is in the future");
  if (!Bool(f[4], "reached", &reached, e)) return false;
  if (!CustomerKnown(bsn))
    return Fail(e, "customer_bsn", rr::kUnknownCustomer, "customer_bsn is not a customer of the current snapshot");
  Int(out, bsn);
  Sep(out);
  out->append(f[1].data(), f[1].size());
  Sep(out);
  AppendCopyText(out, f[2]);
  Sep(out);
  out->append(t.data(), t.size());
  Sep(out);
  out->append(reached ? "t" : "f");
  out->push_back('\n');
  return true;
}

}  // namespace cak::analysis::domain
