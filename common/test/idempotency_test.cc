// request_id claims: first wins, a repeat gets the first resource, a different request is refused.
#include "common/db/idempotency.h"

#include <gtest/gtest.h>

#include "common/testing/pg_test_env.h"
#include "common/testing/status_matchers.h"

namespace cak::common::db {
namespace {

using testing::StatusIs;

class IdempotencyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto schema = testing::TestSchema::Create("idem", {{"common", &CommonMigrations()}});
    ASSERT_TRUE(schema.ok()) << schema.status();
    schema_ = *std::move(schema);
    pool_ = *schema_->MakePool(2);
  }
  absl::StatusOr<std::optional<std::string>> Claim(const IdempotencyKey& key, const std::string& resource) {
    absl::StatusOr<std::optional<std::string>> out;
    absl::Status st = InTransaction(*pool_, [&](Tx& tx) {
      out = ClaimRequestId(tx, schema_->name(), key, resource, absl::Now());
      return out.status();
    });
    if (!st.ok()) return st;
    return out;
  }
  std::unique_ptr<testing::TestSchema> schema_;
  std::unique_ptr<PgPool> pool_;
};

TEST_F(IdempotencyTest, FirstClaimWinsRepeatReturnsItDifferentRequestIsRefused) {
  IdempotencyKey key{"Create", "req-1", "fp-a"};
  auto first = Claim(key, "res-1");
  ASSERT_TRUE(first.ok());
  EXPECT_FALSE(first->has_value());
  auto repeat = Claim(key, "res-2");
  ASSERT_TRUE(repeat.ok());
  EXPECT_EQ(repeat->value_or(""), "res-1");
  EXPECT_THAT(Claim(IdempotencyKey{"Create", "req-1", "fp-b"}, "res-3"),
              StatusIs(absl::StatusCode::kInvalidArgument, "REQUEST_ID_REUSED", "request_id"));
  // The same request_id for another operation is another key.
  auto other_op = Claim(IdempotencyKey{"Update", "req-1", "fp-b"}, "res-4");
  ASSERT_TRUE(other_op.ok());
  EXPECT_FALSE(other_op->has_value());
}

TEST_F(IdempotencyTest, ARolledBackClaimIsNotKept) {
  IdempotencyKey key{"Create", "req-2", "fp"};
  absl::Status st = InTransaction(*pool_, [&](Tx& tx) {
    auto r = ClaimRequestId(tx, schema_->name(), key, "res-1", absl::Now());
    return absl::AbortedError("the create failed after the claim");
  });
  EXPECT_EQ(st.code(), absl::StatusCode::kAborted);
  auto again = Claim(key, "res-9");
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->has_value());
}

}  // namespace
}  // namespace cak::common::db
