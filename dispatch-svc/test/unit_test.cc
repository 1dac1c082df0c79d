// dispatch-svc's domain without database or network: capacity planning over the executor's
// calendar, batch plans, message templates, and the delivery formats byte for byte (including
// which fields each channel keeps).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "absl/strings/match.h"
#include "common/base/errors.h"
#include "common/base/message_template.h"
#include "common/testing/status_matchers.h"
#include "dispatch-svc/src/domain/calendar.h"
#include "dispatch-svc/src/domain/delivery_format.h"

namespace cak::dispatch::domain {
namespace {

using common::testing::StatusIs;

CapacityCalendar Weekdays(int64_t per_day, int lead = 1) {
  CapacityCalendar c;
  c.items_per_day = per_day;
  c.working_days = 0x1f;  // Monday to Friday
  c.lead_time_days = lead;
  return c;
}

const absl::CivilDay kMonday(2026, 11, 2);

TEST(CalendarTest, FirstPossibleDaySkipsLeadTimeWeekendsAndBlackouts) {
  CapacityCalendar c = Weekdays(100, 0);
  EXPECT_EQ(FirstPossibleDay(c, kMonday), absl::CivilDay(2026, 11, 3));
  c.lead_time_days = 4;  // Tue Wed Thu Fri prepare, Monday the 9th first
  EXPECT_EQ(FirstPossibleDay(c, kMonday), absl::CivilDay(2026, 11, 9));
  c.blackout_dates = {absl::CivilDay(2026, 11, 9)};
  EXPECT_EQ(FirstPossibleDay(c, kMonday), absl::CivilDay(2026, 11, 10));
  EXPECT_FALSE(IsWorkingDay(c, absl::CivilDay(2026, 11, 7)));  // Saturday
}

TEST(CalendarTest, PlanFillsFreeCapacityDayByDayWithinTheWindow) {
  const CapacityCalendar c = Weekdays(1000);
  std::map<absl::CivilDay, int64_t> booked = {{absl::CivilDay(2026, 11, 5), 600}, {absl::CivilDay(2026, 11, 6), 1000}};
  CapacityPlan plan = PlanVolume(c, booked, 2000, kMonday, absl::CivilDay(2026, 11, 13), kMonday);
  ASSERT_TRUE(plan.feasible);
  EXPECT_EQ(*plan.earliest_start, absl::CivilDay(2026, 11, 4));
  ASSERT_EQ(plan.spread.size(), 3u);
  EXPECT_EQ(plan.spread[0].count, 1000);                       // Wed 4th
  EXPECT_EQ(plan.spread[1].count, 400);                        // Thu 5th: 600 booked already
  EXPECT_EQ(plan.spread[2].day, absl::CivilDay(2026, 11, 9));  // Fri full, weekend off
  EXPECT_EQ(plan.spread[2].count, 600);
  EXPECT_FALSE(plan.reasons.empty());  // mentions the full day

  plan = PlanVolume(c, booked, 5000, kMonday, absl::CivilDay(2026, 11, 6), kMonday);
  EXPECT_FALSE(plan.feasible);
  EXPECT_TRUE(absl::StrContains(plan.reasons.back(), "Onvoldoende capaciteit: 1400 van 5000"));

  plan = PlanVolume(c, {}, 10, kMonday, absl::CivilDay(2026, 11, 3), kMonday);
  EXPECT_FALSE(plan.feasible);
  EXPECT_FALSE(plan.earliest_start.has_value());
}

TEST(CalendarTest, WindowRules) {
  EXPECT_THAT(ValidateWindow(absl::CivilDay(2026, 11, 1), absl::CivilDay(2026, 11, 9), kMonday, "order."),
              StatusIs(absl::StatusCode::kInvalidArgument, "WINDOW_IN_PAST", "order.window_start"));
  EXPECT_THAT(ValidateWindow(absl::CivilDay(2026, 11, 9), absl::CivilDay(2026, 11, 3), kMonday, ""),
              StatusIs(absl::StatusCode::kInvalidArgument, "WINDOW_INVERTED", "window_end"));
  EXPECT_THAT(ValidateWindow(kMonday, absl::CivilDay(2028, 1, 1), kMonday, ""),
              StatusIs(absl::StatusCode::kInvalidArgument, "WINDOW_TOO_LONG", "window_end"));
  EXPECT_TRUE(ValidateWindow(kMonday, kMonday, kMonday, "").ok());
}

TEST(CalendarTest, BatchesCoverEveryPositionOnceInOrder) {
  const std::vector<PlannedBatch> batches =
      PlanBatches({{absl::CivilDay(2026, 11, 4), 2500}, {absl::CivilDay(2026, 11, 5), 1}}, 1000);
  ASSERT_EQ(batches.size(), 4u);
  int64_t next = 1;
  for (const PlannedBatch& b : batches) {
    EXPECT_EQ(b.first_position, next);
    next = b.last_position + 1;
  }
  EXPECT_EQ(next, 2502);
  EXPECT_EQ(batches[3].day, absl::CivilDay(2026, 11, 5));
}

TEST(TemplateTest, ParsesRendersAndRefusesWhatCannotBeRendered) {
  auto t = common::MessageTemplate::Parse("{aanhef},\nUw bedrag: {bedrag}.", common::MessageChannel::kLetter, "f");
  ASSERT_TRUE(t.ok()) << t.status();
  common::PlaceholderValues v{};
  v[static_cast<int>(common::Placeholder::kAanhef)] = "Geachte heer X";
  v[static_cast<int>(common::Placeholder::kBedrag)] = "€ 1";
  EXPECT_EQ(t->Render(v), "Geachte heer X,\nUw bedrag: € 1.");
  EXPECT_THAT(common::MessageTemplate::Parse("Beste {naam}", common::MessageChannel::kLetter, "f").status(),
              StatusIs(absl::StatusCode::kInvalidArgument, "REQUIRED_PLACEHOLDER_MISSING", "f"));
  EXPECT_THAT(common::MessageTemplate::Parse("{aanhef} {bsn}", common::MessageChannel::kLetter, "f").status(),
              StatusIs(absl::StatusCode::kInvalidArgument, "UNKNOWN_PLACEHOLDER", "f"));
  EXPECT_THAT(common::MessageTemplate::Parse("{aanhef} }", common::MessageChannel::kLetter, "f").status(),
              StatusIs(absl::StatusCode::kInvalidArgument, "UNBALANCED_BRACES", "f"));
  EXPECT_THAT(common::MessageTemplate::Parse("{aanhef} {naam", common::MessageChannel::kLetter, "f").status(),
              StatusIs(absl::StatusCode::kInvalidArgument, "UNBALANCED_BRACES", "f"));
  EXPECT_THAT(
      common::MessageTemplate::Parse("{naam_geadresseerde}", common::MessageChannel::kContactMoment, "f").status(),
      StatusIs(absl::StatusCode::kInvalidArgument, "PLACEHOLDER_NOT_ALLOWED_FOR_CHANNEL", "f"));
  EXPECT_THAT(common::MessageTemplate::Parse("  ", common::MessageChannel::kContactMoment, "f").status(),
              StatusIs(absl::StatusCode::kInvalidArgument, "TEMPLATE_EMPTY", "f"));
}

Recipient Sample(Routing routing) {
  Recipient r;
  r.position = 7;
  r.bsn = "111222333";
  r.routing = routing;
  r.customer_number = "K7";
  r.salutation = common::SalutationKind::kMs;
  r.customer_name = "A. de Boer";
  r.addressee_name = routing == Routing::kCustomer ? "A. de Boer" : "B. Bewind, \"kantoor\"";
  r.street = "Lange Gracht";
  r.house_number = 12;
  r.house_number_suffix = "A";
  r.postcode = "1017 AB";
  r.city = "Amsterdam";
  r.phone = "0612345678";
  return r;
}

Order LetterOrder(Channel channel, const std::string& text) {
  Order o;
  o.id = "7d3f7c1e-1111-4c1a-9a55-2f4a1c0de001";
  o.channel = channel;
  o.template_text = text;
  o.values = {{"bedrag", "€ 12,50"}, {"kenmerk", "VK-1"}};
  o.contact_moment_code = "VK-CODE";
  return o;
}

TEST(DeliveryFormatTest, EachChannelKeepsOnlyItsFields) {
  const Item letter = ToItem(Sample(Routing::kCustomer), Channel::kLetter);
  EXPECT_TRUE(letter.phone.empty());
  EXPECT_TRUE(letter.customer_number.empty());  // kept only when the text quotes it
  EXPECT_EQ(ToItem(Sample(Routing::kCustomer), Channel::kLetter, true).customer_number, "K7");
  EXPECT_EQ(letter.city, "Amsterdam");
  const Item call = ToItem(Sample(Routing::kCustomer), Channel::kCall);
  EXPECT_TRUE(call.street.empty());
  EXPECT_TRUE(call.postcode.empty());
  EXPECT_EQ(call.phone, "0612345678");
  const Item moment = ToItem(Sample(Routing::kCustomer), Channel::kContactMoment);
  EXPECT_TRUE(moment.customer_name.empty());
  EXPECT_TRUE(moment.addressee_name.empty());
  EXPECT_TRUE(moment.street.empty());
  EXPECT_EQ(moment.customer_number, "K7");
}

TEST(DeliveryFormatTest, LetterLinesAreQuotedCsvWithTheRenderedText) {
  const Order order = LetterOrder(Channel::kLetter, "{aanhef},\n{naam}: {bedrag} op {datum}");
  ItemRenderer renderer(order,
                        *common::MessageTemplate::Parse(order.template_text, common::MessageChannel::kLetter, "m"),
                        absl::CivilDay(2026, 12, 2));
  std::string line;
  renderer.AppendFileLine(ToItem(Sample(Routing::kRepresentative), Channel::kLetter), &line);
  EXPECT_EQ(line,
            "7,\"B. Bewind, \"\"kantoor\"\"\",Lange Gracht,12,A,1017 AB,Amsterdam,"
            "\"Geachte B. Bewind, \"\"kantoor\"\",\nA. de Boer: € 12,50 op 2 december 2026\"");
  line.clear();
  renderer.AppendFileLine(ToItem(Sample(Routing::kCustomer), Channel::kLetter), &line);
  EXPECT_TRUE(absl::StrContains(line, "Geachte mevrouw A. de Boer"));
  EXPECT_EQ(FileHeader(Channel::kLetter),
            "item,addressee_name,street,house_number,house_number_suffix,postcode,city,letter_text\r\n");
}

TEST(DeliveryFormatTest, LettersAndCallsQuoteTheCustomerNumberOnlyInTheirText) {
  for (Channel channel : {Channel::kLetter, Channel::kCall}) {
    const Order with = LetterOrder(channel, "{aanhef} {naam}, uw klantnummer is {klantnummer}.");
    const common::MessageChannel mc =
        channel == Channel::kLetter ? common::MessageChannel::kLetter : common::MessageChannel::kCall;
    ItemRenderer renderer(with, *common::MessageTemplate::Parse(with.template_text, mc, "m"),
                          absl::CivilDay(2026, 12, 2));
    std::string line;
    ASSERT_TRUE(renderer.QuotesCustomerNumber());
    renderer.AppendFileLine(ToItem(Sample(Routing::kCustomer), channel, renderer.QuotesCustomerNumber()), &line);
    EXPECT_TRUE(absl::StrContains(line, "uw klantnummer is K7.")) << line;
    const Order without = LetterOrder(channel, "{aanhef} {naam}, wij bellen u.");
    ItemRenderer plain(without, *common::MessageTemplate::Parse(without.template_text, mc, "m"),
                       absl::CivilDay(2026, 12, 2));
    line.clear();
    EXPECT_FALSE(plain.QuotesCustomerNumber());
    plain.AppendFileLine(ToItem(Sample(Routing::kCustomer), channel, plain.QuotesCustomerNumber()), &line);
    EXPECT_FALSE(absl::StrContains(line, "K7")) << line;  // no field of its own
  }
}

TEST(DeliveryFormatTest, ContactMomentLinesAreJsonWithoutNames) {
  const Order order = LetterOrder(Channel::kContactMoment, "Klant {klantnummer}\tgeïnformeerd ({kenmerk})");
  ItemRenderer renderer(
      order, *common::MessageTemplate::Parse(order.template_text, common::MessageChannel::kContactMoment, "m"),
      absl::CivilDay(2026, 12, 2));
  std::string line;
  renderer.AppendFileLine(ToItem(Sample(Routing::kRepresentative), Channel::kContactMoment), &line);
  EXPECT_EQ(line,
            "{\"item\":7,\"customer_number\":\"K7\",\"contact_moment_code\":\"VK-CODE\","
            "\"text\":\"Klant K7\\tgeïnformeerd (VK-1)\"}");
  EXPECT_EQ(FileHeader(Channel::kContactMoment), "");

  // A value that is not valid UTF-8 still makes a valid JSON line (U+FFFD in its place).
  Item odd = ToItem(Sample(Routing::kRepresentative), Channel::kContactMoment);
  odd.customer_number = "K\xff\"7";
  line.clear();
  renderer.AppendFileLine(odd, &line);
  const auto parsed = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  ASSERT_FALSE(parsed.is_discarded()) << line;
  EXPECT_EQ(parsed["customer_number"], "K\xef\xbf\xbd\"7");
}

TEST(DeliveryFormatTest, AddresseeIdsArePseudonymousAndOnlyForRoutedItems) {
  const auto hasher = *common::DataSubjectHasher::Create("unit-test-key-of-at-least-32-bytes!!");
  EXPECT_EQ(AddresseeId(ToItem(Sample(Routing::kCustomer), Channel::kLetter), Channel::kLetter, hasher), "");
  const std::string id =
      AddresseeId(ToItem(Sample(Routing::kRepresentative), Channel::kLetter), Channel::kLetter, hasher);
  EXPECT_TRUE(absl::StartsWith(id, "REPRESENTATIVE:"));
  EXPECT_FALSE(absl::StrContains(id, "Bewind"));
  EXPECT_EQ(id.size(), 15u + 64u);
}

}  // namespace
}  // namespace cak::dispatch::domain
