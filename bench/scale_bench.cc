// Benchmark: the scale curve. The same work at several population sizes (default 0.5, 2 and 8
// million generated customers), each size from scratch: the project's generator writes the four
// files, analysis-svc and dispatch-svc run as their real binaries (child processes, own schemas
// in one database), and every step goes over gRPC as in production:
//
//   import     ImportFile of customers, relations, mailings and contact reports (summed)
//   snapshot   the columnar snapshot build: analysis-svc restarted on the imported data, from
//              its start until it reports ready (it builds the snapshot before serving)
//   impact     AnalyzeImpact with every breakdown (median of --runs, after one call)
//   sample     a stratified sample of 1,000 (median of --runs)
//   freeze     FreezeRecipientList of the group "bench" (~27% of the customers; 8% control)
//   letters    CreateDispatchOrder of that list until the order is READY (every letter
//              streamed, rendered, written and stored)
//   response   MeasureResponse of the list and its control list (median of --runs, after one)
//
// Printed per step: the cost per customer at each size and the largest size's against the
// smallest's (target: at most 1.3x, i.e. nothing super-linear), and analysis-svc's resident
// memory per customer (after the snapshot build, less the same process with no data; and the
// peak), beside the snapshot's own column bytes per customer as analysis-svc logs them.
//
// Usage: scale_bench [--sizes=500000,2000000,8000000] [--runs=3]
// The database is CAK_TEST_PG_DSN (scripts/bench.sh scale makes one of its own).
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "analysis-svc/src/storage/schema.h"
#include "bench/bench_services.h"
#include "bench/bench_support.h"
#include "cak/voorlichting/analysis/v1/analysis_service.grpc.pb.h"
#include "cak/voorlichting/dispatch/v1/dispatch_service.grpc.pb.h"
#include "common/base/log.h"
#include "common/base/random.h"
#include "common/grpc/dev_tokens.h"
#include "common/testing/child_process.h"
#include "common/testing/grpc_test_support.h"
#include "common/testing/pg_test_env.h"
#include "dispatch-svc/src/storage/schema.h"

namespace {

namespace apb = cak::voorlichting::analysis::v1;
namespace dpb = cak::voorlichting::dispatch::v1;
using cak::bench::Clock;
using cak::bench::Die;
using cak::bench::Fmt;
using cak::bench::Median;
using cak::bench::Seconds;
using cak::bench::ServiceChild;
using cak::common::testing::ContextFor;
using cak::common::testing::TestCaller;

const TestCaller kAdmin{"ops-1", {"administrator"}};
const TestCaller kAnalyst{"emp-2001", {"analyst"}};
const TestCaller kCampaign{"campaign-svc.voorlichting.svc", {"campaign_service"}, true};

const char* const kSteps[] = {"import", "snapshot", "impact", "sample", "freeze", "letters", "response"};

struct SizeResult {
  int64_t customers = 0;
  std::map<std::string, double> seconds;  // per step
  std::map<std::string, int64_t> work;    // rows, members or letters a step handled (shown)
  int64_t empty_rss_kb = 0, built_rss_kb = 0, peak_rss_kb = 0;
  int64_t snapshot_bytes = -1;  // as analysis-svc logged it
};

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
  if (!out) Die("cannot write " + path);
}

// The snapshot's column bytes from analysis-svc's log ("columnar_snapshot_built" ... "bytes":N), or -1.
int64_t SnapshotBytes(const std::string& log) {
  int64_t bytes = -1;
  for (absl::string_view line : absl::StrSplit(log, '\n')) {
    if (line.find("\"columnar_snapshot_built\"") == absl::string_view::npos) continue;
    const size_t at = line.find("\"bytes\":");
    if (at == absl::string_view::npos) continue;
    absl::string_view rest = line.substr(at + 8);
    rest = rest.substr(0, rest.find_first_not_of("0123456789"));
    int64_t v = 0;
    if (absl::SimpleAtoi(rest, &v)) bytes = v;
  }
  return bytes;
}

SizeResult RunSize(int64_t customers, int runs) {
  SizeResult r;
  r.customers = customers;
  namespace fs = std::filesystem;
  const std::string dir = (fs::temp_directory_path() / ("cak-scale-" + cak::common::NewUuid())).string();
  fs::create_directories(dir + "/deliveries");
  std::printf("-- %lld customers\n", static_cast<long long>(customers));
  std::fflush(stdout);

  auto t0 = Clock::now();
  {
    cak::common::testing::ChildProcess datagen(
        {DATAGEN_BINARY, absl::StrCat("--size=", customers), "--seed=1", "--out=" + dir + "/import"});
    const std::string out = datagen.ReadAll();
    if (datagen.Wait() != 0) Die("datagen: " + out);
  }
  std::printf("   generated the files in %.1f s\n", Seconds(t0));

  auto analysis_schema =
      cak::common::testing::TestSchema::Create("scale", cak::analysis::storage::AnalysisMigrationSets());
  if (!analysis_schema.ok()) Die(analysis_schema.status().ToString());
  auto dispatch_schema =
      cak::common::testing::TestSchema::Create("scaled", cak::dispatch::storage::DispatchMigrationSets());
  if (!dispatch_schema.ok()) Die(dispatch_schema.status().ToString());
  WriteFile(dir + "/hash.key", "bench-hash-key-that-is-long-enough-to-use\n");
  cak::common::TokenClaims claims;
  claims.subject = "dispatch-svc.voorlichting.svc";
  claims.roles = {"dispatch_service"};
  claims.application = true;
  claims.lifetime = absl::Hours(4);
  WriteFile(dir + "/analysis.token", *cak::common::MintToken(claims));

  const std::vector<std::string> common_flags = {"--db-dsn=" + cak::common::testing::TestDsn(),
                                                 "--auth-mode=development",
                                                 "--hash-key-file=" + dir + "/hash.key",
                                                 "--time-zone=UTC",
                                                 "--listen-host=127.0.0.1",
                                                 "--grpc-port=0",
                                                 "--health-port=0",
                                                 "--metrics-port=0",
                                                 "--log-level=info"};
  auto analysis_args = [&] {
    std::vector<std::string> a = {ANALYSIS_SVC_BINARY, "--db-schema=" + (*analysis_schema)->name(),
                                  "--import-dir=" + dir + "/import"};
    a.insert(a.end(), common_flags.begin(), common_flags.end());
    return a;
  };
  auto analysis = std::make_unique<ServiceChild>(analysis_args());
  r.empty_rss_kb = analysis->RssKb();
  auto stub = apb::AnalysisService::NewStub(cak::common::testing::LocalChannel(analysis->grpc_port()));

  // --- import ---------------------------------------------------------------------------------
  const std::pair<apb::Dataset, const char*> files[] = {{apb::DATASET_CUSTOMERS, "customers"},
                                                        {apb::DATASET_RELATIONS, "relations"},
                                                        {apb::DATASET_MAILINGS, "mailings"},
                                                        {apb::DATASET_CONTACT_REPORTS, "contact_reports"}};
  double import_s = 0;
  int64_t import_rows = 0;
  for (const auto& [dataset, name] : files) {
    apb::ImportFileRequest req;
    req.set_dataset(dataset);
    req.set_path(absl::StrCat(name, ".csv"));
    apb::ImportReport report;
    t0 = Clock::now();
    grpc::Status st = stub->ImportFile(ContextFor(kAdmin, absl::Minutes(60)).get(), req, &report);
    import_s += Seconds(t0);
    if (!st.ok()) Die(absl::StrCat("ImportFile ", name, ": ", st.error_message()));
    import_rows += report.rows_loaded();
  }
  r.seconds["import"] = import_s;
  r.work["import"] = import_rows;
  cak::bench::Psql("CHECKPOINT;");  // the imports' writes stay out of what follows

  // --- snapshot: a restart builds it before the replica is ready --------------------------------
  analysis->Stop();
  analysis.reset();
  t0 = Clock::now();
  analysis = std::make_unique<ServiceChild>(analysis_args());
  r.seconds["snapshot"] = Seconds(t0);
  r.work["snapshot"] = customers;
  r.built_rss_kb = analysis->RssKb();
  stub = apb::AnalysisService::NewStub(cak::common::testing::LocalChannel(analysis->grpc_port()));

  // --- impact and sample --------------------------------------------------------------------------
  apb::AnalyzeImpactRequest impact_req;
  *impact_req.mutable_criteria() = cak::bench::ImpactCriteria();
  *impact_req.mutable_reference_date() = cak::bench::ProtoDay(absl::CivilDay(2026, 11, 1));
  std::vector<double> impact_s;
  apb::ImpactAnalysis impact;
  for (int i = 0; i <= runs; ++i) {
    t0 = Clock::now();
    if (grpc::Status st = stub->AnalyzeImpact(ContextFor(kAnalyst, absl::Minutes(5)).get(), impact_req, &impact);
        !st.ok()) {
      Die("AnalyzeImpact: " + st.error_message());
    }
    if (i > 0) impact_s.push_back(Seconds(t0));
  }
  r.seconds["impact"] = Median(impact_s);
  r.work["impact"] = impact.total();
  std::vector<double> sample_s;
  for (int i = 0; i <= runs; ++i) {
    apb::CreateSampleRequest req;
    *req.mutable_criteria() =
        cak::bench::Regulations({apb::REGULATION_WLZ, apb::REGULATION_WMO, apb::REGULATION_WANBETALERS});
    req.set_size(1000);
    req.set_seed(1000 + i);
    req.set_stratification(apb::STRATIFICATION_MUNICIPALITY);
    apb::Sample sample;
    t0 = Clock::now();
    if (grpc::Status st = stub->CreateSample(ContextFor(kAnalyst, absl::Minutes(5)).get(), req, &sample); !st.ok()) {
      Die("CreateSample: " + st.error_message());
    }
    if (i > 0) sample_s.push_back(Seconds(t0));
  }
  r.seconds["sample"] = Median(sample_s);
  r.work["sample"] = 1000;

  // --- freeze -------------------------------------------------------------------------------------
  apb::TargetGroupSet set;
  if (grpc::Status st =
          stub->DefineTargetGroups(ContextFor(kAnalyst, absl::Minutes(5)).get(), cak::bench::BenchGroup(), &set);
      !st.ok()) {
    Die("DefineTargetGroups: " + st.error_message());
  }
  apb::FreezeRecipientListRequest freeze;
  freeze.set_target_group_set(set.name());
  freeze.set_group("bench");
  freeze.set_control_share(0.08);
  freeze.set_control_seed(2026);
  apb::RecipientList list;
  cak::bench::Psql("CHECKPOINT;");
  t0 = Clock::now();
  if (grpc::Status st = stub->FreezeRecipientList(ContextFor(kAnalyst, absl::Minutes(30)).get(), freeze, &list);
      !st.ok()) {
    Die("FreezeRecipientList: " + st.error_message());
  }
  r.seconds["freeze"] = Seconds(t0);
  r.work["freeze"] = list.member_count();

  // --- letters: dispatch-svc reads the list from analysis-svc ---------------------------------------
  std::vector<std::string> dispatch_args = {DISPATCH_SVC_BINARY,
                                            "--db-schema=" + (*dispatch_schema)->name(),
                                            "--delivery-dir=" + dir + "/deliveries",
                                            absl::StrCat("--analysis-address=127.0.0.1:", analysis->grpc_port()),
                                            "--analysis-token-file=" + dir + "/analysis.token",
                                            "--replica=scale"};
  dispatch_args.insert(dispatch_args.end(), common_flags.begin(), common_flags.end());
  {
    ServiceChild dispatch_svc(dispatch_args);
    auto dispatch = dpb::DispatchService::NewStub(cak::common::testing::LocalChannel(dispatch_svc.grpc_port()));
    dpb::Executor executor;
    grpc::Status st;
    for (int i = 0; i < 100; ++i) {  // until its first health probe passed
      st = dispatch->CreateExecutor(ContextFor(kAdmin).get(), cak::bench::LetterExecutor(), &executor);
      if (st.error_code() != grpc::StatusCode::UNAVAILABLE) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    if (!st.ok()) Die("CreateExecutor: " + st.error_message());
    cak::bench::Psql("CHECKPOINT;");
    dpb::DispatchOrder order;
    t0 = Clock::now();
    st = dispatch->CreateDispatchOrder(ContextFor(kCampaign, absl::Minutes(1)).get(),
                                       cak::bench::LetterOrder(list.name(), "scale-letters"), &order);
    if (!st.ok()) Die("CreateDispatchOrder: " + st.error_message());
    order = cak::bench::AwaitOrder(*dispatch, order, kCampaign, absl::Minutes(30));
    r.seconds["letters"] = Seconds(t0);
    if (order.state() != dpb::ORDER_STATE_READY) Die("the order ended " + dpb::OrderState_Name(order.state()));
    r.work["letters"] = list.member_count();
  }

  // --- response -----------------------------------------------------------------------------------
  apb::MeasureResponseRequest measure;
  measure.set_campaign("campaigns/5b7f2f0e-2a43-4d7e-8c57-2f3a9d1b6e09");
  auto* mg = measure.add_groups();
  mg->set_group("bench");
  mg->set_recipient_list(list.name());
  mg->set_control_list(list.control_list());
  mg->set_channel(apb::ACTION_CHANNEL_LETTER);
  *mg->mutable_send_date() = cak::bench::ProtoDay(absl::CivilDay(2026, 8, 3));
  *measure.mutable_end_date() = cak::bench::ProtoDay(absl::CivilDay(2026, 10, 30));
  measure.set_sample_seed(7);
  std::vector<double> response_s;
  for (int i = 0; i <= runs; ++i) {
    apb::ResponseMeasurement m;
    t0 = Clock::now();
    if (grpc::Status st = stub->MeasureResponse(ContextFor(kAnalyst, absl::Minutes(5)).get(), measure, &m); !st.ok()) {
      Die("MeasureResponse: " + st.error_message());
    }
    if (i > 0) response_s.push_back(Seconds(t0));
  }
  r.seconds["response"] = Median(response_s);
  r.work["response"] = list.member_count();

  r.peak_rss_kb = analysis->PeakRssKb();
  r.snapshot_bytes = SnapshotBytes(analysis->Stop());
  analysis.reset();
  fs::remove_all(dir);
  for (const char* step : kSteps) {
    std::printf("   %-9s %9.3f s  %s\n", step, r.seconds[step],
                absl::StrCat(r.work[step], step == std::string("import") ? " rows" : "").c_str());
  }
  std::printf("   analysis-svc resident: %lld MB with no data, %lld MB with the snapshot, peak %lld MB\n",
              static_cast<long long>(r.empty_rss_kb / 1024), static_cast<long long>(r.built_rss_kb / 1024),
              static_cast<long long>(r.peak_rss_kb / 1024));
  std::fflush(stdout);
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  cak::bench::SetProgramName("scale_bench");
  std::vector<int64_t> sizes = {500000, 2000000, 8000000};
  int runs = 3;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a.rfind("--sizes=", 0) == 0) {
      sizes.clear();
      for (absl::string_view s : absl::StrSplit(a.substr(8), ',', absl::SkipEmpty())) {
        int64_t n = 0;
        if (!absl::SimpleAtoi(s, &n) || n < 1000) Die("--sizes: numbers of customers, at least 1000 each");
        sizes.push_back(n);
      }
      std::sort(sizes.begin(), sizes.end());
    } else if (a.rfind("--runs=", 0) == 0) {
      runs = std::max(1, std::atoi(a.c_str() + 7));
    } else {
      std::fprintf(stderr, "usage: %s [--sizes=500000,2000000,8000000] [--runs=3]\n", argv[0]);
      return 2;
    }
  }
  if (sizes.size() < 2) Die("--sizes: at least two sizes to compare");
  cak::common::log::SetMinLevel(cak::common::log::Level::kWarning);
  cak::bench::ExportLibpqEnvironment(cak::common::testing::TestDsn());
  std::printf("scale benchmark: the same steps at %zu sizes, each from scratch (generated, seed 1), one database\n\n",
              sizes.size());

  std::vector<SizeResult> results;
  for (int64_t n : sizes) results.push_back(RunSize(n, runs));

  // Cost per customer: nanoseconds of each step per customer in the population.
  auto millions = [](int64_t n) {
    return n >= 1000000 ? Fmt(static_cast<double>(n) / 1e6, "M", 1) : Fmt(static_cast<double>(n) / 1e3, "k", 0);
  };
  std::printf("\n%-10s", "ns/customer");
  for (const auto& r : results) std::printf(" %12s", millions(r.customers).c_str());
  std::printf("   %-8s %s\n",
              absl::StrCat(millions(results.back().customers), "/", millions(results[0].customers)).c_str(), "target");
  bool met = true;
  for (const char* step : kSteps) {
    std::printf("%-10s", step);
    for (const auto& r : results) {
      std::printf(" %12.1f", r.seconds.at(step) * 1e9 / static_cast<double>(r.customers));
    }
    const double first = results[0].seconds.at(step) / static_cast<double>(results[0].customers);
    const double last = results.back().seconds.at(step) / static_cast<double>(results.back().customers);
    const double ratio = last / first;
    met &= ratio <= 1.3;
    std::printf("   %-8s %s\n", Fmt(ratio, "x", 2).c_str(), ratio <= 1.3 ? "<= 1.3 ok" : "> 1.3 MISSED");
  }
  std::printf("\n%-34s", "analysis-svc memory, bytes/customer");
  for (const auto& r : results) std::printf(" %12s", millions(r.customers).c_str());
  std::printf("\n%-34s", "  resident with the snapshot");
  for (const auto& r : results) std::printf(" %12.0f", r.built_rss_kb * 1024.0 / static_cast<double>(r.customers));
  std::printf("\n%-34s", "  less the process with no data");
  for (const auto& r : results) {
    std::printf(" %12.0f", (r.built_rss_kb - r.empty_rss_kb) * 1024.0 / static_cast<double>(r.customers));
  }
  std::printf("\n%-34s", "  the snapshot's columns (logged)");
  for (const auto& r : results) {
    if (r.snapshot_bytes < 0) {
      std::printf(" %12s", "-");
    } else {
      std::printf(" %12.0f", static_cast<double>(r.snapshot_bytes) / static_cast<double>(r.customers));
    }
  }
  std::printf("\n%-34s", "  peak (after every step)");
  for (const auto& r : results) std::printf(" %12.0f", r.peak_rss_kb * 1024.0 / static_cast<double>(r.customers));
  std::printf("\n\n%s\n", met ? "all targets met" : "SOME TARGETS MISSED");
  return 0;
}
