// The processing-log command (see log_command.h).
#include "cli/log_command.h"

#include <algorithm>
#include <cstdio>
#include <functional>
#include <map>

#include "absl/strings/str_cat.h"
#include "cak/voorlichting/processinglog/v1/processing_log_service.grpc.pb.h"
#include "cli/output.h"

namespace cak::cli {
namespace {

namespace plog = cak::voorlichting::processinglog::v1;

std::string Clock(const google::protobuf::Timestamp& t) {
  return absl::FormatTime("%Y-%m-%d %H:%M:%E3S", absl::FromUnixSeconds(t.seconds()) + absl::Nanoseconds(t.nanos()),
                          absl::LocalTimeZone());
}

std::string Activity(const plog::ProcessingLogEntry& e) {
  const std::string& uri = e.processing_activity_id();
  const size_t hash = uri.find('#');
  return hash == std::string::npos ? uri : uri.substr(hash + 1);
}

bool Earlier(const plog::ProcessingLogEntry* a, const plog::ProcessingLogEntry* b) {
  if (a->start_time().seconds() != b->start_time().seconds())
    return a->start_time().seconds() < b->start_time().seconds();
  if (a->start_time().nanos() != b->start_time().nanos()) return a->start_time().nanos() < b->start_time().nanos();
  return a->end_time().seconds() < b->end_time().seconds();
}

}  // namespace

grpc::Status ListProcessingLog(const Client& client, const Caller& caller,
                               const std::shared_ptr<grpc::Channel>& channel,
                               plog::ListProcessingLogEntriesRequest request,
                               std::vector<plog::ProcessingLogEntry>* out) {
  auto stub = plog::ProcessingLogService::NewStub(channel);
  request.set_page_size(1000);
  while (true) {
    plog::ListProcessingLogEntriesResponse page;
    grpc::Status st = stub->ListProcessingLogEntries(client.Context(caller, false).get(), request, &page);
    if (!st.ok()) return st;
    for (auto& e : *page.mutable_entries()) out->push_back(std::move(e));
    if (page.next_page_token().empty()) return grpc::Status::OK;
    request.set_page_token(page.next_page_token());
  }
}

std::vector<std::string> TraceTree(const std::vector<plog::ProcessingLogEntry>& entries) {
  std::map<std::string, const plog::ProcessingLogEntry*> operations;  // span -> operation entry
  std::map<std::string, int64_t> subjects;                            // operation span -> subjects
  for (const auto& e : entries) {
    if (e.data_subject_id().empty()) operations[e.span_id()] = &e;
  }
  for (const auto& e : entries) {
    if (!e.data_subject_id().empty()) {
      ++subjects[operations.count(e.parent_span_id()) ? e.parent_span_id() : e.span_id()];
    } else if (e.subject_row_count() > 0) {
      subjects[e.span_id()] += e.subject_row_count();
    }
  }
  std::map<std::string, std::vector<const plog::ProcessingLogEntry*>> children;  // parent span -> operations
  std::vector<const plog::ProcessingLogEntry*> roots;
  for (const auto& [span, e] : operations) {
    if (!e->parent_span_id().empty() && operations.count(e->parent_span_id())) {
      children[e->parent_span_id()].push_back(e);
    } else {
      roots.push_back(e);
    }
  }
  std::vector<std::string> lines;
  std::function<void(const plog::ProcessingLogEntry*, const std::string&, bool, bool)> print =
      [&](const plog::ProcessingLogEntry* e, const std::string& indent, bool last, bool root) {
        const std::string status = e->status() == plog::PROCESSING_STATUS_ERROR ? "ERROR"
                                   : e->status() == plog::PROCESSING_STATUS_OK  ? "ok"
                                                                                : "unset";
        std::string line = absl::StrCat(
            Clock(e->start_time()), "  ", indent, root ? "" : (last ? "└─ " : "├─ "), e->resource(), " ", e->name(),
            "  [", Activity(*e), "; ",
            e->attributes().count("dpl.core.legal_basis") ? e->attributes().at("dpl.core.legal_basis") : "", "]  ",
            status);
        if (auto it = subjects.find(e->span_id()); it != subjects.end()) {
          absl::StrAppend(&line, ", ", Thousands(it->second), " subject", it->second == 1 ? "" : "s");
        }
        absl::StrAppend(&line, "  by ", e->actor());
        lines.push_back(std::move(line));
        auto& kids = children[e->span_id()];
        std::sort(kids.begin(), kids.end(), Earlier);
        const std::string next = root ? indent : indent + (last ? "   " : "│  ");
        for (size_t i = 0; i < kids.size(); ++i) print(kids[i], next, i + 1 == kids.size(), false);
      };
  std::sort(roots.begin(), roots.end(), Earlier);
  for (const auto* r : roots) print(r, "", true, true);
  return lines;
}

int ProcessingLog(const Client& client, const LogOptions& options) {
  const GlobalOptions& global = client.options();
  plog::ListProcessingLogEntriesRequest req;
  // --trace (checked by the command line), or the action trace of --signal (read by the Client
  // from intake-svc).
  const bool by_trace = !global.trace.empty() || !global.signal.empty();
  if (!options.bsn.empty()) {
    req.set_data_subject_bsn(options.bsn);
  } else if (by_trace && client.trace()) {
    req.set_trace_id(client.trace()->TraceIdHex());
  } else if (by_trace) {
    std::fprintf(stderr, "the signal's action trace could not be read (see above)\n");
    return 1;
  } else {
    return Usage(
        "log --bsn=<bsn> | --trace=<32 hex> | --signal=signals/<id> [--intake-address=H:P --analysis-address=H:P "
        "--dispatch-address=H:P --campaign-address=H:P]");
  }
  // The services to ask: those given, or the one at --address.
  std::vector<std::pair<std::string, std::shared_ptr<grpc::Channel>>> services;
  for (const std::string& address :
       {global.intake_address, options.services.analysis, options.services.dispatch, options.services.campaign}) {
    if (!address.empty()) services.emplace_back(address, client.ChannelTo(address));
  }
  if (services.empty()) services.emplace_back(global.address, client.channel());

  std::vector<plog::ProcessingLogEntry> entries;
  for (const auto& [address, channel] : services) {
    grpc::Status st = ListProcessingLog(client, client.DefaultCaller(), channel, req, &entries);
    if (!st.ok()) {
      std::fprintf(stderr, "%s: ", address.c_str());
      return Fail(st);
    }
  }
  if (by_trace) {
    for (const std::string& line : TraceTree(entries)) std::printf("%s\n", line.c_str());
  } else {
    std::vector<const plog::ProcessingLogEntry*> sorted;
    for (const auto& e : entries) sorted.push_back(&e);
    std::stable_sort(sorted.begin(), sorted.end(), Earlier);
    for (const auto* e : sorted) {
      std::printf("%s  %-13s %-34s %-26s %-16s subject=%s...\n", Clock(e->start_time()).c_str(), e->resource().c_str(),
                  e->name().c_str(), Activity(*e).c_str(), e->actor().c_str(),
                  e->data_subject_id().substr(0, 12).c_str());
    }
  }
  std::printf("(%zu entr%s from %zu service%s)\n", entries.size(), entries.size() == 1 ? "y" : "ies", services.size(),
              services.size() == 1 ? "" : "s");
  return 0;
}

}  // namespace cak::cli
