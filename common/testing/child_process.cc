// Child processes for end-to-end tests (see child_process.h).
#include "common/testing/child_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>

namespace cak::common::testing {

ChildProcess::ChildProcess(std::vector<std::string> args) {
  int pipefd[2];
  // Close-on-exec: only the child's stderr (dup2 clears the flag) outlives the exec, so neither
  // later children nor daemons a child starts (pg_ctl's server) keep another pipe open.
  if (pipe2(pipefd, O_CLOEXEC) != 0) std::abort();
  pid_ = fork();
  if (pid_ == 0) {
    dup2(pipefd[1], STDERR_FILENO);
    close(pipefd[0]);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(pipefd[1]);
  err_ = fdopen(pipefd[0], "r");
}

ChildProcess::~ChildProcess() {
  if (pid_ > 0 && !exited_) {
    kill(pid_, SIGKILL);
    Wait();
  }
  if (drain_.joinable()) drain_.join();
  if (err_) fclose(err_);
}

void ChildProcess::DrainInBackground() {
  drain_ = std::thread([this] { ReadUntil("\x01never"); });
}

std::string ChildProcess::ReadUntil(const std::string& needle) {
  char buf[8192];
  while (fgets(buf, sizeof buf, err_) != nullptr) {
    output_ += buf;
    if (std::string(buf).find(needle) != std::string::npos) return buf;
  }
  return "";
}

std::string ChildProcess::ReadAll() {
  if (drain_.joinable()) {
    drain_.join();
  } else {
    ReadUntil("\x01never");
  }
  return output_;
}

void ChildProcess::Signal(int sig) { kill(pid_, sig); }

int ChildProcess::Wait() {
  int status = 0;
  waitpid(pid_, &status, 0);
  exited_ = true;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace cak::common::testing
