// Flag / environment configuration parser (see config.h).
#include "common/base/config.h"

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"

namespace cak::common {

ConfigParser::ConfigParser(std::string program, std::string summary)
    : program_(std::move(program)), summary_(std::move(summary)) {}

std::string ConfigParser::EnvName(absl::string_view name) {
  std::string env = "CAK_";
  for (char c : name) env.push_back(c == '-' ? '_' : absl::ascii_toupper(static_cast<unsigned char>(c)));
  return env;
}

void ConfigParser::Add(Option option) {
  option.env = EnvName(option.name);
  // The default is applied through the same setter, so targets always hold a valid value.
  absl::Status st = option.set(option.default_text);
  if (!st.ok()) {
    std::fprintf(stderr, "bug: default of --%s is invalid: %s\n", option.name.c_str(),
                 std::string(st.message()).c_str());
    std::abort();
  }
  options_.push_back(std::move(option));
}

void ConfigParser::String(absl::string_view name, std::string* target, absl::string_view default_value,
                          absl::string_view help) {
  Add({std::string(name), "", std::string(help), std::string(default_value), false, [target](absl::string_view v) {
         *target = std::string(v);
         return absl::OkStatus();
       }});
}

void ConfigParser::Int(absl::string_view name, int64_t* target, int64_t default_value, int64_t min, int64_t max,
                       absl::string_view help) {
  Add({std::string(name), "", std::string(help), absl::StrCat(default_value), false,
       [target, min, max](absl::string_view v) {
         int64_t parsed;
         if (!absl::SimpleAtoi(v, &parsed)) return absl::InvalidArgumentError("not an integer");
         if (parsed < min || parsed > max) {
           return absl::InvalidArgumentError(absl::StrCat("must be between ", min, " and ", max));
         }
         *target = parsed;
         return absl::OkStatus();
       }});
}

void ConfigParser::Double(absl::string_view name, double* target, double default_value, double min, double max,
                          absl::string_view help) {
  Add({std::string(name), "", std::string(help), absl::StrCat(default_value), false,
       [target, min, max](absl::string_view v) {
         double parsed;
         if (!absl::SimpleAtod(v, &parsed) || !(parsed >= min && parsed <= max)) {
           return absl::InvalidArgumentError(absl::StrCat("must be a number between ", min, " and ", max));
         }
         *target = parsed;
         return absl::OkStatus();
       }});
}

void ConfigParser::Port(absl::string_view name, int* target, int default_value, absl::string_view help) {
  Add({std::string(name), "", std::string(help), absl::StrCat(default_value), false, [target](absl::string_view v) {
         int parsed;
         if (!absl::SimpleAtoi(v, &parsed) || parsed < 0 || parsed > 65535) {
           return absl::InvalidArgumentError("must be a port number 0..65535 (0: any free port)");
         }
         *target = parsed;
         return absl::OkStatus();
       }});
}

absl::StatusOr<absl::Duration> ParseDurationWithDays(absl::string_view text) {
  absl::Duration d;
  absl::string_view days = text;
  int64_t n;
  if (absl::ConsumeSuffix(&days, "d") && absl::SimpleAtoi(days, &n)) {
    return absl::Hours(24) * n;
  }
  if (absl::ParseDuration(text, &d)) return d;
  return absl::InvalidArgumentError("not a duration (e.g. 250ms, 2s, 5m, 730d)");
}

void ConfigParser::Duration(absl::string_view name, absl::Duration* target, absl::Duration default_value,
                            absl::Duration min, absl::Duration max, absl::string_view help) {
  std::string def = absl::FormatDuration(default_value);
  if (default_value >= absl::Hours(24) && default_value % absl::Hours(24) == absl::ZeroDuration()) {
    def = absl::StrCat(default_value / absl::Hours(24), "d");
  }
  Add({std::string(name), "", std::string(help), def, false, [target, min, max](absl::string_view v) {
         auto parsed = ParseDurationWithDays(v);
         if (!parsed.ok()) return parsed.status();
         if (*parsed < min || *parsed > max) {
           return absl::InvalidArgumentError(
               absl::StrCat("must be between ", absl::FormatDuration(min), " and ", absl::FormatDuration(max)));
         }
         *target = *parsed;
         return absl::OkStatus();
       }});
}

void ConfigParser::Bool(absl::string_view name, bool* target, bool default_value, absl::string_view help) {
  Add({std::string(name), "", std::string(help), default_value ? "true" : "false", true, [target](absl::string_view v) {
         std::string lower = absl::AsciiStrToLower(v);
         if (lower == "true" || lower == "1" || lower == "yes")
           *target = true;
         else if (lower == "false" || lower == "0" || lower == "no")
           *target = false;
         else
           return absl::InvalidArgumentError("must be true or false");
         return absl::OkStatus();
       }});
}

void ConfigParser::Choice(absl::string_view name, std::string* target, absl::string_view default_value,
                          std::vector<std::string> choices, absl::string_view help) {
  std::string help_text = absl::StrCat(help, " (one of: ", absl::StrJoin(choices, ", "), ")");
  Add({std::string(name), "", help_text, std::string(default_value), false, [target, choices](absl::string_view v) {
         for (const auto& c : choices) {
           if (v == c) {
             *target = c;
             return absl::OkStatus();
           }
         }
         return absl::InvalidArgumentError(absl::StrCat("must be one of: ", absl::StrJoin(choices, ", ")));
       }});
}

absl::Status ConfigParser::Parse(const std::vector<std::string>& args, const EnvLookup& env) {
  std::vector<std::string> problems;
  std::vector<bool> from_flag(options_.size(), false);
  for (size_t i = 0; i < args.size(); ++i) {
    absl::string_view arg = args[i];
    if (arg == "--help" || arg == "-h") {
      help_requested_ = true;
      continue;
    }
    if (!absl::ConsumePrefix(&arg, "--")) {
      problems.push_back(absl::StrCat("unexpected argument '", arg, "'"));
      continue;
    }
    absl::string_view name = arg, value;
    bool has_value = false;
    if (size_t eq = arg.find('='); eq != absl::string_view::npos) {
      name = arg.substr(0, eq);
      value = arg.substr(eq + 1);
      has_value = true;
    }
    size_t idx = 0;
    while (idx < options_.size() && options_[idx].name != name) ++idx;
    if (idx == options_.size()) {
      problems.push_back(absl::StrCat("unknown option --", name));
      continue;
    }
    Option& opt = options_[idx];
    if (!has_value) {
      if (opt.is_bool) {
        value = "true";
      } else if (i + 1 < args.size()) {
        value = args[++i];
      } else {
        problems.push_back(absl::StrCat("--", name, " needs a value"));
        continue;
      }
    }
    if (absl::Status st = opt.set(value); !st.ok()) {
      problems.push_back(absl::StrCat("--", name, "=", value, ": ", st.message()));
    }
    from_flag[idx] = true;
  }
  for (size_t idx = 0; idx < options_.size(); ++idx) {
    if (from_flag[idx]) continue;
    Option& opt = options_[idx];
    std::optional<std::string> value = env(opt.env);
    if (!value) continue;
    if (absl::Status st = opt.set(*value); !st.ok()) {
      problems.push_back(absl::StrCat(opt.env, "=", *value, ": ", st.message()));
    }
  }
  if (problems.empty()) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrJoin(problems, "\n"));
}

std::string ConfigParser::Usage() const {
  std::string out = absl::StrCat(program_, ": ", summary_, "\n\nOptions (flag, or environment variable):\n");
  for (const Option& o : options_) {
    absl::StrAppend(&out, "  --", o.name, o.is_bool ? "" : "=VALUE", "  (", o.env, ")\n      ", o.help,
                    o.default_text.empty() ? "" : absl::StrCat(" [default: ", o.default_text, "]"), "\n");
  }
  return out;
}

ConfigParser::EnvLookup ProcessEnv() {
  return [](absl::string_view name) -> std::optional<std::string> {
    const char* v = std::getenv(std::string(name).c_str());
    if (v == nullptr) return std::nullopt;
    return std::string(v);
  };
}

absl::StatusOr<std::string> ReadSecretFile(absl::string_view option, const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::InvalidArgumentError(absl::StrCat(option, ": cannot read file '", path, "'"));
  std::stringstream ss;
  ss << in.rdbuf();
  std::string data = ss.str();
  if (!data.empty() && data.back() == '\n') data.pop_back();
  if (!data.empty() && data.back() == '\r') data.pop_back();
  if (data.empty()) return absl::InvalidArgumentError(absl::StrCat(option, ": file '", path, "' is empty"));
  return data;
}

}  // namespace cak::common
