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

}  // namespace
}  // namespace cak::common::db
