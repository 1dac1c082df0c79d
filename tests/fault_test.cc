// Fault: PostgreSQL restarted under load. The four services run as processes (the end-to-end
// suite) while callers keep reading and writing through every one of them; the project-local
// cluster is restarted (`scripts/pg.sh restart`: a fast shutdown ends every session with
// "terminating connection due to administrator command", then the cluster starts on the same
// port). A few callers keep going through the outage; a burst of many more callers runs before
// it (so every pool holds many sessions, which the restart kills) and again right after it (so
// calls land on sessions nobody touched during the outage). Calls during the outage may fail
// with UNAVAILABLE; once the database answers again none may fail, and no service's health may
// drop back to NOT_SERVING.
//
// The test restarts the cluster the whole test command uses, so it runs alone (RUN_SERIAL).
// With an external PostgreSQL (CAK_PG_ADMIN_DSN) there is nothing this test may restart, and
// it says so and skips.
#include <atomic>
#include <thread>

#include "cak/voorlichting/processinglog/v1/processing_log_service.grpc.pb.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "tests/suite_fixture.h"

namespace cak::e2e {
namespace {

namespace hpb = grpc::health::v1;
namespace plpb = cak::voorlichting::processinglog::v1;

const common::testing::TestCaller kPrivacyOfficer{"emp-7007", {"privacy_officer"}, false};

struct CallRecord {
  absl::Time started, ended;
  Svc svc;
  std::string rpc;
  grpc::StatusCode code;
  std::string message;
};

class DatabaseRestartTest : public SuiteTest {
 protected:
  // One caller: round robin over reads and writes of every service until `stop`.
  void Caller(int id, const std::atomic<bool>& stop) {
    std::vector<std::unique_ptr<plpb::ProcessingLogService::Stub>> logs;
    for (Svc s : {kIntake, kAnalysis, kDispatch, kCampaign}) {
      logs.push_back(plpb::ProcessingLogService::NewStub(common::testing::LocalChannel(proxies_[s]->port())));
    }
    for (int n = 0; !stop; ++n) {
      const absl::Time started = absl::Now();
      grpc::Status st;
      std::string rpc;
      Svc svc = static_cast<Svc>(n % 4);
      switch ((n + id) % 3) {
        case 0: {  // a read, and the read's own log entry written: every service
          rpc = "ListProcessingLogEntries";
          plpb::ListProcessingLogEntriesRequest req;
          req.set_trace_id(absl::StrCat("4bf92f3577b34da6a3ce929d0e0e", 4736 + n % 1000));
          req.set_page_size(5);
          plpb::ListProcessingLogEntriesResponse resp;
          st = logs[svc]->ListProcessingLogEntries(ContextFor(kPrivacyOfficer, absl::Seconds(5)).get(), req, &resp);
          break;
        }
        case 1: {  // a write: a signal in intake-svc
          svc = kIntake;
          rpc = "SubmitSignal";
          ipb::SubmitSignalRequest req;
          req.set_request_id(common::NewUuid());
          auto* s = req.mutable_signal();
          s->set_source_channel(ipb::SOURCE_CHANNEL_KCC);
          s->set_category(ipb::SIGNAL_CATEGORY_WRONG_INVOICE);
          s->set_regulation(ipb::REGULATION_WLZ);
          s->set_description(
              absl::StrCat("Klanten kregen een tweede factuur voor dezelfde periode (melding ", id, "-", n, ")."));
          ipb::SubmitSignalResponse resp;
          st = intake_->SubmitSignal(ContextFor(kIntakeOfficer, absl::Seconds(5)).get(), req, &resp);
          break;
        }
        default: {  // a read of a service's own tables
          svc = n % 2 == 0 ? kCampaign : kIntake;
          if (svc == kCampaign) {
            rpc = "ListCampaigns";
            cpb::ListCampaignsRequest req;
            req.set_page_size(5);
            cpb::ListCampaignsResponse resp;
            st = campaigns_->ListCampaigns(ContextFor(kDesigner, absl::Seconds(5)).get(), req, &resp);
          } else {
            rpc = "ListSignals";
            ipb::ListSignalsRequest req;
            req.set_page_size(5);
            ipb::ListSignalsResponse resp;
            st = intake_->ListSignals(ContextFor(kIntakeOfficer, absl::Seconds(5)).get(), req, &resp);
          }
        }
      }
      std::lock_guard<std::mutex> lock(mu_);
      calls_.push_back({started, absl::Now(), svc, rpc, st.error_code(), st.error_message()});
    }
  }

  // Asks every service's health every 50 ms until `stop_`.
  void HealthWatcher() {
    std::vector<std::unique_ptr<hpb::Health::Stub>> stubs;
    for (Svc s : {kIntake, kAnalysis, kDispatch, kCampaign}) {
      stubs.push_back(hpb::Health::NewStub(common::testing::LocalChannel(proxies_[s]->port())));
    }
    while (!stop_) {
      for (int s = 0; s < 4; ++s) {
        grpc::ClientContext ctx;
        ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
        hpb::HealthCheckRequest req;
        hpb::HealthCheckResponse resp;
        const grpc::Status st = stubs[s]->Check(&ctx, req, &resp);
        std::lock_guard<std::mutex> lock(mu_);
        health_[s].emplace_back(absl::Now(), st.ok() && resp.status() == hpb::HealthCheckResponse::SERVING);
      }
      absl::SleepFor(absl::Milliseconds(50));
    }
  }

  // `scripts/pg.sh <command>`: its exit code, its output in `out`.
  static int PgScript(const std::string& command, std::string* out) {
    ChildProcess p({"/bin/sh", "-c", absl::StrCat(PG_SCRIPT, " ", command, " 1>&2")});
    *out = p.ReadAll();
    return p.Wait();
  }

  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::vector<CallRecord> calls_;
  std::vector<std::pair<absl::Time, bool>> health_[4];
};

TEST_F(DatabaseRestartTest, NoCallFailsOnceTheDatabaseAnswersAgain) {
  std::string out;
  if (PgScript("managed", &out) != 0) GTEST_SKIP() << "PostgreSQL is not the project-local cluster: " << out;
  for (auto& p : processes_) p->DrainInBackground();  // an outage makes them log a lot

  std::vector<std::thread> steady;
  for (int i = 0; i < 3; ++i) steady.emplace_back([this, i] { Caller(i, stop_); });
  steady.emplace_back([this] { HealthWatcher(); });
  auto burst = [this](absl::Duration d) {
    std::atomic<bool> stop{false};
    std::vector<std::thread> callers;
    for (int i = 0; i < 16; ++i) callers.emplace_back([this, i, &stop] { Caller(100 + i, stop); });
    absl::SleepFor(d);
    stop = true;
    for (auto& t : callers) t.join();
  };
  burst(absl::Seconds(3));

  const absl::Time restart_started = absl::Now();
  const int restarted = PgScript("restart", &out);
  const absl::Time back = absl::Now();  // pg_ctl start -w returns once the server accepts connections
  burst(absl::Seconds(4));
  absl::SleepFor(absl::Seconds(2));
  stop_ = true;
  for (auto& t : steady) t.join();
  ASSERT_EQ(restarted, 0) << out;

  int before = 0, during = 0, after = 0;
  std::vector<std::string> failed_after;
  for (const CallRecord& c : calls_) {
    // A call still running when the restart began is one "during" it: fast shutdown ends its
    // session, and that may fail it.
    if (c.ended < restart_started) {
      ++before;
      EXPECT_EQ(c.code, grpc::StatusCode::OK) << c.rpc << " before the restart: " << c.message;
    } else if (c.started < back) {
      ++during;
    } else {
      ++after;
      if (c.code != grpc::StatusCode::OK) {
        failed_after.push_back(absl::StrCat(c.rpc, " on service ", c.svc, ": ", c.code, " ", c.message, " at +",
                                            absl::FormatDuration(c.started - back)));
      }
    }
  }
  std::cerr << "calls: " << before << " before the restart, " << during << " during ("
            << absl::FormatDuration(back - restart_started) << "), " << after << " after; " << failed_after.size()
            << " failed after\n";
  EXPECT_GT(before, 50);
  EXPECT_GT(after, 100);
  EXPECT_THAT(failed_after, ::testing::IsEmpty());

  // Health: each service is SERVING again within a few health intervals of the database's
  // return, and stays so (no flapping on a dead pooled connection).
  for (int s = 0; s < 4; ++s) {
    absl::Time serving_again = absl::InfiniteFuture();
    int flaps = 0;
    for (const auto& [at, serving] : health_[s]) {
      if (at < back) continue;
      if (serving && serving_again == absl::InfiniteFuture()) serving_again = at;
      if (!serving && serving_again != absl::InfiniteFuture()) ++flaps;
    }
    EXPECT_LT(serving_again - back, absl::Seconds(3)) << "service " << s << " not SERVING again";
    EXPECT_EQ(flaps, 0) << "service " << s << " dropped to NOT_SERVING after the database was back";
  }
}

}  // namespace
}  // namespace cak::e2e
