// voorlichting-cli `flow`, step 7 of processing record M7624 and the release (see flow_run.h):
// the executors (repro, KCC, dataverkeer) registered with calendars that can meet the window,
// campaign-svc's feasibility check and each executor's sign-off (step 7); then four eyes
// (submitted, the recipient lists frozen, refused to its own designer, approved by a second
// employee) and the release through campaign-svc's outbox, until every contacted group has its
// dispatch order and the signal is ACTION_PLANNED. --until stops here.
#include <algorithm>
#include <cstdio>
#include <set>

#include "cli/flow/flow_run.h"
#include "cli/output.h"
#include "common/grpc/status.h"

namespace cak::cli::flow {

namespace {

dpb::Channel DispatchChannel(cpb::Action a) {
  switch (a) {
    case cpb::ACTION_LETTER:
      return dpb::CHANNEL_LETTER;
    case cpb::ACTION_CALL:
      return dpb::CHANNEL_CALL;
    case cpb::ACTION_CONTACT_MOMENT:
      return dpb::CHANNEL_CONTACT_MOMENT;
    default:
      return dpb::CHANNEL_UNSPECIFIED;
  }
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Step 7: the executors judge feasibility and sign it off.

bool FlowRun::Feasibility() {
  Step(6, "Stap 7 Toetsen actie met uitvoerder: the executors' calendars, the feasibility check and their sign-off");
  std::map<dpb::Channel, dpb::Executor> existing;
  dpb::ListExecutorsRequest list;
  list.set_page_size(200);
  do {
    dpb::ListExecutorsResponse page;
    if (!Ok(dispatch_->ListExecutors(As(admin_).get(), list, &page), "ListExecutors")) return false;
    for (const auto& e : page.executors()) existing.emplace(e.channel(), e);
    list.set_page_token(page.next_page_token());
  } while (!list.page_token().empty());

  struct Wanted {
    const char* id;
    const char* display;
    dpb::Channel channel;
    const char* identity;
    dpb::DeliveryMethod method;  // dataverkeer loads contact moments through the pull API
  };
  const Wanted wanted[] = {
      {"repro", "Repro (print en post)", dpb::CHANNEL_LETTER, "repro.executors.cak.nl", dpb::DELIVERY_METHOD_FILES},
      {"kcc", "KCC (klantcontactcentrum)", dpb::CHANNEL_CALL, "kcc.executors.cak.nl", dpb::DELIVERY_METHOD_FILES},
      {"dataverkeer", "Dataverkeer", dpb::CHANNEL_CONTACT_MOMENT, "dataverkeer.executors.cak.nl",
       dpb::DELIVERY_METHOD_PULL}};
  for (const Wanted& w : wanted) {
    dpb::Executor e;
    const char* how = "registered earlier";
    if (auto it = existing.find(w.channel); it != existing.end()) {
      e = it->second;
    } else {
      dpb::CreateExecutorRequest create;
      create.set_request_id(absl::StrCat("flow-executor-", w.id));
      create.set_executor_id(w.id);
      auto* x = create.mutable_executor();
      x->set_display_name(w.display);
      x->set_channel(w.channel);
      x->set_identity(w.identity);
      x->set_location_country("NL");
      x->set_delivery_method(w.method);
      x->mutable_calendar()->set_items_per_day(100000);
      for (int d = 1; d <= 7; ++d) x->mutable_calendar()->add_working_days(static_cast<dpb::Weekday>(d));
      const grpc::Status st = dispatch_->CreateExecutor(As(admin_).get(), create, &e);
      how = "registered now";
      if (st.error_code() == grpc::StatusCode::ALREADY_EXISTS) {
        dpb::GetExecutorRequest get;
        get.set_name(absl::StrCat("executors/", w.id));
        if (!Ok(dispatch_->GetExecutor(As(admin_).get(), get, &e), "GetExecutor")) return false;
        how = "registered earlier";
      } else if (!Ok(st, absl::StrCat("CreateExecutor ", w.id))) {
        return false;
      }
    }
    // Every day, no lead time and room enough, so that a window starting today can be met.
    dpb::UpdateExecutorRequest update;
    auto* x = update.mutable_executor();
    x->set_name(e.name());
    x->mutable_calendar()->set_items_per_day(std::max<int64_t>(e.calendar().items_per_day(), 100000));
    x->mutable_calendar()->set_lead_time_days(0);
    for (int d = 1; d <= 7; ++d) x->mutable_calendar()->add_working_days(static_cast<dpb::Weekday>(d));
    x->set_delivery_method(w.method);
    update.mutable_update_mask()->add_paths("calendar");
    update.mutable_update_mask()->add_paths("delivery_method");
    if (!Ok(dispatch_->UpdateExecutor(As(admin_).get(), update, &e), absl::StrCat("UpdateExecutor ", e.name()))) {
      return false;
    }
    executor_of_[w.channel] = {e.name(), Caller{"", e.identity(), {"executor"}, true}};
    std::printf("  %-22s %-15s %-30s %s, %s a day, 7 days a week, lead time %d, %s (%s)\n", e.name().c_str(),
                Short(dpb::Channel_Name(e.channel()), "CHANNEL_").c_str(), e.identity().c_str(),
                e.location_country().c_str(), Thousands(e.calendar().items_per_day()).c_str(),
                e.calendar().lead_time_days(),
                Short(dpb::DeliveryMethod_Name(e.delivery_method()), "DELIVERY_METHOD_").c_str(), how);
  }

  cpb::CheckCampaignFeasibilityRequest check;
  check.set_campaign(campaign_.name());
  if (!Ok(campaigns_->CheckCampaignFeasibility(As(designer_).get(), check, &campaign_), "CheckCampaignFeasibility")) {
    return false;
  }
  // Each executor finds the checks waiting for its sign-off in its own inbox (nobody hands it
  // their names), with volume, window, spread and the group's guidelines, and confirms them.
  std::set<std::string> asked, confirmed;
  for (const auto& g : campaign_.groups()) {
    if (!Contacted(g.action())) continue;
    if (!Expect(g.has_feasibility() && !g.feasibility().feasibility_check().empty(),
                absl::StrCat("group '", g.group(), "' got no feasibility answer"))) {
      return false;
    }
    asked.insert(g.feasibility().feasibility_check());
  }
  for (const auto& [channel, exec] : executor_of_) {
    std::vector<dpb::FeasibilityCheck> inbox;
    dpb::ListFeasibilityChecksRequest list_checks;
    list_checks.set_state(dpb::FEASIBILITY_STATE_AWAITING_SIGN_OFF);
    list_checks.set_page_size(200);
    do {
      dpb::ListFeasibilityChecksResponse page;
      if (!Ok(executors_->ListFeasibilityChecks(As(exec.caller).get(), list_checks, &page),
              absl::StrCat("ListFeasibilityChecks by ", exec.caller.id))) {
        return false;
      }
      for (const auto& c : page.feasibility_checks()) {
        if (c.campaign() == campaign_.name()) inbox.push_back(c);
      }
      list_checks.set_page_token(page.next_page_token());
    } while (!list_checks.page_token().empty());
    for (const dpb::FeasibilityCheck& c : inbox) {
      const GroupPlan* plan = nullptr;
      for (const GroupPlan& p : plan_) {
        if (Contacted(p.action) && DispatchChannel(p.action) == channel) plan = &p;
      }
      if (!Expect(plan != nullptr && c.channel() == channel && c.guidelines() == plan->guidelines,
                  absl::StrCat(c.name(), " in the inbox of ", exec.caller.id, " lacks its group's guidelines"))) {
        return false;
      }
      int64_t per_day = 0;
      for (const auto& d : c.spread()) per_day = std::max(per_day, d.count());
      std::printf("  %s finds %s in its inbox: %s items, %s .. %s, at most %s a day; guidelines \"%s\"\n",
                  exec.caller.id.c_str(), c.name().c_str(), Thousands(c.volume()).c_str(),
                  Day(c.window_start()).c_str(), Day(c.window_end()).c_str(), Thousands(per_day).c_str(),
                  c.guidelines().c_str());
      dpb::ConfirmFeasibilityRequest confirm;
      confirm.set_name(c.name());
      confirm.set_comment(absl::StrCat("Akkoord: ", Thousands(c.volume()), " stuks passen in onze planning."));
      dpb::FeasibilityCheck signed_off;
      if (!Ok(executors_->ConfirmFeasibility(As(exec.caller).get(), confirm, &signed_off),
              absl::StrCat("ConfirmFeasibility by ", exec.caller.id))) {
        return false;
      }
      confirmed.insert(signed_off.name());
      std::printf("    and signs it off: %s\n",
                  Short(dpb::FeasibilityState_Name(signed_off.state()), "FEASIBILITY_STATE_").c_str());
    }
  }
  if (!Expect(confirmed == asked, absl::StrCat("the executors' inboxes held ", confirmed.size(), " of the ",
                                               asked.size(), " checks campaign-svc asked for"))) {
    return false;
  }
  if (!Ok(campaigns_->CheckCampaignFeasibility(As(designer_).get(), check, &campaign_), "CheckCampaignFeasibility")) {
    return false;
  }
  std::printf("  %-28s %-15s %8s  %-9s %-14s %-12s %s\n", "group", "action", "volume", "feasible", "earliest start",
              "state", "decided by");
  for (const auto& g : campaign_.groups()) {
    if (!Contacted(g.action())) continue;
    const auto& f = g.feasibility();
    std::printf("  %-28s %-15s %8s  %-9s %-14s %-12s %s\n", g.group().c_str(),
                Short(cpb::Action_Name(g.action()), "ACTION_").c_str(), Thousands(f.volume()).c_str(),
                f.feasible() ? "yes" : "NO", Day(f.earliest_start()).c_str(),
                Short(cpb::FeasibilityState_Name(f.state()), "FEASIBILITY_STATE_").c_str(), f.decided_by().c_str());
    for (const auto& r : f.reasons()) std::printf("    - %s\n", r.c_str());
    if (!Expect(f.state() == cpb::FEASIBILITY_STATE_CONFIRMED && f.feasible(),
                absl::StrCat("group '", g.group(), "' is not confirmed feasible"))) {
      return false;
    }
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// Four eyes and the release.

bool FlowRun::ReviewAndRelease() {
  Step(7, "Vier ogen en vrijgave: submitted, refused to its own designer, approved by a second employee, released");
  cpb::SubmitCampaignForReviewRequest submit;
  submit.set_campaign(campaign_.name());
  submit.set_comment("Klaar voor review: drie groepen benaderd, één groep handmatig.");
  if (!Ok(campaigns_->SubmitCampaignForReview(As(designer_).get(), submit, &campaign_), "SubmitCampaignForReview")) {
    return false;
  }
  std::printf("  %s submitted by %s: %s; the recipient lists are frozen now\n", campaign_.name().c_str(),
              designer_.id.c_str(), Short(cpb::CampaignState_Name(campaign_.state()), "CAMPAIGN_STATE_").c_str());
  int64_t excluded = 0;
  for (const auto& g : campaign_.groups()) {
    if (!Contacted(g.action())) continue;
    apb::GetRecipientListRequest get;
    get.set_name(g.recipient_list());
    apb::RecipientList list;
    if (!Ok(analysis_->GetRecipientList(As(analyst_).get(), get, &list), "GetRecipientList")) return false;
    excluded += list.excluded_by_objection();
    std::printf("    %-28s %6s recipients, %4s control, %s left out by an objection  %s\n", g.group().c_str(),
                Thousands(g.recipient_count()).c_str(), Thousands(g.control_count()).c_str(),
                Thousands(list.excluded_by_objection()).c_str(), g.recipient_list().c_str());
  }
  if (!Expect(excluded == 1, "the frozen lists do not count the objection")) return false;
  if (until_ == "submitted") return stopped_ = true;

  cpb::ApproveCampaignRequest approve;
  approve.set_campaign(campaign_.name());
  approve.set_revision(campaign_.revision());
  approve.set_comment("Gecontroleerd: groepen, teksten en planning zijn in orde.");
  cpb::Campaign ignored;
  const grpc::Status self = campaigns_->ApproveCampaign(As(designer_).get(), approve, &ignored);
  std::printf("  %s (designer, also approver) approves her own campaign: %s\n", designer_.id.c_str(),
              self.ok() ? "ACCEPTED" : DescribeError(self).c_str());
  if (!Expect(self.error_code() == grpc::StatusCode::PERMISSION_DENIED &&
                  common::ParseGrpcErrorDetails(self).reason == "FOUR_EYES_VIOLATION",
              "the designer's own approval was not refused with FOUR_EYES_VIOLATION")) {
    return false;
  }
  if (!Ok(campaigns_->ApproveCampaign(As(approver_).get(), approve, &campaign_), "ApproveCampaign")) return false;
  std::printf("  %s approves revision %lld: %s\n", approver_.id.c_str(), static_cast<long long>(approve.revision()),
              Short(cpb::CampaignState_Name(campaign_.state()), "CAMPAIGN_STATE_").c_str());
  if (until_ == "approved") return stopped_ = true;

  cpb::ReleaseCampaignRequest release;
  release.set_campaign(campaign_.name());
  if (!Ok(campaigns_->ReleaseCampaign(As(approver_).get(), release, &campaign_), "ReleaseCampaign")) return false;
  std::printf("  %s releases it: %s; the orders and the signal's ACTION_PLANNED go out through the outbox\n",
              approver_.id.c_str(), Short(cpb::CampaignState_Name(campaign_.state()), "CAMPAIGN_STATE_").c_str());

  if (!PollUntil(absl::Seconds(60), "dispatch orders created", [&]() -> std::optional<bool> {
        cpb::Campaign c;
        if (!GetCampaign(&c)) return false;
        bool all = true;
        for (const auto& g : c.groups()) {
          if (!Contacted(g.action())) continue;
          if (g.order_delivery() == cpb::ORDER_DELIVERY_FAILED) {
            error_ = absl::StrCat("dispatch-svc refused the order of '", g.group(), "': ", g.order_error());
            return false;
          }
          all &= g.order_delivery() == cpb::ORDER_DELIVERY_CREATED;
        }
        if (!all) return std::nullopt;
        campaign_ = c;
        return true;
      })) {
    return false;
  }
  for (const auto& g : campaign_.groups()) {
    if (!Contacted(g.action())) continue;
    OrderRun run;
    run.group = g.group();
    run.action = g.action();
    run.order = g.dispatch_order();
    run.recipients = g.recipient_count();
    run.control = g.control_count();
    orders_.push_back(run);
    std::printf("    %-28s -> %s (%s)\n", g.group().c_str(), g.dispatch_order().c_str(),
                Short(cpb::OrderDelivery_Name(g.order_delivery()), "ORDER_DELIVERY_").c_str());
  }

  cpb::Campaign again;
  if (!Ok(campaigns_->ReleaseCampaign(As(designer_).get(), release, &again), "ReleaseCampaign (again)")) return false;
  bool same = again.name() == campaign_.name() && again.state() == cpb::CAMPAIGN_STATE_RELEASED &&
              again.groups_size() == campaign_.groups_size();
  for (int i = 0; same && i < again.groups_size(); ++i) {
    same = again.groups(i).dispatch_order() == campaign_.groups(i).dispatch_order();
  }
  std::printf("  released again: %s\n", same ? "the same campaign with the same orders (nothing new)" : "DIFFERENT");
  if (!Expect(same, "releasing again changed the campaign")) return false;

  ipb::Signal planned;
  if (!PollUntil(absl::Seconds(30), "signal ACTION_PLANNED", [&]() -> std::optional<bool> {
        ipb::GetSignalRequest get;
        get.set_name(signal_);
        if (!Ok(intake_->GetSignal(As(analyst_).get(), get, &planned), "GetSignal")) return false;
        if (planned.state() == ipb::SIGNAL_STATE_ACTION_PLANNED) return true;
        return std::nullopt;
      })) {
    return false;
  }
  std::printf("  %s is %s\n", signal_.c_str(), Short(ipb::SignalState_Name(planned.state()), "SIGNAL_STATE_").c_str());
  return true;
}

}  // namespace cak::cli::flow
