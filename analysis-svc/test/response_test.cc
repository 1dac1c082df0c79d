// Response measurement arithmetic without a database: who responded in the window, rates per
// group, channel and week, the control comparison and its Wald interval, executor outcomes
// (newest per position), member lookup in the snapshot, the control split at freeze and the
// sample's determinism.
#include "analysis-svc/src/domain/response.h"

#include <gtest/gtest.h>

#include <cmath>
#include <set>

#include "analysis-svc/src/domain/analysis_service.h"

namespace cak::analysis::domain {
namespace {

const absl::CivilDay kSend(2026, 9, 1);
const absl::CivilDay kEnd(2026, 9, 21);  // three whole weeks

DayNumber Day(absl::CivilDay d) { return ToDayNumber(d); }

// Ten customers (BSN 10, 20, ..., 100) with contact reports around the send date.
ColumnarSnapshot Snapshot() {
  ColumnarBuilder b(3);
  for (int i = 1; i <= 10; ++i) {
    ColumnarBuilder::CustomerRow c;
    c.bsn = i * 10;
    c.regulation = 1;
    c.municipality = 363;
    c.birth_ymd = 19500101;
    b.AddCustomer(c);
  }
  const auto phone = static_cast<uint8_t>(ContactChannel::kPhone);
  const auto letter = static_cast<uint8_t>(ContactChannel::kLetter);
  const auto web = static_cast<uint8_t>(ContactChannel::kWebsite);
  b.AddContact(10, phone, true, Day(kSend - 1));   // before: does not count
  b.AddContact(10, letter, true, Day(kSend));      // week 1, first: LETTER
  b.AddContact(10, phone, true, Day(kSend + 3));   // week 1, second
  b.AddContact(20, web, false, Day(kSend + 7));    // week 2
  b.AddContact(30, phone, true, Day(kEnd));        // week 3, last day counts
  b.AddContact(40, phone, true, Day(kEnd + 1));    // after the end: not counted
  b.AddContact(60, phone, true, Day(kSend + 14));  // week 3 (control member)
  b.AddContact(70, phone, true, Day(kSend + 2));   // week 1 (control member)
  return std::move(b).Build();
}

TEST(ResponseTest, MemberResponseCountsOnlyTheWindow) {
  const ColumnarSnapshot s = Snapshot();
  const MemberResponse r = ResponseOf(s, *s.RowOf(10), Day(kSend), Day(kEnd));
  EXPECT_TRUE(r.responded);
  EXPECT_EQ(r.first_day, Day(kSend));
  EXPECT_EQ(r.first_channel, static_cast<uint8_t>(ContactChannel::kLetter));
  EXPECT_EQ(r.contacts, 2);
  EXPECT_FALSE(ResponseOf(s, *s.RowOf(40), Day(kSend), Day(kEnd)).responded);
  EXPECT_TRUE(ResponseOf(s, *s.RowOf(30), Day(kSend), Day(kEnd)).responded);
  EXPECT_FALSE(ResponseOf(s, *s.RowOf(50), Day(kSend), Day(kEnd)).responded);
}

// Only reports on the named topics (exact text) and channels count; the first response is the
// first report that counts; an empty filter counts every report.
TEST(ResponseTest, AFilterCountsOnlyItsTopicsAndChannels) {
  ColumnarBuilder b(4);
  for (int bsn : {10, 20}) {
    ColumnarBuilder::CustomerRow c;
    c.bsn = bsn;
    c.birth_ymd = 19500101;
    c.municipality = 363;
    b.AddCustomer(c);
  }
  const auto phone = static_cast<uint8_t>(ContactChannel::kPhone);
  const auto web = static_cast<uint8_t>(ContactChannel::kWebsite);
  b.AddContact(10, phone, true, Day(kSend), "Adreswijziging");
  b.AddContact(10, web, true, Day(kSend + 2), "Brief niet begrepen");
  b.AddContact(10, phone, true, Day(kSend + 4), "Brief niet begrepen");
  b.AddContact(20, phone, true, Day(kSend + 1), "Brief niet begrepen, vraag");  // another topic
  const ColumnarSnapshot s = std::move(b).Build();

  const ResolvedFilter by_topic(s, ResponseFilter{{"Brief niet begrepen"}, {}});
  MemberResponse r = ResponseOf(s, *s.RowOf(10), Day(kSend), Day(kEnd), &by_topic);
  EXPECT_TRUE(r.responded);
  EXPECT_EQ(r.first_day, Day(kSend + 2));
  EXPECT_EQ(r.first_channel, web);
  EXPECT_EQ(r.contacts, 2);
  EXPECT_FALSE(ResponseOf(s, *s.RowOf(20), Day(kSend), Day(kEnd), &by_topic).responded);

  const ResolvedFilter by_topic_and_channel(s, ResponseFilter{{"Brief niet begrepen"}, {phone}});
  r = ResponseOf(s, *s.RowOf(10), Day(kSend), Day(kEnd), &by_topic_and_channel);
  EXPECT_EQ(r.first_day, Day(kSend + 4));
  EXPECT_EQ(r.contacts, 1);

  const ResolvedFilter unknown_topic(s, ResponseFilter{{"Niet in het extract"}, {}});
  EXPECT_FALSE(ResponseOf(s, *s.RowOf(10), Day(kSend), Day(kEnd), &unknown_topic).responded);
  const ResolvedFilter everything;
  EXPECT_EQ(ResponseOf(s, *s.RowOf(10), Day(kSend), Day(kEnd), &everything).contacts, 3);

  GroupInput in;
  in.group = "g";
  in.send_day = kSend;
  in.rows = {*s.RowOf(10), *s.RowOf(20)};
  in.filter = &by_topic;
  EXPECT_EQ(MeasureGroup(s, in, kEnd).response.numerator, 1);
  in.filter = nullptr;
  EXPECT_EQ(MeasureGroup(s, in, kEnd).response.numerator, 2);
}

// By topic: a member counts once per topic it reported on in the window, under each of its
// topics; reports without a topic are under none. Without topics asked: every topic of the
// contacted members' counted reports, by responders descending, then topic; with topics asked:
// those, in their order, also with 0.
TEST(ResponseTest, ResponseByTopicCountsEachMemberOncePerTopic) {
  ColumnarBuilder b(4);
  for (int bsn : {10, 20, 30, 40, 50, 60}) {
    ColumnarBuilder::CustomerRow c;
    c.bsn = bsn;
    c.birth_ymd = 19500101;
    c.municipality = 363;
    b.AddCustomer(c);
  }
  const auto phone = static_cast<uint8_t>(ContactChannel::kPhone);
  const auto letter = static_cast<uint8_t>(ContactChannel::kLetter);
  const auto web = static_cast<uint8_t>(ContactChannel::kWebsite);
  b.AddContact(10, letter, true, Day(kSend), "Brief niet begrepen");
  b.AddContact(10, phone, true, Day(kSend + 2), "Adreswijziging");       // 10: two topics
  b.AddContact(10, phone, true, Day(kSend + 3), "Brief niet begrepen");  // once per topic
  b.AddContact(20, web, true, Day(kSend + 1), "Adreswijziging");
  b.AddContact(20, phone, true, Day(kEnd + 1), "Zorgkosten");   // after the end
  b.AddContact(30, phone, true, Day(kSend - 1), "Zorgkosten");  // before the send date
  b.AddContact(30, phone, true, Day(kSend + 5), "Betaling");
  b.AddContact(40, phone, true, Day(kSend + 6));                    // no topic: a responder, under none
  b.AddContact(50, phone, true, Day(kSend + 1), "Adreswijziging");  // control
  b.AddContact(60, phone, true, Day(kSend + 1), "Inkomen");         // control only: not listed
  const ColumnarSnapshot s = std::move(b).Build();

  GroupInput in;
  in.group = "g";
  in.send_day = kSend;
  in.rows = RowsOfMembers(s, {10, 20, 30, 40, 0});  // one member not found
  in.control_rows = RowsOfMembers(s, {50, 60});
  const GroupResponse every = MeasureGroup(s, in, kEnd);
  EXPECT_EQ(every.response.numerator, 4);
  ASSERT_EQ(every.by_topic.size(), 3u);
  EXPECT_EQ(every.by_topic[0].topic, "Adreswijziging");  // 10, 20
  EXPECT_EQ(every.by_topic[0].responders, 2);
  EXPECT_DOUBLE_EQ(every.by_topic[0].rate, 0.5);  // of the 4 found
  EXPECT_EQ(every.by_topic[0].control_responders, 1);
  EXPECT_DOUBLE_EQ(every.by_topic[0].control_rate, 0.5);
  EXPECT_EQ(every.by_topic[1].topic, "Betaling");  // a tie: by topic
  EXPECT_EQ(every.by_topic[1].responders, 1);
  EXPECT_EQ(every.by_topic[1].control_responders, 0);
  EXPECT_EQ(every.by_topic[2].topic, "Brief niet begrepen");
  EXPECT_EQ(every.by_topic[2].responders, 1);  // 10, once for two reports
  EXPECT_DOUBLE_EQ(every.by_topic[2].rate, 0.25);

  const ResolvedFilter asked(s,
                             ResponseFilter{{"Zorgkosten", "Brief niet begrepen", "Adreswijziging", "Onbekend"}, {}});
  in.filter = &asked;
  const GroupResponse named = MeasureGroup(s, in, kEnd);
  EXPECT_EQ(named.response.numerator, 2);  // 10, 20
  ASSERT_EQ(named.by_topic.size(), 4u);    // as asked, also with 0
  EXPECT_EQ(named.by_topic[0].topic, "Zorgkosten");
  EXPECT_EQ(named.by_topic[0].responders, 0);  // outside the window only
  EXPECT_DOUBLE_EQ(named.by_topic[0].rate, 0.0);
  EXPECT_EQ(named.by_topic[1].topic, "Brief niet begrepen");
  EXPECT_EQ(named.by_topic[1].responders, 1);
  EXPECT_EQ(named.by_topic[2].topic, "Adreswijziging");
  EXPECT_EQ(named.by_topic[2].responders, 2);
  EXPECT_EQ(named.by_topic[2].control_responders, 1);
  EXPECT_EQ(named.by_topic[3].topic, "Onbekend");  // in no report at all
  EXPECT_EQ(named.by_topic[3].responders, 0);
  EXPECT_EQ(named.by_topic[3].control_responders, 0);

  // Channels narrow what counts: by letter only 10's first report.
  const ResolvedFilter by_letter(s, ResponseFilter{{}, {letter}});
  in.filter = &by_letter;
  in.control_rows.reset();
  const GroupResponse lettered = MeasureGroup(s, in, kEnd);
  ASSERT_EQ(lettered.by_topic.size(), 1u);
  EXPECT_EQ(lettered.by_topic[0].topic, "Brief niet begrepen");
  EXPECT_EQ(lettered.by_topic[0].responders, 1);
  EXPECT_EQ(lettered.by_topic[0].control_responders, 0);  // no control list
  EXPECT_DOUBLE_EQ(lettered.by_topic[0].control_rate, 0.0);
}

TEST(ResponseTest, RowsOfMembersFindsListsInAnyOrderAndMarksTheMissing) {
  const ColumnarSnapshot s = Snapshot();
  const std::vector<uint32_t> sorted = RowsOfMembers(s, {10, 30, 0, 55, 100});
  EXPECT_EQ(sorted, (std::vector<uint32_t>{0, 2, kNotFound, kNotFound, 9}));
  const std::vector<uint32_t> unsorted = RowsOfMembers(s, {90, 20, 100, 10, 5, 1000});
  EXPECT_EQ(unsorted, (std::vector<uint32_t>{8, 1, 9, 0, kNotFound, kNotFound}));
}

TEST(ResponseTest, WaldIntervalOfTheDifference) {
  // 30% of 1000 against 20% of 500: d = 0.1, se = sqrt(.3*.7/1000 + .2*.8/500).
  const auto d = DifferenceWithCi(Rate{300, 1000}, Rate{100, 500});
  ASSERT_TRUE(d.has_value());
  const double se = std::sqrt(0.3 * 0.7 / 1000 + 0.2 * 0.8 / 500);
  EXPECT_NEAR(d->value, 0.1, 1e-12);
  EXPECT_NEAR(d->ci_low, 0.1 - 1.959963984540054 * se, 1e-12);
  EXPECT_NEAR(d->ci_high, 0.1 + 1.959963984540054 * se, 1e-12);
  EXPECT_NEAR(d->ci_high - d->ci_low, 2 * 1.96 * se, 1e-4);
  EXPECT_FALSE(DifferenceWithCi(Rate{3, 10}, Rate{0, 0}).has_value());
  EXPECT_FALSE(DifferenceWithCi(Rate{0, 0}, Rate{1, 2}).has_value());
  EXPECT_EQ(Rate{}.rate(), 0.0);
}

TEST(ResponseTest, WeeksRunFromTheSendDateThroughTheEndDate) {
  EXPECT_EQ(WeekCount(kSend, kSend), 1);
  EXPECT_EQ(WeekCount(kSend, kSend + 6), 1);
  EXPECT_EQ(WeekCount(kSend, kSend + 7), 2);
  EXPECT_EQ(WeekCount(kSend, kEnd), 3);
  EXPECT_EQ(WeekCount(kSend, kSend - 1), 0);
}

TEST(ResponseTest, GroupRatesChannelsWeeksAndControl) {
  const ColumnarSnapshot s = Snapshot();
  GroupInput in;
  in.group = "brief";
  in.channel = static_cast<int>(ActionChannel::kLetter);
  in.send_day = kSend;
  // Contacted: 10, 20, 30, 40, 50 and one purged member (position 6).
  in.rows = RowsOfMembers(s, {10, 20, 30, 40, 50, 0});
  in.control_rows = RowsOfMembers(s, {60, 70, 80, 90});
  std::vector<bool> responded;
  const GroupResponse g = MeasureGroup(s, in, kEnd, &responded);
  EXPECT_EQ(g.contacted, 6);
  EXPECT_EQ(g.not_found, 1);
  EXPECT_EQ(g.response.numerator, 3);
  EXPECT_EQ(g.response.denominator, 5);
  EXPECT_DOUBLE_EQ(g.response.rate(), 0.6);
  EXPECT_EQ(g.control_response.numerator, 2);
  EXPECT_EQ(g.control_response.denominator, 4);
  ASSERT_TRUE(g.difference.has_value());
  EXPECT_NEAR(g.difference->value, 0.1, 1e-12);
  EXPECT_LT(g.difference->ci_low, 0.1);
  EXPECT_GT(g.difference->ci_high, 0.1);
  EXPECT_EQ(responded, (std::vector<bool>{true, true, true, false, false, false}));

  ASSERT_EQ(g.by_channel.size(), 4u);  // every channel, enum order
  EXPECT_EQ(g.by_channel[0].channel, static_cast<int>(ContactChannel::kPhone));
  EXPECT_EQ(g.by_channel[0].responders, 1);  // 30
  EXPECT_EQ(g.by_channel[1].responders, 1);  // 10: LETTER first
  EXPECT_EQ(g.by_channel[2].responders, 0);
  EXPECT_EQ(g.by_channel[3].responders, 1);  // 20: WEBSITE
  EXPECT_DOUBLE_EQ(g.by_channel[3].rate, 0.2);

  ASSERT_EQ(g.by_week.size(), 3u);
  EXPECT_EQ(g.by_week[0].week_start, kSend);
  EXPECT_EQ(g.by_week[2].week_start, kSend + 14);
  EXPECT_EQ(g.by_week[0].new_responders, 1);
  EXPECT_EQ(g.by_week[1].new_responders, 1);
  EXPECT_EQ(g.by_week[2].new_responders, 1);
  EXPECT_DOUBLE_EQ(g.by_week[0].cumulative_rate, 0.2);
  EXPECT_DOUBLE_EQ(g.by_week[1].cumulative_rate, 0.4);
  EXPECT_DOUBLE_EQ(g.by_week[2].cumulative_rate, 0.6);
  EXPECT_DOUBLE_EQ(g.by_week[0].control_cumulative_rate, 0.25);  // 70
  EXPECT_DOUBLE_EQ(g.by_week[1].control_cumulative_rate, 0.25);
  EXPECT_DOUBLE_EQ(g.by_week[2].control_cumulative_rate, 0.5);  // 60
  EXPECT_TRUE(g.outcomes.empty());                              // no dispatch order
  EXPECT_EQ(g.response_when_delivered.denominator, 0);

  in.control_rows.reset();
  const GroupResponse alone = MeasureGroup(s, in, kEnd);
  EXPECT_FALSE(alone.difference.has_value());
  EXPECT_EQ(alone.control_response.denominator, 0);
  EXPECT_EQ(alone.by_week[2].control_cumulative_rate, 0.0);

  Rate total, control;
  Totals({g, alone}, &total, &control);
  EXPECT_EQ(total.numerator, 6);
  EXPECT_EQ(total.denominator, 10);
  EXPECT_EQ(control.numerator, 2);
  EXPECT_EQ(control.denominator, 4);
}

TEST(ResponseTest, NewestOutcomePerPositionAndResponseWhenDelivered) {
  const ColumnarSnapshot s = Snapshot();
  const absl::Time t0 = absl::FromUnixSeconds(1790000000);
  const std::vector<PositionOutcome> recorded = {
      {"L", 1, static_cast<uint8_t>(DeliveryOutcome::kCallNotReached), t0},
      {"L", 1, static_cast<uint8_t>(DeliveryOutcome::kCallReached), t0 + absl::Hours(2)},  // newest wins
      {"L", 2, static_cast<uint8_t>(DeliveryOutcome::kCallReached), t0 + absl::Hours(3)},
      {"L", 2, static_cast<uint8_t>(DeliveryOutcome::kCallWrongNumber), t0 + absl::Hours(1)},  // older: ignored
      {"L", 4, static_cast<uint8_t>(DeliveryOutcome::kCallReached), t0},
      {"L", 9, static_cast<uint8_t>(DeliveryOutcome::kCallReached), t0},  // outside the list
      {"other", 3, static_cast<uint8_t>(DeliveryOutcome::kCallReached), t0},
  };
  const std::vector<uint8_t> latest = LatestOutcomes(recorded, "L", 5);
  EXPECT_EQ(latest, (std::vector<uint8_t>{3, 3, 0, 3, 0}));

  GroupInput in;
  in.send_day = kSend;
  in.rows = RowsOfMembers(s, {10, 20, 30, 40, 50});
  in.outcomes = latest;
  const GroupResponse g = MeasureGroup(s, in, kEnd);
  ASSERT_EQ(g.outcomes.size(), 2u);
  EXPECT_EQ(g.outcomes[0].outcome, "CALL_REACHED");
  EXPECT_EQ(g.outcomes[0].count, 3);
  EXPECT_EQ(g.outcomes[1].outcome, "NO_OUTCOME");
  EXPECT_EQ(g.outcomes[1].count, 2);
  // Delivered: 10 (responded), 20 (responded), 40 (did not).
  EXPECT_EQ(g.response_when_delivered.numerator, 2);
  EXPECT_EQ(g.response_when_delivered.denominator, 3);
  EXPECT_TRUE(IsDelivered(static_cast<int>(DeliveryOutcome::kLetterPrinted)));
  EXPECT_TRUE(IsDelivered(static_cast<int>(DeliveryOutcome::kContactMomentPlaced)));
  EXPECT_FALSE(IsDelivered(static_cast<int>(DeliveryOutcome::kLetterReturnedUndeliverable)));
}

TEST(ResponseTest, ControlSplitHoldsBackExactlyTheRoundedShareByDrawKey) {
  std::vector<MemberRef> members;
  for (int i = 1; i <= 1001; ++i) members.push_back(MemberRef{i * 7, 1, -1});
  std::vector<MemberRef> contacted, control;
  SplitControlGroup(members, 0.1, 99, &contacted, &control);
  EXPECT_EQ(control.size(), 100u);  // round(100.1)
  EXPECT_EQ(contacted.size(), 901u);
  std::set<int32_t> held;
  for (const auto& m : control) held.insert(m.bsn);
  uint64_t max_held = 0, min_kept = UINT64_MAX;
  for (const auto& m : control) max_held = std::max(max_held, DrawKey(99, m.bsn));
  for (const auto& m : contacted) {
    EXPECT_EQ(held.count(m.bsn), 0u);
    min_kept = std::min(min_kept, DrawKey(99, m.bsn));
  }
  EXPECT_LT(max_held, min_kept);  // the smallest keys are held back
  for (size_t i = 1; i < contacted.size(); ++i) EXPECT_LT(contacted[i - 1].bsn, contacted[i].bsn);  // list order
  std::vector<MemberRef> again_contacted, again_control;
  SplitControlGroup(members, 0.1, 99, &again_contacted, &again_control);
  ASSERT_EQ(again_control.size(), control.size());
  for (size_t i = 0; i < control.size(); ++i) EXPECT_EQ(again_control[i].bsn, control[i].bsn);
  SplitControlGroup(members, 0.1, 100, &again_contacted, &again_control);
  std::set<int32_t> other;
  for (const auto& m : again_control) other.insert(m.bsn);
  EXPECT_NE(other, held);  // another seed, other members
  SplitControlGroup(members, 0, 99, &contacted, &control);
  EXPECT_TRUE(control.empty());
  EXPECT_EQ(contacted.size(), members.size());
  SplitControlGroup(members, 0.5, 1, &contacted, &control);
  EXPECT_EQ(control.size(), 501u);  // round(500.5): half away from zero
}

TEST(ResponseTest, SampleIsDeterministicAndSplitsResponders) {
  const ColumnarSnapshot s = Snapshot();
  GroupInput in;
  in.send_day = kSend;
  in.rows = RowsOfMembers(s, {10, 20, 30, 40, 50, 80, 90, 100});
  std::vector<std::vector<bool>> responded(1);
  (void)MeasureGroup(s, in, kEnd, &responded[0]);
  const ResponseSample a = DrawResponseSample(s, {in}, responded, 2, 5);
  const ResponseSample b = DrawResponseSample(s, {in}, responded, 2, 5);
  ASSERT_EQ(a.responders.size(), 2u);
  ASSERT_EQ(a.non_responders.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(a.responders[i].position, b.responders[i].position);
    EXPECT_EQ(a.non_responders[i].position, b.non_responders[i].position);
    EXPECT_TRUE(responded[0][static_cast<size_t>(a.responders[i].position - 1)]);
    EXPECT_FALSE(responded[0][static_cast<size_t>(a.non_responders[i].position - 1)]);
  }
  EXPECT_LT(DrawKey(5, s.bsn[a.responders[0].row]), DrawKey(5, s.bsn[a.responders[1].row]));
  const ResponseSample all = DrawResponseSample(s, {in}, responded, 100, 5);
  EXPECT_EQ(all.responders.size(), 3u);
  EXPECT_EQ(all.non_responders.size(), 5u);
}

}  // namespace
}  // namespace cak::analysis::domain
