// PostgreSQL implementation of campaign-svc's CampaignRepository (schema from
// campaign-svc/migrations plus the common outbox). A campaign row holds its groups as one
// JSON document; message versions and decisions are append-only tables beside it; the release
// state of each group is read from the campaign's outbox messages.
#pragma once

#include <functional>
#include <string>

#include "campaign-svc/src/domain/repository.h"
#include "common/db/pool.h"
#include "common/db/processing_log_store.h"

namespace cak::campaign::storage {

class PgCampaignRepository final : public domain::CampaignRepository {
 public:
  // `on_outbox` (may be empty) runs after a commit that enqueued outbox messages (wakes the
  // local relay). `log` writes the processing log (not owned).
  PgCampaignRepository(common::db::PgPool* pool, std::string schema, const common::db::ProcessingLogStore* log,
                       std::function<void()> on_outbox);

  absl::StatusOr<domain::Campaign> Create(const domain::Campaign& campaign, const common::IdempotencyKey* key,
                                          bool* replayed, const common::CallContext& call,
                                          const common::ProcessingRecord& record) override;
  absl::StatusOr<std::optional<domain::Campaign>> FindCreated(const common::IdempotencyKey& key,
                                                              absl::Time deadline) override;
  absl::StatusOr<domain::Campaign> Get(const std::string& id, absl::Time deadline) override;
  absl::StatusOr<int64_t> RequeueFailed(const std::string& campaign_id, absl::Time now, absl::Time deadline) override;
  absl::StatusOr<std::vector<domain::Campaign>> List(const domain::CampaignFilter& filter,
                                                     const std::optional<domain::ListPosition>& after, int limit,
                                                     absl::Time deadline) override;
  absl::Status Save(const Change& change, absl::Time deadline) override;
  absl::Status RecordResponse(const std::string& campaign_id, const domain::ResponseSummary& latest,
                              const common::CallContext& call, const common::ProcessingRecord& record) override;
  absl::Status Log(const common::CallContext& call, const common::ProcessingRecord& record,
                   absl::Time deadline) override;
  absl::StatusOr<std::vector<common::SubjectRow>> SubjectPreviews(const std::string& subject_id,
                                                                  absl::Time deadline) override;
  absl::StatusOr<std::vector<domain::MessageVersion>> ListMessageVersions(const std::string& campaign_id,
                                                                          const std::string& group,
                                                                          absl::Time deadline) override;

 private:
  std::string Q(absl::string_view sql) const;
  // Reads one campaign on `sql` (nullopt when absent). Throws what SOCI throws.
  std::optional<domain::Campaign> Read(soci::session& sql, const std::string& id) const;

  common::db::PgPool* pool_;
  std::string schema_;
  const common::db::ProcessingLogStore* log_;
  std::function<void()> on_outbox_;
};

}  // namespace cak::campaign::storage
