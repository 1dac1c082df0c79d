// intake-svc commands (see intake_commands.h).
#include "cli/intake_commands.h"

#include <cstdio>
#include <iostream>
#include <map>
#include <thread>

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

}  // namespace

int Health(const Client& client, const HealthOptions& options) {
  auto stub = grpc::health::v1::Health::NewStub(client.channel());
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(3));
  grpc::health::v1::HealthCheckRequest req;
  req.set_service(options.service);
  grpc::health::v1::HealthCheckResponse resp;
  grpc::Status st = stub->Check(&ctx, req, &resp);
  if (!st.ok()) return Fail(st);
  std::printf("%s\n", grpc::health::v1::HealthCheckResponse::ServingStatus_Name(resp.status()).c_str());
  return resp.status() == grpc::health::v1::HealthCheckResponse::SERVING ? 0 : 1;
}

int Submit(const Client& client, const SubmitOptions& options) {
  pb::SubmitSignalRequest req;
  pb::NewSignal* s = req.mutable_signal();
  s->set_regulation(options.regulation);
  s->set_category(options.category);
  s->set_source_channel(options.channel);
  s->set_description(options.description);
  for (const auto& b : options.bsns) s->add_example_customer_bsns(b);
  req.set_request_id(options.request_id);
  pb::SubmitSignalResponse resp;
  auto stub = pb::IntakeService::NewStub(client.channel());
  grpc::Status st = stub->SubmitSignal(client.Context(client.DefaultCaller()).get(), req, &resp);
  if (!st.ok()) return Fail(st);
  if (resp.replayed()) std::printf("(repeat of an earlier request; nothing new was created)\n");
  PrintSignal(resp.signal());
  return 0;
}

int Get(const Client& client, const GetOptions& options) {
  pb::GetSignalRequest req;
  req.set_name(options.name);
  req.set_view(options.full ? pb::SIGNAL_VIEW_FULL : pb::SIGNAL_VIEW_BASIC);
  pb::Signal resp;
  auto stub = pb::IntakeService::NewStub(client.channel());
  grpc::Status st = stub->GetSignal(client.Context(client.DefaultCaller()).get(), req, &resp);
  if (!st.ok()) return Fail(st);
  PrintSignal(resp);
  return 0;
}

int List(const Client& client, const ListOptions& options) {
  pb::ListSignalsRequest req;
  if (options.state) req.set_state(*options.state);
  req.set_page_size(options.page_size);
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
  } while (options.all && !req.page_token().empty());
  std::printf("(%d signal(s)%s)\n", shown, req.page_token().empty() ? "" : "; more with --all");
  return 0;
}

namespace {

template <typename Req>
int Change(const Client& client, const std::string& name,
           grpc::Status (pb::IntakeService::Stub::*call)(grpc::ClientContext*, const Req&, pb::Signal*),
           const std::function<void(Req*)>& fill) {
  Req req;
  req.set_name(name);
  fill(&req);
  pb::Signal resp;
  auto stub = pb::IntakeService::NewStub(client.channel());
  grpc::Status st = ((*stub).*call)(client.Context(client.DefaultCaller()).get(), req, &resp);
  if (!st.ok()) return Fail(st);
  PrintSignal(resp);
  return 0;
}

}  // namespace

int AddInformation(const Client& client, const AddInformationOptions& options) {
  return Change<pb::AddSignalInformationRequest>(client, options.name, &pb::IntakeService::Stub::AddSignalInformation,
                                                 [&](auto* r) { r->set_text(options.text); });
}

int Decline(const Client& client, const DeclineOptions& options) {
  return Change<pb::DeclineSignalRequest>(client, options.name, &pb::IntakeService::Stub::DeclineSignal, [&](auto* r) {
    r->set_reason(options.reason);
    r->set_feedback(options.feedback);
  });
}

int StartAssessment(const Client& client, const SignalNameOptions& options) {
  return Change<pb::StartSignalAssessmentRequest>(client, options.name, &pb::IntakeService::Stub::StartSignalAssessment,
                                                  [](auto*) {});
}

int MarkActionPlanned(const Client& client, const PlanOptions& options) {
  return Change<pb::MarkSignalActionPlannedRequest>(client, options.name,
                                                    &pb::IntakeService::Stub::MarkSignalActionPlanned,
                                                    [&](auto* r) { r->set_campaign(options.campaign); });
}

int Close(const Client& client, const CloseOptions& options) {
  return Change<pb::CloseSignalRequest>(client, options.name, &pb::IntakeService::Stub::CloseSignal,
                                        [&](auto* r) { r->set_feedback(options.feedback); });
}

int Watch(const Client& client, const WatchOptions& options) {
  pb::WatchSignalRequest req;
  req.set_name(options.name);
  req.set_after_sequence(options.after);
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

int Purge(const Client& client, const PurgeOptions& options) {
  pb::PurgeSignalsRequest req;
  req.set_dry_run(options.dry_run);
  pb::PurgeSignalsResponse resp;
  auto stub = pb::IntakeService::NewStub(client.channel());
  grpc::Status st = stub->PurgeSignals(client.Context(client.DefaultCaller()).get(), req, &resp);
  if (!st.ok()) return Fail(st);
  std::printf("%s%lld signal(s) declined or closed before %s\n", resp.dry_run() ? "would purge " : "purged ",
              static_cast<long long>(resp.purged_signal_count()), Time(resp.cutoff_time()).c_str());
  return 0;
}

}  // namespace cak::cli
