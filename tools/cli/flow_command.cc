// voorlichting-cli `flow` (see flow_command.h): the command's entry. The run itself is FlowRun
// in cli/flow/flow_run.h, its steps in the files beside it, one per group of steps of M7624.
#include "cli/flow_command.h"

#include "cli/flow/flow_run.h"

namespace cak::cli {

int Flow(const Client& client, const FlowOptions& options) {
  flow::FlowRun run(client, options);
  return run.Run();
}

}  // namespace cak::cli
