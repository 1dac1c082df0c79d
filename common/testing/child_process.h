// A service binary as a child process for end-to-end tests: started with argv, stderr (the
// JSON log) read line by line, signalled, waited for. Killed with SIGKILL if still running
// when destroyed, so a failing test never leaves a server behind.
#pragma once

#include <sys/types.h>

#include <cstdio>
#include <string>
#include <thread>
#include <vector>

namespace cak::common::testing {

class ChildProcess {
 public:
  explicit ChildProcess(std::vector<std::string> args);
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  ~ChildProcess();

  // Reads stderr lines until one contains `needle`; returns it ("" at end of output).
  std::string ReadUntil(const std::string& needle);
  // Everything it wrote to stderr (reads to the end).
  std::string ReadAll();
  // From now on stderr is read by a background thread, so that a process that logs a lot never
  // blocks on a full pipe (ReadUntil must not be called any more; ReadAll waits for the end).
  void DrainInBackground();
  void Signal(int sig);
  // The exit code, or 128 + the signal that ended it.
  int Wait();
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
  FILE* err_ = nullptr;
  std::thread drain_;
  bool exited_ = false;
  std::string output_;
};

}  // namespace cak::common::testing
