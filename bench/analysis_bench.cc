// Benchmark: analysis-svc on a generated population (default `large`: 2 million customers,
// ~6 million planned mailings, ~5 million contact reports), each figure printed beside the
// reference it is compared with, measured in the same run on the same database:
//
//   import        ImportFile over gRPC (parse, check every row, COPY, build the indexes,
//                 publish) vs psql \copy of the same CSV into a table of the same definition
//                 (with the same indexes)                   target: ours >= 0.8x the rows/s
//   impact        AnalyzeImpact over gRPC with every breakdown vs the equivalent single SQL
//                 statement through psql (\timing)           target: ours <= 0.25x the time
//                 (the answers are compared too: the benchmark fails when they differ)
//   sample        stratified sample of 1,000 over gRPC       target: <= 200 ms
//   freeze        FreezeRecipientList of a ~500k group vs psql \copy of the same member rows and
//                 subject rows into tables of the same definitions   target: ours <= 1.0x the time
//   stream        StreamRecipients of that list (postal) vs psql COPY (SELECT the postal fields of
//                 its members in list order) TO STDOUT     target: ours >= 1.0x the members/s
//   logbook       a freeze with the logbook export on vs off (target: <= 1.10x), and the export
//                 of its subject rows to the logbook vs the freeze's time (target: <= 2x)
//   objections    impact analysis and freeze with 10,000 objections in the register vs none
//                 (interleaved rounds)                        target: <= 1.05x each
//
// The database is CAK_TEST_PG_DSN (scripts/bench.sh makes a database of its own); the service
// runs in-process with the production grants (runtime role cak_test_app). psql must be on PATH.
#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "analysis-svc/test/analysis_test_server.h"
#include "bench/bench_services.h"
#include "bench/bench_support.h"
#include "common/base/log.h"
#include "common/db/logbook_export.h"
#include "common/grpc/logbook_client.h"
#include "common/grpc/status.h"
#include "common/testing/grpc_test_support.h"
#include "tools/logbook/receiver.h"

namespace {

namespace pb = cak::voorlichting::analysis::v1;
using cak::bench::Clock;
using cak::bench::Die;
using cak::bench::ExportLibpqEnvironment;
using cak::bench::Fmt;
using cak::bench::Median;
using cak::bench::Psql;
using cak::bench::PsqlTime;
using cak::bench::Regulations;
using cak::bench::Seconds;
using cak::common::testing::ContextFor;
using cak::common::testing::TestCaller;

const TestCaller kAdmin{"ops-1", {"administrator"}};
const TestCaller kAnalyst{"emp-2001", {"analyst"}};
const TestCaller kDispatch{"dispatch-svc", {"dispatch_service"}, true};

struct Options {
  int64_t customers = 2'000'000;
  int impact_runs = 10;
  int sql_runs = 3;
  bool references = true;  // --no-references: only our figures (for profiling)
};

// The same selection and every breakdown as one SQL statement.
std::string ImpactSql(const std::string& schema, const pb::Snapshot& snap) {
  auto t = [&](const char* name, int i) { return absl::StrCat(schema, ".", name, "_v", snap.datasets(i).version()); };
  const std::string C = t("customers", 0), R = t("relations", 1), M = t("mailings", 2), K = t("contact_reports", 3);
  const std::string ref = "DATE '2026-11-01'";
  return absl::StrCat(
      "WITH rel AS (SELECT DISTINCT ON (customer_bsn) customer_bsn, kind, street IS NOT NULL AS post,"
      " phone IS NOT NULL AS phone, email IS NOT NULL AS email FROM ",
      R,
      " WHERE kind = 'LEGAL_REPRESENTATIVE' OR routing = 'RELATION'"
      " ORDER BY customer_bsn, (kind = 'LEGAL_REPRESENTATIVE') DESC, relation_seq),"
      " sel AS (SELECT c.bsn, c.regulation, c.municipality_code,"
      " CASE WHEN rel.kind = 'LEGAL_REPRESENTATIVE' THEN 'REPRESENTATIVE' WHEN rel.kind IS NOT NULL THEN"
      " 'CONTACT_PERSON' ELSE 'CUSTOMER' END AS routing,"
      " COALESCE(rel.post, c.street IS NOT NULL) AS post, COALESCE(rel.phone, c.phone IS NOT NULL) AS phone,"
      " COALESCE(rel.email, c.email IS NOT NULL) AS email"
      " FROM ",
      C,
      " c LEFT JOIN rel ON rel.customer_bsn = c.bsn"
      " WHERE c.regulation IN ('WLZ', 'WMO') AND c.birth_date <= ",
      ref,
      " - interval '65 years'"
      " AND (c.debt_cents >= 1 OR EXISTS (SELECT 1 FROM ",
      R,
      " r WHERE r.customer_bsn = c.bsn AND r.kind = 'LEGAL_REPRESENTATIVE'))"
      " AND NOT EXISTS (SELECT 1 FROM ",
      K,
      " k WHERE k.customer_bsn = c.bsn"
      " AND (k.contact_time AT TIME ZONE 'UTC')::date BETWEEN ",
      ref, " - 29 AND ", ref,
      ")),"
      " mail AS (SELECT m.customer_bsn, m.mailing_type FROM ",
      M,
      " m JOIN sel ON sel.bsn = m.customer_bsn"
      " WHERE m.planned_date BETWEEN ",
      ref, " AND ", ref,
      " + 89 GROUP BY 1, 2),"
      " pressure AS (SELECT k.customer_bsn FROM ",
      K,
      " k JOIN sel ON sel.bsn = k.customer_bsn"
      " WHERE (k.contact_time AT TIME ZONE 'UTC')::date BETWEEN ",
      ref, " - 89 AND ", ref,
      " GROUP BY 1 HAVING count(*) >= 3)"
      " SELECT 'total', '', count(*) FROM sel"
      " UNION ALL SELECT 'regulation', regulation, count(*) FROM sel GROUP BY 2"
      " UNION ALL SELECT 'municipality', municipality_code, count(*) FROM sel GROUP BY 2"
      " UNION ALL SELECT 'routing', routing, count(*) FROM sel GROUP BY 2"
      " UNION ALL SELECT 'reach', 'POST', count(*) FILTER (WHERE post) FROM sel"
      " UNION ALL SELECT 'reach', 'PHONE', count(*) FILTER (WHERE phone) FROM sel"
      " UNION ALL SELECT 'reach', 'EMAIL', count(*) FILTER (WHERE email) FROM sel"
      " UNION ALL SELECT 'reach', 'NONE', count(*) FILTER (WHERE NOT (post OR phone OR email)) FROM sel"
      " UNION ALL SELECT 'overlap', '', count(DISTINCT customer_bsn) FROM mail"
      " UNION ALL SELECT 'overlap_type', mailing_type, count(*) FROM mail GROUP BY 2"
      " UNION ALL SELECT 'pressure', '', count(*) FROM pressure;");
}

// "kind|key|count" lines -> map, zero counts dropped (the RPC lists zeros, SQL groups do not).
std::map<std::string, int64_t> ParseSqlCounts(const std::string& out) {
  std::map<std::string, int64_t> m;
  for (absl::string_view line : absl::StrSplit(out, '\n', absl::SkipEmpty())) {
    std::vector<std::string> f = absl::StrSplit(line, '|');
    int64_t n = 0;
    if (f.size() == 3 && absl::SimpleAtoi(f[2], &n) && n != 0) m[f[0] + "/" + f[1]] = n;
  }
  return m;
}

std::map<std::string, int64_t> RpcCounts(const pb::ImpactAnalysis& a) {
  std::map<std::string, int64_t> m;
  auto add = [&](const std::string& k, int64_t n) {
    if (n != 0) m[k] = n;
  };
  add("total/", a.total());
  for (const auto& c : a.by_regulation()) add("regulation/" + c.key(), c.count());
  for (const auto& c : a.by_municipality()) add("municipality/" + c.key(), c.count());
  for (const auto& c : a.by_routing()) add("routing/" + c.key(), c.count());
  for (const auto& c : a.by_reachability()) add("reach/" + c.key(), c.count());
  add("overlap/", a.mailing_overlap_total());
  for (const auto& c : a.mailing_overlap_by_type()) add("overlap_type/" + c.key(), c.count());
  add("pressure/", a.contact_pressure());
  return m;
}

void Row(const char* what, const std::string& ours, const std::string& reference, const std::string& verdict) {
  std::printf("%-34s %-30s %-34s %s\n", what, ours.c_str(), reference.c_str(), verdict.c_str());
}

// --- Logbook export of a freeze's subject rows --------------------------------------------------
// The development logbook (voorlichting-logbook's receiver) in-process over gRPC on loopback, and
// the exporter as analysis-svc runs it with --logbook-address. What the analysis bench logged
// before counts as delivered (the cursor starts at the present). Freezes of the same group:
//   off   the exporter stopped (the reference)
//   on    the exporter running (it cannot see the freeze's rows before the freeze commits)
//   then  the time until every entry and subject row of that freeze is in the logbook
//   busy  a freeze while the exporter is handing over another freeze's subjects (shown only)
// Targets (medians of three interleaved rounds): on <= 1.10x off; the export <= 2x the freeze.
bool LogbookExportOfAFreeze(cak::analysis::testing::AnalysisTestServer& server,
                            const pb::FreezeRecipientListRequest& freeze) {
  namespace fs = std::filesystem;
  const std::string dir = (fs::temp_directory_path() / absl::StrCat("cak-bench-logbook-", getpid())).string();
  fs::create_directories(dir);
  auto receiver = cak::tools::logbook::Receiver::Open(dir);
  if (!receiver.ok()) Die("logbook receiver: " + std::string(receiver.status().message()));
  int port = 0;
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(receiver->get());
  std::unique_ptr<grpc::Server> logbook = builder.BuildAndStart();
  cak::common::PeerOptions peer;
  peer.address = absl::StrCat("127.0.0.1:", port);
  peer.max_reconnect_backoff = absl::Seconds(5);
  auto sink = cak::common::GrpcLogbookSink::Create(peer, "analysis-svc");
  if (!sink.ok()) Die("logbook sink: " + std::string(sink.status().message()));
  const std::string S = server.schema().name();
  auto query = [&](const std::string& sql) {
    auto v = server.schema().Query(sql);
    if (!v.ok()) Die("query: " + std::string(v.status().message()));
    return *v;
  };
  query(
      "INSERT INTO " + S + ".processing_log_export (exported_tx, logbook, update_time) SELECT " + S +
      ".export_horizon() - 1, 'bench', now() ON CONFLICT (singleton) DO UPDATE SET exported_tx = EXCLUDED.exported_tx");
  cak::common::db::LogbookExportOptions options;
  options.schema = S;
  options.logbook = peer.address;
  options.poll_interval = absl::Milliseconds(20);
  auto exporter = std::make_unique<cak::common::db::LogbookExporter>(&server.pool(), sink->get(), options);

  auto freeze_once = [&](pb::RecipientList* list) {
    auto ctx = ContextFor(kAnalyst, absl::Minutes(5));
    const auto t0 = Clock::now();
    grpc::Status st = server.stub().FreezeRecipientList(ctx.get(), freeze, list);
    if (!st.ok()) Die("FreezeRecipientList: " + st.error_message());
    return Seconds(t0);
  };
  // Until everything final now is in the logbook (the exporter's cursor past the horizon).
  auto exported_at = [&](const Clock::time_point& since) {
    const int64_t target = std::stoll(query("SELECT " + S + ".export_horizon() - 1"));
    while (std::stoll(query("SELECT exported_tx FROM " + S + ".processing_log_export")) < target) {
      absl::SleepFor(absl::Milliseconds(10));
    }
    return Seconds(since);
  };
  auto subject_rows = [&](const pb::RecipientList& list) {
    return query("SELECT count(*) FROM " + S + ".processing_log_subjects s JOIN " + S +
                 ".processing_log p ON p.id = s.entry_id WHERE p.name = 'analysis.FreezeRecipientList' AND"
                 " p.attributes->>'recipient_list' = '" +
                 list.name().substr(std::string("recipientLists/").size()) + "'");
  };

  // Interleaved rounds, each freeze starting from the same state (nothing pending, the
  // machine settled): off, then on followed by its export. Medians compared.
  std::vector<double> off_s, on_s, export_s;
  pb::RecipientList list;
  for (int round = 0; round < 3; ++round) {
    absl::SleepFor(absl::Seconds(1));
    off_s.push_back(freeze_once(&list));
    exporter->Start();
    exported_at(Clock::now());  // the "off" freeze's rows go first (not timed)
    absl::SleepFor(absl::Seconds(1));
    on_s.push_back(freeze_once(&list));
    export_s.push_back(exported_at(Clock::now()));
    exporter->Stop();
  }
  const std::string rows = subject_rows(list);
  // A freeze while the exporter hands over another freeze's subjects.
  absl::SleepFor(absl::Seconds(1));
  freeze_once(&list);
  exporter->Start();
  const double busy_s = freeze_once(&list);
  exported_at(Clock::now());
  exporter->Stop();
  const auto counts = (*receiver)->counts();
  const int64_t stored = counts.count("analysis-svc") ? counts.at("analysis-svc").stored : 0;
  logbook->Shutdown();
  fs::remove_all(dir);

  const double reference = Median(off_s);
  const double slower = Median(on_s) / reference;
  const double export_ratio = Median(export_s) / Median(on_s);
  Row(absl::StrCat("freeze with logbook export on (", rows, " subject rows)").c_str(),
      Fmt(Median(on_s), "s (median of 3)", 2), Fmt(reference, "s export off (median of 3)", 2),
      absl::StrCat(Fmt(slower, "x", 2), slower <= 1.10 ? " <= 1.10 ok" : " > 1.10 MISSED"));
  Row("export of that freeze to the logbook", Fmt(Median(export_s), "s (median of 3)", 2),
      Fmt(Median(on_s), "s the freeze", 2),
      absl::StrCat(Fmt(export_ratio, "x", 2), export_ratio <= 2 ? " <= 2 ok" : " > 2 MISSED"));
  Row("freeze while another freeze is exported", Fmt(busy_s, "s", 2), Fmt(reference, "s export off", 2),
      absl::StrCat(Fmt(busy_s / reference, "x", 2), " (shown, no target)"));
  std::printf("  (the logbook stored %lld operations of analysis-svc in this part)\n", static_cast<long long>(stored));
  return slower <= 1.10 && export_ratio <= 2;
}

// --- Objections ---------------------------------------------------------------------------------
// 10,000 active objections (scope ALL_SELECTION, so both the impact analysis and the freeze
// leave them out) among the customers, against none: the same impact analysis and the same
// freeze, in interleaved rounds (off, on, on, off, off, on), each state's first call after the
// register changed not timed (it reads the register once). The register is filled and emptied
// with SQL (the bench's own set-up, not the service's path). Target: on <= 1.05x off.
bool ObjectionsCost(cak::analysis::testing::AnalysisTestServer& server, const pb::AnalyzeImpactRequest& impact_req,
                    const pb::FreezeRecipientListRequest& freeze, int impact_runs) {
  const std::string S = server.schema().name();
  auto query = [&](const std::string& sql) {
    auto v = server.schema().Query(sql);
    if (!v.ok()) Die("query: " + std::string(v.status().message()));
    return *v;
  };
  const std::string customers =
      S + "." +
      query("SELECT tablename FROM pg_tables WHERE schemaname = '" + S +
            "' AND tablename ~ '^customers_v[0-9]+$' ORDER BY length(tablename) DESC, tablename DESC LIMIT 1");
  auto set_state = [&](bool on) {
    query("DELETE FROM " + S + ".objections");
    if (on) {
      query("INSERT INTO " + S +
            ".objections (id, bsn, kind, scope, reason, received_date, record_time, recorded_by)"
            " SELECT gen_random_uuid(), bsn, 1, 1, 'benchmark', current_date, now(), 'bench' FROM (SELECT bsn FROM " +
            customers + " ORDER BY md5(bsn::text) LIMIT 10000) c");
    }
    query("UPDATE " + S + ".objection_register SET version = version + 1");
    query("VACUUM ANALYZE " + S + ".objections");
  };
  auto impact_once = [&](pb::ImpactAnalysis* out) {
    auto ctx = ContextFor(kAnalyst);
    const auto t0 = Clock::now();
    if (!server.stub().AnalyzeImpact(ctx.get(), impact_req, out).ok()) Die("AnalyzeImpact");
    return Seconds(t0) * 1000;
  };
  std::vector<double> impact_ms[2], freeze_s[2];
  int64_t excluded_impact = 0, excluded_freeze = 0, members[2] = {0, 0};
  for (bool on : {false, true, true, false, false, true}) {
    set_state(on);
    pb::ImpactAnalysis impact;
    impact_once(&impact);  // reads the register (not timed)
    for (int i = 0; i < impact_runs; ++i) impact_ms[on].push_back(impact_once(&impact));
    if (on) excluded_impact = impact.excluded_by_objection();
    Psql("CHECKPOINT;");
    absl::SleepFor(absl::Seconds(1));
    pb::RecipientList list;
    auto ctx = ContextFor(kAnalyst, absl::Minutes(5));
    const auto t0 = Clock::now();
    grpc::Status st = server.stub().FreezeRecipientList(ctx.get(), freeze, &list);
    freeze_s[on].push_back(Seconds(t0));
    if (!st.ok()) Die("FreezeRecipientList: " + st.error_message());
    members[on] = list.member_count();
    if (on) excluded_freeze = list.excluded_by_objection();
  }
  query("DELETE FROM " + S + ".objections");
  if (excluded_impact <= 0 || excluded_freeze <= 0) Die("the objections excluded nobody");
  const double impact_ratio = Median(impact_ms[1]) / Median(impact_ms[0]);
  const double freeze_ratio = Median(freeze_s[1]) / Median(freeze_s[0]);
  Row(absl::StrCat("impact, 10,000 objections (", excluded_impact, " left out)").c_str(),
      Fmt(Median(impact_ms[1]), "ms (median)", 1), Fmt(Median(impact_ms[0]), "ms without (median)", 1),
      absl::StrCat(Fmt(impact_ratio, "x", 3), impact_ratio <= 1.05 ? " <= 1.05 ok" : " > 1.05 MISSED"));
  Row(absl::StrCat("freeze, 10,000 objections (", members[1], " members, ", excluded_freeze, " left out)").c_str(),
      Fmt(Median(freeze_s[1]), "s (median of 3)", 2),
      absl::StrCat(Fmt(Median(freeze_s[0]), "s without (median of 3; ", 2), members[0], " members)"),
      absl::StrCat(Fmt(freeze_ratio, "x", 3), freeze_ratio <= 1.05 ? " <= 1.05 ok" : " > 1.05 MISSED"));
  return impact_ratio <= 1.05 && freeze_ratio <= 1.05;
}

// --- Freeze and stream references ---------------------------------------------------------------
// Interleaved rounds of ours and the reference, medians compared.
constexpr int kFreezeStreamRounds = 3;

std::string ListId(const pb::RecipientList& list) { return list.name().substr(list.name().find('/') + 1); }

// psql \copy of exactly what a freeze wrote, into tables of the same definitions: its member
// rows and its processing-log subject rows, exported to CSV first (not timed). LIKE ... INCLUDING
// ALL gives the same columns, defaults (the subject rows' tx), checks, primary key, hash and BRIN
// indexes; the subject table's UPDATE/TRUNCATE guard triggers are not copied (they never fire on
// an insert). The sum of the two \copy, in seconds.
double FreezeCopyReference(const std::string& schema, const pb::RecipientList& list, const std::string& dir) {
  const std::string id = ListId(list);
  const std::string members_csv = dir + "/ref_freeze_members.csv", subjects_csv = dir + "/ref_freeze_subjects.csv";
  Psql(absl::StrCat("\\copy (SELECT * FROM ", schema, ".recipient_list_members WHERE list_id = '", id,
                    "' ORDER BY position) TO '", members_csv, "' WITH (FORMAT csv)\n",
                    "\\copy (SELECT s.entry_id, s.data_subject_id, s.addressee FROM ", schema,
                    ".processing_log_subjects s JOIN ", schema, ".recipient_lists l ON s.entry_id = l.log_entry_id",
                    " WHERE l.id = '", id, "') TO '", subjects_csv, "' WITH (FORMAT csv)\n"));
  const std::string members = schema + ".ref_freeze_members", subjects = schema + ".ref_freeze_subjects";
  const std::string out = Psql(absl::StrCat(
      "CREATE TABLE ", members, " (LIKE ", schema, ".recipient_list_members INCLUDING ALL);\n",  //
      "CREATE TABLE ", subjects, " (LIKE ", schema, ".processing_log_subjects INCLUDING ALL);\n",
      "\\timing on\n\\copy ", members, " FROM '", members_csv, "' WITH (FORMAT csv)\n",  //
      "\\copy ", subjects, " (entry_id, data_subject_id, addressee) FROM '", subjects_csv, "' WITH (FORMAT csv)\n",
      "\\timing off\nSELECT (SELECT count(*) FROM ", members, ") || ' ' || (SELECT count(*) FROM ", subjects, ");\n",
      "DROP TABLE ", members, ", ", subjects, ";\n"));
  std::filesystem::remove(members_csv);
  std::filesystem::remove(subjects_csv);
  const std::string counts = std::regex_replace(out, std::regex("Time: [^\n]*\n?"), "");
  const std::string expected = absl::StrCat(list.member_count(), " ", list.member_count());  // (no control list)
  if (counts.rfind(expected, 0) != 0) Die("freeze reference: copied " + counts + ", expected " + expected);
  const double s = PsqlTime(out);
  if (s <= 0) Die("unexpected psql output: " + out);
  if (std::getenv("CAK_BENCH_DEBUG")) std::fprintf(stderr, "freeze reference (members, subjects):\n%s", out.c_str());
  return s;
}

// psql COPY ... TO STDOUT (to /dev/null) of the postal channel's fields of a list's members, read
// as StreamMembers reads them (the list's primary-key range in position order, no bitmap scan).
// In seconds.
double StreamCopyReference(const std::string& schema, const pb::RecipientList& list) {
  const std::string out = Psql(absl::StrCat(
      "BEGIN READ ONLY;\nSET LOCAL enable_bitmapscan = off;\n\\o /dev/null\n\\timing on\n",
      "COPY (SELECT position, bsn, routing, salutation, customer_name, addressee_name, street, house_number,"
      " house_number_suffix, postcode, city FROM ",
      schema, ".recipient_list_members WHERE list_id = '", ListId(list), "' ORDER BY position) TO STDOUT;\n",
      "\\timing off\n\\o\nCOMMIT;\n"));
  const double s = PsqlTime(out);
  if (s <= 0) Die("unexpected psql output: " + out);
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  cak::bench::SetProgramName("analysis_bench");
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a.rfind("--customers=", 0) == 0) {
      o.customers = std::atoll(a.c_str() + 12);
    } else if (a.rfind("--impact-runs=", 0) == 0) {
      o.impact_runs = std::atoi(a.c_str() + 14);
    } else if (a == "--no-references") {
      o.references = false;
    } else if (a.rfind("--sql-runs=", 0) == 0) {
      o.sql_runs = std::atoi(a.c_str() + 11);
    } else {
      std::fprintf(stderr, "usage: %s [--customers=N] [--impact-runs=N] [--sql-runs=N]\n", argv[0]);
      return 2;
    }
  }
  cak::common::log::SetMinLevel(std::getenv("CAK_BENCH_DEBUG") ? cak::common::log::Level::kDebug
                                                               : cak::common::log::Level::kWarning);
  ExportLibpqEnvironment(cak::common::testing::TestDsn());

  const auto setup = Clock::now();
  cak::analysis::testing::TestServerOptions so;
  so.customers = o.customers;
  so.stream_log_chunk = cak::analysis::domain::AnalysisSettings().stream_log_chunk;  // as deployed
  so.pool_size = 8;
  auto started = cak::analysis::testing::AnalysisTestServer::Start(so);
  if (!started.ok()) Die(started.status().ToString());
  auto& server = **started;
  const std::string schema = server.schema().name();
  std::printf("analysis-svc benchmark: %lld customers (generated in-process, seed 1), PostgreSQL %s, one database\n",
              static_cast<long long>(o.customers), Psql("SHOW server_version;").substr(0, 4).c_str());
  std::printf("set-up (generate files, migrate): %.1f s\n\n", Seconds(setup));
  Row("", "analysis-svc", "reference", "target");

  // --- Import ---------------------------------------------------------------------------------
  bool targets_met = true;
  const std::pair<pb::Dataset, const char*> files[] = {{pb::DATASET_CUSTOMERS, "customers"},
                                                       {pb::DATASET_RELATIONS, "relations"},
                                                       {pb::DATASET_MAILINGS, "mailings"},
                                                       {pb::DATASET_CONTACT_REPORTS, "contact_reports"}};
  for (const auto& [dataset, name] : files) {
    // Each import starts its snapshot's build in the background: the next import and its
    // psql reference are measured after it, on a quiet machine like the first.
    if (!server.service().snapshots().AwaitLatest(absl::Now() + absl::Minutes(5)).ok()) Die("snapshot build");
    const std::string csv = server.import_dir() + "/" + name + ".csv";
    Psql(absl::StrCat("SELECT 1;"));                                        // (connection warm)
    std::system(("cat " + csv + " > /dev/null").c_str());                   // both read it from the page cache
    const bool compare = o.references && dataset != pb::DATASET_RELATIONS;  // relation_seq: ours, not in the file
    double ref = 0;
    if (compare) {
      // The same table definition as a published version: customers carry their primary key,
      // mailings and contact reports no index (analysis-svc/migrations, dataset_indexes()).
      const std::string table = absl::StrCat(schema, ".ref_", name);
      const std::string key =
          dataset == pb::DATASET_CUSTOMERS ? "ALTER TABLE " + table + " ADD PRIMARY KEY (bsn);\n" : "";
      const std::string out = Psql(
          absl::StrCat("CREATE TABLE ", table, " (LIKE ", schema, ".", name,
                       " INCLUDING DEFAULTS INCLUDING CONSTRAINTS);\n", key, "\\timing on\n\\copy ", table, " FROM '",
                       csv, "' WITH (FORMAT csv, HEADER true)\n\\timing off\n", "DROP TABLE ", table, ";\n"));
      ref = PsqlTime(out);
      if (ref <= 0) Die("unexpected psql output: " + out);
    }
    pb::ImportFileRequest req;
    req.set_dataset(dataset);
    req.set_path(absl::StrCat(name, ".csv"));
    pb::ImportReport report;
    auto ctx = ContextFor(kAdmin, absl::Minutes(30));
    const auto t0 = Clock::now();
    grpc::Status st = server.stub().ImportFile(ctx.get(), req, &report);
    const double ours = Seconds(t0);
    if (!st.ok()) Die("ImportFile " + std::string(name) + ": " + st.error_message());
    const double rows = static_cast<double>(report.rows_loaded());
    if (compare) {
      const double ratio = ref / ours;
      targets_met &= ratio >= 0.8;
      Row(absl::StrCat("import ", name, " (", report.rows_loaded(), " rows)").c_str(),
          absl::StrCat(Fmt(rows / ours, "rows/s"), " (", Fmt(ours, "s)", 1)),
          absl::StrCat(Fmt(rows / ref, "rows/s"), " psql \\copy (", Fmt(ref, "s)", 1)),
          absl::StrCat(Fmt(ratio, "x", 2), ratio >= 0.8 ? " >= 0.8 ok" : " < 0.8 MISSED"));
    } else {
      Row(absl::StrCat("import ", name, " (", report.rows_loaded(), " rows)").c_str(), Fmt(rows / ours, "rows/s"), "-",
          "(no psql reference: relation_seq)");
    }
  }

  // The imports leave gigabytes of WAL and dirty pages behind; a checkpoint now keeps their
  // background writes out of the measurements that follow.
  Psql("CHECKPOINT;");

  // --- Impact analysis -------------------------------------------------------------------------
  pb::Snapshot snap;
  {
    auto ctx = ContextFor(kAnalyst);
    if (!server.stub().GetSnapshot(ctx.get(), pb::GetSnapshotRequest(), &snap).ok()) Die("GetSnapshot");
  }
  pb::AnalyzeImpactRequest impact_req;
  *impact_req.mutable_criteria() = cak::bench::ImpactCriteria();
  impact_req.mutable_reference_date()->set_year(2026);
  impact_req.mutable_reference_date()->set_month(11);
  impact_req.mutable_reference_date()->set_day(1);
  pb::ImpactAnalysis impact;
  // --- Columnar snapshot: no cold first call ----------------------------------------------------
  // The last import started the new snapshot's build on this replica at once. The first call
  // after it is served, or answered UNAVAILABLE SNAPSHOT_REBUILDING with a retry delay within
  // a second (never a silent build): it follows that advice here, as a client would.
  {
    const auto t0 = Clock::now();
    std::string what;
    for (int attempt = 1;; ++attempt) {
      auto ctx = ContextFor(kAnalyst, absl::Minutes(5));
      const auto t1 = Clock::now();
      const grpc::Status st = server.stub().AnalyzeImpact(ctx.get(), impact_req, &impact);
      if (st.ok()) {
        absl::StrAppend(&what, what.empty() ? "" : ", then ", "served in ", Fmt(Seconds(t1) * 1000, "ms", 0));
        break;
      }
      const cak::common::GrpcErrorDetails details = cak::common::ParseGrpcErrorDetails(st);
      if (st.error_code() != grpc::StatusCode::UNAVAILABLE || details.reason != "SNAPSHOT_REBUILDING" ||
          !details.retry_delay || attempt > 100) {
        Die("AnalyzeImpact: " + st.error_message());
      }
      absl::StrAppend(&what, what.empty() ? "" : ", ", "UNAVAILABLE SNAPSHOT_REBUILDING in ",
                      Fmt(Seconds(t1) * 1000, "ms", 0), " (retry in ",
                      Fmt(absl::ToDoubleSeconds(*details.retry_delay), "s)", 1));
      std::this_thread::sleep_for(absl::ToChronoMilliseconds(*details.retry_delay));
    }
    std::printf("%-34s %s (%s from the first attempt)\n", "first AnalyzeImpact after import", what.c_str(),
                Fmt(Seconds(t0), "s", 2).c_str());
  }
  {
    // The cold build, timed: a second replica starting on this snapshot builds it before it
    // reports SERVING (the version read, the four parts streamed at once on pooled sessions,
    // the layout), on an otherwise idle machine. The reference: psql running the same four
    // COPY statements one after another, output to /dev/null.
    const auto t0 = Clock::now();
    auto replica = server.StartReplica({});
    if (!replica.ok()) Die("replica: " + replica.status().ToString());
    const double start_s = Seconds(t0);
    const double ours = absl::ToDoubleSeconds((*replica)->service().snapshots().last_build_duration());
    replica->reset();
    auto info = server.service().GetSnapshot(cak::analysis::testing::AdminCall());
    if (!info.ok()) Die("GetSnapshot");
    std::string script = "\\timing on\n\\o /dev/null\n";
    for (const auto& copy : cak::analysis::storage::PgSnapshotRepository::ColumnarCopies(schema, "UTC", *info)) {
      absl::StrAppend(&script, copy.statement, ";\n");  // (the test server's zone is UTC)
    }
    const double ref = o.references ? PsqlTime(Psql(script + "\\o\n")) : 0;
    const double ratio = ref > 0 ? ours / ref : 0;
    if (o.references) targets_met &= ratio <= 1.0;
    Row("columnar snapshot build", absl::StrCat(Fmt(ours, "s", 2), " (replica up in ", Fmt(start_s, "s)", 2)),
        o.references ? Fmt(ref, "s psql COPY of the same columns", 2) : "-",
        o.references ? absl::StrCat(Fmt(ratio, "x", 2), ratio <= 1.0 ? " <= 1.0 ok" : " > 1.0 MISSED") : "");
  }
  std::vector<double> ours_ms;
  for (int i = 0; i < o.impact_runs; ++i) {
    auto ctx = ContextFor(kAnalyst);
    const auto t0 = Clock::now();
    if (!server.stub().AnalyzeImpact(ctx.get(), impact_req, &impact).ok()) Die("AnalyzeImpact");
    ours_ms.push_back(Seconds(t0) * 1000);
  }
  const std::string sql = ImpactSql(schema, snap);
  std::vector<double> sql_ms;
  std::string sql_out;
  for (int i = 0; i < (o.references ? o.sql_runs : 0); ++i) {
    sql_out = Psql("\\timing on\n" + sql + "\n");
    sql_ms.push_back(PsqlTime(sql_out) * 1000);
  }
  const auto sql_counts = ParseSqlCounts(std::regex_replace(sql_out, std::regex("Time: [^\n]*\n?"), ""));
  const auto rpc_counts = RpcCounts(impact);
  if (o.references && sql_counts != rpc_counts) {
    for (const auto& [k, v] : rpc_counts) {
      auto it = sql_counts.find(k);
      if (it == sql_counts.end() || it->second != v) {
        std::fprintf(stderr, "mismatch %s: ours %lld, SQL %lld\n", k.c_str(), static_cast<long long>(v),
                     static_cast<long long>(it == sql_counts.end() ? 0 : it->second));
      }
    }
    Die("impact analysis and SQL disagree");
  }
  const double impact_ratio = Median(ours_ms) / Median(sql_ms);
  targets_met &= impact_ratio <= 0.25;
  Row(absl::StrCat("impact analysis (", impact.total(), " selected)").c_str(), Fmt(Median(ours_ms), "ms (median)", 1),
      Fmt(Median(sql_ms), "ms SQL via psql (median)", 0),
      absl::StrCat(Fmt(impact_ratio, "x", 3), impact_ratio <= 0.25 ? " <= 0.25 ok" : " > 0.25 MISSED",
                   "; answers identical"));

  // --- Stratified sample -----------------------------------------------------------------------
  std::vector<double> sample_ms;
  for (int i = 0; i < 10; ++i) {
    pb::CreateSampleRequest req;
    *req.mutable_criteria() = Regulations({pb::REGULATION_WLZ, pb::REGULATION_WMO, pb::REGULATION_WANBETALERS});
    req.set_size(1000);
    req.set_seed(1000 + i);
    req.set_stratification(pb::STRATIFICATION_MUNICIPALITY);
    pb::Sample sample;
    auto ctx = ContextFor(kAnalyst);
    const auto t0 = Clock::now();
    if (!server.stub().CreateSample(ctx.get(), req, &sample).ok() || sample.members_size() != 1000) Die("CreateSample");
    sample_ms.push_back(Seconds(t0) * 1000);
  }
  targets_met &= Median(sample_ms) <= 200;
  Row("stratified sample of 1,000", Fmt(Median(sample_ms), "ms (median of 10)", 1), "-",
      Median(sample_ms) <= 200 ? "<= 200 ms ok" : "> 200 ms MISSED");

  // --- Freeze and stream ~500k -----------------------------------------------------------------
  const pb::DefineTargetGroupsRequest define = cak::bench::BenchGroup();
  pb::TargetGroupSet set;
  {
    auto ctx = ContextFor(kAnalyst, absl::Minutes(5));
    if (!server.stub().DefineTargetGroups(ctx.get(), define, &set).ok()) Die("DefineTargetGroups");
  }
  pb::FreezeRecipientListRequest freeze;
  freeze.set_target_group_set(set.name());
  freeze.set_group("bench");
  // CAK_BENCH_DEBUG: where a measured window's CPU went (this process: service and client).
  const bool debug = std::getenv("CAK_BENCH_DEBUG") != nullptr;
  auto cpu_note = [&](const char* what, double ours_cpu, double pg_cpu, double wall) {
    if (debug)
      std::fprintf(stderr, "%s: %.2f s wall, cpu %.2f s this process, %.2f s postgres\n", what, wall, ours_cpu, pg_cpu);
  };
  pb::RecipientList list;  // the first round's: streamed below
  std::vector<double> freeze_s, freeze_ref_s;
  for (int round = 0; round < kFreezeStreamRounds; ++round) {
    pb::RecipientList frozen;
    auto ctx = ContextFor(kAnalyst, absl::Minutes(5));
    const double cpu0 = cak::bench::ProcessCpuSeconds(), pg0 = cak::bench::LocalPostgresCpuSeconds();
    const auto t0 = Clock::now();
    grpc::Status st = server.stub().FreezeRecipientList(ctx.get(), freeze, &frozen);
    freeze_s.push_back(Seconds(t0));
    if (!st.ok()) Die("FreezeRecipientList: " + st.error_message());
    cpu_note("freeze", cak::bench::ProcessCpuSeconds() - cpu0, cak::bench::LocalPostgresCpuSeconds() - pg0,
             freeze_s.back());
    if (round == 0) list = frozen;
    if (o.references) freeze_ref_s.push_back(FreezeCopyReference(schema, frozen, server.import_dir()));
  }
  const std::string rounds = absl::StrCat("median of ", kFreezeStreamRounds, ")");
  if (o.references) {
    const double ratio = Median(freeze_s) / Median(freeze_ref_s);
    targets_met &= ratio <= 1.0;
    Row(absl::StrCat("freeze list (", list.member_count(), " members)").c_str(),
        Fmt(Median(freeze_s), ("s (" + rounds).c_str(), 2),
        Fmt(Median(freeze_ref_s), ("s psql \\copy members + subjects (" + rounds).c_str(), 2),
        absl::StrCat(Fmt(ratio, "x", 2), ratio <= 1.0 ? " <= 1.0 ok" : " > 1.0 MISSED"));
  } else {
    Row(absl::StrCat("freeze list (", list.member_count(), " members)").c_str(),
        Fmt(Median(freeze_s), ("s (" + rounds).c_str(), 2), "-", "(--no-references)");
  }

  std::vector<double> stream_rate, stream_ref_rate;
  for (int round = 0; round < kFreezeStreamRounds; ++round) {
    pb::StreamRecipientsRequest req;
    req.set_name(list.name());
    req.set_field_set(pb::FIELD_SET_POSTAL);
    auto ctx = ContextFor(kDispatch, absl::Minutes(5));
    int64_t streamed = 0;
    const double cpu0 = cak::bench::ProcessCpuSeconds(), pg0 = cak::bench::LocalPostgresCpuSeconds();
    const auto t0 = Clock::now();
    auto reader = server.stub().StreamRecipients(ctx.get(), req);
    pb::StreamRecipientsResponse r;
    while (reader->Read(&r)) streamed += r.recipients_size();
    grpc::Status st = reader->Finish();
    const double stream_s = Seconds(t0);
    if (!st.ok() || streamed != list.member_count()) Die("StreamRecipients: " + st.error_message());
    cpu_note("stream", cak::bench::ProcessCpuSeconds() - cpu0, cak::bench::LocalPostgresCpuSeconds() - pg0, stream_s);
    stream_rate.push_back(static_cast<double>(streamed) / stream_s);
    if (o.references) stream_ref_rate.push_back(static_cast<double>(streamed) / StreamCopyReference(schema, list));
  }
  if (o.references) {
    const double ratio = Median(stream_rate) / Median(stream_ref_rate);
    targets_met &= ratio >= 1.0;
    Row("stream list (postal, logged)", Fmt(Median(stream_rate), ("members/s (" + rounds).c_str()),
        Fmt(Median(stream_ref_rate), ("members/s psql COPY TO STDOUT (" + rounds).c_str()),
        absl::StrCat(Fmt(ratio, "x", 2), ratio >= 1.0 ? " >= 1.0 ok" : " < 1.0 MISSED"));
  } else {
    Row("stream list (postal, logged)", Fmt(Median(stream_rate), ("members/s (" + rounds).c_str()), "-",
        "(--no-references)");
  }
  targets_met &= LogbookExportOfAFreeze(server, freeze);
  targets_met &= ObjectionsCost(server, impact_req, freeze, o.impact_runs);
  std::printf("\n%s\n", targets_met ? "all targets met" : "SOME TARGETS MISSED");
  return 0;
}
