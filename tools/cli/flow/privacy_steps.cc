// voorlichting-cli `flow`, after step 9 of processing record M7624 (see flow_run.h): what the
// action leaves for accountability. Its entries in the four services' processing logs as one
// trace tree, and with --logbook-dir whether each reached the Logboek Dataverwerkingen exactly
// once; with --report-dir, the access request (AVG art. 15) of a customer the action contacted,
// answered as the privacy officer would.
#include <cstdio>
#include <utility>

#include "cak/voorlichting/processinglog/v1/processing_log_service.grpc.pb.h"
#include "cli/flow/flow_run.h"
#include "cli/log_command.h"
#include "cli/output.h"
#include "cli/subject_command.h"
#include "tools/logbook/receiver.h"

namespace cak::cli::flow {

// ---------------------------------------------------------------------------------------------
// The action's processing log and the logbook.

bool FlowRun::ProcessingLogSummary() {
  namespace plog = cak::voorlichting::processinglog::v1;
  const std::vector<std::pair<std::string, std::string>> services = {{"intake-svc", intake_address_},
                                                                     {"analysis-svc", options_.services.analysis},
                                                                     {"dispatch-svc", options_.services.dispatch},
                                                                     {"campaign-svc", options_.services.campaign}};
  std::vector<plog::ProcessingLogEntry> all;
  std::map<std::string, std::vector<std::string>> ids;  // service -> trace + span (hex) of its entries
  for (const auto& [service, address] : services) {
    plog::ListProcessingLogEntriesRequest req;
    req.set_trace_id(action_.TraceIdHex());
    std::vector<plog::ProcessingLogEntry> entries;
    if (!Ok(ListProcessingLog(client_, privacy_officer_, client_.ChannelTo(address), req, &entries),
            service + " ListProcessingLogEntries")) {
      return false;
    }
    for (auto& e : entries) {
      ids[service].push_back(e.trace_id() + e.span_id());
      all.push_back(std::move(e));
    }
  }
  std::printf(
      "\n\033[1mProcessing log of this information action\033[0m (trace %s; voorlichting-cli --roles=privacy_officer "
      "log --signal=%s with the four --*-address options)\n",
      action_.TraceIdHex().c_str(), signal_.c_str());
  for (const std::string& line : TraceTree(all)) std::printf("  %s\n", line.c_str());
  for (const auto& [service, address] : services) {
    std::printf("  %-13s %s entries in this trace\n", service.c_str(),
                Thousands(static_cast<int64_t>(ids[service].size())).c_str());
  }
  if (options_.logbook_dir.empty()) return true;

  // The logbook: every entry of the action, from every service, once.
  const std::string dir = options_.logbook_dir;
  std::map<std::string, std::map<std::string, int>> received;  // service -> id -> times
  std::map<std::string, int64_t> lines;
  const auto read = [&] {
    received.clear();
    lines.clear();
    for (const auto& [service, flag] : services) {
      lines[service] = tools::logbook::ReadOperationIds(
          dir + "/" + service + ".jsonl",
          [&](const std::string& trace, const std::string& op) { ++received[service][trace + op]; });
    }
  };
  const auto missing = [&] {
    int64_t n = 0;
    for (const auto& [service, list] : ids) {
      for (const std::string& id : list) n += received[service].count(id) ? 0 : 1;
    }
    return n;
  };
  if (!PollUntil(absl::Seconds(60), "the logbook export", [&]() -> std::optional<bool> {
        read();
        if (missing() == 0) return true;
        return std::nullopt;
      })) {
    error_ = absl::StrCat(missing(), " entries of the action's trace did not reach the logbook in ", dir);
    return false;
  }
  std::printf("  logbook (%s):\n", dir.c_str());
  int64_t twice = 0;
  for (const auto& [service, flag] : services) {
    for (const auto& [id, times] : received[service]) twice += times > 1 ? 1 : 0;
    std::printf("    %-13s %8s operations in the logbook so far, %s of them this action's entries\n", service.c_str(),
                Thousands(lines[service]).c_str(), Thousands(static_cast<int64_t>(ids[service].size())).c_str());
  }
  std::printf("    the action's trace is complete in the logbook: all %s entries of the four services, %s\n",
              Thousands(static_cast<int64_t>(all.size())).c_str(), twice == 0 ? "each once" : "SOME TWICE");
  return Expect(twice == 0, "the logbook holds an operation twice");
}

// ---------------------------------------------------------------------------------------------
// One customer's access request.

bool FlowRun::SubjectAccessSummary() {
  if (options_.report_dir.empty() || customers_.empty()) return true;
  // The first customer of the extract the action contacted (else the first one).
  const Customer* subject = &customers_[0];
  for (const Customer& c : customers_) {
    if (delivered_.count(c.customer_number) > 0) {
      subject = &c;
      break;
    }
  }
  auto bsn = common::Bsn::Parse(subject->bsn);
  if (!bsn.ok()) return Expect(false, "the customer has no valid BSN");
  std::printf(
      "\n\033[1mAn access request (AVG art. 15)\033[0m of a customer this action contacted "
      "(voorlichting-cli --roles=privacy_officer subject-access --bsn=... with the four --*-address options)\n");
  std::fflush(stdout);
  const int rc = WriteSubjectAccessReport(
      client_, privacy_officer_, *bsn,
      {intake_address_, options_.services.analysis, options_.services.campaign, options_.services.dispatch},
      options_.report_dir, "  ");
  return Expect(rc == 0, "the access request failed");
}

}  // namespace cak::cli::flow
