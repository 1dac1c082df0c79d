// PostgreSQL snapshot repository (see pg_snapshot_repository.h).
#include "analysis-svc/src/storage/pg_snapshot_repository.h"

#include <algorithm>
#include <nlohmann/json.hpp>

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

absl::StatusOr<std::shared_ptr<const domain::ColumnarSnapshot>> PgSnapshotRepository::LoadColumnar(
    const domain::SnapshotInfo& snapshot) {
  // The zone goes into the statement (COPY takes no parameters): a zone name, nothing else.
  for (char c : options_.zone) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '/' && c != '_' && c != '-' && c != '+') {
      return absl::InvalidArgumentError("time zone name has characters a zone name never has");
    }
  }
  domain::ColumnarBuilder builder(snapshot.version);
  const std::string& s = options_.schema;
  auto table = [&](Dataset d) { return VersionTable(s, d, snapshot.of(d).version); };
  absl::Status st = common::db::WithSession(*pool_, [&](soci::session& sql) -> absl::Status {
    // One read-only snapshot for the four tables: a purge changes versions in place, and the
    // rebuild must not mix before and after. (On an error the open transaction makes the pool
    // drop the session.)
    sql << "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY";
    sql << "SET LOCAL statement_timeout = 0";
    if (snapshot.of(Dataset::kCustomers).version != 0) {
      CopyOut(
          sql,
          "COPY (SELECT bsn, regulation, substr(municipality_code, 3), debt_cents, payment_plan, active, birth_date,"
          " inactive_since, street IS NOT NULL, phone IS NOT NULL, email IS NOT NULL FROM " +
              table(Dataset::kCustomers) + ") TO STDOUT",
          [&](const CopyRow& r) {
            domain::ColumnarBuilder::CustomerRow c;
            c.bsn = static_cast<int32_t>(ToInt(r.fields[0]));
            c.regulation = static_cast<uint8_t>(domain::ParseRegulation(r.fields[1]).value_or(0));
            c.municipality = static_cast<int>(ToInt(r.fields[2]));
            c.debt_cents = ToInt(r.fields[3]);
            c.payment_plan = r.fields[4] == "t";
            c.active = r.fields[5] == "t";
            c.birth_ymd = Ymd(r.fields[6]);
            c.inactive_since = r.null[7] ? 0 : domain::ToDayNumber(ParseIsoDay(r.fields[7]));
            c.has_address = r.fields[8] == "t";
            c.has_phone = r.fields[9] == "t";
            c.has_email = r.fields[10] == "t";
            builder.AddCustomer(c);
          });
    }
    if (snapshot.of(Dataset::kRelations).version != 0) {
      CopyOut(sql,
              "COPY (SELECT relation_seq, customer_bsn, kind, routing, street IS NOT NULL, phone IS NOT NULL,"
              " email IS NOT NULL FROM " +
                  table(Dataset::kRelations) + ") TO STDOUT",
              [&](const CopyRow& r) {
                domain::ColumnarBuilder::RelationRow rel;
                rel.seq = ToInt(r.fields[0]);
                rel.customer_bsn = static_cast<int32_t>(ToInt(r.fields[1]));
                rel.kind = static_cast<uint8_t>(domain::ParseRelationKind(r.fields[2]).value_or(0));
                rel.routing = static_cast<uint8_t>(domain::ParseRoutingPreference(r.fields[3]).value_or(0));
                rel.has_address = r.fields[4] == "t";
                rel.has_phone = r.fields[5] == "t";
                rel.has_email = r.fields[6] == "t";
                builder.AddRelation(rel);
              });
    }
    if (snapshot.of(Dataset::kMailings).version != 0) {
      CopyOut(sql,
              "COPY (SELECT customer_bsn, mailing_type, planned_date - DATE '1970-01-01' FROM " +
                  table(Dataset::kMailings) + ") TO STDOUT",
              [&](const CopyRow& r) {
                builder.AddMailing(static_cast<int32_t>(ToInt(r.fields[0])),
                                   static_cast<uint8_t>(domain::ParseMailingType(r.fields[1]).value_or(0)),
                                   static_cast<domain::DayNumber>(ToInt(r.fields[2])));
              });
    }
    if (snapshot.of(Dataset::kContactReports).version != 0) {
      CopyOut(sql,
              "COPY (SELECT customer_bsn, channel, reached, (contact_time AT TIME ZONE '" + options_.zone +
                  "')::date - DATE '1970-01-01', topic FROM " + table(Dataset::kContactReports) + ") TO STDOUT",
              [&](const CopyRow& r) {
                builder.AddContact(static_cast<int32_t>(ToInt(r.fields[0])),
                                   static_cast<uint8_t>(domain::ParseContactChannel(r.fields[1]).value_or(0)),
                                   r.fields[2] == "t", static_cast<domain::DayNumber>(ToInt(r.fields[3])),
                                   std::string_view(r.fields[4].data(), r.fields[4].size()));
              });
    }
    sql << "COMMIT";
    return absl::OkStatus();
  });
  if (!st.ok()) return st;
  const absl::Time start = absl::Now();
  auto columns = std::make_shared<const domain::ColumnarSnapshot>(std::move(builder).Build());
  common::log::Info("columnar_snapshot_built", {{"snapshot_version", snapshot.version},
                                                {"customers", static_cast<int64_t>(columns->size())},
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
