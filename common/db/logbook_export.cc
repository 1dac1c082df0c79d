// Processing-log export to the Logboek Dataverwerkingen (see logbook_export.h).
#include "common/db/logbook_export.h"

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "common/base/backoff.h"
#include "common/base/log.h"
#include "common/base/random.h"
#include "common/base/sha256.h"
#include "common/db/prepared.h"
#include "common/db/sql_values.h"

namespace cak::common::db {
namespace {

constexpr char kCursorName[] = "cak_logbook_export";

// The columns of an entry row, in the order EntryFromRow reads them (after tx, part and id).
std::string EntryColumns(const std::string& s, const std::string& p) {
  return absl::StrCat("encode(", p, "trace_id, 'hex'), encode(", p, "span_id, 'hex'), coalesce(encode(", p,
                      "parent_span_id, 'hex'), ''), ", p, "name, ", p, "status, ", s, ".to_micros(", p, "start_time), ",
                      s, ".to_micros(", p, "end_time), ", p, "processing_activity_id, ", p, "legal_basis, coalesce(", p,
                      "data_subject_id, ''), coalesce(", p, "data_subject_id_type, ''), coalesce(encode(", p,
                      "foreign_operation_span_id, 'hex'), ''), coalesce(", p, "foreign_operation_processor, ''), ", p,
                      "actor, ", p, "attributes::text, coalesce(encode(", p, "foreign_operation_trace_id, 'hex'), '')");
}

std::string Raw(const std::optional<std::string>& hex) {
  std::string out;
  if (hex && !hex->empty()) HexDecode(*hex, &out);
  return out;
}

const std::string& Text(const std::optional<std::string>& v) {
  static const std::string kEmpty;
  return v ? *v : kEmpty;
}

// An entry row (columns from `at` on, as EntryColumns) as an operation.
LogbookOperation EntryFromRow(const std::vector<std::optional<std::string>>& row, size_t at) {
  LogbookOperation op;
  op.trace_id = Raw(row[at + 0]);
  op.operation_id = Raw(row[at + 1]);
  op.parent_operation_id = Raw(row[at + 2]);
  op.name = Text(row[at + 3]);
  op.status = static_cast<ProcessingStatus>(ToInt(row[at + 4]));
  op.start_time = absl::FromUnixMicros(ToInt(row[at + 5]));
  op.end_time = absl::FromUnixMicros(ToInt(row[at + 6]));
  op.attributes.emplace_back(kAttrProcessingActivity, Text(row[at + 7]));
  if (!Text(row[at + 9]).empty()) {
    op.attributes.emplace_back(kAttrDataSubjectId, Text(row[at + 9]));
    op.attributes.emplace_back(kAttrDataSubjectIdType, Text(row[at + 10]));
  }
  if (!Text(row[at + 11]).empty()) {
    // The caller's span: in the entry's own trace, or in the caller's for work of an action
    // asked for from another trace (common migration 0009).
    const std::string foreign_trace = Raw(row[at + 15]);
    op.foreign_trace_id = foreign_trace.empty() ? op.trace_id : foreign_trace;
    op.foreign_operation_id = Raw(row[at + 11]);
    op.foreign_entity = Text(row[at + 12]);
  }
  op.attributes.emplace_back(absl::StrCat(kAttrPrefix, "legal_basis"), Text(row[at + 8]));
  op.attributes.emplace_back(absl::StrCat(kAttrPrefix, "actor"), Text(row[at + 13]));
  const nlohmann::json attributes = nlohmann::json::parse(Text(row[at + 14]), nullptr, /*allow_exceptions=*/false);
  if (attributes.is_object()) {
    for (const auto& [k, v] : attributes.items()) {
      op.attributes.emplace_back(absl::StrCat(kAttrPrefix, k), v.is_string() ? v.get<std::string>() : v.dump());
    }
  }
  return op;
}

// One data subject of a bulk disclosure as an operation of its own under the disclosure's
// entry; its id is derived, so a re-sent subject keeps it.
LogbookOperation SubjectOperation(const LogbookOperation& entry, const std::string& subject,
                                  const std::string& addressee) {
  LogbookOperation op = entry;
  op.parent_operation_id = entry.operation_id;
  op.operation_id = Sha256(absl::StrCat(entry.operation_id, subject)).substr(0, 8);
  op.attributes.emplace_back(kAttrDataSubjectId, subject);
  op.attributes.emplace_back(kAttrDataSubjectIdType, "BSN");
  if (!addressee.empty()) op.attributes.emplace_back(absl::StrCat(kAttrPrefix, "addressee"), addressee);
  return op;
}

}  // namespace

LogbookExporter::LogbookExporter(PgPool* pool, LogbookSink* sink, LogbookExportOptions options)
    : pool_(pool), sink_(sink), options_(std::move(options)) {}

LogbookExporter::~LogbookExporter() { Stop(); }

void LogbookExporter::Start() {
  std::lock_guard<std::mutex> lock(mu_);
  if (worker_.joinable()) return;
  stop_ = false;
  worker_ = std::thread([this] { Run(); });
}

void LogbookExporter::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (worker_.joinable()) worker_.join();
}

absl::Status LogbookExporter::EnsureCursor() {
  auto lease = pool_->Acquire();
  if (!lease.ok()) return lease.status();
  try {
    ExecutePrepared(lease->sql(),
                    "INSERT INTO " + options_.schema +
                        ".processing_log_export (exported_tx, logbook, update_time) VALUES (-1, $1, now())"
                        " ON CONFLICT (singleton) DO NOTHING",
                    {options_.logbook});
    return absl::OkStatus();
  } catch (const std::exception& e) {
    return SociErrorToStatus(e, lease->sql());
  }
}

absl::StatusOr<int64_t> LogbookExporter::ExportRound() {
  auto lease = pool_->Acquire();
  if (!lease.ok()) return lease.status();
  soci::session& sql = lease->sql();
  const std::string& S = options_.schema;
  int64_t accepted = 0;
  absl::Status sink_error;
  try {
    Tx tx(sql);
    // The horizon first: the row lock below gives this transaction an xid of its own.
    const int64_t horizon = ToInt(ExecuteText(sql, "SELECT " + S + ".export_horizon()").at(0).at(0));
    // Nothing due (the common case when polling): a look without the lock, so that an idle poll
    // takes no transaction id and writes nothing (no WAL flush beside the business calls).
    const TextRows peek = ExecuteText(sql, "SELECT exported_tx FROM " + S + ".processing_log_export");
    if (peek.empty() || horizon - 1 <= ToInt(peek[0][0])) return 0;
    const TextRows cursor_row =
        ExecuteText(sql, "SELECT exported_tx FROM " + S + ".processing_log_export FOR UPDATE SKIP LOCKED");
    if (cursor_row.empty()) return 0;  // another replica's round, or no cursor yet (EnsureCursor)
    const int64_t cursor = ToInt(cursor_row[0][0]);
    if (horizon - 1 <= cursor) return 0;

    const std::string range = absl::StrCat(" > ", cursor, " AND tx < ", horizon);
    ExecuteText(sql, absl::StrCat("DECLARE ", kCursorName, " NO SCROLL CURSOR FOR SELECT tx, 0, id, ",
                                  EntryColumns(S, ""), ", NULL::text FROM ", S, ".processing_log WHERE tx", range,
                                  " UNION ALL SELECT tx, 1, entry_id, NULL, NULL, NULL, NULL, NULL::smallint,"
                                  " NULL::bigint, NULL::bigint, NULL, NULL, data_subject_id, NULL, NULL, NULL, NULL,"
                                  " NULL, NULL, coalesce(addressee, '') FROM ",
                                  S, ".processing_log_all_subjects WHERE tx", range, " ORDER BY 1, 2, 3"));

    std::map<int64_t, LogbookOperation> entries;  // subject rows' entries, by id
    auto entry_of = [&](int64_t id) -> const LogbookOperation& {
      auto it = entries.find(id);
      if (it != entries.end()) return it->second;
      if (entries.size() > 10000) entries.clear();
      const TextRows r = ExecutePrepared(
          sql, "SELECT " + EntryColumns(S, "") + " FROM " + S + ".processing_log WHERE id = CAST($1 AS bigint)",
          {absl::StrCat(id)});
      return entries.emplace(id, r.empty() ? LogbookOperation{} : EntryFromRow(r[0], 0)).first->second;
    };

    std::vector<LogbookOperation> batch;
    batch.reserve(options_.batch_size);
    absl::Duration fetch_time, send_time;
    const absl::Time round_start = absl::Now();
    int64_t done_tx = cursor;     // every transaction up to this one accepted
    int64_t current_tx = -1;      // the transaction of the last row taken
    int64_t batch_first_tx = -1;  // the transaction of the batch's first row
    bool more = true;
    auto send = [&]() -> bool {
      if (batch.empty()) return true;
      const absl::Time s0 = absl::Now();
      sink_error = sink_->Export(batch);
      send_time += absl::Now() - s0;
      if (!sink_error.ok()) {
        // Everything before the batch's first row went: its transaction and the later ones
        // go again next time.
        done_tx = std::max(done_tx, batch_first_tx - 1);
        return false;
      }
      accepted += static_cast<int64_t>(batch.size());
      operations_ += static_cast<int64_t>(batch.size());
      ++batches_;
      batch.clear();
      return true;
    };
    while (more && sink_error.ok()) {
      const absl::Time f0 = absl::Now();
      const TextRows rows = ExecuteText(sql, absl::StrCat("FETCH ", options_.batch_size, " FROM ", kCursorName));
      fetch_time += absl::Now() - f0;
      if (rows.empty()) break;
      for (const auto& row : rows) {
        const int64_t row_tx = ToInt(row[0]);
        if (row_tx != current_tx && current_tx >= 0) {
          // A transaction boundary: everything before this row is taken.
          bool stopping;
          {
            std::lock_guard<std::mutex> lock(mu_);
            stopping = stop_;
          }
          if (stopping || accepted + static_cast<int64_t>(batch.size()) >= options_.round_operations) {
            if (send()) done_tx = current_tx;
            more = false;
            break;
          }
        }
        if (batch.empty()) batch_first_tx = row_tx;
        if (ToInt(row[1]) == 0) {
          LogbookOperation op = EntryFromRow(row, 3);
          entries[ToInt(row[2])] = op;  // its subject rows may follow
          batch.push_back(std::move(op));
        } else {
          batch.push_back(SubjectOperation(entry_of(ToInt(row[2])), Text(row[12]), Text(row[19])));
        }
        current_tx = row_tx;
        if (static_cast<int>(batch.size()) >= options_.batch_size && !send()) break;
      }
    }
    if (more && sink_error.ok() && send()) done_tx = horizon - 1;  // everything final is accepted
    if (done_tx > cursor) {
      ExecutePrepared(sql,
                      "UPDATE " + S +
                          ".processing_log_export SET exported_tx = CAST($1 AS bigint), exported_entries ="
                          " exported_entries + CAST($2 AS bigint), logbook = $3, update_time = now()",
                      {absl::StrCat(done_tx), absl::StrCat(accepted), options_.logbook});
    }
    tx.Commit();
    if (accepted > 0) {
      log::Debug("logbook_export_round", {{"operations", accepted},
                                          {"total_ms", absl::ToInt64Milliseconds(absl::Now() - round_start)},
                                          {"fetch_ms", absl::ToInt64Milliseconds(fetch_time)},
                                          {"send_ms", absl::ToInt64Milliseconds(send_time)}});
    }
  } catch (const std::exception& e) {
    return SociErrorToStatus(e, sql);
  }
  if (!sink_error.ok()) return sink_error;
  return accepted;
}

absl::Status LogbookExporter::RefreshStats() {
  auto lease = pool_->Acquire();
  if (!lease.ok()) return lease.status();
  const std::string& S = options_.schema;
  try {
    // Pending means final and not yet accepted: what the exporter could send now. Caught up (the
    // common case), nothing is counted, so a long business transaction is never scanned.
    const int64_t horizon = ToInt(ExecuteText(lease->sql(), "SELECT " + S + ".export_horizon()").at(0).at(0));
    const TextRows cursor = ExecuteText(lease->sql(), "SELECT exported_tx FROM " + S + ".processing_log_export");
    if (cursor.empty() || horizon - 1 <= ToInt(cursor[0][0])) {
      pending_ = 0;
      lag_seconds_ = 0;
      return absl::OkStatus();
    }
    const std::string range = absl::StrCat("tx > ", ToInt(cursor[0][0]), " AND tx < ", horizon);
    const TextRows r = ExecuteText(
        lease->sql(), absl::StrCat("SELECT (SELECT count(*) FROM ", S, ".processing_log WHERE ", range,
                                   ") + (SELECT count(*) FROM ", S, ".processing_log_all_subjects WHERE ", range,
                                   "), coalesce(extract(epoch FROM now() - least((SELECT min(end_time) FROM ", S,
                                   ".processing_log WHERE ", range, "), (SELECT p.end_time FROM ", S,
                                   ".processing_log p WHERE p.id = (SELECT min(entry_id) FROM ", S,
                                   ".processing_log_all_subjects WHERE ", range, ")))), 0)"));
    if (!r.empty()) {
      pending_ = ToInt(r[0][0]);
      lag_seconds_ = std::max(0.0, std::stod(Text(r[0][1]).empty() ? "0" : Text(r[0][1])));
    }
    return absl::OkStatus();
  } catch (const std::exception& e) {
    return SociErrorToStatus(e, lease->sql());
  }
}

LogbookExportStats LogbookExporter::stats() const {
  LogbookExportStats s;
  s.pending = pending_.load();
  s.lag_seconds = lag_seconds_.load();
  s.batches = batches_.load();
  s.failures = failures_.load();
  s.operations = operations_.load();
  return s;
}

void LogbookExporter::Run() {
  // Below the business calls: on a busy machine the export waits, the calls do not.
  setpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid)), 10);
  int failures_in_row = 0;
  bool cursor_ready = false;
  absl::Time next_stats = absl::InfinitePast();
  while (true) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stop_) return;
    }
    absl::Status st = cursor_ready ? absl::OkStatus() : EnsureCursor();
    int64_t exported = 0;
    if (st.ok()) {
      cursor_ready = true;
      auto round = ExportRound();
      st = round.status();
      if (round.ok()) exported = *round;
    }
    absl::Duration wait = options_.poll_interval;
    if (!st.ok()) {
      ++failures_;
      ++failures_in_row;
      wait = RetryBackoff(options_.min_backoff, options_.max_backoff, failures_in_row, JitterUnit());
      log::Warning(
          "logbook_export_failed",
          {{"error", st}, {"failures_in_row", failures_in_row}, {"retry_in_ms", absl::ToInt64Milliseconds(wait)}});
    } else {
      if (failures_in_row > 0) log::Info("logbook_export_recovered", {{"after_failures", failures_in_row}});
      failures_in_row = 0;
      if (exported > 0) wait = absl::ZeroDuration();  // more may be due
    }
    if (absl::Now() >= next_stats) {
      if (RefreshStats().ok()) next_stats = absl::Now() + options_.stats_interval;
    }
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, absl::ToChronoNanoseconds(wait), [this] { return stop_; });
  }
}

}  // namespace cak::common::db
