// Calls from one service of the suite to another (dispatch -> analysis, campaign -> dispatch):
// the channel, the caller's credentials and the request-scoped metadata of every call.
//
// Credentials, as the called service's Authenticator expects them (common/grpc/auth.h):
// - mTLS when `ca_file` is set: the peer's server certificate is verified against it and this
//   service presents its own certificate (`cert_file` / `key_file`) as the client identity;
// - a bearer token read from `token_file` (for example an OAuth client-credentials token a
//   sidecar keeps fresh): re-read whenever the file changes, sent on every call.
// Either or both; with neither, calls go out unauthenticated (the peer will refuse them).
//
// The channel pings its server every kClientKeepaliveTime (common/grpc/server.h), so a dead
// connection is noticed between calls, and retries the idempotent methods of the services in
// `retry_services` (see RetryServiceConfig) when the peer answers UNAVAILABLE, with gRPC's
// exponential backoff and full jitter.
#pragma once

#include <grpcpp/grpcpp.h>

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/base/processing_log.h"

namespace cak::common {

struct PeerOptions {
  std::string address;  // host:port
  std::string ca_file;
  std::string cert_file, key_file;
  std::string token_file;
  int max_message_bytes = 16 << 20;
  // Longest wait between reconnection attempts after the peer went away (0: gRPC's default of
  // two minutes), so a peer that is back is noticed soon.
  absl::Duration max_reconnect_backoff = absl::ZeroDuration();
  // Full names of the peer's services whose idempotent methods are retried.
  std::vector<std::string> retry_services;
};

// The channel's service config (gRPC's JSON): a retry policy (3 attempts, backoff 0.2 s
// doubling to 2 s, full jitter, on UNAVAILABLE only) for the idempotent methods of `services`:
// the reads (Get*, List*, Stream*, Watch*) and the methods whose request carries a request_id
// (the server replays a repeat, AIP-155). Other methods are never retried: a state change
// without a request id might have been applied. Services unknown to this binary are skipped.
std::string RetryServiceConfig(const std::vector<std::string>& services);

class PeerChannel {
 public:
  // INVALID_ARGUMENT for a missing address or unreadable certificate files.
  static absl::StatusOr<std::unique_ptr<PeerChannel>> Create(PeerOptions options);

  const std::shared_ptr<grpc::Channel>& channel() const { return channel_; }

  // A context for a call made while handling `call`: the trace continues (traceparent), the
  // deadline is the caller's or `timeout` from now, whichever comes first (infinite timeout:
  // the caller's only), and the bearer token is attached. UNAVAILABLE when the token file
  // cannot be read.
  absl::StatusOr<std::unique_ptr<grpc::ClientContext>> Context(const CallContext& call, absl::Duration timeout) const;

  const PeerOptions& options() const { return options_; }

 private:
  explicit PeerChannel(PeerOptions options) : options_(std::move(options)) {}
  absl::StatusOr<std::string> Token() const;

  PeerOptions options_;
  std::shared_ptr<grpc::Channel> channel_;
  mutable std::mutex mu_;
  mutable std::string token_;
  mutable int64_t token_mtime_ns_ = -1;
};

// A grpc::Status from a peer as an absl::Status with the same code, keeping the peer's
// ErrorInfo reason and BadRequest field, so that a domain can tell e.g. NOT_FOUND of a
// recipient list apart and pass the reason on.
absl::Status FromPeerStatus(const grpc::Status& status, absl::string_view peer);

}  // namespace cak::common
