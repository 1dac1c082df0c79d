// Log lines are JSON and never carry a BSN.
#include "common/base/log.h"

#include <gtest/gtest.h>

#include <limits>
#include <nlohmann/json.hpp>

namespace cak::common::log {
namespace {

class LogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SetSinkForTesting([this](absl::string_view line) { lines_.emplace_back(line); });
  }
  void TearDown() override { SetSinkForTesting(nullptr); }
  std::vector<std::string> lines_;
};

TEST_F(LogTest, WritesOneJsonObjectPerLine) {
  SetService("test-svc");
  Info("something_happened", {{"count", 3}, {"ok", true}, {"text", "a \"quoted\"\nline"}});
  ASSERT_EQ(lines_.size(), 1u);
  auto j = nlohmann::json::parse(lines_[0]);
  EXPECT_EQ(j["event"], "something_happened");
  EXPECT_EQ(j["service"], "test-svc");
  EXPECT_EQ(j["level"], "info");
  EXPECT_EQ(j["count"], 3);
  EXPECT_EQ(j["text"], "a \"quoted\"\nline");
  EXPECT_EQ(lines_[0].back(), '\n');
}

// Whatever a field holds, the line is valid JSON: invalid UTF-8 (a client's bytes in an error
// text) becomes U+FFFD, NaN and infinities null, control characters are escaped.
TEST_F(LogTest, LinesStayValidJsonWithInvalidUtf8AndNonFiniteNumbers) {
  Info("odd_values", {{"text", std::string("caf\xc3 \xff\x01"
                                           "end")},
                      {"ratio", std::numeric_limits<double>::quiet_NaN()},
                      {"rate", std::numeric_limits<double>::infinity()}});
  ASSERT_EQ(lines_.size(), 1u);
  const auto j = nlohmann::json::parse(lines_[0], nullptr, /*allow_exceptions=*/false);
  ASSERT_FALSE(j.is_discarded()) << lines_[0];
  EXPECT_EQ(j["text"],
            "caf\xef\xbf\xbd \xef\xbf\xbd\x01"
            "end");
  EXPECT_TRUE(j["ratio"].is_null());
  EXPECT_TRUE(j["rate"].is_null());
  EXPECT_NE(lines_[0].find("\\u0001"), std::string::npos);
}

TEST_F(LogTest, RedactsAnythingThatLooksLikeABsn) {
  Warning("oops", {{"detail", "customer 111222333 and order 111222334 and 123456782"}});
  ASSERT_EQ(lines_.size(), 1u);
  EXPECT_EQ(lines_[0].find("111222333"), std::string::npos);
  EXPECT_EQ(lines_[0].find("123456782"), std::string::npos);
  // Nine digits that fail the 11-test are not a BSN and stay.
  EXPECT_NE(lines_[0].find("111222334"), std::string::npos);
}

TEST_F(LogTest, RespectsTheMinimumLevel) {
  SetMinLevel(Level::kWarning);
  Info("hidden");
  Error("shown");
  SetMinLevel(Level::kInfo);
  ASSERT_EQ(lines_.size(), 1u);
  EXPECT_NE(lines_[0].find("shown"), std::string::npos);
}

}  // namespace
}  // namespace cak::common::log
