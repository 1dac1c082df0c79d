// The migration runner against the real PostgreSQL: once, in order, under a lock, recorded;
// refuses a newer schema and an edited migration.
#include "common/db/migrations.h"

#include <gtest/gtest.h>

#include <thread>

#include "common/testing/pg_test_env.h"
#include "common/testing/status_matchers.h"

namespace cak::common::db {
namespace {

using testing::TestSchema;

const std::vector<Migration> kV1 = {
    {1, "0001_a.sql", "CREATE TABLE ${schema}.a (id int PRIMARY KEY); GRANT SELECT ON ${schema}.a TO ${app_role};"}};
const std::vector<Migration> kV2 = {
    kV1[0], {2, "0002_b.sql", "CREATE TABLE ${schema}.b (id int); INSERT INTO ${schema}.a VALUES (1);"}};
const std::vector<Migration> kEdited = {{1, "0001_a.sql", "CREATE TABLE ${schema}.a (id bigint PRIMARY KEY);"}};

class MigrationsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto schema = TestSchema::Create("mig", {});
    ASSERT_TRUE(schema.ok()) << schema.status();
    schema_ = *std::move(schema);
    auto pool = schema_->MakePool(2);
    ASSERT_TRUE(pool.ok());
    pool_ = *std::move(pool);
  }
  absl::Status Apply(const std::vector<Migration>& ms) {
    auto lease = pool_->Acquire();
    if (!lease.ok()) return lease.status();
    return ApplyMigrations(lease->sql(), {schema_->name(), ""}, {{"test", &ms}});
  }
  absl::Status Check(const std::vector<Migration>& ms) {
    auto lease = pool_->Acquire();
    if (!lease.ok()) return lease.status();
    return CheckSchema(lease->sql(), schema_->name(), {{"test", &ms}});
  }
  std::unique_ptr<TestSchema> schema_;
  std::unique_ptr<PgPool> pool_;
};

TEST_F(MigrationsTest, AppliesInOrderOnceAndRecords) {
  EXPECT_EQ(Check(kV1).code(), absl::StatusCode::kFailedPrecondition);  // nothing applied yet
  CAK_ASSERT_OK(Apply(kV1));
  CAK_EXPECT_OK(Check(kV1));
  EXPECT_EQ(Check(kV2).code(), absl::StatusCode::kFailedPrecondition);  // pending
  CAK_ASSERT_OK(Apply(kV2));
  CAK_ASSERT_OK(Apply(kV2));  // again: nothing to do
  EXPECT_EQ(*schema_->Query("SELECT count(*) FROM " + schema_->name() + ".a"), "1");
  EXPECT_EQ(
      *schema_->Query("SELECT string_agg(name, ',' ORDER BY version) FROM " + schema_->name() + ".schema_migrations"),
      "0001_a.sql,0002_b.sql");
}

TEST_F(MigrationsTest, RefusesASchemaNewerThanTheBinary) {
  CAK_ASSERT_OK(Apply(kV2));
  absl::Status st = Check(kV1);
  EXPECT_EQ(st.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(st.message().find("newer than this binary"), absl::string_view::npos) << st;
  EXPECT_EQ(Apply(kV1).code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(MigrationsTest, RefusesAnEditedMigration) {
  CAK_ASSERT_OK(Apply(kV1));
  absl::Status st = Check(kEdited);
  EXPECT_EQ(st.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(st.message().find("checksum"), absl::string_view::npos) << st;
}

TEST_F(MigrationsTest, AFailingMigrationLeavesNothingBehind) {
  const std::vector<Migration> broken = {kV1[0], {2, "0002_bad.sql", "CREATE TABLE ${schema}.c (id int); SELEC 1;"}};
  EXPECT_FALSE(Apply(broken).ok());
  EXPECT_EQ(*schema_->Query("SELECT count(*) FROM pg_tables WHERE schemaname = '" + schema_->name() +
                            "' AND tablename <> 'schema_migrations'"),
            "0");
}

TEST_F(MigrationsTest, ConcurrentRunnersApplyEachMigrationOnce) {
  std::vector<std::thread> threads;
  std::vector<absl::Status> results(4);
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&, i] {
      auto pool = schema_->MakePool(1);
      auto lease = (*pool)->Acquire();
      results[i] = ApplyMigrations(lease->sql(), {schema_->name(), ""}, {{"test", &kV2}});
    });
  }
  for (auto& t : threads) t.join();
  for (const auto& st : results) CAK_EXPECT_OK(st);
  EXPECT_EQ(*schema_->Query("SELECT count(*) FROM " + schema_->name() + ".a"), "1");
  EXPECT_EQ(*schema_->Query("SELECT count(*) FROM " + schema_->name() + ".schema_migrations"), "2");
}

TEST_F(MigrationsTest, RejectsBadIdentifiers) {
  auto lease = pool_->Acquire();
  ASSERT_TRUE(lease.ok());
  EXPECT_EQ(ApplyMigrations(lease->sql(), {"bad-name; DROP", ""}, {{"test", &kV1}}).code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace cak::common::db
