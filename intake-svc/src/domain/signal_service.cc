// Intake use cases (see signal_service.h).
#include "intake-svc/src/domain/signal_service.h"

#include "absl/container/flat_hash_map.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/base/errors.h"
#include "common/base/random.h"
#include "common/base/request_id.h"
#include "intake-svc/src/domain/lifecycle.h"
#include "intake-svc/src/domain/subject_export.h"
#include "intake-svc/src/domain/validation.h"

namespace cak::intake::domain {

namespace roles = common::roles;
using common::CallContext;
using common::ProcessingActivity;
using common::ProcessingRecord;

namespace {

constexpr int kWatchBatch = 100;

ProcessingRecord RecordFor(const std::string& name, ProcessingActivity activity, const Signal& signal, absl::Time end) {
  ProcessingRecord record;
  record.name = name;
  record.activity = activity;
  record.end_time = end;
  record.data_subjects = signal.example_customers;
  record.attributes["signal"] = SignalName(signal.id);
  record.action_traceparent = signal.action_traceparent;
  return record;
}

}  // namespace

bool SeesAllSignals(const common::Principal& p) {
  for (const char* role :
       {roles::kIntakeOfficer, roles::kAnalyst, roles::kCampaignDesigner, roles::kApprover, roles::kAdministrator,
        roles::kPrivacyOfficer, roles::kCampaignService, roles::kAnalysisService}) {
    if (p.HasRole(role)) return true;
  }
  return false;
}

SignalService::SignalService(SignalRepository* repository, common::ChangeNotifier* notifier, const common::Clock* clock,
                             IntakeSettings settings)
    : repository_(repository), notifier_(notifier), clock_(clock), settings_(settings) {}

absl::Status SignalService::CheckVisible(const common::Principal& principal, const Signal& signal) const {
  if (SeesAllSignals(principal) || signal.reporter.id == principal.id) return absl::OkStatus();
  return SignalNotFound();
}

absl::StatusOr<CreateOutcome> SignalService::Submit(const CallContext& call, SubmitInput input) {
  CAK_RETURN_IF_ERROR(common::ValidateRequestId(input.request_id));
  CAK_RETURN_IF_ERROR(ValidateNewSignal(input.content, "signal"));

  const absl::Time now = clock_->Now();
  CreateCommand cmd;
  Signal& s = cmd.signal;
  s = std::move(input.content);
  s.id = common::NewUuid();
  s.reporter = ActorOf(call.principal);
  s.example_customer_count = static_cast<int>(s.example_customers.size());
  s.state = SignalState::kReceived;
  s.decline_reason = DeclineReason::kNone;
  s.receive_time = now;
  s.update_time = now;
  s.action_traceparent = call.trace.ToTraceparent();
  s.state_changes = {StateChange{std::nullopt, SignalState::kReceived, s.reporter, now}};

  if (!input.request_id.empty()) {
    cmd.idempotency = common::IdempotencyKey{"SubmitSignal", input.request_id, input.fingerprint};
  }
  cmd.duplicates = DuplicateQuery{s.regulation, s.category, now - settings_.duplicate_window, s.example_customers};
  cmd.received_event = SignalEvent{
      0, s.id, EventType::kReceived, std::nullopt, SignalState::kReceived, s.reporter, now, DeclineReason::kNone, ""};
  cmd.record = RecordFor("intake.SubmitSignal", ProcessingActivity::kMeldingOntvangen, s, now);
  CAK_ASSIGN_OR_RETURN(CreateOutcome outcome, repository_->Create(call, cmd));
  HideOthersSignals(call.principal, &outcome.signal);
  return outcome;
}

void SignalService::HideOthersSignals(const common::Principal& principal, Signal* signal) const {
  // Duplicate suggestions point at other reporters' signals and say how many customers they
  // share: for a caller that may see only its own signals that is a hint about citizens in
  // other signals, so it gets none.
  if (!SeesAllSignals(principal)) signal->duplicate_candidates.clear();
}

absl::StatusOr<Signal> SignalService::Get(const CallContext& call, const std::string& id, View view) {
  const bool full = view == View::kFull;
  if (full && !call.principal.HasRole(roles::kIntakeOfficer) && !call.principal.HasRole(roles::kAnalyst)) {
    return common::MakeError(absl::StatusCode::kPermissionDenied, kReasonFullViewNotAllowed,
                             "the full view (with BSNs) needs the intake officer or analyst role");
  }
  CAK_ASSIGN_OR_RETURN(
      Signal signal,
      repository_->Read(call, id, [&](const Signal& s) -> absl::StatusOr<std::optional<ProcessingRecord>> {
        CAK_RETURN_IF_ERROR(CheckVisible(call.principal, s));
        if (!full || s.example_customers.empty()) return std::nullopt;
        return RecordFor("intake.GetSignal", ProcessingActivity::kMeldingOntvangen, s, clock_->Now());
      }));
  HideOthersSignals(call.principal, &signal);
  return signal;
}

absl::StatusOr<std::vector<Signal>> SignalService::List(const CallContext& call, ListQuery query) {
  if (!SeesAllSignals(call.principal)) query.reporter = call.principal.id;
  if (query.received_from && query.received_before && *query.received_before <= *query.received_from) {
    return common::InvalidField(kReasonInvalidTimeWindow, "receive_time_end",
                                "receive_time_end must be after receive_time_start");
  }
  return repository_->List(query, call.deadline);
}

Mutation SignalService::NewMutation(const CallContext& call, const Signal& current, SignalState to,
                                    EventType type) const {
  const absl::Time now = clock_->Now();
  Mutation m;
  m.to = to;
  m.decline_reason = current.decline_reason;
  m.final_time = current.final_time;
  m.update_time = now;
  m.event = SignalEvent{0, current.id, type, current.state, to, ActorOf(call.principal), now, DeclineReason::kNone, ""};
  return m;
}

absl::StatusOr<Signal> SignalService::Transition(const CallContext& call, const std::string& id,
                                                 const std::function<absl::StatusOr<Mutation>(const Signal&)>& decide) {
  CAK_ASSIGN_OR_RETURN(Signal signal,
                       repository_->Update(call, id, [&](const Signal& current) -> absl::StatusOr<Mutation> {
                         CAK_RETURN_IF_ERROR(CheckVisible(call.principal, current));
                         return decide(current);
                       }));
  HideOthersSignals(call.principal, &signal);
  return signal;
}

absl::StatusOr<Signal> SignalService::AddInformation(const CallContext& call, const std::string& id,
                                                     const std::string& text) {
  CAK_RETURN_IF_ERROR(ValidateText(text, kMaxInformationChars, "text"));
  return Transition(call, id, [&](const Signal& s) -> absl::StatusOr<Mutation> {
    CAK_RETURN_IF_ERROR(CheckCanAddInformation(s));
    const bool reopen = s.state == SignalState::kNoAction;
    Mutation m = NewMutation(call, s, reopen ? SignalState::kReceived : s.state, EventType::kInformationAdded);
    m.information = Information{text, ActorOf(call.principal), m.update_time};
    if (!s.example_customers.empty()) {
      m.record = RecordFor("intake.AddSignalInformation", ProcessingActivity::kBeoordelenGebeurtenis, s, m.update_time);
    }
    if (reopen) {
      m.decline_reason = DeclineReason::kNone;
      m.final_time = std::nullopt;
    }
    return m;
  });
}

absl::StatusOr<Signal> SignalService::Decline(const CallContext& call, const std::string& id, DeclineReason reason,
                                              const std::string& feedback) {
  if (reason == DeclineReason::kNone) {
    return common::InvalidField(common::reason::kRequiredFieldMissing, "reason", "reason is required");
  }
  CAK_RETURN_IF_ERROR(ValidateText(feedback, kMaxFeedbackChars, "feedback"));
  if (call.principal.kind != common::PrincipalKind::kEmployee) {
    return common::MakeError(absl::StatusCode::kPermissionDenied, kReasonDecisionNeedsEmployee,
                             "declining a signal is a decision an employee must make");
  }
  return Transition(call, id, [&](const Signal& s) -> absl::StatusOr<Mutation> {
    CAK_RETURN_IF_ERROR(CheckTransition(s.state, SignalState::kNoAction, "decline the signal"));
    Mutation m = NewMutation(call, s, SignalState::kNoAction, EventType::kStateChanged);
    m.decline_reason = reason;
    m.feedback = feedback;
    m.final_time = m.update_time;
    m.event.decline_reason = reason;
    m.event.text = feedback;
    if (!s.example_customers.empty()) {
      m.record = RecordFor("intake.DeclineSignal", ProcessingActivity::kTerugkoppelenGeenActie, s, m.update_time);
    }
    return m;
  });
}

absl::StatusOr<Signal> SignalService::StartAssessment(const CallContext& call, const std::string& id) {
  return Transition(call, id, [&](const Signal& s) -> absl::StatusOr<Mutation> {
    CAK_RETURN_IF_ERROR(CheckTransition(s.state, SignalState::kInAssessment, "start the assessment"));
    Mutation m = NewMutation(call, s, SignalState::kInAssessment, EventType::kStateChanged);
    if (!s.example_customers.empty()) {
      m.record =
          RecordFor("intake.StartSignalAssessment", ProcessingActivity::kBeoordelenGebeurtenis, s, m.update_time);
    }
    return m;
  });
}

absl::StatusOr<Signal> SignalService::MarkActionPlanned(const CallContext& call, const std::string& id,
                                                        const std::string& campaign) {
  CAK_RETURN_IF_ERROR(ValidateText(campaign, kMaxCampaignChars, "campaign"));
  return Transition(call, id, [&](const Signal& s) -> absl::StatusOr<Mutation> {
    CAK_RETURN_IF_ERROR(CheckTransition(s.state, SignalState::kActionPlanned, "mark the action planned"));
    Mutation m = NewMutation(call, s, SignalState::kActionPlanned, EventType::kStateChanged);
    m.campaign = campaign;
    m.event.text = campaign;
    if (!s.example_customers.empty()) {
      m.record = RecordFor("intake.MarkSignalActionPlanned", ProcessingActivity::kBepalenActie, s, m.update_time);
      m.record->attributes["campaign"] = campaign;
    }
    return m;
  });
}

absl::StatusOr<Signal> SignalService::Close(const CallContext& call, const std::string& id,
                                            const std::string& feedback) {
  CAK_RETURN_IF_ERROR(ValidateText(feedback, kMaxFeedbackChars, "feedback"));
  return Transition(call, id, [&](const Signal& s) -> absl::StatusOr<Mutation> {
    CAK_RETURN_IF_ERROR(CheckTransition(s.state, SignalState::kClosed, "close the signal"));
    Mutation m = NewMutation(call, s, SignalState::kClosed, EventType::kStateChanged);
    m.feedback = feedback;
    m.final_time = m.update_time;
    m.event.text = feedback;
    if (!s.example_customers.empty()) {
      m.record = RecordFor("intake.CloseSignal", ProcessingActivity::kUitvoerenActie, s, m.update_time);
    }
    return m;
  });
}

absl::Status SignalService::Watch(const CallContext& call, const std::string& id, int64_t after_sequence,
                                  const WatchSink& sink) {
  if (after_sequence < 0) {
    return common::InvalidField(common::reason::kInvalidFieldValue, "after_sequence",
                                "after_sequence must not be negative");
  }
  // Subscribe before the first read so that no change can slip between read and wait.
  auto subscription = notifier_->Subscribe(id);
  CAK_ASSIGN_OR_RETURN(
      Signal signal,
      repository_->Read(call, id, [&](const Signal& s) -> absl::StatusOr<std::optional<ProcessingRecord>> {
        CAK_RETURN_IF_ERROR(CheckVisible(call.principal, s));
        return std::nullopt;
      }));
  bool final_seen = IsFinal(signal.state, signal.decline_reason);
  int64_t after = after_sequence;
  absl::Duration since_read = absl::ZeroDuration();
  bool must_read = true;
  while (true) {
    // The client's deadline cancels the call too, so this covers DEADLINE_EXCEEDED.
    if (sink.cancelled()) return absl::CancelledError("the client went away");
    if (must_read) {
      CAK_ASSIGN_OR_RETURN(std::vector<SignalEvent> events,
                           repository_->EventsAfter(id, after, kWatchBatch, call.deadline));
      for (const SignalEvent& e : events) {
        if (!sink.send(e)) return absl::CancelledError("the client went away");
        after = e.sequence;
        final_seen = final_seen || IsFinal(e.to, e.decline_reason);
      }
      if (static_cast<int>(events.size()) == kWatchBatch) continue;  // more to send
      if (final_seen) return absl::OkStatus();
      since_read = absl::ZeroDuration();
      must_read = false;
    }
    switch (subscription->Wait(settings_.watch_tick)) {
      case common::ChangeNotifier::WaitResult::kShutdown:
        return common::MakeError(absl::StatusCode::kUnavailable, common::reason::kShuttingDown,
                                 "the server is shutting down; resume the watch after the last sequence");
      case common::ChangeNotifier::WaitResult::kChanged:
        must_read = true;
        break;
      case common::ChangeNotifier::WaitResult::kTimeout:
        since_read += settings_.watch_tick;
        must_read = since_read >= settings_.watch_resync;
        break;
    }
  }
}

absl::StatusOr<PurgeResult> SignalService::Purge(const CallContext& call, bool dry_run) {
  const absl::Time now = clock_->Now();
  PurgeResult result;
  result.cutoff = now - settings_.retention;
  result.dry_run = dry_run;
  ProcessingRecord record;
  record.name = "intake.PurgeSignals";
  record.activity = ProcessingActivity::kBewaartermijn;
  record.end_time = now;
  CAK_ASSIGN_OR_RETURN(PurgeOutcome outcome, repository_->Purge(call, result.cutoff, dry_run, record));
  result.count = outcome.count;
  result.signal_ids = std::move(outcome.signal_ids);
  return result;
}

absl::Status SignalNotFound() {
  return common::MakeError(absl::StatusCode::kNotFound, kReasonSignalNotFound, "no such signal");
}

Actor ActorOf(const common::Principal& principal) { return Actor{principal.id, principal.kind}; }

std::string SignalName(const std::string& id) { return "signals/" + id; }

absl::StatusOr<common::ErasureOutcome> SignalService::EraseSubjectData(const common::CallContext& call,
                                                                       const common::Bsn& customer, bool dry_run) {
  CAK_ASSIGN_OR_RETURN(const int64_t signals, repository_->RemoveExampleCustomers(call, {customer}, dry_run, nullptr));
  common::ErasureOutcome out;
  out.categories.push_back({"signals", "Meldingen waarin u als voorbeeld werd genoemd", signals});
  if (signals > 0) {
    out.kept.push_back(
        "De meldingen zelf, zonder uw BSN: ze gaan over een gebeurtenis bij het CAK, niet over u. Vrije tekst die "
        "een melder over u schreef wordt niet automatisch verwijderd: de privacy officer beoordeelt die apart.");
  }
  return out;
}

absl::StatusOr<common::FollowOutcome> SignalService::FollowRemovals(const common::CallContext& call,
                                                                    common::SubjectRemovalFeed& feed,
                                                                    const common::DataSubjectHasher& ids,
                                                                    bool dry_run) {
  CAK_ASSIGN_OR_RETURN(const common::RemovalPosition from, repository_->RemovalFeedPosition(call.deadline));
  // The feed names people by their log id: the customers the signals name, by theirs.
  CAK_ASSIGN_OR_RETURN(const std::vector<common::Bsn> named, repository_->ExampleCustomers(call.deadline));
  absl::flat_hash_map<std::string, common::Bsn> by_id;
  for (const common::Bsn& bsn : named) by_id.emplace(ids.Hash(bsn), bsn);
  return common::FollowRemovals(
      feed, call, from, kRemovalPage, dry_run,
      [&](const std::vector<common::SubjectRemoval>& page, bool dry) -> absl::StatusOr<common::PageOutcome> {
        std::vector<common::Bsn> customers;
        for (const common::SubjectRemoval& r : page) {
          auto it = by_id.find(r.data_subject_id);
          if (it == by_id.end()) continue;
          customers.push_back(it->second);
          by_id.erase(it);  // (once, should the feed name them twice)
        }
        common::FollowedPage followed{page.back().position,
                                      common::MakeRecord("intake.FollowSubjectRemovals",
                                                         common::ProcessingActivity::kBewaartermijn, clock_->Now())};
        followed.record.attributes = {{"removals", absl::StrCat(page.size())}};
        CAK_ASSIGN_OR_RETURN(const int64_t signals,
                             repository_->RemoveExampleCustomers(call, customers, dry, dry ? nullptr : &followed));
        return common::PageOutcome{static_cast<int64_t>(customers.size()), signals};
      });
}

absl::StatusOr<common::SubjectData> SignalService::ExportSubjectData(const common::CallContext& call,
                                                                     const common::Bsn& customer) {
  CAK_ASSIGN_OR_RETURN(std::vector<Signal> signals, repository_->SignalsNaming(customer, call.deadline));
  return SubjectExport(signals, settings_.retention);
}

}  // namespace cak::intake::domain
