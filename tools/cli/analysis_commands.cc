// analysis-svc commands and the analysis demo (see analysis_commands.h).
#include "cli/analysis_commands.h"

#include <algorithm>
#include <cstdio>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "cak/voorlichting/analysis/v1/analysis_service.grpc.pb.h"
#include "cak/voorlichting/intake/v1/intake_service.grpc.pb.h"
#include "cak/voorlichting/processinglog/v1/processing_log_service.grpc.pb.h"
#include "cli/output.h"

namespace cak::cli {

namespace pb = cak::voorlichting::analysis::v1;
namespace ipb = cak::voorlichting::intake::v1;
namespace plog = cak::voorlichting::processinglog::v1;

namespace {

bool ParseDay(absl::string_view text, cak::voorlichting::type::v1::Date* out) {
  std::vector<std::string> parts = absl::StrSplit(text, '-');
  int y, m, d;
  if (parts.size() != 3 || !absl::SimpleAtoi(parts[0], &y) || !absl::SimpleAtoi(parts[1], &m) ||
      !absl::SimpleAtoi(parts[2], &d)) {
    return false;
  }
  out->set_year(y);
  out->set_month(m);
  out->set_day(d);
  return true;
}

void PrintCounts(const char* title, const google::protobuf::RepeatedPtrField<pb::Count>& counts, int limit = 100) {
  std::printf("  %-14s", title);
  int shown = 0;
  for (const auto& c : counts) {
    if (shown++ == limit) {
      std::printf(" ...");
      break;
    }
    std::printf(" %s %s", c.key().c_str(), Thousands(c.count()).c_str());
    if (shown < counts.size() && shown < limit) std::printf(",");
  }
  std::printf("\n");
}

void PrintImpact(const pb::ImpactAnalysis& a) {
  std::printf("  selected       %s customers (snapshot %lld, reference date %04d-%02d-%02d)\n",
              Thousands(a.total()).c_str(), static_cast<long long>(a.snapshot_version()), a.reference_date().year(),
              a.reference_date().month(), a.reference_date().day());
  PrintCounts("regulation", a.by_regulation());
  PrintCounts("municipality", a.by_municipality(), 6);
  PrintCounts("routing", a.by_routing());
  PrintCounts("reachable", a.by_reachability());
  std::printf("  mailing plan   %s with a planned mailing %04d-%02d-%02d..%04d-%02d-%02d:",
              Thousands(a.mailing_overlap_total()).c_str(), a.mailing_from_date().year(), a.mailing_from_date().month(),
              a.mailing_from_date().day(), a.mailing_to_date().year(), a.mailing_to_date().month(),
              a.mailing_to_date().day());
  for (const auto& c : a.mailing_overlap_by_type())
    std::printf(" %s %s", c.key().c_str(), Thousands(c.count()).c_str());
  std::printf("\n  contact        %s had %d or more contacts in the last %d days\n",
              Thousands(a.contact_pressure()).c_str(), a.pressure_min_contacts(), a.pressure_days());
}

void PrintReport(const pb::ImportReport& r) {
  // ", 3 skipped (1 ERASED, 2 PAST_RETENTION)"
  std::string skipped;
  for (const auto& s : r.skipped()) {
    absl::StrAppend(&skipped, skipped.empty() ? "" : ", ", Thousands(s.rows()), " ", s.reason());
  }
  if (r.rows_skipped() > 0) skipped = absl::StrCat(", ", Thousands(r.rows_skipped()), " skipped (", skipped, ")");
  std::printf("  %s: %s rows read, %s loaded, %s rejected%s -> snapshot %lld%s\n",
              Short(pb::Dataset_Name(r.dataset()), "DATASET_").c_str(), Thousands(r.rows_read()).c_str(),
              Thousands(r.rows_loaded()).c_str(), Thousands(r.rows_rejected()).c_str(), skipped.c_str(),
              static_cast<long long>(r.snapshot_version()), r.replayed() ? " (repeat: nothing new loaded)" : "");
  for (int i = 0; i < r.errors_size() && i < 5; ++i) {
    const auto& e = r.errors(i);
    std::printf("    row %lld %s: %s (%s)\n", static_cast<long long>(e.row()), e.field().c_str(), e.reason().c_str(),
                e.message().c_str());
  }
}

void PrintList(const pb::RecipientList& l) {
  std::printf("  %s: group '%s' of %s, %s members, snapshot %lld, frozen by %s\n  checksum %s\n", l.name().c_str(),
              l.group().c_str(), l.target_group_set().c_str(), Thousands(l.member_count()).c_str(),
              static_cast<long long>(l.snapshot_version()), l.frozen_by().c_str(), l.checksum().c_str());
}

void PrintRecipient(const pb::Recipient& r) {
  std::string line = absl::StrCat("  #", r.position(), " ", Short(pb::Routing_Name(r.routing()), "ROUTING_"), " klant ",
                                  r.customer_number());
  if (!r.addressee_name().empty()) absl::StrAppend(&line, " -> ", r.addressee_name());
  if (r.has_address()) {
    absl::StrAppend(&line, ", ", r.address().street(), " ", r.address().house_number(),
                    r.address().house_number_suffix(), ", ", r.address().postcode(), " ", r.address().city());
  }
  if (!r.phone().empty()) absl::StrAppend(&line, ", tel. ", r.phone());
  std::printf("%s\n", line.c_str());
}

std::unique_ptr<pb::AnalysisService::Stub> Stub(const Client& client) {
  return pb::AnalysisService::NewStub(client.channel());
}

bool CriteriaFrom(const Args& args, pb::Criteria* out) {
  std::string error;
  if (!ParseWhere(args.Get("where", "all"), out, &error)) {
    std::fprintf(stderr, "--where: %s\n", error.c_str());
    return false;
  }
  return true;
}

}  // namespace

bool ParseWhere(const std::string& spec, pb::Criteria* out, std::string* error) {
  out->Clear();
  auto* all = out->mutable_all();
  for (absl::string_view raw : absl::StrSplit(spec, ';', absl::SkipWhitespace())) {
    const std::string term(absl::StripAsciiWhitespace(raw));
    std::vector<std::string> parts = absl::StrSplit(term, ':');
    const std::string& key = parts[0];
    auto* p = all->add_items()->mutable_predicate();
    int64_t n = 0;
    auto number = [&](size_t i) { return parts.size() > i && absl::SimpleAtoi(parts[i], &n); };
    if (key == "all") {
      all->mutable_items()->RemoveLast();
    } else if (key == "regulation" && parts.size() == 2) {
      for (absl::string_view r : absl::StrSplit(parts[1], ',')) {
        pb::Regulation v;
        if (!pb::Regulation_Parse("REGULATION_" + absl::AsciiStrToUpper(r), &v))
          return *error = "regulation " + std::string(r), false;
        p->mutable_regulation_in()->add_regulations(v);
      }
    } else if (key == "municipality" && parts.size() == 2) {
      for (absl::string_view m : absl::StrSplit(parts[1], ','))
        p->mutable_municipality_in()->add_municipality_codes(std::string(m));
    } else if ((key == "min-age" || key == "max-age") && number(1)) {
      key == "min-age" ? p->mutable_age_between()->set_min_years(static_cast<int32_t>(n))
                       : p->mutable_age_between()->set_max_years(static_cast<int32_t>(n));
    } else if ((key == "min-debt" || key == "max-debt") && number(1)) {
      key == "min-debt" ? p->mutable_debt_between()->set_min_cents(n) : p->mutable_debt_between()->set_max_cents(n);
    } else if (key == "representative" || key == "no-representative") {
      p->set_has_representative(key == "representative");
    } else if (key == "contact-person") {
      p->set_has_contact_person(true);
    } else if (key == "payment-plan" || key == "no-payment-plan") {
      p->set_payment_plan(key == "payment-plan");
    } else if (key == "active" || key == "inactive") {
      p->set_active(key == "active");
    } else if ((key == "contacted" || key == "not-contacted") && number(1)) {
      pb::Predicate c;
      c.mutable_contacted_within()->set_days(static_cast<int32_t>(n));
      if (number(2)) c.mutable_contacted_within()->set_min_contacts(static_cast<int32_t>(n));
      if (key == "contacted") {
        *p = c;
      } else {
        all->mutable_items()->RemoveLast();
        *all->add_items()->mutable_not_()->mutable_predicate() = c;
      }
    } else if (key == "mailing" && parts.size() == 4) {
      auto* m = p->mutable_planned_mailing();
      for (absl::string_view t : absl::StrSplit(parts[1], ',', absl::SkipEmpty())) {
        pb::MailingType v;
        if (!pb::MailingType_Parse("MAILING_TYPE_" + absl::AsciiStrToUpper(t), &v))
          return *error = "mailing type " + std::string(t), false;
        m->add_mailing_types(v);
      }
      if (!ParseDay(parts[2], m->mutable_from_date()) || !ParseDay(parts[3], m->mutable_to_date())) {
        return *error = "mailing dates must be YYYY-MM-DD", false;
      }
    } else {
      *error = "unknown term '" + term + "'";
      return false;
    }
  }
  return true;
}

int Import(const Client& client, const Args& args) {
  pb::ImportFileRequest req;
  pb::Dataset dataset;
  if (!pb::Dataset_Parse("DATASET_" + absl::AsciiStrToUpper(args.Get("dataset")), &dataset) || !args.Has("file")) {
    return Usage(
        "import --dataset=customers|relations|mailings|contact_reports --file=NAME.csv [--request-id=ID] "
        "[--max-rejected-share=0.01]");
  }
  req.set_dataset(dataset);
  req.set_path(args.Get("file"));
  req.mutable_options()->set_request_id(args.Get("request-id"));
  req.mutable_options()->set_source(args.Get("file"));
  double share;
  if (args.Has("max-rejected-share") && absl::SimpleAtod(args.Get("max-rejected-share"), &share)) {
    req.mutable_options()->set_max_rejected_share(share);
  }
  pb::ImportReport report;
  grpc::Status st = Stub(client)->ImportFile(client.Context(client.DefaultCaller()).get(), req, &report);
  if (!st.ok()) return Fail(st);
  PrintReport(report);
  return 0;
}

int Snapshot(const Client& client, const Args&) {
  pb::Snapshot s;
  grpc::Status st =
      Stub(client)->GetSnapshot(client.Context(client.DefaultCaller()).get(), pb::GetSnapshotRequest(), &s);
  if (!st.ok()) return Fail(st);
  std::printf("snapshot %lld\n", static_cast<long long>(s.version()));
  for (const auto& d : s.datasets()) {
    std::printf("  %-16s version %-4lld %12s rows  %s\n", Short(pb::Dataset_Name(d.dataset()), "DATASET_").c_str(),
                static_cast<long long>(d.version()), Thousands(d.row_count()).c_str(), d.source().c_str());
  }
  return 0;
}

int Impact(const Client& client, const Args& args) {
  pb::AnalyzeImpactRequest req;
  if (!CriteriaFrom(args, req.mutable_criteria())) return 2;
  if (args.Has("reference-date") && !ParseDay(args.Get("reference-date"), req.mutable_reference_date())) {
    return Usage("impact [--where=SPEC] [--reference-date=YYYY-MM-DD]");
  }
  pb::ImpactAnalysis a;
  grpc::Status st = Stub(client)->AnalyzeImpact(client.Context(client.DefaultCaller()).get(), req, &a);
  if (!st.ok()) return Fail(st);
  PrintImpact(a);
  return 0;
}

int Sample(const Client& client, const Args& args) {
  pb::CreateSampleRequest req;
  if (!CriteriaFrom(args, req.mutable_criteria())) return 2;
  int size = 10;
  uint64_t seed = 1;
  (void)absl::SimpleAtoi(args.Get("size", "10"), &size);
  (void)absl::SimpleAtoi(args.Get("seed", "1"), &seed);
  req.set_size(size);
  req.set_seed(seed);
  if (args.Has("stratify")) {
    pb::Stratification s;
    if (!pb::Stratification_Parse("STRATIFICATION_" + absl::AsciiStrToUpper(args.Get("stratify")), &s)) {
      return Usage("sample --stratify=regulation|municipality|routing");
    }
    req.set_stratification(s);
  }
  if (args.Has("full")) req.set_view(pb::SAMPLE_VIEW_FULL);
  req.set_purpose(args.Get("purpose"));
  pb::Sample sample;
  grpc::Status st = Stub(client)->CreateSample(client.Context(client.DefaultCaller()).get(), req, &sample);
  if (!st.ok()) return Fail(st);
  std::printf("%s: %d of %s (seed %llu)\n", sample.name().c_str(), sample.members_size(),
              Thousands(sample.population()).c_str(), static_cast<unsigned long long>(sample.seed()));
  for (const auto& m : sample.members()) {
    std::printf("  %s  %-22s %-13s %s age %d %s%s\n", m.pseudonym().c_str(), m.masked_name().c_str(),
                Short(pb::Regulation_Name(m.regulation()), "REGULATION_").c_str(), m.municipality_code().c_str(),
                m.age_years(), Short(pb::Routing_Name(m.routing()), "ROUTING_").c_str(),
                m.bsn().empty() ? "" : absl::StrCat("  BSN ", m.bsn(), " ", m.full_name()).c_str());
  }
  return 0;
}

int DefineGroups(const Client& client, const Args& args) {
  pb::DefineTargetGroupsRequest req;
  req.set_signal(args.Get("signal"));
  req.set_request_id(args.Get("request-id"));
  for (const std::string& g : args.GetAll("group")) {
    const size_t eq = g.find('=');
    if (eq == std::string::npos) return Usage("define-groups --signal=signals/<id> --group=NAME=SPEC ...");
    auto* group = req.add_groups();
    group->set_name(g.substr(0, eq));
    std::string error;
    if (!ParseWhere(g.substr(eq + 1), group->mutable_criteria(), &error)) {
      std::fprintf(stderr, "--group %s: %s\n", group->name().c_str(), error.c_str());
      return 2;
    }
  }
  pb::TargetGroupSet set;
  grpc::Status st = Stub(client)->DefineTargetGroups(client.Context(client.DefaultCaller()).get(), req, &set);
  if (!st.ok()) return Fail(st);
  std::printf("%s for %s (snapshot %lld, defined by %s)\n", set.name().c_str(), set.signal().c_str(),
              static_cast<long long>(set.snapshot_version()), set.defined_by().c_str());
  for (const auto& g : set.groups()) {
    std::printf(" group '%s'\n", g.name().c_str());
    PrintImpact(g.impact());
  }
  std::printf(" in no group: %s\n", Thousands(set.unassigned_count()).c_str());
  return 0;
}

int Freeze(const Client& client, const Args& args) {
  if (args.positional.empty() || !args.Has("group")) return Usage("freeze targetGroupSets/<id> --group=NAME");
  pb::FreezeRecipientListRequest req;
  req.set_target_group_set(args.positional[0]);
  req.set_group(args.Get("group"));
  req.set_request_id(args.Get("request-id"));
  pb::RecipientList list;
  grpc::Status st = Stub(client)->FreezeRecipientList(client.Context(client.DefaultCaller()).get(), req, &list);
  if (!st.ok()) return Fail(st);
  PrintList(list);
  return 0;
}

int Recipients(const Client& client, const Args& args) {
  pb::FieldSet fields;
  std::string f = absl::AsciiStrToUpper(args.Get("fields", "postal"));
  std::replace(f.begin(), f.end(), '-', '_');
  if (args.positional.empty() || !pb::FieldSet_Parse("FIELD_SET_" + f, &fields)) {
    return Usage("recipients recipientLists/<id> --fields=postal|phone|contact-moment [--limit=N]");
  }
  int limit = 20;
  (void)absl::SimpleAtoi(args.Get("limit", "20"), &limit);
  pb::StreamRecipientsRequest req;
  req.set_name(args.positional[0]);
  req.set_field_set(fields);
  auto ctx = client.Context(client.DefaultCaller());
  auto reader = Stub(client)->StreamRecipients(ctx.get(), req);
  pb::StreamRecipientsResponse r;
  int shown = 0;
  int64_t total = 0;
  while (reader->Read(&r)) {
    for (const auto& rec : r.recipients()) {
      if (shown++ < limit) PrintRecipient(rec);
    }
    total += r.recipients_size();
    if (shown >= limit) ctx->TryCancel();
  }
  grpc::Status st = reader->Finish();
  if (!st.ok() && st.error_code() != grpc::StatusCode::CANCELLED) return Fail(st);
  std::printf("(%lld received)\n", static_cast<long long>(total));
  return 0;
}

int PurgeCustomers(const Client& client, const Args& args) {
  pb::PurgeInactiveCustomersRequest req;
  req.set_dry_run(args.Has("dry-run"));
  pb::PurgeInactiveCustomersResponse resp;
  grpc::Status st = Stub(client)->PurgeInactiveCustomers(client.Context(client.DefaultCaller()).get(), req, &resp);
  if (!st.ok()) return Fail(st);
  std::printf(
      "%s customers inactive since before %04d-%02d-%02d%s: %s customers, %s relations, %s sample and %s list "
      "memberships\n",
      resp.dry_run() ? "would remove" : "removed", resp.cutoff_date().year(), resp.cutoff_date().month(),
      resp.cutoff_date().day(), resp.dry_run() ? " (dry run)" : "", Thousands(resp.customers()).c_str(),
      Thousands(resp.relations()).c_str(), Thousands(resp.sample_members()).c_str(),
      Thousands(resp.list_members()).c_str());
  return 0;
}

// ---------------------------------------------------------------------------------------------
// The analysis demo: steps 2 and 4 on the generated `small` population.

namespace {}  // namespace

int AnalysisDemo(const Client& client, const Args& args) {
  const Caller admin{"", "emp-4004", {"administrator"}, false};
  const Caller analyst{"", "emp-2002", {"analyst"}, false};
  const Caller designer{"", "emp-5005", {"campaign_designer"}, false};
  const Caller dispatch{"", "dispatch-svc", {"dispatch_service"}, true};
  const Caller kcc{"", "kcc-portal", {"reporting_application"}, true};
  const Caller privacy{"", "emp-3003", {"privacy_officer"}, false};
  const Caller analysis_svc{"", "analysis-svc", {"analysis_service"}, true};
  auto stub = Stub(client);
  auto check = [](const grpc::Status& st, const std::string& what) {
    if (!st.ok()) std::printf("  %s -> %s\n", what.c_str(), DescribeError(st).c_str());
    return st.ok();
  };

  Step(1, "Load the source-system extract (generated, `small`): four CSV files through ImportFile (COPY)");
  const char* files[][2] = {{"customers", "customers.csv"},
                            {"relations", "relations.csv"},
                            {"mailings", "mailings.csv"},
                            {"contact_reports", "contact_reports.csv"}};
  const std::string stamp = absl::StrCat(absl::ToUnixSeconds(absl::Now()));
  for (const auto& [dataset, file] : files) {
    pb::ImportFileRequest req;
    pb::Dataset d;
    pb::Dataset_Parse("DATASET_" + absl::AsciiStrToUpper(dataset), &d);
    req.set_dataset(d);
    req.set_path(file);
    req.mutable_options()->set_source(file);
    req.mutable_options()->set_request_id(absl::StrCat("demo-", stamp, "-", dataset));
    pb::ImportReport report;
    if (!check(stub->ImportFile(client.Context(admin).get(), req, &report), "import")) return 1;
    PrintReport(report);
  }

  Step(2, "A bad extract is refused as a whole and the snapshot stays as it was");
  {
    pb::ImportFileRequest req;
    req.set_dataset(pb::DATASET_CUSTOMERS);
    req.set_path("../etc/passwd");
    pb::ImportReport report;
    check(stub->ImportFile(client.Context(admin).get(), req, &report), "import ../etc/passwd");
    req.set_path("mailings.csv");
    check(stub->ImportFile(client.Context(admin).get(), req, &report), "import mailings.csv as customers");
  }

  std::string signal = args.Get("signal");
  if (args.Has("intake-address")) {
    Step(3, "Beoordelen gebeurtenis: a signal arrives in intake-svc and analysis starts its assessment");
    auto intake = ipb::IntakeService::NewStub(
        grpc::CreateChannel(args.Get("intake-address"), grpc::InsecureChannelCredentials()));
    ipb::SubmitSignalRequest submit;
    auto* s = submit.mutable_signal();
    s->set_source_channel(ipb::SOURCE_CHANNEL_KCC);
    s->set_category(ipb::SIGNAL_CATEGORY_CONFUSING_LETTER);
    s->set_regulation(ipb::REGULATION_WLZ);
    s->set_description("Vertegenwoordigers van Wlz-klanten begrijpen de nieuwe jaaropgave niet.");
    ipb::SubmitSignalResponse submitted;
    if (!check(intake->SubmitSignal(client.Context(kcc).get(), submit, &submitted), "submit")) return 1;
    signal = submitted.signal().name();
    ipb::StartSignalAssessmentRequest start;
    start.set_name(signal);
    ipb::Signal assessed;
    if (!check(intake->StartSignalAssessment(client.Context(analysis_svc).get(), start, &assessed), "assess")) return 1;
    std::printf("  %s is %s\n", signal.c_str(),
                Short(ipb::SignalState_Name(assessed.state()), "SIGNAL_STATE_").c_str());
  }
  if (signal.empty()) signal = "signals/00000000-0000-4000-8000-000000007624";

  Step(4, "Impact analysis: WLZ customers of 65 and older with a representative, and the mailing plan");
  pb::AnalyzeImpactRequest impact;
  std::string error;
  ParseWhere("regulation:WLZ;min-age:65;representative", impact.mutable_criteria(), &error);
  pb::ImpactAnalysis a;
  if (!check(stub->AnalyzeImpact(client.Context(analyst).get(), impact, &a), "impact")) return 1;
  PrintImpact(a);

  Step(5, "Bad criteria get a precise answer (an unknown municipality code format)");
  ParseWhere("regulation:WLZ;municipality:0363", impact.mutable_criteria(), &error);
  check(stub->AnalyzeImpact(client.Context(analyst).get(), impact, &a), "impact");

  Step(6, "A stratified sample, pseudonymised: the same seed gives the same customers");
  pb::CreateSampleRequest sample_req;
  ParseWhere("regulation:WLZ;min-age:65;representative", sample_req.mutable_criteria(), &error);
  sample_req.set_size(5);
  sample_req.set_seed(7624);
  sample_req.set_stratification(pb::STRATIFICATION_ROUTING);
  pb::Sample sample;
  if (!check(stub->CreateSample(client.Context(designer).get(), sample_req, &sample), "sample")) return 1;
  for (const auto& m : sample.members()) {
    std::printf("  %s  %-24s age %d, %s, %s\n", m.pseudonym().c_str(), m.masked_name().c_str(), m.age_years(),
                m.municipality_code().c_str(), Short(pb::Routing_Name(m.routing()), "ROUTING_").c_str());
  }
  sample_req.set_view(pb::SAMPLE_VIEW_FULL);
  check(stub->CreateSample(client.Context(designer).get(), sample_req, &sample), "the FULL view as campaign designer");
  sample_req.set_purpose("Dossiercontrole bij het signaal over de jaaropgave");
  if (!check(stub->CreateSample(client.Context(analyst).get(), sample_req, &sample), "full view")) return 1;
  std::printf(
      "  the analyst, with a purpose, sees the details (each one logged): first member %s is %s, BSN %s***** "
      "(synthetic; masked here too)\n",
      sample.members(0).pseudonym().c_str(), sample.members(0).full_name().c_str(),
      sample.members(0).bsn().substr(0, 4).c_str());
  const std::string logged_bsn = sample.members(0).bsn();

  Step(7, "Inhoudelijk afstemmen: target groups in priority order (disjoint) with their statistics");
  pb::DefineTargetGroupsRequest define;
  define.set_signal(signal);
  define.set_request_id(absl::StrCat("demo-", stamp, "-groups"));
  auto add = [&](const std::string& name, const std::string& spec) {
    auto* g = define.add_groups();
    g->set_name(name);
    ParseWhere(spec, g->mutable_criteria(), &error);
  };
  add("Wlz met vertegenwoordiger", "regulation:WLZ;representative");
  add("Wlz 80+", "regulation:WLZ;min-age:80");
  add("Overig Wlz", "regulation:WLZ");
  pb::TargetGroupSet set;
  if (!check(stub->DefineTargetGroups(client.Context(analyst).get(), define, &set), "define")) return 1;
  for (const auto& g : set.groups()) {
    std::printf("  %-26s %7s customers; routing", g.name().c_str(), Thousands(g.impact().total()).c_str());
    for (const auto& c : g.impact().by_routing()) std::printf(" %s %s", c.key().c_str(), Thousands(c.count()).c_str());
    std::printf("\n");
  }
  std::printf("  %s (defined by %s, snapshot %lld)\n", set.name().c_str(), set.defined_by().c_str(),
              static_cast<long long>(set.snapshot_version()));

  Step(8, "Freeze the first group into an immutable recipient list");
  pb::FreezeRecipientListRequest freeze;
  freeze.set_target_group_set(set.name());
  freeze.set_group("Wlz met vertegenwoordiger");
  freeze.set_request_id(absl::StrCat("demo-", stamp, "-freeze"));
  pb::RecipientList list;
  if (!check(stub->FreezeRecipientList(client.Context(designer).get(), freeze, &list), "freeze")) return 1;
  PrintList(list);

  Step(9, "dispatch-svc reads it: letters go to the representative, with only the postal fields");
  for (pb::FieldSet fields : {pb::FIELD_SET_POSTAL, pb::FIELD_SET_CONTACT_MOMENT}) {
    pb::StreamRecipientsRequest req;
    req.set_name(list.name());
    req.set_field_set(fields);
    auto ctx = client.Context(dispatch);
    auto reader = stub->StreamRecipients(ctx.get(), req);
    pb::StreamRecipientsResponse r;
    int64_t n = 0;
    while (reader->Read(&r)) {
      for (const auto& rec : r.recipients()) {
        if (n++ < 2) PrintRecipient(rec);
      }
    }
    if (!check(reader->Finish(), "stream")) return 1;
    std::printf("  %s: %s recipients streamed\n", Short(pb::FieldSet_Name(fields), "FIELD_SET_").c_str(),
                Thousands(n).c_str());
  }
  {
    pb::StreamRecipientsRequest req;
    req.set_name(list.name());
    req.set_field_set(pb::FIELD_SET_POSTAL);
    auto ctx = client.Context(analyst);
    auto reader = stub->StreamRecipients(ctx.get(), req);
    pb::StreamRecipientsResponse r;
    while (reader->Read(&r)) {
    }
    check(reader->Finish(), "the same list as an analyst");
  }

  Step(10, "The privacy officer looks up one customer in analysis-svc's processing log");
  plog::ListProcessingLogEntriesRequest log_req;
  log_req.set_data_subject_bsn(logged_bsn);
  plog::ListProcessingLogEntriesResponse log_resp;
  auto log_stub = plog::ProcessingLogService::NewStub(client.channel());
  if (check(log_stub->ListProcessingLogEntries(client.Context(privacy).get(), log_req, &log_resp), "log")) {
    for (const auto& e : log_resp.entries()) {
      std::printf("  %-30s actor %-13s subject %s...  %s\n", e.name().c_str(), e.actor().c_str(),
                  e.data_subject_id().substr(0, 12).c_str(),
                  e.processing_activity_id().substr(e.processing_activity_id().find('#') + 1).c_str());
    }
  }

  Step(11, "Retention: what a purge of customers inactive for more than two years would remove");
  pb::PurgeInactiveCustomersRequest purge;
  purge.set_dry_run(true);
  pb::PurgeInactiveCustomersResponse purged;
  if (check(stub->PurgeInactiveCustomers(client.Context(admin).get(), purge, &purged), "purge")) {
    std::printf("  dry run: %s customers, %s relations, %s sample and %s list memberships\n",
                Thousands(purged.customers()).c_str(), Thousands(purged.relations()).c_str(),
                Thousands(purged.sample_members()).c_str(), Thousands(purged.list_members()).c_str());
  }
  return 0;
}

}  // namespace cak::cli
