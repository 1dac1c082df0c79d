// PostgreSQL array literals for binding a whole list as one parameter
// (e.g. `unnest(CAST(:names AS text[]))`): one statement and one round trip for any number of
// rows, where SOCI's vector binding would do a round trip per row.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace cak::common::db {

// {"a","b \"quoted\""}: every element quoted and escaped; nullopt becomes NULL.
std::string TextArrayLiteral(const std::vector<std::string>& values);
std::string TextArrayLiteral(const std::vector<std::optional<std::string>>& values);
// {1,2,3}
std::string IntArrayLiteral(const std::vector<int64_t>& values);

}  // namespace cak::common::db
