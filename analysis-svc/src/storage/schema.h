// analysis-svc's migration sets: the common ones (processing log, idempotency keys), then its own.
#pragma once

#include <vector>

#include "common/db/migrations.h"

namespace cak::analysis::storage {

std::vector<common::db::MigrationSet> AnalysisMigrationSets();

}  // namespace cak::analysis::storage
