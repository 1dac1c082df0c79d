// Array literals quote what needs quoting.
#include "common/db/sql_array.h"

#include <gtest/gtest.h>

namespace cak::common::db {
namespace {

TEST(SqlArrayTest, QuotesAndEscapes) {
  EXPECT_EQ(TextArrayLiteral(std::vector<std::string>{}), "{}");
  EXPECT_EQ(TextArrayLiteral(std::vector<std::string>{"a", "b,c", "d\"e", "f\\g", ""}),
            R"({"a","b,c","d\"e","f\\g",""})");
  EXPECT_EQ(TextArrayLiteral(std::vector<std::optional<std::string>>{"x", std::nullopt}), R"({"x",NULL})");
  EXPECT_EQ(IntArrayLiteral({1, -2, 3}), "{1,-2,3}");
}

}  // namespace
}  // namespace cak::common::db
