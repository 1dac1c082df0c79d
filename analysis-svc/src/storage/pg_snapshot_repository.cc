// PostgreSQL snapshot repository (see pg_snapshot_repository.h).
#include "analysis-svc/src/storage/pg_snapshot_repository.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <cstring>
#include <future>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/base/errors.h"
#include "common/base/log.h"
#include "common/db/copy.h"
#include "common/db/idempotency.h"
#include "common/db/prepared.h"
#include "common/db/sql_values.h"

namespace cak::analysis::storage {

using common::db::IsoDay;
using common::db::ParseIsoDay;
using common::db::ToInt;

namespace {

using common::db::CopyOut;
using common::db::CopyRow;
using common::db::ExecutePrepared;
using common::db::Lease;
using common::db::PipelinedCopyIn;
using common::db::TextRows;
using common::db::Tx;
using domain::Dataset;

template <typename Fn>
absl::Status Guard(soci::session& sql, Fn&& fn) {
  try {
    return fn();
  } catch (const std::exception& e) {
    return common::db::SociErrorToStatus(e, sql);
  }
}

// "YYYY-MM-DD" -> yyyymmdd (the columnar birth-date form).
int32_t Ymd(absl::string_view d) {
  const absl::CivilDay day = ParseIsoDay(d);
  return static_cast<int32_t>(day.year() * 10000 + day.month() * 100 + day.day());
}

std::string ErrorsJson(const std::vector<domain::RowError>& errors) {
  nlohmann::json j = nlohmann::json::array();
  for (const auto& e : errors) j.push_back({e.row, e.field, e.reason, e.message});
  return j.dump();
}

class PgDatasetLoad final : public domain::DatasetLoad {
 public:
  PgDatasetLoad(Lease lease, std::string schema, const common::db::ProcessingLogStore* log, Dataset dataset,
                int64_t version)
      : lease_(std::move(lease)), schema_(std::move(schema)), log_(log), dataset_(dataset), version_(version) {}

  ~PgDatasetLoad() override {
    soci::session& sql = lease_.sql();
    copy_.reset();  // aborts an unfinished COPY
    // Each step on its own: a failed discard must not leave the lock or the setting behind on a
    // pooled session (a held lock would keep the collector from ever taking this version).
    if (!published_) {
      try {
        ExecutePrepared(sql, "SELECT " + schema_ + ".discard_dataset_version(CAST($1 AS bigint))",
                        {absl::StrCat(version_)});
      } catch (const std::exception&) {
        // The collector drops it once the lock is gone.
        common::log::Warning("dataset_discard_failed", {{"dataset_version", version_}});
      }
    }
    try {
      sql << "SELECT pg_advisory_unlock_all()";
      sql << "RESET statement_timeout";
    } catch (const std::exception&) {
      // The connection broke: the lock went with it; the pool reopens the session.
    }
  }

  // Opens the COPY (create_dataset_version took the liveness lock on this session already).
  absl::Status Start() {
    soci::session& sql = lease_.sql();
    return Guard(sql, [&] {
      sql << "SET statement_timeout = 0";  // a load of millions of rows is one statement
      copy_ = std::make_unique<PipelinedCopyIn>(
          sql, absl::StrCat("COPY ", PgSnapshotRepository::VersionTable(schema_, dataset_, version_), " (",
                            absl::StrJoin(domain::CopyColumns(dataset_), ", "), ") FROM STDIN"));
      return absl::OkStatus();
    });
  }

  int64_t version() const override { return version_; }

  absl::Status Write(absl::string_view lines) override {
    return Guard(lease_.sql(), [&] {
      copy_->Write(std::string(lines));
      return absl::OkStatus();
    });
  }

  absl::Status Finish(int64_t rows_read, int64_t rows_rejected, const std::map<std::string, int64_t>& skipped,
                      const std::vector<domain::RowError>& errors) override {
    soci::session& sql = lease_.sql();
    return Guard(sql, [&] {
      const int64_t loaded = copy_->End();
      copy_.reset();
      ExecutePrepared(sql,
                      "SELECT " + schema_ +
                          ".finish_dataset_version(CAST($1 AS bigint), CAST($2 AS bigint), CAST($3 AS bigint), "
                          "CAST($4 AS bigint), CAST($5 AS jsonb))",
                      {absl::StrCat(version_), absl::StrCat(rows_read), absl::StrCat(loaded),
                       absl::StrCat(rows_rejected), ErrorsJson(errors)});
      if (!skipped.empty()) {
        int64_t total = 0;
        nlohmann::json by_reason = nlohmann::json::object();
        for (const auto& [why, n] : skipped) {
          by_reason[why] = n;
          total += n;
        }
        ExecutePrepared(sql,
                        "UPDATE " + schema_ +
                            ".dataset_versions SET rows_skipped = CAST($2 AS bigint), skipped = CAST($3 AS jsonb)"
                            " WHERE id = CAST($1 AS bigint)",
                        {absl::StrCat(version_), absl::StrCat(total), by_reason.dump()});
      }
      return absl::OkStatus();
    });
  }

  absl::StatusOr<PublishOutcome> Publish(const common::CallContext& call, const common::IdempotencyKey* key,
                                         const common::ProcessingRecord& record) override {
    soci::session& sql = lease_.sql();
    PublishOutcome outcome;
    absl::Status st = Guard(sql, [&]() -> absl::Status {
      Tx tx(sql);
      if (key) {
        CAK_ASSIGN_OR_RETURN(std::optional<std::string> existing,
                             common::db::ClaimRequestId(tx, schema_, *key, absl::StrCat(version_), call.start_time));
        if (existing) {
          int64_t v = 0;
          (void)absl::SimpleAtoi(*existing, &v);
          outcome.existing_dataset_version = v;
          return absl::OkStatus();  // rolls back; the destructor discards this version
        }
      }
      const TextRows rows = ExecutePrepared(sql, "SELECT " + schema_ + ".publish_dataset_version(CAST($1 AS bigint))",
                                            {absl::StrCat(version_)});
      outcome.snapshot_version = ToInt(rows.at(0).at(0));
      log_->Append(tx, call, record);
      tx.Commit();
      published_ = true;
      return absl::OkStatus();
    });
    if (!st.ok()) return st;
    return outcome;
  }

 private:
  Lease lease_;
  std::string schema_;
  const common::db::ProcessingLogStore* log_;
  Dataset dataset_;
  int64_t version_;
  std::unique_ptr<PipelinedCopyIn> copy_;
  bool published_ = false;
};

}  // namespace

PgSnapshotRepository::PgSnapshotRepository(common::db::PgPool* pool, const common::db::ProcessingLogStore* log,
                                           Options options)
    : pool_(pool), log_(log), options_(std::move(options)) {}

std::string PgSnapshotRepository::VersionTable(const std::string& schema, Dataset dataset, int64_t version) {
  return absl::StrCat(schema, ".", domain::DatasetName(dataset), "_v", version);
}

absl::StatusOr<domain::SnapshotInfo> PgSnapshotRepository::CurrentSnapshot(absl::Time deadline) {
  const std::string& s = options_.schema;
  domain::SnapshotInfo info;
  absl::Status st = common::db::WithSession(
      *pool_,
      [&](soci::session& sql) -> absl::Status {
        std::string select = "SELECT s.version, " + s + ".to_micros(s.created_time)";
        std::string from = " FROM " + s + ".snapshots s";
        int k = 0;
        for (Dataset d : domain::kAllDatasets) {
          const std::string a = absl::StrCat("d", k++);
          absl::StrAppend(&select, ", ", a, ".id, ", a, ".rows_loaded, ", s, ".to_micros(", a, ".published_time), ", a,
                          ".source");
          absl::StrAppend(&from, " LEFT JOIN ", s, ".dataset_versions ", a, " ON ", a, ".id = s.",
                          domain::DatasetName(d), "_version");
        }
        const TextRows rows = ExecutePrepared(sql, select + from + " ORDER BY s.version DESC LIMIT 1", {});
        if (rows.empty()) return absl::OkStatus();
        const auto& r = rows[0];
        info.version = ToInt(r[0]);
        info.created_time = absl::FromUnixMicros(ToInt(r[1]));
        for (size_t i = 0; i < 4; ++i) {
          if (!r[2 + i * 4]) continue;
          auto& d = info.datasets[i];
          d.version = ToInt(r[2 + i * 4]);
          d.row_count = ToInt(r[3 + i * 4]);
          d.imported_time = absl::FromUnixMicros(ToInt(r[4 + i * 4]));
          d.source = r[5 + i * 4].value_or("");
        }
        return absl::OkStatus();
      },
      deadline);
  if (!st.ok()) return st;
  return info;
}

std::vector<PgSnapshotRepository::ColumnarCopy> PgSnapshotRepository::ColumnarCopies(
    const std::string& schema, const std::string& zone, const domain::SnapshotInfo& snapshot) {
  auto table = [&](Dataset d) { return VersionTable(schema, d, snapshot.of(d).version); };
  std::vector<ColumnarCopy> out;
  // The customers first: every other part's layout waits for theirs.
  if (snapshot.of(Dataset::kCustomers).version != 0) {
    out.push_back({Dataset::kCustomers,
                   "COPY (SELECT bsn, regulation, substr(municipality_code, 3), debt_cents, payment_plan, active,"
                   " birth_date, inactive_since, street IS NOT NULL, phone IS NOT NULL, email IS NOT NULL FROM " +
                       table(Dataset::kCustomers) + ") TO STDOUT"});
  }
  if (snapshot.of(Dataset::kContactReports).version != 0) {
    out.push_back({Dataset::kContactReports,
                   "COPY (SELECT customer_bsn, channel, reached, (contact_time AT TIME ZONE '" + zone +
                       "')::date - DATE '1970-01-01', topic FROM " + table(Dataset::kContactReports) + ") TO STDOUT"});
  }
  if (snapshot.of(Dataset::kMailings).version != 0) {
    out.push_back(
        {Dataset::kMailings, "COPY (SELECT customer_bsn, mailing_type, planned_date - DATE '1970-01-01' FROM " +
                                 table(Dataset::kMailings) + ") TO STDOUT"});
  }
  if (snapshot.of(Dataset::kRelations).version != 0) {
    out.push_back({Dataset::kRelations,
                   "COPY (SELECT relation_seq, customer_bsn, kind, routing, street IS NOT NULL, phone IS NOT NULL,"
                   " email IS NOT NULL FROM " +
                       table(Dataset::kRelations) + ") TO STDOUT"});
  }
  return out;
}

namespace {

// The N tab-separated fields of a COPY text line (escapes not undone); throws when the line
// has another number of fields.
template <size_t N>
void SplitCopyLine(absl::string_view line, std::array<absl::string_view, N>& fields) {
  size_t k = 0;
  const char* p = line.data();
  const char* const end = p + line.size();
  while (k + 1 < N) {
    const char* tab = static_cast<const char*>(std::memchr(p, '\t', static_cast<size_t>(end - p)));
    if (!tab) break;
    fields[k++] = absl::string_view(p, static_cast<size_t>(tab - p));
    p = tab + 1;
  }
  if (k + 1 != N || std::memchr(p, '\t', static_cast<size_t>(end - p))) {
    throw std::runtime_error(absl::StrCat("COPY row with an unexpected number of fields (", N, " expected)"));
  }
  fields[k] = absl::string_view(p, static_cast<size_t>(end - p));
}

bool IsNull(absl::string_view f) { return f == "\\N"; }
bool IsTrue(absl::string_view f) { return !f.empty() && f[0] == 't'; }

// "YYYY-MM-DD" -> yyyymmdd, straight from the digits.
int32_t YmdOf(absl::string_view d) {
  if (d.size() != 10 || d[4] != '-' || d[7] != '-') return Ymd(d);
  auto digit = [&](size_t i) { return static_cast<int32_t>(d[i] - '0'); };
  const int32_t year = digit(0) * 1000 + digit(1) * 100 + digit(2) * 10 + digit(3);
  return year * 10000 + (digit(5) * 10 + digit(6)) * 100 + digit(8) * 10 + digit(9);
}

// The reader of one part's lines into the builder (each part on one thread).
std::function<void(absl::string_view)> LineReader(Dataset dataset, domain::ColumnarBuilder& builder) {
  using domain::ColumnarBuilder;
  switch (dataset) {
    case Dataset::kCustomers:
      return [&builder](absl::string_view line) {
        std::array<absl::string_view, 11> f;
        SplitCopyLine(line, f);
        ColumnarBuilder::CustomerRow c;
        c.bsn = static_cast<int32_t>(ToInt(f[0]));
        c.regulation = static_cast<uint8_t>(domain::ParseRegulation(f[1]).value_or(0));
        c.municipality = static_cast<int>(ToInt(f[2]));
        c.debt_cents = ToInt(f[3]);
        c.payment_plan = IsTrue(f[4]);
        c.active = IsTrue(f[5]);
        c.birth_ymd = YmdOf(f[6]);
        c.inactive_since = IsNull(f[7]) ? 0 : domain::ToDayNumber(ParseIsoDay(f[7]));
        c.has_address = IsTrue(f[8]);
        c.has_phone = IsTrue(f[9]);
        c.has_email = IsTrue(f[10]);
        builder.AddCustomer(c);
      };
    case Dataset::kRelations:
      return [&builder](absl::string_view line) {
        std::array<absl::string_view, 7> f;
        SplitCopyLine(line, f);
        ColumnarBuilder::RelationRow rel;
        rel.seq = ToInt(f[0]);
        rel.customer_bsn = static_cast<int32_t>(ToInt(f[1]));
        rel.kind = static_cast<uint8_t>(domain::ParseRelationKind(f[2]).value_or(0));
        rel.routing = static_cast<uint8_t>(domain::ParseRoutingPreference(f[3]).value_or(0));
        rel.has_address = IsTrue(f[4]);
        rel.has_phone = IsTrue(f[5]);
        rel.has_email = IsTrue(f[6]);
        builder.AddRelation(rel);
      };
    case Dataset::kMailings:
      return [&builder](absl::string_view line) {
        std::array<absl::string_view, 3> f;
        SplitCopyLine(line, f);
        builder.AddMailing(static_cast<int32_t>(ToInt(f[0])),
                           static_cast<uint8_t>(domain::ParseMailingType(f[1]).value_or(0)),
                           static_cast<domain::DayNumber>(ToInt(f[2])));
      };
    case Dataset::kContactReports:
      return [&builder, scratch = std::string()](absl::string_view line) mutable {
        std::array<absl::string_view, 5> f;
        SplitCopyLine(line, f);
        const absl::string_view topic =
            IsNull(f[4]) ? absl::string_view() : common::db::UnescapeCopyField(f[4], &scratch);
        builder.AddContact(static_cast<int32_t>(ToInt(f[0])),
                           static_cast<uint8_t>(domain::ParseContactChannel(f[1]).value_or(0)), IsTrue(f[2]),
                           static_cast<domain::DayNumber>(ToInt(f[3])), std::string_view(topic.data(), topic.size()));
      };
  }
  return nullptr;
}

}  // namespace

absl::StatusOr<std::shared_ptr<const domain::ColumnarSnapshot>> PgSnapshotRepository::LoadColumnar(
    const domain::SnapshotInfo& snapshot) {
  // The zone goes into the statement (COPY takes no parameters): a zone name, nothing else.
  for (char c : options_.zone) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '/' && c != '_' && c != '-' && c != '+') {
      return absl::InvalidArgumentError("time zone name has characters a zone name never has");
    }
  }
  const absl::Time start = absl::Now();
  const std::vector<ColumnarCopy> copies = ColumnarCopies(options_.schema, options_.zone, snapshot);
  domain::ColumnarBuilder builder(snapshot.version);
  auto rows = [&](Dataset d) { return static_cast<size_t>(std::max<int64_t>(snapshot.of(d).row_count, 0)); };
  builder.Reserve(rows(Dataset::kCustomers), rows(Dataset::kRelations), rows(Dataset::kMailings),
                  rows(Dataset::kContactReports));
  if (copies.empty() || copies[0].dataset != Dataset::kCustomers) builder.FinishCustomers();

  // The parts stream at once on several pooled sessions (the database and this process then
  // use every core), each part laid out as soon as it is in. One read-only snapshot for all:
  // the first session exports it, the others import it, so a purge that changes versions in
  // place is seen by all or none. The sessions beyond the first are taken only when free at
  // once. (On an error the open transaction makes the pool drop the session.)
  CAK_ASSIGN_OR_RETURN(Lease first, pool_->Acquire());
  std::vector<Lease> leases;
  leases.push_back(std::move(first));
  const size_t wanted = std::min<size_t>(std::max(options_.load_sessions, 1), copies.size());
  while (leases.size() < wanted) {
    absl::StatusOr<Lease> more = pool_->Acquire(absl::Now() + absl::Milliseconds(10));
    if (!more.ok()) break;
    leases.push_back(*std::move(more));
  }
  CAK_RETURN_IF_ERROR(Guard(leases[0].sql(), [&] {
    soci::session& sql = leases[0].sql();
    sql << "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY";
    sql << "SET LOCAL statement_timeout = 0";
    if (leases.size() == 1) return absl::OkStatus();
    std::string id;
    sql << "SELECT pg_export_snapshot()", soci::into(id);
    for (size_t i = 1; i < leases.size(); ++i) {
      soci::session& other = leases[i].sql();
      other << "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY";
      other << "SET TRANSACTION SNAPSHOT '" + id + "'";
      other << "SET LOCAL statement_timeout = 0";
    }
    return absl::OkStatus();
  }));

  std::atomic<size_t> next{0};
  std::promise<bool> customers_laid_out;  // false: their copy failed
  std::shared_future<bool> customers_ready = customers_laid_out.get_future().share();
  std::vector<absl::Status> failures(leases.size());
  std::vector<int64_t> part_ms(copies.size(), 0);
  auto work = [&](size_t w) {
    soci::session& sql = leases[w].sql();
    failures[w] = Guard(sql, [&]() -> absl::Status {
      for (size_t i = next++; i < copies.size(); i = next++) {
        const ColumnarCopy& copy = copies[i];
        const absl::Time t0 = absl::Now();
        const bool customers = copy.dataset == Dataset::kCustomers;
        try {
          common::db::CopyOutLines(sql, copy.statement, LineReader(copy.dataset, builder));
        } catch (...) {
          if (customers) customers_laid_out.set_value(false);
          throw;
        }
        if (customers) {
          builder.FinishCustomers();
          customers_laid_out.set_value(true);
        } else if (!customers_ready.get()) {
          return absl::AbortedError("the customers could not be read");
        } else if (copy.dataset == Dataset::kRelations) {
          builder.FinishRelations();
        } else if (copy.dataset == Dataset::kMailings) {
          builder.FinishMailings();
        } else {
          builder.FinishContacts();
        }
        part_ms[i] = absl::ToInt64Milliseconds(absl::Now() - t0);
      }
      sql << "COMMIT";
      return absl::OkStatus();
    });
  };
  std::vector<std::thread> helpers;
  for (size_t w = 1; w < leases.size(); ++w) helpers.emplace_back(work, w);
  work(0);
  for (auto& t : helpers) t.join();
  for (const absl::Status& st : failures) {
    if (!st.ok() && st.code() != absl::StatusCode::kAborted) return st;
  }
  for (const absl::Status& st : failures) CAK_RETURN_IF_ERROR(st);
  // Parts with no rows (a data set never imported) are laid out empty.
  auto has = [&](Dataset d) {
    return std::any_of(copies.begin(), copies.end(), [d](const ColumnarCopy& c) { return c.dataset == d; });
  };
  if (!has(Dataset::kRelations)) builder.FinishRelations();
  if (!has(Dataset::kMailings)) builder.FinishMailings();
  if (!has(Dataset::kContactReports)) builder.FinishContacts();
  auto columns = std::make_shared<const domain::ColumnarSnapshot>(std::move(builder).Take());
  std::string parts;
  for (size_t i = 0; i < copies.size(); ++i) {
    absl::StrAppend(&parts, i ? " " : "", domain::DatasetName(copies[i].dataset), "=", part_ms[i]);
  }
  common::log::Info("columnar_snapshot_built", {{"snapshot_version", snapshot.version},
                                                {"customers", static_cast<int64_t>(columns->size())},
                                                {"bytes", columns->MemoryBytes()},
                                                {"sessions", static_cast<int64_t>(leases.size())},
                                                {"part_ms", parts},
                                                {"build_ms", absl::ToInt64Milliseconds(absl::Now() - start)}});
  return columns;
}

absl::StatusOr<std::shared_ptr<const domain::ColumnarSnapshot>> PgSnapshotRepository::LoadCustomerKeys(
    const domain::SnapshotInfo& snapshot) {
  auto keys = std::make_shared<domain::ColumnarSnapshot>();
  keys->version = snapshot.version;
  absl::Status st = common::db::WithSession(*pool_, [&](soci::session& sql) -> absl::Status {
    sql << "BEGIN READ ONLY";
    sql << "SET LOCAL statement_timeout = 0";
    CopyOut(sql,
            "COPY (SELECT bsn FROM " +
                VersionTable(options_.schema, Dataset::kCustomers, snapshot.of(Dataset::kCustomers).version) +
                ") TO STDOUT",
            [&](const CopyRow& r) { keys->bsn.push_back(static_cast<int32_t>(ToInt(r.fields[0]))); });
    sql << "COMMIT";
    return absl::OkStatus();
  });
  if (!st.ok()) return st;
  std::sort(keys->bsn.begin(), keys->bsn.end());
  return std::shared_ptr<const domain::ColumnarSnapshot>(std::move(keys));
}

absl::StatusOr<std::unique_ptr<domain::DatasetLoad>> PgSnapshotRepository::BeginLoad(Dataset dataset,
                                                                                     const std::string& source) {
  CAK_ASSIGN_OR_RETURN(Lease lease, pool_->Acquire());
  soci::session& sql = lease.sql();
  int64_t version = 0;
  CAK_RETURN_IF_ERROR(Guard(sql, [&] {
    const TextRows rows = ExecutePrepared(sql, "SELECT " + options_.schema + ".create_dataset_version($1, $2)",
                                          {std::string(domain::DatasetName(dataset)), source});
    version = ToInt(rows.at(0).at(0));
    return absl::OkStatus();
  }));
  auto load = std::make_unique<PgDatasetLoad>(std::move(lease), options_.schema, log_, dataset, version);
  CAK_RETURN_IF_ERROR(load->Start());
  return std::unique_ptr<domain::DatasetLoad>(std::move(load));
}

absl::StatusOr<std::optional<domain::SnapshotRepository::Claimed>> PgSnapshotRepository::FindClaim(
    const std::string& operation, const std::string& request_id) {
  std::optional<Claimed> out;
  absl::Status st = common::db::WithSession(*pool_, [&](soci::session& sql) -> absl::Status {
    auto key = common::db::FindRequestId(sql, options_.schema, operation, request_id);
    if (key) {
      Claimed c;
      (void)absl::SimpleAtoi(key->resource_id, &c.dataset_version);
      c.fingerprint = key->fingerprint;
      out = c;
    }
    return absl::OkStatus();
  });
  if (!st.ok()) return st;
  return out;
}

absl::StatusOr<domain::ImportReport> PgSnapshotRepository::GetImportReport(int64_t dataset_version) {
  domain::ImportReport report;
  absl::Status st = common::db::WithSession(*pool_, [&](soci::session& sql) -> absl::Status {
    const TextRows rows =
        ExecutePrepared(sql,
                        "SELECT dataset, snapshot_version, rows_read, rows_loaded, rows_rejected, errors, " +
                            options_.schema + ".to_micros(published_time), rows_skipped, skipped FROM " +
                            options_.schema + ".dataset_versions WHERE id = CAST($1 AS bigint)",
                        {absl::StrCat(dataset_version)});
    if (rows.empty()) return absl::InternalError("import report missing");
    const auto& r = rows[0];
    for (Dataset d : domain::kAllDatasets) {
      if (domain::DatasetName(d) == r[0].value_or("")) report.dataset = d;
    }
    report.dataset_version = dataset_version;
    report.snapshot_version = ToInt(r[1]);
    report.rows_read = ToInt(r[2]);
    report.rows_loaded = ToInt(r[3]);
    report.rows_rejected = ToInt(r[4]);
    for (const auto& e : nlohmann::json::parse(r[5].value_or("[]"))) {
      report.errors.push_back(domain::RowError{e.at(0).get<int64_t>(), e.at(1).get<std::string>(),
                                               e.at(2).get<std::string>(), e.at(3).get<std::string>()});
    }
    report.completed_time = absl::FromUnixMicros(ToInt(r[6]));
    report.rows_skipped = ToInt(r[7]);
    const nlohmann::json skipped = nlohmann::json::parse(r[8].value_or("{}"));
    for (auto it = skipped.begin(); it != skipped.end(); ++it) report.skipped[it.key()] = it.value().get<int64_t>();
    return absl::OkStatus();
  });
  if (!st.ok()) return st;
  return report;
}

absl::StatusOr<int> PgSnapshotRepository::CollectVersions() {
  int dropped = 0;
  absl::Status st = common::db::WithSession(*pool_, [&](soci::session& sql) -> absl::Status {
    const TextRows rows =
        ExecutePrepared(sql, "SELECT " + options_.schema + ".collect_dataset_versions(CAST($1 AS integer))",
                        {absl::StrCat(options_.keep_snapshots)});
    dropped = static_cast<int>(ToInt(rows.at(0).at(0)));
    return absl::OkStatus();
  });
  if (!st.ok()) return st;
  return dropped;
}

}  // namespace cak::analysis::storage
