// Signals in PostgreSQL (see pg_signal_repository.h). Multi-row writes bind whole lists as array
// parameters and combine with data-modifying CTEs, so a submit is a handful of round trips
// whatever its size.
#include "intake-svc/src/storage/pg_signal_repository.h"

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/base/errors.h"
#include "common/db/idempotency.h"
#include "common/db/sql_array.h"
#include "intake-svc/src/domain/lifecycle.h"
#include "intake-svc/src/domain/signal_service.h"

namespace cak::intake::storage {

using common::CallContext;
using common::db::Tx;
using domain::Signal;
using domain::SignalEvent;
using json = nlohmann::json;

namespace {

constexpr int kPurgeBatch = 500;
constexpr size_t kMaxReportedIds = 1000;

long long Micros(absl::Time t) { return absl::ToUnixMicros(t); }

common::PrincipalKind KindOf(int v) {
  return v == static_cast<int>(common::PrincipalKind::kApplication) ? common::PrincipalKind::kApplication
                                                                    : common::PrincipalKind::kEmployee;
}

absl::Status NotFound() {
  return common::MakeError(absl::StatusCode::kNotFound, domain::kReasonSignalNotFound, "no such signal");
}

// The SQL list of open states, from the domain's definition.
std::string OpenStatesSql() {
  std::vector<int> open;
  for (int s = 1; s <= 5; ++s) {
    if (domain::IsOpen(static_cast<domain::SignalState>(s))) open.push_back(s);
  }
  return absl::StrCat("(", absl::StrJoin(open, ","), ")");
}

// Columns of the signals row, in the order FillBasic reads them.
std::string BasicColumns(const std::string& schema) {
  return "s.id::text, s.reporter_id, s.reporter_kind, s.source_channel, s.category, s.regulation,"
         " s.description, s.state, s.decline_reason, s.feedback, s.campaign, s.example_customer_count, " +
         schema + ".to_micros(s.receive_time), " + schema + ".to_micros(s.update_time), " + schema +
         ".to_micros(s.final_time)";
}
constexpr int kBasicColumnCount = 15;

Signal FillBasic(const soci::row& r) {
  Signal s;
  s.id = r.get<std::string>(0);
  s.reporter = domain::Actor{r.get<std::string>(1), KindOf(r.get<int>(2))};
  s.source_channel = static_cast<domain::SourceChannel>(r.get<int>(3));
  s.category = static_cast<domain::Category>(r.get<int>(4));
  s.regulation = static_cast<domain::Regulation>(r.get<int>(5));
  s.description = r.get<std::string>(6);
  s.state = static_cast<domain::SignalState>(r.get<int>(7));
  s.decline_reason = static_cast<domain::DeclineReason>(r.get<int>(8));
  s.feedback = r.get<std::string>(9);
  s.campaign = r.get<std::string>(10);
  s.example_customer_count = r.get<int>(11);
  s.receive_time = absl::FromUnixMicros(r.get<long long>(12));
  s.update_time = absl::FromUnixMicros(r.get<long long>(13));
  if (r.get_indicator(14) == soci::i_ok) s.final_time = absl::FromUnixMicros(r.get<long long>(14));
  return s;
}

}  // namespace

PgSignalRepository::PgSignalRepository(common::db::PgPool* pool, std::string schema,
                                       const common::db::ProcessingLogStore* log)
    : pool_(pool), schema_(std::move(schema)), channel_(NotifyChannel(schema_)), log_(log) {}

std::optional<Signal> PgSignalRepository::Load(soci::session& sql, const std::string& id, bool for_update) const {
  const std::string& S = schema_;
  soci::row r;
  sql << "SELECT " + BasicColumns(S) +
             ", (SELECT coalesce(json_agg(c.bsn ORDER BY c.position), '[]') FROM " + S +
             ".signal_customers c WHERE c.signal_id = s.id)::text"
             ", (SELECT coalesce(json_agg(json_build_array(a.file_name, a.media_type, a.size_bytes, a.uri, a.sha256)"
             " ORDER BY a.position), '[]') FROM " + S + ".signal_attachments a WHERE a.signal_id = s.id)::text"
             ", (SELECT coalesce(json_agg(json_build_array(i.text, i.actor_id, i.actor_kind, " + S +
             ".to_micros(i.add_time)) ORDER BY i.position), '[]') FROM " + S +
             ".signal_information i WHERE i.signal_id = s.id)::text"
             ", (SELECT coalesce(json_agg(json_build_array(d.candidate_id, d.same_regulation_and_category,"
             " d.shared_customer_count) ORDER BY d.candidate_receive_time DESC, d.candidate_id), '[]') FROM " + S +
             ".signal_duplicate_candidates d WHERE d.signal_id = s.id)::text"
             ", (SELECT coalesce(json_agg(json_build_array(e.from_state, e.to_state, e.actor_id, e.actor_kind, " + S +
             ".to_micros(e.event_time)) ORDER BY e.sequence), '[]') FROM " + S +
             ".signal_events e WHERE e.signal_id = s.id AND (e.from_state IS NULL OR e.from_state <> e.to_state))::text"
             " FROM " + S + ".signals s WHERE s.id = CAST(:id AS uuid)" + (for_update ? " FOR UPDATE OF s" : ""),
      soci::use(id), soci::into(r);
  if (!sql.got_data()) return std::nullopt;
  Signal s = FillBasic(r);
  const int k = kBasicColumnCount;
  for (const auto& bsn : json::parse(r.get<std::string>(k))) {
    // Stored BSNs were validated on the way in; a bad one here would be corruption.
    auto parsed = common::Bsn::Parse(bsn.get<std::string>());
    if (parsed.ok()) s.example_customers.push_back(*parsed);
  }
  for (const auto& a : json::parse(r.get<std::string>(k + 1))) {
    s.attachments.push_back(domain::Attachment{a[0], a[1], a[2].get<int64_t>(), a[3], a[4]});
  }
  for (const auto& i : json::parse(r.get<std::string>(k + 2))) {
    s.information.push_back(domain::Information{i[0], domain::Actor{i[1], KindOf(i[2].get<int>())},
                                                absl::FromUnixMicros(i[3].get<int64_t>())});
  }
  for (const auto& d : json::parse(r.get<std::string>(k + 3))) {
    const int shared = d[2].get<int>();
    s.duplicate_candidates.push_back(
        domain::DuplicateCandidate{d[0], domain::ClassifyDuplicate(d[1].get<bool>(), shared), shared});
  }
  for (const auto& e : json::parse(r.get<std::string>(k + 4))) {
    domain::StateChange change;
    if (!e[0].is_null()) change.from = static_cast<domain::SignalState>(e[0].get<int>());
    change.to = static_cast<domain::SignalState>(e[1].get<int>());
    change.actor = domain::Actor{e[2], KindOf(e[3].get<int>())};
    change.change_time = absl::FromUnixMicros(e[4].get<int64_t>());
    s.state_changes.push_back(std::move(change));
  }
  return s;
}

std::vector<domain::DuplicateCandidate> PgSignalRepository::InsertDuplicateCandidates(
    soci::session& sql, const domain::CreateCommand& cmd) const {
  const std::string& S = schema_;
  std::vector<std::string> bsns;
  for (const auto& b : cmd.duplicates.customers) bsns.push_back(b.digits());
  const std::string bsn_lit = common::db::TextArrayLiteral(bsns);
  const int reg = static_cast<int>(cmd.duplicates.regulation);
  const int cat = static_cast<int>(cmd.duplicates.category);
  const long long since = Micros(cmd.duplicates.received_since);
  const int limit = cmd.duplicates.limit;
  const std::string open = OpenStatesSql();
  soci::rowset<soci::row> rows =
      (sql.prepare << "WITH shared AS (SELECT signal_id, count(*)::int AS n FROM " + S +
                          ".signal_customers WHERE bsn = ANY(CAST(:bsns AS text[])) GROUP BY signal_id),"
                          " topic AS (SELECT id FROM " + S + ".signals WHERE state IN " + open +
                          " AND regulation = :reg AND category = :cat AND receive_time >= " + S +
                          ".from_micros(:since) ORDER BY receive_time DESC LIMIT :lim1),"
                          " cand AS (SELECT id FROM topic UNION SELECT signal_id FROM shared)"
                          " INSERT INTO " + S +
                          ".signal_duplicate_candidates (signal_id, candidate_id, same_regulation_and_category,"
                          " shared_customer_count, candidate_receive_time)"
                          " SELECT CAST(:self AS uuid), sg.id, (t.id IS NOT NULL), coalesce(sh.n, 0), sg.receive_time"
                          " FROM " + S + ".signals sg JOIN cand ON cand.id = sg.id"
                          " LEFT JOIN topic t ON t.id = sg.id LEFT JOIN shared sh ON sh.signal_id = sg.id"
                          " WHERE sg.state IN " + open + " AND sg.id <> CAST(:self2 AS uuid)"
                          " ORDER BY sg.receive_time DESC, sg.id DESC LIMIT :lim2"
                          " RETURNING candidate_id::text, same_regulation_and_category::int, shared_customer_count,"
                          " " + S + ".to_micros(candidate_receive_time)",
       soci::use(bsn_lit), soci::use(reg), soci::use(cat), soci::use(since), soci::use(limit),
       soci::use(cmd.signal.id), soci::use(cmd.signal.id), soci::use(limit));
  std::vector<std::pair<long long, domain::DuplicateCandidate>> found;
  for (const soci::row& r : rows) {
    const int shared = r.get<int>(2);
    found.push_back({r.get<long long>(3), domain::DuplicateCandidate{
                                              r.get<std::string>(0),
                                              domain::ClassifyDuplicate(r.get<int>(1) != 0, shared), shared}});
  }
  // RETURNING has no order: present newest first, as Load does.
  std::sort(found.begin(), found.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first > b.first : a.second.signal_id < b.second.signal_id;
  });
  std::vector<domain::DuplicateCandidate> out;
  for (auto& f : found) out.push_back(std::move(f.second));
  return out;
}

absl::StatusOr<domain::CreateOutcome> PgSignalRepository::Create(const CallContext& call,
                                                                 const domain::CreateCommand& cmd) {
  domain::CreateOutcome outcome;
  absl::Status st = common::db::InTransaction(*pool_, [&](Tx& tx) -> absl::Status {
    soci::session& sql = tx.sql();
    const Signal& s = cmd.signal;
    if (cmd.idempotency) {
      CAK_ASSIGN_OR_RETURN(std::optional<std::string> existing,
                           common::db::ClaimRequestId(tx, schema_, *cmd.idempotency, s.id, s.receive_time));
      if (existing) {
        std::optional<Signal> earlier = Load(sql, *existing, false);
        if (!earlier) return NotFound();  // purged since; the request_id is spent
        outcome.signal = *std::move(earlier);
        outcome.replayed = true;
        return absl::OkStatus();
      }
    }
    const std::string& S = schema_;
    std::vector<std::string> bsns, fnames, mtypes, uris, shas;
    std::vector<int64_t> sizes;
    for (const auto& b : s.example_customers) bsns.push_back(b.digits());
    for (const auto& a : s.attachments) {
      fnames.push_back(a.file_name);
      mtypes.push_back(a.media_type);
      sizes.push_back(a.size_bytes);
      uris.push_back(a.uri);
      shas.push_back(a.sha256);
    }
    const int reporter_kind = static_cast<int>(s.reporter.kind);
    const int channel = static_cast<int>(s.source_channel);
    const int category = static_cast<int>(s.category);
    const int regulation = static_cast<int>(s.regulation);
    const int count = static_cast<int>(s.example_customers.size());
    const long long t = Micros(s.receive_time);
    const std::string bsn_lit = common::db::TextArrayLiteral(bsns);
    const std::string fn_lit = common::db::TextArrayLiteral(fnames);
    const std::string mt_lit = common::db::TextArrayLiteral(mtypes);
    const std::string sz_lit = common::db::IntArrayLiteral(sizes);
    const std::string uri_lit = common::db::TextArrayLiteral(uris);
    const std::string sha_lit = common::db::TextArrayLiteral(shas);
    long long sequence = 0;
    sql << "WITH sig AS (INSERT INTO " + S +
               ".signals (id, reporter_id, reporter_kind, source_channel, category, regulation, description,"
               " state, example_customer_count, receive_time, update_time)"
               " VALUES (CAST(:id AS uuid), :rid, :rkind, :ch, :cat, :reg, :descr, 1, :cnt, " + S +
               ".from_micros(:t), " + S + ".from_micros(:t2)) RETURNING id),"
               " cust AS (INSERT INTO " + S + ".signal_customers (signal_id, position, bsn)"
               " SELECT sig.id, x.ord, x.bsn FROM sig, unnest(CAST(:bsns AS text[])) WITH ORDINALITY AS x(bsn, ord)),"
               " att AS (INSERT INTO " + S +
               ".signal_attachments (signal_id, position, file_name, media_type, size_bytes, uri, sha256)"
               " SELECT sig.id, x.ord, x.fn, x.mt, x.sz, x.uri, x.sha FROM sig, unnest(CAST(:fn AS text[]),"
               " CAST(:mt AS text[]), CAST(:sz AS bigint[]), CAST(:uri AS text[]), CAST(:sha AS text[]))"
               " WITH ORDINALITY AS x(fn, mt, sz, uri, sha, ord)),"
               " ev AS (INSERT INTO " + S +
               ".signal_events (signal_id, type, from_state, to_state, actor_id, actor_kind, event_time)"
               " SELECT sig.id, 1, NULL, 1, :rid2, :rkind2, " + S + ".from_micros(:t3) FROM sig RETURNING sequence)"
               " SELECT ev.sequence FROM ev CROSS JOIN LATERAL (SELECT pg_notify(:chan, :nid)) AS n",
        soci::use(s.id), soci::use(s.reporter.id), soci::use(reporter_kind), soci::use(channel),
        soci::use(category), soci::use(regulation), soci::use(s.description), soci::use(count), soci::use(t),
        soci::use(t), soci::use(bsn_lit), soci::use(fn_lit), soci::use(mt_lit), soci::use(sz_lit),
        soci::use(uri_lit), soci::use(sha_lit), soci::use(s.reporter.id), soci::use(reporter_kind), soci::use(t),
        soci::use(channel_), soci::use(s.id), soci::into(sequence);
    outcome.signal = s;
    outcome.signal.duplicate_candidates = InsertDuplicateCandidates(sql, cmd);
    if (!cmd.record.data_subjects.empty()) log_->Append(tx, call, cmd.record);
    return absl::OkStatus();
  }, call.deadline);
  if (!st.ok()) return st;
  return outcome;
}

absl::StatusOr<Signal> PgSignalRepository::Read(const CallContext& call, const std::string& id,
                                                const Inspector& inspect) {
  Signal result;
  absl::Status st = common::db::InTransaction(*pool_, [&](Tx& tx) -> absl::Status {
    std::optional<Signal> s = Load(tx.sql(), id, false);
    if (!s) return NotFound();
    CAK_ASSIGN_OR_RETURN(std::optional<common::ProcessingRecord> record, inspect(*s));
    if (record) log_->Append(tx, call, *record);
    result = *std::move(s);
    return absl::OkStatus();
  }, call.deadline);
  if (!st.ok()) return st;
  return result;
}

absl::StatusOr<Signal> PgSignalRepository::Update(const CallContext& call, const std::string& id,
                                                  const Decider& decide) {
  Signal result;
  absl::Status st = common::db::InTransaction(*pool_, [&](Tx& tx) -> absl::Status {
    soci::session& sql = tx.sql();
    std::optional<Signal> current = Load(sql, id, true);
    if (!current) return NotFound();
    CAK_ASSIGN_OR_RETURN(domain::Mutation m, decide(*current));
    const std::string& S = schema_;
    const SignalEvent& e = m.event;
    const int to = static_cast<int>(m.to);
    const int reason = static_cast<int>(m.decline_reason);
    const int feedback_set = m.feedback.has_value();
    const std::string feedback = m.feedback.value_or("");
    const int campaign_set = m.campaign.has_value();
    const std::string campaign = m.campaign.value_or("");
    const int final_set = m.final_time.has_value();
    const long long final_time = m.final_time ? Micros(*m.final_time) : 0;
    const long long update_time = Micros(m.update_time);
    const int info_set = m.information.has_value();
    const std::string info_text = m.information ? m.information->text : "";
    const std::string info_actor = m.information ? m.information->added_by.id : "";
    const int info_kind = m.information ? static_cast<int>(m.information->added_by.kind) : 0;
    const long long info_time = m.information ? Micros(m.information->add_time) : 0;
    const int type = static_cast<int>(e.type);
    const int from = static_cast<int>(current->state);
    const int actor_kind = static_cast<int>(e.actor.kind);
    const long long event_time = Micros(e.event_time);
    const int event_reason = static_cast<int>(e.decline_reason);
    long long sequence = 0;
    sql << "WITH up AS (UPDATE " + S + ".signals SET state = :to, decline_reason = :dr,"
               " feedback = CASE WHEN :fs = 1 THEN :fb ELSE feedback END,"
               " campaign = CASE WHEN :cs = 1 THEN :cp ELSE campaign END,"
               " final_time = CASE WHEN :fts = 1 THEN " + S + ".from_micros(:ft) ELSE NULL END,"
               " update_time = " + S + ".from_micros(:ut) WHERE id = CAST(:id AS uuid) RETURNING id),"
               " info AS (INSERT INTO " + S +
               ".signal_information (signal_id, position, text, actor_id, actor_kind, add_time)"
               " SELECT up.id, (SELECT coalesce(max(position), 0) + 1 FROM " + S +
               ".signal_information WHERE signal_id = up.id), :it, :ia, :ik, " + S + ".from_micros(:itm)"
               " FROM up WHERE :is = 1),"
               " ev AS (INSERT INTO " + S +
               ".signal_events (signal_id, type, from_state, to_state, actor_id, actor_kind, event_time,"
               " decline_reason, text) SELECT up.id, :ty, :fr, :to2, :ea, :ek, " + S +
               ".from_micros(:et), :er, :ex FROM up RETURNING sequence)"
               " SELECT ev.sequence FROM ev CROSS JOIN LATERAL (SELECT pg_notify(:chan, :nid)) AS n",
        soci::use(to), soci::use(reason), soci::use(feedback_set), soci::use(feedback), soci::use(campaign_set),
        soci::use(campaign), soci::use(final_set), soci::use(final_time), soci::use(update_time), soci::use(id),
        soci::use(info_text), soci::use(info_actor), soci::use(info_kind), soci::use(info_time),
        soci::use(info_set), soci::use(type), soci::use(from), soci::use(to), soci::use(e.actor.id),
        soci::use(actor_kind), soci::use(event_time), soci::use(event_reason), soci::use(e.text),
        soci::use(channel_), soci::use(id), soci::into(sequence);
    if (m.record) log_->Append(tx, call, *m.record);
    result = domain::ApplyMutation(*std::move(current), m);
    return absl::OkStatus();
  }, call.deadline);
  if (!st.ok()) return st;
  return result;
}

absl::StatusOr<std::vector<Signal>> PgSignalRepository::List(const domain::ListQuery& q, absl::Time deadline) {
  std::vector<Signal> out;
  absl::Status st = common::db::WithSession(*pool_, [&](soci::session& sql) -> absl::Status {
    const std::string& S = schema_;
    const int state = q.state ? static_cast<int>(*q.state) : 0;
    const int category = q.category ? static_cast<int>(*q.category) : 0;
    const int regulation = q.regulation ? static_cast<int>(*q.regulation) : 0;
    const int from_set = q.received_from.has_value();
    const long long from = q.received_from ? Micros(*q.received_from) : 0;
    const int before_set = q.received_before.has_value();
    const long long before = q.received_before ? Micros(*q.received_before) : 0;
    const int after_set = q.after.has_value();
    const long long after_time = q.after ? Micros(q.after->first) : 0;
    const std::string after_id = q.after ? q.after->second : "00000000-0000-0000-0000-000000000000";
    soci::rowset<soci::row> rows =
        (sql.prepare << "SELECT " + BasicColumns(S) + " FROM " + S + ".signals s"
                            " WHERE (:st = 0 OR s.state = :st2) AND (:ca = 0 OR s.category = :ca2)"
                            " AND (:re = 0 OR s.regulation = :re2) AND (:rp = '' OR s.reporter_id = :rp2)"
                            " AND (:fs = 0 OR s.receive_time >= " + S + ".from_micros(:f))"
                            " AND (:bs = 0 OR s.receive_time < " + S + ".from_micros(:b))"
                            " AND (:as = 0 OR (s.receive_time, s.id) < (" + S +
                            ".from_micros(:at), CAST(:aid AS uuid)))"
                            " ORDER BY s.receive_time DESC, s.id DESC LIMIT :lim",
         soci::use(state), soci::use(state), soci::use(category), soci::use(category), soci::use(regulation),
         soci::use(regulation), soci::use(q.reporter), soci::use(q.reporter), soci::use(from_set), soci::use(from),
         soci::use(before_set), soci::use(before), soci::use(after_set), soci::use(after_time),
         soci::use(after_id), soci::use(q.limit));
    for (const soci::row& r : rows) {
      Signal s = FillBasic(r);
      out.push_back(std::move(s));
    }
    return absl::OkStatus();
  }, deadline);
  if (!st.ok()) return st;
  return out;
}

absl::StatusOr<std::vector<SignalEvent>> PgSignalRepository::EventsAfter(const std::string& id, int64_t after,
                                                                         int limit, absl::Time deadline) {
  std::vector<SignalEvent> out;
  absl::Status st = common::db::WithSession(*pool_, [&](soci::session& sql) -> absl::Status {
    const std::string& S = schema_;
    const long long after_seq = after;
    soci::rowset<soci::row> rows =
        (sql.prepare << "SELECT sequence, type, from_state, to_state, actor_id, actor_kind, " + S +
                            ".to_micros(event_time), decline_reason, text FROM " + S +
                            ".signal_events WHERE signal_id = CAST(:id AS uuid) AND sequence > :after"
                            " ORDER BY sequence LIMIT :lim",
         soci::use(id), soci::use(after_seq), soci::use(limit));
    for (const soci::row& r : rows) {
      SignalEvent e;
      e.sequence = r.get<long long>(0);
      e.signal_id = id;
      e.type = static_cast<domain::EventType>(r.get<int>(1));
      if (r.get_indicator(2) == soci::i_ok) e.from = static_cast<domain::SignalState>(r.get<int>(2));
      e.to = static_cast<domain::SignalState>(r.get<int>(3));
      e.actor = domain::Actor{r.get<std::string>(4), KindOf(r.get<int>(5))};
      e.event_time = absl::FromUnixMicros(r.get<long long>(6));
      e.decline_reason = static_cast<domain::DeclineReason>(r.get<int>(7));
      e.text = r.get<std::string>(8);
      out.push_back(std::move(e));
    }
    return absl::OkStatus();
  }, deadline);
  if (!st.ok()) return st;
  return out;
}

absl::StatusOr<domain::PurgeOutcome> PgSignalRepository::Purge(const CallContext& call, absl::Time cutoff,
                                                               bool dry_run, const common::ProcessingRecord& record) {
  domain::PurgeOutcome outcome;
  const std::string& S = schema_;
  const long long cut = Micros(cutoff);
  if (dry_run) {
    absl::Status st = common::db::WithSession(*pool_, [&](soci::session& sql) -> absl::Status {
      long long count = 0;
      sql << "SELECT count(*) FROM " + S + ".signals WHERE final_time < " + S + ".from_micros(:c)",
          soci::use(cut), soci::into(count);
      outcome.count = count;
      const int limit = static_cast<int>(kMaxReportedIds);
      soci::rowset<std::string> ids = (sql.prepare << "SELECT id::text FROM " + S + ".signals WHERE final_time < " +
                                                          S + ".from_micros(:c) ORDER BY final_time, id LIMIT :lim",
                                       soci::use(cut), soci::use(limit));
      for (const std::string& id : ids) outcome.signal_ids.push_back(id);
      return absl::OkStatus();
    }, call.deadline);
    if (!st.ok()) return st;
    return outcome;
  }
  // Batches, each its own transaction; SKIP LOCKED lets replicas (or a concurrent RPC) share
  // the work without waiting on or repeating each other.
  while (true) {
    int batch_count = 0;
    absl::Status st = common::db::InTransaction(*pool_, [&](Tx& tx) -> absl::Status {
      soci::session& sql = tx.sql();
      std::vector<std::string> ids;
      soci::rowset<std::string> rows =
          (sql.prepare << "SELECT id::text FROM " + S + ".signals WHERE final_time < " + S +
                              ".from_micros(:c) ORDER BY final_time, id LIMIT :lim FOR UPDATE SKIP LOCKED",
           soci::use(cut), soci::use(kPurgeBatch));
      for (const std::string& id : rows) ids.push_back(id);
      if (ids.empty()) return absl::OkStatus();
      const std::string ids_lit = common::db::TextArrayLiteral(ids);
      common::ProcessingRecord rec = record;
      soci::rowset<std::string> bsns =
          (sql.prepare << "SELECT bsn FROM " + S + ".signal_customers WHERE signal_id = ANY(CAST(:ids AS uuid[]))",
           soci::use(ids_lit));
      for (const std::string& b : bsns) {
        if (auto bsn = common::Bsn::Parse(b); bsn.ok()) rec.data_subjects.push_back(*bsn);
      }
      sql << "DELETE FROM " + S + ".signals WHERE id = ANY(CAST(:ids AS uuid[]))", soci::use(ids_lit);
      common::db::ForgetRequestIds(tx, S, ids_lit);
      rec.attributes["purged_signal_count"] = absl::StrCat(ids.size());
      rec.attributes["cutoff_time"] = absl::FormatTime(absl::RFC3339_full, cutoff, absl::UTCTimeZone());
      log_->Append(tx, call, rec);
      batch_count = static_cast<int>(ids.size());
      tx.OnCommit([&outcome, ids = std::move(ids)] {
        outcome.count += static_cast<int64_t>(ids.size());
        for (const auto& id : ids) {
          if (outcome.signal_ids.size() < kMaxReportedIds) outcome.signal_ids.push_back(id);
        }
      });
      return absl::OkStatus();
    }, call.deadline);
    if (!st.ok()) return st;
    if (batch_count < kPurgeBatch) break;
  }
  return outcome;
}

}  // namespace cak::intake::storage
