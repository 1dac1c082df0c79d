// Processing-log persistence (see processing_log_store.h).
#include "common/db/processing_log_store.h"

#include <nlohmann/json.hpp>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "common/base/clock.h"
#include "common/base/errors.h"
#include "common/base/log.h"
#include "common/base/random.h"
#include "common/db/copy.h"
#include "common/db/prepared.h"
#include "common/db/sql_array.h"

namespace cak::common::db {

EntryPlacement PlaceEntry(const CallContext& asked, const ProcessingRecord& record) {
  const CallContext call = WithinAction(asked, record.action_traceparent);
  EntryPlacement at;
  at.trace_id = call.trace.TraceIdHex();
  at.span_id = call.trace.SpanIdHex();
  at.parent_span_id = call.trace.parent_span_id.empty() ? std::string() : call.trace.ParentSpanIdHex();
  const std::string processor = call.ForeignProcessor();
  if (!call.foreign_trace_id.empty()) {
    // Work of an action asked for from another trace (an executor's, an operator's without the
    // action's trace): the call that asked is the foreign operation, in its own trace.
    at.foreign_trace_id = HexEncode(call.foreign_trace_id);
    at.foreign_span_id = HexEncode(call.foreign_span_id);
    at.foreign_processor = processor;
  } else if (!processor.empty()) {
    at.foreign_span_id = at.parent_span_id;  // the calling application's span, in this trace
    at.foreign_processor = processor;
  }
  return at;
}

ProcessingLogStore::ProcessingLogStore(std::string schema, std::string resource, DataSubjectHasher hasher,
                                       std::function<void(int64_t)> on_committed)
    : schema_(std::move(schema)),
      resource_(std::move(resource)),
      hasher_(std::move(hasher)),
      on_committed_(std::move(on_committed)) {}

void ProcessingLogStore::Append(Tx& tx, const CallContext& call, const ProcessingRecord& record) const {
  AppendAll(tx, {{&call, &record}});
}

void ProcessingLogStore::AppendAll(
    Tx& tx, const std::vector<std::pair<const CallContext*, const ProcessingRecord*>>& items) const {
  if (items.empty()) return;
  // One row per processing (r_*) and one per entry (e_*: the operation, then a child per
  // subject), bound as arrays so that any number of processings is one statement.
  std::vector<std::string> r_trace, r_name, r_activity, r_basis, r_ftrace, r_fspan, r_fproc, r_actor, r_attrs;
  std::vector<int64_t> r_status, r_start, r_end;
  std::vector<int64_t> e_rec;
  std::vector<std::optional<std::string>> e_span, e_parent, e_subject;
  for (size_t i = 0; i < items.size(); ++i) {
    const CallContext& call = *items[i].first;
    const ProcessingRecord& record = *items[i].second;
    const EntryPlacement at = PlaceEntry(call, record);
    nlohmann::json attrs = nlohmann::json::object();
    for (const auto& [k, v] : record.attributes) attrs[k] = v;
    r_trace.push_back(at.trace_id);
    r_name.push_back(record.name);
    r_activity.emplace_back(ProcessingActivityUri(record.activity));
    r_basis.emplace_back(LegalBasis(record.activity));
    r_ftrace.push_back(at.foreign_trace_id);
    r_fspan.push_back(at.foreign_span_id);
    r_fproc.push_back(at.foreign_processor);
    r_actor.push_back(call.principal.id);
    r_attrs.push_back(attrs.dump());
    r_status.push_back(static_cast<int64_t>(record.status));
    r_start.push_back(absl::ToUnixMicros(call.start_time));
    r_end.push_back(absl::ToUnixMicros(record.end_time));

    e_rec.push_back(static_cast<int64_t>(i + 1));
    e_span.emplace_back(at.span_id);
    e_parent.push_back(at.parent_span_id.empty() ? std::nullopt : std::optional<std::string>(at.parent_span_id));
    e_subject.emplace_back(std::nullopt);
    auto add_subject = [&](std::string id) {
      e_rec.push_back(static_cast<int64_t>(i + 1));
      e_span.emplace_back(HexEncode(NewSpanId()));
      e_parent.emplace_back(at.span_id);
      e_subject.emplace_back(std::move(id));
    };
    for (const Bsn& bsn : record.data_subjects) add_subject(hasher_.Hash(bsn));
    for (const std::string& id : record.data_subject_ids) add_subject(id);
  }
  const std::string S = schema_;
  const std::string rt = TextArrayLiteral(r_trace), rn = TextArrayLiteral(r_name), ra = TextArrayLiteral(r_activity),
                    rb = TextArrayLiteral(r_basis), rft = TextArrayLiteral(r_ftrace), rfs = TextArrayLiteral(r_fspan),
                    rfp = TextArrayLiteral(r_fproc), rac = TextArrayLiteral(r_actor), rat = TextArrayLiteral(r_attrs),
                    rs = IntArrayLiteral(r_status), rst = IntArrayLiteral(r_start), ren = IntArrayLiteral(r_end),
                    er = IntArrayLiteral(e_rec), es = TextArrayLiteral(e_span), ep = TextArrayLiteral(e_parent),
                    esu = TextArrayLiteral(e_subject);
  ExecutePrepared(
      tx.sql(),
      "INSERT INTO " + S +
          ".processing_log (trace_id, span_id, parent_span_id, name, status, start_time,"
          " end_time, resource, processing_activity_id, legal_basis, data_subject_id,"
          " data_subject_id_type, foreign_operation_trace_id, foreign_operation_span_id,"
          " foreign_operation_processor, actor, attributes)"
          " SELECT decode(r.trace, 'hex'), decode(e.span, 'hex'), decode(e.parent, 'hex'), r.name,"
          " r.status, " +
          S + ".from_micros(r.st), " + S +
          ".from_micros(r.en), $1, r.activity, r.basis,"
          " e.subject, CASE WHEN e.subject IS NULL THEN NULL ELSE 'BSN' END,"
          " decode(NULLIF(r.ftrace, ''), 'hex'), decode(NULLIF(r.fspan, ''), 'hex'), NULLIF(r.fproc, ''),"
          " r.actor, CAST(r.attrs AS jsonb)"
          " FROM unnest(CAST($2 AS bigint[]), CAST($3 AS text[]), CAST($4 AS text[]), CAST($5 AS text[]))"
          " AS e(rec, span, parent, subject)"
          " JOIN unnest(CAST($6 AS text[]), CAST($7 AS text[]), CAST($8 AS smallint[]),"
          " CAST($9 AS bigint[]), CAST($10 AS bigint[]), CAST($11 AS text[]), CAST($12 AS text[]),"
          " CAST($13 AS text[]), CAST($14 AS text[]), CAST($15 AS text[]), CAST($16 AS text[]),"
          " CAST($17 AS text[])) WITH ORDINALITY"
          " AS r(trace, name, status, st, en, activity, basis, ftrace, fspan, fproc, actor, attrs, rec) USING (rec)",
      {resource_, er, es, ep, esu, rt, rn, rs, rst, ren, ra, rb, rft, rfs, rfp, rac, rat});
  if (on_committed_) {
    const int64_t n = static_cast<int64_t>(e_rec.size());
    tx.OnCommit([cb = on_committed_, n] { cb(n); });
  }
}

namespace {

// The record without its subjects (not copied: a freeze has half a million), for an operation
// whose subjects go in as subject rows.
ProcessingRecord WithoutSubjects(const ProcessingRecord& record) {
  ProcessingRecord operation;
  operation.name = record.name;
  operation.activity = record.activity;
  operation.status = record.status;
  operation.end_time = record.end_time;
  operation.attributes = record.attributes;
  operation.action_traceparent = record.action_traceparent;
  return operation;
}

}  // namespace

int64_t ProcessingLogStore::AppendOperation(Tx& tx, const CallContext& call, const ProcessingRecord& record) const {
  const ProcessingRecord operation = WithoutSubjects(record);
  AppendAll(tx, {{&call, &operation}});
  // The operation's own row: its span is this call's, and a call appends one operation.
  const EntryPlacement at = PlaceEntry(call, record);
  const TextRows rows =
      ExecutePrepared(tx.sql(),
                      "SELECT max(id) FROM " + schema_ +
                          ".processing_log WHERE trace_id = decode($1, 'hex') AND span_id = decode($2, "
                          "'hex') AND data_subject_id IS NULL",
                      {at.trace_id, at.span_id});
  return std::stoll(rows.at(0).at(0).value());
}

void ProcessingLogStore::AppendSubjects(soci::session& sql, int64_t entry_id, const std::vector<Bsn>& subjects) const {
  std::vector<std::string> ids;
  ids.reserve(subjects.size());
  for (const Bsn& bsn : subjects) ids.push_back(hasher_.Hash(bsn));
  WriteSubjectRows(sql, entry_id, ids, {});
  if (on_committed_) on_committed_(static_cast<int64_t>(ids.size()));
}

int64_t ProcessingLogStore::AppendWithSubjectRows(Tx& tx, const CallContext& call,
                                                  const ProcessingRecord& record) const {
  const int64_t entry = AppendOperation(tx, call, record);
  const absl::Time t0 = absl::Now();
  std::vector<std::string> ids;
  ids.reserve(record.data_subjects.size() + record.data_subject_ids.size());
  for (const Bsn& bsn : record.data_subjects) ids.push_back(hasher_.Hash(bsn));
  ids.insert(ids.end(), record.data_subject_ids.begin(), record.data_subject_ids.end());
  const absl::Time t1 = absl::Now();
  AppendSubjectRows(tx, entry, ids);
  if (!record.data_subjects_of_entries.empty()) {
    // One reference per earlier entry (the foreign key checks it exists and keeps it).
    ExecutePrepared(tx.sql(),
                    "INSERT INTO " + schema_ +
                        ".processing_log_subject_refs (entry_id, source_entry_id) SELECT CAST($1 AS bigint), s"
                        " FROM unnest(CAST($2 AS bigint[])) AS s ON CONFLICT DO NOTHING",
                    {std::to_string(entry), IntArrayLiteral(record.data_subjects_of_entries)});
  }
  log::Debug("processing_log_subject_rows_written",
             {{"operation", record.name},
              {"subjects", static_cast<int64_t>(ids.size())},
              {"referenced_entries", static_cast<int64_t>(record.data_subjects_of_entries.size())},
              {"hash_ms", absl::ToInt64Milliseconds(t1 - t0)},
              {"copy_ms", absl::ToInt64Milliseconds(absl::Now() - t1)}});
  return entry;
}

void ProcessingLogStore::AppendAllWithSubjectRows(
    Tx& tx, const std::vector<std::pair<const CallContext*, const ProcessingRecord*>>& items) const {
  if (items.empty()) return;
  // The subject rows find their operation's entry by its trace and span (as AppendOperation
  // does): two records of one call in a batch would be ambiguous, so those go one by one.
  std::set<std::pair<std::string, std::string>> spans;
  std::vector<EntryPlacement> placements;
  for (const auto& [call, record] : items) {
    placements.push_back(PlaceEntry(*call, *record));
    if (!spans.emplace(placements.back().trace_id, placements.back().span_id).second) {
      for (const auto& [c, r] : items) AppendWithSubjectRows(tx, *c, *r);
      return;
    }
  }
  std::vector<ProcessingRecord> operations;  // the records without their subjects
  operations.reserve(items.size());
  std::vector<std::pair<const CallContext*, const ProcessingRecord*>> operation_items;
  std::vector<std::string> s_trace, s_span, s_subject;
  for (size_t i = 0; i < items.size(); ++i) {
    const ProcessingRecord& record = *items[i].second;
    ProcessingRecord& operation = operations.emplace_back(WithoutSubjects(record));
    operation_items.emplace_back(items[i].first, &operation);
    auto add_subject = [&](std::string id) {
      s_trace.push_back(placements[i].trace_id);
      s_span.push_back(placements[i].span_id);
      s_subject.push_back(std::move(id));
    };
    for (const Bsn& bsn : record.data_subjects) add_subject(hasher_.Hash(bsn));
    for (const std::string& id : record.data_subject_ids) add_subject(id);
  }
  AppendAll(tx, operation_items);
  if (s_subject.empty()) return;
  ExecutePrepared(tx.sql(),
                  "WITH s AS (SELECT * FROM unnest(CAST($1 AS text[]), CAST($2 AS text[]), CAST($3 AS text[]))"
                  " AS s(trace, span, subject)),"
                  " op AS MATERIALIZED (SELECT o.trace, o.span, (SELECT max(p.id) FROM " +
                      schema_ +
                      ".processing_log p WHERE p.trace_id = decode(o.trace, 'hex')"
                      " AND p.span_id = decode(o.span, 'hex') AND p.data_subject_id IS NULL) AS id"
                      " FROM (SELECT DISTINCT trace, span FROM s) o)"
                      " INSERT INTO " +
                      schema_ +
                      ".processing_log_subjects (entry_id, data_subject_id)"
                      " SELECT op.id, s.subject FROM s JOIN op USING (trace, span)",
                  {TextArrayLiteral(s_trace), TextArrayLiteral(s_span), TextArrayLiteral(s_subject)});
  if (on_committed_) {
    tx.OnCommit([cb = on_committed_, n = static_cast<int64_t>(s_subject.size())] { cb(n); });
  }
}

void ProcessingLogStore::AppendSubjectRows(Tx& tx, int64_t entry_id, const std::vector<std::string>& subject_ids,
                                           const std::vector<std::string>& addressees) const {
  WriteSubjectRows(tx.sql(), entry_id, subject_ids, addressees);
  if (on_committed_ && !subject_ids.empty()) {
    tx.OnCommit([cb = on_committed_, n = static_cast<int64_t>(subject_ids.size())] { cb(n); });
  }
}

void ProcessingLogStore::WriteSubjectRows(soci::session& sql, int64_t entry_id,
                                          const std::vector<std::string>& subject_ids,
                                          const std::vector<std::string>& addressees) const {
  if (subject_ids.empty()) return;
  std::string lines;
  const std::string prefix = std::to_string(entry_id) + "\t";
  lines.reserve(subject_ids.size() * (prefix.size() + 70));
  for (size_t i = 0; i < subject_ids.size(); ++i) {
    lines.append(prefix);
    lines.append(subject_ids[i]);
    lines.push_back('\t');
    // Hex ids and role names: nothing COPY would have to escape.
    if (i < addressees.size() && !addressees[i].empty()) {
      lines.append(addressees[i]);
    } else {
      lines.append("\\N");
    }
    lines.push_back('\n');
  }
  CopyIn copy(sql, "COPY " + schema_ + ".processing_log_subjects (entry_id, data_subject_id, addressee) FROM STDIN");
  copy.Write(lines);
  copy.End();
}

std::vector<ProcessingLogEntry> ProcessingLogStore::List(soci::session& sql, const std::string& where_column,
                                                         const std::string& value_expr, const std::string& value,
                                                         int64_t after_id, int limit) const {
  const long long after = after_id;
  soci::rowset<soci::row> rows =
      (sql.prepare << "SELECT id, encode(trace_id, 'hex'), encode(span_id, 'hex'),"
                      " coalesce(encode(parent_span_id, 'hex'), ''), name, status,"
                      " " +
                          schema_ + ".to_micros(start_time), " + schema_ +
                          ".to_micros(end_time), resource,"
                          " processing_activity_id, legal_basis, coalesce(data_subject_id, ''),"
                          " coalesce(data_subject_id_type, ''),"
                          " coalesce(encode(foreign_operation_span_id, 'hex'), ''),"
                          " coalesce(foreign_operation_processor, ''), actor, attributes::text,"
                          " coalesce(encode(foreign_operation_trace_id, 'hex'), ''),"
                          " (SELECT count(*) FROM " +
                          schema_ +
                          ".processing_log_all_subjects s WHERE s.entry_id = p.id)"
                          " FROM " +
                          schema_ + ".processing_log p WHERE " + where_column + " = " + value_expr +
                          " AND id > :after ORDER BY id LIMIT :lim",
       soci::use(value), soci::use(after), soci::use(limit));
  return ReadEntries(rows);
}

std::vector<ProcessingLogEntry> ProcessingLogStore::ReadEntries(soci::rowset<soci::row>& rows) const {
  std::vector<ProcessingLogEntry> out;
  for (const soci::row& r : rows) {
    ProcessingLogEntry e;
    e.id = r.get<long long>(0);
    e.trace_id = r.get<std::string>(1);
    e.span_id = r.get<std::string>(2);
    e.parent_span_id = r.get<std::string>(3);
    e.name = r.get<std::string>(4);
    e.status = static_cast<ProcessingStatus>(r.get<int>(5));
    e.start_time = absl::FromUnixMicros(r.get<long long>(6));
    e.end_time = absl::FromUnixMicros(r.get<long long>(7));
    e.resource = r.get<std::string>(8);
    e.processing_activity_id = r.get<std::string>(9);
    e.legal_basis = r.get<std::string>(10);
    e.data_subject_id = r.get<std::string>(11);
    e.data_subject_id_type = r.get<std::string>(12);
    e.foreign_operation_span_id = r.get<std::string>(13);
    e.foreign_operation_processor = r.get<std::string>(14);
    e.actor = r.get<std::string>(15);
    const nlohmann::json attributes = nlohmann::json::parse(r.get<std::string>(16));
    for (const auto& [k, v] : attributes.items()) {
      e.attributes[k] = v.is_string() ? v.get<std::string>() : v.dump();
    }
    e.foreign_operation_trace_id = r.get<std::string>(17);
    if (r.size() > 18) e.subject_rows = r.get<long long>(18);
    if (e.foreign_operation_trace_id.empty() && !e.foreign_operation_span_id.empty()) {
      e.foreign_operation_trace_id = e.trace_id;  // the caller's span, in the same trace
    }
    out.push_back(std::move(e));
  }
  return out;
}

std::vector<ProcessingLogEntry> ProcessingLogStore::ListBySubject(soci::session& sql, const Bsn& subject,
                                                                  int64_t after_id, int limit) const {
  // Entries of its own, and the bulk disclosures it was part of (as that operation's entry
  // with this subject); ids are unique across both (a subject is once in a disclosure).
  const std::string hash = hasher_.Hash(subject);
  const long long after = after_id;
  const std::string columns =
      "encode(p.trace_id, 'hex'), encode(p.span_id, 'hex'), coalesce(encode(p.parent_span_id, 'hex'), ''), p.name,"
      " p.status, " +
      schema_ + ".to_micros(p.start_time), " + schema_ +
      ".to_micros(p.end_time), p.resource,"
      " p.processing_activity_id, p.legal_basis, ";
  const std::string tail =
      ", coalesce(encode(p.foreign_operation_span_id, 'hex'), ''), coalesce(p.foreign_operation_processor, ''),"
      " p.actor, p.attributes::text, coalesce(encode(p.foreign_operation_trace_id, 'hex'), '')";
  const std::string subject_tail =
      ", coalesce(encode(p.foreign_operation_span_id, 'hex'), ''), coalesce(p.foreign_operation_processor, ''),"
      " p.actor, (CASE WHEN s.addressee IS NULL THEN p.attributes"
      " ELSE p.attributes || jsonb_build_object('addressee', s.addressee) END)::text,"
      " coalesce(encode(p.foreign_operation_trace_id, 'hex'), '')";
  soci::rowset<soci::row> rows =
      (sql.prepare << "SELECT * FROM (SELECT p.id, " + columns +
                          "coalesce(p.data_subject_id, ''),"
                          " coalesce(p.data_subject_id_type, '')" +
                          tail + " FROM " + schema_ +
                          ".processing_log p WHERE p.data_subject_id = :v AND p.id > :after"
                          " UNION ALL SELECT p.id, " +
                          columns + "s.data_subject_id, 'BSN'" + subject_tail + " FROM " + schema_ +
                          ".processing_log_all_subjects s JOIN " + schema_ +
                          ".processing_log p ON p.id = s.entry_id"
                          " WHERE s.data_subject_id = :v2 AND s.entry_id > :after2) e ORDER BY 1 LIMIT :lim",
       soci::use(hash), soci::use(after), soci::use(hash), soci::use(after), soci::use(limit));
  return ReadEntries(rows);
}

std::vector<ProcessingLogEntry> ProcessingLogStore::ListByTrace(soci::session& sql, const std::string& trace_id_hex,
                                                                int64_t after_id, int limit) const {
  return List(sql, "trace_id", "decode(:v, 'hex')", trace_id_hex, after_id, limit);
}

int64_t ProcessingLogStore::PurgeBefore(Tx& tx, absl::Time cutoff, int max_rows) const {
  long long removed = 0;
  const long long cutoff_micros = absl::ToUnixMicros(cutoff);
  tx.sql() << "SELECT " + schema_ + ".purge_processing_log(" + schema_ + ".from_micros(:c), :m)",
      soci::use(cutoff_micros), soci::use(max_rows), soci::into(removed);
  return removed;
}

namespace {

// A count from the processing log's expiry functions (common migrations 0008 and 0012) at
// `cutoff`: `count_of` is a SELECT of one count with ${s} for the schema and $cutoff for the time.
absl::StatusOr<int64_t> ExpiryCount(PgPool& pool, const ProcessingLogStore& store, absl::string_view count_of,
                                    absl::Time cutoff) {
  int64_t n = 0;
  CAK_RETURN_IF_ERROR(WithSession(pool, [&](soci::session& sql) {
    const std::string cutoff_sql = store.schema() + ".from_micros(CAST($1 AS bigint))";
    const TextRows rows =
        ExecutePrepared(sql, absl::StrReplaceAll(count_of, {{"${s}", store.schema()}, {"$cutoff", cutoff_sql}}),
                        {absl::StrCat(absl::ToUnixMicros(cutoff))});
    n = rows[0][0] ? std::stoll(*rows[0][0]) : 0;
    return absl::OkStatus();
  }));
  return n;
}

constexpr char kHeldForLogbook[] = "SELECT ${s}.processing_log_held_for_export($cutoff)";
constexpr char kPurgeable[] = "SELECT count(*) FROM ${s}.processing_log_purgeable($cutoff)";

}  // namespace

absl::StatusOr<int64_t> PurgeProcessingLog(PgPool& pool, const ProcessingLogStore& store, absl::Time cutoff,
                                           int chunk) {
  int64_t removed = 0, last = chunk;
  while (last == chunk) {
    absl::Status st = InTransaction(pool, [&](Tx& tx) {
      last = store.PurgeBefore(tx, cutoff, chunk);
      return absl::OkStatus();
    });
    if (!st.ok()) return st;
    removed += last;
  }
  // Expired entries the logbook has not accepted yet stay (common migration 0008): say so.
  CAK_ASSIGN_OR_RETURN(const int64_t held, ExpiryCount(pool, store, kHeldForLogbook, cutoff));
  if (held > 0) {
    log::Warning("purge_processing_log_held_for_logbook",
                 {{"entries", held}, {"why", "expired, but the logbook has not accepted them yet"}});
  }
  return removed;
}

absl::StatusOr<ProcessingLogPurgeCount> CountProcessingLogPurge(PgPool& pool, const ProcessingLogStore& store,
                                                                absl::Time cutoff) {
  ProcessingLogPurgeCount count;
  CAK_ASSIGN_OR_RETURN(count.removable, ExpiryCount(pool, store, kPurgeable, cutoff));
  CAK_ASSIGN_OR_RETURN(count.held_for_logbook, ExpiryCount(pool, store, kHeldForLogbook, cutoff));
  return count;
}

}  // namespace cak::common::db
