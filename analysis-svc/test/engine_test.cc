// The columnar engine: routing when the snapshot is built, criteria evaluation (every
// predicate, the boolean operators, age and window edges), impact breakdowns, sampler
// determinism and allocation, and target-group disjointness. No database.
#include <gtest/gtest.h>

#include <set>

#include "analysis-svc/src/domain/criteria.h"
#include "analysis-svc/src/domain/impact.h"
#include "analysis-svc/src/domain/listing.h"
#include "analysis-svc/src/domain/sampling.h"
#include "analysis-svc/src/domain/target_groups.h"
#include "common/base/synthetic.h"
#include "common/testing/status_matchers.h"

namespace cak::analysis::domain {
namespace {

using common::testing::StatusIs;
using Field = Predicate::Field;

const absl::CivilDay kToday(2026, 11, 2);

ColumnarBuilder::CustomerRow Customer(int32_t bsn, int regulation, int municipality, int32_t birth_ymd) {
  ColumnarBuilder::CustomerRow c;
  c.bsn = bsn;
  c.regulation = static_cast<uint8_t>(regulation);
  c.municipality = municipality;
  c.birth_ymd = birth_ymd;
  c.has_address = true;
  return c;
}

// Five customers with known properties (BSN values need not pass the 11-test here).
ColumnarSnapshot Sample() {
  ColumnarBuilder b(7);
  auto c1 = Customer(100, 1, 363, 19400229);  // WLZ Amsterdam, born on a leap day
  c1.debt_cents = 0;
  b.AddCustomer(c1);
  auto c2 = Customer(200, 2, 599, 19800615);  // WMO Rotterdam
  c2.debt_cents = 50000;
  c2.payment_plan = true;
  c2.has_phone = true;
  b.AddCustomer(c2);
  auto c3 = Customer(300, 2, 363, 20001102);  // WMO Amsterdam, 26 today
  c3.debt_cents = 120000;
  c3.active = false;
  c3.inactive_since = ToDayNumber(absl::CivilDay(2023, 1, 1));
  b.AddCustomer(c3);
  auto c4 = Customer(400, 3, 344, 19551231);  // WANBETALERS Utrecht
  c4.has_address = false;
  c4.has_email = true;
  b.AddCustomer(c4);
  auto c5 = Customer(50, 4, 344, 19700101);  // added out of order: rows sort by BSN
  b.AddCustomer(c5);

  // 100: two representatives (the first in import order wins) and a contact person.
  b.AddRelation({3, 100, 1, 1, false, true, false});
  b.AddRelation({1, 100, 1, 1, true, false, true});
  b.AddRelation({2, 100, 2, 2, true, true, true});
  // 200: contact person who asked for the mail.
  b.AddRelation({4, 200, 2, 2, true, false, false});
  // 400: contact person who did not.
  b.AddRelation({5, 400, 2, 1, true, true, true});
  // unknown customer: ignored
  b.AddRelation({6, 999, 1, 1, true, true, true});

  b.AddMailing(100, 1, ToDayNumber(kToday + 10));
  b.AddMailing(100, 2, ToDayNumber(kToday + 200));
  b.AddMailing(200, 3, ToDayNumber(kToday + 5));
  b.AddMailing(999, 3, ToDayNumber(kToday + 5));  // unknown: ignored
  for (int d = 0; d < 4; ++d) b.AddContact(300, 1, d % 2 == 0, ToDayNumber(kToday - d * 10));
  b.AddContact(400, 3, true, ToDayNumber(kToday - 100));
  return std::move(b).Build();
}

std::vector<int32_t> Bsns(const ColumnarSnapshot& s, const Bitmap& m) {
  std::vector<int32_t> out;
  m.ForEach([&](uint32_t i) { out.push_back(s.bsn[i]); });
  return out;
}

Criteria P(Field f) {
  Predicate p;
  p.field = f;
  return Where(p);
}

TEST(ColumnarTest, RowsSortedByBsnAndRouted) {
  const ColumnarSnapshot s = Sample();
  EXPECT_EQ(s.bsn, (std::vector<int32_t>{50, 100, 200, 300, 400}));
  const uint32_t r100 = *s.RowOf(100), r200 = *s.RowOf(200), r400 = *s.RowOf(400);
  EXPECT_EQ(s.routing[r100], static_cast<uint8_t>(Routing::kRepresentative));
  EXPECT_EQ(s.addressee_relation[r100], 1);            // first representative in import order
  EXPECT_EQ(s.reach[r100], kReachPost | kReachEmail);  // the representative's channels
  EXPECT_TRUE(s.flags[r100] & kHasRepresentative);
  EXPECT_TRUE(s.flags[r100] & kHasContactPerson);
  EXPECT_EQ(s.routing[r200], static_cast<uint8_t>(Routing::kContactPerson));
  EXPECT_EQ(s.addressee_relation[r200], 4);
  EXPECT_EQ(s.routing[r400], static_cast<uint8_t>(Routing::kCustomer));  // contact person kept routing CUSTOMER
  EXPECT_EQ(s.addressee_relation[r400], -1);
  EXPECT_EQ(s.reach[r400], kReachEmail);
  EXPECT_EQ(s.mailing_offset[r100 + 1] - s.mailing_offset[r100], 2u);
  EXPECT_EQ(s.mailing_day.size(), 3u);  // the unknown customer's mailing is gone
  EXPECT_FALSE(s.RowOf(999).has_value());
}

TEST(CriteriaTest, EveryPredicate) {
  const ColumnarSnapshot s = Sample();
  const EvalContext ctx{kToday};
  auto eval = [&](const Criteria& c) { return Bsns(s, Evaluate(c, s, ctx)); };

  Predicate reg;
  reg.field = Field::kRegulationIn;
  reg.values = {2};
  EXPECT_EQ(eval(Where(reg)), (std::vector<int32_t>{200, 300}));

  Predicate muni;
  muni.field = Field::kMunicipalityIn;
  muni.values = {363, 9999};
  EXPECT_EQ(eval(Where(muni)), (std::vector<int32_t>{100, 300}));

  Predicate debt;
  debt.field = Field::kDebtBetween;
  debt.min = 50000;
  EXPECT_EQ(eval(Where(debt)), (std::vector<int32_t>{200, 300}));
  debt.max = 50000;
  EXPECT_EQ(eval(Where(debt)), (std::vector<int32_t>{200}));

  EXPECT_EQ(eval(P(Field::kPaymentPlan)), (std::vector<int32_t>{200}));
  EXPECT_EQ(eval(P(Field::kHasRepresentative)), (std::vector<int32_t>{100}));
  EXPECT_EQ(eval(P(Field::kHasContactPerson)), (std::vector<int32_t>{100, 200, 400}));
  Predicate inactive;
  inactive.field = Field::kActive;
  inactive.flag = false;
  EXPECT_EQ(eval(Where(inactive)), (std::vector<int32_t>{300}));

  Predicate mailing;
  mailing.field = Field::kPlannedMailing;
  mailing.from = kToday;
  mailing.to = kToday + 30;
  EXPECT_EQ(eval(Where(mailing)), (std::vector<int32_t>{100, 200}));
  mailing.values = {3};  // decisions only
  EXPECT_EQ(eval(Where(mailing)), (std::vector<int32_t>{200}));
  mailing.from = kToday + 6;  // window edges are inclusive
  EXPECT_EQ(eval(Where(mailing)), (std::vector<int32_t>{}));

  Predicate contacted;
  contacted.field = Field::kContactedWithin;
  contacted.days = 21;  // today, -10, -20 are inside; -30 is not
  contacted.min_contacts = 3;
  EXPECT_EQ(eval(Where(contacted)), (std::vector<int32_t>{300}));
  contacted.min_contacts = 4;
  EXPECT_EQ(eval(Where(contacted)), (std::vector<int32_t>{}));
  contacted.min_contacts = 2;
  contacted.reached_only = true;  // today and -20
  EXPECT_EQ(eval(Where(contacted)), (std::vector<int32_t>{300}));
  contacted.values = {3};  // email only
  EXPECT_EQ(eval(Where(contacted)), (std::vector<int32_t>{}));

  Predicate in;
  in.field = Field::kCustomerIn;
  in.bsns = {400, 50, 12345};
  EXPECT_EQ(eval(Where(in)), (std::vector<int32_t>{50, 400}));
}

TEST(CriteriaTest, AgeBoundsAreExactIncludingLeapDays) {
  const ColumnarSnapshot s = Sample();
  Predicate age;
  age.field = Field::kAgeBetween;
  age.min = 26;
  age.max = 26;
  // 300 was born 2000-11-02: 26 exactly today, 25 yesterday.
  EXPECT_EQ(Bsns(s, Evaluate(Where(age), s, {kToday})), (std::vector<int32_t>{300}));
  EXPECT_EQ(Bsns(s, Evaluate(Where(age), s, {kToday - 1})), (std::vector<int32_t>{}));
  // 100, born 1940-02-29, turns 86 on 2026-03-01 (not on 2026-02-28), as AgeInYears says.
  age.min = 86;
  age.max = 86;
  EXPECT_EQ(Bsns(s, Evaluate(Where(age), s, {absl::CivilDay(2026, 2, 28)})), (std::vector<int32_t>{}));
  EXPECT_EQ(Bsns(s, Evaluate(Where(age), s, {absl::CivilDay(2026, 3, 1)})), (std::vector<int32_t>{100}));
  EXPECT_EQ(AgeInYears(absl::CivilDay(1940, 2, 29), absl::CivilDay(2026, 3, 1)), 86);
  EXPECT_EQ(AgeInYears(absl::CivilDay(1940, 2, 29), absl::CivilDay(2026, 2, 28)), 85);
}

TEST(CriteriaTest, OperatorsCombine) {
  const ColumnarSnapshot s = Sample();
  Predicate wmo;
  wmo.field = Field::kRegulationIn;
  wmo.values = {2};
  const Criteria c = All({Where(wmo), Not(P(Field::kPaymentPlan))});
  EXPECT_EQ(Bsns(s, Evaluate(c, s, {kToday})), (std::vector<int32_t>{300}));
  EXPECT_EQ(Bsns(s, Evaluate(Any({Where(wmo), P(Field::kHasRepresentative)}), s, {kToday})),
            (std::vector<int32_t>{100, 200, 300}));
  EXPECT_EQ(Evaluate(All({}), s, {kToday}).Count(), 5);  // everyone
  EXPECT_EQ(Evaluate(Any({}), s, {kToday}).Count(), 0);  // nobody
  EXPECT_EQ(Evaluate(Not(All({})), s, {kToday}).Count(), 0);
}

TEST(CriteriaTest, ValidationNamesTheField) {
  Predicate debt;
  debt.field = Field::kDebtBetween;
  debt.min = 10;
  debt.max = 5;
  EXPECT_THAT(Validate(All({P(Field::kActive), Where(debt)}), "criteria"),
              StatusIs(absl::StatusCode::kInvalidArgument, "INVALID_RANGE",
                       "criteria.all.items[1].predicate.debt_between.max_cents"));
  Predicate reg;
  reg.field = Field::kRegulationIn;
  EXPECT_THAT(Validate(Not(Where(reg)), "criteria"), StatusIs(absl::StatusCode::kInvalidArgument, "EMPTY_OPERAND",
                                                              "criteria.not.predicate.regulation_in.regulations"));
  reg.values = {1, 9};
  EXPECT_THAT(Validate(Where(reg), "c"), StatusIs(absl::StatusCode::kInvalidArgument, "UNKNOWN_ENUM_VALUE",
                                                  "c.predicate.regulation_in.regulations[1]"));
  Predicate contacted;
  contacted.field = Field::kContactedWithin;
  contacted.days = 0;
  EXPECT_THAT(Validate(Where(contacted), "c"),
              StatusIs(absl::StatusCode::kInvalidArgument, "INVALID_RANGE", "c.predicate.contacted_within.days"));
  Criteria deep = P(Field::kActive);
  for (int i = 0; i < kMaxCriteriaDepth; ++i) deep = Not(std::move(deep));
  EXPECT_THAT(Validate(deep, "c"), StatusIs(absl::StatusCode::kInvalidArgument, "CRITERIA_TOO_COMPLEX",
                                            "c.not.not.not.not.not.not.not.not.not.not.not.not.not.not.not.not"));
}

TEST(CriteriaTest, JsonRoundTrip) {
  Predicate mailing;
  mailing.field = Field::kPlannedMailing;
  mailing.values = {1, 3};
  mailing.from = absl::CivilDay(2026, 1, 1);
  mailing.to = absl::CivilDay(2026, 12, 31);
  Predicate debt;
  debt.field = Field::kDebtBetween;
  debt.max = 99;
  Predicate in;
  in.field = Field::kCustomerIn;
  in.bsns = {111222333};
  const Criteria c = Any({All({Where(mailing), Not(Where(debt))}), Where(in)});
  const std::string json = ToJson(c);
  auto back = FromJson(json);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(ToJson(*back), json);
  const ColumnarSnapshot s = Sample();
  EXPECT_EQ(Evaluate(*back, s, {kToday}).words(), Evaluate(c, s, {kToday}).words());
  EXPECT_FALSE(FromJson("{\"p\":{}}").ok());
  // Found by tests/fuzz/criteria_fuzzer.cc: a number that is no integer of the field's range
  // (a float far out of int range was undefined behaviour; a large integer wrapped).
  for (const char* bad : {R"({"p":{"f":1,"from":2.02601e+36,"flag":false}})", R"({"p":{"f":1.5,"flag":false}})",
                          R"({"p":{"f":1,"v":[4294967297],"flag":false}})", R"({"p":{"f":1,"b":"x","flag":false}})",
                          R"({"p":{"f":1,"max":18446744073709551615,"flag":false}})",
                          // ... and a day that is not in the calendar (CivilDay normalised it into
                          // another day, so the tree did not come back as stored).
                          R"({"p":{"f":8,"from":4,"to":20261231,"flag":false}})",
                          R"({"p":{"f":8,"from":20261231,"to":20520292,"flag":false}})",
                          R"({"p":{"f":8,"from":-20261231,"to":20261231,"flag":false}})"}) {
    EXPECT_EQ(FromJson(bad).status().code(), absl::StatusCode::kInternal) << bad;
  }
  EXPECT_TRUE(FromJson(R"({"p":{"f":8,"from":20240229,"to":20261231,"flag":false}})").ok());
}

// The path of the predicate that names customers, as the API names request fields, so that a
// refusal (CUSTOMER_IN_NOT_ALLOWED) points at it.
TEST(CriteriaTest, NamedCustomersPathPointsAtTheFirstCustomerIn) {
  Predicate in;
  in.field = Field::kCustomerIn;
  in.bsns = {111222333};
  Predicate active;
  active.field = Field::kActive;
  EXPECT_EQ(NamedCustomersPath(Where(active), "criteria"), std::nullopt);
  EXPECT_EQ(NamedCustomersPath(Where(in), "criteria"), "criteria.predicate.customer_in");
  EXPECT_EQ(NamedCustomersPath(All({Where(active), Any({Where(active), Not(Where(in))})}), "groups[2].criteria"),
            "groups[2].criteria.all.items[1].any.items[1].not.predicate.customer_in");
  EXPECT_EQ(NamedCustomersPath(All({Where(active), Not(Where(active))}), "criteria"), std::nullopt);
}

// The listing whitelist: an empty, unknown or repeated choice names its field, and so does a
// field that identifies a person outside the full view; the pseudonymised view names its
// columns after what they hold and shows coarse values.
TEST(ListingTest, FieldsAreCheckedAndColumnsNamedPerView) {
  EXPECT_THAT(ValidateListingFields({}, true),
              StatusIs(absl::StatusCode::kInvalidArgument, "REQUIRED_FIELD_MISSING", "fields"));
  EXPECT_THAT(ValidateListingFields({7, 0}, true),
              StatusIs(absl::StatusCode::kInvalidArgument, "UNKNOWN_ENUM_VALUE", "fields[1]"));
  EXPECT_THAT(ValidateListingFields({7, 13}, true),
              StatusIs(absl::StatusCode::kInvalidArgument, "UNKNOWN_ENUM_VALUE", "fields[1]"));
  EXPECT_THAT(ValidateListingFields({7, 8, 7}, false),
              StatusIs(absl::StatusCode::kInvalidArgument, "DUPLICATE_FIELD", "fields[2]"));
  // Name (3), address (4), customer number (2): the full view only.
  for (int identifying : {2, 3, 4}) {
    EXPECT_THAT(ValidateListingFields({1, 8, identifying}, false),
                StatusIs(absl::StatusCode::kInvalidArgument, "FIELD_NEEDS_FULL_VIEW", "fields[2]"))
        << identifying;
    EXPECT_TRUE(ValidateListingFields({1, 8, identifying}, true).ok()) << identifying;
  }
  auto fields = ValidateListingFields({1, 3, 2, 8, 5, 10}, true);
  ASSERT_TRUE(fields.ok()) << fields.status();
  auto names = [](const std::vector<ListingColumn>& columns) {
    std::string out;
    AppendListingHeader(columns, &out);
    return out;
  };
  EXPECT_EQ(names(ListingColumns(*fields, true)), "bsn,name,customer_number,age,postcode,debt_cents\n");
  auto coarse = ValidateListingFields({1, 8, 5, 10, 6, 7, 9, 11, 12}, false);
  ASSERT_TRUE(coarse.ok()) << coarse.status();
  EXPECT_EQ(names(ListingColumns(*coarse, false)),
            "pseudonym,age_band,postcode_digits,debt_band,municipality_code,regulation,routing,payment_plan,active\n");
  EXPECT_FALSE(ListingNeedsDetails(ListingColumns({ListingField::kBsn, ListingField::kAge}, false), false));
  EXPECT_TRUE(ListingNeedsDetails(ListingColumns({ListingField::kPostcode}, false), false));
  EXPECT_TRUE(ListingNeedsDetails(ListingColumns({ListingField::kCustomerNumber}, true), true));

  CustomerDetails d;
  d.customer_number = "1234567890";
  d.initials = "J.";
  d.name_prefix = "van der";
  d.surname = "Berg, de";  // a comma: quoted
  d.street = "Kerkstraat";
  d.house_number = 12;
  d.house_number_suffix = "A";
  d.postcode = "1234 AB";
  d.city = "Utrecht";
  ListedCustomer c;
  c.bsn = 111222333;
  c.pseudonym = "0123456789abcdef";
  c.age_years = 67;
  c.debt_cents = 12345;
  c.details = &d;
  const std::vector<ListingField> all = {ListingField::kBsn, ListingField::kName, ListingField::kAddress,
                                         ListingField::kAge, ListingField::kDebt, ListingField::kPostcode};
  const std::vector<ListingField> coarse_ones = {ListingField::kBsn, ListingField::kAge, ListingField::kDebt,
                                                 ListingField::kPostcode};
  std::string full, pseudonymised;
  AppendListingRow(ListingColumns(all, true), true, c, &full);
  AppendListingRow(ListingColumns(coarse_ones, false), false, c, &pseudonymised);
  EXPECT_EQ(full, "111222333,\"J. van der Berg, de\",\"Kerkstraat 12 A, 1234 AB Utrecht\",67,12345,1234 AB\n");
  EXPECT_EQ(pseudonymised, "0123456789abcdef,65-69,100-999,1234\n");
  EXPECT_EQ(AgeBand(0), "0-4");
  EXPECT_EQ(AgeBand(104), "100+");
  EXPECT_EQ(DebtBand(0), "0");
  EXPECT_EQ(DebtBand(9999), "<100");
  EXPECT_EQ(DebtBand(1000000), "10000+");
  EXPECT_EQ(PostcodeDigits(""), "");
}

TEST(ImpactTest, Breakdowns) {
  const ColumnarSnapshot s = Sample();
  ImpactOptions o = DefaultImpactOptions(kToday);
  o.pressure_min_contacts = 3;
  o.pressure_days = 90;
  const Impact i = AnalyzeImpact(s, Bitmap(s.size(), true), o);
  EXPECT_EQ(i.total, 5);
  EXPECT_EQ(i.by_regulation[1], 1);
  EXPECT_EQ(i.by_regulation[2], 2);
  EXPECT_EQ(i.by_municipality.size(), 3u);
  EXPECT_EQ(i.by_municipality[0].second, 2);  // largest first; ties by number: 344 before 363
  EXPECT_EQ(i.by_municipality[0].first, 344);
  EXPECT_EQ(i.by_routing[1], 3);
  EXPECT_EQ(i.by_routing[2], 1);
  EXPECT_EQ(i.by_routing[3], 1);
  EXPECT_EQ(i.reach_post, 4);   // 50, 100 (representative), 200 (contact person), 300
  EXPECT_EQ(i.reach_email, 2);  // 100's representative, 400
  EXPECT_EQ(i.reach_none, 0);
  EXPECT_EQ(i.mailing_overlap_total, 2);  // 100 (+10 days), 200 (+5); +200 is outside 90 days
  EXPECT_EQ(i.mailing_overlap_by_type[1], 1);
  EXPECT_EQ(i.mailing_overlap_by_type[3], 1);
  EXPECT_EQ(i.mailing_overlap_by_type[2], 0);
  EXPECT_EQ(i.contact_pressure, 1);  // 300: four contacts within 90 days
  EXPECT_THAT(ValidateImpactOptions({kToday, kToday + 1, kToday, 3, 90}),
              StatusIs(absl::StatusCode::kInvalidArgument, "INVALID_RANGE", "mailing_to_date"));
}

// A population of real-looking size for the sampler.
ColumnarSnapshot Population(int n) {
  ColumnarBuilder b(1);
  common::SyntheticRandom rng(42);
  int32_t bsn = 100000000;
  for (int i = 0; i < n; ++i) {
    bsn += 1 + static_cast<int32_t>(rng.Below(50));
    b.AddCustomer(Customer(bsn, 1 + static_cast<int>(rng.Below(100) < 60 ? 0 : rng.Below(4)),
                           300 + static_cast<int>(rng.Below(5)), 19600101));
  }
  return std::move(b).Build();
}

TEST(SamplingTest, SameSeedSameSampleDifferentSeedDifferent) {
  const ColumnarSnapshot s = Population(20000);
  const Bitmap all(s.size(), true);
  const SampleDraw a = DrawSample(s, all, 100, 7, Stratification::kNone);
  const SampleDraw b = DrawSample(s, all, 100, 7, Stratification::kNone);
  const SampleDraw c = DrawSample(s, all, 100, 8, Stratification::kNone);
  ASSERT_EQ(a.rows.size(), 100u);
  EXPECT_EQ(a.rows, b.rows);
  EXPECT_NE(a.rows, c.rows);
  EXPECT_EQ(std::set<uint32_t>(a.rows.begin(), a.rows.end()).size(), 100u);
  EXPECT_EQ(a.population, 20000);
}

TEST(SamplingTest, MembershipDoesNotDependOnRowOrderOrOtherCustomers) {
  // The draw key depends on seed and BSN only: a sample of a sub-population is the sample of
  // the whole restricted to it, wherever the rows sit.
  const ColumnarSnapshot s = Population(5000);
  Bitmap half(s.size());
  for (uint32_t i = 0; i < s.size(); i += 2) half.Set(i);
  const SampleDraw all = DrawSample(s, Bitmap(s.size(), true), 5000, 3, Stratification::kNone);
  const SampleDraw part = DrawSample(s, half, 10, 3, Stratification::kNone);
  std::vector<uint32_t> expected;
  for (uint32_t row : all.rows) {
    if (row % 2 == 0 && expected.size() < 10) expected.push_back(row);
  }
  EXPECT_EQ(part.rows, expected);
}

TEST(SamplingTest, StratifiedAllocationIsProportional) {
  const ColumnarSnapshot s = Population(20000);
  const Bitmap all(s.size(), true);
  const SampleDraw d = DrawSample(s, all, 1000, 11, Stratification::kRegulation);
  ASSERT_EQ(d.rows.size(), 1000u);
  std::array<int64_t, kRegulationSlots> pop{};
  for (uint32_t i = 0; i < s.size(); ++i) ++pop[s.regulation[i]];
  int64_t total = 0;
  for (const auto& [key, count] : d.allocation) {
    const int reg = *ParseRegulation(key);
    const double exact = 1000.0 * static_cast<double>(pop[reg]) / 20000.0;
    EXPECT_LE(std::abs(static_cast<double>(count) - exact), 1.0) << key;
    total += count;
  }
  EXPECT_EQ(total, 1000);
  for (size_t i = 0; i < d.rows.size(); ++i) {
    EXPECT_EQ(RegulationName(s.regulation[d.rows[i]]), d.strata[i]);
  }
  // Asking for more than there is gives everyone.
  Bitmap few(s.size());
  few.Set(3);
  few.Set(9);
  EXPECT_EQ(DrawSample(s, few, 10, 1, Stratification::kMunicipality).rows.size(), 2u);
}

TEST(TargetGroupsTest, DisjointInPriorityOrder) {
  const ColumnarSnapshot s = Population(20000);
  Predicate wlz;
  wlz.field = Field::kRegulationIn;
  wlz.values = {1};
  Predicate muni;
  muni.field = Field::kMunicipalityIn;
  muni.values = {300, 301};
  std::vector<NamedCriteria> groups = {{"wlz", Where(wlz)}, {"muni", Where(muni)}, {"all", All({})}};
  CAK_EXPECT_OK(ValidateTargetGroups(groups));
  const GroupAssignment a = AssignGroups(groups, s, {kToday});
  ASSERT_EQ(a.members.size(), 3u);
  Bitmap seen(s.size());
  int64_t sum = 0;
  for (const Bitmap& m : a.members) {
    Bitmap overlap = m;
    overlap &= seen;
    EXPECT_EQ(overlap.Count(), 0);
    seen |= m;
    sum += m.Count();
  }
  EXPECT_EQ(sum, s.size());
  EXPECT_EQ(a.unassigned, 0);
  EXPECT_EQ(a.members[0].Count(), Evaluate(Where(wlz), s, {kToday}).Count());
  // The second group has only non-WLZ customers of those municipalities.
  a.members[1].ForEach([&](uint32_t i) { EXPECT_NE(s.regulation[i], 1); });

  groups[1].name = "wlz";
  EXPECT_THAT(ValidateTargetGroups(groups),
              StatusIs(absl::StatusCode::kInvalidArgument, "DUPLICATE_GROUP_NAME", "groups[1].name"));
  EXPECT_THAT(ValidateTargetGroups({}), StatusIs(absl::StatusCode::kInvalidArgument, "INVALID_GROUP_COUNT", "groups"));
}

}  // namespace
}  // namespace cak::analysis::domain
