// The nine-step flow (see flow_command.h).
#include "cli/flow_command.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <thread>
#include <tuple>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/civil_time.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "cak/voorlichting/analysis/v1/analysis_service.grpc.pb.h"
#include "cak/voorlichting/campaign/v1/campaign_service.grpc.pb.h"
#include "cak/voorlichting/dispatch/v1/dispatch_service.grpc.pb.h"
#include "cak/voorlichting/intake/v1/intake_service.grpc.pb.h"
#include "cak/voorlichting/processinglog/v1/processing_log_service.grpc.pb.h"
#include "cli/log_command.h"
#include "cli/output.h"
#include "cli/subject_command.h"
#include "common/grpc/status.h"
#include "tools/logbook/receiver.h"

namespace cak::cli {

namespace {

namespace ipb = cak::voorlichting::intake::v1;
namespace apb = cak::voorlichting::analysis::v1;
namespace cpb = cak::voorlichting::campaign::v1;
namespace dpb = cak::voorlichting::dispatch::v1;
namespace privacy = cak::voorlichting::privacy::v1;
using Date = cak::voorlichting::type::v1::Date;

// ---------------------------------------------------------------------------------------------
// Small formatting helpers

std::string Percent(double share) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f%%", share * 100);
  return buf;
}

std::string Points(double diff) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%+.1f", diff * 100);
  return buf;
}

std::string CountList(const google::protobuf::RepeatedPtrField<apb::Count>& counts) {
  std::vector<std::string> parts;
  for (const auto& c : counts) parts.push_back(absl::StrCat(c.key(), " ", Thousands(c.count())));
  return parts.empty() ? "-" : absl::StrJoin(parts, ", ");
}

// The last path segment of a resource name ("dispatchOrders/x/batches/3" -> "3").
std::string Leaf(const std::string& name) { return name.substr(name.rfind('/') + 1); }

// Splits a CSV file (RFC 4180: quoted fields, doubled quotes, line breaks inside quotes).
bool ReadCsv(const std::string& path, std::vector<std::vector<std::string>>* rows) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::stringstream buffer;
  buffer << in.rdbuf();
  const std::string text = buffer.str();
  std::vector<std::string> row;
  std::string field;
  bool quoted = false, any = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        field.push_back('"');
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        field.push_back(c);
      }
      continue;
    }
    if (c == '"') {
      quoted = true;
      any = true;
    } else if (c == ',') {
      row.push_back(std::move(field));
      field.clear();
      any = true;
    } else if (c == '\n' || c == '\r') {
      if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
      if (any || !field.empty()) {
        row.push_back(std::move(field));
        rows->push_back(std::move(row));
      }
      row.clear();
      field.clear();
      any = false;
    } else {
      field.push_back(c);
      any = true;
    }
  }
  if (any || !field.empty()) {
    row.push_back(std::move(field));
    rows->push_back(std::move(row));
  }
  return true;
}

// The first run of exactly ten digits in a rendered text: the {klantnummer} the flow's messages
// carry (amounts, dates and references in them never have ten digits in a row).
std::string CustomerNumberIn(const std::string& text) {
  for (size_t i = 0; i < text.size();) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(text[i]))) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < text.size() && absl::ascii_isdigit(static_cast<unsigned char>(text[j]))) ++j;
    if (j - i == 10) return text.substr(i, 10);
    i = j;
  }
  return "";
}

// ---------------------------------------------------------------------------------------------
// The plan of the information action: the groups, their actions and messages.

struct GroupPlan {
  std::string name;
  cpb::Action action;
  apb::Criteria criteria;
  std::string message;
  std::string guidelines;
  std::string contact_moment_code;
};

apb::Predicate* AddTerm(apb::Criteria* c) { return c->mutable_all()->add_items()->mutable_predicate(); }

// Active Wlz customers: who received the wrong November invoice.
apb::Criteria Affected() {
  apb::Criteria c;
  AddTerm(&c)->mutable_regulation_in()->add_regulations(apb::REGULATION_WLZ);
  AddTerm(&c)->set_active(true);
  return c;
}

constexpr char kLetter[] =
    "{aanhef},\n\n"
    "U krijgt deze brief over {naam}. Het klantnummer is {klantnummer}.\n\n"
    "In november kreeg u een factuur voor de eigen bijdrage Wlz. Het bedrag op die factuur was te hoog. "
    "Wij rekenden {bedrag} te veel. Dat is onze fout. Het spijt ons.\n\n"
    "U hoeft niets te doen. U krijgt een nieuwe factuur met het goede bedrag. "
    "Heeft u al betaald? Dan krijgt u het verschil vanzelf terug.\n\n"
    "Heeft u vragen? Bel ons gratis op 0800 0087. Noem dan het kenmerk {kenmerk}.\n\n"
    "Met vriendelijke groet,\nCAK\n\n{datum}";
constexpr char kCallScript[] =
    "Vraag naar {naam}. Het klantnummer is {klantnummer}.\n"
    "Zeg: u belt namens het CAK over de factuur eigen bijdrage Wlz van november. "
    "Het bedrag op die factuur was {bedrag} te hoog. Dat is onze fout. "
    "De klant hoeft niets te doen. Er komt een nieuwe factuur. "
    "Is er al betaald? Dan krijgt de klant het verschil vanzelf terug. "
    "Noem het kenmerk {kenmerk}.";
constexpr char kContactMoment[] =
    "Klant {klantnummer}: de factuur eigen bijdrage Wlz van november was {bedrag} te hoog. "
    "Klant hoeft niets te doen. Nieuwe factuur volgt. Terugbetaling gaat vanzelf. Kenmerk {kenmerk}.";

std::vector<GroupPlan> Plan() {
  std::vector<GroupPlan> plan;
  {
    GroupPlan g{"Wlz met vertegenwoordiger",
                cpb::ACTION_LETTER,
                Affected(),
                kLetter,
                "Standaard envelop, geen bijlagen. De brief gaat naar de wettelijk vertegenwoordiger.",
                ""};
    AddTerm(&g.criteria)->set_has_representative(true);
    plan.push_back(g);
  }
  {
    GroupPlan g{"Wlz telefonisch bereikbaar",
                cpb::ACTION_CALL,
                Affected(),
                kCallScript,
                "Bel op werkdagen tussen 9 en 17 uur. Geen gehoor: niet inspreken, twee pogingen.",
                ""};
    auto* contacted = AddTerm(&g.criteria)->mutable_contacted_within();
    contacted->set_days(365);
    contacted->add_channels(apb::CONTACT_CHANNEL_PHONE);
    contacted->set_reached_only(true);
    plan.push_back(g);
  }
  {
    GroupPlan g{"Wlz met betalingsregeling", cpb::ACTION_NONE, Affected(), "", "", ""};
    AddTerm(&g.criteria)->set_payment_plan(true);
    plan.push_back(g);
  }
  plan.push_back({"Overige Wlz-klanten", cpb::ACTION_CONTACT_MOMENT, Affected(), kContactMoment,
                  "Plaats het contactmoment in het klantdossier, zichtbaar voor het KCC.", "VK-WLZ-FACTUUR-NOV"});
  return plan;
}

bool Contacted(cpb::Action a) {
  return a == cpb::ACTION_LETTER || a == cpb::ACTION_CALL || a == cpb::ACTION_CONTACT_MOMENT;
}

dpb::Channel DispatchChannel(cpb::Action a) {
  switch (a) {
    case cpb::ACTION_LETTER:
      return dpb::CHANNEL_LETTER;
    case cpb::ACTION_CALL:
      return dpb::CHANNEL_CALL;
    case cpb::ACTION_CONTACT_MOMENT:
      return dpb::CHANNEL_CONTACT_MOMENT;
    default:
      return dpb::CHANNEL_UNSPECIFIED;
  }
}

apb::ActionChannel MeasuredChannel(cpb::Action a) {
  switch (a) {
    case cpb::ACTION_LETTER:
      return apb::ACTION_CHANNEL_LETTER;
    case cpb::ACTION_CALL:
      return apb::ACTION_CHANNEL_CALL;
    case cpb::ACTION_CONTACT_MOMENT:
      return apb::ACTION_CHANNEL_CONTACT_MOMENT;
    default:
      return apb::ACTION_CHANNEL_UNSPECIFIED;
  }
}

bool Delivered(dpb::Outcome o) {
  return o == dpb::OUTCOME_LETTER_PRINTED || o == dpb::OUTCOME_CALL_REACHED || o == dpb::OUTCOME_CONTACT_MOMENT_PLACED;
}

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
  std::map<dpb::Outcome, int64_t> outcomes;
};

// A customer of the imported extract (held in memory only; never printed).
struct Customer {
  std::string bsn, customer_number;
  bool affected = false;      // an active Wlz customer (the selection of this action)
  bool payment_plan = false;  // (their group is handled by hand, not contacted)
};

// ---------------------------------------------------------------------------------------------

class FlowRun {
 public:
  FlowRun(const Client& client, const Args& args) : client_(client), args_(args) {}

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

  const Client& client_;
  const Args& args_;
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

bool FlowRun::PollUntil(absl::Duration limit, const std::string& what,
                        const std::function<std::optional<bool>()>& poll) {
  const absl::Time end = absl::Now() + limit;
  while (true) {
    std::optional<bool> done = poll();
    if (done.has_value()) return *done;
    if (absl::Now() > end) {
      error_ = absl::StrCat(what, ": not done after ", absl::FormatDuration(limit));
      return false;
    }
    absl::SleepFor(absl::Milliseconds(200));
  }
}

bool FlowRun::GetCampaign(cpb::Campaign* out) {
  cpb::GetCampaignRequest req;
  req.set_name(campaign_.name());
  return Ok(campaigns_->GetCampaign(As(designer_).get(), req, out), "GetCampaign");
}

const cpb::CampaignGroup* FlowRun::GroupOf(const std::string& name) const {
  for (const auto& g : campaign_.groups()) {
    if (g.group() == name) return &g;
  }
  return nullptr;
}

std::string FlowRun::CustomerOf(const dpb::BatchItem& item, dpb::Channel channel) {
  if (channel == dpb::CHANNEL_CONTACT_MOMENT)
    return by_number_.count(item.customer_number()) ? item.customer_number() : "";
  const std::string number = CustomerNumberIn(item.text());
  if (by_number_.count(number)) return number;
  // Every letter and call script carries {klantnummer} (the flow writes them so); one without
  // it cannot be tied to its customer and fails the flow's check at the end.
  ++missing_number_[channel];
  return "";
}

bool FlowRun::Setup() {
  for (const char* flag :
       {"intake-address", "analysis-address", "dispatch-address", "campaign-address", "import-dir", "delivery-dir"}) {
    if (!args_.Has(flag)) return Expect(false, absl::StrCat("--", flag, " is required"));
  }
  import_dir_ = args_.Get("import-dir");
  delivery_dir_ = args_.Get("delivery-dir");
  if (!absl::SimpleAtod(args_.Get("control-share", "0.1"), &control_share_) || control_share_ < 0 ||
      control_share_ > 0.5) {
    return Expect(false, "--control-share must be a number from 0 to 0.5");
  }
  if (!absl::SimpleAtoi(args_.Get("seed", "7624"), &seed_)) return Expect(false, "--seed must be a whole number");
  rng_.seed(seed_);
  if (!absl::LoadTimeZone(args_.Get("time-zone", "Europe/Amsterdam"), &zone_)) zone_ = absl::LocalTimeZone();
  today_ = absl::ToCivilDay(absl::Now(), zone_);
  stamp_ = args_.Get("run-id", absl::StrCat("flow-", absl::ToUnixMicros(absl::Now())));
  until_ = args_.Get("until", "");
  action_ = client_.trace() ? *client_.trace() : common::TraceContext::NewRoot();
  if (!until_.empty() && until_ != "submitted" && until_ != "approved") {
    return Expect(false, "--until must be submitted or approved");
  }

  grpc::ChannelArguments channel_args;
  channel_args.SetMaxReceiveMessageSize(64 << 20);
  auto channel = [&](const char* flag) {
    return grpc::CreateCustomChannel(args_.Get(flag), grpc::InsecureChannelCredentials(), channel_args);
  };
  intake_ = ipb::IntakeService::NewStub(channel("intake-address"));
  analysis_ = apb::AnalysisService::NewStub(channel("analysis-address"));
  auto dispatch_channel = channel("dispatch-address");
  dispatch_ = dpb::DispatchService::NewStub(dispatch_channel);
  executors_ = dpb::ExecutorService::NewStub(dispatch_channel);
  campaigns_ = cpb::CampaignService::NewStub(channel("campaign-address"));

  // The extract analysis-svc imports; the flow needs it to play the customers in step 9.
  std::vector<std::vector<std::string>> rows;
  const std::string path = (std::filesystem::path(import_dir_) / "customers.csv").string();
  if (!ReadCsv(path, &rows) || rows.empty()) return Expect(false, absl::StrCat("cannot read ", path));
  std::map<std::string, size_t> column;
  for (size_t i = 0; i < rows[0].size(); ++i) column[rows[0][i]] = i;
  for (const char* name :
       {"bsn", "customer_number", "initials", "name_prefix", "surname", "regulation", "active", "payment_plan"}) {
    if (!column.count(name)) return Expect(false, absl::StrCat(path, " has no ", name, " column"));
  }
  for (size_t r = 1; r < rows.size(); ++r) {
    if (rows[r].size() != rows[0].size()) continue;
    const auto field = [&](const char* name) -> const std::string& { return rows[r][column[name]]; };
    by_number_[field("customer_number")] = customers_.size();
    customers_.push_back({field("bsn"), field("customer_number"),
                          field("regulation") == "WLZ" && field("active") == "true", field("payment_plan") == "true"});
  }
  std::printf("run %s: today is %s (%s); %s customers in %s\n", stamp_.c_str(), absl::FormatCivilTime(today_).c_str(),
              zone_.name().c_str(), Thousands(customers_.size()).c_str(), path.c_str());
  return true;
}

// ---------------------------------------------------------------------------------------------
// Step 1: the signal.

bool FlowRun::SignalArrives() {
  Step(1, "Stap 1 Melding ontvangen: the KCC portal reports a wrong invoice run; the analyst starts the assessment");
  ipb::SubmitSignalRequest req;
  req.set_request_id(stamp_ + "-signal");
  auto* s = req.mutable_signal();
  s->set_source_channel(ipb::SOURCE_CHANNEL_KCC);
  s->set_category(ipb::SIGNAL_CATEGORY_WRONG_INVOICE);
  s->set_regulation(ipb::REGULATION_WLZ);
  s->set_description(
      "Veel Wlz-klanten bellen over de factuur eigen bijdrage van november: het bedrag is hoger dan in oktober, "
      "zonder dat er iets veranderde. Het lijkt een fout in de factuurrun van november.");
  // Two synthetic customers of the extract as examples (shown as a count only).
  for (size_t i = 0; i < customers_.size() && s->example_customer_bsns_size() < 2; i += 997) {
    s->add_example_customer_bsns(customers_[i].bsn);
  }
  ipb::SubmitSignalResponse resp;
  if (!Ok(intake_->SubmitSignal(As(kcc_portal_).get(), req, &resp), "SubmitSignal")) return false;
  signal_ = resp.signal().name();
  ++signals_;
  std::printf("  %s: %s / %s via %s, reported by %s, %d example customer(s)\n", signal_.c_str(),
              Short(ipb::Regulation_Name(resp.signal().regulation()), "REGULATION_").c_str(),
              Short(ipb::SignalCategory_Name(resp.signal().category()), "SIGNAL_CATEGORY_").c_str(),
              Short(ipb::SourceChannel_Name(resp.signal().source_channel()), "SOURCE_CHANNEL_").c_str(),
              resp.signal().reporter().id().c_str(), resp.signal().example_customer_count());
  if (resp.signal().duplicate_candidates_size() > 0) {
    std::printf("  %d open signal(s) of earlier runs suggested as possible duplicates\n",
                resp.signal().duplicate_candidates_size());
  }
  ipb::StartSignalAssessmentRequest start;
  start.set_name(signal_);
  ipb::Signal assessed;
  if (!Ok(intake_->StartSignalAssessment(As(analyst_).get(), start, &assessed), "StartSignalAssessment")) return false;
  std::printf("  %s started the assessment: %s\n", analyst_.id.c_str(),
              Short(ipb::SignalState_Name(assessed.state()), "SIGNAL_STATE_").c_str());
  return Expect(assessed.state() == ipb::SIGNAL_STATE_IN_ASSESSMENT, "the signal is not IN_ASSESSMENT");
}

// ---------------------------------------------------------------------------------------------
// Step 2: the assessment on the source-system snapshot.

bool FlowRun::Assess() {
  Step(2, "Stap 2 Beoordelen gebeurtenis: import the extract, impact analysis, a pseudonymised sample");
  const std::tuple<apb::Dataset, const char*, const char*> files[] = {
      {apb::DATASET_CUSTOMERS, "customers", "customers.csv"},
      {apb::DATASET_RELATIONS, "relations", "relations.csv"},
      {apb::DATASET_MAILINGS, "mailings", "mailings.csv"},
      {apb::DATASET_CONTACT_REPORTS, "contact_reports", "contact_reports.csv"}};
  for (const auto& [d, dataset, file] : files) {
    apb::ImportFileRequest req;
    req.set_dataset(d);
    req.set_path(file);
    req.mutable_options()->set_source(file);
    req.mutable_options()->set_request_id(absl::StrCat(stamp_, "-import-", dataset));
    apb::ImportReport report;
    if (!Ok(analysis_->ImportFile(As(admin_).get(), req, &report), absl::StrCat("ImportFile ", file))) return false;
    imported_[dataset] = report.rows_loaded();
    std::printf("  %-16s %7s rows read, %7s loaded, %4s rejected -> snapshot %lld\n", dataset,
                Thousands(report.rows_read()).c_str(), Thousands(report.rows_loaded()).c_str(),
                Thousands(report.rows_rejected()).c_str(), static_cast<long long>(report.snapshot_version()));
  }

  if (!ObjectBeforeFreeze()) return false;
  apb::AnalyzeImpactRequest impact;
  *impact.mutable_criteria() = Affected();
  apb::ImpactAnalysis a;
  if (!Ok(analysis_->AnalyzeImpact(As(analyst_).get(), impact, &a), "AnalyzeImpact")) return false;
  affected_ = a.total();
  std::printf("  affected (active Wlz customers): %s of %s; %s left out by an objection\n",
              Thousands(a.total()).c_str(), Thousands(imported_["customers"]).c_str(),
              Thousands(a.excluded_by_objection()).c_str());
  if (!Expect(a.excluded_by_objection() == 1, "the impact analysis does not count the objection")) return false;
  std::printf("    routing         %s\n", CountList(a.by_routing()).c_str());
  std::printf("    reachable       %s\n", CountList(a.by_reachability()).c_str());
  std::printf("    mailing plan    %s with a planned mailing %s..%s (%s)\n",
              Thousands(a.mailing_overlap_total()).c_str(), Day(a.mailing_from_date()).c_str(),
              Day(a.mailing_to_date()).c_str(), CountList(a.mailing_overlap_by_type()).c_str());
  std::printf("    contact         %s had %d or more contacts in the last %d days\n",
              Thousands(a.contact_pressure()).c_str(), a.pressure_min_contacts(), a.pressure_days());

  apb::CreateSampleRequest sample_req;
  *sample_req.mutable_criteria() = Affected();
  sample_req.set_size(10);
  sample_req.set_seed(seed_);
  sample_req.set_stratification(apb::STRATIFICATION_ROUTING);
  sample_req.set_view(apb::SAMPLE_VIEW_PSEUDONYMISED);
  apb::Sample sample;
  if (!Ok(analysis_->CreateSample(As(analyst_).get(), sample_req, &sample), "CreateSample")) return false;
  sample_population_ = sample.population();
  sample_members_ = sample.members_size();
  std::printf("  %s: %d of %s, stratified by routing (%s), pseudonymised; the first three:\n", sample.name().c_str(),
              sample.members_size(), Thousands(sample.population()).c_str(), CountList(sample.allocation()).c_str());
  for (int i = 0; i < sample.members_size() && i < 3; ++i) {
    const auto& m = sample.members(i);
    std::printf("    %s  %-22s age %d, %s, %s\n", m.pseudonym().c_str(), m.masked_name().c_str(), m.age_years(),
                m.municipality_code().c_str(), Short(apb::Routing_Name(m.routing()), "ROUTING_").c_str());
  }
  return Expect(affected_ > 0, "the impact analysis found nobody affected") &&
         Expect(sample.members_size() > 0 && sample.members(0).bsn().empty(), "the sample is not pseudonymised");
}

// ---------------------------------------------------------------------------------------------
// Step 3: a second report of the same event gets feedback that no action follows on it.

bool FlowRun::DeclineDuplicate() {
  Step(3, "Stap 3 Terugkoppelen reden geen actie: a second report of the same event is declined with feedback");
  ipb::SubmitSignalRequest req;
  req.set_request_id(stamp_ + "-signal-2");
  auto* s = req.mutable_signal();
  s->set_source_channel(ipb::SOURCE_CHANNEL_EMPLOYEE);
  s->set_category(ipb::SIGNAL_CATEGORY_WRONG_INVOICE);
  s->set_regulation(ipb::REGULATION_WLZ);
  s->set_description("Een klant belde: de factuur Wlz van november is te hoog. Graag uitzoeken.");
  ipb::SubmitSignalResponse resp;
  if (!Ok(intake_->SubmitSignal(As(officer_).get(), req, &resp), "SubmitSignal (second)")) return false;
  duplicate_ = resp.signal().name();
  ++signals_;
  bool suggested = false;
  for (const auto& d : resp.signal().duplicate_candidates()) suggested |= d.signal() == signal_;
  std::printf("  %s by %s; intake-svc suggests %s as a duplicate: %s\n", duplicate_.c_str(), officer_.id.c_str(),
              signal_.c_str(), suggested ? "yes" : "no");

  ipb::DeclineSignalRequest decline;
  decline.set_name(duplicate_);
  decline.set_reason(ipb::DECLINE_REASON_DUPLICATE);
  decline.set_feedback(
      absl::StrCat("Dank voor uw melding. Dit gaat over dezelfde fout in de factuurrun van november als ", signal_,
                   ". Wij pakken het daar op en informeren de klanten."));
  ipb::Signal declined;
  if (!Ok(intake_->DeclineSignal(As(officer_).get(), decline, &declined), "DeclineSignal")) return false;

  ipb::GetSignalRequest get;
  get.set_name(duplicate_);
  ipb::Signal seen;
  if (!Ok(intake_->GetSignal(As(officer_).get(), get, &seen), "GetSignal")) return false;
  std::printf("  the reporter sees: %s (%s)\n    feedback: \"%s\"\n",
              Short(ipb::SignalState_Name(seen.state()), "SIGNAL_STATE_").c_str(),
              Short(ipb::DeclineReason_Name(seen.decline_reason()), "DECLINE_REASON_").c_str(),
              seen.feedback().c_str());
  return Expect(seen.state() == ipb::SIGNAL_STATE_NO_ACTION && seen.feedback() == decline.feedback(),
                "the declined signal does not show its feedback");
}

// ---------------------------------------------------------------------------------------------
// Step 4: target groups (analysis-svc) and the campaign that gives each its solution.

bool FlowRun::DefineGroups() {
  Step(4, "Stap 4 Inhoudelijk afstemmen: ordered, disjoint target groups, and the campaign around them");
  apb::DefineTargetGroupsRequest req;
  req.set_request_id(stamp_ + "-groups");
  req.set_signal(signal_);
  for (const GroupPlan& g : plan_) {
    auto* named = req.add_groups();
    named->set_name(g.name);
    *named->mutable_criteria() = g.criteria;
  }
  apb::TargetGroupSet set;
  if (!Ok(analysis_->DefineTargetGroups(As(analyst_).get(), req, &set), "DefineTargetGroups")) return false;
  target_group_set_ = set.name();
  unassigned_ = set.unassigned_count();
  int64_t grouped = 0, excluded = 0;
  for (const auto& g : set.groups()) {
    grouped += g.impact().total();
    excluded += g.impact().excluded_by_objection();
    std::printf("  %-28s %6s customers; routing %s\n", g.name().c_str(), Thousands(g.impact().total()).c_str(),
                CountList(g.impact().by_routing()).c_str());
  }
  std::printf("  %s by %s on snapshot %lld: %s in the groups, %s customers in none, %s left out by an objection\n",
              set.name().c_str(), set.defined_by().c_str(), static_cast<long long>(set.snapshot_version()),
              Thousands(grouped).c_str(), Thousands(set.unassigned_count()).c_str(), Thousands(excluded).c_str());
  if (!Expect(excluded == 1, "the target groups do not count the objection")) return false;
  if (!Expect(grouped == affected_,
              absl::StrCat("the groups hold ", grouped, " customers, the selection ", affected_))) {
    return false;
  }

  cpb::CreateCampaignRequest create;
  create.set_request_id(stamp_ + "-campaign");
  auto* c = create.mutable_campaign();
  c->set_title("Verkeerde factuur eigen bijdrage Wlz november");
  c->set_signal(signal_);
  c->set_target_group_set(target_group_set_);
  c->set_control_share(control_share_);
  c->set_control_seed(seed_);
  if (!Ok(campaigns_->CreateCampaign(As(designer_).get(), create, &campaign_), "CreateCampaign")) return false;
  std::printf("  %s created by %s (%s), %d groups, %.0f%% of each contacted group held back as control\n",
              campaign_.name().c_str(), campaign_.created_by().c_str(),
              Short(cpb::CampaignState_Name(campaign_.state()), "CAMPAIGN_STATE_").c_str(), campaign_.groups_size(),
              campaign_.control_share() * 100);
  return Expect(campaign_.groups_size() == static_cast<int>(plan_.size()), "the campaign lacks groups");
}

// ---------------------------------------------------------------------------------------------
// Steps 5 and 6: per group the message and the action.

bool FlowRun::MessagesAndActions() {
  Step(5, "Stap 5 en 6 Formuleren boodschap, bepalen actie: per group the channel, the message and its B1 check");
  for (const GroupPlan& g : plan_) {
    cpb::UpdateCampaignGroupRequest req;
    req.set_campaign(campaign_.name());
    req.set_group(g.name);
    req.set_action(g.action);
    req.mutable_update_mask()->add_paths("action");
    if (Contacted(g.action)) {
      req.set_message_text(g.message);
      req.set_guidelines(g.guidelines);
      SetDay(today_, req.mutable_window_start());
      SetDay(today_ + 14, req.mutable_window_end());
      (*req.mutable_values())["bedrag"] = "€ 23,40";
      (*req.mutable_values())["kenmerk"] = "VK-2026-WLZ11";
      for (const char* p : {"message_text", "guidelines", "window_start", "window_end", "values"}) {
        req.mutable_update_mask()->add_paths(p);
      }
      if (!g.contact_moment_code.empty()) {
        req.set_contact_moment_code(g.contact_moment_code);
        req.mutable_update_mask()->add_paths("contact_moment_code");
      }
    }
    if (!Ok(campaigns_->UpdateCampaignGroup(As(designer_).get(), req, &campaign_),
            absl::StrCat("UpdateCampaignGroup '", g.name, "'"))) {
      return false;
    }
    const cpb::CampaignGroup* group = GroupOf(g.name);
    if (!Expect(group != nullptr, "group missing after update")) return false;
    std::printf("  %-28s %-15s", g.name.c_str(), Short(cpb::Action_Name(group->action()), "ACTION_").c_str());
    if (!Contacted(g.action)) {
      std::printf("not contacted (their payment arrangement is corrected by hand)\n");
      continue;
    }
    const auto& r = group->message().readability();
    std::printf("message v%d, window %s..%s\n", group->message().version(), Day(group->window_start()).c_str(),
                Day(group->window_end()).c_str());
    std::printf("    plain language: Flesch-Douma %.1f, level %s%s; %d sentences, %.1f words per sentence\n",
                r.flesch_douma(), r.level().c_str(), r.below_b1() ? " (harder than B1)" : " (B1 or easier)",
                r.sentences(), r.words_per_sentence());
    for (const auto& w : r.warnings()) std::printf("    warning: %s\n", w.c_str());
  }

  const std::string letter_group = plan_[0].name;
  cpb::PreviewMessageRequest preview;
  preview.set_campaign(campaign_.name());
  preview.set_group(letter_group);
  preview.set_sample_size(2);
  preview.set_seed(seed_);
  cpb::PreviewMessageResponse previews;
  if (!Ok(campaigns_->PreviewMessage(As(designer_).get(), preview, &previews), "PreviewMessage")) return false;
  std::printf("  preview of '%s' (message v%d) for %d pseudonymised recipients:\n", letter_group.c_str(),
              previews.message_version(), previews.previews_size());
  for (const auto& p : previews.previews()) {
    std::printf("    --- %s\n", p.pseudonym().c_str());
    std::istringstream lines(p.text());
    std::string line;
    for (int n = 0; std::getline(lines, line) && n < 4; ++n) {
      if (!line.empty()) std::printf("    | %s\n", line.c_str());
    }
    std::printf("    | ...\n");
  }
  if (!Expect(previews.previews_size() > 0, "the preview rendered nothing")) return false;

  // A text asking for data the channel may not carry is refused, and nothing changes.
  cpb::UpdateCampaignGroupRequest bad;
  bad.set_campaign(campaign_.name());
  bad.set_group(letter_group);
  bad.set_message_text("{aanhef},\n\nWij schrijven het bedrag af van rekening {iban}.");
  bad.mutable_update_mask()->add_paths("message_text");
  cpb::Campaign ignored;
  const grpc::Status refused = campaigns_->UpdateCampaignGroup(As(designer_).get(), bad, &ignored);
  std::printf("  a message with {iban}: %s\n", refused.ok() ? "ACCEPTED" : DescribeError(refused).c_str());
  if (!Expect(refused.error_code() == grpc::StatusCode::INVALID_ARGUMENT &&
                  absl::StrContains(refused.error_message(), "{iban}"),
              "a message with the unknown placeholder {iban} was not refused as INVALID_ARGUMENT naming it")) {
    return false;
  }
  cpb::Campaign after;
  if (!GetCampaign(&after)) return false;
  campaign_ = after;
  return Expect(GroupOf(letter_group)->message().version() == previews.message_version(),
                "the refused message changed the group");
}

// ---------------------------------------------------------------------------------------------
// Step 7: the executors judge feasibility and sign it off.

bool FlowRun::Feasibility() {
  Step(6, "Stap 7 Toetsen actie met uitvoerder: the executors' calendars, the feasibility check and their sign-off");
  std::map<dpb::Channel, dpb::Executor> existing;
  dpb::ListExecutorsRequest list;
  list.set_page_size(200);
  do {
    dpb::ListExecutorsResponse page;
    if (!Ok(dispatch_->ListExecutors(As(admin_).get(), list, &page), "ListExecutors")) return false;
    for (const auto& e : page.executors()) existing.emplace(e.channel(), e);
    list.set_page_token(page.next_page_token());
  } while (!list.page_token().empty());

  struct Wanted {
    const char* id;
    const char* display;
    dpb::Channel channel;
    const char* identity;
  };
  const Wanted wanted[] = {{"repro", "Repro (print en post)", dpb::CHANNEL_LETTER, "repro.executors.cak.nl"},
                           {"kcc", "KCC (klantcontactcentrum)", dpb::CHANNEL_CALL, "kcc.executors.cak.nl"},
                           {"dataverkeer", "Dataverkeer", dpb::CHANNEL_CONTACT_MOMENT, "dataverkeer.executors.cak.nl"}};
  for (const Wanted& w : wanted) {
    dpb::Executor e;
    const char* how = "registered earlier";
    if (auto it = existing.find(w.channel); it != existing.end()) {
      e = it->second;
    } else {
      dpb::CreateExecutorRequest create;
      create.set_request_id(absl::StrCat("flow-executor-", w.id));
      create.set_executor_id(w.id);
      auto* x = create.mutable_executor();
      x->set_display_name(w.display);
      x->set_channel(w.channel);
      x->set_identity(w.identity);
      x->set_location_country("NL");
      x->set_delivery_method(dpb::DELIVERY_METHOD_FILES);
      x->mutable_calendar()->set_items_per_day(100000);
      for (int d = 1; d <= 7; ++d) x->mutable_calendar()->add_working_days(static_cast<dpb::Weekday>(d));
      const grpc::Status st = dispatch_->CreateExecutor(As(admin_).get(), create, &e);
      how = "registered now";
      if (st.error_code() == grpc::StatusCode::ALREADY_EXISTS) {
        dpb::GetExecutorRequest get;
        get.set_name(absl::StrCat("executors/", w.id));
        if (!Ok(dispatch_->GetExecutor(As(admin_).get(), get, &e), "GetExecutor")) return false;
        how = "registered earlier";
      } else if (!Ok(st, absl::StrCat("CreateExecutor ", w.id))) {
        return false;
      }
    }
    // Every day, no lead time and room enough, so that a window starting today can be met.
    dpb::UpdateExecutorRequest update;
    auto* x = update.mutable_executor();
    x->set_name(e.name());
    x->mutable_calendar()->set_items_per_day(std::max<int64_t>(e.calendar().items_per_day(), 100000));
    x->mutable_calendar()->set_lead_time_days(0);
    for (int d = 1; d <= 7; ++d) x->mutable_calendar()->add_working_days(static_cast<dpb::Weekday>(d));
    x->set_delivery_method(dpb::DELIVERY_METHOD_FILES);
    update.mutable_update_mask()->add_paths("calendar");
    update.mutable_update_mask()->add_paths("delivery_method");
    if (!Ok(dispatch_->UpdateExecutor(As(admin_).get(), update, &e), absl::StrCat("UpdateExecutor ", e.name()))) {
      return false;
    }
    executor_of_[w.channel] = {e.name(), Caller{"", e.identity(), {"executor"}, true}};
    std::printf("  %-22s %-15s %-30s %s, %s a day, 7 days a week, lead time %d, %s (%s)\n", e.name().c_str(),
                Short(dpb::Channel_Name(e.channel()), "CHANNEL_").c_str(), e.identity().c_str(),
                e.location_country().c_str(), Thousands(e.calendar().items_per_day()).c_str(),
                e.calendar().lead_time_days(),
                Short(dpb::DeliveryMethod_Name(e.delivery_method()), "DELIVERY_METHOD_").c_str(), how);
  }

  cpb::CheckCampaignFeasibilityRequest check;
  check.set_campaign(campaign_.name());
  if (!Ok(campaigns_->CheckCampaignFeasibility(As(designer_).get(), check, &campaign_), "CheckCampaignFeasibility")) {
    return false;
  }
  for (const auto& g : campaign_.groups()) {
    if (!Contacted(g.action())) continue;
    if (!Expect(g.has_feasibility() && !g.feasibility().feasibility_check().empty(),
                absl::StrCat("group '", g.group(), "' got no feasibility answer"))) {
      return false;
    }
    const ExecutorUse& exec = executor_of_[DispatchChannel(g.action())];
    dpb::ConfirmFeasibilityRequest confirm;
    confirm.set_name(g.feasibility().feasibility_check());
    confirm.set_comment(
        absl::StrCat("Akkoord: ", Thousands(g.feasibility().volume()), " stuks passen in onze planning."));
    dpb::FeasibilityCheck signed_off;
    if (!Ok(executors_->ConfirmFeasibility(As(exec.caller).get(), confirm, &signed_off),
            absl::StrCat("ConfirmFeasibility by ", exec.caller.id))) {
      return false;
    }
    std::printf("  %s signs off %s: %s\n", exec.caller.id.c_str(), signed_off.name().c_str(),
                Short(dpb::FeasibilityState_Name(signed_off.state()), "FEASIBILITY_STATE_").c_str());
  }
  if (!Ok(campaigns_->CheckCampaignFeasibility(As(designer_).get(), check, &campaign_), "CheckCampaignFeasibility")) {
    return false;
  }
  std::printf("  %-28s %-15s %8s  %-9s %-14s %-12s %s\n", "group", "action", "volume", "feasible", "earliest start",
              "state", "decided by");
  for (const auto& g : campaign_.groups()) {
    if (!Contacted(g.action())) continue;
    const auto& f = g.feasibility();
    std::printf("  %-28s %-15s %8s  %-9s %-14s %-12s %s\n", g.group().c_str(),
                Short(cpb::Action_Name(g.action()), "ACTION_").c_str(), Thousands(f.volume()).c_str(),
                f.feasible() ? "yes" : "NO", Day(f.earliest_start()).c_str(),
                Short(cpb::FeasibilityState_Name(f.state()), "FEASIBILITY_STATE_").c_str(), f.decided_by().c_str());
    for (const auto& r : f.reasons()) std::printf("    - %s\n", r.c_str());
    if (!Expect(f.state() == cpb::FEASIBILITY_STATE_CONFIRMED && f.feasible(),
                absl::StrCat("group '", g.group(), "' is not confirmed feasible"))) {
      return false;
    }
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// Four eyes and the release.

bool FlowRun::ReviewAndRelease() {
  Step(7, "Vier ogen en vrijgave: submitted, refused to its own designer, approved by a second employee, released");
  cpb::SubmitCampaignForReviewRequest submit;
  submit.set_campaign(campaign_.name());
  submit.set_comment("Klaar voor review: drie groepen benaderd, één groep handmatig.");
  if (!Ok(campaigns_->SubmitCampaignForReview(As(designer_).get(), submit, &campaign_), "SubmitCampaignForReview")) {
    return false;
  }
  std::printf("  %s submitted by %s: %s; the recipient lists are frozen now\n", campaign_.name().c_str(),
              designer_.id.c_str(), Short(cpb::CampaignState_Name(campaign_.state()), "CAMPAIGN_STATE_").c_str());
  int64_t excluded = 0;
  for (const auto& g : campaign_.groups()) {
    if (!Contacted(g.action())) continue;
    apb::GetRecipientListRequest get;
    get.set_name(g.recipient_list());
    apb::RecipientList list;
    if (!Ok(analysis_->GetRecipientList(As(analyst_).get(), get, &list), "GetRecipientList")) return false;
    excluded += list.excluded_by_objection();
    std::printf("    %-28s %6s recipients, %4s control, %s left out by an objection  %s\n", g.group().c_str(),
                Thousands(g.recipient_count()).c_str(), Thousands(g.control_count()).c_str(),
                Thousands(list.excluded_by_objection()).c_str(), g.recipient_list().c_str());
  }
  if (!Expect(excluded == 1, "the frozen lists do not count the objection")) return false;
  if (until_ == "submitted") return stopped_ = true;

  cpb::ApproveCampaignRequest approve;
  approve.set_campaign(campaign_.name());
  approve.set_revision(campaign_.revision());
  approve.set_comment("Gecontroleerd: groepen, teksten en planning zijn in orde.");
  cpb::Campaign ignored;
  const grpc::Status self = campaigns_->ApproveCampaign(As(designer_).get(), approve, &ignored);
  std::printf("  %s (designer, also approver) approves her own campaign: %s\n", designer_.id.c_str(),
              self.ok() ? "ACCEPTED" : DescribeError(self).c_str());
  if (!Expect(self.error_code() == grpc::StatusCode::PERMISSION_DENIED &&
                  common::ParseGrpcErrorDetails(self).reason == "FOUR_EYES_VIOLATION",
              "the designer's own approval was not refused with FOUR_EYES_VIOLATION")) {
    return false;
  }
  if (!Ok(campaigns_->ApproveCampaign(As(approver_).get(), approve, &campaign_), "ApproveCampaign")) return false;
  std::printf("  %s approves revision %lld: %s\n", approver_.id.c_str(), static_cast<long long>(approve.revision()),
              Short(cpb::CampaignState_Name(campaign_.state()), "CAMPAIGN_STATE_").c_str());
  if (until_ == "approved") return stopped_ = true;

  cpb::ReleaseCampaignRequest release;
  release.set_campaign(campaign_.name());
  if (!Ok(campaigns_->ReleaseCampaign(As(approver_).get(), release, &campaign_), "ReleaseCampaign")) return false;
  std::printf("  %s releases it: %s; the orders and the signal's ACTION_PLANNED go out through the outbox\n",
              approver_.id.c_str(), Short(cpb::CampaignState_Name(campaign_.state()), "CAMPAIGN_STATE_").c_str());

  if (!PollUntil(absl::Seconds(60), "dispatch orders created", [&]() -> std::optional<bool> {
        cpb::Campaign c;
        if (!GetCampaign(&c)) return false;
        bool all = true;
        for (const auto& g : c.groups()) {
          if (!Contacted(g.action())) continue;
          if (g.order_delivery() == cpb::ORDER_DELIVERY_FAILED) {
            error_ = absl::StrCat("dispatch-svc refused the order of '", g.group(), "': ", g.order_error());
            return false;
          }
          all &= g.order_delivery() == cpb::ORDER_DELIVERY_CREATED;
        }
        if (!all) return std::nullopt;
        campaign_ = c;
        return true;
      })) {
    return false;
  }
  for (const auto& g : campaign_.groups()) {
    if (!Contacted(g.action())) continue;
    OrderRun run;
    run.group = g.group();
    run.action = g.action();
    run.order = g.dispatch_order();
    run.recipients = g.recipient_count();
    run.control = g.control_count();
    orders_.push_back(run);
    std::printf("    %-28s -> %s (%s)\n", g.group().c_str(), g.dispatch_order().c_str(),
                Short(cpb::OrderDelivery_Name(g.order_delivery()), "ORDER_DELIVERY_").c_str());
  }

  cpb::Campaign again;
  if (!Ok(campaigns_->ReleaseCampaign(As(designer_).get(), release, &again), "ReleaseCampaign (again)")) return false;
  bool same = again.name() == campaign_.name() && again.state() == cpb::CAMPAIGN_STATE_RELEASED &&
              again.groups_size() == campaign_.groups_size();
  for (int i = 0; same && i < again.groups_size(); ++i) {
    same = again.groups(i).dispatch_order() == campaign_.groups(i).dispatch_order();
  }
  std::printf("  released again: %s\n", same ? "the same campaign with the same orders (nothing new)" : "DIFFERENT");
  if (!Expect(same, "releasing again changed the campaign")) return false;

  ipb::Signal planned;
  if (!PollUntil(absl::Seconds(30), "signal ACTION_PLANNED", [&]() -> std::optional<bool> {
        ipb::GetSignalRequest get;
        get.set_name(signal_);
        if (!Ok(intake_->GetSignal(As(analyst_).get(), get, &planned), "GetSignal")) return false;
        if (planned.state() == ipb::SIGNAL_STATE_ACTION_PLANNED) return true;
        return std::nullopt;
      })) {
    return false;
  }
  std::printf("  %s is %s\n", signal_.c_str(), Short(ipb::SignalState_Name(planned.state()), "SIGNAL_STATE_").c_str());
  return true;
}

// ---------------------------------------------------------------------------------------------
// Step 8: the orders become delivery files; the executors pull, acknowledge and report.

bool FlowRun::Deliver() {
  Step(8, "Stap 8 Uitvoeren actie: delivery files per executor; each executor pulls, acknowledges and reports");
  for (OrderRun& run : orders_) {
    dpb::DispatchOrder order;
    if (!PollUntil(absl::Seconds(120), absl::StrCat(run.order, " READY"), [&]() -> std::optional<bool> {
          dpb::GetDispatchOrderRequest get;
          get.set_name(run.order);
          if (!Ok(dispatch_->GetDispatchOrder(As(designer_).get(), get, &order), "GetDispatchOrder")) return false;
          if (order.state() == dpb::ORDER_STATE_READY || order.state() == dpb::ORDER_STATE_COMPLETED) return true;
          return std::nullopt;
        })) {
      return false;
    }
    dpb::ListBatchesRequest lb;
    lb.set_parent(run.order);
    lb.set_page_size(1000);
    do {
      dpb::ListBatchesResponse page;
      if (!Ok(dispatch_->ListBatches(As(designer_).get(), lb, &page), "ListBatches")) return false;
      run.batches.insert(run.batches.end(), page.batches().begin(), page.batches().end());
      lb.set_page_token(page.next_page_token());
    } while (!lb.page_token().empty());
    std::printf("  %s '%s' (%s, executor %s): %s, %s recipients in %d batch(es)\n", run.order.c_str(),
                run.group.c_str(), Short(dpb::Channel_Name(order.channel()), "CHANNEL_").c_str(),
                order.executor().c_str(), Short(dpb::OrderState_Name(order.state()), "ORDER_STATE_").c_str(),
                Thousands(order.recipient_count()).c_str(), order.batch_count());
    if (!Expect(order.recipient_count() == run.recipients, absl::StrCat(run.order, " holds ", order.recipient_count(),
                                                                        " recipients, the list ", run.recipients))) {
      return false;
    }
    for (const dpb::Batch& b : run.batches) {
      for (const std::string& file : {b.data_file(), b.manifest_file()}) {
        if (file.empty()) continue;
        const std::filesystem::path path = std::filesystem::path(delivery_dir_) / file;
        if (!Expect(std::filesystem::exists(path), absl::StrCat("delivery file ", path.string(), " is missing"))) {
          return false;
        }
        ++run.files;
      }
      std::printf("    batch %-3s %s  %6s items  %s/%s\n", Leaf(b.name()).c_str(), Day(b.planned_date()).c_str(),
                  Thousands(b.item_count()).c_str(), delivery_dir_.c_str(), b.data_file().c_str());
    }
  }

  // The executors, each as itself.
  std::map<std::string, OrderRun*> order_of;
  for (OrderRun& run : orders_) order_of[run.order] = &run;
  for (auto& [channel, exec] : executor_of_) {
    std::vector<dpb::Batch> open;
    dpb::ListOpenBatchesRequest lo;
    lo.set_page_size(1000);
    do {
      dpb::ListOpenBatchesResponse page;
      if (!Ok(executors_->ListOpenBatches(As(exec.caller).get(), lo, &page), "ListOpenBatches")) return false;
      for (const auto& b : page.batches()) {
        if (order_of.count(b.name().substr(0, b.name().find("/batches/")))) open.push_back(b);
      }
      lo.set_page_token(page.next_page_token());
    } while (!lo.page_token().empty());
    if (open.empty()) continue;
    std::map<dpb::Outcome, int64_t> reported;
    int64_t pulled = 0;
    for (const dpb::Batch& b : open) {
      OrderRun* run = order_of[b.name().substr(0, b.name().find("/batches/"))];
      dpb::StreamBatchItemsRequest sreq;
      sreq.set_batch(b.name());
      auto ctx = As(exec.caller);
      auto reader = executors_->StreamBatchItems(ctx.get(), sreq);
      dpb::StreamBatchItemsResponse chunk;
      std::vector<dpb::BatchItem> items;
      while (reader->Read(&chunk)) {
        for (auto& it : *chunk.mutable_items()) items.push_back(std::move(it));
      }
      if (!Ok(reader->Finish(), absl::StrCat("StreamBatchItems ", b.name()))) return false;
      if (!Expect(static_cast<int64_t>(items.size()) == b.item_count(),
                  absl::StrCat(b.name(), ": ", items.size(), " items pulled, ", b.item_count(), " written"))) {
        return false;
      }
      pulled += static_cast<int64_t>(items.size());
      dpb::AcknowledgeBatchRequest ack;
      ack.set_batch(b.name());
      dpb::Batch acked;
      if (!Ok(executors_->AcknowledgeBatch(As(exec.caller).get(), ack, &acked), "AcknowledgeBatch")) return false;

      // What happened per recipient: mostly delivered, some returned or not reached.
      std::uniform_real_distribution<double> u(0, 1);
      const int64_t when = absl::ToUnixSeconds(absl::Now()) - 5;
      std::vector<dpb::ItemOutcome> outcomes;
      for (const dpb::BatchItem& it : items) {
        dpb::Outcome o = dpb::OUTCOME_CONTACT_MOMENT_PLACED;
        if (channel == dpb::CHANNEL_LETTER) {
          o = it.address().postcode().empty() || u(rng_) < 0.03 ? dpb::OUTCOME_LETTER_RETURNED_UNDELIVERABLE
                                                                : dpb::OUTCOME_LETTER_PRINTED;
        } else if (channel == dpb::CHANNEL_CALL) {
          const double x = u(rng_);
          o = it.phone().empty() || x < 0.15 ? dpb::OUTCOME_CALL_NOT_REACHED
              : x < 0.17                     ? dpb::OUTCOME_CALL_WRONG_NUMBER
                                             : dpb::OUTCOME_CALL_REACHED;
        }
        const std::string number = CustomerOf(it, channel);
        if (!number.empty()) (Delivered(o) ? delivered_ : undelivered_).insert(number);
        dpb::ItemOutcome& out = outcomes.emplace_back();
        out.set_position(it.position());
        out.set_outcome(o);
        out.mutable_outcome_time()->set_seconds(when);
        ++reported[o];
        ++run->outcomes[o];
      }
      for (size_t from = 0, part = 1; from < outcomes.size(); from += 10000, ++part) {
        dpb::ReportOutcomesRequest report;
        report.set_request_id(absl::StrCat(stamp_, "-outcomes-", Leaf(run->order), "-", Leaf(b.name()), "-", part));
        report.set_batch(b.name());
        for (size_t i = from; i < outcomes.size() && i < from + 10000; ++i) *report.add_outcomes() = outcomes[i];
        dpb::ReportOutcomesResponse stored;
        if (!Ok(executors_->ReportOutcomes(As(exec.caller).get(), report, &stored), "ReportOutcomes")) return false;
        if (!Expect(
                stored.stored() == report.outcomes_size(),
                absl::StrCat(b.name(), ": ", stored.stored(), " of ", report.outcomes_size(), " outcomes stored"))) {
          return false;
        }
      }
      run->items += static_cast<int64_t>(items.size());
    }
    std::vector<std::string> counts;
    for (const auto& [o, n] : reported)
      counts.push_back(absl::StrCat(Short(dpb::Outcome_Name(o), "OUTCOME_"), " ", Thousands(n)));
    std::printf("  %-30s pulled %d batch(es), %s items, acknowledged them; outcomes: %s\n", exec.caller.id.c_str(),
                static_cast<int>(open.size()), Thousands(pulled).c_str(), absl::StrJoin(counts, ", ").c_str());
  }
  for (const OrderRun& run : orders_) {
    if (!Expect(run.items == run.recipients,
                absl::StrCat("'", run.group, "': ", run.items, " items pulled of ", run.recipients, " recipients"))) {
      return false;
    }
  }
  const std::string& objector = customers_[*objector_].customer_number;
  std::printf("  customer %s, who objected in step 2: in no delivery\n", objector.c_str());
  return Expect(delivered_.count(objector) == 0 && undelivered_.count(objector) == 0,
                "the customer who objected was delivered to");
}

// ---------------------------------------------------------------------------------------------
// The customers respond: a new customer-contact extract, imported into analysis-svc.

bool FlowRun::CustomersRespond() {
  Step(9, "Klanten reageren: simulated customer contacts since this morning, imported as a new contact-report extract");
  const std::filesystem::path original = std::filesystem::path(import_dir_) / "contact_reports.csv";
  std::ifstream in(original, std::ios::binary);
  if (!Expect(static_cast<bool>(in), absl::StrCat("cannot read ", original.string()))) return false;
  std::stringstream all;
  all << in.rdbuf();
  std::string text = all.str();
  if (!text.empty() && text.back() != '\n') text.push_back('\n');

  // Contacts happen between the start of today (in both CAK's zone and UTC) and now.
  const absl::Time now = absl::Now();
  const absl::Time start = std::max(absl::FromCivil(today_, zone_),
                                    absl::FromCivil(absl::ToCivilDay(now, absl::UTCTimeZone()), absl::UTCTimeZone()));
  const int64_t span = std::max<int64_t>(1, absl::ToInt64Seconds(now - start) - 2);
  std::uniform_real_distribution<double> u(0, 1);
  std::uniform_int_distribution<int64_t> second(0, span - 1);
  std::map<std::string, int64_t> by_channel;
  int64_t delivered_count = 0;
  for (const Customer& c : customers_) {
    const bool delivered = delivered_.count(c.customer_number) > 0;
    delivered_count += delivered;
    if (u(rng_) >= (delivered ? 0.35 : 0.08)) continue;
    const double x = u(rng_);
    const char* channel = x < 0.55 ? "PHONE" : x < 0.85 ? "WEBSITE" : "EMAIL";
    const char* topic =
        delivered ? "reactie op brief of bericht over factuur eigen bijdrage" : "vraag over factuur eigen bijdrage";
    const absl::Time when = start + absl::Seconds(second(rng_));
    absl::StrAppend(&text, c.bsn, ",", channel, ",", topic, ",",
                    absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", when, absl::UTCTimeZone()), ",",
                    u(rng_) < 0.9 ? "true" : "false", "\n");
    ++responses_;
    delivered_responses_ += delivered;
    ++by_channel[channel];
  }
  contact_file_ = absl::StrCat("contact_reports-", stamp_, ".csv");
  const std::filesystem::path target = std::filesystem::path(import_dir_) / contact_file_;
  const std::filesystem::path tmp = std::filesystem::path(import_dir_) / (".tmp-" + contact_file_);
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << text;
    if (!Expect(static_cast<bool>(out), absl::StrCat("cannot write ", tmp.string()))) return false;
  }
  std::filesystem::rename(tmp, target);
  const int64_t others = static_cast<int64_t>(customers_.size()) - delivered_count;
  std::printf("  %s customers received the message; %s of them contacted CAK (%s)\n",
              Thousands(delivered_count).c_str(), Thousands(delivered_responses_).c_str(),
              Percent(delivered_count ? static_cast<double>(delivered_responses_) / delivered_count : 0).c_str());
  std::printf("  %s other customers (control groups, undelivered, everyone else): %s contacted CAK (%s)\n",
              Thousands(others).c_str(), Thousands(responses_ - delivered_responses_).c_str(),
              Percent(others ? static_cast<double>(responses_ - delivered_responses_) / others : 0).c_str());
  std::vector<std::string> mix;
  for (const auto& [ch, n] : by_channel) mix.push_back(absl::StrCat(ch, " ", Thousands(n)));
  std::printf("  %s new contact reports (%s) + the original extract -> %s\n", Thousands(responses_).c_str(),
              absl::StrJoin(mix, ", ").c_str(), target.string().c_str());

  apb::ImportFileRequest req;
  req.set_dataset(apb::DATASET_CONTACT_REPORTS);
  req.set_path(contact_file_);
  req.mutable_options()->set_source(contact_file_);
  req.mutable_options()->set_request_id(stamp_ + "-import-responses");
  apb::ImportReport report;
  if (!Ok(analysis_->ImportFile(As(admin_).get(), req, &report), "ImportFile (contact reports)")) return false;
  imported_["contact_reports (new)"] = report.rows_loaded();
  std::printf("  imported: %s rows read, %s loaded, %s rejected -> snapshot %lld\n",
              Thousands(report.rows_read()).c_str(), Thousands(report.rows_loaded()).c_str(),
              Thousands(report.rows_rejected()).c_str(), static_cast<long long>(report.snapshot_version()));
  return Expect(report.rows_rejected() == 0, "some simulated contact reports were rejected");
}

// ---------------------------------------------------------------------------------------------
// Step 9: response measurement, then the campaign completes and the reporter hears back.

void FlowRun::PrintResponseTable() const {
  std::printf("  %-28s %-15s %9s %9s %7s %8s %7s  %s\n", "group", "channel", "contacted", "responded", "rate",
              "control", "ctl", "difference in points (95% CI)");
  for (const auto& g : measurement_.groups()) {
    std::string diff = "-";
    if (g.has_difference()) {
      diff = absl::StrCat(Points(g.difference()), " (", Points(g.difference_ci_low()), " .. ",
                          Points(g.difference_ci_high()), ")");
    }
    std::printf("  %-28s %-15s %9s %9s %7s %8s %7s  %s\n", g.group().c_str(),
                Short(apb::ActionChannel_Name(g.channel()), "ACTION_CHANNEL_").c_str(),
                Thousands(g.contacted()).c_str(), Thousands(g.response().numerator()).c_str(),
                Percent(g.response().rate()).c_str(), Thousands(g.control_response().denominator()).c_str(),
                Percent(g.control_response().rate()).c_str(), diff.c_str());
  }
  std::printf("  %-28s %-15s %9s %9s %7s %8s %7s\n", "total", "",
              Thousands(measurement_.total_response().denominator()).c_str(),
              Thousands(measurement_.total_response().numerator()).c_str(),
              Percent(measurement_.total_response().rate()).c_str(),
              Thousands(measurement_.total_control_response().denominator()).c_str(),
              Percent(measurement_.total_control_response().rate()).c_str());
}

bool FlowRun::MeasureAndClose() {
  Step(10, "Stap 9 Responsmeting: the lists matched with the contact reports and the executors' outcomes");
  apb::MeasureResponseRequest req;
  req.set_campaign(campaign_.name());
  req.set_sample_size(10);
  req.set_sample_seed(seed_);
  for (const auto& g : campaign_.groups()) {
    if (!Contacted(g.action())) continue;
    auto* m = req.add_groups();
    m->set_group(g.group());
    m->set_recipient_list(g.recipient_list());
    m->set_control_list(g.control_list());
    m->set_channel(MeasuredChannel(g.action()));
    m->set_dispatch_order(g.dispatch_order());
    SetDay(today_, m->mutable_send_date());
  }
  if (!Ok(analysis_->MeasureResponse(As(analyst_).get(), req, &measurement_), "MeasureResponse")) return false;
  PrintResponseTable();
  for (const auto& g : measurement_.groups()) {
    std::vector<std::string> channels, outcomes;
    for (const auto& c : g.by_channel()) {
      if (c.responders() > 0) {
        channels.push_back(absl::StrCat(Short(apb::ContactChannel_Name(c.channel()), "CONTACT_CHANNEL_"), " ",
                                        Thousands(c.responders()), " (", Percent(c.rate()), ")"));
      }
    }
    for (const auto& o : g.outcomes()) outcomes.push_back(absl::StrCat(o.outcome(), " ", Thousands(o.count())));
    std::printf("  %s\n    by channel: %s\n    executor outcomes: %s; response when delivered %s of %s\n",
                g.group().c_str(), channels.empty() ? "-" : absl::StrJoin(channels, ", ").c_str(),
                outcomes.empty() ? "-" : absl::StrJoin(outcomes, ", ").c_str(),
                Percent(g.response_when_delivered().rate()).c_str(),
                Thousands(g.response_when_delivered().denominator()).c_str());
  }
  std::printf("  pseudonymised sample for a closer look: %d responders, %d non-responders (snapshot %lld, until %s)\n",
              measurement_.responders_size(), measurement_.non_responders_size(),
              static_cast<long long>(measurement_.snapshot_version()), Day(measurement_.end_date()).c_str());
  for (int i = 0; i < measurement_.responders_size() && i < 2; ++i) {
    const auto& m = measurement_.responders(i);
    std::printf("    %s  %-28s responded %s by %s, outcome %s\n", m.pseudonym().c_str(), m.group().c_str(),
                Day(m.first_response_date()).c_str(),
                Short(apb::ContactChannel_Name(m.first_response_channel()), "CONTACT_CHANNEL_").c_str(),
                m.outcome().c_str());
  }
  if (!Expect(measurement_.groups_size() == static_cast<int>(orders_.size()), "MeasureResponse left groups out")) {
    return false;
  }
  for (const auto& g : measurement_.groups()) {
    for (const OrderRun& run : orders_) {
      if (run.group == g.group() &&
          !Expect(g.contacted() == run.recipients,
                  absl::StrCat("'", g.group(), "': ", g.contacted(), " measured, ", run.recipients, " recipients"))) {
        return false;
      }
    }
  }

  // Every batch is acknowledged, so every order completes; then the campaign does.
  for (const OrderRun& run : orders_) {
    if (!PollUntil(absl::Seconds(30), absl::StrCat(run.order, " COMPLETED"), [&]() -> std::optional<bool> {
          dpb::GetDispatchOrderRequest get;
          get.set_name(run.order);
          dpb::DispatchOrder order;
          if (!Ok(dispatch_->GetDispatchOrder(As(designer_).get(), get, &order), "GetDispatchOrder")) return false;
          if (order.state() == dpb::ORDER_STATE_COMPLETED) return true;
          return std::nullopt;
        })) {
      return false;
    }
  }
  close_feedback_ = absl::StrCat(
      "Dank voor uw melding. De factuur eigen bijdrage Wlz van november was te hoog. Wij hebben ",
      Thousands(measurement_.total_response().denominator()),
      " klanten geïnformeerd per brief, telefoon of een notitie in hun dossier. Zij krijgen een nieuwe factuur.");
  cpb::CompleteCampaignRequest complete;
  complete.set_campaign(campaign_.name());
  complete.set_feedback(close_feedback_);
  if (!Ok(campaigns_->CompleteCampaign(As(designer_).get(), complete, &campaign_), "CompleteCampaign")) return false;
  std::printf("  %s: %s by %s\n", campaign_.name().c_str(),
              Short(cpb::CampaignState_Name(campaign_.state()), "CAMPAIGN_STATE_").c_str(), designer_.id.c_str());
  ipb::Signal closed;
  if (!PollUntil(absl::Seconds(30), "signal CLOSED", [&]() -> std::optional<bool> {
        ipb::GetSignalRequest get;
        get.set_name(signal_);
        if (!Ok(intake_->GetSignal(As(kcc_portal_).get(), get, &closed), "GetSignal")) return false;
        if (closed.state() == ipb::SIGNAL_STATE_CLOSED) return true;
        return std::nullopt;
      })) {
    return false;
  }
  std::printf("  the KCC portal sees %s: %s\n    feedback: \"%s\"\n", signal_.c_str(),
              Short(ipb::SignalState_Name(closed.state()), "SIGNAL_STATE_").c_str(), closed.feedback().c_str());
  return Expect(closed.feedback() == close_feedback_, "the closed signal does not carry the campaign's feedback");
}

void FlowRun::Summary() {
  std::printf("\n\033[1mSummary of %s\033[0m\n", stamp_.c_str());
  std::printf("  step 1   signals received        %d (%s, closed with feedback)\n", signals_, signal_.c_str());
  std::printf("  step 2   customers imported      %s; relations %s, mailings %s, contact reports %s\n",
              Thousands(imported_["customers"]).c_str(), Thousands(imported_["relations"]).c_str(),
              Thousands(imported_["mailings"]).c_str(), Thousands(imported_["contact_reports"]).c_str());
  std::printf("           affected                %s (sample of %d from %s, pseudonymised)\n",
              Thousands(affected_).c_str(), sample_members_, Thousands(sample_population_).c_str());
  std::printf("  step 3   declined                1 (%s, DUPLICATE, feedback to the reporter)\n", duplicate_.c_str());
  std::printf("  step 4   target groups           %d in %s (%s customers in none)\n", campaign_.groups_size(),
              target_group_set_.c_str(), Thousands(unassigned_).c_str());
  std::printf("  step 5-6 campaign                %s, %s\n", campaign_.name().c_str(),
              Short(cpb::CampaignState_Name(campaign_.state()), "CAMPAIGN_STATE_").c_str());
  std::printf("  %-28s %-15s %8s %10s %8s %8s %6s %9s\n", "  group", "action", "members", "recipients", "control",
              "batches", "files", "outcomes");
  int64_t batches = 0, files = 0, outcomes = 0;
  for (const auto& g : campaign_.groups()) {
    const OrderRun* run = nullptr;
    for (const OrderRun& r : orders_) {
      if (r.group == g.group()) run = &r;
    }
    int64_t reported = 0;
    if (run) {
      for (const auto& [o, n] : run->outcomes) reported += n;
      batches += static_cast<int64_t>(run->batches.size());
      files += run->files;
      outcomes += reported;
    }
    std::printf("    %-26s %-15s %8s %10s %8s %8s %6s %9s\n", g.group().c_str(),
                Short(cpb::Action_Name(g.action()), "ACTION_").c_str(), Thousands(g.member_count()).c_str(),
                run ? Thousands(run->recipients).c_str() : "-", run ? Thousands(run->control).c_str() : "-",
                run ? Thousands(static_cast<int64_t>(run->batches.size())).c_str() : "-",
                run ? Thousands(run->files).c_str() : "-", run ? Thousands(reported).c_str() : "-");
  }
  std::printf("  step 7   feasibility             %zu check(s), each confirmed by its executor\n", orders_.size());
  std::printf("  step 8   dispatch orders         %zu, %s batches, %s files, %s outcomes reported\n", orders_.size(),
              Thousands(batches).c_str(), Thousands(files).c_str(), Thousands(outcomes).c_str());
  std::printf("           delivery files          %s/<executor>/ (data file + manifest per batch)\n",
              delivery_dir_.c_str());
  std::printf("  step 9   customer responses      %s new contact reports in %s/%s\n", Thousands(responses_).c_str(),
              import_dir_.c_str(), contact_file_.c_str());
  PrintResponseTable();
}

bool FlowRun::ProcessingLogSummary() {
  namespace plog = cak::voorlichting::processinglog::v1;
  const std::vector<std::pair<std::string, std::string>> services = {{"intake-svc", "intake-address"},
                                                                     {"analysis-svc", "analysis-address"},
                                                                     {"dispatch-svc", "dispatch-address"},
                                                                     {"campaign-svc", "campaign-address"}};
  std::vector<plog::ProcessingLogEntry> all;
  std::map<std::string, std::vector<std::string>> ids;  // service -> trace + span (hex) of its entries
  for (const auto& [service, flag] : services) {
    plog::ListProcessingLogEntriesRequest req;
    req.set_trace_id(action_.TraceIdHex());
    std::vector<plog::ProcessingLogEntry> entries;
    if (!Ok(ListProcessingLog(client_, privacy_officer_,
                              grpc::CreateChannel(args_.Get(flag), grpc::InsecureChannelCredentials()), req, &entries),
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
  for (const auto& [service, flag] : services) {
    std::printf("  %-13s %s entries in this trace\n", service.c_str(),
                Thousands(static_cast<int64_t>(ids[service].size())).c_str());
  }
  if (!args_.Has("logbook-dir")) return true;

  // The logbook: every entry of the action, from every service, once.
  const std::string dir = args_.Get("logbook-dir");
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

bool FlowRun::ObjectBeforeFreeze() {
  // An affected customer outside the group handled by hand: one the action would contact.
  for (size_t i = 0; i < customers_.size() && !objector_; ++i) {
    if (customers_[i].affected && !customers_[i].payment_plan) objector_ = i;
  }
  if (!Expect(objector_.has_value(), "the extract has no affected customer to object")) return false;
  std::printf(
      "  customer %s objects to being selected (AVG art. 21); the privacy officer records it "
      "(voorlichting-cli subject-object):\n",
      customers_[*objector_].customer_number.c_str());
  std::fflush(stdout);
  privacy::RecordObjectionRequest req;
  req.set_bsn(customers_[*objector_].bsn);
  req.set_kind(privacy::OBJECTION_KIND_OBJECTION);
  req.set_scope(privacy::OBJECTION_SCOPE_ALL_SELECTION);
  req.set_reason(absl::StrCat("Brief van de klant, kenmerk BZ-", stamp_));
  const int rc = SendObjection(client_, privacy_officer_,
                               {args_.Get("analysis-address"), args_.Get("dispatch-address"),
                                args_.Get("intake-address"), args_.Get("campaign-address")},
                               req, /*lift=*/false, "    ");
  return Expect(rc == 0, "recording the objection failed");
}

bool FlowRun::SubjectAccessSummary() {
  if (!args_.Has("report-dir") || customers_.empty()) return true;
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
  const int rc = WriteSubjectAccessReport(client_, privacy_officer_, *bsn,
                                          {args_.Get("intake-address"), args_.Get("analysis-address"),
                                           args_.Get("campaign-address"), args_.Get("dispatch-address")},
                                          args_.Get("report-dir"), "  ");
  return Expect(rc == 0, "the access request failed");
}

int FlowRun::Run() {
  const bool ok = Setup() && SignalArrives() && Assess() && DeclineDuplicate() && DefineGroups() &&
                  MessagesAndActions() && Feasibility() && ReviewAndRelease() &&
                  (stopped_ || (Deliver() && CustomersRespond() && MeasureAndClose()));
  if (!ok) {
    std::fflush(stdout);
    std::fprintf(stderr, "\nflow failed: %s\n", error_.c_str());
    if (!campaign_.name().empty())
      std::fprintf(stderr, "(campaign %s: voorlichting-cli campaign-get)\n", campaign_.name().c_str());
    return 1;
  }
  // One machine-readable line for scripts and the end-to-end test.
  const auto result = [&](const char* stage) {
    std::printf("\nflow-result: stage=%s campaign=%s signal=%s trace=%s\n", stage, campaign_.name().c_str(),
                signal_.c_str(), action_.TraceIdHex().c_str());
  };
  if (stopped_) {
    result(until_.c_str());
    return 0;
  }
  Summary();
  if (!ProcessingLogSummary() || !SubjectAccessSummary()) {
    std::fflush(stdout);
    std::fprintf(stderr, "\nflow failed: %s\n", error_.c_str());
    return 1;
  }
  result("completed");
  if (!missing_number_.empty()) {
    std::fflush(stdout);
    std::fprintf(stderr,
                 "\nflow failed: %lld letter(s) and %lld call script(s) came out without the customer number "
                 "their text asks for ({klantnummer}); campaign-svc accepted and previewed it\n",
                 static_cast<long long>(missing_number_[dpb::CHANNEL_LETTER]),
                 static_cast<long long>(missing_number_[dpb::CHANNEL_CALL]));
    return 1;
  }
  return 0;
}

}  // namespace

int Flow(const Client& client, const Args& args) {
  FlowRun run(client, args);
  return run.Run();
}

}  // namespace cak::cli
