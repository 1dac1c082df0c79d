// The transactional outbox against PostgreSQL: a message exists only when its transaction
// committed, replicas never deliver one message twice at the same time (SKIP LOCKED), messages
// sharing an ordering key go one after the other, retryable failures wait out their backoff,
// refusals end FAILED.
#include "common/db/outbox.h"

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <mutex>
#include <thread>

#include "absl/strings/str_cat.h"
#include "common/db/prepared.h"
#include "common/testing/fake_clock.h"
#include "common/testing/pg_test_env.h"

namespace cak::common::db {
namespace {

class OutboxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto schema = testing::TestSchema::Create("outbox", {{"common", &CommonMigrations()}});
    ASSERT_TRUE(schema.ok()) << schema.status();
    schema_ = *std::move(schema);
    pool_ = *schema_->MakePool(8);
  }

  absl::Status Enqueue(const std::vector<OutboxMessage>& messages, bool commit = true) {
    return InTransaction(*pool_, [&](Tx& tx) -> absl::Status {
      EnqueueOutbox(tx, schema_->name(), messages, clock_.Now());
      return commit ? absl::OkStatus() : absl::AbortedError("rolled back");
    });
  }

  std::vector<OutboxRecord> Read(const std::string& aggregate) {
    std::vector<OutboxRecord> out;
    EXPECT_TRUE(WithSession(*pool_, [&](soci::session& sql) {
                  out = ReadOutbox(sql, schema_->name(), aggregate);
                  return absl::OkStatus();
                }).ok());
    return out;
  }

  OutboxRelay Relay(std::map<std::string, OutboxHandler> handlers, int threads = 0) {
    return OutboxRelay(pool_.get(), &clock_, {schema_->name(), threads, absl::Milliseconds(20), absl::Minutes(5)},
                       std::move(handlers));
  }

  testing::FakeClock clock_;
  std::unique_ptr<testing::TestSchema> schema_;
  std::unique_ptr<PgPool> pool_;
};

// ReadOutbox and a query of many aggregates (OutboxJsonColumn) read the messages through JSON:
// every field comes back as written, text with quotes, newlines and non-ASCII included, a
// missing done time as none, times to the microsecond.
TEST_F(OutboxTest, EveryFieldIsReadBackAsWritten) {
  clock_.Advance(absl::Microseconds(123457));
  const OutboxMessage tricky{"dispatch.CreateDispatchOrder",
                             "agg-1",
                             "key \"1\"",
                             "req-1",
                             "groep \"één\"\nregel 2\t\\",
                             "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"};
  ASSERT_TRUE(
      Enqueue({tricky, {"intake.Mark", "agg-1", "k2", "req-2", "", ""}, {"x", "agg-2", "k", "req-3", "p", ""}}).ok());
  const std::vector<OutboxRecord> records = Read("agg-1");
  ASSERT_EQ(records.size(), 2u);
  const OutboxRecord& r = records[0];
  EXPECT_GT(r.id, 0);
  EXPECT_EQ(r.message.topic, tricky.topic);
  EXPECT_EQ(r.message.aggregate_id, "agg-1");
  EXPECT_EQ(r.message.ordering_key, tricky.ordering_key);
  EXPECT_EQ(r.message.request_id, "req-1");
  EXPECT_EQ(r.message.payload, tricky.payload);
  EXPECT_EQ(r.message.traceparent, tricky.traceparent);
  EXPECT_EQ(r.state, OutboxState::kPending);
  EXPECT_EQ(r.attempts, 0);
  EXPECT_EQ(r.create_time, clock_.Now());
  EXPECT_EQ(r.next_attempt_time, clock_.Now());
  EXPECT_FALSE(r.done_time.has_value());
  EXPECT_EQ(records[1].message.request_id, "req-2");  // enqueue order
  EXPECT_GT(records[1].id, r.id);

  // The same through a query of several aggregates at once, one row each.
  std::map<std::string, std::vector<OutboxRecord>> by_aggregate;
  ASSERT_TRUE(WithSession(*pool_, [&](soci::session& sql) {
                for (const auto& row :
                     ExecutePrepared(sql,
                                     "SELECT a, " + OutboxJsonColumn(schema_->name(), "a") +
                                         " FROM unnest(ARRAY['agg-1', 'agg-2', 'agg-none']) AS a ORDER BY a",
                                     {})) {
                  by_aggregate[*row[0]] = ParseOutboxJson(*row[1]);
                }
                return absl::OkStatus();
              }).ok());
  ASSERT_EQ(by_aggregate.size(), 3u);
  ASSERT_EQ(by_aggregate["agg-1"].size(), 2u);
  EXPECT_EQ(by_aggregate["agg-1"][0].message.payload, tricky.payload);
  EXPECT_EQ(by_aggregate["agg-1"][1].id, records[1].id);
  ASSERT_EQ(by_aggregate["agg-2"].size(), 1u);
  EXPECT_EQ(by_aggregate["agg-2"][0].message.request_id, "req-3");
  EXPECT_TRUE(by_aggregate["agg-none"].empty());
}

TEST_F(OutboxTest, ARolledBackChangeLeavesNoMessage) {
  ASSERT_FALSE(Enqueue({{"t", "a", "k", "r1", "p"}}, /*commit=*/false).ok());
  EXPECT_TRUE(Read("a").empty());
  ASSERT_TRUE(Enqueue({{"t", "a", "k", "r1", "p"}}).ok());
  ASSERT_EQ(Read("a").size(), 1u);
  EXPECT_EQ(Read("a")[0].state, OutboxState::kPending);
}

TEST_F(OutboxTest, RetryableFailuresWaitTheirBackoffRefusalsFail) {
  ASSERT_TRUE(Enqueue({{"t", "a", "k1", "r1", "p1"}, {"t", "a", "k2", "r2", "p2"}}).ok());
  int calls = 0;
  OutboxRelay relay = Relay({{"t", [&](const OutboxRecord& m) -> absl::StatusOr<std::string> {
                                ++calls;
                                if (m.message.request_id == "r2") return absl::InvalidArgumentError("refused");
                                if (m.attempts == 0) return absl::UnavailableError("down");
                                return std::string("done-") + m.message.payload;
                              }}});
  EXPECT_TRUE(*relay.DeliverOne());   // r1: down
  EXPECT_TRUE(*relay.DeliverOne());   // r2: refused
  EXPECT_FALSE(*relay.DeliverOne());  // r1 waits its second
  clock_.Advance(absl::Seconds(1));
  EXPECT_TRUE(*relay.DeliverOne());
  EXPECT_FALSE(*relay.DeliverOne());
  const auto records = Read("a");
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].state, OutboxState::kDone);
  EXPECT_EQ(records[0].result, "done-p1");
  EXPECT_EQ(records[0].attempts, 2);
  EXPECT_EQ(records[1].state, OutboxState::kFailed);
  EXPECT_NE(records[1].last_error.find("refused"), std::string::npos);
  EXPECT_EQ(calls, 3);
}

TEST_F(OutboxTest, AnInternalErrorThatKeepsComingFailsAfterItsAttempts) {
  ASSERT_TRUE(Enqueue({{"t", "a", "k", "r1", ""}}).ok());
  int calls = 0;
  OutboxRelay relay(pool_.get(), &clock_, {schema_->name(), 0, absl::Milliseconds(20), absl::Seconds(1), 3},
                    {{"t", [&](const OutboxRecord&) -> absl::StatusOr<std::string> {
                        ++calls;
                        return absl::InternalError("the payload does not parse");
                      }}});
  for (int i = 0; i < 10; ++i) {
    (void)relay.DeliverOne();
    clock_.Advance(absl::Seconds(2));
  }
  EXPECT_EQ(calls, 3);
  ASSERT_EQ(Read("a").size(), 1u);
  EXPECT_EQ(Read("a")[0].state, OutboxState::kFailed);
  // A person fixed the cause: offered again, due now, with its request id.
  ASSERT_TRUE(InTransaction(*pool_, [&](Tx& tx) {
                EXPECT_EQ(RequeueFailedOutbox(tx, schema_->name(), "a", clock_.Now()), 1);
                return absl::OkStatus();
              }).ok());
  EXPECT_EQ(Read("a")[0].state, OutboxState::kPending);
  EXPECT_EQ(Read("a")[0].message.request_id, "r1");
}

TEST_F(OutboxTest, ALaterMessageWaitsForAnEarlierOneWithTheSameKey) {
  ASSERT_TRUE(Enqueue({{"t", "a", "signal:1", "planned", ""}, {"t", "a", "signal:1", "closed", ""}}).ok());
  std::vector<std::string> order;
  bool down = true;
  OutboxRelay relay = Relay({{"t", [&](const OutboxRecord& m) -> absl::StatusOr<std::string> {
                                order.push_back(m.message.request_id);
                                if (down) return absl::UnavailableError("down");
                                return std::string("ok");
                              }}});
  EXPECT_TRUE(*relay.DeliverOne());
  EXPECT_FALSE(*relay.DeliverOne());  // "closed" must not overtake "planned"
  down = false;
  clock_.Advance(absl::Seconds(2));
  EXPECT_TRUE(*relay.DeliverOne());
  EXPECT_TRUE(*relay.DeliverOne());
  EXPECT_EQ(order, (std::vector<std::string>{"planned", "planned", "closed"}));
}

TEST_F(OutboxTest, ReplicasDeliverEveryMessageExactlyOnce) {
  std::vector<OutboxMessage> messages;
  for (int i = 0; i < 60; ++i) {
    messages.push_back({"t", absl::StrCat("c", i % 6), absl::StrCat("k", i), absl::StrCat("r", i), ""});
  }
  ASSERT_TRUE(Enqueue(messages).ok());
  std::mutex mu;
  std::map<std::string, int> delivered;
  auto handler = [&](const OutboxRecord& m) -> absl::StatusOr<std::string> {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));  // a remote call takes a while
    std::lock_guard<std::mutex> lock(mu);
    ++delivered[m.message.request_id];
    return std::string("ok");
  };
  {
    // Two "replicas" with two workers each, all on the same table.
    OutboxRelay a = Relay({{"t", handler}}, 2);
    OutboxRelay b = Relay({{"t", handler}}, 2);
    a.Start();
    b.Start();
    for (int i = 0; i < 500 && a.delivered() + b.delivered() < 60; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    a.Stop();
    b.Stop();
    EXPECT_GT(a.delivered(), 0);
    EXPECT_GT(b.delivered(), 0);
  }
  ASSERT_EQ(delivered.size(), 60u);
  for (const auto& [id, n] : delivered) EXPECT_EQ(n, 1) << id;
}

// The remote call runs without a database connection: with a pool of one connection, the
// handler itself can still use the database (campaign-svc's handlers read the campaign), and a
// second delivery meanwhile finds the leased message not due.
TEST_F(OutboxTest, TheRemoteCallHoldsNoDatabaseConnection) {
  std::unique_ptr<PgPool> one = *schema_->MakePool(1);
  ASSERT_TRUE(Enqueue({{"t", "a", "k", "r1", "p"}}).ok());
  bool inside_ok = false;
  OutboxRelay* self = nullptr;
  OutboxRelay relay(one.get(), &clock_, {schema_->name(), 0, absl::Milliseconds(20), absl::Minutes(5)},
                    {{"t", [&](const OutboxRecord& m) -> absl::StatusOr<std::string> {
                        absl::Status read = WithSession(*one, [&](soci::session& sql) {
                          inside_ok = ReadOutbox(sql, schema_->name(), "a").size() == 1;
                          return absl::OkStatus();
                        });
                        EXPECT_TRUE(read.ok()) << read;
                        absl::StatusOr<bool> again = self->DeliverOne();
                        EXPECT_TRUE(again.ok()) << again.status();
                        EXPECT_FALSE(again.ok() && *again);  // leased: not due for anyone else
                        return std::string("done-") + m.message.payload;
                      }}});
  self = &relay;
  ASSERT_TRUE(*relay.DeliverOne());
  EXPECT_TRUE(inside_ok);
  const auto records = Read("a");
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].state, OutboxState::kDone);
  EXPECT_EQ(records[0].result, "done-p");
  EXPECT_EQ(records[0].attempts, 1);
}

// A delivery that outlives its lease: another takes the message over and settles it; the late
// one's result is dropped (the receiver saw the same request_id twice and answered it once).
TEST_F(OutboxTest, ADeliveryThatOutlivesItsLeaseLeavesTheMessageToItsSuccessor) {
  ASSERT_TRUE(Enqueue({{"t", "a", "k", "r1", ""}}).ok());
  int calls = 0;
  OutboxRelay* self = nullptr;
  OutboxRelayOptions options{schema_->name(), 0, absl::Milliseconds(20), absl::Minutes(5)};
  options.lease = absl::Seconds(30);
  OutboxRelay relay(pool_.get(), &clock_, options, {{"t", [&](const OutboxRecord& m) -> absl::StatusOr<std::string> {
                                                       const int call = ++calls;
                                                       if (call == 1) {
                                                         clock_.Advance(absl::Seconds(31));  // the lease ran out
                                                         EXPECT_TRUE(*self->DeliverOne());   // taken over, settled
                                                         EXPECT_EQ(m.attempts, 0);
                                                         return std::string("late");
                                                       }
                                                       EXPECT_EQ(m.attempts, 1);
                                                       return std::string("successor");
                                                     }}});
  self = &relay;
  EXPECT_TRUE(*relay.DeliverOne());
  EXPECT_EQ(calls, 2);
  EXPECT_EQ(relay.delivered(), 1);
  const auto records = Read("a");
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].state, OutboxState::kDone);
  EXPECT_EQ(records[0].result, "successor");
  EXPECT_EQ(records[0].attempts, 2);
  EXPECT_FALSE(*relay.DeliverOne());
}

// A replica that died mid-call (claimed, never settled): the message is due again once the
// lease has run out, not before.
TEST_F(OutboxTest, AnAbandonedClaimIsDeliveredAgainWhenItsLeaseRunsOut) {
  ASSERT_TRUE(Enqueue({{"t", "a", "k", "r1", ""}}).ok());
  OutboxRelayOptions options{schema_->name(), 0, absl::Milliseconds(20), absl::Minutes(5)};
  options.lease = absl::Seconds(30);
  std::vector<int> seen;
  OutboxRelay* self = nullptr;
  bool crash = true;
  OutboxRelay relay(pool_.get(), &clock_, options, {{"t", [&](const OutboxRecord& m) -> absl::StatusOr<std::string> {
                                                       seen.push_back(m.attempts);
                                                       if (!crash) return std::string("ok");
                                                       crash = false;
                                                       // The "dead" replica's call never returns
                                                       // in time: meanwhile others look.
                                                       clock_.Advance(absl::Seconds(29));
                                                       EXPECT_FALSE(*self->DeliverOne());
                                                       clock_.Advance(absl::Seconds(1));
                                                       EXPECT_TRUE(*self->DeliverOne());
                                                       return absl::UnavailableError("too late anyway");
                                                     }}});
  self = &relay;
  EXPECT_TRUE(*relay.DeliverOne());
  EXPECT_EQ(seen, (std::vector<int>{0, 1}));
  const auto records = Read("a");
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].state, OutboxState::kDone);  // the late error did not undo it
  EXPECT_TRUE(records[0].last_error.empty());
}

}  // namespace
}  // namespace cak::common::db
