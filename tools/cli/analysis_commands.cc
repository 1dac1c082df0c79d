// analysis-svc commands (see analysis_commands.h).
#include "cli/analysis_commands.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

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

bool CriteriaFrom(const std::string& where, pb::Criteria* out) {
  std::string error;
  if (!ParseWhere(where, out, &error)) {
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

int Import(const Client& client, const ImportOptions& options) {
  pb::ImportFileRequest req;
  req.set_dataset(options.dataset);
  req.set_path(options.file);
  req.mutable_options()->set_request_id(options.request_id);
  req.mutable_options()->set_source(options.file);
  if (options.max_rejected_share) req.mutable_options()->set_max_rejected_share(*options.max_rejected_share);
  pb::ImportReport report;
  grpc::Status st = Stub(client)->ImportFile(client.Context(client.DefaultCaller()).get(), req, &report);
  if (!st.ok()) return Fail(st);
  PrintReport(report);
  return 0;
}

int Snapshot(const Client& client) {
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

int Impact(const Client& client, const ImpactOptions& options) {
  pb::AnalyzeImpactRequest req;
  if (!CriteriaFrom(options.where, req.mutable_criteria())) return 2;
  if (options.reference_date) SetDay(*options.reference_date, req.mutable_reference_date());
  pb::ImpactAnalysis a;
  grpc::Status st = Stub(client)->AnalyzeImpact(client.Context(client.DefaultCaller()).get(), req, &a);
  if (!st.ok()) return Fail(st);
  PrintImpact(a);
  return 0;
}

int Sample(const Client& client, const SampleOptions& options) {
  pb::CreateSampleRequest req;
  if (!CriteriaFrom(options.where, req.mutable_criteria())) return 2;
  req.set_size(options.size);
  req.set_seed(options.seed);
  if (options.stratify) req.set_stratification(*options.stratify);
  if (options.full) req.set_view(pb::SAMPLE_VIEW_FULL);
  req.set_purpose(options.purpose);
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

int DefineGroups(const Client& client, const DefineGroupsOptions& options) {
  pb::DefineTargetGroupsRequest req;
  req.set_signal(client.options().signal);
  req.set_request_id(options.request_id);
  for (const std::string& g : options.groups) {
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

int Freeze(const Client& client, const FreezeOptions& options) {
  pb::FreezeRecipientListRequest req;
  req.set_target_group_set(options.target_group_set);
  req.set_group(options.group);
  req.set_request_id(options.request_id);
  pb::RecipientList list;
  grpc::Status st = Stub(client)->FreezeRecipientList(client.Context(client.DefaultCaller()).get(), req, &list);
  if (!st.ok()) return Fail(st);
  PrintList(list);
  return 0;
}

int Recipients(const Client& client, const RecipientsOptions& options) {
  const int limit = options.limit;
  pb::StreamRecipientsRequest req;
  req.set_name(options.name);
  req.set_field_set(options.fields);
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

bool ParseListingFields(const std::string& spec, std::vector<pb::ListingField>* out, std::string* error) {
  out->clear();
  for (absl::string_view part : absl::StrSplit(spec, ',', absl::SkipWhitespace())) {
    std::string name = absl::AsciiStrToUpper(absl::StripAsciiWhitespace(part));
    std::replace(name.begin(), name.end(), '-', '_');
    pb::ListingField field;
    if (name == "UNSPECIFIED" || !pb::ListingField_Parse("LISTING_FIELD_" + name, &field)) {
      *error = absl::StrCat("unknown field '", part,
                            "' (bsn, customer-number, name, address, postcode, municipality, regulation, age, routing, "
                            "debt, payment-plan, active)");
      return false;
    }
    out->push_back(field);
  }
  if (out->empty()) {
    *error = "choose at least one field";
    return false;
  }
  return true;
}

int Listing(const Client& client, const ListingOptions& options) {
  pb::ExportListingRequest req;
  if (!options.target_group_set.empty()) {
    req.set_target_group_set(options.target_group_set);
    req.set_group(options.group);
  } else if (!CriteriaFrom(options.where.empty() ? "all" : options.where, req.mutable_criteria())) {
    return 2;
  }
  std::vector<pb::ListingField> fields;
  std::string error;
  if (!ParseListingFields(options.fields, &fields, &error)) {
    std::fprintf(stderr, "--fields: %s\n", error.c_str());
    return 2;
  }
  for (pb::ListingField f : fields) req.add_fields(f);
  if (options.full) req.set_view(pb::LISTING_VIEW_FULL);
  req.set_purpose(options.purpose);
  req.set_limit(options.limit);
  if (options.reference_date) SetDay(*options.reference_date, req.mutable_reference_date());

  // Personal data: written beside the target, readable by the owner only, and moved into place
  // only when the whole listing arrived (a refused or broken listing leaves no file). The
  // partial file is always a new one: a stale one (from a crash, perhaps with a wider mode) is
  // removed first, and O_EXCL | O_NOFOLLOW refuse whatever appears there meanwhile, so neither
  // an existing file's mode nor a planted symlink decides where the listing goes.
  const std::string partial = options.out + ".partial";
  if (::unlink(partial.c_str()) != 0 && errno != ENOENT) {
    std::fprintf(stderr, "--out: cannot remove the stale %s: %s\n", partial.c_str(), std::strerror(errno));
    return 1;
  }
  const int fd = ::open(partial.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) {
    std::fprintf(stderr, "--out: cannot write %s: %s\n", partial.c_str(), std::strerror(errno));
    return 1;
  }
  std::FILE* file = ::fdopen(fd, "w");
  if (file == nullptr) {
    std::fprintf(stderr, "--out: cannot write %s: %s\n", partial.c_str(), std::strerror(errno));
    ::close(fd);
    ::unlink(partial.c_str());
    return 1;
  }
  auto ctx = client.Context(client.DefaultCaller());
  auto reader = Stub(client)->ExportListing(ctx.get(), req);
  pb::ExportListingResponse piece;
  bool written = true;
  int64_t rows = 0, total = 0, selected = 0, snapshot = 0;
  while (reader->Read(&piece)) {
    written = written && std::fwrite(piece.csv().data(), 1, piece.csv().size(), file) == piece.csv().size();
    rows = piece.rows_sent();
    total = piece.total_rows();
    selected = piece.selected();
    snapshot = piece.snapshot_version();
    std::fprintf(stderr, "\r  %s of %s rows", Thousands(rows).c_str(), Thousands(total).c_str());
  }
  grpc::Status st = reader->Finish();
  written = std::fclose(file) == 0 && written;
  if (total > 0) std::fprintf(stderr, "\n");
  if (!st.ok() || !written) {
    std::remove(partial.c_str());
    if (!st.ok()) return Fail(st);
    std::fprintf(stderr, "--out: writing %s failed\n", partial.c_str());
    return 1;
  }
  if (std::rename(partial.c_str(), options.out.c_str()) != 0) {
    std::fprintf(stderr, "--out: cannot write %s: %s\n", options.out.c_str(), std::strerror(errno));
    std::remove(partial.c_str());
    return 1;
  }
  std::printf("%s: %s rows (%s view; %s selected, snapshot %lld)\n", options.out.c_str(), Thousands(rows).c_str(),
              options.full ? "full" : "pseudonymised", Thousands(selected).c_str(), static_cast<long long>(snapshot));
  return 0;
}

int PurgeCustomers(const Client& client, const PurgeCustomersOptions& options) {
  pb::PurgeInactiveCustomersRequest req;
  req.set_dry_run(options.dry_run);
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

}  // namespace cak::cli
