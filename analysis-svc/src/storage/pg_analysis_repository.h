// PostgreSQL implementation of domain::AnalysisRepository: target group sets, frozen
// recipient lists with their routed members, samples, streamed disclosures' log entries and
// the retention purge (schema: analysis-svc/migrations). Each write is one transaction with its
// idempotency claim and processing-log entries.
#pragma once

#include <string>

#include "analysis-svc/src/domain/repository.h"
#include "common/db/pool.h"
#include "common/db/processing_log_store.h"

namespace cak::analysis::storage {

class PgAnalysisRepository final : public domain::AnalysisRepository {
 public:
  // Not owned.
  PgAnalysisRepository(common::db::PgPool* pool, std::string schema, const common::db::ProcessingLogStore* log);

  absl::StatusOr<std::optional<std::string>> FindClaim(const common::IdempotencyKey& key, absl::Time deadline) override;
  absl::StatusOr<int64_t> ObjectionRegisterVersion(absl::Time deadline) override;
  absl::StatusOr<std::vector<domain::ActiveObjection>> ActiveObjections(absl::Time deadline) override;
  absl::StatusOr<std::pair<common::ObjectionState, bool>> RecordObjection(int32_t bsn,
                                                                          const common::ObjectionState& objection,
                                                                          absl::Time deadline) override;
  absl::StatusOr<std::optional<common::ObjectionState>> LiftObjection(int32_t bsn, const common::ObjectionState& lift,
                                                                      absl::Time deadline) override;
  absl::StatusOr<domain::ErasureCounts> EraseCustomer(const common::CallContext& call, int32_t bsn,
                                                      const std::string& subject_key, absl::CivilDay today,
                                                      bool dry_run, const common::ProcessingRecord& removal) override;
  absl::StatusOr<absl::flat_hash_map<std::string, domain::Tombstone>> Tombstones(absl::Time deadline) override;
  absl::StatusOr<std::vector<common::SubjectRemoval>> SubjectRemovals(const common::RemovalPosition& after, int limit,
                                                                      absl::Time deadline) override;
  absl::StatusOr<domain::TargetGroupSetRecord> CreateTargetGroupSet(const common::CallContext& call,
                                                                    const domain::TargetGroupSetRecord& set,
                                                                    const common::IdempotencyKey* key,
                                                                    const common::ProcessingRecord& record,
                                                                    bool* replayed) override;
  absl::StatusOr<domain::TargetGroupSetRecord> GetTargetGroupSet(const std::string& id, absl::Time deadline) override;
  absl::StatusOr<domain::RecipientListRecord> FreezeRecipientList(
      const common::CallContext& call, const domain::RecipientListRecord& list, const domain::SnapshotInfo& snapshot,
      const std::vector<domain::MemberRef>& members, const domain::RecipientListRecord* control,
      const std::vector<domain::MemberRef>& control_members, const common::IdempotencyKey* key,
      const common::ProcessingRecord& record, bool* replayed) override;
  absl::StatusOr<domain::RecipientListRecord> GetRecipientList(const std::string& id, absl::Time deadline) override;
  absl::Status StreamMembers(const std::string& list_id, int64_t after_position, int64_t until_position, int batch_size,
                             const std::function<absl::Status(std::vector<domain::RecipientRow>&)>& batch) override;
  absl::StatusOr<std::vector<int32_t>> MemberBsns(const std::string& list_id, int64_t member_count,
                                                  absl::Time deadline) override;
  absl::StatusOr<std::vector<domain::CustomerDetails>> CustomerDetailsOf(const domain::SnapshotInfo& snapshot,
                                                                         const std::vector<int32_t>& bsns,
                                                                         absl::Time deadline) override;
  absl::Status SaveSample(const common::CallContext& call, const domain::SampleRecord& sample,
                          const common::ProcessingRecord& record) override;
  absl::Status AppendLog(const common::CallContext& call, const common::ProcessingRecord& record) override;
  absl::Status AppendLogWithSubjectRows(const common::CallContext& call,
                                        const common::ProcessingRecord& record) override;
  absl::Status SaveMeasurement(const common::CallContext& call, const domain::KeptMeasurement& measurement,
                               const common::ProcessingRecord& record) override;
  absl::StatusOr<domain::KeptMeasurement> GetMeasurement(const std::string& id, absl::Time deadline) override;
  absl::StatusOr<std::vector<domain::KeptMeasurement>> ListMeasurements(
      const std::string& campaign, const std::optional<std::pair<absl::Time, std::string>>& after, int limit,
      absl::Time deadline) override;
  absl::StatusOr<int64_t> StartDisclosure(const common::CallContext& call,
                                          const common::ProcessingRecord& record) override;
  absl::Status LogDisclosed(int64_t entry_id, const std::vector<common::Bsn>& subjects, absl::Time deadline) override;
  absl::StatusOr<domain::SubjectRows> SubjectRowsOf(const domain::SnapshotInfo& snapshot, int32_t bsn,
                                                    absl::Time deadline) override;
  absl::StatusOr<domain::PurgeCounts> PurgeCustomers(const common::CallContext& call, absl::CivilDay cutoff,
                                                     absl::CivilDay today, bool dry_run,
                                                     common::ProcessingRecord record,
                                                     const TombstoneKeyOf& tombstone_key) override;

 private:
  // `sql` with ${s} replaced by the schema.
  std::string Q(absl::string_view sql) const;
  // A change of the objection register, in the transaction that made it.
  void BumpObjectionRegister(common::db::Tx& tx) const;
  common::db::PgPool* pool_;
  std::string schema_;
  const common::db::ProcessingLogStore* log_;
};

}  // namespace cak::analysis::storage
