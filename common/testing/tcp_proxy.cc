// TCP forwarder for fault tests (see tcp_proxy.h).
#include "common/testing/tcp_proxy.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <regex>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace cak::common::testing {

bool HostPortFromDsn(const std::string& dsn, std::string* host, int* port) {
  std::smatch m;
  static const std::regex kHost("host=([^ ]+)"), kPort("port=([0-9]+)");
  if (!std::regex_search(dsn, m, kHost)) return false;
  *host = m[1];
  if (!std::regex_search(dsn, m, kPort)) return false;
  return absl::SimpleAtoi(std::string(m[1]), port);
}

TcpProxy::TcpProxy(std::string target_host, int target_port)
    : target_host_(std::move(target_host)), target_port_(target_port) {}

void TcpProxy::SetTarget(std::string target_host, int target_port) {
  std::lock_guard<std::mutex> lock(mu_);
  target_host_ = std::move(target_host);
  target_port_ = target_port;
}

TcpProxy::~TcpProxy() { Cut(); }

absl::Status TcpProxy::Listen(int port) {
  listen_fd_ = socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || listen(listen_fd_, 64) != 0) {
    close(listen_fd_);
    listen_fd_ = -1;
    return absl::UnavailableError(absl::StrCat("proxy cannot listen on port ", port));
  }
  socklen_t len = sizeof addr;
  getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  stop_ = false;
  accept_thread_ = std::thread([this] { AcceptLoop(); });
  return absl::OkStatus();
}

absl::Status TcpProxy::Start() { return Listen(0); }

absl::Status TcpProxy::Restore() { return Listen(port_); }

void TcpProxy::AcceptLoop() {
  while (!stop_) {
    pollfd pfd{listen_fd_, POLLIN, 0};
    if (poll(&pfd, 1, 50) <= 0) continue;
    int client = accept(listen_fd_, nullptr, nullptr);
    if (client < 0) continue;
    int upstream = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    {
      std::lock_guard<std::mutex> lock(mu_);
      addr.sin_port = htons(static_cast<uint16_t>(target_port_));
      inet_pton(AF_INET, target_host_ == "localhost" ? "127.0.0.1" : target_host_.c_str(), &addr.sin_addr);
    }
    if (connect(upstream, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      close(client);
      close(upstream);
      continue;
    }
    std::lock_guard<std::mutex> lock(mu_);
    fds_.push_back(client);
    fds_.push_back(upstream);
    pumps_.emplace_back([this, client, upstream, id = next_id_++] { Pump(client, upstream, id); });
  }
}

void TcpProxy::BreakOnNextSend() { break_below_ = next_id_.load(); }

void TcpProxy::Pump(int client, int upstream, uint64_t id) {
  char buf[16384];
  pollfd pfds[2] = {{client, POLLIN, 0}, {upstream, POLLIN, 0}};
  while (!stop_) {
    int n = poll(pfds, 2, 50);
    if (n < 0) break;
    if (n == 0) continue;
    bool done = false;
    for (int i = 0; i < 2 && !done; ++i) {
      if (pfds[i].revents & (POLLIN | POLLHUP | POLLERR)) {
        if (i == 0 && id < break_below_) {
          done = true;
          break;
        }
        ssize_t r = read(pfds[i].fd, buf, sizeof buf);
        if (r <= 0) {
          done = true;
          break;
        }
        ssize_t off = 0;
        while (off < r) {
          // MSG_NOSIGNAL: a peer that closed meanwhile ends the pair (w < 0), instead of a
          // SIGPIPE killing the whole test process.
          ssize_t w = send(pfds[1 - i].fd, buf + off, r - off, MSG_NOSIGNAL);
          if (w <= 0) {
            done = true;
            break;
          }
          off += w;
        }
      }
    }
    if (done) break;
  }
  shutdown(client, SHUT_RDWR);
  shutdown(upstream, SHUT_RDWR);
}

void TcpProxy::CloseAll() {
  std::vector<std::thread> pumps;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (int fd : fds_) shutdown(fd, SHUT_RDWR);
    pumps.swap(pumps_);
  }
  for (auto& t : pumps) t.join();
  std::lock_guard<std::mutex> lock(mu_);
  for (int fd : fds_) close(fd);
  fds_.clear();
}

void TcpProxy::Cut() {
  stop_ = true;
  if (accept_thread_.joinable()) accept_thread_.join();
  if (listen_fd_ >= 0) {
    close(listen_fd_);
    listen_fd_ = -1;
  }
  CloseAll();
}

}  // namespace cak::common::testing
