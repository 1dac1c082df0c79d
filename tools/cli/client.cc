// Command-line plumbing (see client.h).
#include "cli/client.h"

#include <cstdio>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "cak/voorlichting/intake/v1/intake_service.grpc.pb.h"
#include "common/base/config.h"
#include "common/grpc/dev_tokens.h"
#include "common/grpc/metrics.h"  // GrpcCodeName
#include "common/grpc/status.h"

namespace cak::cli {

absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> ChannelCredentials(const TlsOptions& tls) {
  if (tls.ca_file.empty()) {
    if (!tls.cert_file.empty() || !tls.key_file.empty() || !tls.server_name.empty()) {
      return absl::InvalidArgumentError("--tls-cert, --tls-key and --tls-server-name need --tls-ca");
    }
    return grpc::InsecureChannelCredentials();
  }
  if (tls.cert_file.empty() != tls.key_file.empty()) {
    return absl::InvalidArgumentError("a client certificate needs both --tls-cert and --tls-key");
  }
  grpc::SslCredentialsOptions ssl;
  auto ca = common::ReadSecretFile("--tls-ca", tls.ca_file);
  if (!ca.ok()) return ca.status();
  ssl.pem_root_certs = *std::move(ca);
  if (!tls.cert_file.empty()) {
    auto cert = common::ReadSecretFile("--tls-cert", tls.cert_file);
    if (!cert.ok()) return cert.status();
    auto key = common::ReadSecretFile("--tls-key", tls.key_file);
    if (!key.ok()) return key.status();
    ssl.pem_cert_chain = *std::move(cert);
    ssl.pem_private_key = *std::move(key);
  }
  return grpc::SslCredentials(ssl);
}

std::optional<common::TraceContext> ParseTraceOption(const std::string& text) {
  return common::ParseTraceparent(text.size() == 32 ? absl::StrCat("00-", text, "-0000000000000001-01") : text);
}

absl::StatusOr<std::unique_ptr<Client>> Client::Create(GlobalOptions options) {
  if (!options.token.empty() && !options.token_file.empty()) {
    return absl::InvalidArgumentError(
        "give the token once: --token (CAK_TOKEN) or --token-file (CAK_TOKEN_FILE), not both");
  }
  auto credentials = ChannelCredentials(options.tls);
  if (!credentials.ok()) return credentials.status();
  std::unique_ptr<Client> client(new Client(std::move(options), *std::move(credentials)));
  const GlobalOptions& o = client->options_;
  client->default_caller_.token = o.token;
  if (!o.token_file.empty()) {
    auto token = common::ReadSecretFile("--token-file", o.token_file);
    if (!token.ok()) return token.status();
    client->default_caller_.token = std::string(absl::StripAsciiWhitespace(*token));
  }
  if (!o.signing.key_file.empty()) {
    auto key = common::ReadSecretFile("--token-key", o.signing.key_file);
    if (!key.ok()) return key.status();
    client->signing_key_pem_ = *std::move(key);
  }
  client->default_caller_.id = o.as;
  client->default_caller_.roles = o.roles;
  client->default_caller_.application = o.application;
  client->channel_ = client->ChannelTo(o.address);
  if (!o.trace.empty()) {
    client->trace_ = ParseTraceOption(o.trace);
  } else if (!o.signal.empty()) {
    client->trace_ = client->SignalTrace();
  }
  return client;
}

std::shared_ptr<grpc::Channel> Client::ChannelTo(const std::string& address, grpc::ChannelArguments args) const {
  if (!options_.tls.server_name.empty()) args.SetSslTargetNameOverride(options_.tls.server_name);
  return grpc::CreateCustomChannel(address, credentials_, args);
}

std::optional<common::TraceContext> Client::SignalTrace() const {
  namespace ipb = cak::voorlichting::intake::v1;
  const std::string intake = options_.intake_address.empty() ? options_.address : options_.intake_address;
  auto stub = ipb::IntakeService::NewStub(intake == options_.address ? channel_ : ChannelTo(intake));
  ipb::GetSignalRequest req;
  req.set_name(options_.signal);
  ipb::Signal signal;
  const grpc::Status st = stub->GetSignal(Context(default_caller_, false).get(), req, &signal);
  if (!st.ok()) {
    std::fprintf(stderr, "note: the action trace of %s could not be read from intake-svc at %s (%s); %s\n",
                 req.name().c_str(), intake.c_str(), st.error_message().c_str(), "give --intake-address, or --trace");
    return std::nullopt;
  }
  return common::ParseTraceparent(signal.action_traceparent());
}

std::unique_ptr<grpc::ClientContext> Client::Context(const Caller& caller, bool continue_trace) const {
  auto ctx = std::make_unique<grpc::ClientContext>();
  if (continue_trace && trace_) ctx->AddMetadata("traceparent", trace_->NewChild().ToTraceparent());
  ctx->set_deadline(std::chrono::system_clock::now() + absl::ToChronoNanoseconds(options_.timeout));
  std::string token = caller.token;
  if (token.empty()) {
    auto minted = MintToken(caller);
    if (minted.ok()) token = *minted;
  }
  if (!token.empty()) ctx->AddMetadata("authorization", "Bearer " + token);
  return ctx;
}

absl::StatusOr<std::string> Client::MintToken(const Caller& caller, absl::Duration lifetime) const {
  const TokenSigning& s = options_.signing;
  common::TokenClaims claims;
  claims.subject = caller.id;
  claims.roles = caller.roles;
  claims.application = caller.application;
  claims.lifetime = lifetime;
  claims.issuer = s.issuer;
  claims.audiences = s.audiences;
  claims.key_id = s.key_id;
  if (signing_key_pem_.empty()) return common::MintToken(claims);
  return common::MintToken(claims, signing_key_pem_);
}

absl::StatusOr<std::string> Client::Jwks() const {
  if (signing_key_pem_.empty()) return absl::FailedPreconditionError("jwks needs --token-key and --token-key-id");
  auto jwk = common::PublicJwk(signing_key_pem_, options_.signing.key_id, "RS256");
  if (!jwk.ok()) return jwk.status();
  return absl::StrCat(R"({"keys":[)", *jwk, "]}");
}

int PrintJwks(const Client& client) {
  auto jwks = client.Jwks();
  if (!jwks.ok()) {
    std::fprintf(stderr, "jwks: %s\n", std::string(jwks.status().message()).c_str());
    return 1;
  }
  std::printf("%s\n", jwks->c_str());
  return 0;
}

int DevToken(const Client& client, const TokenOptions& options) {
  auto minted = client.MintToken(client.DefaultCaller(), options.lifetime);
  if (!minted.ok()) {
    std::fprintf(stderr, "token: %s\n", std::string(minted.status().message()).c_str());
    return 1;
  }
  std::printf("%s\n", minted->c_str());
  return 0;
}

std::string DescribeError(const grpc::Status& status) {
  const common::GrpcErrorDetails d = common::ParseGrpcErrorDetails(status);
  std::string out = absl::StrCat("error: ", common::GrpcCodeName(status.error_code()));
  if (!d.field.empty()) absl::StrAppend(&out, " at ", d.field);
  if (!d.reason.empty()) absl::StrAppend(&out, " (", d.reason, ")");
  absl::StrAppend(&out, ": ", status.error_message());
  return out;
}

}  // namespace cak::cli
