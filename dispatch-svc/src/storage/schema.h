// dispatch-svc's migration sets: the common ones (processing log, idempotency keys), then its own.
#pragma once

#include <vector>

#include "common/db/migrations.h"

namespace cak::dispatch::storage {

std::vector<common::db::MigrationSet> DispatchMigrationSets();

}  // namespace cak::dispatch::storage
