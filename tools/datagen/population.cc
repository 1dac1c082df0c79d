// The synthetic population generator (see population.h): per-customer random streams, the row
// layouts of the four CSV files and a buffered CSV writer that formats without iostreams.
#include "tools/datagen/population.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <thread>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/base/errors.h"
#include "common/base/synthetic.h"
#include "tools/datagen/tables.h"

namespace cak::tools::datagen {

namespace {

constexpr absl::string_view kCustomersHeader =
    "bsn,customer_number,salutation,initials,name_prefix,surname,street,house_number,house_number_suffix,postcode,"
    "city,phone,email,regulation,municipality_code,birth_date,debt_cents,payment_plan,iban,care_summary,active,"
    "inactive_since";
constexpr absl::string_view kRelationsHeader =
    "customer_bsn,kind,initials,name_prefix,surname,street,house_number,house_number_suffix,postcode,city,phone,"
    "email,routing";
constexpr absl::string_view kMailingsHeader = "customer_bsn,mailing_type,planned_date";
constexpr absl::string_view kContactReportsHeader = "customer_bsn,channel,topic,contact_time,reached";

// ---------------------------------------------------------------------------------------------
// Randomness. Only integer arithmetic and exact double operations (no exp/log), so the same seed
// gives the same values on every platform.

uint64_t Mix64(uint64_t z) {  // the splitmix64 finaliser: a bijection on 64-bit values
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

// What a stream is for; each (seed, purpose, customer) has its own stream, so a file can be
// generated without generating the others.
enum class Stream : uint64_t {
  kCore = 1,
  kPerson,
  kRelations,
  kMailings,
  kContacts,
  kBsnPermutation,
  kNumbers,
  kFollowUp
};

class Rng {
 public:
  Rng(uint64_t seed, Stream stream, uint64_t index)
      : random_(Mix64(Mix64(seed + static_cast<uint64_t>(stream) * 0xD1B54A32D192ED03ULL) + index)) {}
  uint64_t Below(uint64_t n) { return random_.Below(n); }
  // Uniform in [lo, hi].
  int64_t Between(int64_t lo, int64_t hi) { return lo + static_cast<int64_t>(random_.Below(hi - lo + 1)); }
  double Uniform() { return static_cast<double>(random_.Next() >> 11) * 0x1.0p-53; }
  bool Chance(double p) { return Uniform() < p; }

 private:
  common::SyntheticRandom random_;
};

// Picks an index with probability proportional to its weight.
class Picker {
 public:
  Picker() = default;
  explicit Picker(const std::vector<uint32_t>& weights) {
    uint64_t sum = 0;
    for (uint32_t w : weights) cumulative_.push_back(sum += w);
  }
  size_t Pick(Rng& rng) const {
    const uint64_t x = rng.Below(cumulative_.back());
    return std::upper_bound(cumulative_.begin(), cumulative_.end(), x) - cumulative_.begin();
  }

 private:
  std::vector<uint64_t> cumulative_;
};

template <typename T, typename F>
Picker MakePicker(std::span<const T> items, F weight) {
  std::vector<uint32_t> weights;
  for (const T& item : items) weights.push_back(weight(item));
  return Picker(weights);
}

// A keyed bijection on [0, n) that scatters neighbouring values: a balanced 4-round Feistel
// network on the smallest even number of bits that covers n, applied again while the result is
// >= n ("cycle walking", which keeps it a bijection on [0, n)). Distinct inputs therefore give
// distinct outputs without any bookkeeping.
class Permutation {
 public:
  Permutation(uint64_t n, uint64_t key) : n_(n), key_(key) {
    while ((uint64_t{1} << (2 * half_bits_)) < n) ++half_bits_;
    mask_ = (uint64_t{1} << half_bits_) - 1;
  }
  uint64_t operator()(uint64_t x) const {
    do {
      x = Round(x);
    } while (x >= n_);
    return x;
  }

 private:
  uint64_t Round(uint64_t x) const {
    uint64_t left = x >> half_bits_, right = x & mask_;
    for (uint64_t round = 0; round < 4; ++round) {
      const uint64_t f = Mix64(right + key_ + round * 0x9E3779B97F4A7C15ULL) & mask_;
      const uint64_t next = left ^ f;
      left = right;
      right = next;
    }
    return (left << half_bits_) | right;
  }

  uint64_t n_;
  uint64_t key_;
  int half_bits_ = 1;
  uint64_t mask_;
};

// ---------------------------------------------------------------------------------------------
// The buffered CSV writer.

class CsvWriter {
 public:
  explicit CsvWriter(Sink& sink) : sink_(sink), buffer_(new char[kCapacity]) {}

  bool ok() const { return status_.ok(); }

  void HeaderLine(absl::string_view header) {
    Put(header);
    *pos_++ = '\n';
    MaybeFlush();
  }

  // Fields. Text() quotes when needed (RFC 4180); Plain() is for values that never need it.
  void Text(absl::string_view s) {
    Separator();
    bool needs_quotes = false;
    for (char c : s) {
      if (c == ',' || c == '"' || c == '\n' || c == '\r') {
        needs_quotes = true;
        break;
      }
    }
    if (!needs_quotes) {
      Put(s);
      return;
    }
    *pos_++ = '"';
    for (char c : s) {
      if (c == '"') *pos_++ = '"';
      *pos_++ = c;
    }
    *pos_++ = '"';
  }
  void Plain(absl::string_view s) {
    Separator();
    Put(s);
  }
  void Empty() { Separator(); }
  void Int(uint64_t v) {
    Separator();
    pos_ = std::to_chars(pos_, pos_ + 24, v).ptr;
  }
  void Bool(bool b) { Plain(b ? absl::string_view("true") : absl::string_view("false")); }

  // Raw characters appended to the current field (after Plain() or Empty()).
  void Append(absl::string_view s) { Put(s); }
  void AppendDigits(uint64_t v, int width) {  // zero-padded to `width`
    for (int i = width - 1; i >= 0; --i) {
      pos_[i] = static_cast<char>('0' + v % 10);
      v /= 10;
    }
    pos_ += width;
  }

  void EndRow() {
    *pos_++ = '\n';
    at_row_start_ = true;
    ++rows_;
    MaybeFlush();
  }

  absl::StatusOr<FileStats> Finish() {
    Flush();
    if (!status_.ok()) return status_;
    return FileStats{rows_, bytes_};
  }

 private:
  // Rows are far shorter than the slack, so a row never needs a bounds check.
  static constexpr size_t kFlushAt = size_t{1} << 20;
  static constexpr size_t kCapacity = kFlushAt + (size_t{64} << 10);

  void Separator() {
    if (!at_row_start_) *pos_++ = ',';
    at_row_start_ = false;
  }
  void Put(absl::string_view s) {
    std::memcpy(pos_, s.data(), s.size());
    pos_ += s.size();
  }
  void MaybeFlush() {
    if (static_cast<size_t>(pos_ - buffer_.get()) >= kFlushAt) Flush();
  }
  void Flush() {
    const size_t n = pos_ - buffer_.get();
    pos_ = buffer_.get();
    if (n == 0 || !status_.ok()) return;
    status_ = sink_.Append(absl::string_view(buffer_.get(), n));
    bytes_ += static_cast<int64_t>(n);
  }

  Sink& sink_;
  std::unique_ptr<char[]> buffer_;
  char* pos_ = buffer_.get();
  bool at_row_start_ = true;
  int64_t rows_ = 0;
  int64_t bytes_ = 0;
  absl::Status status_;
};

// ---------------------------------------------------------------------------------------------
// The population's values.

enum Regulation : uint8_t { kWlz, kWmo, kWanbetalers, kOnverzekerden };
constexpr absl::string_view kRegulationNames[] = {"WLZ", "WMO", "WANBETALERS", "ONVERZEKERDEN"};

enum MailingType : uint8_t { kAnnualStatement, kInvoice, kDecision, kPaymentReminder, kNewsletter };
constexpr absl::string_view kMailingTypeNames[] = {"ANNUAL_STATEMENT", "INVOICE", "DECISION", "PAYMENT_REMINDER",
                                                   "NEWSLETTER"};

constexpr absl::string_view kChannelNames[] = {"PHONE", "EMAIL", "LETTER", "WEBSITE"};
constexpr uint32_t kChannelWeights[] = {50, 20, 15, 15};

// Days are numbered from kEpoch; every date the generator writes is later (birth dates start in 1925).
constexpr absl::CivilDay kEpoch(1920, 1, 1);
constexpr int kFirstYear = 1920;

// What more than one file needs to know about a customer (stream kCore).
struct Core {
  uint32_t bsn;
  Regulation regulation;
  bool active;
  int32_t inactive_since;  // day number, when !active
  uint64_t debt_cents;
  bool payment_plan;
  int legal_representatives;  // 0..2
  bool contact_person;
  bool contact_person_receives;  // routing RELATION
};

struct Address {
  bool present = false;
  const char* street = nullptr;
  uint32_t house_number = 0;
  const char* suffix = nullptr;  // nullptr when none
  uint32_t postcode_number = 0;
  char postcode_letters[2] = {};
  const char* city = nullptr;
};

// A name with optional contact details (customer or relation).
struct Person {
  char initials[16] = {};
  int initials_length = 0;
  const Surname* surname = nullptr;
  const Municipality* municipality = nullptr;
  Address address;
  char phone[12] = {};  // "+31" and 9 digits
  bool has_phone = false;
  char email[96] = {};
  int email_length = 0;
};

}  // namespace

struct Population::Impl {
  uint64_t seed;
  int64_t customers;
  int32_t reference;  // day number
  std::vector<uint32_t> bsns;
  Permutation customer_numbers{1, 0};       // index -> customer number - kCustomerNumberBase
  std::vector<std::array<char, 10>> dates;  // "YYYY-MM-DD" by day number
  std::vector<int32_t> year_starts;         // day number of 1 January, from kFirstYear
  int epoch_weekday;                        // 0 = Monday
  int32_t annual_statement_start;           // first 15 January in the mailing window
  int32_t newsletter_days[3];
  int32_t window_months[14];  // first days of the months from the mailing window's start
  Picker municipality, surname, initial, suffix, topic, channel;

  int32_t DayNumber(absl::CivilDay day) const { return static_cast<int32_t>(day - kEpoch); }
  int Weekday(int32_t day) const { return (epoch_weekday + day) % 7; }
  absl::string_view Date(int32_t day) const { return absl::string_view(dates[day].data(), 10); }

  Core CoreAt(int64_t index) const;
  void MakePerson(Rng& rng, Person& person) const;
  // The customer's salutation (index into kSalutations) and person, from the start of the
  // kPerson stream that `rng` must be; WriteCustomers continues drawing from it.
  int MakeCustomer(Rng& rng, Person& person) const;
  void MakeAddress(Rng& rng, const Municipality& municipality, Address& address) const;
  void MakeInitials(Rng& rng, Person& person) const;
  void MakePhone(Rng& rng, const Municipality& municipality, Person& person) const;
  void MakeEmail(Rng& rng, Person& person) const;

  void WriteBsn(CsvWriter& w, uint32_t bsn) const { w.Int(bsn); }
  void WriteName(CsvWriter& w, const Person& p) const;
  void WriteAddressAndContact(CsvWriter& w, const Person& p) const;

  void WriteCustomers(CsvWriter& w) const;
  void WriteRelations(CsvWriter& w) const;
  void WriteMailings(CsvWriter& w) const;
  void WriteContactReports(CsvWriter& w) const;
};

namespace {

// The 11-test check digit for an 8-digit prefix: 9*d1 + ... + 2*d8 - d9 must be a multiple of
// 11, so d9 = (9*d1 + ... + 2*d8) mod 11; 10 means the prefix has no valid BSN.
int BsnCheckDigit(uint32_t prefix) {
  int sum = 0;
  for (int weight = 2; weight <= 9; ++weight, prefix /= 10) sum += static_cast<int>(prefix % 10) * weight;
  return sum % 11;
}

constexpr uint64_t kBsnPrefixBase = 10'000'000;  // first digit 1..6, like issued numbers
constexpr uint64_t kBsnPrefixCount = 60'000'000;
constexpr uint64_t kCustomerNumberBase = 1'000'000'000;
constexpr uint64_t kCustomerNumberCount = 9'000'000'000;

}  // namespace

Core Population::Impl::CoreAt(int64_t index) const {
  Rng rng(seed, Stream::kCore, index);
  Core c{};
  c.bsn = bsns[index];
  const uint64_t r = rng.Below(100);
  c.regulation = r < 35 ? kWlz : r < 80 ? kWmo : r < 95 ? kWanbetalers : kOnverzekerden;
  c.active = !rng.Chance(0.08);
  if (!c.active) c.inactive_since = reference - static_cast<int32_t>(rng.Between(1, 4 * 365));
  // 30% debtors: every WANBETALERS customer and 15/85 of the others; the amounts skew low.
  if (c.regulation == kWanbetalers || rng.Chance(0.15 / 0.85)) {
    const double u = rng.Uniform();
    const bool arrears = c.regulation == kWanbetalers;
    const uint64_t lo = arrears ? 20'000 : 500, hi = arrears ? 600'000 : 150'000;
    c.debt_cents = lo + static_cast<uint64_t>(static_cast<double>(hi - lo) * u * u * u);
    c.payment_plan = rng.Chance(0.30);
  }
  // About 10% with a legal representative overall: most often under the Wlz.
  const double representative = c.regulation == kWlz ? 0.20 : c.regulation == kWmo ? 0.06 : 0.03;
  if (rng.Chance(representative)) c.legal_representatives = rng.Chance(0.05) ? 2 : 1;
  c.contact_person = rng.Chance(0.05);
  c.contact_person_receives = rng.Chance(0.5);
  return c;
}

void Population::Impl::MakeAddress(Rng& rng, const Municipality& m, Address& a) const {
  a.present = true;
  a.street = Streets()[rng.Below(Streets().size())];
  const uint64_t r = rng.Below(100);
  a.house_number = static_cast<uint32_t>(r < 70   ? rng.Between(1, 60)
                                         : r < 97 ? rng.Between(61, 300)
                                                  : rng.Between(301, 999));
  a.suffix = rng.Chance(0.10) ? HouseNumberSuffixes()[suffix.Pick(rng)].text : nullptr;
  a.postcode_number = static_cast<uint32_t>(rng.Between(m.postcode_min, m.postcode_max));
  do {  // SA, SD and SS are not used in Dutch postcodes
    a.postcode_letters[0] = static_cast<char>('A' + rng.Below(26));
    a.postcode_letters[1] = static_cast<char>('A' + rng.Below(26));
  } while (a.postcode_letters[0] == 'S' &&
           (a.postcode_letters[1] == 'A' || a.postcode_letters[1] == 'D' || a.postcode_letters[1] == 'S'));
  a.city = m.city;
}

void Population::Impl::MakeInitials(Rng& rng, Person& p) const {
  const uint64_t r = rng.Below(100);
  const int count = r < 45 ? 1 : r < 80 ? 2 : r < 97 ? 3 : 4;
  p.initials_length = 0;
  for (int i = 0; i < count; ++i) {
    p.initials[p.initials_length++] = InitialLetters()[initial.Pick(rng)].text[0];
    p.initials[p.initials_length++] = '.';
  }
}

void Population::Impl::MakePhone(Rng& rng, const Municipality& m, Person& p) const {
  std::memcpy(p.phone, "+31", 3);
  char* digits = p.phone + 3;
  int used;
  if (rng.Chance(0.65)) {  // mobile: 06 + 8 digits
    digits[0] = '6';
    used = 1;
  } else {
    used = static_cast<int>(std::strlen(m.area_code));
    std::memcpy(digits, m.area_code, used);
    digits[used++] = static_cast<char>('1' + rng.Below(9));  // subscriber numbers do not start with 0
  }
  for (; used < 9; ++used) digits[used] = static_cast<char>('0' + rng.Below(10));
  p.has_phone = true;
}

void Population::Impl::MakeEmail(Rng& rng, Person& p) const {
  // j.vandermeer42@example.com: lower-case letters only from the name, reserved domains only.
  char* out = p.email;
  *out++ = static_cast<char>(p.initials[0] - 'A' + 'a');
  *out++ = '.';
  for (const char* part : {p.surname->prefix, p.surname->name}) {
    for (const char* c = part; *c != '\0'; ++c) {
      if (*c >= 'a' && *c <= 'z') *out++ = *c;
      if (*c >= 'A' && *c <= 'Z') *out++ = static_cast<char>(*c - 'A' + 'a');
    }
  }
  if (rng.Chance(0.5)) out = std::to_chars(out, out + 4, rng.Below(100)).ptr;
  *out++ = '@';
  const char* domain = EmailDomains()[rng.Below(EmailDomains().size())];
  const size_t n = std::strlen(domain);
  std::memcpy(out, domain, n);
  p.email_length = static_cast<int>(out + n - p.email);
}

// Name, municipality, address (99%), phone (70%), email (50%).
void Population::Impl::MakePerson(Rng& rng, Person& p) const {
  MakeInitials(rng, p);
  p.surname = &Surnames()[surname.Pick(rng)];
  p.municipality = &Municipalities()[municipality.Pick(rng)];
  if (rng.Chance(0.99)) MakeAddress(rng, *p.municipality, p.address);
  if (rng.Chance(0.70)) MakePhone(rng, *p.municipality, p);
  if (rng.Chance(0.50)) MakeEmail(rng, p);
}

int Population::Impl::MakeCustomer(Rng& rng, Person& p) const {
  const uint64_t s = rng.Below(100);
  MakePerson(rng, p);
  return s < 47 ? 0 : s < 96 ? 1 : 2;
}

void Population::Impl::WriteName(CsvWriter& w, const Person& p) const {
  w.Plain(absl::string_view(p.initials, p.initials_length));
  w.Text(p.surname->prefix);
  w.Text(p.surname->name);
}

// street, house_number, house_number_suffix, postcode, city, phone, email
void Population::Impl::WriteAddressAndContact(CsvWriter& w, const Person& p) const {
  const Address& a = p.address;
  if (a.present) {
    w.Text(a.street);
    w.Int(a.house_number);
    if (a.suffix != nullptr) {
      w.Text(a.suffix);
    } else {
      w.Empty();
    }
    w.Empty();
    w.AppendDigits(a.postcode_number, 4);
    w.Append(" ");
    w.Append(absl::string_view(a.postcode_letters, 2));
    w.Text(a.city);
  } else {
    for (int i = 0; i < 5; ++i) w.Empty();
  }
  if (p.has_phone) {
    w.Plain(absl::string_view(p.phone, 12));
  } else {
    w.Empty();
  }
  w.Plain(absl::string_view(p.email, p.email_length));
}

void Population::Impl::WriteCustomers(CsvWriter& w) const {
  constexpr absl::string_view kSalutations[] = {"MR", "MS", "NEUTRAL"};
  const auto wlz_care = LongTermCareSummaries();
  const auto wmo_care = SocialSupportSummaries();
  for (int64_t i = 0; i < customers && w.ok(); ++i) {
    const Core c = CoreAt(i);
    Rng rng(seed, Stream::kPerson, i);
    Person p;
    const absl::string_view salutation = kSalutations[MakeCustomer(rng, p)];

    // Birth year by regulation: Wlz clients are mostly old, debtors and the uninsured younger.
    int year;
    const double u1 = rng.Uniform(), u2 = rng.Uniform();
    switch (c.regulation) {
      case kWlz:
        year = rng.Chance(0.85) ? 1925 + static_cast<int>(31 * std::min(u1, u2)) : 1956 + static_cast<int>(50 * u1);
        break;
      case kWmo:
        year = rng.Chance(0.70) ? 1930 + static_cast<int>(46 * (u1 + u2) / 2) : 1940 + static_cast<int>(66 * u1);
        break;
      default:
        year = 1950 + static_cast<int>(56 * (u1 + u2) / 2);
        break;
    }
    year = std::clamp(year, 1925, 2005);
    const int32_t year_start = year_starts[year - kFirstYear];
    const int32_t birth = std::min<int32_t>(
        year_start + static_cast<int32_t>(rng.Below(year_starts[year + 1 - kFirstYear] - year_start)), reference - 1);

    char iban[18];
    const bool has_iban = rng.Chance(0.80);
    if (has_iban) {
      // NL kk BBBB nnnnnnnnnn; check digits kk = 98 - (BBBB nnnnnnnnnn N L 00 as a number) mod 97.
      const char* bank = BankCodes()[rng.Below(BankCodes().size())];
      std::memcpy(iban, "NL00", 4);
      std::memcpy(iban + 4, bank, 4);
      for (int k = 8; k < 18; ++k) iban[k] = static_cast<char>('0' + rng.Below(10));
      int rem = 0;
      auto add = [&rem](char ch) {
        rem = ch >= 'A' ? (rem * 100 + (ch - 'A' + 10)) % 97 : (rem * 10 + (ch - '0')) % 97;
      };
      for (int k = 4; k < 18; ++k) add(iban[k]);
      for (int k = 0; k < 4; ++k) add(iban[k]);
      const int check = 98 - rem;
      iban[2] = static_cast<char>('0' + check / 10);
      iban[3] = static_cast<char>('0' + check % 10);
    }

    const char* care = nullptr;
    if (c.regulation == kWlz && rng.Chance(0.85)) care = wlz_care[rng.Below(wlz_care.size())];
    if (c.regulation == kWmo && rng.Chance(0.60)) care = wmo_care[rng.Below(wmo_care.size())];

    WriteBsn(w, c.bsn);
    w.Int(kCustomerNumberBase + customer_numbers(static_cast<uint64_t>(i)));
    w.Plain(salutation);
    WriteName(w, p);
    WriteAddressAndContact(w, p);
    w.Plain(kRegulationNames[c.regulation]);
    w.Plain(p.municipality->code);
    w.Plain(Date(birth));
    w.Int(c.debt_cents);
    w.Bool(c.payment_plan);
    w.Plain(has_iban ? absl::string_view(iban, 18) : absl::string_view());
    w.Text(care != nullptr ? absl::string_view(care) : absl::string_view());
    w.Bool(c.active);
    w.Plain(c.active ? absl::string_view() : Date(c.inactive_since));
    w.EndRow();
  }
}

void Population::Impl::WriteRelations(CsvWriter& w) const {
  for (int64_t i = 0; i < customers && w.ok(); ++i) {
    const Core c = CoreAt(i);
    if (c.legal_representatives == 0 && !c.contact_person) continue;
    Rng customer_rng(seed, Stream::kPerson, i);
    Person customer;
    MakeCustomer(customer_rng, customer);

    Rng rng(seed, Stream::kRelations, i);
    const int count = c.legal_representatives + (c.contact_person ? 1 : 0);
    for (int k = 0; k < count; ++k) {
      const bool legal = k < c.legal_representatives;
      // A legal representative is family or a professional (bewindvoerder, mentor); a contact
      // person is nearly always family and often lives with the customer.
      const bool family = rng.Chance(legal ? 0.45 : 0.90);
      Person r;
      MakeInitials(rng, r);
      r.surname = family && rng.Chance(0.6) ? customer.surname : &Surnames()[surname.Pick(rng)];
      r.municipality = family || rng.Chance(0.8) ? customer.municipality : &Municipalities()[municipality.Pick(rng)];
      if (family && customer.address.present && rng.Chance(legal ? 0.4 : 0.3)) {
        r.address = customer.address;
      } else if (rng.Chance(0.99)) {
        MakeAddress(rng, *r.municipality, r.address);
      }
      if (rng.Chance(family ? 0.85 : 0.95)) MakePhone(rng, *r.municipality, r);
      if (rng.Chance(family ? 0.55 : 0.90)) MakeEmail(rng, r);

      WriteBsn(w, c.bsn);
      w.Plain(legal ? "LEGAL_REPRESENTATIVE" : "CONTACT_PERSON");
      WriteName(w, r);
      WriteAddressAndContact(w, r);
      w.Plain(legal || c.contact_person_receives ? "RELATION" : "CUSTOMER");
      w.EndRow();
    }
  }
}

void Population::Impl::WriteMailings(CsvWriter& w) const {
  const int32_t first = reference - 30, last = reference + 365;
  struct Mailing {
    int32_t day;
    MailingType type;
  };
  Mailing planned[16];
  for (int64_t i = 0; i < customers && w.ok(); ++i) {
    const Core c = CoreAt(i);
    Rng rng(seed, Stream::kMailings, i);
    int n = 0;
    auto plan = [&](int32_t day, MailingType type) { planned[n++] = {std::clamp(day, first, last), type}; };
    if (c.active) {
      if (rng.Chance(0.80)) plan(annual_statement_start + static_cast<int32_t>(rng.Below(45)), kAnnualStatement);
      const uint64_t invoices = c.regulation == kWlz || c.regulation == kWmo ? rng.Below(5) : rng.Below(2);
      for (uint64_t k = 0; k < invoices; ++k) {
        plan(window_months[rng.Below(13)] + 19 + static_cast<int32_t>(rng.Below(8)), kInvoice);
      }
      if (rng.Chance(0.20)) plan(first + static_cast<int32_t>(rng.Below(last - first + 1)), kDecision);
      if (c.debt_cents > 0 && !c.payment_plan) {
        const int reminders = 1 + static_cast<int>(rng.Below(2));
        for (int k = 0; k < reminders; ++k) plan(first + static_cast<int32_t>(rng.Below(120)), kPaymentReminder);
      }
      if (rng.Chance(0.30)) plan(newsletter_days[rng.Below(3)], kNewsletter);
    } else if (rng.Chance(0.10)) {  // a final statement
      plan(annual_statement_start + static_cast<int32_t>(rng.Below(45)), kAnnualStatement);
    }
    std::sort(planned, planned + n,
              [](const Mailing& a, const Mailing& b) { return a.day != b.day ? a.day < b.day : a.type < b.type; });
    for (int k = 0; k < n; ++k) {
      WriteBsn(w, c.bsn);
      w.Plain(kMailingTypeNames[planned[k].type]);
      w.Plain(Date(planned[k].day));
      w.EndRow();
    }
  }
}

void Population::Impl::WriteContactReports(CsvWriter& w) const {
  constexpr int kMaxReports = 60;
  struct Report {
    int32_t day;
    int32_t second;  // of the day, UTC
    uint8_t channel;
    uint8_t topic;
    bool reached;
  };
  Report reports[kMaxReports];
  const auto topics = ContactTopics();
  for (int64_t i = 0; i < customers && w.ok(); ++i) {
    const Core c = CoreAt(i);
    const int32_t lo = reference - 730;
    const int32_t hi = c.active ? reference - 1 : std::min(reference - 1, c.inactive_since);
    if (hi < lo) continue;
    Rng rng(seed, Stream::kContacts, i);
    // Geometric: P(n) = (1-q) q^n with mean q / (1-q) = 2.6.
    int n = 0;
    while (n < kMaxReports && rng.Chance(2.6 / 3.6)) ++n;
    for (int k = 0; k < n; ++k) {
      Report& r = reports[k];
      r.day = lo + static_cast<int32_t>(rng.Below(hi - lo + 1));
      const int wd = Weekday(r.day);  // weekends move to the Friday before, or the Monday after
      if (wd == 5) r.day = r.day - 1 >= lo ? r.day - 1 : (r.day + 2 <= hi ? r.day + 2 : r.day);
      if (wd == 6) r.day = r.day - 2 >= lo ? r.day - 2 : (r.day + 1 <= hi ? r.day + 1 : r.day);
      r.second = 7 * 3600 + static_cast<int32_t>(rng.Below(9 * 3600));
      r.channel = static_cast<uint8_t>(channel.Pick(rng));
      r.topic = static_cast<uint8_t>(topic.Pick(rng));
      r.reached = rng.Chance(r.channel == 0 ? 0.78 : 0.95);
    }
    std::sort(reports, reports + n,
              [](const Report& a, const Report& b) { return a.day != b.day ? a.day < b.day : a.second < b.second; });
    for (int k = 0; k < n; ++k) {
      const Report& r = reports[k];
      WriteBsn(w, c.bsn);
      w.Plain(kChannelNames[r.channel]);
      w.Text(topics[r.topic].text);
      w.Plain(Date(r.day));
      w.Append("T");
      w.AppendDigits(r.second / 3600, 2);
      w.Append(":");
      w.AppendDigits(r.second / 60 % 60, 2);
      w.Append(":");
      w.AppendDigits(r.second % 60, 2);
      w.Append("Z");
      w.Bool(r.reached);
      w.EndRow();
    }
  }
}

// ---------------------------------------------------------------------------------------------

absl::Status StringSink::Append(absl::string_view chunk) {
  contents_.append(chunk.data(), chunk.size());
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<FileSink>> FileSink::Open(const std::string& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return absl::ErrnoToStatus(errno, absl::StrCat("cannot create ", path));
  return std::unique_ptr<FileSink>(new FileSink(path, fd));
}

FileSink::~FileSink() {
  if (fd_ >= 0) ::close(fd_);
}

absl::Status FileSink::Append(absl::string_view chunk) {
  if (fd_ < 0) return absl::FailedPreconditionError(absl::StrCat(path_, " is closed"));
  while (!chunk.empty()) {
    const ssize_t n = ::write(fd_, chunk.data(), chunk.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return absl::ErrnoToStatus(errno, absl::StrCat("cannot write ", path_));
    }
    chunk.remove_prefix(static_cast<size_t>(n));
  }
  return absl::OkStatus();
}

absl::Status FileSink::Close() {
  if (fd_ < 0) return absl::OkStatus();
  const int rc = ::close(fd_);
  fd_ = -1;
  if (rc != 0) return absl::ErrnoToStatus(errno, absl::StrCat("cannot write ", path_));
  return absl::OkStatus();
}

absl::string_view FileName(CsvFile file) {
  switch (file) {
    case CsvFile::kCustomers:
      return "customers.csv";
    case CsvFile::kRelations:
      return "relations.csv";
    case CsvFile::kMailings:
      return "mailings.csv";
    case CsvFile::kContactReports:
      return "contact_reports.csv";
  }
  return "";
}

absl::string_view Header(CsvFile file) {
  switch (file) {
    case CsvFile::kCustomers:
      return kCustomersHeader;
    case CsvFile::kRelations:
      return kRelationsHeader;
    case CsvFile::kMailings:
      return kMailingsHeader;
    case CsvFile::kContactReports:
      return kContactReportsHeader;
  }
  return "";
}

absl::StatusOr<int64_t> ParseSize(absl::string_view size) {
  if (size == "small") return kSmallCustomers;
  if (size == "large") return kLargeCustomers;
  int64_t n;
  if (!absl::SimpleAtoi(size, &n) || n < 1 || n > kMaxCustomers) {
    return absl::InvalidArgumentError(
        absl::StrCat("size must be small, large or a number of customers 1..", kMaxCustomers));
  }
  return n;
}

absl::StatusOr<absl::CivilDay> ParseReferenceDate(absl::string_view text) {
  absl::CivilDay day;
  if (text.size() != 10 || !absl::ParseCivilTime(text, &day) || absl::FormatCivilTime(day) != text) {
    return absl::InvalidArgumentError("reference date must be a date YYYY-MM-DD");
  }
  if (day < absl::CivilDay(2000, 1, 1) || day > absl::CivilDay(2100, 12, 31)) {
    return absl::InvalidArgumentError("reference date must be between 2000-01-01 and 2100-12-31");
  }
  return day;
}

Population::Population(const PopulationOptions& options, std::unique_ptr<Impl> impl)
    : options_(options), impl_(std::move(impl)) {}

Population::Population(Population&&) = default;
Population& Population::operator=(Population&&) = default;
Population::~Population() = default;

absl::StatusOr<Population> Population::Create(const PopulationOptions& options) {
  if (options.customers < 1 || options.customers > kMaxCustomers) {
    return absl::InvalidArgumentError(absl::StrCat("customers must be between 1 and ", kMaxCustomers));
  }
  if (options.reference_date < absl::CivilDay(2000, 1, 1) || options.reference_date > absl::CivilDay(2100, 12, 31)) {
    return absl::InvalidArgumentError("reference date must be between 2000-01-01 and 2100-12-31");
  }
  auto impl = std::make_unique<Impl>();
  Impl& m = *impl;
  m.seed = options.seed;
  m.customers = options.customers;
  m.reference = m.DayNumber(options.reference_date);

  // Distinct valid BSNs without a set: walk a keyed permutation of the 8-digit prefixes, keep
  // those that have a check digit (10 of 11) and append it.
  const Permutation prefixes(kBsnPrefixCount, Mix64(Mix64(m.seed + static_cast<uint64_t>(Stream::kBsnPermutation))));
  m.bsns.reserve(static_cast<size_t>(m.customers));
  for (uint64_t j = 0; static_cast<int64_t>(m.bsns.size()) < m.customers && j < kBsnPrefixCount; ++j) {
    const auto prefix = static_cast<uint32_t>(kBsnPrefixBase + prefixes(j));
    const int check = BsnCheckDigit(prefix);
    if (check < 10) m.bsns.push_back(prefix * 10 + static_cast<uint32_t>(check));
  }
  if (static_cast<int64_t>(m.bsns.size()) < m.customers) return absl::InternalError("ran out of BSNs");
  m.customer_numbers =
      Permutation(kCustomerNumberCount, Mix64(Mix64(m.seed + static_cast<uint64_t>(Stream::kNumbers))));

  // Dates: text for every day from the epoch to past the mailing window, and year starts.
  const absl::CivilDay end = options.reference_date + 400;
  m.dates.reserve(static_cast<size_t>(end - kEpoch));
  for (absl::CivilDay d = kEpoch; d < end; ++d) {
    std::array<char, 10> text;
    char* p = text.data();
    auto put = [&p](int64_t v, int width) {
      for (int i = width - 1; i >= 0; --i, v /= 10) p[i] = static_cast<char>('0' + v % 10);
      p += width;
    };
    put(d.year(), 4);
    *p++ = '-';
    put(d.month(), 2);
    *p++ = '-';
    put(d.day(), 2);
    m.dates.push_back(text);
  }
  for (int year = kFirstYear; year <= end.year() + 1; ++year) {
    m.year_starts.push_back(m.DayNumber(absl::CivilDay(year, 1, 1)));
  }
  m.epoch_weekday = static_cast<int>(absl::GetWeekday(kEpoch));  // absl: monday = 0

  // Mailing calendar: annual statements from the first 15 January in the window, three
  // newsletters, invoices late in each month.
  const absl::CivilDay window_start = options.reference_date - 30;
  absl::CivilDay statements(window_start.year(), 1, 15);
  if (statements < window_start) statements = absl::CivilDay(window_start.year() + 1, 1, 15);
  m.annual_statement_start = m.DayNumber(statements);
  m.newsletter_days[0] = m.reference + 45;
  m.newsletter_days[1] = m.reference + 150;
  m.newsletter_days[2] = m.reference + 300;
  const absl::CivilMonth first_month(window_start);
  for (int k = 0; k < 14; ++k) m.window_months[k] = m.DayNumber(absl::CivilDay(first_month + k));

  // Pickers. Surnames follow a Zipf-like curve: the most common names first.
  m.municipality = MakePicker(Municipalities(), [](const Municipality& x) { return static_cast<uint32_t>(x.weight); });
  std::vector<uint32_t> surname_weights;
  for (size_t rank = 0; rank < Surnames().size(); ++rank) surname_weights.push_back(100'000 / (rank + 8));
  m.surname = Picker(surname_weights);
  m.initial = MakePicker(InitialLetters(), [](const Weighted& x) { return static_cast<uint32_t>(x.weight); });
  m.suffix = MakePicker(HouseNumberSuffixes(), [](const Weighted& x) { return static_cast<uint32_t>(x.weight); });
  m.topic = MakePicker(ContactTopics(), [](const Weighted& x) { return static_cast<uint32_t>(x.weight); });
  m.channel = Picker(std::vector<uint32_t>(std::begin(kChannelWeights), std::end(kChannelWeights)));
  return Population(options, std::move(impl));
}

std::string Population::BsnAt(int64_t index) const { return absl::StrCat(impl_->bsns[index]); }

absl::StatusOr<FollowUpStats> Population::WriteFollowUpContacts(const FollowUpOptions& options,
                                                                const std::vector<std::string>& reached,
                                                                Sink& sink) const {
  if (!(options.until > options.from)) return absl::InvalidArgumentError("until must be after from");
  for (double share : {options.response_share, options.other_share}) {
    if (!(share >= 0 && share <= 1)) return absl::InvalidArgumentError("shares must be between 0 and 1");
  }
  std::vector<uint32_t> reached_bsns;  // sorted, for binary search
  for (const std::string& bsn : reached) {
    uint32_t value = 0;
    if (absl::SimpleAtoi(bsn, &value)) reached_bsns.push_back(value);
  }
  std::sort(reached_bsns.begin(), reached_bsns.end());
  const Impl& m = *impl_;
  const int64_t from = absl::ToUnixSeconds(options.from);
  const int64_t span = std::max<int64_t>(1, absl::ToUnixSeconds(options.until) - from);
  const auto all_topics = ContactTopics();
  const auto response_topics = ResponseTopics();
  const Picker response_topic =
      MakePicker(response_topics, [](const Weighted& x) { return static_cast<uint32_t>(x.weight); });
  CsvWriter w(sink);
  if (options.header) w.HeaderLine(Header(CsvFile::kContactReports));
  FollowUpStats stats;
  struct Report {
    int64_t time;
    uint8_t channel;
    const char* topic;
    bool reached;
  };
  for (int64_t i = 0; i < m.customers && w.ok(); ++i) {
    const Core c = m.CoreAt(i);
    if (!c.active) continue;
    Rng rng(m.seed, Stream::kFollowUp, static_cast<uint64_t>(i));
    Report reports[2];
    int n = 0;
    // Drawn for everyone in the same order, so a customer's draws do not depend on the set.
    const bool responds =
        rng.Chance(options.response_share) && std::binary_search(reached_bsns.begin(), reached_bsns.end(), c.bsn);
    const double early = rng.Uniform() * rng.Uniform();  // most responses come soon after the message
    const bool on_topic = rng.Chance(0.9);
    const size_t response_pick = response_topic.Pick(rng);
    const size_t other_pick = m.topic.Pick(rng);
    const uint8_t response_channel = static_cast<uint8_t>(m.channel.Pick(rng));
    const bool other = rng.Chance(options.other_share);
    const int64_t other_time = from + static_cast<int64_t>(rng.Below(static_cast<uint64_t>(span)));
    const size_t other_topic = m.topic.Pick(rng);
    const uint8_t other_channel = static_cast<uint8_t>(m.channel.Pick(rng));
    const bool answered = rng.Chance(0.85);  // a call CAK took (other channels always arrive)
    if (responds) {
      reports[n++] = {from + static_cast<int64_t>(early * static_cast<double>(span)), response_channel,
                      on_topic ? response_topics[response_pick].text : all_topics[other_pick].text, true};
      ++stats.responses;
    }
    if (other) {
      reports[n++] = {other_time, other_channel, all_topics[other_topic].text, answered};
      ++stats.other_contacts;
    }
    if (n == 2 && reports[1].time < reports[0].time) std::swap(reports[0], reports[1]);
    for (int k = 0; k < n; ++k) {
      const Report& r = reports[k];
      m.WriteBsn(w, c.bsn);
      w.Plain(kChannelNames[r.channel]);
      w.Text(r.topic);
      w.Plain(absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::FromUnixSeconds(r.time), absl::UTCTimeZone()));
      w.Bool(r.channel != 0 || r.reached);
      w.EndRow();
    }
  }
  CAK_ASSIGN_OR_RETURN(stats.file, w.Finish());
  return stats;
}

absl::StatusOr<FileStats> Population::Write(CsvFile file, Sink& sink) const {
  CsvWriter w(sink);
  w.HeaderLine(Header(file));
  switch (file) {
    case CsvFile::kCustomers:
      impl_->WriteCustomers(w);
      break;
    case CsvFile::kRelations:
      impl_->WriteRelations(w);
      break;
    case CsvFile::kMailings:
      impl_->WriteMailings(w);
      break;
    case CsvFile::kContactReports:
      impl_->WriteContactReports(w);
      break;
  }
  return w.Finish();
}

absl::StatusOr<std::array<FileStats, 4>> WriteAll(const Population& population, const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return absl::InternalError(absl::StrCat("cannot create directory ", dir, ": ", ec.message()));

  std::array<FileStats, 4> stats;
  std::array<absl::Status, 4> statuses;
  auto write_one = [&](size_t k) {
    const std::string path = (std::filesystem::path(dir) / std::string(FileName(kAllFiles[k]))).string();
    const std::string partial = path + ".partial";
    auto sink = FileSink::Open(partial);
    if (!sink.ok()) {
      statuses[k] = sink.status();
      return;
    }
    auto written = population.Write(kAllFiles[k], **sink);
    absl::Status closed = (*sink)->Close();
    if (!written.ok() || !closed.ok()) {
      statuses[k] = !written.ok() ? written.status() : closed;
      std::error_code ignored;
      std::filesystem::remove(partial, ignored);
      return;
    }
    std::error_code rename_error;
    std::filesystem::rename(partial, path, rename_error);
    if (rename_error) {
      statuses[k] = absl::InternalError(absl::StrCat("cannot rename ", partial, ": ", rename_error.message()));
      return;
    }
    stats[k] = *written;
  };
  std::vector<std::thread> threads;
  for (size_t k = 0; k < kAllFiles.size(); ++k) threads.emplace_back(write_one, k);
  for (std::thread& t : threads) t.join();
  for (const absl::Status& st : statuses) {
    if (!st.ok()) return st;
  }
  return stats;
}

}  // namespace cak::tools::datagen
