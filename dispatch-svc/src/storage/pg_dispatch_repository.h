// PostgreSQL implementation of dispatch-svc's DispatchRepository (schema from
// dispatch-svc/migrations). Items go in with COPY, in the generating batch's transaction.
#pragma once

#include <string>

#include "common/db/pool.h"
#include "common/db/processing_log_store.h"
#include "dispatch-svc/src/domain/repository.h"

namespace cak::dispatch::storage {

class PgDispatchRepository final : public domain::DispatchRepository {
 public:
  // `replica` is recorded as generated_by of the batches this process writes.
  PgDispatchRepository(common::db::PgPool* pool, std::string schema, const common::db::ProcessingLogStore* log,
                       std::string replica);

  absl::StatusOr<domain::Executor> CreateExecutor(const domain::Executor& executor, const common::IdempotencyKey* key,
                                                  absl::Time now, bool* replayed, absl::Time deadline) override;
  absl::StatusOr<domain::Executor> GetExecutor(const std::string& id, absl::Time deadline) override;
  absl::StatusOr<domain::Executor> UpdateExecutor(const std::string& id,
                                                  const std::function<absl::Status(domain::Executor&)>& change,
                                                  absl::Time deadline) override;
  absl::StatusOr<std::optional<domain::Executor>> ExecutorForChannel(domain::Channel channel,
                                                                     absl::Time deadline) override;
  absl::StatusOr<std::optional<domain::Executor>> ExecutorByIdentity(const std::string& identity,
                                                                     absl::Time deadline) override;
  absl::StatusOr<std::vector<domain::Executor>> ListExecutors(const std::string& after_id, int limit,
                                                              absl::Time deadline) override;
  absl::StatusOr<std::map<absl::CivilDay, int64_t>> BookedCapacity(const std::string& executor_id, absl::CivilDay from,
                                                                   absl::CivilDay to, absl::Time deadline) override;
  absl::StatusOr<domain::FeasibilityCheck> CreateFeasibilityCheck(const domain::FeasibilityCheck& check,
                                                                  const common::IdempotencyKey* key, bool* replayed,
                                                                  absl::Time deadline) override;
  absl::StatusOr<domain::FeasibilityCheck> GetFeasibilityCheck(const std::string& id, absl::Time deadline) override;
  absl::StatusOr<std::vector<domain::FeasibilityCheck>> ListExecutorChecks(
      const std::string& executor_id, std::optional<domain::FeasibilityState> state,
      const std::optional<InboxKey>& after, int limit, absl::Time deadline) override;
  absl::StatusOr<domain::FeasibilityCheck> DecideFeasibility(const std::string& id, const std::string& executor_id,
                                                             domain::FeasibilityState state,
                                                             const std::string& decided_by, const std::string& comment,
                                                             absl::Time now, absl::Time deadline) override;
  absl::StatusOr<domain::Order> CreateOrder(const domain::Order& order, const common::IdempotencyKey* key,
                                            const PlanFn& plan, bool* replayed, absl::Time deadline,
                                            const common::CallContext& call,
                                            const common::ProcessingRecord& record) override;
  absl::StatusOr<domain::Order> GetOrder(const std::string& id, absl::Time deadline) override;
  absl::StatusOr<std::vector<domain::Order>> ListExecutorOrders(const std::string& executor_id,
                                                                std::optional<domain::OrderState> state,
                                                                const std::optional<InboxKey>& after, int limit,
                                                                absl::Time deadline) override;
  absl::StatusOr<std::map<std::string, std::string>> OrderGuidelines(const std::vector<std::string>& order_ids,
                                                                     absl::Time deadline) override;
  absl::StatusOr<std::optional<std::string>> FindClaim(const common::IdempotencyKey& key, absl::Time deadline) override;
  absl::StatusOr<std::vector<domain::Batch>> ListBatches(const std::string& order_id, int32_t after_batch_no, int limit,
                                                         absl::Time deadline) override;
  absl::StatusOr<std::vector<domain::Batch>> ListOpenBatches(const std::string& executor_id,
                                                             const std::optional<BatchKey>& after, int limit,
                                                             absl::Time deadline) override;
  absl::StatusOr<domain::Batch> GetBatch(const std::string& order_id, int32_t batch_no, const std::string& executor_id,
                                         absl::Time deadline) override;
  absl::Status StreamItems(const std::string& order_id, int32_t batch_no, int chunk,
                           const std::function<absl::Status(std::vector<domain::Item>&)>& sink) override;
  absl::StatusOr<domain::Batch> AcknowledgeBatch(const std::string& order_id, int32_t batch_no,
                                                 const std::string& executor_id, const std::string& by, absl::Time now,
                                                 absl::Time deadline) override;
  absl::StatusOr<int64_t> StoreOutcomes(const domain::OutcomeReport& report, const common::IdempotencyKey* key,
                                        bool* replayed, absl::Time deadline, const common::CallContext& call,
                                        const common::ProcessingRecord& record) override;
  absl::StatusOr<std::vector<domain::RecordedOutcome>> ListOutcomes(const std::string& order_id,
                                                                    bool include_superseded, int64_t after_id,
                                                                    int limit, absl::Time deadline) override;
  absl::Status Log(const common::CallContext& call, const common::ProcessingRecord& record,
                   absl::Time deadline) override;
  absl::StatusOr<Attempt> GenerateNextBatch(absl::Time now, const GenerateFn& generate) override;
  absl::StatusOr<std::vector<common::SubjectRow>> SubjectItems(const std::string& subject_id,
                                                               absl::Time deadline) override;
  absl::StatusOr<ItemErasure> EraseSubjectItems(const common::CallContext& call,
                                                const std::vector<std::string>& subject_ids, bool dry_run,
                                                const common::FollowedPage* followed) override;
  absl::StatusOr<common::RemovalPosition> RemovalFeedPosition(absl::Time deadline) override;
  absl::StatusOr<domain::PurgeCounts> PurgeOrders(
      const common::CallContext& call, absl::CivilDay cutoff, bool dry_run,
      const std::function<absl::Status(const std::vector<domain::Batch>&)>& remove_files) override;

 private:
  std::string Q(absl::string_view sql) const;  // ${s} -> the schema

  common::db::PgPool* pool_;
  std::string schema_;
  const common::db::ProcessingLogStore* log_;
  std::string replica_;
};

}  // namespace cak::dispatch::storage
