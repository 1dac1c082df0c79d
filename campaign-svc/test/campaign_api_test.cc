// API tests of campaign-svc over a real gRPC channel on port 0, against the real PostgreSQL
// schema (own schema per test, runtime role privileges) and in-memory fakes of intake-svc,
// analysis-svc and dispatch-svc. Every bad-input rule: status code, reason, field, and that
// nothing was written. The release's outbox is delivered by the real relay code, driven step
// by step (DeliverOne) with a fake clock.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>
#include <mutex>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "cak/voorlichting/campaign/v1/campaign_service.grpc.pb.h"
#include "cak/voorlichting/privacy/v1/data_subject_service.grpc.pb.h"
#include "campaign-svc/src/clients/gateways.h"
#include "campaign-svc/src/server/campaign_server.h"
#include "campaign-svc/src/storage/schema.h"
#include "campaign-svc/test/fakes.h"
#include "common/base/errors.h"
#include "common/base/page_token.h"
#include "common/grpc/peer_channel.h"
#include "common/grpc/status.h"
#include "common/testing/call_context.h"
#include "common/testing/fake_clock.h"
#include "common/testing/grpc_test_support.h"
#include "common/testing/pg_test_env.h"
#include "common/testing/status_matchers.h"

namespace cak::campaign {
namespace {

namespace pb = cak::voorlichting::campaign::v1;
using common::testing::ContextFor;
using common::testing::GrpcStatusIs;
using common::testing::TestCaller;
using ::testing::HasSubstr;

constexpr char kSignal[] = "5b7f2f0e-2a43-4d7e-8c57-2f3a9d1b6e01";
constexpr char kSet[] = "7c1e2f0e-2a43-4d7e-8c57-2f3a9d1b6e02";
constexpr char kAppRole[] = "cak_test_app";

const TestCaller kDesigner{"emp-3003", {"campaign_designer"}, false};
const TestCaller kApprover{"emp-5005", {"approver"}, false};
const TestCaller kDesignerApprover{"emp-3003", {"campaign_designer", "approver"}, false};
const TestCaller kAnalyst{"emp-2002", {"analyst"}, false};

class CampaignApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto schema = common::testing::TestSchema::Create("campaign", storage::CampaignMigrationSets(), kAppRole);
    ASSERT_TRUE(schema.ok()) << schema.status();
    schema_ = *std::move(schema);
    auto pool = schema_->MakePool(4, absl::Seconds(5), kAppRole);
    ASSERT_TRUE(pool.ok()) << pool.status();
    pool_ = *std::move(pool);
    common::AuthOptions auth;
    auth.mode = "development";
    auth_ = *common::Authenticator::Create(auth, &auth_clock_);
    intake_.signals[kSignal] = domain::SignalState::kInAssessment;
    analysis_.sets[kSet] = {kSet, kSignal, 3, {{"vertegenwoordigd", 100}, {"bellen", 40}}};

    CampaignServerOptions o;
    o.pool = pool_.get();
    o.schema = schema_->name();
    o.clock = &clock_;
    o.auth = auth_.get();
    o.intake = &intake_;
    o.analysis = &analysis_;
    o.dispatch = &dispatch_;
    o.hasher = *common::DataSubjectHasher::Create("test-hash-key-of-at-least-32-bytes!!");
    o.outbox_threads = 0;  // the test drives the relay
    o.server.host = "127.0.0.1";
    o.server.grpc_port = 0;
    o.server.health_port = 0;
    server_ = std::make_unique<CampaignServer>(std::move(o));
    ASSERT_TRUE(server_->Start().ok());
    stub_ = pb::CampaignService::NewStub(common::testing::LocalChannel(server_->grpc_port()));
  }
  void TearDown() override {
    if (server_) server_->Shutdown();
  }

  int64_t Count(const std::string& table) {
    auto n = schema_->Query(absl::StrCat("SELECT count(*) FROM ", schema_->name(), ".", table));
    int64_t out = -1;
    if (n.ok()) (void)absl::SimpleAtoi(*n, &out);
    return out;
  }

  pb::Campaign Create(const std::string& request_id = "") {
    pb::CreateCampaignRequest req;
    req.set_request_id(request_id);
    req.mutable_campaign()->set_title("Herstel eigen bijdrage Wlz");
    req.mutable_campaign()->set_signal(absl::StrCat("signals/", kSignal));
    req.mutable_campaign()->set_target_group_set(absl::StrCat("targetGroupSets/", kSet));
    req.mutable_campaign()->set_control_share(0.1);
    req.mutable_campaign()->set_control_seed(7);
    pb::Campaign c;
    grpc::Status st = stub_->CreateCampaign(ContextFor(kDesigner).get(), req, &c);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return c;
  }

  pb::UpdateCampaignGroupRequest LetterUpdate(const pb::Campaign& c, const std::string& group) {
    pb::UpdateCampaignGroupRequest u;
    u.set_campaign(c.name());
    u.set_group(group);
    u.set_action(pb::ACTION_LETTER);
    u.set_message_text(
        "{aanhef},\n\nUw klantnummer is {klantnummer}. Wij hebben uw factuur hersteld. Het juiste "
        "bedrag is {bedrag}.");
    const absl::CivilDay today = absl::ToCivilDay(clock_.Now(), absl::UTCTimeZone());
    u.mutable_window_start()->set_year(static_cast<int>(today.year()));
    u.mutable_window_start()->set_month(today.month());
    u.mutable_window_start()->set_day(today.day());
    const absl::CivilDay end = today + 14;
    u.mutable_window_end()->set_year(static_cast<int>(end.year()));
    u.mutable_window_end()->set_month(end.month());
    u.mutable_window_end()->set_day(end.day());
    (*u.mutable_values())["bedrag"] = "€ 12,50";
    for (const char* p : {"action", "message_text", "window_start", "window_end", "values"}) {
      u.mutable_update_mask()->add_paths(p);
    }
    return u;
  }

  grpc::Status Update(const pb::UpdateCampaignGroupRequest& u, pb::Campaign* out = nullptr) {
    pb::Campaign ignored;
    return stub_->UpdateCampaignGroup(ContextFor(kDesigner).get(), u, out ? out : &ignored);
  }

  // A campaign ready for review: letters for the first group, nobody contacted in the second,
  // the executor's sign-off pulled in.
  pb::Campaign Submitted() {
    pb::Campaign c = Create();
    EXPECT_TRUE(Update(LetterUpdate(c, "vertegenwoordigd")).ok());
    pb::UpdateCampaignGroupRequest none;
    none.set_campaign(c.name());
    none.set_group("bellen");
    none.set_action(pb::ACTION_NONE);
    none.mutable_update_mask()->add_paths("action");
    EXPECT_TRUE(Update(none).ok());
    pb::CheckCampaignFeasibilityRequest check;
    check.set_campaign(c.name());
    EXPECT_TRUE(stub_->CheckCampaignFeasibility(ContextFor(kDesigner).get(), check, &c).ok());
    dispatch_.ConfirmAll();
    pb::SubmitCampaignForReviewRequest submit;
    submit.set_campaign(c.name());
    grpc::Status st = stub_->SubmitCampaignForReview(ContextFor(kDesigner).get(), submit, &c);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return c;
  }

  pb::Campaign Released() {
    pb::Campaign c = Submitted();
    pb::ApproveCampaignRequest approve;
    approve.set_campaign(c.name());
    approve.set_revision(c.revision());
    EXPECT_TRUE(stub_->ApproveCampaign(ContextFor(kApprover).get(), approve, &c).ok());
    pb::ReleaseCampaignRequest release;
    release.set_campaign(c.name());
    grpc::Status st = stub_->ReleaseCampaign(ContextFor(kApprover).get(), release, &c);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return c;
  }

  grpc::Status Preview(const pb::Campaign& c, int sample_size, pb::PreviewMessageResponse* out) {
    pb::PreviewMessageRequest preview;
    preview.set_campaign(c.name());
    preview.set_group("vertegenwoordigd");
    preview.set_sample_size(sample_size);
    return stub_->PreviewMessage(ContextFor(kDesigner).get(), preview, out);
  }

  pb::Campaign Get(const std::string& name) {
    pb::GetCampaignRequest req;
    req.set_name(name);
    pb::Campaign c;
    EXPECT_TRUE(stub_->GetCampaign(ContextFor(kDesigner).get(), req, &c).ok());
    return c;
  }

  // Runs the relay until nothing is due now.
  void DrainOutbox() {
    for (int i = 0; i < 20; ++i) {
      auto did = server_->relay().DeliverOne();
      ASSERT_TRUE(did.ok()) << did.status();
      if (!*did) return;
    }
  }

  // One row per processing-log entry (operations and per-subject children), oldest first:
  // "name|status|trace|parent|foreign trace|subject", as text.
  std::string LogRows(const std::string& where = "true") {
    auto rows = schema_->Query(absl::StrCat(
        "SELECT string_agg(concat_ws('|', name, status, encode(trace_id, 'hex'), coalesce(encode(parent_span_id, "
        "'hex'), '-'), coalesce(encode(foreign_operation_trace_id, 'hex'), '-'), coalesce(data_subject_id, '-')), "
        "E'\\n' ORDER BY id) FROM ",
        schema_->name(), ".processing_log WHERE ", where));
    EXPECT_TRUE(rows.ok()) << rows.status();
    return rows.ok() ? *rows : "";
  }
  std::string LogValue(const std::string& select, const std::string& where) {
    auto v =
        schema_->Query(absl::StrCat("SELECT ", select, " FROM ", schema_->name(), ".processing_log WHERE ", where));
    EXPECT_TRUE(v.ok()) << v.status();
    return v.ok() ? *v : "";
  }

  common::testing::FakeClock clock_;
  common::SystemClock auth_clock_;
  std::unique_ptr<common::testing::TestSchema> schema_;
  std::unique_ptr<common::db::PgPool> pool_;
  std::unique_ptr<common::Authenticator> auth_;
  testing::FakeIntake intake_;
  testing::FakeAnalysis analysis_;
  testing::FakeDispatch dispatch_;
  std::unique_ptr<CampaignServer> server_;
  std::unique_ptr<pb::CampaignService::Stub> stub_;
};

TEST_F(CampaignApiTest, CreateIsIdempotentByRequestId) {
  pb::Campaign first = Create("create-1");
  EXPECT_FALSE(first.replayed());
  ASSERT_EQ(first.groups_size(), 2);
  EXPECT_EQ(first.groups(0).control_count(), 10);
  EXPECT_EQ(first.state(), pb::CAMPAIGN_STATE_DRAFT);
  pb::Campaign again = Create("create-1");
  EXPECT_TRUE(again.replayed());
  EXPECT_EQ(again.name(), first.name());
  EXPECT_EQ(Count("campaigns"), 1);
}

TEST_F(CampaignApiTest, TheWholeReviewAndReleaseOverGrpc) {
  pb::Campaign c = Submitted();
  EXPECT_EQ(c.state(), pb::CAMPAIGN_STATE_READY_FOR_REVIEW);
  EXPECT_FALSE(c.groups(0).recipient_list().empty());
  EXPECT_FALSE(c.groups(0).control_list().empty());
  EXPECT_EQ(c.groups(0).recipient_count(), 90);
  EXPECT_EQ(c.groups(0).feasibility().state(), pb::FEASIBILITY_STATE_CONFIRMED);
  EXPECT_GT(c.groups(0).message().readability().words(), 5);

  // The designer may not approve their own campaign, even holding the approver role.
  pb::ApproveCampaignRequest approve;
  approve.set_campaign(c.name());
  pb::Campaign ignored;
  EXPECT_THAT(stub_->ApproveCampaign(ContextFor(kDesignerApprover).get(), approve, &ignored),
              GrpcStatusIs(grpc::StatusCode::PERMISSION_DENIED, "FOUR_EYES_VIOLATION", ""));
  EXPECT_EQ(Count("decisions"), 1);  // only the submission

  ASSERT_TRUE(stub_->ApproveCampaign(ContextFor(kApprover).get(), approve, &c).ok());
  EXPECT_EQ(c.state(), pb::CAMPAIGN_STATE_APPROVED);
  pb::ReleaseCampaignRequest release;
  release.set_campaign(c.name());
  ASSERT_TRUE(stub_->ReleaseCampaign(ContextFor(kApprover).get(), release, &c).ok());
  EXPECT_EQ(c.state(), pb::CAMPAIGN_STATE_RELEASED);
  EXPECT_EQ(c.groups(0).order_delivery(), pb::ORDER_DELIVERY_PENDING);
  EXPECT_EQ(c.groups(1).order_delivery(), pb::ORDER_DELIVERY_UNSPECIFIED);  // NONE

  DrainOutbox();
  pb::Campaign after = Get(c.name());
  EXPECT_EQ(after.groups(0).order_delivery(), pb::ORDER_DELIVERY_CREATED);
  EXPECT_EQ(after.groups(0).dispatch_order(), "dispatchOrders/order-1");
  EXPECT_EQ(intake_.signals[kSignal], domain::SignalState::kActionPlanned);

  // Releasing again answers with the same orders and enqueues nothing.
  pb::Campaign again;
  ASSERT_TRUE(stub_->ReleaseCampaign(ContextFor(kApprover).get(), release, &again).ok());
  EXPECT_EQ(again.groups(0).dispatch_order(), "dispatchOrders/order-1");
  EXPECT_EQ(Count("outbox"), 2);
  DrainOutbox();
  EXPECT_EQ(dispatch_.order_calls.size(), 1u);
  ASSERT_EQ(after.decisions_size(), 3);
  EXPECT_EQ(after.decisions(1).actor(), "emp-5005");
}

// A page of ListCampaigns (read in one statement) shows each campaign exactly as GetCampaign
// does: a draft, and a released one with its decisions and its groups' order state from the
// outbox, first pending with the last error, then created.
TEST_F(CampaignApiTest, AListedCampaignIsTheCampaignGetShows) {
  const pb::Campaign released = Released();
  intake_.signals[kSignal] = domain::SignalState::kInAssessment;  // (the fake) for a second campaign
  const pb::Campaign draft = Create();
  const auto expect_listed_as_got = [&] {
    pb::ListCampaignsRequest list;
    list.set_page_size(1);  // one campaign a page: the paging read too
    std::map<std::string, pb::Campaign> listed;
    for (int page = 0; page < 5; ++page) {
      pb::ListCampaignsResponse resp;
      CAK_ASSERT_GRPC_OK(stub_->ListCampaigns(ContextFor(kDesigner).get(), list, &resp));
      for (const pb::Campaign& c : resp.campaigns()) listed[c.name()] = c;
      if (resp.next_page_token().empty()) break;
      list.set_page_token(resp.next_page_token());
    }
    ASSERT_EQ(listed.size(), 2u);
    for (const pb::Campaign* c : {&released, &draft}) {
      const pb::Campaign got = Get(c->name());
      EXPECT_EQ(listed[c->name()].SerializeAsString(), got.SerializeAsString()) << got.DebugString();
    }
  };

  dispatch_.failure = absl::UnavailableError("dispatch-svc is down");
  DrainOutbox();
  ASSERT_EQ(Get(released.name()).groups(0).order_delivery(), pb::ORDER_DELIVERY_PENDING);
  ASSERT_THAT(Get(released.name()).groups(0).order_error(), HasSubstr("down"));
  ASSERT_EQ(Get(released.name()).decisions_size(), 3);
  expect_listed_as_got();

  dispatch_.failure = absl::OkStatus();
  clock_.Advance(absl::Minutes(1));
  DrainOutbox();
  ASSERT_EQ(Get(released.name()).groups(0).order_delivery(), pb::ORDER_DELIVERY_CREATED);
  expect_listed_as_got();
}

TEST_F(CampaignApiTest, DispatchDownDuringReleaseThenBackGivesEachOrderOnce) {
  pb::Campaign c = Released();  // the release commits whatever dispatch-svc's state
  dispatch_.failure = absl::UnavailableError("dispatch-svc is down");
  DrainOutbox();
  pb::Campaign pending = Get(c.name());
  EXPECT_EQ(pending.groups(0).order_delivery(), pb::ORDER_DELIVERY_PENDING);
  EXPECT_THAT(pending.groups(0).order_error(), HasSubstr("down"));
  // Not due again before the backoff has passed.
  auto did = server_->relay().DeliverOne();
  ASSERT_TRUE(did.ok());
  EXPECT_FALSE(*did);

  // Back, but the first answer gets lost after dispatch-svc committed the order.
  dispatch_.failure = absl::OkStatus();
  dispatch_.lose_responses = 1;
  clock_.Advance(absl::Seconds(5));
  DrainOutbox();
  EXPECT_EQ(Get(c.name()).groups(0).order_delivery(), pb::ORDER_DELIVERY_PENDING);
  clock_.Advance(absl::Seconds(5));
  DrainOutbox();
  pb::Campaign done = Get(c.name());
  EXPECT_EQ(done.groups(0).order_delivery(), pb::ORDER_DELIVERY_CREATED);
  ASSERT_EQ(dispatch_.order_calls.size(), 2u);
  EXPECT_EQ(dispatch_.order_calls[0].request_id, dispatch_.order_calls[1].request_id);
  EXPECT_EQ(dispatch_.orders.size(), 1u);
}

TEST_F(CampaignApiTest, ARefusedOrderIsShownWithItsReasonAndNotRetried) {
  pb::Campaign c = Released();
  dispatch_.failure =
      common::MakeError(absl::StatusCode::kFailedPrecondition, "INSUFFICIENT_CAPACITY", "the window is full");
  DrainOutbox();
  pb::Campaign failed = Get(c.name());
  EXPECT_EQ(failed.groups(0).order_delivery(), pb::ORDER_DELIVERY_FAILED);
  EXPECT_THAT(failed.groups(0).order_error(), HasSubstr("INSUFFICIENT_CAPACITY"));
  clock_.Advance(absl::Hours(1));
  dispatch_.failure = absl::OkStatus();
  DrainOutbox();
  EXPECT_TRUE(dispatch_.order_calls.empty());
}

TEST_F(CampaignApiTest, MessageRulesOverGrpcWriteNothing) {
  pb::Campaign c = Create();
  const int64_t before = Count("message_versions");
  struct Case {
    std::string text, reason, mention;
  };
  for (const Case& k : std::vector<Case>{
           {"{aanhef}, uw {bijdrage} is hersteld.", "UNKNOWN_PLACEHOLDER", "bijdrage"},
           {"{aanhef}, uw bijdrage {is hersteld.", "UNBALANCED_BRACES", ""},
           {"Uw bijdrage is hersteld.", "REQUIRED_PLACEHOLDER_MISSING", "aanhef"},
           {"", "TEMPLATE_EMPTY", ""},
       }) {
    pb::UpdateCampaignGroupRequest u = LetterUpdate(c, "vertegenwoordigd");
    u.set_message_text(k.text);
    const grpc::Status st = Update(u);
    EXPECT_THAT(st, GrpcStatusIs(grpc::StatusCode::INVALID_ARGUMENT, k.reason, "message_text")) << k.text;
    EXPECT_THAT(st.error_message(), HasSubstr(k.mention));
  }
  EXPECT_EQ(Count("message_versions"), before);
  EXPECT_EQ(Get(c.name()).revision(), c.revision());
}

TEST_F(CampaignApiTest, BadInputOverGrpcWritesNothing) {
  pb::Campaign c = Create();
  pb::Campaign ignored;
  auto update_expect = [&](pb::UpdateCampaignGroupRequest u, grpc::StatusCode code, const std::string& reason,
                           const std::string& field) {
    EXPECT_THAT(Update(u), GrpcStatusIs(code, reason, field)) << u.ShortDebugString();
  };
  pb::UpdateCampaignGroupRequest u = LetterUpdate(c, "vertegenwoordigd");
  u.set_action(static_cast<pb::Action>(42));
  update_expect(u, grpc::StatusCode::INVALID_ARGUMENT, "UNKNOWN_ENUM_VALUE", "action");
  u = LetterUpdate(c, "onbekend");
  update_expect(u, grpc::StatusCode::INVALID_ARGUMENT, "GROUP_NOT_FOUND", "group");
  u = LetterUpdate(c, "vertegenwoordigd");
  u.mutable_window_start()->set_year(2020);
  update_expect(u, grpc::StatusCode::INVALID_ARGUMENT, "INVALID_WINDOW", "window_start");
  u = LetterUpdate(c, "vertegenwoordigd");
  u.mutable_window_end()->set_month(13);
  update_expect(u, grpc::StatusCode::INVALID_ARGUMENT, "", "window_end");
  u = LetterUpdate(c, "vertegenwoordigd");
  (*u.mutable_values())["iban"] = "NL00";
  update_expect(u, grpc::StatusCode::INVALID_ARGUMENT, "UNKNOWN_VALUE", "values[iban]");
  u = LetterUpdate(c, "vertegenwoordigd");
  u.clear_update_mask();
  update_expect(u, grpc::StatusCode::INVALID_ARGUMENT, "REQUIRED_FIELD_MISSING", "update_mask");
  u = LetterUpdate(c, "vertegenwoordigd");
  u.set_campaign("campaigns/");
  update_expect(u, grpc::StatusCode::INVALID_ARGUMENT, "INVALID_RESOURCE_NAME", "campaign");
  u = LetterUpdate(c, "vertegenwoordigd");
  u.set_campaign("campaigns/0b7f2f0e-2a43-4d7e-8c57-2f3a9d1b6e99");
  update_expect(u, grpc::StatusCode::NOT_FOUND, "CAMPAIGN_NOT_FOUND", "");

  pb::CreateCampaignRequest create;
  create.mutable_campaign()->set_title("x");
  create.mutable_campaign()->set_signal("sig/1");
  create.mutable_campaign()->set_target_group_set(absl::StrCat("targetGroupSets/", kSet));
  EXPECT_THAT(stub_->CreateCampaign(ContextFor(kDesigner).get(), create, &ignored),
              GrpcStatusIs(grpc::StatusCode::INVALID_ARGUMENT, "INVALID_RESOURCE_NAME", "campaign.signal"));
  create.mutable_campaign()->set_signal(absl::StrCat("signals/", kSignal));
  create.mutable_campaign()->set_title("");
  EXPECT_THAT(stub_->CreateCampaign(ContextFor(kDesigner).get(), create, &ignored),
              GrpcStatusIs(grpc::StatusCode::INVALID_ARGUMENT, "REQUIRED_FIELD_MISSING", "campaign.title"));
  create.mutable_campaign()->set_title("x");
  create.mutable_campaign()->set_control_share(0.9);
  EXPECT_THAT(stub_->CreateCampaign(ContextFor(kDesigner).get(), create, &ignored),
              GrpcStatusIs(grpc::StatusCode::INVALID_ARGUMENT, "INVALID_FIELD_VALUE", "campaign.control_share"));
  create.mutable_campaign()->set_control_share(0.1);
  create.set_request_id("bad id with spaces");
  EXPECT_THAT(stub_->CreateCampaign(ContextFor(kDesigner).get(), create, &ignored),
              GrpcStatusIs(grpc::StatusCode::INVALID_ARGUMENT, "INVALID_REQUEST_ID", "request_id"));

  pb::ListCampaignsRequest list;
  pb::ListCampaignsResponse listed;
  list.set_page_size(-1);
  EXPECT_THAT(stub_->ListCampaigns(ContextFor(kDesigner).get(), list, &listed),
              GrpcStatusIs(grpc::StatusCode::INVALID_ARGUMENT, "INVALID_PAGE_SIZE", "page_size"));
  list.set_page_size(1);
  list.set_page_token("not-a-token");
  EXPECT_THAT(stub_->ListCampaigns(ContextFor(kDesigner).get(), list, &listed),
              GrpcStatusIs(grpc::StatusCode::INVALID_ARGUMENT, "INVALID_PAGE_TOKEN", "page_token"));
  // A token from another deployment (or made up with a recomputed check) is refused.
  list.set_page_token(
      common::PageTokens().Encode("ListCampaigns:0:", {"1700000000000000", "5b7f2f0e-2a43-4d7e-8c57-2f3a9d1b6e01"}));
  EXPECT_THAT(stub_->ListCampaigns(ContextFor(kDesigner).get(), list, &listed),
              GrpcStatusIs(grpc::StatusCode::INVALID_ARGUMENT, "INVALID_PAGE_TOKEN", "page_token"));
  // Well-formed tokens with a bad key part, minted with this deployment's key (an insider's
  // forgery): refused before any query sees the part (they used to reach SQL, or restart the
  // listing silently).
  const auto tokens =
      common::PageTokens::ForDeployment(*common::DataSubjectHasher::Create("test-hash-key-of-at-least-32-bytes!!"));
  for (const std::vector<std::string>& key :
       {std::vector<std::string>{"1700000000000000", "not-a-uuid"},
        std::vector<std::string>{"abc", "5b7f2f0e-2a43-4d7e-8c57-2f3a9d1b6e01"},
        std::vector<std::string>{"1700000000000000", "5B7F2F0E-2A43-4D7E-8C57-2F3A9D1B6E01"}}) {
    list.set_page_token(tokens.Encode("ListCampaigns:0:", key));
    EXPECT_THAT(stub_->ListCampaigns(ContextFor(kDesigner).get(), list, &listed),
                GrpcStatusIs(grpc::StatusCode::INVALID_ARGUMENT, "INVALID_PAGE_TOKEN", "page_token"))
        << key[0] << " " << key[1];
  }
  list.set_page_token(tokens.Encode("ListCampaigns:0:", {"1700000000000000", "5b7f2f0e-2a43-4d7e-8c57-2f3a9d1b6e01"}));
  CAK_ASSERT_GRPC_OK(stub_->ListCampaigns(ContextFor(kDesigner).get(), list, &listed));

  pb::CancelCampaignRequest cancel;
  cancel.set_campaign(c.name());
  EXPECT_THAT(stub_->CancelCampaign(ContextFor(kDesigner).get(), cancel, &ignored),
              GrpcStatusIs(grpc::StatusCode::INVALID_ARGUMENT, "REQUIRED_FIELD_MISSING", "reason"));

  EXPECT_EQ(Count("campaigns"), 1);
  EXPECT_EQ(Count("message_versions"), 0);
  EXPECT_EQ(Count("decisions"), 0);
  EXPECT_EQ(Get(c.name()).revision(), c.revision());
}

TEST_F(CampaignApiTest, StateRulesOverGrpc) {
  pb::Campaign c = Create();
  pb::Campaign ignored;
  pb::SubmitCampaignForReviewRequest submit;
  submit.set_campaign(c.name());
  EXPECT_THAT(stub_->SubmitCampaignForReview(ContextFor(kDesigner).get(), submit, &ignored),
              GrpcStatusIs(grpc::StatusCode::FAILED_PRECONDITION, "GROUP_INCOMPLETE", "groups[0].action"));
  pb::ReleaseCampaignRequest release;
  release.set_campaign(c.name());
  EXPECT_THAT(stub_->ReleaseCampaign(ContextFor(kDesigner).get(), release, &ignored),
              GrpcStatusIs(grpc::StatusCode::FAILED_PRECONDITION, "INVALID_STATE_TRANSITION", ""));
  EXPECT_EQ(Count("outbox"), 0);
}

TEST_F(CampaignApiTest, ReviewAndReleaseRulesOverGrpcWriteNothing) {
  pb::Campaign ignored;
  // Nobody contacted: nothing to submit.
  pb::Campaign none = Create();
  for (const char* g : {"vertegenwoordigd", "bellen"}) {
    pb::UpdateCampaignGroupRequest u;
    u.set_campaign(none.name());
    u.set_group(g);
    u.set_action(pb::ACTION_NONE);
    u.mutable_update_mask()->add_paths("action");
    ASSERT_TRUE(Update(u).ok());
  }
  pb::SubmitCampaignForReviewRequest submit;
  submit.set_campaign(none.name());
  EXPECT_THAT(stub_->SubmitCampaignForReview(ContextFor(kDesigner).get(), submit, &ignored),
              GrpcStatusIs(grpc::StatusCode::FAILED_PRECONDITION, "NOTHING_TO_CONTACT", "groups"));
  // A contacted group the executor has not signed off.
  pb::Campaign unsigned_off = Create();
  ASSERT_TRUE(Update(LetterUpdate(unsigned_off, "vertegenwoordigd")).ok());
  pb::UpdateCampaignGroupRequest rest;
  rest.set_campaign(unsigned_off.name());
  rest.set_group("bellen");
  rest.set_action(pb::ACTION_NONE);
  rest.mutable_update_mask()->add_paths("action");
  ASSERT_TRUE(Update(rest).ok());
  submit.set_campaign(unsigned_off.name());
  EXPECT_THAT(
      stub_->SubmitCampaignForReview(ContextFor(kDesigner).get(), submit, &ignored),
      GrpcStatusIs(grpc::StatusCode::FAILED_PRECONDITION, "FEASIBILITY_NOT_CONFIRMED", "groups[0].feasibility"));
  EXPECT_EQ(Count("decisions"), 0);

  // Approving a revision that is not the current one; releasing after the window started.
  pb::Campaign c = Submitted();
  const int64_t decisions = Count("decisions");
  pb::ApproveCampaignRequest approve;
  approve.set_campaign(c.name());
  approve.set_revision(c.revision() - 1);
  EXPECT_THAT(stub_->ApproveCampaign(ContextFor(kApprover).get(), approve, &ignored),
              GrpcStatusIs(grpc::StatusCode::ABORTED, "REVISION_CHANGED", ""));
  EXPECT_EQ(Count("decisions"), decisions);
  approve.set_revision(c.revision());
  ASSERT_TRUE(stub_->ApproveCampaign(ContextFor(kApprover).get(), approve, &c).ok());
  clock_.Advance(absl::Hours(24 * 2));
  pb::ReleaseCampaignRequest release;
  release.set_campaign(c.name());
  EXPECT_THAT(stub_->ReleaseCampaign(ContextFor(kApprover).get(), release, &ignored),
              GrpcStatusIs(grpc::StatusCode::FAILED_PRECONDITION, "WINDOW_STARTED", "groups[0].window_start"));
  EXPECT_EQ(Count("outbox"), 0);
  EXPECT_EQ(Get(c.name()).state(), pb::CAMPAIGN_STATE_APPROVED);
}

TEST_F(CampaignApiTest, ADeclinedSignalStopsTheRelease) {
  pb::Campaign c = Submitted();
  pb::ApproveCampaignRequest approve;
  approve.set_campaign(c.name());
  ASSERT_TRUE(stub_->ApproveCampaign(ContextFor(kApprover).get(), approve, &c).ok());
  intake_.signals[kSignal] = domain::SignalState::kNoAction;
  pb::ReleaseCampaignRequest release;
  release.set_campaign(c.name());
  pb::Campaign ignored;
  EXPECT_THAT(stub_->ReleaseCampaign(ContextFor(kApprover).get(), release, &ignored),
              GrpcStatusIs(grpc::StatusCode::FAILED_PRECONDITION, "SIGNAL_NOT_OPEN", "campaign"));
  EXPECT_EQ(Count("outbox"), 0);
  EXPECT_EQ(Get(c.name()).state(), pb::CAMPAIGN_STATE_APPROVED);
}

TEST_F(CampaignApiTest, RolesAreChecked) {
  pb::CreateCampaignRequest create;
  pb::Campaign ignored;
  EXPECT_THAT(stub_->CreateCampaign(ContextFor(kAnalyst).get(), create, &ignored),
              GrpcStatusIs(grpc::StatusCode::PERMISSION_DENIED, "PERMISSION_DENIED", ""));
  EXPECT_THAT(stub_->CreateCampaign(common::testing::AnonymousContext().get(), create, &ignored),
              GrpcStatusIs(grpc::StatusCode::UNAUTHENTICATED, "UNAUTHENTICATED", ""));
  pb::Campaign c = Submitted();
  pb::ApproveCampaignRequest approve;
  approve.set_campaign(c.name());
  const TestCaller other_designer{"emp-7007", {"campaign_designer"}, false};
  EXPECT_THAT(stub_->ApproveCampaign(ContextFor(other_designer).get(), approve, &ignored),
              GrpcStatusIs(grpc::StatusCode::PERMISSION_DENIED, "APPROVER_ROLE_REQUIRED", ""));
}

TEST_F(CampaignApiTest, PlainLanguageAndPreview) {
  pb::CheckPlainLanguageRequest check;
  check.set_text(
      "Geachte heer Jansen,\n\nWij hebben uw rekening verbeterd. U hoeft niets te doen. Het geld staat binnen "
      "twee weken op uw rekening.");
  pb::ReadabilityReport report;
  ASSERT_TRUE(stub_->CheckPlainLanguage(ContextFor(kDesigner).get(), check, &report).ok());
  EXPECT_GE(report.flesch_douma(), 60);
  EXPECT_FALSE(report.below_b1());
  check.set_text("");
  EXPECT_THAT(stub_->CheckPlainLanguage(ContextFor(kDesigner).get(), check, &report),
              GrpcStatusIs(grpc::StatusCode::INVALID_ARGUMENT, "REQUIRED_FIELD_MISSING", "text"));

  pb::Campaign c = Create();
  ASSERT_TRUE(Update(LetterUpdate(c, "vertegenwoordigd")).ok());
  pb::PreviewMessageResponse previews;
  ASSERT_TRUE(Preview(c, 2, &previews).ok());
  ASSERT_EQ(previews.previews_size(), 2);
  EXPECT_THAT(previews.previews(0).text(), HasSubstr("[klantnummer]"));
  EXPECT_THAT(Preview(c, 21, &previews),
              GrpcStatusIs(grpc::StatusCode::INVALID_ARGUMENT, "INVALID_FIELD_VALUE", "sample_size"));
}

// The campaign's processings are logged in its signal's action trace: calls made in another
// trace (here: none given, so each starts its own) become a child of the action's operation with
// the caller's trace as foreign operation; a call in the action's trace stays its caller's child.
// The peers are asked within the action too.
TEST_F(CampaignApiTest, ProcessingsAreLoggedInTheSignalsActionTrace) {
  const std::string action_trace = "4bf92f3577b34da6a3ce929d0e0e4736", action_span = "00f067aa0ba902b7";
  intake_.action_traces[kSignal] = absl::StrCat("00-", action_trace, "-", action_span, "-01");
  pb::Campaign c = Submitted();
  pb::PreviewMessageResponse previews;
  ASSERT_TRUE(Preview(c, 2, &previews).ok());
  // The approver works in the action's trace (voorlichting-cli --signal does this).
  const std::string approver_span = "1122334455667788";
  pb::ApproveCampaignRequest approve;
  approve.set_campaign(c.name());
  auto ctx = ContextFor(kApprover);
  ctx->AddMetadata("traceparent", absl::StrCat("00-", action_trace, "-", approver_span, "-01"));
  ASSERT_TRUE(stub_->ApproveCampaign(ctx.get(), approve, &c).ok());
  pb::ReleaseCampaignRequest release;
  release.set_campaign(c.name());
  ASSERT_TRUE(stub_->ReleaseCampaign(ContextFor(kApprover).get(), release, &c).ok());
  DrainOutbox();

  // Every entry is in the action's trace.
  EXPECT_EQ(LogValue("count(*)", absl::StrCat("trace_id <> decode('", action_trace, "', 'hex')")), "0");
  EXPECT_EQ(LogValue("string_agg(name, ',' ORDER BY id)", "data_subject_id IS NULL"),
            "campaign.CreateCampaign,campaign.UpdateCampaignGroup,campaign.UpdateCampaignGroup,"
            "campaign.CheckCampaignFeasibility,campaign.SubmitCampaignForReview,campaign.PreviewMessage,"
            "campaign.ApproveCampaign,campaign.ReleaseCampaign");
  // Calls from other traces: under the action's operation, the caller's trace recorded.
  EXPECT_EQ(LogValue("count(*)", absl::StrCat("data_subject_id IS NULL AND parent_span_id = decode('", action_span,
                                              "', 'hex') AND foreign_operation_trace_id IS NOT NULL")),
            "7");
  // The approval in the action's trace: its caller's child, nothing foreign.
  EXPECT_EQ(LogValue("count(*)", absl::StrCat("name = 'campaign.ApproveCampaign' AND parent_span_id = decode('",
                                              approver_span, "', 'hex') AND foreign_operation_trace_id IS NULL")),
            "1");
  // The preview's sampled subjects, by the id analysis-svc gave them.
  EXPECT_EQ(LogValue("string_agg(data_subject_id, ',' ORDER BY data_subject_id)", "data_subject_id IS NOT NULL"),
            "subject-id-0,subject-id-1");
  // The release names the lists contacted and those held back.
  const std::string contacted = LogValue("attributes->>'contacted_lists'", "name = 'campaign.ReleaseCampaign'");
  EXPECT_EQ(contacted, Get(c.name()).groups(0).recipient_list());
  EXPECT_FALSE(LogValue("attributes->>'control_lists'", "name = 'campaign.ReleaseCampaign'").empty());
  // The order was asked for within the action: dispatch-svc's batches continue its trace.
  ASSERT_EQ(dispatch_.order_trace_ids.size(), 1u);
  EXPECT_EQ(dispatch_.order_trace_ids[0], action_trace);
}

// GDPR art. 15: campaign-svc keeps no personal data but the previews that showed a person
// (logged per shown subject); the privacy officer gets those, the access is logged, refusals
// write nothing.
TEST_F(CampaignApiTest, PrivacyOfficerExportsThePreviewsThatShowedAPerson) {
  const auto hasher = *common::DataSubjectHasher::Create("test-hash-key-of-at-least-32-bytes!!");
  analysis_.sample_subject_ids = {hasher.Hash(*common::Bsn::Parse("123456782"))};
  pb::Campaign c = Create();
  ASSERT_TRUE(Update(LetterUpdate(c, "vertegenwoordigd")).ok());
  pb::PreviewMessageResponse previews;
  ASSERT_TRUE(Preview(c, 2, &previews).ok());

  auto subjects =
      cak::voorlichting::privacy::v1::DataSubjectService::NewStub(common::testing::LocalChannel(server_->grpc_port()));
  const TestCaller privacy{"emp-9001", {"privacy_officer"}, false};
  cak::voorlichting::privacy::v1::ExportSubjectDataRequest req;
  req.set_bsn("123456782");
  cak::voorlichting::privacy::v1::SubjectDataExport out;
  ASSERT_TRUE(subjects->ExportSubjectData(ContextFor(privacy).get(), req, &out).ok());
  EXPECT_EQ(out.service(), "campaign-svc");
  EXPECT_TRUE(out.holds_data());
  ASSERT_EQ(out.categories_size(), 1);
  EXPECT_EQ(out.categories(0).name(), "previews");
  ASSERT_EQ(out.categories(0).records_size(), 1);
  std::map<std::string, std::string> shown;
  for (const auto& f : out.categories(0).records(0).fields()) shown[f.name()] = f.value();
  EXPECT_EQ(shown["campaign"], c.name());
  EXPECT_EQ(shown["title"], c.title());
  EXPECT_EQ(shown["group_name"], "vertegenwoordigd");
  EXPECT_FALSE(shown["shown_at"].empty());
  EXPECT_EQ(LogValue("count(*)", "name = 'privacy.ExportSubjectData' AND data_subject_id IS NOT NULL"), "1");

  req.set_bsn("010000008");  // shown in no preview
  ASSERT_TRUE(subjects->ExportSubjectData(ContextFor(privacy).get(), req, &out).ok());
  EXPECT_FALSE(out.holds_data());
  EXPECT_EQ(out.categories_size(), 0);
  const int64_t entries = Count("processing_log");
  req.set_bsn("1234567820");
  EXPECT_THAT(subjects->ExportSubjectData(ContextFor(privacy).get(), req, &out),
              GrpcStatusIs(grpc::StatusCode::INVALID_ARGUMENT, "INVALID_BSN", "bsn"));
  req.set_bsn("123456782");
  EXPECT_THAT(subjects->ExportSubjectData(ContextFor(kDesigner).get(), req, &out),
              GrpcStatusIs(grpc::StatusCode::PERMISSION_DENIED, "PERMISSION_DENIED", ""));
  EXPECT_EQ(Count("processing_log"), entries);
}

// An objection: campaign-svc selects nobody (previews sample analysis-svc, which keeps the
// register) and says so; the call is logged; refusals write nothing.
TEST_F(CampaignApiTest, AnObjectionIsAnsweredWithWhatItMeansHere) {
  auto subjects =
      cak::voorlichting::privacy::v1::DataSubjectService::NewStub(common::testing::LocalChannel(server_->grpc_port()));
  const TestCaller privacy{"emp-9001", {"privacy_officer"}, false};
  cak::voorlichting::privacy::v1::RecordObjectionRequest req;
  req.set_bsn("123456782");
  req.set_kind(cak::voorlichting::privacy::v1::OBJECTION_KIND_OBJECTION);
  req.set_scope(cak::voorlichting::privacy::v1::OBJECTION_SCOPE_CONTACT);
  req.set_reason("Brief van de klant, kenmerk BZ-9");
  cak::voorlichting::privacy::v1::ObjectionAnswer answer;
  ASSERT_TRUE(subjects->RecordObjection(ContextFor(privacy).get(), req, &answer).ok());
  EXPECT_EQ(answer.service(), "campaign-svc");
  EXPECT_FALSE(answer.keeps_register());
  ASSERT_EQ(answer.remarks_size(), 2);
  EXPECT_NE(answer.remarks(0).find("analysis-svc"), std::string::npos);
  EXPECT_EQ(LogValue("count(*)", "name = 'privacy.RecordObjection' AND data_subject_id IS NOT NULL"), "1");
  const int64_t entries = Count("processing_log");
  req.set_reason("kort");
  EXPECT_THAT(subjects->RecordObjection(ContextFor(privacy).get(), req, &answer),
              GrpcStatusIs(grpc::StatusCode::INVALID_ARGUMENT, "INVALID_FIELD_VALUE", "reason"));
  req.set_reason("Brief van de klant, kenmerk BZ-9");
  EXPECT_THAT(subjects->RecordObjection(ContextFor(kDesigner).get(), req, &answer),
              GrpcStatusIs(grpc::StatusCode::PERMISSION_DENIED, "PERMISSION_DENIED", ""));
  EXPECT_EQ(Count("processing_log"), entries);

  // Erasure: campaign-svc holds nothing about people outside its (hashed) log, and says so.
  cak::voorlichting::privacy::v1::EraseSubjectDataRequest erase;
  erase.set_bsn("123456782");
  erase.set_reason("Verzoek tot verwijdering, brief VZ-9");
  cak::voorlichting::privacy::v1::ErasureAnswer erased;
  ASSERT_TRUE(subjects->EraseSubjectData(ContextFor(privacy).get(), erase, &erased).ok());
  EXPECT_EQ(erased.service(), "campaign-svc");
  EXPECT_EQ(erased.categories_size(), 0);
  ASSERT_EQ(erased.kept_size(), 1);  // the processing log
  EXPECT_EQ(LogValue("count(*)", "name = 'privacy.EraseSubjectData' AND data_subject_id IS NOT NULL"), "1");
  EXPECT_THAT(subjects->EraseSubjectData(ContextFor(kDesigner).get(), erase, &erased),
              GrpcStatusIs(grpc::StatusCode::PERMISSION_DENIED, "PERMISSION_DENIED", ""));
}

// README "Failed processing is logged": a submit that froze a list and then failed is logged
// with status ERROR in a transaction of its own; one refused before any list was frozen, or
// refused on its input, logs nothing.
TEST_F(CampaignApiTest, ASubmitThatFailsAfterFreezingIsLoggedAsError) {
  pb::Campaign c = Create();
  ASSERT_TRUE(Update(LetterUpdate(c, "vertegenwoordigd")).ok());
  ASSERT_TRUE(Update(LetterUpdate(c, "bellen")).ok());
  pb::CheckCampaignFeasibilityRequest check;
  check.set_campaign(c.name());
  ASSERT_TRUE(stub_->CheckCampaignFeasibility(ContextFor(kDesigner).get(), check, &c).ok());
  dispatch_.ConfirmAll();
  const std::string before = LogRows();

  pb::SubmitCampaignForReviewRequest submit;
  submit.set_campaign(c.name());
  submit.set_comment(std::string(2001, 'x'));
  pb::Campaign ignored;
  EXPECT_THAT(stub_->SubmitCampaignForReview(ContextFor(kDesigner).get(), submit, &ignored),
              GrpcStatusIs(grpc::StatusCode::INVALID_ARGUMENT, "FIELD_TOO_LONG", "comment"));
  submit.clear_comment();
  analysis_.freeze_failure = absl::UnavailableError("analysis-svc is down");
  EXPECT_THAT(stub_->SubmitCampaignForReview(ContextFor(kDesigner).get(), submit, &ignored),
              GrpcStatusIs(grpc::StatusCode::UNAVAILABLE, "", ""));
  EXPECT_EQ(LogRows(), before);  // nothing frozen yet: nothing to log

  analysis_.freeze_failing_group = "bellen";  // the first group's list is frozen, the second fails
  EXPECT_THAT(stub_->SubmitCampaignForReview(ContextFor(kDesigner).get(), submit, &ignored),
              GrpcStatusIs(grpc::StatusCode::UNAVAILABLE, "", ""));
  EXPECT_EQ(LogValue("count(*)", "name = 'campaign.SubmitCampaignForReview' AND status = 2"), "1");
  EXPECT_EQ(LogValue("attributes->>'error_code'", "status = 2"), "UNAVAILABLE");
  EXPECT_THAT(LogValue("attributes->>'recipient_lists'", "status = 2"), HasSubstr("recipientLists/list-"));
  EXPECT_EQ(Get(c.name()).state(), pb::CAMPAIGN_STATE_DRAFT);
  EXPECT_EQ(Count("decisions"), 0);
}

// A campaign names the contact topics that count as its response: topics of the contact-report
// extract only, none twice; a refused campaign is not written.
TEST_F(CampaignApiTest, ResponseTopicsAreTopicsOfTheContactReportExtract) {
  pb::CreateCampaignRequest req;
  req.mutable_campaign()->set_title("Herstel eigen bijdrage Wlz");
  req.mutable_campaign()->set_signal(absl::StrCat("signals/", kSignal));
  req.mutable_campaign()->set_target_group_set(absl::StrCat("targetGroupSets/", kSet));
  req.mutable_campaign()->add_response_topics("Brief niet begrepen");
  req.mutable_campaign()->add_response_topics("Klacht over \"onduidelijke\" brief");
  req.mutable_campaign()->add_response_channels(pb::RESPONSE_CHANNEL_PHONE);
  req.mutable_campaign()->add_response_channels(pb::RESPONSE_CHANNEL_EMAIL);
  pb::Campaign c;
  const int64_t before = Count("campaigns");
  auto refused = [&](const std::function<void(pb::Campaign*)>& change, const std::string& reason,
                     const std::string& field) {
    pb::CreateCampaignRequest bad = req;
    change(bad.mutable_campaign());
    EXPECT_THAT(stub_->CreateCampaign(ContextFor(kDesigner).get(), bad, &c),
                GrpcStatusIs(grpc::StatusCode::INVALID_ARGUMENT, reason, field));
  };
  refused([](pb::Campaign* x) { x->add_response_topics("Reactie op de brief"); }, "UNKNOWN_CONTACT_TOPIC",
          "campaign.response_topics[2]");
  refused([](pb::Campaign* x) { x->set_response_topics(0, "brief niet begrepen"); }, "UNKNOWN_CONTACT_TOPIC",
          "campaign.response_topics[0]");  // exact text
  refused([](pb::Campaign* x) { x->add_response_topics("Brief niet begrepen"); }, "INVALID_FIELD_VALUE",
          "campaign.response_topics[2]");
  refused(
      [](pb::Campaign* x) {
        for (int i = 0; i < 19; ++i) x->add_response_topics("Adreswijziging");
      },
      "INVALID_FIELD_VALUE", "campaign.response_topics");
  refused([](pb::Campaign* x) { x->add_response_channels(pb::RESPONSE_CHANNEL_UNSPECIFIED); }, "REQUIRED_FIELD_MISSING",
          "campaign.response_channels[2]");
  refused([](pb::Campaign* x) { x->add_response_channels(static_cast<pb::ResponseChannel>(9)); }, "UNKNOWN_ENUM_VALUE",
          "campaign.response_channels[2]");
  refused([](pb::Campaign* x) { x->add_response_channels(pb::RESPONSE_CHANNEL_PHONE); }, "INVALID_FIELD_VALUE",
          "campaign.response_channels[2]");
  EXPECT_EQ(Count("campaigns"), before);

  ASSERT_TRUE(stub_->CreateCampaign(ContextFor(kDesigner).get(), req, &c).ok());
  const pb::Campaign got = Get(c.name());
  ASSERT_EQ(got.response_topics_size(), 2);
  EXPECT_EQ(got.response_topics(0), "Brief niet begrepen");
  EXPECT_EQ(got.response_topics(1), "Klacht over \"onduidelijke\" brief");
  ASSERT_EQ(got.response_channels_size(), 2);
  EXPECT_EQ(got.response_channels(0), pb::RESPONSE_CHANNEL_PHONE);
  EXPECT_EQ(got.response_channels(1), pb::RESPONSE_CHANNEL_EMAIL);
  const pb::Campaign plain = Create();
  EXPECT_EQ(plain.response_topics_size(), 0);  // none: every contact counts
  EXPECT_EQ(plain.response_channels_size(), 0);
}

// Step 9 through the campaign: analysis-svc measures the contacted groups' lists on the campaign's
// topics and keeps the measurement; the campaign shows it as its latest (not an edit).
TEST_F(CampaignApiTest, MeasuringAReleasedCampaignShowsItsLatestResponse) {
  pb::MeasureCampaignResponseRequest req;
  pb::Campaign out;
  req.set_campaign(Create().name());
  EXPECT_THAT(stub_->MeasureCampaignResponse(ContextFor(kDesigner).get(), req, &out),
              GrpcStatusIs(grpc::StatusCode::FAILED_PRECONDITION, "INVALID_STATE_TRANSITION", ""));
  req.set_campaign("campaigns/5b7f2f0e-2a43-4d7e-8c57-2f3a9d1b6eff");
  EXPECT_THAT(stub_->MeasureCampaignResponse(ContextFor(kDesigner).get(), req, &out),
              GrpcStatusIs(grpc::StatusCode::NOT_FOUND, "CAMPAIGN_NOT_FOUND", ""));
  EXPECT_TRUE(analysis_.measured.empty());

  const pb::Campaign c = Released();
  EXPECT_FALSE(c.has_latest_response());
  req.set_campaign(c.name());
  req.set_sample_seed(3);
  const TestCaller kIntakeOfficer{"emp-1001", {"intake_officer"}, false};
  EXPECT_THAT(stub_->MeasureCampaignResponse(ContextFor(kIntakeOfficer).get(), req, &out),
              GrpcStatusIs(grpc::StatusCode::PERMISSION_DENIED, "PERMISSION_DENIED", ""));
  EXPECT_TRUE(analysis_.measured.empty());
  CAK_ASSERT_GRPC_OK(stub_->MeasureCampaignResponse(ContextFor(kAnalyst).get(), req, &out));
  ASSERT_EQ(analysis_.measured.size(), 1u);
  const domain::ResponseQuestion& asked = analysis_.measured[0];
  EXPECT_EQ(asked.campaign_name, c.name());
  ASSERT_EQ(asked.groups.size(), 1u);  // "bellen" is not contacted
  EXPECT_EQ(asked.groups[0].name, "vertegenwoordigd");
  EXPECT_EQ(absl::StrCat("recipientLists/", asked.groups[0].recipient_list_id), c.groups(0).recipient_list());
  EXPECT_EQ(absl::StrCat("recipientLists/", asked.groups[0].control_list_id), c.groups(0).control_list());
  EXPECT_EQ(asked.groups[0].action, domain::Action::kLetter);
  EXPECT_EQ(asked.groups[0].send_day, absl::ToCivilDay(clock_.Now(), absl::UTCTimeZone()));
  EXPECT_EQ(asked.sample_seed, 3u);
  EXPECT_FALSE(asked.end_day.has_value());

  ASSERT_TRUE(out.has_latest_response());
  EXPECT_EQ(out.latest_response().response_measurement(), "responseMeasurements/5b7f2f0e-2a43-4d7e-8c57-2f3a9d1b6e11");
  EXPECT_EQ(out.latest_response().responders(), 30);
  EXPECT_DOUBLE_EQ(out.latest_response().response_rate(), 30.0 / 90);
  EXPECT_DOUBLE_EQ(out.latest_response().control_rate(), 0.1);
  const pb::Campaign got = Get(c.name());
  EXPECT_EQ(got.latest_response().SerializeAsString(), out.latest_response().SerializeAsString());
  EXPECT_EQ(got.revision(), c.revision());  // a measurement is not an edit
  EXPECT_EQ(LogValue("count(*)", "name = 'campaign.MeasureResponse'"), "1");

  CAK_ASSERT_GRPC_OK(stub_->MeasureCampaignResponse(ContextFor(kDesigner).get(), req, &out));
  EXPECT_EQ(Get(c.name()).latest_response().response_measurement(),
            "responseMeasurements/5b7f2f0e-2a43-4d7e-8c57-2f3a9d1b6e12");  // the latest
}

// The preview's sample is drawn where the group is defined: campaign-svc's analysis client asks
// analysis-svc's CreateSample for the target group by name (no criteria rebuilt here, no
// GetTargetGroupSet to rebuild them from), pseudonymised, and passes analysis-svc's refusal on.
namespace apb = cak::voorlichting::analysis::v1;

class RecordingAnalysis final : public apb::AnalysisService::Service {
 public:
  RecordingAnalysis() {
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
    builder.RegisterService(this);
    server_ = builder.BuildAndStart();
  }
  ~RecordingAnalysis() override { server_->Shutdown(absl::ToChronoTime(absl::Now() + absl::Seconds(2))); }
  grpc::Status CreateSample(grpc::ServerContext*, const apb::CreateSampleRequest* req, apb::Sample* out) override {
    std::lock_guard<std::mutex> lock(mu_);
    samples.push_back(*req);
    if (!refusal.ok()) return refusal;
    for (int i = 0; i < req->size(); ++i) {
      apb::SampleMember* m = out->add_members();
      m->set_pseudonym(absl::StrCat("p", i));
      m->set_data_subject_id(absl::StrCat("subject-", i));
      m->set_masked_name("J. d* V*****");
      m->set_routing(i == 0 ? apb::ROUTING_REPRESENTATIVE : apb::ROUTING_CUSTOMER);
    }
    return grpc::Status::OK;
  }
  grpc::Status GetTargetGroupSet(grpc::ServerContext*, const apb::GetTargetGroupSetRequest*,
                                 apb::TargetGroupSet*) override {
    std::lock_guard<std::mutex> lock(mu_);
    ++set_reads;
    return grpc::Status(grpc::StatusCode::INTERNAL, "a preview must not read the set");
  }
  int port() const { return port_; }
  std::vector<apb::CreateSampleRequest> samples;
  int set_reads = 0;
  grpc::Status refusal = grpc::Status::OK;

 private:
  std::mutex mu_;
  int port_ = 0;
  std::unique_ptr<grpc::Server> server_;
};

TEST(AnalysisClientTest, APreviewSamplesTheTargetGroupWhereItIsDefined) {
  RecordingAnalysis analysis;
  common::PeerOptions peer;
  peer.address = absl::StrCat("127.0.0.1:", analysis.port());
  auto channel = common::PeerChannel::Create(peer);
  ASSERT_TRUE(channel.ok()) << channel.status();
  clients::AnalysisClient client(channel->get(), absl::Seconds(5));
  const common::CallContext call =
      common::testing::TestCall("emp-3003", {"campaign_designer"}, common::PrincipalKind::kEmployee);

  auto subjects = client.SampleGroup(call, kSet, "vertegenwoordigd", 2, 7);
  ASSERT_TRUE(subjects.ok()) << subjects.status();
  ASSERT_EQ(subjects->size(), 2u);
  EXPECT_EQ((*subjects)[0].data_subject_id, "subject-0");
  EXPECT_TRUE((*subjects)[0].routed_to_relation);
  EXPECT_FALSE((*subjects)[1].routed_to_relation);
  ASSERT_EQ(analysis.samples.size(), 1u);
  const apb::CreateSampleRequest& asked = analysis.samples[0];
  EXPECT_EQ(asked.target_group_set(), absl::StrCat("targetGroupSets/", kSet));
  EXPECT_EQ(asked.group(), "vertegenwoordigd");
  EXPECT_FALSE(asked.has_criteria());
  EXPECT_FALSE(asked.has_reference_date());  // the set's own reference date
  EXPECT_EQ(asked.size(), 2);
  EXPECT_EQ(asked.seed(), 7u);
  EXPECT_EQ(asked.view(), apb::SAMPLE_VIEW_PSEUDONYMISED);
  EXPECT_EQ(analysis.set_reads, 0);

  // analysis-svc's refusal (a newer snapshot) comes back with its code and reason.
  analysis.refusal = common::ToGrpcStatus(
      common::MakeError(absl::StatusCode::kFailedPrecondition, "SNAPSHOT_CHANGED", "define the groups again"));
  auto refused = client.SampleGroup(call, kSet, "vertegenwoordigd", 2, 7);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(common::ErrorReason(refused.status()), "SNAPSHOT_CHANGED");
}

}  // namespace
}  // namespace cak::campaign
