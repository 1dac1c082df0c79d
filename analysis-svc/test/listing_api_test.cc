// Listings (ExportListing) and criteria that name customers (customer_in), over a real gRPC
// channel: who may ask, every refusal (status, reason, field) writing nothing, the pseudonymised
// and the full view's content, the limit and the progress, objections, the processing-log entry
// and its subjects, and the command line's `listing` writing the file.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "analysis-svc/src/api/mapping.h"
#include "analysis-svc/test/analysis_test_server.h"
#include "cak/voorlichting/privacy/v1/data_subject_service.grpc.pb.h"
#include "cli/analysis_commands.h"
#include "cli/client.h"
#include "common/base/random.h"
#include "common/testing/grpc_test_support.h"
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
const TestCaller kApprover{"emp-4001", {"approver"}};
const TestCaller kCampaignSvc{"campaign-svc", {"campaign_service"}, true};
const TestCaller kPrivacy{"emp-9001", {"privacy_officer"}};
constexpr char kPurpose[] = "Controle eigen bijdrage na signaal 2026-118";
constexpr char kSignal[] = "signals/5b7f2f0e-2a43-4d7e-8c57-2f3a9d1b6e01";

struct Exported {
  grpc::Status status;
  std::string csv;
  std::vector<pb::ExportListingResponse> messages;
  std::vector<std::vector<std::string>> rows;  // without the header
  std::vector<std::string> header;
};

class ListingApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = testing::AnalysisTestServer::Start();
    ASSERT_TRUE(s.ok()) << s.status();
    server_ = *std::move(s);
    CAK_ASSERT_OK(server_->ImportGenerated());
  }

  std::string Query(const std::string& sql) {
    auto r = server_->schema().Query(sql);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : "";
  }
  std::string Table(const std::string& name) { return server_->schema().name() + "." + name; }
  // Processing-log entries and subject rows: what a refusal must not add to.
  std::string Written() {
    return absl::StrCat(server_->Count("processing_log"), "/", server_->Count("processing_log_subjects"), "/",
                        server_->Count("samples"), "/", server_->Count("target_group_sets"));
  }

  Exported Export(const TestCaller& caller, const pb::ExportListingRequest& req) {
    Exported out;
    auto ctx = ContextFor(caller);
    auto reader = server_->stub().ExportListing(ctx.get(), req);
    pb::ExportListingResponse piece;
    while (reader->Read(&piece)) {
      out.csv += piece.csv();
      out.messages.push_back(piece);
    }
    out.status = reader->Finish();
    // The test data has no field with a comma, quote or line break.
    for (absl::string_view line : absl::StrSplit(out.csv, '\n', absl::SkipEmpty())) {
      std::vector<std::string> fields = absl::StrSplit(line, ',');
      if (out.header.empty()) {
        out.header = fields;
      } else {
        out.rows.push_back(fields);
      }
    }
    return out;
  }

  static pb::ExportListingRequest Everyone(std::vector<pb::ListingField> fields) {
    pb::ExportListingRequest req;
    req.mutable_criteria()->mutable_all();
    for (pb::ListingField f : fields) req.add_fields(f);
    return req;
  }

  // A customer named in criteria (customer_in), inside an all node: its path is
  // criteria.all.items[1].predicate.customer_in.
  pb::Criteria NamingOne(std::string* bsn) {
    *bsn = Query("SELECT lpad(min(bsn)::text, 9, '0') FROM " + Table("customers_v1"));
    pb::Criteria c;
    auto* all = c.mutable_all();
    all->add_items()->mutable_predicate()->set_active(true);
    all->add_items()->mutable_predicate()->mutable_customer_in()->add_bsns(*bsn);
    return c;
  }

  // "WLZ met vertegenwoordiger", then "Overig": everyone else.
  pb::TargetGroupSet DefineWlzGroups() {
    pb::DefineTargetGroupsRequest define;
    define.set_signal(kSignal);
    auto* g = define.add_groups();
    g->set_name("WLZ met vertegenwoordiger");
    auto* all = g->mutable_criteria()->mutable_all();
    all->add_items()->mutable_predicate()->mutable_regulation_in()->add_regulations(pb::REGULATION_WLZ);
    all->add_items()->mutable_predicate()->set_has_representative(true);
    auto* rest = define.add_groups();
    rest->set_name("Overig");
    rest->mutable_criteria()->mutable_all();
    pb::TargetGroupSet set;
    EXPECT_TRUE(server_->stub().DefineTargetGroups(ContextFor(kAnalyst).get(), define, &set).ok());
    return set;
  }

  // The listing's processing-log entry (the newest analysis.ExportListing): id and attributes.
  std::string EntryId() {
    return Query("SELECT max(id) FROM " + Table("processing_log") + " WHERE name = 'analysis.ExportListing'");
  }
  std::string Attribute(const std::string& entry, const std::string& key) {
    return Query("SELECT attributes->>'" + key + "' FROM " + Table("processing_log") + " WHERE id = " + entry);
  }
  std::string SubjectRows(const std::string& entry) {
    return Query("SELECT count(*) FROM " + Table("processing_log_subjects") + " WHERE entry_id = " + entry);
  }

  std::unique_ptr<testing::AnalysisTestServer> server_;
};

TEST_F(ListingApiTest, CriteriaNamingCustomersNeedAnAnalystWithAPurpose) {
  std::string bsn;
  const pb::Criteria named = NamingOne(&bsn);
  const std::string path = "criteria.all.items[1].predicate.customer_in";
  const std::string before = Written();

  pb::AnalyzeImpactRequest impact;
  *impact.mutable_criteria() = named;
  impact.set_purpose(kPurpose);
  pb::ImpactAnalysis analysis;
  // Designers and approvers learn nothing about a named person, whatever purpose they state.
  for (const TestCaller& caller : {kDesigner, kApprover}) {
    EXPECT_THAT(server_->stub().AnalyzeImpact(ContextFor(caller).get(), impact, &analysis),
                GrpcStatusIs(grpc::StatusCode::PERMISSION_DENIED, "CUSTOMER_IN_NOT_ALLOWED", path))
        << caller.id;
  }
  pb::AnalyzeImpactRequest no_purpose = impact;
  no_purpose.clear_purpose();
  EXPECT_THAT(server_->stub().AnalyzeImpact(ContextFor(kAnalyst).get(), no_purpose, &analysis),
              GrpcStatusIs(grpc::StatusCode::INVALID_ARGUMENT, "PURPOSE_REQUIRED", "purpose"));
  no_purpose.set_purpose("   kijken  ");  // under 10 characters once trimmed
  EXPECT_THAT(server_->stub().AnalyzeImpact(ContextFor(kAnalyst).get(), no_purpose, &analysis),
              GrpcStatusIs(grpc::StatusCode::INVALID_ARGUMENT, "PURPOSE_REQUIRED", "purpose"));

  pb::CreateSampleRequest sample;
  *sample.mutable_criteria() = named;
  sample.set_size(1);
  sample.set_purpose(kPurpose);
  pb::Sample drawn;
  for (const TestCaller& caller : {kDesigner, kCampaignSvc}) {
    EXPECT_THAT(server_->stub().CreateSample(ContextFor(caller).get(), sample, &drawn),
                GrpcStatusIs(grpc::StatusCode::PERMISSION_DENIED, "CUSTOMER_IN_NOT_ALLOWED", path))
        << caller.id;
  }
  sample.clear_purpose();
  EXPECT_THAT(server_->stub().CreateSample(ContextFor(kAnalyst).get(), sample, &drawn),
              GrpcStatusIs(grpc::StatusCode::INVALID_ARGUMENT, "PURPOSE_REQUIRED", "purpose"));

  // A designer may name a signal's customers in a target group, with a purpose.
  pb::DefineTargetGroupsRequest define;
  define.set_signal(kSignal);
  auto* g = define.add_groups();
  g->set_name("Overig");
  g->mutable_criteria()->mutable_predicate()->set_active(false);
  g = define.add_groups();
  g->set_name("Voorbeeldklanten");
  *g->mutable_criteria() = named;
  pb::TargetGroupSet set;
  EXPECT_THAT(server_->stub().DefineTargetGroups(ContextFor(kDesigner).get(), define, &set),
              GrpcStatusIs(grpc::StatusCode::INVALID_ARGUMENT, "PURPOSE_REQUIRED", "purpose"));
  EXPECT_EQ(Written(), before);  // every refusal above wrote nothing

  define.set_purpose(kPurpose);
  CAK_ASSERT_GRPC_OK(server_->stub().DefineTargetGroups(ContextFor(kDesigner).get(), define, &set));
  EXPECT_EQ(set.groups(1).impact().total(), 1);
  CAK_ASSERT_GRPC_OK(server_->stub().AnalyzeImpact(ContextFor(kAnalyst).get(), impact, &analysis));
  EXPECT_EQ(analysis.total(), 1);
  // Both disclosures are logged with the purpose, naming the customer.
  EXPECT_EQ(Query("SELECT count(*) FROM " + Table("processing_log") +
                  " WHERE name IN ('analysis.DefineTargetGroups', 'analysis.AnalyzeImpact') AND attributes->>'purpose' "
                  "= '" +
                  kPurpose + "' AND (data_subject_id IS NOT NULL OR id IN (SELECT entry_id FROM " +
                  Table("processing_log_subjects") + "))"),
            "2");
  // Criteria without named customers need no purpose, from any of the method's roles.
  pb::AnalyzeImpactRequest plain;
  plain.mutable_criteria()->mutable_predicate()->set_active(true);
  EXPECT_TRUE(server_->stub().AnalyzeImpact(ContextFor(kApprover).get(), plain, &analysis).ok());
}

TEST_F(ListingApiTest, RefusalsNameTheFieldAndWriteNothing) {
  const pb::TargetGroupSet set = DefineWlzGroups();
  const std::string before = Written();
  struct Case {
    TestCaller caller;
    std::function<void(pb::ExportListingRequest*)> change;
    grpc::StatusCode code;
    std::string reason, field;
  };
  std::string bsn;
  const pb::Criteria named = NamingOne(&bsn);
  const std::vector<Case> cases = {
      {kAnalyst, [](pb::ExportListingRequest* r) { r->clear_fields(); }, grpc::StatusCode::INVALID_ARGUMENT,
       "REQUIRED_FIELD_MISSING", "fields"},
      {kAnalyst, [](pb::ExportListingRequest* r) { r->add_fields(pb::LISTING_FIELD_REGULATION); },
       grpc::StatusCode::INVALID_ARGUMENT, "DUPLICATE_FIELD", "fields[1]"},
      {kAnalyst, [](pb::ExportListingRequest* r) { r->set_fields(0, static_cast<pb::ListingField>(42)); },
       grpc::StatusCode::INVALID_ARGUMENT, "UNKNOWN_ENUM_VALUE", "fields[0]"},
      // Name, address and customer number identify a person even masked: the FULL view only.
      {kDesigner, [](pb::ExportListingRequest* r) { r->add_fields(pb::LISTING_FIELD_NAME); },
       grpc::StatusCode::INVALID_ARGUMENT, "FIELD_NEEDS_FULL_VIEW", "fields[1]"},
      {kAnalyst, [](pb::ExportListingRequest* r) { r->add_fields(pb::LISTING_FIELD_ADDRESS); },
       grpc::StatusCode::INVALID_ARGUMENT, "FIELD_NEEDS_FULL_VIEW", "fields[1]"},
      {kAnalyst,
       [](pb::ExportListingRequest* r) {
         r->set_fields(0, pb::LISTING_FIELD_CUSTOMER_NUMBER);
         r->set_purpose(kPurpose);
       },
       grpc::StatusCode::INVALID_ARGUMENT, "FIELD_NEEDS_FULL_VIEW", "fields[0]"},
      {kAnalyst, [](pb::ExportListingRequest* r) { r->set_limit(100001); }, grpc::StatusCode::INVALID_ARGUMENT,
       "INVALID_FIELD_VALUE", "limit"},
      {kAnalyst, [](pb::ExportListingRequest* r) { r->set_limit(-1); }, grpc::StatusCode::INVALID_ARGUMENT,
       "INVALID_FIELD_VALUE", "limit"},
      {kAnalyst, [](pb::ExportListingRequest* r) { r->clear_criteria(); }, grpc::StatusCode::INVALID_ARGUMENT,
       "REQUIRED_FIELD_MISSING", "criteria"},
      {kAnalyst, [&](pb::ExportListingRequest* r) { r->set_target_group_set(set.name()); },
       grpc::StatusCode::INVALID_ARGUMENT, "INVALID_FIELD_VALUE", "target_group_set"},
      {kAnalyst,
       [&](pb::ExportListingRequest* r) {
         r->clear_criteria();
         r->set_target_group_set(set.name());
       },
       grpc::StatusCode::INVALID_ARGUMENT, "REQUIRED_FIELD_MISSING", "group"},
      {kAnalyst,
       [&](pb::ExportListingRequest* r) {
         r->clear_criteria();
         r->set_target_group_set(set.name());
         r->set_group("Geen");
       },
       grpc::StatusCode::INVALID_ARGUMENT, "GROUP_NOT_FOUND", "group"},
      {kAnalyst,
       [&](pb::ExportListingRequest* r) {
         r->clear_criteria();
         r->set_target_group_set("targetGroupSets/0c8f6a52-7d0e-4f43-9b8e-3c1c2f6d9a10");
         r->set_group("Overig");
       },
       grpc::StatusCode::NOT_FOUND, "TARGET_GROUP_SET_NOT_FOUND", ""},
      {kAnalyst, [](pb::ExportListingRequest* r) { r->set_view(pb::LISTING_VIEW_FULL); },
       grpc::StatusCode::INVALID_ARGUMENT, "PURPOSE_REQUIRED", "purpose"},
      {kDesigner,
       [](pb::ExportListingRequest* r) {
         r->set_view(pb::LISTING_VIEW_FULL);
         r->set_purpose(kPurpose);
       },
       grpc::StatusCode::PERMISSION_DENIED, "PERMISSION_DENIED", ""},
      {kDesigner,
       [&](pb::ExportListingRequest* r) {
         *r->mutable_criteria() = named;
         r->set_purpose(kPurpose);
       },
       grpc::StatusCode::PERMISSION_DENIED, "CUSTOMER_IN_NOT_ALLOWED", "criteria.all.items[1].predicate.customer_in"},
      {kAnalyst, [&](pb::ExportListingRequest* r) { *r->mutable_criteria() = named; },
       grpc::StatusCode::INVALID_ARGUMENT, "PURPOSE_REQUIRED", "purpose"},
      {kApprover, [](pb::ExportListingRequest*) {}, grpc::StatusCode::PERMISSION_DENIED, "PERMISSION_DENIED", ""},
      {kCampaignSvc, [](pb::ExportListingRequest*) {}, grpc::StatusCode::PERMISSION_DENIED, "PERMISSION_DENIED", ""},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    pb::ExportListingRequest req = Everyone({pb::LISTING_FIELD_REGULATION});
    cases[i].change(&req);
    const Exported out = Export(cases[i].caller, req);
    EXPECT_THAT(out.status, GrpcStatusIs(cases[i].code, cases[i].reason, cases[i].field)) << "case " << i;
    EXPECT_TRUE(out.csv.empty()) << "case " << i;
  }
  EXPECT_EQ(Written(), before);
}

TEST_F(ListingApiTest, ATargetGroupIsListedPseudonymisedAsItsFrozenListHoldsIt) {
  const pb::TargetGroupSet set = DefineWlzGroups();
  pb::FreezeRecipientListRequest freeze;
  freeze.set_target_group_set(set.name());
  freeze.set_group("Overig");
  pb::RecipientList list;
  CAK_ASSERT_GRPC_OK(server_->stub().FreezeRecipientList(ContextFor(kDesigner).get(), freeze, &list));
  ASSERT_GT(list.member_count(), 1000);  // more than one piece

  pb::ExportListingRequest req;
  req.set_target_group_set(set.name());
  req.set_group("Overig");
  for (pb::ListingField f :
       {pb::LISTING_FIELD_BSN, pb::LISTING_FIELD_AGE, pb::LISTING_FIELD_POSTCODE, pb::LISTING_FIELD_DEBT,
        pb::LISTING_FIELD_MUNICIPALITY, pb::LISTING_FIELD_REGULATION, pb::LISTING_FIELD_ROUTING}) {
    req.add_fields(f);
  }
  const Exported out = Export(kDesigner, req);
  CAK_ASSERT_GRPC_OK(out.status);
  EXPECT_EQ(out.header, (std::vector<std::string>{"pseudonym", "age_band", "postcode_digits", "debt_band",
                                                  "municipality_code", "regulation", "routing"}));
  ASSERT_EQ(static_cast<int64_t>(out.rows.size()), list.member_count());
  // Progress: the header first (0 rows), then pieces of at most 1,000 up to the total.
  ASSERT_GE(out.messages.size(), 3u);
  EXPECT_EQ(out.messages[0].rows_sent(), 0);
  EXPECT_EQ(out.messages[1].rows_sent(), 1000);
  for (const auto& m : out.messages) {
    EXPECT_EQ(m.total_rows(), list.member_count());
    EXPECT_EQ(m.selected(), list.member_count());
    EXPECT_EQ(m.snapshot_version(), set.snapshot_version());
  }
  EXPECT_EQ(out.messages.back().rows_sent(), list.member_count());

  const std::regex pseudonym("[0-9a-f]{16}"), band("[0-9]+-[0-9]+|100\\+"), digits("[0-9]{4}|"),
      debt("0|<100|100-999|1000-9999|10000\\+");
  std::string previous;
  for (const auto& r : out.rows) {
    ASSERT_EQ(r.size(), 7u);
    EXPECT_TRUE(std::regex_match(r[0], pseudonym)) << r[0];
    EXPECT_GT(r[0], previous);  // pseudonym order
    previous = r[0];
    EXPECT_TRUE(std::regex_match(r[1], band)) << r[1];
    EXPECT_TRUE(std::regex_match(r[2], digits)) << r[2];
    EXPECT_TRUE(std::regex_match(r[3], debt)) << r[3];
    EXPECT_TRUE(std::regex_match(r[4], std::regex("GM[0-9]{4}"))) << r[4];
    EXPECT_FALSE(r[5] == "WLZ" && r[6] == "REPRESENTATIVE");  // the first group took those
  }
  EXPECT_FALSE(std::regex_search(out.csv, std::regex("(^|,)[0-9]{9,10}(,|\n)")));  // no BSN, no customer number

  // One entry, pseudonymised, with every listed customer as a subject row: exactly the members
  // of the frozen list (the freeze's entry names the same people).
  const std::string entry = EntryId();
  EXPECT_EQ(Attribute(entry, "view"), "PSEUDONYMISED");
  EXPECT_EQ(Attribute(entry, "group"), "Overig");
  EXPECT_EQ(SubjectRows(entry), absl::StrCat(list.member_count()));
  const std::string freeze_entry =
      Query("SELECT max(id) FROM " + Table("processing_log") + " WHERE name = 'analysis.FreezeRecipientList'");
  EXPECT_EQ(Query("SELECT count(*) FROM (SELECT data_subject_id FROM " + Table("processing_log_subjects") +
                  " WHERE entry_id = " + entry + " EXCEPT SELECT data_subject_id FROM " +
                  Table("processing_log_subjects") + " WHERE entry_id = " + freeze_entry + ") x"),
            "0");
}

TEST_F(ListingApiTest, TheFullViewIsForAnAnalystWithAPurposeUpToTheLimit) {
  // One customer objected: left out, and counted.
  const std::string objected = Query("SELECT lpad(min(bsn)::text, 9, '0') FROM " + Table("customers_v1"));
  auto subjects = privacy::DataSubjectService::NewStub(common::testing::LocalChannel(server_->server().grpc_port()));
  privacy::RecordObjectionRequest objection;
  objection.set_bsn(objected);
  objection.set_kind(privacy::OBJECTION_KIND_OBJECTION);
  objection.set_scope(privacy::OBJECTION_SCOPE_CONTACT);
  objection.set_reason("Brief van de klant, kenmerk BZ-2026-0042");
  privacy::ObjectionAnswer recorded;
  CAK_ASSERT_GRPC_OK(subjects->RecordObjection(ContextFor(kPrivacy).get(), objection, &recorded));

  pb::ExportListingRequest req =
      Everyone({pb::LISTING_FIELD_BSN, pb::LISTING_FIELD_CUSTOMER_NUMBER, pb::LISTING_FIELD_NAME, pb::LISTING_FIELD_AGE,
                pb::LISTING_FIELD_DEBT, pb::LISTING_FIELD_ACTIVE});
  req.set_view(pb::LISTING_VIEW_FULL);
  req.set_purpose(kPurpose);
  req.set_limit(1500);
  const Exported out = Export(kAnalyst, req);
  CAK_ASSERT_GRPC_OK(out.status);
  EXPECT_EQ(out.header, (std::vector<std::string>{"bsn", "customer_number", "name", "age", "debt_cents", "active"}));
  ASSERT_EQ(out.rows.size(), 1500u);
  EXPECT_EQ(out.messages.back().selected(), 1999);
  EXPECT_EQ(out.messages.back().excluded_by_objection(), 1);
  EXPECT_EQ(out.messages.back().total_rows(), 1500);
  EXPECT_EQ(out.messages.size(), 3u);  // header, 1,000, 500
  // BSN order: the 1,500 smallest BSNs of those who did not object.
  EXPECT_EQ(out.rows.front()[0],
            Query("SELECT lpad(bsn::text, 9, '0') FROM " + Table("customers_v1") + " ORDER BY bsn OFFSET 1 LIMIT 1"));
  EXPECT_EQ(out.rows.back()[0], Query("SELECT lpad(bsn::text, 9, '0') FROM " + Table("customers_v1") +
                                      " ORDER BY bsn OFFSET 1500 LIMIT 1"));
  const std::string& first = out.rows.front()[0];
  EXPECT_EQ(out.rows.front()[1],
            Query("SELECT customer_number FROM " + Table("customers_v1") + " WHERE bsn = " + first));
  EXPECT_EQ(out.rows.front()[4], Query("SELECT debt_cents FROM " + Table("customers_v1") + " WHERE bsn = " + first));
  for (const auto& r : out.rows) {
    EXPECT_NE(r[0], objected);
    EXPECT_TRUE(std::regex_match(r[1], std::regex("[0-9]{10}"))) << r[1];
    EXPECT_EQ(r[2].find('*'), std::string::npos);
    EXPECT_TRUE(std::regex_match(r[3], std::regex("[0-9]+"))) << r[3];
  }
  const std::string entry = EntryId();
  EXPECT_EQ(Attribute(entry, "view"), "FULL");
  EXPECT_EQ(Attribute(entry, "purpose"), kPurpose);
  EXPECT_EQ(Attribute(entry, "rows"), "1500");
  EXPECT_EQ(Query("SELECT actor FROM " + Table("processing_log") + " WHERE id = " + entry), kAnalyst.id);
  EXPECT_EQ(SubjectRows(entry), "1500");
}

// A criteria listing tells about the customers its criteria name even when it lists none of
// them ("not a customer, or objected"): they are logged with the purpose, as AnalyzeImpact and
// CreateSample log them.
TEST_F(ListingApiTest, ACriteriaListingLogsTheCustomersItNamesListedOrNot) {
  std::string bsn;
  NamingOne(&bsn);
  pb::ExportListingRequest req = Everyone({pb::LISTING_FIELD_BSN});
  auto* all = req.mutable_criteria()->mutable_all();
  all->add_items()->mutable_predicate()->mutable_customer_in()->add_bsns(bsn);
  all->add_items()->mutable_not_()->mutable_predicate()->mutable_customer_in()->add_bsns(bsn);  // nobody
  req.set_purpose(kPurpose);
  const Exported out = Export(kAnalyst, req);
  CAK_ASSERT_GRPC_OK(out.status);
  EXPECT_TRUE(out.rows.empty());
  const std::string named = Query("SELECT max(id) FROM " + Table("processing_log") +
                                  " WHERE name = 'analysis.ExportListing' AND attributes->>'subjects' = "
                                  "'named in the criteria'");
  ASSERT_FALSE(named.empty());
  EXPECT_EQ(Attribute(named, "purpose"), kPurpose);
  EXPECT_EQ(SubjectRows(named), "1");
}

// A target group set whose criteria name customers (a designer may define one) is listed under
// the criteria's rule: an employee with the analyst role and a purpose, the named customers
// logged. Any group of the set counts: a later group's members are those no earlier one took.
TEST_F(ListingApiTest, ASetNamingCustomersIsListedOnlyByAnAnalystWithAPurpose) {
  std::string bsn;
  pb::DefineTargetGroupsRequest define;
  define.set_signal(kSignal);
  auto* g = define.add_groups();
  g->set_name("Voorbeeldklanten");
  *g->mutable_criteria() = NamingOne(&bsn);
  g = define.add_groups();
  g->set_name("Overig");
  g->mutable_criteria()->mutable_all();
  define.set_purpose(kPurpose);
  pb::TargetGroupSet set;
  CAK_ASSERT_GRPC_OK(server_->stub().DefineTargetGroups(ContextFor(kDesigner).get(), define, &set));
  const std::string before = Written();

  pb::ExportListingRequest req;
  req.set_target_group_set(set.name());
  req.set_group("Overig");
  req.add_fields(pb::LISTING_FIELD_BSN);
  for (const std::string& purpose : {std::string(), std::string(kPurpose)}) {
    req.set_purpose(purpose);
    const Exported out = Export(kDesigner, req);
    EXPECT_THAT(out.status,
                GrpcStatusIs(grpc::StatusCode::PERMISSION_DENIED, "CUSTOMER_IN_NOT_ALLOWED", "target_group_set"))
        << purpose;
    EXPECT_TRUE(out.csv.empty());
  }
  req.clear_purpose();
  Exported out = Export(kAnalyst, req);
  EXPECT_THAT(out.status, GrpcStatusIs(grpc::StatusCode::INVALID_ARGUMENT, "PURPOSE_REQUIRED", "purpose"));
  EXPECT_TRUE(out.csv.empty());
  EXPECT_EQ(Written(), before);

  req.set_purpose(kPurpose);
  out = Export(kAnalyst, req);
  CAK_ASSERT_GRPC_OK(out.status);
  EXPECT_EQ(static_cast<int64_t>(out.rows.size()), set.groups(1).impact().total());
  const std::string named = Query("SELECT max(id) FROM " + Table("processing_log") +
                                  " WHERE name = 'analysis.ExportListing' AND attributes->>'subjects' = "
                                  "'named in the target group set''s criteria'");
  ASSERT_FALSE(named.empty());
  EXPECT_EQ(Attribute(named, "purpose"), kPurpose);
  EXPECT_EQ(Attribute(named, "target_group_set"), set.name().substr(std::string("targetGroupSets/").size()));
  EXPECT_EQ(SubjectRows(named), "1");
}

// Listings share StreamRecipients' cap on streams at once per replica: one more is refused
// (RESOURCE_EXHAUSTED TOO_MANY_STREAMS, nothing written) while the cap is taken, and runs once
// a slot is free again.
TEST_F(ListingApiTest, ListingsAreCappedLikeRecipientStreams) {
  server_.reset();
  testing::TestServerOptions options;
  options.max_concurrent_streams = 1;
  auto s = testing::AnalysisTestServer::Start(options);
  ASSERT_TRUE(s.ok()) << s.status();
  server_ = *std::move(s);
  CAK_ASSERT_OK(server_->ImportGenerated());

  const pb::ExportListingRequest req = Everyone({pb::LISTING_FIELD_REGULATION});
  auto running = api::FromProto(req);
  ASSERT_TRUE(running.ok()) << running.status();
  int pieces = 0;
  // A listing running in this thread holds the one slot while its sink runs.
  CAK_ASSERT_OK(server_->service().ExportListing(
      testing::AdminCall(), *running, [&](const std::string&, const domain::ListingProgress&) {
        if (pieces++ > 0) return true;
        const std::string before = Written();
        const Exported refused = Export(kAnalyst, req);
        EXPECT_THAT(refused.status, GrpcStatusIs(grpc::StatusCode::RESOURCE_EXHAUSTED, "TOO_MANY_STREAMS", ""));
        EXPECT_TRUE(refused.csv.empty());
        EXPECT_EQ(Written(), before);
        return true;
      }));
  EXPECT_GT(pieces, 1);
  CAK_ASSERT_GRPC_OK(Export(kAnalyst, req).status);
}

TEST_F(ListingApiTest, TheCommandLineWritesTheListingToAFile) {
  cli::GlobalOptions global;
  global.address = absl::StrCat("127.0.0.1:", server_->server().grpc_port());
  global.as = kDesigner.id;
  global.roles = kDesigner.roles;
  auto client = cli::Client::Create(global);
  ASSERT_TRUE(client.ok()) << client.status();
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / absl::StrCat("cak-listing-", common::NewUuid());
  std::filesystem::create_directories(dir);

  cli::ListingOptions options;
  options.where = "regulation:WMO";
  options.fields = "bsn,regulation,age";
  options.out = (dir / "wmo.csv").string();
  // What a crash or someone else left where the partial file goes: a symlink to another file.
  // The listing neither follows it nor writes into that file.
  const std::filesystem::path elsewhere = dir / "elsewhere.txt";
  std::ofstream(elsewhere) << "not the listing\n";
  std::filesystem::create_symlink(elsewhere, options.out + ".partial");
  EXPECT_EQ(cli::Listing(**client, options), 0);
  {
    std::ifstream kept(elsewhere);
    std::stringstream text;
    text << kept.rdbuf();
    EXPECT_EQ(text.str(), "not the listing\n");
  }
  EXPECT_FALSE(std::filesystem::is_symlink(options.out));
  std::ifstream in(options.out);
  std::stringstream text;
  text << in.rdbuf();
  std::vector<std::string> lines = absl::StrSplit(text.str(), '\n', absl::SkipEmpty());
  ASSERT_FALSE(lines.empty());
  EXPECT_EQ(lines[0], "pseudonym,regulation,age_band");
  pb::AnalyzeImpactRequest impact;
  impact.mutable_criteria()->mutable_predicate()->mutable_regulation_in()->add_regulations(pb::REGULATION_WMO);
  pb::ImpactAnalysis wmo;
  CAK_ASSERT_GRPC_OK(server_->stub().AnalyzeImpact(ContextFor(kDesigner).get(), impact, &wmo));
  EXPECT_EQ(static_cast<int64_t>(lines.size()) - 1, wmo.total());
  for (size_t i = 1; i < lines.size(); ++i) EXPECT_NE(lines[i].find(",WMO,"), std::string::npos) << lines[i];
  struct stat st;
  ASSERT_EQ(::stat(options.out.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600);  // personal data: the owner's only
  EXPECT_FALSE(std::filesystem::exists(options.out + ".partial"));
  // A stale partial file readable by everyone does not pass its mode on.
  const std::string again = (dir / "again.csv").string();
  std::ofstream(again + ".partial") << "stale\n";
  ASSERT_EQ(::chmod((again + ".partial").c_str(), 0644), 0);
  options.out = again;
  EXPECT_EQ(cli::Listing(**client, options), 0);
  ASSERT_EQ(::stat(again.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600);
  EXPECT_FALSE(std::filesystem::exists(again + ".partial"));

  // Refused (a designer asking for the full view): exit code 1 and no file.
  options.full = true;
  options.purpose = kPurpose;
  options.out = (dir / "full.csv").string();
  EXPECT_EQ(cli::Listing(**client, options), 1);
  EXPECT_FALSE(std::filesystem::exists(options.out));
  EXPECT_FALSE(std::filesystem::exists(options.out + ".partial"));
  // An unknown field is usage (2), before anything is asked.
  options.full = false;
  options.fields = "bsn,shoe-size";
  EXPECT_EQ(cli::Listing(**client, options), 2);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace cak::analysis
