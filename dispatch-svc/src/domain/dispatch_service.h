// dispatch-svc's use cases (record M7624 steps 7 and 8), free of gRPC and SQL: the executor
// registry, feasibility answers and their sign-off, dispatch orders planned over the capacity
// calendar, batch generation (exactly once per recipient), the executors' pull side and
// outcomes, and the retention purge. The API layer maps protos to these calls; main() wires
// the PostgreSQL repository, the delivery directory and the analysis-svc client in.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/base/backoff.h"
#include "common/base/clock.h"
#include "common/base/data_subject_hasher.h"
#include "common/base/processing_log.h"
#include "common/base/subject_data.h"
#include "common/base/subject_removals.h"
#include "dispatch-svc/src/domain/model.h"
#include "dispatch-svc/src/domain/repository.h"

namespace cak::dispatch::domain {

struct DispatchSettings {
  absl::TimeZone zone = absl::UTCTimeZone();                  // what "today" is (Europe/Amsterdam in production)
  int64_t max_batch_items = 50000;                            // a day's share is cut into batches of at most this
  absl::Duration delivery_retention = absl::Hours(24 * 730);  // after the order's window ended
  std::string replica = "dispatch-svc";                       // who generated a batch (the log's actor)
  int stream_chunk = 1000;                                    // items per pull message / storage read
  // Longest a batch's generation may take (a stalled analysis-svc stream fails the batch, which
  // is generated again later, instead of holding a worker and the batch's claim).
  absl::Duration batch_deadline = absl::Minutes(5);
  // A batch whose attempt failed is tried again after common::RetryBackoff(batch_retry_min,
  // batch_retry_max, its failures in a row): growing, with jitter, capped.
  absl::Duration batch_retry_min = absl::Seconds(2);
  absl::Duration batch_retry_max = absl::Minutes(10);
  // Where in that range (RetryBackoff's unit in [0, 1]); random by default, fixed in tests.
  std::function<double()> batch_retry_jitter = common::JitterUnit;
  // Told of every failed attempt, with its reason code (the failure metric); may be empty.
  std::function<void(const std::string& reason)> batch_attempt_failed;
};

// A page request: at most `limit`, after the opaque position `after` (decoded by the API).
struct CreateRequest {
  std::string request_id;
  std::string fingerprint;  // RequestFingerprint of the request and caller
};

struct FeasibilityRequest {
  CreateRequest create;
  Channel channel = Channel::kLetter;
  int64_t volume = 0;
  absl::CivilDay window_start, window_end;
  std::string campaign;
  std::string guidelines;  // the target group's, for the executor (optional)
};

// One item of a batch as the executor receives it: the stored fields and the rendered text.
struct RenderedItem {
  Item item;
  std::string text;
  std::string contact_moment_code;
};

class DispatchService {
 public:
  // None of the pointers is owned; all must outlive the service.
  DispatchService(DispatchRepository* repository, DeliveryStore* files, RecipientSource* recipients,
                  const common::Clock* clock, common::DataSubjectHasher hasher, DispatchSettings settings);

  // Executors (administrator). INVALID_ARGUMENT for a bad id, identity, calendar or a
  // location outside the EU (LOCATION_OUTSIDE_EU); ALREADY_EXISTS as the repository.
  absl::StatusOr<Executor> CreateExecutor(const common::CallContext& call, const CreateRequest& create,
                                          Executor executor, bool* replayed);
  // Changes the fields named in `paths` (display_name, location_country, calendar,
  // delivery_method) to those of `patch`, under the executor's planning lock. INVALID_ARGUMENT
  // (field update_mask) for an empty or unknown path, and as CreateExecutor for the result.
  absl::StatusOr<Executor> UpdateExecutor(const common::CallContext& call, const std::string& id, const Executor& patch,
                                          const std::vector<std::string>& paths);
  absl::StatusOr<Executor> GetExecutor(const common::CallContext& call, const std::string& id);
  absl::StatusOr<std::vector<Executor>> ListExecutors(const common::CallContext& call, const std::string& after_id,
                                                      int limit);

  // Step 7. INVALID_ARGUMENT for a bad volume or window; FAILED_PRECONDITION
  // (NO_EXECUTOR_FOR_CHANNEL). An infeasible answer is an answer, not an error.
  absl::StatusOr<FeasibilityCheck> CheckFeasibility(const common::CallContext& call, const FeasibilityRequest& request,
                                                    bool* replayed);
  // CAK's staff and campaign-svc read every check; an executor only its own (PERMISSION_DENIED
  // UNKNOWN_EXECUTOR_IDENTITY for an identity that is no executor; another executor's check is
  // NOT_FOUND FEASIBILITY_CHECK_NOT_FOUND, as an unknown id).
  absl::StatusOr<FeasibilityCheck> GetFeasibilityCheck(const common::CallContext& call, const std::string& id);
  // The calling executor's checks in inbox order (DispatchRepository::InboxKey), only those in
  // `state` when given. PERMISSION_DENIED (UNKNOWN_EXECUTOR_IDENTITY).
  absl::StatusOr<std::vector<FeasibilityCheck>> ListFeasibilityChecks(
      const common::CallContext& call, std::optional<FeasibilityState> state,
      const std::optional<DispatchRepository::InboxKey>& after, int limit);
  // The executor's sign-off; the caller must be the check's executor (else NOT_FOUND). A
  // rejection needs a comment (INVALID_ARGUMENT).
  absl::StatusOr<FeasibilityCheck> DecideFeasibility(const common::CallContext& call, const std::string& id,
                                                     bool confirm, const std::string& comment);

  // Step 8: validates, checks the list with analysis-svc, plans the batches over the free
  // capacity and stores order and batches; generation then runs in the background. Codes in
  // the proto's CreateDispatchOrder comment.
  absl::StatusOr<Order> CreateOrder(const common::CallContext& call, const CreateRequest& create, Order order,
                                    bool* replayed);
  // An order, or its batches (each with the order's guidelines). Staff and campaign-svc see
  // every order; an executor only its own, as GetFeasibilityCheck (DISPATCH_ORDER_NOT_FOUND).
  absl::StatusOr<Order> GetOrder(const common::CallContext& call, const std::string& id);
  absl::StatusOr<std::vector<Batch>> ListBatches(const common::CallContext& call, const std::string& order_id,
                                                 int32_t after_batch_no, int limit);
  // The calling executor's orders in inbox order, only those in `state` when given.
  // PERMISSION_DENIED (UNKNOWN_EXECUTOR_IDENTITY).
  absl::StatusOr<std::vector<Order>> ListExecutorOrders(const common::CallContext& call,
                                                        std::optional<OrderState> state,
                                                        const std::optional<DispatchRepository::InboxKey>& after,
                                                        int limit);

  // Generates one waiting batch if there is one (any replica may run this at any time):
  // streams its slice of the list from analysis-svc, keeps the channel's fields, renders the
  // message, writes data file and manifest (FILES) and stores items, log and state in one
  // transaction. A crash anywhere leaves the batch waiting, to be generated again whole.
  // Returns whether a batch was generated.
  absl::StatusOr<DispatchRepository::Attempt> GenerateNextBatch();

  // Executors' side. The caller's identity must be a registered executor (PERMISSION_DENIED
  // UNKNOWN_EXECUTOR_IDENTITY); batches of other executors are NOT_FOUND. Batches come with
  // their order's guidelines.
  absl::StatusOr<std::vector<Batch>> ListOpenBatches(const common::CallContext& call,
                                                     const std::optional<DispatchRepository::BatchKey>& after,
                                                     int limit);
  // Calls `sink` with the batch's items in position order, rendered. FAILED_PRECONDITION
  // (BATCH_NOT_WRITTEN) before the batch is written.
  absl::Status StreamBatchItems(const common::CallContext& call, const std::string& order_id, int32_t batch_no,
                                const std::function<bool(Channel, std::vector<RenderedItem>&)>& sink);
  absl::StatusOr<Batch> AcknowledgeBatch(const common::CallContext& call, const std::string& order_id,
                                         int32_t batch_no);
  absl::StatusOr<int64_t> ReportOutcomes(const common::CallContext& call, const CreateRequest& create,
                                         const std::string& order_id, int32_t batch_no,
                                         std::vector<ItemOutcome> outcomes, bool* replayed);
  // Current outcomes only, unless `include_superseded` (the history too).
  absl::StatusOr<std::vector<RecordedOutcome>> ListOutcomes(const common::CallContext& call,
                                                            const std::string& order_id, bool include_superseded,
                                                            int64_t after_id, int limit);

  // Retention: removes delivery files and per-recipient records of orders whose window ended
  // more than the retention ago. A dry run only counts.
  absl::StatusOr<PurgeCounts> Purge(const common::CallContext& call, bool dry_run);

  // Retention that cascades: follows analysis-svc's removals (retention purges, erasures) from
  // where this service last stopped, emptying the removed customers' delivery items as an
  // erasure does; each page is one transaction with its log entry
  // ("dispatch.FollowSubjectRemovals", the customers who had items as data subjects) and the
  // new position. A dry run counts and moves nothing.
  absl::StatusOr<common::FollowOutcome> FollowRemovals(const common::CallContext& call,
                                                       common::SubjectRemovalFeed& feed, bool dry_run);
  static constexpr int kRemovalPage = 1000;

  // An objection (recorded in analysis-svc's register): what dispatch-svc can and cannot do
  // about the person's deliveries. Batches not yet written leave them out (analysis-svc
  // withholds them from the stream); items already written were handed over to the executor
  // (the data file or the pull batch is theirs) and are listed as such.
  absl::StatusOr<common::ObjectionOutcome> ObjectionEffects(const common::CallContext& call, const common::Bsn& subject,
                                                            bool lifted);

  // Erasure (GDPR art. 17): the customer's delivery items emptied of everything personal (their
  // place in the batch stays); files already handed over to an executor are named as kept. A
  // dry run only counts. The caller (common::DataSubjectServiceImpl) validated and logs.
  absl::StatusOr<common::ErasureOutcome> EraseSubjectData(const common::CallContext& call, const common::Bsn& subject,
                                                          bool dry_run);

  // What dispatch-svc holds about `customer` (their delivery items), for an access request; the
  // caller (common::DataSubjectServiceImpl) logs the access.
  absl::StatusOr<common::SubjectData> ExportSubjectData(const common::CallContext& call, const common::Bsn& customer);

  const DispatchSettings& settings() const { return settings_; }
  absl::CivilDay Today() const;

 private:
  // How far an attempt got: recipients read, data-file bytes produced.
  struct AttemptProgress {
    int64_t read = 0;
    int64_t bytes = 0;
  };
  // Writes one claimed batch. When that fails, the attempt is logged (batch_attempt_failed) and
  // counted, `*retry` says when the batch is tried again, and when recipients were read the
  // failed delivery goes into the processing log (status ERROR, a transaction of its own).
  absl::Status Generate(const ClaimedBatch& claimed, BatchWriter& writer, std::optional<BatchRetry>* retry);
  // The work of Generate as `call`.
  absl::Status WriteBatch(const common::CallContext& call, const ClaimedBatch& claimed, BatchWriter& writer,
                          AttemptProgress* progress);
  // RESOURCE_EXHAUSTED (DELIVERY_STORAGE_FULL) when the deliveries volume cannot take the batch,
  // before anything is read (disclosed) or written.
  absl::Status CheckDeliverySpace(const Batch& batch);
  // The entry of a batch handed over to its executor (without subjects and item count).
  static common::ProcessingRecord DeliveryRecord(const ClaimedBatch& claimed, absl::Time end);
  absl::StatusOr<Executor> CallingExecutor(const common::CallContext& call);
  // The executor whose work the caller may see: nullopt for staff and campaign-svc (all of it),
  // else the calling executor (PERMISSION_DENIED UNKNOWN_EXECUTOR_IDENTITY when it is none).
  absl::StatusOr<std::optional<Executor>> VisibleExecutor(const common::CallContext& call);
  // Sets each batch's guidelines to its order's.
  absl::Status AddGuidelines(std::vector<Batch>& batches, absl::Time deadline);

  DispatchRepository* repository_;
  DeliveryStore* files_;
  RecipientSource* recipients_;
  const common::Clock* clock_;
  common::DataSubjectHasher hasher_;
  DispatchSettings settings_;
};

// Background generation: `threads` workers call GenerateNextBatch until none is due, then
// sleep until Wake() or `poll_interval` (other replicas' orders arrive unannounced, and failed
// batches come due). A failed attempt reschedules its batch (see DispatchSettings); other
// errors (the database) are logged and retried after the interval.
class BatchGenerator {
 public:
  BatchGenerator(DispatchService* service, int threads, absl::Duration poll_interval);
  ~BatchGenerator();  // Stop()
  void Start();
  void Wake();
  // Lets running generations finish, then joins the workers.
  void Stop();
  int64_t generated() const { return generated_.load(); }

 private:
  void Run();

  DispatchService* service_;
  int threads_;
  absl::Duration poll_interval_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  uint64_t wakeups_ = 0;
  std::vector<std::thread> workers_;
  std::atomic<int64_t> generated_{0};
};

}  // namespace cak::dispatch::domain
