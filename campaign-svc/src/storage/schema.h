// campaign-svc's migration sets: the common ones (processing log, idempotency keys, outbox),
// then campaign-svc/migrations.
#pragma once

#include <vector>

#include "common/db/migrations.h"

namespace cak::campaign::storage {

std::vector<common::db::MigrationSet> CampaignMigrationSets();

}  // namespace cak::campaign::storage
