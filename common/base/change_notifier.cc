// Keyed wake-ups (see change_notifier.h).
#include "common/base/change_notifier.h"

namespace cak::common {

std::unique_ptr<ChangeNotifier::Subscription> ChangeNotifier::Subscribe(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  Entry& e = entries_[key];
  ++e.subscribers;
  return std::unique_ptr<Subscription>(new Subscription(this, key, e.version));
}

void ChangeNotifier::Notify(const std::string& key) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = entries_.find(key);
    if (it == entries_.end()) return;
    ++it->second.version;
  }
  cv_.notify_all();
}

void ChangeNotifier::NotifyAll() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& [key, e] : entries_) ++e.version;
  }
  cv_.notify_all();
}

void ChangeNotifier::Shutdown() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    shut_down_ = true;
  }
  cv_.notify_all();
}

bool ChangeNotifier::is_shut_down() const {
  std::lock_guard<std::mutex> lock(mu_);
  return shut_down_;
}

ChangeNotifier::Subscription::~Subscription() {
  std::lock_guard<std::mutex> lock(owner_->mu_);
  auto it = owner_->entries_.find(key_);
  if (it != owner_->entries_.end() && --it->second.subscribers == 0) owner_->entries_.erase(it);
}

ChangeNotifier::WaitResult ChangeNotifier::Subscription::Wait(absl::Duration timeout) {
  std::unique_lock<std::mutex> lock(owner_->mu_);
  auto changed = [this] { return owner_->shut_down_ || owner_->entries_[key_].version != seen_; };
  if (!owner_->cv_.wait_for(lock, absl::ToChronoNanoseconds(timeout), changed)) {
    return WaitResult::kTimeout;
  }
  if (owner_->shut_down_) return WaitResult::kShutdown;
  seen_ = owner_->entries_[key_].version;
  return WaitResult::kChanged;
}

}  // namespace cak::common
