// Writes and reads a service's processing log (table <schema>.processing_log, created by the
// common migrations). Writes happen inside the caller's transaction: the log entry exists
// exactly when the processing it describes committed.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/base/data_subject_hasher.h"
#include "common/base/processing_log.h"
#include "common/db/pool.h"

namespace cak::common::db {

// One stored entry, as read back.
struct ProcessingLogEntry {
  int64_t id = 0;
  std::string trace_id, span_id, parent_span_id;  // hex
  std::string name;
  ProcessingStatus status = ProcessingStatus::kUnset;
  absl::Time start_time, end_time;
  std::string resource, processing_activity_id, legal_basis;
  std::string data_subject_id, data_subject_id_type;
  std::string foreign_operation_trace_id, foreign_operation_span_id, foreign_operation_processor;
  std::string actor;
  std::map<std::string, std::string> attributes;
  // ListByTrace only: the operation's data subjects kept as narrow subject rows (a bulk
  // processing's: a freeze, a stream, a measurement), its own and referenced ones, counted.
  int64_t subject_rows = 0;
};

// Where an entry goes in the trace (hex ids): the call's span as a child of its caller's, or,
// for a record of an action asked for from another trace, a child of the action's operation
// with the caller as foreign operation (WithinAction, ProcessingRecord::action_traceparent).
struct EntryPlacement {
  std::string trace_id, span_id, parent_span_id;
  std::string foreign_trace_id;  // empty: the entry's own trace
  std::string foreign_span_id, foreign_processor;
};
EntryPlacement PlaceEntry(const CallContext& call, const ProcessingRecord& record);

class ProcessingLogStore {
 public:
  // `resource` names the service ("intake-svc"). `on_committed` (may be empty) is told how many
  // entries each committed transaction wrote (for the metrics).
  ProcessingLogStore(std::string schema, std::string resource, DataSubjectHasher hasher,
                     std::function<void(int64_t)> on_committed = {});

  // Writes the operation entry (the RPC's span) and one child entry per data subject.
  // Throws what SOCI throws (the caller's transaction handles it).
  void Append(Tx& tx, const CallContext& call, const ProcessingRecord& record) const;
  // The same for many processings in one statement (batched writes).
  void AppendAll(Tx& tx, const std::vector<std::pair<const CallContext*, const ProcessingRecord*>>& items) const;

  // Bulk disclosures (migration 0004): the operation's entry once, without subjects; returns
  // its id. Then AppendSubjects() for each chunk of subjects, each in its own transaction,
  // before the chunk is disclosed. Throws what SOCI throws.
  int64_t AppendOperation(Tx& tx, const CallContext& call, const ProcessingRecord& record) const;
  void AppendSubjects(soci::session& sql, int64_t entry_id, const std::vector<Bsn>& subjects) const;
  // A processing of many subjects in one transaction (a response measurement): the operation's
  // entry, its subjects (record.data_subjects, hashed here, and record.data_subject_ids, as
  // given) as narrow subject rows, and one reference per entry of
  // record.data_subjects_of_entries (migration 0010). Returns the entry's id.
  int64_t AppendWithSubjectRows(Tx& tx, const CallContext& call, const ProcessingRecord& record) const;
  // The same for many processings of a batched write (SubmitSignal's): each operation's entry,
  // and its subjects (record.data_subjects, hashed here, and record.data_subject_ids) as narrow
  // subject rows, in two statements for the whole batch; data_subjects_of_entries is not
  // supported here. A subject row per subject instead of a child entry: ListBySubject and the
  // logbook export still show each subject as an entry of its own. Throws what SOCI throws.
  void AppendAllWithSubjectRows(Tx& tx,
                                const std::vector<std::pair<const CallContext*, const ProcessingRecord*>>& items) const;
  // Narrow subject rows (log ids, as DataSubjectHasher::Hash gives them) of entry `entry_id`
  // (AppendOperation), in the caller's transaction: a freeze writes its entry first, so that
  // what it creates can name it, and its subjects once their ids are hashed. `addressees[i]`
  // (optional) names the person subject i's data went to when that is someone else (a letter
  // routed to the legal representative): a pseudonymous id (DataSubjectHasher::HashText,
  // prefixed with the addressee's role), or empty when the subject received it; read back as
  // the entry's attribute "addressee".
  void AppendSubjectRows(Tx& tx, int64_t entry_id, const std::vector<std::string>& subject_ids,
                         const std::vector<std::string>& addressees = {}) const;

  // Entries of one data subject (by BSN, hashed here) or one trace, oldest first, after the
  // entry with id `after_id`, at most `limit`.
  std::vector<ProcessingLogEntry> ListBySubject(soci::session& sql, const Bsn& subject, int64_t after_id,
                                                int limit) const;
  std::vector<ProcessingLogEntry> ListByTrace(soci::session& sql, const std::string& trace_id_hex, int64_t after_id,
                                              int limit) const;

  // Deletes at most `max_rows` entries that ended before `cutoff` (through the owner's purge
  // function, which refuses a cutoff inside the retention floor). Returns the number removed;
  // repeat in new transactions until it is below `max_rows`.
  int64_t PurgeBefore(Tx& tx, absl::Time cutoff, int max_rows = 10000) const;

  const DataSubjectHasher& hasher() const { return hasher_; }
  const std::string& schema() const { return schema_; }

 private:
  std::vector<ProcessingLogEntry> List(soci::session& sql, const std::string& where_column,
                                       const std::string& value_expr, const std::string& value, int64_t after_id,
                                       int limit) const;
  std::vector<ProcessingLogEntry> ReadEntries(soci::rowset<soci::row>& rows) const;
  // COPYs subject rows (hashed ids; addressees[i] or none) of entry `entry_id`.
  void WriteSubjectRows(soci::session& sql, int64_t entry_id, const std::vector<std::string>& subject_ids,
                        const std::vector<std::string>& addressees) const;
  std::string schema_;
  std::string resource_;
  DataSubjectHasher hasher_;
  std::function<void(int64_t)> on_committed_;
};

// The retention job's log purge: entries that ended before `cutoff`, `chunk` at a time, each
// chunk in its own transaction so that a backlog always makes progress. Returns how many went.
absl::StatusOr<int64_t> PurgeProcessingLog(PgPool& pool, const ProcessingLogStore& store, absl::Time cutoff,
                                           int chunk = 10000);

// What PurgeProcessingLog(cutoff) would do now, for `--purge --dry-run`: how many entries it
// would remove (the same choice, common migration 0012), and how many expired ones it would
// keep because the logbook has not accepted them yet. Writes nothing.
struct ProcessingLogPurgeCount {
  int64_t removable = 0;
  int64_t held_for_logbook = 0;
};
absl::StatusOr<ProcessingLogPurgeCount> CountProcessingLogPurge(PgPool& pool, const ProcessingLogStore& store,
                                                                absl::Time cutoff);

}  // namespace cak::common::db
