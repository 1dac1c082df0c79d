// W3C Trace Context (https://www.w3.org/TR/trace-context/) as used by the processing log:
// every RPC runs in a span; the caller's `traceparent` (gRPC metadata) supplies trace id and
// parent span; outgoing calls pass the current span on.
#pragma once

#include <optional>
#include <string>

#include "absl/strings/string_view.h"

namespace cak::common {

struct TraceContext {
  std::string trace_id;        // 16 raw bytes
  std::string span_id;         // 8 raw bytes: this operation's span
  std::string parent_span_id;  // 8 raw bytes, or empty for a root span
  bool sampled = true;

  // "00-<trace_id hex>-<span_id hex>-<flags>" for passing this span on.
  std::string ToTraceparent() const;
  std::string TraceIdHex() const;
  std::string SpanIdHex() const;
  std::string ParentSpanIdHex() const;

  // A new span in the same trace whose parent is this span.
  TraceContext NewChild() const;

  // A new trace with a new root span.
  static TraceContext NewRoot();

  // For an incoming call: a new span whose parent is the caller's span from `traceparent`.
  // A missing or malformed header starts a new trace (as the W3C spec asks), never an error.
  static TraceContext FromIncoming(std::optional<absl::string_view> traceparent);
};

// Parses a traceparent header; nullopt when malformed (wrong version/length, non-hex, all-zero
// ids). Returns a context whose span_id is the *remote* span.
std::optional<TraceContext> ParseTraceparent(absl::string_view header);

std::string NewSpanId();

}  // namespace cak::common
