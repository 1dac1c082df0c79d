// W3C traceparent parsing and span derivation.
#include "common/base/trace_context.h"

#include <gtest/gtest.h>

namespace cak::common {
namespace {

TEST(TraceContextTest, ParsesAValidHeader) {
  auto ctx = ParseTraceparent("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
  ASSERT_TRUE(ctx.has_value());
  EXPECT_EQ(ctx->TraceIdHex(), "0af7651916cd43dd8448eb211c80319c");
  EXPECT_EQ(ctx->SpanIdHex(), "b7ad6b7169203331");
  EXPECT_TRUE(ctx->sampled);
}

TEST(TraceContextTest, RejectsMalformedHeaders) {
  EXPECT_FALSE(ParseTraceparent(""));
  EXPECT_FALSE(ParseTraceparent("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331"));
  EXPECT_FALSE(ParseTraceparent("00-00000000000000000000000000000000-b7ad6b7169203331-01"));
  EXPECT_FALSE(ParseTraceparent("00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01"));
  EXPECT_FALSE(ParseTraceparent("00-0AF7651916CD43DD8448EB211C80319C-b7ad6b7169203331-01"));
  EXPECT_FALSE(ParseTraceparent("ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"));
  EXPECT_FALSE(ParseTraceparent("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-extra"));
}

TEST(TraceContextTest, IncomingCallBecomesAChildOfTheCallersSpan) {
  auto ctx = TraceContext::FromIncoming("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
  EXPECT_EQ(ctx.TraceIdHex(), "0af7651916cd43dd8448eb211c80319c");
  EXPECT_EQ(ctx.ParentSpanIdHex(), "b7ad6b7169203331");
  EXPECT_NE(ctx.SpanIdHex(), "b7ad6b7169203331");
  EXPECT_EQ(ctx.span_id.size(), 8u);
  // And passes its own span on.
  auto next = ParseTraceparent(ctx.ToTraceparent());
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(next->span_id, ctx.span_id);
}

TEST(TraceContextTest, MissingOrBadHeaderStartsANewTrace) {
  auto a = TraceContext::FromIncoming(std::nullopt);
  auto b = TraceContext::FromIncoming("garbage");
  EXPECT_EQ(a.trace_id.size(), 16u);
  EXPECT_TRUE(a.parent_span_id.empty());
  EXPECT_TRUE(b.parent_span_id.empty());
  EXPECT_NE(a.trace_id, b.trace_id);
}

}  // namespace
}  // namespace cak::common
