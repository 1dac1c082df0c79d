// Benchmark: response measurement (MeasureResponse, step 9) on a generated population (default
// `large`: 2 million customers, ~5 million contact reports), beside the equivalent single SQL
// statement through psql, measured in the same run on the same database:
//
//   A group of ~540k customers is frozen with an 8% control share (~497k contacted, ~43k held
//   back). MeasureResponse over gRPC (warm columnar snapshot; median of --runs) counts who of
//   both lists has a contact report from the send date through the end date, per channel of
//   the first response and per week, plus the sample of 20 + 20. The reference is one SQL
//   statement doing the same counting: the two lists' members joined to the customers version
//   (not found) and to the contact-report version (first report in the window per member),
//   grouped per list, channel and week (\timing, median of --sql-runs).
//                                                            target: ours <= 0.5x the time
//   The answers are compared too (members found, responders, per channel, per week): the
//   benchmark fails when they differ, and when a measurement did not log every member of both
//   lists as a data subject (the privacy officer's decision; by reference to the freeze's
//   subject rows, common migration 0010).
//
// No dispatch-svc runs here, so no outcomes are read (the request names no dispatch order).
// The database is CAK_TEST_PG_DSN (scripts/bench.sh makes a database of its own); the service
// runs in-process with the production grants (runtime role cak_test_app). psql must be on PATH.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "analysis-svc/test/analysis_test_server.h"
#include "bench/bench_services.h"
#include "bench/bench_support.h"
#include "common/base/log.h"
#include "common/testing/grpc_test_support.h"

namespace {

namespace pb = cak::voorlichting::analysis::v1;
using cak::bench::Clock;
using cak::bench::Die;
using cak::bench::ExportLibpqEnvironment;
using cak::bench::Fmt;
using cak::bench::Median;
using cak::bench::ProtoDay;
using cak::bench::Psql;
using cak::bench::PsqlTime;
using cak::bench::Seconds;
using cak::common::testing::ContextFor;
using cak::common::testing::TestCaller;

const TestCaller kAnalyst{"emp-2001", {"analyst"}};

struct Options {
  int64_t customers = 2'000'000;
  int runs = 5;
  int sql_runs = 3;
  double control_share = 0.08;
};

const absl::CivilDay kSend(2026, 8, 3);
const absl::CivilDay kEnd(2026, 10, 30);

// What MeasureResponse counts, as one SQL statement. The first response of a member is its
// earliest contact report in the window; on a day with several, the same tie-break as the
// service (the columnar snapshot keeps days): not reached before reached, then channel number.
std::string MeasureSql(const std::string& schema, const pb::Snapshot& snap, const std::string& list,
                       const std::string& control) {
  auto t = [&](const char* name, int i) { return absl::StrCat(schema, ".", name, "_v", snap.datasets(i).version()); };
  const std::string C = t("customers", 0), K = t("contact_reports", 3);
  const std::string send = absl::StrCat("DATE '", absl::FormatCivilTime(kSend), "'");
  const std::string end = absl::StrCat("DATE '", absl::FormatCivilTime(kEnd), "'");
  return absl::StrCat(
      "WITH members AS (SELECT 'contacted' AS part, position, bsn FROM ", schema,
      ".recipient_list_members WHERE list_id = '", list,
      "'"
      " UNION ALL SELECT 'control', position, bsn FROM ",
      schema, ".recipient_list_members WHERE list_id = '", control,
      "'),"
      " found AS (SELECT m.part, m.bsn FROM members m JOIN ",
      C,
      " c ON c.bsn = m.bsn),"
      " first AS (SELECT DISTINCT ON (f.part, f.bsn) f.part, f.bsn, (k.contact_time AT TIME ZONE 'UTC')::date AS day,"
      " k.channel FROM found f JOIN ",
      K,
      " k ON k.customer_bsn = f.bsn"
      " WHERE (k.contact_time AT TIME ZONE 'UTC')::date BETWEEN ",
      send, " AND ", end,
      " ORDER BY f.part, f.bsn, (k.contact_time AT TIME ZONE 'UTC')::date, k.reached,"
      " array_position(ARRAY['PHONE', 'LETTER', 'EMAIL', 'WEBSITE'], k.channel))"
      " SELECT 'members', part, '', count(*) FROM members GROUP BY part"
      " UNION ALL SELECT 'found', part, '', count(*) FROM found GROUP BY part"
      " UNION ALL SELECT 'responders', part, '', count(*) FROM first GROUP BY part"
      " UNION ALL SELECT 'channel', part, channel, count(*) FROM first GROUP BY part, channel"
      " UNION ALL SELECT 'week', part, ((day - ",
      send, ") / 7 + 1)::text, count(*) FROM first GROUP BY part, 3;");
}

// "kind|part|key|count" lines -> map, zero counts dropped.
std::map<std::string, int64_t> ParseSqlCounts(const std::string& out) {
  std::map<std::string, int64_t> m;
  for (absl::string_view line : absl::StrSplit(out, '\n', absl::SkipEmpty())) {
    std::vector<std::string> f = absl::StrSplit(line, '|');
    int64_t n = 0;
    if (f.size() == 4 && absl::SimpleAtoi(f[3], &n) && n != 0) m[f[0] + "/" + f[1] + "/" + f[2]] = n;
  }
  return m;
}

std::map<std::string, int64_t> RpcCounts(const pb::ResponseMeasurement& r) {
  std::map<std::string, int64_t> m;
  auto add = [&](const std::string& k, int64_t n) {
    if (n != 0) m[k] = n;
  };
  const pb::GroupResponse& g = r.groups(0);
  add("members/contacted/", g.contacted());
  add("found/contacted/", g.response().denominator());
  add("responders/contacted/", g.response().numerator());
  add("found/control/", g.control_response().denominator());
  add("responders/control/", g.control_response().numerator());
  for (const auto& c : g.by_channel()) {
    add("channel/contacted/" + std::string(absl::StripPrefix(pb::ContactChannel_Name(c.channel()), "CONTACT_CHANNEL_")),
        c.responders());
  }
  for (const auto& w : g.by_week()) add(absl::StrCat("week/contacted/", w.week()), w.new_responders());
  return m;
}

// The SQL's control rows the RPC reports only as rates (members, channels, weeks) are not
// compared; the control list's members and responders are.
std::map<std::string, int64_t> Comparable(std::map<std::string, int64_t> sql) {
  for (auto it = sql.begin(); it != sql.end();) {
    const bool control_detail = it->first.find("/control/") != std::string::npos &&
                                (it->first.rfind("members/", 0) == 0 || it->first.rfind("channel/", 0) == 0 ||
                                 it->first.rfind("week/", 0) == 0);
    it = control_detail ? sql.erase(it) : std::next(it);
  }
  return sql;
}

void Row(const char* what, const std::string& ours, const std::string& reference, const std::string& verdict) {
  std::printf("%-40s %-28s %-34s %s\n", what, ours.c_str(), reference.c_str(), verdict.c_str());
}

}  // namespace

int main(int argc, char** argv) {
  cak::bench::SetProgramName("response_bench");
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a.rfind("--customers=", 0) == 0) {
      o.customers = std::atoll(a.c_str() + 12);
    } else if (a.rfind("--runs=", 0) == 0) {
      o.runs = std::max(1, std::atoi(a.c_str() + 7));
    } else if (a.rfind("--sql-runs=", 0) == 0) {
      o.sql_runs = std::max(1, std::atoi(a.c_str() + 11));
    } else if (a.rfind("--control-share=", 0) == 0) {
      o.control_share = std::atof(a.c_str() + 16);
    } else {
      std::fprintf(stderr, "usage: %s [--customers=N] [--runs=N] [--sql-runs=N] [--control-share=X]\n", argv[0]);
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
  if (absl::Status st = server.ImportGenerated(); !st.ok()) Die("import: " + st.ToString());
  Psql("CHECKPOINT;");  // the imports' writes stay out of the measurements
  pb::Snapshot snap;
  {
    auto ctx = ContextFor(kAnalyst);
    if (!server.stub().GetSnapshot(ctx.get(), pb::GetSnapshotRequest(), &snap).ok()) Die("GetSnapshot");
  }
  std::printf(
      "response measurement benchmark: %lld customers, %lld contact reports (generated in-process, seed 1),"
      " PostgreSQL %s, one database\n",
      static_cast<long long>(o.customers), static_cast<long long>(snap.datasets(3).row_count()),
      Psql("SHOW server_version;").substr(0, 4).c_str());
  std::printf("set-up (generate, import, snapshot): %.1f s\n", Seconds(setup));

  // The group of the analysis benchmark (~540k of 2M), frozen with a control share.
  pb::TargetGroupSet set;
  if (!server.stub()
           .DefineTargetGroups(ContextFor(kAnalyst, absl::Minutes(5)).get(), cak::bench::BenchGroup(), &set)
           .ok()) {
    Die("DefineTargetGroups");
  }
  pb::FreezeRecipientListRequest freeze;
  freeze.set_target_group_set(set.name());
  freeze.set_group("bench");
  freeze.set_control_share(o.control_share);
  freeze.set_control_seed(2026);
  pb::RecipientList list;
  double freeze_s = 0;
  {
    const auto t0 = Clock::now();
    grpc::Status st = server.stub().FreezeRecipientList(ContextFor(kAnalyst, absl::Minutes(5)).get(), freeze, &list);
    freeze_s = Seconds(t0);
    if (!st.ok()) Die("FreezeRecipientList: " + st.error_message());
  }
  pb::GetRecipientListRequest get;
  get.set_name(list.control_list());
  pb::RecipientList control;
  if (!server.stub().GetRecipientList(ContextFor(kAnalyst).get(), get, &control).ok()) Die("GetRecipientList");
  std::printf("freeze with control share %.2f: %lld contacted + %lld held back in %.2f s\n\n", o.control_share,
              static_cast<long long>(list.member_count()), static_cast<long long>(control.member_count()), freeze_s);
  Psql("VACUUM ANALYZE " + schema + ".recipient_list_members;");  // both sides read settled tables
  Row("", "analysis-svc", "reference", "target");

  pb::MeasureResponseRequest req;
  req.set_campaign("campaigns/5b7f2f0e-2a43-4d7e-8c57-2f3a9d1b6e09");
  auto* mg = req.add_groups();
  mg->set_group("bench");
  mg->set_recipient_list(list.name());
  mg->set_control_list(list.control_list());
  mg->set_channel(pb::ACTION_CHANNEL_LETTER);
  *mg->mutable_send_date() = ProtoDay(kSend);
  *req.mutable_end_date() = ProtoDay(kEnd);
  req.set_sample_seed(7);
  pb::ResponseMeasurement measurement;
  std::vector<double> ours_ms;
  double first_ms = 0;
  for (int i = 0; i <= o.runs; ++i) {  // the first call is reported on its own
    measurement.Clear();
    auto ctx = ContextFor(kAnalyst, absl::Minutes(5));
    const auto t0 = Clock::now();
    grpc::Status st = server.stub().MeasureResponse(ctx.get(), req, &measurement);
    const double ms = Seconds(t0) * 1000;
    if (!st.ok()) Die("MeasureResponse: " + st.error_message());
    if (i == 0) {
      first_ms = ms;
    } else {
      ours_ms.push_back(ms);
    }
  }

  const std::string sql = MeasureSql(schema, snap, list.name().substr(15), list.control_list().substr(15));
  std::vector<double> sql_ms;
  std::string sql_out;
  for (int i = 0; i < o.sql_runs; ++i) {
    sql_out = Psql("\\timing on\n" + sql + "\n");
    sql_ms.push_back(PsqlTime(sql_out) * 1000);
  }
  const auto sql_counts = Comparable(ParseSqlCounts(std::regex_replace(sql_out, std::regex("Time: [^\n]*\n?"), "")));
  const auto rpc_counts = RpcCounts(measurement);
  if (sql_counts != rpc_counts) {
    std::set<std::string> keys;
    for (const auto& [k, v] : sql_counts) keys.insert(k);
    for (const auto& [k, v] : rpc_counts) keys.insert(k);
    for (const auto& k : keys) {
      auto a = rpc_counts.find(k), b = sql_counts.find(k);
      const int64_t ours = a == rpc_counts.end() ? 0 : a->second, theirs = b == sql_counts.end() ? 0 : b->second;
      if (ours != theirs) {
        std::fprintf(stderr, "mismatch %s: ours %lld, SQL %lld\n", k.c_str(), static_cast<long long>(ours),
                     static_cast<long long>(theirs));
      }
    }
    Die("MeasureResponse and SQL disagree");
  }
  // Every measurement logged every member of both lists as a data subject (the privacy
  // officer's decision), whatever way it stored them.
  const int64_t members = list.member_count() + control.member_count();
  const std::string logged = Psql(
      "SELECT count(*) || ' ' || min(n) || ' ' || max(n) || ' ' || sum(refs) FROM (SELECT"
      " (SELECT count(*) FROM " +
      schema + ".processing_log_all_subjects s WHERE s.entry_id = p.id) AS n, (SELECT count(*) FROM " + schema +
      ".processing_log_subject_refs r WHERE r.entry_id = p.id) AS refs FROM " + schema +
      ".processing_log p WHERE p.name = 'analysis.MeasureResponse' AND p.data_subject_id IS NULL) m;\n");
  const std::vector<std::string> counts = absl::StrSplit(absl::StripAsciiWhitespace(logged), ' ');
  if (counts.size() != 4 || counts[0] != absl::StrCat(o.runs + 1) || counts[1] != absl::StrCat(members) ||
      counts[2] != absl::StrCat(members)) {
    Die("the measurements did not log every member: " + logged);
  }

  const pb::GroupResponse& r = measurement.groups(0);
  const double ratio = Median(ours_ms) / Median(sql_ms);
  const bool met = ratio <= 0.5;
  Row(absl::StrCat("MeasureResponse (", r.contacted() + control.member_count(), " members)").c_str(),
      Fmt(Median(ours_ms), "ms (median of ", 1) + absl::StrCat(o.runs, ")"),
      Fmt(Median(sql_ms), "ms SQL via psql (median of ", 0) + absl::StrCat(o.sql_runs, ")"),
      absl::StrCat(Fmt(ratio, "x", 3), met ? " <= 0.5 ok" : " > 0.5 MISSED", "; answers identical"));
  Row("  first call after the freeze", Fmt(first_ms, "ms", 1), "", "");
  std::printf(
      "\nlogged: %s measurements, each with all %lld members as data subjects (%s by reference to the"
      " freeze's subject rows)\n",
      counts[0].c_str(), static_cast<long long>(members),
      counts[3] == counts[0] ? "each" : (counts[3] + " of them").c_str());
  std::printf(
      "\nresponse %.2f%% (%lld of %lld), control %.2f%% (%lld of %lld), difference %.2f pp [%.2f, %.2f]; "
      "sample %d + %d\n",
      100 * r.response().rate(), static_cast<long long>(r.response().numerator()),
      static_cast<long long>(r.response().denominator()), 100 * r.control_response().rate(),
      static_cast<long long>(r.control_response().numerator()),
      static_cast<long long>(r.control_response().denominator()), 100 * r.difference(), 100 * r.difference_ci_low(),
      100 * r.difference_ci_high(), measurement.responders_size(), measurement.non_responders_size());
  std::printf("\n%s\n", met ? "target met" : "TARGET MISSED");
  return 0;
}
