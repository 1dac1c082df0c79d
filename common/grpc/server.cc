// Server bootstrap, health and graceful shutdown (see server.h).
#include "common/grpc/server.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <signal.h>

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "common/base/log.h"

namespace cak::common {
namespace {

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::InvalidArgumentError(absl::StrCat("cannot read TLS file '", path, "'"));
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

ServiceServer::ServiceServer(ServerOptions options) : options_(std::move(options)) {}

ServiceServer::~ServiceServer() {
  Shutdown();
  if (monitor_.joinable()) monitor_.join();
}

void ServiceServer::AddService(grpc::Service* service, std::string full_name) {
  services_.push_back(service);
  service_names_.push_back(std::move(full_name));
}

void ServiceServer::OnShutdown(std::function<void()> hook) { shutdown_hooks_.push_back(std::move(hook)); }

absl::Status ServiceServer::Start() {
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();

  std::shared_ptr<grpc::ServerCredentials> creds;
  if (options_.tls.enabled()) {
    auto cert = ReadFile(options_.tls.cert_file);
    auto key = ReadFile(options_.tls.key_file);
    if (!cert.ok()) return cert.status();
    if (!key.ok()) return key.status();
    grpc::SslServerCredentialsOptions ssl(GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
    if (!options_.tls.client_ca_file.empty()) {
      auto ca = ReadFile(options_.tls.client_ca_file);
      if (!ca.ok()) return ca.status();
      ssl.pem_root_certs = *ca;
      // Services present certificates; employee applications may come with a token instead.
      ssl.client_certificate_request = GRPC_SSL_REQUEST_CLIENT_CERTIFICATE_AND_VERIFY;
    }
    ssl.pem_key_cert_pairs.push_back({*key, *cert});
    creds = grpc::SslServerCredentials(ssl);
  } else {
    creds = grpc::InsecureServerCredentials();
  }

  grpc::ServerBuilder builder;
  builder.AddListeningPort(absl::StrCat(options_.host, ":", options_.grpc_port), creds, &grpc_port_);
  // Handlers block on the database. With gRPC's default of at most two idle pollers, every
  // burst of concurrent calls creates and then destroys threads (measured: a quarter of the
  // server's CPU went to thread churn); keep up to `max_threads` around instead.
  builder.SetSyncServerOption(grpc::ServerBuilder::SyncServerOption::MAX_POLLERS, options_.max_threads);
  // And a hard cap on handler threads (each open WatchSignal stream holds one): beyond it new
  // calls get RESOURCE_EXHAUSTED instead of exhausting the process.
  grpc::ResourceQuota quota("cak-server");
  quota.SetMaxThreads(options_.max_total_threads);
  builder.SetResourceQuota(quota);
  builder.SetMaxReceiveMessageSize(options_.max_message_bytes);
  builder.SetMaxSendMessageSize(options_.max_message_bytes);
  auto ms = [](absl::Duration d) {
    return static_cast<int>(std::min<int64_t>(absl::ToInt64Milliseconds(d), INT32_MAX));
  };
  builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_AGE_MS, ms(options_.max_connection_age));
  builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_AGE_GRACE_MS, ms(options_.max_connection_age_grace));
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS, ms(kServerKeepaliveTime));
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, ms(kKeepaliveTimeout));
  // Clients (PeerChannel) ping every kClientKeepaliveTime, also between calls: allowed.
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, ms(kClientKeepaliveTime / 2));
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  for (grpc::Service* s : services_) builder.RegisterService(s);
  server_ = builder.BuildAndStart();
  if (!server_ || grpc_port_ == 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", options_.host, ":", options_.grpc_port));
  }

  if (options_.health_port >= 0) {
    grpc::ServerBuilder health_builder;
    health_builder.AddListeningPort(absl::StrCat(options_.host, ":", options_.health_port),
                                    grpc::InsecureServerCredentials(), &health_port_);
    health_server_ = health_builder.BuildAndStart();
    if (!health_server_ || health_port_ == 0) {
      return absl::UnavailableError(absl::StrCat("cannot listen on ", options_.host, ":", options_.health_port));
    }
  }
  SetServing(false);
  // "liveness" stays SERVING while the process runs, whatever the database does: the kubelet's
  // liveness probe asks for it, so a database outage makes pods unready, never restarts them.
  for (grpc::Server* s : {server_.get(), health_server_.get()}) {
    if (s != nullptr && s->GetHealthCheckService() != nullptr) {
      s->GetHealthCheckService()->SetServingStatus(kLivenessService, true);
    }
  }
  log::Info("server_started",
            {{"grpc_port", grpc_port_}, {"health_port", health_port_}, {"tls", options_.tls.enabled()}});
  return absl::OkStatus();
}

void ServiceServer::SetServing(bool serving) {
  std::lock_guard<std::mutex> lock(mu_);
  if (shutting_down_) return;
  serving_ = serving;
  for (grpc::Server* s : {server_.get(), health_server_.get()}) {
    if (s == nullptr || s->GetHealthCheckService() == nullptr) continue;
    // Not the all-services overload: that would also flip "liveness".
    s->GetHealthCheckService()->SetServingStatus("", serving);
  }
  for (const std::string& name : service_names_) {
    for (grpc::Server* s : {server_.get(), health_server_.get()}) {
      if (s != nullptr && s->GetHealthCheckService() != nullptr) {
        s->GetHealthCheckService()->SetServingStatus(name, serving);
      }
    }
  }
}

void ServiceServer::MonitorHealth(std::function<absl::Status()> probe, absl::Duration interval) {
  monitor_ = std::thread([this, probe = std::move(probe), interval] {
    bool last = false;
    bool first = true;
    std::unique_lock<std::mutex> lock(mu_);
    while (!shutting_down_) {
      lock.unlock();
      absl::Status st = probe();
      const bool ok = st.ok();
      if (first || ok != last) {
        if (ok) {
          log::Info("health_serving");
        } else {
          log::Warning("health_not_serving", {{"why", st}});
        }
      }
      first = false;
      last = ok;
      SetServing(ok);
      lock.lock();
      cv_.wait_for(lock, absl::ToChronoNanoseconds(interval), [this] { return shutting_down_; });
    }
  });
}

void ServiceServer::Shutdown() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (shutting_down_ || !server_) return;
    for (grpc::Server* s : {server_.get(), health_server_.get()}) {
      if (s != nullptr && s->GetHealthCheckService() != nullptr) {
        s->GetHealthCheckService()->SetServingStatus(false);
        // Freezes every status at NOT_SERVING.
        s->GetHealthCheckService()->Shutdown();
      }
    }
    serving_ = false;
    shutting_down_ = true;
  }
  cv_.notify_all();
  log::Info("shutdown_started", {{"grace_ms", absl::ToInt64Milliseconds(options_.shutdown_grace)}});
  for (auto& hook : shutdown_hooks_) hook();
  const auto deadline = std::chrono::system_clock::now() + absl::ToChronoNanoseconds(options_.shutdown_grace);
  server_->Shutdown(deadline);
  if (health_server_) health_server_->Shutdown(std::chrono::system_clock::now());
  server_->Wait();
  if (health_server_) health_server_->Wait();
  if (monitor_.joinable() && monitor_.get_id() != std::this_thread::get_id()) monitor_.join();
  log::Info("shutdown_done");
  {
    std::lock_guard<std::mutex> lock(mu_);
    shut_down_ = true;
  }
  cv_.notify_all();
}

void ServiceServer::Wait() {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [this] { return shut_down_; });
}

void BlockTerminationSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

int WaitForTerminationSignal() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  int sig = 0;
  sigwait(&set, &sig);
  return sig;
}

}  // namespace cak::common
