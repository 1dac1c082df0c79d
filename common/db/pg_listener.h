// A dedicated PostgreSQL connection that LISTENs on one channel and forwards each
// notification's payload, so that a change committed by any replica wakes the streaming
// watchers on every replica (NOTIFY is sent inside the writing transaction and delivered on
// commit). When the connection drops it reconnects with back-off and calls on_resync, because
// notifications sent meanwhile are lost and watchers must re-read.
#pragma once

#include <atomic>
#include <functional>
#include <string>
#include <thread>

namespace cak::common::db {

class PgListener {
 public:
  PgListener(std::string conninfo, std::string channel, std::function<void(const std::string& payload)> on_notify,
             std::function<void()> on_resync);
  ~PgListener();

  void Start();
  void Stop();

 private:
  void Run();

  std::string conninfo_;
  std::string channel_;
  std::function<void(const std::string&)> on_notify_;
  std::function<void()> on_resync_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace cak::common::db
