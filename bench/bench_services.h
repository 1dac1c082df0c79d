// What the benchmarks that drive several services share: the selections and groups they measure
// with, a service binary as a child process (its gRPC port from its "ready" log line, its log
// drained, its memory read from /proc), and the letter executor and letter order dispatch-svc
// is measured with. One definition each, so every benchmark measures the same work.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "cak/voorlichting/analysis/v1/analysis_service.pb.h"
#include "cak/voorlichting/dispatch/v1/dispatch_service.grpc.pb.h"
#include "common/testing/child_process.h"
#include "common/testing/grpc_test_support.h"

namespace cak::bench {

// The impact benchmark's selection: WLZ or WMO, 65 or older, with debt or a representative, and
// not contacted in the last 30 days.
cak::voorlichting::analysis::v1::Criteria ImpactCriteria();

// The target group "bench" (about 27% of the generated population: the non-payers and the
// uninsured, and WLZ customers with a representative), for `signal`.
cak::voorlichting::analysis::v1::DefineTargetGroupsRequest BenchGroup();

// The letter executor "repro" (files, every day, a million a day) and an order of letters for
// `list` to it (the window starting tomorrow in UTC).
cak::voorlichting::dispatch::v1::CreateExecutorRequest LetterExecutor();
cak::voorlichting::dispatch::v1::CreateDispatchOrderRequest LetterOrder(const std::string& recipient_list,
                                                                        const std::string& request_id);

// The order as GetDispatchOrder shows it once it left GENERATING, asked as `caller` every 20 ms;
// dies after `limit`.
cak::voorlichting::dispatch::v1::DispatchOrder AwaitOrder(
    cak::voorlichting::dispatch::v1::DispatchService::Stub& dispatch,
    cak::voorlichting::dispatch::v1::DispatchOrder order, const common::testing::TestCaller& caller,
    absl::Duration limit);

// A day as the API's Date.
cak::voorlichting::type::v1::Date ProtoDay(absl::CivilDay day);

// A service binary started with `args`; ready once it logged "ready" (dies otherwise). Its log
// is drained from then on (a full pipe would stop it) and kept for Log().
class ServiceChild {
 public:
  explicit ServiceChild(std::vector<std::string> args);
  ~ServiceChild();  // SIGTERM, then waits

  int grpc_port() const { return grpc_port_; }
  pid_t pid() const { return process_.pid(); }
  // Resident memory now (VmRSS) and at its peak (VmHWM), in KiB; -1 when unreadable.
  int64_t RssKb() const;
  int64_t PeakRssKb() const;
  // Stops it (SIGTERM) and returns everything it logged.
  std::string Stop();

 private:
  common::testing::ChildProcess process_;
  int grpc_port_ = 0;
  bool stopped_ = false;
};

// A /proc/<pid>/status field in KiB ("VmRSS", "VmHWM"); -1 when unreadable.
int64_t ProcStatusKb(pid_t pid, const std::string& field);

}  // namespace cak::bench
