// GDPR art. 15 over gRPC: the privacy officer gets a copy of what analysis-svc holds about one
// customer (record, relations, mailings, contacts, samples, frozen lists), the access is logged,
// and refusals write nothing.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "analysis-svc/test/analysis_test_server.h"
#include "cak/voorlichting/privacy/v1/data_subject_service.grpc.pb.h"
#include "cak/voorlichting/privacy/v1/subject_removal_service.grpc.pb.h"
#include "common/base/bsn.h"
#include "common/base/data_subject_hasher.h"
#include "common/testing/status_matchers.h"

namespace cak::analysis {
namespace {

using common::testing::ContextFor;
using common::testing::GrpcStatusIs;
using common::testing::TestCaller;
namespace pb = testing::pb;
namespace privacy = cak::voorlichting::privacy::v1;

const TestCaller kAnalyst{"emp-2001", {"analyst"}};
const TestCaller kDesigner{"emp-3001", {"campaign_designer"}};
const TestCaller kPrivacy{"emp-9001", {"privacy_officer"}};
const TestCaller kDispatch{"dispatch-svc", {"dispatch_service"}, true};
const TestCaller kIntake{"intake-svc", {"intake_service"}, true};

class SubjectApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = testing::AnalysisTestServer::Start();
    ASSERT_TRUE(s.ok()) << s.status();
    server_ = *std::move(s);
    CAK_ASSERT_OK(server_->ImportGenerated());
    subjects_ = privacy::DataSubjectService::NewStub(common::testing::LocalChannel(server_->server().grpc_port()));
  }

  std::string Query(const std::string& sql) {
    auto r = server_->schema().Query(sql);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : "";
  }
  // The newest version table of a data set ("customers" -> "<schema>.customers_v3").
  std::string Table(const std::string& dataset) {
    const std::string s = server_->schema().name();
    return s + "." +
           Query("SELECT tablename FROM pg_tables WHERE schemaname = '" + s + "' AND tablename ~ '^" + dataset +
                 "_v[0-9]+$' ORDER BY length(tablename) DESC, tablename DESC LIMIT 1");
  }
  int64_t LogEntries() {
    return std::stoll(Query("SELECT count(*) FROM " + server_->schema().name() + ".processing_log"));
  }

  int64_t Count(const std::string& from_where) {
    return std::stoll(Query("SELECT count(*) FROM " + server_->schema().name() + "." + from_where));
  }
  // The first `n` customers (9 digits each), by BSN.
  std::vector<std::string> Customers(int n) {
    std::vector<std::string> out;
    for (absl::string_view b :
         absl::StrSplit(Query("SELECT string_agg(b, ',') FROM (SELECT lpad(bsn::text, 9, '0') "
                              "b FROM " +
                              Table("customers") + " ORDER BY bsn LIMIT " + absl::StrCat(n) + ") x"),
                        ',')) {
      out.emplace_back(b);
    }
    return out;
  }
  static pb::Criteria Named(const std::vector<std::string>& bsns) {
    pb::Criteria c;
    for (const std::string& b : bsns) c.mutable_predicate()->mutable_customer_in()->add_bsns(b);
    return c;
  }
  pb::ImpactAnalysis Impact(const std::vector<std::string>& bsns) {
    pb::AnalyzeImpactRequest req;
    *req.mutable_criteria() = Named(bsns);
    req.set_purpose("Voorbeeldklanten uit signaal 2026-118 nagaan");
    pb::ImpactAnalysis out;
    EXPECT_TRUE(server_->stub().AnalyzeImpact(ContextFor(kAnalyst).get(), req, &out).ok());
    return out;
  }
  // Defines one group of `bsns` and freezes it.
  pb::RecipientList Freeze(const std::vector<std::string>& bsns, pb::TargetGroupSet* set) {
    pb::DefineTargetGroupsRequest define;
    define.set_signal("signals/5b7f2f0e-2a43-4d7e-8c57-2f3a9d1b6e01");
    auto* g = define.add_groups();
    g->set_name("genoemd");
    *g->mutable_criteria() = Named(bsns);
    define.set_purpose("Voorbeeldklanten uit signaal 2026-118 nagaan");
    EXPECT_TRUE(server_->stub().DefineTargetGroups(ContextFor(kAnalyst).get(), define, set).ok());
    pb::FreezeRecipientListRequest freeze;
    freeze.set_target_group_set(set->name());
    freeze.set_group("genoemd");
    pb::RecipientList list;
    EXPECT_TRUE(server_->stub().FreezeRecipientList(ContextFor(kDesigner).get(), freeze, &list).ok());
    return list;
  }
  privacy::RecordObjectionRequest Objection(const std::string& bsn, privacy::ObjectionScope scope) {
    privacy::RecordObjectionRequest req;
    req.set_bsn(bsn);
    req.set_kind(privacy::OBJECTION_KIND_OBJECTION);
    req.set_scope(scope);
    req.set_reason("Brief van de klant, kenmerk BZ-2026-0042");
    return req;
  }

  std::unique_ptr<testing::AnalysisTestServer> server_;
  std::unique_ptr<privacy::DataSubjectService::Stub> subjects_;
};

TEST_F(SubjectApiTest, PrivacyOfficerExportsWhatIsHeldAboutACustomer) {
  // A customer with relations, mailings and contact reports.
  const std::string bsn =
      Query("SELECT lpad(c.bsn::text, 9, '0') FROM " + Table("customers") + " c WHERE EXISTS (SELECT 1 FROM " +
            Table("relations") + " r WHERE r.customer_bsn = c.bsn) AND EXISTS (SELECT 1 FROM " + Table("mailings") +
            " m WHERE m.customer_bsn = c.bsn) AND EXISTS (SELECT 1 FROM " + Table("contact_reports") +
            " k WHERE k.customer_bsn = c.bsn) ORDER BY c.bsn LIMIT 1");
  ASSERT_EQ(bsn.size(), 9u);
  // In a sample and in a frozen list.
  pb::Criteria named;
  named.mutable_predicate()->mutable_customer_in()->add_bsns(bsn);
  pb::CreateSampleRequest sample;
  *sample.mutable_criteria() = named;
  sample.set_purpose("Voorbeeldklanten uit signaal 2026-118 nagaan");
  sample.set_size(1);
  pb::Sample drawn;
  CAK_ASSERT_GRPC_OK(server_->stub().CreateSample(ContextFor(kAnalyst).get(), sample, &drawn));
  pb::DefineTargetGroupsRequest define;
  define.set_signal("signals/5b7f2f0e-2a43-4d7e-8c57-2f3a9d1b6e01");
  auto* g = define.add_groups();
  g->set_name("genoemd");
  *g->mutable_criteria() = named;
  define.set_purpose("Voorbeeldklanten uit signaal 2026-118 nagaan");
  pb::TargetGroupSet set;
  CAK_ASSERT_GRPC_OK(server_->stub().DefineTargetGroups(ContextFor(kAnalyst).get(), define, &set));
  pb::FreezeRecipientListRequest freeze;
  freeze.set_target_group_set(set.name());
  freeze.set_group("genoemd");
  pb::RecipientList list;
  CAK_ASSERT_GRPC_OK(server_->stub().FreezeRecipientList(ContextFor(kDesigner).get(), freeze, &list));

  privacy::ExportSubjectDataRequest req;
  req.set_bsn(bsn);
  privacy::SubjectDataExport out;
  CAK_ASSERT_GRPC_OK(subjects_->ExportSubjectData(ContextFor(kPrivacy).get(), req, &out));
  EXPECT_EQ(out.service(), "analysis-svc");
  EXPECT_TRUE(out.holds_data());
  std::map<std::string, const privacy::DataCategory*> by_name;
  for (const auto& c : out.categories()) {
    by_name[c.name()] = &c;
    EXPECT_FALSE(c.title().empty()) << c.name();
    EXPECT_FALSE(c.purpose().empty()) << c.name();
    EXPECT_FALSE(c.legal_basis().empty()) << c.name();
    EXPECT_FALSE(c.retention().empty()) << c.name();
    EXPECT_GT(c.records_size(), 0) << c.name();
  }
  for (const char* name : {"customer", "relations", "mailings", "contact_reports", "samples", "recipient_lists"}) {
    EXPECT_EQ(by_name.count(name), 1u) << name;
  }
  ASSERT_EQ(by_name.count("customer"), 1u);
  std::map<std::string, std::string> customer;
  for (const auto& f : by_name["customer"]->records(0).fields()) customer[f.name()] = f.value();
  EXPECT_EQ(customer["bsn"], bsn);  // as its 9 digits
  EXPECT_EQ(customer["surname"],
            Query("SELECT surname FROM " + Table("customers") + " WHERE bsn = " + absl::StrCat(std::stoi(bsn))));
  EXPECT_EQ(by_name["relations"]->records_size(),
            std::stoi(Query("SELECT count(*) FROM " + Table("relations") +
                            " WHERE customer_bsn = " + absl::StrCat(std::stoi(bsn)))));
  EXPECT_EQ(by_name["contact_reports"]->records_size(),
            std::stoi(Query("SELECT count(*) FROM " + Table("contact_reports") +
                            " WHERE customer_bsn = " + absl::StrCat(std::stoi(bsn)))));
  ASSERT_EQ(by_name.count("recipient_lists"), 1u);
  std::map<std::string, std::string> membership;
  for (const auto& f : by_name["recipient_lists"]->records(0).fields()) membership[f.name()] = f.value();
  EXPECT_EQ(membership["recipient_list"], list.name());
  EXPECT_EQ(membership["group_name"], "genoemd");
  ASSERT_EQ(by_name.count("samples"), 1u);
  EXPECT_EQ(by_name["samples"]->records(0).fields(0).value(), drawn.name());
  EXPECT_EQ(out.remarks_size(), 1);  // statutory mailings are not this system's

  // The access is logged under the customer, never with the BSN.
  const std::string s = server_->schema().name();
  EXPECT_EQ(Query("SELECT count(*) FROM " + s +
                  ".processing_log WHERE name = 'privacy.ExportSubjectData' AND data_subject_id IS NOT NULL"),
            "1");
  EXPECT_EQ(Query("SELECT count(*) FROM " + s + ".processing_log WHERE attributes::text LIKE '%" + bsn + "%'"), "0");

  // A valid BSN of nobody held here: nothing held, nothing else said.
  std::string stranger;
  for (int n = 100000000; stranger.empty(); ++n) {
    const std::string candidate = absl::StrCat(n);
    if (common::Bsn::IsValid(candidate) &&
        Query("SELECT count(*) FROM " + Table("customers") + " WHERE bsn = " + candidate) == "0") {
      stranger = candidate;
    }
  }
  req.set_bsn(stranger);
  CAK_ASSERT_GRPC_OK(subjects_->ExportSubjectData(ContextFor(kPrivacy).get(), req, &out));
  EXPECT_FALSE(out.holds_data());
  EXPECT_EQ(out.categories_size(), 0);
  EXPECT_EQ(out.remarks_size(), 0);

  // Refusals write nothing.
  const int64_t entries = LogEntries();
  req.set_bsn("123456789");
  EXPECT_THAT(subjects_->ExportSubjectData(ContextFor(kPrivacy).get(), req, &out),
              GrpcStatusIs(grpc::StatusCode::INVALID_ARGUMENT, "INVALID_BSN", "bsn"));
  req.set_bsn(bsn);
  for (const TestCaller& caller : {kAnalyst, kDesigner}) {
    EXPECT_THAT(subjects_->ExportSubjectData(ContextFor(caller).get(), req, &out),
                GrpcStatusIs(grpc::StatusCode::PERMISSION_DENIED, "PERMISSION_DENIED", ""));
  }
  EXPECT_EQ(LogEntries(), entries);
}

TEST_F(SubjectApiTest, AnObjectionLeavesThePersonOutOfEverySelectionAndEveryReportCountsIt) {
  const std::vector<std::string> two = Customers(2);
  ASSERT_EQ(two.size(), 2u);
  const std::string& a = two[0];
  const std::string& b = two[1];
  EXPECT_EQ(Impact(two).total(), 2);

  // a objects to all selection.
  privacy::ObjectionAnswer answer;
  CAK_ASSERT_GRPC_OK(subjects_->RecordObjection(ContextFor(kPrivacy).get(),
                                                Objection(a, privacy::OBJECTION_SCOPE_ALL_SELECTION), &answer));
  EXPECT_EQ(answer.service(), "analysis-svc");
  EXPECT_TRUE(answer.keeps_register());
  EXPECT_FALSE(answer.unchanged());
  EXPECT_EQ(answer.objection().kind(), privacy::OBJECTION_KIND_OBJECTION);
  EXPECT_EQ(answer.objection().recorded_by(), kPrivacy.id);
  EXPECT_FALSE(answer.objection().has_lift_time());
  EXPECT_GT(answer.effects_size(), 0);
  ASSERT_GT(answer.remarks_size(), 0);  // statutory mailings are not stopped
  EXPECT_NE(answer.remarks(answer.remarks_size() - 1).find("Wettelijk"), std::string::npos);

  const pb::ImpactAnalysis impact = Impact(two);
  EXPECT_EQ(impact.total(), 1);
  EXPECT_EQ(impact.excluded_by_objection(), 1);
  pb::CreateSampleRequest sample;
  *sample.mutable_criteria() = Named(two);
  sample.set_purpose("Voorbeeldklanten uit signaal 2026-118 nagaan");
  sample.set_size(2);
  pb::Sample drawn;
  CAK_ASSERT_GRPC_OK(server_->stub().CreateSample(ContextFor(kAnalyst).get(), sample, &drawn));
  EXPECT_EQ(drawn.population(), 1);
  EXPECT_EQ(drawn.excluded_by_objection(), 1);
  EXPECT_EQ(drawn.members_size(), 1);
  pb::TargetGroupSet set;
  pb::RecipientList list = Freeze(two, &set);
  ASSERT_EQ(set.groups_size(), 1);
  EXPECT_EQ(set.groups(0).impact().total(), 1);
  EXPECT_EQ(set.groups(0).impact().excluded_by_objection(), 1);
  EXPECT_EQ(list.member_count(), 1);
  EXPECT_EQ(list.excluded_by_objection(), 1);
  EXPECT_EQ(Count("recipient_list_members WHERE bsn = " + absl::StrCat(std::stoi(a))), 0);

  // The same again: unchanged, nothing new registered; another scope: lift it first.
  const int64_t entries = LogEntries();
  CAK_ASSERT_GRPC_OK(subjects_->RecordObjection(ContextFor(kPrivacy).get(),
                                                Objection(a, privacy::OBJECTION_SCOPE_ALL_SELECTION), &answer));
  EXPECT_TRUE(answer.unchanged());
  EXPECT_EQ(Count("objections"), 1);
  EXPECT_EQ(LogEntries(), entries + 2);  // (the call itself is logged: its entry and the person's)
  EXPECT_THAT(
      subjects_->RecordObjection(ContextFor(kPrivacy).get(), Objection(a, privacy::OBJECTION_SCOPE_CONTACT), &answer),
      GrpcStatusIs(grpc::StatusCode::FAILED_PRECONDITION, "OBJECTION_EXISTS", ""));
  EXPECT_EQ(LogEntries(), entries + 2);

  // Lifted: in selections again, the history kept; lifting nothing is unchanged.
  privacy::LiftObjectionRequest lift;
  lift.set_bsn(a);
  lift.set_reason("De klant trekt het bezwaar in (brief BZ-2026-0050)");
  CAK_ASSERT_GRPC_OK(subjects_->LiftObjection(ContextFor(kPrivacy).get(), lift, &answer));
  EXPECT_FALSE(answer.unchanged());
  EXPECT_TRUE(answer.objection().has_lift_time());
  EXPECT_EQ(Impact(two).total(), 2);
  CAK_ASSERT_GRPC_OK(subjects_->LiftObjection(ContextFor(kPrivacy).get(), lift, &answer));
  EXPECT_TRUE(answer.unchanged());
  EXPECT_EQ(Count("objections WHERE lift_time IS NOT NULL"), 1);

  // b asks not to be contacted after the list with both was frozen: still counted in impact
  // statistics, withheld from the stream (position only, not disclosed).
  list = Freeze(two, &set);
  EXPECT_EQ(list.member_count(), 2);
  EXPECT_EQ(list.excluded_by_objection(), 0);
  CAK_ASSERT_GRPC_OK(
      subjects_->RecordObjection(ContextFor(kPrivacy).get(), Objection(b, privacy::OBJECTION_SCOPE_CONTACT), &answer));
  EXPECT_EQ(Impact(two).total(), 2);
  EXPECT_EQ(Impact(two).excluded_by_objection(), 0);
  pb::StreamRecipientsRequest stream;
  stream.set_name(list.name());
  stream.set_field_set(pb::FIELD_SET_POSTAL);
  auto ctx = ContextFor(kDispatch);
  auto reader = server_->stub().StreamRecipients(ctx.get(), stream);
  std::vector<pb::Recipient> got;
  pb::StreamRecipientsResponse r;
  while (reader->Read(&r)) got.insert(got.end(), r.recipients().begin(), r.recipients().end());
  CAK_ASSERT_GRPC_OK(reader->Finish());
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].bsn(), a);
  EXPECT_TRUE(got[0].withheld_reason().empty());
  EXPECT_EQ(got[1].position(), 2);
  EXPECT_EQ(got[1].withheld_reason(), "OBJECTION");
  EXPECT_TRUE(got[1].bsn().empty());
  EXPECT_TRUE(got[1].customer_name().empty());
  EXPECT_FALSE(got[1].has_address());
  // Disclosed: a only.
  EXPECT_EQ(Count("processing_log_subjects s JOIN " + server_->schema().name() +
                  ".processing_log p ON p.id = s.entry_id WHERE p.name = 'analysis.StreamRecipients'"),
            1);

  // The register is part of what is held about a (lifted, kept as history).
  privacy::ExportSubjectDataRequest req;
  req.set_bsn(a);
  privacy::SubjectDataExport out;
  CAK_ASSERT_GRPC_OK(subjects_->ExportSubjectData(ContextFor(kPrivacy).get(), req, &out));
  int objections = -1;
  for (const auto& c : out.categories()) {
    if (c.name() == "objections") objections = c.records_size();
  }
  EXPECT_EQ(objections, 1);
  // Logged under the person's keyed hash, never with the BSN.
  const std::string s = server_->schema().name();
  EXPECT_EQ(Query("SELECT count(*) FROM " + s +
                  ".processing_log WHERE name IN ('privacy.RecordObjection', 'privacy.LiftObjection')"
                  " AND data_subject_id IS NOT NULL"),
            "5");
  EXPECT_EQ(Query("SELECT count(*) FROM " + s + ".processing_log WHERE attributes::text LIKE '%" + a + "%'"), "0");
}

TEST_F(SubjectApiTest, ObjectionRefusalsWriteNothing) {
  const std::string bsn = Customers(1).at(0);
  const int64_t entries = LogEntries();
  privacy::ObjectionAnswer answer;
  auto refused = [&](privacy::RecordObjectionRequest req, const TestCaller& caller, grpc::StatusCode code,
                     const std::string& reason, const std::string& field) {
    EXPECT_THAT(subjects_->RecordObjection(ContextFor(caller).get(), req, &answer), GrpcStatusIs(code, reason, field))
        << req.ShortDebugString();
  };
  const privacy::RecordObjectionRequest good = Objection(bsn, privacy::OBJECTION_SCOPE_ALL_SELECTION);
  privacy::RecordObjectionRequest req = good;
  req.set_bsn("123456789");
  refused(req, kPrivacy, grpc::StatusCode::INVALID_ARGUMENT, "INVALID_BSN", "bsn");
  req = good;
  req.clear_kind();
  refused(req, kPrivacy, grpc::StatusCode::INVALID_ARGUMENT, "REQUIRED_FIELD_MISSING", "kind");
  req = good;
  req.set_scope(static_cast<privacy::ObjectionScope>(9));
  refused(req, kPrivacy, grpc::StatusCode::INVALID_ARGUMENT, "UNKNOWN_ENUM_VALUE", "scope");
  req = good;
  req.set_reason(" ");
  refused(req, kPrivacy, grpc::StatusCode::INVALID_ARGUMENT, "REQUIRED_FIELD_MISSING", "reason");
  req.set_reason("kort");
  refused(req, kPrivacy, grpc::StatusCode::INVALID_ARGUMENT, "INVALID_FIELD_VALUE", "reason");
  req.set_reason(std::string(501, 'x'));
  refused(req, kPrivacy, grpc::StatusCode::INVALID_ARGUMENT, "FIELD_TOO_LONG", "reason");
  req = good;
  req.mutable_received_date()->set_year(2999);
  req.mutable_received_date()->set_month(1);
  req.mutable_received_date()->set_day(1);
  refused(req, kPrivacy, grpc::StatusCode::INVALID_ARGUMENT, "INVALID_FIELD_VALUE", "received_date");
  req.mutable_received_date()->set_month(13);
  refused(req, kPrivacy, grpc::StatusCode::INVALID_ARGUMENT, "INVALID_DATE", "received_date");
  for (const TestCaller& caller : {kAnalyst, kDesigner, kDispatch}) {
    refused(good, caller, grpc::StatusCode::PERMISSION_DENIED, "PERMISSION_DENIED", "");
  }
  privacy::LiftObjectionRequest lift;
  lift.set_bsn(bsn);
  EXPECT_THAT(subjects_->LiftObjection(ContextFor(kPrivacy).get(), lift, &answer),
              GrpcStatusIs(grpc::StatusCode::INVALID_ARGUMENT, "REQUIRED_FIELD_MISSING", "reason"));
  lift.set_reason("De klant trekt het bezwaar in");
  EXPECT_THAT(subjects_->LiftObjection(ContextFor(kAnalyst).get(), lift, &answer),
              GrpcStatusIs(grpc::StatusCode::PERMISSION_DENIED, "PERMISSION_DENIED", ""));
  EXPECT_EQ(Count("objections"), 0);
  EXPECT_EQ(LogEntries(), entries);
}

// GDPR art. 17: a dry run counts and changes nothing; the erasure removes the customer from every
// kept version and every table (a sweep of the schema finds neither the BSN nor, outside the
// processing log, the log's hash), and the next import skips them (counted, with the reason).
TEST_F(SubjectApiTest, ErasureRemovesTheCustomerEverywhereAndTheNextImportSkipsThem) {
  const std::string bsn =
      Query("SELECT lpad(c.bsn::text, 9, '0') FROM " + Table("customers") + " c WHERE EXISTS (SELECT 1 FROM " +
            Table("relations") + " r WHERE r.customer_bsn = c.bsn) AND EXISTS (SELECT 1 FROM " + Table("mailings") +
            " m WHERE m.customer_bsn = c.bsn) ORDER BY c.bsn LIMIT 1");
  ASSERT_EQ(bsn.size(), 9u);
  const std::string number = absl::StrCat(std::stoi(bsn));
  pb::TargetGroupSet set;
  const pb::RecipientList list = Freeze({bsn, Customers(1).at(0)}, &set);
  ASSERT_GE(list.member_count(), 1);
  privacy::ObjectionAnswer objected;
  CAK_ASSERT_GRPC_OK(subjects_->RecordObjection(ContextFor(kPrivacy).get(),
                                                Objection(bsn, privacy::OBJECTION_SCOPE_CONTACT), &objected));
  const int64_t mailings =
      std::stoll(Query("SELECT count(*) FROM " + Table("mailings") + " WHERE customer_bsn = " + number));

  privacy::EraseSubjectDataRequest req;
  req.set_bsn(bsn);
  req.set_reason("Verzoek tot verwijdering, brief VZ-2026-0007");
  req.set_dry_run(true);
  privacy::ErasureAnswer answer;
  CAK_ASSERT_GRPC_OK(subjects_->EraseSubjectData(ContextFor(kPrivacy).get(), req, &answer));
  std::map<std::string, int64_t> would;
  for (const auto& c : answer.categories()) would[c.name()] = c.count();
  EXPECT_TRUE(answer.dry_run());
  EXPECT_GE(would["customer"], 1);
  EXPECT_GE(would["relations"], 1);
  EXPECT_GE(would["mailings"], mailings);
  EXPECT_EQ(would["recipient_lists"], 1);
  EXPECT_EQ(would["objections"], 1);
  EXPECT_EQ(would["target_group_sets"], 1);  // its criteria named them
  EXPECT_EQ(Count("tombstones"), 0);
  EXPECT_EQ(Count("recipient_list_members WHERE bsn = " + number), 1);

  req.set_dry_run(false);
  CAK_ASSERT_GRPC_OK(subjects_->EraseSubjectData(ContextFor(kPrivacy).get(), req, &answer));
  std::map<std::string, int64_t> erased;
  for (const auto& c : answer.categories()) erased[c.name()] = c.count();
  EXPECT_EQ(erased, would);
  EXPECT_GE(answer.kept_size(), 2);  // the tombstone, the processing log (and the list's empty place)
  EXPECT_EQ(Count("tombstones"), 1);
  EXPECT_EQ(Impact({bsn}).total(), 0);  // the new snapshot no longer has them
  privacy::ExportSubjectDataRequest access;
  access.set_bsn(bsn);
  privacy::SubjectDataExport held;
  CAK_ASSERT_GRPC_OK(subjects_->ExportSubjectData(ContextFor(kPrivacy).get(), access, &held));
  EXPECT_FALSE(held.holds_data()) << held.ShortDebugString();
  // Again: nothing more to erase.
  CAK_ASSERT_GRPC_OK(subjects_->EraseSubjectData(ContextFor(kPrivacy).get(), req, &answer));
  EXPECT_EQ(answer.categories_size(), 0);

  // A sweep of every table of the schema: neither the BSN nor, outside the processing log, the
  // person's log id.
  const std::string s = server_->schema().name();
  const std::string log_id =
      common::DataSubjectHasher::Create("test-hash-key-of-at-least-32-bytes!!")->Hash(*common::Bsn::Parse(bsn));
  for (absl::string_view table :
       absl::StrSplit(Query("SELECT string_agg(tablename, ',') FROM pg_tables WHERE schemaname = '" + s + "'"), ',')) {
    const std::string t = absl::StrCat(s, ".", table);
    EXPECT_EQ(Query("SELECT count(*) FROM " + t + " x WHERE x::text ~ '(^|[^0-9])0*" + number + "([^0-9]|$)'"), "0")
        << table;
    if (!absl::StartsWith(table, "processing_log")) {
      EXPECT_EQ(Query("SELECT count(*) FROM " + t + " x WHERE strpos(x::text, '" + log_id + "') > 0"), "0") << table;
    }
  }
  EXPECT_GT(std::stoll(Query("SELECT count(*) FROM " + s + ".processing_log WHERE data_subject_id = '" + log_id + "'")),
            0);

  // The next import of the same extract skips them, counted with the reason.
  pb::ImportFileRequest import;
  import.set_dataset(pb::DATASET_CUSTOMERS);
  import.set_path("customers.csv");
  pb::ImportReport report;
  const TestCaller admin{"emp-4001", {"administrator"}};
  CAK_ASSERT_GRPC_OK(server_->stub().ImportFile(ContextFor(admin).get(), import, &report));
  EXPECT_EQ(report.rows_skipped(), 1);
  ASSERT_EQ(report.skipped_size(), 1);
  EXPECT_EQ(report.skipped(0).reason(), "ERASED");
  EXPECT_EQ(report.skipped(0).rows(), 1);
  EXPECT_EQ(report.rows_loaded() + report.rows_rejected() + report.rows_skipped(), report.rows_read());
  import.set_dataset(pb::DATASET_MAILINGS);
  import.set_path("mailings.csv");
  CAK_ASSERT_GRPC_OK(server_->stub().ImportFile(ContextFor(admin).get(), import, &report));
  EXPECT_EQ(report.rows_skipped(), mailings);
  EXPECT_EQ(report.rows_rejected(), 0);
  EXPECT_EQ(Impact({bsn}).total(), 0);
  EXPECT_EQ(Query("SELECT count(*) FROM " + Table("customers") + " WHERE bsn = " + number), "0");

  // Refusals write nothing.
  const int64_t entries = LogEntries();
  req.set_reason("");
  EXPECT_THAT(subjects_->EraseSubjectData(ContextFor(kPrivacy).get(), req, &answer),
              GrpcStatusIs(grpc::StatusCode::INVALID_ARGUMENT, "REQUIRED_FIELD_MISSING", "reason"));
  req.set_reason("Verzoek tot verwijdering, brief VZ-2026-0007");
  req.set_bsn("123456789");
  EXPECT_THAT(subjects_->EraseSubjectData(ContextFor(kPrivacy).get(), req, &answer),
              GrpcStatusIs(grpc::StatusCode::INVALID_ARGUMENT, "INVALID_BSN", "bsn"));
  req.set_bsn(Customers(1).at(0));
  for (const TestCaller& caller : {kAnalyst, kDesigner, kDispatch, admin}) {
    EXPECT_THAT(subjects_->EraseSubjectData(ContextFor(caller).get(), req, &answer),
                GrpcStatusIs(grpc::StatusCode::PERMISSION_DENIED, "PERMISSION_DENIED", ""));
  }
  EXPECT_EQ(LogEntries(), entries);
  EXPECT_EQ(Count("tombstones"), 1);
}

// Retention that cascades and stays done: the purge leaves a tombstone per customer (the next
// import skips them unless it shows activity after the purge) and the removal feed serves them,
// with erasures, to intake-svc and dispatch-svc, in pages, from a position.
TEST_F(SubjectApiTest, RetentionPurgesAndErasuresReachTheRemovalFeedAndStayDone) {
  auto feed = privacy::SubjectRemovalService::NewStub(common::testing::LocalChannel(server_->server().grpc_port()));
  // Reads the whole feed after `after` in pages of `page`, as `who`.
  auto read_all = [&](privacy::ListSubjectRemovalsRequest req, const TestCaller& who) {
    std::vector<privacy::SubjectRemoval> all;
    while (true) {
      privacy::ListSubjectRemovalsResponse page;
      const grpc::Status st = feed->ListSubjectRemovals(ContextFor(who).get(), req, &page);
      EXPECT_TRUE(st.ok()) << st.error_message();
      for (const auto& r : page.removals()) all.push_back(r);
      if (!st.ok() || page.removals_size() < req.page_size()) break;
      req.set_after_transaction(page.removals().rbegin()->transaction());
      req.set_after_entry_id(page.removals().rbegin()->entry_id());
    }
    return all;
  };
  // The feed serves a removal once every transaction older than it has ended, in the whole
  // cluster (another test's may still run): read until `n` are there, at most thirty seconds.
  auto await_all = [&](const privacy::ListSubjectRemovalsRequest& req, const TestCaller& who, size_t n) {
    std::vector<privacy::SubjectRemoval> all = read_all(req, who);
    for (int i = 0; i < 300 && all.size() < n; ++i) {
      absl::SleepFor(absl::Milliseconds(100));
      all = read_all(req, who);
    }
    return all;
  };
  privacy::ListSubjectRemovalsRequest from_start;
  from_start.set_page_size(7);
  EXPECT_TRUE(read_all(from_start, kDispatch).empty());

  const std::string s = server_->schema().name();
  const int64_t expired = std::stoll(
      Query("SELECT count(*) FROM " + Table("customers") + " WHERE NOT active AND inactive_since < DATE '2024-11-02'"));
  ASSERT_GT(expired, 7);  // (more than a page)
  const std::string purged = Query("SELECT lpad(bsn::text, 9, '0') FROM " + Table("customers") +
                                   " WHERE NOT active AND inactive_since < DATE '2024-11-02' ORDER BY bsn LIMIT 1");
  const TestCaller admin{"emp-4001", {"administrator"}};
  pb::PurgeInactiveCustomersRequest purge;
  purge.set_dry_run(true);
  pb::PurgeInactiveCustomersResponse purged_counts;
  CAK_ASSERT_GRPC_OK(server_->stub().PurgeInactiveCustomers(ContextFor(admin).get(), purge, &purged_counts));
  EXPECT_EQ(Count("tombstones"), 0);  // a dry run leaves nothing behind
  EXPECT_TRUE(read_all(from_start, kDispatch).empty());
  purge.set_dry_run(false);
  CAK_ASSERT_GRPC_OK(server_->stub().PurgeInactiveCustomers(ContextFor(admin).get(), purge, &purged_counts));
  EXPECT_EQ(Count("tombstones WHERE reason = 2 AND removed_on = DATE '2026-11-02'"), expired);

  // The feed: every purged customer once, by log id, in pages, positions rising.
  const auto hasher = common::DataSubjectHasher::Create("test-hash-key-of-at-least-32-bytes!!");
  std::vector<privacy::SubjectRemoval> removals = await_all(from_start, kIntake, expired);
  ASSERT_EQ(static_cast<int64_t>(removals.size()), expired);
  std::set<std::string> ids;
  for (size_t i = 0; i < removals.size(); ++i) {
    EXPECT_EQ(removals[i].cause(), privacy::REMOVAL_CAUSE_PAST_RETENTION);
    EXPECT_EQ(removals[i].data_subject_id().size(), 64u);
    ids.insert(removals[i].data_subject_id());
    if (i > 0) {
      EXPECT_LT(std::make_pair(removals[i - 1].transaction(), removals[i - 1].entry_id()),
                std::make_pair(removals[i].transaction(), removals[i].entry_id()));
    }
  }
  EXPECT_EQ(static_cast<int64_t>(ids.size()), expired);
  EXPECT_TRUE(ids.contains(hasher->Hash(*common::Bsn::Parse(purged))));

  // An erasure follows, after the last position.
  const std::string erased = Customers(1).at(0);
  privacy::EraseSubjectDataRequest erase;
  erase.set_bsn(erased);
  erase.set_reason("Verzoek tot verwijdering VZ-2026-0107");
  privacy::ErasureAnswer answer;
  CAK_ASSERT_GRPC_OK(subjects_->EraseSubjectData(ContextFor(kPrivacy).get(), erase, &answer));
  privacy::ListSubjectRemovalsRequest after = from_start;
  after.set_after_transaction(removals.back().transaction());
  after.set_after_entry_id(removals.back().entry_id());
  const std::vector<privacy::SubjectRemoval> later = await_all(after, kDispatch, 1);
  ASSERT_EQ(later.size(), 1u);
  EXPECT_EQ(later[0].cause(), privacy::REMOVAL_CAUSE_ERASED);
  EXPECT_EQ(later[0].data_subject_id(), hasher->Hash(*common::Bsn::Parse(erased)));

  // The next import of the same extract brings back neither, counted per reason.
  pb::ImportFileRequest import;
  import.set_dataset(pb::DATASET_CUSTOMERS);
  import.set_path("customers.csv");
  pb::ImportReport report;
  CAK_ASSERT_GRPC_OK(server_->stub().ImportFile(ContextFor(admin).get(), import, &report));
  EXPECT_EQ(report.rows_skipped(), expired + 1);
  std::map<std::string, int64_t> skipped;
  for (const auto& k : report.skipped()) skipped[k.reason()] = k.rows();
  EXPECT_EQ(skipped, (std::map<std::string, int64_t>{{"ERASED", 1}, {"PAST_RETENTION", expired}}));
  EXPECT_EQ(
      Count("processing_log WHERE name = 'analysis.ImportFile' AND attributes->>'rows_skipped_past_retention' = '" +
            absl::StrCat(expired) + "'"),
      1);
  EXPECT_EQ(Query("SELECT count(*) FROM " + Table("customers") + " WHERE bsn = " + purged), "0");

  // A source that shows activity after the purge brings the customer back; the others stay out.
  std::ifstream in(server_->import_dir() + "/customers.csv");
  std::ofstream out(server_->import_dir() + "/customers-active-again.csv");
  std::string line;
  int changed = 0;
  while (std::getline(in, line)) {
    if (absl::StartsWith(line, absl::StrCat(std::stoll(purged), ","))) {  // (the file writes no leading zeros)
      line = line.substr(0, line.rfind(",false,")) + ",true,";
      ++changed;
    }
    out << line << "\n";
  }
  out.close();
  ASSERT_EQ(changed, 1);
  import.set_path("customers-active-again.csv");
  CAK_ASSERT_GRPC_OK(server_->stub().ImportFile(ContextFor(admin).get(), import, &report));
  EXPECT_EQ(report.rows_rejected(), 0);
  EXPECT_EQ(report.rows_skipped(), expired);  // the erased one, and the purged ones less one
  EXPECT_EQ(Query("SELECT active FROM " + Table("customers") + " WHERE bsn = " + purged), "t");

  // Refusals: only the followers may read the feed; a bad page or position is named.
  privacy::ListSubjectRemovalsResponse none;
  EXPECT_THAT(feed->ListSubjectRemovals(ContextFor(kAnalyst).get(), from_start, &none),
              GrpcStatusIs(grpc::StatusCode::PERMISSION_DENIED, "PERMISSION_DENIED", ""));
  EXPECT_THAT(feed->ListSubjectRemovals(ContextFor(kPrivacy).get(), from_start, &none),
              GrpcStatusIs(grpc::StatusCode::PERMISSION_DENIED, "PERMISSION_DENIED", ""));
  privacy::ListSubjectRemovalsRequest bad = from_start;
  bad.set_page_size(10001);
  EXPECT_THAT(feed->ListSubjectRemovals(ContextFor(kDispatch).get(), bad, &none),
              GrpcStatusIs(grpc::StatusCode::INVALID_ARGUMENT, "INVALID_FIELD_VALUE", "page_size"));
  bad = from_start;
  bad.set_after_entry_id(-1);
  EXPECT_THAT(feed->ListSubjectRemovals(ContextFor(kDispatch).get(), bad, &none),
              GrpcStatusIs(grpc::StatusCode::INVALID_ARGUMENT, "INVALID_FIELD_VALUE", "after_entry_id"));
}

}  // namespace
}  // namespace cak::analysis
