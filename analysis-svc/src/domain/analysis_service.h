// analysis-svc's use cases: imports, snapshot, impact analysis, samples, target groups,
// recipient lists, response measurement and the retention purge. Validation and rules live here (and in the pure
// modules it uses); storage sits behind the repository interfaces; the API layer only maps.
//
// Privacy rules applied here (DESIGN.md section 4):
// - samples are pseudonymised unless the FULL view is asked for, which needs the analyst role
//   (an employee) and a stated purpose; every sample logs one entry per member;
// - streamed recipient lists log one entry per recipient before the recipient is sent;
// - criteria that name customers (customer_in) come only from an analyst (or a designer defining
//   target groups) with a stated purpose, and the customers named are logged with it;
// - listings are pseudonymised unless an analyst states a purpose for the FULL view, and log
//   every listed customer before the piece holding them is sent;
// - decisions (target groups, freezing a list) record the employee or service that made them;
// - a response measurement logs one entry naming its lists (aggregates leave the service, no
//   per-recipient data) and one child entry per member of its pseudonymised sample;
// - the purge removes customers inactive past retention and logs one entry per customer.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "analysis-svc/src/domain/criteria.h"
#include "analysis-svc/src/domain/impact.h"
#include "analysis-svc/src/domain/listing.h"
#include "analysis-svc/src/domain/objections.h"
#include "analysis-svc/src/domain/outcome_source.h"
#include "analysis-svc/src/domain/repository.h"
#include "analysis-svc/src/domain/response.h"
#include "analysis-svc/src/domain/sampling.h"
#include "analysis-svc/src/domain/snapshot_cache.h"
#include "analysis-svc/src/domain/target_groups.h"
#include "common/base/clock.h"
#include "common/base/data_subject_hasher.h"
#include "common/base/processing_log.h"
#include "common/base/sha256.h"
#include "common/base/subject_data.h"

namespace cak::analysis::domain {

struct AnalysisSettings {
  std::string import_dir;                     // ImportFile reads only below this directory
  double max_rejected_share = 0.01;           // default when a request does not say
  int customer_retention_years = 2;           // after the customer stopped being active
  absl::TimeZone zone = absl::UTCTimeZone();  // "today" (Europe/Amsterdam in production)
  int stream_log_chunk = 5000;                // recipients read, logged and sent per chunk
  int max_concurrent_streams = 4;             // StreamRecipients + ExportListing at once per replica
  // The processing log's key (shared by the four services). With it, a sample asked for by
  // campaign-svc carries each member's data_subject_id, so that the preview it renders is
  // logged per subject there too; nobody else gets ids that match log entries.
  std::optional<common::DataSubjectHasher> subject_ids;
  // How the columnar snapshot is kept current (background builds, the wait before
  // SNAPSHOT_REBUILDING, the version poll).
  SnapshotCacheOptions snapshot_cache;
};

// Reasons specific to analysis-svc.
namespace reason {
inline constexpr char kTooManyRejectedRows[] = "TOO_MANY_REJECTED_ROWS";
inline constexpr char kEmptyImport[] = "EMPTY_IMPORT";
inline constexpr char kImportAbandoned[] = "IMPORT_ABANDONED";  // ended mid-way (logged entry only)
inline constexpr char kInvalidCsvHeader[] = "INVALID_CSV_HEADER";
inline constexpr char kMalformedCsv[] = "MALFORMED_CSV";
inline constexpr char kImportFileNotFound[] = "IMPORT_FILE_NOT_FOUND";
inline constexpr char kInvalidImportPath[] = "INVALID_IMPORT_PATH";
inline constexpr char kSnapshotChanged[] = "SNAPSHOT_CHANGED";
inline constexpr char kGroupNotFound[] = "GROUP_NOT_FOUND";
inline constexpr char kEmptyGroup[] = "EMPTY_GROUP";
inline constexpr char kPurposeRequired[] = "PURPOSE_REQUIRED";
inline constexpr char kTargetGroupSetNotFound[] = "TARGET_GROUP_SET_NOT_FOUND";
inline constexpr char kRecipientListNotFound[] = "RECIPIENT_LIST_NOT_FOUND";
inline constexpr char kSampleNotFound[] = "SAMPLE_NOT_FOUND";
inline constexpr char kImportDirNotConfigured[] = "IMPORT_DIR_NOT_CONFIGURED";
inline constexpr char kImportFileUnreadable[] = "IMPORT_FILE_UNREADABLE";
inline constexpr char kTooManyStreams[] = "TOO_MANY_STREAMS";
inline constexpr char kControlListMismatch[] = "CONTROL_LIST_MISMATCH";
inline constexpr char kEndBeforeSendDate[] = "END_BEFORE_SEND_DATE";
inline constexpr char kResponseMeasurementNotFound[] = "RESPONSE_MEASUREMENT_NOT_FOUND";
// Criteria naming customers (customer_in) from a caller who may not name them.
inline constexpr char kCustomerInNotAllowed[] = "CUSTOMER_IN_NOT_ALLOWED";
// A listing field that identifies a person (name, address, customer number) outside the FULL view.
inline constexpr char kFieldNeedsFullView[] = "FIELD_NEEDS_FULL_VIEW";
}  // namespace reason

struct ImportOptions {
  std::string request_id;
  std::optional<double> max_rejected_share;
  std::string source;
};

// One import in progress (client stream or file). Rows go in one at a time; Finish() decides.
class ImportSession {
 public:
  virtual ~ImportSession() = default;
  // Checks one record (fields in InputColumns() order) and queues it for COPY. Returns an error
  // only when the load itself failed (database), never for a bad row (that is reported).
  virtual absl::Status AddRow(int64_t row, const std::vector<absl::string_view>& fields) = 0;
  // Feeds the request fingerprint (the input bytes as received).
  virtual void AddFingerprint(absl::string_view bytes) = 0;
  // Publishes the new snapshot, or refuses the import: INVALID_ARGUMENT TOO_MANY_REJECTED_ROWS
  // (field of the first rejected row, e.g. "rows[12].bsn") or EMPTY_IMPORT, REQUEST_ID_REUSED.
  virtual absl::StatusOr<ImportReport> Finish() = 0;
};

struct ImpactRequest {
  Criteria criteria;
  std::optional<absl::CivilDay> reference_day;
  std::optional<absl::CivilDay> mailing_from, mailing_to;
  int pressure_min_contacts = 0;  // 0: default
  int pressure_days = 0;
  std::string purpose;  // required when the criteria name customers
};

struct ImpactOutcome {
  int64_t snapshot_version = 0;
  ImpactOptions options;
  Impact impact;
};

struct SampleRequest {
  Criteria criteria;
  // Instead of the criteria: a target group's own members (set id and group name), drawn on the
  // set's snapshot and reference day as FreezeRecipientList freezes them.
  std::string target_group_set;
  std::string group;
  int size = 0;
  uint64_t seed = 0;
  Stratification stratification = Stratification::kNone;
  bool full_view = false;
  std::string purpose;
  std::optional<absl::CivilDay> reference_day;
};

struct SampleMemberView {
  std::string pseudonym;
  std::string data_subject_id;  // for campaign-svc only (AnalysisSettings::subject_ids)
  std::string masked_name;
  int regulation = 0;
  int municipality = 0;
  int age_years = 0;
  int routing = 0;
  std::string stratum;
  std::optional<CustomerDetails> details;  // FULL view only
};

struct SampleOutcome {
  std::string id;
  int64_t snapshot_version = 0;
  uint64_t seed = 0;
  Stratification stratification = Stratification::kNone;
  int64_t population = 0;
  int64_t excluded_by_objection = 0;  // matched, but left out by an objection (not in population)
  std::vector<SampleMemberView> members;
  std::vector<std::pair<std::string, int64_t>> allocation;
};

struct DefineGroupsRequest {
  std::string request_id;
  std::string fingerprint;
  std::string signal;  // "signals/{uuid}"
  std::vector<NamedCriteria> groups;
  std::optional<absl::CivilDay> reference_day;
  std::string purpose;  // required when a group's criteria name customers
};

struct FreezeRequest {
  std::string request_id;
  std::string fingerprint;
  std::string target_group_set;  // id
  std::string group;
  // Share of the members held back in a control list (0..0.5; 0: none), chosen by a keyed
  // hash of control_seed and the member's BSN (DrawKey, as samples draw).
  double control_share = 0;
  uint64_t control_seed = 0;
};

// Splits a group's members (in list order) into the contacted and the held-back: exactly
// round(share * n) members, those with the smallest DrawKey(seed, bsn), go to `control`; both
// keep the original order. share must be in [0, 0.5].
void SplitControlGroup(const std::vector<MemberRef>& members, double share, uint64_t seed,
                       std::vector<MemberRef>* contacted, std::vector<MemberRef>* control);

// One group of a response measurement (ids, not resource names).
struct MeasuredGroup {
  std::string group;           // as reported; empty: the recipient list's group name
  std::string list_id;         // the contacted members
  std::string control_list;    // empty: the list's own control list, if it has one
  int channel = 0;             // ActionChannel number
  std::string dispatch_order;  // empty: no executor outcomes
  std::optional<absl::CivilDay> send_day;
};

struct MeasureRequest {
  std::string campaign;  // "campaigns/{id}", for the record
  std::vector<MeasuredGroup> groups;
  ResponseFilter filter;                  // which contact reports count; empty: every report
  std::optional<absl::CivilDay> end_day;  // default: today
  int sample_size = 0;                    // 0: kDefaultResponseSample
  uint64_t sample_seed = 0;
};

// A member of the response sample, pseudonymised as CreateSample's pseudonymised view (no BSN,
// no name).
struct ResponseSampleView {
  std::string pseudonym;
  std::string group;
  bool responded = false;
  std::optional<absl::CivilDay> first_response_day;
  int first_response_channel = 0;  // ContactChannel number, 0: none
  int contacts = 0;
  std::string outcome;  // DeliveryOutcomeName, empty without a dispatch order
  int regulation = 0;
  int municipality = 0;
  int age_years = 0;  // on the end day
  int routing = 0;
};

// A measurement as MeasureResponse answers it: the kept part and the pseudonymised sample.
struct MeasureOutcome : KeptMeasurement {
  std::vector<ResponseSampleView> responders, non_responders;
};

struct PurgeOutcome {
  PurgeCounts counts;
  absl::CivilDay cutoff;
  bool dry_run = false;
};

// Receives streamed recipients (it may move their fields out); false when the client went away.
using RecipientSink = std::function<bool(std::vector<RecipientRow>& batch)>;

// A listing (uitlijsting): whom (criteria, or a target group's own members) and which columns.
struct ListingRequest {
  Criteria criteria;
  std::string target_group_set;  // id; set: list the group instead of the criteria
  std::string group;
  std::optional<absl::CivilDay> reference_day;  // criteria only
  std::vector<int> fields;                      // ListingField numbers, in column order
  bool full_view = false;
  std::string purpose;
  int limit = 0;  // 0: kMaxListingRows
};

// Where a listing stands, sent with every piece of it.
struct ListingProgress {
  int64_t rows_sent = 0;   // this piece's rows included
  int64_t total_rows = 0;  // rows the listing will have
  int64_t selected = 0;    // before the limit
  int64_t excluded_by_objection = 0;
  int64_t snapshot_version = 0;
};

// Receives a listing's CSV piece by piece (the header first); false when the client went away.
using ListingSink = std::function<bool(const std::string& csv, const ListingProgress& progress)>;

class AnalysisService {
 public:
  // None of the pointers is owned. `pseudonymizer` keys sample pseudonyms (a key of its own,
  // not the processing log's, so pseudonyms cannot be matched to log entries).
  // `outcomes` (may be null: no dispatch-svc configured) gives response measurement the
  // executors' outcomes.
  AnalysisService(SnapshotRepository* snapshots, AnalysisRepository* analyses, const common::Clock* clock,
                  common::DataSubjectHasher pseudonymizer, AnalysisSettings settings,
                  OutcomeSource* outcomes = nullptr);

  absl::StatusOr<std::unique_ptr<ImportSession>> BeginImport(const common::CallContext& call, Dataset dataset,
                                                             ImportOptions options, std::string operation);
  // ImportFile: `path` relative to the import directory. INVALID_ARGUMENT INVALID_IMPORT_PATH
  // (absolute, "..", not a regular file), NOT_FOUND IMPORT_FILE_NOT_FOUND, INVALID_ARGUMENT
  // INVALID_CSV_HEADER / MALFORMED_CSV, and everything ImportSession::Finish returns.
  absl::StatusOr<ImportReport> ImportFile(const common::CallContext& call, Dataset dataset, const std::string& path,
                                          ImportOptions options);
  absl::StatusOr<SnapshotInfo> GetSnapshot(const common::CallContext& call);

  absl::StatusOr<ImpactOutcome> AnalyzeImpact(const common::CallContext& call, const ImpactRequest& request);
  // PERMISSION_DENIED for the FULL view without the analyst role (employees only);
  // INVALID_ARGUMENT PURPOSE_REQUIRED without a purpose; size outside 1..10000. From a target
  // group: NOT_FOUND TARGET_GROUP_SET_NOT_FOUND, INVALID_ARGUMENT GROUP_NOT_FOUND (group),
  // INVALID_FIELD_VALUE (reference_date) when a reference day is given too, FAILED_PRECONDITION
  // SNAPSHOT_CHANGED when a newer snapshot replaced the set's.
  absl::StatusOr<SampleOutcome> CreateSample(const common::CallContext& call, const SampleRequest& request);

  // A listing as CSV through `sink`: the header, then pieces of kListingChunkRows rows, each
  // logged (subject rows of one entry, with the view and purpose) before it is sent. Customers
  // who objected to contact are left out, as in samples. INVALID_ARGUMENT: fields (see
  // ValidateListingFields), limit outside 0..kMaxListingRows, PURPOSE_REQUIRED, a bad criteria
  // tree, group missing / GROUP_NOT_FOUND, reference_date with a target group;
  // PERMISSION_DENIED for the FULL view without the analyst role (employees only) and
  // CUSTOMER_IN_NOT_ALLOWED for criteria naming customers from anyone else (the criteria's
  // path, or "target_group_set" when a group of the set names customers; PURPOSE_REQUIRED
  // likewise); NOT_FOUND TARGET_GROUP_SET_NOT_FOUND; FAILED_PRECONDITION SNAPSHOT_CHANGED;
  // RESOURCE_EXHAUSTED TOO_MANY_STREAMS (shared with StreamRecipients). Nothing is written
  // before every check passed. The customers the criteria (or the set's groups) name are
  // logged after the listing, with the purpose, listed or not.
  absl::Status ExportListing(const common::CallContext& call, const ListingRequest& request, const ListingSink& sink);

  absl::StatusOr<TargetGroupSetRecord> DefineTargetGroups(const common::CallContext& call,
                                                          const DefineGroupsRequest& request, bool* replayed);
  absl::StatusOr<TargetGroupSetRecord> GetTargetGroupSet(const common::CallContext& call, const std::string& id);
  // FAILED_PRECONDITION SNAPSHOT_CHANGED when a newer snapshot replaced the set's;
  // INVALID_ARGUMENT GROUP_NOT_FOUND; FAILED_PRECONDITION EMPTY_GROUP for a group without members
  // (or none left after holding back the control group); INVALID_ARGUMENT INVALID_FIELD_VALUE
  // (control_share) for a share outside [0, 0.5]. With a share, the held-back members go to a
  // second list (control_of set; no control list when round(share * n) is 0), frozen in the
  // same transaction; the returned list names it in control_list.
  absl::StatusOr<RecipientListRecord> FreezeRecipientList(const common::CallContext& call, const FreezeRequest& request,
                                                          bool* replayed);
  absl::StatusOr<RecipientListRecord> GetRecipientList(const common::CallContext& call, const std::string& id);
  // Streams members with only `field_set`'s fields (and the customer number for POSTAL and
  // PHONE only `with_customer_number`), logging each chunk before sending it.
  absl::Status StreamRecipients(const common::CallContext& call, const std::string& list_id, FieldSet field_set,
                                bool with_customer_number, int64_t after_position, int64_t until_position,
                                const RecipientSink& sink);

  // Response measurement (step 9) on the current snapshot. INVALID_ARGUMENT: no groups or more
  // than 50 (groups), a send date missing (groups[i].send_date), an end date before a send
  // date (END_BEFORE_SEND_DATE, end_date), sample_size outside 0..1000, a control list that
  // was not held back from the group's list (CONTROL_LIST_MISMATCH, groups[i].control_list);
  // NOT_FOUND RECIPIENT_LIST_NOT_FOUND (groups[i].recipient_list / .control_list);
  // FAILED_PRECONDITION DISPATCH_NOT_CONFIGURED when a group names a dispatch order and no
  // outcome source is configured; UNAVAILABLE DISPATCH_UNAVAILABLE from the outcome source.
  // A measurement that fails once members were read is logged with status ERROR, naming them.
  // Only contact reports of the request's topics and channels count, when it names them
  // (INVALID_ARGUMENT INVALID_FIELD_VALUE on response_topics[i] / response_channels[i]: an
  // empty, too long (200) or repeated topic, more than 50 topics, a repeated channel). The
  // measurement is kept (GetResponseMeasurement) with its log entry, in one transaction.
  absl::StatusOr<MeasureOutcome> MeasureResponse(const common::CallContext& call, const MeasureRequest& request);
  // A kept measurement: NOT_FOUND RESPONSE_MEASUREMENT_NOT_FOUND. Aggregates only: not logged.
  absl::StatusOr<KeptMeasurement> GetResponseMeasurement(const common::CallContext& call, const std::string& id);
  // The measurements of `campaign` ("campaigns/{id}"), newest first, after `after` (measure
  // time, id) when given; at most `limit`.
  absl::StatusOr<std::vector<KeptMeasurement>> ListResponseMeasurements(
      const common::CallContext& call, const std::string& campaign,
      const std::optional<std::pair<absl::Time, std::string>>& after, int limit);

  // The retention purge; each customer removed leaves a tombstone (a later import skips them
  // unless it shows activity after the purge) and a child entry of the purge's log entry, from
  // which intake-svc and dispatch-svc learn it (ListSubjectRemovals).
  absl::StatusOr<PurgeOutcome> PurgeInactiveCustomers(const common::CallContext& call, bool dry_run);

  // The removal feed (privacy/v1/subject_removal_service.proto): retention purges and erasures
  // after `after`, oldest first. INVALID_ARGUMENT INVALID_FIELD_VALUE for a negative position
  // (after_transaction, after_entry_id) or a page_size outside 0..10,000 (0: 1,000).
  absl::StatusOr<std::vector<common::SubjectRemoval>> ListSubjectRemovals(const common::CallContext& call,
                                                                          const common::RemovalPosition& after,
                                                                          int page_size);

  // The objection register (the caller, common::DataSubjectServiceImpl, validated and logs).
  // Recording the same kind and scope again is unchanged; another kind or scope while one is
  // active is FAILED_PRECONDITION OBJECTION_EXISTS. From the next request on, the person is
  // left out of selection (ALL_SELECTION: statistics too) and withheld from streams.
  absl::StatusOr<common::ObjectionOutcome> RecordObjection(const common::CallContext& call,
                                                           const common::ObjectionRequest& request);
  absl::StatusOr<common::ObjectionOutcome> LiftObjection(const common::CallContext& call, const common::Bsn& subject,
                                                         const std::string& reason);

  // Erasure (GDPR art. 17): the customer out of every kept version (a new snapshot), their
  // relations, mailings, contact reports, sample and list memberships and objections, and a
  // tombstone so that later imports skip them, with the entry the other services learn it from
  // (analysis.EraseCustomer, ListSubjectRemovals). A dry run only counts. The caller
  // (common::DataSubjectServiceImpl) validated and logs the request.
  absl::StatusOr<common::ErasureOutcome> EraseSubjectData(const common::CallContext& call, const common::Bsn& subject,
                                                          bool dry_run);
  // The tombstone key of a BSN (a keyed hash under the pseudonym key, not the log's).
  std::string TombstoneKey(const common::Bsn& subject) const;

  // What analysis-svc holds about `customer` (current snapshot, samples, frozen lists), for an
  // access request; the caller (common::DataSubjectServiceImpl) logs the access.
  absl::StatusOr<common::SubjectData> ExportSubjectData(const common::CallContext& call, const common::Bsn& customer);

  // "Today" in the configured zone.
  absl::CivilDay Today() const;
  SnapshotCache& snapshots() { return cache_; }

 private:
  friend class ImportSessionImpl;
  // The members group `index` of `set` has on `cols` (the set's snapshot): its criteria and
  // none of the groups before it, on the set's reference day; objections not yet left out.
  static Bitmap OwnMembers(const TargetGroupSetRecord& set, size_t index, const ColumnarSnapshot& cols);
  // The index of `group` in `set`; INVALID_ARGUMENT GROUP_NOT_FOUND (field "group").
  static absl::StatusOr<size_t> GroupIndex(const TargetGroupSetRecord& set, const std::string& group);
  // FAILED_PRECONDITION SNAPSHOT_CHANGED unless `current` is the snapshot `set` was defined on.
  static absl::Status CheckSetSnapshot(const TargetGroupSetRecord& set, int64_t current);
  // Where a sample or a listing draws from: a target group (`set` and `group`) or `criteria`
  // (validated). INVALID_ARGUMENT for a group without its set or a reference day with one
  // (`what`: "drawn" or "listed", for the message).
  static absl::Status ValidateSource(const Criteria& criteria, const std::string& set, const std::string& group,
                                     const std::optional<absl::CivilDay>& reference_day, absl::string_view what);
  // The members a sample or a listing draws from, on the current snapshot: group `index` of
  // `set` as its frozen list would hold it (SNAPSHOT_CHANGED when the snapshot moved on), or
  // else `criteria` on `reference_day` (default today); those who objected to being contacted
  // left out and counted; `reference` is the day it was evaluated on.
  struct Selection {
    CurrentSnapshot snapshot;
    absl::CivilDay reference;
    Bitmap members;
    int64_t excluded_by_objection = 0;
  };
  absl::StatusOr<Selection> Select(const common::CallContext& call, const TargetGroupSetRecord* set, size_t index,
                                   const Criteria& criteria, const std::optional<absl::CivilDay>& reference_day);
  // One disclosure entry for the customers `criteria` names (customer_in), if any.
  absl::Status LogNamedCustomers(const common::CallContext& call, const Criteria& criteria, absl::string_view name,
                                 common::ProcessingActivity activity, const std::string& purpose);
  // One disclosure entry with `attributes` for the customers `named` (BSNs), if any.
  absl::Status LogNamedSubjects(const common::CallContext& call, const std::vector<int32_t>& named,
                                absl::string_view name, common::ProcessingActivity activity,
                                std::map<std::string, std::string> attributes);
  // Criteria that name customers (customer_in) tell whether a BSN is a customer: only an
  // employee with the analyst role (or, with `designer_may`, the campaign_designer role) may
  // send them, with a stated purpose. PERMISSION_DENIED CUSTOMER_IN_NOT_ALLOWED naming the
  // predicate's path under `path`; INVALID_ARGUMENT PURPOSE_REQUIRED (purpose).
  static absl::Status CheckNamedCustomers(const common::CallContext& call, const Criteria& criteria,
                                          absl::string_view path, const std::string& purpose, bool designer_may);
  // The same rule for a request whose customers are named elsewhere (a target group set's
  // criteria): the errors of CheckNamedCustomers, CUSTOMER_IN_NOT_ALLOWED naming `field`.
  static absl::Status CheckMayNameCustomers(const common::CallContext& call, absl::string_view field,
                                            const std::string& purpose, bool designer_may);

  // MeasureResponse's steps (analysis_service.cc).
  struct MeasuredLists;     // one group of the request with its lists, looked up
  struct MeasuredSubjects;  // the members read, as the measurement's data subjects
  // Checks group `index` of `request` and looks up its lists (the errors MeasureResponse lists,
  // on the group's fields); reads no members.
  absl::StatusOr<MeasuredLists> ResolveMeasuredGroup(const common::CallContext& call, const MeasureRequest& request,
                                                     size_t index, absl::CivilDay end_day);
  // Reads a group's members and outcomes into `input`; the members read are added to `subjects`
  // even when another read of the group fails.
  absl::Status ReadMeasuredGroup(const common::CallContext& call, const MeasuredLists& lists,
                                 const ColumnarSnapshot& cols, GroupInput* input, MeasuredSubjects* subjects);
  // The measurement's log entry, ended now, without its subjects and sample size.
  common::ProcessingRecord MeasurementRecord(const MeasureRequest& request, const std::vector<MeasuredLists>& lists,
                                             absl::CivilDay end_day, int64_t snapshot_version) const;

  std::atomic<int> active_streams_{0};
  SnapshotRepository* snapshots_;
  AnalysisRepository* analyses_;
  const common::Clock* clock_;
  common::DataSubjectHasher pseudonymizer_;
  AnalysisSettings settings_;
  OutcomeSource* outcomes_;
  SnapshotCache cache_;
  ObjectionCache objections_;
};

// Masks a name for the pseudonymised view: initials kept, every other word reduced to its
// first letter and asterisks ("J.", "van der", "Vries" -> "J. v** d** V****").
std::string MaskName(absl::string_view initials, absl::string_view name_prefix, absl::string_view surname);

// "signals/{uuid}" check (the signal lives in intake-svc): INVALID_ARGUMENT INVALID_RESOURCE_NAME.
absl::Status ValidateSignalName(absl::string_view name, absl::string_view field);

}  // namespace cak::analysis::domain
