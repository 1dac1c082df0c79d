// The pool: exhaustion answers RESOURCE_EXHAUSTED within the acquire timeout (never a hang),
// a lost database answers UNAVAILABLE, and sessions reconnect when it returns.
#include "common/db/pool.h"

#include <gtest/gtest.h>

#include <regex>

#include "absl/strings/str_cat.h"
#include "common/testing/pg_test_env.h"
#include "common/testing/status_matchers.h"
#include "common/testing/tcp_proxy.h"

namespace cak::common::db {
namespace {

using testing::StatusIs;

TEST(PoolTest, ExhaustedPoolAnswersResourceExhausted) {
  PoolOptions o;
  o.conninfo = testing::TestDsn();
  o.size = 1;
  o.acquire_timeout = absl::Milliseconds(100);
  auto pool = PgPool::Create(o);
  ASSERT_TRUE(pool.ok());
  auto held = (*pool)->Acquire();
  ASSERT_TRUE(held.ok());
  EXPECT_EQ((*pool)->in_use(), 1);
  EXPECT_THAT((*pool)->Acquire(), StatusIs(absl::StatusCode::kResourceExhausted, "DATABASE_POOL_EXHAUSTED", ""));
}

TEST(PoolTest, DeadlineShorterThanAcquireTimeoutWins) {
  PoolOptions o;
  o.conninfo = testing::TestDsn();
  o.size = 1;
  o.acquire_timeout = absl::Seconds(30);
  auto pool = PgPool::Create(o);
  auto held = (*pool)->Acquire();
  ASSERT_TRUE(held.ok());
  EXPECT_EQ((*pool)->Acquire(absl::Now() + absl::Milliseconds(50)).status().code(),
            absl::StatusCode::kDeadlineExceeded);
}

TEST(PoolTest, TransactionRollsBackOnError) {
  auto schema = testing::TestSchema::Create("pool", {});
  ASSERT_TRUE(schema.ok());
  const std::string t = (*schema)->name() + ".t";
  CAK_ASSERT_OK((*schema)->Query("CREATE TABLE " + t + " (id int)"));
  auto pool = (*schema)->MakePool(1);
  absl::Status st = InTransaction(**pool, [&](Tx& tx) {
    tx.sql() << "INSERT INTO " + t + " VALUES (1)";
    return absl::InvalidArgumentError("changed my mind");
  });
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  bool committed = false;
  CAK_EXPECT_OK(InTransaction(**pool, [&](Tx& tx) {
    tx.OnCommit([&] { committed = true; });
    tx.sql() << "INSERT INTO " + t + " VALUES (2)";
    return absl::OkStatus();
  }));
  EXPECT_TRUE(committed);
  EXPECT_EQ(*(*schema)->Query("SELECT string_agg(id::text, ',') FROM " + t), "2");
}

TEST(PoolTest, LostDatabaseIsUnavailableAndSessionsReconnect) {
  std::string host;
  int port = 0;
  ASSERT_TRUE(testing::HostPortFromDsn(testing::TestDsn(), &host, &port));
  testing::TcpProxy proxy(host, port);
  CAK_ASSERT_OK(proxy.Start());
  std::string dsn = testing::TestDsn();
  dsn = std::regex_replace(dsn, std::regex("port=[0-9]+"), absl::StrCat("port=", proxy.port()));
  PoolOptions o;
  o.conninfo = dsn;
  o.size = 2;
  o.connect_timeout = absl::Seconds(1);
  auto pool = PgPool::Create(o);
  ASSERT_TRUE(pool.ok());
  CAK_ASSERT_OK((*pool)->Ping());

  proxy.Cut();
  EXPECT_THAT((*pool)->Ping(), StatusIs(absl::StatusCode::kUnavailable, "DATABASE_UNAVAILABLE", ""));
  EXPECT_THAT((*pool)->Ping(), StatusIs(absl::StatusCode::kUnavailable, "DATABASE_UNAVAILABLE", ""));

  CAK_ASSERT_OK(proxy.Restore());
  CAK_EXPECT_OK((*pool)->Ping());
  EXPECT_EQ((*pool)->in_use(), 0);
}

}  // namespace
}  // namespace cak::common::db

#include "common/base/log.h"

namespace cak::common::db {
namespace {

TEST(PoolTest, DatabaseErrorsAreLoggedWithoutStatementParametersOrRowValues) {
  auto schema = testing::TestSchema::Create("poollog", {});
  ASSERT_TRUE(schema.ok());
  const std::string t = (*schema)->name() + ".people";
  CAK_ASSERT_OK((*schema)->Query("CREATE TABLE " + t + " (name text PRIMARY KEY)"));
  CAK_ASSERT_OK((*schema)->Query("INSERT INTO " + t + " VALUES ('Jansen-Verbeek')"));
  std::vector<std::string> lines;
  log::SetSinkForTesting([&](absl::string_view line) { lines.emplace_back(line); });
  auto pool = (*schema)->MakePool(1);
  const std::string name = "Jansen-Verbeek";
  absl::Status st = InTransaction(**pool, [&](Tx& tx) {
    tx.sql() << "INSERT INTO " + t + " (name) VALUES (:n)", soci::use(name);
    return absl::OkStatus();
  });
  log::SetSinkForTesting(nullptr);
  EXPECT_EQ(st.code(), absl::StatusCode::kInternal);
  ASSERT_FALSE(lines.empty());
  for (const auto& line : lines) {
    EXPECT_EQ(line.find("Jansen"), std::string::npos) << line;
    EXPECT_NE(line.find("23505"), std::string::npos) << line;  // the SQLSTATE is kept
  }
}

}  // namespace
}  // namespace cak::common::db
