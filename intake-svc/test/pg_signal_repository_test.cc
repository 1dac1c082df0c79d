// PgSignalRepository against the real PostgreSQL, driven through the domain service: what is
// stored, found, paged, locked, replayed and purged.
#include "intake-svc/src/storage/pg_signal_repository.h"

#include <gtest/gtest.h>

#include <thread>

#include "common/testing/call_context.h"
#include "common/testing/fake_clock.h"
#include "common/testing/pg_test_env.h"
#include "common/testing/status_matchers.h"
#include "intake-svc/src/domain/signal_service.h"
#include "intake-svc/src/storage/schema.h"

namespace cak::intake::storage {
namespace {

using common::testing::StatusIs;
using common::testing::TestCall;
using namespace domain;  // NOLINT: test brevity
namespace roles = common::roles;

class PgSignalRepositoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto schema = common::testing::TestSchema::Create("repo", IntakeMigrationSets());
    ASSERT_TRUE(schema.ok()) << schema.status();
    schema_ = *std::move(schema);
    pool_ = *schema_->MakePool(6);
    log_ = std::make_unique<common::db::ProcessingLogStore>(schema_->name(), "intake-svc",
                                                            *common::DataSubjectHasher::Create(std::string(32, 'h')));
    repo_ = std::make_unique<PgSignalRepository>(pool_.get(), schema_->name(), log_.get(),
                                                 PgSignalRepository::BatchOptions{2, 16});
    service_ = std::make_unique<SignalService>(repo_.get(), &notifier_, &clock_, IntakeSettings{});
  }
  SubmitInput Input(Regulation reg, Category cat, std::vector<std::string> bsns) {
    SubmitInput in;
    in.content.source_channel = SourceChannel::kEmail;
    in.content.regulation = reg;
    in.content.category = cat;
    in.content.description = "Beschrijving, met \"aanhalingstekens\" en {accolades}";
    for (const auto& b : bsns) in.content.example_customers.push_back(*common::Bsn::Parse(b));
    in.content.attachments = {{"a,b\"c\\d.pdf", "application/pdf", 10, "dms://1", std::string(64, 'e')}};
    return in;
  }
  Signal Submit(Regulation reg = Regulation::kWlz, Category cat = Category::kWrongInvoice,
                std::vector<std::string> bsns = {"111222333"}) {
    auto out = service_->Submit(officer_, Input(reg, cat, bsns));
    EXPECT_TRUE(out.ok()) << out.status();
    return out->signal;
  }
  int64_t Count(const std::string& table, const std::string& where = "true") {
    return std::stoll(*schema_->Query("SELECT count(*) FROM " + schema_->name() + "." + table + " WHERE " + where));
  }

  std::unique_ptr<common::testing::TestSchema> schema_;
  std::unique_ptr<common::db::PgPool> pool_;
  std::unique_ptr<common::db::ProcessingLogStore> log_;
  std::unique_ptr<PgSignalRepository> repo_;
  common::testing::FakeClock clock_;
  common::ChangeNotifier notifier_;
  std::unique_ptr<SignalService> service_;
  common::CallContext officer_ = TestCall("emp-1", {roles::kIntakeOfficer});
};

TEST_F(PgSignalRepositoryTest, StoresAndReadsBackEverything) {
  Signal created = Submit(Regulation::kWmo, Category::kConfusingLetter, {"111222333", "123456782"});
  auto read = service_->Get(officer_, created.id, View::kFull);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->description, created.description);
  EXPECT_EQ(read->regulation, Regulation::kWmo);
  EXPECT_EQ(read->category, Category::kConfusingLetter);
  ASSERT_EQ(read->example_customers.size(), 2u);
  EXPECT_EQ(read->example_customers[1].digits(), "123456782");
  ASSERT_EQ(read->attachments.size(), 1u);
  EXPECT_EQ(read->attachments[0].file_name, "a,b\"c\\d.pdf");
  EXPECT_EQ(read->receive_time, clock_.Now());
  ASSERT_EQ(read->state_changes.size(), 1u);
  EXPECT_FALSE(read->state_changes[0].from.has_value());
  // Submit logged the operation with both customers as subject rows; the full read logged the
  // operation and a child entry per customer.
  EXPECT_EQ(Count("processing_log"), 1 + 3);
  EXPECT_EQ(Count("processing_log_subjects"), 2);
}

TEST_F(PgSignalRepositoryTest, FindsDuplicateCandidatesAmongOpenSignalsOnly) {
  Signal a = Submit(Regulation::kWlz, Category::kWrongInvoice, {"111222333"});
  Signal b = Submit(Regulation::kWmo, Category::kRuleChange, {"123456782"});
  Signal closed = Submit(Regulation::kWlz, Category::kWrongInvoice, {"123456782"});
  ASSERT_TRUE(service_->Decline(officer_, closed.id, DeclineReason::kDuplicate, "Dubbel").ok());
  clock_.Advance(absl::Minutes(1));
  Signal c = Submit(Regulation::kWlz, Category::kWrongInvoice, {"123456782"});
  ASSERT_EQ(c.duplicate_candidates.size(), 2u);
  std::map<std::string, DuplicateCandidate> by_id;
  for (const auto& d : c.duplicate_candidates) by_id[d.signal_id] = d;
  EXPECT_EQ(by_id.at(a.id).match, DuplicateMatch::kSameRegulationAndCategory);
  EXPECT_EQ(by_id.at(b.id).match, DuplicateMatch::kSharedCustomers);
  EXPECT_EQ(by_id.at(b.id).shared_customer_count, 1);
  EXPECT_EQ(by_id.count(closed.id), 0u);
  // Stored with the signal, so a later read shows the same suggestions.
  auto read = service_->Get(officer_, c.id, View::kBasic);
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(read->duplicate_candidates.size(), 2u);
}

TEST_F(PgSignalRepositoryTest, ConcurrentRepeatsOfOneRequestCreateOneSignal) {
  SubmitInput in = Input(Regulation::kWlz, Category::kOther, {"111222333"});
  in.request_id = "same-request";
  in.fingerprint = "fp";
  std::vector<std::string> ids(6);
  std::vector<std::thread> threads;
  for (int i = 0; i < 6; ++i) {
    threads.emplace_back([&, i] {
      auto out = service_->Submit(officer_, in);
      ids[i] = out.ok() ? out->signal.id : out.status().ToString();
    });
  }
  for (auto& t : threads) t.join();
  for (const auto& id : ids) EXPECT_EQ(id, ids[0]);
  EXPECT_EQ(Count("signals"), 1);
  EXPECT_EQ(Count("idempotency_keys"), 1);
  in.fingerprint = "other";
  EXPECT_THAT(service_->Submit(officer_, in),
              StatusIs(absl::StatusCode::kInvalidArgument, "REQUEST_ID_REUSED", "request_id"));
}

TEST_F(PgSignalRepositoryTest, ARefusedChangeWritesNothing) {
  Signal s = Submit();
  const int64_t events = Count("signal_events");
  EXPECT_THAT(service_->Close(officer_, s.id, "Klaar"),
              StatusIs(absl::StatusCode::kFailedPrecondition, "INVALID_STATE_TRANSITION", ""));
  EXPECT_EQ(Count("signal_events"), events);
  EXPECT_EQ(Count("signals", "state = 1"), 1);
}

TEST_F(PgSignalRepositoryTest, ConcurrentChangesAreSerialised) {
  Signal s = Submit();
  // Ten officers try to start the assessment at once: the row lock lets exactly one win.
  std::atomic<int> ok{0}, refused{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 10; ++i) {
    threads.emplace_back([&] {
      auto r = service_->StartAssessment(officer_, s.id);
      (r.ok() ? ok : refused)++;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 1);
  EXPECT_EQ(refused.load(), 9);
  EXPECT_EQ(Count("signal_events", "to_state = 2"), 1);
}

TEST_F(PgSignalRepositoryTest, HistoryInformationAndEvents) {
  Signal s = Submit();
  ASSERT_TRUE(service_->Decline(officer_, s.id, DeclineReason::kIncomplete, "Welke periode?").ok());
  clock_.Advance(absl::Minutes(1));
  ASSERT_TRUE(service_->AddInformation(officer_, s.id, "Maart 2026").ok());
  ASSERT_TRUE(service_->AddInformation(officer_, s.id, "En april").ok());
  auto read = service_->Get(officer_, s.id, View::kBasic);
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(read->state, SignalState::kReceived);
  EXPECT_FALSE(read->final_time.has_value());
  ASSERT_EQ(read->information.size(), 2u);
  EXPECT_EQ(read->information[1].text, "En april");
  ASSERT_EQ(read->state_changes.size(), 3u);  // received, no action, reopened
  auto events = repo_->EventsAfter(s.id, 0, 100, absl::InfiniteFuture());
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), 4u);
  EXPECT_EQ((*events)[1].text, "Welke periode?");
  EXPECT_EQ((*events)[1].decline_reason, DeclineReason::kIncomplete);
  auto tail = repo_->EventsAfter(s.id, (*events)[2].sequence, 100, absl::InfiniteFuture());
  ASSERT_EQ(tail->size(), 1u);
}

TEST_F(PgSignalRepositoryTest, ListFiltersAndKeysetPages) {
  for (int i = 0; i < 4; ++i) Submit(Regulation::kWlz, Category::kWrongInvoice, {});
  for (int i = 0; i < 3; ++i) Submit(Regulation::kWmo, Category::kOther, {});
  clock_.Advance(absl::Hours(2));
  const absl::Time later = clock_.Now();
  Submit(Regulation::kWmo, Category::kOther, {});

  ListQuery wmo;
  wmo.regulation = Regulation::kWmo;
  auto page = service_->List(officer_, wmo);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->size(), 4u);
  ListQuery recent;
  recent.received_from = later;
  EXPECT_EQ(service_->List(officer_, recent)->size(), 1u);
  ListQuery before;
  before.received_before = later;
  before.category = Category::kWrongInvoice;
  EXPECT_EQ(service_->List(officer_, before)->size(), 4u);

  // Keyset positions: each page continues after the last (receive_time, id), newest first.
  std::set<std::string> seen;
  ListQuery all;
  all.limit = 3;
  for (;;) {
    auto p = service_->List(officer_, all);
    ASSERT_TRUE(p.ok()) << p.status();
    for (const auto& s : *p) EXPECT_TRUE(seen.insert(s.id).second);
    if (p->size() < 3u) break;
    all.after = std::make_pair(p->back().receive_time, p->back().id);
  }
  EXPECT_EQ(seen.size(), 8u);
}

TEST_F(PgSignalRepositoryTest, PurgeRemovesEverythingAboutExpiredSignalsAndLogsIt) {
  SubmitInput in = Input(Regulation::kWlz, Category::kOther, {"111222333", "123456782"});
  in.request_id = "r-1";
  in.fingerprint = "fp";
  auto old_signal = service_->Submit(officer_, in);
  ASSERT_TRUE(old_signal.ok());
  ASSERT_TRUE(service_->Decline(officer_, old_signal->signal.id, DeclineReason::kNoActionNeeded, "Geen actie").ok());
  Signal open = Submit();
  clock_.Advance(absl::Hours(24 * 731));
  auto dry = service_->Purge(officer_, true);
  ASSERT_TRUE(dry.ok());
  EXPECT_EQ(dry->count, 1);
  EXPECT_EQ(Count("signals"), 2);
  auto done = service_->Purge(officer_, false);
  ASSERT_TRUE(done.ok());
  EXPECT_EQ(done->count, 1);
  EXPECT_EQ(Count("signals"), 1);
  EXPECT_EQ(Count("signal_events", "signal_id = '" + old_signal->signal.id + "'"), 0);
  EXPECT_EQ(Count("idempotency_keys"), 0);
  EXPECT_EQ(Count("processing_log", "name = 'intake.PurgeSignals'"), 3);
  EXPECT_TRUE(service_->Get(officer_, open.id, View::kBasic).ok());
}

}  // namespace
}  // namespace cak::intake::storage

namespace cak::intake::storage {
namespace {

// The runtime role of production (created by the migrations' grants, not a superuser) can do
// everything the service does, and cannot change history or the processing log.
TEST(PgSignalRepositoryPrivilegesTest, TheRuntimeRoleHasWhatTheServiceUsesAndNoMore) {
  const std::string role = "cak_test_app";
  auto schema = common::testing::TestSchema::Create("priv", IntakeMigrationSets(), role);
  ASSERT_TRUE(schema.ok()) << schema.status();
  auto pool = (*schema)->MakePool(4, absl::Seconds(5), role);
  ASSERT_TRUE(pool.ok());
  auto log = std::make_unique<common::db::ProcessingLogStore>((*schema)->name(), "intake-svc",
                                                              *common::DataSubjectHasher::Create(std::string(32, 'h')));
  PgSignalRepository repo(pool->get(), (*schema)->name(), log.get(), PgSignalRepository::BatchOptions{1, 8});
  common::testing::FakeClock clock;
  common::ChangeNotifier notifier;
  domain::SignalService service(&repo, &notifier, &clock, domain::IntakeSettings{});
  const auto officer = common::testing::TestCall("emp-1", {common::roles::kIntakeOfficer});

  domain::SubmitInput in;
  in.content.source_channel = domain::SourceChannel::kKcc;
  in.content.regulation = domain::Regulation::kWlz;
  in.content.category = domain::Category::kOther;
  in.content.description = "Privileges";
  in.content.example_customers = {*common::Bsn::Parse("111222333")};
  in.content.attachments = {{"a.pdf", "application/pdf", 1, "dms://1", std::string(64, 'a')}};
  in.request_id = "r-1";
  in.fingerprint = "fp";
  auto created = service.Submit(officer, in);
  ASSERT_TRUE(created.ok()) << created.status();
  ASSERT_TRUE(service.Submit(officer, in).ok());  // the replay reads the key
  const std::string id = created->signal.id;
  ASSERT_TRUE(service.Get(officer, id, domain::View::kFull).ok());
  ASSERT_TRUE(service.Decline(officer, id, domain::DeclineReason::kIncomplete, "Welke?").ok());
  ASSERT_TRUE(service.AddInformation(officer, id, "Deze").ok());
  ASSERT_TRUE(service.Decline(officer, id, domain::DeclineReason::kDuplicate, "Dubbel").ok());
  ASSERT_TRUE(service.List(officer, domain::ListQuery{}).ok());
  ASSERT_TRUE(repo.EventsAfter(id, 0, 10, absl::InfiniteFuture()).ok());
  clock.Advance(absl::Hours(24 * 731));
  auto purged = service.Purge(officer, false);
  ASSERT_TRUE(purged.ok()) << purged.status();
  EXPECT_EQ(purged->count, 1);
  absl::Status log_purge = common::db::InTransaction(**pool, [&](common::db::Tx& tx) {
    log->PurgeBefore(tx, absl::Now() - absl::Hours(24 * 400));
    return absl::OkStatus();
  });
  EXPECT_TRUE(log_purge.ok()) << log_purge;
  auto entries = [&] {
    auto lease = (*pool)->Acquire();
    return log->ListBySubject(lease->sql(), *common::Bsn::Parse("111222333"), 0, 100).size();
  };
  EXPECT_GT(entries(), 0u);

  const std::string s = (*schema)->name();
  for (const std::string& forbidden :
       {"UPDATE " + s + ".processing_log SET name = 'x'", "DELETE FROM " + s + ".processing_log",
        "UPDATE " + s + ".signal_events SET text = 'x'", "DELETE FROM " + s + ".signal_events",
        "UPDATE " + s + ".idempotency_keys SET fingerprint = 'x'", "UPDATE " + s + ".schema_migrations SET name = 'x'",
        "CREATE TABLE " + s + ".extra (id int)"}) {
    auto result = (*schema)->Query("SET ROLE " + role + "; " + forbidden);
    EXPECT_FALSE(result.ok()) << forbidden;
    if (!result.ok()) EXPECT_NE(std::string(result.status().message()).find("permission denied"), std::string::npos);
  }
}

// Migration 0002 moves the example customers of existing signals into the signal row, in their
// order, and the shared-customer suggestions then find them there.
TEST(IntakeMigrationTest, ExampleCustomersMoveIntoTheSignalRow) {
  const auto& all = common::db::IntakeMigrations();
  ASSERT_GE(all.size(), 2u);
  const std::vector<common::db::Migration> first{all[0]};
  auto schema = common::testing::TestSchema::Create("mig_intake",
                                                    {{"common", &common::db::CommonMigrations()}, {"intake", &first}});
  ASSERT_TRUE(schema.ok()) << schema.status();
  const std::string S = (*schema)->name();
  const std::string id = "6f1c2a9e-8d3b-4c5a-9e7f-0a1b2c3d4e5f";
  ASSERT_TRUE((*schema)
                  ->Query("INSERT INTO " + S +
                          ".signals (id, reporter_id, reporter_kind, source_channel,"
                          " category, regulation, description, state, example_customer_count, receive_time,"
                          " update_time) VALUES ('" +
                          id + "', 'portal', 2, 1, 1, 1, 'x', 1, 2, now(), now())")
                  .ok());
  ASSERT_TRUE((*schema)
                  ->Query("INSERT INTO " + S + ".signal_customers (signal_id, position, bsn) VALUES ('" + id +
                          "', 2, '123456782'), ('" + id + "', 1, '111222333')")
                  .ok());

  auto pool = (*schema)->MakePool(2);
  ASSERT_TRUE(pool.ok());
  {
    auto lease = (*pool)->Acquire();
    ASSERT_TRUE(lease.ok());
    ASSERT_TRUE(common::db::ApplyMigrations(lease->sql(), {S, ""}, IntakeMigrationSets()).ok());
  }
  EXPECT_EQ(*(*schema)->Query("SELECT example_customers::text FROM " + S + ".signals"), "{111222333,123456782}");
  EXPECT_EQ(*(*schema)->Query("SELECT to_regclass('" + S + ".signal_customers') IS NULL"), "t");
  // The check: as many BSNs as counted, nine digits each.
  EXPECT_FALSE((*schema)->Query("UPDATE " + S + ".signals SET example_customers = '{123}'").ok());
  EXPECT_FALSE((*schema)->Query("UPDATE " + S + ".signals SET example_customers = '{111222333}'").ok());

  common::db::ProcessingLogStore log(S, "intake-svc", *common::DataSubjectHasher::Create(std::string(32, 'h')));
  PgSignalRepository repo(pool->get(), S, &log, PgSignalRepository::BatchOptions{0, 1});
  common::testing::FakeClock clock;
  common::ChangeNotifier notifier;
  SignalService service(&repo, &notifier, &clock, IntakeSettings{});
  SubmitInput in;
  in.content.source_channel = SourceChannel::kEmail;
  in.content.regulation = Regulation::kWmo;  // another topic: only the shared customer links them
  in.content.category = Category::kOther;
  in.content.description = "Tweede melding over dezelfde klant";
  in.content.example_customers = {*common::Bsn::Parse("123456782")};
  auto out = service.Submit(TestCall("emp-1", {roles::kIntakeOfficer}), in);
  ASSERT_TRUE(out.ok()) << out.status();
  ASSERT_EQ(out->signal.duplicate_candidates.size(), 1u);
  EXPECT_EQ(out->signal.duplicate_candidates[0].signal_id, id);
  EXPECT_EQ(out->signal.duplicate_candidates[0].shared_customer_count, 1);
}

}  // namespace
}  // namespace cak::intake::storage
