// PostgreSQL implementation of domain::SnapshotRepository (schema: analysis-svc/migrations).
//
// A load holds one pooled session from start to publish: it creates the version table through
// the owner's create_dataset_version(), takes the advisory lock (7624, version) that tells the
// collector the importer is alive, streams the rows with COPY, lets finish_dataset_version()
// build the indexes, and publishes in one transaction with the idempotency claim and the
// processing-log entry. A load that is dropped unpublished discards its table; one whose
// process died leaves a 'loading' row whose lock is free, which CollectVersions() removes.
#pragma once

#include <string>
#include <vector>

#include "analysis-svc/src/domain/repository.h"
#include "common/db/pool.h"
#include "common/db/processing_log_store.h"

namespace cak::analysis::storage {

class PgSnapshotRepository final : public domain::SnapshotRepository {
 public:
  struct Options {
    std::string schema = "analysis";
    // Zone in which a contact report's time becomes a calendar day.
    std::string zone = "Europe/Amsterdam";
    // Published versions the latest `keep_snapshots` snapshots use are kept (readers of the
    // previous snapshot may still be at work); older ones are dropped.
    int keep_snapshots = 2;
    // Pooled sessions a columnar build reads on at once (those beyond the first only when free
    // at once): its four parts stream in parallel.
    int load_sessions = 4;
  };

  // Not owned.
  PgSnapshotRepository(common::db::PgPool* pool, const common::db::ProcessingLogStore* log, Options options);

  absl::StatusOr<domain::SnapshotInfo> CurrentSnapshot(absl::Time deadline) override;
  absl::StatusOr<std::shared_ptr<const domain::ColumnarSnapshot>> LoadColumnar(
      const domain::SnapshotInfo& snapshot) override;
  absl::StatusOr<std::shared_ptr<const domain::ColumnarSnapshot>> LoadCustomerKeys(
      const domain::SnapshotInfo& snapshot) override;
  absl::StatusOr<std::unique_ptr<domain::DatasetLoad>> BeginLoad(domain::Dataset dataset,
                                                                 const std::string& source) override;
  absl::StatusOr<std::optional<Claimed>> FindClaim(const std::string& operation,
                                                   const std::string& request_id) override;
  absl::StatusOr<domain::ImportReport> GetImportReport(int64_t dataset_version) override;
  absl::StatusOr<int> CollectVersions() override;

  // The statements LoadColumnar reads a snapshot's parts with, customers first (the benchmark
  // runs the same through psql for its reference).
  struct ColumnarCopy {
    domain::Dataset dataset;
    std::string statement;  // COPY (SELECT ...) TO STDOUT
  };
  static std::vector<ColumnarCopy> ColumnarCopies(const std::string& schema, const std::string& zone,
                                                  const domain::SnapshotInfo& snapshot);

  // "<schema>.<dataset>_v<version>"
  static std::string VersionTable(const std::string& schema, domain::Dataset dataset, int64_t version);

 private:
  common::db::PgPool* pool_;
  const common::db::ProcessingLogStore* log_;
  Options options_;
};

}  // namespace cak::analysis::storage
