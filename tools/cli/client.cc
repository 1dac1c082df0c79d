// Command-line plumbing (see client.h).
#include "cli/client.h"

#include <cstdio>
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "cak/voorlichting/intake/v1/intake_service.grpc.pb.h"
#include "common/base/config.h"
#include "common/grpc/dev_tokens.h"
#include "common/grpc/metrics.h"
#include "common/grpc/status.h"

namespace cak::cli {

Args Args::Parse(int argc, char** argv, int first) {
  Args a;
  for (int i = first; i < argc; ++i) {
    std::string s = argv[i];
    if (s.rfind("--", 0) == 0) {
      const size_t eq = s.find('=');
      if (eq == std::string::npos) {
        a.options[s.substr(2)].push_back("true");
      } else {
        a.options[s.substr(2, eq - 2)].push_back(s.substr(eq + 1));
      }
    } else {
      a.positional.push_back(s);
    }
  }
  return a;
}

std::string Args::Get(const std::string& key, const std::string& fallback) const {
  auto it = options.find(key);
  return it == options.end() || it->second.empty() ? fallback : it->second.back();
}

std::vector<std::string> Args::GetAll(const std::string& key) const {
  auto it = options.find(key);
  return it == options.end() ? std::vector<std::string>{} : it->second;
}

Client::Client(const Args& args) {
  const char* env_address = std::getenv("CAK_ADDRESS");
  const std::string address = args.Get("address", env_address ? env_address : "127.0.0.1:50051");
  channel_ = grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
  const char* env_token = std::getenv("CAK_TOKEN");
  default_caller_.token = args.Get("token", env_token ? env_token : "");
  default_caller_.id = args.Get("as", "cli-operator");
  for (auto r : absl::StrSplit(args.Get("roles", ""), ',', absl::SkipEmpty())) default_caller_.roles.emplace_back(r);
  default_caller_.application = args.Has("application");
  auto timeout = common::ParseDurationWithDays(args.Get("timeout", "10s"));
  timeout_ = timeout.ok() ? *timeout : absl::Seconds(10);
  if (args.Has("trace")) {
    const std::string t = args.Get("trace");
    trace_ = common::ParseTraceparent(t.size() == 32 ? absl::StrCat("00-", t, "-0000000000000001-01") : t);
  } else if (args.Has("signal")) {
    trace_ = SignalTrace(args, address);
  }
}

std::optional<common::TraceContext> Client::SignalTrace(const Args& args, const std::string& address) const {
  namespace ipb = cak::voorlichting::intake::v1;
  const std::string intake = args.Get("intake-address", address);
  auto stub = ipb::IntakeService::NewStub(
      intake == address ? channel_ : grpc::CreateChannel(intake, grpc::InsecureChannelCredentials()));
  ipb::GetSignalRequest req;
  req.set_name(args.Get("signal"));
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
  ctx->set_deadline(std::chrono::system_clock::now() + absl::ToChronoNanoseconds(timeout_));
  std::string token = caller.token;
  if (token.empty()) {
    common::TokenClaims claims;
    claims.subject = caller.id;
    claims.roles = caller.roles;
    claims.application = caller.application;
    auto minted = common::MintToken(claims);
    if (minted.ok()) token = *minted;
  }
  if (!token.empty()) ctx->AddMetadata("authorization", "Bearer " + token);
  return ctx;
}

int DevToken(const Client& client, const Args& args) {
  const Caller caller = client.DefaultCaller();
  common::TokenClaims claims;
  claims.subject = caller.id;
  claims.roles = caller.roles;
  claims.application = caller.application;
  if (!absl::ParseDuration(args.Get("lifetime", "1h"), &claims.lifetime) || claims.lifetime <= absl::ZeroDuration()) {
    std::fprintf(stderr, "token: --lifetime must be a duration such as 12h\n");
    return 2;
  }
  auto minted = common::MintToken(claims);
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
