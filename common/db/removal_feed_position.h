// Where a follower of analysis-svc's removal feed is (common migration 0011,
// common/base/subject_removals.h).
#pragma once

#include <string>

#include "common/base/subject_removals.h"
#include "common/db/pool.h"

namespace cak::common::db {

// The last removal followed; the start when none was.
absl::StatusOr<RemovalPosition> ReadRemovalPosition(PgPool& pool, const std::string& schema, absl::Time deadline);
// Records `at` in the caller's transaction.
void SaveRemovalPosition(Tx& tx, const std::string& schema, const RemovalPosition& at);

}  // namespace cak::common::db
