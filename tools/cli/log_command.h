// `voorlichting-cli log`: a privacy officer's view of the processing log. Asks every service
// given (or the one at --address) for the entries of one trace (--trace, or --signal: the
// signal's information action) or one data subject and prints them merged in time order; a
// trace as a tree of operations (service, operation, activity, legal basis, status, subjects),
// a subject as a list.
#pragma once

#include <string>
#include <vector>

#include "cak/voorlichting/processinglog/v1/processing_log_service.pb.h"
#include "cli/client.h"

namespace cak::cli {

// log --bsn=BSN | --trace=.. | --signal=.. [--intake-address=H:P --analysis-address=H:P
//     --dispatch-address=H:P --campaign-address=H:P] (--trace, --signal and --intake-address are
// global options)
struct LogOptions {
  std::string bsn;
  ServiceAddresses services;
};
int ProcessingLog(const Client& client, const LogOptions& options);

// Every page of `request` from the service behind `channel`, asked as `caller` in a trace of
// its own (reading the log is no part of the action it reads), appended to `out`.
grpc::Status ListProcessingLog(const Client& client, const Caller& caller,
                               const std::shared_ptr<grpc::Channel>& channel,
                               cak::voorlichting::processinglog::v1::ListProcessingLogEntriesRequest request,
                               std::vector<cak::voorlichting::processinglog::v1::ProcessingLogEntry>* out);

// The entries of one trace from several services as the lines of a tree: each operation under
// the operation that caused it (its parent span), siblings in time order, an operation's
// per-subject child entries and narrow subject rows counted on it, never listed. Exposed for
// the flow's summary.
std::vector<std::string> TraceTree(
    const std::vector<cak::voorlichting::processinglog::v1::ProcessingLogEntry>& entries);

}  // namespace cak::cli
