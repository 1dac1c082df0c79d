// Import rows and CSV reading without a database: the row rules (each naming its column and
// reason), the COPY text they produce, and the RFC 4180 reader across buffer boundaries.
#include <gtest/gtest.h>

#include "analysis-svc/src/domain/analysis_service.h"
#include "analysis-svc/src/domain/csv_reader.h"
#include "analysis-svc/src/domain/import_rows.h"

namespace cak::analysis::domain {
namespace {

const absl::CivilDay kToday(2026, 11, 2);

std::vector<std::string> GoodCustomer() {
  return {"111222333",
          "1000000001",
          "MS",
          "J.",
          "van der",
          "Berg",
          "Dorpsstraat",
          "12",
          "a",
          "1234 AB",
          "Utrecht",
          "+31612345678",
          "j@example.com",
          "WLZ",
          "GM0344",
          "1940-05-06",
          "12345",
          "true",
          "NL91ABNA0417164300",
          "Thuiszorg, 4 uur",
          "true",
          ""};
}

struct Encoded {
  bool ok;
  std::string line;
  RowError error;
};

Encoded Encode(RowEncoder& enc, const std::vector<std::string>& f, int64_t row = 2) {
  std::vector<absl::string_view> views(f.begin(), f.end());
  Encoded e;
  e.ok = enc.Encode(row, views, &e.line, &e.error);
  return e;
}

TEST(RowEncoderTest, GoodCustomerBecomesCopyText) {
  RowEncoder enc(Dataset::kCustomers, kToday, nullptr);
  Encoded e = Encode(enc, GoodCustomer());
  ASSERT_TRUE(e.ok) << e.error.field << " " << e.error.reason;
  EXPECT_EQ(e.line,
            "111222333\t1000000001\tMS\tJ.\tvan der\tBerg\tDorpsstraat\t12\ta\t1234 AB\tUtrecht\t+31612345678\t"
            "j@example.com\tWLZ\tGM0344\t1940-05-06\t12345\tt\tNL91ABNA0417164300\tThuiszorg, 4 uur\tt\t\\N\n");
}

TEST(RowEncoderTest, EachRuleNamesItsColumn) {
  struct Case {
    size_t column;
    std::string value;
    std::string field, reason;
  };
  const std::vector<Case> cases = {
      {0, "111222334", "bsn", "INVALID_BSN"},
      {0, "", "bsn", "REQUIRED_FIELD_MISSING"},
      {1, "12", "customer_number", "INVALID_FIELD_VALUE"},
      {2, "SIR", "salutation", "UNKNOWN_ENUM_VALUE"},
      {5, "", "surname", "REQUIRED_FIELD_MISSING"},
      {5, std::string(101, 'x'), "surname", "FIELD_TOO_LONG"},
      {5, "Berg\x01", "surname", "INVALID_CHARACTERS"},
      {5, "Berg\xC3", "surname", "INVALID_CHARACTERS"},  // cut UTF-8
      {9, "", "postcode", "INCOMPLETE_ADDRESS"},
      {9, "12345", "postcode", "INVALID_FIELD_VALUE"},
      {7, "0", "house_number", "INVALID_FIELD_VALUE"},
      {11, "0612345678", "phone", "INVALID_FIELD_VALUE"},
      {12, "no-at-sign", "email", "INVALID_FIELD_VALUE"},
      {13, "AOW", "regulation", "UNKNOWN_ENUM_VALUE"},
      {14, "0344", "municipality_code", "INVALID_FIELD_VALUE"},
      {15, "1940-02-30", "birth_date", "INVALID_DATE"},
      {15, "2027-01-01", "birth_date", "DATE_IN_FUTURE"},
      {16, "-1", "debt_cents", "INVALID_FIELD_VALUE"},
      {17, "yes", "payment_plan", "INVALID_FIELD_VALUE"},
      {18, "NL91ABNA0417164301", "iban", "INVALID_IBAN"},
      {21, "2020-01-01", "inactive_since", "INVALID_FIELD_VALUE"},  // active customers have none
  };
  for (const Case& c : cases) {
    RowEncoder enc(Dataset::kCustomers, kToday, nullptr);
    std::vector<std::string> f = GoodCustomer();
    f[c.column] = c.value;
    Encoded e = Encode(enc, f, 7);
    EXPECT_FALSE(e.ok) << c.field << "=" << c.value;
    EXPECT_EQ(e.error.field, c.field) << c.value;
    EXPECT_EQ(e.error.reason, c.reason) << c.field << "=" << c.value;
    EXPECT_EQ(e.error.row, 7);
    EXPECT_TRUE(e.line.empty());
    EXPECT_EQ(e.error.message.find(c.value.empty() ? "\x01\x02" : c.value), std::string::npos)
        << "the message must not repeat the value";
  }
}

TEST(RowEncoderTest, InactiveNeedsDateAndBsnIsUniquePerImport) {
  RowEncoder enc(Dataset::kCustomers, kToday, nullptr);
  std::vector<std::string> f = GoodCustomer();
  f[20] = "false";
  Encoded missing = Encode(enc, f);
  EXPECT_EQ(missing.error.reason, "REQUIRED_FIELD_MISSING");
  EXPECT_EQ(missing.error.field, "inactive_since");
  f[21] = "2024-03-01";
  EXPECT_TRUE(Encode(enc, f).ok);
  Encoded again = Encode(enc, f);
  EXPECT_FALSE(again.ok);
  EXPECT_EQ(again.error.reason, "DUPLICATE_BSN");
  std::vector<std::string> short_row = {"1", "2"};
  EXPECT_EQ(Encode(enc, short_row).error.reason, "WRONG_COLUMN_COUNT");
}

TEST(RowEncoderTest, ReferencesMustBeCustomersOfTheSnapshot) {
  ColumnarBuilder b(1);
  ColumnarBuilder::CustomerRow c;
  c.bsn = 111222333;
  c.municipality = 344;
  b.AddCustomer(c);
  const ColumnarSnapshot s = std::move(b).Build();
  RowEncoder mailings(Dataset::kMailings, kToday, &s);
  Encoded planned = Encode(mailings, {"111222333", "INVOICE", "2027-01-01"});
  EXPECT_TRUE(planned.ok) << planned.error.field << " " << planned.error.reason;  // planned: future is fine
  Encoded unknown = Encode(mailings, {"123456782", "INVOICE", "2027-01-01"});
  EXPECT_EQ(unknown.error.reason, "UNKNOWN_CUSTOMER");
  EXPECT_EQ(unknown.error.field, "customer_bsn");

  RowEncoder contacts(Dataset::kContactReports, kToday, &s);
  Encoded ok = Encode(contacts, {"111222333", "PHONE", "Vraag a\\b", "2026-03-01T09:15:00Z", "true"});
  ASSERT_TRUE(ok.ok) << ok.error.reason;
  EXPECT_EQ(ok.line, "111222333\tPHONE\tVraag a\\\\b\t2026-03-01T09:15:00Z\tt\n");
  EXPECT_EQ(Encode(contacts, {"111222333", "PHONE", "x", "2026-03-01 09:15", "true"}).error.reason, "INVALID_DATE");

  RowEncoder relations(Dataset::kRelations, kToday, &s);
  Encoded rel = Encode(
      relations, {"111222333", "LEGAL_REPRESENTATIVE", "P.", "", "Jansen", "", "", "", "", "", "", "", "RELATION"});
  ASSERT_TRUE(rel.ok) << rel.error.reason;
  EXPECT_EQ(rel.line,
            "1\t111222333\tLEGAL_REPRESENTATIVE\tP.\t\\N\tJansen\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\tRELATION\n");
}

std::vector<std::vector<std::string>> ReadAll(const std::string& text, size_t chunk, absl::Status* status,
                                              std::vector<int64_t>* lines = nullptr) {
  size_t pos = 0;
  CsvReader reader(
      [&](char* buf, size_t cap) -> int64_t {
        const size_t n = std::min({cap, chunk, text.size() - pos});
        std::memcpy(buf, text.data() + pos, n);
        pos += n;
        return static_cast<int64_t>(n);
      },
      chunk);
  std::vector<std::vector<std::string>> out;
  std::vector<absl::string_view> fields;
  while (reader.Next(&fields)) {
    out.emplace_back(fields.begin(), fields.end());
    if (lines) lines->push_back(reader.line());
  }
  *status = reader.status();
  return out;
}

TEST(CsvReaderTest, QuotesNewlinesAndLineNumbersAtEveryChunkSize) {
  const std::string text =
      "a,b,c\n"
      "1,\"x, \"\"quoted\"\"\",3\n"
      "\"multi\nline\",,\r\n"
      "last,row,\"\"";  // no final newline
  for (size_t chunk : {1, 2, 3, 5, 7, 64, 4096}) {
    absl::Status st;
    std::vector<int64_t> lines;
    auto rows = ReadAll(text, chunk, &st, &lines);
    ASSERT_TRUE(st.ok()) << chunk << ": " << st;
    ASSERT_EQ(rows.size(), 4u) << chunk;
    EXPECT_EQ(rows[0], (std::vector<std::string>{"a", "b", "c"}));
    EXPECT_EQ(rows[1], (std::vector<std::string>{"1", "x, \"quoted\"", "3"})) << chunk;
    EXPECT_EQ(rows[2], (std::vector<std::string>{"multi\nline", "", ""})) << chunk;
    EXPECT_EQ(rows[3], (std::vector<std::string>{"last", "row", ""})) << chunk;
    EXPECT_EQ(lines, (std::vector<int64_t>{1, 2, 3, 5})) << chunk;
  }
}

TEST(CsvReaderTest, CrlfAfterAQuotedFieldAtEveryChunkSize) {
  const std::string text = "a,\"b\"\r\n\"c\",d\r\ne,\"f\"\r\n";
  for (size_t chunk : {1, 2, 3, 4, 5, 6, 7, 8, 64}) {
    absl::Status st;
    std::vector<int64_t> lines;
    auto rows = ReadAll(text, chunk, &st, &lines);
    ASSERT_TRUE(st.ok()) << chunk << ": " << st;
    ASSERT_EQ(rows.size(), 3u) << chunk;
    EXPECT_EQ(rows[1], (std::vector<std::string>{"c", "d"})) << chunk;
    EXPECT_EQ(lines, (std::vector<int64_t>{1, 2, 3})) << chunk;
  }
}

TEST(CsvReaderTest, ALineWithoutEndIsRefusedNotBuffered) {
  absl::Status st;
  ReadAll(std::string(3 << 20, 'x'), 1 << 16, &st);
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
}

TEST(CsvReaderTest, MalformedInputStopsWithAReason) {
  absl::Status st;
  ReadAll("a,b\n\"open,2\n", 4, &st);
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  ReadAll("a,\"b\"x\n", 4, &st);
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  auto rows = ReadAll("", 4, &st);
  EXPECT_TRUE(st.ok());
  EXPECT_TRUE(rows.empty());
}

TEST(MaskNameTest, KeepsInitialsAndFirstLetters) {
  EXPECT_EQ(MaskName("J.", "van der", "Vries"), "J. v** d** V****");
  EXPECT_EQ(MaskName("A.B.", "", "Öztürk"), "A.B. Ö*****");
  EXPECT_EQ(MaskName("K.", "", ""), "K.");
}

}  // namespace
}  // namespace cak::analysis::domain
