// An in-memory SignalRepository with the same observable behaviour as the PostgreSQL one
// (idempotency, duplicate suggestions, history, purge), for domain unit tests. It also keeps
// every processing record it was asked to write, so tests can check what gets logged.
#pragma once

#include <algorithm>
#include <map>
#include <mutex>

#include "common/base/errors.h"
#include "intake-svc/src/domain/lifecycle.h"
#include "intake-svc/src/domain/signal_repository.h"
#include "intake-svc/src/domain/signal_service.h"

namespace cak::intake::testing {

class FakeSignalRepository final : public domain::SignalRepository {
 public:
  absl::StatusOr<domain::CreateOutcome> Create(const common::CallContext&, const domain::CreateCommand& c) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (c.idempotency) {
      auto key = std::make_pair(c.idempotency->operation, c.idempotency->request_id);
      auto it = keys_.find(key);
      if (it != keys_.end()) {
        if (it->second.first != c.idempotency->fingerprint) {
          return common::InvalidField(common::reason::kRequestIdReused, "request_id", "reused");
        }
        return domain::CreateOutcome{signals_.at(it->second.second), true};
      }
      keys_[key] = {c.idempotency->fingerprint, c.signal.id};
    }
    domain::Signal s = c.signal;
    for (const auto& [id, other] : signals_) {
      if (!domain::IsOpen(other.state)) continue;
      const bool same = other.regulation == c.duplicates.regulation && other.category == c.duplicates.category &&
                        other.receive_time >= c.duplicates.received_since;
      int shared = 0;
      for (const auto& b : c.duplicates.customers) {
        shared += std::count(other.example_customers.begin(), other.example_customers.end(), b) > 0;
      }
      if (same || shared > 0) s.duplicate_candidates.push_back({id, domain::ClassifyDuplicate(same, shared), shared});
    }
    signals_[s.id] = s;
    AddEvent(c.received_event);
    if (!c.record.data_subjects.empty()) records_.push_back(c.record);
    return domain::CreateOutcome{s, false};
  }

  absl::StatusOr<domain::Signal> Read(const common::CallContext&, const std::string& id,
                                      const Inspector& inspect) override {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = signals_.find(id);
    if (it == signals_.end()) return domain::SignalNotFound();
    auto record = inspect(it->second);
    if (!record.ok()) return record.status();
    if (*record) records_.push_back(**record);
    return it->second;
  }

  absl::StatusOr<domain::Signal> Update(const common::CallContext&, const std::string& id,
                                        const Decider& decide) override {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = signals_.find(id);
    if (it == signals_.end()) return domain::SignalNotFound();
    auto m = decide(it->second);
    if (!m.ok()) return m.status();
    it->second = domain::ApplyMutation(it->second, *m);
    AddEvent(m->event);
    if (m->record) records_.push_back(*m->record);
    return it->second;
  }

  absl::StatusOr<std::vector<domain::Signal>> List(const domain::ListQuery& q, absl::Time) override {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<domain::Signal> all;
    for (const auto& [id, s] : signals_) {
      if (q.state && s.state != *q.state) continue;
      if (q.category && s.category != *q.category) continue;
      if (q.regulation && s.regulation != *q.regulation) continue;
      if (!q.reporter.empty() && s.reporter.id != q.reporter) continue;
      if (q.received_from && s.receive_time < *q.received_from) continue;
      if (q.received_before && s.receive_time >= *q.received_before) continue;
      if (q.after && std::make_pair(s.receive_time, s.id) >= *q.after) continue;
      all.push_back(s);
    }
    std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) {
      return std::make_pair(a.receive_time, a.id) > std::make_pair(b.receive_time, b.id);
    });
    if (static_cast<int>(all.size()) > q.limit) all.resize(q.limit);
    return all;
  }

  absl::StatusOr<std::vector<domain::SignalEvent>> EventsAfter(const std::string& id, int64_t after, int limit,
                                                               absl::Time) override {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<domain::SignalEvent> out;
    for (const auto& e : events_) {
      if (e.signal_id == id && e.sequence > after && static_cast<int>(out.size()) < limit) out.push_back(e);
    }
    return out;
  }

  absl::StatusOr<std::vector<domain::Signal>> SignalsNaming(const common::Bsn& customer, absl::Time) override {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<domain::Signal> out;
    for (const auto& [id, s] : signals_) {
      if (std::find(s.example_customers.begin(), s.example_customers.end(), customer) != s.example_customers.end()) {
        out.push_back(s);
      }
    }
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.receive_time < b.receive_time; });
    return out;
  }

  absl::StatusOr<int64_t> RemoveExampleCustomers(const common::CallContext&, const std::vector<common::Bsn>& customers,
                                                 bool dry_run, const common::FollowedPage* followed) override {
    std::lock_guard<std::mutex> lock(mu_);
    int64_t n = 0;
    for (const common::Bsn& customer : customers) {
      for (auto& [id, s] : signals_) {
        auto it = std::find(s.example_customers.begin(), s.example_customers.end(), customer);
        if (it == s.example_customers.end()) continue;
        ++n;
        if (!dry_run) s.example_customers.erase(it);
      }
    }
    if (followed && !dry_run) position_ = followed->position;
    return n;
  }

  absl::StatusOr<std::vector<common::Bsn>> ExampleCustomers(absl::Time) override {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<common::Bsn> out;
    for (const auto& [id, s] : signals_) {
      for (const common::Bsn& b : s.example_customers) {
        if (std::find(out.begin(), out.end(), b) == out.end()) out.push_back(b);
      }
    }
    return out;
  }

  absl::StatusOr<common::RemovalPosition> RemovalFeedPosition(absl::Time) override {
    std::lock_guard<std::mutex> lock(mu_);
    return position_;
  }

  absl::StatusOr<domain::PurgeOutcome> Purge(const common::CallContext&, absl::Time cutoff, bool dry_run,
                                             const common::ProcessingRecord& record) override {
    std::lock_guard<std::mutex> lock(mu_);
    domain::PurgeOutcome out;
    common::ProcessingRecord rec = record;
    for (auto it = signals_.begin(); it != signals_.end();) {
      if (it->second.final_time && *it->second.final_time < cutoff) {
        out.count++;
        out.signal_ids.push_back(it->first);
        for (const auto& b : it->second.example_customers) rec.data_subjects.push_back(b);
        if (!dry_run) {
          it = signals_.erase(it);
          continue;
        }
      }
      ++it;
    }
    if (!dry_run && out.count > 0) records_.push_back(rec);
    return out;
  }

  std::vector<common::ProcessingRecord> records() const {
    std::lock_guard<std::mutex> lock(mu_);
    return records_;
  }
  size_t size() const {
    std::lock_guard<std::mutex> lock(mu_);
    return signals_.size();
  }

 private:
  void AddEvent(domain::SignalEvent e) {
    e.sequence = ++sequence_;
    events_.push_back(std::move(e));
  }

  mutable std::mutex mu_;
  common::RemovalPosition position_;
  std::map<std::string, domain::Signal> signals_;
  std::map<std::pair<std::string, std::string>, std::pair<std::string, std::string>> keys_;
  std::vector<domain::SignalEvent> events_;
  std::vector<common::ProcessingRecord> records_;
  int64_t sequence_ = 0;
};

}  // namespace cak::intake::testing
