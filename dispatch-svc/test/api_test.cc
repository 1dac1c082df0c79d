// dispatch-svc over real gRPC channels, against PostgreSQL and a fake analysis-svc: every
// bad-input rule of the contract (status, reason, field, and that nothing was written), the
// whole path of an order (plan, generate, files and manifest, pull, acknowledge, outcomes),
// data minimisation checked on the delivered bytes, and the hand-over entries of the
// processing log.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <soci/soci.h>

#include <atomic>
#include <filesystem>
#include <map>
#include <set>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "cak/voorlichting/privacy/v1/data_subject_service.grpc.pb.h"
#include "common/base/bsn.h"
#include "common/base/data_subject_hasher.h"
#include "common/base/log.h"
#include "common/base/page_token.h"
#include "common/base/random.h"
#include "common/base/sha256.h"
#include "common/testing/call_context.h"
#include "common/testing/fake_removal_feed.h"
#include "common/testing/status_matchers.h"
#include "dispatch-svc/test/dispatch_test_server.h"
#include "dispatch-svc/test/fake_analysis.h"
#include "dispatch-svc/test/limited_delivery_store.h"

namespace cak::dispatch::testing {
namespace {

using common::testing::ContextFor;
using common::testing::GrpcStatusIs;

class DispatchApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    TestServerOptions o;
    o.analysis_port = analysis_.port();
    o.generator_threads = 1;
    o.max_batch_items = 1000;
    auto server = DispatchTestServer::Start(o);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
  }

  grpc::Status Register(const pb::CreateExecutorRequest& req, pb::Executor* out = nullptr) {
    pb::Executor e;
    return server_->stub().CreateExecutor(ContextFor(Admin()).get(), req, out ? out : &e);
  }

  void RegisterAll() {
    ASSERT_TRUE(Register(ExecutorRequest("repro", pb::CHANNEL_LETTER, "repro.executors.cak.nl", 2000)).ok());
    ASSERT_TRUE(Register(ExecutorRequest("kcc", pb::CHANNEL_CALL, "kcc.executors.cak.nl", 500)).ok());
    ASSERT_TRUE(
        Register(ExecutorRequest("dataverkeer", pb::CHANNEL_CONTACT_MOMENT, "dataverkeer.executors.cak.nl", 5000))
            .ok());
  }

  pb::DispatchOrder Order(const pb::CreateDispatchOrderRequest& req) {
    pb::DispatchOrder order;
    const grpc::Status st = server_->stub().CreateDispatchOrder(ContextFor(CampaignService()).get(), req, &order);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return order;
  }

  // Waits until the background generator has written every batch of the order.
  pb::DispatchOrder AwaitReady(const std::string& name) {
    pb::DispatchOrder order;
    for (int i = 0; i < 600; ++i) {
      pb::GetDispatchOrderRequest req;
      req.set_name(name);
      order.Clear();
      EXPECT_TRUE(server_->stub().GetDispatchOrder(ContextFor(CampaignService()).get(), req, &order).ok());
      if (order.state() != pb::ORDER_STATE_GENERATING) return order;
      absl::SleepFor(absl::Milliseconds(50));
    }
    ADD_FAILURE() << "order not ready";
    return order;
  }

  std::vector<pb::Batch> Batches(const std::string& order) {
    pb::ListBatchesRequest req;
    req.set_parent(order);
    req.set_page_size(1000);
    pb::ListBatchesResponse resp;
    EXPECT_TRUE(server_->stub().ListBatches(ContextFor(CampaignService()).get(), req, &resp).ok());
    return {resp.batches().begin(), resp.batches().end()};
  }

  std::string File(const std::string& relative) { return ReadFile(server_->delivery_dir() + "/" + relative); }

  FakeAnalysis analysis_;
  std::unique_ptr<DispatchTestServer> server_;
};

TEST_F(DispatchApiTest, ExecutorOutsideTheEuIsRefusedAndNothingIsWritten) {
  auto req = ExecutorRequest("repro", pb::CHANNEL_LETTER, "repro.executors.cak.nl", 1000);
  req.mutable_executor()->set_location_country("US");
  EXPECT_THAT(Register(req),
              GrpcStatusIs(grpc::StatusCode::INVALID_ARGUMENT, "LOCATION_OUTSIDE_EU", "executor.location_country"));
  req.mutable_executor()->set_location_country("nl");
  EXPECT_THAT(Register(req),
              GrpcStatusIs(grpc::StatusCode::INVALID_ARGUMENT, "INVALID_FIELD_VALUE", "executor.location_country"));
  req.mutable_executor()->set_location_country("NL");
  req.mutable_executor()->mutable_calendar()->clear_working_days();
  EXPECT_THAT(Register(req), GrpcStatusIs(grpc::StatusCode::INVALID_ARGUMENT, "REQUIRED_FIELD_MISSING",
                                          "executor.calendar.working_days"));
  EXPECT_EQ(server_->Count("executors"), 0);

  // Only an administrator registers executors.
  pb::Executor e;
  EXPECT_EQ(server_->stub()
                .CreateExecutor(ContextFor(CampaignService()).get(),
                                ExecutorRequest("repro", pb::CHANNEL_LETTER, "repro.executors.cak.nl", 1000), &e)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);

  // One executor per channel; a repeat of the request answers the first result.
  ASSERT_TRUE(Register(ExecutorRequest("repro", pb::CHANNEL_LETTER, "repro.executors.cak.nl", 1000), &e).ok());
  EXPECT_FALSE(e.replayed());
  ASSERT_TRUE(Register(ExecutorRequest("repro", pb::CHANNEL_LETTER, "repro.executors.cak.nl", 1000), &e).ok());
  EXPECT_TRUE(e.replayed());
  auto other = ExecutorRequest("repro2", pb::CHANNEL_LETTER, "repro2.executors.cak.nl", 1000);
  EXPECT_THAT(Register(other),
              GrpcStatusIs(grpc::StatusCode::ALREADY_EXISTS, "EXECUTOR_ALREADY_EXISTS", "executor.channel"));
  EXPECT_EQ(server_->Count("executors"), 1);

  // Changing an executor follows the same rules; a refused change leaves it as it was.
  pb::UpdateExecutorRequest update;
  update.mutable_executor()->set_name("executors/repro");
  update.mutable_executor()->set_location_country("GB");
  update.mutable_update_mask()->add_paths("location_country");
  pb::Executor changed;
  EXPECT_THAT(server_->stub().UpdateExecutor(ContextFor(Admin()).get(), update, &changed),
              GrpcStatusIs(grpc::StatusCode::INVALID_ARGUMENT, "LOCATION_OUTSIDE_EU", "executor.location_country"));
  update.mutable_update_mask()->set_paths(0, "identity");
  EXPECT_THAT(server_->stub().UpdateExecutor(ContextFor(Admin()).get(), update, &changed),
              GrpcStatusIs(grpc::StatusCode::INVALID_ARGUMENT, "INVALID_FIELD_VALUE", "update_mask"));
  update.mutable_update_mask()->clear_paths();
  EXPECT_THAT(server_->stub().UpdateExecutor(ContextFor(Admin()).get(), update, &changed),
              GrpcStatusIs(grpc::StatusCode::INVALID_ARGUMENT, "REQUIRED_FIELD_MISSING", "update_mask"));
  update.mutable_executor()->set_location_country("BE");
  *update.mutable_executor()->mutable_calendar() = e.calendar();
  update.mutable_executor()->mutable_calendar()->set_items_per_day(4000);
  update.mutable_executor()->mutable_calendar()->add_blackout_dates()->set_year(2026);
  update.mutable_executor()->mutable_calendar()->mutable_blackout_dates(0)->set_month(12);
  update.mutable_executor()->mutable_calendar()->mutable_blackout_dates(0)->set_day(25);
  update.mutable_update_mask()->add_paths("location_country");
  update.mutable_update_mask()->add_paths("calendar");
  CAK_ASSERT_GRPC_OK(server_->stub().UpdateExecutor(ContextFor(Admin()).get(), update, &changed));
  EXPECT_EQ(changed.location_country(), "BE");
  EXPECT_EQ(changed.calendar().items_per_day(), 4000);
  EXPECT_EQ(changed.calendar().blackout_dates_size(), 1);
  EXPECT_EQ(changed.identity(), "repro.executors.cak.nl");
  update.mutable_executor()->set_name("executors/nobody");
  EXPECT_THAT(server_->stub().UpdateExecutor(ContextFor(Admin()).get(), update, &changed),
              GrpcStatusIs(grpc::StatusCode::NOT_FOUND, "EXECUTOR_NOT_FOUND", ""));
  EXPECT_EQ(server_->Query(
                absl::StrCat("SELECT location_country || items_per_day FROM ", server_->schema().name(), ".executors")),
            "BE4000");
}

TEST_F(DispatchApiTest, FeasibilityIsAnsweredRecordedAndSignedOffByTheExecutorOnly) {
  pb::CheckFeasibilityRequest req;
  req.set_request_id("feas-1");
  req.set_channel(pb::CHANNEL_CALL);
  req.set_volume(1200);
  req.mutable_window_start()->set_year(2026);
  req.mutable_window_start()->set_month(11);
  req.mutable_window_start()->set_day(2);
  req.mutable_window_end()->set_year(2026);
  req.mutable_window_end()->set_month(11);
  req.mutable_window_end()->set_day(6);
  pb::FeasibilityCheck check;
  EXPECT_THAT(server_->stub().CheckFeasibility(ContextFor(CampaignService()).get(), req, &check),
              GrpcStatusIs(grpc::StatusCode::FAILED_PRECONDITION, "NO_EXECUTOR_FOR_CHANNEL", "channel"));
  RegisterAll();

  // Monday 2 November; lead time 1 working day: the earliest start is Wednesday the 4th, and
  // 500 calls a day leave 1,500 for the three days to Friday.
  CAK_ASSERT_GRPC_OK(server_->stub().CheckFeasibility(ContextFor(CampaignService()).get(), req, &check));
  EXPECT_TRUE(check.feasible());
  EXPECT_EQ(check.earliest_start().day(), 4);
  ASSERT_EQ(check.spread_size(), 3);
  EXPECT_EQ(check.spread(2).count(), 200);
  EXPECT_EQ(check.state(), pb::FEASIBILITY_STATE_AWAITING_SIGN_OFF);
  req.set_request_id("feas-2");
  req.set_volume(2000);
  pb::FeasibilityCheck short_check;
  CAK_ASSERT_GRPC_OK(server_->stub().CheckFeasibility(ContextFor(CampaignService()).get(), req, &short_check));
  EXPECT_FALSE(short_check.feasible());
  EXPECT_FALSE(short_check.reasons().empty());

  req.mutable_window_start()->set_day(1);
  EXPECT_THAT(server_->stub().CheckFeasibility(ContextFor(CampaignService()).get(), req, &short_check),
              GrpcStatusIs(grpc::StatusCode::INVALID_ARGUMENT, "WINDOW_IN_PAST", "window_start"));
  EXPECT_EQ(server_->Count("feasibility_checks"), 2);

  // Another executor cannot sign off KCC's answer; KCC can, once.
  pb::ConfirmFeasibilityRequest confirm;
  confirm.set_name(check.name());
  pb::FeasibilityCheck decided;
  EXPECT_THAT(server_->executor_stub().ConfirmFeasibility(ContextFor(ExecutorCaller("repro.executors.cak.nl")).get(),
                                                          confirm, &decided),
              GrpcStatusIs(grpc::StatusCode::NOT_FOUND, "FEASIBILITY_CHECK_NOT_FOUND", ""));
  EXPECT_THAT(server_->executor_stub().ConfirmFeasibility(ContextFor(ExecutorCaller("unknown.example")).get(), confirm,
                                                          &decided),
              GrpcStatusIs(grpc::StatusCode::PERMISSION_DENIED, "UNKNOWN_EXECUTOR_IDENTITY", ""));
  CAK_ASSERT_GRPC_OK(server_->executor_stub().ConfirmFeasibility(
      ContextFor(ExecutorCaller("kcc.executors.cak.nl")).get(), confirm, &decided));
  EXPECT_EQ(decided.state(), pb::FEASIBILITY_STATE_CONFIRMED);
  EXPECT_EQ(decided.decided_by(), "kcc.executors.cak.nl");
  pb::RejectFeasibilityRequest reject;
  reject.set_name(check.name());
  reject.set_comment("toch niet");
  EXPECT_THAT(server_->executor_stub().RejectFeasibility(ContextFor(ExecutorCaller("kcc.executors.cak.nl")).get(),
                                                         reject, &decided),
              GrpcStatusIs(grpc::StatusCode::FAILED_PRECONDITION, "ALREADY_DECIDED", ""));
}

TEST_F(DispatchApiTest, BadOrdersAreRefusedAndWriteNothing) {
  const std::string list = analysis_.AddList(50);
  const std::string empty = analysis_.AddList(0);
  pb::DispatchOrder order;
  auto create = [&](const pb::CreateDispatchOrderRequest& req) {
    return server_->stub().CreateDispatchOrder(ContextFor(CampaignService()).get(), req, &order);
  };
  // No executor for the channel yet.
  EXPECT_THAT(create(OrderRequest("o-1", list, pb::CHANNEL_LETTER)),
              GrpcStatusIs(grpc::StatusCode::FAILED_PRECONDITION, "NO_EXECUTOR_FOR_CHANNEL", "order.channel"));
  RegisterAll();

  EXPECT_THAT(create(OrderRequest("o-2", "0f0f0f0f-0000-4000-8000-000000000000", pb::CHANNEL_LETTER)),
              GrpcStatusIs(grpc::StatusCode::NOT_FOUND, "RECIPIENT_LIST_NOT_FOUND", "order.recipient_list"));
  EXPECT_THAT(create(OrderRequest("o-3", empty, pb::CHANNEL_LETTER)),
              GrpcStatusIs(grpc::StatusCode::FAILED_PRECONDITION, "EMPTY_RECIPIENT_LIST", "order.recipient_list"));
  auto past = OrderRequest("o-4", list, pb::CHANNEL_LETTER);
  past.mutable_order()->mutable_window_start()->set_day(1);
  EXPECT_THAT(create(past), GrpcStatusIs(grpc::StatusCode::INVALID_ARGUMENT, "WINDOW_IN_PAST", "order.window_start"));
  auto unknown = OrderRequest("o-5", list, pb::CHANNEL_LETTER);
  unknown.mutable_order()->mutable_message()->set_text("{aanhef}, uw {iban}");
  EXPECT_THAT(create(unknown),
              GrpcStatusIs(grpc::StatusCode::INVALID_ARGUMENT, "UNKNOWN_PLACEHOLDER", "order.message.text"));
  auto unbalanced = OrderRequest("o-6", list, pb::CHANNEL_LETTER);
  unbalanced.mutable_order()->mutable_message()->set_text("{aanhef}, zie {datum");
  EXPECT_THAT(create(unbalanced),
              GrpcStatusIs(grpc::StatusCode::INVALID_ARGUMENT, "UNBALANCED_BRACES", "order.message.text"));
  auto named = OrderRequest("o-7", list, pb::CHANNEL_CONTACT_MOMENT);
  named.mutable_order()->mutable_message()->set_text("Gesproken met {naam}");
  EXPECT_THAT(create(named), GrpcStatusIs(grpc::StatusCode::INVALID_ARGUMENT, "PLACEHOLDER_NOT_ALLOWED_FOR_CHANNEL",
                                          "order.message.text"));
  auto bad_list = OrderRequest("o-8", list, pb::CHANNEL_LETTER);
  bad_list.mutable_order()->set_recipient_list("lists/1");
  EXPECT_THAT(create(bad_list),
              GrpcStatusIs(grpc::StatusCode::INVALID_ARGUMENT, "INVALID_RESOURCE_NAME", "order.recipient_list"));
  // More than the executor can take in the window (KCC: 500 a day).
  const std::string big = analysis_.AddList(20000);
  EXPECT_THAT(create(OrderRequest("o-9", big, pb::CHANNEL_CALL)),
              GrpcStatusIs(grpc::StatusCode::FAILED_PRECONDITION, "INSUFFICIENT_CAPACITY", "order.window_end"));
  // Only campaign-svc creates orders.
  EXPECT_EQ(server_->stub()
                .CreateDispatchOrder(ContextFor(Admin()).get(), OrderRequest("o-10", list, pb::CHANNEL_LETTER), &order)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(server_->Count("orders"), 0);
  EXPECT_EQ(server_->Count("batches"), 0);
  EXPECT_EQ(server_->Count("idempotency_keys", "operation = 'CreateDispatchOrder'"), 0);
}

TEST_F(DispatchApiTest, MoreBadOrdersAndOutcomesAreRefusedAndWriteNothing) {
  RegisterAll();
  const std::string list = analysis_.AddList(50);
  pb::DispatchOrder order;
  auto create = [&](const pb::CreateDispatchOrderRequest& req) {
    return server_->stub().CreateDispatchOrder(ContextFor(CampaignService()).get(), req, &order);
  };
  auto no_code = OrderRequest("m-1", list, pb::CHANNEL_CONTACT_MOMENT);
  no_code.mutable_order()->clear_contact_moment_code();
  EXPECT_THAT(create(no_code),
              GrpcStatusIs(grpc::StatusCode::INVALID_ARGUMENT, "REQUIRED_FIELD_MISSING", "order.contact_moment_code"));
  auto no_amount = OrderRequest("m-2", list, pb::CHANNEL_LETTER);
  no_amount.mutable_order()->mutable_values()->erase("bedrag");
  EXPECT_THAT(create(no_amount),
              GrpcStatusIs(grpc::StatusCode::INVALID_ARGUMENT, "REQUIRED_FIELD_MISSING", "order.values[bedrag]"));
  auto other_value = OrderRequest("m-3", list, pb::CHANNEL_LETTER);
  (*other_value.mutable_order()->mutable_values())["iban"] = "NL91ABNA0417164300";
  EXPECT_THAT(create(other_value),
              GrpcStatusIs(grpc::StatusCode::INVALID_ARGUMENT, "INVALID_FIELD_VALUE", "order.values[iban]"));
  auto no_window = OrderRequest("m-4", list, pb::CHANNEL_LETTER);
  no_window.mutable_order()->clear_window_end();
  EXPECT_THAT(create(no_window),
              GrpcStatusIs(grpc::StatusCode::INVALID_ARGUMENT, "REQUIRED_FIELD_MISSING", "order.window_end"));
  auto control = OrderRequest("m-5", list, pb::CHANNEL_LETTER);
  control.mutable_order()->set_guidelines(std::string("geen\0bijlagen", 13));
  EXPECT_THAT(create(control),
              GrpcStatusIs(grpc::StatusCode::INVALID_ARGUMENT, "INVALID_CHARACTERS", "order.guidelines"));

  // An order may follow only a feasibility check the executor confirmed, for its channel.
  pb::CheckFeasibilityRequest feas;
  feas.set_channel(pb::CHANNEL_LETTER);
  feas.set_volume(50);
  *feas.mutable_window_start() = no_amount.order().window_start();
  *feas.mutable_window_end() = no_amount.order().window_end();
  pb::FeasibilityCheck check;
  CAK_ASSERT_GRPC_OK(server_->stub().CheckFeasibility(ContextFor(CampaignService()).get(), feas, &check));
  auto unconfirmed = OrderRequest("m-6", list, pb::CHANNEL_LETTER);
  unconfirmed.mutable_order()->set_feasibility_check(check.name());
  EXPECT_THAT(create(unconfirmed), GrpcStatusIs(grpc::StatusCode::FAILED_PRECONDITION, "FEASIBILITY_NOT_CONFIRMED",
                                                "order.feasibility_check"));
  pb::ConfirmFeasibilityRequest confirm;
  confirm.set_name(check.name());
  CAK_ASSERT_GRPC_OK(server_->executor_stub().ConfirmFeasibility(
      ContextFor(ExecutorCaller("repro.executors.cak.nl")).get(), confirm, &check));
  auto mismatch = OrderRequest("m-7", list, pb::CHANNEL_CALL);
  mismatch.mutable_order()->set_feasibility_check(check.name());
  EXPECT_THAT(create(mismatch), GrpcStatusIs(grpc::StatusCode::FAILED_PRECONDITION, "FEASIBILITY_CHECK_MISMATCH",
                                             "order.feasibility_check"));
  pb::RejectFeasibilityRequest reject;
  reject.set_name(check.name());
  EXPECT_THAT(server_->executor_stub().RejectFeasibility(ContextFor(ExecutorCaller("repro.executors.cak.nl")).get(),
                                                         reject, &check),
              GrpcStatusIs(grpc::StatusCode::INVALID_ARGUMENT, "REQUIRED_FIELD_MISSING", "comment"));
  EXPECT_EQ(server_->Count("orders"), 0);
  EXPECT_EQ(server_->Count("batches"), 0);

  // Outcomes: in the future, twice for one recipient, or for a batch not written yet.
  pb::DispatchOrder letters = AwaitReady(Order(OrderRequest("m-8", list, pb::CHANNEL_LETTER)).name());
  const pb::Batch batch = Batches(letters.name()).at(0);
  const auto repro = ExecutorCaller("repro.executors.cak.nl");
  pb::ReportOutcomesRequest report;
  report.set_batch(batch.name());
  auto add = [&](int64_t position, int64_t seconds_from_now) {
    pb::ItemOutcome* o = report.add_outcomes();
    o->set_position(position);
    o->set_outcome(pb::OUTCOME_LETTER_PRINTED);
    o->mutable_outcome_time()->set_seconds(absl::ToUnixSeconds(server_->clock().Now()) + seconds_from_now);
  };
  add(1, 3600);
  pb::ReportOutcomesResponse stored;
  EXPECT_THAT(server_->executor_stub().ReportOutcomes(ContextFor(repro).get(), report, &stored),
              GrpcStatusIs(grpc::StatusCode::INVALID_ARGUMENT, "OUTCOME_TIME_IN_FUTURE", "outcomes[0].outcome_time"));
  report.clear_outcomes();
  add(1, -60);
  add(1, -30);
  EXPECT_THAT(server_->executor_stub().ReportOutcomes(ContextFor(repro).get(), report, &stored),
              GrpcStatusIs(grpc::StatusCode::INVALID_ARGUMENT, "DUPLICATE_OUTCOME_IN_REQUEST", "outcomes"));
  report.clear_outcomes();
  report.add_outcomes()->set_position(1);
  report.mutable_outcomes(0)->set_outcome(pb::OUTCOME_LETTER_PRINTED);
  EXPECT_THAT(server_->executor_stub().ReportOutcomes(ContextFor(repro).get(), report, &stored),
              GrpcStatusIs(grpc::StatusCode::INVALID_ARGUMENT, "REQUIRED_FIELD_MISSING", "outcomes[0].outcome_time"));
  report.set_batch(absl::StrCat(letters.name(), "/batches/99"));
  report.clear_outcomes();
  add(1, -60);
  EXPECT_THAT(server_->executor_stub().ReportOutcomes(ContextFor(repro).get(), report, &stored),
              GrpcStatusIs(grpc::StatusCode::NOT_FOUND, "BATCH_NOT_FOUND", ""));
  EXPECT_EQ(server_->Count("outcomes"), 0);
}

TEST_F(DispatchApiTest, LettersAreDeliveredOnceAsFilesWithManifestsAndOnlyTheLetterFields) {
  RegisterAll();
  const int64_t n = 2500;
  const std::string list = analysis_.AddList(n);
  pb::DispatchOrder order = Order(OrderRequest("letters-1", list, pb::CHANNEL_LETTER));
  EXPECT_EQ(order.state(), pb::ORDER_STATE_GENERATING);
  EXPECT_EQ(order.recipient_count(), n);
  // 2,000 a day in batches of at most 1,000: 1,000 + 1,000 on the 4th, 500 on the 5th.
  EXPECT_EQ(order.batch_count(), 3);
  // A repeat answers the same order, also once the window has started (a caller's retry after
  // a lost answer, e.g. campaign-svc's outbox, may come days later).
  pb::DispatchOrder again = Order(OrderRequest("letters-1", list, pb::CHANNEL_LETTER));
  EXPECT_EQ(again.name(), order.name());
  EXPECT_TRUE(again.replayed());
  server_->clock().Advance(absl::Hours(24 * 40));
  pb::DispatchOrder later = Order(OrderRequest("letters-1", list, pb::CHANNEL_LETTER));
  EXPECT_EQ(later.name(), order.name());
  EXPECT_TRUE(later.replayed());
  server_->clock().Advance(-absl::Hours(24 * 40));

  order = AwaitReady(order.name());
  ASSERT_EQ(order.state(), pb::ORDER_STATE_READY);
  EXPECT_EQ(server_->Count("items"), n);
  EXPECT_EQ(server_->Query(absl::StrCat("SELECT count(DISTINCT position) FROM ", server_->schema().name(), ".items")),
            absl::StrCat(n));

  std::set<std::string> bsns;
  for (int64_t p = 1; p <= n; ++p) bsns.insert(analysis_.BsnOf(list, p));
  int64_t lines = 0;
  for (const pb::Batch& b : Batches(order.name())) {
    ASSERT_EQ(b.state(), pb::BATCH_STATE_WRITTEN);
    const std::string data = File(b.data_file());
    const std::string manifest = File(b.manifest_file());
    ASSERT_FALSE(data.empty());
    EXPECT_EQ(common::Sha256Hex(data), b.sha256());
    EXPECT_TRUE(absl::StrContains(manifest, absl::StrCat("\"sha256\": \"", b.sha256(), "\"")));
    EXPECT_TRUE(absl::StrContains(manifest, absl::StrCat("\"count\": ", b.item_count())));
    EXPECT_TRUE(absl::StrContains(manifest, "\"executor\": \"repro\""));
    EXPECT_TRUE(absl::StartsWith(data,
                                 "item,addressee_name,street,house_number,house_number_suffix,postcode,city,"
                                 "letter_text\r\n"));
    // Data minimisation on the bytes: no BSN, no IBAN, no debt or care data.
    for (absl::string_view token : absl::StrSplit(data, absl::ByAnyChar(",\r\n \""), absl::SkipEmpty())) {
      ASSERT_EQ(bsns.count(std::string(token)), 0u) << "a BSN in " << b.data_file();
    }
    EXPECT_FALSE(absl::StrContains(data, "NL91"));
    EXPECT_FALSE(absl::StrContains(data, "debt"));
    EXPECT_FALSE(absl::StrContains(data, "0600"));   // no phone numbers
    EXPECT_FALSE(absl::StrContains(data, "K0000"));  // no customer numbers
    lines += b.item_count();
  }
  EXPECT_EQ(lines, n);
  // A letter routed to the representative goes to the representative, about the customer.
  const std::string first = File(Batches(order.name())[0].data_file());
  EXPECT_TRUE(absl::StrContains(first, "\"mr. P. de Vries, \"\"Bewind\"\" 10\",Kantoorlaan"));
  EXPECT_TRUE(absl::StrContains(first, "Geachte mr. P. de Vries, \"\"Bewind\"\" 10,"));
  EXPECT_TRUE(absl::StrContains(first, "Geachte heer J. Jansen-1,"));
  EXPECT_TRUE(absl::StrContains(first, "€ 12,50"));
  EXPECT_TRUE(absl::StrContains(first, "4 november 2026"));

  // The hand-over is in the processing log: one subject per recipient, with the addressee
  // where the letter was routed, and the executor as processor.
  EXPECT_EQ(server_->Count("processing_log_subjects"), n);
  EXPECT_EQ(server_->Count("processing_log_subjects", "addressee LIKE 'REPRESENTATIVE:%'"), n / 10);
  EXPECT_EQ(server_->Count("processing_log_subjects", "addressee LIKE 'CONTACT_PERSON:%'"), n / 25 - n / 50);
  EXPECT_EQ(server_->Count("processing_log",
                           "name = 'dispatch.DeliverBatch' AND attributes->>'processor' = 'repro.executors.cak.nl'"),
            3);
  EXPECT_EQ(server_->Count("processing_log",
                           absl::StrCat("name = 'dispatch.DeliverBatch' AND trace_id = decode('",
                                        server_->Query(absl::StrCat("SELECT split_part(traceparent, '-', 2) FROM ",
                                                                    server_->schema().name(), ".orders")),
                                        "', 'hex')")),
            3);
}

TEST_F(DispatchApiTest, ExecutorsPullAcknowledgeAndReportOutcomesOfTheirOwnBatchesOnly) {
  RegisterAll();
  const std::string list = analysis_.AddList(1200);
  pb::DispatchOrder calls = AwaitReady(Order(OrderRequest("calls-1", list, pb::CHANNEL_CALL)).name());
  ASSERT_EQ(calls.state(), pb::ORDER_STATE_READY);
  pb::DispatchOrder moments = AwaitReady(Order(OrderRequest("moments-1", list, pb::CHANNEL_CONTACT_MOMENT)).name());
  ASSERT_EQ(moments.state(), pb::ORDER_STATE_READY);

  const auto kcc = ExecutorCaller("kcc.executors.cak.nl");
  pb::ListOpenBatchesRequest open;
  open.set_page_size(2);
  pb::ListOpenBatchesResponse page;
  CAK_ASSERT_GRPC_OK(server_->executor_stub().ListOpenBatches(ContextFor(kcc).get(), open, &page));
  ASSERT_EQ(page.batches_size(), 2);
  EXPECT_FALSE(page.next_page_token().empty());
  open.set_page_token(page.next_page_token());
  pb::ListOpenBatchesResponse rest;
  CAK_ASSERT_GRPC_OK(server_->executor_stub().ListOpenBatches(ContextFor(kcc).get(), open, &rest));
  EXPECT_EQ(page.batches_size() + rest.batches_size(), calls.batch_count());
  // Another executor's token is worthless here.
  EXPECT_EQ(server_->executor_stub()
                .ListOpenBatches(ContextFor(ExecutorCaller("repro.executors.cak.nl")).get(), open, &rest)
                .error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  // Well-formed tokens (the check hash is no secret) with a bad key part are refused before any
  // query sees the part, in every List method; so is one method's token in another.
  const std::string order_id = calls.name().substr(calls.name().find('/') + 1);
  // (Minted with the test deployment's key: an insider's forgery; without it, see common's tests.)
  const auto tokens =
      common::PageTokens::ForDeployment(*common::DataSubjectHasher::Create("test-hash-key-of-at-least-32-bytes!!"));
  for (const std::vector<std::string>& key : {std::vector<std::string>{"2026-12-01", "not-a-uuid", "1"},
                                              std::vector<std::string>{"2026-13-01", order_id, "1"},
                                              std::vector<std::string>{"2026-12-01", order_id, "-1"}}) {
    open.set_page_token(tokens.Encode("ListOpenBatches:kcc.executors.cak.nl", key));
    EXPECT_THAT(server_->executor_stub().ListOpenBatches(ContextFor(kcc).get(), open, &rest),
                GrpcStatusIs(grpc::StatusCode::INVALID_ARGUMENT, "INVALID_PAGE_TOKEN", "page_token"))
        << key[0] << " " << key[1] << " " << key[2];
  }
  pb::ListBatchesRequest batches_req;
  batches_req.set_parent(calls.name());
  pb::ListBatchesResponse batches_page;
  batches_req.set_page_token(tokens.Encode("ListBatches:" + order_id, {"abc"}));
  EXPECT_THAT(server_->stub().ListBatches(ContextFor(CampaignService()).get(), batches_req, &batches_page),
              GrpcStatusIs(grpc::StatusCode::INVALID_ARGUMENT, "INVALID_PAGE_TOKEN", "page_token"));
  pb::ListOutcomesRequest outcomes_req;
  outcomes_req.set_order(calls.name());
  pb::ListOutcomesResponse outcomes_page;
  outcomes_req.set_page_token(tokens.Encode("ListOutcomes:" + order_id, {"12abc"}));
  EXPECT_THAT(server_->stub().ListOutcomes(ContextFor(AnalysisService()).get(), outcomes_req, &outcomes_page),
              GrpcStatusIs(grpc::StatusCode::INVALID_ARGUMENT, "INVALID_PAGE_TOKEN", "page_token"));
  outcomes_req.set_page_token(tokens.Encode("ListBatches:" + order_id, {"1"}));  // another method's
  EXPECT_THAT(server_->stub().ListOutcomes(ContextFor(AnalysisService()).get(), outcomes_req, &outcomes_page),
              GrpcStatusIs(grpc::StatusCode::INVALID_ARGUMENT, "INVALID_PAGE_TOKEN", "page_token"));
  outcomes_req.set_page_token(tokens.Encode("ListOutcomes:" + order_id, {"1"}));  // well-formed and valid
  CAK_ASSERT_GRPC_OK(server_->stub().ListOutcomes(ContextFor(AnalysisService()).get(), outcomes_req, &outcomes_page));

  const pb::Batch batch = page.batches(0);
  pb::StreamBatchItemsRequest stream;
  stream.set_batch(batch.name());
  auto ctx = ContextFor(kcc);
  auto reader = server_->executor_stub().StreamBatchItems(ctx.get(), stream);
  pb::StreamBatchItemsResponse items;
  std::vector<pb::BatchItem> got;
  while (reader->Read(&items)) got.insert(got.end(), items.items().begin(), items.items().end());
  CAK_ASSERT_GRPC_OK(reader->Finish());
  ASSERT_EQ(static_cast<int64_t>(got.size()), batch.item_count());
  EXPECT_EQ(got[0].position(), batch.first_position());
  EXPECT_FALSE(got[0].phone().empty());
  EXPECT_FALSE(got[0].has_address());  // calls carry no postal address
  EXPECT_TRUE(absl::StrContains(got[0].text(), "J. Jansen-"));

  // The repro executor does not see KCC's batch.
  auto other = ContextFor(ExecutorCaller("repro.executors.cak.nl"));
  auto denied = server_->executor_stub().StreamBatchItems(other.get(), stream);
  while (denied->Read(&items)) {
  }
  EXPECT_THAT(denied->Finish(), GrpcStatusIs(grpc::StatusCode::NOT_FOUND, "BATCH_NOT_FOUND", ""));

  // Outcomes: all or nothing.
  pb::ReportOutcomesRequest report;
  report.set_request_id("out-1");
  report.set_batch(batch.name());
  auto add = [&](int64_t position, pb::Outcome outcome) {
    pb::ItemOutcome* o = report.add_outcomes();
    o->set_position(position);
    o->set_outcome(outcome);
    o->mutable_outcome_time()->set_seconds(absl::ToUnixSeconds(server_->clock().Now()) - 60);
  };
  add(batch.first_position(), pb::OUTCOME_CALL_REACHED);
  add(batch.last_position() + 1, pb::OUTCOME_CALL_NOT_REACHED);
  pb::ReportOutcomesResponse stored;
  EXPECT_THAT(
      server_->executor_stub().ReportOutcomes(ContextFor(kcc).get(), report, &stored),
      GrpcStatusIs(grpc::StatusCode::INVALID_ARGUMENT, "OUTCOME_RECIPIENT_NOT_IN_BATCH", "outcomes[1].position"));
  report.mutable_outcomes(1)->set_position(batch.first_position() + 1);
  report.mutable_outcomes(1)->set_outcome(pb::OUTCOME_LETTER_PRINTED);
  EXPECT_THAT(server_->executor_stub().ReportOutcomes(ContextFor(kcc).get(), report, &stored),
              GrpcStatusIs(grpc::StatusCode::INVALID_ARGUMENT, "OUTCOME_NOT_FOR_CHANNEL", "outcomes[1].outcome"));
  EXPECT_EQ(server_->Count("outcomes"), 0);
  report.mutable_outcomes(1)->set_outcome(pb::OUTCOME_CALL_WRONG_NUMBER);
  CAK_ASSERT_GRPC_OK(server_->executor_stub().ReportOutcomes(ContextFor(kcc).get(), report, &stored));
  EXPECT_EQ(stored.stored(), 2);
  CAK_ASSERT_GRPC_OK(server_->executor_stub().ReportOutcomes(ContextFor(kcc).get(), report, &stored));
  EXPECT_TRUE(stored.replayed());
  EXPECT_EQ(server_->Count("outcomes"), 2);

  // Acknowledged batches leave the open list; analysis-svc reads the outcomes by position.
  pb::AcknowledgeBatchRequest ack;
  ack.set_batch(batch.name());
  pb::Batch acked;
  CAK_ASSERT_GRPC_OK(server_->executor_stub().AcknowledgeBatch(ContextFor(kcc).get(), ack, &acked));
  EXPECT_EQ(acked.state(), pb::BATCH_STATE_ACKNOWLEDGED);
  EXPECT_EQ(acked.acknowledged_by(), "kcc.executors.cak.nl");
  pb::ListOutcomesRequest lo;
  lo.set_order(calls.name());
  pb::ListOutcomesResponse outcomes;
  CAK_ASSERT_GRPC_OK(server_->stub().ListOutcomes(ContextFor(AnalysisService()).get(), lo, &outcomes));
  ASSERT_EQ(outcomes.outcomes_size(), 2);
  EXPECT_EQ(outcomes.outcomes(0).recipient_list(), absl::StrCat("recipientLists/", list));
  EXPECT_EQ(outcomes.outcomes(0).position(), batch.first_position());
  EXPECT_EQ(outcomes.outcomes(1).outcome(), pb::OUTCOME_CALL_WRONG_NUMBER);

  // KCC's file holds no postal address; dataverkeer's file and items carry no name.
  const std::string kcc_file = File(batch.data_file());
  EXPECT_TRUE(absl::StartsWith(kcc_file, "item,customer_name,addressee_name,phone,script\r\n"));
  EXPECT_FALSE(absl::StrContains(kcc_file, "Dorpsstraat"));
  EXPECT_FALSE(absl::StrContains(kcc_file, "3511 AB"));
  const std::vector<pb::Batch> moment_batches = Batches(moments.name());
  ASSERT_FALSE(moment_batches.empty());
  const std::string jsonl = File(moment_batches[0].data_file());
  EXPECT_TRUE(absl::StartsWith(jsonl, "{\"item\":1,\"customer_number\":\"K00000001\",\"contact_moment_code\":"));
  EXPECT_FALSE(absl::StrContains(jsonl, "Jansen"));
  EXPECT_FALSE(absl::StrContains(jsonl, "Vries"));
  EXPECT_FALSE(absl::StrContains(jsonl, "Dorpsstraat"));
  auto dv = ContextFor(ExecutorCaller("dataverkeer.executors.cak.nl"));
  stream.set_batch(moment_batches[0].name());
  auto moment_reader = server_->executor_stub().StreamBatchItems(dv.get(), stream);
  ASSERT_TRUE(moment_reader->Read(&items));
  EXPECT_EQ(items.items(0).customer_number(), "K00000001");
  EXPECT_EQ(items.items(0).contact_moment_code(), "VK-EB-2026");
  EXPECT_TRUE(items.items(0).addressee_name().empty());
  EXPECT_TRUE(items.items(0).customer_name().empty());
  EXPECT_FALSE(absl::StrContains(items.items(0).text(), "Jansen"));
  while (moment_reader->Read(&items)) {
  }
  CAK_ASSERT_GRPC_OK(moment_reader->Finish());
  EXPECT_EQ(server_->Query(absl::StrCat("SELECT count(*) FROM ", server_->schema().name(),
                                        ".items WHERE customer_name IS NOT NULL AND order_id = '",
                                        moments.name().substr(15), "'")),
            "0");
}

// An executor's inbox: its own feasibility checks, awaiting sign-off first and newest first within
// each, with the guidelines the campaign asked with; never another executor's (NOT_FOUND, as an
// unknown id).
TEST_F(DispatchApiTest, ExecutorsFindTheirOwnFeasibilityChecksPendingFirstWithTheGuidelines) {
  RegisterAll();
  const auto kcc = ExecutorCaller("kcc.executors.cak.nl");
  const auto repro = ExecutorCaller("repro.executors.cak.nl");
  auto ask = [&](pb::Channel channel, int64_t volume, const std::string& guidelines) {
    pb::CheckFeasibilityRequest req;
    req.set_channel(channel);
    req.set_volume(volume);
    req.set_guidelines(guidelines);
    req.mutable_window_start()->set_year(2026);
    req.mutable_window_start()->set_month(11);
    req.mutable_window_start()->set_day(4);
    req.mutable_window_end()->set_year(2026);
    req.mutable_window_end()->set_month(11);
    req.mutable_window_end()->set_day(20);
    pb::FeasibilityCheck check;
    EXPECT_TRUE(server_->stub().CheckFeasibility(ContextFor(CampaignService()).get(), req, &check).ok());
    server_->clock().Advance(absl::Minutes(1));  // distinct creation times
    return check;
  };
  const pb::FeasibilityCheck first = ask(pb::CHANNEL_CALL, 100, "Bel tussen 9 en 17 uur; noteer terugbelverzoeken.");
  const pb::FeasibilityCheck second = ask(pb::CHANNEL_CALL, 200, "Script 2: eerst naar de vertegenwoordiger vragen.");
  const pb::FeasibilityCheck third = ask(pb::CHANNEL_CALL, 300, "");
  const pb::FeasibilityCheck letters = ask(pb::CHANNEL_LETTER, 400, "Standaard envelop.");
  EXPECT_EQ(first.guidelines(), "Bel tussen 9 en 17 uur; noteer terugbelverzoeken.");
  pb::ConfirmFeasibilityRequest confirm;
  confirm.set_name(first.name());
  pb::FeasibilityCheck decided;
  CAK_ASSERT_GRPC_OK(server_->executor_stub().ConfirmFeasibility(ContextFor(kcc).get(), confirm, &decided));

  // Page by page: the two awaiting sign-off (newest first), then the confirmed one.
  pb::ListFeasibilityChecksRequest list;
  list.set_page_size(1);
  std::vector<pb::FeasibilityCheck> inbox;
  std::string first_token;
  do {
    pb::ListFeasibilityChecksResponse page;
    CAK_ASSERT_GRPC_OK(server_->executor_stub().ListFeasibilityChecks(ContextFor(kcc).get(), list, &page));
    ASSERT_LE(page.feasibility_checks_size(), 1);
    inbox.insert(inbox.end(), page.feasibility_checks().begin(), page.feasibility_checks().end());
    if (first_token.empty()) first_token = page.next_page_token();
    list.set_page_token(page.next_page_token());
  } while (!list.page_token().empty());
  ASSERT_EQ(inbox.size(), 3u);
  EXPECT_EQ(inbox[0].name(), third.name());
  EXPECT_EQ(inbox[1].name(), second.name());
  EXPECT_EQ(inbox[2].name(), first.name());
  EXPECT_EQ(inbox[2].state(), pb::FEASIBILITY_STATE_CONFIRMED);
  // What the executor judges: volume, window, channel, the spread per day and the guidelines.
  EXPECT_EQ(inbox[1].volume(), 200);
  EXPECT_EQ(inbox[1].channel(), pb::CHANNEL_CALL);
  EXPECT_EQ(inbox[1].window_start().day(), 4);
  EXPECT_EQ(inbox[1].window_end().day(), 20);
  EXPECT_FALSE(inbox[1].spread().empty());
  EXPECT_EQ(inbox[1].guidelines(), "Script 2: eerst naar de vertegenwoordiger vragen.");
  EXPECT_EQ(inbox[0].guidelines(), "");

  // A state filter; a token is for its caller and its filter only.
  list.Clear();
  list.set_state(pb::FEASIBILITY_STATE_CONFIRMED);
  pb::ListFeasibilityChecksResponse page;
  CAK_ASSERT_GRPC_OK(server_->executor_stub().ListFeasibilityChecks(ContextFor(kcc).get(), list, &page));
  ASSERT_EQ(page.feasibility_checks_size(), 1);
  EXPECT_EQ(page.feasibility_checks(0).name(), first.name());
  list.set_page_token(first_token);
  EXPECT_THAT(server_->executor_stub().ListFeasibilityChecks(ContextFor(kcc).get(), list, &page),
              GrpcStatusIs(grpc::StatusCode::INVALID_ARGUMENT, "INVALID_PAGE_TOKEN", "page_token"));
  list.clear_state();
  EXPECT_THAT(server_->executor_stub().ListFeasibilityChecks(ContextFor(repro).get(), list, &page),
              GrpcStatusIs(grpc::StatusCode::INVALID_ARGUMENT, "INVALID_PAGE_TOKEN", "page_token"));
  list.Clear();
  list.set_state(static_cast<pb::FeasibilityState>(9));
  EXPECT_THAT(server_->executor_stub().ListFeasibilityChecks(ContextFor(kcc).get(), list, &page),
              GrpcStatusIs(grpc::StatusCode::INVALID_ARGUMENT, "UNKNOWN_ENUM_VALUE", "state"));

  // repro sees its own check only; an unknown identity and other roles see nothing.
  list.Clear();
  CAK_ASSERT_GRPC_OK(server_->executor_stub().ListFeasibilityChecks(ContextFor(repro).get(), list, &page));
  ASSERT_EQ(page.feasibility_checks_size(), 1);
  EXPECT_EQ(page.feasibility_checks(0).name(), letters.name());
  EXPECT_EQ(page.feasibility_checks(0).guidelines(), "Standaard envelop.");
  EXPECT_THAT(
      server_->executor_stub().ListFeasibilityChecks(ContextFor(ExecutorCaller("unknown.example")).get(), list, &page),
      GrpcStatusIs(grpc::StatusCode::PERMISSION_DENIED, "UNKNOWN_EXECUTOR_IDENTITY", ""));
  EXPECT_EQ(
      server_->executor_stub().ListFeasibilityChecks(ContextFor(CampaignService()).get(), list, &page).error_code(),
      grpc::StatusCode::PERMISSION_DENIED);

  // GetFeasibilityCheck: its own check; another executor's answers exactly as an unknown id.
  pb::GetFeasibilityCheckRequest get;
  get.set_name(second.name());
  pb::FeasibilityCheck got;
  CAK_ASSERT_GRPC_OK(server_->stub().GetFeasibilityCheck(ContextFor(kcc).get(), get, &got));
  EXPECT_EQ(got.guidelines(), second.guidelines());
  const grpc::Status others = server_->stub().GetFeasibilityCheck(ContextFor(repro).get(), get, &got);
  get.set_name("feasibilityChecks/0f0f0f0f-0000-4000-8000-000000000000");
  const grpc::Status unknown = server_->stub().GetFeasibilityCheck(ContextFor(repro).get(), get, &got);
  EXPECT_THAT(others, GrpcStatusIs(grpc::StatusCode::NOT_FOUND, "FEASIBILITY_CHECK_NOT_FOUND", ""));
  EXPECT_THAT(unknown, GrpcStatusIs(grpc::StatusCode::NOT_FOUND, "FEASIBILITY_CHECK_NOT_FOUND", ""));
  EXPECT_EQ(others.error_message(), unknown.error_message());
  get.set_name(second.name());
  EXPECT_THAT(server_->stub().GetFeasibilityCheck(ContextFor(ExecutorCaller("unknown.example")).get(), get, &got),
              GrpcStatusIs(grpc::StatusCode::PERMISSION_DENIED, "UNKNOWN_EXECUTOR_IDENTITY", ""));
  CAK_ASSERT_GRPC_OK(server_->stub().GetFeasibilityCheck(ContextFor(Admin()).get(), get, &got));

  // Guidelines longer than an order may carry are refused, and nothing is written.
  const int64_t checks = server_->Count("feasibility_checks");
  pb::CheckFeasibilityRequest too_long;
  too_long.set_channel(pb::CHANNEL_CALL);
  too_long.set_volume(10);
  *too_long.mutable_window_start() = first.window_start();
  *too_long.mutable_window_end() = first.window_end();
  too_long.set_guidelines(std::string(20001, 'x'));
  EXPECT_THAT(server_->stub().CheckFeasibility(ContextFor(CampaignService()).get(), too_long, &got),
              GrpcStatusIs(grpc::StatusCode::INVALID_ARGUMENT, "FIELD_TOO_LONG", "guidelines"));
  EXPECT_EQ(server_->Count("feasibility_checks"), checks);
}

// An executor's orders: open ones first, newest first within each, with guidelines and message
// version; their batches (ListBatches, ListOpenBatches, AcknowledgeBatch) carry the guidelines.
TEST_F(DispatchApiTest, ExecutorsFindTheirOwnOrdersWithGuidelinesMessageAndBatches) {
  RegisterAll();
  const auto kcc = ExecutorCaller("kcc.executors.cak.nl");
  const auto repro = ExecutorCaller("repro.executors.cak.nl");
  const std::string list = analysis_.AddList(1200);
  auto older_req = OrderRequest("inbox-calls-1", list, pb::CHANNEL_CALL);
  older_req.mutable_order()->set_guidelines("Eerste ronde: bel twee keer.");
  const pb::DispatchOrder older = AwaitReady(Order(older_req).name());
  server_->clock().Advance(absl::Minutes(1));
  auto newer_req = OrderRequest("inbox-calls-2", analysis_.AddList(300), pb::CHANNEL_CALL);
  newer_req.mutable_order()->set_guidelines("Tweede ronde: spreek geen voicemail in.");
  const pb::DispatchOrder newer = AwaitReady(Order(newer_req).name());
  const pb::DispatchOrder letters = AwaitReady(Order(OrderRequest("inbox-letters", list, pb::CHANNEL_LETTER)).name());
  ASSERT_EQ(older.state(), pb::ORDER_STATE_READY);
  ASSERT_EQ(newer.state(), pb::ORDER_STATE_READY);

  // The older order's batches, listed by KCC itself, carry its guidelines; acknowledging them
  // all completes it (and each answer carries them too).
  pb::ListBatchesRequest batches_req;
  batches_req.set_parent(older.name());
  pb::ListBatchesResponse batches;
  CAK_ASSERT_GRPC_OK(server_->stub().ListBatches(ContextFor(kcc).get(), batches_req, &batches));
  ASSERT_EQ(batches.batches_size(), older.batch_count());
  for (const pb::Batch& b : batches.batches()) {
    EXPECT_EQ(b.guidelines(), "Eerste ronde: bel twee keer.");
    pb::AcknowledgeBatchRequest ack;
    ack.set_batch(b.name());
    pb::Batch acked;
    CAK_ASSERT_GRPC_OK(server_->executor_stub().AcknowledgeBatch(ContextFor(kcc).get(), ack, &acked));
    EXPECT_EQ(acked.guidelines(), "Eerste ronde: bel twee keer.");
  }
  // Open batches (the newer order's only now) carry their order's guidelines.
  pb::ListOpenBatchesResponse open;
  CAK_ASSERT_GRPC_OK(
      server_->executor_stub().ListOpenBatches(ContextFor(kcc).get(), pb::ListOpenBatchesRequest(), &open));
  ASSERT_EQ(open.batches_size(), newer.batch_count());
  for (const pb::Batch& b : open.batches()) EXPECT_EQ(b.guidelines(), "Tweede ronde: spreek geen voicemail in.");

  // The inbox: the open order first, then the completed one, page by page.
  pb::ListDispatchOrdersRequest req;
  req.set_page_size(1);
  std::vector<pb::DispatchOrder> inbox;
  do {
    pb::ListDispatchOrdersResponse page;
    CAK_ASSERT_GRPC_OK(server_->executor_stub().ListDispatchOrders(ContextFor(kcc).get(), req, &page));
    ASSERT_LE(page.dispatch_orders_size(), 1);
    inbox.insert(inbox.end(), page.dispatch_orders().begin(), page.dispatch_orders().end());
    req.set_page_token(page.next_page_token());
  } while (!req.page_token().empty());
  ASSERT_EQ(inbox.size(), 2u);
  EXPECT_EQ(inbox[0].name(), newer.name());
  EXPECT_EQ(inbox[0].state(), pb::ORDER_STATE_READY);
  EXPECT_EQ(inbox[1].name(), older.name());
  EXPECT_EQ(inbox[1].state(), pb::ORDER_STATE_COMPLETED);
  EXPECT_EQ(inbox[0].guidelines(), "Tweede ronde: spreek geen voicemail in.");
  EXPECT_EQ(inbox[0].message().reference(), newer_req.order().message().reference());
  EXPECT_EQ(inbox[0].message().text(), newer_req.order().message().text());
  req.Clear();
  req.set_state(pb::ORDER_STATE_COMPLETED);
  pb::ListDispatchOrdersResponse page;
  CAK_ASSERT_GRPC_OK(server_->executor_stub().ListDispatchOrders(ContextFor(kcc).get(), req, &page));
  ASSERT_EQ(page.dispatch_orders_size(), 1);
  EXPECT_EQ(page.dispatch_orders(0).name(), older.name());
  req.Clear();
  CAK_ASSERT_GRPC_OK(server_->executor_stub().ListDispatchOrders(ContextFor(repro).get(), req, &page));
  ASSERT_EQ(page.dispatch_orders_size(), 1);
  EXPECT_EQ(page.dispatch_orders(0).name(), letters.name());
  EXPECT_THAT(
      server_->executor_stub().ListDispatchOrders(ContextFor(ExecutorCaller("unknown.example")).get(), req, &page),
      GrpcStatusIs(grpc::StatusCode::PERMISSION_DENIED, "UNKNOWN_EXECUTOR_IDENTITY", ""));
  EXPECT_EQ(server_->executor_stub().ListDispatchOrders(ContextFor(Admin()).get(), req, &page).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);

  // Reading another executor's order or its batches answers exactly as an unknown id; reading
  // changes nothing.
  const int64_t acknowledged = server_->Count("batches", "state = 3");
  pb::GetDispatchOrderRequest get;
  get.set_name(newer.name());
  pb::DispatchOrder got;
  CAK_ASSERT_GRPC_OK(server_->stub().GetDispatchOrder(ContextFor(kcc).get(), get, &got));
  EXPECT_EQ(got.guidelines(), "Tweede ronde: spreek geen voicemail in.");
  const grpc::Status others = server_->stub().GetDispatchOrder(ContextFor(repro).get(), get, &got);
  get.set_name("dispatchOrders/0f0f0f0f-0000-4000-8000-000000000000");
  const grpc::Status unknown = server_->stub().GetDispatchOrder(ContextFor(repro).get(), get, &got);
  EXPECT_THAT(others, GrpcStatusIs(grpc::StatusCode::NOT_FOUND, "DISPATCH_ORDER_NOT_FOUND", ""));
  EXPECT_THAT(unknown, GrpcStatusIs(grpc::StatusCode::NOT_FOUND, "DISPATCH_ORDER_NOT_FOUND", ""));
  EXPECT_EQ(others.error_message(), unknown.error_message());
  batches_req.set_parent(newer.name());
  const grpc::Status others_batches = server_->stub().ListBatches(ContextFor(repro).get(), batches_req, &batches);
  batches_req.set_parent("dispatchOrders/0f0f0f0f-0000-4000-8000-000000000000");
  const grpc::Status unknown_batches = server_->stub().ListBatches(ContextFor(repro).get(), batches_req, &batches);
  EXPECT_THAT(others_batches, GrpcStatusIs(grpc::StatusCode::NOT_FOUND, "DISPATCH_ORDER_NOT_FOUND", ""));
  EXPECT_EQ(others_batches.error_message(), unknown_batches.error_message());
  batches_req.set_parent(newer.name());
  EXPECT_THAT(server_->stub().ListBatches(ContextFor(ExecutorCaller("unknown.example")).get(), batches_req, &batches),
              GrpcStatusIs(grpc::StatusCode::PERMISSION_DENIED, "UNKNOWN_EXECUTOR_IDENTITY", ""));
  EXPECT_EQ(server_->Count("batches", "state = 3"), acknowledged);
}

// A later outcome for the same recipient supersedes the earlier one (latest outcome_time; of equal
// times the later report); the history is kept and shown on request.
TEST_F(DispatchApiTest, ALaterOutcomeSupersedesTheEarlierOneAndTheHistoryIsKept) {
  RegisterAll();
  const std::string list = analysis_.AddList(300);
  const pb::DispatchOrder order = AwaitReady(Order(OrderRequest("calls-supersede", list, pb::CHANNEL_CALL)).name());
  ASSERT_EQ(order.state(), pb::ORDER_STATE_READY);
  const auto kcc = ExecutorCaller("kcc.executors.cak.nl");
  const pb::Batch batch = Batches(order.name()).at(0);
  const int64_t a = batch.first_position(), b = a + 1, c = a + 2;
  const int64_t now = absl::ToUnixSeconds(server_->clock().Now());
  auto report = [&](const std::string& id, std::vector<std::tuple<int64_t, pb::Outcome, int64_t>> outcomes) {
    pb::ReportOutcomesRequest req;
    req.set_request_id(id);
    req.set_batch(batch.name());
    for (const auto& [position, outcome, seconds] : outcomes) {
      pb::ItemOutcome* o = req.add_outcomes();
      o->set_position(position);
      o->set_outcome(outcome);
      o->mutable_outcome_time()->set_seconds(seconds);
    }
    pb::ReportOutcomesResponse stored;
    return server_->executor_stub().ReportOutcomes(ContextFor(kcc).get(), req, &stored);
  };
  CAK_ASSERT_GRPC_OK(report("r-1", {{a, pb::OUTCOME_CALL_NOT_REACHED, now - 7200},
                                    {b, pb::OUTCOME_CALL_REACHED, now - 3600},
                                    {c, pb::OUTCOME_CALL_NOT_REACHED, now - 600}}));
  // a: reached later (supersedes); b: an older attempt reported late (does not); c: the same
  // time again (the later report wins).
  CAK_ASSERT_GRPC_OK(report("r-2", {{a, pb::OUTCOME_CALL_REACHED, now - 60},
                                    {b, pb::OUTCOME_CALL_NOT_REACHED, now - 7200},
                                    {c, pb::OUTCOME_CALL_WRONG_NUMBER, now - 600}}));
  // A refused report changes nothing, not even which outcome is current.
  EXPECT_THAT(
      report("r-3", {{a, pb::OUTCOME_CALL_NOT_REACHED, now - 30},
                     {batch.last_position() + 1, pb::OUTCOME_CALL_REACHED, now - 30}}),
      GrpcStatusIs(grpc::StatusCode::INVALID_ARGUMENT, "OUTCOME_RECIPIENT_NOT_IN_BATCH", "outcomes[1].position"));
  EXPECT_EQ(server_->Count("outcomes"), 6);

  pb::ListOutcomesRequest req;
  req.set_order(order.name());
  pb::ListOutcomesResponse current;
  CAK_ASSERT_GRPC_OK(server_->stub().ListOutcomes(ContextFor(AnalysisService()).get(), req, &current));
  std::map<int64_t, pb::Outcome> now_is;
  for (const pb::RecordedOutcome& o : current.outcomes()) {
    EXPECT_TRUE(o.current());
    EXPECT_EQ(now_is.count(o.position()), 0u) << "one current outcome per recipient";
    now_is[o.position()] = o.outcome();
  }
  EXPECT_EQ(now_is,
            (std::map<int64_t, pb::Outcome>{
                {a, pb::OUTCOME_CALL_REACHED}, {b, pb::OUTCOME_CALL_REACHED}, {c, pb::OUTCOME_CALL_WRONG_NUMBER}}));

  // The history, oldest report first, each marked; a token of one view is refused in the other.
  req.set_include_superseded(true);
  req.set_page_size(4);
  pb::ListOutcomesResponse history;
  CAK_ASSERT_GRPC_OK(server_->stub().ListOutcomes(ContextFor(AnalysisService()).get(), req, &history));
  ASSERT_EQ(history.outcomes_size(), 4);
  EXPECT_FALSE(history.next_page_token().empty());
  req.set_page_token(history.next_page_token());
  pb::ListOutcomesResponse rest;
  CAK_ASSERT_GRPC_OK(server_->stub().ListOutcomes(ContextFor(AnalysisService()).get(), req, &rest));
  history.mutable_outcomes()->MergeFrom(rest.outcomes());
  ASSERT_EQ(history.outcomes_size(), 6);
  EXPECT_TRUE(rest.next_page_token().empty());
  std::vector<std::tuple<int64_t, pb::Outcome, bool>> seen;
  for (const pb::RecordedOutcome& o : history.outcomes()) seen.emplace_back(o.position(), o.outcome(), o.current());
  EXPECT_THAT(seen, ::testing::ElementsAre(std::make_tuple(a, pb::OUTCOME_CALL_NOT_REACHED, false),
                                           std::make_tuple(b, pb::OUTCOME_CALL_REACHED, true),
                                           std::make_tuple(c, pb::OUTCOME_CALL_NOT_REACHED, false),
                                           std::make_tuple(a, pb::OUTCOME_CALL_REACHED, true),
                                           std::make_tuple(b, pb::OUTCOME_CALL_NOT_REACHED, false),
                                           std::make_tuple(c, pb::OUTCOME_CALL_WRONG_NUMBER, true)));
  req.set_include_superseded(false);
  EXPECT_THAT(server_->stub().ListOutcomes(ContextFor(AnalysisService()).get(), req, &rest),
              GrpcStatusIs(grpc::StatusCode::INVALID_ARGUMENT, "INVALID_PAGE_TOKEN", "page_token"));

  // The access export's outcome is the current one.
  auto subjects = cak::voorlichting::privacy::v1::DataSubjectService::NewStub(
      common::testing::LocalChannel(server_->server().grpc_port()));
  cak::voorlichting::privacy::v1::ExportSubjectDataRequest export_req;
  export_req.set_bsn(analysis_.BsnOf(list, b));
  cak::voorlichting::privacy::v1::SubjectDataExport out;
  CAK_ASSERT_GRPC_OK(subjects->ExportSubjectData(ContextFor(PrivacyOfficer()).get(), export_req, &out));
  ASSERT_EQ(out.categories_size(), 1);
  ASSERT_EQ(out.categories(0).records_size(), 1);
  std::map<std::string, std::string> fields;
  for (const auto& f : out.categories(0).records(0).fields()) fields[f.name()] = f.value();
  ASSERT_EQ(fields.count("outcome"), 1u);
  EXPECT_EQ(fields["outcome"], "Gesprek gevoerd");
}

// Rows that a replica of the version before migration 0006 inserts during a rolling upgrade come
// in superseded (is_current = false); the next report about the recipient repairs them, and the
// README's one-off statement repairs recipients never reported again.
TEST_F(DispatchApiTest, OutcomesOfAnOldReplicaAreRepairedByTheNextReport) {
  RegisterAll();
  const std::string list = analysis_.AddList(300);
  const pb::DispatchOrder order = AwaitReady(Order(OrderRequest("calls-upgrade", list, pb::CHANNEL_CALL)).name());
  ASSERT_EQ(order.state(), pb::ORDER_STATE_READY);
  const pb::Batch batch = Batches(order.name()).at(0);
  const int64_t a = batch.first_position(), b = a + 1;
  const int64_t now = absl::ToUnixSeconds(server_->clock().Now());
  const std::string order_id(absl::StripPrefix(order.name(), "dispatchOrders/"));
  const std::string s = server_->schema().name();
  // What an old replica writes: no is_current, so the column's default.
  for (const int64_t position : {a, b}) {
    ASSERT_EQ(server_->Query(absl::StrCat("INSERT INTO ", s,
                                          ".outcomes (order_id, position, batch_no, outcome, outcome_time,"
                                          " report_time, reported_by) SELECT order_id, position, batch_no, 3,"
                                          " to_timestamp(",
                                          now - 60, "), to_timestamp(", now, "), 'kcc.executors.cak.nl' FROM ", s,
                                          ".items WHERE order_id = '", order_id, "' AND position = ", position)),
              "1");
  }
  EXPECT_EQ(server_->Count("outcomes", "is_current"), 0);
  // A new replica's report about a, of an earlier attempt: the old replica's later outcome is current.
  pb::ReportOutcomesRequest report;
  report.set_batch(batch.name());
  pb::ItemOutcome* o = report.add_outcomes();
  o->set_position(a);
  o->set_outcome(pb::OUTCOME_CALL_NOT_REACHED);
  o->mutable_outcome_time()->set_seconds(now - 3600);
  pb::ReportOutcomesResponse stored;
  CAK_ASSERT_GRPC_OK(server_->executor_stub().ReportOutcomes(ContextFor(ExecutorCaller("kcc.executors.cak.nl")).get(),
                                                             report, &stored));
  EXPECT_EQ(server_->Count("outcomes", absl::StrCat("is_current AND position = ", a, " AND outcome = 3")), 1);
  EXPECT_EQ(server_->Count("outcomes", "is_current"), 1);
  // b was never reported again: the README's repair (run twice: it changes nothing the second time).
  for (int i = 0; i < 2; ++i) {
    const std::string latest = absl::StrCat("(SELECT y.id FROM ", s,
                                            ".outcomes y WHERE y.order_id = x.order_id AND y.position = x.position"
                                            " ORDER BY y.outcome_time DESC, y.id DESC LIMIT 1)");
    EXPECT_EQ(server_->Query(absl::StrCat("UPDATE ", s, ".outcomes x SET is_current = false WHERE is_current",
                                          " AND x.id <> ", latest)),
              "0");
    EXPECT_EQ(server_->Query(absl::StrCat("UPDATE ", s, ".outcomes x SET is_current = true WHERE NOT is_current",
                                          " AND x.id = ", latest)),
              i == 0 ? "1" : "0");
  }
  EXPECT_EQ(server_->Count("outcomes", "is_current"), 2);
  EXPECT_EQ(server_->Count("outcomes", absl::StrCat("is_current AND position = ", a, " AND outcome = 3")), 1);
}

// Reports about the same recipients that race each other still leave exactly one current outcome
// per recipient, the latest.
TEST_F(DispatchApiTest, ConcurrentReportsLeaveOneCurrentOutcomePerRecipient) {
  RegisterAll();
  const std::string list = analysis_.AddList(300);
  const pb::DispatchOrder order = AwaitReady(Order(OrderRequest("calls-race", list, pb::CHANNEL_CALL)).name());
  ASSERT_EQ(order.state(), pb::ORDER_STATE_READY);
  const pb::Batch batch = Batches(order.name()).at(0);
  const int64_t now = absl::ToUnixSeconds(server_->clock().Now());
  constexpr int kThreads = 4, kReports = 5, kPositions = 20;
  std::vector<std::thread> threads;
  std::atomic<int> failed{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int r = 0; r < kReports; ++r) {
        pb::ReportOutcomesRequest req;
        req.set_batch(batch.name());
        for (int p = 0; p < kPositions; ++p) {
          pb::ItemOutcome* o = req.add_outcomes();
          o->set_position(batch.first_position() + p);
          o->set_outcome((t + r) % 2 == 0 ? pb::OUTCOME_CALL_REACHED : pb::OUTCOME_CALL_NOT_REACHED);
          // Distinct times; the latest is thread 0's last report.
          o->mutable_outcome_time()->set_seconds(now - 1000 + r * kThreads + (kThreads - 1 - t));
        }
        pb::ReportOutcomesResponse stored;
        if (!server_->executor_stub()
                 .ReportOutcomes(ContextFor(ExecutorCaller("kcc.executors.cak.nl")).get(), req, &stored)
                 .ok()) {
          ++failed;
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(server_->Count("outcomes"), kThreads * kReports * kPositions);
  EXPECT_EQ(server_->Count("outcomes", "is_current"), kPositions);
  const int64_t latest = now - 1000 + (kReports - 1) * kThreads + (kThreads - 1);
  EXPECT_EQ(server_->Count("outcomes", absl::StrCat("is_current AND outcome_time = to_timestamp(", latest, ")")),
            kPositions);
}

// An executor works in a trace of its own; what it does with an order's batches is logged in the
// order's action trace (the one its creation ran in), its own call as the foreign operation.
TEST_F(DispatchApiTest, AnExecutorsWorkIsLoggedInTheOrdersActionTrace) {
  RegisterAll();
  const std::string action_trace = "4bf92f3577b34da6a3ce929d0e0e4736";
  pb::CreateDispatchOrderRequest req = OrderRequest("calls-traced", analysis_.AddList(300), pb::CHANNEL_CALL);
  pb::DispatchOrder order;
  auto create = ContextFor(CampaignService());
  create->AddMetadata("traceparent", absl::StrCat("00-", action_trace, "-00f067aa0ba902b7-01"));
  CAK_ASSERT_GRPC_OK(server_->stub().CreateDispatchOrder(create.get(), req, &order));
  ASSERT_EQ(AwaitReady(order.name()).state(), pb::ORDER_STATE_READY);

  const auto kcc = ExecutorCaller("kcc.executors.cak.nl");
  const std::string executor_trace = "0af7651916cd43dd8448eb211c80319c", executor_span = "b7ad6b7169203331";
  auto in_executor_trace = [&] {
    auto ctx = ContextFor(kcc);
    ctx->AddMetadata("traceparent", absl::StrCat("00-", executor_trace, "-", executor_span, "-01"));
    return ctx;
  };
  pb::ListOpenBatchesRequest open;
  pb::ListOpenBatchesResponse page;
  CAK_ASSERT_GRPC_OK(server_->executor_stub().ListOpenBatches(ContextFor(kcc).get(), open, &page));
  ASSERT_GT(page.batches_size(), 0);
  const pb::Batch batch = page.batches(0);
  pb::StreamBatchItemsRequest stream;
  stream.set_batch(batch.name());
  auto ctx = in_executor_trace();
  auto reader = server_->executor_stub().StreamBatchItems(ctx.get(), stream);
  pb::StreamBatchItemsResponse items;
  while (reader->Read(&items)) {
  }
  CAK_ASSERT_GRPC_OK(reader->Finish());
  pb::ReportOutcomesRequest report;
  report.set_batch(batch.name());
  pb::ItemOutcome* o = report.add_outcomes();
  o->set_position(batch.first_position());
  o->set_outcome(pb::OUTCOME_CALL_REACHED);
  o->mutable_outcome_time()->set_seconds(absl::ToUnixSeconds(server_->clock().Now()) - 60);
  pb::ReportOutcomesResponse stored;
  CAK_ASSERT_GRPC_OK(server_->executor_stub().ReportOutcomes(in_executor_trace().get(), report, &stored));

  const std::string in_action = absl::StrCat("trace_id = decode('", action_trace, "', 'hex')");
  EXPECT_EQ(server_->Count("processing_log", "data_subject_id IS NULL AND NOT (" + in_action + ")"), 0);
  // The order's creation is the action's operation here (a child of the caller's); the batches
  // are its children.
  const std::string created =
      absl::StrCat("(SELECT span_id FROM ", server_->schema().name(),
                   ".processing_log WHERE name = 'dispatch.CreateDispatchOrder' AND ", in_action,
                   " AND parent_span_id = decode('00f067aa0ba902b7', 'hex')"
                   " AND attributes->>'recipients' = '300')");
  EXPECT_EQ(server_->Count("processing_log",
                           "name = 'dispatch.DeliverBatch' AND " + in_action + " AND parent_span_id = " + created),
            order.batch_count());
  for (const char* name : {"dispatch.StreamBatchItems", "dispatch.ReportOutcomes"}) {
    // A child of the order's operation, as the batches are.
    EXPECT_EQ(
        server_->Count("processing_log",
                       absl::StrCat("name = '", name, "' AND ", in_action,
                                    " AND parent_span_id = (SELECT parent_span_id FROM ", server_->schema().name(),
                                    ".processing_log WHERE name = 'dispatch.DeliverBatch' LIMIT 1)"
                                    " AND foreign_operation_trace_id = decode('",
                                    executor_trace, "', 'hex') AND foreign_operation_span_id = decode('", executor_span,
                                    "', 'hex') AND foreign_operation_processor = 'kcc.executors.cak.nl'")),
        1)
        << name;
  }
}

// GDPR art. 15: the privacy officer gets the deliveries of one customer (channel, executor,
// dates, addressee, outcome), found without a BSN in dispatch's tables; the access is logged and
// refusals write nothing.
TEST_F(DispatchApiTest, PrivacyOfficerExportsTheDeliveriesOfACustomer) {
  RegisterAll();
  const std::string list = analysis_.AddList(300);
  pb::DispatchOrder order = AwaitReady(Order(OrderRequest("calls-export", list, pb::CHANNEL_CALL)).name());
  ASSERT_EQ(order.state(), pb::ORDER_STATE_READY);
  const auto kcc = ExecutorCaller("kcc.executors.cak.nl");
  pb::ListOpenBatchesRequest open;
  pb::ListOpenBatchesResponse page;
  CAK_ASSERT_GRPC_OK(server_->executor_stub().ListOpenBatches(ContextFor(kcc).get(), open, &page));
  ASSERT_GT(page.batches_size(), 0);
  const pb::Batch batch = page.batches(0);
  const int64_t position = batch.first_position() + 1;
  pb::ReportOutcomesRequest report;
  report.set_batch(batch.name());
  pb::ItemOutcome* o = report.add_outcomes();
  o->set_position(position);
  o->set_outcome(pb::OUTCOME_CALL_REACHED);
  o->mutable_outcome_time()->set_seconds(absl::ToUnixSeconds(server_->clock().Now()) - 60);
  pb::ReportOutcomesResponse stored;
  CAK_ASSERT_GRPC_OK(server_->executor_stub().ReportOutcomes(ContextFor(kcc).get(), report, &stored));

  auto subjects = cak::voorlichting::privacy::v1::DataSubjectService::NewStub(
      common::testing::LocalChannel(server_->server().grpc_port()));
  cak::voorlichting::privacy::v1::ExportSubjectDataRequest req;
  req.set_bsn(analysis_.BsnOf(list, position));
  cak::voorlichting::privacy::v1::SubjectDataExport out;
  CAK_ASSERT_GRPC_OK(subjects->ExportSubjectData(ContextFor(PrivacyOfficer()).get(), req, &out));
  EXPECT_EQ(out.service(), "dispatch-svc");
  EXPECT_TRUE(out.holds_data());
  ASSERT_EQ(out.categories_size(), 1);
  EXPECT_EQ(out.categories(0).name(), "deliveries");
  ASSERT_EQ(out.categories(0).records_size(), 1);
  std::map<std::string, std::string> item;
  for (const auto& f : out.categories(0).records(0).fields()) item[f.name()] = f.value();
  EXPECT_EQ(item["dispatch_order"], order.name());
  EXPECT_EQ(item["channel"], "Telefoongesprek");
  EXPECT_EQ(item["position"], absl::StrCat(position));
  EXPECT_EQ(item["outcome"], "Gesprek gevoerd");
  EXPECT_FALSE(item["executor"].empty());
  EXPECT_FALSE(item["handed_over"].empty());
  EXPECT_FALSE(item["addressee_name"].empty());
  // Its neighbour in the same batch has no outcome and is nobody else's answer.
  req.set_bsn(analysis_.BsnOf(list, position + 1));
  CAK_ASSERT_GRPC_OK(subjects->ExportSubjectData(ContextFor(PrivacyOfficer()).get(), req, &out));
  ASSERT_EQ(out.categories_size(), 1);
  ASSERT_EQ(out.categories(0).records_size(), 1);
  item.clear();
  for (const auto& f : out.categories(0).records(0).fields()) item[f.name()] = f.value();
  ASSERT_EQ(item.count("position"), 1u);
  ASSERT_EQ(item.count("outcome"), 1u);
  EXPECT_EQ(item["position"], absl::StrCat(position + 1));
  EXPECT_EQ(item["outcome"], "");
  EXPECT_EQ(server_->Count("processing_log", "name = 'privacy.ExportSubjectData' AND data_subject_id IS NOT NULL"), 2);
  // The outcome report names its recipient: the person's history has it.
  EXPECT_EQ(
      server_->Count("processing_log_subjects",
                     absl::StrCat("entry_id IN (SELECT id FROM ", server_->schema().name(),
                                  ".processing_log WHERE name = 'dispatch.ReportOutcomes') AND data_subject_id = ("
                                  "SELECT data_subject_id FROM ",
                                  server_->schema().name(), ".items WHERE position = ", position, ")")),
      1);
  EXPECT_EQ(server_->Count("processing_log_subjects", "entry_id IN (SELECT id FROM " + server_->schema().name() +
                                                          ".processing_log WHERE name = 'dispatch.ReportOutcomes')"),
            1);

  // A valid BSN in no delivery: nothing held. Refusals write nothing.
  req.set_bsn("010000008");
  CAK_ASSERT_GRPC_OK(subjects->ExportSubjectData(ContextFor(PrivacyOfficer()).get(), req, &out));
  EXPECT_FALSE(out.holds_data());
  EXPECT_EQ(out.categories_size(), 0);
  const int64_t entries = server_->Count("processing_log");
  req.set_bsn("12345678");
  EXPECT_THAT(subjects->ExportSubjectData(ContextFor(PrivacyOfficer()).get(), req, &out),
              GrpcStatusIs(grpc::StatusCode::INVALID_ARGUMENT, "INVALID_BSN", "bsn"));
  req.set_bsn(analysis_.BsnOf(list, position));
  for (const common::testing::TestCaller& caller : {CampaignService(), kcc}) {
    EXPECT_THAT(subjects->ExportSubjectData(ContextFor(caller).get(), req, &out),
                GrpcStatusIs(grpc::StatusCode::PERMISSION_DENIED, "PERMISSION_DENIED", ""));
  }
  EXPECT_EQ(server_->Count("processing_log"), entries);
}

// An objection after the freeze: analysis-svc withholds the member, the batch has no item for
// them and counts the withheld position; RecordObjection says what was already handed over.
TEST_F(DispatchApiTest, WithheldMembersGetNoItemAndObjectionsSayWhatWasHandedOver) {
  RegisterAll();
  const std::string list = analysis_.AddList(300);
  analysis_.Withhold(list, 5);
  analysis_.Withhold(list, 250);
  pb::DispatchOrder order = AwaitReady(Order(OrderRequest("calls-withheld", list, pb::CHANNEL_CALL)).name());
  ASSERT_EQ(order.state(), pb::ORDER_STATE_READY);
  pb::ListBatchesRequest lb;
  lb.set_parent(order.name());
  pb::ListBatchesResponse batches;
  CAK_ASSERT_GRPC_OK(server_->stub().ListBatches(ContextFor(CampaignService()).get(), lb, &batches));
  int64_t items = 0, withheld = 0;
  for (const pb::Batch& b : batches.batches()) {
    items += b.item_count();
    withheld += b.withheld_count();
  }
  EXPECT_EQ(items, 298);
  EXPECT_EQ(withheld, 2);
  EXPECT_EQ(server_->Count("items", "position IN (5, 250)"), 0);
  EXPECT_EQ(server_->Count("items"), 298);
  // The hand-over entries say it too (positions 5 and 250 may share a batch).
  EXPECT_GE(
      server_->Count("processing_log", "name = 'dispatch.DeliverBatch' AND attributes->>'withheld_objection' <> '0'"),
      1);

  auto subjects = cak::voorlichting::privacy::v1::DataSubjectService::NewStub(
      common::testing::LocalChannel(server_->server().grpc_port()));
  cak::voorlichting::privacy::v1::RecordObjectionRequest req;
  req.set_bsn(analysis_.BsnOf(list, 7));
  req.set_kind(cak::voorlichting::privacy::v1::OBJECTION_KIND_OBJECTION);
  req.set_scope(cak::voorlichting::privacy::v1::OBJECTION_SCOPE_CONTACT);
  req.set_reason("Brief van de klant, kenmerk BZ-7");
  cak::voorlichting::privacy::v1::ObjectionAnswer answer;
  CAK_ASSERT_GRPC_OK(subjects->RecordObjection(ContextFor(PrivacyOfficer()).get(), req, &answer));
  EXPECT_EQ(answer.service(), "dispatch-svc");
  EXPECT_FALSE(answer.keeps_register());
  EXPECT_FALSE(answer.has_objection());
  bool handed_over = false;
  for (const std::string& e : answer.effects()) {
    handed_over |= e.find("Al overgedragen") != std::string::npos && e.find(order.name()) != std::string::npos;
  }
  EXPECT_TRUE(handed_over) << answer.ShortDebugString();
  EXPECT_GT(answer.remarks_size(), 0);
  // Someone in no delivery: nothing handed over.
  req.set_bsn("010000008");
  CAK_ASSERT_GRPC_OK(subjects->RecordObjection(ContextFor(PrivacyOfficer()).get(), req, &answer));
  EXPECT_EQ(std::count_if(answer.effects().begin(), answer.effects().end(),
                          [](const std::string& e) { return e.find("Al overgedragen") != std::string::npos; }),
            0);
  EXPECT_EQ(server_->Count("processing_log", "name = 'privacy.RecordObjection' AND data_subject_id IS NOT NULL"), 2);
  // Refusals write nothing.
  const int64_t entries = server_->Count("processing_log");
  req.set_bsn("12345678");
  EXPECT_THAT(subjects->RecordObjection(ContextFor(PrivacyOfficer()).get(), req, &answer),
              GrpcStatusIs(grpc::StatusCode::INVALID_ARGUMENT, "INVALID_BSN", "bsn"));
  req.set_bsn(analysis_.BsnOf(list, 7));
  cak::voorlichting::privacy::v1::LiftObjectionRequest lift;
  lift.set_bsn(req.bsn());
  lift.set_reason("De klant trekt het bezwaar in");
  for (const common::testing::TestCaller& caller : {CampaignService(), ExecutorCaller("kcc.executors.cak.nl")}) {
    EXPECT_THAT(subjects->RecordObjection(ContextFor(caller).get(), req, &answer),
                GrpcStatusIs(grpc::StatusCode::PERMISSION_DENIED, "PERMISSION_DENIED", ""));
    EXPECT_THAT(subjects->LiftObjection(ContextFor(caller).get(), lift, &answer),
                GrpcStatusIs(grpc::StatusCode::PERMISSION_DENIED, "PERMISSION_DENIED", ""));
  }
  EXPECT_EQ(server_->Count("processing_log"), entries);
  CAK_ASSERT_GRPC_OK(subjects->LiftObjection(ContextFor(PrivacyOfficer()).get(), lift, &answer));
  EXPECT_GT(answer.effects_size(), 0);
}

// GDPR art. 17: the person's items are emptied (their place stays), found without a BSN; the
// answer names the files already handed over; a dry run changes nothing; refusals write nothing.
TEST_F(DispatchApiTest, ErasureEmptiesThePersonsItemsAndNamesWhatWasHandedOver) {
  RegisterAll();
  const std::string list = analysis_.AddList(300);
  pb::DispatchOrder order = AwaitReady(Order(OrderRequest("letters-erase", list, pb::CHANNEL_LETTER)).name());
  ASSERT_EQ(order.state(), pb::ORDER_STATE_READY);
  auto subjects = cak::voorlichting::privacy::v1::DataSubjectService::NewStub(
      common::testing::LocalChannel(server_->server().grpc_port()));
  cak::voorlichting::privacy::v1::EraseSubjectDataRequest req;
  req.set_bsn(analysis_.BsnOf(list, 42));
  req.set_reason("Verzoek tot verwijdering, brief VZ-42");
  req.set_dry_run(true);
  cak::voorlichting::privacy::v1::ErasureAnswer answer;
  CAK_ASSERT_GRPC_OK(subjects->EraseSubjectData(ContextFor(PrivacyOfficer()).get(), req, &answer));
  ASSERT_EQ(answer.categories_size(), 1);
  EXPECT_EQ(answer.categories(0).name(), "deliveries");
  EXPECT_EQ(answer.categories(0).count(), 1);
  EXPECT_EQ(server_->Count("items", "position = 42 AND customer_name IS NOT NULL"), 1);

  req.set_dry_run(false);
  CAK_ASSERT_GRPC_OK(subjects->EraseSubjectData(ContextFor(PrivacyOfficer()).get(), req, &answer));
  ASSERT_EQ(answer.categories_size(), 1);
  EXPECT_EQ(answer.categories(0).count(), 1);
  bool file_named = false;
  for (const std::string& k : answer.kept()) file_named |= k.find("bestand ") != std::string::npos;
  EXPECT_TRUE(file_named) << answer.ShortDebugString();
  EXPECT_EQ(server_->Count("items", "position = 42"), 1);  // the place stays
  EXPECT_EQ(server_->Count("items",
                           "position = 42 AND (customer_name IS NOT NULL OR street IS NOT NULL OR"
                           " postcode IS NOT NULL OR data_subject_id IS NOT NULL)"),
            0);
  EXPECT_EQ(server_->Count("items", "position = 43 AND customer_name IS NOT NULL"), 1);  // nobody else's
  cak::voorlichting::privacy::v1::ExportSubjectDataRequest access;
  access.set_bsn(req.bsn());
  cak::voorlichting::privacy::v1::SubjectDataExport held;
  CAK_ASSERT_GRPC_OK(subjects->ExportSubjectData(ContextFor(PrivacyOfficer()).get(), access, &held));
  EXPECT_FALSE(held.holds_data());
  CAK_ASSERT_GRPC_OK(subjects->EraseSubjectData(ContextFor(PrivacyOfficer()).get(), req, &answer));
  EXPECT_EQ(answer.categories_size(), 0);  // nothing more

  const int64_t entries = server_->Count("processing_log");
  req.set_reason("kort");
  EXPECT_THAT(subjects->EraseSubjectData(ContextFor(PrivacyOfficer()).get(), req, &answer),
              GrpcStatusIs(grpc::StatusCode::INVALID_ARGUMENT, "INVALID_FIELD_VALUE", "reason"));
  req.set_reason("Verzoek tot verwijdering, brief VZ-43");
  req.set_bsn(analysis_.BsnOf(list, 43));
  for (const common::testing::TestCaller& caller : {CampaignService(), ExecutorCaller("repro.executors.cak.nl")}) {
    EXPECT_THAT(subjects->EraseSubjectData(ContextFor(caller).get(), req, &answer),
                GrpcStatusIs(grpc::StatusCode::PERMISSION_DENIED, "PERMISSION_DENIED", ""));
  }
  EXPECT_EQ(server_->Count("processing_log"), entries);
  EXPECT_EQ(server_->Count("items", "position = 43 AND customer_name IS NOT NULL"), 1);
}

// Retention that cascades: the customers analysis-svc removed (its feed names them by log id)
// lose their items as with an erasure, one transaction per page with the log entry and the
// position; a dry run moves nothing; the next run starts after the last removal followed.
TEST_F(DispatchApiTest, FollowingAnalysisRemovalsEmptiesTheRemovedCustomersItems) {
  RegisterAll();
  const std::string list = analysis_.AddList(300);
  pb::DispatchOrder order = AwaitReady(Order(OrderRequest("letters-follow", list, pb::CHANNEL_LETTER)).name());
  ASSERT_EQ(order.state(), pb::ORDER_STATE_READY);
  const auto hasher = *common::DataSubjectHasher::Create("test-hash-key-of-at-least-32-bytes!!");
  common::testing::FakeRemovalFeed feed;
  feed.Add(hasher.Hash(*common::Bsn::Parse(analysis_.BsnOf(list, 10))));
  feed.Add(hasher.Hash(*common::Bsn::Parse("111222333")), common::RemovalCause::kErased);  // never here
  feed.Add(hasher.Hash(*common::Bsn::Parse(analysis_.BsnOf(list, 20))), common::RemovalCause::kErased);
  const common::CallContext job =
      common::testing::TestCall("dispatch-svc/retention-job", {"administrator"}, common::PrincipalKind::kApplication);
  const std::string removed = "position IN (10, 20)";

  auto dry = server_->service().FollowRemovals(job, feed, /*dry_run=*/true);
  ASSERT_TRUE(dry.ok()) << dry.status();
  EXPECT_EQ(dry->removals, 3);
  EXPECT_EQ(dry->subjects, 2);
  EXPECT_EQ(dry->records, 2);
  EXPECT_EQ(server_->Count("items", removed + " AND customer_name IS NOT NULL"), 2);
  EXPECT_EQ(server_->Count("removal_feed_position"), 0);

  auto done = server_->service().FollowRemovals(job, feed, false);
  ASSERT_TRUE(done.ok()) << done.status();
  EXPECT_EQ(done->subjects, 2);
  EXPECT_EQ(done->records, 2);
  EXPECT_EQ(server_->Count("items", removed), 2);  // their places stay
  EXPECT_EQ(server_->Count("items", removed + " AND (customer_name IS NOT NULL OR street IS NOT NULL OR"
                                              " data_subject_id IS NOT NULL)"),
            0);
  EXPECT_EQ(server_->Count("items", "position = 11 AND customer_name IS NOT NULL"), 1);  // nobody else's
  EXPECT_EQ(server_->Count("processing_log",
                           "name = 'dispatch.FollowSubjectRemovals' AND data_subject_id IS NOT NULL AND status = 1"),
            2);
  EXPECT_EQ(
      server_->Count("removal_feed_position", absl::StrCat("entry_id = ", feed.removals().back().position.entry_id)),
      1);

  auto again = server_->service().FollowRemovals(job, feed, false);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->removals, 0);
}

// README "Failed processing is logged": a batch whose recipient stream broke off after recipients
// were read is logged with status ERROR (the batch itself waits for the next attempt).
TEST_F(DispatchApiTest, ABatchThatFailsAfterReadingRecipientsIsLoggedAsError) {
  RegisterAll();
  const std::string list = analysis_.AddList(2500);
  analysis_.FailStreamsAfter(300);  // 300 recipients arrive, then analysis-svc goes away
  const pb::DispatchOrder order = Order(OrderRequest("letters-broken", list, pb::CHANNEL_LETTER));
  const std::string failed = "name = 'dispatch.DeliverBatch' AND status = 2";
  for (int i = 0; i < 200 && server_->Count("processing_log", failed) == 0; ++i) {
    absl::SleepFor(absl::Milliseconds(50));
  }
  ASSERT_GT(server_->Count("processing_log", failed), 0);
  EXPECT_GT(server_->Count("processing_log", failed + " AND attributes->>'error_code' = 'UNAVAILABLE' AND"
                                                      " attributes->>'recipients_read' = '300'"),
            0);
  EXPECT_EQ(server_->Count("processing_log_subjects"), 0);  // nothing was handed over
  analysis_.FailStreamsAfter(-1);
  server_->clock().Advance(absl::Minutes(11));  // past the longest backoff
  EXPECT_EQ(AwaitReady(order.name()).state(), pb::ORDER_STATE_READY);
  EXPECT_EQ(server_->Count("processing_log", "name = 'dispatch.DeliverBatch' AND status = 1"), order.batch_count());
}

// With the deliveries volume full, a batch is not tried again at once and forever: its attempts
// back off (growing, with jitter, capped at 10 minutes of the injected clock), each is logged
// (batch_attempt_failed) and counted (dispatch_batch_attempts_failed_total), and no attempt
// reads the recipients (a disclosure by analysis-svc) while the volume cannot take the batch:
// the check comes first, by the bytes per item an earlier attempt saw. Once there is room, the
// batch is written once.
class DispatchFullVolumeTest : public DispatchApiTest {
 protected:
  void SetUp() override {
    dir_ = (std::filesystem::temp_directory_path() / ("cak-full-volume-" + common::NewUuid())).string();
    std::filesystem::create_directories(dir_);
    volume_ = std::make_unique<LimitedDeliveryStore>(dir_);
    TestServerOptions o;
    o.analysis_port = analysis_.port();
    o.max_batch_items = 1000;
    o.shared_delivery_dir = dir_;
    o.delivery_store = volume_.get();
    auto server = DispatchTestServer::Start(o);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
  }
  void TearDown() override {
    server_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  // The order's only batch, once `done` holds for it.
  pb::Batch AwaitBatch(const std::string& order, const std::function<bool(const pb::Batch&)>& done) {
    for (int i = 0; i < 200; ++i) {
      std::vector<pb::Batch> batches = Batches(order);
      if (batches.size() == 1 && done(batches[0])) return batches[0];
      absl::SleepFor(absl::Milliseconds(50));
    }
    ADD_FAILURE() << "batch of " << order << " did not get there";
    return {};
  }

  static absl::Time At(const google::protobuf::Timestamp& ts) {
    return absl::FromUnixSeconds(ts.seconds()) + absl::Nanoseconds(ts.nanos());
  }

  std::string dir_;
  std::unique_ptr<LimitedDeliveryStore> volume_;
};

TEST_F(DispatchFullVolumeTest, AttemptsBackOffAndDoNotReadTheListAgainUntilThereIsRoom) {
  std::mutex mu;
  std::vector<std::string> lines;
  common::log::SetSinkForTesting([&](absl::string_view line) {
    std::lock_guard<std::mutex> lock(mu);
    if (absl::StrContains(line, "batch_attempt_failed")) lines.emplace_back(line);
  });
  RegisterAll();
  const std::string list = analysis_.AddList(900);  // one batch of letters, about 200 KB
  const std::string failed_log = "name = 'dispatch.DeliverBatch' AND status = 2";

  // 1. The volume is full: the first attempt stops before it reads anyone.
  volume_->SetFree(1024);
  const pb::DispatchOrder order = Order(OrderRequest("letters-volume-full", list, pb::CHANNEL_LETTER));
  pb::Batch batch = AwaitBatch(order.name(), [](const pb::Batch& b) { return b.failed_attempts() == 1; });
  EXPECT_EQ(batch.last_failure_reason(), "DELIVERY_STORAGE_FULL");
  EXPECT_EQ(analysis_.recipients_sent(), 0);
  EXPECT_EQ(server_->Count("processing_log", failed_log), 0);  // nothing read, nothing to log
  const absl::Time now = server_->clock().Now();
  EXPECT_EQ(At(batch.next_attempt_time()) - now, absl::Seconds(2));  // the first wait: the minimum

  // 2. Room for half of it: the attempt reads the batch, and the write fails part-way.
  volume_->SetFree(100 * 1024);
  server_->clock().Advance(absl::Seconds(2));
  batch = AwaitBatch(order.name(), [](const pb::Batch& b) { return b.failed_attempts() == 2; });
  const int64_t read = analysis_.recipients_sent();
  EXPECT_EQ(read, 900);
  EXPECT_EQ(server_->Count("processing_log", failed_log), 1);

  // 3. Still too little room for what that attempt measured: each due attempt stops before it
  //    reads, waiting longer (up to the cap) every time. Between due times nothing happens.
  for (int failures = 3; failures <= 12; ++failures) {
    const absl::Duration wait = At(batch.next_attempt_time()) - server_->clock().Now();
    const absl::Duration cap = std::min(absl::Seconds(2) * (int64_t{1} << (failures - 2)), absl::Minutes(10));
    EXPECT_GE(wait, absl::Seconds(2)) << failures;
    EXPECT_LE(wait, cap) << failures;
    absl::SleepFor(absl::Milliseconds(300));  // three polls of the generator: not due, no attempt
    ASSERT_EQ(Batches(order.name())[0].failed_attempts(), failures - 1);
    server_->clock().Advance(wait);
    batch = AwaitBatch(order.name(), [&](const pb::Batch& b) { return b.failed_attempts() == failures; });
  }
  EXPECT_EQ(analysis_.recipients_sent(), read);
  EXPECT_EQ(server_->Count("processing_log", failed_log), 1);
  EXPECT_EQ(server_->Count("processing_log_subjects"), 0);
  EXPECT_THAT(server_->metrics().Render(),
              ::testing::HasSubstr("dispatch_batch_attempts_failed_total{reason=\"DELIVERY_STORAGE_FULL\"} 12"));
  {
    std::lock_guard<std::mutex> lock(mu);
    EXPECT_EQ(lines.size(), 12u);
    for (const std::string& line : lines) EXPECT_THAT(line, ::testing::HasSubstr("DELIVERY_STORAGE_FULL"));
  }

  // 4. Room again: the batch is written once, every position in it once.
  volume_->SetFree(-1);
  server_->clock().Advance(absl::Minutes(10));
  EXPECT_EQ(AwaitReady(order.name()).state(), pb::ORDER_STATE_READY);
  common::log::SetSinkForTesting(nullptr);
  batch = Batches(order.name())[0];
  EXPECT_EQ(batch.state(), pb::BATCH_STATE_WRITTEN);
  EXPECT_EQ(batch.item_count(), 900);
  EXPECT_EQ(analysis_.recipients_sent(), read + 900);
  EXPECT_EQ(server_->Count("processing_log", "name = 'dispatch.DeliverBatch' AND status = 1"), 1);
  EXPECT_EQ(server_->Count("processing_log_subjects"), 900);
}

TEST_F(DispatchApiTest, RetentionPurgeRemovesFilesAndRecipientRecordsAfterADryRun) {
  RegisterAll();
  const std::string list = analysis_.AddList(1500);
  pb::DispatchOrder order = AwaitReady(Order(OrderRequest("purge-1", list, pb::CHANNEL_LETTER)).name());
  ASSERT_EQ(order.state(), pb::ORDER_STATE_READY);
  const std::vector<pb::Batch> batches = Batches(order.name());
  pb::ReportOutcomesRequest report;
  report.set_batch(batches[0].name());
  pb::ItemOutcome* o = report.add_outcomes();
  o->set_position(1);
  o->set_outcome(pb::OUTCOME_LETTER_PRINTED);
  o->mutable_outcome_time()->set_seconds(absl::ToUnixSeconds(server_->clock().Now()));
  pb::ReportOutcomesResponse stored;
  CAK_ASSERT_GRPC_OK(server_->executor_stub().ReportOutcomes(ContextFor(ExecutorCaller("repro.executors.cak.nl")).get(),
                                                             report, &stored));

  // Within the retention nothing qualifies.
  const common::CallContext job =
      common::testing::TestCall("dispatch-svc/retention-job", {"administrator"}, common::PrincipalKind::kApplication);
  auto counts = server_->service().Purge(job, /*dry_run=*/true);
  ASSERT_TRUE(counts.ok()) << counts.status();
  EXPECT_EQ(counts->orders, 0);

  // Two years after the window ended: a dry run counts and changes nothing...
  server_->clock().Advance(absl::Hours(24 * 365 * 2 + 24 * 40));
  counts = server_->service().Purge(job, true);
  ASSERT_TRUE(counts.ok()) << counts.status();
  EXPECT_EQ(counts->orders, 1);
  EXPECT_EQ(counts->items, 1500);
  EXPECT_EQ(counts->outcomes, 1);
  EXPECT_EQ(counts->files, 2 * static_cast<int64_t>(batches.size()));
  EXPECT_EQ(server_->Count("items"), 1500);
  EXPECT_FALSE(File(batches[0].data_file()).empty());

  // ...and the purge removes files, items and outcomes, keeps the order (without personal
  // data) and logs itself.
  counts = server_->service().Purge(job, false);
  ASSERT_TRUE(counts.ok()) << counts.status();
  EXPECT_EQ(counts->orders, 1);
  EXPECT_EQ(server_->Count("items"), 0);
  EXPECT_EQ(server_->Count("outcomes"), 0);
  for (const pb::Batch& b : batches) {
    EXPECT_FALSE(std::filesystem::exists(server_->delivery_dir() + "/" + b.data_file()));
    EXPECT_FALSE(std::filesystem::exists(server_->delivery_dir() + "/" + b.manifest_file()));
  }
  pb::GetDispatchOrderRequest get;
  get.set_name(order.name());
  CAK_ASSERT_GRPC_OK(server_->stub().GetDispatchOrder(ContextFor(CampaignService()).get(), get, &order));
  EXPECT_EQ(order.state(), pb::ORDER_STATE_PURGED);
  EXPECT_EQ(server_->Count("processing_log", "name = 'dispatch.PurgeOrder'"), 1);
  EXPECT_EQ(server_->service().Purge(job, false)->orders, 0);

  // A late report about a purged order is about a batch that no longer exists; nothing is written.
  EXPECT_THAT(server_->executor_stub().ReportOutcomes(ContextFor(ExecutorCaller("repro.executors.cak.nl")).get(),
                                                      report, &stored),
              GrpcStatusIs(grpc::StatusCode::NOT_FOUND, "BATCH_NOT_FOUND", ""));
  EXPECT_EQ(server_->Count("outcomes"), 0);
}

// A report that arrives while the purge has the order waits for it and then finds the order
// purged; the two take the order row first, so they never deadlock (before, the report locked
// items and then outcomes, the purge deleted outcomes and then items).
TEST_F(DispatchApiTest, AReportDuringThePurgeOfItsOrderWaitsAndFindsNoBatch) {
  RegisterAll();
  const std::string list = analysis_.AddList(300);
  const pb::DispatchOrder order = AwaitReady(Order(OrderRequest("calls-purged", list, pb::CHANNEL_CALL)).name());
  ASSERT_EQ(order.state(), pb::ORDER_STATE_READY);
  const pb::Batch batch = Batches(order.name()).at(0);
  const auto kcc = ExecutorCaller("kcc.executors.cak.nl");
  pb::ReportOutcomesRequest report;
  report.set_batch(batch.name());
  pb::ItemOutcome* o = report.add_outcomes();
  o->set_position(batch.first_position());
  o->set_outcome(pb::OUTCOME_CALL_NOT_REACHED);
  o->mutable_outcome_time()->set_seconds(absl::ToUnixSeconds(server_->clock().Now()) - 600);
  pb::ReportOutcomesResponse stored;
  CAK_ASSERT_GRPC_OK(server_->executor_stub().ReportOutcomes(ContextFor(kcc).get(), report, &stored));
  const std::string order_id(absl::StripPrefix(order.name(), "dispatchOrders/"));

  // The purge's statements, in its order, in a transaction held open by the test.
  auto pool = server_->schema().MakePool(1);
  ASSERT_TRUE(pool.ok()) << pool.status();
  auto lease = (*pool)->Acquire();
  ASSERT_TRUE(lease.ok()) << lease.status();
  soci::session& purge = lease->sql();
  const std::string s = server_->schema().name();
  purge.begin();
  int state = 0;
  purge << absl::StrCat("SELECT state FROM ", s, ".orders WHERE id = '", order_id, "' FOR UPDATE SKIP LOCKED"),
      soci::into(state);
  ASSERT_TRUE(purge.got_data());
  purge << absl::StrCat("DELETE FROM ", s, ".outcomes WHERE order_id = '", order_id, "'");

  // A later outcome for the same recipient, reported now: it waits for a lock.
  o->set_outcome(pb::OUTCOME_CALL_REACHED);
  o->mutable_outcome_time()->set_seconds(absl::ToUnixSeconds(server_->clock().Now()) - 60);
  grpc::Status late;
  std::thread reporter([&] {
    pb::ReportOutcomesResponse r;
    late = server_->executor_stub().ReportOutcomes(ContextFor(kcc).get(), report, &r);
  });
  const std::string waiting =
      absl::StrCat("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND pid <> ",
                   "pg_backend_pid() AND query LIKE '%", s, ".%'");
  for (int64_t n = 0; n == 0;) {
    ASSERT_TRUE(absl::SimpleAtoi(server_->Query(waiting), &n)) << server_->Query(waiting);
    std::this_thread::yield();
  }
  // The rest of the purge goes through (a deadlock would abort one of the two here).
  bool purged = true;
  try {
    purge << absl::StrCat("DELETE FROM ", s, ".items WHERE order_id = '", order_id, "'");
    purge << absl::StrCat("UPDATE ", s, ".orders SET state = 4 WHERE id = '", order_id, "'");
    purge.commit();
  } catch (const std::exception& e) {
    purged = false;
    ADD_FAILURE() << e.what();
    purge.rollback();
  }
  reporter.join();
  EXPECT_TRUE(purged);
  EXPECT_THAT(late, GrpcStatusIs(grpc::StatusCode::NOT_FOUND, "BATCH_NOT_FOUND", ""));
  EXPECT_EQ(server_->Count("outcomes"), 0);
}

}  // namespace
}  // namespace cak::dispatch::testing
