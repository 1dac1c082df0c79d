// AnalysisService over a real gRPC channel: authentication and the role table, every kind of
// bad criteria (status, reason and the offending field), bad imports that write nothing,
// pseudonymised samples and the guarded FULL view, and the field sets of a streamed list.
#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <set>

#include "absl/strings/str_cat.h"
#include "analysis-svc/test/analysis_test_server.h"
#include "common/testing/status_matchers.h"

namespace cak::analysis {
namespace {

using common::testing::ContextFor;
using common::testing::GrpcStatusIs;
using common::testing::TestCaller;
using testing::pb::AnalysisService;
namespace pb = testing::pb;
namespace plog = cak::voorlichting::processinglog::v1;

const TestCaller kAnalyst{"emp-2001", {"analyst"}};
const TestCaller kDesigner{"emp-3001", {"campaign_designer"}};
const TestCaller kAdmin{"ops-1", {"administrator"}};
const TestCaller kDispatch{"dispatch-svc", {"dispatch_service"}, true};
const TestCaller kIntakeOfficer{"emp-1001", {"intake_officer"}};

// A planned mailing of `bsn` on 15 January 2027.
pb::Mailing MailingOf(const std::string& bsn, pb::MailingType type = pb::MAILING_TYPE_INVOICE) {
  pb::Mailing m;
  m.set_customer_bsn(bsn);
  m.set_mailing_type(type);
  m.mutable_planned_date()->set_year(2027);
  m.mutable_planned_date()->set_month(1);
  m.mutable_planned_date()->set_day(15);
  return m;
}

class AnalysisApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = testing::AnalysisTestServer::Start();
    ASSERT_TRUE(s.ok()) << s.status();
    server_ = *std::move(s);
  }

  void Load() { CAK_ASSERT_OK(server_->ImportGenerated()); }

  grpc::Status Impact(const TestCaller& caller, const pb::AnalyzeImpactRequest& req, pb::ImpactAnalysis* out) {
    return server_->stub().AnalyzeImpact(ContextFor(caller).get(), req, out);
  }

  static pb::Criteria Everyone() {
    pb::Criteria c;
    c.mutable_all();
    return c;
  }

  std::unique_ptr<testing::AnalysisTestServer> server_;
};

TEST_F(AnalysisApiTest, CallersAreAuthenticatedAndCheckedPerMethod) {
  Load();
  pb::AnalyzeImpactRequest req;
  *req.mutable_criteria() = Everyone();
  pb::ImpactAnalysis out;
  EXPECT_THAT(server_->stub().AnalyzeImpact(common::testing::AnonymousContext().get(), req, &out),
              GrpcStatusIs(grpc::StatusCode::UNAUTHENTICATED, "UNAUTHENTICATED", ""));
  EXPECT_THAT(Impact(kIntakeOfficer, req, &out),
              GrpcStatusIs(grpc::StatusCode::PERMISSION_DENIED, "PERMISSION_DENIED", ""));
  CAK_ASSERT_GRPC_OK(Impact(kAnalyst, req, &out));
  EXPECT_EQ(out.total(), 2000);

  pb::StreamRecipientsRequest stream;
  stream.set_name("recipientLists/5b7f2f0e-2a43-4d7e-8c57-2f3a9d1b6e01");
  stream.set_field_set(pb::FIELD_SET_POSTAL);
  auto stream_ctx = ContextFor(kAnalyst);
  auto reader = server_->stub().StreamRecipients(stream_ctx.get(), stream);
  pb::StreamRecipientsResponse r;
  while (reader->Read(&r)) {
  }
  EXPECT_THAT(reader->Finish(), GrpcStatusIs(grpc::StatusCode::PERMISSION_DENIED, "PERMISSION_DENIED", ""));

  pb::ImportFileRequest import;
  import.set_dataset(pb::DATASET_CUSTOMERS);
  import.set_path("customers.csv");
  pb::ImportReport report;
  EXPECT_THAT(server_->stub().ImportFile(ContextFor(kAnalyst).get(), import, &report),
              GrpcStatusIs(grpc::StatusCode::PERMISSION_DENIED, "PERMISSION_DENIED", ""));
}

TEST_F(AnalysisApiTest, NothingToAnalyseBeforeTheFirstImport) {
  pb::AnalyzeImpactRequest req;
  *req.mutable_criteria() = Everyone();
  pb::ImpactAnalysis out;
  EXPECT_THAT(Impact(kAnalyst, req, &out), GrpcStatusIs(grpc::StatusCode::FAILED_PRECONDITION, "NO_SNAPSHOT", ""));
}

TEST_F(AnalysisApiTest, BadCriteriaNameTheField) {
  Load();
  pb::ImpactAnalysis out;
  struct Case {
    std::function<void(pb::AnalyzeImpactRequest*)> build;
    std::string reason, field;
  };
  const std::vector<Case> cases = {
      {[](pb::AnalyzeImpactRequest*) {}, "REQUIRED_FIELD_MISSING", "criteria"},
      {[](pb::AnalyzeImpactRequest* r) { r->mutable_criteria(); }, "REQUIRED_FIELD_MISSING", "criteria"},
      {[](pb::AnalyzeImpactRequest* r) {
         auto* all = r->mutable_criteria()->mutable_all();
         all->add_items()->mutable_predicate()->set_active(true);
         all->add_items()->mutable_predicate();  // a predicate without a field
       },
       "UNKNOWN_FIELD", "criteria.all.items[1].predicate"},
      {[](pb::AnalyzeImpactRequest* r) {
         // A field number this server does not know (a newer client's predicate).
         pb::Predicate p;
         p.GetReflection()->MutableUnknownFields(&p)->AddVarint(99, 1);
         *r->mutable_criteria()->mutable_not_()->mutable_predicate() = p;
       },
       "UNKNOWN_FIELD", "criteria.not.predicate"},
      {[](pb::AnalyzeImpactRequest* r) {
         r->mutable_criteria()->mutable_predicate()->mutable_municipality_in()->add_municipality_codes("0363");
       },
       "INVALID_FIELD_VALUE", "criteria.predicate.municipality_in.municipality_codes[0]"},
      {[](pb::AnalyzeImpactRequest* r) {
         auto* in = r->mutable_criteria()->mutable_any()->add_items()->mutable_predicate()->mutable_customer_in();
         in->add_bsns("111222333");
         in->add_bsns("111222334");
       },
       "INVALID_BSN", "criteria.any.items[0].predicate.customer_in.bsns[1]"},
      {[](pb::AnalyzeImpactRequest* r) {
         auto* d = r->mutable_criteria()->mutable_predicate()->mutable_debt_between();
         d->set_min_cents(100);
         d->set_max_cents(10);
       },
       "INVALID_RANGE", "criteria.predicate.debt_between.max_cents"},
      {[](pb::AnalyzeImpactRequest* r) {
         r->mutable_criteria()->mutable_predicate()->mutable_regulation_in()->add_regulations(
             static_cast<pb::Regulation>(42));
       },
       "UNKNOWN_ENUM_VALUE", "criteria.predicate.regulation_in.regulations[0]"},
      {[](pb::AnalyzeImpactRequest* r) {
         auto* m = r->mutable_criteria()->mutable_predicate()->mutable_planned_mailing();
         m->mutable_from_date()->set_year(2026);
         m->mutable_from_date()->set_month(2);
         m->mutable_from_date()->set_day(30);
         *m->mutable_to_date() = m->from_date();
       },
       "INVALID_DATE", "criteria.predicate.planned_mailing.from_date"},
      {[](pb::AnalyzeImpactRequest* r) {
         *r->mutable_criteria() = Everyone();
         r->set_pressure_days(5000);
       },
       "INVALID_RANGE", "pressure_days"},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    pb::AnalyzeImpactRequest req;
    cases[i].build(&req);
    EXPECT_THAT(Impact(kAnalyst, req, &out),
                GrpcStatusIs(grpc::StatusCode::INVALID_ARGUMENT, cases[i].reason, cases[i].field))
        << "case " << i;
  }
}

TEST_F(AnalysisApiTest, StreamedImportReportsBadRowsAndRefusesWholeWhenTooMany) {
  Load();
  auto before = server_->schema().Query("SELECT max(version) FROM " + server_->schema().name() + ".snapshots");
  const std::string known = *server_->schema().Query("SELECT lpad(min(bsn)::text, 9, '0') FROM " +
                                                     server_->schema().name() + ".customers_v1");
  {  // 2 of 3 rows bad, allowed share 0.7: loads
    auto ctx = ContextFor(kAdmin);
    pb::ImportReport report;
    auto writer = server_->stub().ImportMailings(ctx.get(), &report);
    pb::ImportMailingsRequest first;
    first.mutable_options()->set_max_rejected_share(0.7);
    first.mutable_options()->set_source("test");
    *first.add_rows() = MailingOf(known, pb::MAILING_TYPE_INVOICE);
    ASSERT_TRUE(writer->Write(first));
    pb::ImportMailingsRequest second;
    *second.add_rows() = MailingOf("123456782", pb::MAILING_TYPE_INVOICE);  // not a customer
    *second.add_rows() = MailingOf(known, static_cast<pb::MailingType>(17));
    ASSERT_TRUE(writer->Write(second));
    writer->WritesDone();
    CAK_ASSERT_GRPC_OK(writer->Finish());
    EXPECT_EQ(report.rows_read(), 3);
    EXPECT_EQ(report.rows_loaded(), 1);
    ASSERT_EQ(report.errors_size(), 2);
    EXPECT_EQ(report.errors(0).row(), 2);
    EXPECT_EQ(report.errors(0).reason(), "UNKNOWN_CUSTOMER");
    EXPECT_EQ(report.errors(1).row(), 3);
    EXPECT_EQ(report.errors(1).field(), "mailing_type");
    EXPECT_EQ(report.errors(1).reason(), "UNKNOWN_ENUM_VALUE");
  }
  const std::string after_good =
      *server_->schema().Query("SELECT max(version) FROM " + server_->schema().name() + ".snapshots");
  EXPECT_NE(after_good, *before);
  {  // default share 1%: refused, nothing changes
    auto ctx = ContextFor(kAdmin);
    pb::ImportReport report;
    auto writer = server_->stub().ImportMailings(ctx.get(), &report);
    pb::ImportMailingsRequest first;
    *first.add_rows() = MailingOf(known, pb::MAILING_TYPE_INVOICE);
    *first.add_rows() = MailingOf("123456782", pb::MAILING_TYPE_INVOICE);
    ASSERT_TRUE(writer->Write(first));
    writer->WritesDone();
    EXPECT_THAT(writer->Finish(), GrpcStatusIs(grpc::StatusCode::INVALID_ARGUMENT, "TOO_MANY_REJECTED_ROWS", "rows"));
  }
  {  // options after the first message
    auto ctx = ContextFor(kAdmin);
    pb::ImportReport report;
    auto writer = server_->stub().ImportMailings(ctx.get(), &report);
    pb::ImportMailingsRequest first;
    *first.add_rows() = MailingOf(known, pb::MAILING_TYPE_INVOICE);
    ASSERT_TRUE(writer->Write(first));
    pb::ImportMailingsRequest second;
    second.mutable_options()->set_source("late");
    writer->Write(second);
    writer->WritesDone();
    EXPECT_THAT(writer->Finish(), GrpcStatusIs(grpc::StatusCode::INVALID_ARGUMENT, "INVALID_FIELD_VALUE", "options"));
  }
  EXPECT_EQ(*server_->schema().Query("SELECT max(version) FROM " + server_->schema().name() + ".snapshots"),
            after_good);
  // README "Failed processing is logged": the refused import and the abandoned one had read rows,
  // so each left an ERROR entry (code and reason, never the input).
  auto entries = [&](const std::string& where) {
    return server_->Count("processing_log WHERE name = 'analysis.ImportMailings' AND status = 2 AND " + where);
  };
  EXPECT_EQ(entries("attributes->>'error_reason' = 'TOO_MANY_REJECTED_ROWS' AND attributes->>'rows_read' = '2'"
                    " AND attributes->>'rows_rejected' = '1'"),
            1);
  EXPECT_EQ(entries("attributes->>'error_reason' = 'IMPORT_ABANDONED' AND attributes->>'rows_read' = '1'"), 1);
  EXPECT_EQ(entries("attributes::text LIKE '%123456782%'"), 0);
  EXPECT_EQ(*server_->schema().Query(
                "SELECT count(*) FROM pg_tables WHERE schemaname = '" + server_->schema().name() +
                "' AND tablename ~ '_v[0-9]+$' AND tablename NOT IN (SELECT dataset || '_v' || id FROM " +
                server_->schema().name() + ".dataset_versions WHERE status = 'published')"),
            "0");
}

// A one-row import whose row is bad names the row, the field and the reason; an import repeated
// with the same request_id and the same rows but other options, or by another caller, is another
// request (REQUEST_ID_REUSED), not a replay.
TEST_F(AnalysisApiTest, ImportRefusalsNameTheRowAndRequestIdsCoverOptionsAndCaller) {
  Load();
  const std::string known = *server_->schema().Query("SELECT lpad(min(bsn)::text, 9, '0') FROM " +
                                                     server_->schema().name() + ".customers_v1");
  auto import = [&](const TestCaller& caller, const std::string& request_id, const std::string& source,
                    const pb::Mailing& row, pb::ImportReport* report) {
    auto ctx = ContextFor(caller);
    auto writer = server_->stub().ImportMailings(ctx.get(), report);
    pb::ImportMailingsRequest first;
    first.mutable_options()->set_request_id(request_id);
    first.mutable_options()->set_source(source);
    *first.add_rows() = row;
    EXPECT_TRUE(writer->Write(first));
    writer->WritesDone();
    return writer->Finish();
  };
  pb::ImportReport report;
  const grpc::Status one_bad = import(kAdmin, "", "test", MailingOf(known, static_cast<pb::MailingType>(17)), &report);
  EXPECT_THAT(one_bad, GrpcStatusIs(grpc::StatusCode::INVALID_ARGUMENT, "EMPTY_IMPORT", "rows"));
  EXPECT_NE(one_bad.error_message().find("row 1 mailing_type UNKNOWN_ENUM_VALUE"), std::string::npos)
      << one_bad.error_message();

  const pb::Mailing good = MailingOf(known, pb::MAILING_TYPE_INVOICE);
  CAK_ASSERT_GRPC_OK(import(kAdmin, "mailings-0042", "extract-a", good, &report));
  EXPECT_FALSE(report.replayed());
  CAK_ASSERT_GRPC_OK(import(kAdmin, "mailings-0042", "extract-a", good, &report));
  EXPECT_TRUE(report.replayed());
  const std::string snapshots = std::to_string(server_->Count("snapshots"));
  EXPECT_THAT(import(kAdmin, "mailings-0042", "extract-b", good, &report),
              GrpcStatusIs(grpc::StatusCode::INVALID_ARGUMENT, "REQUEST_ID_REUSED", "options.request_id"));
  const TestCaller other_admin{"ops-2", {"administrator"}};
  EXPECT_THAT(import(other_admin, "mailings-0042", "extract-a", good, &report),
              GrpcStatusIs(grpc::StatusCode::INVALID_ARGUMENT, "REQUEST_ID_REUSED", "options.request_id"));
  EXPECT_EQ(std::to_string(server_->Count("snapshots")), snapshots);
}

// README "Failed processing is logged": an import refused before it read a row logs nothing
// (those that read rows and failed: StreamedImportReportsBadRowsAndRefusesWholeWhenTooMany).
TEST_F(AnalysisApiTest, AnImportRefusedBeforeReadingARowLogsNothing) {
  Load();
  const std::string before = std::to_string(server_->Count("processing_log"));
  auto ctx = ContextFor(kAdmin);
  pb::ImportReport report;
  auto writer = server_->stub().ImportMailings(ctx.get(), &report);
  pb::ImportMailingsRequest empty;
  empty.mutable_options()->set_source("test");
  ASSERT_TRUE(writer->Write(empty));
  writer->WritesDone();
  EXPECT_THAT(writer->Finish(), GrpcStatusIs(grpc::StatusCode::INVALID_ARGUMENT, "EMPTY_IMPORT", "rows"));
  EXPECT_EQ(std::to_string(server_->Count("processing_log")), before);
}

// A sample for campaign-svc carries each member's processing-log id (so that the preview it
// renders is logged per subject there); nobody else gets ids that match log entries.
TEST_F(AnalysisApiTest, OnlyCampaignSvcGetsTheSampledSubjectsLogIds) {
  Load();
  pb::CreateSampleRequest req;
  *req.mutable_criteria() = Everyone();
  req.set_size(5);
  req.set_seed(7);
  pb::Sample designer, service;
  CAK_ASSERT_GRPC_OK(server_->stub().CreateSample(ContextFor(kDesigner).get(), req, &designer));
  const TestCaller campaign_svc{"campaign-svc", {"campaign_service"}, true};
  CAK_ASSERT_GRPC_OK(server_->stub().CreateSample(ContextFor(campaign_svc).get(), req, &service));
  ASSERT_EQ(service.members_size(), 5);
  for (int i = 0; i < 5; ++i) {
    EXPECT_TRUE(designer.members(i).data_subject_id().empty());
    EXPECT_EQ(service.members(i).data_subject_id().size(), 64u);
    // The same id analysis-svc logged the sampled subject under.
    EXPECT_EQ(*server_->schema().Query("SELECT count(*) FROM " + server_->schema().name() +
                                       ".processing_log WHERE name = 'analysis.CreateSample' AND data_subject_id = '" +
                                       service.members(i).data_subject_id() + "'"),
              "2");
  }
}

TEST_F(AnalysisApiTest, ImportFileStaysInsideTheImportDirectory) {
  pb::ImportReport report;
  for (const std::string path : {"../customers.csv", "/etc/passwd", "a/../../b.csv"}) {
    pb::ImportFileRequest req;
    req.set_dataset(pb::DATASET_CUSTOMERS);
    req.set_path(path);
    EXPECT_THAT(server_->stub().ImportFile(ContextFor(kAdmin).get(), req, &report),
                GrpcStatusIs(grpc::StatusCode::INVALID_ARGUMENT, "INVALID_IMPORT_PATH", "path"))
        << path;
  }
  std::filesystem::create_symlink("/etc/hostname", server_->import_dir() + "/outside.csv");
  pb::ImportFileRequest link;
  link.set_dataset(pb::DATASET_CUSTOMERS);
  link.set_path("outside.csv");
  EXPECT_THAT(server_->stub().ImportFile(ContextFor(kAdmin).get(), link, &report),
              GrpcStatusIs(grpc::StatusCode::INVALID_ARGUMENT, "INVALID_IMPORT_PATH", "path"));
  pb::ImportFileRequest missing;
  missing.set_dataset(pb::DATASET_CUSTOMERS);
  missing.set_path("nope.csv");
  EXPECT_THAT(server_->stub().ImportFile(ContextFor(kAdmin).get(), missing, &report),
              GrpcStatusIs(grpc::StatusCode::NOT_FOUND, "IMPORT_FILE_NOT_FOUND", "path"));
  pb::ImportFileRequest no_dataset;
  no_dataset.set_path("customers.csv");
  EXPECT_THAT(server_->stub().ImportFile(ContextFor(kAdmin).get(), no_dataset, &report),
              GrpcStatusIs(grpc::StatusCode::INVALID_ARGUMENT, "REQUIRED_FIELD_MISSING", "dataset"));
  pb::ImportFileRequest wrong_file;  // a mailings file as customers: the header says so
  wrong_file.set_dataset(pb::DATASET_CUSTOMERS);
  wrong_file.set_path("mailings.csv");
  EXPECT_THAT(server_->stub().ImportFile(ContextFor(kAdmin).get(), wrong_file, &report),
              GrpcStatusIs(grpc::StatusCode::INVALID_ARGUMENT, "INVALID_CSV_HEADER", "path"));
  EXPECT_EQ(server_->Count("snapshots"), 0);
  EXPECT_EQ(server_->Count("processing_log"), 0);  // refused before a row was read: nothing to log
}

TEST_F(AnalysisApiTest, SamplesArePseudonymisedUnlessAnAnalystStatesAPurpose) {
  Load();
  pb::CreateSampleRequest req;
  *req.mutable_criteria() = Everyone();
  req.set_size(25);
  req.set_seed(424242);
  req.set_stratification(pb::STRATIFICATION_REGULATION);
  pb::Sample a, b;
  CAK_ASSERT_GRPC_OK(server_->stub().CreateSample(ContextFor(kDesigner).get(), req, &a));
  CAK_ASSERT_GRPC_OK(server_->stub().CreateSample(ContextFor(kAnalyst).get(), req, &b));
  ASSERT_EQ(a.members_size(), 25);
  EXPECT_EQ(a.population(), 2000);
  for (int i = 0; i < a.members_size(); ++i) {
    const auto& m = a.members(i);
    EXPECT_TRUE(m.bsn().empty());
    EXPECT_TRUE(m.full_name().empty());
    EXPECT_FALSE(m.has_address());
    EXPECT_EQ(m.pseudonym().size(), 16u);
    EXPECT_NE(m.masked_name().find('*'), std::string::npos);
    EXPECT_EQ(m.pseudonym(), b.members(i).pseudonym());  // same seed, same snapshot: same sample
  }
  EXPECT_NE(a.name(), b.name());  // each draw is kept on its own

  req.set_view(pb::SAMPLE_VIEW_FULL);
  pb::Sample full;
  const int64_t samples_before = server_->Count("samples");
  EXPECT_THAT(server_->stub().CreateSample(ContextFor(kDesigner).get(), req, &full),
              GrpcStatusIs(grpc::StatusCode::PERMISSION_DENIED, "PERMISSION_DENIED", ""));
  EXPECT_THAT(server_->stub().CreateSample(ContextFor(kAnalyst).get(), req, &full),
              GrpcStatusIs(grpc::StatusCode::INVALID_ARGUMENT, "PURPOSE_REQUIRED", "purpose"));
  EXPECT_EQ(server_->Count("samples"), samples_before);  // refused: nothing kept
  req.set_purpose("Dossieronderzoek signaal 2026-118: controle eigen bijdrage");
  CAK_ASSERT_GRPC_OK(server_->stub().CreateSample(ContextFor(kAnalyst).get(), req, &full));
  EXPECT_EQ(full.members(0).pseudonym(), a.members(0).pseudonym());
  EXPECT_EQ(full.members(0).bsn().size(), 9u);
  EXPECT_FALSE(full.members(0).full_name().empty());
  EXPECT_EQ(server_->Count("samples"), samples_before + 1);
  // One log entry per customer shown, with the purpose.
  auto logged = server_->schema().Query(
      "SELECT count(*) FROM " + server_->schema().name() +
      ".processing_log WHERE name = 'analysis.CreateSample' AND data_subject_id IS NOT NULL AND attributes->>'view' = "
      "'FULL'");
  EXPECT_EQ(*logged, "25");

  req.set_size(0);
  EXPECT_THAT(server_->stub().CreateSample(ContextFor(kAnalyst).get(), req, &full),
              GrpcStatusIs(grpc::StatusCode::INVALID_ARGUMENT, "INVALID_FIELD_VALUE", "size"));
  EXPECT_EQ(server_->Count("samples"), samples_before + 1);
}

// A sample of a target group draws from exactly the members its frozen list has (the group's
// criteria minus the earlier groups', on the set's snapshot): one definition of membership.
TEST_F(AnalysisApiTest, ASampleOfATargetGroupDrawsFromTheMembersItsListFreezes) {
  Load();
  pb::DefineTargetGroupsRequest define;
  define.set_signal("signals/5b7f2f0e-2a43-4d7e-8c57-2f3a9d1b6e01");
  auto* first = define.add_groups();
  first->set_name("WLZ");
  first->mutable_criteria()->mutable_predicate()->mutable_regulation_in()->add_regulations(pb::REGULATION_WLZ);
  auto* rest = define.add_groups();
  rest->set_name("Iedereen anders");
  *rest->mutable_criteria() = Everyone();
  pb::TargetGroupSet set;
  CAK_ASSERT_GRPC_OK(server_->stub().DefineTargetGroups(ContextFor(kAnalyst).get(), define, &set));
  const int64_t own = set.groups(1).impact().total();
  ASSERT_GT(own, 0);
  ASSERT_LT(own, 2000);  // the first group took its members

  pb::FreezeRecipientListRequest freeze;
  freeze.set_target_group_set(set.name());
  freeze.set_group("Iedereen anders");
  pb::RecipientList list;
  CAK_ASSERT_GRPC_OK(server_->stub().FreezeRecipientList(ContextFor(kDesigner).get(), freeze, &list));
  std::set<std::string> frozen;
  {
    pb::StreamRecipientsRequest req;
    req.set_name(list.name());
    req.set_field_set(pb::FIELD_SET_CONTACT_MOMENT);
    auto ctx = ContextFor(kDispatch);
    auto reader = server_->stub().StreamRecipients(ctx.get(), req);
    pb::StreamRecipientsResponse r;
    while (reader->Read(&r)) {
      for (const auto& m : r.recipients()) frozen.insert(m.bsn());
    }
    CAK_ASSERT_GRPC_OK(reader->Finish());
  }
  ASSERT_EQ(static_cast<int64_t>(frozen.size()), own);

  // The whole group, in the FULL view, is the frozen list.
  pb::CreateSampleRequest req;
  req.set_target_group_set(set.name());
  req.set_group("Iedereen anders");
  req.set_size(10000);
  req.set_seed(3);
  req.set_view(pb::SAMPLE_VIEW_FULL);
  req.set_purpose("Controle doelgroepindeling signaal 2026-118");
  pb::Sample whole;
  CAK_ASSERT_GRPC_OK(server_->stub().CreateSample(ContextFor(kAnalyst).get(), req, &whole));
  EXPECT_EQ(whole.population(), own);
  std::set<std::string> sampled;
  for (const auto& m : whole.members()) {
    EXPECT_NE(m.regulation(), pb::REGULATION_WLZ);
    sampled.insert(m.bsn());
  }
  EXPECT_EQ(sampled, frozen);
  // A small pseudonymised draw, as campaign-svc asks for a preview: members of the group, the
  // same seed the same members.
  const TestCaller campaign_svc{"campaign-svc", {"campaign_service"}, true};
  req.clear_view();
  req.clear_purpose();
  req.set_size(3);
  pb::Sample a, b;
  CAK_ASSERT_GRPC_OK(server_->stub().CreateSample(ContextFor(campaign_svc).get(), req, &a));
  CAK_ASSERT_GRPC_OK(server_->stub().CreateSample(ContextFor(campaign_svc).get(), req, &b));
  ASSERT_EQ(a.members_size(), 3);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(a.members(i).pseudonym(), b.members(i).pseudonym());
    EXPECT_TRUE(a.members(i).bsn().empty());
    EXPECT_EQ(a.members(i).data_subject_id().size(), 64u);
  }
  EXPECT_EQ(*server_->schema().Query("SELECT count(*) FROM " + server_->schema().name() +
                                     ".processing_log WHERE name = 'analysis.CreateSample' AND data_subject_id IS NULL"
                                     " AND attributes->>'target_group_set' = '" +
                                     set.name().substr(16) + "' AND attributes->>'group' = 'Iedereen anders'"),
            "3");

  // Refusals write nothing.
  const int64_t samples = server_->Count("samples");
  struct Case {
    std::function<void(pb::CreateSampleRequest*)> build;
    grpc::StatusCode code;
    std::string reason, field;
  };
  const std::vector<Case> cases = {
      {[](pb::CreateSampleRequest* r) { r->set_group("Geen"); }, grpc::StatusCode::INVALID_ARGUMENT, "GROUP_NOT_FOUND",
       "group"},
      {[](pb::CreateSampleRequest* r) { r->clear_group(); }, grpc::StatusCode::INVALID_ARGUMENT,
       "REQUIRED_FIELD_MISSING", "group"},
      {[](pb::CreateSampleRequest* r) {
         r->set_target_group_set("targetGroupSets/5b7f2f0e-2a43-4d7e-8c57-2f3a9d1b6e01");
       },
       grpc::StatusCode::NOT_FOUND, "TARGET_GROUP_SET_NOT_FOUND", ""},
      {[](pb::CreateSampleRequest* r) { r->set_target_group_set("sets/1"); }, grpc::StatusCode::INVALID_ARGUMENT,
       "INVALID_RESOURCE_NAME", "target_group_set"},
      {[](pb::CreateSampleRequest* r) { *r->mutable_criteria() = Everyone(); }, grpc::StatusCode::INVALID_ARGUMENT,
       "INVALID_FIELD_VALUE", "target_group_set"},
      {[](pb::CreateSampleRequest* r) { r->clear_target_group_set(); }, grpc::StatusCode::INVALID_ARGUMENT,
       "REQUIRED_FIELD_MISSING", "criteria"},
      {[](pb::CreateSampleRequest* r) {
         r->clear_target_group_set();
         *r->mutable_criteria() = Everyone();
       },
       grpc::StatusCode::INVALID_ARGUMENT, "INVALID_FIELD_VALUE", "group"},
      {[](pb::CreateSampleRequest* r) {
         r->mutable_reference_date()->set_year(2026);
         r->mutable_reference_date()->set_month(1);
         r->mutable_reference_date()->set_day(1);
       },
       grpc::StatusCode::INVALID_ARGUMENT, "INVALID_FIELD_VALUE", "reference_date"},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    pb::CreateSampleRequest bad = req;
    cases[i].build(&bad);
    pb::Sample out;
    EXPECT_THAT(server_->stub().CreateSample(ContextFor(kDesigner).get(), bad, &out),
                GrpcStatusIs(cases[i].code, cases[i].reason, cases[i].field))
        << "case " << i;
  }
  EXPECT_EQ(server_->Count("samples"), samples);

  // A new snapshot: the set's members are no longer what it defined (as for freezing).
  {
    auto ctx = ContextFor(kAdmin, absl::Seconds(60));
    pb::ImportReport report;
    auto writer = server_->stub().ImportMailings(ctx.get(), &report);
    pb::ImportMailingsRequest rows;
    *rows.add_rows() = MailingOf(*frozen.begin());
    ASSERT_TRUE(writer->Write(rows));
    writer->WritesDone();
    CAK_ASSERT_GRPC_OK(writer->Finish());
  }
  pb::Sample stale;
  EXPECT_THAT(server_->stub().CreateSample(ContextFor(kDesigner).get(), req, &stale),
              GrpcStatusIs(grpc::StatusCode::FAILED_PRECONDITION, "SNAPSHOT_CHANGED", ""));
  EXPECT_EQ(server_->Count("samples"), samples);
}

TEST_F(AnalysisApiTest, ListsStreamOnlyTheFieldsOfTheChannel) {
  Load();
  pb::DefineTargetGroupsRequest define;
  define.set_request_id("groups-1");
  define.set_signal("signals/5b7f2f0e-2a43-4d7e-8c57-2f3a9d1b6e01");
  auto* g = define.add_groups();
  g->set_name("WLZ met vertegenwoordiger");
  auto* all = g->mutable_criteria()->mutable_all();
  all->add_items()->mutable_predicate()->mutable_regulation_in()->add_regulations(pb::REGULATION_WLZ);
  all->add_items()->mutable_predicate()->set_has_representative(true);
  auto* rest = define.add_groups();
  rest->set_name("Overig WLZ");
  rest->mutable_criteria()->mutable_predicate()->mutable_regulation_in()->add_regulations(pb::REGULATION_WLZ);
  pb::TargetGroupSet set, again;
  CAK_ASSERT_GRPC_OK(server_->stub().DefineTargetGroups(ContextFor(kAnalyst).get(), define, &set));
  CAK_ASSERT_GRPC_OK(server_->stub().DefineTargetGroups(ContextFor(kAnalyst).get(), define, &again));
  EXPECT_TRUE(again.replayed());
  EXPECT_EQ(again.name(), set.name());
  EXPECT_EQ(set.defined_by(), "emp-2001");
  ASSERT_EQ(set.groups_size(), 2);
  EXPECT_GT(set.groups(0).impact().total(), 0);
  EXPECT_EQ(set.groups(0).impact().total() + set.groups(1).impact().total(),
            set.groups(0).impact().by_regulation(0).count() + set.groups(1).impact().by_regulation(0).count());

  pb::FreezeRecipientListRequest freeze;
  freeze.set_target_group_set(set.name());
  freeze.set_group("WLZ met vertegenwoordiger");
  pb::RecipientList list;
  CAK_ASSERT_GRPC_OK(server_->stub().FreezeRecipientList(ContextFor(kDesigner).get(), freeze, &list));
  EXPECT_EQ(list.member_count(), set.groups(0).impact().total());
  freeze.set_group("Geen");
  EXPECT_THAT(server_->stub().FreezeRecipientList(ContextFor(kDesigner).get(), freeze, &list),
              GrpcStatusIs(grpc::StatusCode::INVALID_ARGUMENT, "GROUP_NOT_FOUND", "group"));
  freeze.set_target_group_set("targetGroupSets/not-a-uuid");
  EXPECT_THAT(server_->stub().FreezeRecipientList(ContextFor(kDesigner).get(), freeze, &list),
              GrpcStatusIs(grpc::StatusCode::INVALID_ARGUMENT, "INVALID_RESOURCE_NAME", "target_group_set"));
  EXPECT_EQ(server_->Count("recipient_lists"), 1);  // the refused freezes wrote nothing

  pb::DefineTargetGroupsRequest twice = define;  // a name used twice
  twice.set_request_id("groups-2");
  twice.mutable_groups(1)->set_name(define.groups(0).name());
  pb::TargetGroupSet refused;
  EXPECT_THAT(server_->stub().DefineTargetGroups(ContextFor(kAnalyst).get(), twice, &refused),
              GrpcStatusIs(grpc::StatusCode::INVALID_ARGUMENT, "DUPLICATE_GROUP_NAME", "groups[1].name"));
  twice.mutable_groups(1)->set_name("Overig WLZ");
  twice.set_signal("signal-42");
  EXPECT_THAT(server_->stub().DefineTargetGroups(ContextFor(kAnalyst).get(), twice, &refused),
              GrpcStatusIs(grpc::StatusCode::INVALID_ARGUMENT, "INVALID_RESOURCE_NAME", "signal"));
  EXPECT_EQ(server_->Count("target_group_sets"), 1);

  auto read = [&](pb::FieldSet fields) {
    pb::StreamRecipientsRequest req;
    req.set_name(list.name());
    req.set_field_set(fields);
    auto ctx = ContextFor(kDispatch);
    auto reader = server_->stub().StreamRecipients(ctx.get(), req);
    std::vector<pb::Recipient> out;
    pb::StreamRecipientsResponse r;
    while (reader->Read(&r)) out.insert(out.end(), r.recipients().begin(), r.recipients().end());
    EXPECT_TRUE(reader->Finish().ok());
    return out;
  };
  const auto postal = read(pb::FIELD_SET_POSTAL);
  const auto phone = read(pb::FIELD_SET_PHONE);
  const auto moment = read(pb::FIELD_SET_CONTACT_MOMENT);
  ASSERT_EQ(static_cast<int64_t>(postal.size()), list.member_count());
  ASSERT_EQ(phone.size(), postal.size());
  for (size_t i = 0; i < postal.size(); ++i) {
    EXPECT_EQ(postal[i].routing(), pb::ROUTING_REPRESENTATIVE);
    EXPECT_TRUE(postal[i].phone().empty());
    EXPECT_FALSE(phone[i].has_address());
    EXPECT_FALSE(phone[i].addressee_name().empty());
    EXPECT_FALSE(moment[i].has_address());
    EXPECT_TRUE(moment[i].phone().empty());
    EXPECT_TRUE(moment[i].customer_name().empty());
    EXPECT_TRUE(moment[i].addressee_name().empty());
    EXPECT_FALSE(moment[i].customer_number().empty());
  }
  int with_address = 0;
  for (const auto& r : postal) with_address += r.has_address();
  EXPECT_GT(with_address, 0);

  pb::StreamRecipientsRequest unknown;
  unknown.set_name("recipientLists/5b7f2f0e-2a43-4d7e-8c57-2f3a9d1b6e01");
  unknown.set_field_set(pb::FIELD_SET_POSTAL);
  auto ctx = ContextFor(kDispatch);
  auto reader = server_->stub().StreamRecipients(ctx.get(), unknown);
  pb::StreamRecipientsResponse r;
  while (reader->Read(&r)) {
  }
  EXPECT_THAT(reader->Finish(), GrpcStatusIs(grpc::StatusCode::NOT_FOUND, "RECIPIENT_LIST_NOT_FOUND", ""));
}

TEST_F(AnalysisApiTest, CriteriaNamingCustomersAreLoggedWhereverTheyAreShown) {
  Load();
  const std::string bsn = *server_->schema().Query("SELECT lpad(min(bsn)::text, 9, '0') FROM " +
                                                   server_->schema().name() + ".customers_v1");
  pb::DefineTargetGroupsRequest define;
  define.set_signal("signals/5b7f2f0e-2a43-4d7e-8c57-2f3a9d1b6e01");
  auto* g = define.add_groups();
  g->set_name("Voorbeeldklant uit het signaal");
  g->mutable_criteria()->mutable_predicate()->mutable_customer_in()->add_bsns(bsn);
  define.set_purpose("Voorbeeldklant uit signaal 2026-118 nagaan");
  pb::TargetGroupSet set;
  CAK_ASSERT_GRPC_OK(server_->stub().DefineTargetGroups(ContextFor(kAnalyst).get(), define, &set));
  EXPECT_EQ(set.groups(0).impact().total(), 1);
  pb::GetTargetGroupSetRequest get;
  get.set_name(set.name());
  pb::TargetGroupSet again;
  CAK_ASSERT_GRPC_OK(server_->stub().GetTargetGroupSet(ContextFor(kDesigner).get(), get, &again));
  EXPECT_EQ(again.groups(0).criteria().predicate().customer_in().bsns(0), bsn);

  plog::ListProcessingLogEntriesRequest req;
  req.set_data_subject_bsn(bsn);
  plog::ListProcessingLogEntriesResponse resp;
  CAK_ASSERT_GRPC_OK(
      server_->log_stub().ListProcessingLogEntries(ContextFor({"emp-9", {"privacy_officer"}}).get(), req, &resp));
  std::vector<std::string> names;
  for (const auto& e : resp.entries()) names.push_back(e.name() + "/" + e.actor());
  EXPECT_EQ(names,
            (std::vector<std::string>{"analysis.DefineTargetGroups/emp-2001", "analysis.GetTargetGroupSet/emp-3001"}));
  // An impact analysis of named customers tells about them: logged too.
  pb::AnalyzeImpactRequest impact;
  *impact.mutable_criteria() = g->criteria();
  impact.set_purpose("Voorbeeldklant uit signaal 2026-118 nagaan");
  pb::ImpactAnalysis out;
  CAK_ASSERT_GRPC_OK(Impact(kAnalyst, impact, &out));
  resp.Clear();
  CAK_ASSERT_GRPC_OK(
      server_->log_stub().ListProcessingLogEntries(ContextFor({"emp-9", {"privacy_officer"}}).get(), req, &resp));
  EXPECT_EQ(resp.entries(resp.entries_size() - 1).name(), "analysis.AnalyzeImpact");
}

}  // namespace
}  // namespace cak::analysis
