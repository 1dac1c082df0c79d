// Unit tests of campaign-svc's domain with in-memory fakes: no database, no network, a fake
// clock. The lifecycle, the message rules per channel, feasibility, four eyes, the release's
// outbox messages and their delivery (retries, lost answers, refusals).
#include "campaign-svc/src/domain/campaign_service.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>

#include "campaign-svc/src/domain/reasons.h"
#include "campaign-svc/test/fakes.h"
#include "common/testing/fake_clock.h"
#include "common/testing/status_matchers.h"

namespace cak::campaign::domain {
namespace {

using common::testing::StatusIs;
using testing::FakeAnalysis;
using testing::FakeDispatch;
using testing::FakeIntake;
using testing::FakeRepository;
using ::testing::HasSubstr;

constexpr char kSignal[] = "5b7f2f0e-2a43-4d7e-8c57-2f3a9d1b6e01";
constexpr char kSet[] = "7c1e2f0e-2a43-4d7e-8c57-2f3a9d1b6e02";
constexpr char kLetter[] = "{aanhef},\n\nUw klantnummer is {klantnummer}. Wij hebben het bedrag van {bedrag} hersteld.";

common::CallContext Call(const std::string& id, std::vector<std::string> roles) {
  common::CallContext c;
  c.trace = common::TraceContext::NewRoot();
  c.principal = {id, common::PrincipalKind::kEmployee, std::move(roles)};
  return c;
}

class CampaignServiceTest : public ::testing::Test {
 protected:
  CampaignServiceTest() : service_(&repo_, &intake_, &analysis_, &dispatch_, &clock_, {}) {
    intake_.signals[kSignal] = SignalState::kInAssessment;
    analysis_.sets[kSet] = {kSet, kSignal, 3, {{"vertegenwoordigd", 100}, {"bellen", 40}, {"rest", 7}}};
  }

  Campaign Create(double share = 0.1) {
    NewCampaign n;
    n.title = "Herstel factuur Wlz";
    n.signal_id = kSignal;
    n.target_group_set_id = kSet;
    n.control_share = share;
    n.control_seed = 42;
    bool replayed = false;
    auto c = service_.Create(designer_, n, &replayed);
    EXPECT_TRUE(c.ok()) << c.status();
    return *c;
  }

  GroupUpdate Letter(const std::string& group) {
    GroupUpdate u;
    u.group = group;
    u.paths = {"action", "message_text", "window_start", "window_end", "values"};
    u.action = Action::kLetter;
    u.message_text = kLetter;
    u.window_start = service_.Today();
    u.window_end = service_.Today() + 14;
    u.values = {{"bedrag", "€ 12,50"}};
    return u;
  }

  // Letters for the first group, NONE for the others, feasibility confirmed.
  Campaign Ready(double share = 0.1) {
    Campaign c = Create(share);
    EXPECT_TRUE(service_.UpdateGroup(designer_, c.id, Letter("vertegenwoordigd")).ok());
    for (const char* g : {"bellen", "rest"}) {
      GroupUpdate none;
      none.group = g;
      none.paths = {"action"};
      none.action = Action::kNone;
      EXPECT_TRUE(service_.UpdateGroup(designer_, c.id, none).ok());
    }
    EXPECT_TRUE(service_.CheckFeasibility(designer_, c.id).ok());
    dispatch_.ConfirmAll();
    auto checked = service_.CheckFeasibility(designer_, c.id);
    EXPECT_TRUE(checked.ok()) << checked.status();
    return *checked;
  }

  common::testing::FakeClock clock_;
  FakeRepository repo_;
  FakeIntake intake_;
  FakeAnalysis analysis_;
  FakeDispatch dispatch_;
  CampaignService service_;
  common::CallContext designer_ = Call("emp-3003", {"campaign_designer"});
  common::CallContext approver_ = Call("emp-5005", {"approver"});
};

TEST_F(CampaignServiceTest, CreateTakesTheGroupsOfTheSetInPriorityOrder) {
  Campaign c = Create();
  EXPECT_EQ(c.state, CampaignState::kDraft);
  ASSERT_EQ(c.groups.size(), 3u);
  EXPECT_EQ(c.groups[0].name, "vertegenwoordigd");
  EXPECT_EQ(c.groups[0].priority, 1);
  EXPECT_EQ(c.groups[2].member_count, 7);
  EXPECT_EQ(c.created_by, "emp-3003");
}

TEST_F(CampaignServiceTest, CreateNeedsASignalInAssessmentAndItsOwnSet) {
  intake_.signals[kSignal] = SignalState::kReceived;
  NewCampaign n{"", "", "titel", kSignal, kSet, 0, 0};
  bool replayed;
  EXPECT_THAT(service_.Create(designer_, n, &replayed),
              StatusIs(absl::StatusCode::kFailedPrecondition, reason::kSignalNotInAssessment, "campaign.signal"));
  intake_.signals[kSignal] = SignalState::kInAssessment;
  analysis_.sets[kSet].signal_id = "other";
  EXPECT_THAT(
      service_.Create(designer_, n, &replayed),
      StatusIs(absl::StatusCode::kInvalidArgument, reason::kTargetGroupSetOfOtherSignal, "campaign.target_group_set"));
  n.control_share = 0.7;
  EXPECT_THAT(service_.Create(designer_, n, &replayed),
              StatusIs(absl::StatusCode::kInvalidArgument, "INVALID_FIELD_VALUE", "campaign.control_share"));
  EXPECT_TRUE(repo_.campaigns.empty());
}

TEST_F(CampaignServiceTest, MessageIsCheckedForTheGroupsChannelAndVersioned) {
  Campaign c = Create();
  GroupUpdate u = Letter("vertegenwoordigd");
  u.message_text = "{aanhef}, uw {bijdrage} is hersteld.";
  auto bad = service_.UpdateGroup(designer_, c.id, u);
  EXPECT_THAT(bad, StatusIs(absl::StatusCode::kInvalidArgument, "UNKNOWN_PLACEHOLDER", "message_text"));
  EXPECT_THAT(std::string(bad.status().message()), HasSubstr("bijdrage"));
  u.message_text = "{aanhef}, uw bijdrage {is hersteld.";
  EXPECT_THAT(service_.UpdateGroup(designer_, c.id, u),
              StatusIs(absl::StatusCode::kInvalidArgument, "UNBALANCED_BRACES", "message_text"));
  u.message_text = "Uw bijdrage is hersteld.";  // a letter opens with {aanhef}
  EXPECT_THAT(service_.UpdateGroup(designer_, c.id, u),
              StatusIs(absl::StatusCode::kInvalidArgument, "REQUIRED_PLACEHOLDER_MISSING", "message_text"));
  EXPECT_TRUE(repo_.versions.empty());

  CAK_ASSERT_OK(service_.UpdateGroup(designer_, c.id, Letter("vertegenwoordigd")).status());
  GroupUpdate again;
  again.group = "vertegenwoordigd";
  again.paths = {"message_text"};
  again.message_text = "{aanhef},\n\nUw factuur is hersteld.";
  CAK_ASSERT_OK_AND_ASSIGN(Campaign changed, service_.UpdateGroup(designer_, c.id, again));
  EXPECT_EQ(changed.groups[0].message->version, 2);
  CAK_ASSERT_OK_AND_ASSIGN(auto versions, service_.ListMessageVersions(designer_, c.id, "vertegenwoordigd"));
  ASSERT_EQ(versions.size(), 2u);
  EXPECT_EQ(versions[0].version, 2);

  // A contact moment carries no name: switching the action re-checks the current text.
  GroupUpdate switch_action;
  switch_action.group = "vertegenwoordigd";
  switch_action.paths = {"action"};
  switch_action.action = Action::kContactMoment;
  EXPECT_THAT(service_.UpdateGroup(designer_, c.id, switch_action),
              StatusIs(absl::StatusCode::kInvalidArgument, "PLACEHOLDER_NOT_ALLOWED_FOR_CHANNEL", "action"));
}

TEST_F(CampaignServiceTest, WindowAndValuesAreValidated) {
  Campaign c = Create();
  GroupUpdate u = Letter("vertegenwoordigd");
  u.window_start = service_.Today() - 1;
  EXPECT_THAT(service_.UpdateGroup(designer_, c.id, u),
              StatusIs(absl::StatusCode::kInvalidArgument, reason::kInvalidWindow, "window_start"));
  u = Letter("vertegenwoordigd");
  u.window_end = service_.Today() - 0;
  u.window_start = service_.Today() + 3;
  EXPECT_THAT(service_.UpdateGroup(designer_, c.id, u),
              StatusIs(absl::StatusCode::kInvalidArgument, reason::kInvalidWindow, "window_end"));
  u = Letter("vertegenwoordigd");
  u.values["iban"] = "x";
  EXPECT_THAT(service_.UpdateGroup(designer_, c.id, u),
              StatusIs(absl::StatusCode::kInvalidArgument, reason::kUnknownValue, "values[iban]"));
  u = Letter("onbekend");
  EXPECT_THAT(service_.UpdateGroup(designer_, c.id, u),
              StatusIs(absl::StatusCode::kInvalidArgument, reason::kGroupNotFound, "group"));
  u = Letter("vertegenwoordigd");
  u.paths = {"title"};
  EXPECT_THAT(service_.UpdateGroup(designer_, c.id, u),
              StatusIs(absl::StatusCode::kInvalidArgument, "INVALID_FIELD_VALUE", "update_mask.paths[0]"));
}

TEST_F(CampaignServiceTest, FeasibilityAsksTheContactedVolumeAndAChangeDropsTheAnswer) {
  Campaign c = Ready(0.1);
  const GroupFeasibility& f = *c.groups[0].feasibility;
  EXPECT_EQ(f.volume, 90);  // 100 members, 10 held back
  EXPECT_EQ(f.state, FeasibilityState::kConfirmed);
  EXPECT_FALSE(c.groups[1].feasibility.has_value());  // NONE: nobody to ask
  GroupUpdate later;
  later.group = "vertegenwoordigd";
  later.paths = {"window_end"};
  later.window_end = service_.Today() + 20;
  CAK_ASSERT_OK_AND_ASSIGN(Campaign changed, service_.UpdateGroup(designer_, c.id, later));
  EXPECT_FALSE(changed.groups[0].feasibility.has_value());
}

TEST_F(CampaignServiceTest, FeasibilityIsAskedWithTheGroupsGuidelinesForTheExecutor) {
  Campaign c = Create();
  GroupUpdate u = Letter("vertegenwoordigd");
  u.paths.push_back("guidelines");
  u.guidelines = "Verzenden in de blauwe envelop; geen antwoordkaart.";
  CAK_ASSERT_OK(service_.UpdateGroup(designer_, c.id, u).status());
  for (const char* g : {"bellen", "rest"}) {
    GroupUpdate none;
    none.group = g;
    none.paths = {"action"};
    none.action = Action::kNone;
    CAK_ASSERT_OK(service_.UpdateGroup(designer_, c.id, none).status());
  }
  CAK_ASSERT_OK(service_.CheckFeasibility(designer_, c.id).status());
  ASSERT_EQ(dispatch_.questions.size(), 1u);
  EXPECT_EQ(dispatch_.questions[0].guidelines, "Verzenden in de blauwe envelop; geen antwoordkaart.");
  // The executor judged the work with those guidelines: changing them drops the answer.
  GroupUpdate other;
  other.group = "vertegenwoordigd";
  other.paths = {"guidelines"};
  other.guidelines = "Verzenden in de witte envelop.";
  CAK_ASSERT_OK_AND_ASSIGN(Campaign changed, service_.UpdateGroup(designer_, c.id, other));
  EXPECT_FALSE(changed.groups[0].feasibility.has_value());
  CAK_ASSERT_OK(service_.CheckFeasibility(designer_, c.id).status());
  ASSERT_EQ(dispatch_.questions.size(), 2u);
  EXPECT_EQ(dispatch_.questions[1].guidelines, "Verzenden in de witte envelop.");
}

TEST_F(CampaignServiceTest, SubmitNeedsCompleteGroupsAndConfirmedFeasibility) {
  Campaign c = Create();
  EXPECT_THAT(service_.Submit(designer_, c.id, ""),
              StatusIs(absl::StatusCode::kFailedPrecondition, reason::kGroupIncomplete, "groups[0].action"));
  CAK_ASSERT_OK(service_.UpdateGroup(designer_, c.id, Letter("vertegenwoordigd")).status());
  for (const char* g : {"bellen", "rest"}) {
    GroupUpdate none{g, {"action"}, Action::kNone};
    CAK_ASSERT_OK(service_.UpdateGroup(designer_, c.id, none).status());
  }
  EXPECT_THAT(
      service_.Submit(designer_, c.id, ""),
      StatusIs(absl::StatusCode::kFailedPrecondition, reason::kFeasibilityNotConfirmed, "groups[0].feasibility"));
  CAK_ASSERT_OK(service_.CheckFeasibility(designer_, c.id).status());
  EXPECT_THAT(
      service_.Submit(designer_, c.id, ""),
      StatusIs(absl::StatusCode::kFailedPrecondition, reason::kFeasibilityNotConfirmed, "groups[0].feasibility"));
  dispatch_.ConfirmAll();  // Submit pulls the executor's sign-off itself
  CAK_ASSERT_OK_AND_ASSIGN(Campaign submitted, service_.Submit(designer_, c.id, "graag beoordelen"));
  EXPECT_EQ(submitted.state, CampaignState::kReadyForReview);
  EXPECT_EQ(submitted.groups[0].recipient_list, "list-1");
  EXPECT_EQ(submitted.groups[0].control_list, "list-1-control");
  EXPECT_EQ(submitted.groups[0].recipient_count, 90);
  EXPECT_TRUE(submitted.groups[1].recipient_list.empty());
}

TEST_F(CampaignServiceTest, FourEyesTheDesignerOrAnEditorCannotReview) {
  Campaign c = Ready();
  CAK_ASSERT_OK(service_.Submit(designer_, c.id, "").status());
  const common::CallContext designer_approver = Call("emp-3003", {"campaign_designer", "approver"});
  EXPECT_THAT(service_.Approve(designer_approver, c.id, "", 0),
              StatusIs(absl::StatusCode::kPermissionDenied, reason::kFourEyesViolation, ""));
  EXPECT_THAT(service_.Approve(Call("emp-7007", {"campaign_designer"}), c.id, "", 0),
              StatusIs(absl::StatusCode::kPermissionDenied, reason::kApproverRoleRequired, ""));
  EXPECT_THAT(service_.Approve(approver_, c.id, "", 1),
              StatusIs(absl::StatusCode::kAborted, reason::kRevisionChanged, ""));
  CAK_ASSERT_OK_AND_ASSIGN(Campaign approved, service_.Approve(approver_, c.id, "akkoord", 0));
  EXPECT_EQ(approved.state, CampaignState::kApproved);
  ASSERT_FALSE(approved.decisions.empty());
  EXPECT_EQ(approved.decisions.back().kind, DecisionKind::kApproved);
  EXPECT_EQ(approved.decisions.back().actor, "emp-5005");
}

TEST_F(CampaignServiceTest, AnEditorBecomesADesignerAndChangesRequestedGoBackToDraft) {
  Campaign c = Ready();
  CAK_ASSERT_OK(service_.Submit(designer_, c.id, "").status());
  CAK_ASSERT_OK_AND_ASSIGN(Campaign back, service_.RequestChanges(approver_, c.id, "Kortere zinnen graag."));
  EXPECT_EQ(back.state, CampaignState::kDraft);
  // The approver now edits the text: from then on they may not approve it.
  const common::CallContext approver_designer = Call("emp-5005", {"campaign_designer", "approver"});
  GroupUpdate edit{"vertegenwoordigd", {"message_text"}};
  edit.message_text = "{aanhef},\n\nWij hebben uw factuur hersteld.";
  CAK_ASSERT_OK(service_.UpdateGroup(approver_designer, c.id, edit).status());
  CAK_ASSERT_OK(service_.Submit(designer_, c.id, "").status());
  EXPECT_THAT(service_.Approve(approver_designer, c.id, "", 0),
              StatusIs(absl::StatusCode::kPermissionDenied, reason::kFourEyesViolation, ""));
}

TEST_F(CampaignServiceTest, ReleaseEnqueuesOneOrderPerContactedGroupAndTheSignalOnce) {
  Campaign c = Ready();
  CAK_ASSERT_OK(service_.Submit(designer_, c.id, "").status());
  CAK_ASSERT_OK(service_.Approve(approver_, c.id, "", 0).status());
  CAK_ASSERT_OK_AND_ASSIGN(Campaign released, service_.Release(approver_, c.id));
  EXPECT_EQ(released.state, CampaignState::kReleased);
  // The order is asked for within the campaign's action (here: the trace its creation started,
  // the signal having none), as a child of the releasing call's span.
  const auto action = common::ParseTraceparent(c.action_traceparent);
  ASSERT_TRUE(action.has_value());
  EXPECT_EQ(action->trace_id, designer_.trace.trace_id);
  const auto order_parent = common::ParseTraceparent(repo_.outbox[0].message.traceparent);
  ASSERT_TRUE(order_parent.has_value());
  EXPECT_EQ(order_parent->trace_id, action->trace_id);
  EXPECT_EQ(order_parent->span_id, approver_.trace.span_id);
  ASSERT_EQ(repo_.outbox.size(), 2u);
  EXPECT_EQ(repo_.outbox[0].message.topic, kTopicCreateOrder);
  EXPECT_EQ(repo_.outbox[1].message.topic, kTopicSignalPlanned);
  EXPECT_EQ(released.groups[0].order_delivery, OrderDelivery::kPending);
  // Released again: the same campaign, nothing new in the outbox.
  CAK_ASSERT_OK(service_.Release(approver_, c.id).status());
  EXPECT_EQ(repo_.outbox.size(), 2u);

  repo_.Deliver(service_);
  CAK_ASSERT_OK_AND_ASSIGN(Campaign after, service_.Get(designer_, c.id));
  EXPECT_EQ(after.groups[0].order_delivery, OrderDelivery::kCreated);
  EXPECT_EQ(after.groups[0].dispatch_order, "dispatchOrders/order-1");
  ASSERT_EQ(dispatch_.order_calls.size(), 1u);
  const OrderRequest& o = dispatch_.order_calls[0];
  EXPECT_EQ(o.recipient_list_id, "list-1");
  EXPECT_EQ(o.message_text, kLetter);
  EXPECT_EQ(o.message_reference, MessageReference(c, c.groups[0], 1));
  EXPECT_EQ(dispatch_.order_trace_ids[0], action->TraceIdHex());  // the action's trace continues
  // Every processing of the campaign is logged in its action's trace, the release naming the
  // list it contacts.
  for (const auto& e : repo_.log) EXPECT_EQ(e.trace_id, action->TraceIdHex()) << e.record.name;
  const auto release = std::find_if(repo_.log.begin(), repo_.log.end(),
                                    [](const auto& e) { return e.record.name == "campaign.ReleaseCampaign"; });
  ASSERT_NE(release, repo_.log.end());
  EXPECT_EQ(release->record.attributes.at("contacted_lists"), "recipientLists/list-1");
  EXPECT_FALSE(release->foreign_trace_id.empty());  // the approver called from a trace of its own
  EXPECT_EQ(intake_.signals[kSignal], SignalState::kActionPlanned);
}

TEST_F(CampaignServiceTest, ALostAnswerIsRetriedWithTheSameRequestIdAndMakesOneOrder) {
  Campaign c = Ready();
  CAK_ASSERT_OK(service_.Submit(designer_, c.id, "").status());
  CAK_ASSERT_OK(service_.Approve(approver_, c.id, "", 0).status());
  CAK_ASSERT_OK(service_.Release(approver_, c.id).status());
  dispatch_.lose_responses = 1;
  repo_.Deliver(service_);  // dispatch-svc created it, the answer was lost
  CAK_ASSERT_OK_AND_ASSIGN(Campaign pending, service_.Get(designer_, c.id));
  EXPECT_EQ(pending.groups[0].order_delivery, OrderDelivery::kPending);
  repo_.Deliver(service_);
  ASSERT_EQ(dispatch_.order_calls.size(), 2u);
  EXPECT_EQ(dispatch_.order_calls[0].request_id, dispatch_.order_calls[1].request_id);
  EXPECT_EQ(dispatch_.orders.size(), 1u);
  CAK_ASSERT_OK_AND_ASSIGN(Campaign done, service_.Get(designer_, c.id));
  EXPECT_EQ(done.groups[0].order_delivery, OrderDelivery::kCreated);
}

TEST_F(CampaignServiceTest, ARefusalByDispatchFailsTheOrderForAPerson) {
  Campaign c = Ready();
  CAK_ASSERT_OK(service_.Submit(designer_, c.id, "").status());
  CAK_ASSERT_OK(service_.Approve(approver_, c.id, "", 0).status());
  CAK_ASSERT_OK(service_.Release(approver_, c.id).status());
  dispatch_.failure = common::MakeError(absl::StatusCode::kFailedPrecondition, "INSUFFICIENT_CAPACITY", "vol");
  repo_.Deliver(service_);
  CAK_ASSERT_OK_AND_ASSIGN(Campaign failed, service_.Get(designer_, c.id));
  EXPECT_EQ(failed.groups[0].order_delivery, OrderDelivery::kFailed);
  EXPECT_THAT(failed.groups[0].order_error, HasSubstr("vol"));
}

TEST_F(CampaignServiceTest, ReleaseIsRefusedWhenTheSignalWasDeclinedMeanwhile) {
  Campaign c = Ready();
  CAK_ASSERT_OK(service_.Submit(designer_, c.id, "").status());
  CAK_ASSERT_OK(service_.Approve(approver_, c.id, "", 0).status());
  intake_.signals[kSignal] = SignalState::kNoAction;
  EXPECT_THAT(service_.Release(approver_, c.id),
              StatusIs(absl::StatusCode::kFailedPrecondition, reason::kSignalNotOpen, "campaign"));
  EXPECT_TRUE(repo_.outbox.empty());
  CAK_ASSERT_OK_AND_ASSIGN(Campaign cancelled, service_.Cancel(designer_, c.id, "Melding afgewezen"));
  EXPECT_EQ(cancelled.state, CampaignState::kCancelled);
}

TEST_F(CampaignServiceTest, CompleteWaitsForTheOrdersAndClosesTheSignalWithFeedback) {
  Campaign c = Ready();
  CAK_ASSERT_OK(service_.Submit(designer_, c.id, "").status());
  CAK_ASSERT_OK(service_.Approve(approver_, c.id, "", 0).status());
  CAK_ASSERT_OK(service_.Release(approver_, c.id).status());
  EXPECT_THAT(service_.Complete(designer_, c.id, "Klaar."),
              StatusIs(absl::StatusCode::kFailedPrecondition, reason::kOrdersNotCompleted, "groups[0]"));
  repo_.Deliver(service_);
  EXPECT_THAT(service_.Complete(designer_, c.id, "Klaar."),
              StatusIs(absl::StatusCode::kFailedPrecondition, reason::kOrdersNotCompleted, "groups[0]"));
  dispatch_.order_state = OrderState::kCompleted;
  CAK_ASSERT_OK_AND_ASSIGN(Campaign done, service_.Complete(designer_, c.id, "Alle klanten zijn geinformeerd."));
  EXPECT_EQ(done.state, CampaignState::kCompleted);
  repo_.Deliver(service_);
  EXPECT_EQ(intake_.signals[kSignal], SignalState::kClosed);
  EXPECT_EQ(intake_.last_feedback, "Alle klanten zijn geinformeerd.");
}

TEST_F(CampaignServiceTest, APreviewIsPseudonymisedAndRendersTheOrderValues) {
  Campaign c = Create();
  CAK_ASSERT_OK(service_.UpdateGroup(designer_, c.id, Letter("vertegenwoordigd")).status());
  CAK_ASSERT_OK_AND_ASSIGN(Preview p, service_.PreviewMessage(designer_, c.id, {"vertegenwoordigd", 2, 7}));
  ASSERT_EQ(p.previews.size(), 2u);
  EXPECT_THAT(p.previews[0].text, HasSubstr("Geachte J. d* V*****"));
  EXPECT_THAT(p.previews[0].text, HasSubstr("[klantnummer]"));
  EXPECT_THAT(p.previews[0].text, HasSubstr("€ 12,50"));
  EXPECT_THAT(p.previews[1].text, HasSubstr("[vertegenwoordiger]"));
  EXPECT_THAT(service_.PreviewMessage(designer_, c.id, {"bellen", 2, 7}),
              StatusIs(absl::StatusCode::kFailedPrecondition, reason::kNoMessage, "group"));
}

TEST_F(CampaignServiceTest, NothingChangesOutsideDraft) {
  Campaign c = Ready();
  CAK_ASSERT_OK(service_.Submit(designer_, c.id, "").status());
  EXPECT_THAT(service_.UpdateGroup(designer_, c.id, Letter("vertegenwoordigd")),
              StatusIs(absl::StatusCode::kFailedPrecondition, reason::kCampaignNotEditable, ""));
  EXPECT_THAT(service_.Release(designer_, c.id),
              StatusIs(absl::StatusCode::kFailedPrecondition, reason::kInvalidTransition, ""));
}

TEST_F(CampaignServiceTest, ARefusedOrderIsOfferedAgainWhenTheCampaignIsReleasedAgain) {
  Campaign c = Ready();
  CAK_ASSERT_OK(service_.Submit(designer_, c.id, "").status());
  CAK_ASSERT_OK(service_.Approve(approver_, c.id, "", 0).status());
  CAK_ASSERT_OK(service_.Release(approver_, c.id).status());
  dispatch_.failure = common::MakeError(absl::StatusCode::kFailedPrecondition, "INSUFFICIENT_CAPACITY", "vol");
  repo_.Deliver(service_);
  ASSERT_EQ(service_.Get(designer_, c.id)->groups[0].order_delivery, OrderDelivery::kFailed);
  dispatch_.failure = absl::OkStatus();  // the executor's calendar was extended
  CAK_ASSERT_OK_AND_ASSIGN(Campaign again, service_.Release(approver_, c.id));
  EXPECT_EQ(again.groups[0].order_delivery, OrderDelivery::kPending);
  repo_.Deliver(service_);
  CAK_ASSERT_OK_AND_ASSIGN(Campaign done, service_.Get(designer_, c.id));
  EXPECT_EQ(done.groups[0].order_delivery, OrderDelivery::kCreated);
  EXPECT_EQ(dispatch_.orders.size(), 1u);
}

TEST_F(CampaignServiceTest, AStartedWindowStopsTheReleaseAndTheApprovalCanBeTakenBack) {
  Campaign c = Ready();
  CAK_ASSERT_OK(service_.Submit(designer_, c.id, "").status());
  CAK_ASSERT_OK(service_.Approve(approver_, c.id, "", 0).status());
  clock_.Advance(absl::Hours(24 * 3));
  EXPECT_THAT(service_.Release(approver_, c.id),
              StatusIs(absl::StatusCode::kFailedPrecondition, reason::kWindowStarted, "groups[0].window_start"));
  EXPECT_TRUE(repo_.outbox.empty());
  CAK_ASSERT_OK_AND_ASSIGN(Campaign back, service_.RequestChanges(approver_, c.id, "Nieuwe planning nodig."));
  EXPECT_EQ(back.state, CampaignState::kDraft);
}

TEST_F(CampaignServiceTest, TheSubmitterAndApplicationsCannotApprove) {
  Campaign c = Ready();
  const common::CallContext submitter = Call("emp-6006", {"campaign_designer", "approver"});
  CAK_ASSERT_OK(service_.Submit(submitter, c.id, "").status());
  EXPECT_THAT(service_.Approve(submitter, c.id, "", 0),
              StatusIs(absl::StatusCode::kPermissionDenied, reason::kFourEyesViolation, ""));
  common::CallContext app = Call("campaign-bot", {"approver"});
  app.principal.kind = common::PrincipalKind::kApplication;
  EXPECT_THAT(service_.Approve(app, c.id, "", 0),
              StatusIs(absl::StatusCode::kPermissionDenied, reason::kApproverRoleRequired, ""));
  CAK_ASSERT_OK(service_.Approve(approver_, c.id, "", 0).status());
}

TEST_F(CampaignServiceTest, ACampaignThatContactsNobodyIsNotSubmitted) {
  Campaign c = Create();
  for (const char* g : {"vertegenwoordigd", "bellen", "rest"}) {
    GroupUpdate none{g, {"action"}, Action::kNone};
    CAK_ASSERT_OK(service_.UpdateGroup(designer_, c.id, none).status());
  }
  EXPECT_THAT(service_.Submit(designer_, c.id, ""),
              StatusIs(absl::StatusCode::kFailedPrecondition, reason::kNothingToContact, "groups"));
}

TEST_F(CampaignServiceTest, ARepeatedCreateAnswersTheFirstCampaignWhateverThePeersSayNow) {
  NewCampaign n{"create-1", "fp", "Herstel factuur", kSignal, kSet, 0.1, 3};
  bool replayed = false;
  CAK_ASSERT_OK_AND_ASSIGN(Campaign first, service_.Create(designer_, n, &replayed));
  EXPECT_FALSE(replayed);
  intake_.signals[kSignal] = SignalState::kActionPlanned;  // moved on meanwhile
  intake_.failure = absl::UnavailableError("intake-svc is down");
  CAK_ASSERT_OK_AND_ASSIGN(Campaign again, service_.Create(designer_, n, &replayed));
  EXPECT_TRUE(replayed);
  EXPECT_EQ(again.id, first.id);
}

TEST(OutboxRulesTest, RetryableAndBackoff) {
  EXPECT_TRUE(common::OutboxRetryable(absl::UnavailableError("")));
  EXPECT_TRUE(common::OutboxRetryable(absl::DeadlineExceededError("")));
  EXPECT_FALSE(common::OutboxRetryable(absl::FailedPreconditionError("")));
  EXPECT_FALSE(common::OutboxRetryable(absl::InvalidArgumentError("")));
  EXPECT_EQ(common::OutboxBackoff(0, absl::Minutes(5)), absl::Seconds(1));
  EXPECT_EQ(common::OutboxBackoff(3, absl::Minutes(5)), absl::Seconds(8));
  EXPECT_EQ(common::OutboxBackoff(30, absl::Minutes(5)), absl::Minutes(5));
}

}  // namespace
}  // namespace cak::campaign::domain
