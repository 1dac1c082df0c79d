// Signals in PostgreSQL (see pg_signal_repository.h). Multi-row writes bind whole lists as array
// parameters and combine with data-modifying CTEs, so a submit is a handful of round trips
// whatever its size.
#include "intake-svc/src/storage/pg_signal_repository.h"

#include <nlohmann/json.hpp>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/base/errors.h"
#include "common/db/idempotency.h"
#include "common/db/prepared.h"
#include "common/db/removal_feed_position.h"
#include "common/db/sql_array.h"
#include "common/db/sql_values.h"
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
         ".to_micros(s.final_time), s.action_traceparent";
}
constexpr int kBasicColumnCount = 16;

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
  s.action_traceparent = r.get<std::string>(15);
  return s;
}

// Stored suggestions: [[candidate id, same regulation+category, shared customers], ...].
std::vector<domain::DuplicateCandidate> ParseCandidates(const std::string& text) {
  std::vector<domain::DuplicateCandidate> out;
  for (const auto& d : json::parse(text)) {
    const int shared = d[2].get<int>();
    out.push_back(domain::DuplicateCandidate{d[0], domain::ClassifyDuplicate(d[1].get<bool>(), shared), shared});
  }
  return out;
}

}  // namespace

PgSignalRepository::PgSignalRepository(common::db::PgPool* pool, std::string schema,
                                       const common::db::ProcessingLogStore* log, BatchOptions batching)
    : pool_(pool), schema_(std::move(schema)), channel_(NotifyChannel(schema_)), log_(log) {
  if (batching.workers > 0) {
    batcher_ = std::make_unique<common::Batcher<CreateItem, absl::StatusOr<domain::CreateOutcome>>>(
        batching.workers, batching.max_batch,
        [this](const std::vector<const CreateItem*>& items) { return CreateMany(items); });
  }
}

PgSignalRepository::~PgSignalRepository() = default;

std::optional<Signal> PgSignalRepository::Load(soci::session& sql, const std::string& id, bool for_update) const {
  const std::string& S = schema_;
  soci::row r;
  sql << "SELECT " + BasicColumns(S) +
             ", to_json(s.example_customers)::text"
             ", (SELECT coalesce(json_agg(json_build_array(a.file_name, a.media_type, a.size_bytes, a.uri, a.sha256)"
             " ORDER BY a.position), '[]') FROM " +
             S +
             ".signal_attachments a WHERE a.signal_id = s.id)::text"
             ", (SELECT coalesce(json_agg(json_build_array(i.text, i.actor_id, i.actor_kind, " +
             S + ".to_micros(i.add_time)) ORDER BY i.position), '[]') FROM " + S +
             ".signal_information i WHERE i.signal_id = s.id)::text"
             ", s.duplicate_candidates::text"
             ", (SELECT coalesce(json_agg(json_build_array(e.from_state, e.to_state, e.actor_id, e.actor_kind, " +
             S + ".to_micros(e.event_time)) ORDER BY e.sequence), '[]') FROM " + S +
             ".signal_events e WHERE e.signal_id = s.id AND (e.from_state IS NULL OR e.from_state <> e.to_state))::text"
             " FROM " +
             S + ".signals s WHERE s.id = CAST(:id AS uuid)" + (for_update ? " FOR UPDATE OF s" : ""),
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
  s.duplicate_candidates = ParseCandidates(r.get<std::string>(k + 3));
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

absl::StatusOr<domain::CreateOutcome> PgSignalRepository::Create(const CallContext& call,
                                                                 const domain::CreateCommand& command) {
  const CreateItem item{&call, &command};
  if (batcher_) return batcher_->Run(item);
  return CreateMany({&item})[0];
}

std::vector<absl::StatusOr<domain::CreateOutcome>> PgSignalRepository::CreateMany(
    const std::vector<const CreateItem*>& items) {
  std::vector<absl::StatusOr<domain::CreateOutcome>> results(items.size(), absl::UnknownError("not run"));
  // A caller whose deadline has passed is answered alone; the others' batch is not bounded by
  // anyone's deadline (the server's statement timeout still is), so one impatient caller
  // cannot fail a whole batch.
  const absl::Time now = absl::Now();
  std::vector<const CreateItem*> live;
  std::vector<size_t> live_at;
  for (size_t i = 0; i < items.size(); ++i) {
    if (items[i]->call->deadline <= now) {
      results[i] = absl::DeadlineExceededError("the request deadline passed before the signal was written");
    } else {
      live.push_back(items[i]);
      live_at.push_back(i);
    }
  }
  if (live.empty()) return results;
  if (live.size() < items.size()) {
    auto written = CreateMany(live);
    for (size_t k = 0; k < live.size(); ++k) results[live_at[k]] = std::move(written[k]);
    return results;
  }
  absl::Status st =
      common::db::InTransaction(*pool_, [&](Tx& tx) -> absl::Status { return WriteCreates(tx, items, &results); });
  if (st.ok()) return results;
  if (items.size() == 1 || st.code() == absl::StatusCode::kUnavailable ||
      st.code() == absl::StatusCode::kResourceExhausted) {
    for (auto& r : results) r = st;
    return results;
  }
  // One item spoiled the batch (or the shortest deadline did): each on its own.
  for (size_t i = 0; i < items.size(); ++i) results[i] = CreateMany({items[i]})[0];
  return results;
}

absl::Status PgSignalRepository::WriteCreates(Tx& tx, const std::vector<const CreateItem*>& items,
                                              std::vector<absl::StatusOr<domain::CreateOutcome>>* results) const {
  soci::session& sql = tx.sql();
  const std::string& S = schema_;

  // 1. Idempotency: claim every request_id at once; the ones already taken are repeats (or a
  //    reused request_id), answered after the new signals are in.
  std::vector<bool> is_new(items.size(), true);
  std::vector<std::optional<std::string>> replay_of(items.size());
  std::vector<common::db::Claim> claims;
  std::vector<size_t> claimed_by;
  for (size_t i = 0; i < items.size(); ++i) {
    const domain::CreateCommand& c = *items[i]->command;
    if (!c.idempotency) continue;
    claims.push_back(common::db::Claim{&*c.idempotency, c.signal.id, c.signal.receive_time});
    claimed_by.push_back(i);
  }
  auto claimed = common::db::ClaimRequestIds(tx, S, claims);
  for (size_t k = 0; k < claimed.size(); ++k) {
    const size_t i = claimed_by[k];
    if (!claimed[k].ok()) {
      is_new[i] = false;
      (*results)[i] = claimed[k].status();
    } else if (claimed[k]->has_value()) {
      is_new[i] = false;
      replay_of[i] = **claimed[k];
    }
  }

  // 2. The new signals, their customers, attachments, first event and duplicate suggestions in
  //    one statement. Suggestions come from the signals committed before this transaction.
  //    They stay here, before the commit, and go back in the response (issue 2 allowed them
  //    after the commit, through the watch stream and GetSignal): bounded by an index they
  //    cost a few index probes, while storing them after the commit would cost a second
  //    write of every signal row and a second durable commit.
  std::vector<std::string> ids, rids, descrs, traces;
  std::vector<int64_t> rks, chs, cats, regs, cnts, ts, sinces, new_idx;
  std::vector<int64_t> a_idx, a_pos, a_sz;
  std::vector<std::string> custs, a_fn, a_mt, a_uri, a_sha;
  for (size_t i = 0; i < items.size(); ++i) {
    if (!is_new[i]) continue;
    const domain::CreateCommand& c = *items[i]->command;
    const Signal& s = c.signal;
    const int64_t n = static_cast<int64_t>(new_idx.size()) + 1;  // 1-based, as WITH ORDINALITY
    new_idx.push_back(static_cast<int64_t>(i));
    ids.push_back(s.id);
    rids.push_back(s.reporter.id);
    descrs.push_back(s.description);
    traces.push_back(s.action_traceparent);
    rks.push_back(static_cast<int64_t>(s.reporter.kind));
    chs.push_back(static_cast<int64_t>(s.source_channel));
    cats.push_back(static_cast<int64_t>(s.category));
    regs.push_back(static_cast<int64_t>(s.regulation));
    cnts.push_back(static_cast<int64_t>(s.example_customers.size()));
    ts.push_back(absl::ToUnixMicros(s.receive_time));
    sinces.push_back(absl::ToUnixMicros(c.duplicates.received_since));
    // Each signal's customers as an array literal of its own (BSNs are digits: nothing to quote).
    std::vector<std::string> digits;
    for (const common::Bsn& b : s.example_customers) digits.push_back(b.digits());
    custs.push_back(absl::StrCat("{", absl::StrJoin(digits, ","), "}"));
    for (size_t k = 0; k < s.attachments.size(); ++k) {
      const auto& a = s.attachments[k];
      a_idx.push_back(n);
      a_pos.push_back(static_cast<int64_t>(k + 1));
      a_fn.push_back(a.file_name);
      a_mt.push_back(a.media_type);
      a_sz.push_back(a.size_bytes);
      a_uri.push_back(a.uri);
      a_sha.push_back(a.sha256);
    }
  }
  if (!new_idx.empty()) {
    using common::db::IntArrayLiteral;
    using common::db::TextArrayLiteral;
    const std::string l_id = TextArrayLiteral(ids), l_rid = TextArrayLiteral(rids), l_rk = IntArrayLiteral(rks),
                      l_ch = IntArrayLiteral(chs), l_cat = IntArrayLiteral(cats), l_reg = IntArrayLiteral(regs),
                      l_descr = TextArrayLiteral(descrs), l_cnt = IntArrayLiteral(cnts), l_t = IntArrayLiteral(ts),
                      l_since = IntArrayLiteral(sinces), l_custs = TextArrayLiteral(custs),
                      l_aidx = IntArrayLiteral(a_idx), l_apos = IntArrayLiteral(a_pos), l_afn = TextArrayLiteral(a_fn),
                      l_amt = TextArrayLiteral(a_mt), l_asz = IntArrayLiteral(a_sz), l_auri = TextArrayLiteral(a_uri),
                      l_asha = TextArrayLiteral(a_sha), l_trace = TextArrayLiteral(traces);
    const int limit = items[new_idx[0]]->command->duplicates.limit;
    const std::string open = OpenStatesSql();
    const std::string limit_text = std::to_string(limit);
    const common::db::TextRows rows = common::db::ExecutePrepared(
        sql,
        "WITH input AS (SELECT i0.*, CAST(i0.custs AS text[]) AS bsns FROM unnest(CAST($1 AS uuid[]),"
        " CAST($2 AS text[]), CAST($3 AS smallint[]), CAST($4 AS smallint[]), CAST($5 AS smallint[]),"
        " CAST($6 AS smallint[]), CAST($7 AS text[]), CAST($8 AS int[]), CAST($9 AS bigint[]), CAST($10 AS bigint[]),"
        " CAST($11 AS text[]), CAST($21 AS text[])) WITH ORDINALITY"
        " AS i0(id, rid, rk, ch, cat, reg, descr, cnt, t, since, custs, trace, idx)),"
        // Duplicate suggestions: open signals on the same topic in the window (the newest few)
        // or sharing example customers. The topic scan runs once per topic in the batch, from
        // the earliest window start; each signal then keeps those inside its own window, which
        // gives exactly its own newest few (they are a prefix of the topic's newest).
        " topics AS (SELECT reg, cat, min(since) AS since FROM input GROUP BY reg, cat),"
        " topic_cands AS MATERIALIZED (SELECT t.reg, t.cat, s.id, s.receive_time AS rt FROM topics t CROSS JOIN "
        "LATERAL ("
        "  SELECT s.id, s.receive_time FROM " +
            S + ".signals s WHERE s.state IN " + open +
            "  AND s.regulation = t.reg AND s.category = t.cat AND s.receive_time >= " + S +
            ".from_micros(t.since)"
            "  ORDER BY s.receive_time DESC LIMIT $12) s),"
            " cands AS (SELECT i.idx, coalesce(jsonb_agg(jsonb_build_array(d.id, d.same, d.shared)"
            " ORDER BY d.rt DESC, d.id DESC) FILTER (WHERE d.id IS NOT NULL), '[]'::jsonb) AS j"
            " FROM input i LEFT JOIN LATERAL ("
            "  SELECT x.id, bool_or(x.topic) AS same, max(x.shared)::int AS shared, max(x.rt) AS rt FROM ("
            "   SELECT tc.id, true AS topic, 0::bigint AS shared, tc.rt FROM topic_cands tc"
            "    WHERE tc.reg = i.reg AND tc.cat = i.cat AND tc.rt >= " +
            S +
            ".from_micros(i.since)"
            "   UNION ALL"
            // Shared customers (migration 0004): per customer of the new signal, the newest few
            // open signals naming them, a backward range scan of open_signal_customers' key with
            // a LIMIT, however many open signals name them. Bounded, and still exact: a signal
            // among the newest few of the union is among the newest few of every customer list
            // it is on (those are subsets of the union, in the same order), so counting the
            // lists it is on gives every customer it shares.
            "   SELECT c.id, false, count(*), max(c.rt) FROM unnest(i.bsns) AS b(bsn) CROSS JOIN LATERAL ("
            "    SELECT o.signal_id AS id, o.receive_time AS rt FROM " +
            S +
            ".open_signal_customers o WHERE o.bsn = b.bsn"
            "    ORDER BY o.receive_time DESC, o.signal_id DESC LIMIT $13) c GROUP BY c.id"
            "  ) x GROUP BY x.id ORDER BY max(x.rt) DESC, x.id DESC LIMIT $13"
            " ) d ON true GROUP BY i.idx),"
            " sig AS (INSERT INTO " +
            S +
            ".signals (id, reporter_id, reporter_kind, source_channel, category, regulation,"
            " description, state, example_customer_count, example_customers, receive_time, update_time,"
            " duplicate_candidates, action_traceparent)"
            " SELECT i.id, i.rid, i.rk, i.ch, i.cat, i.reg, i.descr, 1, i.cnt, i.bsns, " +
            S + ".from_micros(i.t), " + S +
            ".from_micros(i.t), cands.j, i.trace FROM input i JOIN cands USING (idx)),"
            // A new signal is open (RECEIVED): its customers go into the duplicate index. The
            // cands above do not see them (one snapshot), as they do not see the signals.
            " osc AS (INSERT INTO " +
            S + ".open_signal_customers (bsn, receive_time, signal_id) SELECT b.bsn, " + S +
            ".from_micros(i.t), i.id FROM input i CROSS JOIN LATERAL unnest(i.bsns) AS b(bsn)),"
            " att AS (INSERT INTO " +
            S +
            ".signal_attachments (signal_id, position, file_name, media_type, size_bytes,"
            " uri, sha256) SELECT i.id, a.pos, a.fn, a.mt, a.sz, a.uri, a.sha FROM unnest(CAST($14 AS bigint[]),"
            " CAST($15 AS int[]), CAST($16 AS text[]), CAST($17 AS text[]), CAST($18 AS bigint[]),"
            " CAST($19 AS text[]), CAST($20 AS text[])) AS a(idx, pos, fn, mt, sz, uri, sha) JOIN input i USING (idx)),"
            // No NOTIFY: nobody can be watching a signal that did not exist yet, and NOTIFY would
            // serialise every committing submit on PostgreSQL's notify-queue lock.
            " ev AS (INSERT INTO " +
            S +
            ".signal_events (signal_id, type, from_state, to_state, actor_id, actor_kind,"
            " event_time) SELECT i.id, 1, NULL, 1, i.rid, i.rk, " +
            S +
            ".from_micros(i.t) FROM input i)"
            " SELECT idx, j::text FROM cands",
        {l_id,       l_rid,      l_rk,   l_ch,   l_cat, l_reg, l_descr, l_cnt,  l_t,    l_since, l_custs,
         limit_text, limit_text, l_aidx, l_apos, l_afn, l_amt, l_asz,   l_auri, l_asha, l_trace});
    for (const auto& r : rows) {
      const size_t i = static_cast<size_t>(new_idx[std::stoll(*r[0]) - 1]);
      domain::CreateOutcome outcome;
      outcome.signal = items[i]->command->signal;
      outcome.signal.duplicate_candidates = ParseCandidates(*r[1]);
      (*results)[i] = std::move(outcome);
    }
    // 3. Their processing-log entries, all in one statement.
    std::vector<std::pair<const CallContext*, const common::ProcessingRecord*>> records;
    for (int64_t i : new_idx) {
      const auto& cmd = *items[i]->command;
      if (!cmd.record.data_subjects.empty()) records.push_back({items[i]->call, &cmd.record});
    }
    // The subjects as narrow subject rows under each operation's entry (DESIGN.md 4.2), as a
    // bulk disclosure keeps them: a row of two columns per example customer instead of a full
    // child entry with its indexes, on the hottest write path; ListBySubject and the logbook
    // export still give each subject an entry of its own.
    log_->AppendAllWithSubjectRows(tx, records);
  }

  // 4. Repeats get the signal the first request created (possibly in this very batch).
  for (size_t i = 0; i < items.size(); ++i) {
    if (!replay_of[i]) continue;
    std::optional<Signal> earlier = Load(sql, *replay_of[i], false);
    if (!earlier) {
      (*results)[i] = domain::SignalNotFound();  // purged since: the request_id is spent
      continue;
    }
    (*results)[i] = domain::CreateOutcome{*std::move(earlier), true};
  }
  return absl::OkStatus();
}

absl::StatusOr<Signal> PgSignalRepository::Read(const CallContext& call, const std::string& id,
                                                const Inspector& inspect) {
  Signal result;
  absl::Status st = common::db::InTransaction(
      *pool_,
      [&](Tx& tx) -> absl::Status {
        std::optional<Signal> s = Load(tx.sql(), id, false);
        if (!s) return domain::SignalNotFound();
        CAK_ASSIGN_OR_RETURN(std::optional<common::ProcessingRecord> record, inspect(*s));
        if (record) log_->Append(tx, call, *record);
        result = *std::move(s);
        return absl::OkStatus();
      },
      call.deadline);
  if (!st.ok()) return st;
  return result;
}

absl::StatusOr<std::vector<Signal>> PgSignalRepository::SignalsNaming(const common::Bsn& customer,
                                                                      absl::Time deadline) {
  std::vector<Signal> out;
  absl::Status st = common::db::WithSession(
      *pool_,
      [&](soci::session& sql) -> absl::Status {
        // A scan of the signals (open_signal_customers covers open signals only, and declined and closed
        // ones are kept until the purge): an access request is rare, and the list is complete.
        const common::db::TextRows ids = common::db::ExecutePrepared(
            sql, "SELECT id FROM " + schema_ + ".signals WHERE $1 = ANY (example_customers) ORDER BY receive_time, id",
            {customer.digits()});
        for (const auto& row : ids) {
          if (std::optional<Signal> s = Load(sql, *row[0], false)) out.push_back(*std::move(s));
        }
        return absl::OkStatus();
      },
      deadline);
  if (!st.ok()) return st;
  return out;
}

absl::StatusOr<int64_t> PgSignalRepository::RemoveExampleCustomers(const CallContext& call,
                                                                   const std::vector<common::Bsn>& customers,
                                                                   bool dry_run, const common::FollowedPage* followed) {
  int64_t n = 0;
  CAK_RETURN_IF_ERROR(common::db::InTransaction(
      *pool_,
      [&](Tx& tx) -> absl::Status {
        const std::string sql = dry_run
                                    ? "SELECT count(*) FROM " + schema_ + ".signals WHERE $1 = ANY (example_customers)"
                                    : "WITH u AS (UPDATE " + schema_ +
                                          ".signals SET example_customers = array_remove(example_customers, $1),"
                                          " example_customer_count = example_customer_count - 1"
                                          " WHERE $1 = ANY (example_customers) RETURNING 1),"
                                          // and out of the duplicate index (migration 0004)
                                          " d AS (DELETE FROM " +
                                          schema_ +
                                          ".open_signal_customers WHERE bsn = $1)"
                                          " SELECT count(*) FROM u";
        for (const common::Bsn& customer : customers) {
          n += common::db::ToInt(common::db::ExecutePrepared(tx.sql(), sql, {customer.digits()}).at(0).at(0));
        }
        if (dry_run || !followed) return absl::OkStatus();
        if (!customers.empty()) {
          common::ProcessingRecord record = followed->record;
          record.data_subjects = customers;
          record.attributes["signals"] = absl::StrCat(n);
          log_->Append(tx, call, record);
        }
        common::db::SaveRemovalPosition(tx, schema_, followed->position);
        return absl::OkStatus();
      },
      call.deadline));
  return n;
}

absl::StatusOr<std::vector<common::Bsn>> PgSignalRepository::ExampleCustomers(absl::Time deadline) {
  std::vector<common::Bsn> out;
  CAK_RETURN_IF_ERROR(common::db::WithSession(
      *pool_,
      [&](soci::session& sql) -> absl::Status {
        for (const auto& r : common::db::ExecutePrepared(
                 sql, "SELECT DISTINCT unnest(example_customers) FROM " + schema_ + ".signals", {})) {
          CAK_ASSIGN_OR_RETURN(common::Bsn bsn, common::Bsn::Parse(*r[0], "example_customers"));
          out.push_back(std::move(bsn));
        }
        return absl::OkStatus();
      },
      deadline));
  return out;
}

absl::StatusOr<common::RemovalPosition> PgSignalRepository::RemovalFeedPosition(absl::Time deadline) {
  return common::db::ReadRemovalPosition(*pool_, schema_, deadline);
}

absl::StatusOr<Signal> PgSignalRepository::Update(const CallContext& call, const std::string& id,
                                                  const Decider& decide) {
  Signal result;
  absl::Status st = common::db::InTransaction(
      *pool_,
      [&](Tx& tx) -> absl::Status {
        soci::session& sql = tx.sql();
        std::optional<Signal> current = Load(sql, id, true);
        if (!current) return domain::SignalNotFound();
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
        sql << "WITH up AS (UPDATE " + S +
                   ".signals SET state = :to, decline_reason = :dr,"
                   " feedback = CASE WHEN :fs = 1 THEN :fb ELSE feedback END,"
                   " campaign = CASE WHEN :cs = 1 THEN :cp ELSE campaign END,"
                   " final_time = CASE WHEN :fts = 1 THEN " +
                   S +
                   ".from_micros(:ft) ELSE NULL END,"
                   " update_time = " +
                   S +
                   ".from_micros(:ut) WHERE id = CAST(:id AS uuid) RETURNING id),"
                   " info AS (INSERT INTO " +
                   S +
                   ".signal_information (signal_id, position, text, actor_id, actor_kind, add_time)"
                   " SELECT up.id, (SELECT coalesce(max(position), 0) + 1 FROM " +
                   S + ".signal_information WHERE signal_id = up.id), :it, :ia, :ik, " + S +
                   ".from_micros(:itm)"
                   " FROM up WHERE :is = 1),"
                   " ev AS (INSERT INTO " +
                   S +
                   ".signal_events (signal_id, type, from_state, to_state, actor_id, actor_kind, event_time,"
                   " decline_reason, text) SELECT up.id, :ty, :fr, :to2, :ea, :ek, " +
                   S +
                   ".from_micros(:et), :er, :ex FROM up RETURNING sequence)"
                   " SELECT ev.sequence FROM ev CROSS JOIN LATERAL (SELECT pg_notify(:chan, :nid)) AS n",
            soci::use(to), soci::use(reason), soci::use(feedback_set), soci::use(feedback), soci::use(campaign_set),
            soci::use(campaign), soci::use(final_set), soci::use(final_time), soci::use(update_time), soci::use(id),
            soci::use(info_text), soci::use(info_actor), soci::use(info_kind), soci::use(info_time),
            soci::use(info_set), soci::use(type), soci::use(from), soci::use(to), soci::use(e.actor.id),
            soci::use(actor_kind), soci::use(event_time), soci::use(event_reason), soci::use(e.text),
            soci::use(channel_), soci::use(id), soci::into(sequence);
        // The duplicate index holds open signals only (migration 0004): a decision that closes
        // the signal takes its customers out, information that reopens it puts them back.
        const bool was_open = domain::IsOpen(current->state), is_open = domain::IsOpen(m.to);
        if (was_open != is_open && !current->example_customers.empty()) {
          common::db::ExecutePrepared(
              sql,
              is_open ? "INSERT INTO " + S +
                            ".open_signal_customers (bsn, receive_time, signal_id)"
                            " SELECT unnest(s.example_customers), s.receive_time, s.id FROM " +
                            S + ".signals s WHERE s.id = CAST($1 AS uuid) ON CONFLICT DO NOTHING"
                      : "DELETE FROM " + S + ".open_signal_customers o USING " + S +
                            ".signals s WHERE s.id = CAST($1 AS uuid) AND o.bsn = ANY (s.example_customers)"
                            " AND o.receive_time = s.receive_time AND o.signal_id = s.id",
              {id});
        }
        if (m.record) log_->Append(tx, call, *m.record);
        result = domain::ApplyMutation(*std::move(current), m);
        return absl::OkStatus();
      },
      call.deadline);
  if (!st.ok()) return st;
  return result;
}

absl::StatusOr<std::vector<Signal>> PgSignalRepository::List(const domain::ListQuery& q, absl::Time deadline) {
  std::vector<Signal> out;
  // A (read-only) transaction, so that the caller's deadline also bounds the statement.
  absl::Status st = common::db::InTransaction(
      *pool_,
      [&](Tx& tx) -> absl::Status {
        soci::session& sql = tx.sql();
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
            (sql.prepare << "SELECT " + BasicColumns(S) + " FROM " + S +
                                ".signals s"
                                " WHERE (:st = 0 OR s.state = :st2) AND (:ca = 0 OR s.category = :ca2)"
                                " AND (:re = 0 OR s.regulation = :re2) AND (:rp = '' OR s.reporter_id = :rp2)"
                                " AND (:fs = 0 OR s.receive_time >= " +
                                S +
                                ".from_micros(:f))"
                                " AND (:bs = 0 OR s.receive_time < " +
                                S +
                                ".from_micros(:b))"
                                " AND (:as = 0 OR (s.receive_time, s.id) < (" +
                                S +
                                ".from_micros(:at), CAST(:aid AS uuid)))"
                                " ORDER BY s.receive_time DESC, s.id DESC LIMIT :lim",
             soci::use(state), soci::use(state), soci::use(category), soci::use(category), soci::use(regulation),
             soci::use(regulation), soci::use(q.reporter), soci::use(q.reporter), soci::use(from_set), soci::use(from),
             soci::use(before_set), soci::use(before), soci::use(after_set), soci::use(after_time), soci::use(after_id),
             soci::use(q.limit));
        for (const soci::row& r : rows) {
          Signal s = FillBasic(r);
          out.push_back(std::move(s));
        }
        return absl::OkStatus();
      },
      deadline);
  if (!st.ok()) return st;
  return out;
}

absl::StatusOr<std::vector<SignalEvent>> PgSignalRepository::EventsAfter(const std::string& id, int64_t after,
                                                                         int limit, absl::Time deadline) {
  std::vector<SignalEvent> out;
  absl::Status st = common::db::InTransaction(
      *pool_,
      [&](Tx& tx) -> absl::Status {
        soci::session& sql = tx.sql();
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
      },
      deadline);
  if (!st.ok()) return st;
  return out;
}

absl::StatusOr<domain::PurgeOutcome> PgSignalRepository::Purge(const CallContext& call, absl::Time cutoff, bool dry_run,
                                                               const common::ProcessingRecord& record) {
  domain::PurgeOutcome outcome;
  const std::string& S = schema_;
  const long long cut = Micros(cutoff);
  if (dry_run) {
    absl::Status st = common::db::InTransaction(
        *pool_,
        [&](Tx& tx) -> absl::Status {
          soci::session& sql = tx.sql();
          long long count = 0;
          sql << "SELECT count(*) FROM " + S + ".signals WHERE final_time < " + S + ".from_micros(:c)", soci::use(cut),
              soci::into(count);
          outcome.count = count;
          const int limit = static_cast<int>(kMaxReportedIds);
          soci::rowset<std::string> ids = (sql.prepare << "SELECT id::text FROM " + S + ".signals WHERE final_time < " +
                                                              S + ".from_micros(:c) ORDER BY final_time, id LIMIT :lim",
                                           soci::use(cut), soci::use(limit));
          for (const std::string& id : ids) outcome.signal_ids.push_back(id);
          return absl::OkStatus();
        },
        call.deadline);
    if (!st.ok()) return st;
    return outcome;
  }
  // Batches, each its own transaction; SKIP LOCKED lets replicas (or a concurrent RPC) share
  // the work without waiting on or repeating each other.
  while (true) {
    int batch_count = 0;
    absl::Status st = common::db::InTransaction(
        *pool_,
        [&](Tx& tx) -> absl::Status {
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
          soci::rowset<std::string> bsns = (sql.prepare << "SELECT unnest(example_customers) FROM " + S +
                                                               ".signals WHERE id = ANY(CAST(:ids AS uuid[]))",
                                            soci::use(ids_lit));
          for (const std::string& b : bsns) {
            if (auto bsn = common::Bsn::Parse(b); bsn.ok()) rec.data_subjects.push_back(*bsn);
          }
          // (Final signals only: none of them is in open_signal_customers.)
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
        },
        call.deadline);
    if (!st.ok()) return st;
    if (batch_count < kPurgeBatch) break;
  }
  return outcome;
}

}  // namespace cak::intake::storage
