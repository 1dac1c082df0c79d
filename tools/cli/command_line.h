// The command line of voorlichting-cli: one CLI11 application with a subcommand per command.
// Every command declares exactly the options it reads, typed (numbers, durations, dates, enums
// with their valid choices), so an unknown option or a bad value is refused before anything is
// called. The global options (GlobalOptions) may come before or after the command's name, and
// each also as an environment variable (CAK_ADDRESS, CAK_TOKEN, CAK_TLS_CA, ...); the command
// line wins over the environment.
//
// Exit codes: 0 ok (also after --help/-h and --version, printed on stdout); 1 the call failed or
// a check did not hold (the error on stderr); 2 bad usage (an unknown command or option, a bad
// or missing value, an unreadable token or certificate file; the reason on stderr).
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "cli/client.h"

namespace CLI {
class App;
}  // namespace CLI

namespace cak::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;
inline constexpr int kExitUsage = 2;

class CommandLine {
 public:
  // Declares every command and its options.
  CommandLine();
  ~CommandLine();
  CommandLine(const CommandLine&) = delete;
  CommandLine& operator=(const CommandLine&) = delete;

  // Parses `args` (args[0] is the program's name) and the CAK_* environment. nullopt when a
  // command is ready to Run; otherwise the exit code: kExitOk after --help/-h or --version (the
  // text on `out`), kExitUsage after a usage error (the reason, naming the option, on `err`).
  std::optional<int> Parse(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

  // The command Parse selected, as "list" or "campaign-get".
  std::string command() const;
  const GlobalOptions& global() const { return global_; }

  // Connects (Client::Create) and runs the selected command; its exit code, or kExitUsage with
  // the reason on `err` when a token or certificate file cannot be read.
  int Run(std::ostream& err) const;

 private:
  struct Command;
  template <typename O>
  std::pair<CLI::App*, O*> Add(const char* group, const char* name, const char* description,
                               int (*run)(const Client&, const O&));
  CLI::App* Add(const char* group, const char* name, const char* description, int (*run)(const Client&));

  std::unique_ptr<CLI::App> app_;
  GlobalOptions global_;
  std::vector<std::unique_ptr<Command>> commands_;
};

// The whole program: Parse, then Run. What main() returns.
int Main(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace cak::cli
