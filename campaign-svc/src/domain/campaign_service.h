// campaign-svc's use cases (record M7624 steps 4, 5 and 6, the four-eyes decisions and the
// release), free of gRPC and SQL. The API layer maps protos to these calls; main() wires the
// PostgreSQL repository, the three peer gateways and the outbox relay, whose handlers are the
// Deliver* methods below.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "campaign-svc/src/domain/model.h"
#include "campaign-svc/src/domain/peers.h"
#include "campaign-svc/src/domain/repository.h"
#include "common/base/clock.h"
#include "common/base/outbox.h"
#include "common/base/processing_log.h"
#include "common/base/subject_data.h"

namespace cak::campaign::domain {

// Outbox topics of a release and a completion. Payloads: the group's name (orders), the
// campaign's name (ACTION_PLANNED), the reporter's feedback (CLOSED).
inline constexpr char kTopicCreateOrder[] = "dispatch.CreateDispatchOrder";
inline constexpr char kTopicSignalPlanned[] = "intake.MarkSignalActionPlanned";
inline constexpr char kTopicSignalClosed[] = "intake.CloseSignal";

struct CampaignSettings {
  absl::TimeZone zone = absl::UTCTimeZone();      // what "today" is (Europe/Amsterdam in production)
  std::string service_identity = "campaign-svc";  // the outbox relay's actor
};

struct NewCampaign {
  std::string request_id, fingerprint;
  std::string title;
  std::string signal_id, target_group_set_id;
  double control_share = 0;
  uint64_t control_seed = 0;
  std::vector<std::string> response_topics;        // each in common::ContactTopics, none twice, at most 20
  std::vector<ResponseChannel> response_channels;  // none unspecified, none twice
};

// A change to one group: only the fields named in `paths` apply.
struct GroupUpdate {
  std::string group;
  std::vector<std::string> paths;  // action, message_text, guidelines, window_start, ...
  Action action = Action::kUnspecified;
  std::string message_text;
  std::string guidelines;
  std::optional<absl::CivilDay> window_start, window_end;
  std::string contact_moment_code;
  std::map<std::string, std::string> values;
};

struct PreviewRequest {
  std::string group;
  int sample_size = 3;
  uint64_t seed = 0;
};

struct RenderedPreview {
  std::string pseudonym;
  std::string text;
};

struct Preview {
  int message_version = 0;
  std::string text;  // the template
  std::vector<RenderedPreview> previews;
};

class CampaignService {
 public:
  // None of the pointers is owned.
  CampaignService(CampaignRepository* repository, IntakeGateway* intake, AnalysisGateway* analysis,
                  DispatchGateway* dispatch, const common::Clock* clock, CampaignSettings settings);

  // INVALID_ARGUMENT for a bad title / share; the peers' answers as documented in the proto.
  absl::StatusOr<Campaign> Create(const common::CallContext& call, const NewCampaign& request, bool* replayed);
  absl::StatusOr<Campaign> Get(const common::CallContext& call, const std::string& id);
  absl::StatusOr<std::vector<Campaign>> List(const common::CallContext& call, const CampaignFilter& filter,
                                             const std::optional<ListPosition>& after, int limit);
  absl::StatusOr<Campaign> UpdateGroup(const common::CallContext& call, const std::string& id,
                                       const GroupUpdate& update);
  absl::StatusOr<std::vector<MessageVersion>> ListMessageVersions(const common::CallContext& call,
                                                                  const std::string& id, const std::string& group);
  // INVALID_ARGUMENT for a sample size outside 1..20; FAILED_PRECONDITION NO_MESSAGE when the
  // group has no message yet.
  absl::StatusOr<Preview> PreviewMessage(const common::CallContext& call, const std::string& id,
                                         const PreviewRequest& request);
  absl::StatusOr<Campaign> CheckFeasibility(const common::CallContext& call, const std::string& id);
  absl::StatusOr<Campaign> Submit(const common::CallContext& call, const std::string& id, const std::string& comment);
  absl::StatusOr<Campaign> Approve(const common::CallContext& call, const std::string& id, const std::string& comment,
                                   int64_t revision);
  absl::StatusOr<Campaign> RequestChanges(const common::CallContext& call, const std::string& id,
                                          const std::string& comment);
  absl::StatusOr<Campaign> Release(const common::CallContext& call, const std::string& id);
  absl::StatusOr<Campaign> Complete(const common::CallContext& call, const std::string& id,
                                    const std::string& feedback);
  absl::StatusOr<Campaign> Cancel(const common::CallContext& call, const std::string& id, const std::string& reason);
  // Step 9: the response of a RELEASED or COMPLETED campaign (FAILED_PRECONDITION
  // INVALID_STATE_TRANSITION otherwise), measured and kept by analysis-svc with the contacted
  // groups' lists, control lists, dispatch orders and send dates (window_start) and the
  // campaign's response topics; recorded as the campaign's latest_response. Peer errors as
  // analysis-svc answers them.
  absl::StatusOr<Campaign> MeasureResponse(const common::CallContext& call, const std::string& id,
                                           std::optional<absl::CivilDay> end_day, uint64_t sample_seed);

  // What campaign-svc holds about the person whose processing-log id is `subject_id` (the
  // previews that showed them), for an access request; the caller
  // (common::DataSubjectServiceImpl) logs the access.
  absl::StatusOr<common::SubjectData> ExportSubjectData(const common::CallContext& call, const std::string& subject_id);

  // Outbox handlers (the relay calls them; see common/db/outbox.h). Each returns what to
  // record as the message's result.
  absl::StatusOr<std::string> DeliverOrder(const common::OutboxRecord& message);
  absl::StatusOr<std::string> DeliverSignalPlanned(const common::OutboxRecord& message);
  absl::StatusOr<std::string> DeliverSignalClosed(const common::OutboxRecord& message);

  absl::CivilDay Today() const;

 private:
  absl::StatusOr<Campaign> Load(const common::CallContext& call, const std::string& id);
  // Moves `c` to `to` with the caller's decision `kind` (and `outbox`), logged as `record`, in
  // one revision-checked save (ABORTED CONCURRENT_UPDATE when `expected_revision` is stale);
  // returns it as saved. `call` runs within the campaign's action (common::WithinAction).
  absl::StatusOr<Campaign> Decide(const common::CallContext& call, Campaign c, int64_t expected_revision,
                                  CampaignState to, DecisionKind kind, std::string comment,
                                  common::ProcessingRecord record, std::vector<common::OutboxMessage> outbox = {});
  // The processing-log entry of campaign RPC `rpc` on `c`, in its action's trace.
  common::ProcessingRecord Record(const Campaign& c, absl::string_view rpc, common::ProcessingActivity activity) const;
  // `failure` of a processing that already processed personal data (through a peer): logged as
  // `record` with status ERROR in a transaction of its own, then returned (README: failed
  // processing is logged).
  absl::Status LogFailure(const common::CallContext& call, common::ProcessingRecord record, absl::Status failure);
  // The call context a relay delivery runs under: the releasing call's trace continued.
  common::CallContext RelayCall(const common::OutboxRecord& message) const;

  CampaignRepository* repository_;
  IntakeGateway* intake_;
  AnalysisGateway* analysis_;
  DispatchGateway* dispatch_;
  const common::Clock* clock_;
  CampaignSettings settings_;
};

}  // namespace cak::campaign::domain
