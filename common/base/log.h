// Structured logging: one JSON object per line on stderr, e.g.
//   {"time":"2026-11-29T07:00:00.123Z","level":"info","service":"intake-svc",
//    "event":"rpc_denied","method":"DeclineSignal","code":"PERMISSION_DENIED"}
//
// Log lines never contain personal data. Callers pass only non-personal fields (a Bsn cannot
// be passed: that constructor is deleted), and as a second line of defence every string value
// is scanned and anything that looks like a valid BSN is replaced by "[redacted-bsn]".
#pragma once

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <string>
#include <variant>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "common/base/bsn.h"

namespace cak::common::log {

enum class Level { kDebug = 0, kInfo = 1, kWarning = 2, kError = 3 };

// One key/value pair of a log line.
struct Field {
  Field(absl::string_view k, absl::string_view v) : key(k), value(std::string(v)) {}
  Field(absl::string_view k, const char* v) : key(k), value(std::string(v)) {}
  Field(absl::string_view k, const std::string& v) : key(k), value(v) {}
  Field(absl::string_view k, int v) : key(k), value(static_cast<int64_t>(v)) {}
  Field(absl::string_view k, int64_t v) : key(k), value(v) {}
  Field(absl::string_view k, uint64_t v) : key(k), value(static_cast<int64_t>(v)) {}
  Field(absl::string_view k, double v) : key(k), value(v) {}
  Field(absl::string_view k, bool v) : key(k), value(v) {}
  Field(absl::string_view k, const absl::Status& s);
  Field(absl::string_view k, const Bsn&) = delete;  // personal data never goes to a log

  std::string key;
  std::variant<std::string, int64_t, double, bool> value;
};

// Process-wide settings, set once by main().
void SetService(absl::string_view service);
void SetMinLevel(Level level);
// Parses "debug" / "info" / "warning" / "error".
bool ParseLevel(absl::string_view name, Level* level);

void Write(Level level, absl::string_view event, std::initializer_list<Field> fields = {});
inline void Debug(absl::string_view e, std::initializer_list<Field> f = {}) { Write(Level::kDebug, e, f); }
inline void Info(absl::string_view e, std::initializer_list<Field> f = {}) { Write(Level::kInfo, e, f); }
inline void Warning(absl::string_view e, std::initializer_list<Field> f = {}) { Write(Level::kWarning, e, f); }
inline void Error(absl::string_view e, std::initializer_list<Field> f = {}) { Write(Level::kError, e, f); }

// Replaces every 9-digit run that passes the 11-test by "[redacted-bsn]".
std::string RedactBsns(absl::string_view text);

// Tests capture lines here instead of stderr; pass nullptr to restore stderr.
void SetSinkForTesting(std::function<void(absl::string_view line)> sink);

}  // namespace cak::common::log
