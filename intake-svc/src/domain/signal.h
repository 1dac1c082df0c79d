// The signal (melding) and its history as plain values: what intake-svc knows about a request
// for an information action (DESIGN.md section 3, steps 1 and 3 of record M7624).
// Enum values equal the proto enum numbers; api/ checks that at compile time.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "common/base/bsn.h"
#include "common/base/principal.h"

namespace cak::intake::domain {

enum class SignalState { kReceived = 1, kInAssessment = 2, kNoAction = 3, kActionPlanned = 4, kClosed = 5 };
enum class DeclineReason { kNone = 0, kNoActionNeeded = 1, kIncomplete = 2, kDuplicate = 3, kOutOfScope = 4 };
enum class Category {
  kWrongInvoice = 1,
  kRuleChange = 2,
  kConfusingLetter = 3,
  kCustomerSignal = 4,
  kPaymentProblem = 5,
  kOther = 6,
};
enum class Regulation { kWlz = 1, kWmo = 2 };
enum class SourceChannel { kKcc = 1, kEmail = 2, kLetter = 3, kApplication = 4, kEmployee = 5 };
enum class EventType { kReceived = 1, kStateChanged = 2, kInformationAdded = 3 };
enum class DuplicateMatch { kSameRegulationAndCategory = 1, kSharedCustomers = 2, kBoth = 3 };

// Who did something (an employee or an application).
struct Actor {
  std::string id;
  common::PrincipalKind kind = common::PrincipalKind::kEmployee;
  friend bool operator==(const Actor&, const Actor&) = default;
};
Actor ActorOf(const common::Principal& principal);

struct Attachment {
  std::string file_name;
  std::string media_type;
  int64_t size_bytes = 0;
  std::string uri;
  std::string sha256;
};

struct Information {
  std::string text;
  Actor added_by;
  absl::Time add_time;
};

struct DuplicateCandidate {
  std::string signal_id;
  DuplicateMatch match = DuplicateMatch::kSameRegulationAndCategory;
  int shared_customer_count = 0;
};

struct StateChange {
  std::optional<SignalState> from;  // none for the initial RECEIVED
  SignalState to = SignalState::kReceived;
  Actor actor;
  absl::Time change_time;
};

struct Signal {
  std::string id;  // UUID
  Actor reporter;
  SourceChannel source_channel = SourceChannel::kKcc;
  Category category = Category::kOther;
  Regulation regulation = Regulation::kWlz;
  std::string description;
  std::vector<common::Bsn> example_customers;  // personal data; not loaded by List
  int example_customer_count = 0;              // always set
  std::vector<Attachment> attachments;
  SignalState state = SignalState::kReceived;
  DeclineReason decline_reason = DeclineReason::kNone;
  std::string feedback;  // for the reporter (decline, close)
  std::string campaign;  // set when an action is planned
  std::vector<Information> information;
  std::vector<DuplicateCandidate> duplicate_candidates;
  std::vector<StateChange> state_changes;
  absl::Time receive_time;
  absl::Time update_time;
  // When the signal was declined or closed: the retention clock starts here. Cleared when a
  // signal declined as INCOMPLETE is reopened.
  std::optional<absl::Time> final_time;
  // The information action's trace: the W3C traceparent of the SubmitSignal call that received
  // it. Later processings of the signal, and the action's work in the other services, are
  // logged in this trace (ProcessingRecord::action_traceparent).
  std::string action_traceparent;
};

// One entry of a signal's history, as the reporting application sees it.
struct SignalEvent {
  int64_t sequence = 0;
  std::string signal_id;
  EventType type = EventType::kReceived;
  std::optional<SignalState> from;
  SignalState to = SignalState::kReceived;
  Actor actor;
  absl::Time event_time;
  DeclineReason decline_reason = DeclineReason::kNone;
  std::string text;  // feedback, or the campaign reference
};

// "signals/{id}".
std::string SignalName(const std::string& id);

}  // namespace cak::intake::domain
