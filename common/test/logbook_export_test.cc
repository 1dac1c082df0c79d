// The processing log's export to the Logboek Dataverwerkingen against PostgreSQL: every entry
// and every subject row once, in transaction order, never skipping a transaction that commits
// late; the cursor moves only past what the logbook accepted; one replica exports at a time;
// the retention purge keeps what the logbook has not accepted.
#include "common/db/logbook_export.h"

#include <gtest/gtest.h>

#include <functional>
#include <set>

#include "absl/strings/str_cat.h"
#include "common/base/synthetic.h"
#include "common/db/processing_log_store.h"
#include "common/testing/pg_test_env.h"

namespace cak::common::db {
namespace {

// Collects what it is given; can be told to refuse, or to run something while "sending".
class FakeLogbook : public LogbookSink {
 public:
  absl::Status Export(const std::vector<LogbookOperation>& operations) override {
    ++calls;
    if (during_export) during_export();
    if (refuse_after >= 0 && accepted_batches >= refuse_after) return absl::UnavailableError("logbook down");
    ++accepted_batches;
    received.insert(received.end(), operations.begin(), operations.end());
    return absl::OkStatus();
  }
  std::vector<LogbookOperation> received;
  int calls = 0, accepted_batches = 0;
  int refuse_after = -1;  // refuse every batch after this many accepted ones (-1: never)
  std::function<void()> during_export;
};

std::string Attr(const LogbookOperation& op, const std::string& key) {
  for (const auto& [k, v] : op.attributes) {
    if (k == key) return v;
  }
  return "";
}

class LogbookExportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto schema = testing::TestSchema::Create("ldvexp", {{"common", &CommonMigrations()}});
    ASSERT_TRUE(schema.ok()) << schema.status();
    schema_ = *std::move(schema);
    pool_ = *schema_->MakePool(4);
    store_ = std::make_unique<ProcessingLogStore>(schema_->name(), "test-svc",
                                                  *DataSubjectHasher::Create(std::string(32, 'k')));
  }

  LogbookExportOptions Options(int batch_size = 1000) {
    LogbookExportOptions o;
    o.schema = schema_->name();
    o.logbook = "logbook.test:443";
    o.batch_size = batch_size;
    return o;
  }

  CallContext Call(absl::Time start) {
    CallContext c;
    c.trace = TraceContext::NewRoot();
    c.principal = Principal{"emp-1", PrincipalKind::kEmployee, {}};
    c.start_time = start;
    return c;
  }

  // One processing with `subjects` data subjects (child entries), committed.
  void Processing(const std::string& name, int subjects, absl::Time when = absl::FromUnixSeconds(1'800'000'000)) {
    ProcessingRecord r = MakeRecord(name, ProcessingActivity::kBeoordelenGebeurtenis, when + absl::Seconds(1));
    r.data_subjects = SyntheticBsns(++seed_, subjects);
    r.attributes = {{"group", "g1"}};
    ASSERT_TRUE(InTransaction(*pool_, [&](Tx& tx) {
                  store_->Append(tx, Call(when), r);
                  return absl::OkStatus();
                }).ok());
  }

  // A bulk disclosure: the operation entry, then `subjects` narrow subject rows in a second
  // transaction (as analysis-svc streams recipient lists).
  int64_t Disclosure(int subjects, absl::Time when = absl::FromUnixSeconds(1'800'000'000)) {
    ProcessingRecord r = MakeRecord("test.Disclose", ProcessingActivity::kUitvoerenActie, when + absl::Seconds(1));
    int64_t entry = 0;
    EXPECT_TRUE(InTransaction(*pool_, [&](Tx& tx) {
                  entry = store_->AppendOperation(tx, Call(when), r);
                  return absl::OkStatus();
                }).ok());
    EXPECT_TRUE(WithSession(*pool_, [&](soci::session& sql) {
                  store_->AppendSubjects(sql, entry, SyntheticBsns(++seed_, subjects));
                  return absl::OkStatus();
                }).ok());
    return entry;
  }

  // Waits (at most 30 s) until every row written so far is final for the exporter: older than
  // the oldest transaction still running anywhere in the cluster (tests running in parallel
  // hold that back for a moment).
  void AwaitFinal() {
    const std::string s = schema_->name();
    for (int i = 0; i < 1500; ++i) {
      auto final = schema_->Query("SELECT " + s + ".export_horizon() > greatest((SELECT max(tx) FROM " + s +
                                  ".processing_log), (SELECT max(tx) FROM " + s + ".processing_log_all_subjects), 0)");
      if (final.ok() && *final == "t") return;
      absl::SleepFor(absl::Milliseconds(20));
    }
    ADD_FAILURE() << "the export horizon did not pass the test's rows";
  }

  int64_t Rows() {
    const std::string s = schema_->name();
    return std::stoll(*schema_->Query("SELECT (SELECT count(*) FROM " + s +
                                      ".processing_log) + (SELECT count(*) FROM " + s +
                                      ".processing_log_all_subjects)"));
  }

  std::unique_ptr<testing::TestSchema> schema_;
  std::unique_ptr<PgPool> pool_;
  std::unique_ptr<ProcessingLogStore> store_;
  uint64_t seed_ = 0;
};

TEST_F(LogbookExportTest, EveryEntryAndEverySubjectOnceInOrder) {
  Processing("test.First", 2);
  Disclosure(5);
  Processing("test.Last", 0);
  FakeLogbook logbook;
  LogbookExporter exporter(pool_.get(), &logbook, Options(3));
  ASSERT_TRUE(exporter.EnsureCursor().ok());
  AwaitFinal();
  auto n = exporter.ExportRound();
  ASSERT_TRUE(n.ok()) << n.status();
  // 3 + 1 + 5 + 1 operations, in batches of at most 3.
  EXPECT_EQ(*n, 10);
  EXPECT_EQ(*n, Rows());
  ASSERT_EQ(logbook.received.size(), 10u);
  EXPECT_EQ(logbook.calls, 4);
  std::set<std::string> ids;
  for (const auto& op : logbook.received) {
    EXPECT_EQ(op.trace_id.size(), 16u);
    EXPECT_EQ(op.operation_id.size(), 8u);
    EXPECT_TRUE(ids.insert(op.trace_id + op.operation_id).second) << "operation sent twice";
    EXPECT_NE(Attr(op, kAttrProcessingActivity), "");
  }
  // In order of the transactions; each subject under its operation, one subject a record.
  EXPECT_EQ(logbook.received[0].name, "test.First");
  EXPECT_TRUE(logbook.received[0].parent_operation_id.empty());
  EXPECT_EQ(Attr(logbook.received[0], kAttrDataSubjectId), "");
  EXPECT_EQ(Attr(logbook.received[0], "cak.group"), "g1");
  EXPECT_EQ(Attr(logbook.received[0], "cak.actor"), "emp-1");
  for (int i : {1, 2}) {
    EXPECT_EQ(logbook.received[i].parent_operation_id, logbook.received[0].operation_id);
    EXPECT_EQ(Attr(logbook.received[i], kAttrDataSubjectId).size(), 64u);
    EXPECT_EQ(Attr(logbook.received[i], kAttrDataSubjectIdType), "BSN");
  }
  const LogbookOperation& disclosure = logbook.received[3];
  EXPECT_EQ(disclosure.name, "test.Disclose");
  for (int i = 4; i < 9; ++i) {
    EXPECT_EQ(logbook.received[i].name, "test.Disclose");
    EXPECT_EQ(logbook.received[i].trace_id, disclosure.trace_id);
    EXPECT_EQ(logbook.received[i].parent_operation_id, disclosure.operation_id);
    EXPECT_EQ(Attr(logbook.received[i], kAttrDataSubjectId).size(), 64u);
  }
  EXPECT_EQ(logbook.received[9].name, "test.Last");

  // Nothing twice: the next round finds nothing, and so does a new exporter (a restart).
  EXPECT_EQ(*exporter.ExportRound(), 0);
  LogbookExporter restarted(pool_.get(), &logbook, Options());
  EXPECT_EQ(*restarted.ExportRound(), 0);
  EXPECT_EQ(logbook.received.size(), 10u);
  ASSERT_TRUE(exporter.RefreshStats().ok());
  EXPECT_EQ(exporter.stats().pending, 0);
  EXPECT_EQ(exporter.stats().operations, 10);
}

TEST_F(LogbookExportTest, SubjectsByReferenceAreOperationsOfTheReferencingEntry) {
  const int64_t disclosure = Disclosure(3);
  // A measurement of the disclosed subjects: one reference, and one subject of its own.
  ProcessingRecord r =
      MakeRecord("test.Measure", ProcessingActivity::kResponsmeting, absl::FromUnixSeconds(1'800'000'100));
  r.data_subjects = SyntheticBsns(++seed_, 1);
  r.data_subjects_of_entries = {disclosure};
  ASSERT_TRUE(InTransaction(*pool_, [&](Tx& tx) {
                store_->AppendWithSubjectRows(tx, Call(absl::FromUnixSeconds(1'800'000'099)), r);
                return absl::OkStatus();
              }).ok());
  FakeLogbook logbook;
  LogbookExporter exporter(pool_.get(), &logbook, Options(2));
  ASSERT_TRUE(exporter.EnsureCursor().ok());
  AwaitFinal();
  ASSERT_EQ(*exporter.ExportRound(), 9);  // 1 + 3, then 1 + 1 + 3
  EXPECT_EQ(Rows(), 9);
  ASSERT_EQ(logbook.received.size(), 9u);
  std::set<std::string> ids, disclosed, measured;
  for (const auto& op : logbook.received) EXPECT_TRUE(ids.insert(op.operation_id).second) << "operation sent twice";
  for (int i = 1; i <= 3; ++i) disclosed.insert(Attr(logbook.received[i], kAttrDataSubjectId));
  const LogbookOperation& measurement = logbook.received[4];
  EXPECT_EQ(measurement.name, "test.Measure");
  for (int i = 5; i < 9; ++i) {
    EXPECT_EQ(logbook.received[i].name, "test.Measure");
    EXPECT_EQ(logbook.received[i].parent_operation_id, measurement.operation_id);
    EXPECT_EQ(Attr(logbook.received[i], kAttrDataSubjectIdType), "BSN");
    measured.insert(Attr(logbook.received[i], kAttrDataSubjectId));
  }
  // Every disclosed subject is a subject of the measurement too, plus its own one.
  EXPECT_EQ(measured.size(), 4u);
  for (const std::string& id : disclosed) EXPECT_EQ(measured.count(id), 1u) << id;
  ASSERT_TRUE(exporter.RefreshStats().ok());
  EXPECT_EQ(exporter.stats().pending, 0);
}

TEST_F(LogbookExportTest, SubjectOperationIdsAreTheSameWhenSentAgain) {
  Disclosure(3);
  FakeLogbook first, second;
  LogbookExporter a(pool_.get(), &first, Options());
  ASSERT_TRUE(a.EnsureCursor().ok());
  AwaitFinal();
  ASSERT_EQ(*a.ExportRound(), 4);
  // Forget the cursor: everything goes again, with the same ids (the logbook's dedup key).
  ASSERT_TRUE(schema_->Query("UPDATE " + schema_->name() + ".processing_log_export SET exported_tx = -1").ok());
  ASSERT_EQ(*a.ExportRound(), 4);
  ASSERT_EQ(first.received.size(), 8u);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(first.received[i].operation_id, first.received[i + 4].operation_id);
}

TEST_F(LogbookExportTest, ATransactionThatCommitsLateIsNotSkipped) {
  FakeLogbook logbook;
  LogbookExporter exporter(pool_.get(), &logbook, Options());
  ASSERT_TRUE(exporter.EnsureCursor().ok());
  Processing("test.Before", 0);

  // A transaction takes its xid (writes an entry) and stays open ...
  auto lease = pool_->Acquire();
  ASSERT_TRUE(lease.ok());
  auto open = std::make_unique<Tx>(lease->sql());
  ProcessingRecord late =
      MakeRecord("test.Late", ProcessingActivity::kBeoordelenGebeurtenis, absl::FromUnixSeconds(1'800'000'001));
  store_->Append(*open, Call(absl::FromUnixSeconds(1'800'000'000)), late);
  // ... while a later one commits.
  Processing("test.After", 0);

  // Only what is older than the open transaction goes.
  for (int i = 0; i < 500 && logbook.received.empty(); ++i) {
    ASSERT_TRUE(exporter.ExportRound().ok());
    if (logbook.received.empty()) absl::SleepFor(absl::Milliseconds(20));
  }
  ASSERT_EQ(logbook.received.size(), 1u);
  EXPECT_EQ(logbook.received.back().name, "test.Before");
  open->Commit();
  open.reset();
  AwaitFinal();
  ASSERT_EQ(*exporter.ExportRound(), 2);
  ASSERT_EQ(logbook.received.size(), 3u);
  EXPECT_EQ(logbook.received[1].name, "test.Late");
  EXPECT_EQ(logbook.received[2].name, "test.After");
}

TEST_F(LogbookExportTest, AnOlderTransactionThatWritesItsEntryLastIsNotSkipped) {
  FakeLogbook logbook;
  LogbookExporter exporter(pool_.get(), &logbook, Options());
  ASSERT_TRUE(exporter.EnsureCursor().ok());
  // The first transaction takes its xid early (another write) and writes its entry last: its
  // entry gets the higher id, but it must still go, after the younger transaction's.
  auto lease = pool_->Acquire();
  ASSERT_TRUE(lease.ok());
  auto older = std::make_unique<Tx>(lease->sql());
  older->sql() << "SELECT pg_current_xact_id()";
  Processing("test.Younger", 0);
  ASSERT_EQ(*exporter.ExportRound(), 0);  // the older one is still open
  store_->Append(
      *older, Call(absl::FromUnixSeconds(1'800'000'000)),
      MakeRecord("test.Older", ProcessingActivity::kBeoordelenGebeurtenis, absl::FromUnixSeconds(1'800'000'001)));
  older->Commit();
  older.reset();
  AwaitFinal();
  ASSERT_EQ(*exporter.ExportRound(), 2);
  ASSERT_EQ(logbook.received.size(), 2u);
  EXPECT_EQ(logbook.received[0].name, "test.Older");  // transaction order
  EXPECT_EQ(logbook.received[1].name, "test.Younger");
}

TEST_F(LogbookExportTest, WhileTheLogbookIsDownTheCursorStaysAtWhatItAccepted) {
  for (int i = 0; i < 5; ++i) Processing(absl::StrCat("test.P", i), 1);  // 2 operations each
  FakeLogbook logbook;
  logbook.refuse_after = 2;
  LogbookExporter exporter(pool_.get(), &logbook, Options(2));
  ASSERT_TRUE(exporter.EnsureCursor().ok());
  AwaitFinal();
  auto first = exporter.ExportRound();
  EXPECT_EQ(first.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(logbook.received.size(), 4u);  // two batches accepted, the third refused
  // Still down: nothing new, the cursor holds.
  EXPECT_FALSE(exporter.ExportRound().ok());
  EXPECT_EQ(logbook.received.size(), 4u);
  ASSERT_TRUE(exporter.RefreshStats().ok());
  EXPECT_EQ(exporter.stats().pending, 6);
  // Back: the rest, each once.
  logbook.refuse_after = -1;
  ASSERT_EQ(*exporter.ExportRound(), 6);
  std::set<std::string> ids;
  for (const auto& op : logbook.received) EXPECT_TRUE(ids.insert(op.operation_id).second);
  EXPECT_EQ(ids.size(), 10u);
  EXPECT_EQ(logbook.received.back().name, "test.P4");
}

TEST_F(LogbookExportTest, OneReplicaExportsAtATime) {
  Processing("test.One", 0);
  FakeLogbook a_logbook, b_logbook;
  LogbookExporter a(pool_.get(), &a_logbook, Options());
  LogbookExporter b(pool_.get(), &b_logbook, Options());
  ASSERT_TRUE(a.EnsureCursor().ok());
  ASSERT_TRUE(b.EnsureCursor().ok());
  absl::StatusOr<int64_t> b_round = -1;
  a_logbook.during_export = [&] { b_round = b.ExportRound(); };  // b runs while a holds the round
  AwaitFinal();
  ASSERT_EQ(*a.ExportRound(), 1);
  ASSERT_TRUE(b_round.ok()) << b_round.status();
  EXPECT_EQ(*b_round, 0);
  EXPECT_TRUE(b_logbook.received.empty());
  EXPECT_EQ(*b.ExportRound(), 0);  // and afterwards there is nothing left for it
}

TEST_F(LogbookExportTest, ARoundEndsAtATransactionBoundaryPastItsSize) {
  for (int i = 0; i < 4; ++i) Processing(absl::StrCat("test.P", i), 2);  // 3 operations each
  FakeLogbook logbook;
  LogbookExportOptions options = Options(2);
  options.round_operations = 4;
  LogbookExporter exporter(pool_.get(), &logbook, options);
  ASSERT_TRUE(exporter.EnsureCursor().ok());
  AwaitFinal();
  EXPECT_EQ(*exporter.ExportRound(), 6);  // two whole transactions
  EXPECT_EQ(*exporter.ExportRound(), 6);
  EXPECT_EQ(*exporter.ExportRound(), 0);
  EXPECT_EQ(logbook.received.size(), 12u);
}

TEST_F(LogbookExportTest, ThePurgeKeepsWhatTheLogbookHasNotAccepted) {
  const absl::Time old = absl::Now() - absl::Hours(24 * 800);
  Processing("test.Old", 2, old);
  Disclosure(3, old);
  const absl::Time cutoff = absl::Now() - absl::Hours(24 * 700);
  FakeLogbook logbook;
  logbook.refuse_after = 0;
  LogbookExporter exporter(pool_.get(), &logbook, Options());
  // A dry run (--purge --dry-run) counts what the purge would remove and keep, writing nothing.
  const auto dry_run = [&] {
    auto count = CountProcessingLogPurge(*pool_, *store_, cutoff);
    EXPECT_TRUE(count.ok()) << count.status();
    return count.ok() ? std::make_pair(count->removable, count->held_for_logbook) : std::make_pair(-1L, -1L);
  };
  EXPECT_EQ(dry_run(), std::make_pair(4L, 0L));  // no export yet: everything expired may go
  ASSERT_TRUE(exporter.EnsureCursor().ok());     // export is on: from now on the purge waits for it
  EXPECT_EQ(dry_run(), std::make_pair(0L, 4L));
  EXPECT_EQ(*PurgeProcessingLog(*pool_, *store_, cutoff), 0);
  EXPECT_EQ(Rows(), 7);
  AwaitFinal();
  EXPECT_FALSE(exporter.ExportRound().ok());
  EXPECT_EQ(*PurgeProcessingLog(*pool_, *store_, cutoff), 0);
  logbook.refuse_after = -1;
  ASSERT_EQ(*exporter.ExportRound(), 7);
  EXPECT_EQ(dry_run(), std::make_pair(4L, 0L));
  EXPECT_EQ(Rows(), 7);                                        // the dry runs removed nothing
  EXPECT_EQ(*PurgeProcessingLog(*pool_, *store_, cutoff), 4);  // the 4 entries, with their 3 subject rows
  EXPECT_EQ(Rows(), 0);
  EXPECT_EQ(dry_run(), std::make_pair(0L, 0L));
  // A cutoff inside the retention floor is refused by the dry run as by the purge.
  EXPECT_FALSE(CountProcessingLogPurge(*pool_, *store_, absl::Now()).ok());
  EXPECT_FALSE(PurgeProcessingLog(*pool_, *store_, absl::Now()).ok());
}

}  // namespace
}  // namespace cak::common::db
