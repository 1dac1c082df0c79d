// JSON line logger (see log.h).
#include "common/base/log.h"

#include <cstdio>
#include <mutex>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/base/json_text.h"

namespace cak::common::log {
namespace {

struct State {
  std::mutex mu;
  std::string service = "unknown";
  Level min_level = Level::kInfo;
  std::function<void(absl::string_view)> sink;
};

State& GetState() {
  static State* state = new State();
  return *state;
}

const char* LevelName(Level level) {
  switch (level) {
    case Level::kDebug:
      return "debug";
    case Level::kInfo:
      return "info";
    case Level::kWarning:
      return "warning";
    case Level::kError:
      return "error";
  }
  return "info";
}

}  // namespace

Field::Field(absl::string_view k, const absl::Status& s)
    : key(k), value(s.ok() ? std::string("OK") : absl::StrCat(absl::StatusCodeToString(s.code()), ": ", s.message())) {}

void SetService(absl::string_view service) {
  std::lock_guard<std::mutex> lock(GetState().mu);
  GetState().service = std::string(service);
}

void SetMinLevel(Level level) {
  std::lock_guard<std::mutex> lock(GetState().mu);
  GetState().min_level = level;
}

bool ParseLevel(absl::string_view name, Level* level) {
  if (name == "debug")
    *level = Level::kDebug;
  else if (name == "info")
    *level = Level::kInfo;
  else if (name == "warning")
    *level = Level::kWarning;
  else if (name == "error")
    *level = Level::kError;
  else
    return false;
  return true;
}

std::string RedactBsns(absl::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(text[i]))) {
      out.push_back(text[i++]);
      continue;
    }
    size_t j = i;
    while (j < text.size() && absl::ascii_isdigit(static_cast<unsigned char>(text[j]))) ++j;
    absl::string_view run = text.substr(i, j - i);
    if (run.size() == 9 && Bsn::IsValid(run)) {
      out.append("[redacted-bsn]");
    } else {
      out.append(run.data(), run.size());
    }
    i = j;
  }
  return out;
}

void Write(Level level, absl::string_view event, std::initializer_list<Field> fields) {
  State& st = GetState();
  nlohmann::ordered_json line;
  {
    std::lock_guard<std::mutex> lock(st.mu);
    if (level < st.min_level) return;
    line["time"] = absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now(), absl::UTCTimeZone());
    line["level"] = LevelName(level);
    line["service"] = st.service;
  }
  line["event"] = std::string(event);
  for (const Field& f : fields) {
    if (const auto* s = std::get_if<std::string>(&f.value)) {
      line[f.key] = RedactBsns(*s);
    } else if (const auto* i = std::get_if<int64_t>(&f.value)) {
      line[f.key] = *i;
    } else if (const auto* d = std::get_if<double>(&f.value)) {
      line[f.key] = *d;  // NaN and infinities are written as null
    } else {
      line[f.key] = std::get<bool>(f.value);
    }
  }
  const std::string text = JsonText(line) + "\n";
  std::lock_guard<std::mutex> lock(st.mu);
  if (st.sink) {
    st.sink(text);
  } else {
    std::fwrite(text.data(), 1, text.size(), stderr);
    std::fflush(stderr);
  }
}

void SetSinkForTesting(std::function<void(absl::string_view line)> sink) {
  std::lock_guard<std::mutex> lock(GetState().mu);
  GetState().sink = std::move(sink);
}

}  // namespace cak::common::log
