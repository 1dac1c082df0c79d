// Control groups and response measurement over a real gRPC channel: the split at freeze (exact
// count, disjoint, together the group, reproducible by seed, one pair per request_id),
// MeasureResponse on contact reports with known dates and outcomes from a fake dispatch-svc
// (known rates), and every bad-input rule with its status, reason and field, writing nothing.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "analysis-svc/src/clients/dispatch_outcome_source.h"
#include "analysis-svc/test/analysis_test_server.h"
#include "analysis-svc/test/fake_dispatch.h"
#include "common/base/sha256.h"
#include "common/grpc/peer_channel.h"
#include "common/testing/status_matchers.h"

namespace cak::analysis {
namespace {

using common::testing::ContextFor;
using common::testing::GrpcStatusIs;
using common::testing::TestCaller;
namespace pb = testing::pb;
namespace dpb = cak::voorlichting::dispatch::v1;

const TestCaller kAnalyst{"emp-2001", {"analyst"}};
const TestCaller kDesigner{"emp-3001", {"campaign_designer"}};
const TestCaller kApprover{"emp-4001", {"approver"}};
const TestCaller kCampaign{"campaign-svc", {"campaign_service"}, true};
const TestCaller kAdmin{"ops-1", {"administrator"}};
const TestCaller kDispatch{"dispatch-svc", {"dispatch_service"}, true};
const TestCaller kIntakeOfficer{"emp-1001", {"intake_officer"}};

constexpr char kOrder[] = "0b7f2f0e-2a43-4d7e-8c57-2f3a9d1b6e02";

cak::voorlichting::type::v1::Date ProtoDay(int y, int m, int d) {
  cak::voorlichting::type::v1::Date out;
  out.set_year(y);
  out.set_month(m);
  out.set_day(d);
  return out;
}

class ResponseApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dispatch_ = std::make_unique<testing::FakeDispatch>();
    common::PeerOptions peer;
    peer.address = absl::StrCat("127.0.0.1:", dispatch_->port());
    auto channel = common::PeerChannel::Create(peer);
    ASSERT_TRUE(channel.ok()) << channel.status();
    peer_ = *std::move(channel);
    outcomes_ = std::make_unique<clients::DispatchOutcomeSource>(peer_.get(), absl::Seconds(5));
    testing::TestServerOptions options;
    options.outcomes = outcomes_.get();
    auto s = testing::AnalysisTestServer::Start(options);
    ASSERT_TRUE(s.ok()) << s.status();
    server_ = *std::move(s);
    CAK_ASSERT_OK(server_->ImportGenerated());
  }

  // WLZ and WMO customers in one group; returns the set's name and the group's size.
  std::pair<std::string, int64_t> DefineGroup() {
    pb::DefineTargetGroupsRequest define;
    define.set_signal("signals/5b7f2f0e-2a43-4d7e-8c57-2f3a9d1b6e01");
    auto* g = define.add_groups();
    g->set_name("WLZ en WMO");
    auto* regs = g->mutable_criteria()->mutable_predicate()->mutable_regulation_in();
    regs->add_regulations(pb::REGULATION_WLZ);
    regs->add_regulations(pb::REGULATION_WMO);
    pb::TargetGroupSet set;
    EXPECT_TRUE(server_->stub().DefineTargetGroups(ContextFor(kAnalyst).get(), define, &set).ok());
    return {set.name(), set.groups(0).impact().total()};
  }

  grpc::Status Freeze(const std::string& set, double share, uint64_t seed, const std::string& request_id,
                      pb::RecipientList* out) {
    pb::FreezeRecipientListRequest freeze;
    freeze.set_request_id(request_id);
    freeze.set_target_group_set(set);
    freeze.set_group("WLZ en WMO");
    freeze.set_control_share(share);
    freeze.set_control_seed(seed);
    return server_->stub().FreezeRecipientList(ContextFor(kDesigner, absl::Seconds(30)).get(), freeze, out);
  }

  pb::RecipientList Get(const std::string& name) {
    pb::GetRecipientListRequest get;
    get.set_name(name);
    pb::RecipientList out;
    EXPECT_TRUE(server_->stub().GetRecipientList(ContextFor(kAnalyst).get(), get, &out).ok());
    return out;
  }

  // The list's BSNs by position - 1 (positions checked to be 1..n).
  std::vector<std::string> Members(const std::string& list) {
    pb::StreamRecipientsRequest req;
    req.set_name(list);
    req.set_field_set(pb::FIELD_SET_CONTACT_MOMENT);
    auto ctx = ContextFor(kDispatch);
    auto reader = server_->stub().StreamRecipients(ctx.get(), req);
    std::vector<std::string> out;
    pb::StreamRecipientsResponse r;
    while (reader->Read(&r)) {
      for (const auto& m : r.recipients()) {
        EXPECT_EQ(m.position(), static_cast<int64_t>(out.size() + 1));
        out.push_back(m.bsn());
      }
    }
    EXPECT_TRUE(reader->Finish().ok());
    return out;
  }

  static std::string Checksum(const std::vector<std::string>& bsns) {
    common::Sha256Stream s;
    for (const auto& b : bsns) s.Update(b + "\n");
    return s.FinalHex();
  }

  grpc::Status Measure(const TestCaller& caller, const pb::MeasureResponseRequest& req, pb::ResponseMeasurement* out) {
    return server_->stub().MeasureResponse(ContextFor(caller, absl::Seconds(30)).get(), req, out);
  }

  int64_t MeasurementLogEntries() {
    return std::stoll(*server_->schema().Query("SELECT count(*) FROM " + server_->schema().name() +
                                               ".processing_log WHERE name = 'analysis.MeasureResponse'"));
  }

  std::unique_ptr<testing::FakeDispatch> dispatch_;
  std::unique_ptr<common::PeerChannel> peer_;
  std::unique_ptr<clients::DispatchOutcomeSource> outcomes_;
  std::unique_ptr<testing::AnalysisTestServer> server_;
};

TEST_F(ResponseApiTest, ControlGroupIsHeldBackAtFreeze) {
  const auto [set, total] = DefineGroup();
  ASSERT_GT(total, 100);
  pb::RecipientList whole, list, again, other_seed;
  CAK_ASSERT_GRPC_OK(Freeze(set, 0, 0, "whole-1", &whole));
  EXPECT_TRUE(whole.control_list().empty());
  EXPECT_EQ(whole.member_count(), total);
  CAK_ASSERT_GRPC_OK(Freeze(set, 0.2, 4242, "split-1", &list));
  ASSERT_FALSE(list.control_list().empty());
  EXPECT_TRUE(list.control_of().empty());
  const pb::RecipientList control = Get(list.control_list());
  EXPECT_EQ(control.control_of(), list.name());
  EXPECT_TRUE(control.control_list().empty());
  EXPECT_EQ(Get(list.name()).control_list(), list.control_list());  // GetRecipientList names it too

  // Exactly round(share * n) held back; the rest contacted, positions 1..n-k in group order.
  const int64_t k = std::llround(0.2 * static_cast<double>(total));
  EXPECT_EQ(control.member_count(), k);
  EXPECT_EQ(list.member_count(), total - k);
  const std::vector<std::string> all = Members(whole.name());
  const std::vector<std::string> contacted = Members(list.name());
  const std::vector<std::string> held = Members(control.name());  // a control list streams too
  ASSERT_EQ(static_cast<int64_t>(contacted.size()), list.member_count());
  ASSERT_EQ(static_cast<int64_t>(held.size()), control.member_count());
  std::set<std::string> a(contacted.begin(), contacted.end()), b(held.begin(), held.end());
  for (const auto& m : held) EXPECT_EQ(a.count(m), 0u) << "in both lists";
  std::set<std::string> both = a;
  both.insert(held.begin(), held.end());
  EXPECT_EQ(both, std::set<std::string>(all.begin(), all.end()));
  EXPECT_TRUE(std::is_sorted(contacted.begin(), contacted.end()));  // the group's order
  // Each list's checksum covers its own members.
  EXPECT_EQ(list.checksum(), Checksum(contacted));
  EXPECT_EQ(control.checksum(), Checksum(held));

  // A repeat returns the same pair; the same seed holds back the same members, another seed not.
  pb::RecipientList repeat;
  CAK_ASSERT_GRPC_OK(Freeze(set, 0.2, 4242, "split-1", &repeat));
  EXPECT_TRUE(repeat.replayed());
  EXPECT_EQ(repeat.name(), list.name());
  EXPECT_EQ(repeat.control_list(), list.control_list());
  CAK_ASSERT_GRPC_OK(Freeze(set, 0.2, 4242, "split-2", &again));
  EXPECT_NE(again.name(), list.name());
  const std::vector<std::string> held_again = Members(again.control_list());
  EXPECT_EQ(held_again, held);
  CAK_ASSERT_GRPC_OK(Freeze(set, 0.2, 4243, "split-3", &other_seed));
  EXPECT_NE(Members(other_seed.control_list()), held);
  EXPECT_EQ(server_->Count("recipient_lists"), 7);  // whole, and three pairs

  // A share outside [0, 0.5] is refused and writes nothing.
  for (double bad : {0.51, -0.1, 1.0, std::nan("")}) {
    pb::RecipientList refused;
    EXPECT_THAT(Freeze(set, bad, 1, "", &refused),
                GrpcStatusIs(grpc::StatusCode::INVALID_ARGUMENT, "INVALID_FIELD_VALUE", "control_share"))
        << bad;
  }
  EXPECT_EQ(server_->Count("recipient_lists"), 7);
}

TEST_F(ResponseApiTest, MeasuresKnownContactReportsAndOutcomes) {
  const auto [set, total] = DefineGroup();
  pb::RecipientList list;
  CAK_ASSERT_GRPC_OK(Freeze(set, 0.25, 7, "measure-1", &list));
  const std::vector<std::string> contacted = Members(list.name());
  const std::vector<std::string> held = Members(list.control_list());
  const int64_t n = static_cast<int64_t>(contacted.size()), k = static_cast<int64_t>(held.size());
  ASSERT_GE(n, 4);
  ASSERT_GE(k, 2);

  // Replace the contact reports with known ones (a new snapshot): send date 2026-09-01.
  auto ctx = ContextFor(kAdmin, absl::Seconds(60));
  pb::ImportReport report;
  auto writer = server_->stub().ImportContactReports(ctx.get(), &report);
  pb::ImportContactReportsRequest rows;
  auto add = [&](const std::string& bsn, pb::ContactChannel channel, int month, int day) {
    pb::ContactReport* r = rows.add_rows();
    r->set_customer_bsn(bsn);
    r->set_channel(channel);
    r->set_topic("vraag over de brief");
    r->mutable_contact_time()->set_seconds(
        absl::ToUnixSeconds(absl::FromCivil(absl::CivilSecond(2026, month, day, 10, 0, 0), absl::UTCTimeZone())));
    r->set_reached(true);
  };
  add(contacted[0], pb::CONTACT_CHANNEL_PHONE, 9, 1);    // week 1 (the send date counts)
  add(contacted[0], pb::CONTACT_CHANNEL_EMAIL, 9, 2);    // a second contact
  add(contacted[1], pb::CONTACT_CHANNEL_EMAIL, 9, 9);    // week 2
  add(contacted[2], pb::CONTACT_CHANNEL_PHONE, 8, 31);   // before the send date
  add(contacted[3], pb::CONTACT_CHANNEL_PHONE, 10, 16);  // after the end date
  add(held[0], pb::CONTACT_CHANNEL_WEBSITE, 9, 3);       // a control member responds
  ASSERT_TRUE(writer->Write(rows));
  writer->WritesDone();
  CAK_ASSERT_GRPC_OK(writer->Finish());
  ASSERT_EQ(report.rows_loaded(), 6);

  // Outcomes: position 1 printed, 2 returned, 3 returned then printed (newest counts).
  dispatch_->AddOutcome(kOrder, list.name().substr(15), 1, dpb::OUTCOME_LETTER_PRINTED, 1788000000);
  dispatch_->AddOutcome(kOrder, list.name().substr(15), 2, dpb::OUTCOME_LETTER_RETURNED_UNDELIVERABLE, 1788000000);
  dispatch_->AddOutcome(kOrder, list.name().substr(15), 3, dpb::OUTCOME_LETTER_RETURNED_UNDELIVERABLE, 1788000000);
  dispatch_->AddOutcome(kOrder, list.name().substr(15), 3, dpb::OUTCOME_LETTER_PRINTED, 1788100000);

  pb::MeasureResponseRequest req;
  req.set_campaign("campaigns/5b7f2f0e-2a43-4d7e-8c57-2f3a9d1b6e09");
  auto* g = req.add_groups();
  g->set_group("brief WLZ/WMO");
  g->set_recipient_list(list.name());  // the control list is found from the list
  g->set_channel(pb::ACTION_CHANNEL_LETTER);
  g->set_dispatch_order(absl::StrCat("dispatchOrders/", kOrder));
  *g->mutable_send_date() = ProtoDay(2026, 9, 1);
  *req.mutable_end_date() = ProtoDay(2026, 10, 15);
  req.set_sample_size(2);
  req.set_sample_seed(11);
  pb::ResponseMeasurement m;
  CAK_ASSERT_GRPC_OK(Measure(kCampaign, req, &m));
  EXPECT_GE(dispatch_->pages_served(), 2);  // 4 outcomes, 3 a page

  ASSERT_EQ(m.groups_size(), 1);
  const pb::GroupResponse& r = m.groups(0);
  EXPECT_EQ(r.group(), "brief WLZ/WMO");
  EXPECT_EQ(r.channel(), pb::ACTION_CHANNEL_LETTER);
  EXPECT_EQ(r.contacted(), n);
  EXPECT_EQ(r.not_found(), 0);
  EXPECT_EQ(r.response().numerator(), 2);
  EXPECT_EQ(r.response().denominator(), n);
  EXPECT_DOUBLE_EQ(r.response().rate(), 2.0 / n);
  EXPECT_EQ(r.control_response().numerator(), 1);
  EXPECT_EQ(r.control_response().denominator(), k);
  ASSERT_TRUE(r.has_difference());
  const double p1 = 2.0 / n, p0 = 1.0 / k;
  const double se = std::sqrt(p1 * (1 - p1) / n + p0 * (1 - p0) / k);
  EXPECT_NEAR(r.difference(), p1 - p0, 1e-12);
  EXPECT_NEAR(r.difference_ci_low(), p1 - p0 - 1.959963984540054 * se, 1e-12);
  EXPECT_NEAR(r.difference_ci_high(), p1 - p0 + 1.959963984540054 * se, 1e-12);
  std::map<int, int64_t> channels;
  for (const auto& c : r.by_channel()) channels[c.channel()] = c.responders();
  EXPECT_EQ(channels[pb::CONTACT_CHANNEL_PHONE], 1);
  EXPECT_EQ(channels[pb::CONTACT_CHANNEL_EMAIL], 1);
  EXPECT_EQ(channels[pb::CONTACT_CHANNEL_WEBSITE], 0);
  ASSERT_EQ(r.by_week_size(), 7);  // 2026-09-01 .. 2026-10-15: 45 days
  EXPECT_EQ(r.by_week(0).new_responders(), 1);
  EXPECT_EQ(r.by_week(1).new_responders(), 1);
  EXPECT_EQ(r.by_week(1).week_start().day(), 8);
  EXPECT_DOUBLE_EQ(r.by_week(6).cumulative_rate(), 2.0 / n);
  EXPECT_DOUBLE_EQ(r.by_week(0).control_cumulative_rate(), 1.0 / k);
  std::map<std::string, int64_t> outcomes;
  for (const auto& o : r.outcomes()) outcomes[o.outcome()] = o.count();
  EXPECT_EQ(outcomes, (std::map<std::string, int64_t>{
                          {"LETTER_PRINTED", 2}, {"LETTER_RETURNED_UNDELIVERABLE", 1}, {"NO_OUTCOME", n - 3}}));
  EXPECT_EQ(r.response_when_delivered().numerator(), 1);  // position 1 responded, 3 did not
  EXPECT_EQ(r.response_when_delivered().denominator(), 2);
  EXPECT_EQ(m.total_response().numerator(), 2);
  EXPECT_EQ(m.total_control_response().numerator(), 1);
  EXPECT_EQ(m.end_date().day(), 15);

  // The sample: both responders, two non-responders; pseudonymised as CreateSample's.
  ASSERT_EQ(m.responders_size(), 2);
  ASSERT_EQ(m.non_responders_size(), 2);
  for (const auto& s : m.responders()) {
    EXPECT_TRUE(s.responded());
    EXPECT_EQ(s.pseudonym().size(), 16u);
    EXPECT_EQ(s.group(), "brief WLZ/WMO");
    EXPECT_EQ(s.first_response_date().month(), 9);
    EXPECT_NE(s.first_response_channel(), pb::CONTACT_CHANNEL_UNSPECIFIED);
    EXPECT_FALSE(s.municipality_code().empty());
  }
  for (const auto& s : m.non_responders()) {
    EXPECT_FALSE(s.responded());
    EXPECT_EQ(s.contacts(), 0);
  }
  // The pseudonym of a member is the one CreateSample shows for it.
  pb::CreateSampleRequest sample;
  sample.mutable_criteria()->mutable_predicate()->mutable_customer_in()->add_bsns(contacted[0]);
  sample.set_purpose("Respons van een geadresseerde nagaan");
  sample.set_size(1);
  pb::Sample shown;
  CAK_ASSERT_GRPC_OK(server_->stub().CreateSample(ContextFor(kAnalyst).get(), sample, &shown));
  std::set<std::string> responder_pseudonyms;
  for (const auto& s : m.responders()) responder_pseudonyms.insert(s.pseudonym());
  EXPECT_EQ(responder_pseudonyms.count(shown.members(0).pseudonym()), 1u);
  // The same request draws the same sample.
  pb::ResponseMeasurement again;
  CAK_ASSERT_GRPC_OK(Measure(kAnalyst, req, &again));
  EXPECT_EQ(again.non_responders(0).pseudonym(), m.non_responders(0).pseudonym());
  EXPECT_EQ(again.non_responders(1).pseudonym(), m.non_responders(1).pseudonym());

  // Logged: one entry naming the lists, every member of both lists as a subject (the privacy
  // officer's decision), the sampled ones among them: the freeze's subject rows, by reference.
  const std::string s = server_->schema().name();
  EXPECT_EQ(*server_->schema().Query("SELECT count(*) FROM " + s + ".processing_log_all_subjects ps JOIN " + s +
                                     ".processing_log p ON p.id = ps.entry_id WHERE p.name = 'analysis.MeasureResponse'"
                                     " AND p.attributes->>'recipient_lists' = '" +
                                     list.name().substr(15) + "'"),
            absl::StrCat(2 * (n + k)));  // 2 measurements x every member of both lists
  EXPECT_EQ(
      *server_->schema().Query("SELECT count(*) FROM " + s + ".processing_log_subjects ps JOIN " + s +
                               ".processing_log p ON p.id = ps.entry_id WHERE p.name = 'analysis.MeasureResponse'"),
      "0");  // no copies
  EXPECT_EQ(*server_->schema().Query("SELECT count(*) FROM " + s + ".processing_log_subject_refs r JOIN " + s +
                                     ".processing_log f ON f.id = r.source_entry_id"
                                     " WHERE f.name = 'analysis.FreezeRecipientList'"),
            "2");
  // The privacy officer finds a measured member's measurements under that member.
  std::vector<common::db::ProcessingLogEntry> of_member;
  CAK_ASSERT_OK(common::db::WithSession(server_->pool(), [&](soci::session& sql) {
    of_member = server_->server().log_store().ListBySubject(sql, *common::Bsn::Parse(contacted[0]), 0, 100);
    return absl::OkStatus();
  }));
  EXPECT_EQ(
      std::count_if(of_member.begin(), of_member.end(),
                    [](const auto& e) { return e.name == "analysis.MeasureResponse" && !e.data_subject_id.empty(); }),
      2);
  EXPECT_EQ(*server_->schema().Query("SELECT count(*) FROM " + s +
                                     ".processing_log WHERE name = 'analysis.MeasureResponse' AND data_subject_id IS "
                                     "NOT NULL"),
            "0");
  EXPECT_EQ(*server_->schema().Query("SELECT count(*) FROM " + s +
                                     ".processing_log WHERE name = 'analysis.MeasureResponse' AND data_subject_id IS "
                                     "NULL AND attributes->>'control_lists' = '" +
                                     list.control_list().substr(15) + "'"),
            "2");

  // Without a dispatch order and with an explicit control list: no outcomes; other roles may ask.
  g->clear_dispatch_order();
  g->set_control_list(list.control_list());
  for (const TestCaller& caller : {kAnalyst, kDesigner, kApprover}) {
    CAK_ASSERT_GRPC_OK(Measure(caller, req, &m));
    EXPECT_EQ(m.groups(0).outcomes_size(), 0);
    EXPECT_EQ(m.groups(0).response_when_delivered().denominator(), 0);
    EXPECT_EQ(m.groups(0).control_response().numerator(), 1);
  }

  // A member the retention purge removed from the list counts as not found.
  ASSERT_TRUE(server_->schema()
                  .Query(absl::StrCat("DELETE FROM ", s, ".recipient_list_members WHERE list_id = '",
                                      list.name().substr(15), "' AND position = ", n, " RETURNING 1"))
                  .ok());
  CAK_ASSERT_GRPC_OK(Measure(kAnalyst, req, &m));
  EXPECT_EQ(m.groups(0).contacted(), n);
  EXPECT_EQ(m.groups(0).not_found(), 1);
  EXPECT_EQ(m.groups(0).response().numerator(), 2);
  EXPECT_EQ(m.groups(0).response().denominator(), n - 1);

  // dispatch-svc down: UNAVAILABLE.
  g->set_dispatch_order(absl::StrCat("dispatchOrders/", kOrder));
  dispatch_->Stop();
  EXPECT_THAT(Measure(kAnalyst, req, &m), GrpcStatusIs(grpc::StatusCode::UNAVAILABLE, "DISPATCH_UNAVAILABLE", ""));
}

// Issue 15 item 3: only contacts on the campaign's topics (and channels) count; every
// measurement is kept (parameters, snapshot versions, results), listable per campaign newest
// first, and the same parameters on the same snapshot give the same result.
TEST_F(ResponseApiTest, ResponseByTopicIsKeptListedAndReproduces) {
  const auto [set, total] = DefineGroup();
  pb::RecipientList list;
  CAK_ASSERT_GRPC_OK(Freeze(set, 0.25, 7, "topic-1", &list));
  const std::vector<std::string> contacted = Members(list.name());
  const std::vector<std::string> held = Members(list.control_list());
  ASSERT_GE(contacted.size(), 3u);
  ASSERT_GE(held.size(), 2u);
  constexpr char kAboutTheLetter[] = "Brief niet begrepen";
  constexpr char kUnrelated[] = "Adreswijziging";
  {
    auto ctx = ContextFor(kAdmin, absl::Seconds(60));
    pb::ImportReport report;
    auto writer = server_->stub().ImportContactReports(ctx.get(), &report);
    pb::ImportContactReportsRequest rows;
    auto add = [&](const std::string& bsn, pb::ContactChannel channel, const char* topic, int day) {
      pb::ContactReport* r = rows.add_rows();
      r->set_customer_bsn(bsn);
      r->set_channel(channel);
      r->set_topic(topic);
      r->mutable_contact_time()->set_seconds(
          absl::ToUnixSeconds(absl::FromCivil(absl::CivilSecond(2026, 9, day, 10, 0, 0), absl::UTCTimeZone())));
      r->set_reached(true);
    };
    add(contacted[0], pb::CONTACT_CHANNEL_PHONE, kAboutTheLetter, 2);
    add(contacted[1], pb::CONTACT_CHANNEL_EMAIL, kUnrelated, 3);
    add(contacted[2], pb::CONTACT_CHANNEL_WEBSITE, kAboutTheLetter, 4);
    add(contacted[2], pb::CONTACT_CHANNEL_PHONE, kUnrelated, 2);  // earlier, but not a response
    add(held[0], pb::CONTACT_CHANNEL_PHONE, kAboutTheLetter, 3);
    add(held[1], pb::CONTACT_CHANNEL_PHONE, kUnrelated, 3);
    ASSERT_TRUE(writer->Write(rows));
    writer->WritesDone();
    CAK_ASSERT_GRPC_OK(writer->Finish());
  }
  const std::string campaign = "campaigns/5b7f2f0e-2a43-4d7e-8c57-2f3a9d1b6e09";
  pb::MeasureResponseRequest req;
  req.set_campaign(campaign);
  auto* g = req.add_groups();
  g->set_group("brief");
  g->set_recipient_list(list.name());
  g->set_channel(pb::ACTION_CHANNEL_LETTER);
  *g->mutable_send_date() = ProtoDay(2026, 9, 1);
  *req.mutable_end_date() = ProtoDay(2026, 10, 1);
  req.set_sample_size(2);
  req.set_sample_seed(5);

  pb::ResponseMeasurement any_topic, by_topic, by_topic_and_channel;
  CAK_ASSERT_GRPC_OK(Measure(kAnalyst, req, &any_topic));
  EXPECT_EQ(any_topic.groups(0).response().numerator(), 3);
  EXPECT_EQ(any_topic.groups(0).control_response().numerator(), 2);
  server_->clock().Advance(absl::Seconds(1));
  req.add_response_topics(kAboutTheLetter);
  CAK_ASSERT_GRPC_OK(Measure(kCampaign, req, &by_topic));
  EXPECT_EQ(by_topic.groups(0).response().numerator(), 2);
  EXPECT_EQ(by_topic.groups(0).control_response().numerator(), 1);
  std::map<int, int64_t> first_channel;
  for (const auto& c : by_topic.groups(0).by_channel()) first_channel[c.channel()] = c.responders();
  EXPECT_EQ(first_channel[pb::CONTACT_CHANNEL_WEBSITE], 1);  // the unrelated earlier call does not count
  EXPECT_EQ(first_channel[pb::CONTACT_CHANNEL_PHONE], 1);
  for (const auto& r : by_topic.responders()) EXPECT_EQ(r.contacts(), 1);
  server_->clock().Advance(absl::Seconds(1));
  req.add_response_channels(pb::CONTACT_CHANNEL_PHONE);
  CAK_ASSERT_GRPC_OK(Measure(kDesigner, req, &by_topic_and_channel));
  EXPECT_EQ(by_topic_and_channel.groups(0).response().numerator(), 1);
  EXPECT_EQ(by_topic_and_channel.groups(0).control_response().numerator(), 1);

  // By topic: without response_topics every topic of the counted reports, by responders, then
  // topic; contacted[2] counts under both (3 responders, 4 under the topics).
  const int64_t found = any_topic.groups(0).response().denominator();
  const int64_t control_found = any_topic.groups(0).control_response().denominator();
  ASSERT_EQ(any_topic.groups(0).by_topic_size(), 2);
  for (const pb::TopicResponse& t : any_topic.groups(0).by_topic()) {
    EXPECT_EQ(t.responders(), 2) << t.topic();
    EXPECT_DOUBLE_EQ(t.rate(), 2.0 / static_cast<double>(found));
    EXPECT_EQ(t.control_responders(), 1) << t.topic();
    EXPECT_DOUBLE_EQ(t.control_rate(), 1.0 / static_cast<double>(control_found));
  }
  EXPECT_EQ(any_topic.groups(0).by_topic(0).topic(), kUnrelated);  // a tie: by topic
  EXPECT_EQ(any_topic.groups(0).by_topic(1).topic(), kAboutTheLetter);
  // With response_topics: just those.
  ASSERT_EQ(by_topic.groups(0).by_topic_size(), 1);
  EXPECT_EQ(by_topic.groups(0).by_topic(0).topic(), kAboutTheLetter);
  EXPECT_EQ(by_topic.groups(0).by_topic(0).responders(), 2);
  EXPECT_EQ(by_topic.groups(0).by_topic(0).control_responders(), 1);
  ASSERT_EQ(by_topic_and_channel.groups(0).by_topic_size(), 1);
  EXPECT_EQ(by_topic_and_channel.groups(0).by_topic(0).responders(), 1);  // the phone call only

  // Kept: parameters, snapshot versions and results, the same through Get (without the sample).
  ASSERT_TRUE(absl::StartsWith(by_topic.name(), "responseMeasurements/"));
  EXPECT_EQ(by_topic.campaign(), campaign);
  EXPECT_EQ(by_topic.measured_by(), "campaign-svc");
  EXPECT_GT(by_topic.contact_reports_version(), 0);
  ASSERT_EQ(by_topic.response_topics_size(), 1);
  EXPECT_EQ(by_topic.response_topics(0), kAboutTheLetter);
  EXPECT_EQ(by_topic.sample_size(), 2);
  EXPECT_EQ(by_topic.groups(0).recipient_list(), list.name());
  EXPECT_EQ(by_topic.groups(0).control_list(), list.control_list());
  pb::GetResponseMeasurementRequest get;
  get.set_name(by_topic.name());
  pb::ResponseMeasurement kept;
  CAK_ASSERT_GRPC_OK(server_->stub().GetResponseMeasurement(ContextFor(kApprover).get(), get, &kept));
  pb::ResponseMeasurement expected = by_topic;
  expected.clear_responders();
  expected.clear_non_responders();
  EXPECT_EQ(kept.SerializeAsString(), expected.SerializeAsString()) << kept.DebugString();
  // The kept by_topic, also of a measurement over every topic, equals the answer's.
  get.set_name(any_topic.name());
  CAK_ASSERT_GRPC_OK(server_->stub().GetResponseMeasurement(ContextFor(kAnalyst).get(), get, &kept));
  ASSERT_EQ(kept.groups_size(), 1);
  ASSERT_EQ(kept.groups(0).by_topic_size(), 2);
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(kept.groups(0).by_topic(i).SerializeAsString(), any_topic.groups(0).by_topic(i).SerializeAsString())
        << kept.groups(0).by_topic(i).DebugString();
  }
  get.set_name(by_topic.name());

  // Reproducible: the same parameters on the same snapshot give the same result.
  server_->clock().Advance(absl::Seconds(1));
  req.clear_response_channels();
  pb::ResponseMeasurement again;
  CAK_ASSERT_GRPC_OK(Measure(kAnalyst, req, &again));
  EXPECT_NE(again.name(), by_topic.name());
  EXPECT_EQ(again.snapshot_version(), by_topic.snapshot_version());
  ASSERT_EQ(again.groups_size(), 1);
  EXPECT_EQ(again.groups(0).SerializeAsString(), by_topic.groups(0).SerializeAsString());
  EXPECT_EQ(again.total_response().SerializeAsString(), by_topic.total_response().SerializeAsString());
  for (int i = 0; i < again.responders_size(); ++i) {
    EXPECT_EQ(again.responders(i).pseudonym(), by_topic.responders(i).pseudonym());
  }

  // Listed per campaign, newest first, page by page.
  pb::ListResponseMeasurementsRequest list_req;
  list_req.set_campaign(campaign);
  list_req.set_page_size(3);
  pb::ListResponseMeasurementsResponse page;
  CAK_ASSERT_GRPC_OK(server_->stub().ListResponseMeasurements(ContextFor(kDesigner).get(), list_req, &page));
  ASSERT_EQ(page.response_measurements_size(), 3);
  EXPECT_EQ(page.response_measurements(0).name(), again.name());
  EXPECT_EQ(page.response_measurements(1).name(), by_topic_and_channel.name());
  EXPECT_EQ(page.response_measurements(2).name(), by_topic.name());
  EXPECT_EQ(page.response_measurements(0).responders_size(), 0);
  ASSERT_FALSE(page.next_page_token().empty());
  list_req.set_page_token(page.next_page_token());
  CAK_ASSERT_GRPC_OK(server_->stub().ListResponseMeasurements(ContextFor(kDesigner).get(), list_req, &page));
  ASSERT_EQ(page.response_measurements_size(), 1);
  EXPECT_EQ(page.response_measurements(0).name(), any_topic.name());
  EXPECT_TRUE(page.next_page_token().empty());
  list_req.clear_page_token();
  list_req.set_campaign("campaigns/5b7f2f0e-2a43-4d7e-8c57-2f3a9d1b6e0a");
  CAK_ASSERT_GRPC_OK(server_->stub().ListResponseMeasurements(ContextFor(kAnalyst).get(), list_req, &page));
  EXPECT_EQ(page.response_measurements_size(), 0);

  // Unknown ids, bad names, a token of another campaign, roles.
  get.set_name("responseMeasurements/5b7f2f0e-2a43-4d7e-8c57-2f3a9d1b6e01");
  EXPECT_THAT(server_->stub().GetResponseMeasurement(ContextFor(kAnalyst).get(), get, &kept),
              GrpcStatusIs(grpc::StatusCode::NOT_FOUND, "RESPONSE_MEASUREMENT_NOT_FOUND", ""));
  get.set_name("measurements/1");
  EXPECT_THAT(server_->stub().GetResponseMeasurement(ContextFor(kAnalyst).get(), get, &kept),
              GrpcStatusIs(grpc::StatusCode::INVALID_ARGUMENT, "INVALID_RESOURCE_NAME", "name"));
  get.set_name(by_topic.name());
  for (const TestCaller& caller : {kIntakeOfficer, kDispatch, kAdmin}) {
    EXPECT_THAT(server_->stub().GetResponseMeasurement(ContextFor(caller).get(), get, &kept),
                GrpcStatusIs(grpc::StatusCode::PERMISSION_DENIED, "PERMISSION_DENIED", ""));
    EXPECT_THAT(server_->stub().ListResponseMeasurements(ContextFor(caller).get(), list_req, &page),
                GrpcStatusIs(grpc::StatusCode::PERMISSION_DENIED, "PERMISSION_DENIED", ""));
  }
  pb::ListResponseMeasurementsRequest bad_list;
  EXPECT_THAT(server_->stub().ListResponseMeasurements(ContextFor(kAnalyst).get(), bad_list, &page),
              GrpcStatusIs(grpc::StatusCode::INVALID_ARGUMENT, "REQUIRED_FIELD_MISSING", "campaign"));
  bad_list.set_campaign("campaign-7");
  EXPECT_THAT(server_->stub().ListResponseMeasurements(ContextFor(kAnalyst).get(), bad_list, &page),
              GrpcStatusIs(grpc::StatusCode::INVALID_ARGUMENT, "INVALID_RESOURCE_NAME", "campaign"));
  bad_list.set_campaign("campaigns/5b7f2f0e-2a43-4d7e-8c57-2f3a9d1b6e0a");
  bad_list.set_page_token(page.next_page_token().empty() ? "bogus" : page.next_page_token());
  EXPECT_THAT(server_->stub().ListResponseMeasurements(ContextFor(kAnalyst).get(), bad_list, &page),
              GrpcStatusIs(grpc::StatusCode::INVALID_ARGUMENT, "INVALID_PAGE_TOKEN", "page_token"));
  EXPECT_EQ(server_->Count("response_measurements"), 4);
}

TEST_F(ResponseApiTest, BadMeasurementsNameTheFieldAndLogNothing) {
  const auto [set, total] = DefineGroup();
  pb::RecipientList a, b;
  CAK_ASSERT_GRPC_OK(Freeze(set, 0.1, 1, "bad-a", &a));
  CAK_ASSERT_GRPC_OK(Freeze(set, 0.1, 2, "bad-b", &b));
  auto valid = [&] {
    pb::MeasureResponseRequest req;
    auto* g = req.add_groups();
    g->set_recipient_list(a.name());
    *g->mutable_send_date() = ProtoDay(2026, 9, 1);
    *req.mutable_end_date() = ProtoDay(2026, 10, 1);
    return req;
  };
  pb::ResponseMeasurement out;
  CAK_ASSERT_GRPC_OK(Measure(kAnalyst, valid(), &out));
  const int64_t logged = MeasurementLogEntries();

  struct Case {
    std::function<void(pb::MeasureResponseRequest*)> build;
    grpc::StatusCode code;
    std::string reason, field;
  };
  const std::string unknown = "recipientLists/5b7f2f0e-2a43-4d7e-8c57-2f3a9d1b6e01";
  const std::vector<Case> cases = {
      {[](pb::MeasureResponseRequest* r) { r->clear_groups(); }, grpc::StatusCode::INVALID_ARGUMENT,
       "REQUIRED_FIELD_MISSING", "groups"},
      {[](pb::MeasureResponseRequest* r) {
         for (int i = 0; i < 50; ++i) *r->add_groups() = r->groups(0);
       },
       grpc::StatusCode::INVALID_ARGUMENT, "INVALID_FIELD_VALUE", "groups"},
      {[](pb::MeasureResponseRequest* r) { r->mutable_groups(0)->clear_recipient_list(); },
       grpc::StatusCode::INVALID_ARGUMENT, "REQUIRED_FIELD_MISSING", "groups[0].recipient_list"},
      {[](pb::MeasureResponseRequest* r) { r->mutable_groups(0)->set_recipient_list("lists/1"); },
       grpc::StatusCode::INVALID_ARGUMENT, "INVALID_RESOURCE_NAME", "groups[0].recipient_list"},
      {[&](pb::MeasureResponseRequest* r) {
         *r->add_groups() = r->groups(0);
         r->mutable_groups(1)->set_recipient_list(unknown);
       },
       grpc::StatusCode::NOT_FOUND, "RECIPIENT_LIST_NOT_FOUND", "groups[1].recipient_list"},
      {[&](pb::MeasureResponseRequest* r) { r->mutable_groups(0)->set_control_list(unknown); },
       grpc::StatusCode::NOT_FOUND, "RECIPIENT_LIST_NOT_FOUND", "groups[0].control_list"},
      {[&](pb::MeasureResponseRequest* r) { r->mutable_groups(0)->set_control_list(b.control_list()); },
       grpc::StatusCode::INVALID_ARGUMENT, "CONTROL_LIST_MISMATCH", "groups[0].control_list"},
      {[&](pb::MeasureResponseRequest* r) { r->mutable_groups(0)->set_control_list(b.name()); },
       grpc::StatusCode::INVALID_ARGUMENT, "CONTROL_LIST_MISMATCH", "groups[0].control_list"},
      {[](pb::MeasureResponseRequest* r) { r->mutable_groups(0)->clear_send_date(); },
       grpc::StatusCode::INVALID_ARGUMENT, "REQUIRED_FIELD_MISSING", "groups[0].send_date"},
      {[](pb::MeasureResponseRequest* r) { *r->mutable_groups(0)->mutable_send_date() = ProtoDay(2026, 2, 30); },
       grpc::StatusCode::INVALID_ARGUMENT, "INVALID_DATE", "groups[0].send_date"},
      {[](pb::MeasureResponseRequest* r) { *r->mutable_end_date() = ProtoDay(2026, 8, 31); },
       grpc::StatusCode::INVALID_ARGUMENT, "END_BEFORE_SEND_DATE", "end_date"},
      {[](pb::MeasureResponseRequest* r) {
         r->clear_end_date();  // today (2026-11-02) is before this send date
         *r->mutable_groups(0)->mutable_send_date() = ProtoDay(2026, 12, 1);
       },
       grpc::StatusCode::INVALID_ARGUMENT, "END_BEFORE_SEND_DATE", "groups[0].send_date"},
      {[](pb::MeasureResponseRequest* r) { r->set_sample_size(1001); }, grpc::StatusCode::INVALID_ARGUMENT,
       "INVALID_FIELD_VALUE", "sample_size"},
      {[](pb::MeasureResponseRequest* r) { r->set_sample_size(-1); }, grpc::StatusCode::INVALID_ARGUMENT,
       "INVALID_FIELD_VALUE", "sample_size"},
      {[](pb::MeasureResponseRequest* r) { r->mutable_groups(0)->set_channel(static_cast<pb::ActionChannel>(9)); },
       grpc::StatusCode::INVALID_ARGUMENT, "UNKNOWN_ENUM_VALUE", "groups[0].channel"},
      {[](pb::MeasureResponseRequest* r) { r->mutable_groups(0)->set_dispatch_order("orders/7"); },
       grpc::StatusCode::INVALID_ARGUMENT, "INVALID_RESOURCE_NAME", "groups[0].dispatch_order"},
      {[](pb::MeasureResponseRequest* r) { r->set_campaign("campaign-7"); }, grpc::StatusCode::INVALID_ARGUMENT,
       "INVALID_RESOURCE_NAME", "campaign"},
      {[](pb::MeasureResponseRequest* r) { r->add_response_topics(""); }, grpc::StatusCode::INVALID_ARGUMENT,
       "INVALID_FIELD_VALUE", "response_topics[0]"},
      {[](pb::MeasureResponseRequest* r) {
         r->add_response_topics("Brief niet begrepen");
         r->add_response_topics(std::string(201, 'x'));
       },
       grpc::StatusCode::INVALID_ARGUMENT, "INVALID_FIELD_VALUE", "response_topics[1]"},
      {[](pb::MeasureResponseRequest* r) {
         r->add_response_topics("Brief niet begrepen");
         r->add_response_topics("Brief niet begrepen");
       },
       grpc::StatusCode::INVALID_ARGUMENT, "INVALID_FIELD_VALUE", "response_topics[1]"},
      {[](pb::MeasureResponseRequest* r) {
         for (int i = 0; i < 51; ++i) r->add_response_topics(absl::StrCat("onderwerp ", i));
       },
       grpc::StatusCode::INVALID_ARGUMENT, "INVALID_FIELD_VALUE", "response_topics"},
      {[](pb::MeasureResponseRequest* r) { r->add_response_channels(pb::CONTACT_CHANNEL_UNSPECIFIED); },
       grpc::StatusCode::INVALID_ARGUMENT, "UNKNOWN_ENUM_VALUE", "response_channels[0]"},
      {[](pb::MeasureResponseRequest* r) { r->add_response_channels(static_cast<pb::ContactChannel>(9)); },
       grpc::StatusCode::INVALID_ARGUMENT, "UNKNOWN_ENUM_VALUE", "response_channels[0]"},
      {[](pb::MeasureResponseRequest* r) {
         r->add_response_channels(pb::CONTACT_CHANNEL_PHONE);
         r->add_response_channels(pb::CONTACT_CHANNEL_PHONE);
       },
       grpc::StatusCode::INVALID_ARGUMENT, "INVALID_FIELD_VALUE", "response_channels[1]"},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    pb::MeasureResponseRequest req = valid();
    cases[i].build(&req);
    EXPECT_THAT(Measure(kAnalyst, req, &out), GrpcStatusIs(cases[i].code, cases[i].reason, cases[i].field))
        << "case " << i;
  }
  EXPECT_THAT(Measure(kIntakeOfficer, valid(), &out),
              GrpcStatusIs(grpc::StatusCode::PERMISSION_DENIED, "PERMISSION_DENIED", ""));
  EXPECT_THAT(Measure(kDispatch, valid(), &out),
              GrpcStatusIs(grpc::StatusCode::PERMISSION_DENIED, "PERMISSION_DENIED", ""));
  EXPECT_EQ(MeasurementLogEntries(), logged);             // refused: nothing logged
  EXPECT_EQ(server_->Count("response_measurements"), 1);  // nor kept
}

TEST(ResponseApiNoDispatchTest, DispatchOrderNeedsAConfiguredDispatchService) {
  testing::TestServerOptions options;
  options.customers = 0;  // nothing is read before this check
  auto s = testing::AnalysisTestServer::Start(options);
  ASSERT_TRUE(s.ok()) << s.status();
  pb::MeasureResponseRequest req;
  auto* g = req.add_groups();
  g->set_recipient_list("recipientLists/5b7f2f0e-2a43-4d7e-8c57-2f3a9d1b6e01");
  g->set_dispatch_order(absl::StrCat("dispatchOrders/", kOrder));
  *g->mutable_send_date() = ProtoDay(2026, 9, 1);
  pb::ResponseMeasurement out;
  EXPECT_THAT(
      (*s)->stub().MeasureResponse(ContextFor(kAnalyst).get(), req, &out),
      GrpcStatusIs(grpc::StatusCode::FAILED_PRECONDITION, "DISPATCH_NOT_CONFIGURED", "groups[0].dispatch_order"));
}

}  // namespace
}  // namespace cak::analysis
