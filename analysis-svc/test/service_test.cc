// domain::AnalysisService's target groups (DefineTargetGroups), recipient lists
// (FreezeRecipientList, with control lists and objections) and response measurement
// (MeasureResponse) at domain level: the service on the in-memory fakes of
// fake_analysis_repository.h and an injected clock, without PostgreSQL or a network. The
// populations are small and hand-built from synthetic BSNs, so every expected member, count and
// rate below is worked out by hand beside it.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <tuple>

#include "analysis-svc/src/domain/analysis_service.h"
#include "analysis-svc/src/domain/sampling.h"
#include "analysis-svc/test/fake_analysis_repository.h"
#include "common/base/errors.h"
#include "common/base/random.h"
#include "common/base/sha256.h"
#include "common/testing/call_context.h"
#include "common/testing/fake_clock.h"
#include "common/testing/status_matchers.h"

namespace cak::analysis::domain {
namespace {

using analysis::testing::FakeAnalysisRepository;
using analysis::testing::FakeOutcomeSource;
using analysis::testing::FakeSnapshotRepository;
using analysis::testing::LoggedEntry;
using analysis::testing::SyntheticCustomer;
using analysis::testing::SyntheticCustomerBsns;
using analysis::testing::SyntheticDatasets;
using common::testing::StatusIs;
using Field = Predicate::Field;

constexpr char kSignal[] = "signals/5b7f2f0e-2a43-4d7e-8c57-2f3a9d1b6e01";
constexpr char kCampaign[] = "campaigns/7c1d3a52-9b0e-4f6a-8d21-3e5f7a9b1c04";
constexpr char kPseudonymKey[] = "unit-test-pseudonym-key-of-at-least-32-bytes";
constexpr int kAmsterdam = 363, kRotterdam = 599, kUtrecht = 344;
const absl::CivilDay kToday(2026, 11, 2);  // the FakeClock's first day
// Response measurement: sent on that day, measured through two weeks later.
const absl::CivilDay kSend = kToday;
const absl::CivilDay kEnd = kToday + 14;

Criteria RegulationIn(Regulation regulation) {
  Predicate p;
  p.field = Field::kRegulationIn;
  p.values = {static_cast<int>(regulation)};
  return Where(p);
}

Criteria MunicipalityIn(int municipality) {
  Predicate p;
  p.field = Field::kMunicipalityIn;
  p.values = {municipality};
  return Where(p);
}

Criteria CustomerIn(std::vector<int32_t> bsns) {
  Predicate p;
  p.field = Field::kCustomerIn;
  p.bsns = std::move(bsns);
  return Where(p);
}

std::vector<std::string> Digits(const std::vector<int32_t>& bsns) {
  std::vector<std::string> out;
  for (int32_t b : bsns) out.push_back(FormatBsn(b));
  std::sort(out.begin(), out.end());
  return out;
}

// An entry's subjects in BSN order (the fake keeps them as written: contacted, then control).
std::vector<std::string> Sorted(std::vector<std::string> subjects) {
  std::sort(subjects.begin(), subjects.end());
  return subjects;
}

std::vector<int32_t> BsnsOf(const std::vector<MemberRef>& members) {
  std::vector<int32_t> out;
  for (const MemberRef& m : members) out.push_back(m.bsn);
  return out;
}

// The checksum a list of these members must carry: SHA-256 over "BSN\n" lines in list order.
std::string Checksum(const std::vector<int32_t>& bsns) {
  common::Sha256Stream s;
  for (int32_t b : bsns) s.Update(FormatBsn(b) + "\n");
  return s.FinalHex();
}

// The members a control share of `seed` holds back: the k smallest draw keys (list order breaks
// ties), kept in list order.
std::vector<int32_t> HeldBack(const std::vector<int32_t>& members, size_t k, uint64_t seed) {
  std::vector<std::pair<uint64_t, size_t>> keys;
  for (size_t i = 0; i < members.size(); ++i) keys.emplace_back(DrawKey(seed, members[i]), i);
  std::sort(keys.begin(), keys.end());
  std::vector<size_t> held;
  for (size_t i = 0; i < k; ++i) held.push_back(keys[i].second);
  std::sort(held.begin(), held.end());
  std::vector<int32_t> out;
  for (size_t i : held) out.push_back(members[i]);
  return out;
}

std::vector<int32_t> Without(const std::vector<int32_t>& all, const std::vector<int32_t>& some) {
  std::vector<int32_t> out;
  for (int32_t b : all) {
    if (std::find(some.begin(), some.end(), b) == some.end()) out.push_back(b);
  }
  return out;
}

common::DataSubjectHasher Pseudonymizer() { return *common::DataSubjectHasher::Create(kPseudonymKey); }

AnalysisSettings Settings() {
  AnalysisSettings s;
  s.zone = absl::UTCTimeZone();
  return s;
}

class AnalysisServiceTest : public ::testing::Test {
 protected:
  AnalysisServiceTest()
      : snapshots_(&clock_), service_(&snapshots_, &analyses_, &clock_, Pseudonymizer(), Settings(), &outcomes_) {}

  // A call as the RPC frame builds it, started now on the injected clock.
  common::CallContext Call(const std::string& id = "emp-2001",
                           std::vector<std::string> roles = {common::roles::kAnalyst}) {
    common::CallContext call = common::testing::TestCall(id, std::move(roles));
    call.start_time = clock_.Now();
    return call;
  }
  common::CallContext Designer() { return Call("emp-3001", {common::roles::kCampaignDesigner}); }

  absl::StatusOr<TargetGroupSetRecord> Define(std::vector<NamedCriteria> groups, const std::string& request_id = "",
                                              const std::string& fingerprint = "", bool* replayed = nullptr) {
    DefineGroupsRequest r;
    r.request_id = request_id;
    r.fingerprint = fingerprint;
    r.signal = kSignal;
    r.groups = std::move(groups);
    r.purpose = "Voorbeeldklanten uit signaal 2026-118 nagaan";  // (needed only where a group names customers)
    bool ignored = false;
    return service_.DefineTargetGroups(Call(), r, replayed ? replayed : &ignored);
  }

  absl::StatusOr<RecipientListRecord> Freeze(const std::string& set, const std::string& group, double share = 0,
                                             uint64_t seed = 0, const std::string& request_id = "",
                                             const std::string& fingerprint = "", bool* replayed = nullptr) {
    FreezeRequest r;
    r.request_id = request_id;
    r.fingerprint = fingerprint;
    r.target_group_set = set;
    r.group = group;
    r.control_share = share;
    r.control_seed = seed;
    bool ignored = false;
    return service_.FreezeRecipientList(Designer(), r, replayed ? replayed : &ignored);
  }

  absl::Status Object(int32_t bsn, common::ObjectionScope scope) {
    const common::ObjectionRequest r{BsnOf(bsn), common::ObjectionKind::kObjection, scope,
                                     "Wil geen post over dit onderwerp",
                                     absl::ToCivilDay(clock_.Now(), absl::UTCTimeZone())};
    return service_.RecordObjection(Call("emp-9001", {common::roles::kPrivacyOfficer}), r).status();
  }

  std::vector<int32_t> MembersOf(const std::string& list_id) { return BsnsOf(analyses_.Members(list_id)); }

  common::testing::FakeClock clock_;
  FakeSnapshotRepository snapshots_;
  FakeAnalysisRepository analyses_;
  FakeOutcomeSource outcomes_;
  AnalysisService service_;
};

// ---------------------------------------------------------------------------------------------
// Target groups and recipient lists

// Twelve customers b[0..11] (ascending synthetic BSNs) and one person who is no customer:
//   b0..b3  WLZ Amsterdam        b7..b9  WMO Amsterdam (b8 has a legal representative)
//   b4..b6  WLZ Rotterdam        b10     WMO Utrecht          b11  ONVERZEKERDEN Utrecht
// With the groups WLZ, Amsterdam, WMO, Wanbetalers in that order: WLZ = b0..b6 (7),
// Amsterdam = b7..b9 (3: b0..b3 went to WLZ first), WMO = b10 (1: b7..b9 went to Amsterdam),
// Wanbetalers = nobody, unassigned = b11.
class TargetGroupTest : public AnalysisServiceTest {
 protected:
  void SetUp() override {
    const std::vector<int32_t> all = SyntheticCustomerBsns(7, 13);
    b_.assign(all.begin(), all.begin() + 12);
    outsider_ = all[12];
    SyntheticDatasets data;
    for (int i = 0; i < 12; ++i) {
      const Regulation regulation = i < 7 ? Regulation::kWlz : i < 11 ? Regulation::kWmo : Regulation::kOnverzekerden;
      const int municipality = i < 4 ? kAmsterdam : i < 7 ? kRotterdam : i < 10 ? kAmsterdam : kUtrecht;
      data.customers.push_back(SyntheticCustomer(b_[i], regulation, municipality));
    }
    ColumnarBuilder::RelationRow representative;
    representative.seq = 1;
    representative.customer_bsn = b_[8];
    representative.kind = static_cast<uint8_t>(RelationKind::kLegalRepresentative);
    representative.routing = static_cast<uint8_t>(RoutingPreference::kRelation);
    representative.has_address = true;
    data.relations.push_back(representative);
    population_ = data;
    ASSERT_EQ(snapshots_.Publish(std::move(data)), 1);
  }

  static std::vector<NamedCriteria> Groups() {
    return {{"WLZ", RegulationIn(Regulation::kWlz)},
            {"Amsterdam", MunicipalityIn(kAmsterdam)},
            {"WMO", RegulationIn(Regulation::kWmo)},
            {"Wanbetalers", RegulationIn(Regulation::kWanbetalers)}};
  }

  std::vector<int32_t> B(int from, int to) const {
    return std::vector<int32_t>(b_.begin() + from, b_.begin() + to + 1);
  }

  std::vector<int32_t> b_;
  int32_t outsider_ = 0;
  SyntheticDatasets population_;
};

TEST_F(TargetGroupTest, DefineAssignsEachCustomerToTheFirstGroupItMatches) {
  CAK_ASSERT_OK_AND_ASSIGN(const TargetGroupSetRecord set, Define(Groups()));
  EXPECT_EQ(set.signal, kSignal);
  EXPECT_EQ(set.snapshot_version, 1);
  EXPECT_EQ(set.reference_day, kToday);  // default: today on the injected clock
  EXPECT_EQ(set.defined_by, "emp-2001");
  EXPECT_EQ(set.create_time, clock_.Now());
  ASSERT_EQ(set.impacts.size(), 4u);
  EXPECT_EQ(set.impacts[0].total, 7);
  EXPECT_EQ(set.impacts[1].total, 3);
  EXPECT_EQ(set.impacts[2].total, 1);
  EXPECT_EQ(set.impacts[3].total, 0);
  EXPECT_EQ(set.unassigned, 1);
  EXPECT_EQ(set.impacts[0].by_municipality, (std::vector<std::pair<int, int64_t>>{{kAmsterdam, 4}, {kRotterdam, 3}}));
  EXPECT_EQ(set.impacts[1].by_regulation[static_cast<int>(Regulation::kWmo)], 3);  // none of the WLZ Amsterdammers
  EXPECT_EQ(set.impacts[1].by_regulation[static_cast<int>(Regulation::kWlz)], 0);

  // Freezing each group re-evaluates it: the members are exactly the disjoint assignment.
  CAK_ASSERT_OK_AND_ASSIGN(const RecipientListRecord wlz, Freeze(set.id, "WLZ"));
  CAK_ASSERT_OK_AND_ASSIGN(const RecipientListRecord amsterdam, Freeze(set.id, "Amsterdam"));
  CAK_ASSERT_OK_AND_ASSIGN(const RecipientListRecord wmo, Freeze(set.id, "WMO"));
  EXPECT_EQ(MembersOf(wlz.id), B(0, 6));
  EXPECT_EQ(MembersOf(amsterdam.id), B(7, 9));
  EXPECT_EQ(MembersOf(wmo.id), B(10, 10));

  const std::vector<LoggedEntry> entries = analyses_.LogEntries("analysis.DefineTargetGroups");
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].written_by, "CreateTargetGroupSet");  // in the set's own transaction
  EXPECT_EQ(entries[0].actor, "emp-2001");
  EXPECT_EQ(entries[0].record.activity, common::ProcessingActivity::kAfstemmenProcesdeskundigen);
  EXPECT_EQ(entries[0].record.attributes.at("target_group_set"), set.id);
  EXPECT_EQ(entries[0].record.attributes.at("groups"), "4");
  EXPECT_EQ(entries[0].record.attributes.at("snapshot_version"), "1");
  EXPECT_TRUE(entries[0].subjects.empty());  // statistics only: the criteria name nobody
}

TEST_F(TargetGroupTest, DefineReplaysARequestIdAndRefusesItForAnotherRequest) {
  bool replayed = true;
  CAK_ASSERT_OK_AND_ASSIGN(const TargetGroupSetRecord first, Define(Groups(), "define-1", "fp-1", &replayed));
  EXPECT_FALSE(replayed);

  // A repeat answers with the first set, also after a newer snapshot replaced its own.
  clock_.Advance(absl::Hours(24));
  snapshots_.Publish(population_);
  CAK_ASSERT_OK_AND_ASSIGN(const TargetGroupSetRecord again, Define(Groups(), "define-1", "fp-1", &replayed));
  EXPECT_TRUE(replayed);
  EXPECT_EQ(again.id, first.id);
  EXPECT_EQ(again.snapshot_version, 1);
  EXPECT_EQ(again.create_time, first.create_time);
  EXPECT_EQ(analyses_.target_group_set_count(), 1u);
  EXPECT_EQ(analyses_.LogEntries("analysis.DefineTargetGroups").size(), 1u);

  // The same request_id for another request is refused, and nothing is stored.
  EXPECT_THAT(Define({{"Alleen WMO", RegulationIn(Regulation::kWmo)}}, "define-1", "fp-2"),
              StatusIs(absl::StatusCode::kInvalidArgument, common::reason::kRequestIdReused, "request_id"));
  EXPECT_EQ(analyses_.target_group_set_count(), 1u);

  // Without a request_id every request is a new set.
  CAK_ASSERT_OK_AND_ASSIGN(const TargetGroupSetRecord second, Define(Groups()));
  CAK_ASSERT_OK_AND_ASSIGN(const TargetGroupSetRecord third, Define(Groups()));
  EXPECT_NE(second.id, third.id);
  EXPECT_EQ(second.snapshot_version, 2);
  EXPECT_EQ(analyses_.target_group_set_count(), 3u);
}

TEST_F(TargetGroupTest, DefineRefusesBadInputBeforeReadingAnything) {
  DefineGroupsRequest r;
  r.signal = "signals/not-a-uuid";
  r.groups = Groups();
  bool replayed = false;
  EXPECT_THAT(service_.DefineTargetGroups(Call(), r, &replayed),
              StatusIs(absl::StatusCode::kInvalidArgument, common::reason::kInvalidResourceName, "signal"));
  r.signal = kSignal;
  r.groups.push_back({"WLZ", RegulationIn(Regulation::kWmo)});
  EXPECT_THAT(service_.DefineTargetGroups(Call(), r, &replayed),
              StatusIs(absl::StatusCode::kInvalidArgument, "DUPLICATE_GROUP_NAME", "groups[4].name"));
  r.groups = Groups();
  r.request_id = "bad\x01id";
  EXPECT_THAT(service_.DefineTargetGroups(Call(), r, &replayed),
              StatusIs(absl::StatusCode::kInvalidArgument, common::reason::kInvalidRequestId, "request_id"));
  EXPECT_EQ(snapshots_.columnar_loads(), 0);
  EXPECT_EQ(analyses_.target_group_set_count(), 0u);
  EXPECT_TRUE(analyses_.log().empty());
}

TEST_F(TargetGroupTest, CustomersTheCriteriaNameAreLoggedAsSubjects) {
  CAK_ASSERT_OK_AND_ASSIGN(const TargetGroupSetRecord set,
                           Define({{"Genoemd", CustomerIn({b_[11], outsider_})}}, "named-1", "fp-1"));
  EXPECT_EQ(set.impacts[0].total, 1);  // the outsider is no customer
  const std::vector<LoggedEntry> defined = analyses_.LogEntries("analysis.DefineTargetGroups");
  ASSERT_EQ(defined.size(), 1u);
  EXPECT_EQ(Sorted(defined[0].subjects), Digits({b_[11], outsider_}));
  // A repeat shows the criteria again: a disclosure of the same people.
  bool replayed = false;
  CAK_ASSERT_OK(Define({{"Genoemd", CustomerIn({b_[11], outsider_})}}, "named-1", "fp-1", &replayed));
  EXPECT_TRUE(replayed);
  const std::vector<LoggedEntry> shown = analyses_.LogEntries("analysis.GetTargetGroupSet");
  ASSERT_EQ(shown.size(), 1u);
  EXPECT_EQ(Sorted(shown[0].subjects), Digits({b_[11], outsider_}));
}

TEST_F(TargetGroupTest, FreezeFreezesExactlyTheGroupsMembersAndLogsThem) {
  CAK_ASSERT_OK_AND_ASSIGN(const TargetGroupSetRecord set, Define(Groups()));
  clock_.Advance(absl::Minutes(5));
  bool replayed = true;
  CAK_ASSERT_OK_AND_ASSIGN(const RecipientListRecord list,
                           Freeze(set.id, "Amsterdam", 0, 0, "freeze-1", "fp-1", &replayed));
  EXPECT_FALSE(replayed);
  EXPECT_EQ(list.target_group_set, set.id);
  EXPECT_EQ(list.group, "Amsterdam");
  EXPECT_EQ(list.snapshot_version, 1);
  EXPECT_EQ(list.member_count, 3);
  EXPECT_EQ(list.frozen_by, "emp-3001");
  EXPECT_EQ(list.create_time, clock_.Now());
  EXPECT_EQ(list.excluded_by_objection, 0);
  EXPECT_TRUE(list.control_list.empty());
  EXPECT_TRUE(list.control_of.empty());
  EXPECT_EQ(list.checksum, Checksum(B(7, 9)));

  // Positions 1..3 in the group's order, each with the addressee it is routed to.
  const std::vector<MemberRef> members = analyses_.Members(list.id);
  ASSERT_EQ(members.size(), 3u);
  EXPECT_EQ(BsnsOf(members), B(7, 9));
  EXPECT_EQ(members[0].routing, static_cast<uint8_t>(Routing::kCustomer));
  EXPECT_EQ(members[0].addressee_relation, -1);
  EXPECT_EQ(members[1].routing, static_cast<uint8_t>(Routing::kRepresentative));  // b8's representative
  EXPECT_EQ(members[1].addressee_relation, 1);

  // One entry for the decision, with every member as a subject; the list names it.
  const std::vector<LoggedEntry> entries = analyses_.LogEntries("analysis.FreezeRecipientList");
  ASSERT_EQ(entries.size(), 1u);
  const LoggedEntry& entry = entries[0];
  EXPECT_EQ(entry.written_by, "FreezeRecipientList");  // in the freeze's transaction
  EXPECT_EQ(entry.actor, "emp-3001");
  EXPECT_EQ(entry.record.status, common::ProcessingStatus::kOk);
  EXPECT_EQ(entry.record.attributes.at("recipient_list"), list.id);
  EXPECT_EQ(entry.record.attributes.at("target_group_set"), set.id);
  EXPECT_EQ(entry.record.attributes.at("members"), "3");
  EXPECT_EQ(entry.record.attributes.at("checksum"), list.checksum);
  EXPECT_EQ(entry.record.attributes.count("control_list"), 0u);
  EXPECT_EQ(Sorted(entry.subjects), Digits(B(7, 9)));
  EXPECT_EQ(list.log_entry_id, entry.id);
  CAK_ASSERT_OK_AND_ASSIGN(const RecipientListRecord read, service_.GetRecipientList(Call(), list.id));
  EXPECT_EQ(read.checksum, list.checksum);
  EXPECT_EQ(read.log_entry_id, entry.id);

  // A repeat returns the list; the request_id for another request is refused.
  CAK_ASSERT_OK_AND_ASSIGN(const RecipientListRecord again,
                           Freeze(set.id, "Amsterdam", 0, 0, "freeze-1", "fp-1", &replayed));
  EXPECT_TRUE(replayed);
  EXPECT_EQ(again.id, list.id);
  EXPECT_THAT(Freeze(set.id, "WLZ", 0, 0, "freeze-1", "fp-2"),
              StatusIs(absl::StatusCode::kInvalidArgument, common::reason::kRequestIdReused, "request_id"));
  EXPECT_EQ(analyses_.recipient_list_count(), 1u);
  EXPECT_EQ(analyses_.LogEntries("analysis.FreezeRecipientList").size(), 1u);
}

TEST_F(TargetGroupTest, FreezeLeavesOutCustomersWhoObjected) {
  CAK_ASSERT_OK_AND_ASSIGN(const TargetGroupSetRecord set, Define(Groups()));
  // After the groups were defined: b1 objects to contact, b4 to all selection, and someone who
  // is no customer objects too (not counted: never in the group).
  CAK_ASSERT_OK(Object(b_[1], common::ObjectionScope::kContact));
  CAK_ASSERT_OK(Object(b_[4], common::ObjectionScope::kAllSelection));
  CAK_ASSERT_OK(Object(outsider_, common::ObjectionScope::kContact));

  CAK_ASSERT_OK_AND_ASSIGN(const RecipientListRecord list, Freeze(set.id, "WLZ"));
  const std::vector<int32_t> expected = {b_[0], b_[2], b_[3], b_[5], b_[6]};
  EXPECT_EQ(MembersOf(list.id), expected);
  EXPECT_EQ(list.member_count, 5);
  EXPECT_EQ(list.excluded_by_objection, 2);
  EXPECT_EQ(list.checksum, Checksum(expected));
  const std::vector<LoggedEntry> entries = analyses_.LogEntries("analysis.FreezeRecipientList");
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].record.attributes.at("excluded_by_objection"), "2");
  EXPECT_EQ(Sorted(entries[0].subjects), Digits(expected));  // the objectors are not processed

  // Groups defined now count them out as well (not moved to a later group).
  CAK_ASSERT_OK_AND_ASSIGN(const TargetGroupSetRecord later, Define(Groups()));
  EXPECT_EQ(later.impacts[0].total, 5);
  EXPECT_EQ(later.impacts[0].excluded_by_objection, 2);
  EXPECT_EQ(later.impacts[1].total, 3);

  // Lifted: b1 is back in the next freeze.
  CAK_ASSERT_OK(
      service_.LiftObjection(Call("emp-9001", {common::roles::kPrivacyOfficer}), BsnOf(b_[1]), "ingetrokken"));
  CAK_ASSERT_OK_AND_ASSIGN(const RecipientListRecord after_lift, Freeze(set.id, "WLZ"));
  EXPECT_EQ(MembersOf(after_lift.id), (std::vector<int32_t>{b_[0], b_[1], b_[2], b_[3], b_[5], b_[6]}));
  EXPECT_EQ(after_lift.excluded_by_objection, 1);
}

TEST_F(TargetGroupTest, FreezeHoldsBackARoundedShareInAControlListThatNamesItsPartner) {
  CAK_ASSERT_OK_AND_ASSIGN(const TargetGroupSetRecord set, Define(Groups()));
  const std::vector<int32_t> group = B(0, 6);

  // 0.3 x 7 = 2.1: two held back, those with the smallest draw keys of seed 4242.
  bool replayed = true;
  CAK_ASSERT_OK_AND_ASSIGN(const RecipientListRecord list,
                           Freeze(set.id, "WLZ", 0.3, 4242, "split-1", "fp-1", &replayed));
  EXPECT_FALSE(replayed);
  const std::vector<int32_t> held = HeldBack(group, 2, 4242);
  const std::vector<int32_t> contacted = Without(group, held);
  ASSERT_FALSE(list.control_list.empty());
  EXPECT_TRUE(list.control_of.empty());
  EXPECT_EQ(list.member_count, 5);
  EXPECT_EQ(MembersOf(list.id), contacted);  // positions 1..5 without gaps, the group's order
  EXPECT_EQ(list.checksum, Checksum(contacted));

  CAK_ASSERT_OK_AND_ASSIGN(const RecipientListRecord control, service_.GetRecipientList(Call(), list.control_list));
  EXPECT_EQ(control.control_of, list.id);
  EXPECT_TRUE(control.control_list.empty());
  EXPECT_EQ(control.member_count, 2);
  EXPECT_EQ(MembersOf(control.id), held);
  EXPECT_EQ(control.checksum, Checksum(held));  // its own members only
  EXPECT_EQ(control.group, "WLZ");
  EXPECT_EQ(control.target_group_set, set.id);
  EXPECT_EQ(control.snapshot_version, 1);

  // One entry for both lists, with the members of both as subjects.
  const std::vector<LoggedEntry> entries = analyses_.LogEntries("analysis.FreezeRecipientList");
  ASSERT_EQ(entries.size(), 1u);
  const LoggedEntry& entry = entries[0];
  EXPECT_EQ(Sorted(entry.subjects), Digits(group));
  EXPECT_EQ(entry.record.attributes.at("members"), "5");
  EXPECT_EQ(entry.record.attributes.at("control_list"), control.id);
  EXPECT_EQ(entry.record.attributes.at("control_members"), "2");
  EXPECT_EQ(entry.record.attributes.at("control_checksum"), control.checksum);
  EXPECT_EQ(entry.record.attributes.at("control_share"), "0.3");
  EXPECT_EQ(entry.record.attributes.at("control_seed"), "4242");
  EXPECT_EQ(list.log_entry_id, entry.id);
  EXPECT_EQ(control.log_entry_id, entry.id);

  // A repeat returns the same pair and stores nothing; the same seed holds back the same members.
  CAK_ASSERT_OK_AND_ASSIGN(const RecipientListRecord repeat,
                           Freeze(set.id, "WLZ", 0.3, 4242, "split-1", "fp-1", &replayed));
  EXPECT_TRUE(replayed);
  EXPECT_EQ(repeat.id, list.id);
  EXPECT_EQ(repeat.control_list, list.control_list);
  EXPECT_EQ(analyses_.recipient_list_count(), 2u);
  EXPECT_EQ(analyses_.LogEntries("analysis.FreezeRecipientList").size(), 1u);
  CAK_ASSERT_OK_AND_ASSIGN(const RecipientListRecord same_seed, Freeze(set.id, "WLZ", 0.3, 4242, "split-2", "fp-2"));
  EXPECT_NE(same_seed.id, list.id);
  EXPECT_EQ(MembersOf(same_seed.control_list), held);

  // 0.5 x 7 = 3.5 rounds to 4 held back; 0.05 x 7 = 0.35 rounds to none: no control list.
  CAK_ASSERT_OK_AND_ASSIGN(const RecipientListRecord half, Freeze(set.id, "WLZ", 0.5, 4242));
  EXPECT_EQ(half.member_count, 3);
  EXPECT_EQ(MembersOf(half.control_list), HeldBack(group, 4, 4242));
  CAK_ASSERT_OK_AND_ASSIGN(const RecipientListRecord tiny, Freeze(set.id, "WLZ", 0.05, 4242));
  EXPECT_EQ(tiny.member_count, 7);
  EXPECT_TRUE(tiny.control_list.empty());
}

TEST_F(TargetGroupTest, FreezeRefusesAReplacedSnapshotButAnswersARepeat) {
  CAK_ASSERT_OK_AND_ASSIGN(const TargetGroupSetRecord set, Define(Groups()));
  CAK_ASSERT_OK_AND_ASSIGN(const RecipientListRecord done, Freeze(set.id, "Amsterdam", 0, 0, "freeze-1", "fp-1"));
  clock_.Advance(absl::Hours(1));
  ASSERT_EQ(snapshots_.Publish(population_), 2);  // a new import, with the same rows

  EXPECT_THAT(Freeze(set.id, "WLZ"),
              StatusIs(absl::StatusCode::kFailedPrecondition, reason::kSnapshotChanged, /*field=*/""));
  EXPECT_EQ(analyses_.recipient_list_count(), 1u);
  EXPECT_EQ(analyses_.LogEntries("analysis.FreezeRecipientList").size(), 1u);

  bool replayed = false;
  CAK_ASSERT_OK_AND_ASSIGN(const RecipientListRecord again,
                           Freeze(set.id, "Amsterdam", 0, 0, "freeze-1", "fp-1", &replayed));
  EXPECT_TRUE(replayed);
  EXPECT_EQ(again.id, done.id);
  EXPECT_EQ(again.snapshot_version, 1);
}

TEST_F(TargetGroupTest, FreezeRefusesUnknownAndEmptyGroupsAndSharesOutsideTheRange) {
  CAK_ASSERT_OK_AND_ASSIGN(const TargetGroupSetRecord set, Define(Groups()));
  EXPECT_THAT(Freeze(common::NewUuid(), "WLZ"),
              StatusIs(absl::StatusCode::kNotFound, reason::kTargetGroupSetNotFound, ""));
  EXPECT_THAT(Freeze(set.id, "Onbekend"),
              StatusIs(absl::StatusCode::kInvalidArgument, reason::kGroupNotFound, "group"));
  EXPECT_THAT(Freeze(set.id, "Wanbetalers"), StatusIs(absl::StatusCode::kFailedPrecondition, reason::kEmptyGroup, ""));
  // WMO has one member: 0.5 x 1 = 0.5 rounds to 1 held back, and no one would be contacted.
  EXPECT_THAT(Freeze(set.id, "WMO", 0.5, 1), StatusIs(absl::StatusCode::kFailedPrecondition, reason::kEmptyGroup, ""));
  for (double bad : {0.51, -0.1, 1.0, std::nan(""), std::numeric_limits<double>::infinity()}) {
    EXPECT_THAT(Freeze(set.id, "WLZ", bad, 1),
                StatusIs(absl::StatusCode::kInvalidArgument, common::reason::kInvalidFieldValue, "control_share"))
        << bad;
  }
  // Its only member objected: nobody left.
  CAK_ASSERT_OK(Object(b_[10], common::ObjectionScope::kContact));
  EXPECT_THAT(Freeze(set.id, "WMO"), StatusIs(absl::StatusCode::kFailedPrecondition, reason::kEmptyGroup, ""));
  EXPECT_EQ(analyses_.recipient_list_count(), 0u);
  EXPECT_TRUE(analyses_.LogEntries("analysis.FreezeRecipientList").empty());
}

TEST_F(TargetGroupTest, AFreezeThatCouldNotBeStoredIsLoggedAsFailed) {
  CAK_ASSERT_OK_AND_ASSIGN(const TargetGroupSetRecord set, Define(Groups()));
  analyses_.FailNextFreeze(common::MakeError(absl::StatusCode::kUnavailable, common::reason::kDatabaseUnavailable,
                                             "the database went away"));
  EXPECT_THAT(Freeze(set.id, "WLZ", 0, 0, "freeze-1", "fp-1"),
              StatusIs(absl::StatusCode::kUnavailable, common::reason::kDatabaseUnavailable, ""));
  EXPECT_EQ(analyses_.recipient_list_count(), 0u);
  const std::vector<LoggedEntry> entries = analyses_.LogEntries("analysis.FreezeRecipientList");
  ASSERT_EQ(entries.size(), 1u);
  // A transaction of its own, naming every member it was about to freeze (as subject rows: a
  // list may have half a million members), so that a search by person finds it.
  EXPECT_EQ(entries[0].written_by, "AppendLogWithSubjectRows");
  EXPECT_EQ(entries[0].record.status, common::ProcessingStatus::kError);
  EXPECT_EQ(entries[0].record.attributes.at("error_code"), "UNAVAILABLE");
  EXPECT_EQ(entries[0].record.attributes.at("error_reason"), common::reason::kDatabaseUnavailable);
  EXPECT_EQ(entries[0].record.attributes.at("members"), "7");
  EXPECT_EQ(Sorted(entries[0].subjects), Digits(B(0, 6)));

  // With a control list: the members of both lists.
  analyses_.FailNextFreeze(common::MakeError(absl::StatusCode::kUnavailable, common::reason::kDatabaseUnavailable,
                                             "the database went away"));
  EXPECT_THAT(Freeze(set.id, "WLZ", 0.3, 4242),
              StatusIs(absl::StatusCode::kUnavailable, common::reason::kDatabaseUnavailable, ""));
  const std::vector<LoggedEntry> with_control = analyses_.LogEntries("analysis.FreezeRecipientList");
  ASSERT_EQ(with_control.size(), 2u);
  EXPECT_EQ(with_control[1].record.status, common::ProcessingStatus::kError);
  EXPECT_EQ(with_control[1].record.attributes.at("members"), "5");
  EXPECT_EQ(with_control[1].record.attributes.at("control_members"), "2");
  EXPECT_EQ(Sorted(with_control[1].subjects), Digits(B(0, 6)));
  EXPECT_EQ(analyses_.recipient_list_count(), 0u);

  // Nothing was claimed: the retry freezes.
  bool replayed = true;
  CAK_ASSERT_OK(Freeze(set.id, "WLZ", 0, 0, "freeze-1", "fp-1", &replayed));
  EXPECT_FALSE(replayed);
  EXPECT_EQ(analyses_.recipient_list_count(), 1u);
}

// ---------------------------------------------------------------------------------------------
// Response measurement

// Ten WLZ customers in Amsterdam and two WMO customers in Utrecht, all born 1950-01-01. Group
// "Brief" (WLZ) is frozen on 2026-11-02 with a control share of 0.2 (seed 77): 8 contacted
// c[0..7] at positions 1..8 and 2 held back k[0..1]; group "Bellen" (WMO) without control: w[0],
// w[1]. Then a new import (snapshot 2) brings the contact reports and no longer has c7:
//   c0 LETTER on the send date S and PHONE on S+3  -> responded, first LETTER, week 1, 2 contacts
//   c1 PHONE on S-1                               -> before the send date: no
//   c2 PHONE on the end date E                    -> responded, PHONE, week 3 (E = S+14)
//   c3 WEBSITE on S+8, not reached                -> responded, WEBSITE, week 2
//   c4 PHONE on E+1                               -> after the end date: no
//   c5, c6 nothing; c7 not found (gone from the snapshot; its report goes with it)
//   k0 PHONE on S+2 -> responded (control);  k1 nothing
//   w0 PHONE on S+7 (its group's send date) -> responded;  w1 PHONE on S+6: before it, no
class MeasureResponseTest : public AnalysisServiceTest {
 protected:
  static constexpr uint64_t kControlSeed = 77;

  void SetUp() override {
    const std::vector<int32_t> bsns = SyntheticCustomerBsns(11, 12);
    SyntheticDatasets data;
    for (int i = 0; i < 12; ++i) {
      data.customers.push_back(i < 10 ? SyntheticCustomer(bsns[i], Regulation::kWlz, kAmsterdam, 19500101)
                                      : SyntheticCustomer(bsns[i], Regulation::kWmo, kUtrecht, 19500101));
    }
    ASSERT_EQ(snapshots_.Publish(data), 1);
    CAK_ASSERT_OK_AND_ASSIGN(const TargetGroupSetRecord set, Define({{"Brief", RegulationIn(Regulation::kWlz)},
                                                                     {"Bellen", RegulationIn(Regulation::kWmo)}}));
    CAK_ASSERT_OK_AND_ASSIGN(list_, Freeze(set.id, "Brief", 0.2, kControlSeed));
    CAK_ASSERT_OK_AND_ASSIGN(calls_, Freeze(set.id, "Bellen"));
    CAK_ASSERT_OK_AND_ASSIGN(control_, service_.GetRecipientList(Call(), list_.control_list));
    c_ = MembersOf(list_.id);
    k_ = MembersOf(control_.id);
    w_ = MembersOf(calls_.id);
    ASSERT_EQ(c_.size(), 8u);
    ASSERT_EQ(k_.size(), 2u);
    ASSERT_EQ(w_.size(), 2u);

    SyntheticDatasets later;
    for (const auto& row : data.customers) {
      if (row.bsn != c_[7]) later.customers.push_back(row);
    }
    using C = ContactChannel;
    later.contacts = {
        {c_[0], C::kLetter, kSend},    {c_[0], C::kPhone, kSend + 3},          {c_[1], C::kPhone, kSend - 1},
        {c_[2], C::kPhone, kEnd},      {c_[3], C::kWebsite, kSend + 8, false}, {c_[4], C::kPhone, kEnd + 1},
        {c_[7], C::kPhone, kSend + 1}, {k_[0], C::kPhone, kSend + 2},          {w_[0], C::kPhone, kSend + 7},
        {w_[1], C::kPhone, kSend + 6}};
    clock_.Set(absl::FromCivil(absl::CivilSecond(2026, 11, 20, 9, 0, 0), absl::UTCTimeZone()));
    ASSERT_EQ(snapshots_.Publish(std::move(later)), 2);
  }

  // Outcomes of dispatch order "order-1" for the contacted list (newest per position counts):
  //   1 printed; 2 printed, then returned (returned); 3 printed; 4 returned, and an older
  //   printed reported later (returned); 5 printed; 6..8 none. Another list's outcome and a
  //   position outside the list are ignored.
  void AddOutcomes() {
    const absl::Time t0 = absl::FromCivil(absl::CivilSecond(2026, 11, 3, 10, 0, 0), absl::UTCTimeZone());
    const absl::Time t1 = t0 + absl::Hours(24);
    using O = DeliveryOutcome;
    outcomes_.Add("order-1", list_.id, 1, O::kLetterPrinted, t0);
    outcomes_.Add("order-1", list_.id, 2, O::kLetterPrinted, t0);
    outcomes_.Add("order-1", list_.id, 2, O::kLetterReturnedUndeliverable, t1);
    outcomes_.Add("order-1", list_.id, 3, O::kLetterPrinted, t0);
    outcomes_.Add("order-1", list_.id, 4, O::kLetterReturnedUndeliverable, t1);
    outcomes_.Add("order-1", list_.id, 4, O::kLetterPrinted, t0);
    outcomes_.Add("order-1", list_.id, 5, O::kLetterPrinted, t0);
    outcomes_.Add("order-1", control_.id, 1, O::kLetterPrinted, t0);
    outcomes_.Add("order-1", list_.id, 99, O::kLetterPrinted, t0);
  }

  static MeasuredGroup Group(const std::string& list, std::optional<absl::CivilDay> send,
                             const std::string& control = "", const std::string& order = "") {
    MeasuredGroup g;
    g.list_id = list;
    g.control_list = control;
    g.dispatch_order = order;
    g.send_day = send;
    return g;
  }

  MeasureRequest Request(std::vector<MeasuredGroup> groups) {
    MeasureRequest r;
    r.campaign = kCampaign;
    r.groups = std::move(groups);
    r.end_day = kEnd;
    return r;
  }

  absl::StatusOr<MeasureOutcome> Measure(const MeasureRequest& request) {
    return service_.MeasureResponse(Call("emp-4001", {common::roles::kApprover}), request);
  }

  static std::string Pseudonym(int32_t bsn) { return Pseudonymizer().Hash(BsnOf(bsn)).substr(0, 16); }

  RecipientListRecord list_, control_, calls_;
  std::vector<int32_t> c_, k_, w_;
};

TEST_F(MeasureResponseTest, RefusesBadRequestsWithTheirFieldsAndLogsNothing) {
  EXPECT_THAT(Measure(Request({})),
              StatusIs(absl::StatusCode::kInvalidArgument, common::reason::kRequiredFieldMissing, "groups"));
  EXPECT_THAT(Measure(Request(std::vector<MeasuredGroup>(kMaxMeasuredGroups + 1, Group(list_.id, kSend)))),
              StatusIs(absl::StatusCode::kInvalidArgument, common::reason::kInvalidFieldValue, "groups"));
  EXPECT_THAT(
      Measure(Request({Group(list_.id, kSend), Group(calls_.id, std::nullopt)})),
      StatusIs(absl::StatusCode::kInvalidArgument, common::reason::kRequiredFieldMissing, "groups[1].send_date"));
  EXPECT_THAT(Measure(Request({Group(list_.id, kSend), Group(calls_.id, kEnd + 1)})),
              StatusIs(absl::StatusCode::kInvalidArgument, reason::kEndBeforeSendDate, "end_date"));
  // Without an end date the end is today (2026-11-20): a later send date is the one to blame.
  MeasureRequest no_end = Request({Group(list_.id, kToday + 19)});
  no_end.end_day.reset();
  EXPECT_THAT(Measure(no_end),
              StatusIs(absl::StatusCode::kInvalidArgument, reason::kEndBeforeSendDate, "groups[0].send_date"));
  for (int bad : {-1, kMaxResponseSample + 1}) {
    MeasureRequest r = Request({Group(list_.id, kSend)});
    r.sample_size = bad;
    EXPECT_THAT(Measure(r),
                StatusIs(absl::StatusCode::kInvalidArgument, common::reason::kInvalidFieldValue, "sample_size"));
  }
  // A control list held back from another list, or a list that is no control list at all.
  EXPECT_THAT(Measure(Request({Group(list_.id, kSend), Group(calls_.id, kSend, control_.id)})),
              StatusIs(absl::StatusCode::kInvalidArgument, reason::kControlListMismatch, "groups[1].control_list"));
  EXPECT_THAT(Measure(Request({Group(list_.id, kSend, calls_.id)})),
              StatusIs(absl::StatusCode::kInvalidArgument, reason::kControlListMismatch, "groups[0].control_list"));
  EXPECT_THAT(Measure(Request({Group(list_.id, kSend), Group(common::NewUuid(), kSend)})),
              StatusIs(absl::StatusCode::kNotFound, reason::kRecipientListNotFound, "groups[1].recipient_list"));
  EXPECT_THAT(Measure(Request({Group(list_.id, kSend, common::NewUuid())})),
              StatusIs(absl::StatusCode::kNotFound, reason::kRecipientListNotFound, "groups[0].control_list"));

  // Outcomes named without a dispatch-svc to ask.
  AnalysisService without_dispatch(&snapshots_, &analyses_, &clock_, Pseudonymizer(), Settings(), nullptr);
  EXPECT_THAT(
      without_dispatch.MeasureResponse(Call(), Request({Group(list_.id, kSend, "", "order-1")})),
      StatusIs(absl::StatusCode::kFailedPrecondition, reason::kDispatchNotConfigured, "groups[0].dispatch_order"));
  EXPECT_TRUE(outcomes_.calls().empty());
  EXPECT_TRUE(analyses_.LogEntries("analysis.MeasureResponse").empty());
}

// dispatch-svc's answers arrive beside the members' BSNs: a measurement refused for them has
// read personal data, and is logged as failed (status ERROR, a transaction of its own) with the
// members it read as subjects, as the measurement's own entry would have named them.
TEST_F(MeasureResponseTest, ADispatchFailureAfterTheMembersWereReadIsLoggedNamingThem) {
  outcomes_.SetUnavailable(true);
  EXPECT_THAT(Measure(Request({Group(list_.id, kSend, "", "order-1")})),
              StatusIs(absl::StatusCode::kUnavailable, reason::kDispatchUnavailable, ""));
  std::vector<LoggedEntry> entries = analyses_.LogEntries("analysis.MeasureResponse");
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].written_by, "AppendLogWithSubjectRows");
  EXPECT_EQ(entries[0].actor, "emp-4001");
  EXPECT_EQ(entries[0].record.status, common::ProcessingStatus::kError);
  EXPECT_EQ(entries[0].record.attributes.at("error_code"), "UNAVAILABLE");
  EXPECT_EQ(entries[0].record.attributes.at("error_reason"), reason::kDispatchUnavailable);
  EXPECT_EQ(entries[0].record.attributes.at("recipient_lists"), list_.id);
  EXPECT_EQ(entries[0].record.attributes.at("control_lists"), control_.id);
  EXPECT_EQ(entries[0].record.attributes.at("dispatch_orders"), "order-1");
  // Both lists were read: the freeze's subjects, by reference.
  EXPECT_EQ(entries[0].subject_refs, std::vector<int64_t>{list_.log_entry_id});
  EXPECT_TRUE(entries[0].subjects.empty());
  std::vector<int32_t> brief = c_;
  brief.insert(brief.end(), k_.begin(), k_.end());
  EXPECT_EQ(analyses_.AllSubjects(entries[0].id), Digits(brief));
  outcomes_.SetUnavailable(false);

  // An order dispatch-svc does not know, in the second group: the first group's members (of a
  // list whose freeze entry is gone: subject rows of its own) were read too.
  analyses_.ForgetLogEntry(calls_.log_entry_id);
  EXPECT_THAT(Measure(Request({Group(calls_.id, kSend), Group(list_.id, kSend, "", "order-2")})),
              StatusIs(absl::StatusCode::kNotFound, "DISPATCH_ORDER_NOT_FOUND", "groups[1].dispatch_order"));
  entries = analyses_.LogEntries("analysis.MeasureResponse");
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[1].record.status, common::ProcessingStatus::kError);
  EXPECT_EQ(entries[1].record.attributes.at("error_code"), "NOT_FOUND");
  EXPECT_EQ(entries[1].record.attributes.at("error_reason"), "DISPATCH_ORDER_NOT_FOUND");
  EXPECT_EQ(entries[1].subject_refs, std::vector<int64_t>{list_.log_entry_id});
  EXPECT_EQ(Sorted(entries[1].subjects), Digits(w_));
}

TEST_F(MeasureResponseTest, AStorageFailureIsLoggedNamingTheMembersReadBeforeIt) {
  const absl::Status down =
      common::MakeError(absl::StatusCode::kUnavailable, common::reason::kDatabaseUnavailable, "the database went away");
  // Nothing read (the only list's read failed): nothing logged.
  analyses_.FailNextMemberBsns(calls_.id, down);
  EXPECT_THAT(Measure(Request({Group(calls_.id, kSend)})),
              StatusIs(absl::StatusCode::kUnavailable, common::reason::kDatabaseUnavailable, ""));
  EXPECT_TRUE(analyses_.LogEntries("analysis.MeasureResponse").empty());

  // The control list could not be read, the contacted list was: its members only, as rows (the
  // freeze's entry would name the control members too).
  analyses_.FailNextMemberBsns(control_.id, down);
  EXPECT_THAT(Measure(Request({Group(list_.id, kSend)})),
              StatusIs(absl::StatusCode::kUnavailable, common::reason::kDatabaseUnavailable, ""));
  std::vector<LoggedEntry> entries = analyses_.LogEntries("analysis.MeasureResponse");
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].written_by, "AppendLogWithSubjectRows");
  EXPECT_EQ(entries[0].record.status, common::ProcessingStatus::kError);
  EXPECT_EQ(entries[0].record.attributes.at("error_code"), "UNAVAILABLE");
  EXPECT_EQ(entries[0].record.attributes.at("error_reason"), common::reason::kDatabaseUnavailable);
  EXPECT_TRUE(entries[0].subject_refs.empty());
  EXPECT_EQ(Sorted(entries[0].subjects), Digits(c_));

  // And the other way round: the control members only.
  analyses_.FailNextMemberBsns(list_.id, down);
  EXPECT_THAT(Measure(Request({Group(list_.id, kSend)})),
              StatusIs(absl::StatusCode::kUnavailable, common::reason::kDatabaseUnavailable, ""));
  entries = analyses_.LogEntries("analysis.MeasureResponse");
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_TRUE(entries[1].subject_refs.empty());
  EXPECT_EQ(Sorted(entries[1].subjects), Digits(k_));

  // Everything was measured, but its entry could not be written: the ERROR entry has its
  // subjects (the one before it rolled back).
  analyses_.FailNextAppendLogWithSubjectRows(down);
  EXPECT_THAT(Measure(Request({Group(list_.id, kSend), Group(calls_.id, kSend)})),
              StatusIs(absl::StatusCode::kUnavailable, common::reason::kDatabaseUnavailable, ""));
  entries = analyses_.LogEntries("analysis.MeasureResponse");
  ASSERT_EQ(entries.size(), 3u);
  EXPECT_EQ(entries[2].record.status, common::ProcessingStatus::kError);
  EXPECT_EQ(entries[2].record.attributes.at("error_reason"), common::reason::kDatabaseUnavailable);
  std::vector<int64_t> freezes = {list_.log_entry_id, calls_.log_entry_id};
  std::sort(freezes.begin(), freezes.end());
  EXPECT_EQ(entries[2].subject_refs, freezes);
  EXPECT_TRUE(entries[2].subjects.empty());
}

TEST_F(MeasureResponseTest, MeasuresHandCountedResponseControlAndOutcomes) {
  AddOutcomes();
  MeasuredGroup letters = Group(list_.id, kSend, "", "order-1");  // its own control list by default
  letters.channel = static_cast<int>(ActionChannel::kLetter);
  MeasuredGroup phone = Group(calls_.id, kSend + 7);
  phone.group = "Bellen (week 2)";
  phone.channel = static_cast<int>(ActionChannel::kCall);
  CAK_ASSERT_OK_AND_ASSIGN(const MeasureOutcome out, Measure(Request({letters, phone})));
  EXPECT_EQ(out.campaign, kCampaign);
  EXPECT_EQ(out.snapshot_version, 2);  // the current snapshot, not the one frozen on
  EXPECT_EQ(out.end_day, kEnd);
  EXPECT_EQ(out.measure_time, clock_.Now());
  ASSERT_EQ(out.groups.size(), 2u);

  // "Brief": 8 contacted, c7 not found; responders c0, c2, c3 of 7 found; control k0 of 2.
  const GroupResponse& g = out.groups[0];
  EXPECT_EQ(g.group, "Brief");  // the list's group when the request names none
  EXPECT_EQ(g.channel, static_cast<int>(ActionChannel::kLetter));
  EXPECT_EQ(g.send_day, kSend);
  EXPECT_EQ(g.contacted, 8);
  EXPECT_EQ(g.not_found, 1);
  EXPECT_EQ(g.response.numerator, 3);
  EXPECT_EQ(g.response.denominator, 7);
  EXPECT_EQ(g.control_response.numerator, 1);
  EXPECT_EQ(g.control_response.denominator, 2);
  ASSERT_TRUE(g.difference.has_value());
  const double p1 = 3.0 / 7, p0 = 0.5;
  const double se = std::sqrt(p1 * (1 - p1) / 7 + p0 * (1 - p0) / 2);
  EXPECT_NEAR(g.difference->value, p1 - p0, 1e-12);
  EXPECT_NEAR(g.difference->ci_low, p1 - p0 - kZ95 * se, 1e-12);
  EXPECT_NEAR(g.difference->ci_high, p1 - p0 + kZ95 * se, 1e-12);
  // First responses: c2 PHONE, c0 LETTER, c3 WEBSITE; each 1 of 7 found.
  ASSERT_EQ(g.by_channel.size(), 4u);
  const std::vector<std::pair<ContactChannel, int64_t>> channels = {{ContactChannel::kPhone, 1},
                                                                    {ContactChannel::kLetter, 1},
                                                                    {ContactChannel::kEmail, 0},
                                                                    {ContactChannel::kWebsite, 1}};
  for (size_t i = 0; i < channels.size(); ++i) {
    EXPECT_EQ(g.by_channel[i].channel, static_cast<int>(channels[i].first));
    EXPECT_EQ(g.by_channel[i].responders, channels[i].second);
    EXPECT_DOUBLE_EQ(g.by_channel[i].rate, static_cast<double>(channels[i].second) / 7);
  }
  // Weeks S.., S+7.., S+14 (E): c0 in week 1, c3 in 2, c2 in 3; the control's k0 in week 1.
  ASSERT_EQ(g.by_week.size(), 3u);
  for (int w = 0; w < 3; ++w) {
    EXPECT_EQ(g.by_week[w].week, w + 1);
    EXPECT_EQ(g.by_week[w].week_start, kSend + 7 * w);
    EXPECT_EQ(g.by_week[w].new_responders, 1);
    EXPECT_DOUBLE_EQ(g.by_week[w].cumulative_rate, (w + 1) / 7.0);
    EXPECT_DOUBLE_EQ(g.by_week[w].control_cumulative_rate, 0.5);
  }
  // Printed 1, 3, 5; returned 2, 4; none 6, 7, 8. Delivered and found: c0, c2 (responded), c4.
  ASSERT_EQ(g.outcomes.size(), 3u);
  EXPECT_EQ(g.outcomes[0].outcome, "LETTER_PRINTED");
  EXPECT_EQ(g.outcomes[0].count, 3);
  EXPECT_EQ(g.outcomes[1].outcome, "LETTER_RETURNED_UNDELIVERABLE");
  EXPECT_EQ(g.outcomes[1].count, 2);
  EXPECT_EQ(g.outcomes[2].outcome, "NO_OUTCOME");
  EXPECT_EQ(g.outcomes[2].count, 3);
  EXPECT_EQ(g.response_when_delivered.numerator, 2);
  EXPECT_EQ(g.response_when_delivered.denominator, 3);

  // "Bellen" from S+7 through E (two weeks): w0 responded on its send date, w1 the day before.
  const GroupResponse& h = out.groups[1];
  EXPECT_EQ(h.group, "Bellen (week 2)");
  EXPECT_EQ(h.channel, static_cast<int>(ActionChannel::kCall));
  EXPECT_EQ(h.contacted, 2);
  EXPECT_EQ(h.not_found, 0);
  EXPECT_EQ(h.response.numerator, 1);
  EXPECT_EQ(h.response.denominator, 2);
  EXPECT_EQ(h.control_response.denominator, 0);
  EXPECT_FALSE(h.difference.has_value());
  EXPECT_TRUE(h.outcomes.empty());
  ASSERT_EQ(h.by_week.size(), 2u);
  EXPECT_EQ(h.by_week[0].new_responders, 1);
  EXPECT_DOUBLE_EQ(h.by_week[1].cumulative_rate, 0.5);

  // Totals: 3 + 1 of 7 + 2; control 1 of 2 (only "Brief" has one).
  EXPECT_EQ(out.total_response.numerator, 4);
  EXPECT_EQ(out.total_response.denominator, 9);
  EXPECT_EQ(out.total_control_response.numerator, 1);
  EXPECT_EQ(out.total_control_response.denominator, 2);
  EXPECT_EQ(outcomes_.calls(), std::vector<std::string>{"order-1"});

  // The sample (default 20): every found responder and non-responder of the contacted lists,
  // pseudonymised, in draw-key order.
  auto draw_order = [](std::vector<std::tuple<int32_t, size_t, int>> members) {
    std::sort(members.begin(), members.end(), [](const auto& a, const auto& b) {
      return std::make_tuple(DrawKey(0, std::get<0>(a)), std::get<1>(a), std::get<2>(a)) <
             std::make_tuple(DrawKey(0, std::get<0>(b)), std::get<1>(b), std::get<2>(b));
    });
    std::vector<std::string> out;
    for (const auto& m : members) out.push_back(Pseudonym(std::get<0>(m)));
    return out;
  };
  auto pseudonyms = [](const std::vector<ResponseSampleView>& views) {
    std::vector<std::string> out;
    for (const ResponseSampleView& v : views) out.push_back(v.pseudonym);
    return out;
  };
  EXPECT_EQ(pseudonyms(out.responders), draw_order({{c_[0], 0, 1}, {c_[2], 0, 3}, {c_[3], 0, 4}, {w_[0], 1, 1}}));
  EXPECT_EQ(pseudonyms(out.non_responders),
            draw_order({{c_[1], 0, 2}, {c_[4], 0, 5}, {c_[5], 0, 6}, {c_[6], 0, 7}, {w_[1], 1, 2}}));
  for (const ResponseSampleView& v : out.responders) {
    EXPECT_EQ(v.pseudonym.size(), 16u);
    EXPECT_TRUE(v.responded);
    EXPECT_EQ(v.age_years, 76);  // on the end date
    if (v.pseudonym == Pseudonym(c_[0])) {
      EXPECT_EQ(v.group, "Brief");
      EXPECT_EQ(v.first_response_day, kSend);
      EXPECT_EQ(v.first_response_channel, static_cast<int>(ContactChannel::kLetter));
      EXPECT_EQ(v.contacts, 2);
      EXPECT_EQ(v.outcome, "LETTER_PRINTED");
      EXPECT_EQ(v.regulation, static_cast<int>(Regulation::kWlz));
      EXPECT_EQ(v.municipality, kAmsterdam);
      EXPECT_EQ(v.routing, static_cast<int>(Routing::kCustomer));
    }
    if (v.pseudonym == Pseudonym(w_[0])) {
      EXPECT_EQ(v.group, "Bellen (week 2)");
      EXPECT_EQ(v.outcome, "");  // no dispatch order
    }
  }
  for (const ResponseSampleView& v : out.non_responders) {
    EXPECT_FALSE(v.responded);
    EXPECT_FALSE(v.first_response_day.has_value());
    if (v.pseudonym == Pseudonym(c_[1])) {
      EXPECT_EQ(v.contacts, 0);  // its report was before the send date
      EXPECT_EQ(v.outcome, "LETTER_RETURNED_UNDELIVERABLE");
    }
  }

  // One entry; its subjects are every member of the three lists, by reference to the two freeze
  // entries (no subject rows of its own).
  const std::vector<LoggedEntry> entries = analyses_.LogEntries("analysis.MeasureResponse");
  ASSERT_EQ(entries.size(), 1u);
  const LoggedEntry& entry = entries[0];
  EXPECT_EQ(entry.written_by, "AppendLogWithSubjectRows");
  EXPECT_EQ(entry.actor, "emp-4001");
  EXPECT_EQ(entry.record.activity, common::ProcessingActivity::kResponsmeting);
  std::vector<int64_t> freezes = {list_.log_entry_id, calls_.log_entry_id};
  std::sort(freezes.begin(), freezes.end());
  EXPECT_EQ(entry.subject_refs, freezes);
  EXPECT_TRUE(entry.subjects.empty());
  std::vector<int32_t> everyone = c_;
  everyone.insert(everyone.end(), k_.begin(), k_.end());
  everyone.insert(everyone.end(), w_.begin(), w_.end());
  EXPECT_EQ(analyses_.AllSubjects(entry.id), Digits(everyone));
  EXPECT_EQ(entry.record.attributes.at("campaign"), kCampaign);
  EXPECT_EQ(entry.record.attributes.at("recipient_lists"), list_.id + "," + calls_.id);
  EXPECT_EQ(entry.record.attributes.at("control_lists"), control_.id);
  EXPECT_EQ(entry.record.attributes.at("dispatch_orders"), "order-1");
  EXPECT_EQ(entry.record.attributes.at("end_date"), "2026-11-16");
  EXPECT_EQ(entry.record.attributes.at("snapshot_version"), "2");
  EXPECT_EQ(entry.record.attributes.at("sample_members"), "9");
}

TEST_F(MeasureResponseTest, TheSampleIsTheSmallestDrawKeysOfItsSeed) {
  MeasureRequest r = Request({Group(list_.id, kSend)});
  r.sample_size = 2;
  r.sample_seed = 99;
  CAK_ASSERT_OK_AND_ASSIGN(const MeasureOutcome out, Measure(r));
  auto smallest_two = [](std::vector<int32_t> bsns) {
    std::sort(bsns.begin(), bsns.end(), [](int32_t a, int32_t b) { return DrawKey(99, a) < DrawKey(99, b); });
    return std::vector<std::string>{Pseudonym(bsns[0]), Pseudonym(bsns[1])};
  };
  ASSERT_EQ(out.responders.size(), 2u);
  ASSERT_EQ(out.non_responders.size(), 2u);
  EXPECT_EQ((std::vector<std::string>{out.responders[0].pseudonym, out.responders[1].pseudonym}),
            smallest_two({c_[0], c_[2], c_[3]}));
  EXPECT_EQ((std::vector<std::string>{out.non_responders[0].pseudonym, out.non_responders[1].pseudonym}),
            smallest_two({c_[1], c_[4], c_[5], c_[6]}));
  EXPECT_EQ(analyses_.LogEntries("analysis.MeasureResponse").at(0).record.attributes.at("sample_members"), "4");
}

TEST_F(MeasureResponseTest, TheEndDateDefaultsToToday) {
  MeasureRequest r = Request({Group(list_.id, kSend)});
  r.end_day.reset();
  CAK_ASSERT_OK_AND_ASSIGN(const MeasureOutcome out, Measure(r));
  EXPECT_EQ(out.end_day, absl::CivilDay(2026, 11, 20));
  EXPECT_EQ(out.groups[0].response.numerator, 4);  // c4's report on E+1 counts now
  EXPECT_EQ(out.groups[0].response.denominator, 7);
}

TEST_F(MeasureResponseTest, MembersOfListsWithoutAFreezeEntryAreNamedByTheMeasurement) {
  // The log's purge took the "Bellen" freeze entry; a purge emptied position 2 of "Brief".
  analyses_.ForgetLogEntry(calls_.log_entry_id);
  analyses_.RemoveMember(list_.id, 2);
  CAK_ASSERT_OK_AND_ASSIGN(const MeasureOutcome out,
                           Measure(Request({Group(list_.id, kSend, control_.id), Group(calls_.id, kSend)})));
  EXPECT_EQ(out.groups[0].not_found, 2);  // c1 (removed from the list) and c7 (gone from the snapshot)
  EXPECT_EQ(out.groups[0].response.denominator, 6);
  const std::vector<LoggedEntry> entries = analyses_.LogEntries("analysis.MeasureResponse");
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].subject_refs, std::vector<int64_t>{list_.log_entry_id});
  EXPECT_EQ(Sorted(entries[0].subjects), Digits(w_));
}

// A member the retention purge removed (MemberBsns reads 0 for it) of a list whose freeze entry
// is gone too: the measurement names the others and counts the gone one as not found.
TEST_F(MeasureResponseTest, AGoneMemberOfAListWithoutAFreezeEntryIsNamedByNobody) {
  analyses_.ForgetLogEntry(list_.log_entry_id);
  analyses_.RemoveMember(list_.id, 2);
  CAK_ASSERT_OK_AND_ASSIGN(const MeasureOutcome out, Measure(Request({Group(list_.id, kSend, control_.id)})));
  EXPECT_EQ(out.groups[0].not_found, 2);  // c1 (removed from the list) and c7 (gone from the snapshot)
  const std::vector<LoggedEntry> entries = analyses_.LogEntries("analysis.MeasureResponse");
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_TRUE(entries[0].subject_refs.empty());
  EXPECT_EQ(entries[0].subjects.size(), 9u);  // the list's 8 and its control list's 2, less the gone one
}

}  // namespace
}  // namespace cak::analysis::domain
