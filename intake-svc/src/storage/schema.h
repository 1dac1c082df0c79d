// The migrations that make intake-svc's schema: the common ones (processing log, idempotency
// keys, time functions), then intake's own (intake-svc/migrations/NNNN_*.sql).
#pragma once

#include <vector>

#include "common/db/migrations.h"

namespace cak::intake::storage {

std::vector<common::db::MigrationSet> IntakeMigrationSets();

}  // namespace cak::intake::storage
