// Shared benchmark pieces (see bench_services.h).
#include "bench/bench_services.h"

#include <signal.h>

#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/clock.h"
#include "bench/bench_support.h"
#include "common/grpc/type_convert.h"

namespace cak::bench {

namespace apb = cak::voorlichting::analysis::v1;
namespace dpb = cak::voorlichting::dispatch::v1;

apb::Criteria ImpactCriteria() {
  apb::Criteria c;
  auto* all = c.mutable_all();
  *all->add_items() = Regulations({apb::REGULATION_WLZ, apb::REGULATION_WMO});
  all->add_items()->mutable_predicate()->mutable_age_between()->set_min_years(65);
  auto* any = all->add_items()->mutable_any();
  any->add_items()->mutable_predicate()->mutable_debt_between()->set_min_cents(1);
  any->add_items()->mutable_predicate()->set_has_representative(true);
  all->add_items()->mutable_not_()->mutable_predicate()->mutable_contacted_within()->set_days(30);
  return c;
}

apb::DefineTargetGroupsRequest BenchGroup() {
  apb::DefineTargetGroupsRequest define;
  define.set_signal("signals/5b7f2f0e-2a43-4d7e-8c57-2f3a9d1b6e01");
  auto* g = define.add_groups();
  g->set_name("bench");
  auto* any = g->mutable_criteria()->mutable_any();
  *any->add_items() = Regulations({apb::REGULATION_WANBETALERS, apb::REGULATION_ONVERZEKERDEN});
  auto* wlz_rep = any->add_items()->mutable_all();
  *wlz_rep->add_items() = Regulations({apb::REGULATION_WLZ});
  wlz_rep->add_items()->mutable_predicate()->set_has_representative(true);
  return define;
}

dpb::CreateExecutorRequest LetterExecutor() {
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
  return exec;
}

dpb::CreateDispatchOrderRequest LetterOrder(const std::string& recipient_list, const std::string& request_id) {
  dpb::CreateDispatchOrderRequest req;
  req.set_request_id(request_id);
  dpb::DispatchOrder* o = req.mutable_order();
  o->set_campaign("campaigns/5b3f7c1e-1111-4c1a-9a55-2f4a1c0de001");
  o->set_target_group("bench");
  o->set_recipient_list(recipient_list);
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
  return req;
}

dpb::DispatchOrder AwaitOrder(dpb::DispatchService::Stub& dispatch, dpb::DispatchOrder order,
                              const common::testing::TestCaller& caller, absl::Duration limit) {
  const absl::Time until = absl::Now() + limit;
  while (order.state() == dpb::ORDER_STATE_GENERATING) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    dpb::GetDispatchOrderRequest get;
    get.set_name(order.name());
    if (grpc::Status st = dispatch.GetDispatchOrder(common::testing::ContextFor(caller).get(), get, &order); !st.ok()) {
      Die("GetDispatchOrder: " + st.error_message());
    }
    if (absl::Now() > until) Die("the order did not finish within " + absl::FormatDuration(limit));
  }
  return order;
}

cak::voorlichting::type::v1::Date ProtoDay(absl::CivilDay day) {
  cak::voorlichting::type::v1::Date out;
  out.set_year(static_cast<int32_t>(day.year()));
  out.set_month(day.month());
  out.set_day(day.day());
  return out;
}

int64_t ProcStatusKb(pid_t pid, const std::string& field) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field + ":", 0) == 0) return std::atoll(line.c_str() + field.size() + 1);
  }
  return -1;
}

ServiceChild::ServiceChild(std::vector<std::string> args) : process_(std::move(args)) {
  const std::string ready = process_.ReadUntil("\"event\":\"ready\"");
  if (ready.empty()) Die("a service did not start: " + process_.ReadAll());
  grpc_port_ = nlohmann::json::parse(ready)["grpc_port"].get<int>();
  process_.DrainInBackground();
}

ServiceChild::~ServiceChild() { Stop(); }

int64_t ServiceChild::RssKb() const { return ProcStatusKb(process_.pid(), "VmRSS"); }
int64_t ServiceChild::PeakRssKb() const { return ProcStatusKb(process_.pid(), "VmHWM"); }

std::string ServiceChild::Stop() {
  if (!stopped_) {
    stopped_ = true;
    process_.Signal(SIGTERM);
    process_.Wait();
  }
  return process_.ReadAll();
}

}  // namespace cak::bench
