// analysis-svc against a real PostgreSQL, through the domain service with the PostgreSQL
// repositories, running as the runtime role: imports with bad rows, refused and killed imports
// that leave the previous snapshot whole, idempotent imports, the engine's answers checked
// against SQL on the same snapshot, freezing and streaming a routed list, the retention purge,
// and what the runtime role may not do.
#include <gtest/gtest.h>

#include <fstream>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "analysis-svc/test/analysis_test_server.h"
#include "common/base/sha256.h"
#include "common/testing/call_context.h"
#include "common/testing/status_matchers.h"

namespace cak::analysis {
namespace {

using domain::Dataset;
using testing::AdminCall;
using testing::AnalysisTestServer;

int64_t Num(const absl::StatusOr<std::string>& s) {
  int64_t v = -1;
  if (s.ok()) (void)absl::SimpleAtoi(*s, &v);
  return v;
}

class AnalysisStorageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::TestServerOptions o;
    o.start_grpc = false;
    auto s = AnalysisTestServer::Start(o);
    ASSERT_TRUE(s.ok()) << s.status();
    server_ = *std::move(s);
  }

  void WriteFile(const std::string& name, const std::string& text) {
    std::ofstream(server_->import_dir() + "/" + name) << text;
  }

  // The current snapshot's version of a data set.
  int64_t CurrentVersion(Dataset d) {
    auto info = server_->service().GetSnapshot(AdminCall());
    return info.ok() ? info->of(d).version : -1;
  }

  std::string Q(const std::string& sql) {
    auto r = server_->schema().Query(sql);
    return r.ok() ? *r : "error: " + std::string(r.status().message());
  }

  std::unique_ptr<AnalysisTestServer> server_;
};

constexpr char kHeader[] =
    "bsn,customer_number,salutation,initials,name_prefix,surname,street,house_number,house_number_suffix,postcode,"
    "city,phone,email,regulation,municipality_code,birth_date,debt_cents,payment_plan,iban,care_summary,active,"
    "inactive_since\n";

std::string Row(const std::string& bsn, const std::string& regulation = "WMO") {
  return bsn + ",1000000001,MR,J.,,Jansen,Kerkstraat,1,,1234 AB,Utrecht,,," + regulation +
         ",GM0344,1950-01-01,0,false,,,true,\n";
}

TEST_F(AnalysisStorageTest, BadRowsAreReportedAndGoodRowsLoad) {
  WriteFile("c.csv", std::string(kHeader) + Row("111222333") + Row("111222334") + Row("123456782") + Row("111222333") +
                         "only,three,columns\n" + Row("010000008", "WLZ"));
  domain::ImportOptions options;
  options.max_rejected_share = 0.5;
  CAK_ASSERT_OK_AND_ASSIGN(domain::ImportReport report,
                           server_->service().ImportFile(AdminCall(), Dataset::kCustomers, "c.csv", options));
  EXPECT_EQ(report.rows_read, 6);
  EXPECT_EQ(report.rows_loaded, 3);
  EXPECT_EQ(report.rows_rejected, 3);
  ASSERT_EQ(report.errors.size(), 3u);
  EXPECT_EQ(report.errors[0].row, 3);  // line numbers: the header is line 1
  EXPECT_EQ(report.errors[0].reason, "INVALID_BSN");
  EXPECT_EQ(report.errors[1].row, 5);
  EXPECT_EQ(report.errors[1].reason, "DUPLICATE_BSN");
  EXPECT_EQ(report.errors[2].row, 6);
  EXPECT_EQ(report.errors[2].reason, "WRONG_COLUMN_COUNT");
  EXPECT_EQ(report.snapshot_version, 1);
  const std::string table = absl::StrCat(server_->schema().name(), ".customers_v", report.dataset_version);
  EXPECT_EQ(Q("SELECT count(*) FROM " + table), "3");
  EXPECT_EQ(Q("SELECT min(bsn) FROM " + table), "10000008");  // the leading zero is only in the text form
  // The import is one processing-log operation entry, not one per customer.
  EXPECT_EQ(
      Q("SELECT count(*) FROM " + server_->schema().name() + ".processing_log WHERE name = 'analysis.ImportFile'"),
      "1");
}

TEST_F(AnalysisStorageTest, RefusedImportLeavesThePreviousSnapshot) {
  CAK_ASSERT_OK(server_->ImportGenerated());
  const int64_t before = CurrentVersion(Dataset::kCustomers);
  const std::string tables_before =
      Q("SELECT count(*) FROM pg_tables WHERE schemaname = '" + server_->schema().name() + "'");
  WriteFile("bad.csv", std::string(kHeader) + Row("111222333") + Row("111222334") + Row("111222335"));
  auto refused = server_->service().ImportFile(AdminCall(), Dataset::kCustomers, "bad.csv", {});
  EXPECT_THAT(refused.status(),
              common::testing::StatusIs(absl::StatusCode::kInvalidArgument, "TOO_MANY_REJECTED_ROWS", "path"));
  EXPECT_EQ(CurrentVersion(Dataset::kCustomers), before);
  EXPECT_EQ(Q("SELECT count(*) FROM pg_tables WHERE schemaname = '" + server_->schema().name() + "'"), tables_before);
  EXPECT_EQ(Q("SELECT status FROM " + server_->schema().name() + ".dataset_versions ORDER BY id DESC LIMIT 1"),
            "dropped");
  // Nor does a file whose every row is bad, whatever share the caller allows.
  domain::ImportOptions anything;
  anything.max_rejected_share = 1.0;
  WriteFile("allbad.csv", std::string(kHeader) + Row("111222334") + Row("111222335"));
  EXPECT_THAT(server_->service().ImportFile(AdminCall(), Dataset::kCustomers, "allbad.csv", anything).status(),
              common::testing::StatusIs(absl::StatusCode::kInvalidArgument, "EMPTY_IMPORT", "path"));
  EXPECT_EQ(CurrentVersion(Dataset::kCustomers), before);
  // An empty file never empties the snapshot either.
  WriteFile("empty.csv", kHeader);
  EXPECT_THAT(server_->service().ImportFile(AdminCall(), Dataset::kCustomers, "empty.csv", {}).status(),
              common::testing::StatusIs(absl::StatusCode::kInvalidArgument, "EMPTY_IMPORT", "path"));
  EXPECT_EQ(CurrentVersion(Dataset::kCustomers), before);
}

TEST_F(AnalysisStorageTest, ImportKilledHalfwayLeavesThePreviousSnapshotAndIsCollected) {
  CAK_ASSERT_OK(server_->ImportGenerated());
  CAK_ASSERT_OK_AND_ASSIGN(auto before, server_->service().GetSnapshot(AdminCall()));
  {
    CAK_ASSERT_OK_AND_ASSIGN(auto session,
                             server_->service().BeginImport(AdminCall(), Dataset::kCustomers, {}, "ImportCustomers"));
    std::vector<std::string> row = {"111222333", "1000000001", "MR", "J.", "",     "Jansen", "",       "",
                                    "",          "",           "",   "",   "",     "WMO",    "GM0344", "1950-01-01",
                                    "0",         "false",      "",   "",   "true", ""};
    std::vector<absl::string_view> views(row.begin(), row.end());
    CAK_ASSERT_OK(session->AddRow(2, views));
    // The importer's process dies: its connection goes away in the middle of the COPY.
    EXPECT_EQ(Q("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE query LIKE 'COPY " +
                server_->schema().name() + ".customers_v%'"),
              "1");
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }  // (nothing the dead process would have run gets a chance to clean up)
  CAK_ASSERT_OK_AND_ASSIGN(auto after, server_->service().GetSnapshot(AdminCall()));
  EXPECT_EQ(after.version, before.version);
  EXPECT_EQ(after.of(Dataset::kCustomers).version, before.of(Dataset::kCustomers).version);
  auto impact = server_->service().AnalyzeImpact(AdminCall(), {domain::All({})});
  ASSERT_TRUE(impact.ok()) << impact.status();
  EXPECT_EQ(impact->impact.total, 2000);
}

TEST_F(AnalysisStorageTest, AbandonedLoadIsCollectedOnceItsImporterIsGone) {
  CAK_ASSERT_OK(server_->ImportGenerated());
  // A 'loading' version whose importer holds no lock (its process died): the next collection drops it.
  const std::string s = server_->schema().name();
  const std::string v = Q("SELECT " + s + ".create_dataset_version('mailings', 'crashed')");
  EXPECT_EQ(Q("SELECT count(*) FROM pg_tables WHERE schemaname = '" + s + "' AND tablename = 'mailings_v" + v + "'"),
            "1");
  WriteFile("m.csv", "customer_bsn,mailing_type,planned_date\n" +
                         Q("SELECT lpad(min(bsn)::text, 9, '0') FROM " + s + ".customers_v1") +
                         ",INVOICE,2027-01-01\n");
  CAK_ASSERT_OK(server_->service().ImportFile(AdminCall(), Dataset::kMailings, "m.csv", {}).status());
  EXPECT_EQ(Q("SELECT count(*) FROM pg_tables WHERE schemaname = '" + s + "' AND tablename = 'mailings_v" + v + "'"),
            "0");
  EXPECT_EQ(Q("SELECT status FROM " + s + ".dataset_versions WHERE id = " + v), "dropped");
  // Versions no recent snapshot uses are gone too; the current ones and their predecessors stay.
  EXPECT_EQ(Q("SELECT count(*) FROM " + s + ".dataset_versions WHERE status = 'published'"), "5");
}

TEST_F(AnalysisStorageTest, ImportIsIdempotentByRequestId) {
  WriteFile("c.csv", std::string(kHeader) + Row("111222333"));
  WriteFile("d.csv", std::string(kHeader) + Row("111222333") + Row("123456782"));
  domain::ImportOptions options;
  options.request_id = "load-2026-11-02";
  CAK_ASSERT_OK_AND_ASSIGN(auto first,
                           server_->service().ImportFile(AdminCall(), Dataset::kCustomers, "c.csv", options));
  CAK_ASSERT_OK_AND_ASSIGN(auto again,
                           server_->service().ImportFile(AdminCall(), Dataset::kCustomers, "c.csv", options));
  EXPECT_FALSE(first.replayed);
  EXPECT_TRUE(again.replayed);
  EXPECT_EQ(again.dataset_version, first.dataset_version);
  EXPECT_EQ(again.snapshot_version, first.snapshot_version);
  EXPECT_EQ(CurrentVersion(Dataset::kCustomers), first.dataset_version);
  EXPECT_THAT(server_->service().ImportFile(AdminCall(), Dataset::kCustomers, "d.csv", options).status(),
              common::testing::StatusIs(absl::StatusCode::kInvalidArgument, "REQUEST_ID_REUSED", "options.request_id"));
  EXPECT_EQ(CurrentVersion(Dataset::kCustomers), first.dataset_version);
}

TEST_F(AnalysisStorageTest, EngineAgreesWithSqlOnTheSameSnapshot) {
  CAK_ASSERT_OK(server_->ImportGenerated());
  CAK_ASSERT_OK_AND_ASSIGN(auto info, server_->service().GetSnapshot(AdminCall()));
  const std::string s = server_->schema().name();
  const std::string c = absl::StrCat(s, ".customers_v", info.of(Dataset::kCustomers).version);
  const std::string r = absl::StrCat(s, ".relations_v", info.of(Dataset::kRelations).version);
  const std::string m = absl::StrCat(s, ".mailings_v", info.of(Dataset::kMailings).version);
  const std::string k = absl::StrCat(s, ".contact_reports_v", info.of(Dataset::kContactReports).version);

  domain::Predicate wmo;
  wmo.field = domain::Predicate::Field::kRegulationIn;
  wmo.values = {2};
  domain::Predicate debt;
  debt.field = domain::Predicate::Field::kDebtBetween;
  debt.min = 1;
  domain::Predicate contacted;
  contacted.field = domain::Predicate::Field::kContactedWithin;
  contacted.days = 365;
  contacted.min_contacts = 2;
  domain::Predicate rep;
  rep.field = domain::Predicate::Field::kHasRepresentative;
  domain::ImpactRequest request;
  request.criteria = domain::Any(
      {domain::All({domain::Where(wmo), domain::Where(debt)}), domain::Where(rep), domain::Where(contacted)});
  request.reference_day = absl::CivilDay(2026, 11, 1);
  CAK_ASSERT_OK_AND_ASSIGN(auto out, server_->service().AnalyzeImpact(AdminCall(), request));
  const std::string where =
      "(c.regulation = 'WMO' AND c.debt_cents >= 1) OR EXISTS (SELECT 1 FROM " + r +
      " x WHERE x.customer_bsn = c.bsn AND x.kind = 'LEGAL_REPRESENTATIVE') OR (SELECT count(*) FROM " + k +
      " y WHERE y.customer_bsn = c.bsn AND y.contact_time::date BETWEEN DATE '2026-11-01' - 364"
      " AND DATE '2026-11-01') >= 2";
  EXPECT_EQ(out.impact.total, Num(server_->schema().Query("SELECT count(*) FROM " + c + " c WHERE " + where)));
  EXPECT_GT(out.impact.total, 100);
  EXPECT_EQ(
      out.impact.by_regulation[1],
      Num(server_->schema().Query("SELECT count(*) FROM " + c + " c WHERE c.regulation = 'WLZ' AND (" + where + ")")));
  EXPECT_EQ(out.impact.mailing_overlap_total,
            Num(server_->schema().Query("SELECT count(*) FROM " + c + " c WHERE (" + where +
                                        ") AND EXISTS (SELECT 1 FROM " + m +
                                        " z WHERE z.customer_bsn = c.bsn AND z.planned_date BETWEEN DATE "
                                        "'2026-11-01' AND DATE '2026-11-01' + 89)")));
  EXPECT_EQ(out.impact.by_routing[2],
            Num(server_->schema().Query("SELECT count(DISTINCT x.customer_bsn) FROM " + r + " x JOIN " + c +
                                        " c ON c.bsn = x.customer_bsn WHERE x.kind = 'LEGAL_REPRESENTATIVE' AND (" +
                                        where + ")")));
}

TEST_F(AnalysisStorageTest, FrozenListIsRoutedAndStreamsInOrder) {
  CAK_ASSERT_OK(server_->ImportGenerated());
  domain::Predicate rep;
  rep.field = domain::Predicate::Field::kHasRepresentative;
  domain::DefineGroupsRequest define;
  define.signal = "signals/5b7f2f0e-2a43-4d7e-8c57-2f3a9d1b6e01";
  define.groups = {{"vertegenwoordigd", domain::Where(rep)}, {"overig", domain::All({})}};
  bool replayed = false;
  auto call = common::testing::TestCall("emp-7", {common::roles::kAnalyst});
  CAK_ASSERT_OK_AND_ASSIGN(auto set, server_->service().DefineTargetGroups(call, define, &replayed));
  ASSERT_EQ(set.impacts.size(), 2u);
  EXPECT_EQ(set.impacts[0].total + set.impacts[1].total, 2000);
  EXPECT_EQ(set.unassigned, 0);

  domain::FreezeRequest freeze{"", "", set.id, "vertegenwoordigd"};
  CAK_ASSERT_OK_AND_ASSIGN(auto list, server_->service().FreezeRecipientList(call, freeze, &replayed));
  EXPECT_EQ(list.member_count, set.impacts[0].total);
  EXPECT_EQ(list.frozen_by, "emp-7");

  std::vector<domain::RecipientRow> rows;
  CAK_ASSERT_OK(server_->service().StreamRecipients(
      common::testing::TestCall("dispatch-svc", {common::roles::kDispatchService}, common::PrincipalKind::kApplication),
      list.id, domain::FieldSet::kPostal, false, 0, 0, [&](std::vector<domain::RecipientRow>& batch) {
        rows.insert(rows.end(), batch.begin(), batch.end());
        return true;
      }));
  ASSERT_EQ(static_cast<int64_t>(rows.size()), list.member_count);
  common::Sha256Stream checksum;
  const std::string s = server_->schema().name();
  for (size_t i = 0; i < rows.size(); ++i) {
    EXPECT_EQ(rows[i].position, static_cast<int64_t>(i + 1));
    EXPECT_EQ(rows[i].routing, static_cast<uint8_t>(domain::Routing::kRepresentative));
    EXPECT_TRUE(rows[i].phone.empty());            // postal field set: no phone,
    EXPECT_TRUE(rows[i].customer_number.empty());  // and no customer number unless asked for
    checksum.Update(domain::FormatBsn(rows[i].bsn) + "\n");
  }
  EXPECT_EQ(checksum.FinalHex(), list.checksum);
  // The addressee is the first representative in import order, as SQL sees it.
  const std::string r = absl::StrCat(s, ".relations_v", CurrentVersion(Dataset::kRelations));
  EXPECT_EQ(rows[0].addressee_name, Q("SELECT concat_ws(' ', initials, name_prefix, surname) FROM " + r +
                                      " WHERE customer_bsn = " + absl::StrCat(rows[0].bsn) +
                                      " AND kind = 'LEGAL_REPRESENTATIVE' ORDER BY relation_seq LIMIT 1"));
  EXPECT_NE(rows[0].addressee_name, rows[0].customer_name);
  // Every member frozen and every recipient streamed is logged (one operation entry, a subject
  // row per member), and the privacy officer finds both under that recipient.
  EXPECT_EQ(Num(server_->schema().Query("SELECT count(*) FROM " + s + ".processing_log_subjects")),
            2 * list.member_count);
  std::vector<common::db::ProcessingLogEntry> entries;
  CAK_ASSERT_OK(common::db::WithSession(server_->pool(), [&](soci::session& sql) {
    entries =
        server_->server().log_store().ListBySubject(sql, *common::Bsn::Parse(domain::FormatBsn(rows[7].bsn)), 0, 10);
    return absl::OkStatus();
  }));
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].name, "analysis.FreezeRecipientList");
  EXPECT_EQ(entries[0].actor, "emp-7");
  EXPECT_EQ(entries[1].name, "analysis.StreamRecipients");
  EXPECT_EQ(entries[1].actor, "dispatch-svc");
  EXPECT_EQ(entries[1].data_subject_id_type, "BSN");
  EXPECT_EQ(entries[1].attributes.at("recipient_list"), list.id);
  // Resuming after a position continues there.
  // A letter that quotes {klantnummer}: asked for, the postal set carries the number too.
  std::vector<domain::RecipientRow> numbered;
  CAK_ASSERT_OK(server_->service().StreamRecipients(
      common::testing::TestCall("dispatch-svc", {common::roles::kDispatchService}, common::PrincipalKind::kApplication),
      list.id, domain::FieldSet::kPostal, true, 0, 3, [&](std::vector<domain::RecipientRow>& batch) {
        numbered.insert(numbered.end(), batch.begin(), batch.end());
        return true;
      }));
  ASSERT_EQ(numbered.size(), 3u);
  EXPECT_EQ(numbered[0].customer_number.size(), 10u);
  // A slice (after 10, until 25) is exactly positions 11..25.
  std::vector<int64_t> positions;
  CAK_ASSERT_OK(server_->service().StreamRecipients(
      common::testing::TestCall("dispatch-svc", {common::roles::kDispatchService}, common::PrincipalKind::kApplication),
      list.id, domain::FieldSet::kContactMoment, false, 10, 25, [&](std::vector<domain::RecipientRow>& batch) {
        for (const auto& r : batch) {
          positions.push_back(r.position);
          EXPECT_TRUE(r.customer_name.empty());
          EXPECT_TRUE(r.street.empty());
        }
        return true;
      }));
  ASSERT_EQ(positions.size(), 15u);
  EXPECT_EQ(positions.front(), 11);
  EXPECT_EQ(positions.back(), 25);

  // A new snapshot makes the set stale for freezing, but a repeat of a done freeze still answers.
  freeze.request_id = "freeze-1";
  freeze.fingerprint = "fp";
  freeze.group = "overig";
  CAK_ASSERT_OK_AND_ASSIGN(auto second, server_->service().FreezeRecipientList(call, freeze, &replayed));
  EXPECT_FALSE(replayed);
  CAK_ASSERT_OK(server_->service().ImportFile(AdminCall(), Dataset::kMailings, "mailings.csv", {}).status());
  CAK_ASSERT_OK_AND_ASSIGN(auto repeat, server_->service().FreezeRecipientList(call, freeze, &replayed));
  EXPECT_TRUE(replayed);
  EXPECT_EQ(repeat.id, second.id);
  freeze.request_id = "freeze-2";
  EXPECT_THAT(server_->service().FreezeRecipientList(call, freeze, &replayed).status(),
              common::testing::StatusIs(absl::StatusCode::kFailedPrecondition, "SNAPSHOT_CHANGED", ""));
}

TEST_F(AnalysisStorageTest, PurgeRemovesCustomersPastRetention) {
  CAK_ASSERT_OK(server_->ImportGenerated());
  const std::string s = server_->schema().name();
  const int64_t c = CurrentVersion(Dataset::kCustomers);
  const int64_t expired = Num(server_->schema().Query(absl::StrCat(
      "SELECT count(*) FROM ", s, ".customers_v", c, " WHERE NOT active AND inactive_since < DATE '2024-11-02'")));
  ASSERT_GT(expired, 0);
  auto call = AdminCall();
  CAK_ASSERT_OK_AND_ASSIGN(auto dry, server_->service().PurgeInactiveCustomers(call, true));
  EXPECT_EQ(dry.counts.customers, expired);
  EXPECT_EQ(dry.cutoff, absl::CivilDay(2024, 11, 2));  // 730 days before 2026-11-02
  EXPECT_EQ(Num(server_->schema().Query(absl::StrCat("SELECT count(*) FROM ", s, ".customers_v", c))), 2000);

  CAK_ASSERT_OK_AND_ASSIGN(auto done, server_->service().PurgeInactiveCustomers(call, false));
  EXPECT_EQ(done.counts.customers, expired);
  EXPECT_EQ(Num(server_->schema().Query(absl::StrCat("SELECT count(*) FROM ", s, ".customers_v", c))), 2000 - expired);
  EXPECT_EQ(Q(absl::StrCat("SELECT cause FROM ", s, ".snapshots ORDER BY version DESC LIMIT 1")), "purge");
  auto impact = server_->service().AnalyzeImpact(call, {domain::All({})});
  ASSERT_TRUE(impact.ok());
  EXPECT_EQ(impact->impact.total, 2000 - expired);
  EXPECT_EQ(Num(server_->schema().Query("SELECT count(*) FROM " + s +
                                        ".processing_log WHERE name = 'analysis.PurgeInactiveCustomers' AND "
                                        "data_subject_id IS NOT NULL")),
            expired);
}

TEST_F(AnalysisStorageTest, RuntimeRoleCannotChangePublishedData) {
  CAK_ASSERT_OK(server_->ImportGenerated());
  const std::string s = server_->schema().name();
  const int64_t c = CurrentVersion(Dataset::kCustomers);
  auto as_app = [&](const std::string& sql) {
    return common::db::WithSession(server_->pool(), [&](soci::session& session) -> absl::Status {
      try {
        session << sql;
        return absl::OkStatus();
      } catch (const std::exception& e) {
        return absl::PermissionDeniedError(e.what());
      }
    });
  };
  EXPECT_FALSE(
      as_app(absl::StrCat("INSERT INTO ", s, ".customers_v", c, " SELECT * FROM ", s, ".customers_v", c, " LIMIT 1"))
          .ok());
  EXPECT_FALSE(as_app(absl::StrCat("DELETE FROM ", s, ".customers_v", c)).ok());
  EXPECT_FALSE(as_app(absl::StrCat("CREATE TABLE ", s, ".mine (x int)")).ok());
  EXPECT_FALSE(as_app(absl::StrCat("INSERT INTO ", s, ".snapshots (cause) VALUES ('forged')")).ok());
  EXPECT_FALSE(as_app(absl::StrCat("UPDATE ", s, ".recipient_lists SET member_count = 0")).ok());
}

}  // namespace
}  // namespace cak::analysis
