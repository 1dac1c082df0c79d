// voorlichting-cli commands for dispatch-svc: the guided tour of steps 7 and 8 that the README's
// run command shows (executors, feasibility and its sign-off, an order for a frozen recipient
// list, the delivery files, an executor pulling, acknowledging and reporting outcomes).
#pragma once

#include "cli/client.h"

namespace cak::cli {

// dispatch-demo --analysis-address=HOST:PORT [--delivery-dir=DIR]
int DispatchDemo(const Client& client, const Args& args);

}  // namespace cak::cli
