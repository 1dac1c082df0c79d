// The processing log in PostgreSQL: one operation entry plus one child per data subject,
// hashed ids only, append-only even for the owner, readable by subject and trace.
#include "common/db/processing_log_store.h"

#include <gtest/gtest.h>

#include "common/testing/pg_test_env.h"
#include "common/testing/status_matchers.h"

namespace cak::common::db {
namespace {

class ProcessingLogStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto schema = testing::TestSchema::Create("plog", {{"common", &CommonMigrations()}});
    ASSERT_TRUE(schema.ok()) << schema.status();
    schema_ = *std::move(schema);
    pool_ = *schema_->MakePool(2);
    store_ = std::make_unique<ProcessingLogStore>(schema_->name(), "test-svc",
                                                  *DataSubjectHasher::Create(std::string(32, 'k')),
                                                  [this](int64_t n) { committed_ += n; });
  }
  CallContext Call() {
    CallContext c;
    c.trace = TraceContext::FromIncoming("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
    c.principal = Principal{"campaign-svc", PrincipalKind::kApplication, {}};
    c.start_time = absl::FromUnixSeconds(1'800'000'000);
    return c;
  }
  std::unique_ptr<testing::TestSchema> schema_;
  std::unique_ptr<PgPool> pool_;
  std::unique_ptr<ProcessingLogStore> store_;
  int64_t committed_ = 0;
};

TEST_F(ProcessingLogStoreTest, WritesAnOperationEntryAndOneChildPerSubject) {
  ProcessingRecord r;
  r.name = "test.Do";
  r.activity = ProcessingActivity::kMeldingOntvangen;
  r.end_time = absl::FromUnixSeconds(1'800'000'001);
  r.data_subjects = {*Bsn::Parse("111222333"), *Bsn::Parse("123456782")};
  r.attributes["signal"] = "signals/x";
  const CallContext call = Call();
  CAK_ASSERT_OK(InTransaction(*pool_, [&](Tx& tx) {
    store_->Append(tx, call, r);
    return absl::OkStatus();
  }));
  EXPECT_EQ(committed_, 3);

  auto lease = pool_->Acquire();
  auto by_trace = store_->ListByTrace(lease->sql(), call.trace.TraceIdHex(), 0, 100);
  ASSERT_EQ(by_trace.size(), 3u);
  const auto& op = by_trace[0];
  EXPECT_EQ(op.span_id, call.trace.SpanIdHex());
  EXPECT_EQ(op.parent_span_id, "b7ad6b7169203331");
  EXPECT_EQ(op.foreign_operation_span_id, "b7ad6b7169203331");
  EXPECT_EQ(op.foreign_operation_processor, "campaign-svc");
  EXPECT_EQ(op.data_subject_id, "");
  EXPECT_EQ(op.processing_activity_id, "https://register.cak.nl/verwerkingsregister/M7624#1-melding-ontvangen");
  EXPECT_EQ(op.attributes.at("signal"), "signals/x");
  for (int i = 1; i <= 2; ++i) {
    EXPECT_EQ(by_trace[i].parent_span_id, call.trace.SpanIdHex());
    EXPECT_EQ(by_trace[i].data_subject_id_type, "BSN");
    EXPECT_EQ(by_trace[i].data_subject_id.size(), 64u);
  }
  auto by_subject = store_->ListBySubject(lease->sql(), *Bsn::Parse("123456782"), 0, 100);
  ASSERT_EQ(by_subject.size(), 1u);
  EXPECT_EQ(by_subject[0].data_subject_id, store_->hasher().Hash(*Bsn::Parse("123456782")));
  // The plain BSN is stored nowhere in the log.
  EXPECT_EQ(*schema_->Query("SELECT count(*) FROM " + schema_->name() +
                            ".processing_log WHERE row_to_json(processing_log)::text LIKE '%123456782%'"),
            "0");
}

TEST_F(ProcessingLogStoreTest, EntriesCannotBeChangedOrDeletedWhileYoung) {
  ProcessingRecord r;
  r.name = "test.Do";
  r.end_time = absl::Now();
  CallContext call = Call();
  call.start_time = absl::Now();
  CAK_ASSERT_OK(InTransaction(*pool_, [&](Tx& tx) {
    store_->Append(tx, call, r);
    return absl::OkStatus();
  }));
  const std::string t = schema_->name() + ".processing_log";
  EXPECT_FALSE(schema_->Query("UPDATE " + t + " SET name = 'x'").ok());
  EXPECT_FALSE(schema_->Query("DELETE FROM " + t).ok());
  EXPECT_FALSE(schema_->Query("TRUNCATE " + t).ok());
  EXPECT_EQ(*schema_->Query("SELECT count(*) FROM " + t), "1");
  // The purge function refuses a cutoff inside the retention floor.
  absl::Status st = InTransaction(*pool_, [&](Tx& tx) {
    store_->PurgeBefore(tx, absl::Now());
    return absl::OkStatus();
  });
  EXPECT_FALSE(st.ok());
}

TEST_F(ProcessingLogStoreTest, PurgeRemovesOnlyExpiredEntries) {
  ProcessingRecord old_record;
  old_record.name = "test.Old";
  old_record.end_time = absl::Now() - absl::Hours(24 * 800);
  CallContext old_call = Call();
  old_call.start_time = old_record.end_time;
  ProcessingRecord fresh = old_record;
  fresh.name = "test.Fresh";
  fresh.end_time = absl::Now();
  CAK_ASSERT_OK(InTransaction(*pool_, [&](Tx& tx) {
    store_->Append(tx, old_call, old_record);
    store_->Append(tx, old_call, fresh);
    return absl::OkStatus();
  }));
  int64_t removed = 0;
  CAK_ASSERT_OK(InTransaction(*pool_, [&](Tx& tx) {
    removed = store_->PurgeBefore(tx, absl::Now() - absl::Hours(24 * 400));
    return absl::OkStatus();
  }));
  EXPECT_EQ(removed, 1);
  EXPECT_EQ(*schema_->Query("SELECT string_agg(name, ',') FROM " + schema_->name() + ".processing_log"), "test.Fresh");
}

TEST_F(ProcessingLogStoreTest, BulkDisclosureSubjectsAreFoundPerSubjectAndStayAppendOnly) {
  ProcessingRecord single;
  single.name = "test.Single";
  single.end_time = absl::FromUnixSeconds(1'800'000'001);
  single.data_subjects = {*Bsn::Parse("111222333")};
  CallContext first = Call();
  first.trace = TraceContext::NewRoot();
  CAK_ASSERT_OK(InTransaction(*pool_, [&](Tx& tx) {
    store_->Append(tx, first, single);
    return absl::OkStatus();
  }));

  ProcessingRecord bulk;
  bulk.name = "test.Stream";
  bulk.activity = ProcessingActivity::kUitvoerenActie;
  bulk.end_time = absl::FromUnixSeconds(1'800'000'002);
  bulk.attributes["list"] = "l-1";
  bulk.data_subjects = {*Bsn::Parse("100000009")};  // not written: subjects come in chunks
  const CallContext call = Call();
  int64_t entry = 0;
  CAK_ASSERT_OK(InTransaction(*pool_, [&](Tx& tx) {
    entry = store_->AppendOperation(tx, call, bulk);
    return absl::OkStatus();
  }));
  ASSERT_GT(entry, 0);
  {
    auto lease = pool_->Acquire();
    store_->AppendSubjects(lease->sql(), entry, {*Bsn::Parse("111222333"), *Bsn::Parse("123456782")});
    store_->AppendSubjects(lease->sql(), entry, {*Bsn::Parse("010000008")});
  }
  auto lease = pool_->Acquire();
  auto entries = store_->ListBySubject(lease->sql(), *Bsn::Parse("111222333"), 0, 100);
  ASSERT_EQ(entries.size(), 2u);  // its own entry and the disclosure, oldest first
  EXPECT_EQ(entries[0].name, "test.Single");
  EXPECT_EQ(entries[1].name, "test.Stream");
  EXPECT_EQ(entries[1].id, entry);
  EXPECT_EQ(entries[1].data_subject_id, store_->hasher().Hash(*Bsn::Parse("111222333")));
  EXPECT_EQ(entries[1].data_subject_id_type, "BSN");
  EXPECT_EQ(entries[1].attributes.at("list"), "l-1");
  EXPECT_EQ(entries[1].processing_activity_id, "https://register.cak.nl/verwerkingsregister/M7624#8-uitvoeren-actie");
  // Paging continues after the last id seen.
  EXPECT_EQ(store_->ListBySubject(lease->sql(), *Bsn::Parse("111222333"), entries[0].id, 1).at(0).id, entry);
  EXPECT_EQ(store_->ListBySubject(lease->sql(), *Bsn::Parse("010000008"), 0, 100).size(), 1u);
  EXPECT_TRUE(store_->ListBySubject(lease->sql(), *Bsn::Parse("100000009"), 0, 100).empty());
  // Listed by trace, the operation says how many subject rows it has.
  for (const auto& e : store_->ListByTrace(lease->sql(), call.trace.TraceIdHex(), 0, 100)) {
    EXPECT_EQ(e.subject_rows, e.id == entry ? 3 : 0) << e.name;
  }
  // Nobody changes them, not even the owner.
  EXPECT_FALSE(schema_->Query("UPDATE " + schema_->name() + ".processing_log_subjects SET entry_id = 0").ok());
  EXPECT_FALSE(schema_->Query("TRUNCATE " + schema_->name() + ".processing_log_subjects").ok());
}

// A batched write (SubmitSignal's): each processing's entry once, its subjects as subject rows
// under it, each found by subject; two records of one call are still told apart.
TEST_F(ProcessingLogStoreTest, BatchedProcessingsKeepTheirSubjectsAsSubjectRows) {
  auto record = [](const std::string& name, std::vector<Bsn> subjects) {
    ProcessingRecord r = MakeRecord(name, ProcessingActivity::kMeldingOntvangen, absl::FromUnixSeconds(1'800'000'001));
    r.data_subjects = std::move(subjects);
    return r;
  };
  CallContext one = Call(), two = Call(), three = Call();
  two.trace = TraceContext::NewRoot();
  three.trace = TraceContext::NewRoot();
  const ProcessingRecord a = record("test.A", {*Bsn::Parse("111222333"), *Bsn::Parse("123456782")});
  const ProcessingRecord b = record("test.B", {*Bsn::Parse("111222333")});
  const ProcessingRecord c = record("test.C", {});
  CAK_ASSERT_OK(InTransaction(*pool_, [&](Tx& tx) {
    store_->AppendAllWithSubjectRows(tx, {{&one, &a}, {&two, &b}, {&three, &c}});
    return absl::OkStatus();
  }));
  EXPECT_EQ(committed_, 6);  // three entries, three subject rows
  EXPECT_EQ(*schema_->Query("SELECT count(*) FROM " + schema_->name() + ".processing_log"), "3");
  auto lease = pool_->Acquire();
  const auto by_trace = store_->ListByTrace(lease->sql(), one.trace.TraceIdHex(), 0, 100);
  ASSERT_EQ(by_trace.size(), 1u);
  EXPECT_EQ(by_trace[0].subject_rows, 2);
  const auto named = store_->ListBySubject(lease->sql(), *Bsn::Parse("111222333"), 0, 100);
  ASSERT_EQ(named.size(), 2u);
  EXPECT_EQ(named[0].name, "test.A");
  EXPECT_EQ(named[1].name, "test.B");
  EXPECT_EQ(named[1].data_subject_id, store_->hasher().Hash(*Bsn::Parse("111222333")));
  ASSERT_EQ(store_->ListBySubject(lease->sql(), *Bsn::Parse("123456782"), 0, 100).size(), 1u);

  // Two records of one call: written one by one, each with its own subjects.
  CallContext four = Call();
  four.trace = TraceContext::NewRoot();
  const ProcessingRecord d = record("test.D", {*Bsn::Parse("010000008")});
  const ProcessingRecord e = record("test.E", {*Bsn::Parse("100000009")});
  CAK_ASSERT_OK(InTransaction(*pool_, [&](Tx& tx) {
    store_->AppendAllWithSubjectRows(tx, {{&four, &d}, {&four, &e}});
    return absl::OkStatus();
  }));
  EXPECT_EQ(store_->ListBySubject(lease->sql(), *Bsn::Parse("010000008"), 0, 100).at(0).name, "test.D");
  EXPECT_EQ(store_->ListBySubject(lease->sql(), *Bsn::Parse("100000009"), 0, 100).at(0).name, "test.E");
}

TEST_F(ProcessingLogStoreTest, SubjectsByReferenceAreTheReferencingEntrysAndKeepTheirEntry) {
  // A freeze (two subject rows), then a measurement of its subjects (by reference) and of one
  // subject of its own; both long expired, the freeze first.
  const absl::Time now = absl::Now();
  CallContext freeze_call = Call();
  freeze_call.start_time = now - absl::Hours(24 * 800);
  ProcessingRecord freeze = MakeRecord("test.Freeze", ProcessingActivity::kAfstemmenProcesdeskundigen,
                                       freeze_call.start_time + absl::Seconds(1));
  CallContext measure_call = Call();
  measure_call.trace = TraceContext::FromIncoming("00-1af7651916cd43dd8448eb211c80319c-c7ad6b7169203331-01");
  measure_call.start_time = now - absl::Hours(24 * 600);
  ProcessingRecord measure =
      MakeRecord("test.Measure", ProcessingActivity::kResponsmeting, measure_call.start_time + absl::Seconds(1));
  measure.data_subjects = {*Bsn::Parse("010000008")};
  int64_t freeze_entry = 0, measure_entry = 0;
  CAK_ASSERT_OK(InTransaction(*pool_, [&](Tx& tx) {
    freeze_entry = store_->AppendOperation(tx, freeze_call, freeze);
    store_->AppendSubjectRows(
        tx, freeze_entry,
        {store_->hasher().Hash(*Bsn::Parse("111222333")), store_->hasher().Hash(*Bsn::Parse("123456782"))});
    return absl::OkStatus();
  }));
  measure.data_subjects_of_entries = {freeze_entry};
  CAK_ASSERT_OK(InTransaction(*pool_, [&](Tx& tx) {
    measure_entry = store_->AppendWithSubjectRows(tx, measure_call, measure);
    return absl::OkStatus();
  }));
  {
    auto lease = pool_->Acquire();
    // A referenced subject is found in both entries, as each one's subject.
    auto entries = store_->ListBySubject(lease->sql(), *Bsn::Parse("123456782"), 0, 100);
    ASSERT_EQ(entries.size(), 2u);
    EXPECT_EQ(entries[0].id, freeze_entry);
    EXPECT_EQ(entries[1].id, measure_entry);
    EXPECT_EQ(entries[1].name, "test.Measure");
    EXPECT_EQ(entries[1].data_subject_id, store_->hasher().Hash(*Bsn::Parse("123456782")));
    EXPECT_EQ(store_->ListBySubject(lease->sql(), *Bsn::Parse("010000008"), 0, 100).size(), 1u);
    const auto measured = store_->ListByTrace(lease->sql(), measure_call.trace.TraceIdHex(), 0, 100);
    ASSERT_EQ(measured.size(), 1u);
    EXPECT_EQ(measured[0].subject_rows, 3);  // two referenced, one of its own
  }
  // A reference names an entry that exists; nobody changes references.
  EXPECT_FALSE(InTransaction(*pool_, [&](Tx& tx) {
                 ProcessingRecord dangling = measure;
                 dangling.data_subjects_of_entries = {measure_entry + 1000};
                 store_->AppendWithSubjectRows(tx, measure_call, dangling);
                 return absl::OkStatus();
               }).ok());
  const std::string refs = schema_->name() + ".processing_log_subject_refs";
  EXPECT_FALSE(schema_->Query("UPDATE " + refs + " SET source_entry_id = " + std::to_string(measure_entry)).ok());
  EXPECT_FALSE(schema_->Query("TRUNCATE " + refs).ok());

  // The freeze has expired, the measurement has not: the freeze stays while referenced.
  auto purge = [&](absl::Duration age) {
    int64_t removed = -1;
    EXPECT_TRUE(InTransaction(*pool_, [&](Tx& tx) {
                  removed = store_->PurgeBefore(tx, now - age);
                  return absl::OkStatus();
                }).ok());
    return removed;
  };
  EXPECT_EQ(purge(absl::Hours(24 * 700)), 0);
  // Both expired: the measurement goes with its reference and its own row, then the freeze.
  EXPECT_EQ(purge(absl::Hours(24 * 400)), 1);
  EXPECT_EQ(*schema_->Query("SELECT count(*) FROM " + refs), "0");
  EXPECT_EQ(purge(absl::Hours(24 * 400)), 1);
  EXPECT_EQ(
      *schema_->Query("SELECT (SELECT count(*) FROM " + schema_->name() + ".processing_log) + (SELECT count(*) FROM " +
                      schema_->name() + ".processing_log_subjects)"),
      "0");
}

}  // namespace
}  // namespace cak::common::db
