// voorlichting-cli `flow`, steps 1 to 3 of processing record M7624 (see flow_run.h): the KCC
// portal reports the wrong invoice run and the analyst starts the assessment (step 1); the source
// extract is imported, a customer's objection is recorded before anything is selected, and the
// impact analysis and a pseudonymised sample are made (step 2); a second report of the same event
// is declined with feedback to its reporter (step 3).
#include <cstdio>
#include <tuple>

#include "cli/flow/flow_run.h"
#include "cli/output.h"
#include "cli/subject_command.h"

namespace cak::cli::flow {

namespace privacy = cak::voorlichting::privacy::v1;

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
// Step 2, before anything is selected: a customer objects and the privacy officer records it.

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
  const int rc = SendObjection(
      client_, privacy_officer_,
      {options_.services.analysis, options_.services.dispatch, intake_address_, options_.services.campaign}, req,
      /*lift=*/false, "    ");
  return Expect(rc == 0, "recording the objection failed");
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

}  // namespace cak::cli::flow
