// What analysis-svc's domain needs from storage, as interfaces (PostgreSQL implementations in
// src/storage, fakes in the unit tests). Every method returns a status: UNAVAILABLE /
// RESOURCE_EXHAUSTED / DEADLINE_EXCEEDED from the pool, INTERNAL for database errors.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "analysis-svc/src/domain/columnar.h"
#include "analysis-svc/src/domain/impact.h"
#include "analysis-svc/src/domain/import_rows.h"
#include "analysis-svc/src/domain/response.h"
#include "analysis-svc/src/domain/target_groups.h"
#include "common/base/idempotency_key.h"
#include "common/base/processing_log.h"
#include "common/base/subject_data.h"
#include "common/base/subject_removals.h"

namespace cak::analysis::domain {

struct DatasetVersionInfo {
  int64_t version = 0;  // 0: never imported
  int64_t row_count = 0;
  absl::Time imported_time;
  std::string source;
};

struct SnapshotInfo {
  int64_t version = 0;  // 0: nothing imported yet
  absl::Time created_time;
  std::array<DatasetVersionInfo, 4> datasets;  // indexed by Dataset number - 1
  const DatasetVersionInfo& of(Dataset d) const { return datasets[static_cast<int>(d) - 1]; }
};

struct ImportReport {
  Dataset dataset = Dataset::kCustomers;
  int64_t snapshot_version = 0;
  int64_t dataset_version = 0;
  int64_t rows_read = 0, rows_loaded = 0, rows_rejected = 0;
  int64_t rows_skipped = 0;                // rows of removed people (tombstones), all reasons
  std::map<std::string, int64_t> skipped;  // per reason (row_reason::kErased, kPastRetention)
  std::vector<RowError> errors;            // the first kMaxReportedErrors
  bool replayed = false;
  absl::Time completed_time;
};

inline constexpr int kMaxReportedErrors = 1000;

// One data-set version being loaded. Destroying it without Publish() discards the version (its
// table is dropped; a crashed process's leftovers are collected later).
class DatasetLoad {
 public:
  virtual ~DatasetLoad() = default;
  virtual int64_t version() const = 0;
  // Appends COPY text-format lines.
  virtual absl::Status Write(absl::string_view copy_lines) = 0;
  // Ends the COPY, builds the indexes and records the counts; the version becomes read-only.
  virtual absl::Status Finish(int64_t rows_read, int64_t rows_rejected, const std::map<std::string, int64_t>& skipped,
                              const std::vector<RowError>& errors) = 0;
  // Publishes the version as a new snapshot, in one transaction with the idempotency claim
  // (when `key` is set) and the processing-log entry. When a concurrent import claimed the
  // same key first, nothing is published and the outcome names that import's version
  // (INVALID_ARGUMENT REQUEST_ID_REUSED when its fingerprint differs).
  struct PublishOutcome {
    int64_t snapshot_version = 0;
    std::optional<int64_t> existing_dataset_version;  // set: a repeat; nothing was published
  };
  virtual absl::StatusOr<PublishOutcome> Publish(const common::CallContext& call, const common::IdempotencyKey* key,
                                                 const common::ProcessingRecord& record) = 0;
};

class SnapshotRepository {
 public:
  virtual ~SnapshotRepository() = default;
  virtual absl::StatusOr<SnapshotInfo> CurrentSnapshot(absl::Time deadline) = 0;
  // Reads the snapshot's analysis columns (bulk COPY out) into a columnar snapshot.
  virtual absl::StatusOr<std::shared_ptr<const ColumnarSnapshot>> LoadColumnar(const SnapshotInfo& snapshot) = 0;
  // Only the customers' BSNs of the snapshot (the reference check of an import needs no more).
  virtual absl::StatusOr<std::shared_ptr<const ColumnarSnapshot>> LoadCustomerKeys(const SnapshotInfo& snapshot) = 0;
  virtual absl::StatusOr<std::unique_ptr<DatasetLoad>> BeginLoad(Dataset dataset, const std::string& source) = 0;
  // The dataset version an earlier request claimed under (operation, request_id), with that
  // request's fingerprint; nullopt when the request_id is new.
  struct Claimed {
    int64_t dataset_version = 0;
    std::string fingerprint;
  };
  virtual absl::StatusOr<std::optional<Claimed>> FindClaim(const std::string& operation,
                                                           const std::string& request_id) = 0;
  virtual absl::StatusOr<ImportReport> GetImportReport(int64_t dataset_version) = 0;
  // Drops versions of failed or killed imports and those no recent snapshot uses.
  virtual absl::StatusOr<int> CollectVersions() = 0;
};

struct TargetGroupSetRecord {
  std::string id;  // uuid
  std::string signal;
  int64_t snapshot_version = 0;
  absl::CivilDay reference_day;
  std::vector<NamedCriteria> groups;
  std::vector<Impact> impacts;  // per group
  int64_t unassigned = 0;
  std::string defined_by;
  absl::Time create_time;
};

struct RecipientListRecord {
  std::string id;  // uuid
  std::string target_group_set;
  std::string group;
  int64_t snapshot_version = 0;
  int64_t member_count = 0;
  std::string checksum;
  std::string frozen_by;
  absl::Time create_time;
  std::string control_list;  // id of the list of its held-back members; empty: none
  std::string control_of;    // on a control list: id of the list it was held back from
  // The freeze's processing-log entry, whose subject rows are the members of this list and of
  // its partner (control or contacted list); 0: none in the log (an older list, or purged).
  int64_t log_entry_id = 0;
  // Members of the group an objection left out at the freeze (on both lists of a pair).
  int64_t excluded_by_objection = 0;
};

// A list member as frozen: the customer and the relation the communication is routed to.
struct MemberRef {
  int32_t bsn = 0;
  uint8_t routing = 0;
  int64_t addressee_relation = -1;  // relation_seq, -1: the customer
};

enum class FieldSet { kPostal = 1, kPhone = 2, kContactMoment = 3 };

// One member with every field a channel may get; the domain blanks what the field set excludes.
struct RecipientRow {
  int64_t position = 0;
  int32_t bsn = 0;
  uint8_t routing = 0;
  std::string customer_number;
  uint8_t salutation = 0;
  std::string customer_name, addressee_name;
  std::string street, house_number_suffix, postcode, city;
  int32_t house_number = 0;
  std::string phone;
  // Withheld from the stream (the person objected since the freeze): position only.
  bool withheld = false;
};

// Name, address and finance of one customer: the details a FULL sample view (and a listing) shows.
// What is held about one customer, as storage read it: for an access request (GDPR art. 15).
struct SubjectRows {
  std::vector<common::SubjectRow> customer;         // the current snapshot's customers version (0 or 1 row)
  std::vector<common::SubjectRow> relations;        // their representatives and contact persons
  std::vector<common::SubjectRow> mailings;         // planned statutory mailings
  std::vector<common::SubjectRow> contact_reports;  // contacts with the CAK
  std::vector<common::SubjectRow> samples;          // samples drawn with them in it
  std::vector<common::SubjectRow> recipient_lists;  // frozen lists they are a member of (with the addressee)
  std::vector<common::SubjectRow> objections;       // their objections and restrictions, lifted ones too
};

// An active objection or restriction, as selection applies it.
struct ActiveObjection {
  int32_t bsn = 0;
  common::ObjectionScope scope = common::ObjectionScope::kAllSelection;
};

struct CustomerDetails {
  int32_t bsn = 0;
  std::string customer_number;
  std::string initials, name_prefix, surname;
  std::string street, house_number_suffix, postcode, city;
  int32_t house_number = 0;
  int64_t debt_cents = 0;
  bool payment_plan = false;
};

struct SampleRecord {
  std::string id;  // uuid
  int64_t snapshot_version = 0;
  uint64_t seed = 0;
  int stratification = 0;
  int requested_size = 0;
  int64_t population = 0;
  int64_t excluded_by_objection = 0;
  bool full_view = false;
  std::string purpose;
  std::string created_by;
  absl::Time create_time;
  std::vector<int32_t> member_bsns;
};

// What an erasure removed (or would remove: dry run), over every kept version.
struct ErasureCounts {
  int64_t customers = 0, relations = 0, mailings = 0, contact_reports = 0;
  int64_t sample_members = 0, list_members = 0, objections = 0;
  int64_t target_group_sets = 0;  // definitions that named them (customer_in): the BSN taken out
};

// Why a person is no longer held, so that an import does not bring them back (migrations 0006,
// 0007): keyed by a keyed hash of the BSN (AnalysisService::TombstoneKey), never the BSN.
enum class TombstoneReason { kErased = 1, kPastRetention = 2 };
struct Tombstone {
  TombstoneReason reason = TombstoneReason::kErased;
  absl::CivilDay removed_on;
};

struct PurgeCounts {
  int64_t customers = 0, relations = 0, sample_members = 0, list_members = 0;
};

class AnalysisRepository {
 public:
  virtual ~AnalysisRepository() = default;

  // The objection register (migration 0005). Its version moves with every change (record, lift,
  // erasure) in the changing transaction: what a replica compares before reading it again.
  virtual absl::StatusOr<int64_t> ObjectionRegisterVersion(absl::Time deadline) = 0;
  virtual absl::StatusOr<std::vector<ActiveObjection>> ActiveObjections(absl::Time deadline) = 0;
  // Registers `objection` for `bsn` unless one is active. Returns the active objection and
  // whether it was registered by this call.
  virtual absl::StatusOr<std::pair<common::ObjectionState, bool>> RecordObjection(
      int32_t bsn, const common::ObjectionState& objection, absl::Time deadline) = 0;
  // Lifts the active objection of `bsn` (lift_time, lift_reason, lifted_by from `lift`);
  // nullopt when there was none.
  virtual absl::StatusOr<std::optional<common::ObjectionState>> LiftObjection(int32_t bsn,
                                                                              const common::ObjectionState& lift,
                                                                              absl::Time deadline) = 0;

  // Erasure (migration 0006): the customer out of every kept version (a new snapshot), their
  // sample and list memberships and objections, a tombstone `subject_key` dated `today`, and
  // `removal` (the entry the other services learn it from, ListSubjectRemovals), in one
  // transaction. A dry run only counts and writes nothing.
  virtual absl::StatusOr<ErasureCounts> EraseCustomer(const common::CallContext& call, int32_t bsn,
                                                      const std::string& subject_key, absl::CivilDay today,
                                                      bool dry_run, const common::ProcessingRecord& removal) = 0;
  // Every tombstone, by subject key.
  virtual absl::StatusOr<absl::flat_hash_map<std::string, Tombstone>> Tombstones(absl::Time deadline) = 0;

  // The removals the other services follow (the outbox: child entries of this service's log,
  // one per person, written in the removing transaction): those of retention purges and
  // erasures, final (of transactions older than any still running), in transaction order after
  // `after`, at most `limit`.
  virtual absl::StatusOr<std::vector<common::SubjectRemoval>> SubjectRemovals(const common::RemovalPosition& after,
                                                                              int limit, absl::Time deadline) = 0;

  // The resource id an earlier request with this key created; nullopt for a new request_id;
  // INVALID_ARGUMENT REQUEST_ID_REUSED when the fingerprint differs.
  virtual absl::StatusOr<std::optional<std::string>> FindClaim(const common::IdempotencyKey& key,
                                                               absl::Time deadline) = 0;

  // Stores a new set; with `key`, a repeat returns the first set (replayed = true).
  virtual absl::StatusOr<TargetGroupSetRecord> CreateTargetGroupSet(const common::CallContext& call,
                                                                    const TargetGroupSetRecord& set,
                                                                    const common::IdempotencyKey* key,
                                                                    const common::ProcessingRecord& record,
                                                                    bool* replayed) = 0;
  // NOT_FOUND (TARGET_GROUP_SET_NOT_FOUND).
  virtual absl::StatusOr<TargetGroupSetRecord> GetTargetGroupSet(const std::string& id, absl::Time deadline) = 0;

  // Stores the list and its members (routed fields copied from the snapshot the list was
  // frozen on; positions 1..n in `members` order), and, when `control` is set, the control
  // list with its members (list.control_list and control->control_of name each other), in
  // one transaction with the claim (on `list`) and the log entry. A repeat returns the list
  // the claim names (with its control_list).
  virtual absl::StatusOr<RecipientListRecord> FreezeRecipientList(
      const common::CallContext& call, const RecipientListRecord& list, const SnapshotInfo& snapshot,
      const std::vector<MemberRef>& members, const RecipientListRecord* control,
      const std::vector<MemberRef>& control_members, const common::IdempotencyKey* key,
      const common::ProcessingRecord& record, bool* replayed) = 0;
  // NOT_FOUND (RECIPIENT_LIST_NOT_FOUND).
  virtual absl::StatusOr<RecipientListRecord> GetRecipientList(const std::string& id, absl::Time deadline) = 0;
  // Calls `batch` with members after `after_position` (and up to `until_position` when it is
  // not 0) in list order, up to `batch_size` at a time, until the end or until `batch`
  // returns an error (which is returned).
  virtual absl::Status StreamMembers(const std::string& list_id, int64_t after_position, int64_t until_position,
                                     int batch_size,
                                     const std::function<absl::Status(std::vector<RecipientRow>&)>& batch) = 0;

  // The BSN of each member of a list by position - 1, for `member_count` positions (one bulk
  // read of the customer key only); 0 where a member is gone (the retention purge removed it).
  virtual absl::StatusOr<std::vector<int32_t>> MemberBsns(const std::string& list_id, int64_t member_count,
                                                          absl::Time deadline) = 0;

  // Details of the given customers from the snapshot's customers version, any order.
  virtual absl::StatusOr<std::vector<CustomerDetails>> CustomerDetailsOf(const SnapshotInfo& snapshot,
                                                                         const std::vector<int32_t>& bsns,
                                                                         absl::Time deadline) = 0;
  // Stores a drawn sample with its log entries (one per member) in one transaction.
  virtual absl::Status SaveSample(const common::CallContext& call, const SampleRecord& sample,
                                  const common::ProcessingRecord& record) = 0;
  // A processing-log entry with one child entry per data subject, in a transaction of its own
  // (a processing that stores nothing else, such as a response measurement).
  virtual absl::Status AppendLog(const common::CallContext& call, const common::ProcessingRecord& record) = 0;
  // The same for a processing of many subjects: the operation's entry and one narrow subject
  // row per subject (common migration 0004), in one transaction.
  virtual absl::Status AppendLogWithSubjectRows(const common::CallContext& call,
                                                const common::ProcessingRecord& record) = 0;
  // Streamed disclosures: the operation's log entry once (returns its id), then each chunk's
  // data subjects, committed before the chunk is sent.
  virtual absl::StatusOr<int64_t> StartDisclosure(const common::CallContext& call,
                                                  const common::ProcessingRecord& record) = 0;
  virtual absl::Status LogDisclosed(int64_t entry_id, const std::vector<common::Bsn>& subjects,
                                    absl::Time deadline) = 0;

  // Keeps a response measurement with its log entry (`record` with narrow subject rows, as
  // AppendLogWithSubjectRows), in one transaction.
  virtual absl::Status SaveMeasurement(const common::CallContext& call, const KeptMeasurement& measurement,
                                       const common::ProcessingRecord& record) = 0;
  // NOT_FOUND RESPONSE_MEASUREMENT_NOT_FOUND (also for an id that is not a UUID).
  virtual absl::StatusOr<KeptMeasurement> GetMeasurement(const std::string& id, absl::Time deadline) = 0;
  // The measurements of `campaign`, newest first (measure time, then id, descending), after
  // `after` when given; at most `limit`.
  virtual absl::StatusOr<std::vector<KeptMeasurement>> ListMeasurements(
      const std::string& campaign, const std::optional<std::pair<absl::Time, std::string>>& after, int limit,
      absl::Time deadline) = 0;

  // Everything held about the customer `bsn` in `snapshot` and in the samples and frozen lists
  // (an access request). No writes.
  virtual absl::StatusOr<SubjectRows> SubjectRowsOf(const SnapshotInfo& snapshot, int32_t bsn, absl::Time deadline) = 0;

  // The retention purge of customers of the current snapshot inactive since before `cutoff`,
  // with their relations, mailings and contact reports (from every kept data-set version),
  // sample and list memberships; a new snapshot (cause 'purge') makes every replica rebuild.
  // One transaction with `record`, to which the removed customers are added as data subjects,
  // and a tombstone (TombstoneReason::kPastRetention, `today`) per customer under
  // `tombstone_key`. Dry run: counts only, nothing changes.
  using TombstoneKeyOf = std::function<std::string(const common::Bsn&)>;
  virtual absl::StatusOr<PurgeCounts> PurgeCustomers(const common::CallContext& call, absl::CivilDay cutoff,
                                                     absl::CivilDay today, bool dry_run,
                                                     common::ProcessingRecord record,
                                                     const TombstoneKeyOf& tombstone_key) = 0;
};

}  // namespace cak::analysis::domain
