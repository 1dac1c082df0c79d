// intake-svc commands (see intake_commands.h).
#include "cli/intake_commands.h"

#include <cstdio>
#include <iostream>
#include <map>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "cak/voorlichting/intake/v1/intake_service.grpc.pb.h"
#include "cak/voorlichting/processinglog/v1/processing_log_service.grpc.pb.h"
#include "cli/output.h"
#include "common/base/bsn.h"
#include "common/base/synthetic.h"
#include "grpc/health/v1/health.grpc.pb.h"

namespace cak::cli {

namespace pb = cak::voorlichting::intake::v1;
namespace plog = cak::voorlichting::processinglog::v1;

namespace {

std::string Time(const google::protobuf::Timestamp& t) {
  return absl::FormatTime("%Y-%m-%d %H:%M:%S", absl::FromUnixSeconds(t.seconds()), absl::LocalTimeZone());
}

// Enum value from a short name ("wlz" -> REGULATION_WLZ), using the proto's own names.
template <typename E>
bool ParseEnum(const std::string& prefix, const std::string& text, bool (*parse)(const std::string&, E*), E* out) {
  return parse(prefix + absl::AsciiStrToUpper(text), out);
}

void PrintSignal(const pb::Signal& s, bool mask_bsns = false) {
  std::printf("%s\n", s.name().c_str());
  std::printf(
      "  state:       %s%s\n", Short(pb::SignalState_Name(s.state()), "SIGNAL_STATE_").c_str(),
      s.decline_reason()
          ? absl::StrCat(" (", Short(pb::DeclineReason_Name(s.decline_reason()), "DECLINE_REASON_"), ")").c_str()
          : "");
  std::printf("  topic:       %s / %s, via %s\n", Short(pb::Regulation_Name(s.regulation()), "REGULATION_").c_str(),
              Short(pb::SignalCategory_Name(s.category()), "SIGNAL_CATEGORY_").c_str(),
              Short(pb::SourceChannel_Name(s.source_channel()), "SOURCE_CHANNEL_").c_str());
  std::printf("  reporter:    %s, received %s\n", s.reporter().id().c_str(), Time(s.receive_time()).c_str());
  std::printf("  description: %s\n", s.description().c_str());
  std::printf("  customers:   %d example(s)", s.example_customer_count());
  if (s.example_customer_bsns_size() > 0) {
    std::vector<std::string> shown;
    for (const auto& b : s.example_customer_bsns()) {
      auto bsn = common::Bsn::Parse(b);
      shown.push_back(mask_bsns && bsn.ok() ? bsn->Masked() : b);
    }
    std::printf(": %s", absl::StrJoin(shown, ", ").c_str());
  }
  std::printf("\n");
  if (!s.feedback().empty()) std::printf("  feedback:    %s\n", s.feedback().c_str());
  for (const auto& d : s.duplicate_candidates()) {
    std::printf("  possible duplicate: %s (%s, %d shared customer(s))\n", d.signal().c_str(),
                Short(pb::DuplicateMatch_Name(d.match()), "DUPLICATE_MATCH_").c_str(), d.shared_customer_count());
  }
  for (const auto& c : s.state_changes()) {
    const std::string from = c.from_state() == pb::SIGNAL_STATE_UNSPECIFIED
                                 ? "(new)"
                                 : Short(pb::SignalState_Name(c.from_state()), "SIGNAL_STATE_");
    std::printf("  history:     %s -> %s by %s at %s\n", from.c_str(),
                Short(pb::SignalState_Name(c.to_state()), "SIGNAL_STATE_").c_str(), c.actor().id().c_str(),
                Time(c.change_time()).c_str());
  }
}

std::string DescribeEvent(const pb::SignalEvent& e) {
  std::string out =
      absl::StrCat("#", e.sequence(), " ", Short(pb::SignalEventType_Name(e.type()), "SIGNAL_EVENT_TYPE_"));
  if (e.type() != pb::SIGNAL_EVENT_TYPE_RECEIVED) {
    absl::StrAppend(&out, " -> ", Short(pb::SignalState_Name(e.to_state()), "SIGNAL_STATE_"));
  }
  absl::StrAppend(&out, " by ", e.actor().id());
  if (!e.feedback().empty()) absl::StrAppend(&out, ": \"", e.feedback(), "\"");
  return out;
}

pb::NewSignal NewSignalFrom(const Args& args, std::string* error) {
  pb::NewSignal s;
  pb::Regulation reg;
  pb::SignalCategory cat;
  pb::SourceChannel ch;
  if (!ParseEnum("REGULATION_", args.Get("regulation", "wlz"), pb::Regulation_Parse, &reg)) *error = "--regulation";
  if (!ParseEnum("SIGNAL_CATEGORY_", args.Get("category", "other"), pb::SignalCategory_Parse, &cat))
    *error = "--category";
  if (!ParseEnum("SOURCE_CHANNEL_", args.Get("channel", "employee"), pb::SourceChannel_Parse, &ch))
    *error = "--channel";
  s.set_regulation(reg);
  s.set_category(cat);
  s.set_source_channel(ch);
  s.set_description(args.Get("description"));
  for (const auto& b : args.GetAll("bsn")) s.add_example_customer_bsns(b);
  return s;
}

}  // namespace

int Health(const Client& client, const Args& args) {
  auto stub = grpc::health::v1::Health::NewStub(client.channel());
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(3));
  grpc::health::v1::HealthCheckRequest req;
  req.set_service(args.Get("service", ""));
  grpc::health::v1::HealthCheckResponse resp;
  grpc::Status st = stub->Check(&ctx, req, &resp);
  if (!st.ok()) return Fail(st);
  std::printf("%s\n", grpc::health::v1::HealthCheckResponse::ServingStatus_Name(resp.status()).c_str());
  return resp.status() == grpc::health::v1::HealthCheckResponse::SERVING ? 0 : 1;
}

int Submit(const Client& client, const Args& args) {
  std::string bad;
  pb::SubmitSignalRequest req;
  *req.mutable_signal() = NewSignalFrom(args, &bad);
  if (!bad.empty()) return Usage("unknown value for " + bad);
  req.set_request_id(args.Get("request-id"));
  pb::SubmitSignalResponse resp;
  auto stub = pb::IntakeService::NewStub(client.channel());
  grpc::Status st = stub->SubmitSignal(client.Context(client.DefaultCaller()).get(), req, &resp);
  if (!st.ok()) return Fail(st);
  if (resp.replayed()) std::printf("(repeat of an earlier request; nothing new was created)\n");
  PrintSignal(resp.signal());
  return 0;
}

int Get(const Client& client, const Args& args) {
  if (args.positional.size() != 1) return Usage("get signals/<id> [--full]");
  pb::GetSignalRequest req;
  req.set_name(args.positional[0]);
  req.set_view(args.Has("full") ? pb::SIGNAL_VIEW_FULL : pb::SIGNAL_VIEW_BASIC);
  pb::Signal resp;
  auto stub = pb::IntakeService::NewStub(client.channel());
  grpc::Status st = stub->GetSignal(client.Context(client.DefaultCaller()).get(), req, &resp);
  if (!st.ok()) return Fail(st);
  PrintSignal(resp);
  return 0;
}

int List(const Client& client, const Args& args) {
  pb::ListSignalsRequest req;
  if (args.Has("state")) {
    pb::SignalState state;
    if (!ParseEnum("SIGNAL_STATE_", args.Get("state"), pb::SignalState_Parse, &state)) return Usage("unknown --state");
    req.set_state(state);
  }
  req.set_page_size(std::atoi(args.Get("page-size", "50").c_str()));
  auto stub = pb::IntakeService::NewStub(client.channel());
  int shown = 0;
  do {
    pb::ListSignalsResponse resp;
    grpc::Status st = stub->ListSignals(client.Context(client.DefaultCaller()).get(), req, &resp);
    if (!st.ok()) return Fail(st);
    for (const auto& s : resp.signals()) {
      std::printf("%-46s %-15s %-4s %-17s %s\n", s.name().c_str(),
                  Short(pb::SignalState_Name(s.state()), "SIGNAL_STATE_").c_str(),
                  Short(pb::Regulation_Name(s.regulation()), "REGULATION_").c_str(),
                  Short(pb::SignalCategory_Name(s.category()), "SIGNAL_CATEGORY_").c_str(),
                  Time(s.receive_time()).c_str());
      ++shown;
    }
    req.set_page_token(resp.next_page_token());
  } while (args.Has("all") && !req.page_token().empty());
  std::printf("(%d signal(s)%s)\n", shown, req.page_token().empty() ? "" : "; more with --all");
  return 0;
}

namespace {

template <typename Req>
int Change(const Client& client, const Args& args, const std::string& usage,
           grpc::Status (pb::IntakeService::Stub::*call)(grpc::ClientContext*, const Req&, pb::Signal*),
           const std::function<bool(Req*)>& fill) {
  if (args.positional.size() != 1) return Usage(usage);
  Req req;
  req.set_name(args.positional[0]);
  if (!fill(&req)) return Usage(usage);
  pb::Signal resp;
  auto stub = pb::IntakeService::NewStub(client.channel());
  grpc::Status st = ((*stub).*call)(client.Context(client.DefaultCaller()).get(), req, &resp);
  if (!st.ok()) return Fail(st);
  PrintSignal(resp);
  return 0;
}

}  // namespace

int AddInformation(const Client& client, const Args& args) {
  return Change<pb::AddSignalInformationRequest>(client, args, "add-info signals/<id> --text=...",
                                                 &pb::IntakeService::Stub::AddSignalInformation, [&](auto* r) {
                                                   r->set_text(args.Get("text"));
                                                   return true;
                                                 });
}

int Decline(const Client& client, const Args& args) {
  return Change<pb::DeclineSignalRequest>(
      client, args, "decline signals/<id> --reason=no_action_needed|incomplete|duplicate|out_of_scope --feedback=...",
      &pb::IntakeService::Stub::DeclineSignal, [&](auto* r) {
        pb::DeclineReason reason;
        if (!ParseEnum("DECLINE_REASON_", args.Get("reason"), pb::DeclineReason_Parse, &reason)) return false;
        r->set_reason(reason);
        r->set_feedback(args.Get("feedback"));
        return true;
      });
}

int StartAssessment(const Client& client, const Args& args) {
  return Change<pb::StartSignalAssessmentRequest>(client, args, "start-assessment signals/<id>",
                                                  &pb::IntakeService::Stub::StartSignalAssessment,
                                                  [](auto*) { return true; });
}

int MarkActionPlanned(const Client& client, const Args& args) {
  return Change<pb::MarkSignalActionPlannedRequest>(client, args, "plan signals/<id> --campaign=campaigns/<id>",
                                                    &pb::IntakeService::Stub::MarkSignalActionPlanned, [&](auto* r) {
                                                      r->set_campaign(args.Get("campaign"));
                                                      return true;
                                                    });
}

int Close(const Client& client, const Args& args) {
  return Change<pb::CloseSignalRequest>(client, args, "close signals/<id> --feedback=...",
                                        &pb::IntakeService::Stub::CloseSignal, [&](auto* r) {
                                          r->set_feedback(args.Get("feedback"));
                                          return true;
                                        });
}

int Watch(const Client& client, const Args& args) {
  if (args.positional.size() != 1) return Usage("watch signals/<id> [--after=N]");
  pb::WatchSignalRequest req;
  req.set_name(args.positional[0]);
  req.set_after_sequence(std::atoll(args.Get("after", "0").c_str()));
  auto stub = pb::IntakeService::NewStub(client.channel());
  grpc::ClientContext ctx;
  auto base = client.Context(client.DefaultCaller());
  auto reader = stub->WatchSignal(base.get(), req);
  pb::WatchSignalResponse r;
  while (reader->Read(&r)) {
    std::printf("%s\n", DescribeEvent(r.event()).c_str());
    std::fflush(stdout);
  }
  grpc::Status st = reader->Finish();
  return st.ok() ? 0 : Fail(st);
}

int Purge(const Client& client, const Args& args) {
  pb::PurgeSignalsRequest req;
  req.set_dry_run(args.Has("dry-run"));
  pb::PurgeSignalsResponse resp;
  auto stub = pb::IntakeService::NewStub(client.channel());
  grpc::Status st = stub->PurgeSignals(client.Context(client.DefaultCaller()).get(), req, &resp);
  if (!st.ok()) return Fail(st);
  std::printf("%s%lld signal(s) declined or closed before %s\n", resp.dry_run() ? "would purge " : "purged ",
              static_cast<long long>(resp.purged_signal_count()), Time(resp.cutoff_time()).c_str());
  return 0;
}

}  // namespace cak::cli
