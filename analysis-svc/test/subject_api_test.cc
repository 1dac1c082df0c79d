// GDPR art. 15 over gRPC: the privacy officer gets a copy of what analysis-svc holds about one
// customer (record, relations, mailings, contacts, samples, frozen lists), the access is logged,
// and refusals write nothing.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "analysis-svc/test/analysis_test_server.h"
#include "cak/voorlichting/privacy/v1/data_subject_service.grpc.pb.h"
#include "common/base/bsn.h"
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
  sample.set_size(1);
  pb::Sample drawn;
  CAK_ASSERT_GRPC_OK(server_->stub().CreateSample(ContextFor(kAnalyst).get(), sample, &drawn));
  pb::DefineTargetGroupsRequest define;
  define.set_signal("signals/5b7f2f0e-2a43-4d7e-8c57-2f3a9d1b6e01");
  auto* g = define.add_groups();
  g->set_name("genoemd");
  *g->mutable_criteria() = named;
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

}  // namespace
}  // namespace cak::analysis
