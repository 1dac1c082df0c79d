// Plumbing of the command-line client: options, credentials and readable errors.
#pragma once

#include <grpcpp/grpcpp.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "common/base/trace_context.h"

namespace cak::cli {

// "--key=value" options and positional arguments of one command line.
struct Args {
  std::map<std::string, std::vector<std::string>> options;
  std::vector<std::string> positional;

  static Args Parse(int argc, char** argv, int first);
  std::string Get(const std::string& key, const std::string& fallback = "") const;
  std::vector<std::string> GetAll(const std::string& key) const;
  bool Has(const std::string& key) const { return options.count(key) > 0; }
};

// Who the client calls as: a bearer token (--token, or CAK_TOKEN), or in development mode a
// token minted with the repository's test key for --as=<id> --roles=<r1,r2> [--application].
struct Caller {
  std::string token;
  std::string id;
  std::vector<std::string> roles;
  bool application = false;
};

class Client {
 public:
  explicit Client(const Args& args);

  std::shared_ptr<grpc::Channel> channel() const { return channel_; }
  // A context for `caller` with the configured deadline; with `continue_trace`, a new span in
  // the information action's trace, sent as "traceparent": --trace (a W3C traceparent, or a
  // trace id whose calls start at its root), or the action trace of the signal named by
  // --signal (read from intake-svc at --intake-address, else --address).
  std::unique_ptr<grpc::ClientContext> Context(const Caller& caller, bool continue_trace = true) const;
  // The trace from --trace or --signal, if any.
  const std::optional<common::TraceContext>& trace() const { return trace_; }
  // The caller from the command line.
  Caller DefaultCaller() const { return default_caller_; }

 private:
  // The action trace the signal named by --signal recorded (nullopt, with a note on stderr,
  // when it cannot be read).
  std::optional<common::TraceContext> SignalTrace(const Args& args, const std::string& address) const;

  std::shared_ptr<grpc::Channel> channel_;
  Caller default_caller_;
  absl::Duration timeout_;
  std::optional<common::TraceContext> trace_;
};

// token [--lifetime=12h]: prints a development token for the command line's caller (--as,
// --roles, --application), e.g. for a service's --analysis-token-file in development mode.
int DevToken(const Client& client, const Args& args);

// "error: INVALID_ARGUMENT at signal.description (REQUIRED_FIELD_MISSING): description is required"
std::string DescribeError(const grpc::Status& status);

}  // namespace cak::cli
