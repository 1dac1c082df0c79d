// Benchmark: SubmitSignal throughput with durable commits at N concurrent callers, side by side
// with a no-op unary gRPC service, in the same process, on the same machine, with the same
// client. Target (issue 2): SubmitSignal at least 0.3x the no-op rate at 64 callers.
//
// Both servers run here; the callers are N threads with blocking stubs, each with its own
// bearer token, sending realistic requests (description, 3 synthetic example customers, a fresh
// request_id). The database is the one in CAK_TEST_PG_DSN (scripts/bench.sh makes it), in a
// fresh schema; the benchmark refuses to run unless fsync and synchronous_commit are on. The two
// alternate in rounds and are compared by their medians; each line also shows the CPU a call
// cost this process and the local PostgreSQL, which on a small machine is what the ratio follows.
// The latency of both at N callers (p50, p99) is reported beside the rates, medians over rounds.
//
// Then the bounded duplicate search (issue 2): N open signals naming one customer are set up by
// SQL in the benchmark's schema (as the service would have stored them: signal rows and their
// open_signal_customers rows), and sequential SubmitSignal calls naming that customer alternate
// with calls naming a customer in no signal. Target: the first at most 2x the second (medians).
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "bench/bench_support.h"
#include "cak/voorlichting/bench/v1/noop_service.grpc.pb.h"
#include "cak/voorlichting/intake/v1/intake_service.grpc.pb.h"
#include "common/base/log.h"
#include "common/base/random.h"
#include "common/base/synthetic.h"
#include "common/grpc/dev_tokens.h"
#include "common/testing/grpc_test_support.h"
#include "common/testing/pg_test_env.h"
#include "intake-svc/src/server/intake_server.h"
#include "intake-svc/src/storage/schema.h"

namespace {

namespace pb = cak::voorlichting::intake::v1;
namespace bench = cak::voorlichting::bench::v1;

struct Options {
  int callers = 64;
  // Rounds of (no-op, SubmitSignal), each measured `seconds` after `warmup_seconds`: on a
  // shared virtual machine the speed drifts by 10-20% within a minute, so the two are
  // interleaved and compared by their medians rather than one window each.
  int rounds = 3;
  double seconds = 5;
  double warmup_seconds = 1;
  int pool_size = 16;
  int batch_workers = 2;
  // The bounded duplicate search: open signals naming the one customer, and pairs of calls.
  int seeded = 30000;
  int search_pairs = 200;
};

Options ParseOptions(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&](const std::string& name) -> const char* {
      return a.rfind(name + "=", 0) == 0 ? argv[i] + name.size() + 1 : nullptr;
    };
    if (const char* v = value("--callers"))
      o.callers = std::atoi(v);
    else if (const char* v = value("--rounds"))
      o.rounds = std::atoi(v);
    else if (const char* v = value("--seconds"))
      o.seconds = std::atof(v);
    else if (const char* v = value("--warmup-seconds"))
      o.warmup_seconds = std::atof(v);
    else if (const char* v = value("--pool-size"))
      o.pool_size = std::atoi(v);
    else if (const char* v = value("--batch-workers"))
      o.batch_workers = std::atoi(v);
    else if (const char* v = value("--seeded"))
      o.seeded = std::atoi(v);
    else if (const char* v = value("--search-pairs"))
      o.search_pairs = std::atoi(v);
    else {
      std::fprintf(stderr,
                   "usage: %s [--callers=N] [--rounds=N] [--seconds=S] [--warmup-seconds=S] [--pool-size=N] "
                   "[--batch-workers=N] [--seeded=N] [--search-pairs=N]\n",
                   argv[0]);
      std::exit(2);
    }
  }
  return o;
}

class NoopService final : public bench::NoopService::Service {
  grpc::Status Ping(grpc::ServerContext*, const bench::PingRequest*, bench::PingResponse*) override {
    return grpc::Status::OK;
  }
};

struct Result {
  double calls_per_second = 0;
  int64_t calls = 0;
  int64_t errors = 0;
  double p50_ms = 0, p99_ms = 0;
  // CPU used during the measured window, per completed call: this process (callers and
  // servers) and the local PostgreSQL.
  double process_cpu_us = 0, postgres_cpu_us = 0;
  std::string first_error;
};

// Runs `call` from `callers` threads: a warm-up, then a measured window.
Result Drive(const Options& o, const std::function<grpc::Status(int caller, int64_t n)>& call) {
  std::atomic<int> phase{0};  // 0 warm-up, 1 measuring, 2 stop
  std::vector<std::vector<double>> latencies(o.callers);
  std::vector<int64_t> errors(o.callers, 0);
  std::vector<std::string> first_error(o.callers);
  std::vector<std::thread> threads;
  for (int c = 0; c < o.callers; ++c) {
    threads.emplace_back([&, c] {
      int64_t n = 0;
      while (phase.load(std::memory_order_relaxed) < 2) {
        const bool measuring = phase.load(std::memory_order_relaxed) == 1;
        const auto t0 = std::chrono::steady_clock::now();
        grpc::Status st = call(c, n++);
        const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
        if (!measuring) continue;
        if (st.ok()) {
          latencies[c].push_back(ms);
        } else {
          if (errors[c]++ == 0) first_error[c] = st.error_message();
        }
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(o.warmup_seconds));
  const auto start = std::chrono::steady_clock::now();
  const double process_cpu0 = cak::bench::ProcessCpuSeconds(), postgres_cpu0 = cak::bench::LocalPostgresCpuSeconds();
  phase = 1;
  std::this_thread::sleep_for(std::chrono::duration<double>(o.seconds));
  phase = 2;
  const double process_cpu = cak::bench::ProcessCpuSeconds() - process_cpu0;
  const double postgres_cpu = cak::bench::LocalPostgresCpuSeconds() - postgres_cpu0;
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  for (auto& t : threads) t.join();
  Result r;
  std::vector<double> all;
  for (int c = 0; c < o.callers; ++c) {
    all.insert(all.end(), latencies[c].begin(), latencies[c].end());
    r.errors += errors[c];
    if (r.first_error.empty()) r.first_error = first_error[c];
  }
  r.calls = static_cast<int64_t>(all.size());
  r.calls_per_second = r.calls / elapsed;
  if (r.calls > 0) {
    r.process_cpu_us = process_cpu / static_cast<double>(r.calls) * 1e6;
    r.postgres_cpu_us = postgres_cpu / static_cast<double>(r.calls) * 1e6;
  }
  if (!all.empty()) {
    std::sort(all.begin(), all.end());
    r.p50_ms = all[all.size() / 2];
    r.p99_ms = all[std::min(all.size() - 1, all.size() * 99 / 100)];
  }
  return r;
}

std::string Show(const char* name, const Result& r) {
  char line[320];
  std::snprintf(line, sizeof line, "  %-30s %10.0f %9.2f %9.2f %9lld %8lld %12.0f %12.0f", name, r.calls_per_second,
                r.p50_ms, r.p99_ms, static_cast<long long>(r.calls), static_cast<long long>(r.errors), r.process_cpu_us,
                r.postgres_cpu_us);
  return line;
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = ParseOptions(argc, argv);
  cak::common::log::SetMinLevel(cak::common::log::Level::kWarning);

  auto schema = cak::common::testing::TestSchema::Create("bench", cak::intake::storage::IntakeMigrationSets());
  if (!schema.ok()) {
    std::fprintf(stderr, "cannot prepare the database: %s\n", std::string(schema.status().message()).c_str());
    return 1;
  }
  const std::string fsync = *(*schema)->Query("SHOW fsync");
  const std::string sync_commit = *(*schema)->Query("SHOW synchronous_commit");
  if (fsync != "on" || sync_commit != "on") {
    std::fprintf(stderr, "refusing to benchmark without durable commits (fsync=%s synchronous_commit=%s)\n",
                 fsync.c_str(), sync_commit.c_str());
    return 1;
  }

  // intake-svc, assembled as in production (development tokens instead of a key file).
  cak::common::db::PoolOptions pool_options;
  pool_options.conninfo = cak::common::testing::TestDsn();
  pool_options.size = o.pool_size;
  auto pool = cak::common::db::PgPool::Create(pool_options);
  cak::common::SystemClock clock;
  cak::common::AuthOptions auth_options;
  auth_options.mode = "development";
  auto auth = cak::common::Authenticator::Create(auth_options, &clock);
  cak::common::ServerMetrics metrics("cak.voorlichting.intake.v1.IntakeService");
  cak::intake::IntakeServerOptions so;
  so.pool = pool->get();
  so.schema = (*schema)->name();
  so.clock = &clock;
  so.auth = auth->get();
  so.metrics = &metrics;
  so.hasher = *cak::common::DataSubjectHasher::Create("benchmark-hash-key-0123456789abcdef");
  so.server.host = "127.0.0.1";
  so.server.grpc_port = 0;
  so.server.health_port = -1;
  so.batching.workers = o.batch_workers;
  cak::intake::IntakeServer intake(std::move(so));
  if (absl::Status st = intake.Start(); !st.ok()) {
    std::fprintf(stderr, "cannot start intake-svc: %s\n", std::string(st.message()).c_str());
    return 1;
  }

  // The no-op service: same process, same kind of server (sync gRPC), same client.
  NoopService noop;
  grpc::ServerBuilder builder;
  int noop_port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &noop_port);
  builder.RegisterService(&noop);
  auto noop_server = builder.BuildAndStart();

  // Requests: realistic content, 3 of 100,000 synthetic customers, a fresh request_id each.
  const auto bsns = cak::common::SyntheticBsns(2026, 100000);
  const char* kDescription =
      "Klanten melden bij het KCC dat zij voor maart 2026 een tweede factuur eigen bijdrage Wlz "
      "hebben ontvangen, terwijl de eerste al via automatische incasso is betaald.";
  auto make_request = [&](int caller, int64_t n) {
    pb::SubmitSignalRequest req;
    req.set_request_id(absl::StrCat("bench-", caller, "-", n, "-", cak::common::NewUuid().substr(0, 8)));
    auto* s = req.mutable_signal();
    s->set_source_channel(pb::SOURCE_CHANNEL_KCC);
    s->set_category(static_cast<pb::SignalCategory>(1 + (n + caller) % 6));
    s->set_regulation(static_cast<pb::Regulation>(1 + (n % 2)));
    s->set_description(kDescription);
    for (int i = 0; i < 3; ++i) s->add_example_customer_bsns(bsns[(caller * 7919 + n * 3 + i) % bsns.size()].digits());
    return req;
  };
  const std::string payload = make_request(0, 0).SerializeAsString();

  std::vector<std::string> tokens;
  for (int c = 0; c < o.callers; ++c) {
    cak::common::TokenClaims claims;
    claims.subject = absl::StrCat("portal-", c);
    claims.roles = {"reporting_application"};
    claims.application = true;
    tokens.push_back("Bearer " + *cak::common::MintToken(claims));
  }
  auto intake_channel = cak::common::testing::LocalChannel(intake.grpc_port());
  auto noop_channel = cak::common::testing::LocalChannel(noop_port);
  auto intake_stub = pb::IntakeService::NewStub(intake_channel);
  auto noop_stub = bench::NoopService::NewStub(noop_channel);

  std::printf(
      "SubmitSignal vs a no-op unary gRPC service: %d concurrent callers, %d interleaved rounds of %.1f s "
      "measured after %.1f s warm-up each, %u cores\n",
      o.callers, o.rounds, o.seconds, o.warmup_seconds, std::thread::hardware_concurrency());
  std::printf("database: PostgreSQL %s, fsync=%s, synchronous_commit=%s, pool %d connections, schema %s\n",
              (*(*schema)->Query("SHOW server_version")).c_str(), fsync.c_str(), sync_commit.c_str(), o.pool_size,
              (*schema)->name().c_str());

  auto ping = [&](int caller, int64_t) {
    bench::PingRequest req;
    req.set_payload(payload);
    bench::PingResponse resp;
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", tokens[caller]);
    return noop_stub->Ping(&ctx, req, &resp);
  };
  auto submit = [&](int caller, int64_t n) {
    pb::SubmitSignalRequest req = make_request(caller, n);
    pb::SubmitSignalResponse resp;
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", tokens[caller]);
    return intake_stub->SubmitSignal(&ctx, req, &resp);
  };
  std::printf("\n  %-30s %10s %9s %9s %9s %8s %12s %12s\n", "", "calls/s", "p50 ms", "p99 ms", "calls", "errors",
              "process us", "postgres us");
  std::vector<Result> noops, submits;
  std::vector<double> ratios;
  int64_t errors = 0;
  std::string first_error;
  for (int round = 1; round <= o.rounds; ++round) {
    noops.push_back(Drive(o, ping));
    submits.push_back(Drive(o, submit));
    const double r =
        noops.back().calls_per_second > 0 ? submits.back().calls_per_second / noops.back().calls_per_second : 0;
    ratios.push_back(r);
    std::printf("%s\n%s\n  %-30s %10.3f\n",
                Show(absl::StrCat("round ", round, ": no-op (Ping)").c_str(), noops.back()).c_str(),
                Show(absl::StrCat("round ", round, ": SubmitSignal").c_str(), submits.back()).c_str(),
                absl::StrCat("round ", round, ": ratio").c_str(), r);
    std::fflush(stdout);
    for (const Result* res : {&noops.back(), &submits.back()}) {
      errors += res->errors;
      if (first_error.empty()) first_error = res->first_error;
    }
  }
  auto median_of = [](const std::vector<Result>& rs, double Result::*field) {
    std::vector<double> v;
    for (const auto& r : rs) v.push_back(r.*field);
    return cak::bench::Median(v);
  };
  const double noop_rate = median_of(noops, &Result::calls_per_second);
  const double submit_rate = median_of(submits, &Result::calls_per_second);
  const double ratio = noop_rate > 0 ? submit_rate / noop_rate : 0;
  std::printf(
      "\n  medians over %d rounds:  no-op %.0f calls/s (%.0f us process CPU per call),  SubmitSignal %.0f "
      "calls/s (%.0f us process + %.0f us postgres CPU per call)\n",
      o.rounds, noop_rate, median_of(noops, &Result::process_cpu_us), submit_rate,
      median_of(submits, &Result::process_cpu_us), median_of(submits, &Result::postgres_cpu_us));
  const bool rate_ok = ratio >= 0.3;
  std::printf("  ratio SubmitSignal / no-op (medians): %.3f   (rounds %.3f-%.3f; target >= 0.300: %s)\n", ratio,
              *std::min_element(ratios.begin(), ratios.end()), *std::max_element(ratios.begin(), ratios.end()),
              rate_ok ? "ok" : "MISSED");
  std::printf(
      "  latency at %d callers (medians over rounds): SubmitSignal p50 %.2f ms, p99 %.2f ms;  no-op (reference) "
      "p50 %.2f ms, p99 %.2f ms\n",
      o.callers, median_of(submits, &Result::p50_ms), median_of(submits, &Result::p99_ms),
      median_of(noops, &Result::p50_ms), median_of(noops, &Result::p99_ms));
  std::printf(
      "  CPU per call over each measured window: \"process\" is this process (callers and servers),\n"
      "  \"postgres\" every local process named postgres (0 when the database runs elsewhere)\n");
  const std::string S = (*schema)->name();
  std::printf("  signals stored: %s, processing-log entries: %s, subject rows: %s\n",
              (*(*schema)->Query("SELECT count(*) FROM " + S + ".signals")).c_str(),
              (*(*schema)->Query("SELECT count(*) FROM " + S + ".processing_log")).c_str(),
              (*(*schema)->Query("SELECT count(*) FROM " + S + ".processing_log_subjects")).c_str());

  // The bounded duplicate search. Customers outside the 100,000 the rounds used (another seed):
  // the first is the one in `seeded` open signals, each other one is named by one call only.
  const auto others = cak::common::SyntheticBsns(4242, o.search_pairs + 1);
  const std::string hot = others[0].digits();
  const auto seed_start = std::chrono::steady_clock::now();
  // Same shape as the service's rows: open (RECEIVED), every topic, one customer, received in the
  // last hours (inside the duplicate window), with their open_signal_customers rows.
  absl::StatusOr<std::string> seeded = (*schema)->Query(absl::StrCat(
      "INSERT INTO ", S,
      ".signals (id, reporter_id, reporter_kind, source_channel, category, regulation, description, state,"
      " example_customer_count, example_customers, receive_time, update_time)"
      " SELECT gen_random_uuid(), 'bench-seed', 1, 1, 1 + g % 6, 1 + g % 2, 'Eerdere melding over dezelfde klant.',"
      " 1, 1, ARRAY['",
      hot, "'], now() - g * interval '1 second', now() - g * interval '1 second' FROM generate_series(1, ", o.seeded,
      ") g; INSERT INTO ", S, ".open_signal_customers (bsn, receive_time, signal_id) SELECT '", hot,
      "', receive_time, id FROM ", S, ".signals WHERE reporter_id = 'bench-seed'; ANALYZE ", S, ".signals; ANALYZE ", S,
      ".open_signal_customers; SELECT count(*) FROM ", S, ".open_signal_customers WHERE bsn = '", hot, "'"));
  if (!seeded.ok()) {
    std::fprintf(stderr, "cannot seed the open signals: %s\n", std::string(seeded.status().message()).c_str());
    return 1;
  }
  const double seed_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - seed_start).count();
  cak::common::TokenClaims officer_claims;
  officer_claims.subject = "emp-bench";
  officer_claims.roles = {"intake_officer"};
  const std::string officer = "Bearer " + *cak::common::MintToken(officer_claims);
  int hot_suggestions = 0, hot_shared = 0, cold_suggestions = 0;
  auto naming = [&](const std::string& bsn, int* suggestions, int* shared) -> std::optional<double> {
    pb::SubmitSignalRequest req = make_request(0, 0);
    req.mutable_signal()->clear_example_customer_bsns();
    req.mutable_signal()->add_example_customer_bsns(bsn);
    pb::SubmitSignalResponse resp;
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", officer);
    const auto t0 = std::chrono::steady_clock::now();
    grpc::Status st = intake_stub->SubmitSignal(&ctx, req, &resp);
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    if (!st.ok()) {
      ++errors;
      if (first_error.empty()) first_error = st.error_message();
      return std::nullopt;
    }
    *suggestions = resp.signal().duplicate_candidates_size();
    if (shared) {
      *shared = 0;
      for (const auto& d : resp.signal().duplicate_candidates()) *shared += d.shared_customer_count() > 0;
    }
    return ms;
  };
  std::vector<double> hot_ms, cold_ms;
  for (int k = 1; k <= o.search_pairs; ++k) {
    if (auto ms = naming(hot, &hot_suggestions, &hot_shared)) hot_ms.push_back(*ms);
    if (auto ms = naming(others[k].digits(), &cold_suggestions, nullptr)) cold_ms.push_back(*ms);
  }
  const double hot_median = cak::bench::Median(hot_ms), cold_median = cak::bench::Median(cold_ms);
  const double search_ratio = cold_median > 0 ? hot_median / cold_median : 0;
  const bool search_ok = !hot_ms.empty() && !cold_ms.empty() && search_ratio <= 2.0;
  std::printf(
      "\nBounded duplicate search: %d open signals name one customer (set up by SQL in %.1f s); %d sequential pairs "
      "of SubmitSignal calls, alternating\n",
      o.seeded, seed_seconds, o.search_pairs);
  std::printf("  naming that customer:   median %.2f ms  (last call: %d suggestions, %d sharing the customer)\n",
              hot_median, hot_suggestions, hot_shared);
  std::printf("  naming a customer in no signal (reference): median %.2f ms  (last call: %d suggestions)\n",
              cold_median, cold_suggestions);
  std::printf("  ratio (medians): %.2f   (target <= 2.00: %s)\n", search_ratio, search_ok ? "ok" : "MISSED");
  if (!first_error.empty()) std::printf("  first error: %s\n", first_error.c_str());
  std::printf("\n%s\n", rate_ok && search_ok ? "all targets met" : "SOME TARGETS MISSED");

  noop_server->Shutdown();
  intake.Shutdown();
  return errors == 0 ? 0 : 1;
}
