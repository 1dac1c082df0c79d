// The intake use cases with an in-memory repository and a fake clock: no database, no network.
#include "intake-svc/src/domain/signal_service.h"

#include <gtest/gtest.h>

#include <set>

#include "common/testing/call_context.h"
#include "common/testing/fake_clock.h"
#include "common/testing/status_matchers.h"
#include "intake-svc/test/fake_signal_repository.h"

namespace cak::intake::domain {
namespace {

using common::CallContext;
using common::Principal;
using common::PrincipalKind;
using common::testing::FakeClock;
using common::testing::StatusIs;
using common::testing::TestCall;
namespace roles = common::roles;

class SignalServiceTest : public ::testing::Test {
 protected:
  SignalServiceTest() : service_(&repo_, &notifier_, &clock_, IntakeSettings{}) {}

  SubmitInput Input(Regulation reg = Regulation::kWlz, Category cat = Category::kWrongInvoice,
                    std::vector<std::string> bsns = {"111222333"}) {
    SubmitInput in;
    in.content.source_channel = SourceChannel::kKcc;
    in.content.regulation = reg;
    in.content.category = cat;
    in.content.description = "Customers received a second invoice for March";
    for (const auto& b : bsns) in.content.example_customers.push_back(*common::Bsn::Parse(b));
    return in;
  }
  std::string SubmitOne(const CallContext& call) {
    auto out = service_.Submit(call, Input());
    EXPECT_TRUE(out.ok()) << out.status();
    return out->signal.id;
  }

  FakeClock clock_;
  common::ChangeNotifier notifier_;
  testing::FakeSignalRepository repo_;
  SignalService service_;
  CallContext officer_ = TestCall("emp-1", {roles::kIntakeOfficer});
  CallContext app_ = TestCall("kcc-portal", {roles::kReportingApplication}, PrincipalKind::kApplication);
};

TEST_F(SignalServiceTest, SubmitRecordsReporterTimeAndLogsEachCustomer) {
  auto out = service_.Submit(app_, Input(Regulation::kWlz, Category::kWrongInvoice, {"111222333", "123456782"}));
  ASSERT_TRUE(out.ok()) << out.status();
  const Signal& s = out->signal;
  EXPECT_EQ(s.state, SignalState::kReceived);
  EXPECT_EQ(s.reporter.id, "kcc-portal");
  EXPECT_EQ(s.reporter.kind, PrincipalKind::kApplication);
  EXPECT_EQ(s.receive_time, clock_.Now());
  EXPECT_EQ(s.example_customer_count, 2);
  ASSERT_EQ(s.state_changes.size(), 1u);
  ASSERT_EQ(repo_.records().size(), 1u);
  EXPECT_EQ(repo_.records()[0].activity, common::ProcessingActivity::kMeldingOntvangen);
  EXPECT_EQ(repo_.records()[0].data_subjects.size(), 2u);
}

TEST_F(SignalServiceTest, SubmitSuggestsDuplicates) {
  const std::string first = SubmitOne(officer_);
  auto other_topic = service_.Submit(officer_, Input(Regulation::kWmo, Category::kRuleChange, {"123456782"}));
  ASSERT_TRUE(other_topic.ok());
  EXPECT_TRUE(other_topic->signal.duplicate_candidates.empty());

  clock_.Advance(absl::Hours(1));
  auto same_topic = service_.Submit(officer_, Input(Regulation::kWlz, Category::kWrongInvoice, {"111222333"}));
  ASSERT_TRUE(same_topic.ok());
  ASSERT_EQ(same_topic->signal.duplicate_candidates.size(), 1u);
  EXPECT_EQ(same_topic->signal.duplicate_candidates[0].signal_id, first);
  EXPECT_EQ(same_topic->signal.duplicate_candidates[0].match, DuplicateMatch::kBoth);

  // Outside the window only shared customers count.
  clock_.Advance(absl::Hours(24 * 31));
  auto later = service_.Submit(officer_, Input(Regulation::kWmo, Category::kOther, {"123456782"}));
  ASSERT_TRUE(later.ok());
  ASSERT_EQ(later->signal.duplicate_candidates.size(), 1u);
  EXPECT_EQ(later->signal.duplicate_candidates[0].match, DuplicateMatch::kSharedCustomers);
}

TEST_F(SignalServiceTest, SubmitIsIdempotentByRequestId) {
  SubmitInput in = Input();
  in.request_id = "req-7";
  in.fingerprint = "fp-1";
  auto first = service_.Submit(officer_, in);
  auto again = service_.Submit(officer_, in);
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(first->replayed);
  EXPECT_TRUE(again->replayed);
  EXPECT_EQ(first->signal.id, again->signal.id);
  EXPECT_EQ(repo_.size(), 1u);
  in.fingerprint = "fp-2";
  EXPECT_THAT(service_.Submit(officer_, in),
              StatusIs(absl::StatusCode::kInvalidArgument, "REQUEST_ID_REUSED", "request_id"));
  in.request_id = "has space";
  EXPECT_THAT(service_.Submit(officer_, in),
              StatusIs(absl::StatusCode::kInvalidArgument, "INVALID_REQUEST_ID", "request_id"));
}

TEST_F(SignalServiceTest, LifecycleRecordsWhoAndWhen) {
  const std::string id = SubmitOne(app_);
  clock_.Advance(absl::Minutes(5));
  auto assessed = service_.StartAssessment(TestCall("emp-2", {roles::kAnalyst}), id);
  ASSERT_TRUE(assessed.ok());
  EXPECT_EQ(assessed->state, SignalState::kInAssessment);
  ASSERT_EQ(assessed->state_changes.size(), 2u);
  EXPECT_EQ(assessed->state_changes[1].actor.id, "emp-2");
  EXPECT_EQ(assessed->state_changes[1].change_time, clock_.Now());

  auto planned = service_.MarkActionPlanned(
      TestCall("campaign-svc", {roles::kCampaignService}, PrincipalKind::kApplication), id, "campaigns/c-1");
  ASSERT_TRUE(planned.ok());
  EXPECT_EQ(planned->campaign, "campaigns/c-1");
  auto closed = service_.Close(officer_, id, "De klanten zijn per brief geïnformeerd.");
  ASSERT_TRUE(closed.ok());
  EXPECT_EQ(closed->state, SignalState::kClosed);
  EXPECT_TRUE(closed->final_time.has_value());
  EXPECT_THAT(service_.StartAssessment(officer_, id),
              StatusIs(absl::StatusCode::kFailedPrecondition, "INVALID_STATE_TRANSITION", ""));
}

TEST_F(SignalServiceTest, DeclineNeedsAnEmployeeAReasonAndFeedback) {
  const std::string id = SubmitOne(app_);
  EXPECT_THAT(service_.Decline(officer_, id, DeclineReason::kNone, "x"),
              StatusIs(absl::StatusCode::kInvalidArgument, "REQUIRED_FIELD_MISSING", "reason"));
  EXPECT_THAT(service_.Decline(officer_, id, DeclineReason::kDuplicate, ""),
              StatusIs(absl::StatusCode::kInvalidArgument, "REQUIRED_FIELD_MISSING", "feedback"));
  EXPECT_THAT(service_.Decline(TestCall("bot", {roles::kIntakeOfficer}, PrincipalKind::kApplication), id,
                               DeclineReason::kDuplicate, "dup"),
              StatusIs(absl::StatusCode::kPermissionDenied, "DECISION_REQUIRES_EMPLOYEE", ""));
  auto declined = service_.Decline(officer_, id, DeclineReason::kNoActionNeeded, "Geen actie nodig.");
  ASSERT_TRUE(declined.ok());
  EXPECT_EQ(declined->state, SignalState::kNoAction);
  EXPECT_EQ(declined->feedback, "Geen actie nodig.");
  EXPECT_EQ(repo_.records().back().activity, common::ProcessingActivity::kTerugkoppelenGeenActie);
}

TEST_F(SignalServiceTest, AddingInformationReopensAnIncompleteSignal) {
  const std::string id = SubmitOne(app_);
  ASSERT_TRUE(service_.Decline(officer_, id, DeclineReason::kIncomplete, "Welke klanten?").ok());
  auto reopened = service_.AddInformation(app_, id, "Het gaat om klanten in Utrecht.");
  ASSERT_TRUE(reopened.ok()) << reopened.status();
  EXPECT_EQ(reopened->state, SignalState::kReceived);
  EXPECT_EQ(reopened->decline_reason, DeclineReason::kNone);
  EXPECT_FALSE(reopened->final_time.has_value());
  ASSERT_EQ(reopened->information.size(), 1u);
  EXPECT_EQ(reopened->information[0].added_by.id, "kcc-portal");
}

TEST_F(SignalServiceTest, ReportingApplicationsSeeOnlyTheirOwnSignals) {
  const std::string mine = SubmitOne(app_);
  const std::string theirs = SubmitOne(officer_);
  EXPECT_TRUE(service_.Get(app_, mine, View::kBasic).ok());
  EXPECT_THAT(service_.Get(app_, theirs, View::kBasic), StatusIs(absl::StatusCode::kNotFound, "SIGNAL_NOT_FOUND", ""));
  auto list = service_.List(app_, ListQuery{});
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].id, mine);
}

TEST_F(SignalServiceTest, FullViewNeedsTheRoleAndIsLogged) {
  const std::string id = SubmitOne(app_);
  const size_t before = repo_.records().size();
  EXPECT_THAT(service_.Get(TestCall("d-1", {roles::kCampaignDesigner}), id, View::kFull),
              StatusIs(absl::StatusCode::kPermissionDenied, "FULL_VIEW_NOT_ALLOWED", ""));
  EXPECT_TRUE(service_.Get(officer_, id, View::kBasic).ok());
  EXPECT_EQ(repo_.records().size(), before);  // nothing personal shown, nothing logged
  auto full = service_.Get(officer_, id, View::kFull);
  ASSERT_TRUE(full.ok());
  EXPECT_EQ(repo_.records().size(), before + 1);
}

// (Page sizes and tokens are the api layer's: intake_api_test.)
TEST_F(SignalServiceTest, ListContinuesAfterAPositionAndRefusesAnEmptyWindow) {
  for (int i = 0; i < 5; ++i) {
    SubmitOne(officer_);
    clock_.Advance(absl::Seconds(1));
  }
  ListQuery q;
  q.limit = 2;
  std::vector<std::string> seen;
  for (;;) {
    auto page = service_.List(officer_, q);
    ASSERT_TRUE(page.ok()) << page.status();
    for (const auto& s : *page) seen.push_back(s.id);
    if (page->size() < 2u) break;
    q.after = std::make_pair(page->back().receive_time, page->back().id);
  }
  EXPECT_EQ(seen.size(), 5u);
  EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()).size(), 5u);

  ListQuery window;
  window.received_from = clock_.Now();
  window.received_before = clock_.Now() - absl::Hours(1);
  EXPECT_THAT(service_.List(officer_, window),
              StatusIs(absl::StatusCode::kInvalidArgument, "INVALID_TIME_WINDOW", "receive_time_end"));
}

TEST_F(SignalServiceTest, WatchReplaysHistoryAndEndsAtTheFinalState) {
  const std::string id = SubmitOne(app_);
  ASSERT_TRUE(service_.Decline(officer_, id, DeclineReason::kOutOfScope, "Valt buiten het CAK.").ok());
  std::vector<SignalEvent> got;
  WatchSink sink{[&](const SignalEvent& e) {
                   got.push_back(e);
                   return true;
                 },
                 [] { return false; }};
  CAK_ASSERT_OK(service_.Watch(app_, id, 0, sink));
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].type, EventType::kReceived);
  EXPECT_EQ(got[1].to, SignalState::kNoAction);
  EXPECT_EQ(got[1].text, "Valt buiten het CAK.");
  // Resuming after the last event of a final signal ends at once.
  const int64_t last = got.back().sequence;
  got.clear();
  CAK_ASSERT_OK(service_.Watch(app_, id, last, sink));
  EXPECT_TRUE(got.empty());
}

TEST_F(SignalServiceTest, WatchEndsWhenTheServerShutsDown) {
  const std::string id = SubmitOne(app_);
  notifier_.Shutdown();
  WatchSink sink{[](const SignalEvent&) { return true; }, [] { return false; }};
  EXPECT_THAT(service_.Watch(app_, id, 0, sink), StatusIs(absl::StatusCode::kUnavailable, "SHUTTING_DOWN", ""));
}

TEST_F(SignalServiceTest, PurgeRemovesOnlySignalsPastRetention) {
  const std::string old_id = SubmitOne(app_);
  ASSERT_TRUE(service_.Decline(officer_, old_id, DeclineReason::kDuplicate, "Dubbel.").ok());
  clock_.Advance(absl::Hours(24 * 731));
  const std::string open_id = SubmitOne(app_);
  auto dry = service_.Purge(officer_, true);
  ASSERT_TRUE(dry.ok());
  EXPECT_EQ(dry->count, 1);
  EXPECT_EQ(repo_.size(), 2u);
  auto done = service_.Purge(officer_, false);
  ASSERT_TRUE(done.ok());
  EXPECT_EQ(done->signal_ids, std::vector<std::string>{old_id});
  EXPECT_EQ(repo_.size(), 1u);
  EXPECT_EQ(repo_.records().back().activity, common::ProcessingActivity::kBewaartermijn);
  EXPECT_TRUE(service_.Get(officer_, open_id, View::kBasic).ok());
}

}  // namespace
}  // namespace cak::intake::domain
