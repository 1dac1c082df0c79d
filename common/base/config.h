// Typed configuration from command-line flags and environment variables, validated at start-up.
//
// Each option has a kebab-case flag name ("db-pool-size") and an environment variable derived
// from it ("CAK_DB_POOL_SIZE"); a flag wins over the environment, the environment over the
// default. Parse() checks every value (type, range, choice) and reports all problems at once,
// naming the option and where the bad value came from, so main() can print them and exit
// non-zero before anything starts.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace cak::common {

class ConfigParser {
 public:
  // Looks up an environment variable; nullopt when unset.
  using EnvLookup = std::function<std::optional<std::string>(absl::string_view name)>;

  explicit ConfigParser(std::string program, std::string summary);

  void String(absl::string_view name, std::string* target, absl::string_view default_value, absl::string_view help);
  void Int(absl::string_view name, int64_t* target, int64_t default_value, int64_t min, int64_t max,
           absl::string_view help);
  void Double(absl::string_view name, double* target, double default_value, double min, double max,
              absl::string_view help);
  void Port(absl::string_view name, int* target, int default_value, absl::string_view help);
  // Accepts absl durations ("250ms", "2s", "1h30m") and whole days ("730d").
  void Duration(absl::string_view name, absl::Duration* target, absl::Duration default_value, absl::Duration min,
                absl::Duration max, absl::string_view help);
  // As a flag it may be given without a value (--dry-run); values: true/false/1/0/yes/no.
  void Bool(absl::string_view name, bool* target, bool default_value, absl::string_view help);
  void Choice(absl::string_view name, std::string* target, absl::string_view default_value,
              std::vector<std::string> choices, absl::string_view help);

  // Parses `args` (without the program name) and the environment. INVALID_ARGUMENT listing
  // every problem (one per line) when anything is wrong. "--help" sets help_requested().
  absl::Status Parse(const std::vector<std::string>& args, const EnvLookup& env);

  bool help_requested() const { return help_requested_; }
  std::string Usage() const;

  // The environment variable for an option name: "db-pool-size" -> "CAK_DB_POOL_SIZE".
  static std::string EnvName(absl::string_view name);

 private:
  struct Option {
    std::string name;
    std::string env;
    std::string help;
    std::string default_text;
    bool is_bool = false;
    std::function<absl::Status(absl::string_view)> set;
  };
  void Add(Option option);

  std::string program_;
  std::string summary_;
  std::vector<Option> options_;
  bool help_requested_ = false;
};

// The process environment.
ConfigParser::EnvLookup ProcessEnv();

// Parses "730d" or any absl duration string.
absl::StatusOr<absl::Duration> ParseDurationWithDays(absl::string_view text);

// Reads a secret from a file (Kubernetes mounts Secrets as files), dropping one trailing
// newline. INVALID_ARGUMENT naming `option` when the file cannot be read or is empty.
absl::StatusOr<std::string> ReadSecretFile(absl::string_view option, const std::string& path);

}  // namespace cak::common
