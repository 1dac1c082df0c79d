// The pool: exhaustion answers RESOURCE_EXHAUSTED within the acquire timeout (never a hang),
// a lost database answers UNAVAILABLE, and sessions reconnect when it returns.
#include "common/db/pool.h"

#include <gtest/gtest.h>

#include <memory>
#include <regex>

#include "absl/strings/str_cat.h"
#include "common/base/random.h"
#include "common/testing/pg_test_env.h"
#include "common/testing/status_matchers.h"
#include "common/testing/tcp_proxy.h"

namespace cak::common::db {
namespace {

using testing::StatusIs;

// A started TCP forwarder to the test database, which a test can cut or break (null on failure).
std::unique_ptr<testing::TcpProxy> ProxyToTheTestDatabase() {
  std::string host;
  int port = 0;
  if (!testing::HostPortFromDsn(testing::TestDsn(), &host, &port)) return nullptr;
  auto proxy = std::make_unique<testing::TcpProxy>(host, port);
  if (!proxy->Start().ok()) return nullptr;
  return proxy;
}

// The test database's connection string, through `proxy`.
std::string DsnThrough(const testing::TcpProxy& proxy) {
  return std::regex_replace(testing::TestDsn(), std::regex("port=[0-9]+"), absl::StrCat("port=", proxy.port()));
}

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
  auto proxy = ProxyToTheTestDatabase();
  ASSERT_TRUE(proxy);
  PoolOptions o;
  o.conninfo = DsnThrough(*proxy);
  o.size = 2;
  o.connect_timeout = absl::Seconds(1);
  auto pool = PgPool::Create(o);
  ASSERT_TRUE(pool.ok());
  CAK_ASSERT_OK((*pool)->Ping());

  proxy->Cut();
  EXPECT_THAT((*pool)->Ping(), StatusIs(absl::StatusCode::kUnavailable, "DATABASE_UNAVAILABLE", ""));
  EXPECT_THAT((*pool)->Ping(), StatusIs(absl::StatusCode::kUnavailable, "DATABASE_UNAVAILABLE", ""));

  CAK_ASSERT_OK(proxy->Restore());
  CAK_EXPECT_OK((*pool)->Ping());
  EXPECT_EQ((*pool)->in_use(), 0);
}

// After a restart (or pg_terminate_backend) every pooled session's connection is closed by
// the server: the next callers get fresh connections, and none of them fails.
TEST(PoolTest, SessionsTheServerClosedAreReplacedWithoutFailingACaller) {
  auto admin = testing::TestSchema::Create("poolheal", {});
  ASSERT_TRUE(admin.ok());
  PoolOptions o;
  o.conninfo = testing::TestDsn();
  o.size = 3;
  o.application_name = "pool-heal-" + NewUuid();
  auto pool = PgPool::Create(o);
  ASSERT_TRUE(pool.ok());
  {
    std::vector<Lease> leases;
    for (int i = 0; i < 3; ++i) {
      auto lease = (*pool)->Acquire();
      ASSERT_TRUE(lease.ok()) << lease.status();
      leases.push_back(*std::move(lease));
      leases.back().sql() << "SELECT 1";
    }
  }
  const std::string mine = absl::StrCat("FROM pg_stat_activity WHERE application_name = '", o.application_name, "'");
  EXPECT_EQ(*(*admin)->Query("SELECT count(pg_terminate_backend(pid)) " + mine), "3");
  for (int i = 0; i < 100 && *(*admin)->Query("SELECT count(*) " + mine) != "0"; ++i) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  ASSERT_EQ(*(*admin)->Query("SELECT count(*) " + mine), "0");

  {
    std::vector<Lease> leases;  // all three at once: each must be a working connection
    for (int i = 0; i < 3; ++i) {
      auto lease = (*pool)->Acquire();
      ASSERT_TRUE(lease.ok()) << lease.status();
      leases.push_back(*std::move(lease));
      EXPECT_NO_THROW(leases.back().sql() << "SELECT 1");
    }
  }
  for (int i = 0; i < 6; ++i) {
    CAK_EXPECT_OK(InTransaction(**pool, [](Tx& tx) {
      tx.sql() << "SELECT 1";
      return absl::OkStatus();
    }));
    CAK_EXPECT_OK((*pool)->Ping());
  }
}

// A connection that died on the way looks healthy until it is used. When BEGIN finds it gone,
// nothing of the caller's has run, so the transaction is retried once on a fresh connection.
TEST(PoolTest, ABeginThatFindsTheConnectionGoneIsRetriedOnAFreshOne) {
  auto proxy = ProxyToTheTestDatabase();
  ASSERT_TRUE(proxy);
  PoolOptions o;
  o.conninfo = DsnThrough(*proxy);
  o.size = 1;
  auto pool = PgPool::Create(o);
  ASSERT_TRUE(pool.ok());
  CAK_ASSERT_OK((*pool)->Ping());

  proxy->BreakOnNextSend();
  int ran = 0;
  CAK_EXPECT_OK(InTransaction(**pool, [&](Tx& tx) {
    ++ran;
    tx.sql() << "SELECT 1";
    return absl::OkStatus();
  }));
  EXPECT_EQ(ran, 1);
}

// One connection-level failure ends its generation: a session opened before it is replaced on
// its next use although it looks fine, instead of failing another caller. The failed call
// itself (a statement that may have run) is not retried.
TEST(PoolTest, AConnectionLossReplacesEveryOlderSession) {
  auto proxy = ProxyToTheTestDatabase();
  ASSERT_TRUE(proxy);
  PoolOptions o;
  o.conninfo = DsnThrough(*proxy);
  o.size = 2;
  auto pool = PgPool::Create(o);
  ASSERT_TRUE(pool.ok());
  {
    auto a = (*pool)->Acquire();
    auto b = (*pool)->Acquire();
    ASSERT_TRUE(a.ok() && b.ok());
    a->sql() << "SELECT 1";
    b->sql() << "SELECT 1";
  }

  proxy->BreakOnNextSend();
  EXPECT_THAT(WithSession(**pool,
                          [](soci::session& sql) {
                            sql << "SELECT 1";
                            return absl::OkStatus();
                          }),
              StatusIs(absl::StatusCode::kUnavailable, "DATABASE_UNAVAILABLE", ""));
  auto a = (*pool)->Acquire();
  auto b = (*pool)->Acquire();
  ASSERT_TRUE(a.ok() && b.ok());
  for (Lease* lease : {&*a, &*b}) {
    int one = 0;
    EXPECT_NO_THROW((lease->sql() << "SELECT 1", soci::into(one)));
    EXPECT_EQ(one, 1);
  }
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
