// What campaign-svc needs from the other three services, as interfaces: intake-svc (the
// signal's state, ACTION_PLANNED and CLOSED), analysis-svc (target groups, frozen recipient
// lists, preview samples) and dispatch-svc (feasibility, orders). src/clients implements them
// over the gRPC contracts; unit tests use fakes.
//
// Errors are the peer's, with its reason kept (common::FromPeerStatus): UNAVAILABLE /
// DEADLINE_EXCEEDED when it cannot be reached, NOT_FOUND / FAILED_PRECONDITION / ... as it
// answered.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "campaign-svc/src/domain/model.h"
#include "common/base/processing_log.h"

namespace cak::campaign::domain {

// intake-svc's signal states (numbered as its proto).
enum class SignalState {
  kUnknown = 0,
  kReceived = 1,
  kInAssessment = 2,
  kNoAction = 3,
  kActionPlanned = 4,
  kClosed = 5
};

struct SignalInfo {
  SignalState state = SignalState::kUnknown;
  std::string action_traceparent;  // the information action's trace (empty for old signals)
};

class IntakeGateway {
 public:
  virtual ~IntakeGateway() = default;
  virtual absl::StatusOr<SignalInfo> GetSignal(const common::CallContext& call, const std::string& signal_id) = 0;
  // IN_ASSESSMENT -> ACTION_PLANNED; OK when the signal already is ACTION_PLANNED (a repeat).
  virtual absl::Status MarkActionPlanned(const common::CallContext& call, const std::string& signal_id,
                                         const std::string& campaign_name) = 0;
  // ACTION_PLANNED -> CLOSED with feedback for the reporter; OK when already CLOSED.
  virtual absl::Status Close(const common::CallContext& call, const std::string& signal_id,
                             const std::string& feedback) = 0;
};

struct TargetGroupInfo {
  std::string name;
  int64_t member_count = 0;
};

struct TargetGroupSetInfo {
  std::string id;
  std::string signal_id;
  int64_t snapshot_version = 0;
  std::vector<TargetGroupInfo> groups;  // priority order
};

struct FrozenList {
  std::string list_id, control_list_id;  // control: empty without a control group
  int64_t member_count = 0;              // contacted members
};

// One sampled recipient for a preview, pseudonymised.
struct PreviewSubject {
  std::string pseudonym;
  std::string data_subject_id;      // the member's processing-log id (logged with the preview)
  std::string masked_name;          // "J. d* V*****"
  bool routed_to_relation = false;  // the representative or contact person receives it
};

// A response measurement of a released campaign (analysis-svc MeasureResponse).
struct ResponseQuestion {
  struct Group {
    std::string name;
    std::string recipient_list_id, control_list_id;  // control: empty without one
    std::string dispatch_order;                      // "dispatchOrders/{id}"; empty: no outcomes
    Action action = Action::kLetter;
    absl::CivilDay send_day;
  };
  std::string campaign_name;  // "campaigns/{id}"
  std::vector<Group> groups;
  std::optional<absl::CivilDay> end_day;  // default: analysis-svc's today
  std::vector<std::string> topics;        // the campaign's response topics; empty: every topic
  std::vector<ResponseChannel> channels;  // the campaign's response channels; empty: every channel
  uint64_t sample_seed = 0;
};

class AnalysisGateway {
 public:
  virtual ~AnalysisGateway() = default;
  // NOT_FOUND TARGET_GROUP_SET_NOT_FOUND.
  virtual absl::StatusOr<TargetGroupSetInfo> GetTargetGroupSet(const common::CallContext& call,
                                                               const std::string& set_id) = 0;
  // Idempotent by request_id. FAILED_PRECONDITION SNAPSHOT_CHANGED when a newer snapshot
  // replaced the set's.
  virtual absl::StatusOr<FrozenList> FreezeList(const common::CallContext& call, const std::string& request_id,
                                                const std::string& set_id, const std::string& group,
                                                double control_share, uint64_t control_seed) = 0;
  // A seeded, pseudonymised sample of the group's own members, drawn by analysis-svc from the
  // target group where it is defined (the members its frozen list would have; campaign-svc
  // does not rebuild membership). FAILED_PRECONDITION SNAPSHOT_CHANGED when a newer snapshot
  // replaced the set's.
  virtual absl::StatusOr<std::vector<PreviewSubject>> SampleGroup(const common::CallContext& call,
                                                                  const std::string& set_id, const std::string& group,
                                                                  int size, uint64_t seed) = 0;
  // Measures and keeps the measurement there; its headline. INVALID_ARGUMENT / NOT_FOUND as
  // analysis-svc answers (END_BEFORE_SEND_DATE, RECIPIENT_LIST_NOT_FOUND, ...).
  virtual absl::StatusOr<ResponseSummary> MeasureResponse(const common::CallContext& call,
                                                          const ResponseQuestion& question) = 0;
};

struct FeasibilityQuestion {
  std::string request_id;
  Action action = Action::kLetter;
  int64_t volume = 0;
  absl::CivilDay window_start, window_end;
  std::string campaign_name;
  std::string guidelines;  // the group's, for the executor to judge the work with
};

// What a dispatch order needs (the message pinned to its version).
struct OrderRequest {
  std::string request_id;
  std::string campaign_name;
  std::string group;
  std::string recipient_list_id;
  Action action = Action::kLetter;
  std::string message_reference, message_text;
  std::string guidelines;
  absl::CivilDay window_start, window_end;
  std::map<std::string, std::string> values;
  std::string contact_moment_code;
  std::string feasibility_check_id;
};

enum class OrderState { kUnknown = 0, kGenerating = 1, kReady = 2, kCompleted = 3, kPurged = 4 };

class DispatchGateway {
 public:
  virtual ~DispatchGateway() = default;
  // FAILED_PRECONDITION NO_EXECUTOR_FOR_CHANNEL. Idempotent by request_id.
  virtual absl::StatusOr<GroupFeasibility> CheckFeasibility(const common::CallContext& call,
                                                            const FeasibilityQuestion& question) = 0;
  virtual absl::StatusOr<GroupFeasibility> GetFeasibility(const common::CallContext& call,
                                                          const std::string& check_id) = 0;
  // The order's id. Idempotent by request_id.
  virtual absl::StatusOr<std::string> CreateOrder(const common::CallContext& call, const OrderRequest& order) = 0;
  virtual absl::StatusOr<OrderState> GetOrderState(const common::CallContext& call, const std::string& order_id) = 0;
};

}  // namespace cak::campaign::domain
