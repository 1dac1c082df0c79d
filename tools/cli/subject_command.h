// `voorlichting-cli subject-access`: the privacy officer's answer to an access request (GDPR
// art. 15). Asks every service (ExportSubjectData and its processing log by BSN) and writes one
// report for the person: a JSON file and a readable Dutch HTML document, with a section per
// service and the processing history of all four merged in time order.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/time/civil_time.h"
#include "cak/voorlichting/privacy/v1/data_subject_service.pb.h"
#include "cak/voorlichting/processinglog/v1/processing_log_service.pb.h"
#include "cli/client.h"
#include "common/base/bsn.h"

namespace cak::cli {

// Every subject command names the person (--bsn, checked by the command line) and asks all four
// services: --analysis-address, --dispatch-address, --campaign-address and the global
// --intake-address.

// `subject-access --bsn=BSN [--out=DIR]`
struct SubjectAccessOptions {
  std::string bsn;
  ServiceAddresses services;
  std::string out = ".";
};
int SubjectAccess(const Client& client, const SubjectAccessOptions& options);

// `subject-object` and `subject-lift-objection`: records or lifts an objection (GDPR art. 21) or
// restriction (art. 18) in analysis-svc's register first, then asks the other three services
// what it means for them; prints each service's answer.
struct SubjectObjectOptions {
  std::string bsn;
  ServiceAddresses services;
  cak::voorlichting::privacy::v1::ObjectionKind kind = cak::voorlichting::privacy::v1::OBJECTION_KIND_UNSPECIFIED;
  cak::voorlichting::privacy::v1::ObjectionScope scope = cak::voorlichting::privacy::v1::OBJECTION_SCOPE_UNSPECIFIED;
  std::string reason;
  std::optional<absl::CivilDay> received_date;
};
int SubjectObject(const Client& client, const SubjectObjectOptions& options);
struct SubjectLiftObjectionOptions {
  std::string bsn;
  ServiceAddresses services;
  std::string reason;
};
int SubjectLiftObjection(const Client& client, const SubjectLiftObjectionOptions& options);

// `subject-erase [--dry-run]`: erases (or counts) what each of the four services holds about the
// person (GDPR art. 17) and prints what went and what stays, per service.
struct SubjectEraseOptions {
  std::string bsn;
  ServiceAddresses services;
  std::string reason;
  bool dry_run = false;
};
int SubjectErase(const Client& client, const SubjectEraseOptions& options);

// What the report is made of: each service's answer and the entries about the person.
struct SubjectReport {
  std::string bsn_masked;  // "*****6782": how the report names the person (their record holds the BSN)
  absl::Time generated;
  std::vector<cak::voorlichting::privacy::v1::SubjectDataExport> services;
  std::vector<cak::voorlichting::processinglog::v1::ProcessingLogEntry> history;  // oldest first
};

// The report as JSON and as a Dutch HTML document.
std::string SubjectReportJson(const SubjectReport& report);
std::string SubjectReportHtml(const SubjectReport& report);

// Asks the four services (addresses in the order intake, analysis, campaign, dispatch) as
// `caller` (a privacy officer) and writes the report into `dir`; prints what each service holds
// and where the files are, each line after `indent`. Returns 0, or the exit code of a failure
// (printed on stderr).
// Sends `request` (RecordObjection, or LiftObjection when `lift`) to the services at
// `addresses`, the register's (analysis-svc) first; prints each answer after `indent`, the
// remarks every service shares once. Stops at the first refusal (0, or its exit code).
int SendObjection(const Client& client, const Caller& caller, const std::vector<std::string>& addresses,
                  const cak::voorlichting::privacy::v1::RecordObjectionRequest& request, bool lift,
                  const std::string& indent);

int WriteSubjectAccessReport(const Client& client, const Caller& caller, const common::Bsn& bsn,
                             const std::vector<std::string>& addresses, const std::string& dir,
                             const std::string& indent);

}  // namespace cak::cli
