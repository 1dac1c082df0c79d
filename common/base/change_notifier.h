// In-process wake-ups for streaming watchers: a watcher subscribes to a key (e.g. a signal id)
// and waits until something notifies that key, everything (after a lost database
// notification connection), or the notifier shuts down (server drain). Pure C++, no I/O:
// the database LISTEN side (common/db/pg_listener) calls Notify.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "absl/time/time.h"

namespace cak::common {

class ChangeNotifier {
 public:
  class Subscription;

  // Starts watching `key`. Changes before this call are not reported: subscribe first, then
  // read the current state, then Wait.
  std::unique_ptr<Subscription> Subscribe(const std::string& key);

  void Notify(const std::string& key);
  void NotifyAll();
  // Wakes every waiter for good; later Waits return immediately with kShutdown.
  void Shutdown();
  bool is_shut_down() const;

  enum class WaitResult { kChanged, kTimeout, kShutdown };

  class Subscription {
   public:
    ~Subscription();
    // Waits until the key changed since the previous Wait (or the subscription), at most
    // `timeout`.
    WaitResult Wait(absl::Duration timeout);

   private:
    friend class ChangeNotifier;
    Subscription(ChangeNotifier* owner, std::string key, uint64_t seen)
        : owner_(owner), key_(std::move(key)), seen_(seen) {}
    ChangeNotifier* owner_;
    std::string key_;
    uint64_t seen_;
  };

 private:
  struct Entry {
    uint64_t version = 0;
    int subscribers = 0;
  };
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::unordered_map<std::string, Entry> entries_;
  bool shut_down_ = false;
};

}  // namespace cak::common
