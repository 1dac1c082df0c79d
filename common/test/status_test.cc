// absl::Status -> grpc::Status keeps the reason (ErrorInfo) and field (BadRequest).
#include "common/grpc/status.h"

#include <gtest/gtest.h>

#include "common/base/errors.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"

namespace cak::common {
namespace {

TEST(StatusConversionTest, CarriesReasonAndField) {
  grpc::Status st = ToGrpcStatus(InvalidField("FIELD_TOO_LONG", "signal.description", "too long"));
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(st.error_message(), "too long");
  google::rpc::Status rich;
  ASSERT_TRUE(rich.ParseFromString(st.error_details()));
  EXPECT_EQ(rich.code(), 3);
  ASSERT_EQ(rich.details_size(), 2);
  google::rpc::ErrorInfo info;
  ASSERT_TRUE(rich.details(0).UnpackTo(&info));
  EXPECT_EQ(info.reason(), "FIELD_TOO_LONG");
  EXPECT_EQ(info.domain(), "voorlichting.cak.nl");
  google::rpc::BadRequest bad;
  ASSERT_TRUE(rich.details(1).UnpackTo(&bad));
  EXPECT_EQ(bad.field_violations(0).field(), "signal.description");

  GrpcErrorDetails parsed = ParseGrpcErrorDetails(st);
  EXPECT_EQ(parsed.reason, "FIELD_TOO_LONG");
  EXPECT_EQ(parsed.field, "signal.description");
}

TEST(StatusConversionTest, ReasonWithoutField) {
  grpc::Status st = ToGrpcStatus(MakeError(absl::StatusCode::kFailedPrecondition, "INVALID_STATE_TRANSITION", "no"));
  EXPECT_EQ(st.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  GrpcErrorDetails parsed = ParseGrpcErrorDetails(st);
  EXPECT_EQ(parsed.reason, "INVALID_STATE_TRANSITION");
  EXPECT_EQ(parsed.field, "");
}

TEST(StatusConversionTest, CarriesRetryDelay) {
  grpc::Status st = ToGrpcStatus(WithRetryDelay(
      MakeError(absl::StatusCode::kUnavailable, "SNAPSHOT_REBUILDING", "later"), absl::Milliseconds(2500)));
  EXPECT_EQ(st.error_code(), grpc::StatusCode::UNAVAILABLE);
  google::rpc::Status rich;
  ASSERT_TRUE(rich.ParseFromString(st.error_details()));
  ASSERT_EQ(rich.details_size(), 2);
  google::rpc::RetryInfo retry;
  ASSERT_TRUE(rich.details(1).UnpackTo(&retry));
  EXPECT_EQ(retry.retry_delay().seconds(), 2);
  EXPECT_EQ(retry.retry_delay().nanos(), 500000000);
  GrpcErrorDetails parsed = ParseGrpcErrorDetails(st);
  EXPECT_EQ(parsed.reason, "SNAPSHOT_REBUILDING");
  EXPECT_EQ(parsed.retry_delay, absl::Milliseconds(2500));
}

TEST(StatusConversionTest, OkAndPlainErrors) {
  EXPECT_TRUE(ToGrpcStatus(absl::OkStatus()).ok());
  grpc::Status st = ToGrpcStatus(absl::UnavailableError("down"));
  EXPECT_EQ(st.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_TRUE(st.error_details().empty());
}

TEST(StatusConversionTest, PrefixFieldNestsValidationErrors) {
  absl::Status st = PrefixField(InvalidField("X", "uri", "bad"), "signal.attachments[2]");
  EXPECT_EQ(ErrorField(st), "signal.attachments[2].uri");
}

}  // namespace
}  // namespace cak::common
