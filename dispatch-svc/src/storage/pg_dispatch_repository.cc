// PostgreSQL dispatch repository (see pg_dispatch_repository.h).
#include "dispatch-svc/src/storage/pg_dispatch_repository.h"

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "common/base/copy_text.h"
#include "common/base/errors.h"
#include "common/base/random.h"
#include "common/db/copy.h"
#include "common/db/idempotency.h"
#include "common/db/json_rows.h"
#include "common/db/prepared.h"
#include "common/db/removal_feed_position.h"
#include "common/db/sql_array.h"
#include "common/db/sql_values.h"
#include "dispatch-svc/src/domain/reasons.h"

namespace cak::dispatch::storage {

namespace {

using common::MakeError;
using common::db::ExecutePrepared;
using common::db::IsoDay;
using common::db::MicrosText;
using common::db::ParseIsoDay;
using common::db::TextAt;
using common::db::TextRows;
using common::db::TimeFromMicros;
using common::db::ToInt;
using common::db::Tx;
namespace reason = domain::reason;

using Row = std::vector<std::optional<std::string>>;

absl::Status NotFound(const char* reason, absl::string_view what) {
  return MakeError(absl::StatusCode::kNotFound, reason, absl::StrCat(what, " not found"));
}

std::vector<absl::CivilDay> ParseDays(const std::string& joined) {
  std::vector<absl::CivilDay> out;
  if (joined.empty()) return out;
  for (absl::string_view d : absl::StrSplit(joined, ',')) out.push_back(ParseIsoDay(d));
  return out;
}

std::string DayArray(const std::vector<absl::CivilDay>& days) {
  std::vector<std::string> s;
  for (absl::CivilDay d : days) s.push_back(IsoDay(d));
  return common::db::TextArrayLiteral(s);
}

constexpr char kExecutorColumns[] =
    "id, display_name, channel, identity, location_country, items_per_day, working_days, lead_time_days,"
    " array_to_string(blackout_dates, ','), delivery_method, ${s}.to_micros(create_time), created_by";

domain::Executor ExecutorFromRow(const Row& r) {
  domain::Executor e;
  e.id = TextAt(r, 0);
  e.display_name = TextAt(r, 1);
  e.channel = static_cast<domain::Channel>(ToInt(r[2]));
  e.identity = TextAt(r, 3);
  e.location_country = TextAt(r, 4);
  e.calendar.items_per_day = ToInt(r[5]);
  e.calendar.working_days = static_cast<uint8_t>(ToInt(r[6]));
  e.calendar.lead_time_days = static_cast<int>(ToInt(r[7]));
  e.calendar.blackout_dates = ParseDays(TextAt(r, 8));
  e.delivery_method = static_cast<domain::DeliveryMethod>(ToInt(r[9]));
  e.create_time = TimeFromMicros(TextAt(r, 10));
  e.created_by = TextAt(r, 11);
  return e;
}

constexpr char kCheckColumns[] =
    "id, executor_id, channel, volume, window_start, window_end, campaign, feasible, earliest_start,"
    " array_to_string(spread_days, ','), array_to_string(spread_counts, ','), array_to_json(reasons)::text, state,"
    " requested_by, decided_by, decision_comment, ${s}.to_micros(create_time), ${s}.to_micros(decide_time),"
    " guidelines";

domain::FeasibilityCheck CheckFromRow(const Row& r) {
  domain::FeasibilityCheck c;
  c.id = TextAt(r, 0);
  c.executor_id = TextAt(r, 1);
  c.channel = static_cast<domain::Channel>(ToInt(r[2]));
  c.volume = ToInt(r[3]);
  c.window_start = ParseIsoDay(TextAt(r, 4));
  c.window_end = ParseIsoDay(TextAt(r, 5));
  c.campaign = TextAt(r, 6);
  c.feasible = TextAt(r, 7) == "t";
  if (r[8]) c.earliest_start = ParseIsoDay(*r[8]);
  const std::vector<absl::CivilDay> days = ParseDays(TextAt(r, 9));
  std::vector<std::string> counts;
  if (!TextAt(r, 10).empty()) counts = absl::StrSplit(TextAt(r, 10), ',');
  for (size_t i = 0; i < days.size() && i < counts.size(); ++i) {
    c.spread.push_back(domain::DayCount{days[i], ToInt(absl::string_view(counts[i]))});
  }
  c.reasons = nlohmann::json::parse(TextAt(r, 11)).get<std::vector<std::string>>();
  c.state = static_cast<domain::FeasibilityState>(ToInt(r[12]));
  c.requested_by = TextAt(r, 13);
  c.decided_by = TextAt(r, 14);
  c.decision_comment = TextAt(r, 15);
  c.create_time = TimeFromMicros(TextAt(r, 16));
  if (r[17]) c.decide_time = TimeFromMicros(*r[17]);
  c.guidelines = TextAt(r, 18);
  return c;
}

constexpr char kOrderColumns[] =
    "id, campaign, target_group, recipient_list, channel, executor_id, template_reference, template_text,"
    " guidelines, window_start, window_end, order_values::text, contact_moment_code,"
    " coalesce(feasibility_check::text, ''), state, recipient_count, batch_count, batches_written,"
    " batches_acknowledged, created_by, ${s}.to_micros(create_time), traceparent";

domain::Order OrderFromRow(const Row& r) {
  domain::Order o;
  o.id = TextAt(r, 0);
  o.campaign = TextAt(r, 1);
  o.target_group = TextAt(r, 2);
  o.recipient_list = TextAt(r, 3);
  o.channel = static_cast<domain::Channel>(ToInt(r[4]));
  o.executor_id = TextAt(r, 5);
  o.template_reference = TextAt(r, 6);
  o.template_text = TextAt(r, 7);
  o.guidelines = TextAt(r, 8);
  o.window_start = ParseIsoDay(TextAt(r, 9));
  o.window_end = ParseIsoDay(TextAt(r, 10));
  o.values = nlohmann::json::parse(TextAt(r, 11)).get<std::map<std::string, std::string>>();
  o.contact_moment_code = TextAt(r, 12);
  o.feasibility_check = TextAt(r, 13);
  o.state = static_cast<domain::OrderState>(ToInt(r[14]));
  o.recipient_count = ToInt(r[15]);
  o.batch_count = static_cast<int32_t>(ToInt(r[16]));
  o.batches_written = static_cast<int32_t>(ToInt(r[17]));
  o.batches_acknowledged = static_cast<int32_t>(ToInt(r[18]));
  o.created_by = TextAt(r, 19);
  o.create_time = TimeFromMicros(TextAt(r, 20));
  o.traceparent = TextAt(r, 21);
  return o;
}

constexpr char kBatchColumns[] =
    "order_id, batch_no, executor_id, channel, planned_date, first_position, last_position, state,"
    " coalesce(item_count, 0), coalesce(sha256, ''), coalesce(data_file, ''), coalesce(manifest_file, ''),"
    " ${s}.to_micros(write_time), ${s}.to_micros(acknowledge_time), coalesce(acknowledged_by, ''), withheld_count,"
    " failed_attempts, ${s}.to_micros(next_attempt_time), last_failure, bytes_per_item";

domain::Batch BatchFromRow(const Row& r) {
  domain::Batch b;
  b.order_id = TextAt(r, 0);
  b.batch_no = static_cast<int32_t>(ToInt(r[1]));
  b.executor_id = TextAt(r, 2);
  b.channel = static_cast<domain::Channel>(ToInt(r[3]));
  b.planned_date = ParseIsoDay(TextAt(r, 4));
  b.first_position = ToInt(r[5]);
  b.last_position = ToInt(r[6]);
  b.state = static_cast<domain::BatchState>(ToInt(r[7]));
  b.item_count = ToInt(r[8]);
  b.sha256 = TextAt(r, 9);
  b.data_file = TextAt(r, 10);
  b.manifest_file = TextAt(r, 11);
  if (r[12]) b.write_time = TimeFromMicros(*r[12]);
  if (r[13]) b.acknowledge_time = TimeFromMicros(*r[13]);
  b.acknowledged_by = TextAt(r, 14);
  b.withheld_count = ToInt(r[15]);
  b.failed_attempts = static_cast<int32_t>(ToInt(r[16]));
  if (r[17]) b.next_attempt_time = TimeFromMicros(*r[17]);
  b.last_failure = TextAt(r, 18);
  b.bytes_per_item = ToInt(r[19]);
  return b;
}

// Items already planned per day for an executor in [from, to], orders not purged: the capacity
// a new plan must leave alone.
std::map<absl::CivilDay, int64_t> Booked(soci::session& sql, const std::string& schema, const std::string& executor_id,
                                         absl::CivilDay from, absl::CivilDay to) {
  std::map<absl::CivilDay, int64_t> out;
  for (const Row& r :
       ExecutePrepared(sql,
                       absl::StrReplaceAll(
                           "SELECT b.planned_date, sum(b.last_position - b.first_position + 1) FROM ${s}.batches b"
                           " JOIN ${s}.orders o ON o.id = b.order_id AND o.state <> 4"
                           " WHERE b.executor_id = $1 AND b.planned_date BETWEEN CAST($2 AS date) AND CAST($3 AS date)"
                           " GROUP BY b.planned_date",
                           {{"${s}", schema}}),
                       {executor_id, IsoDay(from), IsoDay(to)})) {
    out[ParseIsoDay(TextAt(r, 0))] = ToInt(r[1]);
  }
  return out;
}

// Items: the COPY columns, in this order, both ways.
constexpr char kItemColumns[] =
    "position, routing, salutation, customer_number, customer_name, addressee_name, street, house_number,"
    " house_number_suffix, postcode, city, phone";
// As written: the columns above and whose item it is.
constexpr char kItemWriteColumns[] =
    "position, routing, salutation, customer_number, customer_name, addressee_name, street, house_number,"
    " house_number_suffix, postcode, city, phone, data_subject_id";

void AppendItemLine(const std::string& order_id, int32_t batch_no, const domain::Item& it, std::string* out) {
  absl::StrAppend(out, order_id, "\t", batch_no, "\t", it.position, "\t", static_cast<int>(it.routing), "\t",
                  static_cast<int>(it.salutation), "\t");
  for (const std::string* s : {&it.customer_number, &it.customer_name, &it.addressee_name, &it.street}) {
    common::AppendCopyTextOrNull(out, *s);
    out->push_back('\t');
  }
  if (it.house_number > 0) {
    absl::StrAppend(out, it.house_number);
  } else {
    out->append("\\N");
  }
  for (const std::string* s : {&it.house_number_suffix, &it.postcode, &it.city, &it.phone, &it.data_subject_id}) {
    out->push_back('\t');
    common::AppendCopyTextOrNull(out, *s);
  }
  out->push_back('\n');
}

// Writes one claimed batch in the claim's transaction.
class PgBatchWriter final : public domain::BatchWriter {
 public:
  PgBatchWriter(Tx& tx, const std::string& schema, const common::db::ProcessingLogStore* log,
                const domain::Batch& batch, const std::string& replica)
      : tx_(tx), schema_(schema), log_(log), batch_(batch), replica_(replica) {}

  absl::Status AddItems(const std::vector<domain::Item>& items) override {
    try {
      if (!copy_) {
        copy_ = std::make_unique<common::db::PipelinedCopyIn>(
            tx_.sql(),
            absl::StrCat("COPY ", schema_, ".items (order_id, batch_no, ", kItemWriteColumns, ") FROM STDIN"));
      }
      std::string lines;
      lines.reserve(items.size() * 160);
      for (const domain::Item& it : items) AppendItemLine(batch_.order_id, batch_.batch_no, it, &lines);
      copy_->Write(std::move(lines));
      sent_ += static_cast<int64_t>(items.size());
      return absl::OkStatus();
    } catch (const std::exception& e) {
      return common::db::SociErrorToStatus(e, tx_.sql());
    }
  }

  absl::Status Finish(const domain::BatchResult& result, const common::CallContext& call,
                      const common::ProcessingRecord& record, const std::vector<std::string>& subject_ids,
                      const std::vector<std::string>& addressees) override {
    try {
      const int64_t loaded = copy_ ? copy_->End() : 0;
      copy_.reset();
      if (loaded != result.item_count || sent_ != result.item_count) {
        return MakeError(absl::StatusCode::kInternal, common::reason::kDatabaseError,
                         "the stored items do not match the batch");
      }
      const int64_t entry = log_->AppendOperation(tx_, call, record);
      log_->AppendSubjectRows(tx_, entry, subject_ids, addressees);
      const std::string s = schema_;
      ExecutePrepared(tx_.sql(),
                      "UPDATE " + s +
                          ".batches SET state = 2, item_count = CAST($3 AS bigint), sha256 = $4,"
                          " data_file = NULLIF($5, ''), manifest_file = NULLIF($6, ''),"
                          " write_time = " +
                          s +
                          ".from_micros(CAST($7 AS bigint)), generated_by = $8, withheld_count = CAST($9 AS bigint)"
                          " WHERE order_id = CAST($1 AS uuid) AND batch_no = CAST($2 AS integer) AND state = 1",
                      {batch_.order_id, absl::StrCat(batch_.batch_no), absl::StrCat(result.item_count), result.sha256,
                       result.data_file, result.manifest_file, MicrosText(result.write_time), replica_,
                       absl::StrCat(result.withheld_count)});
      ExecutePrepared(tx_.sql(),
                      "UPDATE " + s +
                          ".orders SET batches_written = batches_written + 1,"
                          " state = CASE WHEN batches_written + 1 = batch_count THEN 2 ELSE state END"
                          " WHERE id = CAST($1 AS uuid)",
                      {batch_.order_id});
      return absl::OkStatus();
    } catch (const std::exception& e) {
      return common::db::SociErrorToStatus(e, tx_.sql());
    }
  }

 private:
  Tx& tx_;
  const std::string& schema_;
  const common::db::ProcessingLogStore* log_;
  const domain::Batch& batch_;
  const std::string& replica_;
  std::unique_ptr<common::db::PipelinedCopyIn> copy_;
  int64_t sent_ = 0;
};

}  // namespace

PgDispatchRepository::PgDispatchRepository(common::db::PgPool* pool, std::string schema,
                                           const common::db::ProcessingLogStore* log, std::string replica)
    : pool_(pool), schema_(std::move(schema)), log_(log), replica_(std::move(replica)) {}

std::string PgDispatchRepository::Q(absl::string_view sql) const {
  return absl::StrReplaceAll(sql, {{"${s}", schema_}});
}

// ---------------------------------------------------------------------------------------------
// Executors

absl::StatusOr<domain::Executor> PgDispatchRepository::CreateExecutor(const domain::Executor& e,
                                                                      const common::IdempotencyKey* key, absl::Time now,
                                                                      bool* replayed, absl::Time deadline) {
  std::optional<std::string> existing;
  domain::Executor out;
  CAK_RETURN_IF_ERROR(common::db::InTransaction(
      *pool_,
      [&](Tx& tx) -> absl::Status {
        if (key) {
          CAK_ASSIGN_OR_RETURN(existing, common::db::ClaimRequestId(tx, schema_, *key, e.id, now));
          if (existing) return absl::OkStatus();
        }
        const TextRows taken =
            ExecutePrepared(tx.sql(),
                            Q("SELECT CASE WHEN id = $1 THEN 'executor_id' WHEN identity = $2 THEN 'executor.identity'"
                              " ELSE 'executor.channel' END FROM ${s}.executors"
                              " WHERE id = $1 OR identity = $2 OR channel = CAST($3 AS smallint) LIMIT 1"),
                            {e.id, e.identity, absl::StrCat(static_cast<int>(e.channel))});
        if (!taken.empty()) {
          return common::FieldError(absl::StatusCode::kAlreadyExists, reason::kExecutorExists, TextAt(taken[0], 0),
                                    "an executor with this id, identity or channel is already registered");
        }
        ExecutePrepared(
            tx.sql(),
            Q("INSERT INTO ${s}.executors (id, display_name, channel, identity, location_country,"
              " items_per_day, working_days, lead_time_days, blackout_dates, delivery_method,"
              " create_time, created_by) VALUES ($1, $2, CAST($3 AS smallint), $4, $5,"
              " CAST($6 AS bigint), CAST($7 AS smallint), CAST($8 AS integer), CAST($9 AS date[]),"
              " CAST($10 AS smallint), ${s}.from_micros(CAST($11 AS bigint)), $12)"),
            {e.id, e.display_name, absl::StrCat(static_cast<int>(e.channel)), e.identity, e.location_country,
             absl::StrCat(e.calendar.items_per_day), absl::StrCat(e.calendar.working_days),
             absl::StrCat(e.calendar.lead_time_days), DayArray(e.calendar.blackout_dates),
             absl::StrCat(static_cast<int>(e.delivery_method)), MicrosText(e.create_time), e.created_by});
        return absl::OkStatus();
      },
      deadline));
  if (existing) {
    *replayed = true;
    return GetExecutor(*existing, deadline);
  }
  *replayed = false;
  return e;
}

absl::StatusOr<domain::Executor> PgDispatchRepository::GetExecutor(const std::string& id, absl::Time deadline) {
  std::optional<domain::Executor> out;
  CAK_RETURN_IF_ERROR(common::db::WithSession(
      *pool_,
      [&](soci::session& sql) {
        const TextRows rows = ExecutePrepared(
            sql, Q(absl::StrCat("SELECT ", kExecutorColumns, " FROM ${s}.executors WHERE id = $1")), {id});
        if (!rows.empty()) out = ExecutorFromRow(rows[0]);
        return absl::OkStatus();
      },
      deadline));
  if (!out) return NotFound(reason::kExecutorNotFound, "executor");
  return *std::move(out);
}

absl::StatusOr<domain::Executor> PgDispatchRepository::UpdateExecutor(
    const std::string& id, const std::function<absl::Status(domain::Executor&)>& change, absl::Time deadline) {
  std::optional<domain::Executor> out;
  CAK_RETURN_IF_ERROR(common::db::InTransaction(
      *pool_,
      [&](Tx& tx) -> absl::Status {
        const TextRows rows = ExecutePrepared(
            tx.sql(), Q(absl::StrCat("SELECT ", kExecutorColumns, " FROM ${s}.executors WHERE id = $1 FOR UPDATE")),
            {id});
        if (rows.empty()) return NotFound(reason::kExecutorNotFound, "executor");
        domain::Executor e = ExecutorFromRow(rows[0]);
        CAK_RETURN_IF_ERROR(change(e));
        ExecutePrepared(tx.sql(),
                        Q("UPDATE ${s}.executors SET display_name = $2, location_country = $3,"
                          " items_per_day = CAST($4 AS bigint), working_days = CAST($5 AS smallint),"
                          " lead_time_days = CAST($6 AS integer), blackout_dates = CAST($7 AS date[]),"
                          " delivery_method = CAST($8 AS smallint) WHERE id = $1"),
                        {id, e.display_name, e.location_country, absl::StrCat(e.calendar.items_per_day),
                         absl::StrCat(e.calendar.working_days), absl::StrCat(e.calendar.lead_time_days),
                         DayArray(e.calendar.blackout_dates), absl::StrCat(static_cast<int>(e.delivery_method))});
        out = std::move(e);
        return absl::OkStatus();
      },
      deadline));
  return *std::move(out);
}

absl::StatusOr<std::optional<domain::Executor>> PgDispatchRepository::ExecutorForChannel(domain::Channel channel,
                                                                                         absl::Time deadline) {
  std::optional<domain::Executor> out;
  CAK_RETURN_IF_ERROR(common::db::WithSession(
      *pool_,
      [&](soci::session& sql) {
        const TextRows rows = ExecutePrepared(
            sql,
            Q(absl::StrCat("SELECT ", kExecutorColumns, " FROM ${s}.executors WHERE channel = CAST($1 AS smallint)")),
            {absl::StrCat(static_cast<int>(channel))});
        if (!rows.empty()) out = ExecutorFromRow(rows[0]);
        return absl::OkStatus();
      },
      deadline));
  return out;
}

absl::StatusOr<std::optional<domain::Executor>> PgDispatchRepository::ExecutorByIdentity(const std::string& identity,
                                                                                         absl::Time deadline) {
  std::optional<domain::Executor> out;
  CAK_RETURN_IF_ERROR(common::db::WithSession(
      *pool_,
      [&](soci::session& sql) {
        const TextRows rows = ExecutePrepared(
            sql, Q(absl::StrCat("SELECT ", kExecutorColumns, " FROM ${s}.executors WHERE identity = $1")), {identity});
        if (!rows.empty()) out = ExecutorFromRow(rows[0]);
        return absl::OkStatus();
      },
      deadline));
  return out;
}

absl::StatusOr<std::vector<domain::Executor>> PgDispatchRepository::ListExecutors(const std::string& after_id,
                                                                                  int limit, absl::Time deadline) {
  std::vector<domain::Executor> out;
  CAK_RETURN_IF_ERROR(common::db::WithSession(
      *pool_,
      [&](soci::session& sql) {
        for (const Row& r : ExecutePrepared(
                 sql,
                 Q(absl::StrCat("SELECT ", kExecutorColumns,
                                " FROM ${s}.executors WHERE id > $1 ORDER BY id LIMIT CAST($2 AS integer)")),
                 {after_id, absl::StrCat(limit)})) {
          out.push_back(ExecutorFromRow(r));
        }
        return absl::OkStatus();
      },
      deadline));
  return out;
}

absl::StatusOr<std::map<absl::CivilDay, int64_t>> PgDispatchRepository::BookedCapacity(const std::string& executor_id,
                                                                                       absl::CivilDay from,
                                                                                       absl::CivilDay to,
                                                                                       absl::Time deadline) {
  std::map<absl::CivilDay, int64_t> out;
  CAK_RETURN_IF_ERROR(common::db::WithSession(
      *pool_,
      [&](soci::session& sql) {
        out = Booked(sql, schema_, executor_id, from, to);
        return absl::OkStatus();
      },
      deadline));
  return out;
}

// ---------------------------------------------------------------------------------------------
// Feasibility

absl::StatusOr<domain::FeasibilityCheck> PgDispatchRepository::CreateFeasibilityCheck(const domain::FeasibilityCheck& c,
                                                                                      const common::IdempotencyKey* key,
                                                                                      bool* replayed,
                                                                                      absl::Time deadline) {
  std::optional<std::string> existing;
  CAK_RETURN_IF_ERROR(common::db::InTransaction(
      *pool_,
      [&](Tx& tx) -> absl::Status {
        if (key) {
          CAK_ASSIGN_OR_RETURN(existing, common::db::ClaimRequestId(tx, schema_, *key, c.id, c.create_time));
          if (existing) return absl::OkStatus();
        }
        std::vector<absl::CivilDay> days;
        std::vector<int64_t> counts;
        for (const domain::DayCount& d : c.spread) {
          days.push_back(d.day);
          counts.push_back(d.count);
        }
        ExecutePrepared(
            tx.sql(),
            Q("INSERT INTO ${s}.feasibility_checks (id, executor_id, channel, volume, window_start, window_end,"
              " campaign, feasible, earliest_start, spread_days, spread_counts, reasons, state, requested_by,"
              " create_time, guidelines) VALUES (CAST($1 AS uuid), $2, CAST($3 AS smallint), CAST($4 AS bigint),"
              " CAST($5 AS date), CAST($6 AS date), $7, CAST($8 AS boolean), CAST($9 AS date), CAST($10 AS date[]),"
              " CAST($11 AS bigint[]), CAST($12 AS text[]), 1, $13, ${s}.from_micros(CAST($14 AS bigint)), $15)"),
            {c.id, c.executor_id, absl::StrCat(static_cast<int>(c.channel)), absl::StrCat(c.volume),
             IsoDay(c.window_start), IsoDay(c.window_end), c.campaign, c.feasible ? "true" : "false",
             c.earliest_start ? std::optional<std::string>(IsoDay(*c.earliest_start)) : std::nullopt, DayArray(days),
             common::db::IntArrayLiteral(counts), common::db::TextArrayLiteral(c.reasons), c.requested_by,
             MicrosText(c.create_time), c.guidelines});
        return absl::OkStatus();
      },
      deadline));
  *replayed = existing.has_value();
  return GetFeasibilityCheck(existing ? *existing : c.id, deadline);
}

absl::StatusOr<domain::FeasibilityCheck> PgDispatchRepository::GetFeasibilityCheck(const std::string& id,
                                                                                   absl::Time deadline) {
  if (!common::IsUuid(id)) return NotFound(reason::kFeasibilityNotFound, "feasibility check");
  std::optional<domain::FeasibilityCheck> out;
  CAK_RETURN_IF_ERROR(common::db::WithSession(
      *pool_,
      [&](soci::session& sql) {
        const TextRows rows = ExecutePrepared(
            sql, Q(absl::StrCat("SELECT ", kCheckColumns, " FROM ${s}.feasibility_checks WHERE id = CAST($1 AS uuid)")),
            {id});
        if (!rows.empty()) out = CheckFromRow(rows[0]);
        return absl::OkStatus();
      },
      deadline));
  if (!out) return NotFound(reason::kFeasibilityNotFound, "feasibility check");
  return *std::move(out);
}

namespace {

// The keyset parameters of an inbox list (DispatchRepository::InboxKey): whether there is a
// position to continue after, and its rank, create_time and id (placeholders on the first page).
std::vector<std::optional<std::string>> InboxAfter(const std::optional<domain::DispatchRepository::InboxKey>& after) {
  if (!after) return {"false", "false", "0", "00000000-0000-0000-0000-000000000000"};
  return {"true", after->rank > 0 ? "true" : "false", MicrosText(after->create_time), after->id};
}

// The parameters of InboxQuery: the executor, the state (nullopt: any), the page's position and
// its size.
std::vector<std::optional<std::string>> InboxParams(const std::string& executor_id, std::optional<int> state,
                                                    const std::optional<domain::DispatchRepository::InboxKey>& after,
                                                    int limit) {
  std::vector<std::optional<std::string>> params{executor_id, state ? absl::StrCat(*state) : std::string()};
  for (auto& p : InboxAfter(after)) params.push_back(std::move(p));
  params.push_back(absl::StrCat(limit));
  return params;
}

// The WHERE part and order of an inbox list over a table whose open rows have `closed` false:
// parameters $1 executor, $2 state ('' for any), $3..$6 as InboxAfter, $7 the limit.
std::string InboxQuery(absl::string_view columns, absl::string_view table, absl::string_view closed) {
  return absl::StrCat("SELECT ", columns, " FROM ${s}.", table,
                      " WHERE executor_id = $1 AND ($2 = '' OR state = CAST(NULLIF($2, '') AS smallint))"
                      " AND (NOT CAST($3 AS boolean) OR (",
                      closed, ") > CAST($4 AS boolean) OR ((", closed,
                      ") = CAST($4 AS boolean) AND (create_time, id) < (${s}.from_micros(CAST($5 AS bigint)),"
                      " CAST($6 AS uuid))))"
                      " ORDER BY (",
                      closed, "), create_time DESC, id DESC LIMIT CAST($7 AS integer)");
}

}  // namespace

absl::StatusOr<std::vector<domain::FeasibilityCheck>> PgDispatchRepository::ListExecutorChecks(
    const std::string& executor_id, std::optional<domain::FeasibilityState> state, const std::optional<InboxKey>& after,
    int limit, absl::Time deadline) {
  std::vector<domain::FeasibilityCheck> out;
  CAK_RETURN_IF_ERROR(common::db::WithSession(
      *pool_,
      [&](soci::session& sql) {
        const auto params =
            InboxParams(executor_id, state ? std::optional<int>(static_cast<int>(*state)) : std::nullopt, after, limit);
        for (const Row& r :
             ExecutePrepared(sql, Q(InboxQuery(kCheckColumns, "feasibility_checks", "state <> 1")), params)) {
          out.push_back(CheckFromRow(r));
        }
        return absl::OkStatus();
      },
      deadline));
  return out;
}

absl::StatusOr<domain::FeasibilityCheck> PgDispatchRepository::DecideFeasibility(
    const std::string& id, const std::string& executor_id, domain::FeasibilityState state,
    const std::string& decided_by, const std::string& comment, absl::Time now, absl::Time deadline) {
  if (!common::IsUuid(id)) return NotFound(reason::kFeasibilityNotFound, "feasibility check");
  std::optional<domain::FeasibilityCheck> out;
  CAK_RETURN_IF_ERROR(common::db::InTransaction(
      *pool_,
      [&](Tx& tx) -> absl::Status {
        const TextRows current = ExecutePrepared(
            tx.sql(),
            Q("SELECT state FROM ${s}.feasibility_checks WHERE id = CAST($1 AS uuid) AND executor_id = $2 FOR UPDATE"),
            {id, executor_id});
        if (current.empty()) return NotFound(reason::kFeasibilityNotFound, "feasibility check");
        if (ToInt(current[0][0]) != static_cast<int>(domain::FeasibilityState::kAwaitingSignOff)) {
          return MakeError(absl::StatusCode::kFailedPrecondition, reason::kAlreadyDecided,
                           "the executor has already signed this feasibility check off");
        }
        const TextRows rows = ExecutePrepared(
            tx.sql(),
            Q(absl::StrCat("UPDATE ${s}.feasibility_checks SET state = CAST($2 AS smallint), decided_by = $3,"
                           " decision_comment = $4, decide_time = ${s}.from_micros(CAST($5 AS bigint))"
                           " WHERE id = CAST($1 AS uuid) RETURNING ",
                           kCheckColumns)),
            {id, absl::StrCat(static_cast<int>(state)), decided_by, comment, MicrosText(now)});
        out = CheckFromRow(rows.at(0));
        return absl::OkStatus();
      },
      deadline));
  return *std::move(out);
}

// ---------------------------------------------------------------------------------------------
// Orders and batches

absl::StatusOr<domain::Order> PgDispatchRepository::CreateOrder(const domain::Order& o,
                                                                const common::IdempotencyKey* key, const PlanFn& plan,
                                                                bool* replayed, absl::Time deadline,
                                                                const common::CallContext& call,
                                                                const common::ProcessingRecord& record) {
  std::optional<std::string> existing;
  CAK_RETURN_IF_ERROR(common::db::InTransaction(
      *pool_,
      [&](Tx& tx) -> absl::Status {
        if (key) {
          CAK_ASSIGN_OR_RETURN(existing, common::db::ClaimRequestId(tx, schema_, *key, o.id, o.create_time));
          if (existing) return absl::OkStatus();
        }
        // The executor's row lock: orders for one executor plan one after the other, each
        // seeing the capacity the previous one booked.
        ExecutePrepared(tx.sql(), Q("SELECT 1 FROM ${s}.executors WHERE id = $1 FOR UPDATE"), {o.executor_id});
        CAK_ASSIGN_OR_RETURN(std::vector<domain::PlannedBatch> batches,
                             plan(Booked(tx.sql(), schema_, o.executor_id, o.window_start, o.window_end)));
        ExecutePrepared(
            tx.sql(),
            Q("INSERT INTO ${s}.orders (id, campaign, target_group, recipient_list, channel, executor_id,"
              " template_reference, template_text, guidelines, window_start, window_end, order_values,"
              " contact_moment_code, feasibility_check, state, recipient_count, batch_count, created_by, create_time,"
              " traceparent) VALUES (CAST($1 AS uuid), $2, $3, CAST($4 AS uuid), CAST($5 AS smallint), $6, $7, $8, $9,"
              " CAST($10 AS date), CAST($11 AS date), CAST($12 AS jsonb), $13, CAST(NULLIF($14, '') AS uuid), 1,"
              " CAST($15 AS bigint), CAST($16 AS integer), $17, ${s}.from_micros(CAST($18 AS bigint)), $19)"),
            {o.id, o.campaign, o.target_group, o.recipient_list, absl::StrCat(static_cast<int>(o.channel)),
             o.executor_id, o.template_reference, o.template_text, o.guidelines, IsoDay(o.window_start),
             IsoDay(o.window_end), nlohmann::json(o.values).dump(), o.contact_moment_code, o.feasibility_check,
             absl::StrCat(o.recipient_count), absl::StrCat(batches.size()), o.created_by, MicrosText(o.create_time),
             o.traceparent});
        std::vector<int64_t> firsts, lasts;
        std::vector<absl::CivilDay> days;
        for (const domain::PlannedBatch& b : batches) {
          firsts.push_back(b.first_position);
          lasts.push_back(b.last_position);
          days.push_back(b.day);
        }
        ExecutePrepared(tx.sql(),
                        Q("INSERT INTO ${s}.batches (order_id, batch_no, executor_id, channel, planned_date,"
                          " first_position, last_position, state)"
                          " SELECT CAST($1 AS uuid), n, $2, CAST($3 AS smallint), d, f, l, 1"
                          " FROM unnest(CAST($4 AS date[]), CAST($5 AS bigint[]), CAST($6 AS bigint[]))"
                          " WITH ORDINALITY AS p(d, f, l, n)"),
                        {o.id, o.executor_id, absl::StrCat(static_cast<int>(o.channel)), DayArray(days),
                         common::db::IntArrayLiteral(firsts), common::db::IntArrayLiteral(lasts)});
        common::ProcessingRecord logged = record;
        logged.attributes["batches"] = absl::StrCat(batches.size());
        log_->Append(tx, call, logged);
        return absl::OkStatus();
      },
      deadline));
  *replayed = existing.has_value();
  return GetOrder(existing ? *existing : o.id, deadline);
}

absl::StatusOr<domain::Order> PgDispatchRepository::GetOrder(const std::string& id, absl::Time deadline) {
  if (!common::IsUuid(id)) return NotFound(reason::kOrderNotFound, "dispatch order");
  std::optional<domain::Order> out;
  CAK_RETURN_IF_ERROR(common::db::WithSession(
      *pool_,
      [&](soci::session& sql) {
        const TextRows rows = ExecutePrepared(
            sql, Q(absl::StrCat("SELECT ", kOrderColumns, " FROM ${s}.orders WHERE id = CAST($1 AS uuid)")), {id});
        if (!rows.empty()) out = OrderFromRow(rows[0]);
        return absl::OkStatus();
      },
      deadline));
  if (!out) return NotFound(reason::kOrderNotFound, "dispatch order");
  return *std::move(out);
}

absl::StatusOr<std::vector<domain::Order>> PgDispatchRepository::ListExecutorOrders(
    const std::string& executor_id, std::optional<domain::OrderState> state, const std::optional<InboxKey>& after,
    int limit, absl::Time deadline) {
  std::vector<domain::Order> out;
  CAK_RETURN_IF_ERROR(common::db::WithSession(
      *pool_,
      [&](soci::session& sql) {
        const auto params =
            InboxParams(executor_id, state ? std::optional<int>(static_cast<int>(*state)) : std::nullopt, after, limit);
        // Open: GENERATING (1) and READY (2); closed: COMPLETED and PURGED.
        for (const Row& r : ExecutePrepared(sql, Q(InboxQuery(kOrderColumns, "orders", "state > 2")), params)) {
          out.push_back(OrderFromRow(r));
        }
        return absl::OkStatus();
      },
      deadline));
  return out;
}

absl::StatusOr<std::map<std::string, std::string>> PgDispatchRepository::OrderGuidelines(
    const std::vector<std::string>& order_ids, absl::Time deadline) {
  std::map<std::string, std::string> out;
  std::vector<std::string> ids;
  for (const std::string& id : order_ids) {
    if (common::IsUuid(id)) ids.push_back(id);
  }
  if (ids.empty()) return out;
  CAK_RETURN_IF_ERROR(common::db::WithSession(
      *pool_,
      [&](soci::session& sql) {
        for (const Row& r :
             ExecutePrepared(sql, Q("SELECT id, guidelines FROM ${s}.orders WHERE id = ANY (CAST($1 AS uuid[]))"),
                             {common::db::TextArrayLiteral(ids)})) {
          out[TextAt(r, 0)] = TextAt(r, 1);
        }
        return absl::OkStatus();
      },
      deadline));
  return out;
}

absl::StatusOr<std::vector<domain::Batch>> PgDispatchRepository::ListBatches(const std::string& order_id,
                                                                             int32_t after_batch_no, int limit,
                                                                             absl::Time deadline) {
  std::vector<domain::Batch> out;
  if (!common::IsUuid(order_id)) return out;
  CAK_RETURN_IF_ERROR(common::db::WithSession(
      *pool_,
      [&](soci::session& sql) {
        for (const Row& r : ExecutePrepared(
                 sql,
                 Q(absl::StrCat(
                     "SELECT ", kBatchColumns,
                     " FROM ${s}.batches WHERE order_id = CAST($1 AS uuid) AND batch_no > CAST($2 AS integer)"
                     " ORDER BY batch_no LIMIT CAST($3 AS integer)")),
                 {order_id, absl::StrCat(after_batch_no), absl::StrCat(limit)})) {
          out.push_back(BatchFromRow(r));
        }
        return absl::OkStatus();
      },
      deadline));
  return out;
}

absl::StatusOr<std::vector<domain::Batch>> PgDispatchRepository::ListOpenBatches(const std::string& executor_id,
                                                                                 const std::optional<BatchKey>& after,
                                                                                 int limit, absl::Time deadline) {
  std::vector<domain::Batch> out;
  CAK_RETURN_IF_ERROR(common::db::WithSession(
      *pool_,
      [&](soci::session& sql) {
        const BatchKey start =
            after.value_or(BatchKey{absl::CivilDay(1970, 1, 1), "00000000-0000-0000-0000-000000000000", 0});
        for (const Row& r : ExecutePrepared(
                 sql,
                 Q(absl::StrCat("SELECT ", kBatchColumns,
                                " FROM ${s}.batches WHERE executor_id = $1 AND state = 2"
                                " AND (planned_date, order_id, batch_no) > (CAST($2 AS date), CAST($3 AS uuid),"
                                " CAST($4 AS integer)) ORDER BY planned_date, order_id, batch_no"
                                " LIMIT CAST($5 AS integer)")),
                 {executor_id, IsoDay(start.day), start.order_id, absl::StrCat(start.batch_no), absl::StrCat(limit)})) {
          out.push_back(BatchFromRow(r));
        }
        return absl::OkStatus();
      },
      deadline));
  return out;
}

absl::StatusOr<domain::Batch> PgDispatchRepository::GetBatch(const std::string& order_id, int32_t batch_no,
                                                             const std::string& executor_id, absl::Time deadline) {
  if (!common::IsUuid(order_id)) return NotFound(reason::kBatchNotFound, "batch");
  std::optional<domain::Batch> out;
  CAK_RETURN_IF_ERROR(common::db::WithSession(
      *pool_,
      [&](soci::session& sql) {
        const TextRows rows = ExecutePrepared(
            sql,
            Q(absl::StrCat("SELECT ", kBatchColumns,
                           " FROM ${s}.batches WHERE order_id = CAST($1 AS uuid) AND batch_no = CAST($2 AS integer)"
                           " AND ($3 = '' OR executor_id = $3)")),
            {order_id, absl::StrCat(batch_no), executor_id});
        if (!rows.empty()) out = BatchFromRow(rows[0]);
        return absl::OkStatus();
      },
      deadline));
  if (!out) return NotFound(reason::kBatchNotFound, "batch");
  return *std::move(out);
}

absl::Status PgDispatchRepository::StreamItems(const std::string& order_id, int32_t batch_no, int chunk,
                                               const std::function<absl::Status(std::vector<domain::Item>&)>& sink) {
  if (!common::IsUuid(order_id)) return NotFound(reason::kBatchNotFound, "batch");
  absl::Status consumer;
  struct Stop {};
  absl::Status st = common::db::WithSession(*pool_, [&](soci::session& sql) -> absl::Status {
    sql << "BEGIN READ ONLY";
    sql << "SET LOCAL statement_timeout = 0";  // as long as the executor reads
    std::vector<domain::Item> items;
    auto flush = [&] {
      if (items.empty()) return;
      absl::Status s = sink(items);
      items.clear();
      if (!s.ok()) {
        consumer = s;
        throw Stop{};
      }
    };
    try {
      // Both values are checked (uuid, integer) before they go into the statement: COPY takes
      // no parameters.
      common::db::CopyOut(sql,
                          absl::StrCat("COPY (SELECT ", kItemColumns, " FROM ", schema_, ".items WHERE order_id = '",
                                       order_id, "' AND batch_no = ", batch_no, " ORDER BY position) TO STDOUT"),
                          [&](const common::db::CopyRow& r) {
                            domain::Item& it = items.emplace_back();
                            it.position = ToInt(r.fields[0]);
                            it.routing = static_cast<domain::Routing>(ToInt(r.fields[1]));
                            it.salutation = static_cast<common::SalutationKind>(ToInt(r.fields[2]));
                            it.customer_number = std::string(r.fields[3]);
                            it.customer_name = std::string(r.fields[4]);
                            it.addressee_name = std::string(r.fields[5]);
                            it.street = std::string(r.fields[6]);
                            it.house_number = static_cast<int32_t>(ToInt(r.fields[7]));
                            it.house_number_suffix = std::string(r.fields[8]);
                            it.postcode = std::string(r.fields[9]);
                            it.city = std::string(r.fields[10]);
                            it.phone = std::string(r.fields[11]);
                            if (static_cast<int>(items.size()) >= chunk) flush();
                          });
      flush();
    } catch (const Stop&) {
    }
    sql << "COMMIT";
    return absl::OkStatus();
  });
  if (!consumer.ok()) return consumer;
  return st;
}

absl::StatusOr<domain::Batch> PgDispatchRepository::AcknowledgeBatch(const std::string& order_id, int32_t batch_no,
                                                                     const std::string& executor_id,
                                                                     const std::string& by, absl::Time now,
                                                                     absl::Time deadline) {
  if (!common::IsUuid(order_id)) return NotFound(reason::kBatchNotFound, "batch");
  std::optional<domain::Batch> out;
  CAK_RETURN_IF_ERROR(common::db::InTransaction(
      *pool_,
      [&](Tx& tx) -> absl::Status {
        const TextRows rows = ExecutePrepared(
            tx.sql(),
            Q(absl::StrCat("SELECT ", kBatchColumns,
                           " FROM ${s}.batches WHERE order_id = CAST($1 AS uuid) AND batch_no = CAST($2 AS integer)"
                           " AND executor_id = $3 FOR UPDATE")),
            {order_id, absl::StrCat(batch_no), executor_id});
        if (rows.empty()) return NotFound(reason::kBatchNotFound, "batch");
        domain::Batch b = BatchFromRow(rows[0]);
        if (b.state == domain::BatchState::kPlanned) {
          return MakeError(absl::StatusCode::kFailedPrecondition, reason::kBatchNotWritten,
                           "the batch is not written yet");
        }
        if (b.state == domain::BatchState::kWritten) {
          const TextRows updated = ExecutePrepared(
              tx.sql(),
              Q(absl::StrCat(
                  "UPDATE ${s}.batches SET state = 3, acknowledge_time = ${s}.from_micros(CAST($3 AS bigint)),"
                  " acknowledged_by = $4 WHERE order_id = CAST($1 AS uuid) AND batch_no = CAST($2 AS integer)"
                  " RETURNING ",
                  kBatchColumns)),
              {order_id, absl::StrCat(batch_no), MicrosText(now), by});
          b = BatchFromRow(updated.at(0));
          ExecutePrepared(tx.sql(),
                          Q("UPDATE ${s}.orders SET batches_acknowledged = batches_acknowledged + 1,"
                            " state = CASE WHEN batches_acknowledged + 1 = batch_count AND state = 2 THEN 3"
                            " ELSE state END WHERE id = CAST($1 AS uuid)"),
                          {order_id});
        }
        out = std::move(b);
        return absl::OkStatus();
      },
      deadline));
  return *std::move(out);
}

absl::StatusOr<int64_t> PgDispatchRepository::StoreOutcomes(const domain::OutcomeReport& report,
                                                            const common::IdempotencyKey* key, bool* replayed,
                                                            absl::Time deadline, const common::CallContext& call,
                                                            const common::ProcessingRecord& record) {
  if (!common::IsUuid(report.order_id)) return NotFound(reason::kBatchNotFound, "batch");
  std::optional<std::string> existing;
  // The claim's resource names the report's size, so that a repeat answers the same count.
  const std::string resource =
      absl::StrCat(report.order_id, "/", report.batch_no, "/", report.outcomes.size(), "/", common::NewUuid());
  CAK_RETURN_IF_ERROR(common::db::InTransaction(
      *pool_,
      [&](Tx& tx) -> absl::Status {
        if (key) {
          CAK_ASSIGN_OR_RETURN(existing, common::db::ClaimRequestId(tx, schema_, *key, resource, report.report_time));
          if (existing) return absl::OkStatus();
        }
        // Lock order, the same as PurgeOrders': the order row first, then items, then outcomes.
        // The purge takes the order FOR UPDATE and then deletes outcomes before items, while a
        // report locks items and then updates outcomes; taken in those orders alone the two
        // could deadlock. FOR KEY SHARE is the weakest lock that conflicts with the purge's FOR
        // UPDATE (and with nothing else done to an order, such as acknowledging a batch): a
        // purge skips an order that is being reported on (SKIP LOCKED; the next run takes it),
        // and a report waits for a purge that has the order and then finds it purged, which
        // answers as an unknown batch does.
        if (ExecutePrepared(tx.sql(),
                            Q("SELECT 1 FROM ${s}.orders WHERE id = CAST($1 AS uuid) AND state <> 4 FOR KEY SHARE"),
                            {report.order_id})
                .empty()) {
          return NotFound(reason::kBatchNotFound, "batch");
        }
        const TextRows batch = ExecutePrepared(
            tx.sql(),
            Q("SELECT state FROM ${s}.batches WHERE order_id = CAST($1 AS uuid) AND batch_no = CAST($2 AS integer)"
              " AND executor_id = $3"),
            {report.order_id, absl::StrCat(report.batch_no), report.executor_id});
        if (batch.empty()) return NotFound(reason::kBatchNotFound, "batch");
        if (ToInt(batch[0][0]) == static_cast<int>(domain::BatchState::kPlanned)) {
          return MakeError(absl::StatusCode::kFailedPrecondition, reason::kBatchNotWritten,
                           "the batch is not written yet");
        }
        std::vector<int64_t> positions, outcomes, times;
        for (const domain::ItemOutcome& o : report.outcomes) {
          positions.push_back(o.position);
          outcomes.push_back(static_cast<int>(o.outcome));
          times.push_back(absl::ToUnixMicros(o.outcome_time));
        }
        const std::string p = common::db::IntArrayLiteral(positions);
        // The reported recipients' items, locked: reports about the same recipients follow one
        // another, so each sees the earlier one's outcomes when it decides which is current.
        ExecutePrepared(tx.sql(),
                        Q("SELECT position FROM ${s}.items WHERE order_id = CAST($1 AS uuid)"
                          " AND position = ANY (CAST($2 AS bigint[])) ORDER BY position FOR NO KEY UPDATE"),
                        {report.order_id, p});
        const TextRows missing =
            ExecutePrepared(tx.sql(),
                            Q("SELECT o.i FROM unnest(CAST($1 AS bigint[])) WITH ORDINALITY AS o(p, i)"
                              " WHERE NOT EXISTS (SELECT 1 FROM ${s}.items it WHERE it.order_id = CAST($2 AS uuid)"
                              " AND it.position = o.p AND it.batch_no = CAST($3 AS integer)) ORDER BY o.i LIMIT 1"),
                            {p, report.order_id, absl::StrCat(report.batch_no)});
        if (!missing.empty()) {
          return common::InvalidField(reason::kOutcomeNotInBatch,
                                      absl::StrCat("outcomes[", ToInt(missing[0][0]) - 1, "].position"),
                                      "this recipient is not in the batch");
        }
        ExecutePrepared(
            tx.sql(),
            Q("INSERT INTO ${s}.outcomes (order_id, position, batch_no, outcome, outcome_time, report_time,"
              " reported_by) SELECT CAST($1 AS uuid), p, CAST($2 AS integer), o, ${s}.from_micros(t),"
              " ${s}.from_micros(CAST($6 AS bigint)), $7"
              " FROM unnest(CAST($3 AS bigint[]), CAST($4 AS smallint[]), CAST($5 AS bigint[])) AS u(p, o, t)"),
            {report.order_id, absl::StrCat(report.batch_no), p, common::db::IntArrayLiteral(outcomes),
             common::db::IntArrayLiteral(times), MicrosText(report.report_time), report.reported_by});
        // Superseding: per reported recipient, the outcome with the latest outcome_time (of equal
        // times the later report, the higher id) is current, every other one superseded. The
        // new rows came in as superseded; the old current one goes before the new one comes,
        // so the unique index on the current outcome never sees two. Computed from all the
        // recipient's rows, not from the flags found: rows that replicas of the version before
        // migration 0006 inserted (all superseded) are repaired here too (README, rolling upgrade).
        std::vector<int64_t> latest;
        for (const Row& r : ExecutePrepared(tx.sql(),
                                            Q("SELECT DISTINCT ON (position) id FROM ${s}.outcomes"
                                              " WHERE order_id = CAST($1 AS uuid) AND position = ANY (CAST($2 AS"
                                              " bigint[])) ORDER BY position, outcome_time DESC, id DESC"),
                                            {report.order_id, p})) {
          latest.push_back(ToInt(r[0]));
        }
        const std::string current = common::db::IntArrayLiteral(latest);
        ExecutePrepared(tx.sql(),
                        Q("UPDATE ${s}.outcomes SET is_current = false WHERE order_id = CAST($1 AS uuid)"
                          " AND position = ANY (CAST($2 AS bigint[])) AND is_current"
                          " AND NOT (id = ANY (CAST($3 AS bigint[])))"),
                        {report.order_id, p, current});
        ExecutePrepared(tx.sql(),
                        Q("UPDATE ${s}.outcomes SET is_current = true WHERE id = ANY (CAST($1 AS bigint[]))"
                          " AND NOT is_current"),
                        {current});
        // Whose outcomes these are: each reported recipient a subject of the report (items
        // written before dispatch migration 0002 have no log id and are not named).
        std::vector<std::string> subjects;
        for (const auto& row : ExecutePrepared(tx.sql(),
                                               Q("SELECT data_subject_id FROM ${s}.items WHERE order_id = CAST($1 AS"
                                                 " uuid) AND position = ANY (CAST($2 AS bigint[])) AND"
                                                 " data_subject_id IS NOT NULL ORDER BY position"),
                                               {report.order_id, p})) {
          subjects.push_back(*row[0]);
        }
        log_->AppendSubjectRows(tx, log_->AppendOperation(tx, call, record), subjects);
        return absl::OkStatus();
      },
      deadline));
  *replayed = existing.has_value();
  if (existing) {
    const std::vector<std::string> parts = absl::StrSplit(*existing, '/');
    return parts.size() >= 3 ? ToInt(absl::string_view(parts[2])) : 0;
  }
  return static_cast<int64_t>(report.outcomes.size());
}

absl::StatusOr<std::vector<domain::RecordedOutcome>> PgDispatchRepository::ListOutcomes(const std::string& order_id,
                                                                                        bool include_superseded,
                                                                                        int64_t after_id, int limit,
                                                                                        absl::Time deadline) {
  std::vector<domain::RecordedOutcome> out;
  if (!order_id.empty() && !common::IsUuid(order_id)) return out;
  CAK_RETURN_IF_ERROR(common::db::WithSession(
      *pool_,
      [&](soci::session& sql) {
        for (const Row& r : ExecutePrepared(
                 sql,
                 Q("SELECT x.id, x.order_id, o.recipient_list, o.campaign, o.target_group, x.position, o.channel,"
                   " x.outcome, ${s}.to_micros(x.outcome_time), ${s}.to_micros(x.report_time), x.is_current"
                   " FROM ${s}.outcomes x JOIN ${s}.orders o ON o.id = x.order_id"
                   " WHERE x.id > CAST($1 AS bigint) AND ($2 = '' OR x.order_id = CAST(NULLIF($2, '') AS uuid))"
                   " AND (CAST($4 AS boolean) OR x.is_current) ORDER BY x.id LIMIT CAST($3 AS integer)"),
                 {absl::StrCat(after_id), order_id, absl::StrCat(limit), include_superseded ? "true" : "false"})) {
          domain::RecordedOutcome o;
          o.id = ToInt(r[0]);
          o.order_id = TextAt(r, 1);
          o.recipient_list = TextAt(r, 2);
          o.campaign = TextAt(r, 3);
          o.target_group = TextAt(r, 4);
          o.position = ToInt(r[5]);
          o.channel = static_cast<domain::Channel>(ToInt(r[6]));
          o.outcome = static_cast<domain::Outcome>(ToInt(r[7]));
          o.outcome_time = TimeFromMicros(TextAt(r, 8));
          o.report_time = TimeFromMicros(TextAt(r, 9));
          o.current = TextAt(r, 10) == "t";
          out.push_back(std::move(o));
        }
        return absl::OkStatus();
      },
      deadline));
  return out;
}

absl::Status PgDispatchRepository::Log(const common::CallContext& call, const common::ProcessingRecord& record,
                                       absl::Time deadline) {
  return common::db::InTransaction(
      *pool_,
      [&](Tx& tx) {
        log_->Append(tx, call, record);
        return absl::OkStatus();
      },
      deadline);
}

// ---------------------------------------------------------------------------------------------
// Generation

absl::StatusOr<domain::DispatchRepository::Attempt> PgDispatchRepository::GenerateNextBatch(
    absl::Time now, const GenerateFn& generate) {
  Attempt attempt = Attempt::kNoneDue;
  CAK_RETURN_IF_ERROR(common::db::InTransaction(*pool_, [&](Tx& tx) -> absl::Status {
    // The generation can outlast the pool's statement timeout only in the caller's code, not in
    // one statement; lock waits never happen (SKIP LOCKED).
    const TextRows next = ExecutePrepared(
        tx.sql(),
        Q("SELECT order_id, batch_no FROM ${s}.batches WHERE state = 1"
          " AND (next_attempt_time IS NULL OR next_attempt_time <= ${s}.from_micros(CAST($1 AS bigint)))"
          " ORDER BY planned_date, order_id, batch_no LIMIT 1 FOR UPDATE SKIP LOCKED"),
        {absl::StrCat(absl::ToUnixMicros(now))});
    if (next.empty()) return absl::OkStatus();
    domain::ClaimedBatch claimed;
    const TextRows batch = ExecutePrepared(
        tx.sql(),
        Q(absl::StrCat("SELECT ", kBatchColumns,
                       " FROM ${s}.batches WHERE order_id = CAST($1 AS uuid) AND batch_no = CAST($2 AS integer)")),
        {TextAt(next[0], 0), TextAt(next[0], 1)});
    claimed.batch = BatchFromRow(batch.at(0));
    const TextRows order = ExecutePrepared(
        tx.sql(), Q(absl::StrCat("SELECT ", kOrderColumns, " FROM ${s}.orders WHERE id = CAST($1 AS uuid)")),
        {claimed.batch.order_id});
    claimed.order = OrderFromRow(order.at(0));
    const TextRows executor =
        ExecutePrepared(tx.sql(), Q(absl::StrCat("SELECT ", kExecutorColumns, " FROM ${s}.executors WHERE id = $1")),
                        {claimed.batch.executor_id});
    claimed.executor = ExecutorFromRow(executor.at(0));
    tx.sql() << "SAVEPOINT attempt";
    PgBatchWriter writer(tx, schema_, log_, claimed.batch, replica_);
    std::optional<domain::BatchRetry> retry;
    absl::Status st = generate(claimed, writer, &retry);
    if (st.ok()) {
      attempt = Attempt::kWritten;
      return st;
    }
    if (!retry) return st;
    tx.sql() << "ROLLBACK TO SAVEPOINT attempt";
    ExecutePrepared(tx.sql(),
                    Q("UPDATE ${s}.batches SET failed_attempts = failed_attempts + 1,"
                      " next_attempt_time = ${s}.from_micros(CAST($3 AS bigint)), last_failure = $4,"
                      " bytes_per_item = CAST($5 AS integer)"
                      " WHERE order_id = CAST($1 AS uuid) AND batch_no = CAST($2 AS integer)"),
                    {claimed.batch.order_id, absl::StrCat(claimed.batch.batch_no),
                     absl::StrCat(absl::ToUnixMicros(retry->next_attempt_time)), retry->reason,
                     absl::StrCat(retry->bytes_per_item)});
    attempt = Attempt::kRescheduled;
    return absl::OkStatus();
  }));
  return attempt;
}

absl::StatusOr<std::optional<std::string>> PgDispatchRepository::FindClaim(const common::IdempotencyKey& key,
                                                                           absl::Time deadline) {
  return common::db::FindClaim(*pool_, schema_, key, deadline);
}

// ---------------------------------------------------------------------------------------------
// Retention

absl::StatusOr<std::vector<common::SubjectRow>> PgDispatchRepository::SubjectItems(const std::string& subject_id,
                                                                                   absl::Time deadline) {
  // The batches that handed the customer over (their log entries, by the subject rows' hash
  // index), then the customer's item in each by the batch's position range.
  return common::db::SelectAsText(
      *pool_,
      Q("SELECT 'dispatchOrders/' || o.id AS dispatch_order, o.campaign, o.target_group, o.channel,"
        " e.display_name AS executor, b.batch_no AS batch, b.planned_date, b.write_time AS handed_over,"
        " b.acknowledge_time AS acknowledged, i.position, i.routing, i.customer_number, i.customer_name,"
        " i.addressee_name, i.street, i.house_number, i.house_number_suffix, i.postcode, i.city, i.phone,"
        " oc.outcome, oc.outcome_time"
        " FROM (SELECT DISTINCT CAST(p.attributes->>'dispatch_order' AS uuid) AS order_id,"
        " CAST(p.attributes->>'batch' AS integer) AS batch_no"
        " FROM ${s}.processing_log_subjects s JOIN ${s}.processing_log p ON p.id = s.entry_id"
        " WHERE s.data_subject_id = $1 AND p.name = 'dispatch.DeliverBatch' AND p.status = 1) d"
        " JOIN ${s}.batches b ON b.order_id = d.order_id AND b.batch_no = d.batch_no"
        " JOIN ${s}.orders o ON o.id = d.order_id"
        " JOIN ${s}.executors e ON e.id = o.executor_id"
        " JOIN ${s}.items i ON i.order_id = d.order_id"
        " AND i.position BETWEEN b.first_position AND b.last_position AND i.data_subject_id = $1"
        " LEFT JOIN ${s}.outcomes oc ON oc.order_id = i.order_id AND oc.position = i.position AND oc.is_current"
        " ORDER BY b.write_time, o.id, i.position"),
      {subject_id}, deadline);
}

absl::StatusOr<domain::DispatchRepository::ItemErasure> PgDispatchRepository::EraseSubjectItems(
    const common::CallContext& call, const std::vector<std::string>& subject_ids, bool dry_run,
    const common::FollowedPage* followed) {
  ItemErasure out;
  CAK_RETURN_IF_ERROR(common::db::InTransaction(
      *pool_,
      [&](Tx& tx) -> absl::Status {
        common::ProcessingRecord record = followed ? followed->record : common::ProcessingRecord{};
        for (const std::string& subject_id : subject_ids) {
          // The person's items, as SubjectItems finds them; locked for the update.
          const TextRows items = ExecutePrepared(
              tx.sql(),
              Q("SELECT i.order_id, i.position, e.display_name, coalesce(b.data_file, '')"
                " FROM (SELECT DISTINCT CAST(p.attributes->>'dispatch_order' AS uuid) AS order_id,"
                " CAST(p.attributes->>'batch' AS integer) AS batch_no"
                " FROM ${s}.processing_log_subjects s JOIN ${s}.processing_log p ON p.id = s.entry_id"
                " WHERE s.data_subject_id = $1 AND p.name = 'dispatch.DeliverBatch' AND p.status = 1) d"
                " JOIN ${s}.batches b ON b.order_id = d.order_id AND b.batch_no = d.batch_no"
                " JOIN ${s}.orders o ON o.id = d.order_id JOIN ${s}.executors e ON e.id = o.executor_id"
                " JOIN ${s}.items i ON i.order_id = d.order_id"
                " AND i.position BETWEEN b.first_position AND b.last_position AND i.data_subject_id = $1"
                " ORDER BY i.order_id, i.position FOR UPDATE OF i"),
              {subject_id});
          if (items.empty()) continue;
          ++out.subjects;
          out.items += static_cast<int64_t>(items.size());
          if (!dry_run) record.data_subject_ids.push_back(subject_id);
          for (const auto& r : items) {
            if (!r[3]->empty()) out.files.push_back(absl::StrCat(*r[2], ": ", *r[3]));
            if (dry_run) continue;
            ExecutePrepared(
                tx.sql(),
                Q("UPDATE ${s}.items SET customer_number = NULL, customer_name = NULL, addressee_name = NULL,"
                  " street = NULL, house_number = NULL, house_number_suffix = NULL, postcode = NULL,"
                  " city = NULL, phone = NULL, data_subject_id = NULL"
                  " WHERE order_id = CAST($1 AS uuid) AND position = CAST($2 AS bigint)"),
                {*r[0], *r[1]});
          }
        }
        if (dry_run || !followed) return absl::OkStatus();
        if (out.subjects > 0) {
          record.attributes["items"] = absl::StrCat(out.items);
          log_->Append(tx, call, record);
        }
        common::db::SaveRemovalPosition(tx, schema_, followed->position);
        return absl::OkStatus();
      },
      call.deadline));
  std::sort(out.files.begin(), out.files.end());
  out.files.erase(std::unique(out.files.begin(), out.files.end()), out.files.end());
  return out;
}

absl::StatusOr<common::RemovalPosition> PgDispatchRepository::RemovalFeedPosition(absl::Time deadline) {
  return common::db::ReadRemovalPosition(*pool_, schema_, deadline);
}

absl::StatusOr<domain::PurgeCounts> PgDispatchRepository::PurgeOrders(
    const common::CallContext& call, absl::CivilDay cutoff, bool dry_run,
    const std::function<absl::Status(const std::vector<domain::Batch>&)>& remove_files) {
  domain::PurgeCounts total;
  std::vector<std::string> orders;
  CAK_RETURN_IF_ERROR(common::db::WithSession(*pool_, [&](soci::session& sql) {
    for (const Row& r : ExecutePrepared(
             sql,
             Q("SELECT id FROM ${s}.orders WHERE state <> 4 AND window_end < CAST($1 AS date) ORDER BY window_end, id"),
             {IsoDay(cutoff)})) {
      orders.push_back(TextAt(r, 0));
    }
    return absl::OkStatus();
  }));
  // Order by order, each in its own transaction: a long backlog makes progress and a failure
  // leaves whole orders, either purged or not.
  for (const std::string& id : orders) {
    CAK_RETURN_IF_ERROR(common::db::InTransaction(*pool_, [&](Tx& tx) -> absl::Status {
      // The order row first: outcome reports take it (FOR KEY SHARE) before its items and
      // outcomes too (see StoreOutcomes), so the two serialise here and never deadlock.
      const TextRows locked = ExecutePrepared(
          tx.sql(),
          Q("SELECT state FROM ${s}.orders WHERE id = CAST($1 AS uuid) AND state <> 4 FOR UPDATE SKIP LOCKED"), {id});
      if (locked.empty()) return absl::OkStatus();  // another purge has it
      std::vector<domain::Batch> batches;
      for (const Row& r :
           ExecutePrepared(tx.sql(),
                           Q(absl::StrCat("SELECT ", kBatchColumns,
                                          " FROM ${s}.batches WHERE order_id = CAST($1 AS uuid) ORDER BY batch_no")),
                           {id})) {
        batches.push_back(BatchFromRow(r));
      }
      const TextRows counts =
          ExecutePrepared(tx.sql(),
                          Q("SELECT (SELECT count(*) FROM ${s}.items WHERE order_id = CAST($1 AS uuid)),"
                            " (SELECT count(*) FROM ${s}.outcomes WHERE order_id = CAST($1 AS uuid))"),
                          {id});
      domain::PurgeCounts c;
      c.orders = 1;
      c.batches = static_cast<int64_t>(batches.size());
      c.items = ToInt(counts[0][0]);
      c.outcomes = ToInt(counts[0][1]);
      for (const domain::Batch& b : batches)
        c.files += (b.data_file.empty() ? 0 : 1) + (b.manifest_file.empty() ? 0 : 1);
      total.orders += c.orders;
      total.batches += c.batches;
      total.items += c.items;
      total.outcomes += c.outcomes;
      total.files += c.files;
      if (dry_run) return absl::OkStatus();
      CAK_RETURN_IF_ERROR(remove_files(batches));
      ExecutePrepared(tx.sql(), Q("DELETE FROM ${s}.outcomes WHERE order_id = CAST($1 AS uuid)"), {id});
      ExecutePrepared(tx.sql(), Q("DELETE FROM ${s}.items WHERE order_id = CAST($1 AS uuid)"), {id});
      ExecutePrepared(
          tx.sql(),
          Q("UPDATE ${s}.batches SET data_file = NULL, manifest_file = NULL WHERE order_id = CAST($1 AS uuid)"), {id});
      ExecutePrepared(tx.sql(),
                      Q("UPDATE ${s}.orders SET state = 4, purge_time = ${s}.from_micros(CAST($2 AS bigint))"
                        " WHERE id = CAST($1 AS uuid)"),
                      {id, MicrosText(call.start_time)});
      common::ProcessingRecord record =
          common::MakeRecord("dispatch.PurgeOrder", common::ProcessingActivity::kBewaartermijn, call.start_time);
      record.attributes = {{"dispatch_order", id},
                           {"items", absl::StrCat(c.items)},
                           {"outcomes", absl::StrCat(c.outcomes)},
                           {"files", absl::StrCat(c.files)},
                           {"cutoff", IsoDay(cutoff)}};
      log_->Append(tx, call, record);
      return absl::OkStatus();
    }));
  }
  return total;
}

}  // namespace cak::dispatch::storage
