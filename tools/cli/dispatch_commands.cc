// dispatch-svc commands (see dispatch_commands.h).
#include "cli/dispatch_commands.h"
#include "cli/output.h"

#include <cstdio>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "cak/voorlichting/analysis/v1/analysis_service.grpc.pb.h"
#include "cak/voorlichting/dispatch/v1/dispatch_service.grpc.pb.h"

namespace cak::cli {

namespace apb = cak::voorlichting::analysis::v1;
namespace pb = cak::voorlichting::dispatch::v1;

namespace {

pb::CreateExecutorRequest Executor(const std::string& id, pb::Channel channel, const std::string& identity,
                                   int64_t per_day) {
  pb::CreateExecutorRequest req;
  req.set_request_id(absl::StrCat("demo-executor-", id));
  req.set_executor_id(id);
  pb::Executor* e = req.mutable_executor();
  e->set_display_name(id == "repro" ? "Repro (print en post)" : id == "kcc" ? "KCC (klantcontactcentrum)" : "Dataverkeer");
  e->set_channel(channel);
  e->set_identity(identity);
  e->set_location_country("NL");
  e->set_delivery_method(pb::DELIVERY_METHOD_FILES);
  e->mutable_calendar()->set_items_per_day(per_day);
  e->mutable_calendar()->set_lead_time_days(1);
  for (int d = 1; d <= 5; ++d) e->mutable_calendar()->add_working_days(static_cast<pb::Weekday>(d));
  return req;
}

}  // namespace

int DispatchDemo(const Client& client, const Args& args) {
  const Caller admin{"", "emp-4004", {"administrator"}, false};
  const Caller analyst{"", "emp-2002", {"analyst"}, false};
  const Caller campaign{"", "campaign-svc", {"campaign_service"}, true};
  const Caller repro{"", "repro.executors.cak.nl", {"executor"}, true};
  const Caller analysis_svc{"", "analysis-svc", {"analysis_service"}, true};
  auto stub = pb::DispatchService::NewStub(client.channel());
  auto executor_stub = pb::ExecutorService::NewStub(client.channel());
  auto analysis = apb::AnalysisService::NewStub(
      grpc::CreateChannel(args.Get("analysis-address"), grpc::InsecureChannelCredentials()));
  auto check = [](const grpc::Status& st, const std::string& what) {
    if (!st.ok()) std::printf("  %s -> %s\n", what.c_str(), DescribeError(st).c_str());
    return st.ok();
  };
  const std::string stamp = absl::StrCat(absl::ToUnixSeconds(absl::Now()));
  const absl::CivilDay today = absl::ToCivilDay(absl::Now(), absl::LocalTimeZone());

  Step(1, "Register the executors: repro (letters), KCC (calls), dataverkeer (contact moments), all in the EU");
  for (auto req : {Executor("repro", pb::CHANNEL_LETTER, "repro.executors.cak.nl", 2000),
                   Executor("kcc", pb::CHANNEL_CALL, "kcc.executors.cak.nl", 400),
                   Executor("dataverkeer", pb::CHANNEL_CONTACT_MOMENT, "dataverkeer.executors.cak.nl", 5000)}) {
    pb::Executor e;
    const grpc::Status st = stub->CreateExecutor(client.Context(admin).get(), req, &e);
    if (st.error_code() == grpc::StatusCode::ALREADY_EXISTS) {
      std::printf("  executors/%s is already registered\n", req.executor_id().c_str());
    } else if (check(st, "register")) {
      std::printf("  %-22s %-15s %s, %lld a day, Monday-Friday, lead time 1 working day%s\n", e.name().c_str(),
                  pb::Channel_Name(e.channel()).c_str(), e.location_country().c_str(),
                  static_cast<long long>(e.calendar().items_per_day()), e.replayed() ? " (replayed)" : "");
    }
  }
  auto outside = Executor("printer-us", pb::CHANNEL_LETTER, "printer.example.com", 1000);
  outside.mutable_executor()->set_location_country("US");
  pb::Executor ignored;
  check(stub->CreateExecutor(client.Context(admin).get(), outside, &ignored), "an executor in the US");

  Step(2, "A frozen recipient list from analysis-svc: customers with a legal representative");
  apb::DefineTargetGroupsRequest define;
  define.set_request_id("dispatch-demo-groups-" + stamp);
  define.set_signal("signals/5b7f2f0e-2a43-4d7e-8c57-2f3a9d1b6e01");
  auto* g = define.add_groups();
  g->set_name("vertegenwoordigd");
  g->mutable_criteria()->mutable_predicate()->set_has_representative(true);
  apb::TargetGroupSet set;
  if (!check(analysis->DefineTargetGroups(client.Context(analyst).get(), define, &set), "define")) return 1;
  apb::FreezeRecipientListRequest freeze;
  freeze.set_request_id("dispatch-demo-freeze-" + stamp);
  freeze.set_target_group_set(set.name());
  freeze.set_group("vertegenwoordigd");
  apb::RecipientList list;
  if (!check(analysis->FreezeRecipientList(client.Context(analyst).get(), freeze, &list), "freeze")) return 1;
  std::printf("  %s: %lld members (snapshot %lld)\n", list.name().c_str(), static_cast<long long>(list.member_count()),
              static_cast<long long>(list.snapshot_version()));

  Step(3, "Step 7: can repro print them in the coming four weeks? The executor signs the answer off");
  pb::CheckFeasibilityRequest feas;
  feas.set_request_id("dispatch-demo-feasibility-" + stamp);
  feas.set_channel(pb::CHANNEL_LETTER);
  feas.set_volume(list.member_count());
  SetDay(today + 1, feas.mutable_window_start());
  SetDay(today + 28, feas.mutable_window_end());
  feas.set_campaign("campaigns/demo");
  pb::FeasibilityCheck answer;
  if (!check(stub->CheckFeasibility(client.Context(campaign).get(), feas, &answer), "feasibility")) return 1;
  std::printf("  feasible: %s; earliest start %s; spread:", answer.feasible() ? "yes" : "no",
              Day(answer.earliest_start()).c_str());
  for (const auto& d : answer.spread()) std::printf(" %s=%lld", Day(d.date()).c_str(), static_cast<long long>(d.count()));
  std::printf("\n");
  for (const auto& r : answer.reasons()) std::printf("  - %s\n", r.c_str());
  pb::ConfirmFeasibilityRequest confirm;
  confirm.set_name(answer.name());
  confirm.set_comment("Akkoord, papier is op voorraad.");
  if (!check(executor_stub->ConfirmFeasibility(client.Context(repro).get(), confirm, &answer), "sign-off")) return 1;
  std::printf("  %s: %s by %s\n", answer.name().c_str(), pb::FeasibilityState_Name(answer.state()).c_str(),
              answer.decided_by().c_str());

  Step(4, "Step 8: the dispatch order (as campaign-svc creates it on release)");
  pb::CreateDispatchOrderRequest order_req;
  order_req.set_request_id("dispatch-demo-order-" + stamp);
  pb::DispatchOrder* o = order_req.mutable_order();
  o->set_campaign("campaigns/5b3f7c1e-1111-4c1a-9a55-2f4a1c0de001");
  o->set_target_group("vertegenwoordigd");
  o->set_recipient_list(list.name());
  o->set_channel(pb::CHANNEL_LETTER);
  o->mutable_message()->set_reference("campaigns/demo/messages/1/versions/1");
  o->mutable_message()->set_text(
      "{aanhef},\n\nU ontvangt deze brief als wettelijk vertegenwoordiger van {naam}. De factuur van {datum} bevatte "
      "een verkeerd bedrag; het juiste bedrag is {bedrag}.\n\nMet vriendelijke groet,\nCAK (kenmerk {kenmerk})");
  o->set_guidelines("Standaard envelop, geen bijlagen.");
  (*o->mutable_values())["bedrag"] = "€ 12,50";
  (*o->mutable_values())["kenmerk"] = "VK-2026-017";
  *o->mutable_window_start() = feas.window_start();
  *o->mutable_window_end() = feas.window_end();
  o->set_feasibility_check(answer.name());
  pb::CreateDispatchOrderRequest bad = order_req;
  bad.set_request_id("dispatch-demo-bad-" + stamp);
  bad.mutable_order()->mutable_message()->set_text("{aanhef}, uw IBAN is {iban}");
  pb::DispatchOrder order;
  check(stub->CreateDispatchOrder(client.Context(campaign).get(), bad, &order), "a message asking for {iban}");
  if (!check(stub->CreateDispatchOrder(client.Context(campaign).get(), order_req, &order), "order")) return 1;
  std::printf("  %s: %lld recipients in %d batches\n", order.name().c_str(),
              static_cast<long long>(order.recipient_count()), order.batch_count());
  for (int i = 0; i < 300 && order.state() == pb::ORDER_STATE_GENERATING; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    pb::GetDispatchOrderRequest get;
    get.set_name(order.name());
    if (!check(stub->GetDispatchOrder(client.Context(campaign).get(), get, &order), "get order")) return 1;
  }
  std::printf("  state %s, %d of %d batches written\n", pb::OrderState_Name(order.state()).c_str(),
              order.batches_written(), order.batch_count());
  pb::ListBatchesRequest lb;
  lb.set_parent(order.name());
  pb::ListBatchesResponse batches;
  if (!check(stub->ListBatches(client.Context(campaign).get(), lb, &batches), "batches")) return 1;
  const std::string dir = args.Get("delivery-dir", "<delivery dir>");
  for (const auto& b : batches.batches()) {
    std::printf("  batch %s  %s  items %lld  sha256 %.16s...\n    %s/%s\n    %s/%s\n", b.name().substr(b.name().rfind('/') + 1).c_str(),
                Day(b.planned_date()).c_str(), static_cast<long long>(b.item_count()), b.sha256().c_str(), dir.c_str(),
                b.data_file().c_str(), dir.c_str(), b.manifest_file().c_str());
  }

  Step(5, "Repro pulls its open batches, takes one over and reports outcomes");
  pb::ListOpenBatchesResponse open;
  if (!check(executor_stub->ListOpenBatches(client.Context(repro).get(), pb::ListOpenBatchesRequest(), &open), "open")) {
    return 1;
  }
  std::printf("  %d open batch(es) for repro\n", open.batches_size());
  if (open.batches_size() > 0) {
    const pb::Batch batch = open.batches(0);
    pb::StreamBatchItemsRequest sreq;
    sreq.set_batch(batch.name());
    auto ctx = client.Context(repro);
    auto reader = executor_stub->StreamBatchItems(ctx.get(), sreq);
    pb::StreamBatchItemsResponse items;
    int64_t n = 0;
    std::vector<int64_t> positions;
    while (reader->Read(&items)) {
      for (const auto& it : items.items()) {
        if (n++ == 0) {
          std::printf("  first item %lld, to %s, %s:\n    %s\n", static_cast<long long>(it.position()),
                      it.address().postcode().c_str(), it.address().city().c_str(),
                      it.text().substr(0, it.text().find('\n')).c_str());
        }
        if (positions.size() < 3) positions.push_back(it.position());
      }
    }
    check(reader->Finish(), "stream");
    std::printf("  %lld items pulled\n", static_cast<long long>(n));
    pb::AcknowledgeBatchRequest ack;
    ack.set_batch(batch.name());
    pb::Batch acked;
    check(executor_stub->AcknowledgeBatch(client.Context(repro).get(), ack, &acked), "acknowledge");
    pb::ReportOutcomesRequest report;
    report.set_request_id("dispatch-demo-outcomes-" + stamp);
    report.set_batch(batch.name());
    for (size_t i = 0; i < positions.size(); ++i) {
      auto* oc = report.add_outcomes();
      oc->set_position(positions[i]);
      oc->set_outcome(i == 2 ? pb::OUTCOME_LETTER_RETURNED_UNDELIVERABLE : pb::OUTCOME_LETTER_PRINTED);
      oc->mutable_outcome_time()->set_seconds(absl::ToUnixSeconds(absl::Now()) - 60);
    }
    pb::ReportOutcomesRequest wrong = report;
    wrong.set_request_id("dispatch-demo-wrong-" + stamp);
    wrong.mutable_outcomes(0)->set_position(batch.last_position() + 1);
    pb::ReportOutcomesResponse stored;
    check(executor_stub->ReportOutcomes(client.Context(repro).get(), wrong, &stored), "an outcome outside the batch");
    if (check(executor_stub->ReportOutcomes(client.Context(repro).get(), report, &stored), "outcomes")) {
      std::printf("  %lld outcomes stored\n", static_cast<long long>(stored.stored()));
    }
  }

  Step(6, "Outcomes as analysis-svc reads them for response measurement (by list position, never a BSN)");
  pb::ListOutcomesRequest lo;
  lo.set_order(order.name());
  pb::ListOutcomesResponse outcomes;
  if (check(stub->ListOutcomes(client.Context(analysis_svc).get(), lo, &outcomes), "outcomes")) {
    for (const auto& oc : outcomes.outcomes()) {
      std::printf("  %s position %lld: %s\n", oc.recipient_list().c_str(), static_cast<long long>(oc.position()),
                  pb::Outcome_Name(oc.outcome()).c_str());
    }
  }
  return 0;
}

}  // namespace cak::cli
