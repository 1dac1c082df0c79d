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
// 1 with a readable error (DescribeError) otherwise; 2 for bad usage.
#pragma once

#include "cli/client.h"

namespace cak::cli {

int Flow(const Client& client, const Args& args);

}  // namespace cak::cli
