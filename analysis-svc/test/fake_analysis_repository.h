// In-memory fakes of analysis-svc's storage seams (src/domain/repository.h) and of the
// executors' outcomes (src/domain/outcome_source.h), so that domain::AnalysisService is unit
// tested without PostgreSQL or a network. The snapshot fake keeps synthetic rows per published
// snapshot and builds the ColumnarSnapshot with the production ColumnarBuilder (routing and
// layout as LoadColumnar gets them out of COPY). The analysis fake keeps target group sets,
// frozen lists with their members by position, the objection register, idempotency claims and
// every processing-log entry in memory, with the codes, reasons and fields of the PostgreSQL
// implementation (src/storage/pg_analysis_repository.cc), so that tests can assert what was
// stored and what was logged for which subjects. Methods no unit test needs return
// UNIMPLEMENTED ("fake: <method>"). Every fake is guarded by a mutex: the service reads lists
// and outcomes on threads of its own.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "analysis-svc/src/domain/analysis_service.h"
#include "analysis-svc/src/domain/columnar.h"
#include "analysis-svc/src/domain/model.h"
#include "analysis-svc/src/domain/outcome_source.h"
#include "analysis-svc/src/domain/repository.h"
#include "common/base/clock.h"
#include "common/base/errors.h"

namespace cak::analysis::testing {

// ---------------------------------------------------------------------------------------------
// Synthetic data

// `count` distinct valid synthetic BSNs (common::SyntheticBsns of `seed`: they pass the
// 11-test, so the service's BsnOf accepts them) as the snapshot stores them, ascending.
std::vector<int32_t> SyntheticCustomerBsns(uint64_t seed, int count);

// An active customer with a postal address and nothing else, as engine_test builds them.
domain::ColumnarBuilder::CustomerRow SyntheticCustomer(int32_t bsn, domain::Regulation regulation, int municipality,
                                                       int32_t birth_ymd = 19500101);

// One snapshot's four data sets, as the rows ColumnarBuilder takes.
struct SyntheticDatasets {
  struct Mailing {
    int32_t customer_bsn = 0;
    domain::MailingType type = domain::MailingType::kAnnualStatement;
    absl::CivilDay day;
  };
  struct Contact {
    int32_t customer_bsn = 0;
    domain::ContactChannel channel = domain::ContactChannel::kPhone;
    absl::CivilDay day;
    bool reached = true;
  };
  std::vector<domain::ColumnarBuilder::CustomerRow> customers;
  std::vector<domain::ColumnarBuilder::RelationRow> relations;
  std::vector<Mailing> mailings;
  std::vector<Contact> contacts;
};

// ---------------------------------------------------------------------------------------------
// Snapshots

class FakeSnapshotRepository final : public domain::SnapshotRepository {
 public:
  // `clock` (not owned) dates the snapshots.
  explicit FakeSnapshotRepository(const common::Clock* clock) : clock_(clock) {}

  // Publishes `data` as the new current snapshot, every non-empty data set as a new version
  // (an empty one has version 0: never imported); returns the snapshot version.
  int64_t Publish(SyntheticDatasets data);
  // LoadColumnar calls so far (the service's cache rebuilds only for a new snapshot).
  int columnar_loads() const;

  absl::StatusOr<domain::SnapshotInfo> CurrentSnapshot(absl::Time deadline) override;
  // INTERNAL for a snapshot this fake never published.
  absl::StatusOr<std::shared_ptr<const domain::ColumnarSnapshot>> LoadColumnar(
      const domain::SnapshotInfo& snapshot) override;
  absl::StatusOr<std::shared_ptr<const domain::ColumnarSnapshot>> LoadCustomerKeys(
      const domain::SnapshotInfo& snapshot) override;
  // Imports are not faked: UNIMPLEMENTED.
  absl::StatusOr<std::unique_ptr<domain::DatasetLoad>> BeginLoad(domain::Dataset dataset,
                                                                 const std::string& source) override;
  absl::StatusOr<std::optional<Claimed>> FindClaim(const std::string& operation,
                                                   const std::string& request_id) override;
  absl::StatusOr<domain::ImportReport> GetImportReport(int64_t dataset_version) override;
  absl::StatusOr<int> CollectVersions() override;

 private:
  struct Published {
    domain::SnapshotInfo info;
    SyntheticDatasets data;
  };
  // The snapshot of `version`, or null (mu_ held).
  const Published* Find(int64_t version) const;

  const common::Clock* clock_;
  mutable std::mutex mu_;
  std::vector<Published> snapshots_;  // ascending version
  int64_t last_dataset_version_ = 0;
  int columnar_loads_ = 0;
};

// ---------------------------------------------------------------------------------------------
// Target groups, lists, objections and the processing log

// One processing-log entry as the fake keeps it.
struct LoggedEntry {
  int64_t id = 0;
  // The repository method that wrote it ("CreateTargetGroupSet", "FreezeRecipientList",
  // "AppendLog", "AppendLogWithSubjectRows", "StartDisclosure").
  std::string written_by;
  std::string actor;  // call.principal.id
  common::ProcessingRecord record;
  // Its own data subjects, as BSN digits: record.data_subjects, for a freeze every member of
  // both lists (the subject rows the PostgreSQL freeze writes), for a disclosure those logged.
  std::vector<std::string> subjects;
  // Entries whose subjects are this entry's too (record.data_subjects_of_entries).
  std::vector<int64_t> subject_refs;
};

class FakeAnalysisRepository final : public domain::AnalysisRepository {
 public:
  // --- What tests inspect or arrange.

  // Every entry still in the log, oldest first; those named `name`.
  std::vector<LoggedEntry> log() const;
  std::vector<LoggedEntry> LogEntries(absl::string_view name) const;
  // An entry's subjects with those of the entries it references (as processing_log_all_subjects
  // reads them), sorted; empty for an unknown entry.
  std::vector<std::string> AllSubjects(int64_t entry_id) const;
  // A frozen list's members by position - 1 (a member the purge removed has BSN 0); empty for
  // an unknown list.
  std::vector<domain::MemberRef> Members(const std::string& list_id) const;
  size_t target_group_set_count() const;
  size_t recipient_list_count() const;
  // The log's retention purge took entry `id`: lists that name it read log_entry_id 0.
  void ForgetLogEntry(int64_t id);
  // The retention purge removed the member at `position` of `list_id` (MemberBsns gives 0).
  void RemoveMember(const std::string& list_id, int64_t position);
  // The next FreezeRecipientList stores and logs nothing and returns `failure`.
  void FailNextFreeze(absl::Status failure);
  // The next MemberBsns of `list_id` returns `failure`.
  void FailNextMemberBsns(const std::string& list_id, absl::Status failure);
  // The next AppendLogWithSubjectRows logs nothing and returns `failure`.
  void FailNextAppendLogWithSubjectRows(absl::Status failure);

  // --- domain::AnalysisRepository

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

  absl::StatusOr<std::optional<std::string>> FindClaim(const common::IdempotencyKey& key, absl::Time deadline) override;
  absl::StatusOr<domain::TargetGroupSetRecord> CreateTargetGroupSet(const common::CallContext& call,
                                                                    const domain::TargetGroupSetRecord& set,
                                                                    const common::IdempotencyKey* key,
                                                                    const common::ProcessingRecord& record,
                                                                    bool* replayed) override;
  absl::StatusOr<domain::TargetGroupSetRecord> GetTargetGroupSet(const std::string& id, absl::Time deadline) override;
  // Besides the contract: INTERNAL when the arguments contradict it (counts that are not the
  // members', a control pair that does not name each other), so a service bug shows.
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
  // INTERNAL for subject references (only AppendLogWithSubjectRows takes them).
  absl::Status AppendLog(const common::CallContext& call, const common::ProcessingRecord& record) override;
  // INTERNAL for a reference to an entry that is not in the log.
  absl::Status AppendLogWithSubjectRows(const common::CallContext& call,
                                        const common::ProcessingRecord& record) override;
  absl::StatusOr<int64_t> StartDisclosure(const common::CallContext& call,
                                          const common::ProcessingRecord& record) override;
  absl::Status LogDisclosed(int64_t entry_id, const std::vector<common::Bsn>& subjects, absl::Time deadline) override;
  // Logs as AppendLogWithSubjectRows (its failure injection too), then keeps the measurement.
  absl::Status SaveMeasurement(const common::CallContext& call, const domain::KeptMeasurement& measurement,
                               const common::ProcessingRecord& record) override {
    CAK_RETURN_IF_ERROR(AppendLogWithSubjectRows(call, record));
    std::lock_guard<std::mutex> lock(mu_);
    measurements_[measurement.id] = measurement;
    return absl::OkStatus();
  }
  absl::StatusOr<domain::KeptMeasurement> GetMeasurement(const std::string& id, absl::Time) override {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = measurements_.find(id);
    if (it == measurements_.end()) {
      return common::MakeError(absl::StatusCode::kNotFound, domain::reason::kResponseMeasurementNotFound, "none");
    }
    return it->second;
  }
  absl::StatusOr<std::vector<domain::KeptMeasurement>> ListMeasurements(
      const std::string& campaign, const std::optional<std::pair<absl::Time, std::string>>& after, int limit,
      absl::Time) override {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<domain::KeptMeasurement> out;
    for (const auto& [id, m] : measurements_) {
      if (m.campaign != campaign) continue;
      if (after && std::make_pair(m.measure_time, m.id) >= *after) continue;
      out.push_back(m);
    }
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
      return std::make_pair(a.measure_time, a.id) > std::make_pair(b.measure_time, b.id);
    });
    if (out.size() > static_cast<size_t>(limit)) out.resize(static_cast<size_t>(limit));
    return out;
  }
  absl::StatusOr<domain::SubjectRows> SubjectRowsOf(const domain::SnapshotInfo& snapshot, int32_t bsn,
                                                    absl::Time deadline) override;
  absl::StatusOr<domain::PurgeCounts> PurgeCustomers(const common::CallContext& call, absl::CivilDay cutoff,
                                                     absl::CivilDay today, bool dry_run,
                                                     common::ProcessingRecord record,
                                                     const TombstoneKeyOf& tombstone_key) override;

 private:
  struct StoredList {
    domain::RecipientListRecord record;  // log_entry_id as written
    std::vector<domain::MemberRef> members;
  };
  struct Claim {
    std::string fingerprint;
    std::string resource_id;
  };
  // The claim of `key`: nullopt when new (then claimed for `resource_id`), the first request's
  // resource on a repeat, INVALID_ARGUMENT REQUEST_ID_REUSED (request_id) for another
  // fingerprint. With `claim` false only looked up. (mu_ held.)
  absl::StatusOr<std::optional<std::string>> ClaimLocked(const common::IdempotencyKey& key,
                                                         const std::string& resource_id, bool claim);
  // Appends an entry and returns its id (mu_ held).
  int64_t AppendLocked(std::string written_by, const common::CallContext& call, const common::ProcessingRecord& record);
  LoggedEntry* EntryLocked(int64_t id);
  absl::StatusOr<domain::RecipientListRecord> GetListLocked(const std::string& id) const;

  mutable std::mutex mu_;
  std::map<std::pair<std::string, std::string>, Claim> claims_;  // by (operation, request_id)
  std::map<std::string, domain::TargetGroupSetRecord> sets_;
  std::map<std::string, StoredList> lists_;
  std::map<std::string, domain::KeptMeasurement> measurements_;
  std::vector<LoggedEntry> log_;
  int64_t last_entry_id_ = 0;
  int64_t register_version_ = 1;
  std::map<int32_t, common::ObjectionState> active_objections_;  // by BSN
  std::vector<std::pair<int32_t, common::ObjectionState>> lifted_objections_;
  std::optional<absl::Status> fail_next_freeze_;
  std::map<std::string, absl::Status> fail_next_member_bsns_;  // by list id
  std::optional<absl::Status> fail_next_append_with_subject_rows_;
};

// ---------------------------------------------------------------------------------------------
// Outcomes

// dispatch-svc's outcomes per dispatch order, from memory.
class FakeOutcomeSource final : public domain::OutcomeSource {
 public:
  // Records `outcome` (a DeliveryOutcome) at `outcome_time` for `position` of list `list_id`.
  void Add(const std::string& order_id, const std::string& list_id, int64_t position, domain::DeliveryOutcome outcome,
           absl::Time outcome_time);
  // From now on every call fails as an unreachable dispatch-svc does (UNAVAILABLE
  // DISPATCH_UNAVAILABLE), or answers again.
  void SetUnavailable(bool unavailable);
  // The orders asked for, in call order.
  std::vector<std::string> calls() const;

  // NOT_FOUND DISPATCH_ORDER_NOT_FOUND (dispatch-svc's reason) for an order without outcomes.
  absl::StatusOr<std::vector<domain::PositionOutcome>> OrderOutcomes(const common::CallContext& call,
                                                                     const std::string& order_id) override;

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::vector<domain::PositionOutcome>> by_order_;
  bool unavailable_ = false;
  std::vector<std::string> calls_;
};

}  // namespace cak::analysis::testing
