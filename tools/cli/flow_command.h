// voorlichting-cli `flow`: one complete information action through the nine steps of
// processing record M7624, over gRPC against the four running services, as the README's run
// command shows it.
//
//   flow --intake-address=H:P --analysis-address=H:P --dispatch-address=H:P --campaign-address=H:P
//        --import-dir=DIR --delivery-dir=DIR [--control-share=0.1] [--seed=N] [--time-zone=ZONE]
//
// The people and applications involved call as themselves (development-mode tokens minted per
// actor, as the other demos do): the KCC portal reports, an intake officer declines a
// duplicate, an analyst assesses and defines the target groups, a campaign designer writes the
// messages and chooses the actions, the executors (repro, KCC, dataverkeer) sign off their
// feasibility and pull, acknowledge and report on their batches, and a second employee approves.
// Simulated customers then contact CAK (a new contact-report extract written into --import-dir,
// which must be analysis-svc's import directory) and analysis-svc measures the response against
// the control groups. Every request id derives from a per-run stamp and the executors are
// reused, so the flow runs again and again against the same database.
//
// Prints numbered sections and a summary with counts only: no BSN is ever printed (recipients
// appear as pseudonyms or counts). Exit 0 only when every step succeeded and its checks held;
// 1 with a readable error (DescribeError) otherwise; 2 for bad usage (refused by the command
// line: a missing address or directory, a bad number, an unknown --until or --time-zone).
#pragma once

#include <cstdint>
#include <string>

#include "cli/client.h"

namespace cak::cli {

// The options of `flow` (intake-svc's address is the global --intake-address).
struct FlowOptions {
  ServiceAddresses services;
  std::string import_dir;    // analysis-svc's import directory (its customers.csv; step 9 writes here)
  std::string delivery_dir;  // where dispatch-svc writes the executors' batch files
  std::string logbook_dir;   // the development logbook's directory: check every entry reached it
  std::string report_dir;    // where the access report of one contacted customer goes
  double control_share = 0.1;
  uint64_t seed = 7624;
  std::string time_zone = "Europe/Amsterdam";
  std::string run_id;  // the per-run stamp of every request id (default: flow-<unix micros>)
  std::string until;   // "", "submitted" or "approved": stop after that stage
};

int Flow(const Client& client, const FlowOptions& options);

}  // namespace cak::cli
