// Status assertions for GoogleTest (our Abseil has no status matchers): absl::Status /
// StatusOr and grpc::Status, with the reason and field of the rich error model.
#pragma once

#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/base/errors.h"
#include "common/grpc/metrics.h"
#include "common/grpc/status.h"

namespace cak::common::testing {

inline const absl::Status& GetStatus(const absl::Status& s) { return s; }
template <typename T>
const absl::Status& GetStatus(const absl::StatusOr<T>& s) {
  return s.status();
}

// absl::Status or StatusOr with `code` and, when given, the reason and field.
MATCHER_P3(StatusIs, code, reason, field, "") {
  const absl::Status& st = GetStatus(arg);
  *result_listener << "status " << st.ToString() << " reason '" << ErrorReason(st) << "' field '" << ErrorField(st)
                   << "'";
  return st.code() == code && (std::string(reason).empty() || ErrorReason(st) == reason) &&
         (std::string(field).empty() || ErrorField(st) == field);
}

// grpc::Status with `code` and, when given, the ErrorInfo reason and BadRequest field.
MATCHER_P3(GrpcStatusIs, code, reason, field, "") {
  const GrpcErrorDetails details = ParseGrpcErrorDetails(arg);
  *result_listener << "grpc status " << GrpcCodeName(arg.error_code()) << " '" << arg.error_message() << "' reason '"
                   << details.reason << "' field '" << details.field << "'";
  return arg.error_code() == code && (std::string(reason).empty() || details.reason == reason) &&
         (std::string(field).empty() || details.field == field);
}

}  // namespace cak::common::testing

// The status is copied: a reference into a temporary StatusOr would dangle.
#define CAK_EXPECT_OK(expr)                                                 \
  do {                                                                      \
    const absl::Status cak_st_ = ::cak::common::testing::GetStatus((expr)); \
    EXPECT_TRUE(cak_st_.ok()) << cak_st_.ToString();                        \
  } while (false)

#define CAK_ASSERT_OK(expr)                                                 \
  do {                                                                      \
    const absl::Status cak_st_ = ::cak::common::testing::GetStatus((expr)); \
    ASSERT_TRUE(cak_st_.ok()) << cak_st_.ToString();                        \
  } while (false)

#define CAK_ASSERT_OK_AND_ASSIGN(lhs, rexpr) \
  CAK_ASSERT_OK_AND_ASSIGN_IMPL_(CAK_STATUS_CONCAT_(cak_sor_, __LINE__), lhs, rexpr)
#define CAK_ASSERT_OK_AND_ASSIGN_IMPL_(statusor, lhs, rexpr)  \
  auto statusor = (rexpr);                                    \
  ASSERT_TRUE(statusor.ok()) << statusor.status().ToString(); \
  lhs = std::move(statusor).value()

#define CAK_ASSERT_GRPC_OK(expr)                                                             \
  do {                                                                                       \
    const grpc::Status cak_gst_ = (expr);                                                    \
    ASSERT_TRUE(cak_gst_.ok()) << ::cak::common::GrpcCodeName(cak_gst_.error_code()) << ": " \
                               << cak_gst_.error_message();                                  \
  } while (false)
