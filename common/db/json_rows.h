// Rows of any query as (column, value) text pairs in column order (row_to_json), for answers
// that show what is held as it is held (a data subject's access request).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/base/subject_data.h"
#include "common/db/pool.h"

namespace cak::common::db {

// Runs `select` (a SELECT with $1.. for `params`) and returns its rows; NULL reads as "", a
// non-text value as its JSON text (numbers, booleans as true/false). Throws what SOCI throws.
std::vector<SubjectRow> SelectAsText(soci::session& sql, const std::string& select,
                                     const std::vector<std::optional<std::string>>& params);

// The same on a session of its own from `pool`: storage errors as absl::Status.
absl::StatusOr<std::vector<SubjectRow>> SelectAsText(PgPool& pool, const std::string& select,
                                                     const std::vector<std::optional<std::string>>& params,
                                                     absl::Time deadline);

}  // namespace cak::common::db
