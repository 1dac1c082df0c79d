// PostgreSQL implementation of domain::SignalRepository (schema created by
// intake-svc/migrations). Each method is one transaction; each write also NOTIFYs
// <schema>_signal_events with the signal id, so watchers on every replica wake up on commit.
#pragma once

#include <string>

#include "common/db/pool.h"
#include "common/db/processing_log_store.h"
#include "intake-svc/src/domain/signal_repository.h"

namespace cak::intake::storage {

class PgSignalRepository final : public domain::SignalRepository {
 public:
  // None owned.
  PgSignalRepository(common::db::PgPool* pool, std::string schema, const common::db::ProcessingLogStore* log);

  // The LISTEN/NOTIFY channel for signal events in `schema`.
  static std::string NotifyChannel(const std::string& schema) { return schema + "_signal_events"; }

  absl::StatusOr<domain::CreateOutcome> Create(const common::CallContext& call,
                                               const domain::CreateCommand& command) override;
  absl::StatusOr<domain::Signal> Read(const common::CallContext& call, const std::string& id,
                                      const Inspector& inspect) override;
  absl::StatusOr<domain::Signal> Update(const common::CallContext& call, const std::string& id,
                                        const Decider& decide) override;
  absl::StatusOr<std::vector<domain::Signal>> List(const domain::ListQuery& query, absl::Time deadline) override;
  absl::StatusOr<std::vector<domain::SignalEvent>> EventsAfter(const std::string& id, int64_t after, int limit,
                                                               absl::Time deadline) override;
  absl::StatusOr<domain::PurgeOutcome> Purge(const common::CallContext& call, absl::Time cutoff, bool dry_run,
                                             const common::ProcessingRecord& record) override;

 private:
  std::optional<domain::Signal> Load(soci::session& sql, const std::string& id, bool for_update) const;
  std::vector<domain::DuplicateCandidate> InsertDuplicateCandidates(soci::session& sql,
                                                                    const domain::CreateCommand& command) const;

  common::db::PgPool* pool_;
  std::string schema_;
  std::string channel_;
  const common::db::ProcessingLogStore* log_;
};

}  // namespace cak::intake::storage
