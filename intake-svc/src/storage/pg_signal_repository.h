// PostgreSQL implementation of domain::SignalRepository (schema created by
// intake-svc/migrations). Each method is one transaction; each change of an existing signal
// also NOTIFYs <schema>_signal_events with the signal id, so watchers on every replica wake up
// on commit (a new signal needs no NOTIFY: nobody can be watching it yet).
#pragma once

#include <string>

#include "common/base/batcher.h"
#include "common/db/pool.h"
#include "common/db/processing_log_store.h"
#include "intake-svc/src/domain/signal_repository.h"

namespace cak::intake::storage {

class PgSignalRepository final : public domain::SignalRepository {
 public:
  // Group commit for SubmitSignal: concurrent creates are written `max_batch` at a time in one
  // transaction by `workers` threads (each holding one pooled connection while it writes).
  // workers = 0 writes every create in its own transaction.
  struct BatchOptions {
    int workers = 2;
    size_t max_batch = 64;
  };

  // None owned.
  PgSignalRepository(common::db::PgPool* pool, std::string schema, const common::db::ProcessingLogStore* log,
                     BatchOptions batching);
  ~PgSignalRepository() override;

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
  absl::StatusOr<std::vector<domain::Signal>> SignalsNaming(const common::Bsn& customer, absl::Time deadline) override;
  absl::StatusOr<int64_t> RemoveExampleCustomers(const common::CallContext& call,
                                                 const std::vector<common::Bsn>& customers, bool dry_run,
                                                 const common::FollowedPage* followed) override;
  absl::StatusOr<std::vector<common::Bsn>> ExampleCustomers(absl::Time deadline) override;
  absl::StatusOr<common::RemovalPosition> RemovalFeedPosition(absl::Time deadline) override;
  absl::StatusOr<domain::PurgeOutcome> Purge(const common::CallContext& call, absl::Time cutoff, bool dry_run,
                                             const common::ProcessingRecord& record) override;

 private:
  struct CreateItem {
    const common::CallContext* call;
    const domain::CreateCommand* command;
  };
  // Writes the creates in one transaction; if that fails for another reason than an
  // unavailable database, each is retried on its own so one bad item cannot fail the others.
  std::vector<absl::StatusOr<domain::CreateOutcome>> CreateMany(const std::vector<const CreateItem*>& items);
  absl::Status WriteCreates(common::db::Tx& tx, const std::vector<const CreateItem*>& items,
                            std::vector<absl::StatusOr<domain::CreateOutcome>>* results) const;
  std::optional<domain::Signal> Load(soci::session& sql, const std::string& id, bool for_update) const;

  common::db::PgPool* pool_;
  std::string schema_;
  std::string channel_;
  const common::db::ProcessingLogStore* log_;
  std::unique_ptr<common::Batcher<CreateItem, absl::StatusOr<domain::CreateOutcome>>> batcher_;
};

}  // namespace cak::intake::storage
