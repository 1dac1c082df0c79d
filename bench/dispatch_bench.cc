// dispatch-svc benchmark (issue targets, as ratios measured in the same run: a letter order at
// >= 0.8x the rate at which analysis-svc alone streams the same list; dispatch-svc's peak
// resident memory <= 256 MB, and the same for a ~100k-letter and a ~500k-letter order).
//
// Set-up: an in-process analysis-svc (test schema, the project's generated population) with two
// lists frozen from the same snapshot: the small one (active customers of the Wanbetalers and
// Onverzekerden regulations, about a fifth: ~100k of 560k) and the full one (every active
// customer, ~515k). Each order runs in a FRESH dispatch-svc child process (the real binary, its
// own schema and delivery directory, reading the list over gRPC as the dispatch_service
// identity), so that the child's peak RSS (VmHWM, read from /proc when the order is READY) is
// that order's alone. Measured, in one run on one database:
//   reference  the full list streamed from analysis-svc by a client that only counts (the
//              floor: what the source alone takes), right before the full order
//   dispatch   CreateDispatchOrder -> order READY: every batch streamed from analysis-svc,
//              routed, rendered, written with its manifest, items and hand-over log stored.
// Targets: full order rate / stream-alone rate >= 0.8; both peaks <= 256 MB; the full order's
// peak within 1.25x of the small one's. Generation holds a bounded number of batches in
// flight (generator threads x batch size, and a bounded read-ahead queue), so memory must not
// grow with the order's size: five times the letters may cost allocator noise (arenas per
// thread, gRPC buffers), not five times the memory; 1.25x leaves that noise room while a
// per-letter leak or an order-sized buffer (50+ MB at 500k) would still show.
// Usage: dispatch_bench [--customers=N | --fake-analysis=MEMBERS] [--generator-threads=N]
//                       [--max-batch-items=N]
#include <signal.h>
#include <sys/types.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "analysis-svc/test/analysis_test_server.h"
#include "bench/bench_services.h"
#include "bench/bench_support.h"
#include "cak/voorlichting/dispatch/v1/dispatch_service.grpc.pb.h"
#include "common/base/log.h"
#include "common/base/random.h"
#include "common/grpc/dev_tokens.h"
#include "common/grpc/type_convert.h"
#include "common/testing/child_process.h"
#include "common/testing/grpc_test_support.h"
#include "common/testing/pg_test_env.h"
#include "dispatch-svc/src/storage/schema.h"
#include "dispatch-svc/test/fake_analysis.h"

namespace {

namespace apb = cak::voorlichting::analysis::v1;
namespace dpb = cak::voorlichting::dispatch::v1;
using cak::bench::Clock;
using cak::bench::Die;
using cak::bench::Seconds;
using cak::common::testing::ContextFor;
using cak::common::testing::TestCaller;

const TestCaller kAnalyst{"emp-2001", {"analyst"}};
const TestCaller kDispatch{"dispatch-svc", {"dispatch_service"}, true};
const TestCaller kAdmin{"ops-1", {"administrator"}};
const TestCaller kCampaign{"campaign-svc.voorlichting.svc", {"campaign_service"}, true};

// CPU seconds (user + system) used so far by one process, or by every PostgreSQL process.
double CpuSeconds(const std::string& pid) {
  std::ifstream in("/proc/" + pid + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const size_t close = stat.rfind(')');
  if (close == std::string::npos) return 0;
  std::vector<std::string> f = absl::StrSplit(stat.substr(close + 2), ' ');
  return f.size() > 12 ? (std::atof(f[11].c_str()) + std::atof(f[12].c_str())) / sysconf(_SC_CLK_TCK) : 0;
}

// PostgreSQL's CPU seconds by process title ("postgres: walwriter", "postgres: autovacuum
// worker", "postgres: <user> <db> ..." for backends); exited processes (short-lived
// autovacuum workers) are missed.
std::map<std::string, double> PostgresCpuSeconds() {
  std::map<std::string, double> total;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    const std::string pid = entry.path().filename().string();
    if (pid.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream comm("/proc/" + pid + "/comm");
    std::string name;
    std::getline(comm, name);
    if (name != "postgres") continue;
    std::ifstream cmd("/proc/" + pid + "/cmdline");
    std::string title;
    std::getline(cmd, title, '\0');
    // Backends: "postgres: user db host(port) STATE" -> "postgres: backends".
    std::string kind = absl::StartsWith(title, "postgres: ") ? title.substr(10) : title;
    for (const char* k : {"walwriter", "checkpointer", "background writer", "autovacuum", "logical", "wal", "stats"}) {
      if (absl::StartsWith(kind, k)) {
        kind = k;
        break;
      }
    }
    if (kind.find(' ') != std::string::npos && kind.find('(') != std::string::npos) kind = "backends";
    total[kind] += CpuSeconds(pid);
  }
  return total;
}

double Sum(const std::map<std::string, double>& m) {
  double s = 0;
  for (const auto& [k, v] : m) s += v;
  return s;
}

// What every dispatch-svc child of the run shares.
struct ChildSetup {
  std::string dir;  // hash key, analysis token, the children's delivery directories
  int analysis_port = 0;
  int threads = 2;
  int64_t max_batch = 50000;
};

// One order, generated by a dispatch-svc process of its own.
struct OrderRun {
  int64_t letters = 0;
  double seconds = 0;
  int64_t rss_kb = -1;  // the child's VmHWM once the order is READY
  int32_t batches = 0;
  int files = 0;
  uintmax_t bytes = 0;
  double cpu_child = 0, cpu_self = 0;    // during the order
  std::map<std::string, double> pg_cpu;  // by kind, during the order
  std::string log;                       // the child's log (batch timings at --log-level=debug)

  double PerSecond() const { return static_cast<double>(letters) / seconds; }
};

// Starts a fresh dispatch-svc (its own schema, delivery directory and LETTER executor), runs
// `before_order` once it serves, then the order of `list` until it is READY; stops the child.
OrderRun RunOrderInFreshProcess(const ChildSetup& setup, const std::string& tag, const apb::RecipientList& list,
                                const std::function<void()>& before_order) {
  const std::string deliveries = setup.dir + "/deliveries-" + tag;
  std::filesystem::create_directories(deliveries);
  auto schema = cak::common::testing::TestSchema::Create("dbench", cak::dispatch::storage::DispatchMigrationSets());
  if (!schema.ok()) Die(schema.status().ToString());
  cak::common::testing::ChildProcess child(
      {DISPATCH_SVC_BINARY, "--db-dsn=" + cak::common::testing::TestDsn(), "--db-schema=" + (*schema)->name(),
       "--auth-mode=development", "--hash-key-file=" + setup.dir + "/hash.key", "--delivery-dir=" + deliveries,
       absl::StrCat("--analysis-address=127.0.0.1:", setup.analysis_port),
       "--analysis-token-file=" + setup.dir + "/analysis.token", absl::StrCat("--generator-threads=", setup.threads),
       absl::StrCat("--max-batch-items=", setup.max_batch), "--time-zone=UTC", "--listen-host=127.0.0.1",
       "--grpc-port=0", "--health-port=0", "--metrics-port=0", "--replica=bench",
       std::getenv("CAK_BENCH_DEBUG") ? "--log-level=debug" : "--log-level=info"});
  const std::string ready = child.ReadUntil("\"event\":\"ready\"");
  if (ready.empty()) Die("dispatch-svc did not start: " + child.ReadAll());
  auto channel = cak::common::testing::LocalChannel(nlohmann::json::parse(ready)["grpc_port"].get<int>());
  // The child's log is drained all along (a full pipe would stop it).
  OrderRun run;
  std::thread drain([&] { run.log = child.ReadAll(); });
  auto dispatch = dpb::DispatchService::NewStub(channel);

  const dpb::CreateExecutorRequest exec = cak::bench::LetterExecutor();
  dpb::Executor created;
  grpc::Status st;
  for (int i = 0; i < 100; ++i) {  // until the first health probe passed
    st = dispatch->CreateExecutor(ContextFor(kAdmin).get(), exec, &created);
    if (st.error_code() != grpc::StatusCode::UNAVAILABLE) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  if (!st.ok()) Die("CreateExecutor: " + st.error_message());
  if (before_order) before_order();

  const dpb::CreateDispatchOrderRequest req = cak::bench::LetterOrder(list.name(), "bench-letters-" + tag);
  dpb::DispatchOrder order;
  const std::string child_pid = std::to_string(child.pid());
  const double cpu_self0 = CpuSeconds("self"), cpu_child0 = CpuSeconds(child_pid);
  const std::map<std::string, double> pg0 = PostgresCpuSeconds();
  const auto t0 = Clock::now();
  st = dispatch->CreateDispatchOrder(ContextFor(kCampaign, absl::Minutes(1)).get(), req, &order);
  if (!st.ok()) Die("CreateDispatchOrder: " + st.error_message());
  order = cak::bench::AwaitOrder(*dispatch, order, kCampaign, absl::Minutes(10));
  run.seconds = Seconds(t0);
  run.cpu_self = CpuSeconds("self") - cpu_self0;
  run.cpu_child = CpuSeconds(child_pid) - cpu_child0;
  for (const auto& [kind, sec] : PostgresCpuSeconds()) {
    auto before = pg0.find(kind);
    run.pg_cpu[kind] = sec - (before == pg0.end() ? 0 : before->second);
  }
  run.rss_kb = cak::bench::ProcStatusKb(child.pid(), "VmHWM");
  run.letters = list.member_count();
  run.batches = order.batch_count();
  const std::string items = *(*schema)->Query(absl::StrCat("SELECT count(*) FROM ", (*schema)->name(), ".items"));
  if (items != absl::StrCat(list.member_count())) Die("items stored: " + items);
  for (const auto& f : std::filesystem::recursive_directory_iterator(deliveries)) {
    if (f.is_regular_file()) {
      run.bytes += f.file_size();
      ++run.files;
    }
  }
  child.Signal(SIGTERM);
  child.Wait();
  drain.join();
  std::filesystem::remove_all(deliveries);
  return run;
}

// Seconds the source alone takes to stream `list` to a client that only counts; the CPU it
// took (this process: analysis-svc and the counting client; PostgreSQL) for the debug output.
double StreamAlone(apb::AnalysisService::Stub& source, const apb::RecipientList& list, double* cpu_self,
                   double* cpu_pg) {
  apb::StreamRecipientsRequest req;
  req.set_name(list.name());
  req.set_field_set(apb::FIELD_SET_POSTAL);
  auto ctx = ContextFor(kDispatch, absl::Minutes(5));
  const double self0 = CpuSeconds("self"), pg0 = Sum(PostgresCpuSeconds());
  const auto t0 = Clock::now();
  auto reader = source.StreamRecipients(ctx.get(), req);
  apb::StreamRecipientsResponse r;
  int64_t streamed = 0;
  while (reader->Read(&r)) streamed += r.recipients_size();
  const grpc::Status fin = reader->Finish();
  const double s = Seconds(t0);
  *cpu_self = CpuSeconds("self") - self0;
  *cpu_pg = Sum(PostgresCpuSeconds()) - pg0;
  if (!fin.ok() || streamed != list.member_count()) Die("StreamRecipients: " + fin.error_message());
  return s;
}

// Freezes `criteria` (the only group of a new set) into a recipient list.
apb::RecipientList FreezeGroup(apb::AnalysisService::Stub& stub, const std::string& group,
                               const apb::Criteria& criteria) {
  apb::DefineTargetGroupsRequest define;
  define.set_signal("signals/5b7f2f0e-2a43-4d7e-8c57-2f3a9d1b6e01");
  apb::NamedCriteria* g = define.add_groups();
  g->set_name(group);
  *g->mutable_criteria() = criteria;
  apb::TargetGroupSet set;
  grpc::Status st;
  for (int i = 0; i < 600; ++i) {  // UNAVAILABLE while the snapshot of the import is being built
    st = stub.DefineTargetGroups(ContextFor(kAnalyst, absl::Minutes(5)).get(), define, &set);
    if (st.error_code() != grpc::StatusCode::UNAVAILABLE) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  if (!st.ok()) Die("DefineTargetGroups: " + st.error_message());
  apb::FreezeRecipientListRequest freeze;
  freeze.set_target_group_set(set.name());
  freeze.set_group(group);
  apb::RecipientList list;
  st = stub.FreezeRecipientList(ContextFor(kAnalyst, absl::Minutes(5)).get(), freeze, &list);
  if (!st.ok()) Die("FreezeRecipientList: " + st.error_message());
  return list;
}

void PrintRow(const std::string& what, const std::string& ours, const std::string& reference,
              const std::string& target) {
  std::printf("%-44s %-30s %-40s %s\n", what.c_str(), ours.c_str(), reference.c_str(), target.c_str());
}

void PrintDebug(const char* which, const OrderRun& run) {
  std::printf(
      "\n%s (%.2f s): CPU during the order: dispatch-svc %.2f s, analysis-svc (this process) %.2f s, PostgreSQL %.2f "
      "s\n",
      which, run.seconds, run.cpu_child, run.cpu_self, Sum(run.pg_cpu));
  for (const auto& [kind, sec] : run.pg_cpu) std::printf("  PostgreSQL %-20s %.2f s\n", kind.c_str(), sec);
  for (absl::string_view line : absl::StrSplit(run.log, '\n')) {
    if (absl::StrContains(line, "batch_written")) std::printf("%.*s\n", static_cast<int>(line.size()), line.data());
  }
}

}  // namespace

int main(int argc, char** argv) {
  cak::bench::SetProgramName("dispatch_bench");
  int64_t customers = 560000;
  ChildSetup child;
  int64_t fake_members = 0;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a.rfind("--customers=", 0) == 0) {
      customers = std::atoll(a.c_str() + 12);
    } else if (a.rfind("--max-batch-items=", 0) == 0) {
      child.max_batch = std::atoll(a.c_str() + 18);
    } else if (a.rfind("--fake-analysis=", 0) == 0) {
      fake_members = std::atoll(a.c_str() + 16);
    } else if (a.rfind("--generator-threads=", 0) == 0) {
      child.threads = std::atoi(a.c_str() + 20);
    } else {
      std::fprintf(
          stderr, "usage: %s [--customers=N | --fake-analysis=MEMBERS] [--generator-threads=N] [--max-batch-items=N]\n",
          argv[0]);
      return 2;
    }
  }
  cak::common::log::SetMinLevel(cak::common::log::Level::kWarning);

  // --- analysis-svc with the two frozen lists (or its fake, to see dispatch-svc's own share) -----
  const auto setup = Clock::now();
  std::unique_ptr<cak::analysis::testing::AnalysisTestServer> real;
  std::unique_ptr<cak::dispatch::testing::FakeAnalysis> fake;
  apb::RecipientList small, full;
  if (fake_members > 0) {
    fake = std::make_unique<cak::dispatch::testing::FakeAnalysis>();
    for (auto [list, members] : {std::pair{&small, std::max<int64_t>(1, fake_members / 5)}, {&full, fake_members}}) {
      list->set_name("recipientLists/" + fake->AddList(members));
      list->set_member_count(members);
    }
    child.analysis_port = fake->port();
  } else {
    cak::analysis::testing::TestServerOptions so;
    so.customers = customers;
    so.stream_log_chunk = cak::analysis::domain::AnalysisSettings().stream_log_chunk;  // as deployed
    auto started = cak::analysis::testing::AnalysisTestServer::Start(so);
    if (!started.ok()) Die(started.status().ToString());
    real = *std::move(started);
    if (absl::Status st = real->ImportGenerated(); !st.ok()) Die(st.ToString());
    apb::Criteria active;
    active.mutable_predicate()->set_active(true);
    apb::Criteria part;  // about a fifth of the active customers (15% + 5% of the population)
    *part.mutable_all()->add_items() = active;
    *part.mutable_all()->add_items() =
        cak::bench::Regulations({apb::REGULATION_WANBETALERS, apb::REGULATION_ONVERZEKERDEN});
    small = FreezeGroup(real->stub(), "deel", part);
    full = FreezeGroup(real->stub(), "actief", active);
    child.analysis_port = real->server().grpc_port();
  }
  auto source = apb::AnalysisService::NewStub(cak::common::testing::LocalChannel(child.analysis_port));

  child.dir = (std::filesystem::temp_directory_path() / ("dispatch-bench-" + cak::common::NewUuid())).string();
  std::filesystem::create_directories(child.dir);
  std::ofstream(child.dir + "/hash.key") << "bench-hash-key-that-is-long-enough-to-use\n";
  cak::common::TokenClaims claims;
  claims.subject = "dispatch-svc.voorlichting.svc";
  claims.roles = {"dispatch_service"};
  claims.application = true;
  claims.lifetime = absl::Hours(4);
  std::ofstream(child.dir + "/analysis.token") << *cak::common::MintToken(claims);
  if (fake) {
    std::printf("dispatch-svc benchmark: lists of %lld and %lld from a fake analysis-svc (in memory), one database\n",
                static_cast<long long>(small.member_count()), static_cast<long long>(full.member_count()));
  } else {
    std::printf(
        "dispatch-svc benchmark: %lld customers; frozen lists of %lld (active, Wanbetalers or Onverzekerden) and "
        "%lld (every active customer); one database, each order in a fresh dispatch-svc process\n",
        static_cast<long long>(customers), static_cast<long long>(small.member_count()),
        static_cast<long long>(full.member_count()));
  }
  std::printf("set-up (generate, import, freeze): %.1f s\n\n", Seconds(setup));

  // --- The orders, end to end; the reference right before the full one ---------------------------
  const OrderRun small_run = RunOrderInFreshProcess(child, "small", small, nullptr);
  double ref_s = 0, ref_cpu_self = 0, ref_cpu_pg = 0;
  const OrderRun full_run = RunOrderInFreshProcess(
      child, "full", full, [&] { ref_s = StreamAlone(*source, full, &ref_cpu_self, &ref_cpu_pg); });

  const double ref_per_s = static_cast<double>(full.member_count()) / ref_s;
  const double ratio = full_run.PerSecond() / ref_per_s;
  const double rss_growth = small_run.rss_kb > 0 ? static_cast<double>(full_run.rss_kb) / small_run.rss_kb : 0;
  constexpr double kMinRatio = 0.8, kMaxRssGrowth = 1.25;
  constexpr int64_t kMaxRssKb = 256 * 1024;
  const bool speed_ok = ratio >= kMinRatio;
  const bool small_rss_ok = small_run.rss_kb > 0 && small_run.rss_kb <= kMaxRssKb;
  const bool full_rss_ok = full_run.rss_kb > 0 && full_run.rss_kb <= kMaxRssKb;
  const bool same_ok = rss_growth > 0 && rss_growth <= kMaxRssGrowth;
  auto rate = [](const OrderRun& r) {
    return absl::StrCat(static_cast<int64_t>(r.PerSecond()), " letters/s (", absl::StrFormat("%.2f", r.seconds), " s)");
  };
  auto verdict = [](bool ok, const std::string& target) { return target + (ok ? " ok" : " MISSED"); };
  PrintRow("", "dispatch-svc", "reference (same run)", "target");
  PrintRow(absl::StrCat("letter order, ", full.member_count(), " letters"), rate(full_run),
           absl::StrCat(static_cast<int64_t>(ref_per_s), fake ? "/s fake stream alone (" : "/s analysis stream alone (",
                        absl::StrFormat("%.2f", ref_s), " s)"),
           "-");
  PrintRow("  order rate / stream-alone rate", absl::StrFormat("%.2fx", ratio), "1.00x",
           verdict(speed_ok, absl::StrFormat(">= %.2fx", kMinRatio)));
  PrintRow(absl::StrCat("letter order, ", small.member_count(), " letters"), rate(small_run), "-", "- (for memory)");
  PrintRow(absl::StrCat("peak RSS (VmHWM), ", small.member_count(), "-letter order"),
           absl::StrCat(small_run.rss_kb / 1024, " MB"), "-", verdict(small_rss_ok, "<= 256 MB"));
  PrintRow(absl::StrCat("peak RSS (VmHWM), ", full.member_count(), "-letter order"),
           absl::StrCat(full_run.rss_kb / 1024, " MB"), "-", verdict(full_rss_ok, "<= 256 MB"));
  PrintRow("  peak RSS, larger / smaller order", absl::StrFormat("%.2fx", rss_growth),
           absl::StrCat(small_run.rss_kb / 1024, " MB (smaller order)"),
           verdict(same_ok, absl::StrFormat("<= %.2fx", kMaxRssGrowth)));
  std::printf("%-44s %d batches, %d files, %.0f MB (larger order)\n", "written", full_run.batches, full_run.files,
              static_cast<double>(full_run.bytes) / (1 << 20));
  std::printf("\n%s\n", speed_ok && small_rss_ok && full_rss_ok && same_ok ? "all targets met" : "SOME TARGETS MISSED");
  if (std::getenv("CAK_BENCH_DEBUG")) {
    std::printf(
        "\nCPU during the stream alone (%.2f s): analysis-svc and client (this process) %.2f s, PostgreSQL %.2f s\n",
        ref_s, ref_cpu_self, ref_cpu_pg);
    PrintDebug("smaller order", small_run);
    PrintDebug("larger order", full_run);
  }
  std::filesystem::remove_all(child.dir);
  return 0;
}
