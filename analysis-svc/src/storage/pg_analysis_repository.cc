// PostgreSQL analysis repository (see pg_analysis_repository.h).
#include "analysis-svc/src/storage/pg_analysis_repository.h"

#include <condition_variable>
#include <deque>
#include <future>
#include <mutex>
#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "analysis-svc/src/domain/analysis_service.h"
#include "analysis-svc/src/storage/pg_snapshot_repository.h"
#include "common/base/bounded_queue.h"
#include "common/base/errors.h"
#include "common/base/log.h"
#include "common/base/random.h"
#include "common/db/copy.h"
#include "common/db/idempotency.h"
#include "common/db/json_rows.h"
#include "common/db/prepared.h"
#include "common/db/sql_array.h"
#include "common/db/sql_values.h"

namespace cak::analysis::storage {

using common::db::IsoDay;
using common::db::ParseIsoDay;
using common::db::ToInt;

namespace {

using common::db::ExecutePrepared;
using common::db::TextRows;
using common::db::Tx;
using domain::Dataset;
using nlohmann::json;

json ImpactJson(const domain::Impact& i) {
  json muni = json::array();
  for (const auto& [number, count] : i.by_municipality) muni.push_back({number, count});
  return json{{"total", i.total},
              {"regulation", i.by_regulation},
              {"municipality", muni},
              {"routing", i.by_routing},
              {"reach", {i.reach_post, i.reach_phone, i.reach_email, i.reach_none}},
              {"overlap", i.mailing_overlap_total},
              {"overlap_type", i.mailing_overlap_by_type},
              {"pressure", i.contact_pressure},
              {"excluded", i.excluded_by_objection}};
}

domain::Impact ImpactFromJson(const json& j) {
  domain::Impact i;
  i.total = j.at("total").get<int64_t>();
  const auto reg = j.at("regulation").get<std::vector<int64_t>>();
  for (size_t k = 0; k < reg.size() && k < i.by_regulation.size(); ++k) i.by_regulation[k] = reg[k];
  for (const auto& m : j.at("municipality")) i.by_municipality.emplace_back(m.at(0).get<int>(), m.at(1).get<int64_t>());
  const auto routing = j.at("routing").get<std::vector<int64_t>>();
  for (size_t k = 0; k < routing.size() && k < i.by_routing.size(); ++k) i.by_routing[k] = routing[k];
  const auto reach = j.at("reach").get<std::vector<int64_t>>();
  i.reach_post = reach.at(0);
  i.reach_phone = reach.at(1);
  i.reach_email = reach.at(2);
  i.reach_none = reach.at(3);
  i.mailing_overlap_total = j.at("overlap").get<int64_t>();
  const auto types = j.at("overlap_type").get<std::vector<int64_t>>();
  for (size_t k = 0; k < types.size() && k < i.mailing_overlap_by_type.size(); ++k)
    i.mailing_overlap_by_type[k] = types[k];
  i.contact_pressure = j.at("pressure").get<int64_t>();
  i.excluded_by_objection = j.value("excluded", int64_t{0});  // (sets defined before objections: none)
  return i;
}

// A kept measurement's parameters and results (response_measurements.body).
json RateJson(const domain::Rate& r) { return json::array({r.numerator, r.denominator}); }
domain::Rate RateFromJson(const json& j) { return domain::Rate{j.at(0).get<int64_t>(), j.at(1).get<int64_t>()}; }

json MeasurementJson(const domain::KeptMeasurement& m) {
  json groups = json::array();
  for (size_t i = 0; i < m.groups.size(); ++i) {
    const domain::GroupResponse& g = m.groups[i];
    const domain::GroupLists lists = i < m.lists.size() ? m.lists[i] : domain::GroupLists{};
    json channels = json::array(), topics = json::array(), weeks = json::array(), outcomes = json::array();
    for (const auto& c : g.by_channel) channels.push_back({c.channel, c.responders, c.rate});
    for (const auto& t : g.by_topic)
      topics.push_back({t.topic, t.responders, t.rate, t.control_responders, t.control_rate});
    for (const auto& w : g.by_week) {
      weeks.push_back({w.week, IsoDay(w.week_start), w.new_responders, w.cumulative_rate, w.control_cumulative_rate});
    }
    for (const auto& o : g.outcomes) outcomes.push_back({o.outcome, o.count});
    json group{{"group", g.group},
               {"channel", g.channel},
               {"send_date", IsoDay(g.send_day)},
               {"recipient_list", lists.recipient_list},
               {"control_list", lists.control_list},
               {"dispatch_order", lists.dispatch_order},
               {"contacted", g.contacted},
               {"not_found", g.not_found},
               {"response", RateJson(g.response)},
               {"control_response", RateJson(g.control_response)},
               {"by_channel", channels},
               {"by_topic", topics},
               {"by_week", weeks},
               {"outcomes", outcomes},
               {"response_when_delivered", RateJson(g.response_when_delivered)}};
    if (g.difference) group["difference"] = {g.difference->value, g.difference->ci_low, g.difference->ci_high};
    groups.push_back(std::move(group));
  }
  return json{{"contact_reports_version", m.contact_reports_version},
              {"end_date", IsoDay(m.end_day)},
              {"response_topics", m.filter.topics},
              {"response_channels", m.filter.channels},
              {"sample_size", m.sample_size},
              {"sample_seed", std::to_string(m.sample_seed)},
              {"groups", groups},
              {"total_response", RateJson(m.total_response)},
              {"total_control_response", RateJson(m.total_control_response)}};
}

// Fills `m` from a body (MeasurementJson); throws json::exception when it is not one.
void MeasurementFromJson(const json& j, domain::KeptMeasurement* m) {
  m->contact_reports_version = j.at("contact_reports_version").get<int64_t>();
  m->end_day = ParseIsoDay(j.at("end_date").get<std::string>());
  m->filter.topics = j.at("response_topics").get<std::vector<std::string>>();
  m->filter.channels = j.at("response_channels").get<std::vector<int>>();
  m->sample_size = j.at("sample_size").get<int>();
  m->sample_seed = std::stoull(j.at("sample_seed").get<std::string>());
  for (const json& gj : j.at("groups")) {
    domain::GroupResponse g;
    g.group = gj.at("group").get<std::string>();
    g.channel = gj.at("channel").get<int>();
    g.send_day = ParseIsoDay(gj.at("send_date").get<std::string>());
    m->lists.push_back({gj.at("recipient_list").get<std::string>(), gj.at("control_list").get<std::string>(),
                        gj.at("dispatch_order").get<std::string>()});
    g.contacted = gj.at("contacted").get<int64_t>();
    g.not_found = gj.at("not_found").get<int64_t>();
    g.response = RateFromJson(gj.at("response"));
    g.control_response = RateFromJson(gj.at("control_response"));
    if (gj.contains("difference")) {
      const json& d = gj.at("difference");
      g.difference = domain::Difference{d.at(0).get<double>(), d.at(1).get<double>(), d.at(2).get<double>()};
    }
    for (const json& c : gj.at("by_channel")) {
      g.by_channel.push_back({c.at(0).get<int>(), c.at(1).get<int64_t>(), c.at(2).get<double>()});
    }
    for (const json& t : gj.at("by_topic")) {
      g.by_topic.push_back({t.at(0).get<std::string>(), t.at(1).get<int64_t>(), t.at(2).get<double>(),
                            t.at(3).get<int64_t>(), t.at(4).get<double>()});
    }
    for (const json& w : gj.at("by_week")) {
      g.by_week.push_back({w.at(0).get<int>(), ParseIsoDay(w.at(1).get<std::string>()), w.at(2).get<int64_t>(),
                           w.at(3).get<double>(), w.at(4).get<double>()});
    }
    for (const json& o : gj.at("outcomes")) g.outcomes.push_back({o.at(0).get<std::string>(), o.at(1).get<int64_t>()});
    g.response_when_delivered = RateFromJson(gj.at("response_when_delivered"));
    m->groups.push_back(std::move(g));
  }
  m->total_response = RateFromJson(j.at("total_response"));
  m->total_control_response = RateFromJson(j.at("total_control_response"));
}

absl::Status NotFound(const char* reason, const char* what) {
  return common::MakeError(absl::StatusCode::kNotFound, reason, absl::StrCat("no such ", what));
}

// Thrown through CopyOut to stop a stream whose consumer failed.
struct StopStream {
  absl::Status status;
};

}  // namespace

PgAnalysisRepository::PgAnalysisRepository(common::db::PgPool* pool, std::string schema,
                                           const common::db::ProcessingLogStore* log)
    : pool_(pool), schema_(std::move(schema)), log_(log) {}

absl::StatusOr<std::optional<std::string>> PgAnalysisRepository::FindClaim(const common::IdempotencyKey& key,
                                                                           absl::Time deadline) {
  return common::db::FindClaim(*pool_, schema_, key, deadline);
}

absl::StatusOr<domain::TargetGroupSetRecord> PgAnalysisRepository::CreateTargetGroupSet(
    const common::CallContext& call, const domain::TargetGroupSetRecord& set, const common::IdempotencyKey* key,
    const common::ProcessingRecord& record, bool* replayed) {
  std::optional<std::string> existing;
  json definition = json::array();
  for (const auto& g : set.groups) {
    definition.push_back({{"name", g.name}, {"criteria", json::parse(domain::ToJson(g.criteria))}});
  }
  json stats{{"unassigned", set.unassigned}, {"groups", json::array()}};
  for (const auto& impact : set.impacts) stats["groups"].push_back(ImpactJson(impact));
  CAK_RETURN_IF_ERROR(common::db::InTransaction(
      *pool_,
      [&](Tx& tx) -> absl::Status {
        if (key) {
          CAK_ASSIGN_OR_RETURN(existing, common::db::ClaimRequestId(tx, schema_, *key, set.id, call.start_time));
          if (existing) return absl::OkStatus();
        }
        ExecutePrepared(
            tx.sql(),
            "INSERT INTO " + schema_ +
                ".target_group_sets (id, signal, snapshot_version, reference_date, definition, statistics,"
                " defined_by, create_time) VALUES (CAST($1 AS uuid), $2, CAST($3 AS bigint),"
                " CAST($4 AS date), CAST($5 AS jsonb), CAST($6 AS jsonb), $7, " +
                schema_ + ".from_micros(CAST($8 AS bigint)))",
            {set.id, set.signal, absl::StrCat(set.snapshot_version), IsoDay(set.reference_day), definition.dump(),
             stats.dump(), set.defined_by, absl::StrCat(absl::ToUnixMicros(set.create_time))});
        log_->Append(tx, call, record);
        return absl::OkStatus();
      },
      call.deadline));
  *replayed = existing.has_value();
  if (existing) return GetTargetGroupSet(*existing, call.deadline);
  return set;
}

absl::StatusOr<domain::TargetGroupSetRecord> PgAnalysisRepository::GetTargetGroupSet(const std::string& id,
                                                                                     absl::Time deadline) {
  if (!common::IsUuid(id)) return NotFound(domain::reason::kTargetGroupSetNotFound, "target group set");
  domain::TargetGroupSetRecord set;
  bool found = false;
  CAK_RETURN_IF_ERROR(common::db::WithSession(
      *pool_,
      [&](soci::session& sql) -> absl::Status {
        const TextRows rows = ExecutePrepared(
            sql,
            "SELECT id, signal, snapshot_version, reference_date, definition, statistics, defined_by, " + schema_ +
                ".to_micros(create_time) FROM " + schema_ + ".target_group_sets WHERE id = CAST($1 AS uuid)",
            {id});
        if (rows.empty()) return absl::OkStatus();
        found = true;
        const auto& r = rows[0];
        set.id = *r[0];
        set.signal = *r[1];
        set.snapshot_version = ToInt(r[2]);
        const std::string& day = *r[3];
        set.reference_day = ParseIsoDay(day);
        try {
          for (const auto& g : json::parse(*r[4])) {
            CAK_ASSIGN_OR_RETURN(domain::Criteria criteria, domain::FromJson(g.at("criteria").dump()));
            set.groups.push_back(domain::NamedCriteria{g.at("name").get<std::string>(), std::move(criteria)});
          }
          const json stats = json::parse(*r[5]);
          set.unassigned = stats.at("unassigned").get<int64_t>();
          for (const auto& g : stats.at("groups")) set.impacts.push_back(ImpactFromJson(g));
        } catch (const json::exception& e) {
          return absl::InternalError("stored target group set unreadable");
        }
        set.defined_by = *r[6];
        set.create_time = absl::FromUnixMicros(ToInt(r[7]));
        return absl::OkStatus();
      },
      deadline));
  if (!found) return NotFound(domain::reason::kTargetGroupSetNotFound, "target group set");
  return set;
}

absl::StatusOr<domain::RecipientListRecord> PgAnalysisRepository::FreezeRecipientList(
    const common::CallContext& call, const domain::RecipientListRecord& list, const domain::SnapshotInfo& snapshot,
    const std::vector<domain::MemberRef>& members, const domain::RecipientListRecord* control,
    const std::vector<domain::MemberRef>& control_members, const common::IdempotencyKey* key,
    const common::ProcessingRecord& record, bool* replayed) {
  const absl::Time start = absl::Now();
  absl::Duration subjects_time, members_time, read_time;
  std::optional<std::string> existing;
  // The contacted members, then the control list's: one statement reads both lists, so the
  // customers version is hashed once (ordinal k of the array: position k of the contacted
  // list while k <= its size, else position k - size of the control list).
  const size_t total = members.size() + (control ? control_members.size() : 0);
  std::vector<int64_t> bsns, routings, relations;
  bsns.reserve(total);
  routings.reserve(total);
  relations.reserve(total);
  for (const auto* part : {&members, control ? &control_members : nullptr}) {
    if (!part) continue;
    for (const auto& m : *part) {
      bsns.push_back(m.bsn);
      routings.push_back(m.routing);
      relations.push_back(m.addressee_relation);
    }
  }
  // Every member, of both lists, is a data subject of the freeze (a narrow subject row each).
  // Their log ids are hashed in chunks on a thread of their own, and the transaction copies each
  // chunk in as soon as it is hashed (a retried transaction copies the same chunks again).
  constexpr size_t kHashChunk = 65536;
  struct Hashed {
    std::mutex mu;
    std::condition_variable cv;
    std::deque<std::vector<std::string>> chunks;  // (a deque: a chunk in use stays where it is)
  } hashed;
  std::future<void> hashing = std::async(std::launch::async, [&] {
    for (size_t from = 0; from < bsns.size(); from += kHashChunk) {
      std::vector<std::string> ids;
      ids.reserve(std::min(kHashChunk, bsns.size() - from));
      for (size_t i = from; i < bsns.size() && i < from + kHashChunk; ++i) {
        ids.push_back(log_->hasher().HashText(domain::FormatBsn(static_cast<int32_t>(bsns[i]))));
      }
      std::lock_guard<std::mutex> lock(hashed.mu);
      hashed.chunks.push_back(std::move(ids));
      hashed.cv.notify_all();
    }
  });
  int64_t entry_id = 0;
  const std::string customers =
      PgSnapshotRepository::VersionTable(schema_, Dataset::kCustomers, snapshot.of(Dataset::kCustomers).version);
  const bool has_relations = snapshot.of(Dataset::kRelations).version != 0;
  const std::string relation_join =
      has_relations ? " LEFT JOIN " +
                          PgSnapshotRepository::VersionTable(schema_, Dataset::kRelations,
                                                             snapshot.of(Dataset::kRelations).version) +
                          " r ON r.customer_bsn = m.bsn AND r.relation_seq = m.rel"
                    : " LEFT JOIN (SELECT NULL::integer AS customer_bsn, NULL::text AS initials, NULL::text AS"
                      " name_prefix, NULL::text AS surname, NULL::text AS street, NULL::integer AS house_number,"
                      " NULL::text AS house_number_suffix, NULL::text AS postcode, NULL::text AS city, NULL::text"
                      " AS phone) r ON false";
  // The routed addressee's fields are copied now: the list stays what was frozen, whatever
  // later imports bring. They are read on a session of their own while the transaction below
  // writes the freeze's entry and subject rows (both cores busy), as a binary COPY whose rows
  // are exactly recipient_list_members' (the same columns, in order, of the same types): the
  // transaction copies them in unparsed, and COPY inserts in batches where INSERT ... SELECT
  // inserts row by row. COPY takes no parameters: only integers and the uuids made here are
  // written into the statement.
  const std::string name_c = "concat_ws(' ', c.initials, c.name_prefix, c.surname)";
  const std::string name_r = "concat_ws(' ', r.initials, r.name_prefix, r.surname)";
  // Relations carry no salutation: a letter to a representative is addressed neutrally.
  const std::string pick_salutation = "CASE WHEN m.rel < 0 THEN c.salutation ELSE 'NEUTRAL' END";
  auto pick = [](const char* col) { return absl::StrCat("CASE WHEN m.rel < 0 THEN c.", col, " ELSE r.", col, " END"); };
  const std::string contacted = absl::StrCat(members.size());
  const std::string read_members = absl::StrCat(
      "COPY (SELECT CASE WHEN m.ord <= ", contacted, " THEN CAST('", list.id, "' AS uuid) ELSE ",
      control ? absl::StrCat("CAST('", control->id, "' AS uuid)") : std::string("NULL::uuid"),
      " END, CAST(CASE WHEN m.ord <= ", contacted, " THEN m.ord ELSE m.ord - ", contacted,
      " END AS integer), c.bsn, m.routing, c.customer_number, ", pick_salutation, ", ", name_c,
      ", CASE WHEN m.rel < 0 THEN ", name_c, " ELSE ", name_r, " END, ", pick("street"), ", ", pick("house_number"),
      ", ", pick("house_number_suffix"), ", ", pick("postcode"), ", ", pick("city"), ", ", pick("phone"),
      " FROM unnest(CAST('", common::db::IntArrayLiteral(bsns), "' AS integer[]), CAST('",
      common::db::IntArrayLiteral(routings), "' AS smallint[]), CAST('", common::db::IntArrayLiteral(relations),
      "' AS bigint[])) WITH ORDINALITY AS m(bsn, routing, rel, ord) JOIN ", customers, " c ON c.bsn = m.bsn",
      relation_join, ") TO STDOUT (FORMAT binary)");
  constexpr size_t kChunkBytes = 1 << 20;
  // (At most 16 chunks wait: the reader waits for the writer, memory stays bounded.)
  common::BoundedQueue<std::string> rows(16);
  std::future<absl::Status> reading = std::async(std::launch::async, [&] {
    absl::Status st = common::db::WithSession(
        *pool_,
        [&](soci::session& sql) -> absl::Status {
          sql << "BEGIN READ ONLY";
          // The join hashes a whole customers version: in memory, not in 32 batches on disk.
          sql << "SET LOCAL work_mem = '256MB'";
          std::string chunk;
          bool stopped = false;
          try {
            common::db::CopyOutData(sql, read_members, [&](absl::string_view data) {
              chunk.append(data.data(), data.size());
              if (chunk.size() < kChunkBytes) return;
              if (!rows.Push(std::move(chunk))) throw StopStream{absl::CancelledError("the freeze ended")};
              chunk.clear();
            });
          } catch (const StopStream&) {
            stopped = true;
          }
          if (!stopped && !chunk.empty()) rows.Push(std::move(chunk));
          read_time = absl::Now() - start;
          sql << "COMMIT";  // (after a stopped read: ends the aborted transaction)
          return absl::OkStatus();
        },
        call.deadline);
    rows.Close();
    return st;
  });
  // However the freeze ends, the reader stops and is waited for before what it uses goes.
  struct StopReading {
    common::BoundedQueue<std::string>& rows;
    std::future<absl::Status>& reading;
    ~StopReading() {
      rows.Abandon();
      if (reading.valid()) reading.wait();
    }
  } stop_reading{rows, reading};
  bool members_read = false;  // (the rows can be copied in once)
  CAK_RETURN_IF_ERROR(common::db::InTransaction(
      *pool_,
      [&](Tx& tx) -> absl::Status {
        if (key) {
          CAK_ASSIGN_OR_RETURN(existing, common::db::ClaimRequestId(tx, schema_, *key, list.id, call.start_time));
          if (existing) return absl::OkStatus();
        }
        soci::session& sql = tx.sql();
        // The freeze's entry first: both lists name it (its subjects are their members).
        const int64_t entry = entry_id = log_->AppendOperation(tx, call, record);
        for (const domain::RecipientListRecord* l : {&list, control}) {
          if (!l) continue;
          ExecutePrepared(
              sql,
              "INSERT INTO " + schema_ +
                  ".recipient_lists (id, target_group_set, group_name, snapshot_version, member_count,"
                  " checksum, frozen_by, create_time, control_list, control_of, log_entry_id, excluded_by_objection)"
                  " VALUES (CAST($1 AS uuid), CAST($2 AS uuid), $3, CAST($4 AS bigint), CAST($5 AS bigint), $6,"
                  " $7, " +
                  schema_ +
                  ".from_micros(CAST($8 AS bigint)), CAST(NULLIF($9, '') AS uuid),"
                  " CAST(NULLIF($10, '') AS uuid), CAST($11 AS bigint), CAST($12 AS bigint))",
              {l->id, l->target_group_set, l->group, absl::StrCat(l->snapshot_version), absl::StrCat(l->member_count),
               l->checksum, l->frozen_by, absl::StrCat(absl::ToUnixMicros(l->create_time)), l->control_list,
               l->control_of, absl::StrCat(entry), absl::StrCat(l->excluded_by_objection)});
        }
        // The subject rows while the members are still being read.
        const absl::Time subjects_start = absl::Now();
        for (size_t k = 0; k * kHashChunk < total; ++k) {
          std::unique_lock<std::mutex> lock(hashed.mu);
          hashed.cv.wait(lock, [&] { return hashed.chunks.size() > k; });
          const std::vector<std::string>& ids = hashed.chunks[k];
          lock.unlock();
          log_->AppendSubjectRows(tx, entry, ids);
        }
        subjects_time = absl::Now() - subjects_start;
        // The member rows stream in once: a transaction retried after they were taken ends the
        // freeze (ABORTED: the caller retries with the same request_id, a fresh freeze).
        if (members_read) return absl::AbortedError("the freeze was interrupted by a conflict; retry it");
        members_read = true;
        const absl::Time members_start = absl::Now();
        common::db::CopyIn copy(sql, "COPY " + schema_ +
                                         ".recipient_list_members (list_id, position, bsn, routing, customer_number,"
                                         " salutation, customer_name, addressee_name, street, house_number,"
                                         " house_number_suffix, postcode, city, phone) FROM STDIN (FORMAT binary)");
        std::string chunk;
        while (rows.Pop(&chunk)) copy.Write(chunk);
        CAK_RETURN_IF_ERROR(reading.get());  // (a failed read: the COPY is abandoned, nothing kept)
        const int64_t inserted = copy.End();
        members_time = absl::Now() - members_start;
        if (inserted != static_cast<int64_t>(total)) {
          // A purge since the snapshot was read removed members: the set's snapshot is gone.
          const TextRows now = ExecutePrepared(sql, "SELECT max(version) FROM " + schema_ + ".snapshots", {});
          if (ToInt(now.at(0).at(0)) != snapshot.version) {
            return common::MakeError(absl::StatusCode::kFailedPrecondition, domain::reason::kSnapshotChanged,
                                     "a newer snapshot replaced the one the target groups were defined on; define "
                                     "them again");
          }
          return absl::InternalError("recipient list members missing from their snapshot");
        }
        return absl::OkStatus();
      },
      call.deadline));
  *replayed = existing.has_value();
  if (existing) return GetRecipientList(*existing, call.deadline);
  common::log::Info("recipient_list_frozen", {{"recipient_list", list.id},
                                              {"members", list.member_count},
                                              {"subjects_ms", absl::ToInt64Milliseconds(subjects_time)},
                                              {"members_ms", absl::ToInt64Milliseconds(members_time)},
                                              {"read_ms", absl::ToInt64Milliseconds(read_time)},
                                              {"total_ms", absl::ToInt64Milliseconds(absl::Now() - start)}});
  domain::RecipientListRecord frozen = list;
  frozen.log_entry_id = entry_id;
  return frozen;
}

// ---------------------------------------------------------------------------------------------
// The objection register

namespace {

constexpr char kObjectionColumns[] =
    "kind, scope, reason, received_date, ${s}.to_micros(record_time), recorded_by, ${s}.to_micros(lift_time),"
    " coalesce(lift_reason, ''), coalesce(lifted_by, '')";

common::ObjectionState ObjectionFromRow(const std::vector<std::optional<std::string>>& r) {
  common::ObjectionState o;
  o.kind = static_cast<common::ObjectionKind>(ToInt(r[0]));
  o.scope = static_cast<common::ObjectionScope>(ToInt(r[1]));
  o.reason = *r[2];
  o.received_day = ParseIsoDay(*r[3]);
  o.record_time = absl::FromUnixMicros(ToInt(r[4]));
  o.recorded_by = *r[5];
  if (r[6]) o.lift_time = absl::FromUnixMicros(ToInt(r[6]));
  o.lift_reason = *r[7];
  o.lifted_by = *r[8];
  return o;
}

}  // namespace

std::string PgAnalysisRepository::Q(absl::string_view sql) const {
  return absl::StrReplaceAll(sql, {{"${s}", schema_}});
}

void PgAnalysisRepository::BumpObjectionRegister(Tx& tx) const {
  ExecutePrepared(tx.sql(), Q("UPDATE ${s}.objection_register SET version = version + 1"), {});
}

absl::StatusOr<int64_t> PgAnalysisRepository::ObjectionRegisterVersion(absl::Time deadline) {
  int64_t version = 0;
  CAK_RETURN_IF_ERROR(common::db::WithSession(
      *pool_,
      [&](soci::session& sql) -> absl::Status {
        const TextRows rows = ExecutePrepared(sql, Q("SELECT version FROM ${s}.objection_register"), {});
        version = ToInt(rows.at(0).at(0));
        return absl::OkStatus();
      },
      deadline));
  return version;
}

absl::StatusOr<std::vector<domain::ActiveObjection>> PgAnalysisRepository::ActiveObjections(absl::Time deadline) {
  std::vector<domain::ActiveObjection> out;
  CAK_RETURN_IF_ERROR(common::db::WithSession(
      *pool_,
      [&](soci::session& sql) -> absl::Status {
        for (const auto& r : ExecutePrepared(
                 sql, Q("SELECT bsn, scope FROM ${s}.objections WHERE lift_time IS NULL ORDER BY bsn"), {})) {
          out.push_back({static_cast<int32_t>(ToInt(r[0])), static_cast<common::ObjectionScope>(ToInt(r[1]))});
        }
        return absl::OkStatus();
      },
      deadline));
  return out;
}

absl::StatusOr<std::pair<common::ObjectionState, bool>> PgAnalysisRepository::RecordObjection(
    int32_t bsn, const common::ObjectionState& o, absl::Time deadline) {
  std::pair<common::ObjectionState, bool> out;
  CAK_RETURN_IF_ERROR(common::db::InTransaction(
      *pool_,
      [&](Tx& tx) -> absl::Status {
        // At most one active row per person (the partial unique index): a concurrent record of
        // the same person waits here and then finds the other's row.
        const TextRows inserted = ExecutePrepared(
            tx.sql(),
            Q("INSERT INTO ${s}.objections (id, bsn, kind, scope, reason, received_date, record_time, recorded_by)"
              " VALUES (CAST($1 AS uuid), CAST($2 AS integer), CAST($3 AS smallint), CAST($4 AS smallint), $5,"
              " CAST($6 AS date), ${s}.from_micros(CAST($7 AS bigint)), $8)"
              " ON CONFLICT (bsn) WHERE lift_time IS NULL DO NOTHING RETURNING 1"),
            {common::NewUuid(), absl::StrCat(bsn), absl::StrCat(static_cast<int>(o.kind)),
             absl::StrCat(static_cast<int>(o.scope)), o.reason, IsoDay(o.received_day),
             absl::StrCat(absl::ToUnixMicros(o.record_time)), o.recorded_by});
        out.second = !inserted.empty();
        if (out.second) BumpObjectionRegister(tx);
        const TextRows active = ExecutePrepared(
            tx.sql(),
            Q(absl::StrCat("SELECT ", kObjectionColumns,
                           " FROM ${s}.objections WHERE bsn = CAST($1 AS integer) AND lift_time IS NULL")),
            {absl::StrCat(bsn)});
        if (active.empty()) return absl::AbortedError("the objection was lifted concurrently; try again");
        out.first = ObjectionFromRow(active[0]);
        return absl::OkStatus();
      },
      deadline));
  return out;
}

absl::StatusOr<std::optional<common::ObjectionState>> PgAnalysisRepository::LiftObjection(
    int32_t bsn, const common::ObjectionState& lift, absl::Time deadline) {
  std::optional<common::ObjectionState> out;
  CAK_RETURN_IF_ERROR(common::db::InTransaction(
      *pool_,
      [&](Tx& tx) -> absl::Status {
        const TextRows lifted = ExecutePrepared(
            tx.sql(),
            Q(absl::StrCat(
                "UPDATE ${s}.objections SET lift_time = ${s}.from_micros(CAST($2 AS bigint)),"
                " lift_reason = $3, lifted_by = $4 WHERE bsn = CAST($1 AS integer) AND lift_time IS NULL RETURNING ",
                kObjectionColumns)),
            {absl::StrCat(bsn), absl::StrCat(absl::ToUnixMicros(*lift.lift_time)), lift.lift_reason, lift.lifted_by});
        if (!lifted.empty()) {
          out = ObjectionFromRow(lifted[0]);
          BumpObjectionRegister(tx);
        }
        return absl::OkStatus();
      },
      deadline));
  return out;
}

// ---------------------------------------------------------------------------------------------
// Erasure

absl::StatusOr<domain::ErasureCounts> PgAnalysisRepository::EraseCustomer(const common::CallContext& call, int32_t bsn,
                                                                          const std::string& subject_key,
                                                                          absl::CivilDay today, bool dry_run,
                                                                          const common::ProcessingRecord& removal) {
  domain::ErasureCounts c;
  const std::string b = absl::StrCat(bsn);
  CAK_RETURN_IF_ERROR(common::db::InTransaction(
      *pool_,
      [&](Tx& tx) -> absl::Status {
        soci::session& sql = tx.sql();
        auto count = [&](const std::string& from_where) {
          return ToInt(ExecutePrepared(sql, Q("SELECT count(*) FROM " + from_where), {b}).at(0).at(0));
        };
        auto remove = [&](const std::string& from_where) {
          return ToInt(ExecutePrepared(
                           sql, Q("WITH d AS (DELETE FROM " + from_where + " RETURNING 1) SELECT count(*) FROM d"), {b})
                           .at(0)
                           .at(0));
        };
        // Every version table still present (or, dry run, what would go from them).
        const auto counts = ExecutePrepared(sql,
                                            Q("SELECT c[1], c[2], c[3], c[4] FROM (SELECT ${s}.erase_customer("
                                              "CAST($1 AS integer), CAST($2 AS boolean)) AS c) x"),
                                            {b, dry_run ? "true" : "false"})
                                .at(0);
        c.customers = ToInt(counts[0]);
        c.relations = ToInt(counts[1]);
        c.mailings = ToInt(counts[2]);
        c.contact_reports = ToInt(counts[3]);
        const auto step = [&](const char* table) {
          const std::string where = absl::StrCat("${s}.", table, " WHERE bsn = CAST($1 AS integer)");
          return dry_run ? count(where) : remove(where);
        };
        c.sample_members = step("sample_members");
        c.list_members = step("recipient_list_members");
        c.objections = step("objections");
        // Target-group definitions that name them (customer_in): the BSN taken out of the stored
        // criteria (a text match finds the candidates; the criteria decide).
        for (const auto& r :
             ExecutePrepared(sql,
                             Q("SELECT id, definition::text FROM ${s}.target_group_sets WHERE definition::text ~"
                               " ('(^|[^0-9])' || $1 || '([^0-9]|$)') ORDER BY id FOR UPDATE"),
                             {b})) {
          json definition = json::parse(r[1].value_or("[]"));
          bool named = false;
          for (json& group : definition) {
            CAK_ASSIGN_OR_RETURN(domain::Criteria criteria, domain::FromJson(group.at("criteria").dump()));
            if (!domain::RemoveNamedCustomer(&criteria, bsn)) continue;
            named = true;
            group["criteria"] = json::parse(domain::ToJson(criteria));
          }
          if (!named) continue;
          ++c.target_group_sets;
          if (!dry_run) {
            ExecutePrepared(sql, Q("UPDATE ${s}.target_group_sets SET definition = CAST($2 AS jsonb) WHERE id = $1"),
                            {*r[0], definition.dump()});
          }
        }
        if (dry_run) return absl::OkStatus();
        if (c.objections > 0) BumpObjectionRegister(tx);
        ExecutePrepared(
            sql,
            Q("INSERT INTO ${s}.tombstones (subject_key, reason, removed_on) VALUES ($1, 1, CAST($2 AS date))"
              " ON CONFLICT (subject_key) DO UPDATE SET reason = 1, removed_on = EXCLUDED.removed_on"
              " WHERE tombstones.reason <> 1"),
            {subject_key, IsoDay(today)});
        log_->Append(tx, call, removal);  // the removal feed's entry (ListSubjectRemovals)
        return absl::OkStatus();
      },
      call.deadline));
  return c;
}

absl::StatusOr<absl::flat_hash_map<std::string, domain::Tombstone>> PgAnalysisRepository::Tombstones(
    absl::Time deadline) {
  absl::flat_hash_map<std::string, domain::Tombstone> out;
  CAK_RETURN_IF_ERROR(common::db::WithSession(
      *pool_,
      [&](soci::session& sql) -> absl::Status {
        for (const auto& r : ExecutePrepared(
                 sql, Q("SELECT subject_key, reason, to_char(removed_on, 'YYYY-MM-DD') FROM ${s}.tombstones"), {})) {
          out[*r[0]] = domain::Tombstone{static_cast<domain::TombstoneReason>(ToInt(r[1])), ParseIsoDay(*r[2])};
        }
        return absl::OkStatus();
      },
      deadline));
  return out;
}

absl::StatusOr<std::vector<common::SubjectRemoval>> PgAnalysisRepository::SubjectRemovals(
    const common::RemovalPosition& after, int limit, absl::Time deadline) {
  std::vector<common::SubjectRemoval> out;
  CAK_RETURN_IF_ERROR(common::db::WithSession(
      *pool_,
      [&](soci::session& sql) -> absl::Status {
        // Only final rows (export_horizon, common migration 0008): a transaction that commits
        // after a later one was read still sorts after the follower's position.
        for (const auto& r :
             ExecutePrepared(sql,
                             Q("SELECT tx, id, data_subject_id, name, ${s}.to_micros(end_time) FROM ${s}.processing_log"
                               " WHERE name IN ('analysis.PurgeInactiveCustomers', 'analysis.EraseCustomer')"
                               " AND data_subject_id IS NOT NULL AND status = 1 AND tx < ${s}.export_horizon()"
                               " AND (tx, id) > (CAST($1 AS bigint), CAST($2 AS bigint)) ORDER BY tx, id LIMIT CAST($3 "
                               "AS integer)"),
                             {absl::StrCat(after.transaction), absl::StrCat(after.entry_id), absl::StrCat(limit)})) {
          common::SubjectRemoval removal;
          removal.position = {ToInt(r[0]), ToInt(r[1])};
          removal.data_subject_id = *r[2];
          removal.cause =
              *r[3] == "analysis.EraseCustomer" ? common::RemovalCause::kErased : common::RemovalCause::kPastRetention;
          removal.removal_time = absl::FromUnixMicros(ToInt(r[4]));
          out.push_back(std::move(removal));
        }
        return absl::OkStatus();
      },
      deadline));
  return out;
}

absl::StatusOr<domain::RecipientListRecord> PgAnalysisRepository::GetRecipientList(const std::string& id,
                                                                                   absl::Time deadline) {
  if (!common::IsUuid(id)) return NotFound(domain::reason::kRecipientListNotFound, "recipient list");
  domain::RecipientListRecord list;
  bool found = false;
  CAK_RETURN_IF_ERROR(common::db::WithSession(
      *pool_,
      [&](soci::session& sql) -> absl::Status {
        const TextRows rows = ExecutePrepared(
            sql,
            "SELECT id, target_group_set, group_name, snapshot_version, member_count, checksum, frozen_by, " + schema_ +
                ".to_micros(create_time), control_list, control_of, (SELECT p.id FROM " + schema_ +
                ".processing_log p WHERE p.id = l.log_entry_id), excluded_by_objection FROM " + schema_ +
                ".recipient_lists l WHERE id = CAST($1 AS uuid)",
            {id});
        if (rows.empty()) return absl::OkStatus();
        found = true;
        const auto& r = rows[0];
        list.id = *r[0];
        list.target_group_set = *r[1];
        list.group = *r[2];
        list.snapshot_version = ToInt(r[3]);
        list.member_count = ToInt(r[4]);
        list.checksum = *r[5];
        list.frozen_by = *r[6];
        list.create_time = absl::FromUnixMicros(ToInt(r[7]));
        list.control_list = r[8].value_or("");
        list.control_of = r[9].value_or("");
        list.log_entry_id = r[10] ? ToInt(r[10]) : 0;  // 0: none, or purged from the log since
        list.excluded_by_objection = ToInt(r[11]);
        return absl::OkStatus();
      },
      deadline));
  if (!found) return NotFound(domain::reason::kRecipientListNotFound, "recipient list");
  return list;
}

absl::Status PgAnalysisRepository::StreamMembers(
    const std::string& list_id, int64_t after_position, int64_t until_position, int batch_size,
    const std::function<absl::Status(std::vector<domain::RecipientRow>&)>& batch) {
  if (!common::IsUuid(list_id)) return NotFound(domain::reason::kRecipientListNotFound, "recipient list");
  absl::Status consumer;
  absl::Status st = common::db::WithSession(*pool_, [&](soci::session& sql) -> absl::Status {
    // Settings for this stream only (SET LOCAL), in a read-only transaction: whatever ends
    // the stream, they do not stay behind on the pooled session.
    sql << "BEGIN READ ONLY";
    sql << "SET LOCAL statement_timeout = 0";  // the stream lasts as long as the client reads
    // Read in key order straight from the primary key: a list just frozen has no statistics
    // yet, and the planner would otherwise sort half a million rows on disk.
    sql << "SET LOCAL enable_bitmapscan = off";
    std::vector<domain::RecipientRow> rows;
    rows.reserve(static_cast<size_t>(batch_size));
    auto flush = [&] {
      if (rows.empty()) return;
      absl::Status s = batch(rows);
      rows.clear();
      if (!s.ok()) throw StopStream{s};
    };
    try {
      // Both values are checked (uuid, integer) before they are written into the statement:
      // COPY takes no parameters.
      common::db::CopyOut(
          sql,
          absl::StrCat(
              "COPY (SELECT position, bsn, routing, customer_number, salutation, customer_name, addressee_name,"
              " street, house_number, house_number_suffix, postcode, city, phone FROM ",
              schema_, ".recipient_list_members WHERE list_id = '", list_id, "' AND position > ", after_position,
              until_position > 0 ? absl::StrCat(" AND position <= ", until_position) : std::string(),
              " ORDER BY position) TO STDOUT"),
          [&](const common::db::CopyRow& r) {
            domain::RecipientRow& m = rows.emplace_back();
            m.position = ToInt(r.fields[0]);
            m.bsn = static_cast<int32_t>(ToInt(r.fields[1]));
            m.routing = static_cast<uint8_t>(ToInt(r.fields[2]));
            m.customer_number = std::string(r.fields[3]);
            m.salutation = static_cast<uint8_t>(domain::ParseSalutation(r.fields[4]).value_or(0));
            m.customer_name = std::string(r.fields[5]);
            m.addressee_name = std::string(r.fields[6]);
            m.street = std::string(r.fields[7]);
            m.house_number = static_cast<int32_t>(ToInt(r.fields[8]));
            m.house_number_suffix = std::string(r.fields[9]);
            m.postcode = std::string(r.fields[10]);
            m.city = std::string(r.fields[11]);
            m.phone = std::string(r.fields[12]);
            if (static_cast<int>(rows.size()) >= batch_size) flush();
          });
      flush();
    } catch (const StopStream& stop) {
      consumer = stop.status;
    }
    sql << "COMMIT";  // (after a stopped stream: ends the aborted transaction)
    return absl::OkStatus();
  });
  if (!consumer.ok()) return consumer;
  return st;
}

absl::StatusOr<std::vector<int32_t>> PgAnalysisRepository::MemberBsns(const std::string& list_id, int64_t member_count,
                                                                      absl::Time deadline) {
  if (!common::IsUuid(list_id)) return NotFound(domain::reason::kRecipientListNotFound, "recipient list");
  std::vector<int32_t> bsns(static_cast<size_t>(std::max<int64_t>(member_count, 0)), 0);
  CAK_RETURN_IF_ERROR(common::db::WithSession(
      *pool_,
      [&](soci::session& sql) -> absl::Status {
        // Only the key: two integers a member, straight from the list's primary-key range, in
        // any order (placed by position). The id is checked (a uuid) before it is written into
        // the statement: COPY takes no parameters.
        common::db::CopyOut(sql,
                            absl::StrCat("COPY (SELECT position, bsn FROM ", schema_,
                                         ".recipient_list_members WHERE list_id = '", list_id, "') TO STDOUT"),
                            [&](const common::db::CopyRow& r) {
                              const int64_t position = ToInt(r.fields[0]);
                              if (position >= 1 && position <= static_cast<int64_t>(bsns.size())) {
                                bsns[static_cast<size_t>(position - 1)] = static_cast<int32_t>(ToInt(r.fields[1]));
                              }
                            });
        return absl::OkStatus();
      },
      deadline));
  return bsns;
}

absl::StatusOr<std::vector<domain::CustomerDetails>> PgAnalysisRepository::CustomerDetailsOf(
    const domain::SnapshotInfo& snapshot, const std::vector<int32_t>& bsns, absl::Time deadline) {
  std::vector<domain::CustomerDetails> out;
  if (bsns.empty()) return out;
  std::vector<int64_t> ids(bsns.begin(), bsns.end());
  CAK_RETURN_IF_ERROR(common::db::WithSession(
      *pool_,
      [&](soci::session& sql) -> absl::Status {
        const TextRows rows = ExecutePrepared(
            sql,
            "SELECT bsn, initials, name_prefix, surname, street, house_number, house_number_suffix, postcode, city,"
            " debt_cents, payment_plan, customer_number FROM " +
                PgSnapshotRepository::VersionTable(schema_, Dataset::kCustomers,
                                                   snapshot.of(Dataset::kCustomers).version) +
                " WHERE bsn = ANY(CAST($1 AS integer[]))",
            {common::db::IntArrayLiteral(ids)});
        for (const auto& r : rows) {
          domain::CustomerDetails d;
          d.bsn = static_cast<int32_t>(ToInt(r[0]));
          d.initials = r[1].value_or("");
          d.name_prefix = r[2].value_or("");
          d.surname = r[3].value_or("");
          d.street = r[4].value_or("");
          d.house_number = static_cast<int32_t>(ToInt(r[5]));
          d.house_number_suffix = r[6].value_or("");
          d.postcode = r[7].value_or("");
          d.city = r[8].value_or("");
          d.debt_cents = ToInt(r[9]);
          d.payment_plan = r[10].value_or("f") == "t";
          d.customer_number = r[11].value_or("");
          out.push_back(std::move(d));
        }
        return absl::OkStatus();
      },
      deadline));
  return out;
}

absl::StatusOr<domain::SubjectRows> PgAnalysisRepository::SubjectRowsOf(const domain::SnapshotInfo& snapshot,
                                                                        int32_t bsn, absl::Time deadline) {
  domain::SubjectRows out;
  const std::string key = absl::StrCat(bsn);
  CAK_RETURN_IF_ERROR(common::db::WithSession(
      *pool_,
      [&](soci::session& sql) -> absl::Status {
        auto rows = [&](const std::string& select, std::vector<common::SubjectRow>* into) {
          *into = common::db::SelectAsText(sql, select, {key});
        };
        auto version = [&](Dataset d) {
          return PgSnapshotRepository::VersionTable(schema_, d, snapshot.of(d).version);
        };
        if (snapshot.of(Dataset::kCustomers).version != 0) {
          // Every column of the record, the BSN as its 9 digits.
          rows(
              "SELECT lpad(bsn::text, 9, '0') AS bsn, customer_number, salutation, initials, name_prefix, surname,"
              " street, house_number, house_number_suffix, postcode, city, phone, email, regulation,"
              " municipality_code, birth_date, debt_cents, payment_plan, iban, care_summary, active, inactive_since"
              " FROM " +
                  version(Dataset::kCustomers) + " WHERE bsn = CAST($1 AS integer)",
              &out.customer);
        }
        if (snapshot.of(Dataset::kRelations).version != 0) {
          rows(
              "SELECT kind, initials, name_prefix, surname, street, house_number, house_number_suffix, postcode, city,"
              " phone, email, routing FROM " +
                  version(Dataset::kRelations) + " WHERE customer_bsn = CAST($1 AS integer) ORDER BY relation_seq",
              &out.relations);
        }
        // Mailings and contact reports have no index by customer: an access request is rare, a
        // scan of one version is a few seconds at most.
        if (snapshot.of(Dataset::kMailings).version != 0) {
          rows("SELECT mailing_type, planned_date FROM " + version(Dataset::kMailings) +
                   " WHERE customer_bsn = CAST($1 AS integer) ORDER BY planned_date",
               &out.mailings);
        }
        if (snapshot.of(Dataset::kContactReports).version != 0) {
          rows("SELECT channel, topic, contact_time, reached FROM " + version(Dataset::kContactReports) +
                   " WHERE customer_bsn = CAST($1 AS integer) ORDER BY contact_time",
               &out.contact_reports);
        }
        rows("SELECT 'samples/' || s.id AS sample, s.purpose, s.create_time, s.full_view, m.position FROM " + schema_ +
                 ".sample_members m JOIN " + schema_ +
                 ".samples s ON s.id = m.sample_id WHERE m.bsn = CAST($1 AS integer) ORDER BY s.create_time",
             &out.samples);
        rows(
            "SELECT 'recipientLists/' || l.id AS recipient_list, l.group_name, l.create_time,"
            " l.control_of IS NOT NULL AS control_list, m.position, m.routing, m.customer_number, m.salutation,"
            " m.customer_name, m.addressee_name, m.street, m.house_number, m.house_number_suffix, m.postcode, m.city,"
            " m.phone FROM " +
                schema_ + ".recipient_list_members m JOIN " + schema_ +
                ".recipient_lists l ON l.id = m.list_id WHERE m.bsn = CAST($1 AS integer) ORDER BY l.create_time",
            &out.recipient_lists);
        rows(
            "SELECT kind AS objection_kind, scope AS objection_scope, reason, received_date, record_time, recorded_by, "
            "lift_time, lift_reason FROM " +
                schema_ + ".objections WHERE bsn = CAST($1 AS integer) ORDER BY record_time",
            &out.objections);
        return absl::OkStatus();
      },
      deadline));
  return out;
}

absl::Status PgAnalysisRepository::SaveSample(const common::CallContext& call, const domain::SampleRecord& sample,
                                              const common::ProcessingRecord& record) {
  std::vector<int64_t> bsns(sample.member_bsns.begin(), sample.member_bsns.end());
  return common::db::InTransaction(
      *pool_,
      [&](Tx& tx) -> absl::Status {
        ExecutePrepared(
            tx.sql(),
            "INSERT INTO " + schema_ +
                ".samples (id, snapshot_version, seed, stratification, requested_size, population,"
                " full_view, purpose, created_by, create_time, excluded_by_objection) VALUES"
                " (CAST($1 AS uuid), CAST($2 AS bigint), CAST($3 AS numeric), CAST($4 AS smallint),"
                " CAST($5 AS integer), CAST($6 AS bigint), CAST($7 AS boolean), $8, $9, " +
                schema_ + ".from_micros(CAST($10 AS bigint)), CAST($11 AS bigint))",
            {sample.id, absl::StrCat(sample.snapshot_version), absl::StrCat(sample.seed),
             absl::StrCat(sample.stratification), absl::StrCat(sample.requested_size), absl::StrCat(sample.population),
             sample.full_view ? "true" : "false", sample.purpose, sample.created_by,
             absl::StrCat(absl::ToUnixMicros(sample.create_time)), absl::StrCat(sample.excluded_by_objection)});
        ExecutePrepared(tx.sql(),
                        "INSERT INTO " + schema_ +
                            ".sample_members (sample_id, position, bsn) SELECT CAST($1 AS uuid), m.pos, m.bsn"
                            " FROM unnest(CAST($2 AS integer[])) WITH ORDINALITY AS m(bsn, pos)",
                        {sample.id, common::db::IntArrayLiteral(bsns)});
        log_->Append(tx, call, record);
        return absl::OkStatus();
      },
      call.deadline);
}

absl::Status PgAnalysisRepository::AppendLog(const common::CallContext& call, const common::ProcessingRecord& record) {
  return common::db::InTransaction(
      *pool_,
      [&](Tx& tx) -> absl::Status {
        log_->Append(tx, call, record);
        return absl::OkStatus();
      },
      call.deadline);
}

absl::Status PgAnalysisRepository::AppendLogWithSubjectRows(const common::CallContext& call,
                                                            const common::ProcessingRecord& record) {
  return common::db::InTransaction(
      *pool_,
      [&](Tx& tx) -> absl::Status {
        log_->AppendWithSubjectRows(tx, call, record);
        return absl::OkStatus();
      },
      call.deadline);
}

absl::Status PgAnalysisRepository::SaveMeasurement(const common::CallContext& call, const domain::KeptMeasurement& m,
                                                   const common::ProcessingRecord& record) {
  const std::string body = MeasurementJson(m).dump();
  return common::db::InTransaction(
      *pool_,
      [&](Tx& tx) -> absl::Status {
        ExecutePrepared(tx.sql(),
                        Q("INSERT INTO ${s}.response_measurements (id, campaign, measure_time, measured_by,"
                          " snapshot_version, body) VALUES (CAST($1 AS uuid), $2, ${s}.from_micros(CAST($3 AS bigint)),"
                          " $4, CAST($5 AS bigint), CAST($6 AS jsonb))"),
                        {m.id, m.campaign, absl::StrCat(absl::ToUnixMicros(m.measure_time)), m.measured_by,
                         absl::StrCat(m.snapshot_version), body});
        log_->AppendWithSubjectRows(tx, call, record);
        return absl::OkStatus();
      },
      call.deadline);
}

namespace {

// The columns MeasurementsFromRows reads, in its order.
constexpr char kMeasurementColumns[] =
    "id, campaign, ${s}.to_micros(measure_time), measured_by, snapshot_version, body";

absl::StatusOr<std::vector<domain::KeptMeasurement>> MeasurementsFromRows(const TextRows& rows) {
  std::vector<domain::KeptMeasurement> out;
  for (const auto& r : rows) {
    domain::KeptMeasurement m;
    m.id = *r[0];
    m.campaign = *r[1];
    m.measure_time = absl::FromUnixMicros(ToInt(r[2]));
    m.measured_by = *r[3];
    m.snapshot_version = ToInt(r[4]);
    try {
      MeasurementFromJson(json::parse(*r[5]), &m);
    } catch (const std::exception& e) {
      return absl::InternalError("stored response measurement unreadable");
    }
    out.push_back(std::move(m));
  }
  return out;
}

}  // namespace

absl::StatusOr<domain::KeptMeasurement> PgAnalysisRepository::GetMeasurement(const std::string& id,
                                                                             absl::Time deadline) {
  if (!common::IsUuid(id)) return NotFound(domain::reason::kResponseMeasurementNotFound, "response measurement");
  absl::StatusOr<std::vector<domain::KeptMeasurement>> found;
  CAK_RETURN_IF_ERROR(common::db::WithSession(
      *pool_,
      [&](soci::session& sql) -> absl::Status {
        found = MeasurementsFromRows(
            ExecutePrepared(sql,
                            Q(absl::StrCat("SELECT ", kMeasurementColumns,
                                           " FROM ${s}.response_measurements WHERE id = CAST($1 AS uuid)")),
                            {id}));
        return absl::OkStatus();
      },
      deadline));
  if (!found.ok()) return found.status();
  if (found->empty()) return NotFound(domain::reason::kResponseMeasurementNotFound, "response measurement");
  return std::move(found->front());
}

absl::StatusOr<std::vector<domain::KeptMeasurement>> PgAnalysisRepository::ListMeasurements(
    const std::string& campaign, const std::optional<std::pair<absl::Time, std::string>>& after, int limit,
    absl::Time deadline) {
  absl::StatusOr<std::vector<domain::KeptMeasurement>> found;
  CAK_RETURN_IF_ERROR(common::db::WithSession(
      *pool_,
      [&](soci::session& sql) -> absl::Status {
        found = MeasurementsFromRows(ExecutePrepared(
            sql,
            Q(absl::StrCat("SELECT ", kMeasurementColumns,
                           " FROM ${s}.response_measurements WHERE campaign = $1"
                           " AND ($2 = '' OR (measure_time, id) < (${s}.from_micros(CAST(NULLIF($2, '') AS bigint)),"
                           " CAST(NULLIF($3, '') AS uuid)))"
                           " ORDER BY measure_time DESC, id DESC LIMIT CAST($4 AS integer)")),
            {campaign, after ? absl::StrCat(absl::ToUnixMicros(after->first)) : std::string(),
             after ? after->second : std::string(), absl::StrCat(limit)}));
        return absl::OkStatus();
      },
      deadline));
  return found;
}

absl::StatusOr<int64_t> PgAnalysisRepository::StartDisclosure(const common::CallContext& call,
                                                              const common::ProcessingRecord& record) {
  int64_t id = 0;
  CAK_RETURN_IF_ERROR(common::db::InTransaction(
      *pool_,
      [&](Tx& tx) -> absl::Status {
        id = log_->AppendOperation(tx, call, record);
        return absl::OkStatus();
      },
      call.deadline));
  return id;
}

absl::Status PgAnalysisRepository::LogDisclosed(int64_t entry_id, const std::vector<common::Bsn>& subjects,
                                                absl::Time deadline) {
  return common::db::WithSession(
      *pool_,
      [&](soci::session& sql) {
        log_->AppendSubjects(sql, entry_id, subjects);  // one COPY: its own transaction
        return absl::OkStatus();
      },
      deadline);
}

absl::StatusOr<domain::PurgeCounts> PgAnalysisRepository::PurgeCustomers(const common::CallContext& call,
                                                                         absl::CivilDay cutoff, absl::CivilDay today,
                                                                         bool dry_run, common::ProcessingRecord record,
                                                                         const TombstoneKeyOf& tombstone_key) {
  domain::PurgeCounts counts;
  CAK_RETURN_IF_ERROR(common::db::InTransaction(
      *pool_,
      [&](Tx& tx) -> absl::Status {
        soci::session& sql = tx.sql();
        sql << "SET LOCAL statement_timeout = 0";
        const TextRows current = ExecutePrepared(
            sql,
            "SELECT customers_version, relations_version FROM " + schema_ + ".snapshots ORDER BY version DESC LIMIT 1",
            {});
        if (current.empty() || !current[0][0]) return absl::OkStatus();  // nothing imported yet
        // Who is past retention now (for a dry run: the answer; for a purge: to count their
        // relations before they go; the owner's function decides again under its lock).
        std::string expired = ExecutePrepared(sql,
                                              "SELECT coalesce(array_agg(bsn ORDER BY bsn), '{}')::text FROM " +
                                                  schema_ + ".customers_v" + *current[0][0] +
                                                  " WHERE NOT active AND inactive_since < CAST($1 AS date)",
                                              {IsoDay(cutoff)})
                                  .at(0)
                                  .at(0)
                                  .value_or("{}");
        if (current[0][1]) {
          counts.relations = ToInt(ExecutePrepared(sql,
                                                   "SELECT count(*) FROM " + schema_ + ".relations_v" + *current[0][1] +
                                                       " WHERE customer_bsn = ANY(CAST($1 AS integer[]))",
                                                   {expired})
                                       .at(0)
                                       .at(0));
        }
        if (!dry_run) {
          expired =
              ExecutePrepared(sql, "SELECT " + schema_ + ".purge_customers(CAST($1 AS date))::text", {IsoDay(cutoff)})
                  .at(0)
                  .at(0)
                  .value_or("{}");
        }
        const std::string verb = dry_run ? "SELECT count(*) FROM " : "WITH d AS (DELETE FROM ";
        const std::string tail = dry_run ? "" : " RETURNING 1) SELECT count(*) FROM d";
        counts.sample_members =
            ToInt(ExecutePrepared(sql, verb + schema_ + ".sample_members WHERE bsn = ANY(CAST($1 AS integer[]))" + tail,
                                  {expired})
                      .at(0)
                      .at(0));
        counts.list_members =
            ToInt(ExecutePrepared(
                      sql, verb + schema_ + ".recipient_list_members WHERE bsn = ANY(CAST($1 AS integer[]))" + tail,
                      {expired})
                      .at(0)
                      .at(0));
        // "{1,2,3}" -> the customers
        const absl::string_view inner = absl::string_view(expired).substr(1, expired.size() - 2);
        std::vector<std::string> keys;
        for (absl::string_view b : absl::StrSplit(inner, ',', absl::SkipEmpty())) {
          ++counts.customers;
          if (dry_run) continue;
          record.data_subjects.push_back(domain::BsnOf(static_cast<int32_t>(ToInt(b))));
          keys.push_back(tombstone_key(record.data_subjects.back()));
        }
        if (dry_run) return absl::OkStatus();  // only counted
        // So that the next import does not bring them back (unless it shows them active again);
        // an erasure's tombstone stays as it is.
        ExecutePrepared(sql,
                        Q("INSERT INTO ${s}.tombstones (subject_key, reason, removed_on)"
                          " SELECT k, 2, CAST($2 AS date) FROM unnest(CAST($1 AS text[])) k"
                          " ON CONFLICT (subject_key) DO UPDATE SET removed_on = EXCLUDED.removed_on"
                          " WHERE tombstones.reason = 2"),
                        {common::db::TextArrayLiteral(keys), IsoDay(today)});
        log_->Append(tx, call, record);  // also the removal feed's entry (ListSubjectRemovals)
        return absl::OkStatus();
      },
      call.deadline));
  return counts;
}

}  // namespace cak::analysis::storage
