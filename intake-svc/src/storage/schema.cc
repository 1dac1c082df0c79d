// intake-svc's migration sets (see schema.h).
#include "intake-svc/src/storage/schema.h"

namespace cak::intake::storage {

std::vector<common::db::MigrationSet> IntakeMigrationSets() {
  return {{"common", &common::db::CommonMigrations()}, {"intake", &common::db::IntakeMigrations()}};
}

}  // namespace cak::intake::storage
