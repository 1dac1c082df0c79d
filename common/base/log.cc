// JSON line logger (see log.h).
#include "common/base/log.h"

#include <cstdio>
#include <mutex>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

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

void AppendJsonString(std::string* out, absl::string_view s) {
  out->push_back('"');
  for (unsigned char c : s) {
    switch (c) {
      case '"': out->append("\\\""); break;
      case '\\': out->append("\\\\"); break;
      case '\n': out->append("\\n"); break;
      case '\r': out->append("\\r"); break;
      case '\t': out->append("\\t"); break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out->append(buf);
        } else {
          out->push_back(static_cast<char>(c));
        }
    }
  }
  out->push_back('"');
}

const char* LevelName(Level level) {
  switch (level) {
    case Level::kDebug: return "debug";
    case Level::kInfo: return "info";
    case Level::kWarning: return "warning";
    case Level::kError: return "error";
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
  if (name == "debug") *level = Level::kDebug;
  else if (name == "info") *level = Level::kInfo;
  else if (name == "warning") *level = Level::kWarning;
  else if (name == "error") *level = Level::kError;
  else return false;
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
  std::string line;
  {
    std::lock_guard<std::mutex> lock(st.mu);
    if (level < st.min_level) return;
    line.reserve(256);
    line.append("{\"time\":");
    AppendJsonString(&line, absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now(), absl::UTCTimeZone()));
    line.append(",\"level\":\"").append(LevelName(level)).append("\",\"service\":");
    AppendJsonString(&line, st.service);
  }
  line.append(",\"event\":");
  AppendJsonString(&line, event);
  for (const Field& f : fields) {
    line.push_back(',');
    AppendJsonString(&line, f.key);
    line.push_back(':');
    if (const auto* s = std::get_if<std::string>(&f.value)) {
      AppendJsonString(&line, RedactBsns(*s));
    } else if (const auto* i = std::get_if<int64_t>(&f.value)) {
      line.append(std::to_string(*i));
    } else if (const auto* d = std::get_if<double>(&f.value)) {
      line.append(absl::StrCat(*d));
    } else {
      line.append(std::get<bool>(f.value) ? "true" : "false");
    }
  }
  line.append("}\n");
  std::lock_guard<std::mutex> lock(st.mu);
  if (st.sink) {
    st.sink(line);
  } else {
    std::fwrite(line.data(), 1, line.size(), stderr);
    std::fflush(stderr);
  }
}

void SetSinkForTesting(std::function<void(absl::string_view line)> sink) {
  std::lock_guard<std::mutex> lock(GetState().mu);
  GetState().sink = std::move(sink);
}

}  // namespace cak::common::log
