// voorlichting-cli `flow`: the frame around the steps of processing record M7624 (see
// flow_run.h). Setup reads the options and the customer extract the flow plays the customers
// from; Run calls the steps in the record's order and turns the outcome into the exit code and
// the machine-readable result line; Summary prints the counts of every step. Also the waiting
// for asynchronous work (PollUntil), the campaign read-back and the helpers several steps share.
#include "cli/flow/flow_run.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "cli/output.h"

namespace cak::cli::flow {

namespace {

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

}  // namespace

std::string CountList(const google::protobuf::RepeatedPtrField<apb::Count>& counts) {
  std::vector<std::string> parts;
  for (const auto& c : counts) parts.push_back(absl::StrCat(c.key(), " ", Thousands(c.count())));
  return parts.empty() ? "-" : absl::StrJoin(parts, ", ");
}

bool Contacted(cpb::Action a) {
  return a == cpb::ACTION_LETTER || a == cpb::ACTION_CALL || a == cpb::ACTION_CONTACT_MOMENT;
}

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

bool FlowRun::Setup() {
  // (The command line checked the options: addresses and directories given, numbers in range.)
  intake_address_ = client_.options().intake_address;
  import_dir_ = options_.import_dir;
  delivery_dir_ = options_.delivery_dir;
  control_share_ = options_.control_share;
  seed_ = options_.seed;
  rng_.seed(seed_);
  if (!absl::LoadTimeZone(options_.time_zone, &zone_)) zone_ = absl::LocalTimeZone();
  today_ = absl::ToCivilDay(absl::Now(), zone_);
  stamp_ = options_.run_id.empty() ? absl::StrCat("flow-", absl::ToUnixMicros(absl::Now())) : options_.run_id;
  until_ = options_.until;
  action_ = client_.trace() ? *client_.trace() : common::TraceContext::NewRoot();

  grpc::ChannelArguments channel_args;
  channel_args.SetMaxReceiveMessageSize(64 << 20);
  auto channel = [&](const std::string& address) { return client_.ChannelTo(address, channel_args); };
  intake_ = ipb::IntakeService::NewStub(channel(intake_address_));
  analysis_ = apb::AnalysisService::NewStub(channel(options_.services.analysis));
  auto dispatch_channel = channel(options_.services.dispatch);
  dispatch_ = dpb::DispatchService::NewStub(dispatch_channel);
  executors_ = dpb::ExecutorService::NewStub(dispatch_channel);
  campaigns_ = cpb::CampaignService::NewStub(channel(options_.services.campaign));

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

}  // namespace cak::cli::flow
