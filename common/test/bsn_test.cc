// BSN 11-test and masking.
#include "common/base/bsn.h"

#include <gtest/gtest.h>

#include <set>

#include "common/testing/status_matchers.h"

namespace cak::common {
namespace {

using testing::StatusIs;

TEST(BsnTest, AcceptsValidNumbers) {
  // 9*1+8*1+7*1+6*2+5*2+4*2+3*3+2*3 - 1*4 = 55, a multiple of 11.
  EXPECT_TRUE(Bsn::IsValid("111222333"));
  EXPECT_TRUE(Bsn::IsValid("123456782"));
}

TEST(BsnTest, RejectsBadNumbers) {
  EXPECT_FALSE(Bsn::IsValid("111222334"));  // fails the 11-test
  EXPECT_FALSE(Bsn::IsValid("12345678"));   // too short
  EXPECT_FALSE(Bsn::IsValid("1234567890"));
  EXPECT_FALSE(Bsn::IsValid("12345678a"));
  EXPECT_FALSE(Bsn::IsValid("000000000"));  // passes the sum, but is not a number anyone has
  EXPECT_FALSE(Bsn::IsValid(""));
}

TEST(BsnTest, ParseNamesTheFieldAndNeverEchoesTheValue) {
  auto bsn = Bsn::Parse("111222334", "signal.example_customer_bsns[3]");
  EXPECT_THAT(bsn, StatusIs(absl::StatusCode::kInvalidArgument, "INVALID_BSN", "signal.example_customer_bsns[3]"));
  EXPECT_EQ(bsn.status().message().find("111222334"), absl::string_view::npos);
}

TEST(BsnTest, MaskKeepsOnlyTheLastFourDigits) {
  auto bsn = Bsn::Parse("123456782");
  ASSERT_TRUE(bsn.ok());
  EXPECT_EQ(bsn->Masked(), "*****6782");
  EXPECT_EQ(bsn->digits(), "123456782");
}

}  // namespace
}  // namespace cak::common

#include "common/base/synthetic.h"

namespace cak::common {
namespace {

TEST(SyntheticBsnTest, DeterministicDistinctAndValid) {
  auto a = SyntheticBsns(42, 500);
  auto b = SyntheticBsns(42, 500);
  ASSERT_EQ(a.size(), 500u);
  EXPECT_EQ(a, b);
  std::set<std::string> distinct;
  for (const auto& bsn : a) {
    EXPECT_TRUE(Bsn::IsValid(bsn.digits()));
    distinct.insert(bsn.digits());
  }
  EXPECT_EQ(distinct.size(), 500u);
  EXPECT_NE(SyntheticBsns(43, 1)[0], a[0]);
}

}  // namespace
}  // namespace cak::common
