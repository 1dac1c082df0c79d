// The use cases of intake-svc: receiving signals (step 1), the lifecycle up to the action or the
// feedback that no action follows (step 3), the reporter's watch, and the retention purge.
// Pure domain: it talks to storage through SignalRepository and to time through Clock.
//
// Rules that are not about one field:
// - A reporting application sees only the signals it reported (others are NOT_FOUND, no hints,
//   and no duplicate suggestions, which point at others' signals); employees and the suite's
//   services see all.
// - The FULL view (example customers' BSNs) needs the intake officer or analyst role and is
//   logged per customer shown.
// - Declining is a decision: only an employee may make it (no automated decisions, DESIGN 4.7).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/base/change_notifier.h"
#include "common/base/clock.h"
#include "common/base/data_subject_hasher.h"
#include "common/base/processing_log.h"
#include "common/base/subject_data.h"
#include "common/base/subject_removals.h"
#include "intake-svc/src/domain/signal.h"
#include "intake-svc/src/domain/signal_repository.h"

namespace cak::intake::domain {

inline constexpr char kReasonSignalNotFound[] = "SIGNAL_NOT_FOUND";
inline constexpr char kReasonFullViewNotAllowed[] = "FULL_VIEW_NOT_ALLOWED";
inline constexpr char kReasonDecisionNeedsEmployee[] = "DECISION_REQUIRES_EMPLOYEE";

// NOT_FOUND (SIGNAL_NOT_FOUND), without saying more: also what a caller gets for a signal it
// may not see.
absl::Status SignalNotFound();

struct IntakeSettings {
  absl::Duration duplicate_window = absl::Hours(24 * 30);
  absl::Duration retention = absl::Hours(24 * 730);
  // How often a watch re-reads the database when no notification arrives (a safety net for
  // lost notifications), and how often it checks for cancellation.
  absl::Duration watch_resync = absl::Seconds(5);
  absl::Duration watch_tick = absl::Milliseconds(500);
};

enum class View { kBasic, kFull };

struct SubmitInput {
  Signal content;           // source_channel, category, regulation, description, example_customers, attachments
  std::string request_id;   // optional
  std::string fingerprint;  // of the request, for request_id reuse detection
};

struct PurgeResult {
  int64_t count = 0;
  std::vector<std::string> signal_ids;
  absl::Time cutoff;
  bool dry_run = false;
};

// Where WatchSignal delivers events. send() returns false when the client is gone.
struct WatchSink {
  std::function<bool(const SignalEvent&)> send;
  std::function<bool()> cancelled;
};

class SignalService {
 public:
  // None owned.
  SignalService(SignalRepository* repository, common::ChangeNotifier* notifier, const common::Clock* clock,
                IntakeSettings settings);

  // INVALID_ARGUMENT for bad content or request_id; replays per AIP-155.
  absl::StatusOr<CreateOutcome> Submit(const common::CallContext& call, SubmitInput input);
  // NOT_FOUND; PERMISSION_DENIED (FULL_VIEW_NOT_ALLOWED) for the full view without the role.
  absl::StatusOr<Signal> Get(const common::CallContext& call, const std::string& id, View view);
  // Up to query.limit signals after query.after, newest first; a caller that does not see
  // every signal (a reporting application) sees only its own. INVALID_ARGUMENT
  // INVALID_TIME_WINDOW (receive_time_end) for an empty window.
  absl::StatusOr<std::vector<Signal>> List(const common::CallContext& call, ListQuery query);
  // The lifecycle operations: NOT_FOUND, INVALID_ARGUMENT for bad text, FAILED_PRECONDITION
  // (INVALID_STATE_TRANSITION) in the wrong state.
  absl::StatusOr<Signal> AddInformation(const common::CallContext& call, const std::string& id,
                                        const std::string& text);
  absl::StatusOr<Signal> Decline(const common::CallContext& call, const std::string& id, DeclineReason reason,
                                 const std::string& feedback);
  absl::StatusOr<Signal> StartAssessment(const common::CallContext& call, const std::string& id);
  absl::StatusOr<Signal> MarkActionPlanned(const common::CallContext& call, const std::string& id,
                                           const std::string& campaign);
  absl::StatusOr<Signal> Close(const common::CallContext& call, const std::string& id, const std::string& feedback);

  // Sends the signal's events after `after_sequence` and then every new one, until the signal
  // is final (OK), the client goes or its deadline passes (CANCELLED) or the server drains
  // (UNAVAILABLE, reason SHUTTING_DOWN).
  absl::Status Watch(const common::CallContext& call, const std::string& id, int64_t after_sequence,
                     const WatchSink& sink);

  // What intake-svc holds about `customer` (the signals naming them), for an access request;
  // the caller (common::DataSubjectServiceImpl) logs the access.
  absl::StatusOr<common::SubjectData> ExportSubjectData(const common::CallContext& call, const common::Bsn& customer);
  // Erasure (GDPR art. 17): the person out of every signal's example customers (the signals,
  // about an event at CAK, stay). A dry run only counts. The caller validated and logs.
  absl::StatusOr<common::ErasureOutcome> EraseSubjectData(const common::CallContext& call, const common::Bsn& customer,
                                                          bool dry_run);

  // Purges signals declined or closed before now - retention.
  absl::StatusOr<PurgeResult> Purge(const common::CallContext& call, bool dry_run);

  // Retention that cascades: follows analysis-svc's removals (retention purges, erasures) from
  // where this service last stopped and takes the removed customers out of the signals'
  // example customers, as an erasure does (`ids`: the log ids the feed names people by). Each
  // page is one transaction with its log entry ("intake.FollowSubjectRemovals", the customers
  // named as data subjects) and the new position. A dry run counts and moves nothing.
  absl::StatusOr<common::FollowOutcome> FollowRemovals(const common::CallContext& call,
                                                       common::SubjectRemovalFeed& feed,
                                                       const common::DataSubjectHasher& ids, bool dry_run);
  static constexpr int kRemovalPage = 1000;

  const IntakeSettings& settings() const { return settings_; }

 private:
  absl::Status CheckVisible(const common::Principal& principal, const Signal& signal) const;
  void HideOthersSignals(const common::Principal& principal, Signal* signal) const;
  Mutation NewMutation(const common::CallContext& call, const Signal& current, SignalState to, EventType type) const;
  absl::StatusOr<Signal> Transition(const common::CallContext& call, const std::string& id,
                                    const std::function<absl::StatusOr<Mutation>(const Signal&)>& decide);

  SignalRepository* repository_;
  common::ChangeNotifier* notifier_;
  const common::Clock* clock_;
  IntakeSettings settings_;
};

// True when the principal may see every signal (not only its own reports).
bool SeesAllSignals(const common::Principal& principal);

}  // namespace cak::intake::domain
