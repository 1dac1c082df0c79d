// voorlichting-cli's channels against an in-process gRPC server serving the standard health
// service over TLS on 127.0.0.1 port 0, with the test PKI of common/testing/certs (server.pem
// names localhost and 127.0.0.1; campaign-svc.pem is a client certificate of the same CA): with
// --tls-ca the call succeeds, in plaintext or for another server name it fails; against a server
// that requires a client certificate it succeeds with --tls-cert/--tls-key and is refused without;
// the bearer token of --token-file travels with the call. The commands run through the whole
// command line (Main), as the binary does.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "cli/command_line.h"
#include "common/base/random.h"
#include "grpc/health/v1/health.grpc.pb.h"

namespace cak::cli {
namespace {

namespace health = grpc::health::v1;

const std::string kCerts = CAK_TEST_CERTS_DIR;

std::string Read(const std::string& path) {
  std::stringstream ss;
  ss << std::ifstream(path).rdbuf();
  return ss.str();
}

// grpc.health.v1.Health, SERVING, remembering the last call's "authorization" header.
class HealthService final : public health::Health::Service {
 public:
  grpc::Status Check(grpc::ServerContext* context, const health::HealthCheckRequest*,
                     health::HealthCheckResponse* response) override {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = context->client_metadata().find("authorization");
    authorization_ = it == context->client_metadata().end() ? "" : std::string(it->second.data(), it->second.size());
    response->set_status(health::HealthCheckResponse::SERVING);
    return grpc::Status::OK;
  }
  std::string authorization() {
    std::lock_guard<std::mutex> lock(mu_);
    return authorization_;
  }

 private:
  std::mutex mu_;
  std::string authorization_;
};

class TlsTest : public ::testing::Test {
 protected:
  void TearDown() override {
    if (server_) server_->Shutdown();
    std::filesystem::remove_all(dir_);
  }

  // Serves TLS with server.pem; with `require_client_certificate`, mutual TLS (clients of the
  // test CA only).
  void Start(bool require_client_certificate) {
    grpc::SslServerCredentialsOptions ssl(require_client_certificate
                                              ? GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY
                                              : GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
    ssl.pem_root_certs = Read(kCerts + "/ca.pem");
    ssl.pem_key_cert_pairs.push_back({Read(kCerts + "/server.key"), Read(kCerts + "/server.pem")});
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::SslServerCredentials(ssl), &port_);
    builder.RegisterService(&health_);
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    ASSERT_NE(port_, 0);
  }

  std::string Address() const { return absl::StrCat("127.0.0.1:", port_); }

  // `voorlichting-cli --address=<server> <args> health`: its exit code.
  int Health(const std::vector<std::string>& args) {
    std::vector<std::string> line = {"voorlichting-cli", "--address=" + Address(), "--timeout=5s"};
    line.insert(line.end(), args.begin(), args.end());
    line.push_back("health");
    std::ostringstream out, err;
    const int exit_code = Main(line, out, err);
    EXPECT_EQ(err.str(), "");  // (a failed call is printed by the command on stderr itself)
    return exit_code;
  }

  const std::string ca_ = "--tls-ca=" + kCerts + "/ca.pem";
  const std::string cert_ = "--tls-cert=" + kCerts + "/campaign-svc.pem";
  const std::string key_ = "--tls-key=" + kCerts + "/campaign-svc.key";
  const std::filesystem::path dir_ =
      std::filesystem::temp_directory_path() / absl::StrCat("cak-cli-tls-", common::HexEncode(common::NewSpanId()));
  HealthService health_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
};

TEST_F(TlsTest, TheServerIsVerifiedAgainstTheCa) {
  Start(/*require_client_certificate=*/false);
  EXPECT_EQ(Health({ca_}), kExitOk);
  // A client certificate the server does not ask for does no harm.
  EXPECT_EQ(Health({ca_, cert_, key_}), kExitOk);
}

TEST_F(TlsTest, PlaintextToATlsServerFails) {
  Start(/*require_client_certificate=*/false);
  EXPECT_EQ(Health({}), kExitFailed);
}

TEST_F(TlsTest, TheServerNameIsChecked) {
  Start(/*require_client_certificate=*/false);
  EXPECT_EQ(Health({ca_, "--tls-server-name=localhost"}), kExitOk);
  EXPECT_EQ(Health({ca_, "--tls-server-name=intake-svc.voorlichting.svc"}), kExitFailed);
}

TEST_F(TlsTest, MutualTlsNeedsTheClientCertificate) {
  Start(/*require_client_certificate=*/true);
  EXPECT_EQ(Health({ca_, cert_, key_}), kExitOk);
  EXPECT_EQ(Health({ca_}), kExitFailed);
  EXPECT_EQ(Health({}), kExitFailed);
}

TEST_F(TlsTest, TheTokenFileTravelsWithTheCall) {
  Start(/*require_client_certificate=*/true);
  std::filesystem::create_directories(dir_);
  const std::string token_file = (dir_ / "token").string();
  std::ofstream(token_file) << "header.payload.signature\n";

  CommandLine command_line;
  std::ostringstream out, err;
  ASSERT_EQ(command_line.Parse({"voorlichting-cli", "--address=" + Address(), ca_, cert_, key_,
                                "--token-file=" + token_file, "health"},
                               out, err),
            std::nullopt)
      << err.str();
  auto client = Client::Create(command_line.global());
  ASSERT_TRUE(client.ok()) << client.status();
  health::HealthCheckResponse response;
  const grpc::Status status =
      health::Health::NewStub((*client)->channel())
          ->Check((*client)->Context((*client)->DefaultCaller()).get(), health::HealthCheckRequest(), &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(health_.authorization(), "Bearer header.payload.signature");
}

// The binary: a call that failed is exit code 1, with the error on stderr.
TEST_F(TlsTest, TheBinaryExitsWithOneWhenTheCallFails) {
  Start(/*require_client_certificate=*/true);
  std::filesystem::create_directories(dir_);
  const std::string err = (dir_ / "err").string();
  const auto run = [&](const std::string& tls) {
    const int status =
        std::system(absl::StrCat(CLI_BINARY, " --address=", Address(), " ", tls, " health >/dev/null 2>", err).c_str());
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  };
  EXPECT_EQ(run(absl::StrCat(ca_, " ", cert_, " ", key_)), 0) << Read(err);
  EXPECT_EQ(run(ca_), 1);
  EXPECT_NE(Read(err).find("error: UNAVAILABLE"), std::string::npos) << Read(err);
}

}  // namespace
}  // namespace cak::cli
