// The inside of voorlichting-cli `flow` (the command is cli/flow_command.h): FlowRun, which drives
// one information action through the nine steps of processing record M7624, the plan of that
// action (its target groups, and per group the action and the message) and the few helpers that
// more than one step uses. FlowRun's members are defined by step of the record:
//
//   flow_run.cc        the options and the extract (Setup), the steps in order (Run), PollUntil,
//                      the summary, and the shared helpers
//   intake_steps.cc    steps 1-3: the signal, the assessment (and an objection before any
//                      selection), a duplicate report declined with feedback
//   campaign_steps.cc  the plan; steps 4-6: target groups, the campaign, messages and actions
//   release_steps.cc   step 7 (feasibility, the executors' sign-off), four eyes and the release
//   dispatch_steps.cc  step 8: delivery files; the executors pull, acknowledge and report
//   response_steps.cc  step 9: the customers respond, the response is measured, the action closes
//   privacy_steps.cc   after the action: its processing log and one customer's access request
//
// Internal to the command: nothing outside tools/cli/flow_command.cc and these files uses it.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "cak/voorlichting/analysis/v1/analysis_service.grpc.pb.h"
#include "cak/voorlichting/campaign/v1/campaign_service.grpc.pb.h"
#include "cak/voorlichting/dispatch/v1/dispatch_service.grpc.pb.h"
#include "cak/voorlichting/intake/v1/intake_service.grpc.pb.h"
#include "cli/client.h"
#include "cli/flow_command.h"

namespace cak::cli::flow {

namespace ipb = cak::voorlichting::intake::v1;
namespace apb = cak::voorlichting::analysis::v1;
namespace cpb = cak::voorlichting::campaign::v1;
namespace dpb = cak::voorlichting::dispatch::v1;

// ---------------------------------------------------------------------------------------------
// Helpers more than one step uses (flow_run.cc).

// "KEY n, KEY n, ..." of an analysis-svc breakdown; "-" when it is empty.
std::string CountList(const google::protobuf::RepeatedPtrField<apb::Count>& counts);

// Whether a group with this action is contacted (letter, call or contact moment) rather than
// handled by hand or left alone.
bool Contacted(cpb::Action a);

// ---------------------------------------------------------------------------------------------
// The plan of the information action: the groups, their actions and messages (defined in
// campaign_steps.cc).

struct GroupPlan {
  std::string name;
  cpb::Action action;
  apb::Criteria criteria;
  std::string message;
  std::string guidelines;
  std::string contact_moment_code;
};

// The contact topics (common/base/contact_topics.h) that count as a response to the action.
inline constexpr const char* kResponseTopics[] = {"Brief niet begrepen", "Vraag over factuur", "Eigen bijdrage"};

// Active Wlz customers: who received the wrong November invoice.
apb::Criteria Affected();

// The four groups of the action, in order: analysis-svc puts a customer in the first group it
// matches.
std::vector<GroupPlan> Plan();

// One executor as the flow uses it.
struct ExecutorUse {
  std::string name;  // "executors/{id}"
  Caller caller;     // its own identity, role executor
};

// What happened to one contacted group's order.
struct OrderRun {
  std::string group;
  cpb::Action action = cpb::ACTION_UNSPECIFIED;
  std::string order;  // "dispatchOrders/{id}"
  int64_t recipients = 0, control = 0;
  std::vector<dpb::Batch> batches;
  int64_t items = 0, files = 0;
  std::map<dpb::Outcome, int64_t> outcomes;  // current outcomes
  int64_t superseded = 0;                    // outcomes a later report superseded
};

// A customer of the imported extract (held in memory only; never printed).
struct Customer {
  std::string bsn, customer_number;
  bool affected = false;      // an active Wlz customer (the selection of this action)
  bool payment_plan = false;  // (their group is handled by hand, not contacted)
};

// ---------------------------------------------------------------------------------------------
// One run of the flow. Each step returns false with error_ set when a call fails or a check
// does not hold; Run stops at the first such step. The members live in the file of their step
// (see the top of this file).

class FlowRun {
 public:
  FlowRun(const Client& client, const FlowOptions& options) : client_(client), options_(options) {}

  int Run();

 private:
  bool Setup();
  bool SignalArrives();       // step 1
  bool Assess();              // step 2
  bool DeclineDuplicate();    // step 3
  bool ObjectBeforeFreeze();  // step 2: a customer objects (GDPR art. 21) before anything is selected
  bool DefineGroups();        // step 4
  bool MessagesAndActions();  // steps 5 and 6
  bool Feasibility();         // step 7
  bool ReviewAndRelease();    // four eyes, release
  bool Deliver();             // step 8
  bool CustomersRespond();    // the input of step 9
  bool MeasureAndClose();     // step 9
  void Summary();

  // Records a failed call (false) or passes (true).
  bool Ok(const grpc::Status& st, const std::string& what) {
    if (!st.ok()) error_ = absl::StrCat(what, ": ", DescribeError(st));
    return st.ok();
  }
  bool Expect(bool condition, const std::string& what) {
    if (!condition) error_ = what;
    return condition;
  }
  // Every call of the information action is a new span in its one trace.
  std::unique_ptr<grpc::ClientContext> As(const Caller& who) const {
    auto ctx = client_.Context(who, /*continue_trace=*/false);
    ctx->AddMetadata("traceparent", action_.NewChild().ToTraceparent());
    return ctx;
  }
  // The action's entries in the four processing logs, as a tree; with --logbook-dir, whether
  // each reached the logbook (waits up to a minute for the exports).
  bool ProcessingLogSummary();
  // One access request (GDPR art. 15) of a customer the action contacted, as the privacy officer
  // answers it: the report of the four services, written to --report-dir.
  bool SubjectAccessSummary();
  // Calls `poll` every 200 ms until it returns true or false (error_ set), or `limit` passes.
  bool PollUntil(absl::Duration limit, const std::string& what, const std::function<std::optional<bool>()>& poll);
  bool GetCampaign(cpb::Campaign* out);
  const cpb::CampaignGroup* GroupOf(const std::string& name) const;
  void PrintResponseTable() const;
  // The customer number of a delivered item: from the rendered text (letters, calls) or the
  // item (contact moments); "" when it cannot be told.
  std::string CustomerOf(const dpb::BatchItem& item, dpb::Channel channel);
  bool ListGroup(const apb::TargetGroupSet& set, const std::string& group);
  bool ReportOutcomes(const ExecutorUse& exec, const std::string& batch, const std::string& request_prefix,
                      const std::vector<dpb::ItemOutcome>& outcomes);

  const Client& client_;
  const FlowOptions& options_;
  std::string error_;

  // Who calls.
  const Caller kcc_portal_{"", "kcc-portal", {"reporting_application"}, true};
  const Caller officer_{"", "emp-1001", {"intake_officer"}, false};
  const Caller analyst_{"", "emp-2002", {"analyst"}, false};
  // The designer also holds the approver role: four eyes, not the role, stops her approving her
  // own campaign.
  const Caller designer_{"", "emp-3003", {"campaign_designer", "approver"}, false};
  const Caller admin_{"", "emp-4004", {"administrator"}, false};
  const Caller approver_{"", "emp-5005", {"approver"}, false};
  const Caller privacy_officer_{"", "emp-6006", {"privacy_officer"}, false};
  // The information action's trace: --trace, or a new one.
  common::TraceContext action_;

  std::unique_ptr<ipb::IntakeService::Stub> intake_;
  std::unique_ptr<apb::AnalysisService::Stub> analysis_;
  std::unique_ptr<dpb::DispatchService::Stub> dispatch_;
  std::unique_ptr<dpb::ExecutorService::Stub> executors_;
  std::unique_ptr<cpb::CampaignService::Stub> campaigns_;

  std::string stamp_;
  std::string import_dir_, delivery_dir_;
  std::string intake_address_;  // the global --intake-address
  double control_share_ = 0.1;
  uint64_t seed_ = 7624;
  absl::TimeZone zone_;
  absl::CivilDay today_;
  std::mt19937_64 rng_;

  std::vector<Customer> customers_;
  std::map<std::string, size_t> by_number_;  // customer number -> index in customers_
  std::vector<GroupPlan> plan_ = Plan();

  // Results, for the summary.
  int signals_ = 0;
  std::string signal_, duplicate_;
  std::map<std::string, int64_t> imported_;  // data set -> rows loaded
  int64_t affected_ = 0, sample_population_ = 0;
  int sample_members_ = 0;
  std::string target_group_set_;
  int64_t unassigned_ = 0;
  cpb::Campaign campaign_;
  std::map<dpb::Channel, ExecutorUse> executor_of_;
  std::vector<OrderRun> orders_;
  std::optional<size_t> objector_;     // customers_ index of the customer who objected (step 2)
  std::set<std::string> delivered_;    // customer numbers whose message arrived
  std::set<std::string> undelivered_;  // contacted, but returned / not reached
  // Letters and call scripts whose text lacks the customer's {klantnummer}, and of those the
  // items the flow could still tie to a customer by a unique name.
  std::map<dpb::Channel, int64_t> missing_number_;
  // --until: stop after the campaign was submitted or approved (for tests of what follows).
  std::string until_;
  bool stopped_ = false;
  int64_t responses_ = 0, delivered_responses_ = 0;
  std::string contact_file_;
  apb::ResponseMeasurement measurement_;
  std::string close_feedback_;
};

}  // namespace cak::cli::flow
