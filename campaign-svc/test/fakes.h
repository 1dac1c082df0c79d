// In-memory fakes of campaign-svc's repository and of its three peers, for unit tests of the
// domain and for API tests of the handlers without the other services. The peers record what
// they were asked; their answers and failures are set by the test.
#pragma once

#include <algorithm>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "campaign-svc/src/domain/campaign_service.h"
#include "campaign-svc/src/domain/peers.h"
#include "campaign-svc/src/domain/reasons.h"
#include "campaign-svc/src/domain/repository.h"
#include "common/base/errors.h"
#include "common/base/random.h"

namespace cak::campaign::testing {

class FakeIntake final : public domain::IntakeGateway {
 public:
  std::map<std::string, domain::SignalState> signals;
  std::map<std::string, std::string> action_traces;  // signal id -> action_traceparent (optional)
  absl::Status failure;                              // returned by every call when not OK
  std::vector<std::string> planned, closed;          // signal ids
  std::string last_feedback;

  absl::StatusOr<domain::SignalInfo> GetSignal(const common::CallContext&, const std::string& id) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (!failure.ok()) return failure;
    auto it = signals.find(id);
    if (it == signals.end()) return common::MakeError(absl::StatusCode::kNotFound, "SIGNAL_NOT_FOUND", "no signal");
    auto trace = action_traces.find(id);
    return domain::SignalInfo{it->second, trace == action_traces.end() ? std::string() : trace->second};
  }
  absl::Status MarkActionPlanned(const common::CallContext&, const std::string& id, const std::string&) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (!failure.ok()) return failure;
    planned.push_back(id);
    signals[id] = domain::SignalState::kActionPlanned;
    return absl::OkStatus();
  }
  absl::Status Close(const common::CallContext&, const std::string& id, const std::string& feedback) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (!failure.ok()) return failure;
    closed.push_back(id);
    last_feedback = feedback;
    signals[id] = domain::SignalState::kClosed;
    return absl::OkStatus();
  }

 private:
  std::mutex mu_;
};

class FakeAnalysis final : public domain::AnalysisGateway {
 public:
  std::map<std::string, domain::TargetGroupSetInfo> sets;
  std::map<std::string, domain::FrozenList> frozen;  // by request id
  absl::Status freeze_failure;
  std::string freeze_failing_group;             // set: freeze_failure for this group only
  std::vector<std::string> sample_subject_ids;  // the samples' log ids, in order ("subject-id-<i>" beyond)

  absl::StatusOr<domain::TargetGroupSetInfo> GetTargetGroupSet(const common::CallContext&,
                                                               const std::string& id) override {
    auto it = sets.find(id);
    if (it == sets.end()) {
      return common::MakeError(absl::StatusCode::kNotFound, "TARGET_GROUP_SET_NOT_FOUND", "no set");
    }
    return it->second;
  }
  absl::StatusOr<domain::FrozenList> FreezeList(const common::CallContext&, const std::string& request_id,
                                                const std::string& set_id, const std::string& group, double share,
                                                uint64_t) override {
    if (!freeze_failure.ok() && (freeze_failing_group.empty() || freeze_failing_group == group)) {
      return freeze_failure;
    }
    auto it = frozen.find(request_id);
    if (it != frozen.end()) return it->second;
    int64_t members = 0;
    for (const auto& g : sets.at(set_id).groups) {
      if (g.name == group) members = g.member_count;
    }
    domain::FrozenList list;
    list.list_id = absl::StrCat("list-", frozen.size() + 1);
    const int64_t control = domain::ControlCount(members, share);
    list.member_count = members - control;
    if (control > 0) list.control_list_id = list.list_id + "-control";
    frozen[request_id] = list;
    return list;
  }
  absl::StatusOr<std::vector<domain::PreviewSubject>> SampleGroup(const common::CallContext&, const std::string&,
                                                                  const std::string&, int size, uint64_t) override {
    std::vector<domain::PreviewSubject> out;
    for (int i = 0; i < size; ++i) {
      const std::string id =
          static_cast<size_t>(i) < sample_subject_ids.size() ? sample_subject_ids[i] : absl::StrCat("subject-id-", i);
      out.push_back({absl::StrCat("pseudo", i), id, "J. d* V*****", i % 2 == 1});
    }
    return out;
  }
  std::vector<domain::ResponseQuestion> measured;  // every question asked
  absl::StatusOr<domain::ResponseSummary> MeasureResponse(const common::CallContext&,
                                                          const domain::ResponseQuestion& question) override {
    measured.push_back(question);
    domain::ResponseSummary s;
    s.measurement = absl::StrCat("responseMeasurements/5b7f2f0e-2a43-4d7e-8c57-2f3a9d1b6e1", measured.size() % 10);
    s.measure_time = absl::FromUnixSeconds(1790000000 + static_cast<int64_t>(measured.size()));
    s.snapshot_version = 4;
    s.responders = 30;
    s.members = 90;
    s.control_responders = 1;
    s.control_members = 10;
    return s;
  }
};

class FakeDispatch final : public domain::DispatchGateway {
 public:
  // Answers of CheckFeasibility: confirmed and feasible unless set otherwise.
  domain::FeasibilityState answer_state = domain::FeasibilityState::kAwaitingSignOff;
  bool feasible = true;
  std::map<std::string, domain::GroupFeasibility> checks;  // by check id
  std::map<std::string, std::string> orders;               // request id -> order name
  std::vector<domain::OrderRequest> order_calls;           // every CreateOrder call
  std::vector<domain::FeasibilityQuestion> questions;      // every CheckFeasibility call
  std::vector<std::string> order_trace_ids;                // the trace each call continued
  // Failures: `failure` for every call; `lose_responses` > 0 creates the order and then
  // answers UNAVAILABLE (the answer got lost), that many times.
  absl::Status failure;
  int lose_responses = 0;
  domain::OrderState order_state = domain::OrderState::kGenerating;

  // The executor signs off every open check.
  void ConfirmAll() {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& [id, c] : checks) {
      c.state = domain::FeasibilityState::kConfirmed;
      c.decided_by = "repro.executors.cak.nl";
    }
  }

  absl::StatusOr<domain::GroupFeasibility> CheckFeasibility(const common::CallContext&,
                                                            const domain::FeasibilityQuestion& q) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (!failure.ok()) return failure;
    questions.push_back(q);
    domain::GroupFeasibility f;
    f.check_id = absl::StrCat("check-", q.request_id);
    f.state = answer_state;
    f.feasible = feasible;
    f.volume = q.volume;
    f.earliest_start = q.window_start;
    checks[f.check_id] = f;
    return f;
  }
  absl::StatusOr<domain::GroupFeasibility> GetFeasibility(const common::CallContext&, const std::string& id) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (!failure.ok()) return failure;
    return checks.at(id);
  }
  absl::StatusOr<std::string> CreateOrder(const common::CallContext& call, const domain::OrderRequest& o) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (!failure.ok()) return failure;
    order_calls.push_back(o);
    order_trace_ids.push_back(call.trace.TraceIdHex());
    auto it = orders.find(o.request_id);
    if (it == orders.end())
      it = orders.emplace(o.request_id, absl::StrCat("dispatchOrders/order-", orders.size() + 1)).first;
    if (lose_responses > 0) {
      --lose_responses;
      return absl::UnavailableError("connection reset after the commit");
    }
    return it->second;
  }
  absl::StatusOr<domain::OrderState> GetOrderState(const common::CallContext&, const std::string&) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (!failure.ok()) return failure;
    return order_state;
  }

 private:
  std::mutex mu_;
};

// The repository in memory, with an outbox the test delivers by hand (Deliver).
class FakeRepository final : public domain::CampaignRepository {
 public:
  std::map<std::string, domain::Campaign> campaigns;
  std::map<std::pair<std::string, std::string>, std::vector<domain::MessageVersion>> versions;
  std::vector<common::OutboxRecord> outbox;
  std::map<std::string, std::string> claims;  // request id -> campaign id
  // The processing-log entries written, with the trace each went to (common::PlaceEntry).
  struct LoggedEntry {
    common::ProcessingRecord record;
    std::string trace_id, foreign_trace_id;  // hex
  };
  std::vector<LoggedEntry> log;
  absl::Status log_failure;  // returned by Log when not OK

  void Append(const common::CallContext& call, const common::ProcessingRecord& record) {
    const common::CallContext placed = common::WithinAction(call, record.action_traceparent);
    log.push_back({record, placed.trace.TraceIdHex(), common::HexEncode(placed.foreign_trace_id)});
  }

  absl::StatusOr<domain::Campaign> Create(const domain::Campaign& c, const common::IdempotencyKey* key, bool* replayed,
                                          const common::CallContext& call,
                                          const common::ProcessingRecord& record) override {
    if (key) {
      auto it = claims.find(key->request_id);
      if (it != claims.end()) {
        *replayed = true;
        return Get(it->second, absl::InfiniteFuture());
      }
      claims[key->request_id] = c.id;
    }
    *replayed = false;
    campaigns[c.id] = c;
    Append(call, record);
    return c;
  }
  absl::StatusOr<std::optional<domain::Campaign>> FindCreated(const common::IdempotencyKey& key, absl::Time) override {
    auto it = claims.find(key.request_id);
    if (it == claims.end()) return std::optional<domain::Campaign>();
    return std::optional<domain::Campaign>(campaigns.at(it->second));
  }
  absl::StatusOr<int64_t> RequeueFailed(const std::string& id, absl::Time, absl::Time) override {
    int64_t n = 0;
    for (common::OutboxRecord& m : outbox) {
      if (m.message.aggregate_id == id && m.state == common::OutboxState::kFailed) {
        m.state = common::OutboxState::kPending;
        ++n;
      }
    }
    return n;
  }
  absl::StatusOr<domain::Campaign> Get(const std::string& id, absl::Time) override {
    auto it = campaigns.find(id);
    if (it == campaigns.end()) {
      return common::MakeError(absl::StatusCode::kNotFound, domain::reason::kCampaignNotFound, "campaign not found");
    }
    domain::Campaign c = it->second;
    for (const common::OutboxRecord& m : outbox) {
      if (m.message.aggregate_id != id || m.message.topic != domain::kTopicCreateOrder) continue;
      const std::string& group = m.message.payload;
      for (domain::CampaignGroup& g : c.groups) {
        if (g.name != group) continue;
        g.order_delivery = m.state == common::OutboxState::kDone     ? domain::OrderDelivery::kCreated
                           : m.state == common::OutboxState::kFailed ? domain::OrderDelivery::kFailed
                                                                     : domain::OrderDelivery::kPending;
        g.dispatch_order = m.result;
        g.order_error = m.last_error;
      }
    }
    return c;
  }
  absl::StatusOr<std::vector<domain::Campaign>> List(const domain::CampaignFilter&,
                                                     const std::optional<domain::ListPosition>&, int,
                                                     absl::Time) override {
    std::vector<domain::Campaign> out;
    for (const auto& [id, c] : campaigns) out.push_back(c);
    return out;
  }
  absl::Status Save(const Change& change, absl::Time) override {
    domain::Campaign& stored = campaigns.at(change.campaign->id);
    if (stored.revision != change.expected_revision) {
      return common::MakeError(absl::StatusCode::kAborted, common::reason::kConcurrentUpdate, "changed meanwhile");
    }
    stored = *change.campaign;
    if (change.decision) stored.decisions.push_back(*change.decision);
    if (change.new_message) {
      versions[{stored.id, stored.groups[change.new_message->first].name}].push_back(change.new_message->second);
    }
    for (const common::OutboxMessage& m : change.outbox) {
      common::OutboxRecord r;
      r.id = static_cast<int64_t>(outbox.size()) + 1;
      r.message = m;
      outbox.push_back(r);
    }
    if (change.call && change.record) Append(*change.call, *change.record);
    return absl::OkStatus();
  }
  absl::Status RecordResponse(const std::string& campaign_id, const domain::ResponseSummary& latest,
                              const common::CallContext& call, const common::ProcessingRecord& record) override {
    auto it = campaigns.find(campaign_id);
    if (it == campaigns.end()) return common::MakeError(absl::StatusCode::kNotFound, "CAMPAIGN_NOT_FOUND", "none");
    it->second.latest_response = latest;
    Append(call, record);
    return absl::OkStatus();
  }
  absl::Status Log(const common::CallContext& call, const common::ProcessingRecord& record, absl::Time) override {
    if (!log_failure.ok()) return log_failure;
    Append(call, record);
    return absl::OkStatus();
  }
  absl::StatusOr<std::vector<common::SubjectRow>> SubjectPreviews(const std::string&, absl::Time) override {
    return std::vector<common::SubjectRow>{};  // the API tests read them from PostgreSQL
  }
  absl::StatusOr<std::vector<domain::MessageVersion>> ListMessageVersions(const std::string& id,
                                                                          const std::string& group,
                                                                          absl::Time) override {
    auto v = versions[{id, group}];
    std::reverse(v.begin(), v.end());
    return v;
  }

  // Delivers every pending message through `service` once, as the relay would.
  void Deliver(domain::CampaignService& service) {
    for (common::OutboxRecord& m : outbox) {
      if (m.state != common::OutboxState::kPending) continue;
      absl::StatusOr<std::string> result = m.message.topic == domain::kTopicCreateOrder ? service.DeliverOrder(m)
                                           : m.message.topic == domain::kTopicSignalPlanned
                                               ? service.DeliverSignalPlanned(m)
                                               : service.DeliverSignalClosed(m);
      ++m.attempts;
      if (result.ok()) {
        m.state = common::OutboxState::kDone;
        m.result = *result;
      } else if (common::OutboxRetryable(result.status())) {
        m.last_error = std::string(result.status().message());
      } else {
        m.state = common::OutboxState::kFailed;
        m.last_error = std::string(result.status().message());
      }
    }
  }
};

}  // namespace cak::campaign::testing
