// Plumbing of the command-line client: the options every command shares, the channels (plaintext,
// TLS or mutual TLS) and credentials it calls with, and readable errors. The command line itself
// is parsed by cli/command_line.h, which fills GlobalOptions and each command's own options.
#pragma once

#include <grpcpp/grpcpp.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/base/trace_context.h"

namespace cak::cli {

// How the services are reached. Without a CA the channels are plaintext (development); with
// --tls-ca the server's certificate is verified against it; with --tls-cert and --tls-key the
// client presents its own certificate too (mutual TLS).
struct TlsOptions {
  std::string ca_file;      // PEM: the CA the services' certificates are issued by
  std::string cert_file;    // PEM: the client certificate (needs key_file)
  std::string key_file;     // PEM: its private key (needs cert_file)
  std::string server_name;  // the name the certificate must carry, instead of the address's host
};

// How the tokens the client mints (for --as, and for the flow's callers) are signed. Without a
// key: with the repository's test key, for services in --auth-mode=development. With a key: the
// way an identity provider signs them, for a test deployment whose services trust the key's
// JWKS (`voorlichting-cli jwks` prints it; scripts/deploy-local.sh does this). Never a
// production identity.
struct TokenSigning {
  std::string key_file;                // PEM: the RSA private key (RS256)
  std::string key_id;                  // the header's "kid": the key's id in the JWKS
  std::string issuer;                  // "iss" (empty: the development issuer)
  std::vector<std::string> audiences;  // "aud" (empty: the development audience)
};

// The options of every command (given before or after the command's name, or as CAK_*
// environment variables; see cli/command_line.cc).
struct GlobalOptions {
  std::string address = "127.0.0.1:50051";
  // intake-svc, where --signal's action trace is read (and a peer of log, subject-*, flow);
  // empty: --address.
  std::string intake_address;
  absl::Duration timeout = absl::Seconds(10);
  // A bearer token, given itself or as a file (at most one of the two).
  std::string token;
  std::string token_file;
  // Without a token, in development mode: a token minted with the repository's test key.
  std::string as = "cli-operator";
  std::vector<std::string> roles;
  bool application = false;
  // The information action to continue: a W3C traceparent or a trace id, or a signal whose
  // action trace is read from intake-svc.
  std::string trace;
  std::string signal;
  TlsOptions tls;
  TokenSigning signing;
};

// The peers a command asks besides intake-svc (--analysis-address, --dispatch-address,
// --campaign-address; intake-svc's is the global --intake-address).
struct ServiceAddresses {
  std::string analysis;
  std::string dispatch;
  std::string campaign;
};

// Who the client calls as: a bearer token (--token, --token-file or their CAK_* variables), or
// in development mode a token minted with the repository's test key for --as=<id>
// --roles=<r1,r2> [--application].
struct Caller {
  std::string token;
  std::string id;
  std::vector<std::string> roles;
  bool application = false;
};

// The channel credentials for `tls`: plaintext without a CA file, else TLS verifying the server
// against it, with the client certificate when both its files are given. INVALID_ARGUMENT naming
// the option when a file cannot be read or is empty, or when only one of certificate and key is
// given, or a certificate or server name without a CA.
absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> ChannelCredentials(const TlsOptions& tls);

class Client {
 public:
  // Reads the token and TLS files and, for --signal, the signal's action trace (a note on stderr
  // when it cannot be read). INVALID_ARGUMENT naming the option when a file cannot be read, or
  // both --token and --token-file are given.
  static absl::StatusOr<std::unique_ptr<Client>> Create(GlobalOptions options);

  const GlobalOptions& options() const { return options_; }
  // The channel to --address.
  std::shared_ptr<grpc::Channel> channel() const { return channel_; }
  // A channel to `address` with the command line's TLS settings.
  std::shared_ptr<grpc::Channel> ChannelTo(const std::string& address,
                                           grpc::ChannelArguments args = grpc::ChannelArguments()) const;
  // A context for `caller` with the configured deadline; with `continue_trace`, a new span in
  // the information action's trace, sent as "traceparent": --trace (a W3C traceparent, or a
  // trace id whose calls start at its root), or the action trace of the signal named by
  // --signal (read from intake-svc at --intake-address, else --address).
  std::unique_ptr<grpc::ClientContext> Context(const Caller& caller, bool continue_trace = true) const;
  // The trace from --trace or --signal, if any.
  const std::optional<common::TraceContext>& trace() const { return trace_; }
  // The caller from the command line.
  Caller DefaultCaller() const { return default_caller_; }
  // A token for `caller` (who has none of its own), signed as --token-key etc. say.
  absl::StatusOr<std::string> MintToken(const Caller& caller, absl::Duration lifetime = absl::Hours(1)) const;
  // The JSON Web Key Set of --token-key's public half (FAILED_PRECONDITION without a key).
  absl::StatusOr<std::string> Jwks() const;

 private:
  Client(GlobalOptions options, std::shared_ptr<grpc::ChannelCredentials> credentials)
      : options_(std::move(options)), credentials_(std::move(credentials)) {}
  // The action trace the signal named by --signal recorded (nullopt, with a note on stderr,
  // when it cannot be read).
  std::optional<common::TraceContext> SignalTrace() const;

  GlobalOptions options_;
  std::shared_ptr<grpc::ChannelCredentials> credentials_;
  std::shared_ptr<grpc::Channel> channel_;
  Caller default_caller_;
  std::optional<common::TraceContext> trace_;
  std::string signing_key_pem_;  // empty: the repository's test key
};

// "--trace" as the trace it names: a W3C traceparent, or a 32-hex trace id (its calls start at
// the trace's root); nullopt when it is neither.
std::optional<common::TraceContext> ParseTraceOption(const std::string& text);

// token [--lifetime=12h]: prints a development token for the command line's caller (--as,
// --roles, --application), e.g. for a service's --analysis-token-file in development mode.
struct TokenOptions {
  absl::Duration lifetime = absl::Hours(1);
};
int DevToken(const Client& client, const TokenOptions& options);

// jwks: prints the JSON Web Key Set that verifies the tokens minted with --token-key (the
// services' CAK_JWT_JWKS_FILE in a test deployment).
int PrintJwks(const Client& client);

// "error: INVALID_ARGUMENT at signal.description (REQUIRED_FIELD_MISSING): description is required"
std::string DescribeError(const grpc::Status& status);

}  // namespace cak::cli
