// campaign-svc's domain model: a campaign (the information action), its groups with action,
// message versions, executor feasibility and release state, the human decisions on it, and
// the lifecycle rules (DRAFT -> READY_FOR_REVIEW -> APPROVED -> RELEASED -> COMPLETED, or
// CANCELLED; back to DRAFT on requested changes). Plain structs and pure functions: no gRPC,
// no SQL.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "campaign-svc/src/domain/readability.h"
#include "common/base/message_template.h"
#include "common/base/principal.h"

namespace cak::campaign::domain {

// Numbered as the proto enums (the API maps by value).
enum class CampaignState {
  kDraft = 1,
  kReadyForReview = 2,
  kApproved = 3,
  kReleased = 4,
  kCompleted = 5,
  kCancelled = 6
};
enum class Action { kUnspecified = 0, kLetter = 1, kCall = 2, kContactMoment = 3, kNone = 4 };
// How a customer contacted CAK (the contact-report extract's channel); the proto's numbers.
enum class ResponseChannel { kUnspecified = 0, kPhone = 1, kLetter = 2, kEmail = 3, kWebsite = 4 };
enum class FeasibilityState { kUnspecified = 0, kAwaitingSignOff = 1, kConfirmed = 2, kRejected = 3 };
enum class OrderDelivery { kUnspecified = 0, kPending = 1, kCreated = 2, kFailed = 3 };
enum class DecisionKind {
  kSubmitted = 1,
  kApproved = 2,
  kChangesRequested = 3,
  kReleased = 4,
  kCompleted = 5,
  kCancelled = 6
};

absl::string_view CampaignStateName(CampaignState s);
absl::string_view ActionName(Action a);

// Whether the group is contacted at all (LETTER, CALL, CONTACT_MOMENT).
bool Contacted(Action a);
// The message channel of a contacted action.
common::MessageChannel ChannelOf(Action a);

struct MessageVersion {
  int version = 0;
  std::string text;
  std::string author;
  absl::Time create_time;
};

// Step 7: the executor's answer as last seen from dispatch-svc.
struct GroupFeasibility {
  std::string check_id;  // dispatch-svc's feasibilityChecks/{id}
  FeasibilityState state = FeasibilityState::kUnspecified;
  bool feasible = false;
  std::optional<absl::CivilDay> earliest_start;
  std::vector<std::string> reasons;
  std::string decided_by, decision_comment;
  int64_t volume = 0;
  Action action = Action::kUnspecified;  // what was asked: a change of these drops the answer
  absl::CivilDay window_start, window_end;
  std::string guidelines;  // the executor judged the work with these
  absl::Time check_time;
};

struct CampaignGroup {
  std::string name;
  int priority = 0;          // from 1
  int64_t member_count = 0;  // group members in the target group set
  Action action = Action::kUnspecified;
  std::optional<MessageVersion> message;  // the current version
  std::string guidelines;
  std::optional<absl::CivilDay> window_start, window_end;
  std::string contact_moment_code;
  std::map<std::string, std::string> values;
  std::optional<GroupFeasibility> feasibility;
  // Frozen on submit.
  std::string recipient_list, control_list;
  int64_t recipient_count = 0;
  // After release (derived from the outbox).
  OrderDelivery order_delivery = OrderDelivery::kUnspecified;
  std::string dispatch_order;
  std::string order_error;
};

struct Decision {
  DecisionKind kind = DecisionKind::kSubmitted;
  std::string actor;
  std::string comment;
  absl::Time time;
};

// The headline of a response measurement kept in analysis-svc (responseMeasurements/{id}): what
// the campaign shows as its latest.
struct ResponseSummary {
  std::string measurement;  // "responseMeasurements/{id}"
  absl::Time measure_time;
  int64_t snapshot_version = 0;
  int64_t responders = 0, members = 0;                  // contacted members found / responded
  int64_t control_responders = 0, control_members = 0;  // 0 members: no control group
};

struct Campaign {
  std::string id;  // uuid
  std::string title;
  std::string signal_id;            // intake-svc signals/{id}
  std::string target_group_set_id;  // analysis-svc targetGroupSets/{id}
  CampaignState state = CampaignState::kDraft;
  std::vector<CampaignGroup> groups;
  double control_share = 0;
  uint64_t control_seed = 0;
  std::string created_by;
  std::vector<std::string> editors;
  std::vector<Decision> decisions;
  absl::Time create_time, update_time;
  int64_t revision = 1;
  // The information action's trace (its signal's action_traceparent): the campaign's
  // processings, and the peers' work for it, are logged there (common::WithinAction).
  std::string action_traceparent;
  // The contact-report topics that count as a response when the campaign is measured
  // (common::ContactTopics; empty: every topic).
  std::vector<std::string> response_topics;
  // The contact channels that count as a response (empty: every channel).
  std::vector<ResponseChannel> response_channels;
  // The latest response measurement asked for through this service (MeasureResponse).
  std::optional<ResponseSummary> latest_response;
};

// Held back as control group out of `members` at `share`: round(share * members).
int64_t ControlCount(int64_t members, double share);

// The contacted volume of a group: members minus the control group.
int64_t ContactedVolume(const Campaign& c, const CampaignGroup& g);

// The message reference dispatch orders carry: "campaigns/{id}/groups/{n}/messages/{v}".
std::string MessageReference(const Campaign& c, const CampaignGroup& g, int version);

// Index of the group named `name`, or INVALID_ARGUMENT GROUP_NOT_FOUND (field `field`).
absl::StatusOr<size_t> FindGroup(const Campaign& c, absl::string_view name, absl::string_view field);

// FAILED_PRECONDITION CAMPAIGN_NOT_EDITABLE unless DRAFT.
absl::Status CheckEditable(const Campaign& c);

// What a group needs before review (FAILED_PRECONDITION GROUP_INCOMPLETE /
// FEASIBILITY_NOT_CONFIRMED / NOT_FEASIBLE, field groups[i].<what>).
absl::Status CheckReadyForReview(const Campaign& c);

// Four eyes: PERMISSION_DENIED APPROVER_ROLE_REQUIRED unless `reviewer` is an employee with the
// approver role, FOUR_EYES_VIOLATION when they created, edited or submitted the campaign.
absl::Status CheckReviewer(const Campaign& c, const common::Principal& reviewer);

// Records `actor` as an editor (once) and bumps the revision.
void Touch(Campaign* c, absl::string_view actor, absl::Time now);

}  // namespace cak::campaign::domain
