#include "common/base/csv.h"

#include <gtest/gtest.h>

namespace cak::common {
namespace {

std::string Field(absl::string_view s) {
  std::string out = "x,";
  AppendCsvField(s, &out);
  return out;
}

TEST(CsvTest, PlainValuesStayAsTheyAre) {
  EXPECT_EQ(Field(""), "x,");
  EXPECT_EQ(Field("Vraag over factuur"), "x,Vraag over factuur");
  EXPECT_EQ(Field("Zoë 's-Hertogenbosch"), "x,Zoë 's-Hertogenbosch");
}

TEST(CsvTest, SeparatorsQuotesAndLineBreaksAreQuoted) {
  EXPECT_EQ(Field("Hoogte eigen bijdrage, inkomensgegevens"), "x,\"Hoogte eigen bijdrage, inkomensgegevens\"");
  EXPECT_EQ(Field("Klacht over \"onduidelijke\" brief"), "x,\"Klacht over \"\"onduidelijke\"\" brief\"");
  EXPECT_EQ(Field("\""), "x,\"\"\"\"");
  EXPECT_EQ(Field("regel 1\nregel 2"), "x,\"regel 1\nregel 2\"");
  EXPECT_EQ(Field("a\r\nb"), "x,\"a\r\nb\"");
  EXPECT_EQ(Field("zei \"ja\""), "x,\"zei \"\"ja\"\"\"");
}

}  // namespace
}  // namespace cak::common
