// dispatch-svc benchmark (issue target: a 500k-letter order end to end at >= 100,000
// recipients/s with peak resident memory <= 256 MB).
//
// Set-up: an in-process analysis-svc (test schema, the project's generated population) with a
// frozen list of every active customer (~500k of 560k); the real dispatch-svc binary as a
// child process on its own schema and delivery directory, reading the list over gRPC as the
// dispatch_service identity. Measured, in one run on one database:
//   reference  the same list streamed from analysis-svc by a client that only counts (the
//              floor: what the source alone takes)
//   dispatch   CreateDispatchOrder -> order READY: every batch streamed from analysis-svc,
//              routed, rendered, written with its manifest, items and hand-over log stored;
//              the child's peak RSS (VmHWM) read from /proc when it is done.
// Usage: dispatch_bench [--customers=N] [--generator-threads=N] [--max-batch-items=N]
#include <signal.h>
#include <sys/types.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "analysis-svc/test/analysis_test_server.h"
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

int64_t PeakRssKb(pid_t pid) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::atoll(line.c_str() + 6);
  }
  return -1;
}

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

}  // namespace

int main(int argc, char** argv) {
  cak::bench::SetProgramName("dispatch_bench");
  int64_t customers = 560000;
  int threads = 2;
  int64_t max_batch = 50000;
  int64_t fake_members = 0;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a.rfind("--customers=", 0) == 0) {
      customers = std::atoll(a.c_str() + 12);
    } else if (a.rfind("--max-batch-items=", 0) == 0) {
      max_batch = std::atoll(a.c_str() + 18);
    } else if (a.rfind("--fake-analysis=", 0) == 0) {
      fake_members = std::atoll(a.c_str() + 16);
    } else if (a.rfind("--generator-threads=", 0) == 0) {
      threads = std::atoi(a.c_str() + 20);
    } else {
      std::fprintf(
          stderr, "usage: %s [--customers=N | --fake-analysis=MEMBERS] [--generator-threads=N] [--max-batch-items=N]\n",
          argv[0]);
      return 2;
    }
  }
  cak::common::log::SetMinLevel(cak::common::log::Level::kWarning);

  // --- analysis-svc with a frozen list (or its fake, to see dispatch-svc's own share) -------------
  const auto setup = Clock::now();
  std::unique_ptr<cak::analysis::testing::AnalysisTestServer> real;
  std::unique_ptr<cak::dispatch::testing::FakeAnalysis> fake;
  std::unique_ptr<apb::AnalysisService::Stub> source;
  apb::RecipientList list;
  int analysis_port = 0;
  if (fake_members > 0) {
    fake = std::make_unique<cak::dispatch::testing::FakeAnalysis>();
    list.set_name("recipientLists/" + fake->AddList(fake_members));
    list.set_member_count(fake_members);
    analysis_port = fake->port();
  } else {
    cak::analysis::testing::TestServerOptions so;
    so.customers = customers;
    so.stream_log_chunk = cak::analysis::domain::AnalysisSettings().stream_log_chunk;  // as deployed
    auto started = cak::analysis::testing::AnalysisTestServer::Start(so);
    if (!started.ok()) Die(started.status().ToString());
    real = *std::move(started);
    if (absl::Status st = real->ImportGenerated(); !st.ok()) Die(st.ToString());
    apb::DefineTargetGroupsRequest define;
    define.set_signal("signals/5b7f2f0e-2a43-4d7e-8c57-2f3a9d1b6e01");
    apb::NamedCriteria* group = define.add_groups();
    group->set_name("actief");
    group->mutable_criteria()->mutable_predicate()->set_active(true);
    apb::TargetGroupSet set;
    if (!real->stub().DefineTargetGroups(ContextFor(kAnalyst, absl::Minutes(5)).get(), define, &set).ok()) {
      Die("DefineTargetGroups");
    }
    apb::FreezeRecipientListRequest freeze;
    freeze.set_target_group_set(set.name());
    freeze.set_group("actief");
    if (grpc::Status st = real->stub().FreezeRecipientList(ContextFor(kAnalyst, absl::Minutes(5)).get(), freeze, &list);
        !st.ok()) {
      Die("FreezeRecipientList: " + st.error_message());
    }
    analysis_port = real->server().grpc_port();
  }
  source = apb::AnalysisService::NewStub(cak::common::testing::LocalChannel(analysis_port));

  // --- dispatch-svc as its own process ----------------------------------------------------------
  const std::string dir =
      (std::filesystem::temp_directory_path() / ("dispatch-bench-" + cak::common::NewUuid())).string();
  std::filesystem::create_directories(dir + "/deliveries");
  std::ofstream(dir + "/hash.key") << "bench-hash-key-that-is-long-enough-to-use\n";
  cak::common::TokenClaims claims;
  claims.subject = "dispatch-svc.voorlichting.svc";
  claims.roles = {"dispatch_service"};
  claims.application = true;
  claims.lifetime = absl::Hours(4);
  std::ofstream(dir + "/analysis.token") << *cak::common::MintToken(claims);
  auto schema = cak::common::testing::TestSchema::Create("dbench", cak::dispatch::storage::DispatchMigrationSets());
  if (!schema.ok()) Die(schema.status().ToString());
  cak::common::testing::ChildProcess child(
      {DISPATCH_SVC_BINARY, "--db-dsn=" + cak::common::testing::TestDsn(), "--db-schema=" + (*schema)->name(),
       "--auth-mode=development", "--hash-key-file=" + dir + "/hash.key", "--delivery-dir=" + dir + "/deliveries",
       absl::StrCat("--analysis-address=127.0.0.1:", analysis_port), "--analysis-token-file=" + dir + "/analysis.token",
       absl::StrCat("--generator-threads=", threads), absl::StrCat("--max-batch-items=", max_batch), "--time-zone=UTC",
       "--listen-host=127.0.0.1", "--grpc-port=0", "--health-port=0", "--metrics-port=0", "--replica=bench",
       std::getenv("CAK_BENCH_DEBUG") ? "--log-level=debug" : "--log-level=info"});
  const std::string ready = child.ReadUntil("\"event\":\"ready\"");
  if (ready.empty()) Die("dispatch-svc did not start: " + child.ReadAll());
  auto channel = cak::common::testing::LocalChannel(nlohmann::json::parse(ready)["grpc_port"].get<int>());
  // The child's log is drained all along (a full pipe would stop it); CAK_BENCH_DEBUG=1 prints
  // its per-batch phase timings at the end.
  std::string child_log;
  std::thread drain([&] { child_log = child.ReadAll(); });
  auto dispatch = dpb::DispatchService::NewStub(channel);
  if (fake) {
    std::printf("dispatch-svc benchmark: a list of %lld from a fake analysis-svc (in memory), one database\n",
                static_cast<long long>(list.member_count()));
  } else {
    std::printf("dispatch-svc benchmark: %lld customers, a frozen list of %lld (every active customer), one database\n",
                static_cast<long long>(customers), static_cast<long long>(list.member_count()));
  }
  std::printf("set-up (generate, import, freeze, start dispatch-svc): %.1f s\n\n", Seconds(setup));

  dpb::CreateExecutorRequest exec;
  exec.set_executor_id("repro");
  dpb::Executor* e = exec.mutable_executor();
  e->set_display_name("Repro");
  e->set_channel(dpb::CHANNEL_LETTER);
  e->set_identity("repro.executors.cak.nl");
  e->set_location_country("NL");
  e->set_delivery_method(dpb::DELIVERY_METHOD_FILES);
  e->mutable_calendar()->set_items_per_day(1000000);
  for (int d = 1; d <= 7; ++d) e->mutable_calendar()->add_working_days(static_cast<dpb::Weekday>(d));
  dpb::Executor created;
  grpc::Status st;
  for (int i = 0; i < 100; ++i) {  // until the first health probe passed
    st = dispatch->CreateExecutor(ContextFor(kAdmin).get(), exec, &created);
    if (st.error_code() != grpc::StatusCode::UNAVAILABLE) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  if (!st.ok()) Die("CreateExecutor: " + st.error_message());

  // --- Reference: the source alone ----------------------------------------------------------------
  int64_t streamed = 0;
  double ref_s = 0;
  {
    apb::StreamRecipientsRequest req;
    req.set_name(list.name());
    req.set_field_set(apb::FIELD_SET_POSTAL);
    auto ctx = ContextFor(kDispatch, absl::Minutes(5));
    const auto t0 = Clock::now();
    auto reader = source->StreamRecipients(ctx.get(), req);
    apb::StreamRecipientsResponse r;
    while (reader->Read(&r)) streamed += r.recipients_size();
    const grpc::Status fin = reader->Finish();
    ref_s = Seconds(t0);
    if (!fin.ok() || streamed != list.member_count()) Die("StreamRecipients: " + fin.error_message());
  }

  // --- The order, end to end ----------------------------------------------------------------------
  dpb::CreateDispatchOrderRequest req;
  req.set_request_id("bench-letters");
  dpb::DispatchOrder* o = req.mutable_order();
  o->set_campaign("campaigns/5b3f7c1e-1111-4c1a-9a55-2f4a1c0de001");
  o->set_target_group("actief");
  o->set_recipient_list(list.name());
  o->set_channel(dpb::CHANNEL_LETTER);
  o->mutable_message()->set_reference("campaigns/bench/messages/1/versions/1");
  o->mutable_message()->set_text(
      "{aanhef},\n\nOnlangs ontving u van het CAK een factuur voor uw eigen bijdrage. Daarin stond een verkeerd "
      "bedrag. Wij hebben dat hersteld: u betaalt {bedrag} per maand. Namens {naam} hoeft u niets te doen.\n\n"
      "Met vriendelijke groet,\nCAK\nKenmerk {kenmerk}, {datum}");
  (*o->mutable_values())["bedrag"] = "€ 12,50";
  (*o->mutable_values())["kenmerk"] = "VK-2026-017";
  const absl::CivilDay today = absl::ToCivilDay(absl::Now(), absl::UTCTimeZone());
  cak::common::DayToProto(today + 1, o->mutable_window_start());
  cak::common::DayToProto(today + 30, o->mutable_window_end());
  dpb::DispatchOrder order;
  const double cpu_self0 = CpuSeconds("self"), cpu_child0 = CpuSeconds(std::to_string(child.pid())),
               cpu_pg0 = Sum(PostgresCpuSeconds());
  const std::map<std::string, double> pg_by_kind0 = PostgresCpuSeconds();
  const auto t0 = Clock::now();
  st = dispatch->CreateDispatchOrder(ContextFor(kCampaign, absl::Minutes(1)).get(), req, &order);
  if (!st.ok()) Die("CreateDispatchOrder: " + st.error_message());
  while (order.state() == dpb::ORDER_STATE_GENERATING) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    dpb::GetDispatchOrderRequest get;
    get.set_name(order.name());
    if (!dispatch->GetDispatchOrder(ContextFor(kCampaign).get(), get, &order).ok()) Die("GetDispatchOrder");
    if (Seconds(t0) > 600) Die("the order did not finish within 10 minutes");
  }
  const double order_s = Seconds(t0);
  const double cpu_self = CpuSeconds("self") - cpu_self0,
               cpu_child = CpuSeconds(std::to_string(child.pid())) - cpu_child0,
               cpu_pg = Sum(PostgresCpuSeconds()) - cpu_pg0;
  const std::map<std::string, double> pg_by_kind = PostgresCpuSeconds();
  const int64_t rss_kb = PeakRssKb(child.pid());
  const std::string items = *(*schema)->Query(absl::StrCat("SELECT count(*) FROM ", (*schema)->name(), ".items"));
  if (items != absl::StrCat(list.member_count())) Die("items stored: " + items);
  uintmax_t bytes = 0;
  int files = 0;
  for (const auto& f : std::filesystem::recursive_directory_iterator(dir + "/deliveries")) {
    if (f.is_regular_file()) {
      bytes += f.file_size();
      ++files;
    }
  }

  const double per_s = static_cast<double>(list.member_count()) / order_s;
  const double ref_per_s = static_cast<double>(streamed) / ref_s;
  const bool speed_ok = per_s >= 100000, rss_ok = rss_kb > 0 && rss_kb <= 256 * 1024;
  std::printf("%-44s %-30s %-34s %s\n", "", "dispatch-svc", "reference (same run)", "target");
  std::printf(
      "%-44s %-30s %-34s %s\n", absl::StrCat("letter order, ", list.member_count(), " letters").c_str(),
      absl::StrCat(static_cast<int64_t>(per_s), " letters/s (", absl::StrFormat("%.2f", order_s), " s)").c_str(),
      absl::StrCat(static_cast<int64_t>(ref_per_s), fake ? "/s fake stream alone (" : "/s analysis stream alone (",
                   absl::StrFormat("%.2f", ref_s), " s)")
          .c_str(),
      speed_ok ? ">= 100,000/s ok" : ">= 100,000/s MISSED");
  std::printf("%-44s %-30s %-34s %s\n", "dispatch-svc peak resident memory (VmHWM)",
              absl::StrCat(rss_kb / 1024, " MB").c_str(), "-", rss_ok ? "<= 256 MB ok" : "<= 256 MB MISSED");
  std::printf("%-44s %d batches, %d files, %.0f MB\n", "written", order.batch_count(), files,
              static_cast<double>(bytes) / (1 << 20));
  std::printf("\n%s\n", speed_ok && rss_ok ? "all targets met" : "SOME TARGETS MISSED");
  child.Signal(SIGTERM);
  child.Wait();
  drain.join();
  if (std::getenv("CAK_BENCH_DEBUG")) {
    std::printf("CPU during the order: dispatch-svc %.2f s, analysis-svc (this process) %.2f s, PostgreSQL %.2f s\n",
                cpu_child, cpu_self, cpu_pg);
    for (const auto& [kind, sec] : pg_by_kind) {
      auto before = pg_by_kind0.find(kind);
      std::printf("  PostgreSQL %-20s %.2f s\n", kind.c_str(),
                  sec - (before == pg_by_kind0.end() ? 0 : before->second));
    }
    for (absl::string_view line : absl::StrSplit(child_log, '\n')) {
      if (absl::StrContains(line, "batch_written")) std::printf("%.*s\n", static_cast<int>(line.size()), line.data());
    }
  }
  std::filesystem::remove_all(dir);
  return 0;
}
