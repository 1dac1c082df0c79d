// campaign-svc operator commands (see campaign_commands.h).
#include "cli/campaign_commands.h"

#include <cstdio>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "cak/voorlichting/campaign/v1/campaign_service.grpc.pb.h"
#include "cli/output.h"

namespace cak::cli {

namespace pb = cak::voorlichting::campaign::v1;

namespace {

std::string Time(const google::protobuf::Timestamp& t) {
  return absl::FormatTime("%Y-%m-%d %H:%M:%S", absl::FromUnixSeconds(t.seconds()), absl::LocalTimeZone());
}

// "campaigns/<id>" from the positional argument; a bare id is accepted too.
std::string CampaignName(const std::string& name) {
  return name.rfind("campaigns/", 0) == 0 ? name : "campaigns/" + name;
}

std::unique_ptr<pb::CampaignService::Stub> Stub(const Client& client) {
  return pb::CampaignService::NewStub(client.channel());
}

}  // namespace

void PrintCampaign(const pb::Campaign& c) {
  std::printf("%s  \"%s\"\n", c.name().c_str(), c.title().c_str());
  std::printf("  state:     %s (revision %lld)\n", Short(pb::CampaignState_Name(c.state()), "CAMPAIGN_STATE_").c_str(),
              static_cast<long long>(c.revision()));
  std::printf("  signal:    %s\n  groups of: %s\n", c.signal().c_str(), c.target_group_set().c_str());
  std::printf("  control:   %.0f%% of every contacted group held back (seed %llu)\n", c.control_share() * 100,
              static_cast<unsigned long long>(c.control_seed()));
  std::printf("  created:   by %s at %s\n", c.created_by().c_str(), Time(c.create_time()).c_str());
  for (const auto& g : c.groups()) {
    std::printf("  group %d '%s': %lld members, %s", g.priority(), g.group().c_str(),
                static_cast<long long>(g.member_count()), Short(pb::Action_Name(g.action()), "ACTION_").c_str());
    if (g.action() != pb::ACTION_NONE && g.action() != pb::ACTION_UNSPECIFIED) {
      std::printf(", %lld control, window %s..%s", static_cast<long long>(g.control_count()),
                  Day(g.window_start()).c_str(), Day(g.window_end()).c_str());
    }
    std::printf("\n");
    if (g.has_message()) {
      std::printf("    message v%d by %s: Flesch-Douma %.0f (%s)%s\n", g.message().version(),
                  g.message().author().c_str(), g.message().readability().flesch_douma(),
                  g.message().readability().level().c_str(),
                  g.message().readability().below_b1() ? ", harder than B1" : "");
    }
    if (g.has_feasibility()) {
      const auto& f = g.feasibility();
      std::printf("    feasibility %s: %s, %s, volume %lld, earliest start %s%s\n", f.feasibility_check().c_str(),
                  Short(pb::FeasibilityState_Name(f.state()), "FEASIBILITY_STATE_").c_str(),
                  f.feasible() ? "feasible" : "NOT feasible", static_cast<long long>(f.volume()),
                  Day(f.earliest_start()).c_str(),
                  f.decided_by().empty() ? "" : absl::StrCat(", signed off by ", f.decided_by()).c_str());
    }
    if (!g.recipient_list().empty()) {
      std::printf("    lists: %s (%lld recipients)%s\n", g.recipient_list().c_str(),
                  static_cast<long long>(g.recipient_count()),
                  g.control_list().empty() ? "" : absl::StrCat(", control ", g.control_list()).c_str());
    }
    if (g.order_delivery() != pb::ORDER_DELIVERY_UNSPECIFIED) {
      std::printf("    order: %s%s%s\n", Short(pb::OrderDelivery_Name(g.order_delivery()), "ORDER_DELIVERY_").c_str(),
                  g.dispatch_order().empty() ? "" : absl::StrCat(" ", g.dispatch_order()).c_str(),
                  g.order_error().empty() ? "" : absl::StrCat(" (", g.order_error(), ")").c_str());
    }
  }
  for (const auto& d : c.decisions()) {
    std::printf("  decision:  %s by %s at %s%s\n", Short(pb::DecisionKind_Name(d.kind()), "DECISION_KIND_").c_str(),
                d.actor().c_str(), Time(d.decide_time()).c_str(),
                d.comment().empty() ? "" : absl::StrCat(": \"", d.comment(), "\"").c_str());
  }
}

int CampaignGet(const Client& client, const CampaignNameOptions& options) {
  pb::GetCampaignRequest req;
  req.set_name(CampaignName(options.name));
  pb::Campaign c;
  grpc::Status st = Stub(client)->GetCampaign(client.Context(client.DefaultCaller()).get(), req, &c);
  if (!st.ok()) return Fail(st);
  PrintCampaign(c);
  return 0;
}

int CampaignList(const Client& client, const CampaignListOptions& options) {
  pb::ListCampaignsRequest req;
  if (options.state) req.set_state(*options.state);
  if (!client.options().signal.empty()) req.set_signal(client.options().signal);
  req.set_page_size(options.page_size);
  auto stub = Stub(client);
  int shown = 0;
  do {
    pb::ListCampaignsResponse resp;
    grpc::Status st = stub->ListCampaigns(client.Context(client.DefaultCaller()).get(), req, &resp);
    if (!st.ok()) return Fail(st);
    for (const auto& c : resp.campaigns()) {
      std::printf("%-47s %-16s %-20s %d group(s)  %s\n", c.name().c_str(),
                  Short(pb::CampaignState_Name(c.state()), "CAMPAIGN_STATE_").c_str(), Time(c.create_time()).c_str(),
                  c.groups_size(), c.title().c_str());
      ++shown;
    }
    req.set_page_token(resp.next_page_token());
  } while (options.all && !req.page_token().empty());
  std::printf("(%d campaign(s)%s)\n", shown, req.page_token().empty() ? "" : "; more with --all");
  return 0;
}

int CampaignApprove(const Client& client, const CampaignApproveOptions& options) {
  pb::ApproveCampaignRequest req;
  req.set_campaign(CampaignName(options.name));
  req.set_comment(options.comment);
  req.set_revision(options.revision);
  pb::Campaign c;
  grpc::Status st = Stub(client)->ApproveCampaign(client.Context(client.DefaultCaller()).get(), req, &c);
  if (!st.ok()) return Fail(st);
  PrintCampaign(c);
  return 0;
}

int CampaignRelease(const Client& client, const CampaignNameOptions& options) {
  pb::ReleaseCampaignRequest req;
  req.set_campaign(CampaignName(options.name));
  pb::Campaign c;
  grpc::Status st = Stub(client)->ReleaseCampaign(client.Context(client.DefaultCaller()).get(), req, &c);
  if (!st.ok()) return Fail(st);
  PrintCampaign(c);
  return 0;
}

int CampaignCancel(const Client& client, const CampaignCancelOptions& options) {
  pb::CancelCampaignRequest req;
  req.set_campaign(CampaignName(options.name));
  req.set_reason(options.reason);
  pb::Campaign c;
  grpc::Status st = Stub(client)->CancelCampaign(client.Context(client.DefaultCaller()).get(), req, &c);
  if (!st.ok()) return Fail(st);
  PrintCampaign(c);
  return 0;
}

}  // namespace cak::cli
