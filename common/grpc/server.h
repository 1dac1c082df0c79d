// gRPC server bootstrap shared by the services:
// - the API server (TLS with optional client certificates when configured, else plaintext),
//   with message-size limits and server reflection;
// - the standard health service (grpc.health.v1) on the API port and on a separate plaintext
//   health port, because the kubelet's native gRPC probe cannot speak TLS; it reports
//   NOT_SERVING until the service says otherwise and while the database probe fails;
// - graceful shutdown: NOT_SERVING, shutdown hooks (end streaming calls), stop accepting, let
//   running calls finish within the grace period, cancel the rest.
#pragma once

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace cak::common {

// The health-service name that reports the process alive (the liveness probe's service);
// "" and the API service names report readiness (database reachable, not draining).
inline constexpr char kLivenessService[] = "liveness";

// Keepalive between the suite's servers and their clients: the server pings an idle client
// every kServerKeepaliveTime, a PeerChannel pings its server every kClientKeepaliveTime (the
// server accepts pings half as far apart), and a ping unanswered for kKeepaliveTimeout ends
// the connection.
inline constexpr absl::Duration kServerKeepaliveTime = absl::Minutes(1);
inline constexpr absl::Duration kClientKeepaliveTime = absl::Seconds(30);
inline constexpr absl::Duration kKeepaliveTimeout = absl::Seconds(20);

struct TlsFiles {
  std::string cert_file;
  std::string key_file;
  std::string client_ca_file;  // client certificates are verified against this CA when sent
  bool enabled() const { return !cert_file.empty(); }
};

struct ServerOptions {
  std::string host = "0.0.0.0";
  int grpc_port = 50051;  // 0: any free port
  int health_port = -1;   // -1: none; 0: any free port
  int max_message_bytes = 4 * 1024 * 1024;
  // Idle handler threads kept ready (gRPC sync server "max pollers").
  int max_threads = 64;
  // Most threads the server may use in all (handlers, pollers).
  int max_total_threads = 1024;
  absl::Duration shutdown_grace = absl::Seconds(20);
  // Connections are closed after `max_connection_age` (calls on them may finish within the
  // grace), so that clients reconnect and load rebalances over replicas; idle clients are
  // pinged (keepalive) so that dead connections are noticed.
  absl::Duration max_connection_age = absl::Minutes(5);
  absl::Duration max_connection_age_grace = absl::Minutes(5);
  TlsFiles tls;
};

class ServiceServer {
 public:
  explicit ServiceServer(ServerOptions options);
  ~ServiceServer();

  // Registers an API service (not owned; must outlive the server) under its full name
  // (Generated::service_full_name()), which the health service reports too. Before Start().
  void AddService(grpc::Service* service, std::string full_name);
  // Runs during Shutdown(), after health turned NOT_SERVING and before draining.
  void OnShutdown(std::function<void()> hook);

  // Binds and starts. INVALID_ARGUMENT for unreadable TLS files, UNAVAILABLE when a port
  // cannot be bound.
  absl::Status Start();
  int grpc_port() const { return grpc_port_; }
  int health_port() const { return health_port_; }

  // Health of "" (the server) and of every registered service, on both servers.
  void SetServing(bool serving);
  bool serving() const { return serving_; }

  // Probes every `interval` in a thread and sets serving to probe() == OK (logging changes).
  void MonitorHealth(std::function<absl::Status()> probe, absl::Duration interval);

  // Drains and stops (see the file comment). Safe to call more than once and from any thread.
  void Shutdown();
  // Blocks until Shutdown() has finished.
  void Wait();

 private:
  ServerOptions options_;
  std::vector<grpc::Service*> services_;
  std::vector<std::string> service_names_;
  std::vector<std::function<void()>> shutdown_hooks_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<grpc::Server> health_server_;
  int grpc_port_ = 0;
  int health_port_ = 0;
  std::atomic<bool> serving_{false};
  std::mutex mu_;
  std::condition_variable cv_;
  bool shutting_down_ = false;
  bool shut_down_ = false;
  std::thread monitor_;
};

// Call first thing in main(), before any thread exists: blocks SIGTERM and SIGINT so that
// WaitForTerminationSignal() (on the main thread) receives them.
void BlockTerminationSignals();
// Returns the signal number when SIGTERM or SIGINT arrives.
int WaitForTerminationSignal();

}  // namespace cak::common
