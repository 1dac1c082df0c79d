// Field rules for signals, each naming its field.
#include "intake-svc/src/domain/validation.h"

#include <gtest/gtest.h>

#include "common/testing/status_matchers.h"

namespace cak::intake::domain {
namespace {

using common::testing::StatusIs;
constexpr auto kInvalid = absl::StatusCode::kInvalidArgument;

Signal Valid() {
  Signal s;
  s.description = "Letter about the Wlz contribution was sent with the wrong amount";
  s.example_customers = {*common::Bsn::Parse("111222333")};
  s.attachments = {{"brief.pdf", "application/pdf", 1024, "dms://docs/1", std::string(64, 'a')}};
  return s;
}

TEST(ValidationTest, AcceptsAValidSignal) { EXPECT_TRUE(ValidateNewSignal(Valid(), "signal").ok()); }

TEST(ValidationTest, DescriptionRequiredAndBounded) {
  Signal s = Valid();
  s.description = "   ";
  EXPECT_THAT(ValidateNewSignal(s, "signal"), StatusIs(kInvalid, "REQUIRED_FIELD_MISSING", "signal.description"));
  s.description = std::string(10001, 'x');
  EXPECT_THAT(ValidateNewSignal(s, "signal"), StatusIs(kInvalid, "FIELD_TOO_LONG", "signal.description"));
  // The limit counts characters, not bytes: 10,000 two-byte characters are fine.
  s.description.clear();
  for (int i = 0; i < 10000; ++i) s.description += "\xC3\xA9";
  EXPECT_TRUE(ValidateNewSignal(s, "signal").ok());
}

TEST(ValidationTest, CustomersUniqueAndBounded) {
  Signal s = Valid();
  s.example_customers.push_back(s.example_customers[0]);
  EXPECT_THAT(ValidateNewSignal(s, "signal"), StatusIs(kInvalid, "DUPLICATE_VALUE", "signal.example_customer_bsns[1]"));
}

TEST(ValidationTest, AttachmentFields) {
  Signal s = Valid();
  s.attachments[0].sha256 = "xyz";
  EXPECT_THAT(ValidateNewSignal(s, "signal"),
              StatusIs(kInvalid, "INVALID_FIELD_VALUE", "signal.attachments[0].sha256"));
  s = Valid();
  s.attachments[0].media_type = "pdf";
  EXPECT_THAT(ValidateNewSignal(s, "signal"),
              StatusIs(kInvalid, "INVALID_FIELD_VALUE", "signal.attachments[0].media_type"));
  s = Valid();
  s.attachments[0].size_bytes = -1;
  EXPECT_THAT(ValidateNewSignal(s, "signal"),
              StatusIs(kInvalid, "INVALID_FIELD_VALUE", "signal.attachments[0].size_bytes"));
  s = Valid();
  s.attachments.resize(21, s.attachments[0]);
  EXPECT_THAT(ValidateNewSignal(s, "signal"), StatusIs(kInvalid, "TOO_MANY_ITEMS", "signal.attachments"));
}

TEST(ValidationTest, SignalNames) {
  auto id = ParseSignalName("signals/0F8FAD5B-D9CB-469F-A165-70867728950E", "name");
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(*id, "0f8fad5b-d9cb-469f-a165-70867728950e");
  EXPECT_THAT(ParseSignalName("", "name"), StatusIs(kInvalid, "REQUIRED_FIELD_MISSING", "name"));
  EXPECT_THAT(ParseSignalName("signals/42", "name"), StatusIs(kInvalid, "INVALID_RESOURCE_NAME", "name"));
  EXPECT_THAT(ParseSignalName("campaigns/0f8fad5b-d9cb-469f-a165-70867728950e", "name"),
              StatusIs(kInvalid, "INVALID_RESOURCE_NAME", "name"));
}

}  // namespace
}  // namespace cak::intake::domain
