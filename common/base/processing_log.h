// What the processing log (Logboek Dataverwerkingen, DESIGN.md section 4.2) records, as plain
// values the domain can build: the processing activities of record M7624, the request-scoped
// call context (trace, actor, calling application), and one processing with its data
// subjects. common/db/processing_log_store writes them, one child entry per data subject,
// in the same transaction as the processing itself.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/base/bsn.h"
#include "common/base/principal.h"
#include "common/base/trace_context.h"

namespace cak::common {

// The processing purposes of record M7624 (the nine steps), plus the two processings the
// record implies around them: the retention purge and a privacy officer's inspection.
enum class ProcessingActivity {
  kMeldingOntvangen,            // 1 signal received
  kBeoordelenGebeurtenis,       // 2 assess the event
  kTerugkoppelenGeenActie,      // 3 feedback: no action
  kAfstemmenProcesdeskundigen,  // 4 target groups with process experts
  kFormulerenBoodschap,         // 5 write the message
  kBepalenActie,                // 6 choose the action
  kToetsenActieUitvoerder,      // 7 check with the executor
  kUitvoerenActie,              // 8 execute
  kResponsmeting,               // 9 response measurement
  kBewaartermijn,               // retention purge
  kInzage,                      // privacy officer reads the log (GDPR art. 15)
  kRechtenBetrokkene,           // objection, restriction, erasure (GDPR art. 17, 18, 21)
};

// dpl.core.processing_activity_id, e.g.
// "https://register.cak.nl/verwerkingsregister/M7624#1-melding-ontvangen".
absl::string_view ProcessingActivityUri(ProcessingActivity activity);

// The legal basis the record gives for the activity (Dutch, as in the record).
absl::string_view LegalBasis(ProcessingActivity activity);

enum class ProcessingStatus { kUnset = 0, kOk = 1, kError = 2 };

// Request-scoped facts every processing-log entry needs. Built once per RPC by the API layer.
struct CallContext {
  TraceContext trace;                            // span_id is this RPC's span; parent_span_id the caller's span
  Principal principal;                           // who asked
  absl::Time start_time;                         // when the RPC started (from the injected clock)
  absl::Time deadline = absl::InfiniteFuture();  // the caller's deadline (wall clock)

  // Set by WithinAction when the call came from another trace than its action's: the caller's
  // trace and span (raw bytes), logged as the entry's foreign operation.
  std::string foreign_trace_id, foreign_span_id;

  // For calls from another application: its identity (dpl.core.foreign_operation.processor)
  // and its span (dpl.core.foreign_operation.span_id). Empty for employees.
  std::string ForeignProcessor() const {
    return principal.kind == PrincipalKind::kApplication ? principal.id : std::string();
  }
};

// `call` as part of the information action whose operation is `action_traceparent` (recorded
// by the signal, and by the resources of the action from it). Unchanged when it already runs in
// that trace, or when there is no (valid) action trace. Otherwise the same span moves into the
// action's trace as a child of the action's operation, and the caller's trace and span become
// its foreign operation. Log entries and peer calls made with the result belong to the action.
CallContext WithinAction(const CallContext& call, absl::string_view action_traceparent);

// One processing of personal data, described by the domain.
struct ProcessingRecord {
  std::string name;  // e.g. "intake.SubmitSignal"
  ProcessingActivity activity = ProcessingActivity::kMeldingOntvangen;
  ProcessingStatus status = ProcessingStatus::kOk;
  absl::Time end_time;             // start comes from the CallContext
  std::vector<Bsn> data_subjects;  // one child entry each
  // Subjects another service identified by their processing-log id (DataSubjectHasher::Hash,
  // the key the four services share), where this one never sees the BSN; one child entry each.
  std::vector<std::string> data_subject_ids;
  // Entries of this service's log (ids) whose data subjects are this processing's too, recorded
  // as one reference each instead of a subject row per subject (a measurement of frozen lists:
  // the freeze's entry has every member). Only for ProcessingLogStore::AppendWithSubjectRows.
  std::vector<int64_t> data_subjects_of_entries;
  std::map<std::string, std::string> attributes;  // never personal data in plain form
  // The information action this processing belongs to: the W3C traceparent its signal recorded
  // (or a resource of the action recorded from it), or empty. A call that runs in another
  // trace is then logged in the action's trace, as a child of that operation, with the
  // caller's trace and span as its foreign operation (README: one trace per action).
  std::string action_traceparent;
};

// A processing named `name` (e.g. "dispatch.DeliverBatch") of `activity`, ended at `end`; the
// caller adds subjects and attributes.
inline ProcessingRecord MakeRecord(std::string name, ProcessingActivity activity, absl::Time end) {
  ProcessingRecord r;
  r.name = std::move(name);
  r.activity = activity;
  r.end_time = end;
  return r;
}

// The rule for failed processing (README): a processing that read or disclosed personal data
// and then failed is logged with status ERROR, in a transaction of its own (the failed call's
// own writes roll back); a request refused before any personal data was read logs nothing.
// This turns `record` into that entry: status ERROR, ended at `end`, with the failure's gRPC
// code and machine-readable reason (never its message, which may quote input).
ProcessingRecord FailedRecord(ProcessingRecord record, const absl::Status& failure, absl::Time end);

// Writes that entry (FailedRecord of `record`) through `write`, the service's own transaction,
// as `call` with a deadline of its own: the call's may be what ended it. The failure is the
// caller's to return; a write that fails too is logged here, never returned in its place.
using ProcessingLogWriter = std::function<absl::Status(const CallContext&, const ProcessingRecord&)>;
void WriteFailedProcessing(const CallContext& call, ProcessingRecord record, const absl::Status& failure,
                           absl::Time end, const ProcessingLogWriter& write);

}  // namespace cak::common
