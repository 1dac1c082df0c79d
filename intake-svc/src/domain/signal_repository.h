// Storage interface for signals. storage/ implements it with PostgreSQL; the unit tests with an
// in-memory fake. Every method runs in one transaction: the change, its history event, its
// processing-log entries and the idempotency claim commit together or not at all.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/base/idempotency_key.h"
#include "common/base/processing_log.h"
#include "common/base/subject_removals.h"
#include "intake-svc/src/domain/signal.h"

namespace cak::intake::domain {

// Which open signals may be the same as a new one.
struct DuplicateQuery {
  Regulation regulation;
  Category category;
  absl::Time received_since;  // same regulation + category counts only after this
  std::vector<common::Bsn> customers;
  // At most this many suggestions, newest first: enough for a person to judge, and each one
  // costs every submit on a busy topic.
  int limit = 10;
};

struct CreateCommand {
  Signal signal;  // complete, state RECEIVED
  std::optional<common::IdempotencyKey> idempotency;
  DuplicateQuery duplicates;
  SignalEvent received_event;
  common::ProcessingRecord record;
};

struct CreateOutcome {
  Signal signal;          // with duplicate_candidates and history
  bool replayed = false;  // an earlier request with the same request_id created it
};

// What a state change writes, decided by the domain from the current signal.
struct Mutation {
  SignalState to;
  DeclineReason decline_reason = DeclineReason::kNone;
  std::optional<std::string> feedback;  // replaces the feedback when set
  std::optional<std::string> campaign;  // set when an action is planned
  std::optional<Information> information;
  std::optional<absl::Time> final_time;  // the new value (nullopt clears it)
  absl::Time update_time;
  SignalEvent event;
  std::optional<common::ProcessingRecord> record;
};

// `signal` after `mutation` (whose event got `event_sequence`): what a repository returns
// from Update without reading the row again.
Signal ApplyMutation(Signal signal, const Mutation& mutation);

// How a stored duplicate relation is presented.
DuplicateMatch ClassifyDuplicate(bool same_regulation_and_category, int shared_customer_count);

struct ListQuery {
  std::optional<SignalState> state;
  std::optional<Category> category;
  std::optional<Regulation> regulation;
  std::string reporter;                       // empty: any
  std::optional<absl::Time> received_from;    // inclusive
  std::optional<absl::Time> received_before;  // exclusive
  int limit = 50;
  // Keyset: continue after this (receive_time, id) in the newest-first order.
  std::optional<std::pair<absl::Time, std::string>> after;
};

struct PurgeOutcome {
  int64_t count = 0;
  std::vector<std::string> signal_ids;  // at most the first 1,000
};

class SignalRepository {
 public:
  virtual ~SignalRepository() = default;

  // Creates the signal, or returns the one an earlier request with the same idempotency key
  // created. INVALID_ARGUMENT (REQUEST_ID_REUSED) when the key was used for another request.
  virtual absl::StatusOr<CreateOutcome> Create(const common::CallContext& call, const CreateCommand& command) = 0;

  // Reads a signal; `inspect` may return a processing record to log in the same transaction
  // (when personal data is shown) or an error to refuse the read. NOT_FOUND when absent.
  using Inspector = std::function<absl::StatusOr<std::optional<common::ProcessingRecord>>(const Signal&)>;
  virtual absl::StatusOr<Signal> Read(const common::CallContext& call, const std::string& id,
                                      const Inspector& inspect) = 0;

  // Locks the signal, asks `decide` what to change, writes it. Returns the changed signal.
  // NOT_FOUND when absent; `decide`'s error is returned unchanged and nothing is written.
  using Decider = std::function<absl::StatusOr<Mutation>(const Signal&)>;
  virtual absl::StatusOr<Signal> Update(const common::CallContext& call, const std::string& id,
                                        const Decider& decide) = 0;

  // Newest first. Signals come without history and without BSNs.
  virtual absl::StatusOr<std::vector<Signal>> List(const ListQuery& query, absl::Time deadline) = 0;

  // The signal's events with sequence > after, oldest first, at most `limit`.
  virtual absl::StatusOr<std::vector<SignalEvent>> EventsAfter(const std::string& id, int64_t after, int limit,
                                                               absl::Time deadline) = 0;

  // Every signal that names `customer` as an example customer, whatever its state, with its
  // information and history, oldest first (a data subject's access request). No writes.
  virtual absl::StatusOr<std::vector<Signal>> SignalsNaming(const common::Bsn& customer, absl::Time deadline) = 0;

  // Erasure: `customers` out of every signal's example customers (the count follows), in one
  // transaction; the signals stay. Returns how many times a signal named one of them. A dry run
  // only counts. With `followed` (analysis-svc's removal feed; never in a dry run), the same
  // transaction logs its record, with the customers as data subjects (when there are any), and
  // records its position as this service's.
  virtual absl::StatusOr<int64_t> RemoveExampleCustomers(const common::CallContext& call,
                                                         const std::vector<common::Bsn>& customers, bool dry_run,
                                                         const common::FollowedPage* followed) = 0;
  // Every customer some signal names as an example, once.
  virtual absl::StatusOr<std::vector<common::Bsn>> ExampleCustomers(absl::Time deadline) = 0;
  // How far this service has followed analysis-svc's removal feed.
  virtual absl::StatusOr<common::RemovalPosition> RemovalFeedPosition(absl::Time deadline) = 0;

  // Removes signals with final_time < cutoff with everything stored about them, writing
  // `record` (completed with the removed data subjects) in each batch's transaction. With
  // dry_run only counts.
  virtual absl::StatusOr<PurgeOutcome> Purge(const common::CallContext& call, absl::Time cutoff, bool dry_run,
                                             const common::ProcessingRecord& record) = 0;
};

}  // namespace cak::intake::domain
