// Processing activity URIs and legal bases of record M7624 (see processing_log.h).
#include "common/base/processing_log.h"

#include "common/base/errors.h"
#include "common/base/log.h"

namespace cak::common {

absl::string_view ProcessingActivityUri(ProcessingActivity activity) {
  switch (activity) {
    case ProcessingActivity::kMeldingOntvangen:
      return "https://register.cak.nl/verwerkingsregister/M7624#1-melding-ontvangen";
    case ProcessingActivity::kBeoordelenGebeurtenis:
      return "https://register.cak.nl/verwerkingsregister/M7624#2-beoordelen-gebeurtenis";
    case ProcessingActivity::kTerugkoppelenGeenActie:
      return "https://register.cak.nl/verwerkingsregister/M7624#3-terugkoppelen-reden-geen-actie";
    case ProcessingActivity::kAfstemmenProcesdeskundigen:
      return "https://register.cak.nl/verwerkingsregister/M7624#4-afstemmen-procesdeskundigen";
    case ProcessingActivity::kFormulerenBoodschap:
      return "https://register.cak.nl/verwerkingsregister/M7624#5-formuleren-boodschap";
    case ProcessingActivity::kBepalenActie:
      return "https://register.cak.nl/verwerkingsregister/M7624#6-bepalen-actie";
    case ProcessingActivity::kToetsenActieUitvoerder:
      return "https://register.cak.nl/verwerkingsregister/M7624#7-toetsen-actie-met-uitvoerder";
    case ProcessingActivity::kUitvoerenActie:
      return "https://register.cak.nl/verwerkingsregister/M7624#8-uitvoeren-actie";
    case ProcessingActivity::kResponsmeting:
      return "https://register.cak.nl/verwerkingsregister/M7624#9-responsmeting";
    case ProcessingActivity::kBewaartermijn:
      return "https://register.cak.nl/verwerkingsregister/M7624#bewaartermijn";
    case ProcessingActivity::kInzage:
      return "https://register.cak.nl/verwerkingsregister/M7624#inzage-verwerkingen";
    case ProcessingActivity::kRechtenBetrokkene:
      return "https://register.cak.nl/verwerkingsregister/M7624#rechten-betrokkenen";
  }
  return "https://register.cak.nl/verwerkingsregister/M7624";
}

absl::string_view LegalBasis(ProcessingActivity activity) {
  switch (activity) {
    case ProcessingActivity::kMeldingOntvangen:
    case ProcessingActivity::kResponsmeting:
      return "Uitvoering overeenkomst";
    case ProcessingActivity::kBepalenActie:
      return "Vitaal belang betrokkene";
    case ProcessingActivity::kInzage:
      return "Wettelijke verplichting (AVG art. 15)";
    case ProcessingActivity::kBewaartermijn:
      return "Wettelijke verplichting (AVG art. 5 lid 1 e)";
    case ProcessingActivity::kRechtenBetrokkene:
      return "Wettelijke verplichting (AVG art. 17, 18 en 21)";
    default:
      return "Gerechtvaardigd belang";
  }
}

ProcessingRecord FailedRecord(ProcessingRecord record, const absl::Status& failure, absl::Time end) {
  record.status = ProcessingStatus::kError;
  record.end_time = end;
  record.attributes["error_code"] = absl::StatusCodeToString(failure.code());
  const std::string reason = ErrorReason(failure);
  if (!reason.empty()) record.attributes["error_reason"] = reason;
  return record;
}

void WriteFailedProcessing(const CallContext& call, ProcessingRecord record, const absl::Status& failure,
                           absl::Time end, const ProcessingLogWriter& write) {
  CallContext writer = call;
  writer.deadline = absl::Now() + absl::Seconds(10);  // (wall clock, as RPC deadlines are)
  const ProcessingRecord failed = FailedRecord(std::move(record), failure, end);
  const absl::Status written = write(writer, failed);
  if (!written.ok()) {
    log::Error("processing_log_error_entry_failed", {{"operation", failed.name}, {"error", written.ToString()}});
  }
}

CallContext WithinAction(const CallContext& call, absl::string_view action_traceparent) {
  if (action_traceparent.empty()) return call;
  const std::optional<TraceContext> action = ParseTraceparent(action_traceparent);
  if (!action || action->trace_id == call.trace.trace_id) return call;
  CallContext out = call;
  out.foreign_trace_id = call.trace.trace_id;
  out.foreign_span_id = call.trace.parent_span_id.empty() ? call.trace.span_id : call.trace.parent_span_id;
  out.trace.trace_id = action->trace_id;
  out.trace.parent_span_id = action->span_id;
  return out;
}

}  // namespace cak::common
