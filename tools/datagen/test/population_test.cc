// Tests of the synthetic population generator: the documented CSV format (analysis-svc/README.md),
// determinism, valid and unique BSNs, valid references and the promised shares.
#include "tools/datagen/population.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "common/base/bsn.h"
#include "common/base/contact_topics.h"
#include "tools/datagen/tables.h"

namespace cak::tools::datagen {
namespace {

using Row = std::vector<std::string>;

// An RFC 4180 reader: returns the records (the header first); fails the test on bad syntax.
std::vector<Row> ParseCsv(const std::string& text) {
  std::vector<Row> rows;
  Row row;
  std::string field;
  size_t i = 0;
  bool quoted = false;
  while (i < text.size()) {
    const char c = text[i];
    if (quoted) {
      if (c == '"') {
        if (i + 1 < text.size() && text[i + 1] == '"') {
          field.push_back('"');
          i += 2;
          continue;
        }
        quoted = false;
        ++i;
        continue;
      }
      field.push_back(c);
      ++i;
      continue;
    }
    if (c == '"') {
      EXPECT_TRUE(field.empty()) << "quote inside an unquoted field at byte " << i;
      quoted = true;
    } else if (c == ',') {
      row.push_back(std::move(field));
      field.clear();
    } else if (c == '\n') {
      row.push_back(std::move(field));
      field.clear();
      rows.push_back(std::move(row));
      row.clear();
    } else {
      EXPECT_NE(c, '\r');
      field.push_back(c);
    }
    ++i;
  }
  EXPECT_FALSE(quoted) << "unterminated quoted field";
  EXPECT_TRUE(row.empty() && field.empty()) << "the file does not end with a line end";
  return rows;
}

std::string Generate(const Population& population, CsvFile file) {
  StringSink sink;
  auto stats = population.Write(file, sink);
  EXPECT_TRUE(stats.ok()) << stats.status();
  if (stats.ok()) {
    EXPECT_EQ(stats->bytes, static_cast<int64_t>(sink.contents().size()));
  }
  return sink.contents();
}

Population Make(int64_t customers, uint64_t seed, absl::CivilDay reference = absl::CivilDay(2026, 11, 1)) {
  auto population = Population::Create({customers, seed, reference});
  EXPECT_TRUE(population.ok()) << population.status();
  return *std::move(population);
}

absl::CivilDay Day(const std::string& text) {
  absl::CivilDay day;
  EXPECT_TRUE(text.size() == 10 && absl::ParseCivilTime(text, &day)) << "not a date: " << text;
  return day;
}

bool IbanValid(const std::string& iban) {
  if (iban.size() != 18 || iban.compare(0, 2, "NL") != 0) return false;
  const std::string moved = iban.substr(4) + iban.substr(0, 4);
  int rem = 0;
  for (char c : moved) {
    if (c >= '0' && c <= '9') {
      rem = (rem * 10 + (c - '0')) % 97;
    } else if (c >= 'A' && c <= 'Z') {
      rem = (rem * 100 + (c - 'A' + 10)) % 97;
    } else {
      return false;
    }
  }
  return rem == 1;
}

// One generated population, parsed, shared by the tests that only read it.
struct Parsed {
  std::vector<Row> customers, relations, mailings, contacts;
};

const Parsed& TwentyThousand() {
  static const Parsed* parsed = [] {
    Population population = Make(20'000, 7);
    auto* p = new Parsed;
    p->customers = ParseCsv(Generate(population, CsvFile::kCustomers));
    p->relations = ParseCsv(Generate(population, CsvFile::kRelations));
    p->mailings = ParseCsv(Generate(population, CsvFile::kMailings));
    p->contacts = ParseCsv(Generate(population, CsvFile::kContactReports));
    return p;
  }();
  return *parsed;
}

TEST(DatagenTest, HeadersAreExactlyAsDocumented) {
  EXPECT_EQ(Header(CsvFile::kCustomers),
            "bsn,customer_number,salutation,initials,name_prefix,surname,street,house_number,house_number_suffix,"
            "postcode,city,phone,email,regulation,municipality_code,birth_date,debt_cents,payment_plan,iban,"
            "care_summary,active,inactive_since");
  EXPECT_EQ(Header(CsvFile::kRelations),
            "customer_bsn,kind,initials,name_prefix,surname,street,house_number,house_number_suffix,postcode,city,"
            "phone,email,routing");
  EXPECT_EQ(Header(CsvFile::kMailings), "customer_bsn,mailing_type,planned_date");
  EXPECT_EQ(Header(CsvFile::kContactReports), "customer_bsn,channel,topic,contact_time,reached");
  EXPECT_EQ(FileName(CsvFile::kCustomers), "customers.csv");
  EXPECT_EQ(FileName(CsvFile::kRelations), "relations.csv");
  EXPECT_EQ(FileName(CsvFile::kMailings), "mailings.csv");
  EXPECT_EQ(FileName(CsvFile::kContactReports), "contact_reports.csv");

  Population population = Make(50, 1);
  for (CsvFile file : kAllFiles) {
    const std::string text = Generate(population, file);
    EXPECT_EQ(text.substr(0, text.find('\n')), Header(file));
  }
}

TEST(DatagenTest, SameSeedGivesSameBytesAndOtherSeedOrDateDiffers) {
  Population a = Make(3'000, 42), b = Make(3'000, 42), c = Make(3'000, 43);
  Population d = Make(3'000, 42, absl::CivilDay(2027, 3, 1));
  for (CsvFile file : kAllFiles) {
    const std::string text = Generate(a, file);
    EXPECT_GT(text.size(), Header(file).size() + 1000) << FileName(file);
    EXPECT_TRUE(text == Generate(b, file)) << FileName(file);
    EXPECT_TRUE(text != Generate(c, file)) << FileName(file);
    // Relations hold no dates, so only they stay the same for another reference date.
    if (file != CsvFile::kRelations) {
      EXPECT_TRUE(text != Generate(d, file)) << FileName(file);
    }
  }
  // Writing a file twice from one population (or concurrently, see WriteAll) changes nothing.
  EXPECT_TRUE(Generate(a, CsvFile::kRelations) == Generate(a, CsvFile::kRelations));
}

TEST(DatagenTest, LargerPopulationStartsWithTheSmallerOne) {
  // Customer i does not depend on how many customers there are.
  const std::string small = Generate(Make(1'000, 5), CsvFile::kCustomers);
  const std::string large = Generate(Make(2'000, 5), CsvFile::kCustomers);
  EXPECT_EQ(large.substr(0, small.size()), small);
}

TEST(DatagenTest, BsnsAreValidAndUniqueAndCustomerNumbersUnique) {
  const Parsed& p = TwentyThousand();
  ASSERT_EQ(p.customers.size(), 20'001u);
  const std::regex customer_number("[1-9][0-9]{9}");
  std::set<std::string> bsns, numbers;
  for (size_t i = 1; i < p.customers.size(); ++i) {
    const Row& r = p.customers[i];
    ASSERT_EQ(r.size(), 22u) << "line " << i + 1;
    EXPECT_TRUE(common::Bsn::Parse(r[0]).ok()) << r[0];
    EXPECT_TRUE(bsns.insert(r[0]).second) << "duplicate BSN on line " << i + 1;
    EXPECT_TRUE(std::regex_match(r[1], customer_number)) << r[1];
    EXPECT_TRUE(numbers.insert(r[1]).second) << "duplicate customer number on line " << i + 1;
  }
  Population population = Make(20'000, 7);
  EXPECT_EQ(population.BsnAt(0), p.customers[1][0]);
  EXPECT_EQ(population.BsnAt(19'999), p.customers[20'000][0]);
}

TEST(DatagenTest, CustomerFieldsFollowTheFormat) {
  const Parsed& p = TwentyThousand();
  const absl::CivilDay reference(2026, 11, 1);
  const std::regex initials("([A-Z]\\.){1,4}"), postcode("[1-9][0-9]{3} [A-Z]{2}"), phone("\\+31[0-9]{9}"),
      email("[a-z]\\.[a-z]+[0-9]{0,2}@example\\.(com|net|org)"), municipality("GM[0-9]{4}");
  const std::set<std::string> salutations = {"MR", "MS", "NEUTRAL"};
  const std::set<std::string> regulations = {"WLZ", "WMO", "WANBETALERS", "ONVERZEKERDEN"};
  bool saw_quoted_care = false, saw_apostrophe_city = false;
  for (size_t i = 1; i < p.customers.size(); ++i) {
    const Row& r = p.customers[i];
    SCOPED_TRACE("line " + std::to_string(i + 1));
    EXPECT_TRUE(salutations.count(r[2]));
    EXPECT_TRUE(std::regex_match(r[3], initials)) << r[3];
    EXPECT_FALSE(r[5].empty());
    const bool address = !r[6].empty();
    EXPECT_EQ(!r[7].empty(), address);
    EXPECT_EQ(!r[9].empty(), address);
    EXPECT_EQ(!r[10].empty(), address);
    if (address) {
      int house = 0;
      EXPECT_TRUE(absl::SimpleAtoi(r[7], &house) && house >= 1 && house <= 99999) << r[7];
      EXPECT_TRUE(std::regex_match(r[9], postcode)) << r[9];
      const std::string letters = r[9].substr(5);
      EXPECT_TRUE(letters != "SA" && letters != "SD" && letters != "SS") << r[9];
      if (r[10] == "'s-Gravenhage") saw_apostrophe_city = true;
    } else {
      EXPECT_TRUE(r[8].empty());
    }
    if (!r[11].empty()) {
      EXPECT_TRUE(std::regex_match(r[11], phone)) << r[11];
    }
    if (!r[12].empty()) {
      EXPECT_TRUE(std::regex_match(r[12], email)) << r[12];
    }
    EXPECT_TRUE(regulations.count(r[13])) << r[13];
    EXPECT_TRUE(std::regex_match(r[14], municipality)) << r[14];
    const absl::CivilDay birth = Day(r[15]);
    EXPECT_GE(birth, absl::CivilDay(1925, 1, 1));
    EXPECT_LE(birth, absl::CivilDay(2005, 12, 31));
    int64_t debt = -1;
    EXPECT_TRUE(absl::SimpleAtoi(r[16], &debt) && debt >= 0) << r[16];
    EXPECT_TRUE(r[17] == "true" || r[17] == "false");
    if (debt == 0) {
      EXPECT_EQ(r[17], "false");
    }
    if (r[13] == "WANBETALERS") {
      EXPECT_GT(debt, 0);
    }
    if (!r[18].empty()) {
      EXPECT_TRUE(IbanValid(r[18])) << r[18];
    }
    if (r[19].find(',') != std::string::npos) saw_quoted_care = true;
    EXPECT_TRUE(r[20] == "true" || r[20] == "false");
    if (r[20] == "true") {
      EXPECT_TRUE(r[21].empty());
    } else {
      const absl::CivilDay since = Day(r[21]);
      EXPECT_LT(since, reference);
      EXPECT_GE(since, reference - 4 * 365);
    }
  }
  EXPECT_TRUE(saw_quoted_care) << "no care summary with a comma: quoting is not exercised";
  EXPECT_TRUE(saw_apostrophe_city);
}

TEST(DatagenTest, ReferencesPointToCustomersAndValuesAreValid) {
  const Parsed& p = TwentyThousand();
  const absl::CivilDay reference(2026, 11, 1);
  std::map<std::string, const Row*> customers;
  for (size_t i = 1; i < p.customers.size(); ++i) customers[p.customers[i][0]] = &p.customers[i];

  for (size_t i = 1; i < p.relations.size(); ++i) {
    const Row& r = p.relations[i];
    SCOPED_TRACE("relations.csv line " + std::to_string(i + 1));
    ASSERT_EQ(r.size(), 13u);
    EXPECT_TRUE(customers.count(r[0]));
    EXPECT_TRUE(r[1] == "LEGAL_REPRESENTATIVE" || r[1] == "CONTACT_PERSON") << r[1];
    EXPECT_FALSE(r[2].empty());
    EXPECT_FALSE(r[4].empty());
    EXPECT_EQ(r[5].empty(), r[9].empty());
    EXPECT_TRUE(r[12] == "RELATION" || r[12] == "CUSTOMER") << r[12];
    if (r[1] == "LEGAL_REPRESENTATIVE") {
      EXPECT_EQ(r[12], "RELATION");
    }
  }
  // Relations that live with the customer repeat the customer's address: the files agree.
  int shared_address = 0;
  for (size_t i = 1; i < p.relations.size(); ++i) {
    const Row& r = p.relations[i];
    const Row& c = *customers[r[0]];
    if (!r[5].empty() && r[5] == c[6] && r[6] == c[7] && r[7] == c[8] && r[8] == c[9] && r[9] == c[10]) {
      ++shared_address;
    }
  }
  EXPECT_GT(shared_address, static_cast<int>(p.relations.size() / 10));

  const std::set<std::string> types = {"ANNUAL_STATEMENT", "INVOICE", "DECISION", "PAYMENT_REMINDER", "NEWSLETTER"};
  for (size_t i = 1; i < p.mailings.size(); ++i) {
    const Row& r = p.mailings[i];
    SCOPED_TRACE("mailings.csv line " + std::to_string(i + 1));
    ASSERT_EQ(r.size(), 3u);
    EXPECT_TRUE(customers.count(r[0]));
    EXPECT_TRUE(types.count(r[1])) << r[1];
    const absl::CivilDay day = Day(r[2]);
    EXPECT_GE(day, reference - 30);
    EXPECT_LE(day, reference + 365);
  }
  const std::set<std::string> channels = {"PHONE", "LETTER", "EMAIL", "WEBSITE"};
  const std::regex time("(\\d{4}-\\d{2}-\\d{2})T(0[7-9]|1[0-5]):[0-5]\\d:[0-5]\\dZ");
  for (size_t i = 1; i < p.contacts.size(); ++i) {
    const Row& r = p.contacts[i];
    SCOPED_TRACE("contact_reports.csv line " + std::to_string(i + 1));
    ASSERT_EQ(r.size(), 5u);
    ASSERT_TRUE(customers.count(r[0]));
    EXPECT_TRUE(channels.count(r[1])) << r[1];
    EXPECT_FALSE(r[2].empty());
    EXPECT_LE(r[2].size(), 200u);
    std::smatch m;
    ASSERT_TRUE(std::regex_match(r[3], m, time)) << r[3];
    const absl::CivilDay day = Day(m[1].str());
    EXPECT_LT(day, reference);
    EXPECT_GE(day, reference - 730);
    const Row& customer = *customers[r[0]];
    if (customer[20] == "false") {
      EXPECT_LE(day, Day(customer[21]));
    }
    EXPECT_TRUE(r[4] == "true" || r[4] == "false");
  }
}

TEST(DatagenTest, SharesAreAsSpecified) {
  const Parsed& p = TwentyThousand();
  const double n = static_cast<double>(p.customers.size() - 1);
  std::map<std::string, int> regulation;
  int inactive = 0, inactive_over_two_years = 0, phone = 0, email = 0, no_address = 0, no_debt = 0, debtors = 0,
      plans = 0, iban = 0;
  const absl::CivilDay reference(2026, 11, 1);
  for (size_t i = 1; i < p.customers.size(); ++i) {
    const Row& r = p.customers[i];
    ++regulation[r[13]];
    if (r[20] == "false") {
      ++inactive;
      if (Day(r[21]) < reference - 730) ++inactive_over_two_years;
    }
    phone += !r[11].empty();
    email += !r[12].empty();
    no_address += r[6].empty();
    if (r[16] == "0") {
      ++no_debt;
    } else {
      ++debtors;
      plans += r[17] == "true";
    }
    iban += !r[18].empty();
  }
  EXPECT_NEAR(regulation["WLZ"] / n, 0.35, 0.02);
  EXPECT_NEAR(regulation["WMO"] / n, 0.45, 0.02);
  EXPECT_NEAR(regulation["WANBETALERS"] / n, 0.15, 0.015);
  EXPECT_NEAR(regulation["ONVERZEKERDEN"] / n, 0.05, 0.01);
  EXPECT_NEAR(inactive / n, 0.08, 0.01);
  EXPECT_GT(inactive_over_two_years, inactive / 4);
  EXPECT_NEAR(phone / n, 0.70, 0.02);
  EXPECT_NEAR(email / n, 0.50, 0.02);
  EXPECT_NEAR(no_address / n, 0.01, 0.005);
  EXPECT_NEAR(no_debt / n, 0.70, 0.02);
  EXPECT_NEAR(plans / static_cast<double>(debtors), 0.30, 0.03);
  EXPECT_NEAR(iban / n, 0.80, 0.02);

  std::set<std::string> with_representative, with_contact;
  int contact_rows = 0, contact_relation = 0;
  for (size_t i = 1; i < p.relations.size(); ++i) {
    const Row& r = p.relations[i];
    if (r[1] == "LEGAL_REPRESENTATIVE") {
      with_representative.insert(r[0]);
    } else {
      with_contact.insert(r[0]);
      ++contact_rows;
      contact_relation += r[12] == "RELATION";
    }
  }
  EXPECT_NEAR(with_representative.size() / n, 0.10, 0.015);
  EXPECT_NEAR(with_contact.size() / n, 0.05, 0.01);
  EXPECT_NEAR(contact_relation / static_cast<double>(contact_rows), 0.5, 0.06);

  EXPECT_NEAR((p.mailings.size() - 1) / n, 3.0, 0.3);
  EXPECT_NEAR((p.contacts.size() - 1) / n, 2.5, 0.3);
}

TEST(DatagenTest, WriteAllWritesTheSameBytesAsTheSink) {
  const std::string dir = ::testing::TempDir() + "/datagen_write_all";
  std::filesystem::remove_all(dir);
  Population population = Make(500, 3);
  auto stats = WriteAll(population, dir);
  ASSERT_TRUE(stats.ok()) << stats.status();
  for (size_t k = 0; k < kAllFiles.size(); ++k) {
    std::ifstream in(dir + "/" + std::string(FileName(kAllFiles[k])), std::ios::binary);
    std::stringstream contents;
    contents << in.rdbuf();
    const std::string expected = Generate(population, kAllFiles[k]);
    EXPECT_TRUE(contents.str() == expected) << FileName(kAllFiles[k]);
    EXPECT_EQ((*stats)[k].bytes, static_cast<int64_t>(expected.size()));
    EXPECT_EQ((*stats)[k].rows + 1, std::count(expected.begin(), expected.end(), '\n'));
  }
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    EXPECT_EQ(entry.path().extension(), ".csv") << entry.path();
  }
  std::filesystem::remove_all(dir);
}

TEST(DatagenTest, ParsesSizesAndReferenceDates) {
  EXPECT_EQ(*ParseSize("small"), 10'000);
  EXPECT_EQ(*ParseSize("large"), 2'000'000);
  EXPECT_EQ(*ParseSize("1234"), 1234);
  EXPECT_FALSE(ParseSize("0").ok());
  EXPECT_FALSE(ParseSize("medium").ok());
  EXPECT_FALSE(ParseSize("100000000").ok());
  EXPECT_EQ(*ParseReferenceDate("2026-11-01"), absl::CivilDay(2026, 11, 1));
  EXPECT_FALSE(ParseReferenceDate("2026-02-30").ok());
  EXPECT_FALSE(ParseReferenceDate("2026-1-1").ok());
  EXPECT_FALSE(ParseReferenceDate("1999-12-31").ok());
  EXPECT_FALSE(Population::Create({0, 1, absl::CivilDay(2026, 11, 1)}).ok());
}

// The topics are the contact-report vocabulary campaign-svc checks response topics against.
TEST(DatagenTest, TopicsAreTheContactReportVocabulary) {
  std::set<std::string> generated, vocabulary;
  for (const Weighted& t : ContactTopics()) generated.insert(t.text);
  for (std::string_view t : common::ContactTopics()) vocabulary.insert(std::string(t));
  EXPECT_EQ(generated, vocabulary);
  for (const Weighted& t : ResponseTopics()) EXPECT_TRUE(common::IsContactTopic(t.text)) << t.text;
}

// Follow-up contacts make topics matter: reached recipients respond about the message on a
// response topic at about response_share; everyone else contacts CAK about other things at
// about other_share, on the base extract's topic mix; the same inputs give the same bytes.
TEST(DatagenTest, FollowUpContactsRespondOnResponseTopics) {
  const Population p = Make(20'000, 7);
  std::vector<std::string> reached;
  for (int64_t i = 0; i < 20'000; i += 2) reached.push_back(p.BsnAt(i));  // every other customer
  FollowUpOptions o;
  o.from = absl::FromCivil(absl::CivilSecond(2026, 11, 2, 8, 0, 0), absl::UTCTimeZone());
  o.until = o.from + absl::Hours(24 * 14);
  StringSink a, b;
  auto stats = p.WriteFollowUpContacts(o, reached, a);
  ASSERT_TRUE(stats.ok()) << stats.status();
  ASSERT_TRUE(p.WriteFollowUpContacts(o, reached, b).ok());
  EXPECT_EQ(a.contents(), b.contents());

  std::set<std::string> response_topics, reached_set(reached.begin(), reached.end());
  for (const Weighted& t : ResponseTopics()) response_topics.insert(t.text);
  const std::vector<Row> rows = ParseCsv(a.contents());
  ASSERT_EQ(rows[0], (Row{"customer_bsn", "channel", "topic", "contact_time", "reached"}));
  EXPECT_EQ(static_cast<int64_t>(rows.size()) - 1, stats->file.rows);
  EXPECT_EQ(stats->file.rows, stats->responses + stats->other_contacts);
  int64_t reached_on_topic = 0, others_on_topic = 0, others = 0;
  for (size_t k = 1; k < rows.size(); ++k) {
    const Row& r = rows[k];
    ASSERT_EQ(r.size(), 5u);
    const absl::Time t = *[&] {
      absl::Time out;
      std::string error;
      EXPECT_TRUE(absl::ParseTime("%Y-%m-%dT%H:%M:%SZ", r[3], &out, &error)) << r[3];
      return std::optional<absl::Time>(out);
    }();
    EXPECT_GE(t, o.from);
    EXPECT_LT(t, o.until);
    const bool on_topic = response_topics.count(r[2]) > 0;
    if (reached_set.count(r[0])) {
      reached_on_topic += on_topic;
    } else {
      ++others;
      others_on_topic += on_topic;
    }
  }
  // ~92% active, half reached: 10,000 x 0.92 x 0.30 x 0.9 responses on topic (+ background).
  EXPECT_NEAR(static_cast<double>(stats->responses), 10'000 * 0.92 * 0.30, 300);
  EXPECT_GT(reached_on_topic, 2'200);
  // The others only contact CAK in the background: about 2%, on the base mix, in which the
  // invoice topics weigh 61 of 118: noise a topic filter keeps, which the control group measures.
  EXPECT_NEAR(static_cast<double>(others), 10'000 * 0.92 * 0.02, 60);
  EXPECT_GT(others_on_topic, others * 3 / 10);
  EXPECT_LT(others_on_topic, others * 7 / 10);

  o.header = false;  // rows only, to append to an extract
  StringSink rows_only;
  ASSERT_TRUE(p.WriteFollowUpContacts(o, reached, rows_only).ok());
  EXPECT_EQ(rows_only.contents(), a.contents().substr(a.contents().find('\n') + 1));
  o.until = o.from;
  EXPECT_EQ(p.WriteFollowUpContacts(o, reached, rows_only).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace cak::tools::datagen
