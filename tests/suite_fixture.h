// The suite as processes, for the end-to-end and fault tests: the four service binaries, each
// on its own fresh schema of the test database, talking to each other over gRPC through TCP
// forwarders (so every address is known before a process starts on port 0, and stays the same
// across a restart), in development authentication with a generated population in the import
// directory, exporting to the development logbook receiver in this process (behind a forwarder
// that can be pointed at nothing to take the logbook away).
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "analysis-svc/src/storage/schema.h"
#include "cak/voorlichting/campaign/v1/campaign_service.grpc.pb.h"
#include "cak/voorlichting/intake/v1/intake_service.grpc.pb.h"
#include "cak/voorlichting/privacy/v1/data_subject_service.grpc.pb.h"
#include "campaign-svc/src/storage/schema.h"
#include "common/base/bsn.h"
#include "common/base/data_subject_hasher.h"
#include "common/base/principal.h"
#include "common/base/random.h"
#include "common/grpc/dev_tokens.h"
#include "common/testing/child_process.h"
#include "common/testing/grpc_test_support.h"
#include "common/testing/pg_test_env.h"
#include "common/testing/status_matchers.h"
#include "common/testing/tcp_proxy.h"
#include "dispatch-svc/src/storage/schema.h"
#include "intake-svc/src/storage/schema.h"
#include "tools/logbook/receiver.h"

namespace cak::e2e {

namespace cpb = cak::voorlichting::campaign::v1;
namespace ipb = cak::voorlichting::intake::v1;
namespace privacy = cak::voorlichting::privacy::v1;
using common::testing::ChildProcess;
using common::testing::ContextFor;
using common::testing::GrpcStatusIs;
using common::testing::TcpProxy;
using common::testing::TestCaller;

const TestCaller kDesigner{"emp-3003", {"campaign_designer"}, false};
const TestCaller kDesignerApprover{"emp-3003", {"campaign_designer", "approver"}, false};
const TestCaller kApprover{"emp-5005", {"approver"}, false};
const TestCaller kIntakeOfficer{"emp-1001", {"intake_officer"}, false};

// The services and the flow decide what "today" is in one zone, production's: a flow whose
// "today" differs from the services' (UTC servers, an Amsterdam flow between 23:00 and 24:00
// UTC) sends on a day the services think has not begun.
inline constexpr char kTimeZoneFlag[] = "--time-zone=Europe/Amsterdam";

enum Svc { kIntake = 0, kAnalysis = 1, kDispatch = 2, kCampaign = 3 };

class SuiteTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = (std::filesystem::temp_directory_path() / ("cak-e2e-" + common::NewUuid())).string();
    std::filesystem::create_directories(dir_ + "/import");
    std::filesystem::create_directories(dir_ + "/deliveries");
    std::ofstream(dir_ + "/hash.key") << "an-end-to-end-hash-key-of-32-bytes-or-more\n";
    // Each service's identity towards its peers: development tokens in files, as run.sh does.
    for (const auto& [file, subject, role] : std::vector<std::tuple<std::string, std::string, std::string>>{
             {"dispatch.token", "dispatch-svc.voorlichting.svc", common::roles::kDispatchService},
             {"analysis.token", "analysis-svc.voorlichting.svc", common::roles::kAnalysisService},
             {"campaign.token", "campaign-svc.voorlichting.svc", common::roles::kCampaignService},
             {"intake.token", "intake-svc.voorlichting.svc", common::roles::kIntakeService}}) {
      common::TokenClaims claims;
      claims.subject = subject;
      claims.roles = {role};
      claims.application = true;
      claims.lifetime = absl::Hours(2);
      std::ofstream(dir_ + "/" + file) << *common::MintToken(claims);
    }
    ChildProcess datagen({DATAGEN_BINARY, "--size=3000", "--seed=5", "--out=" + dir_ + "/import"});
    ASSERT_EQ(datagen.Wait(), 0) << datagen.ReadAll();

    const std::vector<std::pair<std::string, std::vector<common::db::MigrationSet>>> schemas = {
        {"e2ei", intake::storage::IntakeMigrationSets()},
        {"e2ea", analysis::storage::AnalysisMigrationSets()},
        {"e2ed", dispatch::storage::DispatchMigrationSets()},
        {"e2ec", campaign::storage::CampaignMigrationSets()}};
    for (const auto& [prefix, sets] : schemas) {
      auto schema = common::testing::TestSchema::Create(prefix, sets);
      ASSERT_TRUE(schema.ok()) << schema.status();
      schemas_.push_back(*std::move(schema));
      proxies_.push_back(std::make_unique<TcpProxy>("127.0.0.1", 1));
      ASSERT_TRUE(proxies_.back()->Start().ok());
    }
    // The organisation's logbook: the development receiver behind a forwarder (which can be
    // pointed at nothing to take the logbook away).
    std::filesystem::create_directories(dir_ + "/logbook");
    receiver_ = *tools::logbook::Receiver::Open(dir_ + "/logbook");
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &logbook_port_);
    builder.RegisterService(receiver_.get());
    logbook_server_ = builder.BuildAndStart();
    ASSERT_NE(logbook_port_, 0);
    logbook_proxy_ = std::make_unique<TcpProxy>("127.0.0.1", logbook_port_);
    ASSERT_TRUE(logbook_proxy_->Start().ok());

    processes_.resize(4);
    for (Svc s : {kIntake, kAnalysis, kDispatch, kCampaign}) ASSERT_TRUE(StartService(s));
    channel_ = common::testing::LocalChannel(proxies_[kCampaign]->port());
    campaigns_ = cpb::CampaignService::NewStub(channel_);
    intake_ = ipb::IntakeService::NewStub(common::testing::LocalChannel(proxies_[kIntake]->port()));
  }

  void TearDown() override {
    for (auto& p : processes_) {
      if (p) {
        p->Signal(SIGTERM);
        p->Wait();
      }
    }
    if (logbook_server_) logbook_server_->Shutdown();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  std::string Address(Svc s) { return absl::StrCat("127.0.0.1:", proxies_[s]->port()); }

  std::vector<std::string> Args(Svc s) {
    static const char* const kBinaries[] = {INTAKE_SVC_BINARY, ANALYSIS_SVC_BINARY, DISPATCH_SVC_BINARY,
                                            CAMPAIGN_SVC_BINARY};
    std::vector<std::string> a = {kBinaries[s],
                                  "--db-dsn=" + common::testing::TestDsn(),
                                  "--db-schema=" + schemas_[s]->name(),
                                  "--auth-mode=development",
                                  "--hash-key-file=" + dir_ + "/hash.key",
                                  "--listen-host=127.0.0.1",
                                  "--grpc-port=0",
                                  "--health-port=0",
                                  "--metrics-port=0",
                                  "--db-startup-timeout=10s",
                                  "--shutdown-grace=5s",
                                  absl::StrCat("--logbook-address=127.0.0.1:", logbook_proxy_->port())};
    switch (s) {
      case kIntake:
        break;
      case kAnalysis:
        a.insert(a.end(),
                 {"--import-dir=" + dir_ + "/import", kTimeZoneFlag, "--dispatch-address=" + Address(kDispatch),
                  "--dispatch-token-file=" + dir_ + "/analysis.token"});
        break;
      case kDispatch:
        a.insert(a.end(),
                 {"--delivery-dir=" + dir_ + "/deliveries", kTimeZoneFlag, "--analysis-address=" + Address(kAnalysis),
                  "--analysis-token-file=" + dir_ + "/dispatch.token"});
        break;
      case kCampaign:
        a.insert(
            a.end(),
            {kTimeZoneFlag, "--intake-address=" + Address(kIntake), "--analysis-address=" + Address(kAnalysis),
             "--dispatch-address=" + Address(kDispatch), "--intake-token-file=" + dir_ + "/campaign.token",
             "--analysis-token-file=" + dir_ + "/campaign.token", "--dispatch-token-file=" + dir_ + "/campaign.token"});
        break;
    }
    return a;
  }

  // Starts (or restarts) a service and points its forwarder at it.
  bool StartService(Svc s, const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args = Args(s);
    args.insert(args.end(), extra.begin(), extra.end());
    processes_[s] = std::make_unique<ChildProcess>(args);
    const std::string ready = processes_[s]->ReadUntil("\"event\":\"ready\"");
    if (ready.empty()) {
      ADD_FAILURE() << "service " << s << " did not start:\n" << processes_[s]->ReadAll();
      return false;
    }
    proxies_[s]->SetTarget("127.0.0.1", nlohmann::json::parse(ready)["grpc_port"].get<int>());
    return true;
  }

  // `voorlichting-cli flow` against the four services; its output (stdout and stderr).
  int RunFlow(const std::vector<std::string>& extra, std::string* output) {
    std::string cmd =
        absl::StrCat(CLI_BINARY, " --timeout=120s flow --intake-address=", Address(kIntake),
                     " --analysis-address=", Address(kAnalysis), " --dispatch-address=", Address(kDispatch),
                     " --campaign-address=", Address(kCampaign), " ", kTimeZoneFlag, " --import-dir=", dir_,
                     "/import --delivery-dir=", dir_, "/deliveries");
    for (const std::string& e : extra) absl::StrAppend(&cmd, " ", e);
    ChildProcess flow({"/bin/sh", "-c", cmd + " 1>&2"});
    *output = flow.ReadAll();
    return flow.Wait();
  }

  // The value after "<key>=" in the flow's machine-readable result line.
  static std::string ResultValue(const std::string& output, const std::string& key) {
    std::smatch m;
    const std::regex re("flow-result:.*\\b" + key + "=([^ \\n]+)");
    return std::regex_search(output, m, re) ? m[1].str() : std::string();
  }

  int64_t Count(Svc s, const std::string& from_where) {
    auto n = schemas_[s]->Query(absl::StrCat("SELECT count(*) FROM ", schemas_[s]->name(), ".", from_where));
    int64_t out = -1;
    if (n.ok()) (void)absl::SimpleAtoi(*n, &out);
    return out;
  }
  std::string Query(Svc s, const std::string& sql) {
    auto r = schemas_[s]->Query(sql);
    return r.ok() ? *r : std::string(r.status().message());
  }

  cpb::Campaign GetCampaign(const std::string& name) {
    cpb::GetCampaignRequest req;
    req.set_name(name);
    cpb::Campaign c;
    grpc::Status st = campaigns_->GetCampaign(ContextFor(kDesigner).get(), req, &c);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return c;
  }

  // Waits until every contacted group's order is no longer pending (a restarted campaign-svc
  // may refuse the first calls while the channel reconnects).
  cpb::Campaign AwaitOrders(const std::string& name, absl::Duration timeout) {
    const absl::Time until = absl::Now() + timeout;
    cpb::Campaign c;
    while (absl::Now() < until) {
      cpb::GetCampaignRequest req;
      req.set_name(name);
      if (campaigns_->GetCampaign(ContextFor(kDesigner).get(), req, &c).ok()) {
        bool pending = false;
        for (const auto& g : c.groups()) pending |= g.order_delivery() == cpb::ORDER_DELIVERY_PENDING;
        if (!pending) return c;
      }
      absl::SleepFor(absl::Milliseconds(200));
    }
    ADD_FAILURE() << "orders still pending after " << timeout;
    return c;
  }

  // Operations of `s` the logbook has not accepted yet.
  int64_t PendingExport(Svc s) {
    const std::string& n = schemas_[s]->name();
    return Count(s, absl::StrCat("processing_log WHERE tx > (SELECT exported_tx FROM ", n, ".processing_log_export)")) +
           Count(s, absl::StrCat("processing_log_all_subjects WHERE tx > (SELECT exported_tx FROM ", n,
                                 ".processing_log_export)"));
  }

  // The logbook's file of one service: operation ids (trace + operation, hex) -> times seen.
  std::map<std::string, int> LogbookOperations(const std::string& resource) {
    std::map<std::string, int> ops;
    tools::logbook::ReadOperationIds(absl::StrCat(dir_, "/logbook/", resource, ".jsonl"),
                                     [&](const std::string& trace, const std::string& op) { ++ops[trace + op]; });
    return ops;
  }

  std::string dir_;
  std::unique_ptr<tools::logbook::Receiver> receiver_;
  std::unique_ptr<grpc::Server> logbook_server_;
  int logbook_port_ = 0;
  std::unique_ptr<TcpProxy> logbook_proxy_;
  std::vector<std::unique_ptr<common::testing::TestSchema>> schemas_;
  std::vector<std::unique_ptr<TcpProxy>> proxies_;
  std::vector<std::unique_ptr<ChildProcess>> processes_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<cpb::CampaignService::Stub> campaigns_;
  std::unique_ptr<ipb::IntakeService::Stub> intake_;
};

}  // namespace cak::e2e
