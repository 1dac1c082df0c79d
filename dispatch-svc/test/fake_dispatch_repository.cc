// In-memory dispatch repository (see fake_dispatch_repository.h). Each method does under one
// lock what the PostgreSQL repository does in one transaction, and builds its errors with the
// same helpers and reasons. GenerateNextBatch releases the lock while `generate` runs (the
// service logs a failed attempt through Log() from inside it, as PostgreSQL does on a pooled
// session of its own): the claim keeps other workers off the batch, and the attempt's writes
// are staged in its BatchWriter until the outcome is known.
#include "dispatch-svc/test/fake_dispatch_repository.h"

#include <algorithm>
#include <limits>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/base/errors.h"
#include "common/base/random.h"
#include "dispatch-svc/src/domain/reasons.h"

namespace cak::dispatch::testing {

namespace {

using common::MakeError;
namespace reason = domain::reason;

absl::Status NotFound(const char* reason, absl::string_view what) {
  return MakeError(absl::StatusCode::kNotFound, reason, absl::StrCat(what, " not found"));
}

absl::Status DatabaseError(absl::string_view message) {
  return MakeError(absl::StatusCode::kInternal, common::reason::kDatabaseError, message);
}

absl::Status Unimplemented(absl::string_view method) {
  return absl::UnimplementedError(absl::StrCat("fake: ", method));
}

}  // namespace

// The attempt's writes, staged until GenerateNextBatch knows how the attempt ended: committed
// on OK, dropped otherwise (the savepoint / the transaction rolled back).
class FakeDispatchRepository::Writer final : public domain::BatchWriter {
 public:
  Writer(const FakeDispatchRepository* repository, const domain::Batch& batch)
      : repository_(repository), batch_(batch) {}

  absl::Status AddItems(const std::vector<domain::Item>& items) override {
    for (const domain::Item& item : items) {
      // The contract: position order across calls. PostgreSQL would take any order but not a
      // position twice (items' primary key); the fake refuses both, so a test sees either.
      if (!staged_.empty() && item.position <= staged_.back().position) {
        return DatabaseError(absl::StrCat("fake: item ", item.position, " after ", staged_.back().position,
                                          ": not in position order or twice"));
      }
      if (repository_->HasItem({batch_.order_id, item.position})) {
        return DatabaseError(absl::StrCat("fake: item ", item.position, " is stored already"));
      }
      staged_.push_back(item);
    }
    return absl::OkStatus();
  }

  absl::Status Finish(const domain::BatchResult& result, const common::CallContext& call,
                      const common::ProcessingRecord& record, const std::vector<std::string>& subject_ids,
                      const std::vector<std::string>& addressees) override {
    if (static_cast<int64_t>(staged_.size()) != result.item_count) {
      return DatabaseError("the stored items do not match the batch");
    }
    LoggedEntry entry{call, record, subject_ids, addressees};
    entry.addressees.resize(subject_ids.size());
    finished_.emplace(Finished{result, std::move(entry)});
    return absl::OkStatus();
  }

  struct Finished {
    domain::BatchResult result;
    LoggedEntry entry;
  };
  std::vector<domain::Item>& staged() { return staged_; }
  std::optional<Finished>& finished() { return finished_; }

 private:
  const FakeDispatchRepository* repository_;
  const domain::Batch& batch_;
  std::vector<domain::Item> staged_;
  std::optional<Finished> finished_;
};

bool FakeDispatchRepository::HasItem(const ItemId& id) const {
  std::lock_guard<std::mutex> lock(mu_);
  return items_.count(id) > 0;
}

absl::StatusOr<std::optional<std::string>> FakeDispatchRepository::LookUpKey(const common::IdempotencyKey& key) const {
  auto it = keys_.find({key.operation, key.request_id});
  if (it == keys_.end()) return std::optional<std::string>();
  if (it->second.fingerprint != key.fingerprint) {
    return common::InvalidField(common::reason::kRequestIdReused, "request_id",
                                "this request_id was already used for a different request");
  }
  return std::optional<std::string>(it->second.resource_id);
}

std::map<absl::CivilDay, int64_t> FakeDispatchRepository::BookedLocked(const std::string& executor_id,
                                                                       absl::CivilDay from, absl::CivilDay to) const {
  std::map<absl::CivilDay, int64_t> out;
  for (const auto& [id, b] : batches_) {
    if (b.executor_id != executor_id || b.planned_date < from || b.planned_date > to) continue;
    if (orders_.at(b.order_id).state == domain::OrderState::kPurged) continue;
    out[b.planned_date] += b.last_position - b.first_position + 1;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Executors

absl::StatusOr<domain::Executor> FakeDispatchRepository::CreateExecutor(const domain::Executor& e,
                                                                        const common::IdempotencyKey* key, absl::Time,
                                                                        bool* replayed, absl::Time) {
  std::lock_guard<std::mutex> lock(mu_);
  if (key) {
    CAK_ASSIGN_OR_RETURN(std::optional<std::string> existing, LookUpKey(*key));
    if (existing) {
      *replayed = true;
      auto it = executors_.find(*existing);
      if (it == executors_.end()) return NotFound(reason::kExecutorNotFound, "executor");
      return it->second;
    }
  }
  for (const auto& [id, other] : executors_) {
    const char* field = other.id == e.id               ? "executor_id"
                        : other.identity == e.identity ? "executor.identity"
                        : other.channel == e.channel   ? "executor.channel"
                                                       : nullptr;
    if (field) {
      return common::FieldError(absl::StatusCode::kAlreadyExists, reason::kExecutorExists, field,
                                "an executor with this id, identity or channel is already registered");
    }
  }
  if (key) keys_[{key->operation, key->request_id}] = Claim{key->fingerprint, e.id};
  executors_[e.id] = e;
  *replayed = false;
  return e;
}

absl::StatusOr<domain::Executor> FakeDispatchRepository::GetExecutor(const std::string& id, absl::Time) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = executors_.find(id);
  if (it == executors_.end()) return NotFound(reason::kExecutorNotFound, "executor");
  return it->second;
}

absl::StatusOr<domain::Executor> FakeDispatchRepository::UpdateExecutor(
    const std::string& id, const std::function<absl::Status(domain::Executor&)>& change, absl::Time) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = executors_.find(id);
  if (it == executors_.end()) return NotFound(reason::kExecutorNotFound, "executor");
  domain::Executor e = it->second;
  CAK_RETURN_IF_ERROR(change(e));
  // Only what PostgreSQL's UPDATE sets; id, channel, identity and creation stay.
  domain::Executor& stored = it->second;
  stored.display_name = e.display_name;
  stored.location_country = e.location_country;
  stored.calendar = e.calendar;
  stored.delivery_method = e.delivery_method;
  return e;
}

absl::StatusOr<std::optional<domain::Executor>> FakeDispatchRepository::ExecutorForChannel(domain::Channel channel,
                                                                                           absl::Time) {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [id, e] : executors_) {
    if (e.channel == channel) return std::optional<domain::Executor>(e);
  }
  return std::optional<domain::Executor>();
}

absl::StatusOr<std::optional<domain::Executor>> FakeDispatchRepository::ExecutorByIdentity(const std::string& identity,
                                                                                           absl::Time) {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [id, e] : executors_) {
    if (e.identity == identity) return std::optional<domain::Executor>(e);
  }
  return std::optional<domain::Executor>();
}

absl::StatusOr<std::vector<domain::Executor>> FakeDispatchRepository::ListExecutors(const std::string& after_id,
                                                                                    int limit, absl::Time) {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<domain::Executor> out;
  for (auto it = executors_.upper_bound(after_id); it != executors_.end() && static_cast<int>(out.size()) < limit;
       ++it) {
    out.push_back(it->second);
  }
  return out;
}

absl::StatusOr<std::map<absl::CivilDay, int64_t>> FakeDispatchRepository::BookedCapacity(const std::string& executor_id,
                                                                                         absl::CivilDay from,
                                                                                         absl::CivilDay to,
                                                                                         absl::Time) {
  std::lock_guard<std::mutex> lock(mu_);
  return BookedLocked(executor_id, from, to);
}

// ---------------------------------------------------------------------------------------------
// Feasibility

absl::StatusOr<domain::FeasibilityCheck> FakeDispatchRepository::CreateFeasibilityCheck(
    const domain::FeasibilityCheck& check, const common::IdempotencyKey* key, bool* replayed, absl::Time) {
  std::lock_guard<std::mutex> lock(mu_);
  if (key) {
    CAK_ASSIGN_OR_RETURN(std::optional<std::string> existing, LookUpKey(*key));
    if (existing) {
      *replayed = true;
      auto it = checks_.find(*existing);
      if (it == checks_.end()) return NotFound(reason::kFeasibilityNotFound, "feasibility check");
      return it->second;
    }
    keys_[{key->operation, key->request_id}] = Claim{key->fingerprint, check.id};
  }
  domain::FeasibilityCheck stored = check;
  stored.state = domain::FeasibilityState::kAwaitingSignOff;  // as inserted
  checks_[check.id] = stored;
  *replayed = false;
  return stored;
}

absl::StatusOr<domain::FeasibilityCheck> FakeDispatchRepository::GetFeasibilityCheck(const std::string& id,
                                                                                     absl::Time) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = checks_.find(id);
  if (it == checks_.end()) return NotFound(reason::kFeasibilityNotFound, "feasibility check");
  return it->second;
}

namespace {

// Rows of an executor's inbox in inbox order (DispatchRepository::InboxKey): open first, newest
// first within each, after `after`, at most `limit`.
template <typename Row, typename Closed>
std::vector<Row> InboxPage(std::vector<Row> rows, const Closed& closed,
                           const std::optional<domain::DispatchRepository::InboxKey>& after, int limit) {
  // Sort key ascending: rank, then create_time and id descending.
  auto key = [&](const Row& r) { return std::make_tuple(closed(r) ? 1 : 0, -absl::ToUnixMicros(r.create_time)); };
  std::sort(rows.begin(), rows.end(), [&](const Row& a, const Row& b) {
    if (key(a) != key(b)) return key(a) < key(b);
    return a.id > b.id;
  });
  std::vector<Row> out;
  for (const Row& r : rows) {
    if (after) {
      const auto k = key(r);
      const auto a = std::make_tuple(after->rank, -absl::ToUnixMicros(after->create_time));
      if (k < a || (k == a && r.id >= after->id)) continue;
    }
    if (static_cast<int>(out.size()) >= limit) break;
    out.push_back(r);
  }
  return out;
}

}  // namespace

absl::StatusOr<std::vector<domain::FeasibilityCheck>> FakeDispatchRepository::ListExecutorChecks(
    const std::string& executor_id, std::optional<domain::FeasibilityState> state, const std::optional<InboxKey>& after,
    int limit, absl::Time) {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<domain::FeasibilityCheck> rows;
  for (const auto& [id, c] : checks_) {
    if (c.executor_id == executor_id && (!state || c.state == *state)) rows.push_back(c);
  }
  return InboxPage(
      std::move(rows),
      [](const domain::FeasibilityCheck& c) { return c.state != domain::FeasibilityState::kAwaitingSignOff; }, after,
      limit);
}

absl::StatusOr<std::vector<domain::Order>> FakeDispatchRepository::ListExecutorOrders(
    const std::string& executor_id, std::optional<domain::OrderState> state, const std::optional<InboxKey>& after,
    int limit, absl::Time) {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<domain::Order> rows;
  for (const auto& [id, o] : orders_) {
    if (o.executor_id == executor_id && (!state || o.state == *state)) rows.push_back(o);
  }
  return InboxPage(
      std::move(rows),
      [](const domain::Order& o) {
        return o.state != domain::OrderState::kGenerating && o.state != domain::OrderState::kReady;
      },
      after, limit);
}

absl::StatusOr<std::map<std::string, std::string>> FakeDispatchRepository::OrderGuidelines(
    const std::vector<std::string>& order_ids, absl::Time) {
  std::lock_guard<std::mutex> lock(mu_);
  std::map<std::string, std::string> out;
  for (const std::string& id : order_ids) {
    auto it = orders_.find(id);
    if (it != orders_.end()) out[id] = it->second.guidelines;
  }
  return out;
}

absl::StatusOr<domain::FeasibilityCheck> FakeDispatchRepository::DecideFeasibility(
    const std::string& id, const std::string& executor_id, domain::FeasibilityState state,
    const std::string& decided_by, const std::string& comment, absl::Time now, absl::Time) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = checks_.find(id);
  if (it == checks_.end() || it->second.executor_id != executor_id) {
    return NotFound(reason::kFeasibilityNotFound, "feasibility check");
  }
  domain::FeasibilityCheck& c = it->second;
  if (c.state != domain::FeasibilityState::kAwaitingSignOff) {
    return MakeError(absl::StatusCode::kFailedPrecondition, reason::kAlreadyDecided,
                     "the executor has already signed this feasibility check off");
  }
  c.state = state;
  c.decided_by = decided_by;
  c.decision_comment = comment;
  c.decide_time = now;
  return c;
}

// ---------------------------------------------------------------------------------------------
// Orders and batches

absl::StatusOr<domain::Order> FakeDispatchRepository::CreateOrder(const domain::Order& o,
                                                                  const common::IdempotencyKey* key, const PlanFn& plan,
                                                                  bool* replayed, absl::Time,
                                                                  const common::CallContext& call,
                                                                  const common::ProcessingRecord& record) {
  std::lock_guard<std::mutex> lock(mu_);  // also the executor's planning lock
  if (key) {
    CAK_ASSIGN_OR_RETURN(std::optional<std::string> existing, LookUpKey(*key));
    if (existing) {
      *replayed = true;
      auto it = orders_.find(*existing);
      if (it == orders_.end()) return NotFound(reason::kOrderNotFound, "dispatch order");
      return it->second;
    }
  }
  if (executors_.count(o.executor_id) == 0) return DatabaseError("fake: the order's executor does not exist");
  if (orders_.count(o.id) > 0) return DatabaseError("fake: the order id exists");
  CAK_ASSIGN_OR_RETURN(std::vector<domain::PlannedBatch> planned,
                       plan(BookedLocked(o.executor_id, o.window_start, o.window_end)));
  // What the INSERTs store: the order GENERATING with its batch count, the batches PLANNED.
  domain::Order stored = o;
  stored.state = domain::OrderState::kGenerating;
  stored.batch_count = static_cast<int32_t>(planned.size());
  stored.batches_written = 0;
  stored.batches_acknowledged = 0;
  if (key) keys_[{key->operation, key->request_id}] = Claim{key->fingerprint, o.id};
  orders_[o.id] = stored;
  int32_t batch_no = 0;
  for (const domain::PlannedBatch& p : planned) {
    domain::Batch b;
    b.order_id = o.id;
    b.batch_no = ++batch_no;
    b.executor_id = o.executor_id;
    b.channel = o.channel;
    b.planned_date = p.day;
    b.first_position = p.first_position;
    b.last_position = p.last_position;
    b.state = domain::BatchState::kPlanned;
    batches_[{o.id, b.batch_no}] = b;
  }
  LoggedEntry entry{call, record, {}, {}};
  entry.record.attributes["batches"] = absl::StrCat(planned.size());
  log_.push_back(std::move(entry));
  *replayed = false;
  return stored;
}

absl::StatusOr<domain::Order> FakeDispatchRepository::GetOrder(const std::string& id, absl::Time) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = orders_.find(id);
  if (it == orders_.end()) return NotFound(reason::kOrderNotFound, "dispatch order");
  return it->second;
}

absl::StatusOr<std::optional<std::string>> FakeDispatchRepository::FindClaim(const common::IdempotencyKey& key,
                                                                             absl::Time) {
  std::lock_guard<std::mutex> lock(mu_);
  return LookUpKey(key);
}

absl::StatusOr<std::vector<domain::Batch>> FakeDispatchRepository::ListBatches(const std::string& order_id,
                                                                               int32_t after_batch_no, int limit,
                                                                               absl::Time) {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<domain::Batch> out;
  for (auto it = batches_.upper_bound({order_id, after_batch_no});
       it != batches_.end() && it->first.first == order_id && static_cast<int>(out.size()) < limit; ++it) {
    out.push_back(it->second);
  }
  return out;
}

absl::StatusOr<std::vector<domain::Batch>> FakeDispatchRepository::ListOpenBatches(const std::string& executor_id,
                                                                                   const std::optional<BatchKey>& after,
                                                                                   int limit, absl::Time) {
  std::lock_guard<std::mutex> lock(mu_);
  using Key = std::tuple<absl::CivilDay, std::string, int32_t>;
  std::map<Key, domain::Batch> open;
  for (const auto& [id, b] : batches_) {
    if (b.executor_id != executor_id || b.state != domain::BatchState::kWritten) continue;
    const Key k{b.planned_date, b.order_id, b.batch_no};
    if (after && k <= Key{after->day, after->order_id, after->batch_no}) continue;
    open[k] = b;
  }
  std::vector<domain::Batch> out;
  for (auto& [k, b] : open) {
    if (static_cast<int>(out.size()) >= limit) break;
    out.push_back(std::move(b));
  }
  return out;
}

absl::StatusOr<domain::Batch> FakeDispatchRepository::GetBatch(const std::string& order_id, int32_t batch_no,
                                                               const std::string& executor_id, absl::Time) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = batches_.find({order_id, batch_no});
  if (it == batches_.end() || (!executor_id.empty() && it->second.executor_id != executor_id)) {
    return NotFound(reason::kBatchNotFound, "batch");
  }
  return it->second;
}

absl::Status FakeDispatchRepository::StreamItems(const std::string& order_id, int32_t batch_no, int chunk,
                                                 const std::function<absl::Status(std::vector<domain::Item>&)>& sink) {
  // A read-only snapshot, as the READ ONLY transaction sees; the sink runs without the lock.
  const std::vector<domain::Item> all = Items(order_id, batch_no);
  std::vector<domain::Item> items;
  for (const domain::Item& item : all) {
    items.push_back(item);
    if (static_cast<int>(items.size()) >= chunk) {
      CAK_RETURN_IF_ERROR(sink(items));
      items.clear();
    }
  }
  if (!items.empty()) CAK_RETURN_IF_ERROR(sink(items));
  return absl::OkStatus();
}

absl::StatusOr<domain::Batch> FakeDispatchRepository::AcknowledgeBatch(const std::string& order_id, int32_t batch_no,
                                                                       const std::string& executor_id,
                                                                       const std::string& by, absl::Time now,
                                                                       absl::Time) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = batches_.find({order_id, batch_no});
  if (it == batches_.end() || it->second.executor_id != executor_id) return NotFound(reason::kBatchNotFound, "batch");
  domain::Batch& b = it->second;
  if (b.state == domain::BatchState::kPlanned) {
    return MakeError(absl::StatusCode::kFailedPrecondition, reason::kBatchNotWritten, "the batch is not written yet");
  }
  if (b.state == domain::BatchState::kWritten) {
    b.state = domain::BatchState::kAcknowledged;
    b.acknowledge_time = now;
    b.acknowledged_by = by;
    domain::Order& o = orders_.at(order_id);
    ++o.batches_acknowledged;
    if (o.batches_acknowledged == o.batch_count && o.state == domain::OrderState::kReady) {
      o.state = domain::OrderState::kCompleted;
    }
  }
  return b;
}

absl::StatusOr<int64_t> FakeDispatchRepository::StoreOutcomes(const domain::OutcomeReport& report,
                                                              const common::IdempotencyKey* key, bool* replayed,
                                                              absl::Time, const common::CallContext& call,
                                                              const common::ProcessingRecord& record) {
  std::lock_guard<std::mutex> lock(mu_);
  if (key) {
    CAK_ASSIGN_OR_RETURN(std::optional<std::string> existing, LookUpKey(*key));
    if (existing) {
      // The claim's resource names the first report's size (order/batch/count/uuid).
      *replayed = true;
      const std::vector<std::string> parts = absl::StrSplit(*existing, '/');
      int64_t count = 0;
      if (parts.size() < 3 || !absl::SimpleAtoi(parts[2], &count)) return DatabaseError("fake: bad claim");
      return count;
    }
  }
  auto batch = batches_.find({report.order_id, report.batch_no});
  if (batch == batches_.end() || batch->second.executor_id != report.executor_id ||
      orders_.at(report.order_id).state == domain::OrderState::kPurged) {
    return NotFound(reason::kBatchNotFound, "batch");
  }
  if (batch->second.state == domain::BatchState::kPlanned) {
    return MakeError(absl::StatusCode::kFailedPrecondition, reason::kBatchNotWritten, "the batch is not written yet");
  }
  std::vector<const StoredItem*> reported;
  for (size_t i = 0; i < report.outcomes.size(); ++i) {
    auto item = items_.find({report.order_id, report.outcomes[i].position});
    if (item == items_.end() || item->second.batch_no != report.batch_no) {
      return common::InvalidField(reason::kOutcomeNotInBatch, absl::StrCat("outcomes[", i, "].position"),
                                  "this recipient is not in the batch");
    }
    reported.push_back(&item->second);
  }
  if (key) {
    keys_[{key->operation, key->request_id}] =
        Claim{key->fingerprint,
              absl::StrCat(report.order_id, "/", report.batch_no, "/", report.outcomes.size(), "/", common::NewUuid())};
  }
  const domain::Order& order = orders_.at(report.order_id);
  for (const domain::ItemOutcome& o : report.outcomes) {
    StoredOutcome& s = outcomes_.emplace_back();
    s.outcome.id = next_outcome_id_++;
    s.outcome.order_id = report.order_id;
    s.outcome.recipient_list = order.recipient_list;
    s.outcome.campaign = order.campaign;
    s.outcome.target_group = order.target_group;
    s.outcome.position = o.position;
    s.outcome.channel = order.channel;
    s.outcome.outcome = o.outcome;
    s.outcome.outcome_time = o.outcome_time;
    s.outcome.report_time = report.report_time;
    s.batch_no = report.batch_no;
    s.reported_by = report.reported_by;
  }
  // Superseding, as PostgreSQL does it: per reported recipient the latest outcome_time is
  // current, of equal times the later report (the higher id).
  for (const domain::ItemOutcome& o : report.outcomes) {
    StoredOutcome* latest = nullptr;
    for (StoredOutcome& s : outcomes_) {
      if (s.outcome.order_id != report.order_id || s.outcome.position != o.position) continue;
      s.outcome.current = false;
      if (!latest || s.outcome.outcome_time >= latest->outcome.outcome_time) latest = &s;
    }
    if (latest) latest->outcome.current = true;
  }
  // Each reported recipient a subject of the report, by position (items emptied by an erasure
  // have no log id and are not named).
  std::sort(reported.begin(), reported.end(),
            [](const StoredItem* a, const StoredItem* b) { return a->item.position < b->item.position; });
  LoggedEntry entry{call, record, {}, {}};
  for (const StoredItem* item : reported) {
    if (!item->item.data_subject_id.empty()) entry.subject_ids.push_back(item->item.data_subject_id);
  }
  entry.addressees.resize(entry.subject_ids.size());
  log_.push_back(std::move(entry));
  *replayed = false;
  return static_cast<int64_t>(report.outcomes.size());
}

absl::StatusOr<std::vector<domain::RecordedOutcome>> FakeDispatchRepository::ListOutcomes(const std::string& order_id,
                                                                                          bool include_superseded,
                                                                                          int64_t after_id, int limit,
                                                                                          absl::Time) {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<domain::RecordedOutcome> out;
  for (const StoredOutcome& s : outcomes_) {  // by id already
    if (s.outcome.id <= after_id || (!order_id.empty() && s.outcome.order_id != order_id)) continue;
    if (!include_superseded && !s.outcome.current) continue;
    if (static_cast<int>(out.size()) >= limit) break;
    out.push_back(s.outcome);
  }
  return out;
}

absl::Status FakeDispatchRepository::Log(const common::CallContext& call, const common::ProcessingRecord& record,
                                         absl::Time) {
  std::lock_guard<std::mutex> lock(mu_);
  log_.push_back(LoggedEntry{call, record, {}, {}});
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------------------------
// Generation

absl::StatusOr<domain::DispatchRepository::Attempt> FakeDispatchRepository::GenerateNextBatch(
    absl::Time now, const GenerateFn& generate) {
  domain::ClaimedBatch claimed;
  BatchId id;
  {
    std::lock_guard<std::mutex> lock(mu_);
    // The first due PLANNED batch by (planned date, order, batch) that nobody holds.
    const domain::Batch* next = nullptr;
    for (const auto& [key, b] : batches_) {
      if (b.state != domain::BatchState::kPlanned || claimed_.count(key) > 0) continue;
      if (b.next_attempt_time && *b.next_attempt_time > now) continue;
      if (!next || std::tie(b.planned_date, b.order_id, b.batch_no) <
                       std::tie(next->planned_date, next->order_id, next->batch_no)) {
        next = &b;
      }
    }
    if (!next) return Attempt::kNoneDue;
    id = {next->order_id, next->batch_no};
    claimed.batch = *next;
    claimed.order = orders_.at(next->order_id);
    claimed.executor = executors_.at(next->executor_id);
    claimed_.insert(id);
  }
  Writer writer(this, claimed.batch);
  std::optional<domain::BatchRetry> retry;
  const absl::Status st = generate(claimed, writer, &retry);

  std::lock_guard<std::mutex> lock(mu_);
  claimed_.erase(id);
  domain::Batch& batch = batches_.at(id);
  if (st.ok()) {
    for (domain::Item& item : writer.staged()) {
      items_[{id.first, item.position}] = StoredItem{id.second, std::move(item)};
    }
    if (auto& finished = writer.finished()) {
      log_.push_back(std::move(finished->entry));
      if (batch.state == domain::BatchState::kPlanned) {
        const domain::BatchResult& r = finished->result;
        batch.state = domain::BatchState::kWritten;
        batch.item_count = r.item_count;
        batch.sha256 = r.sha256;
        batch.data_file = r.data_file;
        batch.manifest_file = r.manifest_file;
        batch.write_time = r.write_time;
        batch.withheld_count = r.withheld_count;
      }
      domain::Order& order = orders_.at(id.first);
      ++order.batches_written;
      if (order.batches_written == order.batch_count) order.state = domain::OrderState::kReady;
    }
    return Attempt::kWritten;
  }
  if (!retry) return st;  // the staged writes go with the writer
  batch.failed_attempts += 1;
  batch.next_attempt_time = retry->next_attempt_time;
  batch.last_failure = retry->reason;
  batch.bytes_per_item = retry->bytes_per_item;
  return Attempt::kRescheduled;
}

// ---------------------------------------------------------------------------------------------
// Not needed by the unit tests

absl::StatusOr<std::vector<common::SubjectRow>> FakeDispatchRepository::SubjectItems(const std::string&, absl::Time) {
  return Unimplemented("SubjectItems");
}

absl::StatusOr<domain::DispatchRepository::ItemErasure> FakeDispatchRepository::EraseSubjectItems(
    const common::CallContext&, const std::vector<std::string>&, bool, const common::FollowedPage*) {
  return Unimplemented("EraseSubjectItems");
}

absl::StatusOr<common::RemovalPosition> FakeDispatchRepository::RemovalFeedPosition(absl::Time) {
  return Unimplemented("RemovalFeedPosition");
}

absl::StatusOr<domain::PurgeCounts> FakeDispatchRepository::PurgeOrders(
    const common::CallContext&, absl::CivilDay, bool,
    const std::function<absl::Status(const std::vector<domain::Batch>&)>&) {
  return Unimplemented("PurgeOrders");
}

// ---------------------------------------------------------------------------------------------
// For tests

std::vector<LoggedEntry> FakeDispatchRepository::log() const {
  std::lock_guard<std::mutex> lock(mu_);
  return log_;
}

std::vector<LoggedEntry> FakeDispatchRepository::LogEntries(const std::string& name) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<LoggedEntry> out;
  for (const LoggedEntry& e : log_) {
    if (e.record.name == name) out.push_back(e);
  }
  return out;
}

std::vector<domain::Item> FakeDispatchRepository::Items(const std::string& order_id, int32_t batch_no) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<domain::Item> out;
  for (auto it = items_.lower_bound({order_id, std::numeric_limits<int64_t>::min()});
       it != items_.end() && it->first.first == order_id; ++it) {
    if (it->second.batch_no == batch_no) out.push_back(it->second.item);
  }
  return out;
}

int64_t FakeDispatchRepository::item_count() const {
  std::lock_guard<std::mutex> lock(mu_);
  return static_cast<int64_t>(items_.size());
}

int64_t FakeDispatchRepository::order_count() const {
  std::lock_guard<std::mutex> lock(mu_);
  return static_cast<int64_t>(orders_.size());
}

int64_t FakeDispatchRepository::batch_count() const {
  std::lock_guard<std::mutex> lock(mu_);
  return static_cast<int64_t>(batches_.size());
}

int64_t FakeDispatchRepository::outcome_count() const {
  std::lock_guard<std::mutex> lock(mu_);
  return static_cast<int64_t>(outcomes_.size());
}

int64_t FakeDispatchRepository::idempotency_key_count() const {
  std::lock_guard<std::mutex> lock(mu_);
  return static_cast<int64_t>(keys_.size());
}

int FakeDispatchRepository::claims_held() const {
  std::lock_guard<std::mutex> lock(mu_);
  return static_cast<int>(claimed_.size());
}

}  // namespace cak::dispatch::testing
