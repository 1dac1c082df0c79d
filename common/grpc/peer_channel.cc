// Calls to other services of the suite (see peer_channel.h).
#include "common/grpc/peer_channel.h"

#include <google/protobuf/descriptor.h>
#include <sys/stat.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/base/errors.h"
#include "common/grpc/rpc.h"
#include "common/grpc/server.h"
#include "common/grpc/status.h"

namespace cak::common {

namespace {

absl::StatusOr<std::string> ReadFile(const std::string& path, absl::string_view what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::InvalidArgumentError(absl::StrCat(what, " '", path, "' cannot be read"));
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool Idempotent(const google::protobuf::MethodDescriptor& m) {
  for (const char* read : {"Get", "List", "Stream", "Watch"}) {
    if (absl::StartsWith(m.name(), read)) return true;
  }
  return m.input_type()->FindFieldByName("request_id") != nullptr;
}

}  // namespace

std::string RetryServiceConfig(const std::vector<std::string>& services) {
  nlohmann::json names = nlohmann::json::array();
  for (const std::string& service : services) {
    const google::protobuf::ServiceDescriptor* d =
        google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(service);
    if (d == nullptr) continue;
    for (int i = 0; i < d->method_count(); ++i) {
      if (Idempotent(*d->method(i))) names.push_back({{"service", service}, {"method", d->method(i)->name()}});
    }
  }
  if (names.empty()) return "{}";
  nlohmann::json config = {{"methodConfig",
                            {{{"name", names},
                              {"retryPolicy",
                               {{"maxAttempts", 3},
                                {"initialBackoff", "0.2s"},
                                {"maxBackoff", "2s"},
                                {"backoffMultiplier", 2},
                                {"retryableStatusCodes", {"UNAVAILABLE"}}}}}}}};
  return config.dump();
}

absl::StatusOr<std::unique_ptr<PeerChannel>> PeerChannel::Create(PeerOptions options) {
  if (options.address.empty()) return absl::InvalidArgumentError("the peer address is empty");
  std::unique_ptr<PeerChannel> peer(new PeerChannel(std::move(options)));
  const PeerOptions& o = peer->options_;
  std::shared_ptr<grpc::ChannelCredentials> credentials;
  if (!o.ca_file.empty()) {
    grpc::SslCredentialsOptions ssl;
    auto ca = ReadFile(o.ca_file, "CA file");
    if (!ca.ok()) return ca.status();
    ssl.pem_root_certs = *std::move(ca);
    if (o.cert_file.empty() != o.key_file.empty()) {
      return absl::InvalidArgumentError("a client certificate needs both its certificate and its key file");
    }
    if (!o.cert_file.empty()) {
      auto cert = ReadFile(o.cert_file, "certificate file");
      if (!cert.ok()) return cert.status();
      auto key = ReadFile(o.key_file, "key file");
      if (!key.ok()) return key.status();
      ssl.pem_cert_chain = *std::move(cert);
      ssl.pem_private_key = *std::move(key);
    }
    credentials = grpc::SslCredentials(ssl);
  } else {
    credentials = grpc::InsecureChannelCredentials();
  }
  if (!o.token_file.empty()) {
    auto token = peer->Token();
    if (!token.ok()) return absl::InvalidArgumentError(token.status().message());
  }
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(o.max_message_bytes);
  args.SetMaxSendMessageSize(o.max_message_bytes);
  if (o.max_reconnect_backoff > absl::ZeroDuration()) {
    args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS,
                static_cast<int>(absl::ToInt64Milliseconds(o.max_reconnect_backoff)));
  }
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, static_cast<int>(absl::ToInt64Milliseconds(kClientKeepaliveTime)));
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, static_cast<int>(absl::ToInt64Milliseconds(kKeepaliveTimeout)));
  args.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  args.SetServiceConfigJSON(RetryServiceConfig(o.retry_services));
  peer->channel_ = grpc::CreateCustomChannel(o.address, credentials, args);
  return peer;
}

absl::StatusOr<std::string> PeerChannel::Token() const {
  struct stat st {};
  if (stat(options_.token_file.c_str(), &st) != 0) {
    return MakeError(absl::StatusCode::kUnavailable, "PEER_TOKEN_UNREADABLE",
                     absl::StrCat("token file '", options_.token_file, "' cannot be read"));
  }
  const int64_t mtime = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  std::lock_guard<std::mutex> lock(mu_);
  if (mtime != token_mtime_ns_) {
    auto text = ReadFile(options_.token_file, "token file");
    if (!text.ok()) return MakeError(absl::StatusCode::kUnavailable, "PEER_TOKEN_UNREADABLE", text.status().message());
    token_ = std::string(absl::StripAsciiWhitespace(*text));
    token_mtime_ns_ = mtime;
  }
  return token_;
}

absl::StatusOr<std::unique_ptr<grpc::ClientContext>> PeerChannel::Context(const CallContext& call,
                                                                          absl::Duration timeout) const {
  auto ctx = std::make_unique<grpc::ClientContext>();
  absl::Time deadline = call.deadline;
  if (timeout != absl::InfiniteDuration()) deadline = std::min(deadline, absl::Now() + timeout);
  if (deadline != absl::InfiniteFuture()) ctx->set_deadline(absl::ToChronoTime(deadline));
  PropagateTrace(ctx.get(), call.trace);
  if (!options_.token_file.empty()) {
    auto token = Token();
    if (!token.ok()) return token.status();
    ctx->AddMetadata("authorization", absl::StrCat("Bearer ", *token));
  }
  return ctx;
}

absl::Status FromPeerStatus(const grpc::Status& status, absl::string_view peer) {
  if (status.ok()) return absl::OkStatus();
  const GrpcErrorDetails details = ParseGrpcErrorDetails(status);
  const auto code = static_cast<absl::StatusCode>(status.error_code());
  const std::string message = absl::StrCat(peer, ": ", status.error_message());
  absl::Status out = !details.field.empty()    ? FieldError(code, details.reason, details.field, message)
                     : !details.reason.empty() ? MakeError(code, details.reason, message)
                                               : absl::Status(code, message);
  // The peer's retry advice (e.g. analysis-svc's SNAPSHOT_REBUILDING) reaches our caller too.
  if (details.retry_delay) out = WithRetryDelay(std::move(out), *details.retry_delay);
  return out;
}

}  // namespace cak::common
