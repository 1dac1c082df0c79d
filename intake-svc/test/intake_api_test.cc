// intake-svc over a real gRPC channel against the real PostgreSQL: every bad-input rule
// (status code, reason, field, and nothing written), authentication and authorisation,
// idempotent repeats, the watch stream, the processing-log read API, health following the
// database, and the metrics endpoint.
#include "intake-svc/src/api/intake_api.h"

#include <arpa/inet.h>
#include <google/protobuf/descriptor.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <set>
#include <thread>

#include "absl/strings/numbers.h"
#include "cak/voorlichting/privacy/v1/data_subject_service.grpc.pb.h"
#include "common/base/bsn.h"
#include "common/base/data_subject_hasher.h"
#include "common/base/logbook.h"
#include "common/base/page_token.h"
#include "common/base/synthetic.h"
#include "common/base/trace_context.h"
#include "common/base/version.h"
#include "common/db/logbook_export.h"
#include "common/grpc/dev_tokens.h"
#include "common/testing/call_context.h"
#include "common/testing/fake_removal_feed.h"
#include "common/testing/status_matchers.h"
#include "intake-svc/test/intake_test_server.h"

namespace cak::intake {
namespace {

namespace plog = cak::voorlichting::processinglog::v1;
using common::testing::ContextFor;
using common::testing::GrpcStatusIs;
using common::testing::TestCaller;
using grpc::StatusCode;
using testing::IntakeTestServer;
using testing::pb::IntakeService;
namespace pb = testing::pb;

const TestCaller kOfficer{"emp-1001", {"intake_officer"}};
const TestCaller kAnalyst{"emp-2002", {"analyst"}};
const TestCaller kApp{"kcc-portal", {"reporting_application"}, true};
const TestCaller kPrivacy{"emp-3003", {"privacy_officer"}};
const TestCaller kAdmin{"emp-4004", {"administrator"}};
const TestCaller kCampaign{"campaign-svc", {"campaign_service"}, true};

pb::SubmitSignalRequest ValidSubmit() {
  pb::SubmitSignalRequest req;
  auto* s = req.mutable_signal();
  s->set_source_channel(pb::SOURCE_CHANNEL_KCC);
  s->set_category(pb::SIGNAL_CATEGORY_WRONG_INVOICE);
  s->set_regulation(pb::REGULATION_WLZ);
  s->set_description("Klanten kregen in maart een tweede factuur voor dezelfde periode.");
  s->add_example_customer_bsns("111222333");
  s->add_example_customer_bsns("123456782");
  auto* a = s->add_attachments();
  a->set_file_name("voorbeeld, \"factuur\".pdf");
  a->set_media_type("application/pdf");
  a->set_size_bytes(52311);
  a->set_uri("dms://kcc/2026/11/0042");
  a->set_sha256(std::string(64, 'c'));
  return req;
}

class IntakeApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto t = IntakeTestServer::Start();
    ASSERT_TRUE(t.ok()) << t.status();
    t_ = *std::move(t);
  }

  pb::Signal Submit(const TestCaller& who = kApp, pb::SubmitSignalRequest req = ValidSubmit()) {
    pb::SubmitSignalResponse resp;
    auto ctx = ContextFor(who);
    grpc::Status st = t_->stub().SubmitSignal(ctx.get(), req, &resp);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return resp.signal();
  }

  // Rows in every table a submit or a change writes.
  std::vector<int64_t> Footprint() {
    return {t_->Count("signals"),
            t_->Count("signal_attachments"),
            t_->Count("signal_events"),
            t_->Count("signal_information"),
            t_->Count("idempotency_keys"),
            t_->Count("processing_log"),
            t_->Count("processing_log_subjects"),
            t_->Count("open_signal_customers")};
  }

  // A valid submit naming `bsns` on the topic (WLZ, `category`).
  static pb::SubmitSignalRequest Naming(const std::vector<std::string>& bsns,
                                        pb::SignalCategory category = pb::SIGNAL_CATEGORY_WRONG_INVOICE) {
    pb::SubmitSignalRequest req = ValidSubmit();
    req.mutable_signal()->clear_example_customer_bsns();
    for (const std::string& b : bsns) req.mutable_signal()->add_example_customer_bsns(b);
    req.mutable_signal()->set_category(category);
    return req;
  }

  // The signal's rows in the duplicate index (migration 0004).
  int64_t IndexRows(const pb::Signal& s) {
    return t_->Count("open_signal_customers WHERE signal_id = '" + s.name().substr(sizeof("signals/") - 1) + "'");
  }

  // The suggestions as "<name> <match> <shared>", in their order.
  static std::vector<std::string> Suggested(const pb::Signal& s) {
    std::vector<std::string> out;
    for (const auto& d : s.duplicate_candidates()) {
      out.push_back(d.signal() + " " + pb::DuplicateMatch_Name(d.match()) + " " +
                    std::to_string(d.shared_customer_count()));
    }
    return out;
  }

  std::unique_ptr<IntakeTestServer> t_;
};

TEST_F(IntakeApiTest, SubmitGetAndTheFullViewWithBsns) {
  pb::Signal s = Submit();
  EXPECT_EQ(s.state(), pb::SIGNAL_STATE_RECEIVED);
  EXPECT_EQ(s.reporter().id(), "kcc-portal");
  EXPECT_EQ(s.reporter().kind(), pb::ACTOR_KIND_APPLICATION);
  EXPECT_EQ(s.example_customer_count(), 2);
  EXPECT_EQ(s.example_customer_bsns_size(), 0);  // the submit answer never echoes BSNs

  pb::GetSignalRequest get;
  get.set_name(s.name());
  get.set_view(pb::SIGNAL_VIEW_FULL);
  pb::Signal full;
  auto ctx = ContextFor(kOfficer);
  CAK_ASSERT_GRPC_OK(t_->stub().GetSignal(ctx.get(), get, &full));
  ASSERT_EQ(full.example_customer_bsns_size(), 2);
  EXPECT_EQ(full.example_customer_bsns(1), "123456782");
  ASSERT_EQ(full.attachments_size(), 1);
  EXPECT_EQ(full.attachments(0).file_name(), "voorbeeld, \"factuur\".pdf");
  ASSERT_EQ(full.state_changes_size(), 1);
  EXPECT_EQ(full.state_changes(0).to_state(), pb::SIGNAL_STATE_RECEIVED);
  EXPECT_EQ(full.receive_time().seconds(), absl::ToUnixSeconds(t_->clock().Now()));
}

TEST_F(IntakeApiTest, RepeatedSubmitReturnsTheFirstSignal) {
  pb::SubmitSignalRequest req = ValidSubmit();
  req.set_request_id("7c3f6c7e-1d0e-4a54-9d64-3d3b8d8f0001");
  pb::SubmitSignalResponse first, again;
  auto c1 = ContextFor(kApp), c2 = ContextFor(kApp), c3 = ContextFor(kApp);
  CAK_ASSERT_GRPC_OK(t_->stub().SubmitSignal(c1.get(), req, &first));
  const auto footprint = Footprint();
  CAK_ASSERT_GRPC_OK(t_->stub().SubmitSignal(c2.get(), req, &again));
  EXPECT_FALSE(first.replayed());
  EXPECT_TRUE(again.replayed());
  EXPECT_EQ(first.signal().name(), again.signal().name());
  EXPECT_EQ(Footprint(), footprint);

  req.mutable_signal()->set_description("Iets anders");
  pb::SubmitSignalResponse other;
  EXPECT_THAT(t_->stub().SubmitSignal(c3.get(), req, &other),
              GrpcStatusIs(StatusCode::INVALID_ARGUMENT, "REQUEST_ID_REUSED", "request_id"));
  EXPECT_EQ(Footprint(), footprint);
}

struct BadSubmit {
  std::string name;
  std::function<void(pb::SubmitSignalRequest*)> mutate;
  std::string reason;
  std::string field;
};

TEST_F(IntakeApiTest, BadSubmitInputIsRefusedAndWritesNothing) {
  const std::vector<BadSubmit> cases = {
      {"no signal", [](auto* r) { r->clear_signal(); }, "REQUIRED_FIELD_MISSING", "signal"},
      {"empty description", [](auto* r) { r->mutable_signal()->set_description(""); }, "REQUIRED_FIELD_MISSING",
       "signal.description"},
      {"blank description", [](auto* r) { r->mutable_signal()->set_description(" \n\t "); }, "REQUIRED_FIELD_MISSING",
       "signal.description"},
      {"oversize description", [](auto* r) { r->mutable_signal()->set_description(std::string(10001, 'x')); },
       "FIELD_TOO_LONG", "signal.description"},
      {"unknown category", [](auto* r) { r->mutable_signal()->set_category(static_cast<pb::SignalCategory>(99)); },
       "UNKNOWN_ENUM_VALUE", "signal.category"},
      {"unspecified regulation", [](auto* r) { r->mutable_signal()->set_regulation(pb::REGULATION_UNSPECIFIED); },
       "REQUIRED_FIELD_MISSING", "signal.regulation"},
      {"unknown channel", [](auto* r) { r->mutable_signal()->set_source_channel(static_cast<pb::SourceChannel>(-3)); },
       "UNKNOWN_ENUM_VALUE", "signal.source_channel"},
      {"invalid BSN", [](auto* r) { r->mutable_signal()->set_example_customer_bsns(1, "123456789"); }, "INVALID_BSN",
       "signal.example_customer_bsns[1]"},
      {"short BSN", [](auto* r) { r->mutable_signal()->add_example_customer_bsns("1234"); }, "INVALID_BSN",
       "signal.example_customer_bsns[2]"},
      {"repeated BSN", [](auto* r) { r->mutable_signal()->add_example_customer_bsns("111222333"); }, "DUPLICATE_VALUE",
       "signal.example_customer_bsns[2]"},
      {"bad attachment hash", [](auto* r) { r->mutable_signal()->mutable_attachments(0)->set_sha256("abc"); },
       "INVALID_FIELD_VALUE", "signal.attachments[0].sha256"},
      {"bad request id", [](auto* r) { r->set_request_id("two words"); }, "INVALID_REQUEST_ID", "request_id"},
      {"NUL in description", [](auto* r) { r->mutable_signal()->set_description(std::string("cut\0here", 8)); },
       "INVALID_CHARACTERS", "signal.description"},
      {"control character in file name",
       [](auto* r) { r->mutable_signal()->mutable_attachments(0)->set_file_name("a\x1b[31m.pdf"); },
       "INVALID_CHARACTERS", "signal.attachments[0].file_name"},
  };
  const auto before = Footprint();
  for (const BadSubmit& c : cases) {
    pb::SubmitSignalRequest req = ValidSubmit();
    c.mutate(&req);
    pb::SubmitSignalResponse resp;
    auto ctx = ContextFor(kApp);
    EXPECT_THAT(t_->stub().SubmitSignal(ctx.get(), req, &resp),
                GrpcStatusIs(StatusCode::INVALID_ARGUMENT, c.reason, c.field))
        << c.name;
  }
  EXPECT_EQ(Footprint(), before);
}

TEST_F(IntakeApiTest, DuplicateSuggestionsAreForEmployeesOnly) {
  pb::Signal first = Submit(kOfficer);
  // The same topic and customers again: an employee sees the suggestion; a reporting
  // application learns nothing about signals that are not its own.
  pb::Signal by_officer = Submit(kOfficer);
  ASSERT_EQ(by_officer.duplicate_candidates_size(), 1);
  EXPECT_EQ(by_officer.duplicate_candidates(0).signal(), first.name());
  pb::Signal by_app = Submit(kApp);
  EXPECT_EQ(by_app.duplicate_candidates_size(), 0);
  pb::GetSignalRequest get;
  get.set_name(by_app.name());
  pb::Signal seen_by_app, seen_by_officer;
  CAK_ASSERT_GRPC_OK(t_->stub().GetSignal(ContextFor(kApp).get(), get, &seen_by_app));
  EXPECT_EQ(seen_by_app.duplicate_candidates_size(), 0);
  CAK_ASSERT_GRPC_OK(t_->stub().GetSignal(ContextFor(kOfficer).get(), get, &seen_by_officer));
  EXPECT_EQ(seen_by_officer.duplicate_candidates_size(), 2);
}

// The suggestions: open signals on the same topic in the window or sharing customers, the ten
// most recent, each with how many customers it shares (found through open_signal_customers,
// bounded per customer, still exact).
TEST_F(IntakeApiTest, DuplicateSuggestionsAreTheTenMostRecentWithTheirSharedCustomers) {
  const auto bsns = common::SyntheticBsns(7, 3);
  const std::string a = bsns[0].digits(), b = bsns[1].digits(), c = bsns[2].digits();
  auto next = [&](const pb::SubmitSignalRequest& req) {
    t_->clock().Advance(absl::Seconds(1));  // newest first needs distinct receive times
    return Submit(kOfficer, req);
  };
  const pb::Signal topic = next(Naming({c}));
  const pb::Signal both = next(Naming({a}));
  const pb::Signal two = next(Naming({a, b}, pb::SIGNAL_CATEGORY_CONFUSING_LETTER));
  next(Naming({c}, pb::SIGNAL_CATEGORY_CONFUSING_LETTER));  // neither topic nor customer
  const pb::Signal s = next(Naming({a, b}));
  EXPECT_EQ(Suggested(s), (std::vector<std::string>{two.name() + " DUPLICATE_MATCH_SHARED_CUSTOMERS 2",
                                                    both.name() + " DUPLICATE_MATCH_BOTH 1",
                                                    topic.name() + " DUPLICATE_MATCH_SAME_REGULATION_AND_CATEGORY 0"}));

  // Eleven newer signals naming `a` (the newest also `b`): the ten most recent of them.
  std::vector<pb::Signal> newer;
  for (int i = 0; i < 11; ++i) {
    newer.push_back(next(Naming(i == 10 ? std::vector<std::string>{a, b} : std::vector<std::string>{a},
                                pb::SIGNAL_CATEGORY_PAYMENT_PROBLEM)));
  }
  const pb::Signal last = next(Naming({b, a}, pb::SIGNAL_CATEGORY_OTHER));
  std::vector<std::string> expected = {newer[10].name() + " DUPLICATE_MATCH_SHARED_CUSTOMERS 2"};
  for (int i = 9; i >= 1; --i) expected.push_back(newer[i].name() + " DUPLICATE_MATCH_SHARED_CUSTOMERS 1");
  EXPECT_EQ(Suggested(last), expected);
  EXPECT_EQ(IndexRows(last), 2);

  // GetSignal shows the suggestions frozen at submission.
  pb::GetSignalRequest get;
  get.set_name(last.name());
  pb::Signal read;
  CAK_ASSERT_GRPC_OK(t_->stub().GetSignal(ContextFor(kOfficer).get(), get, &read));
  EXPECT_EQ(Suggested(read), expected);
}

// Only open signals are suggested: a declined or closed signal leaves the duplicate index in the
// transaction that decides it, and a reopened one comes back.
TEST_F(IntakeApiTest, DeclinedAndClosedSignalsAreNoLongerSuggested) {
  const std::string a = common::SyntheticBsns(8, 1)[0].digits();
  auto next = [&](const pb::SubmitSignalRequest& req) {
    t_->clock().Advance(absl::Seconds(1));
    return Submit(kOfficer, req);
  };
  const pb::Signal s = next(Naming({a}, pb::SIGNAL_CATEGORY_CONFUSING_LETTER));
  EXPECT_EQ(IndexRows(s), 1);
  pb::Signal out;
  pb::DeclineSignalRequest decline;
  decline.set_name(s.name());
  decline.set_reason(pb::DECLINE_REASON_INCOMPLETE);
  decline.set_feedback("Welke factuur bedoelt u?");
  CAK_ASSERT_GRPC_OK(t_->stub().DeclineSignal(ContextFor(kOfficer).get(), decline, &out));
  EXPECT_EQ(IndexRows(s), 0);
  const pb::Signal probe = next(Naming({a}, pb::SIGNAL_CATEGORY_OTHER));
  EXPECT_EQ(probe.duplicate_candidates_size(), 0);

  pb::AddSignalInformationRequest info;  // reopens the INCOMPLETE signal
  info.set_name(s.name());
  info.set_text("De factuur van maart.");
  CAK_ASSERT_GRPC_OK(t_->stub().AddSignalInformation(ContextFor(kOfficer).get(), info, &out));
  EXPECT_EQ(out.state(), pb::SIGNAL_STATE_RECEIVED);
  EXPECT_EQ(IndexRows(s), 1);
  const pb::Signal again = next(Naming({a}, pb::SIGNAL_CATEGORY_PAYMENT_PROBLEM));
  EXPECT_EQ(Suggested(again), (std::vector<std::string>{probe.name() + " DUPLICATE_MATCH_SHARED_CUSTOMERS 1",
                                                        s.name() + " DUPLICATE_MATCH_SHARED_CUSTOMERS 1"}));

  pb::StartSignalAssessmentRequest start;
  start.set_name(s.name());
  CAK_ASSERT_GRPC_OK(t_->stub().StartSignalAssessment(ContextFor(kAnalyst).get(), start, &out));
  pb::MarkSignalActionPlannedRequest plan;
  plan.set_name(s.name());
  plan.set_campaign("campaigns/0f8fad5b-d9cb-469f-a165-70867728950e");
  CAK_ASSERT_GRPC_OK(t_->stub().MarkSignalActionPlanned(ContextFor(kCampaign).get(), plan, &out));
  EXPECT_EQ(IndexRows(s), 1);  // still open
  pb::CloseSignalRequest close;
  close.set_name(s.name());
  close.set_feedback("Afgehandeld.");
  CAK_ASSERT_GRPC_OK(t_->stub().CloseSignal(ContextFor(kCampaign).get(), close, &out));
  EXPECT_EQ(IndexRows(s), 0);
  const pb::Signal after = next(Naming({a}, pb::SIGNAL_CATEGORY_CUSTOMER_SIGNAL));
  EXPECT_EQ(Suggested(after), (std::vector<std::string>{again.name() + " DUPLICATE_MATCH_SHARED_CUSTOMERS 1",
                                                        probe.name() + " DUPLICATE_MATCH_SHARED_CUSTOMERS 1"}));
}

TEST_F(IntakeApiTest, UnknownSignalsAndMalformedNames) {
  pb::GetSignalRequest get;
  get.set_name("signals/0f8fad5b-d9cb-469f-a165-70867728950e");
  pb::Signal out;
  auto c1 = ContextFor(kOfficer), c2 = ContextFor(kOfficer), c3 = ContextFor(kOfficer);
  EXPECT_THAT(t_->stub().GetSignal(c1.get(), get, &out), GrpcStatusIs(StatusCode::NOT_FOUND, "SIGNAL_NOT_FOUND", ""));
  get.set_name("signals/42");
  EXPECT_THAT(t_->stub().GetSignal(c2.get(), get, &out),
              GrpcStatusIs(StatusCode::INVALID_ARGUMENT, "INVALID_RESOURCE_NAME", "name"));
  pb::DeclineSignalRequest decline;
  decline.set_name("signals/0f8fad5b-d9cb-469f-a165-70867728950e");
  decline.set_reason(pb::DECLINE_REASON_DUPLICATE);
  decline.set_feedback("Dubbel");
  EXPECT_THAT(t_->stub().DeclineSignal(c3.get(), decline, &out),
              GrpcStatusIs(StatusCode::NOT_FOUND, "SIGNAL_NOT_FOUND", ""));
}

TEST_F(IntakeApiTest, BadListRequests) {
  Submit();
  pb::ListSignalsResponse out;
  pb::ListSignalsRequest req;
  req.set_page_size(-1);
  auto c1 = ContextFor(kOfficer), c2 = ContextFor(kOfficer), c3 = ContextFor(kOfficer), c4 = ContextFor(kOfficer);
  EXPECT_THAT(t_->stub().ListSignals(c1.get(), req, &out),
              GrpcStatusIs(StatusCode::INVALID_ARGUMENT, "INVALID_PAGE_SIZE", "page_size"));
  req.set_page_size(10);
  req.set_page_token("bm90LWEtdG9rZW4");
  EXPECT_THAT(t_->stub().ListSignals(c2.get(), req, &out),
              GrpcStatusIs(StatusCode::INVALID_ARGUMENT, "INVALID_PAGE_TOKEN", "page_token"));
  // Forged tokens: another deployment's key; this deployment's key (an insider) with a bad key
  // part, or for another method or filter. All refused before any query.
  const auto ours =
      common::PageTokens::ForDeployment(*common::DataSubjectHasher::Create("test-hash-key-of-at-least-32-bytes!!"));
  const std::string uuid = "5b7f2f0e-2a43-4d7e-8c57-2f3a9d1b6e01";
  for (const std::string& forged : {common::PageTokens().Encode("ListSignals:-/-/-//-/-", {"1700000000000000", uuid}),
                                    ours.Encode("ListSignals:-/-/-//-/-", {"1700000000000000", "not-a-uuid"}),
                                    ours.Encode("ListSignals:-/-/-//-/-", {"99999999999999999999", uuid}),
                                    ours.Encode("ListCampaigns:0:", {"1700000000000000", uuid}),
                                    ours.Encode("ListSignals:1/-/-//-/-", {"1700000000000000", uuid})}) {
    req.set_page_token(forged);
    auto ctx = ContextFor(kOfficer);
    EXPECT_THAT(t_->stub().ListSignals(ctx.get(), req, &out),
                GrpcStatusIs(StatusCode::INVALID_ARGUMENT, "INVALID_PAGE_TOKEN", "page_token"));
  }
  req.set_page_token(ours.Encode("ListSignals:-/-/-//-/-", {"1700000000000000", uuid}));  // well-formed
  auto well_formed = ContextFor(kOfficer);
  CAK_ASSERT_GRPC_OK(t_->stub().ListSignals(well_formed.get(), req, &out));
  req.clear_page_token();
  req.set_state(static_cast<pb::SignalState>(17));
  EXPECT_THAT(t_->stub().ListSignals(c3.get(), req, &out),
              GrpcStatusIs(StatusCode::INVALID_ARGUMENT, "UNKNOWN_ENUM_VALUE", "state"));
  req.set_state(pb::SIGNAL_STATE_RECEIVED);
  CAK_ASSERT_GRPC_OK(t_->stub().ListSignals(c4.get(), req, &out));
  EXPECT_EQ(out.signals_size(), 1);
}

TEST_F(IntakeApiTest, MoreBadRequestsAreRefusedAndWriteNothing) {
  pb::Signal s = Submit();
  const auto before = Footprint();
  pb::Signal out;
  pb::ListSignalsResponse list;
  pb::ListSignalsRequest window;
  window.mutable_receive_time_start()->set_seconds(2000000000);
  window.mutable_receive_time_end()->set_seconds(1900000000);
  EXPECT_THAT(t_->stub().ListSignals(ContextFor(kOfficer).get(), window, &list),
              GrpcStatusIs(StatusCode::INVALID_ARGUMENT, "INVALID_TIME_WINDOW", "receive_time_end"));
  window.mutable_receive_time_end()->set_nanos(-5);
  EXPECT_THAT(t_->stub().ListSignals(ContextFor(kOfficer).get(), window, &list),
              GrpcStatusIs(StatusCode::INVALID_ARGUMENT, "INVALID_FIELD_VALUE", "receive_time_end"));
  pb::GetSignalRequest get;
  get.set_name(s.name());
  get.set_view(static_cast<pb::SignalView>(9));
  EXPECT_THAT(t_->stub().GetSignal(ContextFor(kOfficer).get(), get, &out),
              GrpcStatusIs(StatusCode::INVALID_ARGUMENT, "UNKNOWN_ENUM_VALUE", "view"));
  pb::AddSignalInformationRequest info;
  info.set_name(s.name());
  info.set_text(std::string(10001, 'i'));
  EXPECT_THAT(t_->stub().AddSignalInformation(ContextFor(kOfficer).get(), info, &out),
              GrpcStatusIs(StatusCode::INVALID_ARGUMENT, "FIELD_TOO_LONG", "text"));
  pb::MarkSignalActionPlannedRequest plan;
  plan.set_name(s.name());
  EXPECT_THAT(t_->stub().MarkSignalActionPlanned(ContextFor(kCampaign).get(), plan, &out),
              GrpcStatusIs(StatusCode::INVALID_ARGUMENT, "REQUIRED_FIELD_MISSING", "campaign"));
  pb::CloseSignalRequest close;
  close.set_name(s.name());
  EXPECT_THAT(t_->stub().CloseSignal(ContextFor(kCampaign).get(), close, &out),
              GrpcStatusIs(StatusCode::INVALID_ARGUMENT, "REQUIRED_FIELD_MISSING", "feedback"));
  pb::WatchSignalRequest watch;
  watch.set_name(s.name());
  watch.set_after_sequence(-1);
  auto watch_ctx = ContextFor(kApp);
  auto reader = t_->stub().WatchSignal(watch_ctx.get(), watch);
  pb::WatchSignalResponse ignored;
  EXPECT_FALSE(reader->Read(&ignored));
  EXPECT_THAT(reader->Finish(), GrpcStatusIs(StatusCode::INVALID_ARGUMENT, "INVALID_FIELD_VALUE", "after_sequence"));
  plog::ListProcessingLogEntriesRequest by_trace;
  by_trace.set_trace_id("not-hex");
  plog::ListProcessingLogEntriesResponse entries;
  EXPECT_THAT(t_->log_stub().ListProcessingLogEntries(ContextFor(kPrivacy).get(), by_trace, &entries),
              GrpcStatusIs(StatusCode::INVALID_ARGUMENT, "INVALID_FIELD_VALUE", "trace_id"));
  EXPECT_EQ(Footprint(), before);
}

TEST_F(IntakeApiTest, ListPagesThroughEverythingOnce) {
  std::set<std::string> created;
  for (int i = 0; i < 7; ++i) {
    created.insert(Submit().name());
    if (i % 2 == 0) t_->clock().Advance(absl::Seconds(1));  // ties in receive_time too
  }
  std::set<std::string> seen;
  std::string token;
  do {
    pb::ListSignalsRequest req;
    req.set_page_size(3);
    req.set_page_token(token);
    req.set_regulation(pb::REGULATION_WLZ);
    pb::ListSignalsResponse out;
    auto ctx = ContextFor(kOfficer);
    CAK_ASSERT_GRPC_OK(t_->stub().ListSignals(ctx.get(), req, &out));
    for (const auto& s : out.signals()) {
      EXPECT_TRUE(seen.insert(s.name()).second) << "seen twice: " << s.name();
      EXPECT_EQ(s.example_customer_bsns_size(), 0);
    }
    token = out.next_page_token();
  } while (!token.empty());
  EXPECT_EQ(seen, created);
}

TEST_F(IntakeApiTest, BadLifecycleRequestsWriteNothing) {
  pb::Signal s = Submit();
  const auto before = Footprint();
  pb::Signal out;
  pb::DeclineSignalRequest decline;
  decline.set_name(s.name());
  decline.set_reason(static_cast<pb::DeclineReason>(42));
  decline.set_feedback("x");
  auto ctx = [] { return ContextFor(kOfficer); };
  auto c1 = ctx(), c2 = ctx(), c3 = ctx(), c4 = ctx();
  EXPECT_THAT(t_->stub().DeclineSignal(c1.get(), decline, &out),
              GrpcStatusIs(StatusCode::INVALID_ARGUMENT, "UNKNOWN_ENUM_VALUE", "reason"));
  decline.set_reason(pb::DECLINE_REASON_INCOMPLETE);
  decline.set_feedback("");
  EXPECT_THAT(t_->stub().DeclineSignal(c2.get(), decline, &out),
              GrpcStatusIs(StatusCode::INVALID_ARGUMENT, "REQUIRED_FIELD_MISSING", "feedback"));
  decline.set_feedback(std::string(4001, 'f'));
  EXPECT_THAT(t_->stub().DeclineSignal(c3.get(), decline, &out),
              GrpcStatusIs(StatusCode::INVALID_ARGUMENT, "FIELD_TOO_LONG", "feedback"));
  pb::AddSignalInformationRequest info;
  info.set_name(s.name());
  EXPECT_THAT(t_->stub().AddSignalInformation(c4.get(), info, &out),
              GrpcStatusIs(StatusCode::INVALID_ARGUMENT, "REQUIRED_FIELD_MISSING", "text"));
  pb::CloseSignalRequest close;
  close.set_name(s.name());
  close.set_feedback("Klaar");
  EXPECT_THAT(t_->stub().CloseSignal(ContextFor(kCampaign).get(), close, &out),
              GrpcStatusIs(StatusCode::FAILED_PRECONDITION, "INVALID_STATE_TRANSITION", ""));
  pb::MarkSignalActionPlannedRequest plan;
  plan.set_name(s.name());
  plan.set_campaign("campaigns/c1");
  EXPECT_THAT(t_->stub().MarkSignalActionPlanned(ContextFor(kCampaign).get(), plan, &out),
              GrpcStatusIs(StatusCode::FAILED_PRECONDITION, "INVALID_STATE_TRANSITION", ""));
  EXPECT_EQ(Footprint(), before);
}

TEST_F(IntakeApiTest, AuthenticationAndAuthorisation) {
  const auto before = Footprint();
  pb::SubmitSignalResponse resp;
  auto anonymous = common::testing::AnonymousContext();
  EXPECT_THAT(t_->stub().SubmitSignal(anonymous.get(), ValidSubmit(), &resp),
              GrpcStatusIs(StatusCode::UNAUTHENTICATED, "UNAUTHENTICATED", ""));
  auto garbage = common::testing::AnonymousContext();
  garbage->AddMetadata("authorization", "Bearer eyJhbGciOiJIUzI1NiJ9.e30.abc");
  EXPECT_THAT(t_->stub().SubmitSignal(garbage.get(), ValidSubmit(), &resp),
              GrpcStatusIs(StatusCode::UNAUTHENTICATED, "UNAUTHENTICATED", ""));
  common::TokenClaims expired_claims{.subject = "emp-1", .roles = {"intake_officer"}};
  expired_claims.issued_at = absl::Now() - absl::Hours(3);
  auto expired = common::testing::AnonymousContext();
  expired->AddMetadata("authorization", "Bearer " + *common::MintToken(expired_claims));
  EXPECT_THAT(t_->stub().SubmitSignal(expired.get(), ValidSubmit(), &resp),
              GrpcStatusIs(StatusCode::UNAUTHENTICATED, "UNAUTHENTICATED", ""));
  EXPECT_THAT(t_->stub().SubmitSignal(ContextFor(kAnalyst).get(), ValidSubmit(), &resp),
              GrpcStatusIs(StatusCode::PERMISSION_DENIED, "PERMISSION_DENIED", ""));
  EXPECT_EQ(Footprint(), before);

  pb::Signal s = Submit();
  pb::Signal out;
  pb::DeclineSignalRequest decline;
  decline.set_name(s.name());
  decline.set_reason(pb::DECLINE_REASON_DUPLICATE);
  decline.set_feedback("Dubbel");
  EXPECT_THAT(t_->stub().DeclineSignal(ContextFor(kApp).get(), decline, &out),
              GrpcStatusIs(StatusCode::PERMISSION_DENIED, "PERMISSION_DENIED", ""));
  pb::PurgeSignalsRequest purge;
  pb::PurgeSignalsResponse purged;
  EXPECT_THAT(t_->stub().PurgeSignals(ContextFor(kOfficer).get(), purge, &purged),
              GrpcStatusIs(StatusCode::PERMISSION_DENIED, "PERMISSION_DENIED", ""));
  pb::GetSignalRequest get;
  get.set_name(s.name());
  get.set_view(pb::SIGNAL_VIEW_FULL);
  EXPECT_THAT(t_->stub().GetSignal(ContextFor(TestCaller{"d-1", {"campaign_designer"}}).get(), get, &out),
              GrpcStatusIs(StatusCode::PERMISSION_DENIED, "FULL_VIEW_NOT_ALLOWED", ""));
  // Another application does not even learn that the signal exists.
  get.set_view(pb::SIGNAL_VIEW_BASIC);
  EXPECT_THAT(
      t_->stub().GetSignal(ContextFor(TestCaller{"other-app", {"reporting_application"}, true}).get(), get, &out),
      GrpcStatusIs(StatusCode::NOT_FOUND, "SIGNAL_NOT_FOUND", ""));

  const std::string metrics = t_->metrics().Render();
  EXPECT_NE(metrics.find("grpc_code=\"UNAUTHENTICATED\""), std::string::npos);
  EXPECT_NE(metrics.find("grpc_code=\"PERMISSION_DENIED\""), std::string::npos);
}

TEST_F(IntakeApiTest, EveryMethodIsInTheRoleTable) {
  const auto table = api::IntakeRoleTable();
  const auto* service =
      google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(pb::IntakeService::service_full_name());
  ASSERT_NE(service, nullptr);
  for (int i = 0; i < service->method_count(); ++i) {
    EXPECT_TRUE(table.Has(service->method(i)->name())) << service->method(i)->name();
  }
  EXPECT_TRUE(table.Has(common::kListProcessingLogEntries));
}

TEST_F(IntakeApiTest, FullLifecycleAndTheReportersWatch) {
  pb::Signal s = Submit(kApp);
  std::vector<pb::SignalEvent> events;
  grpc::Status watch_status;
  auto watch_ctx = ContextFor(kApp, absl::Seconds(20));
  std::thread watcher([&] {
    pb::WatchSignalRequest req;
    req.set_name(s.name());
    auto reader = t_->stub().WatchSignal(watch_ctx.get(), req);
    pb::WatchSignalResponse r;
    while (reader->Read(&r)) events.push_back(r.event());
    watch_status = reader->Finish();
  });
  pb::Signal out;
  pb::StartSignalAssessmentRequest start;
  start.set_name(s.name());
  CAK_ASSERT_GRPC_OK(t_->stub().StartSignalAssessment(ContextFor(kAnalyst).get(), start, &out));
  pb::MarkSignalActionPlannedRequest plan;
  plan.set_name(s.name());
  plan.set_campaign("campaigns/0f8fad5b-d9cb-469f-a165-70867728950e");
  CAK_ASSERT_GRPC_OK(t_->stub().MarkSignalActionPlanned(ContextFor(kCampaign).get(), plan, &out));
  pb::CloseSignalRequest close;
  close.set_name(s.name());
  close.set_feedback("Alle klanten hebben een brief met uitleg ontvangen.");
  CAK_ASSERT_GRPC_OK(t_->stub().CloseSignal(ContextFor(kCampaign).get(), close, &out));
  EXPECT_EQ(out.state(), pb::SIGNAL_STATE_CLOSED);
  EXPECT_EQ(out.state_changes_size(), 4);
  watcher.join();
  EXPECT_TRUE(watch_status.ok()) << watch_status.error_message();
  ASSERT_EQ(events.size(), 4u);
  EXPECT_EQ(events[0].type(), pb::SIGNAL_EVENT_TYPE_RECEIVED);
  EXPECT_EQ(events[1].to_state(), pb::SIGNAL_STATE_IN_ASSESSMENT);
  EXPECT_EQ(events[1].actor().id(), "emp-2002");
  EXPECT_EQ(events[2].to_state(), pb::SIGNAL_STATE_ACTION_PLANNED);
  EXPECT_EQ(events[3].to_state(), pb::SIGNAL_STATE_CLOSED);
  EXPECT_EQ(events[3].feedback(), "Alle klanten hebben een brief met uitleg ontvangen.");
  EXPECT_LT(events[0].sequence(), events[3].sequence());
}

TEST_F(IntakeApiTest, PrivacyOfficerReadsTheProcessingLogBySubjectAndTrace) {
  // The caller's traceparent ties our entries to its trace.
  pb::SubmitSignalResponse resp;
  auto ctx = ContextFor(kApp);
  ctx->AddMetadata("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  CAK_ASSERT_GRPC_OK(t_->stub().SubmitSignal(ctx.get(), ValidSubmit(), &resp));

  plog::ListProcessingLogEntriesRequest by_trace;
  by_trace.set_trace_id("4bf92f3577b34da6a3ce929d0e0e4736");
  plog::ListProcessingLogEntriesResponse entries;
  CAK_ASSERT_GRPC_OK(t_->log_stub().ListProcessingLogEntries(ContextFor(kPrivacy).get(), by_trace, &entries));
  // The operation, its two example customers as narrow subject rows under it.
  ASSERT_EQ(entries.entries_size(), 1);
  const auto& op = entries.entries(0);
  EXPECT_EQ(op.subject_row_count(), 2);
  EXPECT_EQ(op.data_subject_id(), "");
  EXPECT_EQ(op.name(), "intake.SubmitSignal");
  EXPECT_EQ(op.parent_span_id(), "00f067aa0ba902b7");
  EXPECT_EQ(op.foreign_operation_span_id(), "00f067aa0ba902b7");
  EXPECT_EQ(op.foreign_operation_processor(), "kcc-portal");
  EXPECT_EQ(op.resource(), "intake-svc");
  EXPECT_EQ(op.processing_activity_id(), "https://register.cak.nl/verwerkingsregister/M7624#1-melding-ontvangen");
  for (const auto& e : entries.entries()) EXPECT_EQ(e.DebugString().find("123456782"), std::string::npos);

  // Each subject finds the submit as an entry of their own (the operation's, with them).
  plog::ListProcessingLogEntriesRequest by_subject;
  plog::ListProcessingLogEntriesResponse mine;
  std::set<std::string> subject_ids;
  for (const std::string bsn : {"123456782", "111222333"}) {
    by_subject.set_data_subject_bsn(bsn);
    CAK_ASSERT_GRPC_OK(t_->log_stub().ListProcessingLogEntries(ContextFor(kPrivacy).get(), by_subject, &mine));
    ASSERT_EQ(mine.entries_size(), 1) << bsn;
    EXPECT_EQ(mine.entries(0).name(), "intake.SubmitSignal");
    EXPECT_EQ(mine.entries(0).span_id(), op.span_id());
    EXPECT_EQ(mine.entries(0).data_subject_id_type(), "BSN");
    EXPECT_EQ(mine.entries(0).data_subject_id().size(), 64u);
    EXPECT_EQ(mine.entries(0).DebugString().find(bsn), std::string::npos);
    subject_ids.insert(mine.entries(0).data_subject_id());
  }
  EXPECT_EQ(subject_ids.size(), 2u);

  by_subject.set_data_subject_bsn("123456789");
  EXPECT_THAT(t_->log_stub().ListProcessingLogEntries(ContextFor(kPrivacy).get(), by_subject, &mine),
              GrpcStatusIs(StatusCode::INVALID_ARGUMENT, "INVALID_BSN", "data_subject_bsn"));
  plog::ListProcessingLogEntriesRequest neither;
  EXPECT_THAT(t_->log_stub().ListProcessingLogEntries(ContextFor(kPrivacy).get(), neither, &mine),
              GrpcStatusIs(StatusCode::INVALID_ARGUMENT, "REQUIRED_FIELD_MISSING", "selector"));
  EXPECT_THAT(t_->log_stub().ListProcessingLogEntries(ContextFor(kOfficer).get(), by_trace, &mine),
              GrpcStatusIs(StatusCode::PERMISSION_DENIED, "PERMISSION_DENIED", ""));
}

// The logbook export sends each example customer of a submit as an operation of its own (one data
// subject per record), though the log keeps them as subject rows under one entry.
TEST_F(IntakeApiTest, TheLogbookGetsEachSubjectOfASubmit) {
  Submit();
  class Capture : public common::LogbookSink {
   public:
    absl::Status Export(const std::vector<common::LogbookOperation>& operations) override {
      received.insert(received.end(), operations.begin(), operations.end());
      return absl::OkStatus();
    }
    std::vector<common::LogbookOperation> received;
  } logbook;
  auto pool = t_->schema().MakePool(2);
  ASSERT_TRUE(pool.ok()) << pool.status();
  common::db::LogbookExportOptions options;
  options.schema = t_->schema().name();
  options.logbook = "logbook.test:443";
  common::db::LogbookExporter exporter(pool->get(), &logbook, options);
  ASSERT_TRUE(exporter.EnsureCursor().ok());
  // A round hands over only what no older transaction can still precede; on a shared database
  // another client's long transaction holds that back for a while.
  for (int round = 0; round < 600 && logbook.received.empty(); ++round) {
    auto sent = exporter.ExportRound();
    ASSERT_TRUE(sent.ok()) << sent.status();
    if (logbook.received.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  const auto ids = *common::DataSubjectHasher::Create("test-hash-key-of-at-least-32-bytes!!");
  std::set<std::string> subjects;
  int without_subject = 0;
  for (const auto& op : logbook.received) {
    if (op.name != "intake.SubmitSignal") continue;
    std::string subject;
    for (const auto& [k, v] : op.attributes) {
      if (k == common::kAttrDataSubjectId) subject = v;
    }
    if (subject.empty()) {
      ++without_subject;
    } else {
      subjects.insert(subject);
    }
  }
  EXPECT_EQ(without_subject, 1);  // the operation itself
  EXPECT_EQ(subjects, (std::set<std::string>{ids.Hash(*common::Bsn::Parse("123456782")),
                                             ids.Hash(*common::Bsn::Parse("111222333"))}));
}

// GDPR art. 15: the privacy officer gets a copy of what intake-svc holds about one person (the
// signals naming them, never the others named with them), and the access is logged.
TEST_F(IntakeApiTest, PrivacyOfficerExportsTheSignalsNamingAPerson) {
  const pb::Signal signal = Submit();
  auto subjects =
      cak::voorlichting::privacy::v1::DataSubjectService::NewStub(common::testing::LocalChannel(t_->port()));
  cak::voorlichting::privacy::v1::ExportSubjectDataRequest req;
  req.set_bsn("123456782");
  cak::voorlichting::privacy::v1::SubjectDataExport out;
  CAK_ASSERT_GRPC_OK(subjects->ExportSubjectData(ContextFor(kPrivacy).get(), req, &out));
  EXPECT_EQ(out.service(), "intake-svc");
  EXPECT_TRUE(out.holds_data());
  ASSERT_EQ(out.categories_size(), 1);
  const auto& c = out.categories(0);
  EXPECT_EQ(c.name(), "signals");
  EXPECT_FALSE(c.purpose().empty());
  EXPECT_FALSE(c.legal_basis().empty());
  EXPECT_FALSE(c.retention().empty());
  ASSERT_EQ(c.records_size(), 1);
  std::map<std::string, std::string> fields;
  for (const auto& f : c.records(0).fields()) fields[f.name()] = f.value();
  EXPECT_EQ(fields["signal"], signal.name());
  EXPECT_EQ(fields["description"], signal.description());
  EXPECT_EQ(fields["example_customer_count"], "2");
  EXPECT_EQ(fields["state"], "Ontvangen");
  // The other customer named in the signal is not shown.
  EXPECT_EQ(out.DebugString().find("111222333"), std::string::npos);

  // The access is logged under the person, and found by the person's BSN.
  plog::ListProcessingLogEntriesRequest by_subject;
  by_subject.set_data_subject_bsn("123456782");
  plog::ListProcessingLogEntriesResponse mine;
  CAK_ASSERT_GRPC_OK(t_->log_stub().ListProcessingLogEntries(ContextFor(kPrivacy).get(), by_subject, &mine));
  int exports = 0;
  for (const auto& e : mine.entries()) exports += e.name() == "privacy.ExportSubjectData";
  EXPECT_EQ(exports, 1);

  // A valid BSN nobody named: nothing held, nothing else said.
  req.set_bsn("010000008");
  CAK_ASSERT_GRPC_OK(subjects->ExportSubjectData(ContextFor(kPrivacy).get(), req, &out));
  EXPECT_FALSE(out.holds_data());
  EXPECT_EQ(out.categories_size(), 0);

  // Refusals write nothing.
  const auto before = Footprint();
  req.set_bsn("123456789");
  EXPECT_THAT(subjects->ExportSubjectData(ContextFor(kPrivacy).get(), req, &out),
              GrpcStatusIs(StatusCode::INVALID_ARGUMENT, "INVALID_BSN", "bsn"));
  req.clear_bsn();
  EXPECT_THAT(subjects->ExportSubjectData(ContextFor(kPrivacy).get(), req, &out),
              GrpcStatusIs(StatusCode::INVALID_ARGUMENT, "INVALID_BSN", "bsn"));
  req.set_bsn("123456782");
  for (const TestCaller& caller : {kOfficer, kApp}) {
    EXPECT_THAT(subjects->ExportSubjectData(ContextFor(caller).get(), req, &out),
                GrpcStatusIs(StatusCode::PERMISSION_DENIED, "PERMISSION_DENIED", ""));
  }
  EXPECT_EQ(Footprint(), before);
}

// An objection: intake-svc selects nobody and says so (the register is analysis-svc's); the
// call is logged under the person; refusals write nothing.
TEST_F(IntakeApiTest, AnObjectionIsAnsweredWithWhatItMeansHere) {
  auto subjects =
      cak::voorlichting::privacy::v1::DataSubjectService::NewStub(common::testing::LocalChannel(t_->port()));
  cak::voorlichting::privacy::v1::RecordObjectionRequest req;
  req.set_bsn("123456782");
  req.set_kind(cak::voorlichting::privacy::v1::OBJECTION_KIND_RESTRICTION);
  req.set_scope(cak::voorlichting::privacy::v1::OBJECTION_SCOPE_ALL_SELECTION);
  req.set_reason("Juistheid van de gegevens betwist, brief BZ-12");
  cak::voorlichting::privacy::v1::ObjectionAnswer answer;
  CAK_ASSERT_GRPC_OK(subjects->RecordObjection(ContextFor(kPrivacy).get(), req, &answer));
  EXPECT_EQ(answer.service(), "intake-svc");
  EXPECT_FALSE(answer.keeps_register());
  EXPECT_FALSE(answer.has_objection());
  ASSERT_EQ(answer.remarks_size(), 2);  // selects nobody here; statutory mailings not stopped
  EXPECT_NE(answer.remarks(0).find("analysis-svc"), std::string::npos);
  plog::ListProcessingLogEntriesRequest by_subject;
  by_subject.set_data_subject_bsn("123456782");
  plog::ListProcessingLogEntriesResponse mine;
  CAK_ASSERT_GRPC_OK(t_->log_stub().ListProcessingLogEntries(ContextFor(kPrivacy).get(), by_subject, &mine));
  int logged = 0;
  for (const auto& e : mine.entries()) logged += e.name() == "privacy.RecordObjection";
  EXPECT_EQ(logged, 1);

  const auto before = Footprint();
  req.clear_scope();
  EXPECT_THAT(subjects->RecordObjection(ContextFor(kPrivacy).get(), req, &answer),
              GrpcStatusIs(StatusCode::INVALID_ARGUMENT, "REQUIRED_FIELD_MISSING", "scope"));
  cak::voorlichting::privacy::v1::LiftObjectionRequest lift;
  lift.set_bsn("123456782");
  lift.set_reason("De klant trekt het verzoek in");
  for (const TestCaller& caller : {kOfficer, kApp}) {
    EXPECT_THAT(subjects->LiftObjection(ContextFor(caller).get(), lift, &answer),
                GrpcStatusIs(StatusCode::PERMISSION_DENIED, "PERMISSION_DENIED", ""));
  }
  EXPECT_EQ(Footprint(), before);
}

// GDPR art. 17: the person out of the signals that name them (the signals stay, the count
// follows); a dry run changes nothing; refusals write nothing.
TEST_F(IntakeApiTest, ErasureTakesThePersonOutOfTheSignals) {
  const pb::Signal signal = Submit();
  auto subjects =
      cak::voorlichting::privacy::v1::DataSubjectService::NewStub(common::testing::LocalChannel(t_->port()));
  cak::voorlichting::privacy::v1::EraseSubjectDataRequest req;
  req.set_bsn("123456782");
  req.set_reason("Verzoek tot verwijdering, brief VZ-1");
  req.set_dry_run(true);
  cak::voorlichting::privacy::v1::ErasureAnswer answer;
  CAK_ASSERT_GRPC_OK(subjects->EraseSubjectData(ContextFor(kPrivacy).get(), req, &answer));
  ASSERT_EQ(answer.categories_size(), 1);
  EXPECT_EQ(answer.categories(0).count(), 1);
  cak::voorlichting::privacy::v1::ExportSubjectDataRequest access;
  access.set_bsn("123456782");
  cak::voorlichting::privacy::v1::SubjectDataExport held;
  CAK_ASSERT_GRPC_OK(subjects->ExportSubjectData(ContextFor(kPrivacy).get(), access, &held));
  EXPECT_TRUE(held.holds_data());

  EXPECT_EQ(t_->Count("open_signal_customers WHERE bsn = '123456782'"), 1);  // a dry run keeps them

  req.set_dry_run(false);
  CAK_ASSERT_GRPC_OK(subjects->EraseSubjectData(ContextFor(kPrivacy).get(), req, &answer));
  ASSERT_EQ(answer.categories_size(), 1);
  EXPECT_EQ(answer.categories(0).count(), 1);
  // Out of the duplicate index too: a signal naming them no longer finds this one by them.
  EXPECT_EQ(t_->Count("open_signal_customers WHERE bsn = '123456782'"), 0);
  EXPECT_EQ(t_->Count("open_signal_customers WHERE bsn = '111222333'"), 1);
  CAK_ASSERT_GRPC_OK(subjects->ExportSubjectData(ContextFor(kPrivacy).get(), access, &held));
  EXPECT_FALSE(held.holds_data());
  access.set_bsn("111222333");  // the other customer named stays named
  CAK_ASSERT_GRPC_OK(subjects->ExportSubjectData(ContextFor(kPrivacy).get(), access, &held));
  EXPECT_TRUE(held.holds_data());
  pb::GetSignalRequest get;
  get.set_name(signal.name());
  pb::Signal now;
  CAK_ASSERT_GRPC_OK(t_->stub().GetSignal(ContextFor(kOfficer).get(), get, &now));
  EXPECT_EQ(now.example_customer_count(), signal.example_customer_count() - 1);

  const auto before = Footprint();
  req.set_bsn("12345678");
  EXPECT_THAT(subjects->EraseSubjectData(ContextFor(kPrivacy).get(), req, &answer),
              GrpcStatusIs(StatusCode::INVALID_ARGUMENT, "INVALID_BSN", "bsn"));
  req.set_bsn("111222333");
  for (const TestCaller& caller : {kOfficer, kApp}) {
    EXPECT_THAT(subjects->EraseSubjectData(ContextFor(caller).get(), req, &answer),
                GrpcStatusIs(StatusCode::PERMISSION_DENIED, "PERMISSION_DENIED", ""));
  }
  EXPECT_EQ(Footprint(), before);
  const pb::Signal naming = Submit(kOfficer, Naming({"123456782"}, pb::SIGNAL_CATEGORY_OTHER));
  EXPECT_EQ(naming.duplicate_candidates_size(), 0);
}

// Retention that cascades: a customer analysis-svc removed (its feed names them by log id) goes
// out of the signals' example customers as with an erasure, in one transaction with the log
// entry and the position; a dry run moves nothing; people the signals do not name are passed.
TEST_F(IntakeApiTest, FollowingAnalysisRemovalsTakesRemovedCustomersOutOfTheSignals) {
  const pb::Signal signal = Submit();  // names 123456782 and 111222333
  const auto ids = *common::DataSubjectHasher::Create("test-hash-key-of-at-least-32-bytes!!");
  common::testing::FakeRemovalFeed feed;
  feed.Add(ids.Hash(*common::Bsn::Parse("123456782")));
  feed.Add(ids.Hash(*common::Bsn::Parse("999999990")), common::RemovalCause::kErased);  // not named here
  const common::CallContext job =
      common::testing::TestCall("intake-svc/retention-job", {"administrator"}, common::PrincipalKind::kApplication);

  auto dry = t_->server().service().FollowRemovals(job, feed, ids, /*dry_run=*/true);
  ASSERT_TRUE(dry.ok()) << dry.status();
  EXPECT_EQ(dry->removals, 2);
  EXPECT_EQ(dry->subjects, 1);
  EXPECT_EQ(dry->records, 1);
  EXPECT_EQ(t_->Count("removal_feed_position"), 0);
  pb::GetSignalRequest get;
  get.set_name(signal.name());
  pb::Signal now;
  CAK_ASSERT_GRPC_OK(t_->stub().GetSignal(ContextFor(kOfficer).get(), get, &now));
  EXPECT_EQ(now.example_customer_count(), signal.example_customer_count());

  auto done = t_->server().service().FollowRemovals(job, feed, ids, false);
  ASSERT_TRUE(done.ok()) << done.status();
  EXPECT_EQ(done->subjects, 1);
  CAK_ASSERT_GRPC_OK(t_->stub().GetSignal(ContextFor(kOfficer).get(), get, &now));
  EXPECT_EQ(now.example_customer_count(), signal.example_customer_count() - 1);
  const std::string s = t_->schema().name();
  EXPECT_EQ(*t_->schema().Query("SELECT count(*) FROM " + s + ".signals WHERE '123456782' = ANY (example_customers)"),
            "0");
  EXPECT_EQ(*t_->schema().Query("SELECT count(*) FROM " + s +
                                ".processing_log WHERE name = 'intake.FollowSubjectRemovals' AND data_subject_id = '" +
                                ids.Hash(*common::Bsn::Parse("123456782")) + "'"),
            "1");
  EXPECT_EQ(*t_->schema().Query("SELECT entry_id FROM " + s + ".removal_feed_position"),
            absl::StrCat(feed.removals().back().position.entry_id));
  auto again = t_->server().service().FollowRemovals(job, feed, ids, false);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->removals, 0);
}

// The signal records the information action's trace when it is received; its later
// processings are logged in that trace, also when asked for from another one (then as a child of
// the action's operation, the caller's trace and span as the foreign operation).
TEST_F(IntakeApiTest, TheSignalsProcessingsStayInItsActionTrace) {
  pb::SubmitSignalResponse resp;
  auto ctx = ContextFor(kApp);
  ctx->AddMetadata("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  CAK_ASSERT_GRPC_OK(t_->stub().SubmitSignal(ctx.get(), ValidSubmit(), &resp));
  const auto action = common::ParseTraceparent(resp.signal().action_traceparent());
  ASSERT_TRUE(action.has_value()) << resp.signal().action_traceparent();
  EXPECT_EQ(action->TraceIdHex(), "4bf92f3577b34da6a3ce929d0e0e4736");

  // An officer's call from a trace of its own.
  pb::StartSignalAssessmentRequest start;
  start.set_name(resp.signal().name());
  pb::Signal out;
  auto other = ContextFor(kOfficer);
  other->AddMetadata("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
  CAK_ASSERT_GRPC_OK(t_->stub().StartSignalAssessment(other.get(), start, &out));
  EXPECT_EQ(out.action_traceparent(), resp.signal().action_traceparent());

  plog::ListProcessingLogEntriesRequest by_trace;
  by_trace.set_trace_id("4bf92f3577b34da6a3ce929d0e0e4736");
  plog::ListProcessingLogEntriesResponse entries;
  CAK_ASSERT_GRPC_OK(t_->log_stub().ListProcessingLogEntries(ContextFor(kPrivacy).get(), by_trace, &entries));
  // Two operations, each with its two example customers: the submit's as subject rows, the
  // assessment's as child entries.
  ASSERT_EQ(entries.entries_size(), 4);
  const auto& submit = entries.entries(0);
  EXPECT_EQ(submit.span_id(), action->SpanIdHex());  // the action's operation is the submit
  EXPECT_EQ(submit.subject_row_count(), 2);
  const auto& assess = entries.entries(1);
  EXPECT_EQ(assess.name(), "intake.StartSignalAssessment");
  EXPECT_EQ(assess.parent_span_id(), action->SpanIdHex());
  EXPECT_EQ(assess.foreign_operation_trace_id(), "0af7651916cd43dd8448eb211c80319c");
  EXPECT_EQ(assess.foreign_operation_span_id(), "b7ad6b7169203331");
  // Nothing of it in the caller's own trace.
  by_trace.set_trace_id("0af7651916cd43dd8448eb211c80319c");
  CAK_ASSERT_GRPC_OK(t_->log_stub().ListProcessingLogEntries(ContextFor(kPrivacy).get(), by_trace, &entries));
  EXPECT_EQ(entries.entries_size(), 0);
}

TEST_F(IntakeApiTest, PurgeKeepsSignalsUntilTheRetentionHasPassed) {
  pb::Signal s = Submit();
  pb::Signal out;
  pb::DeclineSignalRequest decline;
  decline.set_name(s.name());
  decline.set_reason(pb::DECLINE_REASON_OUT_OF_SCOPE);
  decline.set_feedback("Valt niet onder de Wlz of Wmo.");
  CAK_ASSERT_GRPC_OK(t_->stub().DeclineSignal(ContextFor(kOfficer).get(), decline, &out));
  pb::PurgeSignalsRequest purge;
  pb::PurgeSignalsResponse resp;
  CAK_ASSERT_GRPC_OK(t_->stub().PurgeSignals(ContextFor(kAdmin).get(), purge, &resp));
  EXPECT_EQ(resp.purged_signal_count(), 0);

  t_->clock().Advance(absl::Hours(24 * 731));
  purge.set_dry_run(true);
  CAK_ASSERT_GRPC_OK(t_->stub().PurgeSignals(ContextFor(kAdmin).get(), purge, &resp));
  EXPECT_EQ(resp.purged_signal_count(), 1);
  EXPECT_EQ(t_->Count("signals"), 1);
  purge.set_dry_run(false);
  CAK_ASSERT_GRPC_OK(t_->stub().PurgeSignals(ContextFor(kAdmin).get(), purge, &resp));
  EXPECT_EQ(resp.purged_signal_count(), 1);
  EXPECT_EQ(resp.purged_signals(0), s.name());
  EXPECT_EQ(t_->Count("signals"), 0);
  EXPECT_EQ(t_->Count("signal_events"), 0);
  auto purge_entries = t_->schema().Query("SELECT count(*) FROM " + t_->schema().name() +
                                          ".processing_log WHERE name = 'intake.PurgeSignals'");
  EXPECT_EQ(*purge_entries, "3");  // the purge and one entry per removed customer
}

TEST(IntakeHealthTest, FollowsTheDatabase) {
  auto t = IntakeTestServer::Start({.via_proxy = true});
  ASSERT_TRUE(t.ok()) << t.status();
  auto& server = **t;
  using grpc::health::v1::HealthCheckResponse;
  ASSERT_EQ(server.Health(), HealthCheckResponse::SERVING);
  EXPECT_EQ(server.Health("cak.voorlichting.intake.v1.IntakeService"), HealthCheckResponse::SERVING);

  server.proxy()->Cut();
  auto wait_for = [&](HealthCheckResponse::ServingStatus want) {
    for (int i = 0; i < 400; ++i) {  // up to 20 s on a loaded machine
      if (server.Health() == want) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  };
  EXPECT_TRUE(wait_for(HealthCheckResponse::NOT_SERVING));
  EXPECT_EQ(server.Health("liveness"), HealthCheckResponse::SERVING);
  pb::SubmitSignalResponse resp;
  EXPECT_THAT(server.stub().SubmitSignal(ContextFor(kApp).get(), ValidSubmit(), &resp),
              GrpcStatusIs(StatusCode::UNAVAILABLE, "DATABASE_UNAVAILABLE", ""));

  ASSERT_TRUE(server.proxy()->Restore().ok());
  EXPECT_TRUE(wait_for(HealthCheckResponse::SERVING));
  EXPECT_TRUE(server.stub().SubmitSignal(ContextFor(kApp).get(), ValidSubmit(), &resp).ok());
}

// A plain HTTP GET of /metrics on the separate metrics port.
std::string HttpGet(int port, const std::string& path) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    return "";
  }
  const std::string req = "GET " + path + " HTTP/1.0\r\nHost: localhost\r\n\r\n";
  (void)!write(fd, req.data(), req.size());
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0) out.append(buf, n);
  close(fd);
  return out;
}

TEST_F(IntakeApiTest, MetricsArePublishedOnTheirOwnPort) {
  Submit();
  pb::Signal out;
  pb::GetSignalRequest get;
  get.set_name("signals/42");
  (void)t_->stub().GetSignal(ContextFor(kOfficer).get(), get, &out);
  const std::string body = HttpGet(t_->metrics().port(), "/metrics");
  EXPECT_NE(body.find("grpc_server_handled_total{grpc_code=\"OK\",grpc_method=\"SubmitSignal\""), std::string::npos)
      << body.substr(0, 2000);
  EXPECT_NE(body.find("grpc_code=\"INVALID_ARGUMENT\",grpc_method=\"GetSignal\""), std::string::npos);
  EXPECT_NE(body.find("grpc_server_handling_seconds_bucket"), std::string::npos);
  EXPECT_NE(body.find("db_pool_connections{state=\"in_use\"}"), std::string::npos);
  EXPECT_NE(body.find("processing_log_entries_written_total 3"), std::string::npos);
  // The call's kind (as go-grpc-prometheus labels it), the build, and the process's own figures.
  EXPECT_NE(body.find("grpc_method=\"SubmitSignal\",grpc_service=\"cak.voorlichting.intake.v1.IntakeService\","
                      "grpc_type=\"unary\"}"),
            std::string::npos);
  EXPECT_NE(body.find(absl::StrCat("voorlichting_build_info{revision=\"", common::SuiteRevision(), "\",version=\"",
                                   common::SuiteVersion(), "\"} 1")),
            std::string::npos);
  auto value = [&](const std::string& name) {
    const size_t at = body.find("\n" + name + " ");
    double v = -1;
    if (at == std::string::npos) return v;
    const size_t from = at + name.size() + 2;
    (void)absl::SimpleAtod(body.substr(from, body.find('\n', from) - from), &v);
    return v;
  };
  EXPECT_GT(value("process_resident_memory_bytes"), 1e6);
  EXPECT_GT(value("process_open_fds"), 3);
  EXPECT_GE(value("process_max_fds"), value("process_open_fds"));
  EXPECT_GT(value("process_cpu_seconds_total"), 0);
  const double started = value("process_start_time_seconds");
  EXPECT_LE(started, absl::ToDoubleSeconds(absl::Now() - absl::UnixEpoch()) + 1);
  EXPECT_GT(started, absl::ToDoubleSeconds(absl::Now() - absl::UnixEpoch()) - 3600);
}

}  // namespace
}  // namespace cak::intake

namespace cak::intake {
namespace {

// Between services: mutual TLS, the client certificate's identity mapped to roles.
TEST(IntakeTlsTest, ServicesAuthenticateByClientCertificate) {
  auto started = IntakeTestServer::Start({.tls = true});
  ASSERT_TRUE(started.ok()) << started.status();
  auto& t = **started;
  // An application with a bearer token over TLS (no client certificate) submits the signal.
  pb::SubmitSignalResponse submitted;
  CAK_ASSERT_GRPC_OK(t.stub().SubmitSignal(ContextFor(kApp).get(), ValidSubmit(), &submitted));
  pb::StartSignalAssessmentRequest start;
  start.set_name(submitted.signal().name());
  pb::Signal out;
  CAK_ASSERT_GRPC_OK(t.stub().StartSignalAssessment(ContextFor(kAnalyst).get(), start, &out));

  pb::MarkSignalActionPlannedRequest plan;
  plan.set_name(submitted.signal().name());
  plan.set_campaign("campaigns/0f8fad5b-d9cb-469f-a165-70867728950e");
  auto anonymous = [] { return common::testing::AnonymousContext(); };

  auto stranger = pb::IntakeService::NewStub(t.TlsChannel("stranger"));
  EXPECT_THAT(stranger->MarkSignalActionPlanned(anonymous().get(), plan, &out),
              GrpcStatusIs(StatusCode::UNAUTHENTICATED, "UNAUTHENTICATED", ""));
  auto no_certificate = pb::IntakeService::NewStub(t.TlsChannel(""));
  EXPECT_THAT(no_certificate->MarkSignalActionPlanned(anonymous().get(), plan, &out),
              GrpcStatusIs(StatusCode::UNAUTHENTICATED, "UNAUTHENTICATED", ""));

  auto campaign = pb::IntakeService::NewStub(t.TlsChannel("campaign-svc"));
  pb::DeclineSignalRequest decline;
  decline.set_name(submitted.signal().name());
  decline.set_reason(pb::DECLINE_REASON_DUPLICATE);
  decline.set_feedback("Dubbel");
  EXPECT_THAT(campaign->DeclineSignal(anonymous().get(), decline, &out),
              GrpcStatusIs(StatusCode::PERMISSION_DENIED, "PERMISSION_DENIED", ""));
  CAK_ASSERT_GRPC_OK(campaign->MarkSignalActionPlanned(anonymous().get(), plan, &out));
  EXPECT_EQ(out.state(), pb::SIGNAL_STATE_ACTION_PLANNED);
  ASSERT_EQ(out.state_changes_size(), 3);
  EXPECT_EQ(out.state_changes(2).actor().id(), "campaign-svc.voorlichting.svc");
  EXPECT_EQ(out.state_changes(2).actor().kind(), pb::ACTOR_KIND_APPLICATION);
}

}  // namespace
}  // namespace cak::intake
