// voorlichting-logbook: a Logboek Dataverwerkingen for development and the main job (see
// receiver.h). Serves logboek.v1.LogboekService on --listen (plaintext, or TLS with
// --tls-cert-file/--tls-key-file), keeps what it receives in --dir as <service>.jsonl, logs
// "ready" with its port (and writes it to --port-file), and on SIGTERM/SIGINT prints per
// service how many operations it stored and how many repeats it dropped.
//
//   voorlichting-logbook --dir DIR [--listen 127.0.0.1:0] [--port-file FILE]
#include <grpcpp/grpcpp.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/base/config.h"
#include "common/base/json_text.h"
#include "common/grpc/server.h"
#include "tools/logbook/receiver.h"

int main(int argc, char** argv) {
  std::string dir, listen, port_file, cert_file, key_file;
  cak::common::ConfigParser parser("voorlichting-logbook",
                                   "a Logboek Dataverwerkingen (logboek.v1.LogboekService) that keeps what it "
                                   "receives as JSON lines, one file per service\n\nusage: voorlichting-logbook "
                                   "--dir DIR [--listen HOST:PORT] [--port-file FILE]");
  parser.String("dir", &dir, "", "directory for <service>.jsonl, created when missing (required)");
  parser.String("listen", &listen, "127.0.0.1:0", "address to serve on (port 0: any free port)");
  parser.String("port-file", &port_file, "", "file to write the chosen port to");
  parser.String("tls-cert-file", &cert_file, "", "server certificate (PEM); enables TLS");
  parser.String("tls-key-file", &key_file, "", "server private key (PEM)");
  const std::vector<std::string> args(argv + 1, argv + argc);
  absl::Status st = parser.Parse(args, cak::common::ProcessEnv());
  if (parser.help_requested()) {
    std::fputs(parser.Usage().c_str(), stdout);
    return 0;
  }
  if (st.ok() && dir.empty()) st = absl::InvalidArgumentError("--dir is required");
  if (st.ok() && cert_file.empty() != key_file.empty()) {
    st = absl::InvalidArgumentError("--tls-cert-file and --tls-key-file go together");
  }
  if (!st.ok()) {
    std::fprintf(stderr, "configuration error:\n%s\n(run with --help for all options)\n",
                 std::string(st.message()).c_str());
    return 2;
  }
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  auto receiver = cak::tools::logbook::Receiver::Open(dir);
  if (!receiver.ok()) {
    std::fprintf(stderr, "error: %s\n", std::string(receiver.status().message()).c_str());
    return 1;
  }

  std::shared_ptr<grpc::ServerCredentials> credentials = grpc::InsecureServerCredentials();
  if (!cert_file.empty()) {
    auto read = [](const std::string& path) {
      std::ifstream in(path);
      return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    };
    grpc::SslServerCredentialsOptions ssl;
    ssl.pem_key_cert_pairs.push_back({read(key_file), read(cert_file)});
    credentials = grpc::SslServerCredentials(ssl);
  }
  cak::common::BlockTerminationSignals();
  int port = 0;
  grpc::ServerBuilder builder;
  builder.AddListeningPort(listen, credentials, &port);
  builder.SetMaxReceiveMessageSize(64 << 20);
  builder.RegisterService(receiver->get());
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (!server || port == 0) {
    std::fprintf(stderr, "error: cannot listen on %s\n", listen.c_str());
    return 1;
  }
  if (!port_file.empty()) {
    std::ofstream(port_file) << port << "\n";
  }
  std::printf("%s\n", cak::common::JsonText({{"msg", "ready"}, {"port", port}, {"dir", dir}}).c_str());
  std::fflush(stdout);

  cak::common::WaitForTerminationSignal();
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
  for (const auto& [resource, c] : (*receiver)->counts()) {
    std::printf("%s\n",
                cak::common::JsonText(
                    {{"msg", "received"}, {"resource", resource}, {"stored", c.stored}, {"duplicates", c.duplicates}})
                    .c_str());
  }
  return 0;
}
