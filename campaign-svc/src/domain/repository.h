// campaign-svc's storage, as an interface (PostgreSQL in src/storage; a fake in unit tests).
// Every write is one transaction; writes that hand work to another service also enqueue the
// outbox messages for it in that transaction (common/db/outbox).
//
// Errors: UNAVAILABLE / RESOURCE_EXHAUSTED / DEADLINE_EXCEEDED from the pool, INTERNAL for
// database errors, NOT_FOUND CAMPAIGN_NOT_FOUND for an unknown id, ABORTED CONCURRENT_UPDATE
// when `expected_revision` no longer matches (another change came first).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "campaign-svc/src/domain/model.h"
#include "common/base/idempotency_key.h"
#include "common/base/outbox.h"
#include "common/base/processing_log.h"
#include "common/base/subject_data.h"

namespace cak::campaign::domain {

struct CampaignFilter {
  std::optional<CampaignState> state;
  std::string signal_id;
};

struct ListPosition {
  absl::Time create_time;
  std::string id;
};

class CampaignRepository {
 public:
  virtual ~CampaignRepository() = default;

  // Stores a new campaign with its processing-log entry `record`; a repeat of `key` returns
  // the first one with *replayed set (INVALID_ARGUMENT REQUEST_ID_REUSED for another request
  // under the same id).
  virtual absl::StatusOr<Campaign> Create(const Campaign& campaign, const common::IdempotencyKey* key, bool* replayed,
                                          const common::CallContext& call, const common::ProcessingRecord& record) = 0;
  // The campaign an earlier CreateCampaign with `key` created (nullopt: a new request_id;
  // INVALID_ARGUMENT REQUEST_ID_REUSED for another request under the same id).
  virtual absl::StatusOr<std::optional<Campaign>> FindCreated(const common::IdempotencyKey& key,
                                                              absl::Time deadline) = 0;
  // The campaign with its groups, current message versions, decisions, and the delivery state
  // of its release messages.
  virtual absl::StatusOr<Campaign> Get(const std::string& id, absl::Time deadline) = 0;
  // Newest first, after `after`.
  virtual absl::StatusOr<std::vector<Campaign>> List(const CampaignFilter& filter,
                                                     const std::optional<ListPosition>& after, int limit,
                                                     absl::Time deadline) = 0;
  // Writes `campaign` (state, groups, editors, revision), appends `new_message` to a group's
  // versions (group index, version) and `decision`, enqueues `outbox` and writes the
  // processing-log entry `record` (of `call`), all in one transaction, provided the stored
  // revision is still `expected_revision`.
  struct Change {
    const Campaign* campaign = nullptr;
    int64_t expected_revision = 0;
    std::optional<std::pair<size_t, MessageVersion>> new_message;
    std::optional<Decision> decision;
    std::vector<common::OutboxMessage> outbox;
    const common::CallContext* call = nullptr;
    std::optional<common::ProcessingRecord> record;
  };
  virtual absl::Status Save(const Change& change, absl::Time deadline) = 0;
  // Records `latest` as the campaign's latest response measurement, with `record`, in one
  // transaction; not an edit (revision and editors stay). NOT_FOUND CAMPAIGN_NOT_FOUND.
  virtual absl::Status RecordResponse(const std::string& campaign_id, const ResponseSummary& latest,
                                      const common::CallContext& call, const common::ProcessingRecord& record) = 0;
  // A processing-log entry in a transaction of its own: a preview (nothing else is written),
  // or a processing that failed after personal data was processed (status ERROR).
  virtual absl::Status Log(const common::CallContext& call, const common::ProcessingRecord& record,
                           absl::Time deadline) = 0;
  // Offers the campaign's refused outbox messages (orders dispatch-svc refused) again, due now,
  // with their request ids; returns how many.
  virtual absl::StatusOr<int64_t> RequeueFailed(const std::string& campaign_id, absl::Time now,
                                                absl::Time deadline) = 0;
  // The previews that showed the person with log id `subject_id` (campaign-svc keeps no other
  // personal data: a preview is only logged, per shown subject), with the campaign's title,
  // the group and the message version, oldest first. No writes.
  virtual absl::StatusOr<std::vector<common::SubjectRow>> SubjectPreviews(const std::string& subject_id,
                                                                          absl::Time deadline) = 0;
  // Every message version of one group, newest first.
  virtual absl::StatusOr<std::vector<MessageVersion>> ListMessageVersions(const std::string& campaign_id,
                                                                          const std::string& group,
                                                                          absl::Time deadline) = 0;
};

}  // namespace cak::campaign::domain
