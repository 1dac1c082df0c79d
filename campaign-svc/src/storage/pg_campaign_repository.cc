// PostgreSQL campaign repository (see pg_campaign_repository.h).
#include "campaign-svc/src/storage/pg_campaign_repository.h"

#include <nlohmann/json.hpp>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "campaign-svc/src/domain/campaign_service.h"
#include "campaign-svc/src/domain/reasons.h"
#include "common/base/errors.h"
#include "common/db/idempotency.h"
#include "common/db/json_rows.h"
#include "common/db/outbox.h"
#include "common/db/prepared.h"
#include "common/db/sql_array.h"
#include "common/db/sql_values.h"

namespace cak::campaign::storage {

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
using nlohmann::json;
namespace reason = domain::reason;

using Row = std::vector<std::optional<std::string>>;

int64_t JsonMicros(absl::Time t) { return absl::ToUnixMicros(t); }

json DayJson(const std::optional<absl::CivilDay>& d) { return d ? json(IsoDay(*d)) : json(nullptr); }
std::optional<absl::CivilDay> DayFrom(const json& j) {
  if (!j.is_string()) return std::nullopt;
  return ParseIsoDay(j.get<std::string>());
}

json MessageJson(const domain::MessageVersion& m) {
  return {{"version", m.version}, {"text", m.text}, {"author", m.author}, {"create_time", JsonMicros(m.create_time)}};
}
domain::MessageVersion MessageFrom(const json& j) {
  domain::MessageVersion m;
  m.version = j.at("version").get<int>();
  m.text = j.at("text").get<std::string>();
  m.author = j.at("author").get<std::string>();
  m.create_time = absl::FromUnixMicros(j.at("create_time").get<int64_t>());
  return m;
}

json FeasibilityJson(const domain::GroupFeasibility& f) {
  return {{"check_id", f.check_id},
          {"state", static_cast<int>(f.state)},
          {"feasible", f.feasible},
          {"earliest_start", DayJson(f.earliest_start)},
          {"reasons", f.reasons},
          {"decided_by", f.decided_by},
          {"decision_comment", f.decision_comment},
          {"volume", f.volume},
          {"action", static_cast<int>(f.action)},
          {"window_start", IsoDay(f.window_start)},
          {"window_end", IsoDay(f.window_end)},
          {"guidelines", f.guidelines},
          {"check_time", JsonMicros(f.check_time)}};
}
domain::GroupFeasibility FeasibilityFrom(const json& j) {
  domain::GroupFeasibility f;
  f.check_id = j.at("check_id").get<std::string>();
  f.state = static_cast<domain::FeasibilityState>(j.at("state").get<int>());
  f.feasible = j.at("feasible").get<bool>();
  f.earliest_start = DayFrom(j.at("earliest_start"));
  f.reasons = j.at("reasons").get<std::vector<std::string>>();
  f.decided_by = j.at("decided_by").get<std::string>();
  f.decision_comment = j.at("decision_comment").get<std::string>();
  f.volume = j.at("volume").get<int64_t>();
  f.action = static_cast<domain::Action>(j.at("action").get<int>());
  f.window_start = ParseIsoDay(j.at("window_start").get<std::string>());
  f.window_end = ParseIsoDay(j.at("window_end").get<std::string>());
  // Answers stored before the guidelines were asked with have none: a group with guidelines asks again.
  f.guidelines = j.value("guidelines", std::string());
  f.check_time = absl::FromUnixMicros(j.at("check_time").get<int64_t>());
  return f;
}

std::string GroupsJson(const std::vector<domain::CampaignGroup>& groups) {
  json arr = json::array();
  for (const domain::CampaignGroup& g : groups) {
    json j = {{"name", g.name},
              {"priority", g.priority},
              {"member_count", g.member_count},
              {"action", static_cast<int>(g.action)},
              {"message", g.message ? MessageJson(*g.message) : json(nullptr)},
              {"guidelines", g.guidelines},
              {"window_start", DayJson(g.window_start)},
              {"window_end", DayJson(g.window_end)},
              {"contact_moment_code", g.contact_moment_code},
              {"values", g.values},
              {"feasibility", g.feasibility ? FeasibilityJson(*g.feasibility) : json(nullptr)},
              {"recipient_list", g.recipient_list},
              {"control_list", g.control_list},
              {"recipient_count", g.recipient_count}};
    arr.push_back(std::move(j));
  }
  return arr.dump();
}

std::vector<domain::CampaignGroup> GroupsFrom(const std::string& text) {
  std::vector<domain::CampaignGroup> out;
  for (const json& j : json::parse(text)) {
    domain::CampaignGroup& g = out.emplace_back();
    g.name = j.at("name").get<std::string>();
    g.priority = j.at("priority").get<int>();
    g.member_count = j.at("member_count").get<int64_t>();
    g.action = static_cast<domain::Action>(j.at("action").get<int>());
    if (!j.at("message").is_null()) g.message = MessageFrom(j.at("message"));
    g.guidelines = j.at("guidelines").get<std::string>();
    g.window_start = DayFrom(j.at("window_start"));
    g.window_end = DayFrom(j.at("window_end"));
    g.contact_moment_code = j.at("contact_moment_code").get<std::string>();
    g.values = j.at("values").get<std::map<std::string, std::string>>();
    if (!j.at("feasibility").is_null()) g.feasibility = FeasibilityFrom(j.at("feasibility"));
    g.recipient_list = j.at("recipient_list").get<std::string>();
    g.control_list = j.at("control_list").get<std::string>();
    g.recipient_count = j.at("recipient_count").get<int64_t>();
  }
  return out;
}

json ResponseJson(const domain::ResponseSummary& s) {
  return json{{"measurement", s.measurement},
              {"measure_time", JsonMicros(s.measure_time)},
              {"snapshot_version", s.snapshot_version},
              {"responders", s.responders},
              {"members", s.members},
              {"control_responders", s.control_responders},
              {"control_members", s.control_members}};
}
domain::ResponseSummary ResponseFrom(const json& j) {
  domain::ResponseSummary s;
  s.measurement = j.at("measurement").get<std::string>();
  s.measure_time = absl::FromUnixMicros(j.at("measure_time").get<int64_t>());
  s.snapshot_version = j.at("snapshot_version").get<int64_t>();
  s.responders = j.at("responders").get<int64_t>();
  s.members = j.at("members").get<int64_t>();
  s.control_responders = j.at("control_responders").get<int64_t>();
  s.control_members = j.at("control_members").get<int64_t>();
  return s;
}

std::vector<int64_t> ChannelNumbers(const std::vector<domain::ResponseChannel>& channels) {
  std::vector<int64_t> out;
  for (domain::ResponseChannel ch : channels) out.push_back(static_cast<int64_t>(ch));
  return out;
}

constexpr char kColumns[] =
    "id, title, signal_id, target_group_set_id, state, control_share, control_seed::text, created_by,"
    " array_to_string(editors, chr(31)), groups::text, ${s}.to_micros(create_time), ${s}.to_micros(update_time),"
    " revision, action_traceparent, array_to_string(response_topics, chr(31)), coalesce(latest_response::text, ''),"
    " array_to_string(response_channels, ',')";

// A campaign with its decisions and its order messages, in one statement: the campaign's columns
// (kColumns), then the decisions and the outbox messages as JSON arrays (columns 17 and 18).
// `where_order_limit` follows FROM ... c: one campaign, or a page of them.
std::string CampaignSelect(const std::string& schema, absl::string_view where_order_limit) {
  return absl::StrCat(
      "SELECT ", kColumns,
      ", (SELECT coalesce(json_agg(json_build_array(d.kind, d.actor, d.comment, ${s}.to_micros(d.decide_time))"
      " ORDER BY d.id), '[]') FROM ${s}.decisions d WHERE d.campaign_id = c.id), ",
      common::db::OutboxJsonColumn(schema, "c.id::text"), " FROM ${s}.campaigns c ", where_order_limit);
}

// The groups' release state, from the campaign's order messages in the outbox.
void ApplyOutbox(const std::vector<common::OutboxRecord>& messages, domain::Campaign* c) {
  for (const common::OutboxRecord& m : messages) {
    if (m.message.topic != domain::kTopicCreateOrder) continue;
    const std::string& group = m.message.payload;
    for (domain::CampaignGroup& g : c->groups) {
      if (g.name != group) continue;
      switch (m.state) {
        case common::OutboxState::kPending:
          g.order_delivery = domain::OrderDelivery::kPending;
          g.order_error = m.last_error;  // the last retry's trouble, if any
          break;
        case common::OutboxState::kDone:
          g.order_delivery = domain::OrderDelivery::kCreated;
          g.dispatch_order = m.result;
          break;
        case common::OutboxState::kFailed:
          g.order_delivery = domain::OrderDelivery::kFailed;
          g.order_error = m.last_error;
          break;
      }
    }
  }
}

domain::Campaign CampaignFromRow(const Row& r) {
  domain::Campaign c;
  c.id = TextAt(r, 0);
  c.title = TextAt(r, 1);
  c.signal_id = TextAt(r, 2);
  c.target_group_set_id = TextAt(r, 3);
  c.state = static_cast<domain::CampaignState>(ToInt(r[4]));
  (void)absl::SimpleAtod(TextAt(r, 5), &c.control_share);
  (void)absl::SimpleAtoi(TextAt(r, 6), &c.control_seed);
  c.created_by = TextAt(r, 7);
  if (!TextAt(r, 8).empty()) c.editors = absl::StrSplit(TextAt(r, 8), '\x1f');
  c.groups = GroupsFrom(TextAt(r, 9));
  c.create_time = TimeFromMicros(TextAt(r, 10));
  c.update_time = TimeFromMicros(TextAt(r, 11));
  c.revision = ToInt(r[12]);
  c.action_traceparent = TextAt(r, 13);
  if (!TextAt(r, 14).empty()) c.response_topics = absl::StrSplit(TextAt(r, 14), '\x1f');
  if (!TextAt(r, 15).empty()) c.latest_response = ResponseFrom(json::parse(TextAt(r, 15)));
  for (absl::string_view ch : absl::StrSplit(TextAt(r, 16), ',', absl::SkipEmpty())) {
    c.response_channels.push_back(static_cast<domain::ResponseChannel>(std::stoi(std::string(ch))));
  }
  for (const json& d : json::parse(TextAt(r, 17))) {
    c.decisions.push_back({static_cast<domain::DecisionKind>(d.at(0).get<int>()), d.at(1).get<std::string>(),
                           d.at(2).is_null() ? std::string() : d.at(2).get<std::string>(),
                           absl::FromUnixMicros(d.at(3).get<int64_t>())});
  }
  if (c.state == domain::CampaignState::kReleased || c.state == domain::CampaignState::kCompleted) {
    ApplyOutbox(common::db::ParseOutboxJson(TextAt(r, 18)), &c);
  }
  return c;
}

}  // namespace

PgCampaignRepository::PgCampaignRepository(common::db::PgPool* pool, std::string schema,
                                           const common::db::ProcessingLogStore* log, std::function<void()> on_outbox)
    : pool_(pool), schema_(std::move(schema)), log_(log), on_outbox_(std::move(on_outbox)) {}

std::string PgCampaignRepository::Q(absl::string_view sql) const {
  return absl::StrReplaceAll(sql, {{"${s}", schema_}});
}

std::optional<domain::Campaign> PgCampaignRepository::Read(soci::session& sql, const std::string& id) const {
  const TextRows rows = ExecutePrepared(sql, Q(CampaignSelect(schema_, "WHERE c.id = CAST($1 AS uuid)")), {id});
  if (rows.empty()) return std::nullopt;
  return CampaignFromRow(rows[0]);
}

absl::StatusOr<domain::Campaign> PgCampaignRepository::Create(const domain::Campaign& c,
                                                              const common::IdempotencyKey* key, bool* replayed,
                                                              const common::CallContext& call,
                                                              const common::ProcessingRecord& record) {
  std::optional<std::string> existing;
  CAK_RETURN_IF_ERROR(common::db::InTransaction(*pool_, [&](Tx& tx) -> absl::Status {
    if (key) {
      CAK_ASSIGN_OR_RETURN(existing, common::db::ClaimRequestId(tx, schema_, *key, c.id, c.create_time));
      if (existing) return absl::OkStatus();
    }
    ExecutePrepared(tx.sql(),
                    Q("INSERT INTO ${s}.campaigns (id, title, signal_id, target_group_set_id, state, control_share,"
                      " control_seed, created_by, editors, groups, create_time, update_time, revision,"
                      " action_traceparent, response_topics, response_channels)"
                      " VALUES (CAST($1 AS uuid), $2, $3, $4, CAST($5 AS smallint), CAST($6 AS double precision),"
                      " CAST($7 AS numeric), $8, '{}', CAST($9 AS jsonb), ${s}.from_micros($10::bigint),"
                      " ${s}.from_micros($10::bigint), CAST($11 AS bigint), $12, CAST($13 AS text[]),"
                      " CAST($14 AS smallint[]))"),
                    {c.id, c.title, c.signal_id, c.target_group_set_id, absl::StrCat(static_cast<int>(c.state)),
                     absl::StrFormat("%.17g", c.control_share), absl::StrCat(c.control_seed), c.created_by,
                     GroupsJson(c.groups), MicrosText(c.create_time), absl::StrCat(c.revision), c.action_traceparent,
                     common::db::TextArrayLiteral(c.response_topics),
                     common::db::IntArrayLiteral(ChannelNumbers(c.response_channels))});
    log_->Append(tx, call, record);
    return absl::OkStatus();
  }));
  *replayed = existing.has_value();
  if (existing) return Get(*existing, absl::InfiniteFuture());
  return c;
}

absl::StatusOr<std::optional<domain::Campaign>> PgCampaignRepository::FindCreated(const common::IdempotencyKey& key,
                                                                                  absl::Time deadline) {
  CAK_ASSIGN_OR_RETURN(std::optional<std::string> id, common::db::FindClaim(*pool_, schema_, key, deadline));
  if (!id) return std::optional<domain::Campaign>();
  CAK_ASSIGN_OR_RETURN(domain::Campaign c, Get(*id, deadline));
  return std::optional<domain::Campaign>(std::move(c));
}

absl::StatusOr<int64_t> PgCampaignRepository::RequeueFailed(const std::string& campaign_id, absl::Time now,
                                                            absl::Time deadline) {
  int64_t n = 0;
  CAK_RETURN_IF_ERROR(common::db::InTransaction(
      *pool_,
      [&](Tx& tx) -> absl::Status {
        n = common::db::RequeueFailedOutbox(tx, schema_, campaign_id, now);
        if (n > 0 && on_outbox_) tx.OnCommit(on_outbox_);
        return absl::OkStatus();
      },
      deadline));
  return n;
}

absl::StatusOr<domain::Campaign> PgCampaignRepository::Get(const std::string& id, absl::Time deadline) {
  std::optional<domain::Campaign> c;
  CAK_RETURN_IF_ERROR(common::db::InTransaction(
      *pool_,
      [&](Tx& tx) -> absl::Status {
        c = Read(tx.sql(), id);
        return absl::OkStatus();
      },
      deadline));
  if (!c) return MakeError(absl::StatusCode::kNotFound, reason::kCampaignNotFound, "campaign not found");
  return *std::move(c);
}

absl::StatusOr<std::vector<domain::Campaign>> PgCampaignRepository::List(
    const domain::CampaignFilter& filter, const std::optional<domain::ListPosition>& after, int limit,
    absl::Time deadline) {
  std::vector<domain::Campaign> out;
  CAK_RETURN_IF_ERROR(common::db::InTransaction(
      *pool_,
      [&](Tx& tx) -> absl::Status {
        // The page, each campaign with its decisions and order messages: one statement.
        const TextRows rows = ExecutePrepared(
            tx.sql(),
            Q(CampaignSelect(
                schema_,
                "WHERE ($1 = '' OR c.state = CAST(NULLIF($1, '') AS smallint))"
                " AND ($2 = '' OR c.signal_id = $2)"
                " AND ($3 = '' OR (c.create_time, c.id) < (${s}.from_micros(CAST(NULLIF($3, '') AS bigint)),"
                " CAST(NULLIF($4, '') AS uuid)))"
                " ORDER BY c.create_time DESC, c.id DESC LIMIT CAST($5 AS integer)")),
            {filter.state ? absl::StrCat(static_cast<int>(*filter.state)) : std::string(), filter.signal_id,
             after ? MicrosText(after->create_time) : std::string(), after ? after->id : std::string(),
             absl::StrCat(limit)});
        for (const Row& r : rows) out.push_back(CampaignFromRow(r));
        return absl::OkStatus();
      },
      deadline));
  return out;
}

absl::Status PgCampaignRepository::RecordResponse(const std::string& campaign_id, const domain::ResponseSummary& latest,
                                                  const common::CallContext& call,
                                                  const common::ProcessingRecord& record) {
  return common::db::InTransaction(
      *pool_,
      [&](Tx& tx) -> absl::Status {
        const TextRows updated = ExecutePrepared(
            tx.sql(),
            Q("UPDATE ${s}.campaigns SET latest_response = CAST($2 AS jsonb) WHERE id = CAST($1 AS uuid) RETURNING id"),
            {campaign_id, ResponseJson(latest).dump()});
        if (updated.empty()) return MakeError(absl::StatusCode::kNotFound, domain::reason::kCampaignNotFound, "gone");
        log_->Append(tx, call, record);
        return absl::OkStatus();
      },
      call.deadline);
}

absl::Status PgCampaignRepository::Save(const Change& change, absl::Time deadline) {
  const domain::Campaign& c = *change.campaign;
  return common::db::InTransaction(
      *pool_,
      [&](Tx& tx) -> absl::Status {
        const TextRows updated = ExecutePrepared(
            tx.sql(),
            Q("UPDATE ${s}.campaigns SET state = CAST($2 AS smallint), editors = CAST($3 AS text[]),"
              " groups = CAST($4 AS jsonb), update_time = ${s}.from_micros($5::bigint), revision = CAST($6 AS bigint)"
              " WHERE id = CAST($1 AS uuid) AND revision = CAST($7 AS bigint) RETURNING id"),
            {c.id, absl::StrCat(static_cast<int>(c.state)), common::db::TextArrayLiteral(c.editors),
             GroupsJson(c.groups), MicrosText(c.update_time), absl::StrCat(c.revision),
             absl::StrCat(change.expected_revision)});
        if (updated.empty()) {
          return MakeError(absl::StatusCode::kAborted, common::reason::kConcurrentUpdate,
                           "the campaign was changed by someone else meanwhile; read it again");
        }
        if (change.new_message) {
          const auto& [gi, m] = *change.new_message;
          ExecutePrepared(
              tx.sql(),
              Q("INSERT INTO ${s}.message_versions (campaign_id, group_name, version, text, author,"
                " create_time) VALUES (CAST($1 AS uuid), $2, CAST($3 AS integer), $4, $5,"
                " ${s}.from_micros($6::bigint))"),
              {c.id, c.groups.at(gi).name, absl::StrCat(m.version), m.text, m.author, MicrosText(m.create_time)});
        }
        if (change.decision) {
          const domain::Decision& d = *change.decision;
          ExecutePrepared(tx.sql(),
                          Q("INSERT INTO ${s}.decisions (campaign_id, kind, actor, comment, decide_time)"
                            " VALUES (CAST($1 AS uuid), CAST($2 AS smallint), $3, $4, ${s}.from_micros($5::bigint))"),
                          {c.id, absl::StrCat(static_cast<int>(d.kind)), d.actor, d.comment, MicrosText(d.time)});
        }
        if (!change.outbox.empty()) {
          common::db::EnqueueOutbox(tx, schema_, change.outbox, c.update_time);
          if (on_outbox_) tx.OnCommit(on_outbox_);
        }
        if (change.call && change.record) log_->Append(tx, *change.call, *change.record);
        return absl::OkStatus();
      },
      deadline);
}

absl::Status PgCampaignRepository::Log(const common::CallContext& call, const common::ProcessingRecord& record,
                                       absl::Time deadline) {
  return common::db::InTransaction(
      *pool_,
      [&](Tx& tx) -> absl::Status {
        log_->Append(tx, call, record);
        return absl::OkStatus();
      },
      deadline);
}

absl::StatusOr<std::vector<common::SubjectRow>> PgCampaignRepository::SubjectPreviews(const std::string& subject_id,
                                                                                      absl::Time deadline) {
  // A preview's entry per shown subject (found by the log's subject hash index).
  return common::db::SelectAsText(
      *pool_,
      Q("SELECT p.attributes->>'campaign' AS campaign, c.title, p.attributes->>'group' AS group_name,"
        " p.attributes->>'message_version' AS message_version, p.end_time AS shown_at"
        " FROM ${s}.processing_log p"
        " LEFT JOIN ${s}.campaigns c ON 'campaigns/' || c.id = p.attributes->>'campaign'"
        " WHERE p.data_subject_id = $1 AND p.name = 'campaign.PreviewMessage' AND p.status = 1"
        " ORDER BY p.end_time, p.id"),
      {subject_id}, deadline);
}

absl::StatusOr<std::vector<domain::MessageVersion>> PgCampaignRepository::ListMessageVersions(
    const std::string& campaign_id, const std::string& group, absl::Time deadline) {
  std::vector<domain::MessageVersion> out;
  CAK_RETURN_IF_ERROR(common::db::WithSession(
      *pool_,
      [&](soci::session& sql) -> absl::Status {
        for (const Row& r :
             ExecutePrepared(sql,
                             Q("SELECT version, text, author, ${s}.to_micros(create_time) FROM ${s}.message_versions"
                               " WHERE campaign_id = CAST($1 AS uuid) AND group_name = $2 ORDER BY version DESC"),
                             {campaign_id, group})) {
          out.push_back({static_cast<int>(ToInt(r[0])), TextAt(r, 1), TextAt(r, 2), TimeFromMicros(TextAt(r, 3))});
        }
        return absl::OkStatus();
      },
      deadline));
  return out;
}

}  // namespace cak::campaign::storage
