// PostgreSQL outbox and relay (see outbox.h).
#include "common/db/outbox.h"

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "common/base/errors.h"
#include "common/base/log.h"
#include "common/base/random.h"
#include "common/db/prepared.h"
#include "common/db/sql_values.h"

namespace cak::common::db {

namespace {

std::string Q(const std::string& schema, absl::string_view sql) { return absl::StrReplaceAll(sql, {{"${s}", schema}}); }

constexpr char kColumns[] =
    "id, topic, aggregate_id, ordering_key, request_id, payload, state, attempts, ${s}.to_micros(next_attempt_time),"
    " last_error, result, ${s}.to_micros(create_time), ${s}.to_micros(done_time), traceparent";

OutboxRecord RecordFromRow(const std::vector<std::optional<std::string>>& r) {
  OutboxRecord rec;
  rec.id = ToInt(r[0]);
  rec.message.topic = TextAt(r, 1);
  rec.message.aggregate_id = TextAt(r, 2);
  rec.message.ordering_key = TextAt(r, 3);
  rec.message.request_id = TextAt(r, 4);
  rec.message.payload = TextAt(r, 5);
  const std::string& state = TextAt(r, 6);
  rec.state = state == "DONE" ? OutboxState::kDone : state == "FAILED" ? OutboxState::kFailed : OutboxState::kPending;
  rec.attempts = static_cast<int>(ToInt(r[7]));
  rec.next_attempt_time = TimeFromMicros(r[8]);
  rec.last_error = TextAt(r, 9);
  rec.result = TextAt(r, 10);
  rec.create_time = TimeFromMicros(r[11]);
  if (r[12]) rec.done_time = TimeFromMicros(r[12]);
  rec.message.traceparent = TextAt(r, 13);
  return rec;
}

}  // namespace

void EnqueueOutbox(Tx& tx, const std::string& schema, const std::vector<OutboxMessage>& messages, absl::Time now) {
  const std::string sql = Q(schema,
                            "INSERT INTO ${s}.outbox (topic, aggregate_id, ordering_key, request_id, payload,"
                            " traceparent, next_attempt_time, create_time) VALUES ($1, $2, $3, $4, $5, $6,"
                            " ${s}.from_micros($7::bigint), ${s}.from_micros($7::bigint))");
  for (const OutboxMessage& m : messages) {
    ExecutePrepared(tx.sql(), sql,
                    {m.topic, m.aggregate_id, m.ordering_key, m.request_id, m.payload, m.traceparent, MicrosText(now)});
  }
}

std::vector<OutboxRecord> ReadOutbox(soci::session& sql, const std::string& schema, const std::string& aggregate_id) {
  const auto rows = ExecutePrepared(sql, "SELECT " + OutboxJsonColumn(schema, "$1"), {aggregate_id});
  return ParseOutboxJson(TextAt(rows.at(0), 0));
}

std::string OutboxJsonColumn(const std::string& schema, const std::string& aggregate_id_expr) {
  // Each message as a JSON array of the columns RecordFromRow reads, so that one decoder serves.
  return Q(schema,
           absl::StrCat("(SELECT coalesce(json_agg(json_build_array(", kColumns,
                        ") ORDER BY id), '[]') FROM ${s}.outbox WHERE aggregate_id = ", aggregate_id_expr, ")"));
}

std::vector<OutboxRecord> ParseOutboxJson(const std::string& json) {
  std::vector<OutboxRecord> out;
  for (const nlohmann::json& message : nlohmann::json::parse(json)) {
    std::vector<std::optional<std::string>> row;
    for (const nlohmann::json& value : message) {
      if (value.is_null()) {
        row.emplace_back();
      } else {
        row.emplace_back(value.is_string() ? value.get<std::string>() : value.dump());
      }
    }
    out.push_back(RecordFromRow(row));
  }
  return out;
}

int64_t RequeueFailedOutbox(Tx& tx, const std::string& schema, const std::string& aggregate_id, absl::Time now) {
  const TextRows rows = ExecutePrepared(
      tx.sql(),
      Q(schema,
        "UPDATE ${s}.outbox SET state = 'PENDING', next_attempt_time = ${s}.from_micros($2::bigint), done_time = NULL"
        " WHERE aggregate_id = $1 AND state = 'FAILED' RETURNING id"),
      {aggregate_id, MicrosText(now)});
  return static_cast<int64_t>(rows.size());
}

OutboxRelay::OutboxRelay(PgPool* pool, const Clock* clock, OutboxRelayOptions options,
                         std::map<std::string, OutboxHandler> handlers)
    : pool_(pool), clock_(clock), options_(std::move(options)), handlers_(std::move(handlers)) {}

OutboxRelay::~OutboxRelay() { Stop(); }

void OutboxRelay::Start() {
  std::lock_guard<std::mutex> lock(mu_);
  if (!workers_.empty()) return;
  stop_ = false;
  for (int i = 0; i < options_.threads; ++i) workers_.emplace_back([this] { Run(); });
}

void OutboxRelay::Wake() {
  std::lock_guard<std::mutex> lock(mu_);
  ++wakeups_;
  cv_.notify_all();
}

void OutboxRelay::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
    cv_.notify_all();
  }
  for (std::thread& t : workers_) t.join();
  workers_.clear();
}

void OutboxRelay::Run() {
  while (true) {
    uint64_t seen;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stop_) return;
      seen = wakeups_;
    }
    absl::StatusOr<bool> did = DeliverOne();
    if (!did.ok()) log::Warning("outbox_relay_failed", {{"error", did.status()}});
    if (did.ok() && *did) continue;  // more may be due
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, std::chrono::milliseconds(absl::ToInt64Milliseconds(options_.poll_interval)),
                 [&] { return stop_ || wakeups_ != seen; });
  }
}

absl::StatusOr<bool> OutboxRelay::DeliverOne() {
  const std::string& schema = options_.schema;
  // 1. The claim, a short transaction of its own: the oldest due message whose ordering key
  // has no earlier pending message, leased to this delivery (a token of its own, and due again
  // only when the lease runs out). It stays PENDING, so later messages of its key keep waiting.
  std::optional<OutboxRecord> claimed;
  const std::string token = NewUuid();
  CAK_RETURN_IF_ERROR(InTransaction(*pool_, [&](Tx& tx) -> absl::Status {
    const absl::Time now = clock_->Now();
    const TextRows rows = ExecutePrepared(
        tx.sql(),
        Q(schema, absl::StrCat("SELECT ", kColumns,
                               " FROM ${s}.outbox o WHERE o.state = 'PENDING'"
                               " AND o.next_attempt_time <= ${s}.from_micros($1::bigint)"
                               " AND NOT EXISTS (SELECT 1 FROM ${s}.outbox e WHERE e.ordering_key = o.ordering_key"
                               " AND e.state = 'PENDING' AND e.id < o.id)"
                               " ORDER BY o.next_attempt_time, o.id LIMIT 1 FOR UPDATE SKIP LOCKED")),
        {MicrosText(now)});
    if (rows.empty()) return absl::OkStatus();
    OutboxRecord record = RecordFromRow(rows[0]);
    ExecutePrepared(tx.sql(),
                    Q(schema,
                      "UPDATE ${s}.outbox SET lease_token = $2, attempts = attempts + 1,"
                      " next_attempt_time = ${s}.from_micros($3::bigint) WHERE id = $1::bigint"),
                    {absl::StrCat(record.id), token, MicrosText(now + options_.lease)});
    claimed = std::move(record);
    return absl::OkStatus();
  }));
  if (!claimed) return false;
  const OutboxRecord& record = *claimed;

  // 2. The remote call, holding no database connection.
  auto handler = handlers_.find(record.message.topic);
  absl::StatusOr<std::string> result = handler == handlers_.end()
                                           ? absl::StatusOr<std::string>(absl::InvalidArgumentError(
                                                 absl::StrCat("no handler for outbox topic ", record.message.topic)))
                                           : handler->second(record);

  // 3. The settlement, only while the lease is still this delivery's: after it ran out another
  // delivery may have taken the message over (with the same request_id, which the receiver
  // recognises), and that one settles it.
  const absl::Time done = clock_->Now();
  std::string state = "PENDING", error;
  absl::Time next = done;
  if (result.ok()) {
    state = "DONE";
  } else {
    error = absl::StrCat(ErrorReason(result.status()), ": ", result.status().message());
    const bool uncertain =
        result.status().code() == absl::StatusCode::kInternal || result.status().code() == absl::StatusCode::kUnknown;
    if (OutboxRetryable(result.status()) && !(uncertain && record.attempts + 1 >= options_.max_uncertain_attempts)) {
      next = done + OutboxBackoff(record.attempts, options_.max_backoff);
    } else {
      state = "FAILED";
    }
  }
  bool settled = false;
  CAK_RETURN_IF_ERROR(InTransaction(*pool_, [&](Tx& tx) -> absl::Status {
    const TextRows rows =
        ExecutePrepared(tx.sql(),
                        Q(schema,
                          "UPDATE ${s}.outbox SET state = $3, result = $4, last_error = $5, lease_token = NULL,"
                          " next_attempt_time = ${s}.from_micros($6::bigint),"
                          " done_time = CASE WHEN $3 = 'PENDING' THEN NULL ELSE ${s}.from_micros($7::bigint) END"
                          " WHERE id = $1::bigint AND lease_token = $2 AND state = 'PENDING' RETURNING id"),
                        {absl::StrCat(record.id), token, state, result.ok() ? *result : std::string(), error,
                         MicrosText(next), MicrosText(done)});
    settled = !rows.empty();
    return absl::OkStatus();
  }));
  const std::string& topic = record.message.topic;
  const std::string& request_id = record.message.request_id;
  if (!settled) {
    log::Warning("outbox_lease_lost", {{"topic", topic},
                                       {"request_id", request_id},
                                       {"lease_ms", absl::ToInt64Milliseconds(options_.lease)},
                                       {"outcome", result.ok() ? "delivered" : "error"}});
  } else if (state == "DONE") {
    delivered_.fetch_add(1);
    log::Info("outbox_delivered", {{"topic", topic}, {"request_id", request_id}});
  } else if (state == "PENDING") {
    log::Warning(
        "outbox_delivery_retried",
        {{"topic", topic}, {"request_id", request_id}, {"attempts", record.attempts + 1}, {"error", result.status()}});
  } else {
    failed_.fetch_add(1);
    log::Error("outbox_delivery_failed", {{"topic", topic}, {"request_id", request_id}, {"error", result.status()}});
  }
  return true;
}

}  // namespace cak::common::db
