// W3C traceparent parsing and span creation (see trace_context.h).
#include "common/base/trace_context.h"

#include <cstdint>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/base/random.h"

namespace cak::common {
namespace {

std::string RandomNonZero(size_t n) {
  std::string out(n, '\0');
  do {
    RandomBytes(reinterpret_cast<uint8_t*>(out.data()), n);
  } while (out.find_first_not_of('\0') == std::string::npos);
  return out;
}

bool IsLowerHex(absl::string_view s) {
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

}  // namespace

std::string NewSpanId() { return RandomNonZero(8); }

std::string TraceContext::TraceIdHex() const { return HexEncode(trace_id); }
std::string TraceContext::SpanIdHex() const { return HexEncode(span_id); }
std::string TraceContext::ParentSpanIdHex() const { return HexEncode(parent_span_id); }

std::string TraceContext::ToTraceparent() const {
  return absl::StrCat("00-", TraceIdHex(), "-", SpanIdHex(), sampled ? "-01" : "-00");
}

TraceContext TraceContext::NewChild() const {
  TraceContext child;
  child.trace_id = trace_id;
  child.parent_span_id = span_id;
  child.span_id = NewSpanId();
  child.sampled = sampled;
  return child;
}

TraceContext TraceContext::NewRoot() {
  TraceContext root;
  root.trace_id = RandomNonZero(16);
  root.span_id = NewSpanId();
  return root;
}

TraceContext TraceContext::FromIncoming(std::optional<absl::string_view> traceparent) {
  if (traceparent) {
    if (auto remote = ParseTraceparent(*traceparent)) return remote->NewChild();
  }
  return NewRoot();
}

std::optional<TraceContext> ParseTraceparent(absl::string_view header) {
  std::vector<absl::string_view> parts = absl::StrSplit(header, '-');
  if (parts.size() < 4) return std::nullopt;
  const absl::string_view version = parts[0];
  if (version.size() != 2 || !IsLowerHex(version) || version == "ff") return std::nullopt;
  // Version 00 has exactly four parts; later versions may append fields.
  if (version == "00" && parts.size() != 4) return std::nullopt;
  if (parts[1].size() != 32 || parts[2].size() != 16 || parts[3].size() != 2) return std::nullopt;
  if (!IsLowerHex(parts[1]) || !IsLowerHex(parts[2]) || !IsLowerHex(parts[3])) {
    return std::nullopt;
  }
  TraceContext ctx;
  HexDecode(parts[1], &ctx.trace_id);
  HexDecode(parts[2], &ctx.span_id);
  if (ctx.trace_id.find_first_not_of('\0') == std::string::npos ||
      ctx.span_id.find_first_not_of('\0') == std::string::npos) {
    return std::nullopt;
  }
  std::string flags;
  HexDecode(parts[3], &flags);
  ctx.sampled = (static_cast<uint8_t>(flags[0]) & 1) != 0;
  return ctx;
}

}  // namespace cak::common
