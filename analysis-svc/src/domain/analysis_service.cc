// analysis-svc use cases (see analysis_service.h).
#include "analysis-svc/src/domain/analysis_service.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <future>
#include <map>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "analysis-svc/src/domain/csv_reader.h"
#include "analysis-svc/src/domain/listing.h"
#include "analysis-svc/src/domain/subject_export.h"
#include "common/base/bsn.h"
#include "common/base/errors.h"
#include "common/base/log.h"
#include "common/base/random.h"
#include "common/base/request_id.h"

namespace cak::analysis::domain {

namespace {

using common::CallContext;
using common::InvalidField;
using common::MakeError;
using common::ProcessingActivity;
using common::ProcessingRecord;

constexpr size_t kCopyFlushBytes = 1 << 20;

// A reader failure as the caller should see it: the file's content (INVALID_ARGUMENT) or the
// server's storage (DATA_LOSS), both with a reason.
absl::Status CsvProblem(const absl::Status& st) {
  if (st.code() == absl::StatusCode::kDataLoss) {
    return MakeError(absl::StatusCode::kDataLoss, reason::kImportFileUnreadable, "the import file could not be read");
  }
  return InvalidField(reason::kMalformedCsv, "path", st.message());
}

std::vector<int32_t> GroupSubjects(const std::vector<NamedCriteria>& groups) {
  std::vector<int32_t> out;
  for (const auto& g : groups) {
    std::vector<int32_t> named = NamedCustomers(g.criteria);
    out.insert(out.end(), named.begin(), named.end());
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

// How a failed processing's ERROR entry is written here: an entry of its own.
common::ProcessingLogWriter AppendLogOf(AnalysisRepository* analyses) {
  return
      [analyses](const CallContext& call, const ProcessingRecord& record) { return analyses->AppendLog(call, record); };
}

// The same for a processing of many subjects (a freeze, a measurement): narrow subject rows, and
// references to the entries whose subjects it shares, instead of a child entry per subject.
common::ProcessingLogWriter AppendLogWithSubjectRowsOf(AnalysisRepository* analyses) {
  return [analyses](const CallContext& call, const ProcessingRecord& record) {
    return analyses->AppendLogWithSubjectRows(call, record);
  };
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Imports

class ImportSessionImpl final : public ImportSession {
 public:
  ImportSessionImpl(AnalysisService* service, const CallContext& call, Dataset dataset, ImportOptions options,
                    std::string operation, std::optional<SnapshotRepository::Claimed> claimed,
                    std::shared_ptr<const ColumnarSnapshot> customers, std::unique_ptr<DatasetLoad> load,
                    absl::flat_hash_map<std::string, Tombstone> tombstones)
      : service_(service),
        call_(call),
        dataset_(dataset),
        options_(std::move(options)),
        operation_(std::move(operation)),
        claimed_(std::move(claimed)),
        customers_(std::move(customers)),
        load_(std::move(load)),
        encoder_(dataset, service->Today(), customers_.get()),
        tombstones_(std::move(tombstones)) {
    if (dataset != Dataset::kCustomers) {
      const std::vector<std::string>& columns = InputColumns(dataset);
      customer_column_ = std::find(columns.begin(), columns.end(), "customer_bsn") - columns.begin();
    }
    // The request as a whole: the data set, the caller and the options (a request_id repeated
    // by another caller or with other options is another request), then the rows.
    fingerprint_.Update(absl::StrCat(
        DatasetName(dataset), "\n", call.principal.id.size(), ":", call.principal.id, "\n", options_.source.size(), ":",
        options_.source, "\n", options_.max_rejected_share ? absl::StrCat(*options_.max_rejected_share) : "-", "\n"));
    buffer_.reserve(kCopyFlushBytes + 4096);
  }

  // An import that read rows (personal data) and did not publish them is a failed processing:
  // logged with status ERROR in a transaction of its own, whatever ended it (a refusal by
  // Finish, a bad line or a database error mid-way, the caller going away).
  ~ImportSessionImpl() override {
    if (published_ || !load_ || rows_read_ == 0) return;
    const absl::Status why = failure_.ok() ? common::MakeError(absl::StatusCode::kAborted, reason::kImportAbandoned,
                                                               "the import ended before it was published")
                                           : failure_;
    const absl::Time now = service_->clock_->Now();
    ProcessingRecord record =
        common::MakeRecord(absl::StrCat("analysis.", operation_), ProcessingActivity::kBeoordelenGebeurtenis, now);
    record.attributes["dataset"] = std::string(DatasetName(dataset_));
    record.attributes["rows_read"] = absl::StrCat(rows_read_);
    record.attributes["rows_rejected"] = absl::StrCat(rows_rejected_);
    common::WriteFailedProcessing(call_, std::move(record), why, now, AppendLogOf(service_->analyses_));
  }

  absl::Status AddRow(int64_t row, const std::vector<absl::string_view>& fields) override {
    ++rows_read_;
    if (!load_) return absl::OkStatus();  // a repeat: only the fingerprint counts
    // A person no longer held is not brought back: every customer row is checked against the
    // tombstones (when there are any); a row of another data set only when its customer is
    // unknown (a removed customer is).
    if (dataset_ == Dataset::kCustomers) {
      if (const char* why = Removed(fields, 0)) return Skip(why);
    }
    if (!encoder_.Encode(row, fields, &buffer_, &error_)) {
      if (error_.reason == row_reason::kUnknownCustomer) {
        if (const char* why = Removed(fields, customer_column_)) return Skip(why);
      }
      ++rows_rejected_;
      if (errors_.size() < static_cast<size_t>(kMaxReportedErrors)) errors_.push_back(error_);
      return absl::OkStatus();
    }
    if (buffer_.size() >= kCopyFlushBytes) return Kept(Flush());
    return absl::OkStatus();
  }

  void AddFingerprint(absl::string_view bytes) override { fingerprint_.Update(bytes); }

  absl::StatusOr<ImportReport> Finish() override {
    const std::string fingerprint = fingerprint_.FinalHex();
    if (claimed_) return Replay(claimed_->dataset_version, claimed_->fingerprint, fingerprint);
    absl::StatusOr<ImportReport> report = Publish(fingerprint);
    if (!report.ok()) failure_ = report.status();
    return report;
  }

 private:
  // `st`, kept as the reason of a failed import.
  absl::Status Kept(absl::Status st) {
    if (!st.ok()) failure_ = st;
    return st;
  }

  absl::StatusOr<ImportReport> Publish(const std::string& fingerprint) {
    CAK_RETURN_IF_ERROR(Flush());
    // Where the rows came from, for the error's field: the file, or the streamed rows.
    const char* rows_field = operation_ == "ImportFile" ? "path" : "rows";
    if (rows_read_ - rows_rejected_ - rows_skipped_ == 0) {
      std::string why = "the import has no rows";
      if (rows_rejected_ > 0) {
        why = absl::StrCat("every row was rejected or skipped; first rejected: ", FirstError());
      } else if (rows_skipped_ > 0) {
        why = "every row was skipped (its customer is no longer held: erased, or removed at the end of the retention)";
      }
      return InvalidField(reason::kEmptyImport, rows_field,
                          absl::StrCat(why, "; a snapshot is never emptied by an import"));
    }
    const double share = options_.max_rejected_share.value_or(service_->settings_.max_rejected_share);
    if (static_cast<double>(rows_rejected_) > share * static_cast<double>(rows_read_)) {
      return InvalidField(
          reason::kTooManyRejectedRows, rows_field,
          absl::StrCat(rows_rejected_, " of ", rows_read_, " rows rejected, more than the allowed share ", share,
                       "; nothing was loaded. First: ", FirstError()));
    }
    CAK_RETURN_IF_ERROR(load_->Finish(rows_read_, rows_rejected_, skipped_, errors_));

    ProcessingRecord record = common::MakeRecord(absl::StrCat("analysis.", operation_),
                                                 ProcessingActivity::kBeoordelenGebeurtenis, service_->clock_->Now());
    record.attributes = {{"dataset", std::string(DatasetName(dataset_))},
                         {"dataset_version", absl::StrCat(load_->version())},
                         {"rows_loaded", absl::StrCat(rows_read_ - rows_rejected_ - rows_skipped_)},
                         {"rows_rejected", absl::StrCat(rows_rejected_)}};
    for (const auto& [why, n] : skipped_)
      record.attributes["rows_skipped_" + absl::AsciiStrToLower(why)] = absl::StrCat(n);
    common::IdempotencyKey key{operation_, options_.request_id, fingerprint};
    CAK_ASSIGN_OR_RETURN(DatasetLoad::PublishOutcome outcome,
                         load_->Publish(call_, options_.request_id.empty() ? nullptr : &key, record));
    published_ = true;  // (a repeat published nothing, and read nothing it had not before)
    if (outcome.existing_dataset_version) {
      CAK_ASSIGN_OR_RETURN(ImportReport report,
                           service_->snapshots_->GetImportReport(*outcome.existing_dataset_version));
      report.replayed = true;
      return report;
    }
    // This replica builds the new snapshot at once, in the background: the import's own time
    // stays the load's, and the next request finds the build under way (or done), never cold.
    service_->cache_.Published(outcome.snapshot_version);
    (void)service_->snapshots_->CollectVersions();  // best effort; the next import retries
    return service_->snapshots_->GetImportReport(load_->version());
  }

  absl::StatusOr<ImportReport> Replay(int64_t version, const std::string& stored, const std::string& now) {
    if (stored != now) {
      return InvalidField(common::reason::kRequestIdReused, "options.request_id",
                          "this request_id was used for a different import");
    }
    CAK_ASSIGN_OR_RETURN(ImportReport report, service_->snapshots_->GetImportReport(version));
    report.replayed = true;
    return report;
  }

  // Why the row is skipped (row_reason::kErased, kPastRetention), or null: it is not when the
  // BSN in fields[column] has no tombstone, or when a retention purge's is followed by activity
  // (a customer row showing the customer active, or inactive since a later day).
  const char* Removed(const std::vector<absl::string_view>& fields, size_t column) const {
    if (tombstones_.empty() || column >= fields.size()) return nullptr;
    absl::string_view digits = absl::StripAsciiWhitespace(fields[column]);
    if (digits.empty() || digits.size() > 9 || !std::all_of(digits.begin(), digits.end(), absl::ascii_isdigit)) {
      return nullptr;
    }
    auto bsn = common::Bsn::Parse(std::string(9 - digits.size(), '0') + std::string(digits), "bsn");
    if (!bsn.ok()) return nullptr;
    const auto it = tombstones_.find(service_->TombstoneKey(*bsn));
    if (it == tombstones_.end()) return nullptr;
    if (it->second.reason == TombstoneReason::kErased) return row_reason::kErased;
    if (dataset_ == Dataset::kCustomers && CustomerActiveAfter(fields, it->second.removed_on)) return nullptr;
    return row_reason::kPastRetention;
  }

  // The first rejected row, for people: "row 3 bsn INVALID_BSN (bsn is not a valid BSN)".
  std::string FirstError() const {
    const RowError& first = errors_.front();
    return absl::StrCat("row ", first.row, " ", first.field, " ", first.reason, " (", first.message, ")");
  }

  absl::Status Skip(const char* why) {
    ++rows_skipped_;
    ++skipped_[why];
    return absl::OkStatus();
  }

  absl::Status Flush() {
    if (buffer_.empty()) return absl::OkStatus();
    absl::Status st = load_->Write(buffer_);
    buffer_.clear();
    return st;
  }

  AnalysisService* service_;
  CallContext call_;
  Dataset dataset_;
  ImportOptions options_;
  std::string operation_;
  std::optional<SnapshotRepository::Claimed> claimed_;
  std::shared_ptr<const ColumnarSnapshot> customers_;  // reference checks
  bool published_ = false;
  absl::Status failure_;  // why the import failed, when it did
  std::unique_ptr<DatasetLoad> load_;
  RowEncoder encoder_;
  common::Sha256Stream fingerprint_;
  std::string buffer_;
  RowError error_;
  std::vector<RowError> errors_;
  absl::flat_hash_map<std::string, Tombstone> tombstones_;  // by subject key
  std::map<std::string, int64_t> skipped_;                  // rows skipped, per reason
  size_t customer_column_ = 0;                              // other data sets: the customer_bsn column
  int64_t rows_read_ = 0, rows_rejected_ = 0, rows_skipped_ = 0;
};

AnalysisService::AnalysisService(SnapshotRepository* snapshots, AnalysisRepository* analyses,
                                 const common::Clock* clock, common::DataSubjectHasher pseudonymizer,
                                 AnalysisSettings settings, OutcomeSource* outcomes)
    : snapshots_(snapshots),
      analyses_(analyses),
      clock_(clock),
      pseudonymizer_(std::move(pseudonymizer)),
      settings_(std::move(settings)),
      outcomes_(outcomes),
      cache_(snapshots, settings_.snapshot_cache),
      objections_(analyses) {}

absl::CivilDay AnalysisService::Today() const { return absl::ToCivilDay(clock_->Now(), settings_.zone); }

absl::StatusOr<std::unique_ptr<ImportSession>> AnalysisService::BeginImport(const CallContext& call, Dataset dataset,
                                                                            ImportOptions options,
                                                                            std::string operation) {
  if (!options.request_id.empty()) {
    CAK_RETURN_IF_ERROR(common::ValidateRequestId(options.request_id, "options.request_id"));
  }
  if (options.max_rejected_share && !(*options.max_rejected_share >= 0 && *options.max_rejected_share <= 1)) {
    return InvalidField(common::reason::kInvalidFieldValue, "options.max_rejected_share",
                        "max_rejected_share must be between 0 and 1");
  }
  if (options.source.size() > 200) {
    return InvalidField(common::reason::kFieldTooLong, "options.source", "source is longer than 200 characters");
  }
  std::optional<SnapshotRepository::Claimed> claimed;
  if (!options.request_id.empty()) {
    CAK_ASSIGN_OR_RETURN(claimed, snapshots_->FindClaim(operation, options.request_id));
  }
  std::shared_ptr<const ColumnarSnapshot> customers;
  std::unique_ptr<DatasetLoad> load;
  absl::flat_hash_map<std::string, Tombstone> tombstones;
  if (!claimed) {
    CAK_ASSIGN_OR_RETURN(tombstones, analyses_->Tombstones(call.deadline));
    if (dataset != Dataset::kCustomers) {
      CAK_ASSIGN_OR_RETURN(customers, cache_.CurrentCustomerKeys(call.deadline));
    }
    CAK_ASSIGN_OR_RETURN(load, snapshots_->BeginLoad(dataset, options.source));
  }
  return std::unique_ptr<ImportSession>(
      new ImportSessionImpl(this, call, dataset, std::move(options), std::move(operation), std::move(claimed),
                            std::move(customers), std::move(load), std::move(tombstones)));
}

absl::StatusOr<ImportReport> AnalysisService::ImportFile(const CallContext& call, Dataset dataset,
                                                         const std::string& path, ImportOptions options) {
  namespace fs = std::filesystem;
  if (path.empty()) return InvalidField(common::reason::kRequiredFieldMissing, "path", "path is required");
  const fs::path relative(path);
  bool escapes = relative.is_absolute();
  for (const auto& part : relative) escapes |= part == "..";
  if (settings_.import_dir.empty()) {
    return MakeError(absl::StatusCode::kFailedPrecondition, reason::kImportDirNotConfigured,
                     "this server has no import directory (--import-dir): use the streaming imports");
  }
  if (escapes) {
    return InvalidField(reason::kInvalidImportPath, "path",
                        "path must be relative to the import directory, without '..'");
  }
  const fs::path full = fs::path(settings_.import_dir) / relative;
  std::error_code ec;
  // Symbolic links may not lead out of the directory either.
  const fs::path resolved = fs::weakly_canonical(full, ec);
  const fs::path root = fs::weakly_canonical(settings_.import_dir, ec);
  if (std::mismatch(root.begin(), root.end(), resolved.begin(), resolved.end()).first != root.end()) {
    return InvalidField(reason::kInvalidImportPath, "path", "path leads out of the import directory");
  }
  const auto status = fs::status(full, ec);
  if (ec || !fs::exists(status)) {
    return common::FieldError(absl::StatusCode::kNotFound, reason::kImportFileNotFound, "path",
                              "no such file in the import directory");
  }
  if (!fs::is_regular_file(status)) {
    return InvalidField(reason::kInvalidImportPath, "path", "path is not a regular file");
  }
  std::FILE* file = std::fopen(full.c_str(), "rb");
  if (!file) {
    return common::FieldError(absl::StatusCode::kNotFound, reason::kImportFileNotFound, "path",
                              "the import file cannot be opened");
  }
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> closer(file, &std::fclose);

  CAK_ASSIGN_OR_RETURN(std::unique_ptr<ImportSession> session,
                       BeginImport(call, dataset, std::move(options), "ImportFile"));
  CsvReader reader([&](char* buf, size_t cap) -> int64_t {
    const size_t n = std::fread(buf, 1, cap, file);
    if (n == 0 && std::ferror(file)) return -1;
    session->AddFingerprint(absl::string_view(buf, n));
    return static_cast<int64_t>(n);
  });
  std::vector<absl::string_view> fields;
  if (!reader.Next(&fields)) {
    if (!reader.status().ok()) return CsvProblem(reader.status());
    return InvalidField(reason::kEmptyImport, "path", "the file is empty");
  }
  const auto& columns = InputColumns(dataset);
  bool header_ok = fields.size() == columns.size();
  for (size_t i = 0; header_ok && i < fields.size(); ++i) {
    header_ok = absl::StripAsciiWhitespace(fields[i]) == columns[i];
  }
  if (!header_ok) {
    return InvalidField(reason::kInvalidCsvHeader, "path",
                        absl::StrCat("the first line must be the header: ", absl::StrJoin(columns, ",")));
  }
  while (reader.Next(&fields)) {
    if (fields.size() == 1 && fields[0].empty()) continue;  // blank line
    CAK_RETURN_IF_ERROR(session->AddRow(reader.line(), fields));
  }
  if (!reader.status().ok()) return CsvProblem(reader.status());
  return session->Finish();
}

absl::StatusOr<SnapshotInfo> AnalysisService::GetSnapshot(const CallContext& call) {
  return snapshots_->CurrentSnapshot(call.deadline);
}

// ---------------------------------------------------------------------------------------------
// Impact analysis and samples

absl::Status AnalysisService::CheckNamedCustomers(const CallContext& call, const Criteria& criteria,
                                                  absl::string_view path, const std::string& purpose,
                                                  bool designer_may) {
  const std::optional<std::string> named = NamedCustomersPath(criteria, path);
  if (!named) return absl::OkStatus();
  return CheckMayNameCustomers(call, *named, purpose, designer_may);
}

absl::Status AnalysisService::CheckMayNameCustomers(const CallContext& call, absl::string_view field,
                                                    const std::string& purpose, bool designer_may) {
  // The record's identification rule: staff learn nothing about a person without a reason to
  // look. An application (campaign-svc) samples a target group by reference, never by criteria.
  const bool employee = call.principal.kind == common::PrincipalKind::kEmployee;
  if (!employee || !(call.principal.HasRole(common::roles::kAnalyst) ||
                     (designer_may && call.principal.HasRole(common::roles::kCampaignDesigner)))) {
    return common::FieldError(absl::StatusCode::kPermissionDenied, reason::kCustomerInNotAllowed, field,
                              designer_may ? "criteria naming customers need an employee with the analyst or "
                                             "campaign_designer role"
                                           : "criteria naming customers need an employee with the analyst role");
  }
  if (absl::StripAsciiWhitespace(purpose).size() < 10) {
    return InvalidField(reason::kPurposeRequired, "purpose",
                        "criteria naming customers need a stated purpose (at least 10 characters)");
  }
  return absl::OkStatus();
}

absl::Status AnalysisService::LogNamedCustomers(const CallContext& call, const Criteria& criteria,
                                                absl::string_view name, ProcessingActivity activity,
                                                const std::string& purpose) {
  return LogNamedSubjects(call, NamedCustomers(criteria), name, activity,
                          {{"subjects", "named in the criteria"}, {"purpose", purpose}});
}

absl::Status AnalysisService::LogNamedSubjects(const CallContext& call, const std::vector<int32_t>& named,
                                               absl::string_view name, ProcessingActivity activity,
                                               std::map<std::string, std::string> attributes) {
  if (named.empty()) return absl::OkStatus();
  ProcessingRecord record = common::MakeRecord(std::string(name), activity, clock_->Now());
  record.attributes = std::move(attributes);
  CAK_ASSIGN_OR_RETURN(const int64_t entry, analyses_->StartDisclosure(call, record));
  std::vector<common::Bsn> subjects;
  subjects.reserve(named.size());
  for (int32_t b : named) subjects.push_back(BsnOf(b));
  return analyses_->LogDisclosed(entry, subjects, call.deadline);
}

absl::StatusOr<ImpactOutcome> AnalysisService::AnalyzeImpact(const CallContext& call, const ImpactRequest& request) {
  CAK_RETURN_IF_ERROR(Validate(request.criteria, "criteria"));
  CAK_RETURN_IF_ERROR(CheckNamedCustomers(call, request.criteria, "criteria", request.purpose, false));
  if (request.purpose.size() > 500)
    return InvalidField(common::reason::kFieldTooLong, "purpose", "at most 500 characters");
  ImpactOutcome out;
  out.options = DefaultImpactOptions(request.reference_day.value_or(Today()));
  if (request.mailing_from.has_value() != request.mailing_to.has_value()) {
    return InvalidField(common::reason::kRequiredFieldMissing,
                        request.mailing_from ? "mailing_to_date" : "mailing_from_date",
                        "give both mailing_from_date and mailing_to_date, or neither");
  }
  if (request.mailing_from) {
    out.options.mailing_from = *request.mailing_from;
    out.options.mailing_to = *request.mailing_to;
  }
  if (request.pressure_min_contacts != 0) out.options.pressure_min_contacts = request.pressure_min_contacts;
  if (request.pressure_days != 0) out.options.pressure_days = request.pressure_days;
  CAK_RETURN_IF_ERROR(ValidateImpactOptions(out.options));
  CAK_ASSIGN_OR_RETURN(CurrentSnapshot snapshot, cache_.Current(call.deadline));
  CAK_ASSIGN_OR_RETURN(const auto objected, objections_.For(*snapshot.columns, call.deadline));
  Bitmap selection = Evaluate(request.criteria, *snapshot.columns, EvalContext{out.options.reference_day});
  const int64_t excluded = Exclude(objected->all_selection, &selection);
  out.impact = domain::AnalyzeImpact(*snapshot.columns, selection, out.options);
  out.impact.excluded_by_objection = excluded;
  out.snapshot_version = snapshot.info.version;
  // Statistics over named customers tell about those customers.
  CAK_RETURN_IF_ERROR(LogNamedCustomers(call, request.criteria, "analysis.AnalyzeImpact",
                                        ProcessingActivity::kBeoordelenGebeurtenis, request.purpose));
  return out;
}

namespace {

// The FULL view (the values themselves, not pseudonymised) is for an employee with the analyst
// role who states a purpose (10..500 characters); any purpose given is at most 500 characters.
absl::Status CheckView(const CallContext& call, bool full_view, const std::string& purpose) {
  if (full_view) {
    if (call.principal.kind != common::PrincipalKind::kEmployee || !call.principal.HasRole(common::roles::kAnalyst)) {
      return MakeError(absl::StatusCode::kPermissionDenied, common::reason::kPermissionDenied,
                       "the FULL view needs an employee with the analyst role");
    }
    if (absl::StripAsciiWhitespace(purpose).size() < 10) {
      return InvalidField(reason::kPurposeRequired, "purpose",
                          "the FULL view needs a stated purpose (at least 10 characters)");
    }
  }
  if (purpose.size() > 500) return InvalidField(common::reason::kFieldTooLong, "purpose", "at most 500 characters");
  return absl::OkStatus();
}

}  // namespace

std::string MaskName(absl::string_view initials, absl::string_view name_prefix, absl::string_view surname) {
  std::string out(initials);
  auto mask = [&](absl::string_view words) {
    for (absl::string_view w : absl::StrSplit(words, ' ', absl::SkipEmpty())) {
      out.push_back(' ');
      size_t first = 1;  // keep one whole UTF-8 character
      while (first < w.size() && (static_cast<unsigned char>(w[first]) & 0xC0) == 0x80) ++first;
      out.append(w.data(), first);
      size_t rest = 0;
      for (size_t k = first; k < w.size(); ++k) rest += (static_cast<unsigned char>(w[k]) & 0xC0) != 0x80;
      out.append(rest, '*');
    }
  };
  mask(name_prefix);
  mask(surname);
  return out;
}

absl::Status AnalysisService::ValidateSource(const Criteria& criteria, const std::string& set, const std::string& group,
                                             const std::optional<absl::CivilDay>& reference_day,
                                             absl::string_view what) {
  if (set.empty()) return Validate(criteria, "criteria");
  if (group.empty()) {
    return InvalidField(common::reason::kRequiredFieldMissing, "group", "group is required with target_group_set");
  }
  if (reference_day) {
    return InvalidField(
        common::reason::kInvalidFieldValue, "reference_date",
        absl::StrCat("a target group is ", what, " on its set's reference date; leave reference_date unset"));
  }
  return absl::OkStatus();
}

absl::StatusOr<AnalysisService::Selection> AnalysisService::Select(const CallContext& call,
                                                                   const TargetGroupSetRecord* set, size_t index,
                                                                   const Criteria& criteria,
                                                                   const std::optional<absl::CivilDay>& reference_day) {
  Selection out;
  CAK_ASSIGN_OR_RETURN(out.snapshot, cache_.Current(call.deadline));
  if (set) CAK_RETURN_IF_ERROR(CheckSetSnapshot(*set, out.snapshot.info.version));
  const ColumnarSnapshot& cols = *out.snapshot.columns;
  out.reference = set ? set->reference_day : reference_day.value_or(Today());
  CAK_ASSIGN_OR_RETURN(const auto objected, objections_.For(cols, call.deadline));
  // A group's members are the ones its frozen list would have (one definition of membership).
  out.members = set ? OwnMembers(*set, index, cols) : Evaluate(criteria, cols, EvalContext{out.reference});
  out.excluded_by_objection = Exclude(objected->contact, &out.members);
  return out;
}

absl::StatusOr<SampleOutcome> AnalysisService::CreateSample(const CallContext& call, const SampleRequest& request) {
  const bool from_group = !request.target_group_set.empty();
  CAK_RETURN_IF_ERROR(
      ValidateSource(request.criteria, request.target_group_set, request.group, request.reference_day, "drawn"));
  if (request.size < 1 || request.size > kMaxSampleSize) {
    return InvalidField(common::reason::kInvalidFieldValue, "size", absl::StrCat("size must be 1..", kMaxSampleSize));
  }
  CAK_RETURN_IF_ERROR(CheckView(call, request.full_view, request.purpose));
  if (!from_group) CAK_RETURN_IF_ERROR(CheckNamedCustomers(call, request.criteria, "criteria", request.purpose, false));
  std::optional<TargetGroupSetRecord> set;
  size_t group_index = 0;
  if (from_group) {
    CAK_ASSIGN_OR_RETURN(set, analyses_->GetTargetGroupSet(request.target_group_set, call.deadline));
    CAK_ASSIGN_OR_RETURN(group_index, GroupIndex(*set, request.group));
  }
  CAK_ASSIGN_OR_RETURN(Selection chosen,
                       Select(call, set ? &*set : nullptr, group_index, request.criteria, request.reference_day));
  const CurrentSnapshot& snapshot = chosen.snapshot;
  const ColumnarSnapshot& cols = *snapshot.columns;
  Bitmap& selection = chosen.members;
  const int64_t excluded = chosen.excluded_by_objection;
  const absl::CivilDay reference = chosen.reference;
  SampleDraw draw = DrawSample(cols, selection, request.size, request.seed, request.stratification);

  std::vector<int32_t> bsns;
  bsns.reserve(draw.rows.size());
  for (uint32_t row : draw.rows) bsns.push_back(cols.bsn[row]);
  CAK_ASSIGN_OR_RETURN(std::vector<CustomerDetails> details,
                       analyses_->CustomerDetailsOf(snapshot.info, bsns, call.deadline));
  absl::flat_hash_map<int32_t, size_t> by_bsn;
  for (size_t i = 0; i < details.size(); ++i) by_bsn[details[i].bsn] = i;

  SampleOutcome out;
  out.id = common::NewUuid();
  out.snapshot_version = snapshot.info.version;
  out.seed = request.seed;
  out.stratification = request.stratification;
  out.population = draw.population;
  out.excluded_by_objection = excluded;
  out.allocation = draw.allocation;
  ProcessingRecord record =
      common::MakeRecord("analysis.CreateSample", ProcessingActivity::kBeoordelenGebeurtenis, clock_->Now());
  record.attributes = {{"sample", out.id},
                       {"view", request.full_view ? "FULL" : "PSEUDONYMISED"},
                       {"excluded_by_objection", absl::StrCat(excluded)},
                       {"snapshot_version", absl::StrCat(snapshot.info.version)}};
  if (request.full_view) record.attributes["purpose"] = request.purpose;
  if (set) {
    record.attributes["target_group_set"] = set->id;
    record.attributes["group"] = request.group;
  }
  // campaign-svc logs the previews it renders from the sample, per subject.
  const bool logs_shown = settings_.subject_ids && call.principal.HasRole(common::roles::kCampaignService);
  for (size_t i = 0; i < draw.rows.size(); ++i) {
    const uint32_t row = draw.rows[i];
    SampleMemberView m;
    const common::Bsn bsn = BsnOf(cols.bsn[row]);
    m.pseudonym = pseudonymizer_.Hash(bsn).substr(0, 16);
    if (logs_shown) m.data_subject_id = settings_.subject_ids->Hash(bsn);
    m.regulation = cols.regulation[row];
    m.municipality = cols.municipality_numbers[cols.municipality[row]];
    const int32_t ymd = cols.birth_ymd[row];
    m.age_years = AgeInYears(absl::CivilDay(ymd / 10000, (ymd / 100) % 100, ymd % 100), reference);
    m.routing = cols.routing[row];
    m.stratum = draw.strata[i];
    auto it = by_bsn.find(cols.bsn[row]);
    if (it != by_bsn.end()) {
      const CustomerDetails& d = details[it->second];
      m.masked_name = MaskName(d.initials, d.name_prefix, d.surname);
      if (request.full_view) m.details = d;
    }
    record.data_subjects.push_back(bsn);
    out.members.push_back(std::move(m));
  }

  SampleRecord stored;
  stored.id = out.id;
  stored.snapshot_version = out.snapshot_version;
  stored.seed = request.seed;
  stored.stratification = static_cast<int>(request.stratification);
  stored.requested_size = request.size;
  stored.population = draw.population;
  stored.excluded_by_objection = excluded;
  stored.full_view = request.full_view;
  stored.purpose = request.purpose;
  stored.created_by = call.principal.id;
  stored.create_time = call.start_time;
  stored.member_bsns = std::move(bsns);
  CAK_RETURN_IF_ERROR(analyses_->SaveSample(call, stored, record));
  if (set) return out;  // the group's criteria are not shown: nobody they name is disclosed
  CAK_RETURN_IF_ERROR(LogNamedCustomers(call, request.criteria, "analysis.CreateSample",
                                        ProcessingActivity::kBeoordelenGebeurtenis, request.purpose));
  return out;
}

// ---------------------------------------------------------------------------------------------
// Target groups and recipient lists

absl::Status ValidateSignalName(absl::string_view name, absl::string_view field) {
  if (!absl::StartsWith(name, "signals/") || !common::IsUuid(name.substr(8))) {
    return InvalidField(common::reason::kInvalidResourceName, field, absl::StrCat(field, " must be signals/{uuid}"));
  }
  return absl::OkStatus();
}

absl::StatusOr<TargetGroupSetRecord> AnalysisService::DefineTargetGroups(const CallContext& call,
                                                                         const DefineGroupsRequest& request,
                                                                         bool* replayed) {
  if (!request.request_id.empty()) CAK_RETURN_IF_ERROR(common::ValidateRequestId(request.request_id, "request_id"));
  CAK_RETURN_IF_ERROR(ValidateSignalName(request.signal, "signal"));
  CAK_RETURN_IF_ERROR(ValidateTargetGroups(request.groups));
  for (size_t i = 0; i < request.groups.size(); ++i) {
    CAK_RETURN_IF_ERROR(CheckNamedCustomers(call, request.groups[i].criteria, absl::StrCat("groups[", i, "].criteria"),
                                            request.purpose, true));
  }
  if (request.purpose.size() > 500)
    return InvalidField(common::reason::kFieldTooLong, "purpose", "at most 500 characters");
  common::IdempotencyKey key{"DefineTargetGroups", request.request_id, request.fingerprint};
  if (!request.request_id.empty()) {
    CAK_ASSIGN_OR_RETURN(std::optional<std::string> existing, analyses_->FindClaim(key, call.deadline));
    if (existing) {
      *replayed = true;
      return GetTargetGroupSet(call, *existing);  // (logs the customers its criteria name)
    }
  }
  CAK_ASSIGN_OR_RETURN(CurrentSnapshot snapshot, cache_.Current(call.deadline));
  TargetGroupSetRecord set;
  set.id = common::NewUuid();
  set.signal = request.signal;
  set.snapshot_version = snapshot.info.version;
  set.reference_day = request.reference_day.value_or(Today());
  set.groups = request.groups;
  CAK_ASSIGN_OR_RETURN(const auto objected, objections_.For(*snapshot.columns, call.deadline));
  GroupAssignment assignment = AssignGroups(request.groups, *snapshot.columns, EvalContext{set.reference_day});
  const ImpactOptions options = DefaultImpactOptions(set.reference_day);
  for (Bitmap& members : assignment.members) {
    // A person who objected to being contacted is in no group (not moved to a later one).
    const int64_t excluded = Exclude(objected->contact, &members);
    set.impacts.push_back(domain::AnalyzeImpact(*snapshot.columns, members, options));
    set.impacts.back().excluded_by_objection = excluded;
  }
  set.unassigned = assignment.unassigned;
  set.defined_by = call.principal.id;
  set.create_time = call.start_time;
  ProcessingRecord record =
      common::MakeRecord("analysis.DefineTargetGroups", ProcessingActivity::kAfstemmenProcesdeskundigen, clock_->Now());
  record.attributes = {{"target_group_set", set.id},
                       {"signal", set.signal},
                       {"groups", absl::StrCat(set.groups.size())},
                       {"snapshot_version", absl::StrCat(set.snapshot_version)}};
  for (int32_t b : GroupSubjects(set.groups)) record.data_subjects.push_back(BsnOf(b));
  if (!record.data_subjects.empty()) record.attributes["purpose"] = request.purpose;
  return analyses_->CreateTargetGroupSet(call, set, request.request_id.empty() ? nullptr : &key, record, replayed);
}

absl::StatusOr<TargetGroupSetRecord> AnalysisService::GetTargetGroupSet(const CallContext& call,
                                                                        const std::string& id) {
  CAK_ASSIGN_OR_RETURN(TargetGroupSetRecord set, analyses_->GetTargetGroupSet(id, call.deadline));
  // Criteria naming customers show their BSNs: logged like any disclosure.
  const std::vector<int32_t> named = GroupSubjects(set.groups);
  if (!named.empty()) {
    ProcessingRecord record = common::MakeRecord("analysis.GetTargetGroupSet",
                                                 ProcessingActivity::kAfstemmenProcesdeskundigen, clock_->Now());
    record.attributes = {{"target_group_set", set.id}};
    CAK_ASSIGN_OR_RETURN(const int64_t entry, analyses_->StartDisclosure(call, record));
    std::vector<common::Bsn> subjects;
    for (int32_t b : named) subjects.push_back(BsnOf(b));
    CAK_RETURN_IF_ERROR(analyses_->LogDisclosed(entry, subjects, call.deadline));
  }
  return set;
}

Bitmap AnalysisService::OwnMembers(const TargetGroupSetRecord& set, size_t index, const ColumnarSnapshot& cols) {
  // Re-evaluated on the set's snapshot and reference day: the same members as its statistics.
  GroupAssignment assignment =
      AssignGroups(std::vector<NamedCriteria>(set.groups.begin(), set.groups.begin() + index + 1), cols,
                   EvalContext{set.reference_day});
  return std::move(assignment.members[index]);
}

absl::StatusOr<size_t> AnalysisService::GroupIndex(const TargetGroupSetRecord& set, const std::string& group) {
  for (size_t i = 0; i < set.groups.size(); ++i) {
    if (set.groups[i].name == group) return i;
  }
  return InvalidField(reason::kGroupNotFound, "group", "the target group set has no group with this name");
}

absl::Status AnalysisService::CheckSetSnapshot(const TargetGroupSetRecord& set, int64_t current) {
  if (current == set.snapshot_version) return absl::OkStatus();
  return MakeError(absl::StatusCode::kFailedPrecondition, reason::kSnapshotChanged,
                   absl::StrCat("the set was defined on snapshot ", set.snapshot_version, ", the current one is ",
                                current, "; define the target groups again"));
}

void SplitControlGroup(const std::vector<MemberRef>& members, double share, uint64_t seed,
                       std::vector<MemberRef>* contacted, std::vector<MemberRef>* control) {
  contacted->clear();
  control->clear();
  const size_t n = members.size();
  const size_t k = std::min(n, static_cast<size_t>(std::llround(share * static_cast<double>(n))));
  if (k == 0) {
    *contacted = members;
    return;
  }
  // The k smallest draw keys (ties, which a 64-bit hash of distinct BSNs practically never
  // has, by list order) are held back; a flag per member keeps both lists in list order.
  std::vector<std::pair<uint64_t, uint32_t>> keys(n);
  for (size_t i = 0; i < n; ++i) keys[i] = {DrawKey(seed, members[i].bsn), static_cast<uint32_t>(i)};
  std::nth_element(keys.begin(), keys.begin() + static_cast<std::ptrdiff_t>(k - 1), keys.end());
  std::vector<bool> held(n, false);
  for (size_t i = 0; i < k; ++i) held[keys[i].second] = true;
  contacted->reserve(n - k);
  control->reserve(k);
  for (size_t i = 0; i < n; ++i) (held[i] ? control : contacted)->push_back(members[i]);
}

absl::StatusOr<RecipientListRecord> AnalysisService::FreezeRecipientList(const CallContext& call,
                                                                         const FreezeRequest& request, bool* replayed) {
  if (!request.request_id.empty()) CAK_RETURN_IF_ERROR(common::ValidateRequestId(request.request_id, "request_id"));
  if (!(request.control_share >= 0 && request.control_share <= 0.5)) {  // (NaN too)
    return InvalidField(common::reason::kInvalidFieldValue, "control_share", "control_share must be in [0, 0.5]");
  }
  CAK_ASSIGN_OR_RETURN(TargetGroupSetRecord set, analyses_->GetTargetGroupSet(request.target_group_set, call.deadline));
  CAK_ASSIGN_OR_RETURN(const size_t index, GroupIndex(set, request.group));
  common::IdempotencyKey key{"FreezeRecipientList", request.request_id, request.fingerprint};
  if (!request.request_id.empty()) {  // a repeat answers with its list, even after a new snapshot
    CAK_ASSIGN_OR_RETURN(std::optional<std::string> existing, analyses_->FindClaim(key, call.deadline));
    if (existing) {
      *replayed = true;
      return analyses_->GetRecipientList(*existing, call.deadline);
    }
  }
  CAK_ASSIGN_OR_RETURN(CurrentSnapshot snapshot, cache_.Current(call.deadline));
  CAK_RETURN_IF_ERROR(CheckSetSnapshot(set, snapshot.info.version));
  const absl::Time start = absl::Now();
  const ColumnarSnapshot& cols = *snapshot.columns;
  Bitmap members = OwnMembers(set, index, cols);
  // The register as it stands now, which may have changed since the groups were defined.
  CAK_ASSIGN_OR_RETURN(const auto objected, objections_.For(cols, call.deadline));
  const int64_t excluded = Exclude(objected->contact, &members);
  std::vector<MemberRef> refs;
  refs.reserve(static_cast<size_t>(members.Count()));
  members.ForEach([&](uint32_t row) {
    refs.push_back(MemberRef{cols.bsn[row], cols.routing[row], cols.addressee_relation[row]});
  });
  if (refs.empty()) {
    return MakeError(absl::StatusCode::kFailedPrecondition, reason::kEmptyGroup, "the group has no members to freeze");
  }
  std::vector<MemberRef> contacted, held_back;
  SplitControlGroup(refs, request.control_share, request.control_seed, &contacted, &held_back);
  if (contacted.empty()) {
    return MakeError(absl::StatusCode::kFailedPrecondition, reason::kEmptyGroup,
                     "holding back the control group would leave no members to contact");
  }
  // Each list's checksum covers its own members, as for a list without a control group.
  auto checksum_of = [](const std::vector<MemberRef>& list) {
    common::Sha256Stream checksum;
    std::string line;
    for (const MemberRef& m : list) {
      line = FormatBsn(m.bsn);
      line += '\n';
      checksum.Update(line);
    }
    return checksum.FinalHex();
  };
  common::log::Debug("freeze_members_selected", {{"members", static_cast<int64_t>(refs.size())},
                                                 {"held_back", static_cast<int64_t>(held_back.size())},
                                                 {"select_ms", absl::ToInt64Milliseconds(absl::Now() - start)}});
  RecipientListRecord list;
  list.id = common::NewUuid();
  list.target_group_set = set.id;
  list.group = request.group;
  list.snapshot_version = snapshot.info.version;
  list.member_count = static_cast<int64_t>(contacted.size());
  list.checksum = checksum_of(contacted);
  list.frozen_by = call.principal.id;
  list.create_time = call.start_time;
  list.excluded_by_objection = excluded;
  std::optional<RecipientListRecord> control;
  if (!held_back.empty()) {
    control = list;
    control->id = common::NewUuid();
    control->member_count = static_cast<int64_t>(held_back.size());
    control->checksum = checksum_of(held_back);
    control->control_of = list.id;
    list.control_list = control->id;
  }
  ProcessingRecord record = common::MakeRecord("analysis.FreezeRecipientList",
                                               ProcessingActivity::kAfstemmenProcesdeskundigen, clock_->Now());
  record.attributes = {{"recipient_list", list.id},
                       {"target_group_set", set.id},
                       {"group", list.group},
                       {"members", absl::StrCat(list.member_count)},
                       {"excluded_by_objection", absl::StrCat(excluded)},
                       {"checksum", list.checksum}};
  if (control) {
    record.attributes["control_list"] = control->id;
    record.attributes["control_members"] = absl::StrCat(control->member_count);
    record.attributes["control_checksum"] = control->checksum;
    record.attributes["control_share"] = absl::StrCat(request.control_share);
    record.attributes["control_seed"] = absl::StrCat(request.control_seed);
  }
  absl::StatusOr<RecipientListRecord> frozen =
      analyses_->FreezeRecipientList(call, list, snapshot.info, contacted, control ? &*control : nullptr, held_back,
                                     request.request_id.empty() ? nullptr : &key, record, replayed);
  if (!frozen.ok()) {
    // The members were selected (personal data read): the failed freeze is logged, naming every
    // member of both lists, as its entry would have.
    record.data_subjects.reserve(contacted.size() + held_back.size());
    for (const std::vector<MemberRef>* part : {&contacted, &held_back}) {
      for (const MemberRef& m : *part) record.data_subjects.push_back(BsnOf(m.bsn));
    }
    common::WriteFailedProcessing(call, std::move(record), frozen.status(), clock_->Now(),
                                  AppendLogWithSubjectRowsOf(analyses_));
  }
  return frozen;
}

absl::StatusOr<RecipientListRecord> AnalysisService::GetRecipientList(const CallContext& call, const std::string& id) {
  return analyses_->GetRecipientList(id, call.deadline);
}

namespace {

// One of the replica's max_concurrent_streams, held while a stream (StreamRecipients,
// ExportListing) runs. Each stream holds a database session (or a snapshot's worth of rows)
// while it runs and borrows another per chunk for the log: the cap keeps streams from taking
// the whole pool from everyone else.
class StreamSlot {
 public:
  // RESOURCE_EXHAUSTED TOO_MANY_STREAMS when `max` streams run already.
  static absl::StatusOr<StreamSlot> Take(std::atomic<int>& active, int max, absl::string_view what) {
    if (active.fetch_add(1) >= max) {
      active.fetch_sub(1);
      return MakeError(absl::StatusCode::kResourceExhausted, reason::kTooManyStreams,
                       absl::StrCat("too many ", what, " at once on this replica; retry shortly"));
    }
    return StreamSlot(&active);
  }
  StreamSlot(StreamSlot&& other) noexcept : active_(std::exchange(other.active_, nullptr)) {}
  StreamSlot& operator=(StreamSlot&&) = delete;
  ~StreamSlot() {
    if (active_) active_->fetch_sub(1);
  }

 private:
  explicit StreamSlot(std::atomic<int>* active) : active_(active) {}
  std::atomic<int>* active_;
};

}  // namespace

absl::Status AnalysisService::StreamRecipients(const CallContext& call, const std::string& list_id, FieldSet field_set,
                                               bool with_customer_number, int64_t after_position,
                                               int64_t until_position, const RecipientSink& sink) {
  if (after_position < 0) return InvalidField(common::reason::kInvalidFieldValue, "after_position", "must be >= 0");
  if (until_position < 0) return InvalidField(common::reason::kInvalidFieldValue, "until_position", "must be >= 0");
  CAK_ASSIGN_OR_RETURN(const StreamSlot slot,
                       StreamSlot::Take(active_streams_, settings_.max_concurrent_streams, "recipient streams"));
  CAK_ASSIGN_OR_RETURN(RecipientListRecord list, analyses_->GetRecipientList(list_id, call.deadline));
  ProcessingRecord record =
      common::MakeRecord("analysis.StreamRecipients", ProcessingActivity::kUitvoerenActie, clock_->Now());
  record.attributes = {{"recipient_list", list.id},
                       {"after_position", absl::StrCat(after_position)},
                       {"until_position", absl::StrCat(until_position)},
                       {"field_set", field_set == FieldSet::kPostal  ? "POSTAL"
                                     : field_set == FieldSet::kPhone ? "PHONE"
                                                                     : "CONTACT_MOMENT"}};
  // Members who objected since the freeze are withheld: their position only, nothing disclosed.
  CAK_ASSIGN_OR_RETURN(const auto objected, objections_.Bsns(call.deadline));
  CAK_ASSIGN_OR_RETURN(const int64_t entry, analyses_->StartDisclosure(call, record));

  // A chunk is logged before it is sent; logging chunk k (another connection, another thread)
  // overlaps reading and sending chunk k-1, so the log does not add its time to the stream's.
  std::vector<RecipientRow> waiting;  // read and logged-in-progress, not yet sent
  std::future<absl::Status> waiting_log;
  auto send_waiting = [&]() -> absl::Status {
    if (!waiting_log.valid()) return absl::OkStatus();
    CAK_RETURN_IF_ERROR(waiting_log.get());
    if (!sink(waiting)) return absl::CancelledError("the client cancelled the stream");
    waiting.clear();
    return absl::OkStatus();
  };
  const int chunk = std::max(1, settings_.stream_log_chunk);
  absl::Status st =
      analyses_->StreamMembers(list.id, after_position, until_position, chunk, [&](std::vector<RecipientRow>& rows) {
        std::vector<int32_t> bsns;
        bsns.reserve(rows.size());
        for (RecipientRow& r : rows) {
          if (!objected->bsns.empty() && objected->Contains(r.bsn)) {
            r = RecipientRow{.position = r.position, .withheld = true};
            continue;
          }
          bsns.push_back(r.bsn);
          // Data minimisation: only the set's fields leave the service.
          if (field_set != FieldSet::kPostal) {
            r.street.clear();
            r.house_number = 0;
            r.house_number_suffix.clear();
            r.postcode.clear();
            r.city.clear();
          }
          if (field_set != FieldSet::kPhone) r.phone.clear();
          if (field_set != FieldSet::kContactMoment && !with_customer_number) r.customer_number.clear();
          if (field_set == FieldSet::kContactMoment) {
            r.salutation = 0;
            r.customer_name.clear();
            r.addressee_name.clear();
          }
        }
        auto logged = std::async(std::launch::async, [this, entry, bsns = std::move(bsns), deadline = call.deadline] {
          std::vector<common::Bsn> subjects;
          subjects.reserve(bsns.size());
          for (int32_t b : bsns) subjects.push_back(BsnOf(b));
          return analyses_->LogDisclosed(entry, subjects, deadline);
        });
        absl::Status sent = send_waiting();
        waiting = std::move(rows);
        waiting_log = std::move(logged);
        return sent;
      });
  if (!st.ok()) {
    if (waiting_log.valid()) waiting_log.wait();
    return st;
  }
  return send_waiting();
}

// ---------------------------------------------------------------------------------------------
// Listings

absl::Status AnalysisService::ExportListing(const CallContext& call, const ListingRequest& request,
                                            const ListingSink& sink) {
  // Every check before anything is read or written.
  const bool from_group = !request.target_group_set.empty();
  CAK_RETURN_IF_ERROR(
      ValidateSource(request.criteria, request.target_group_set, request.group, request.reference_day, "listed"));
  CAK_ASSIGN_OR_RETURN(const std::vector<ListingField> fields,
                       ValidateListingFields(request.fields, request.full_view));
  if (request.limit < 0 || request.limit > kMaxListingRows) {
    return InvalidField(common::reason::kInvalidFieldValue, "limit",
                        absl::StrCat("limit must be 0..", kMaxListingRows, " (0: ", kMaxListingRows, ")"));
  }
  CAK_RETURN_IF_ERROR(CheckView(call, request.full_view, request.purpose));
  if (!from_group) CAK_RETURN_IF_ERROR(CheckNamedCustomers(call, request.criteria, "criteria", request.purpose, false));
  CAK_ASSIGN_OR_RETURN(const StreamSlot slot,
                       StreamSlot::Take(active_streams_, settings_.max_concurrent_streams, "listings"));
  std::optional<TargetGroupSetRecord> set;
  size_t group_index = 0;
  std::vector<int32_t> named;  // the customers the criteria (or the set's groups) name
  if (from_group) {
    CAK_ASSIGN_OR_RETURN(set, analyses_->GetTargetGroupSet(request.target_group_set, call.deadline));
    CAK_ASSIGN_OR_RETURN(group_index, GroupIndex(*set, request.group));
    // A group's members depend on every group before it, so any group of the set that names
    // customers makes the listing tell about them: the criteria's rule, on the set.
    named = GroupSubjects(set->groups);
    if (!named.empty()) {
      CAK_RETURN_IF_ERROR(CheckMayNameCustomers(call, "target_group_set", request.purpose, false));
    }
  } else {
    named = NamedCustomers(request.criteria);
  }
  CAK_ASSIGN_OR_RETURN(Selection chosen,
                       Select(call, set ? &*set : nullptr, group_index, request.criteria, request.reference_day));
  const CurrentSnapshot& snapshot = chosen.snapshot;
  const ColumnarSnapshot& cols = *snapshot.columns;
  Bitmap& selection = chosen.members;
  const int64_t excluded = chosen.excluded_by_objection;
  const absl::CivilDay reference = chosen.reference;

  // FULL: BSN order (the snapshot's). Pseudonymised: pseudonym order, so that neither the order
  // nor the cut at the limit tells anything about the BSNs.
  std::vector<uint32_t> rows;
  rows.reserve(static_cast<size_t>(selection.Count()));
  selection.ForEach([&](uint32_t row) { rows.push_back(row); });
  const int64_t selected = static_cast<int64_t>(rows.size());
  const size_t limit = static_cast<size_t>(request.limit == 0 ? kMaxListingRows : request.limit);
  std::vector<std::string> pseudonyms;  // by position in `rows`, pseudonymised view only
  if (!request.full_view) {
    std::vector<std::pair<std::string, uint32_t>> keyed;
    keyed.reserve(rows.size());
    for (uint32_t row : rows) keyed.emplace_back(pseudonymizer_.Hash(BsnOf(cols.bsn[row])).substr(0, 16), row);
    const size_t keep = std::min(limit, keyed.size());
    std::partial_sort(keyed.begin(), keyed.begin() + static_cast<std::ptrdiff_t>(keep), keyed.end());
    keyed.resize(keep);
    rows.clear();
    for (auto& [pseudonym, row] : keyed) {
      rows.push_back(row);
      pseudonyms.push_back(std::move(pseudonym));
    }
  } else if (rows.size() > limit) {
    rows.resize(limit);
  }

  const std::vector<ListingColumn> columns = ListingColumns(fields, request.full_view);
  const bool needs_details = ListingNeedsDetails(columns, request.full_view);
  ListingProgress progress;
  progress.total_rows = static_cast<int64_t>(rows.size());
  progress.selected = selected;
  progress.excluded_by_objection = excluded;
  progress.snapshot_version = snapshot.info.version;

  ProcessingRecord record =
      common::MakeRecord("analysis.ExportListing", ProcessingActivity::kBeoordelenGebeurtenis, clock_->Now());
  std::string column_names;
  for (const ListingColumn& c : columns) absl::StrAppend(&column_names, column_names.empty() ? "" : ",", c.name);
  record.attributes = {{"listing", common::NewUuid()},
                       {"view", request.full_view ? "FULL" : "PSEUDONYMISED"},
                       {"columns", column_names},
                       {"rows", absl::StrCat(progress.total_rows)},
                       {"selected", absl::StrCat(selected)},
                       {"excluded_by_objection", absl::StrCat(excluded)},
                       {"snapshot_version", absl::StrCat(snapshot.info.version)}};
  if (!request.purpose.empty()) record.attributes["purpose"] = request.purpose;
  if (set) {
    record.attributes["target_group_set"] = set->id;
    record.attributes["group"] = request.group;
  }
  CAK_ASSIGN_OR_RETURN(const int64_t entry, analyses_->StartDisclosure(call, record));

  std::string csv;
  AppendListingHeader(columns, &csv);
  if (!sink(csv, progress)) return absl::CancelledError("the client cancelled the listing");
  for (size_t begin = 0; begin < rows.size(); begin += kListingChunkRows) {
    const size_t end = std::min(rows.size(), begin + static_cast<size_t>(kListingChunkRows));
    std::vector<int32_t> bsns;
    bsns.reserve(end - begin);
    for (size_t i = begin; i < end; ++i) bsns.push_back(cols.bsn[rows[i]]);
    std::vector<CustomerDetails> details;
    absl::flat_hash_map<int32_t, size_t> by_bsn;
    if (needs_details) {
      CAK_ASSIGN_OR_RETURN(details, analyses_->CustomerDetailsOf(snapshot.info, bsns, call.deadline));
      for (size_t k = 0; k < details.size(); ++k) by_bsn[details[k].bsn] = k;
    }
    csv.clear();
    std::vector<common::Bsn> subjects;
    subjects.reserve(end - begin);
    for (size_t i = begin; i < end; ++i) {
      const uint32_t row = rows[i];
      ListedCustomer c;
      c.bsn = cols.bsn[row];
      if (!request.full_view) c.pseudonym = pseudonyms[i];
      c.regulation = cols.regulation[row];
      c.municipality = cols.municipality_numbers[cols.municipality[row]];
      const int32_t ymd = cols.birth_ymd[row];
      c.age_years = AgeInYears(absl::CivilDay(ymd / 10000, (ymd / 100) % 100, ymd % 100), reference);
      c.routing = cols.routing[row];
      c.debt_cents = cols.debt_cents[row];
      c.payment_plan = (cols.flags[row] & kPaymentPlan) != 0;
      c.active = (cols.flags[row] & kActive) != 0;
      const auto it = by_bsn.find(c.bsn);
      if (it != by_bsn.end()) c.details = &details[it->second];
      AppendListingRow(columns, request.full_view, c, &csv);
      subjects.push_back(BsnOf(c.bsn));
    }
    // Logged before it is sent: a listing the client abandons names exactly whom it received.
    CAK_RETURN_IF_ERROR(analyses_->LogDisclosed(entry, subjects, call.deadline));
    progress.rows_sent = static_cast<int64_t>(end);
    if (!sink(csv, progress)) return absl::CancelledError("the client cancelled the listing");
  }
  // The named customers the listing did not list are disclosed too ("not a customer, or
  // objected"): logged as AnalyzeImpact and CreateSample log them, with the purpose.
  std::map<std::string, std::string> attributes = {
      {"subjects", set ? "named in the target group set's criteria" : "named in the criteria"},
      {"purpose", request.purpose}};
  if (set) attributes["target_group_set"] = set->id;
  return LogNamedSubjects(call, named, "analysis.ExportListing", ProcessingActivity::kBeoordelenGebeurtenis,
                          std::move(attributes));
}

// ---------------------------------------------------------------------------------------------
// Response measurement

namespace {

// The limits on the request as a whole (groups, sample_size): INVALID_ARGUMENT.
absl::Status CheckMeasureLimits(const MeasureRequest& request) {
  if (request.groups.empty()) {
    return InvalidField(common::reason::kRequiredFieldMissing, "groups", "at least one group is required");
  }
  if (request.groups.size() > static_cast<size_t>(kMaxMeasuredGroups)) {
    return InvalidField(common::reason::kInvalidFieldValue, "groups",
                        absl::StrCat("at most ", kMaxMeasuredGroups, " groups per measurement"));
  }
  if (request.sample_size < 0 || request.sample_size > kMaxResponseSample) {
    return InvalidField(
        common::reason::kInvalidFieldValue, "sample_size",
        absl::StrCat("sample_size must be 0..", kMaxResponseSample, " (0: ", kDefaultResponseSample, ")"));
  }
  const std::vector<std::string>& topics = request.filter.topics;
  if (topics.size() > static_cast<size_t>(kMaxResponseTopics)) {
    return InvalidField(common::reason::kInvalidFieldValue, "response_topics",
                        absl::StrCat("at most ", kMaxResponseTopics, " topics"));
  }
  for (size_t i = 0; i < topics.size(); ++i) {
    const std::string field = absl::StrCat("response_topics[", i, "]");
    if (topics[i].empty() || topics[i].size() > 200) {
      return InvalidField(common::reason::kInvalidFieldValue, field, "a topic is 1 to 200 characters");
    }
    if (std::find(topics.begin(), topics.begin() + static_cast<std::ptrdiff_t>(i), topics[i]) !=
        topics.begin() + static_cast<std::ptrdiff_t>(i)) {
      return InvalidField(common::reason::kInvalidFieldValue, field, "the topic is given twice");
    }
  }
  const std::vector<int>& channels = request.filter.channels;
  for (size_t i = 0; i < channels.size(); ++i) {
    if (std::find(channels.begin(), channels.begin() + static_cast<std::ptrdiff_t>(i), channels[i]) !=
        channels.begin() + static_cast<std::ptrdiff_t>(i)) {
      return InvalidField(common::reason::kInvalidFieldValue, absl::StrCat("response_channels[", i, "]"),
                          "the channel is given twice");
    }
  }
  return absl::OkStatus();
}

// A NOT_FOUND of the repository, moved to the request field that named the list.
absl::Status ListLookupError(absl::Status st, const std::string& field) {
  if (st.code() != absl::StatusCode::kNotFound) return st;
  return common::FieldError(absl::StatusCode::kNotFound, reason::kRecipientListNotFound, field,
                            "no such recipient list");
}

// dispatch-svc's failure to give an order's outcomes: UNAVAILABLE as it came, anything else on
// the request field that named the order.
absl::Status OutcomeError(const absl::Status& st, const std::string& field) {
  if (st.code() == absl::StatusCode::kUnavailable) return st;
  return common::FieldError(st.code(), common::ErrorReason(st), field, st.message());
}

// Every group measured through end_day (MeasureGroup; `responded` gets each group's flags) and
// the totals over them.
MeasureOutcome MeasureGroups(const ColumnarSnapshot& cols, const std::vector<GroupInput>& inputs,
                             absl::CivilDay end_day, std::vector<std::vector<bool>>* responded) {
  MeasureOutcome out;
  out.end_day = end_day;
  for (size_t i = 0; i < inputs.size(); ++i)
    out.groups.push_back(MeasureGroup(cols, inputs[i], end_day, &(*responded)[i]));
  Totals(out.groups, &out.total_response, &out.total_control_response);
  return out;
}

// A sampled member as the caller sees it: pseudonymised exactly as CreateSample's default view.
ResponseSampleView SampleView(const ColumnarSnapshot& cols, const common::DataSubjectHasher& pseudonymizer,
                              const GroupInput& in, const SampledMember& m, absl::CivilDay end_day) {
  ResponseSampleView v;
  const common::Bsn bsn = BsnOf(cols.bsn[m.row]);
  v.pseudonym = pseudonymizer.Hash(bsn).substr(0, 16);  // as CreateSample's pseudonymised view
  v.group = in.group;
  const MemberResponse r = ResponseOf(cols, m.row, ToDayNumber(in.send_day), ToDayNumber(end_day), in.filter);
  v.responded = r.responded;
  if (r.responded) {
    v.first_response_day = FromDayNumber(r.first_day);
    v.first_response_channel = r.first_channel;
  }
  v.contacts = r.contacts;
  if (in.outcomes) v.outcome = std::string(DeliveryOutcomeName((*in.outcomes)[static_cast<size_t>(m.position - 1)]));
  v.regulation = cols.regulation[m.row];
  v.municipality = cols.municipality_numbers[cols.municipality[m.row]];
  const int32_t ymd = cols.birth_ymd[m.row];
  v.age_years = AgeInYears(absl::CivilDay(ymd / 10000, (ymd / 100) % 100, ymd % 100), end_day);
  v.routing = cols.routing[m.row];
  return v;
}

std::vector<ResponseSampleView> SampleViews(const ColumnarSnapshot& cols,
                                            const common::DataSubjectHasher& pseudonymizer,
                                            const std::vector<GroupInput>& inputs,
                                            const std::vector<SampledMember>& members, absl::CivilDay end_day) {
  std::vector<ResponseSampleView> views;
  for (const SampledMember& m : members) views.push_back(SampleView(cols, pseudonymizer, inputs[m.group], m, end_day));
  return views;
}

}  // namespace

// One group of a measurement with its lists, looked up.
struct AnalysisService::MeasuredLists {
  const MeasuredGroup* group = nullptr;  // in the request
  std::string path;                      // "groups[i]": where its errors point
  RecipientListRecord list;
  std::optional<RecipientListRecord> control;
};

// The measured members as data subjects of the measurement. The freeze's entry names every
// member of the list and of its control list: a group that measures both takes that entry's
// subjects by reference; otherwise the measurement names the members it read itself.
struct AnalysisService::MeasuredSubjects {
  std::vector<int64_t> of_entries;  // freeze entries whose subjects are measured
  std::vector<int32_t> own;         // members of lists without one

  bool empty() const { return of_entries.empty() && own.empty(); }

  // A group's members as read (`control` counts only when the group has a control list); a
  // read that failed names nobody.
  void Add(const MeasuredLists& lists, const absl::StatusOr<std::vector<int32_t>>& members,
           const absl::StatusOr<std::vector<int32_t>>& control) {
    const bool both_read = members.ok() && (!lists.control || control.ok());
    if (both_read && lists.list.log_entry_id != 0 && lists.list.control_of.empty() &&
        (!lists.control || lists.control->log_entry_id == lists.list.log_entry_id)) {
      of_entries.push_back(lists.list.log_entry_id);
      return;
    }
    if (members.ok()) own.insert(own.end(), members->begin(), members->end());
    if (lists.control && control.ok()) own.insert(own.end(), control->begin(), control->end());
  }

  // Into `record` as narrow subject rows: the freezes' by reference, or rows of its own.
  void MoveInto(ProcessingRecord* record) {
    std::sort(of_entries.begin(), of_entries.end());
    of_entries.erase(std::unique(of_entries.begin(), of_entries.end()), of_entries.end());
    record->data_subjects_of_entries = std::move(of_entries);
    record->data_subjects.reserve(own.size());
    for (int32_t bsn : own) {
      if (bsn != 0) record->data_subjects.push_back(BsnOf(bsn));  // 0: gone (purged), nobody to name
    }
  }
};

absl::StatusOr<MeasureOutcome> AnalysisService::MeasureResponse(const CallContext& call,
                                                                const MeasureRequest& request) {
  CAK_RETURN_IF_ERROR(CheckMeasureLimits(request));
  const int sample_size = request.sample_size == 0 ? kDefaultResponseSample : request.sample_size;
  const absl::CivilDay end_day = request.end_day.value_or(Today());
  // Everything a client can get wrong is checked before anything is read in bulk.
  std::vector<MeasuredLists> lists;
  for (size_t i = 0; i < request.groups.size(); ++i) {
    CAK_ASSIGN_OR_RETURN(MeasuredLists group, ResolveMeasuredGroup(call, request, i, end_day));
    lists.push_back(std::move(group));
  }

  CAK_ASSIGN_OR_RETURN(CurrentSnapshot snapshot, cache_.Current(call.deadline));
  const ColumnarSnapshot& cols = *snapshot.columns;
  const absl::Time start = absl::Now();
  std::vector<GroupInput> inputs(lists.size());
  // Which contact reports count, against this snapshot's topics.
  const ResolvedFilter filter(cols, request.filter);
  if (!request.filter.empty()) {
    for (GroupInput& in : inputs) in.filter = &filter;
  }
  MeasuredSubjects subjects;  // every member read, also when a later read fails
  absl::Status read = absl::OkStatus();
  for (size_t i = 0; i < lists.size() && read.ok(); ++i) {
    read = ReadMeasuredGroup(call, lists[i], cols, &inputs[i], &subjects);
  }
  if (!read.ok()) {
    if (!subjects.empty()) {  // personal data was read: the failed measurement is logged, naming whom
      ProcessingRecord record = MeasurementRecord(request, lists, end_day, snapshot.info.version);
      record.attributes["subjects"] = "the members of the measured lists read before the failure";
      subjects.MoveInto(&record);
      common::WriteFailedProcessing(call, std::move(record), read, clock_->Now(),
                                    AppendLogWithSubjectRowsOf(analyses_));
    }
    return read;
  }
  const absl::Time loaded = absl::Now();

  std::vector<std::vector<bool>> responded(inputs.size());
  MeasureOutcome out = MeasureGroups(cols, inputs, end_day, &responded);
  out.id = common::NewUuid();
  out.campaign = request.campaign;
  out.measured_by = call.principal.id;
  out.snapshot_version = snapshot.info.version;
  out.contact_reports_version = snapshot.info.of(Dataset::kContactReports).version;
  out.filter = request.filter;
  out.sample_size = sample_size;
  out.sample_seed = request.sample_seed;
  for (const MeasuredLists& l : lists) {
    out.lists.push_back({l.list.id, l.control ? l.control->id : std::string(), l.group->dispatch_order});
  }

  // The sample is the only per-member data that leaves: pseudonymised, and logged per member.
  const ResponseSample sample = DrawResponseSample(cols, inputs, responded, sample_size, request.sample_seed);
  ProcessingRecord record = MeasurementRecord(request, lists, end_day, snapshot.info.version);
  out.responders = SampleViews(cols, pseudonymizer_, inputs, sample.responders, end_day);
  out.non_responders = SampleViews(cols, pseudonymizer_, inputs, sample.non_responders, end_day);
  record.attributes["sample_members"] = absl::StrCat(out.responders.size() + out.non_responders.size());
  record.attributes["response_measurement"] = out.id;
  // Every measured member is a data subject of the measurement (decision of the privacy
  // officer: the privacy rule wins over sampling), as narrow subject rows.
  subjects.MoveInto(&record);
  const absl::Time logging = absl::Now();
  out.measure_time = absl::FromUnixMicros(absl::ToUnixMicros(clock_->Now()));  // as kept
  // Kept with its log entry: a measurement is on record exactly when it is logged.
  if (absl::Status kept = analyses_->SaveMeasurement(call, out, record); !kept.ok()) {
    common::WriteFailedProcessing(call, std::move(record), kept, clock_->Now(), AppendLogWithSubjectRowsOf(analyses_));
    return kept;
  }
  common::log::Debug("response_measured", {{"groups", static_cast<int64_t>(inputs.size())},
                                           {"load_ms", absl::ToInt64Milliseconds(loaded - start)},
                                           {"log_ms", absl::ToInt64Milliseconds(absl::Now() - logging)},
                                           {"total_ms", absl::ToInt64Milliseconds(absl::Now() - start)}});
  return out;
}

absl::StatusOr<AnalysisService::MeasuredLists> AnalysisService::ResolveMeasuredGroup(const CallContext& call,
                                                                                     const MeasureRequest& request,
                                                                                     size_t index,
                                                                                     absl::CivilDay end_day) {
  const MeasuredGroup& g = request.groups[index];
  const std::string path = absl::StrCat("groups[", index, "]");
  if (!g.send_day) {
    return InvalidField(common::reason::kRequiredFieldMissing, path + ".send_date", "send_date is required");
  }
  if (end_day < *g.send_day) {
    return InvalidField(reason::kEndBeforeSendDate, request.end_day ? "end_date" : path + ".send_date",
                        request.end_day ? "end_date is before a group's send date"
                                        : "the send date is after today (the default end date)");
  }
  if (g.group.size() > 200)
    return InvalidField(common::reason::kFieldTooLong, path + ".group", "at most 200 characters");
  if (!g.dispatch_order.empty() && outcomes_ == nullptr) {
    return common::FieldError(absl::StatusCode::kFailedPrecondition, reason::kDispatchNotConfigured,
                              path + ".dispatch_order",
                              "this server has no dispatch-svc address (--dispatch-address) to read outcomes from");
  }
  MeasuredLists r{.group = &g, .path = path};
  auto list = analyses_->GetRecipientList(g.list_id, call.deadline);
  if (!list.ok()) return ListLookupError(list.status(), path + ".recipient_list");
  r.list = *std::move(list);
  const std::string control_id = g.control_list.empty() ? r.list.control_list : g.control_list;
  if (!control_id.empty()) {
    auto control = analyses_->GetRecipientList(control_id, call.deadline);
    if (!control.ok()) return ListLookupError(control.status(), path + ".control_list");
    if (control->control_of != r.list.id) {
      return InvalidField(reason::kControlListMismatch, path + ".control_list",
                          "the control list was not held back from the group's recipient list");
    }
    r.control = *std::move(control);
  }
  return r;
}

absl::Status AnalysisService::ReadMeasuredGroup(const CallContext& call, const MeasuredLists& r,
                                                const ColumnarSnapshot& cols, GroupInput* in,
                                                MeasuredSubjects* subjects) {
  const MeasuredGroup& g = *r.group;
  in->group = g.group.empty() ? r.list.group : g.group;
  in->channel = g.channel;
  in->send_day = *g.send_day;
  // The members' BSNs of both lists (one bulk read each) and the outcomes, read side by side
  // (each on a session of its own), then mapped to snapshot rows.
  std::future<absl::StatusOr<std::vector<int32_t>>> control_bsns;
  if (r.control) {
    control_bsns = std::async(std::launch::async, [&] {
      return analyses_->MemberBsns(r.control->id, r.control->member_count, call.deadline);
    });
  }
  std::future<absl::StatusOr<std::vector<PositionOutcome>>> outcomes;
  if (!g.dispatch_order.empty()) {
    outcomes = std::async(std::launch::async, [&] { return outcomes_->OrderOutcomes(call, g.dispatch_order); });
  }
  auto bsns = analyses_->MemberBsns(r.list.id, r.list.member_count, call.deadline);
  auto control = control_bsns.valid() ? control_bsns.get() : absl::StatusOr<std::vector<int32_t>>();
  auto recorded = outcomes.valid() ? outcomes.get() : absl::StatusOr<std::vector<PositionOutcome>>();
  subjects->Add(r, bsns, control);
  CAK_RETURN_IF_ERROR(bsns.status());
  in->rows = RowsOfMembers(cols, *bsns);
  if (r.control) {
    CAK_RETURN_IF_ERROR(control.status());
    in->control_rows = RowsOfMembers(cols, *control);
  }
  if (!g.dispatch_order.empty()) {
    if (!recorded.ok()) return OutcomeError(recorded.status(), r.path + ".dispatch_order");
    in->outcomes = LatestOutcomes(*recorded, r.list.id, r.list.member_count);
  }
  return absl::OkStatus();
}

ProcessingRecord AnalysisService::MeasurementRecord(const MeasureRequest& request,
                                                    const std::vector<MeasuredLists>& lists, absl::CivilDay end_day,
                                                    int64_t snapshot_version) const {
  ProcessingRecord record =
      common::MakeRecord("analysis.MeasureResponse", ProcessingActivity::kResponsmeting, clock_->Now());
  std::vector<std::string> list_ids, controls, orders;
  for (const MeasuredLists& l : lists) {
    list_ids.push_back(l.list.id);
    if (l.control) controls.push_back(l.control->id);
    if (!l.group->dispatch_order.empty()) orders.push_back(l.group->dispatch_order);
  }
  record.attributes = {{"campaign", request.campaign},
                       {"recipient_lists", absl::StrJoin(list_ids, ",")},
                       {"control_lists", absl::StrJoin(controls, ",")},
                       {"dispatch_orders", absl::StrJoin(orders, ",")},
                       {"end_date", absl::FormatCivilTime(end_day)},
                       {"snapshot_version", absl::StrCat(snapshot_version)},
                       {"sample_seed", absl::StrCat(request.sample_seed)},
                       {"subjects", "every member of the measured contacted and control lists"}};
  if (!request.filter.topics.empty()) record.attributes["response_topics"] = absl::StrJoin(request.filter.topics, "|");
  if (!request.filter.channels.empty()) {
    record.attributes["response_channels"] = absl::StrJoin(request.filter.channels, ",");
  }
  return record;
}

absl::StatusOr<KeptMeasurement> AnalysisService::GetResponseMeasurement(const CallContext& call,
                                                                        const std::string& id) {
  return analyses_->GetMeasurement(id, call.deadline);
}

absl::StatusOr<std::vector<KeptMeasurement>> AnalysisService::ListResponseMeasurements(
    const CallContext& call, const std::string& campaign,
    const std::optional<std::pair<absl::Time, std::string>>& after, int limit) {
  return analyses_->ListMeasurements(campaign, after, limit, call.deadline);
}

// ---------------------------------------------------------------------------------------------
// Retention

absl::StatusOr<common::ObjectionOutcome> AnalysisService::RecordObjection(const CallContext& call,
                                                                          const common::ObjectionRequest& request) {
  common::ObjectionState wanted;
  wanted.kind = request.kind;
  wanted.scope = request.scope;
  wanted.reason = request.reason;
  wanted.received_day = request.received_day;
  wanted.record_time = clock_->Now();
  wanted.recorded_by = call.principal.id;
  CAK_ASSIGN_OR_RETURN(auto recorded,
                       analyses_->RecordObjection(std::stoi(request.subject.digits()), wanted, call.deadline));
  const common::ObjectionState& active = recorded.first;
  if (!recorded.second && (active.kind != request.kind || active.scope != request.scope)) {
    return MakeError(absl::StatusCode::kFailedPrecondition, common::reason::kObjectionExists,
                     "another objection or restriction is active for this person; lift it first");
  }
  common::ObjectionOutcome out;
  out.objection = active;
  out.unchanged = !recorded.second;
  out.effects.push_back(
      active.scope == common::ObjectionScope::kAllSelection
          ? "Vanaf nu niet meer meegenomen in impactanalyses, steekproeven, doelgroepen en verzendlijsten; elk rapport "
            "telt wie om deze reden is weggelaten."
          : "Vanaf nu niet meer benaderd: niet in steekproeven, doelgroepen en verzendlijsten (wel anoniem meegeteld "
            "in impactanalyses); elk rapport telt wie om deze reden is weggelaten.");
  out.effects.push_back(
      "Op lijsten die al waren vastgesteld wordt de persoon bij het verzenden achtergehouden, voor zover de "
      "verzending nog niet aan een uitvoerder is overgedragen (zie dispatch-svc).");
  out.effects.push_back("Geldt ook na een nieuwe import van de klantadministratie, tot het bezwaar wordt opgeheven.");
  return out;
}

absl::StatusOr<common::ObjectionOutcome> AnalysisService::LiftObjection(const CallContext& call,
                                                                        const common::Bsn& subject,
                                                                        const std::string& reason) {
  common::ObjectionState lift;
  lift.lift_time = clock_->Now();
  lift.lift_reason = reason;
  lift.lifted_by = call.principal.id;
  CAK_ASSIGN_OR_RETURN(std::optional<common::ObjectionState> lifted,
                       analyses_->LiftObjection(std::stoi(subject.digits()), lift, call.deadline));
  common::ObjectionOutcome out;
  out.unchanged = !lifted.has_value();
  out.objection = std::move(lifted);
  if (out.objection) {
    out.effects.push_back(
        "Vanaf nu weer mee in selecties; lijsten en verzendingen van voor het opheffen blijven "
        "zoals ze zijn.");
  }
  return out;
}

absl::StatusOr<std::vector<common::SubjectRemoval>> AnalysisService::ListSubjectRemovals(
    const CallContext& call, const common::RemovalPosition& after, int page_size) {
  if (after.transaction < 0) {
    return InvalidField(common::reason::kInvalidFieldValue, "after_transaction", "after_transaction is negative");
  }
  if (after.entry_id < 0) {
    return InvalidField(common::reason::kInvalidFieldValue, "after_entry_id", "after_entry_id is negative");
  }
  if (page_size < 0 || page_size > 10000) {
    return InvalidField(common::reason::kInvalidFieldValue, "page_size", "page_size must be between 0 and 10000");
  }
  return analyses_->SubjectRemovals(after, page_size == 0 ? 1000 : page_size, call.deadline);
}

std::string AnalysisService::TombstoneKey(const common::Bsn& subject) const {
  return pseudonymizer_.HashText(absl::StrCat("tombstone:", subject.digits()));
}

absl::StatusOr<common::ErasureOutcome> AnalysisService::EraseSubjectData(const CallContext& call,
                                                                         const common::Bsn& subject, bool dry_run) {
  // What intake-svc and dispatch-svc learn the erasure from (ListSubjectRemovals): an entry of
  // its own, in the erasure's transaction, also when nothing was held here.
  ProcessingRecord removal =
      common::MakeRecord("analysis.EraseCustomer", ProcessingActivity::kRechtenBetrokkene, clock_->Now());
  removal.data_subjects.push_back(subject);
  CAK_ASSIGN_OR_RETURN(
      const ErasureCounts c,
      analyses_->EraseCustomer(call, std::stoi(subject.digits()), TombstoneKey(subject), Today(), dry_run, removal));
  // The erasure published a new snapshot: this replica starts building it now (best effort; the
  // watcher and the next request start it otherwise).
  if (!dry_run) (void)cache_.Refresh(call.deadline);
  common::ErasureOutcome out;
  out.categories = {{"customer", "Uw klantgegevens (elke bewaarde versie)", c.customers},
                    {"relations", "Uw wettelijk vertegenwoordigers en contactpersonen", c.relations},
                    {"mailings", "Geplande post van het CAK aan u", c.mailings},
                    {"contact_reports", "Uw contacten met het CAK", c.contact_reports},
                    {"samples", "Plaatsen in steekproeven", c.sample_members},
                    {"recipient_lists", "Plaatsen op verzendlijsten", c.list_members},
                    {"objections", "Uw bezwaren en beperkingen", c.objections},
                    {"target_group_sets", "Doelgroepen die u bij naam noemden (uw BSN eruit)", c.target_group_sets}};
  out.kept.push_back(
      "Een aantekening dat u bent verwijderd, met de datum: een sleutelcode, niet uw BSN. Daarmee brengt een "
      "volgende import uit de klantadministratie u niet terug in dit systeem.");
  if (c.list_members > 0) {
    out.kept.push_back(
        "Op verzendlijsten die al waren vastgesteld blijft uw plaats leeg; verzendingen die al aan een uitvoerder "
        "waren overgedragen staan in het antwoord van dispatch-svc.");
  }
  return out;
}

absl::StatusOr<common::SubjectData> AnalysisService::ExportSubjectData(const CallContext& call,
                                                                       const common::Bsn& customer) {
  CAK_ASSIGN_OR_RETURN(const SnapshotInfo snapshot, snapshots_->CurrentSnapshot(call.deadline));
  CAK_ASSIGN_OR_RETURN(const SubjectRows rows,
                       analyses_->SubjectRowsOf(snapshot, std::stoi(customer.digits()), call.deadline));
  return SubjectExport(rows, settings_.customer_retention_years);
}

absl::StatusOr<PurgeOutcome> AnalysisService::PurgeInactiveCustomers(const CallContext& call, bool dry_run) {
  PurgeOutcome out;
  out.dry_run = dry_run;
  // Whole calendar years after the customer stopped being active (DESIGN.md 4.6).
  const absl::CivilDay today = Today();
  out.cutoff = absl::CivilDay(today.year() - settings_.customer_retention_years, today.month(), today.day());
  ProcessingRecord record =
      common::MakeRecord("analysis.PurgeInactiveCustomers", ProcessingActivity::kBewaartermijn, clock_->Now());
  record.attributes = {{"cutoff", absl::FormatCivilTime(out.cutoff)}, {"dry_run", dry_run ? "true" : "false"}};
  // In the database, not on the in-memory snapshot: the nightly job must not need it.
  CAK_ASSIGN_OR_RETURN(out.counts,
                       analyses_->PurgeCustomers(call, out.cutoff, today, dry_run, std::move(record),
                                                 [this](const common::Bsn& bsn) { return TombstoneKey(bsn); }));
  return out;
}

}  // namespace cak::analysis::domain
