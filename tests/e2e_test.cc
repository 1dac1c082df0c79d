// End-to-end: the four service binaries as processes (tests/suite_fixture.h).
//
// - The complete information action: the command-line client's `flow`, the same code the
//   README's run command drives, through all nine steps; then the databases are checked for
//   what it claimed: one dispatch order per contacted group, every recipient delivered exactly
//   once, the signal closed with feedback, the measurement logged.
// - Its failure paths, driven over gRPC after `flow --until=approved`: dispatch-svc killed
//   during the release and started again (the orders arrive exactly once), campaign-svc killed
//   between the release's commit and its calls (nothing lost), a repeated release (the same
//   orders), approval by the designer (refused), and a decline in intake-svc (the release is
//   refused, the reporter gets the feedback, nothing is dispatched).
// - The processing log's way to the organisation's logbook: every service exports to a
//   logbook (the development receiver, in this process, behind a forwarder); with the logbook
//   down for the whole flow and a service killed (kill -9) as it comes back, every entry and
//   every subject row of all four schemas arrives exactly once.
#include "tests/suite_fixture.h"

namespace cak::e2e {
namespace {

using EndToEndTest = SuiteTest;

TEST_F(EndToEndTest, OneInformationActionThroughAllNineSteps) {
  std::string out;
  ASSERT_EQ(RunFlow({}, &out), 0) << out;
  const std::string campaign = ResultValue(out, "campaign");
  const std::string signal = ResultValue(out, "signal");
  ASSERT_FALSE(campaign.empty()) << out;
  const std::string campaign_id = campaign.substr(std::string("campaigns/").size());
  const std::string signal_id = signal.substr(std::string("signals/").size());

  // Steps 1 and 3: the signal is closed with feedback; the second one was declined.
  EXPECT_EQ(Query(kIntake, absl::StrCat("SELECT state FROM ", schemas_[kIntake]->name(), ".signals WHERE id = '",
                                        signal_id, "'")),
            "5");                                           // CLOSED
  EXPECT_EQ(Count(kIntake, "signals WHERE state = 3"), 1);  // NO_ACTION
  // Steps 4-6: the campaign is completed, with decisions by two different employees.
  const cpb::Campaign c = GetCampaign(campaign);
  EXPECT_EQ(c.state(), cpb::CAMPAIGN_STATE_COMPLETED);
  std::set<std::string> actors;
  for (const auto& d : c.decisions()) actors.insert(d.actor());
  EXPECT_GE(actors.size(), 2u);
  // Steps 7 and 8: one order per contacted group, every recipient exactly once.
  int contacted = 0;
  int64_t recipients = 0;
  for (const auto& g : c.groups()) {
    if (g.action() == cpb::ACTION_NONE) continue;
    ++contacted;
    recipients += g.recipient_count();
    EXPECT_EQ(g.order_delivery(), cpb::ORDER_DELIVERY_CREATED) << g.group();
  }
  EXPECT_EQ(contacted, 3);
  const std::string d = schemas_[kDispatch]->name();
  EXPECT_EQ(Count(kDispatch, "orders"), contacted);
  EXPECT_EQ(Count(kDispatch, "items"), recipients);
  EXPECT_EQ(Query(kDispatch, absl::StrCat("SELECT count(*) FROM (SELECT order_id, position FROM ", d,
                                          ".items GROUP BY 1, 2 HAVING count(*) > 1) x")),
            "0");
  EXPECT_EQ(Count(kDispatch, "batches WHERE state <> 3"), 0);  // all acknowledged
  EXPECT_GT(Count(kDispatch, "outcomes"), 0);
  // Repro and the KCC get files; dataverkeer pulls (no files), and found its orders and their
  // guidelines through its inbox (the flow checks every pulled batch carries them).
  for (const char* executor : {"repro", "kcc"}) {
    EXPECT_TRUE(std::filesystem::exists(dir_ + "/deliveries/" + executor)) << executor;
  }
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/deliveries/dataverkeer"));
  EXPECT_NE(out.find("dataverkeer.executors.cak.nl finds dispatchOrders/"), std::string::npos) << out;
  EXPECT_NE(out.find("kcc.executors.cak.nl finds feasibilityChecks/"), std::string::npos) << out;
  // The KCC's second calls superseded their first outcomes: kept, one current per recipient.
  EXPECT_GT(Count(kDispatch, "outcomes WHERE NOT is_current"), 0);
  EXPECT_EQ(Query(kDispatch, absl::StrCat("SELECT count(*) FROM (SELECT order_id, position FROM ", d,
                                          ".outcomes GROUP BY 1, 2 HAVING count(*) FILTER (WHERE is_current) <> 1) x")),
            "0");
  // The same release went out once: the campaign's outbox holds one delivered order per group.
  EXPECT_EQ(Count(kCampaign, absl::StrCat("outbox WHERE aggregate_id = '", campaign_id,
                                          "' AND topic = 'dispatch.CreateDispatchOrder' AND state = 'DONE'")),
            contacted);
  // Step 9: measured on the campaign's topics, logged and kept in analysis-svc; measured again,
  // it reproduced (the flow compares the figures); the campaign shows the latest.
  EXPECT_GT(Count(kAnalysis, "processing_log WHERE name LIKE '%MeasureResponse%'"), 0);
  EXPECT_EQ(Count(kAnalysis, absl::StrCat("response_measurements WHERE campaign = '", campaign, "'")), 2);
  EXPECT_TRUE(c.has_latest_response());
  EXPECT_EQ(c.response_topics_size(), 3);
  EXPECT_NE(out.find("the same figures"), std::string::npos) << out;

  // The customer who objected in step 2 (before anything was selected): in the register, on no
  // list, in no item and in no delivery file; the impact, group and freeze reports counted them
  // (the flow checks each figure is 1 and fails otherwise).
  const std::string a = schemas_[kAnalysis]->name();
  ASSERT_EQ(Count(kAnalysis, "objections WHERE lift_time IS NULL"), 1);
  const std::string objector = Query(kAnalysis, absl::StrCat("SELECT bsn FROM ", a, ".objections"));
  EXPECT_EQ(Count(kAnalysis, absl::StrCat("recipient_list_members WHERE bsn = ", objector)), 0);
  EXPECT_EQ(Count(kAnalysis, "recipient_lists WHERE excluded_by_objection = 1 AND control_of IS NULL"), 1);
  const size_t at = out.find(" objects to being selected");
  ASSERT_NE(at, std::string::npos) << out;
  const std::string number = out.substr(out.rfind(' ', at - 1) + 1, at - out.rfind(' ', at - 1) - 1);
  ASSERT_EQ(number.size(), 10u) << number;
  EXPECT_EQ(Count(kDispatch, absl::StrCat("items WHERE customer_number = '", number, "'")), 0);
  int files = 0;
  for (const auto& f : std::filesystem::recursive_directory_iterator(dir_ + "/deliveries")) {
    if (!f.is_regular_file()) continue;
    std::ifstream in(f.path());
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_EQ(text.find(number), std::string::npos) << f.path();
    ++files;
  }
  EXPECT_GT(files, 0);

  // A contacted customer asks to be erased (GDPR art. 17): a dry run, then the erasure through
  // all four services. Afterwards a sweep of every table of every schema finds neither the BSN
  // nor, outside the processing log, the person's log id; the next import skips them.
  const std::string list = Query(
      kDispatch, "SELECT recipient_list FROM " + schemas_[kDispatch]->name() + ".orders ORDER BY create_time LIMIT 1");
  const std::string erased =
      Query(kAnalysis, "SELECT bsn::text FROM " + a + ".recipient_list_members WHERE list_id = '" + list +
                           "' ORDER BY position LIMIT 1");
  ASSERT_FALSE(erased.empty()) << list;
  const std::string bsn = std::string(9 - erased.size(), '0') + erased;
  const std::string addresses =
      absl::StrCat(" --intake-address=", Address(kIntake), " --analysis-address=", Address(kAnalysis),
                   " --dispatch-address=", Address(kDispatch), " --campaign-address=", Address(kCampaign));
  for (const char* mode : {" --dry-run", ""}) {
    ChildProcess erase({"/bin/sh", "-c",
                        absl::StrCat(CLI_BINARY, " --as=emp-6006 --roles=privacy_officer subject-erase --bsn=", bsn,
                                     " --reason='Verzoek tot verwijdering VZ-1'", mode, addresses, " 1>&2")});
    const std::string said = erase.ReadAll();
    ASSERT_EQ(erase.Wait(), 0) << said;
    EXPECT_NE(said.find("analysis-svc: \n  - Uw klantgegevens"), std::string::npos) << said;
    EXPECT_NE(said.find("dispatch-svc: \n  - Verzendingen"), std::string::npos) << said;
    EXPECT_EQ(said.find(bsn), std::string::npos) << said;
  }
  const std::string log_id =
      common::DataSubjectHasher::Create("an-end-to-end-hash-key-of-32-bytes-or-more")->Hash(*common::Bsn::Parse(bsn));
  for (Svc s : {kIntake, kAnalysis, kDispatch, kCampaign}) {
    const std::string& n = schemas_[s]->name();
    for (absl::string_view table : absl::StrSplit(
             Query(s, "SELECT string_agg(tablename, ',') FROM pg_tables WHERE schemaname = '" + n + "'"), ',')) {
      const std::string t = absl::StrCat(n, ".", table);
      EXPECT_EQ(Query(s, "SELECT count(*) FROM " + t + " x WHERE x::text ~ '(^|[^0-9])0*" + erased + "([^0-9]|$)'"),
                "0")
          << t;
      if (absl::StartsWith(table, "processing_log")) continue;  // (the log keeps its hashed entries)
      EXPECT_EQ(Query(s, "SELECT count(*) FROM " + t + " x WHERE strpos(x::text, '" + log_id + "') > 0"), "0") << t;
    }
  }
  EXPECT_GT(Count(kAnalysis, "processing_log WHERE name = 'privacy.EraseSubjectData'"), 0);
  ChildProcess import({"/bin/sh", "-c",
                       absl::StrCat(CLI_BINARY, " --as=emp-4004 --roles=administrator --address=", Address(kAnalysis),
                                    " import --dataset=customers --file=customers.csv 1>&2")});
  const std::string imported = import.ReadAll();
  ASSERT_EQ(import.Wait(), 0) << imported;
  EXPECT_NE(imported.find("1 skipped (1 ERASED)"), std::string::npos) << imported;
  EXPECT_EQ(Query(kAnalysis, "SELECT count(*) FROM " + a + ".customers_v" +
                                 Query(kAnalysis, "SELECT customers_version FROM " + a +
                                                      ".snapshots ORDER BY version DESC LIMIT 1") +
                                 " WHERE bsn = " + erased),
            "0");

  // Retention that cascades: two more people are erased in analysis-svc alone (a contacted
  // customer, and a customer the signal names as an example); intake-svc and dispatch-svc learn
  // it from analysis-svc's removal feed in their purge jobs: a dry run first, then the purge.
  const std::string customer = Query(
      kAnalysis, "SELECT lpad(bsn::text, 9, '0') FROM " + a + ".recipient_list_members WHERE list_id = '" +
                     Query(kDispatch, "SELECT recipient_list FROM " + d + ".orders ORDER BY create_time DESC LIMIT 1") +
                     "' ORDER BY position LIMIT 1");
  const std::string named = Query(kIntake, "SELECT example_customers[1] FROM " + schemas_[kIntake]->name() +
                                               ".signals WHERE example_customer_count > 0 ORDER BY id LIMIT 1");
  ASSERT_EQ(customer.size(), 9u) << customer;
  ASSERT_EQ(named.size(), 9u) << named;
  auto analysis_subjects =
      privacy::DataSubjectService::NewStub(common::testing::LocalChannel(proxies_[kAnalysis]->port()));
  for (const std::string& person : {customer, named}) {
    privacy::EraseSubjectDataRequest req;
    req.set_bsn(person);
    req.set_reason("Verzoek tot verwijdering VZ-2");
    privacy::ErasureAnswer answer;
    grpc::Status st = analysis_subjects->EraseSubjectData(
        ContextFor(TestCaller{"emp-6006", {"privacy_officer"}, false}).get(), req, &answer);
    ASSERT_TRUE(st.ok()) << st.error_message();
  }
  const std::string removed_id = common::DataSubjectHasher::Create("an-end-to-end-hash-key-of-32-bytes-or-more")
                                     ->Hash(*common::Bsn::Parse(customer));
  const std::string items_of_removed = "items WHERE data_subject_id = '" + removed_id + "'";
  const std::string signals_naming = "signals WHERE '" + named + "' = ANY (example_customers)";
  ASSERT_GT(Count(kDispatch, items_of_removed), 0);
  ASSERT_EQ(Count(kIntake, signals_naming), 1);
  // A purge job of `s`: its output and exit code.
  auto purge_job = [&](Svc s, bool dry_run) {
    std::vector<std::string> args = Args(s);
    args.push_back("--purge");
    if (dry_run) args.push_back("--dry-run");
    if (s == kIntake) {
      args.insert(args.end(),
                  {"--analysis-address=" + Address(kAnalysis), "--analysis-token-file=" + dir_ + "/intake.token"});
    }
    ChildProcess job(args);
    std::string out = job.ReadAll();
    return std::make_pair(job.Wait(), out);
  };
  // (The feed serves a removal once its transaction is older than any still running: a dry run
  // is repeated until it sees both.)
  for (const auto& [s, expected] : {std::pair<Svc, std::string>{kDispatch, "\"customers_with_items\":1"},
                                    std::pair<Svc, std::string>{kIntake, "\"customers_named\":1"}}) {
    std::string out;
    for (int attempt = 0; attempt < 150 && out.find(expected) == std::string::npos; ++attempt) {
      if (attempt > 0) absl::SleepFor(absl::Milliseconds(200));
      auto [code, said] = purge_job(s, /*dry_run=*/true);
      ASSERT_EQ(code, 0) << said;
      out = said;
    }
    EXPECT_NE(out.find(expected), std::string::npos) << out;
  }
  EXPECT_GT(Count(kDispatch, items_of_removed), 0);  // the dry runs changed nothing
  EXPECT_EQ(Count(kIntake, signals_naming), 1);
  for (Svc s : {kDispatch, kIntake}) {
    auto [code, out] = purge_job(s, false);
    ASSERT_EQ(code, 0) << out;
    EXPECT_NE(out.find("\"event\":\"follow_removals_done\",\"dry_run\":false"), std::string::npos) << out;
  }
  EXPECT_EQ(Count(kDispatch, items_of_removed), 0);
  EXPECT_EQ(Count(kIntake, signals_naming), 0);
  // campaign-svc holds no personal data of its own: its dry run reports the processing log's part.
  {
    auto [code, out] = purge_job(kCampaign, /*dry_run=*/true);
    ASSERT_EQ(code, 0) << out;
    EXPECT_NE(out.find("\"event\":\"purge_processing_log_done\",\"dry_run\":true,\"entries\":0,\"held_for_logbook\":"),
              std::string::npos)
        << out;
  }
  EXPECT_EQ(Count(kDispatch, "processing_log WHERE name = 'dispatch.FollowSubjectRemovals' AND data_subject_id = '" +
                                 removed_id + "'"),
            1);
  EXPECT_EQ(
      Count(kIntake, "processing_log WHERE name = 'intake.FollowSubjectRemovals' AND data_subject_id IS NOT NULL"), 1);
  EXPECT_EQ(Count(kIntake, "removal_feed_position"), 1);
}

TEST_F(EndToEndTest, DispatchDownDuringReleaseThenBackDeliversEachOrderOnce) {
  std::string out;
  ASSERT_EQ(RunFlow({"--until=approved"}, &out), 0) << out;
  const std::string campaign = ResultValue(out, "campaign");
  ASSERT_FALSE(campaign.empty()) << out;
  const cpb::Campaign approved = GetCampaign(campaign);
  ASSERT_EQ(approved.state(), cpb::CAMPAIGN_STATE_APPROVED);

  processes_[kDispatch]->Signal(SIGKILL);
  processes_[kDispatch]->Wait();
  cpb::ReleaseCampaignRequest release;
  release.set_campaign(campaign);
  cpb::Campaign released;
  CAK_ASSERT_GRPC_OK(campaigns_->ReleaseCampaign(ContextFor(kApprover).get(), release, &released));
  EXPECT_EQ(released.state(), cpb::CAMPAIGN_STATE_RELEASED);
  // The relay tries each group's order and fails (each attempt includes the peer channel's own
  // retries, so this takes a few seconds, longer on a busy machine): wait until every contacted
  // group shows its error, at most 60 s.
  const auto all_tried = [](const cpb::Campaign& c) {
    for (const auto& g : c.groups()) {
      if (g.action() != cpb::ACTION_NONE && g.order_error().empty()) return false;
    }
    return true;
  };
  cpb::Campaign pending = GetCampaign(campaign);
  for (const absl::Time until = absl::Now() + absl::Seconds(60); !all_tried(pending) && absl::Now() < until;) {
    absl::SleepFor(absl::Milliseconds(200));
    pending = GetCampaign(campaign);
  }
  for (const auto& g : pending.groups()) {
    if (g.action() == cpb::ACTION_NONE) continue;
    EXPECT_EQ(g.order_delivery(), cpb::ORDER_DELIVERY_PENDING) << g.group();
    EXPECT_THAT(g.order_error(), ::testing::HasSubstr("UNAVAILABLE")) << g.group();
  }

  ASSERT_TRUE(StartService(kDispatch));
  const cpb::Campaign delivered = AwaitOrders(campaign, absl::Seconds(60));
  std::set<std::string> orders;
  for (const auto& g : delivered.groups()) {
    if (g.action() == cpb::ACTION_NONE) continue;
    EXPECT_EQ(g.order_delivery(), cpb::ORDER_DELIVERY_CREATED) << g.group() << " " << g.order_error();
    orders.insert(g.dispatch_order());
  }
  EXPECT_EQ(Count(kDispatch, "orders"), static_cast<int64_t>(orders.size()));

  // Released again: the same orders, nothing new anywhere.
  cpb::Campaign again;
  CAK_ASSERT_GRPC_OK(campaigns_->ReleaseCampaign(ContextFor(kApprover).get(), release, &again));
  for (int i = 0; i < again.groups_size(); ++i) {
    EXPECT_EQ(again.groups(i).dispatch_order(), delivered.groups(i).dispatch_order());
  }
  absl::SleepFor(absl::Seconds(1));
  EXPECT_EQ(Count(kDispatch, "orders"), static_cast<int64_t>(orders.size()));
  // The relay retried; the signal went to ACTION_PLANNED once.
  EXPECT_GT(Count(kCampaign, "outbox WHERE topic = 'dispatch.CreateDispatchOrder' AND attempts > 1"), 0);
  EXPECT_EQ(Count(kIntake, "signals WHERE state = 4"), 1);
}

TEST_F(EndToEndTest, CampaignSvcKilledBetweenTheReleaseCommitAndTheCallLosesNoOrder) {
  std::string out;
  ASSERT_EQ(RunFlow({"--until=approved"}, &out), 0) << out;
  const std::string campaign = ResultValue(out, "campaign");
  ASSERT_FALSE(campaign.empty()) << out;
  // A replica without a relay commits the release; it dies before anything is delivered.
  processes_[kCampaign]->Signal(SIGTERM);
  processes_[kCampaign]->Wait();
  ASSERT_TRUE(StartService(kCampaign, {"--outbox-threads=0"}));
  cpb::ReleaseCampaignRequest release;
  release.set_campaign(campaign);
  cpb::Campaign released;
  CAK_ASSERT_GRPC_OK(campaigns_->ReleaseCampaign(ContextFor(kApprover).get(), release, &released));
  processes_[kCampaign]->Signal(SIGKILL);
  processes_[kCampaign]->Wait();
  EXPECT_EQ(Count(kDispatch, "orders"), 0);
  const int64_t messages = Count(kCampaign, "outbox WHERE state = 'PENDING'");
  EXPECT_GE(messages, 2);  // the orders and the signal's ACTION_PLANNED

  ASSERT_TRUE(StartService(kCampaign));
  const cpb::Campaign delivered = AwaitOrders(campaign, absl::Seconds(60));
  int contacted = 0;
  for (const auto& g : delivered.groups()) {
    if (g.action() == cpb::ACTION_NONE) continue;
    ++contacted;
    EXPECT_EQ(g.order_delivery(), cpb::ORDER_DELIVERY_CREATED) << g.group() << " " << g.order_error();
  }
  EXPECT_EQ(Count(kDispatch, "orders"), contacted);
  EXPECT_EQ(Count(kCampaign, "outbox WHERE attempts <> 1 OR state <> 'DONE'"), 0);
}

TEST_F(EndToEndTest, TheDesignerCannotApproveAndADeclineInIntakeStopsTheFlow) {
  std::string out;
  ASSERT_EQ(RunFlow({"--until=submitted"}, &out), 0) << out;
  const std::string campaign = ResultValue(out, "campaign");
  const std::string signal = ResultValue(out, "signal");
  ASSERT_FALSE(campaign.empty()) << out;

  cpb::ApproveCampaignRequest approve;
  approve.set_campaign(campaign);
  cpb::Campaign ignored;
  EXPECT_THAT(campaigns_->ApproveCampaign(ContextFor(kDesignerApprover).get(), approve, &ignored),
              GrpcStatusIs(grpc::StatusCode::PERMISSION_DENIED, "FOUR_EYES_VIOLATION", ""));
  cpb::Campaign approved;
  CAK_ASSERT_GRPC_OK(campaigns_->ApproveCampaign(ContextFor(kApprover).get(), approve, &approved));

  // Meanwhile intake declines the signal: no action will follow.
  ipb::DeclineSignalRequest decline;
  decline.set_name(signal);
  decline.set_reason(ipb::DECLINE_REASON_DUPLICATE);
  decline.set_feedback("Deze melding is al eerder gedaan; wij verwerken haar onder de eerdere melding.");
  ipb::Signal declined;
  CAK_ASSERT_GRPC_OK(intake_->DeclineSignal(ContextFor(kIntakeOfficer).get(), decline, &declined));

  cpb::ReleaseCampaignRequest release;
  release.set_campaign(campaign);
  EXPECT_THAT(campaigns_->ReleaseCampaign(ContextFor(kApprover).get(), release, &ignored),
              GrpcStatusIs(grpc::StatusCode::FAILED_PRECONDITION, "SIGNAL_NOT_OPEN", "campaign"));
  EXPECT_EQ(GetCampaign(campaign).state(), cpb::CAMPAIGN_STATE_APPROVED);
  EXPECT_EQ(Count(kCampaign, "outbox"), 0);
  absl::SleepFor(absl::Milliseconds(500));
  EXPECT_EQ(Count(kDispatch, "orders"), 0);

  // The reporter sees the decline with its feedback.
  ipb::GetSignalRequest get;
  get.set_name(signal);
  ipb::Signal seen;
  CAK_ASSERT_GRPC_OK(intake_->GetSignal(ContextFor(kIntakeOfficer).get(), get, &seen));
  EXPECT_EQ(seen.state(), ipb::SIGNAL_STATE_NO_ACTION);
  EXPECT_NE(seen.DebugString().find("eerdere melding"), std::string::npos);

  cpb::CancelCampaignRequest cancel;
  cancel.set_campaign(campaign);
  cancel.set_reason("De melding is afgewezen als dubbel.");
  cpb::Campaign cancelled;
  CAK_ASSERT_GRPC_OK(campaigns_->CancelCampaign(ContextFor(kDesigner).get(), cancel, &cancelled));
  EXPECT_EQ(cancelled.state(), cpb::CAMPAIGN_STATE_CANCELLED);
}

}  // namespace
}  // namespace cak::e2e

namespace cak::e2e {
namespace {

TEST_F(EndToEndTest, EveryProcessingLogEntryReachesTheLogbookExactlyOnce) {
  // The logbook is away for the whole information action ...
  logbook_proxy_->SetTarget("127.0.0.1", 1);
  std::string out;
  ASSERT_EQ(RunFlow({}, &out), 0) << out;
  for (Svc s : {kIntake, kAnalysis, kDispatch, kCampaign}) EXPECT_GT(PendingExport(s), 0) << s;
  // The action is one trace, its signal's: the flow's calls, what the services did for them,
  // and the work asked for from other traces (executors, relays, batch workers) all in it.
  const std::string trace = ResultValue(out, "trace");
  ASSERT_EQ(trace.size(), 32u) << out;
  const std::string signal = ResultValue(out, "signal");
  ASSERT_FALSE(signal.empty()) << out;
  EXPECT_EQ(
      Query(kIntake, absl::StrCat("SELECT split_part(action_traceparent, '-', 2) FROM ", schemas_[kIntake]->name(),
                                  ".signals WHERE id = CAST('", signal.substr(signal.find('/') + 1), "' AS uuid)")),
      trace);
  for (Svc s : {kIntake, kAnalysis, kDispatch, kCampaign}) {
    EXPECT_GT(Count(s, absl::StrCat("processing_log WHERE trace_id = decode('", trace, "', 'hex')")), 0) << s;
    // Nothing of the action outside it (the privacy officer's reading of the log and the
    // customer's objection are no part of the action: traces of their own).
    EXPECT_EQ(Count(s, absl::StrCat("processing_log WHERE trace_id <> decode('", trace,
                                    "', 'hex') AND name NOT IN ('processinglog.ListProcessingLogEntries',"
                                    " 'privacy.RecordObjection')")),
              0)
        << s;
  }
  for (const char* name : {"campaign.PreviewMessage", "campaign.ReleaseCampaign", "dispatch.DeliverBatch",
                           "dispatch.ReportOutcomes", "analysis.FreezeRecipientList", "analysis.MeasureResponse"}) {
    const Svc s = absl::StartsWith(name, "campaign.")   ? kCampaign
                  : absl::StartsWith(name, "dispatch.") ? kDispatch
                                                        : kAnalysis;
    EXPECT_GT(
        Count(s, absl::StrCat("processing_log WHERE name = '", name, "' AND trace_id = decode('", trace, "', 'hex')")),
        0)
        << name;
  }
  // The privacy officer reads the whole action by its signal: one tree from the four services.
  {
    ChildProcess log({"/bin/sh", "-c",
                      absl::StrCat(CLI_BINARY, " --as=emp-6006 --roles=privacy_officer log --signal=", signal,
                                   " --intake-address=", Address(kIntake), " --analysis-address=", Address(kAnalysis),
                                   " --dispatch-address=", Address(kDispatch),
                                   " --campaign-address=", Address(kCampaign), " 1>&2")});
    const std::string tree = log.ReadAll();
    EXPECT_EQ(log.Wait(), 0) << tree;
    for (const char* op : {"intake-svc intake.SubmitSignal", "analysis-svc analysis.FreezeRecipientList",
                           "campaign-svc campaign.ReleaseCampaign", "dispatch-svc dispatch.ReportOutcomes",
                           "analysis-svc analysis.MeasureResponse", "from 4 services"}) {
      EXPECT_NE(tree.find(op), std::string::npos) << op << "\n" << tree;
    }
  }
  // An access request (GDPR art. 15) of a contacted customer: one report of the four services.
  {
    const std::string list = Query(kDispatch, "SELECT recipient_list FROM " + schemas_[kDispatch]->name() +
                                                  ".orders ORDER BY create_time LIMIT 1");
    const std::string bsn =
        Query(kAnalysis, "SELECT lpad(bsn::text, 9, '0') FROM " + schemas_[kAnalysis]->name() +
                             ".recipient_list_members WHERE list_id = '" + list + "' ORDER BY position LIMIT 1");
    ASSERT_EQ(bsn.size(), 9u) << list;
    const std::string out = dir_ + "/reports";
    ChildProcess access({"/bin/sh", "-c",
                         absl::StrCat(CLI_BINARY, " --as=emp-6006 --roles=privacy_officer subject-access --bsn=", bsn,
                                      " --intake-address=", Address(kIntake), " --analysis-address=",
                                      Address(kAnalysis), " --dispatch-address=", Address(kDispatch),
                                      " --campaign-address=", Address(kCampaign), " --out=", out, " 1>&2")});
    const std::string summary = access.ReadAll();
    ASSERT_EQ(access.Wait(), 0) << summary;
    EXPECT_EQ(summary.find(bsn), std::string::npos) << summary;  // masked only
    for (const char* held : {"analysis-svc  customer 1", "dispatch-svc  deliveries 1", "written: "}) {
      EXPECT_NE(summary.find(held), std::string::npos) << held << "\n" << summary;
    }
    std::vector<std::filesystem::path> files;
    for (const auto& f : std::filesystem::directory_iterator(out)) files.push_back(f.path());
    ASSERT_EQ(files.size(), 2u);
    for (const auto& f : files) {
      std::ifstream in(f);
      const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      if (f.extension() == ".json") {
        // Named by the masked BSN; the copy of the customer record holds the BSN itself.
        const nlohmann::json report = nlohmann::json::parse(text);
        EXPECT_EQ(report["subject"], "*****" + bsn.substr(5));
        ASSERT_EQ(report["services"].size(), 4u);
        const auto& customer = report["services"][1]["categories"][0]["records"][0];  // fields in order
        EXPECT_EQ(customer[0]["name"], "bsn");
        EXPECT_EQ(customer[0]["value"], bsn);
        std::set<std::string> history;
        for (const auto& e : report["processing_history"]) history.insert(e["service"].get<std::string>());
        for (const char* s : {"analysis-svc", "dispatch-svc"}) EXPECT_EQ(history.count(s), 1u) << s;
      } else {
        EXPECT_NE(text.find("Inzage in uw gegevens"), std::string::npos);
        EXPECT_NE(text.find("Actie uitvoeren (stap 8)"), std::string::npos);
      }
    }
  }
  // ... comes back, and dispatch-svc is killed as its export resumes, then started again.
  logbook_proxy_->SetTarget("127.0.0.1", logbook_port_);
  absl::SleepFor(absl::Milliseconds(300));
  processes_[kDispatch]->Signal(SIGKILL);
  processes_[kDispatch]->Wait();
  ASSERT_TRUE(StartService(kDispatch));

  const absl::Time until = absl::Now() + absl::Seconds(90);
  for (Svc s : {kIntake, kAnalysis, kDispatch, kCampaign}) {
    while (PendingExport(s) != 0 && absl::Now() < until) absl::SleepFor(absl::Milliseconds(200));
    ASSERT_EQ(PendingExport(s), 0) << "service " << s << " did not catch up";
  }

  // Every entry and every subject row (own or referenced) of every schema, once, in its service's file.
  const char* const kResources[] = {"intake-svc", "analysis-svc", "dispatch-svc", "campaign-svc"};
  for (Svc s : {kIntake, kAnalysis, kDispatch, kCampaign}) {
    const std::string& n = schemas_[s]->name();
    const std::map<std::string, int> ops = LogbookOperations(kResources[s]);
    for (const auto& [id, times] : ops) EXPECT_EQ(times, 1) << kResources[s] << " " << id;
    const int64_t entries = Count(s, "processing_log"), subjects = Count(s, "processing_log_all_subjects");
    EXPECT_EQ(static_cast<int64_t>(ops.size()), entries + subjects) << kResources[s];
    const std::string missing =
        Query(s, absl::StrCat(
                     "SELECT count(*) FROM ", n, ".processing_log WHERE encode(trace_id, 'hex') ||",
                     " encode(span_id, 'hex') NOT IN (",
                     [&] {
                       std::string list = "''";
                       for (const auto& [id, times] : ops) absl::StrAppend(&list, ",'", id, "'");
                       return list;
                     }(),
                     ")"));
    EXPECT_EQ(missing, "0") << kResources[s] << ": entries the logbook never got";
  }
}

}  // namespace
}  // namespace cak::e2e
