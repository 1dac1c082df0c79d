// What dispatch-svc's domain needs from the outside, as interfaces: its database
// (DispatchRepository, PostgreSQL in src/storage), the delivery directory (DeliveryStore,
// files in src/storage), and analysis-svc's recipient lists (RecipientSource, gRPC in
// src/clients). Unit tests use fakes of all three.
//
// Every method returns a status: UNAVAILABLE / RESOURCE_EXHAUSTED / DEADLINE_EXCEEDED from the
// pool or the peer, INTERNAL for database errors, and the codes named per method.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "common/base/bsn.h"
#include "common/base/idempotency_key.h"
#include "common/base/processing_log.h"
#include "common/base/subject_data.h"
#include "common/base/subject_removals.h"
#include "dispatch-svc/src/domain/calendar.h"
#include "dispatch-svc/src/domain/model.h"

namespace cak::dispatch::domain {

// A batch claimed for generation, with what generating it needs.
struct ClaimedBatch {
  Order order;
  Batch batch;
  Executor executor;
};

// A failed attempt's batch: when it is tried next, why it failed (a reason code) and the data
// file's bytes per item the attempt saw (0: unknown).
struct BatchRetry {
  absl::Time next_attempt_time;
  std::string reason;
  int64_t bytes_per_item = 0;
};

// What a generated batch came to.
struct BatchResult {
  int64_t item_count = 0;
  int64_t withheld_count = 0;  // positions withheld (objections), without an item
  std::string sha256;
  std::string data_file, manifest_file;  // empty for PULL
  absl::Time write_time;
};

// Writes one claimed batch inside the claim's transaction.
class BatchWriter {
 public:
  virtual ~BatchWriter() = default;
  // Stores items (in position order, across calls).
  virtual absl::Status AddItems(const std::vector<Item>& items) = 0;
  // Finishes the batch: the items, the hand-over entry of the processing log with one subject
  // per item (log ids, `addressees[i]` as in ProcessingLogStore::AppendSubjectRows), the batch
  // WRITTEN with `result`, and the order READY when it was the last batch. All of it commits
  // together when the generate function returns OK.
  virtual absl::Status Finish(const BatchResult& result, const common::CallContext& call,
                              const common::ProcessingRecord& record, const std::vector<std::string>& subject_ids,
                              const std::vector<std::string>& addressees) = 0;
};

struct OutcomeReport {
  std::string order_id;
  int32_t batch_no = 0;
  std::string executor_id;
  std::vector<ItemOutcome> outcomes;
  std::string reported_by;
  absl::Time report_time;
};

struct PurgeCounts {
  int64_t orders = 0, batches = 0, items = 0, outcomes = 0, files = 0;
};

class DispatchRepository {
 public:
  virtual ~DispatchRepository() = default;

  // ALREADY_EXISTS (EXECUTOR_ALREADY_EXISTS, field executor_id / executor.identity /
  // executor.channel) when the id, identity or channel is taken. A repeat of `key` returns the
  // first result with *replayed set.
  virtual absl::StatusOr<Executor> CreateExecutor(const Executor& executor, const common::IdempotencyKey* key,
                                                  absl::Time now, bool* replayed, absl::Time deadline) = 0;
  // NOT_FOUND (EXECUTOR_NOT_FOUND).
  virtual absl::StatusOr<Executor> GetExecutor(const std::string& id, absl::Time deadline) = 0;
  // Reads the executor under its row lock (the planning lock), lets `change` edit it and
  // stores the result unless `change` fails (which is returned). NOT_FOUND as GetExecutor.
  virtual absl::StatusOr<Executor> UpdateExecutor(const std::string& id,
                                                  const std::function<absl::Status(Executor&)>& change,
                                                  absl::Time deadline) = 0;
  virtual absl::StatusOr<std::optional<Executor>> ExecutorForChannel(Channel channel, absl::Time deadline) = 0;
  virtual absl::StatusOr<std::optional<Executor>> ExecutorByIdentity(const std::string& identity,
                                                                     absl::Time deadline) = 0;
  // By id, after `after_id`.
  virtual absl::StatusOr<std::vector<Executor>> ListExecutors(const std::string& after_id, int limit,
                                                              absl::Time deadline) = 0;
  // Items already planned for the executor per day in [from, to] (orders not purged).
  virtual absl::StatusOr<std::map<absl::CivilDay, int64_t>> BookedCapacity(const std::string& executor_id,
                                                                           absl::CivilDay from, absl::CivilDay to,
                                                                           absl::Time deadline) = 0;

  virtual absl::StatusOr<FeasibilityCheck> CreateFeasibilityCheck(const FeasibilityCheck& check,
                                                                  const common::IdempotencyKey* key, bool* replayed,
                                                                  absl::Time deadline) = 0;
  // NOT_FOUND (FEASIBILITY_CHECK_NOT_FOUND).
  virtual absl::StatusOr<FeasibilityCheck> GetFeasibilityCheck(const std::string& id, absl::Time deadline) = 0;

  // An executor's inbox order: open work first (rank 0: a check awaiting sign-off, an order
  // GENERATING or READY; rank 1: the rest), newest first within a rank (create_time, then id,
  // descending). Lists continue after `after` in that order.
  struct InboxKey {
    int rank = 0;
    absl::Time create_time;
    std::string id;
  };
  // The executor's feasibility checks in inbox order, only those in `state` when given.
  virtual absl::StatusOr<std::vector<FeasibilityCheck>> ListExecutorChecks(const std::string& executor_id,
                                                                           std::optional<FeasibilityState> state,
                                                                           const std::optional<InboxKey>& after,
                                                                           int limit, absl::Time deadline) = 0;
  // Records the executor's sign-off. NOT_FOUND unless the check is `executor_id`'s;
  // FAILED_PRECONDITION (ALREADY_DECIDED) when it was signed off before.
  virtual absl::StatusOr<FeasibilityCheck> DecideFeasibility(const std::string& id, const std::string& executor_id,
                                                             FeasibilityState state, const std::string& decided_by,
                                                             const std::string& comment, absl::Time now,
                                                             absl::Time deadline) = 0;

  // Creates the order and its batches in one transaction, holding the executor's row lock so
  // that two orders never book the same capacity: `plan` gets the capacity already booked in
  // the order's window and returns the batches or an error (which is returned, nothing
  // written). A repeat of `key` returns the first order with *replayed set, without calling
  // `plan`. The order's creation is logged as `record` of `call` (the operation its batches'
  // entries are children of), in the same transaction.
  using PlanFn = std::function<absl::StatusOr<std::vector<PlannedBatch>>(const std::map<absl::CivilDay, int64_t>&)>;
  virtual absl::StatusOr<Order> CreateOrder(const Order& order, const common::IdempotencyKey* key, const PlanFn& plan,
                                            bool* replayed, absl::Time deadline, const common::CallContext& call,
                                            const common::ProcessingRecord& record) = 0;
  // NOT_FOUND (DISPATCH_ORDER_NOT_FOUND).
  virtual absl::StatusOr<Order> GetOrder(const std::string& id, absl::Time deadline) = 0;
  // The executor's orders in inbox order, only those in `state` when given.
  virtual absl::StatusOr<std::vector<Order>> ListExecutorOrders(const std::string& executor_id,
                                                                std::optional<OrderState> state,
                                                                const std::optional<InboxKey>& after, int limit,
                                                                absl::Time deadline) = 0;
  // The guidelines of the orders `order_ids` (unknown ids are left out), in one read.
  virtual absl::StatusOr<std::map<std::string, std::string>> OrderGuidelines(const std::vector<std::string>& order_ids,
                                                                             absl::Time deadline) = 0;
  // The order an earlier request with `key` created (common::db::FindClaim).
  virtual absl::StatusOr<std::optional<std::string>> FindClaim(const common::IdempotencyKey& key,
                                                               absl::Time deadline) = 0;
  virtual absl::StatusOr<std::vector<Batch>> ListBatches(const std::string& order_id, int32_t after_batch_no, int limit,
                                                         absl::Time deadline) = 0;
  // The executor's WRITTEN batches by (planned date, order, batch), after the given key.
  struct BatchKey {
    absl::CivilDay day;
    std::string order_id;
    int32_t batch_no = 0;
  };
  virtual absl::StatusOr<std::vector<Batch>> ListOpenBatches(const std::string& executor_id,
                                                             const std::optional<BatchKey>& after, int limit,
                                                             absl::Time deadline) = 0;
  // NOT_FOUND (BATCH_NOT_FOUND) when the batch does not exist or is not `executor_id`'s
  // (empty: any executor's).
  virtual absl::StatusOr<Batch> GetBatch(const std::string& order_id, int32_t batch_no, const std::string& executor_id,
                                         absl::Time deadline) = 0;
  // The batch's items in position order, `chunk` at a time.
  virtual absl::Status StreamItems(const std::string& order_id, int32_t batch_no, int chunk,
                                   const std::function<absl::Status(std::vector<Item>&)>& sink) = 0;
  // Marks a WRITTEN batch ACKNOWLEDGED (an acknowledged one stays as it is) and the order
  // COMPLETED with its last batch. NOT_FOUND as GetBatch; FAILED_PRECONDITION
  // (BATCH_NOT_WRITTEN) for a batch not written yet.
  virtual absl::StatusOr<Batch> AcknowledgeBatch(const std::string& order_id, int32_t batch_no,
                                                 const std::string& executor_id, const std::string& by, absl::Time now,
                                                 absl::Time deadline) = 0;
  // Stores the outcomes, all or nothing. NOT_FOUND / FAILED_PRECONDITION as AcknowledgeBatch;
  // INVALID_ARGUMENT (OUTCOME_RECIPIENT_NOT_IN_BATCH, field outcomes[i].position) for the
  // first position that is not an item of the batch. Idempotent by `key`. Writes `record`
  // (of `call`) in the same transaction. Earlier outcomes of the reported recipients stay (the
  // history); in the same transaction, each reported recipient's current outcome becomes the
  // one with the latest outcome_time (of equal times the later report), the others superseded.
  virtual absl::StatusOr<int64_t> StoreOutcomes(const OutcomeReport& report, const common::IdempotencyKey* key,
                                                bool* replayed, absl::Time deadline, const common::CallContext& call,
                                                const common::ProcessingRecord& record) = 0;
  // Outcomes by report order (id), after `after_id`; of one order when `order_id` is set; only
  // current ones unless `include_superseded`.
  virtual absl::StatusOr<std::vector<RecordedOutcome>> ListOutcomes(const std::string& order_id,
                                                                    bool include_superseded, int64_t after_id,
                                                                    int limit, absl::Time deadline) = 0;
  // A processing-log entry of its own (a disclosure whose subjects were logged before).
  virtual absl::Status Log(const common::CallContext& call, const common::ProcessingRecord& record,
                           absl::Time deadline) = 0;

  // Claims one PLANNED batch whose next attempt is due at `now` and that no other worker holds
  // (FOR UPDATE SKIP LOCKED), and calls `generate` with it while the claim is held:
  // - OK: what `generate` wrote commits (kWritten);
  // - an error with `*retry` set: what it wrote is undone, the batch stays PLANNED with the
  //   retry recorded (one more failed attempt, the next one due at retry.next_attempt_time), and
  //   that commits (kRescheduled; the error is the attempt's to report);
  // - an error without: everything is rolled back and the error returned.
  // kNoneDue when no batch was due.
  enum class Attempt { kNoneDue, kWritten, kRescheduled };
  using GenerateFn = std::function<absl::Status(const ClaimedBatch&, BatchWriter&, std::optional<BatchRetry>* retry)>;
  virtual absl::StatusOr<Attempt> GenerateNextBatch(absl::Time now, const GenerateFn& generate) = 0;

  // The items of the customer whose log id is `subject_id` (an access request), with their
  // order, executor, batch and current outcome (RecordedOutcome::current), oldest first. Found through the customer's
  // hand-over entries in this service's processing log (dispatch.DeliverBatch names the order
  // and the batch) and the items' data_subject_id. No writes.
  virtual absl::StatusOr<std::vector<common::SubjectRow>> SubjectItems(const std::string& subject_id,
                                                                       absl::Time deadline) = 0;

  // Erasure: the items of the customers whose log ids are `subject_ids` (found as SubjectItems
  // finds them) emptied of every personal field and of that id, in one transaction; a dry run
  // only counts. Returns the counts and the delivery files (FILES executors) that held them.
  // With `followed` (analysis-svc's removal feed; never in a dry run), the same transaction
  // logs its record, with the customers who had items as data subjects (when there were any),
  // and records its position as this service's.
  struct ItemErasure {
    int64_t items = 0;
    int64_t subjects = 0;            // customers who had items
    std::vector<std::string> files;  // "<executor>: <data file>"
  };
  virtual absl::StatusOr<ItemErasure> EraseSubjectItems(const common::CallContext& call,
                                                        const std::vector<std::string>& subject_ids, bool dry_run,
                                                        const common::FollowedPage* followed) = 0;
  // How far this service has followed analysis-svc's removal feed.
  virtual absl::StatusOr<common::RemovalPosition> RemovalFeedPosition(absl::Time deadline) = 0;

  // Retention: orders whose window ended before `cutoff`. `remove_files` is called with each
  // order's batches before its records go (not in a dry run). The orders become PURGED, their
  // items and outcomes are deleted, and the purge is logged, order by order.
  virtual absl::StatusOr<PurgeCounts> PurgeOrders(
      const common::CallContext& call, absl::CivilDay cutoff, bool dry_run,
      const std::function<absl::Status(const std::vector<Batch>&)>& remove_files) = 0;
};

// The delivery directory: files appear whole or not at all.
class DeliveryFile {
 public:
  virtual ~DeliveryFile() = default;  // discards the file unless Commit() succeeded
  virtual absl::Status Append(absl::string_view bytes) = 0;
  // Flushes to disk and renames the file into place (replacing an earlier one).
  virtual absl::Status Commit() = 0;
};

class DeliveryStore {
 public:
  virtual ~DeliveryStore() = default;
  // A new file at `relative_path`, invisible under that name until committed. Writes that do
  // not fit answer RESOURCE_EXHAUSTED (DELIVERY_STORAGE_FULL).
  virtual absl::StatusOr<std::unique_ptr<DeliveryFile>> Create(const std::string& relative_path) = 0;
  // Bytes that can still be written (the volume's free space for this process).
  virtual absl::StatusOr<int64_t> FreeBytes() = 0;
  // Removes the file; OK when it is not there.
  virtual absl::Status Remove(const std::string& relative_path) = 0;
};

struct RecipientListInfo {
  std::string id;
  int64_t member_count = 0;
  int64_t snapshot_version = 0;
};

// analysis-svc's recipient lists, as dispatch-svc reads them.
class RecipientSource {
 public:
  virtual ~RecipientSource() = default;
  // NOT_FOUND (RECIPIENT_LIST_NOT_FOUND) for an unknown list.
  virtual absl::StatusOr<RecipientListInfo> GetList(const common::CallContext& call, const std::string& list_id) = 0;
  // The members at positions after..until (inclusive) in position order, with `channel`'s
  // field set (plus the customer number when `with_customer_number`: the text quotes it), in
  // chunks; stops at the first error from `sink`.
  virtual absl::Status Stream(const common::CallContext& call, const std::string& list_id, Channel channel,
                              bool with_customer_number, int64_t after_position, int64_t until_position,
                              const std::function<absl::Status(std::vector<Recipient>&)>& sink) = 0;
};

}  // namespace cak::dispatch::domain
