// A TCP forwarder on 127.0.0.1 for fault tests: point a service's database connection at the
// proxy, then Cut() to make the database "go away" for that service only (listener closed,
// every connection reset) and Restore() to bring it back on the same port. End-to-end tests put
// one in front of each service process, so the others can be given its address before it
// starts (port 0) and keep it across a restart.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"

namespace cak::common::testing {

class TcpProxy {
 public:
  TcpProxy(std::string target_host, int target_port);
  ~TcpProxy();

  // Listens on a free port.
  absl::Status Start();
  int port() const { return port_; }
  // Closes the listener and all connections.
  void Cut();
  // Listens again on the same port.
  absl::Status Restore();
  // Every connection open now dies when its client next sends something, and not before: a
  // connection lost on the way (a middlebox's reset) that looks healthy until it is used.
  // Later connections are not affected.
  void BreakOnNextSend();
  // New connections go to this target from now on (a restarted server on another port).
  void SetTarget(std::string target_host, int target_port);

 private:
  absl::Status Listen(int port);
  void AcceptLoop();
  void Pump(int client, int upstream, uint64_t id);
  void CloseAll();

  std::string target_host_;
  int target_port_;
  int port_ = 0;
  int listen_fd_ = -1;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> next_id_{0};
  std::atomic<uint64_t> break_below_{0};
  std::thread accept_thread_;
  std::mutex mu_;
  std::vector<int> fds_;
  std::vector<std::thread> pumps_;
};

// Host and port of a libpq connection string (host=... port=...).
bool HostPortFromDsn(const std::string& dsn, std::string* host, int* port);

}  // namespace cak::common::testing
