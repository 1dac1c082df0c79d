// Processing-log persistence (see processing_log_store.h).
#include "common/db/processing_log_store.h"

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/base/clock.h"
#include "common/base/random.h"

namespace cak::common::db {

ProcessingLogStore::ProcessingLogStore(std::string schema, std::string resource,
                                       DataSubjectHasher hasher,
                                       std::function<void(int64_t)> on_committed)
    : schema_(std::move(schema)),
      resource_(std::move(resource)),
      hasher_(std::move(hasher)),
      on_committed_(std::move(on_committed)) {}

void ProcessingLogStore::Append(Tx& tx, const CallContext& call, const ProcessingRecord& record) const {
  // Parallel arrays, one element per entry: the operation first, then a child per subject.
  // Hex strings and NULL need no quoting inside a PostgreSQL array literal.
  const std::string op_span = call.trace.SpanIdHex();
  std::vector<std::string> spans{op_span};
  std::vector<std::string> parents{call.trace.parent_span_id.empty() ? "NULL" : call.trace.ParentSpanIdHex()};
  std::vector<std::string> subjects{"NULL"};
  spans.reserve(record.data_subjects.size() + 1);
  parents.reserve(record.data_subjects.size() + 1);
  subjects.reserve(record.data_subjects.size() + 1);
  for (const Bsn& bsn : record.data_subjects) {
    spans.push_back(HexEncode(NewSpanId()));
    parents.push_back(op_span);
    subjects.push_back(hasher_.Hash(bsn));
  }
  nlohmann::json attrs = nlohmann::json::object();
  for (const auto& [k, v] : record.attributes) attrs[k] = v;

  const std::string foreign_processor = call.ForeignProcessor();
  const std::string foreign_span = foreign_processor.empty() ? "" : call.trace.ParentSpanIdHex();
  const std::string spans_lit = absl::StrCat("{", absl::StrJoin(spans, ","), "}");
  const std::string parents_lit = absl::StrCat("{", absl::StrJoin(parents, ","), "}");
  const std::string subjects_lit = absl::StrCat("{", absl::StrJoin(subjects, ","), "}");
  const std::string trace_hex = call.trace.TraceIdHex();
  const std::string activity(ProcessingActivityUri(record.activity));
  const std::string basis(LegalBasis(record.activity));
  const std::string attrs_text = attrs.dump();
  const int status = static_cast<int>(record.status);
  const long long start = absl::ToUnixMicros(call.start_time);
  const long long end = absl::ToUnixMicros(record.end_time);

  tx.sql() << "INSERT INTO " + schema_ +
                  ".processing_log (trace_id, span_id, parent_span_id, name, status, start_time,"
                  " end_time, resource, processing_activity_id, legal_basis, data_subject_id,"
                  " data_subject_id_type, foreign_operation_span_id, foreign_operation_processor,"
                  " actor, attributes)"
                  " SELECT decode(:trace, 'hex'), decode(x.span, 'hex'), decode(x.parent, 'hex'),"
                  " :name, :status, " + schema_ + ".from_micros(:st), " + schema_ + ".from_micros(:en),"
                  " :resource, :activity,"
                  " :basis, x.subject, CASE WHEN x.subject IS NULL THEN NULL ELSE 'BSN' END,"
                  " decode(NULLIF(:fspan, ''), 'hex'), NULLIF(:fproc, ''), :actor, CAST(:attrs AS jsonb)"
                  " FROM unnest(CAST(:spans AS text[]), CAST(:parents AS text[]), CAST(:subjects AS text[]))"
                  " AS x(span, parent, subject)",
      soci::use(trace_hex), soci::use(record.name), soci::use(status), soci::use(start),
      soci::use(end), soci::use(resource_), soci::use(activity), soci::use(basis),
      soci::use(foreign_span), soci::use(foreign_processor), soci::use(call.principal.id),
      soci::use(attrs_text), soci::use(spans_lit), soci::use(parents_lit), soci::use(subjects_lit);
  if (on_committed_) {
    const int64_t n = static_cast<int64_t>(spans.size());
    tx.OnCommit([cb = on_committed_, n] { cb(n); });
  }
}

std::vector<ProcessingLogEntry> ProcessingLogStore::List(soci::session& sql,
                                                         const std::string& where_column,
                                                         const std::string& value_expr,
                                                         const std::string& value, int64_t after_id,
                                                         int limit) const {
  std::vector<ProcessingLogEntry> out;
  const long long after = after_id;
  soci::rowset<soci::row> rows =
      (sql.prepare << "SELECT id, encode(trace_id, 'hex'), encode(span_id, 'hex'),"
                      " coalesce(encode(parent_span_id, 'hex'), ''), name, status,"
                      " " + schema_ + ".to_micros(start_time), " + schema_ + ".to_micros(end_time), resource,"
                      " processing_activity_id, legal_basis, coalesce(data_subject_id, ''),"
                      " coalesce(data_subject_id_type, ''),"
                      " coalesce(encode(foreign_operation_span_id, 'hex'), ''),"
                      " coalesce(foreign_operation_processor, ''), actor, attributes::text"
                      " FROM " + schema_ + ".processing_log WHERE " + where_column + " = " +
                          value_expr + " AND id > :after ORDER BY id LIMIT :lim",
       soci::use(value), soci::use(after), soci::use(limit));
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
    out.push_back(std::move(e));
  }
  return out;
}

std::vector<ProcessingLogEntry> ProcessingLogStore::ListBySubject(soci::session& sql, const Bsn& subject,
                                                                  int64_t after_id, int limit) const {
  return List(sql, "data_subject_id", ":v", hasher_.Hash(subject), after_id, limit);
}

std::vector<ProcessingLogEntry> ProcessingLogStore::ListByTrace(soci::session& sql,
                                                                const std::string& trace_id_hex,
                                                                int64_t after_id, int limit) const {
  return List(sql, "trace_id", "decode(:v, 'hex')", trace_id_hex, after_id, limit);
}

int64_t ProcessingLogStore::PurgeBefore(Tx& tx, absl::Time cutoff) const {
  long long removed = 0;
  const long long cutoff_micros = absl::ToUnixMicros(cutoff);
  tx.sql() << "SELECT " + schema_ + ".purge_processing_log(" + schema_ + ".from_micros(:c))",
      soci::use(cutoff_micros), soci::into(removed);
  return removed;
}

}  // namespace cak::common::db
