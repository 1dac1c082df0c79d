// An in-memory DispatchRepository for dispatch-svc's domain unit tests: no PostgreSQL, the same
// observable contract as storage::PgDispatchRepository for what the domain's order, generation,
// feasibility and pull paths use (codes, reasons and fields built with the same helpers;
// idempotency by request id and fingerprint; GenerateNextBatch's three outcomes, with a claim
// that no second worker can take while it is held). Every processing-log entry it is asked to
// write is kept, with its subject rows, so tests can check what was logged. The retention and
// data-subject methods (SubjectItems, EraseSubjectItems, RemovalFeedPosition, PurgeOrders) are
// not implemented: they answer UNIMPLEMENTED.
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "dispatch-svc/src/domain/repository.h"

namespace cak::dispatch::testing {

// One entry of the fake's processing log: the operation as the repository received it and the
// subject rows written with it (hand-over entries, outcome reports).
struct LoggedEntry {
  common::CallContext call;
  common::ProcessingRecord record;
  std::vector<std::string> subject_ids;
  std::vector<std::string> addressees;  // as many as subject_ids, "" for the customer
};

class FakeDispatchRepository final : public domain::DispatchRepository {
 public:
  // --- DispatchRepository

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

  // --- What tests look at (copies, taken under the lock)

  // Every processing-log entry written (committed), in order.
  std::vector<LoggedEntry> log() const;
  // Those named `name` (e.g. "dispatch.DeliverBatch").
  std::vector<LoggedEntry> LogEntries(const std::string& name) const;
  // The stored items of one batch, in position order.
  std::vector<domain::Item> Items(const std::string& order_id, int32_t batch_no) const;
  int64_t item_count() const;
  int64_t order_count() const;
  int64_t batch_count() const;
  int64_t outcome_count() const;
  int64_t idempotency_key_count() const;
  // Batches claimed by GenerateNextBatch right now (a claim lasts for its generate call).
  int claims_held() const;

 private:
  struct StoredItem {
    int32_t batch_no = 0;
    domain::Item item;
  };
  struct StoredOutcome {
    domain::RecordedOutcome outcome;
    int32_t batch_no = 0;
    std::string reported_by;
  };
  struct Claim {
    std::string fingerprint;
    std::string resource_id;
  };
  class Writer;
  using BatchId = std::pair<std::string, int32_t>;  // order id, batch number
  using ItemId = std::pair<std::string, int64_t>;   // order id, position

  // The common::db::ClaimRequestId rule, on the caller's "transaction" (the lock): nullopt for
  // a new key (claimed only when `claim` is set), the first resource for a repeat,
  // INVALID_ARGUMENT (REQUEST_ID_REUSED, field request_id) for a different request.
  absl::StatusOr<std::optional<std::string>> LookUpKey(const common::IdempotencyKey& key) const;
  bool HasItem(const ItemId& id) const;  // takes the lock
  std::map<absl::CivilDay, int64_t> BookedLocked(const std::string& executor_id, absl::CivilDay from,
                                                 absl::CivilDay to) const;

  mutable std::mutex mu_;
  std::map<std::string, domain::Executor> executors_;
  std::map<std::string, domain::FeasibilityCheck> checks_;
  std::map<std::string, domain::Order> orders_;
  std::map<BatchId, domain::Batch> batches_;
  std::map<ItemId, StoredItem> items_;
  std::vector<StoredOutcome> outcomes_;
  std::map<std::pair<std::string, std::string>, Claim> keys_;  // (operation, request id)
  std::vector<LoggedEntry> log_;
  std::set<BatchId> claimed_;
  int64_t next_outcome_id_ = 1;
};

}  // namespace cak::dispatch::testing
