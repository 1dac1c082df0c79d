// Where a processing's entry goes in the trace (WithinAction, PlaceEntry) and what a failed
// processing's entry says (FailedRecord): pure, no database.
#include "common/base/processing_log.h"

#include <gtest/gtest.h>

#include "common/base/errors.h"
#include "common/base/random.h"
#include "common/db/processing_log_store.h"

namespace cak::common {
namespace {

constexpr char kAction[] = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

CallContext CallFrom(const char* traceparent, PrincipalKind kind = PrincipalKind::kEmployee) {
  CallContext call;
  call.trace = TraceContext::FromIncoming(traceparent ? std::optional<absl::string_view>(traceparent) : std::nullopt);
  call.principal = {"caller-1", kind, {}};
  return call;
}

TEST(WithinActionTest, ACallFromAnotherTraceMovesUnderTheActionsOperation) {
  const CallContext call = CallFrom("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
  const CallContext in = WithinAction(call, kAction);
  EXPECT_EQ(in.trace.TraceIdHex(), "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(in.trace.ParentSpanIdHex(), "00f067aa0ba902b7");
  EXPECT_EQ(in.trace.span_id, call.trace.span_id);  // the same span, in the action's trace
  EXPECT_EQ(HexEncode(in.foreign_trace_id), "0af7651916cd43dd8448eb211c80319c");
  EXPECT_EQ(HexEncode(in.foreign_span_id), "b7ad6b7169203331");  // the caller's span
  // Outgoing calls continue the action.
  EXPECT_EQ(ParseTraceparent(in.trace.ToTraceparent())->TraceIdHex(), "4bf92f3577b34da6a3ce929d0e0e4736");
  // Idempotent: within the action already.
  const CallContext again = WithinAction(in, kAction);
  EXPECT_EQ(again.trace.ParentSpanIdHex(), "00f067aa0ba902b7");
  EXPECT_EQ(again.foreign_trace_id, in.foreign_trace_id);
}

TEST(WithinActionTest, ACallWithoutATraceIsItsOwnForeignOperation) {
  const CallContext call = CallFrom(nullptr);
  const CallContext in = WithinAction(call, kAction);
  EXPECT_EQ(in.foreign_trace_id, call.trace.trace_id);
  EXPECT_EQ(in.foreign_span_id, call.trace.span_id);
}

TEST(WithinActionTest, ACallInTheActionsTraceOrWithoutAnActionStaysAsItIs) {
  const CallContext inside = CallFrom("00-4bf92f3577b34da6a3ce929d0e0e4736-1122334455667788-01");
  const CallContext same = WithinAction(inside, kAction);
  EXPECT_EQ(same.trace.ParentSpanIdHex(), "1122334455667788");
  EXPECT_TRUE(same.foreign_trace_id.empty());
  const CallContext call = CallFrom(nullptr);
  EXPECT_EQ(WithinAction(call, "").trace.trace_id, call.trace.trace_id);
  EXPECT_EQ(WithinAction(call, "not-a-traceparent").trace.trace_id, call.trace.trace_id);
}

TEST(PlaceEntryTest, AnApplicationsCallIsItsForeignOperationInEitherTrace) {
  const CallContext app =
      CallFrom("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", PrincipalKind::kApplication);
  ProcessingRecord record;
  db::EntryPlacement own = db::PlaceEntry(app, record);
  EXPECT_EQ(own.trace_id, "0af7651916cd43dd8448eb211c80319c");
  EXPECT_EQ(own.foreign_span_id, "b7ad6b7169203331");
  EXPECT_TRUE(own.foreign_trace_id.empty());  // its own trace
  EXPECT_EQ(own.foreign_processor, "caller-1");
  record.action_traceparent = kAction;
  db::EntryPlacement moved = db::PlaceEntry(app, record);
  EXPECT_EQ(moved.trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(moved.parent_span_id, "00f067aa0ba902b7");
  EXPECT_EQ(moved.foreign_trace_id, "0af7651916cd43dd8448eb211c80319c");
  EXPECT_EQ(moved.foreign_span_id, "b7ad6b7169203331");
  EXPECT_EQ(moved.foreign_processor, "caller-1");
}

TEST(FailedRecordTest, KeepsCodeAndReasonNotTheMessage) {
  ProcessingRecord record;
  record.name = "analysis.ImportFile";
  const absl::Status failure =
      InvalidField("TOO_MANY_REJECTED_ROWS", "path", "3 of 4 rows rejected. First: row 2 bsn 123456782");
  const ProcessingRecord failed = FailedRecord(record, failure, absl::FromUnixSeconds(100));
  EXPECT_EQ(failed.status, ProcessingStatus::kError);
  EXPECT_EQ(failed.end_time, absl::FromUnixSeconds(100));
  EXPECT_EQ(failed.attributes.at("error_code"), "INVALID_ARGUMENT");
  EXPECT_EQ(failed.attributes.at("error_reason"), "TOO_MANY_REJECTED_ROWS");
  for (const auto& [k, v] : failed.attributes) EXPECT_EQ(v.find("123456782"), std::string::npos) << k;
}

}  // namespace
}  // namespace cak::common
