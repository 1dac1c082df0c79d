// The access-request command (see subject_command.h).
#include "cli/subject_command.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "cak/voorlichting/privacy/v1/data_subject_service.grpc.pb.h"
#include "cli/log_command.h"
#include "cli/output.h"
#include "common/base/bsn.h"
#include "common/base/random.h"

namespace cak::cli {
namespace {

namespace privacy = cak::voorlichting::privacy::v1;
namespace plog = cak::voorlichting::processinglog::v1;

absl::Time TimeOf(const google::protobuf::Timestamp& t) {
  return absl::FromUnixSeconds(t.seconds()) + absl::Nanoseconds(t.nanos());
}

std::string Local(absl::Time t) { return absl::FormatTime("%Y-%m-%d %H:%M", t, absl::LocalTimeZone()); }

// Record M7624's activities as the person reads them (the URI's fragment).
std::string ActivityName(const std::string& uri) {
  static const auto* names = new std::map<std::string, std::string>{
      {"1-melding-ontvangen", "Melding ontvangen (stap 1)"},
      {"2-beoordelen-gebeurtenis", "Melding beoordelen (stap 2)"},
      {"3-terugkoppelen-reden-geen-actie", "Terugkoppelen dat er geen actie komt (stap 3)"},
      {"4-afstemmen-procesdeskundigen", "Doelgroep bepalen met procesdeskundigen (stap 4)"},
      {"5-formuleren-boodschap", "Boodschap opstellen (stap 5)"},
      {"6-bepalen-actie", "Actie kiezen (stap 6)"},
      {"7-toetsen-actie-met-uitvoerder", "Actie afstemmen met de uitvoerder (stap 7)"},
      {"8-uitvoeren-actie", "Actie uitvoeren (stap 8)"},
      {"9-responsmeting", "Meten of de voorlichting helpt (stap 9)"},
      {"bewaartermijn", "Verwijderen na de bewaartermijn"},
      {"inzage-verwerkingen", "Inzage door de privacy officer"},
      {"rechten-betrokkenen", "Uw bezwaar, beperking of verwijdering"},
  };
  const size_t hash = uri.find('#');
  const std::string fragment = hash == std::string::npos ? uri : uri.substr(hash + 1);
  auto it = names->find(fragment);
  return it == names->end() ? fragment : it->second;
}

std::string Attribute(const plog::ProcessingLogEntry& e, const std::string& key) {
  auto it = e.attributes().find(key);
  return it == e.attributes().end() ? "" : it->second;
}

// Who processed: an application by name, an employee as such (their id is no business of the
// person's).
std::string By(const plog::ProcessingLogEntry& e) {
  if (!e.foreign_operation_processor().empty() && e.actor() == e.foreign_operation_processor()) {
    return absl::StrCat("applicatie ", e.actor());
  }
  if (e.actor().find('/') != std::string::npos) return absl::StrCat("applicatie ", e.resource());
  return "medewerker van het CAK";
}
// Where the data went: the executor, and the representative or contact person it was routed to.
std::string Recipient(const plog::ProcessingLogEntry& e) {
  std::string out = Attribute(e, "processor");
  const std::string addressee = Attribute(e, "addressee");
  if (addressee.rfind("REPRESENTATIVE:", 0) == 0)
    absl::StrAppend(&out, out.empty() ? "" : ", ", "aan uw vertegenwoordiger");
  if (addressee.rfind("CONTACT_PERSON:", 0) == 0)
    absl::StrAppend(&out, out.empty() ? "" : ", ", "aan uw contactpersoon");
  return out;
}

// Creates `path` (never over an existing file) readable by its owner only, with `text`.
bool WritePrivateFile(const std::filesystem::path& path, const std::string& text) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return false;
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ::close(fd);
      return false;
    }
    done += static_cast<size_t>(n);
  }
  return ::close(fd) == 0;
}

std::string Html(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

const char* ServiceTitle(const std::string& service) {
  if (service == "intake-svc") return "Meldingen (intake)";
  if (service == "analysis-svc") return "Klantgegevens en doelgroepen (analyse)";
  if (service == "campaign-svc") return "Voorlichtingsacties (campagnes)";
  if (service == "dispatch-svc") return "Verzending (uitvoering)";
  return "Onderdeel";
}

}  // namespace

std::string SubjectReportJson(const SubjectReport& report) {
  nlohmann::ordered_json doc;
  doc["report"] = "inzage (AVG art. 15), verwerking M7624 Voorlichten klant";
  doc["subject"] = report.bsn_masked;
  doc["generated_at"] = absl::FormatTime(absl::RFC3339_sec, report.generated, absl::UTCTimeZone());
  doc["services"] = nlohmann::ordered_json::array();
  for (const auto& s : report.services) {
    nlohmann::ordered_json svc;
    svc["service"] = s.service();
    svc["holds_data"] = s.holds_data();
    svc["categories"] = nlohmann::ordered_json::array();
    for (const auto& c : s.categories()) {
      nlohmann::ordered_json cat;
      cat["name"] = c.name();
      cat["title"] = c.title();
      cat["purpose"] = c.purpose();
      cat["legal_basis"] = c.legal_basis();
      cat["source"] = c.source();
      cat["retention"] = c.retention();
      cat["records"] = nlohmann::ordered_json::array();
      for (const auto& r : c.records()) {
        // Fields in order, as a list: a record may hold a field more than once (a signal's
        // added information).
        nlohmann::ordered_json rec = nlohmann::ordered_json::array();
        for (const auto& f : r.fields())
          rec.push_back({{"name", f.name()}, {"label", f.label()}, {"value", f.value()}});
        cat["records"].push_back(std::move(rec));
      }
      svc["categories"].push_back(std::move(cat));
    }
    svc["remarks"] = nlohmann::ordered_json::array();
    for (const auto& r : s.remarks()) svc["remarks"].push_back(r);
    doc["services"].push_back(std::move(svc));
  }
  doc["processing_history"] = nlohmann::ordered_json::array();
  for (const auto& e : report.history) {
    nlohmann::ordered_json h;
    h["time"] = absl::FormatTime(absl::RFC3339_sec, TimeOf(e.start_time()), absl::UTCTimeZone());
    h["service"] = e.resource();
    h["operation"] = e.name();
    h["activity"] = ActivityName(e.processing_activity_id());
    h["processing_activity_id"] = e.processing_activity_id();
    h["legal_basis"] = Attribute(e, "dpl.core.legal_basis");
    h["status"] = e.status() == plog::PROCESSING_STATUS_ERROR ? "ERROR" : "OK";
    h["by"] = By(e);
    h["recipient"] = Recipient(e);
    h["trace_id"] = e.trace_id();
    doc["processing_history"].push_back(std::move(h));
  }
  return doc.dump(2) + "\n";
}

std::string SubjectReportHtml(const SubjectReport& report) {
  std::string h;
  absl::StrAppend(&h, "<!DOCTYPE html>\n<html lang=\"nl\"><head><meta charset=\"utf-8\">",
                  "<title>Inzage in uw gegevens</title><style>body{font-family:sans-serif;max-width:60em;margin:2em "
                  "auto;line-height:1.4}table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid "
                  "#bbb;padding:.2em .5em;text-align:left;vertical-align:top}th{background:#eee}dt{font-weight:bold}"
                  "</style></head><body>\n");
  absl::StrAppend(&h, "<h1>Inzage in uw gegevens</h1>\n<p>Dit overzicht laat zien welke gegevens het CAK over u (BSN ",
                  Html(report.bsn_masked),
                  ") bewaart voor het voorlichten van klanten (verwerking M7624), waarom, en wat ermee is gedaan. "
                  "U krijgt het op grond van artikel 15 van de Algemene verordening gegevensbescherming (AVG). "
                  "Opgesteld op ",
                  Local(report.generated), ".</p>\n");
  for (const auto& s : report.services) {
    absl::StrAppend(&h, "<h2>", ServiceTitle(s.service()), "</h2>\n");
    if (!s.holds_data()) {
      absl::StrAppend(&h, "<p>Hier worden geen gegevens over u bewaard.</p>\n");
    }
    for (const auto& c : s.categories()) {
      absl::StrAppend(&h, "<h3>", Html(c.title()), "</h3>\n<dl><dt>Waarom</dt><dd>", Html(c.purpose()),
                      "</dd><dt>Grondslag</dt><dd>", Html(c.legal_basis()), "</dd><dt>Herkomst</dt><dd>",
                      Html(c.source()), "</dd><dt>Bewaartermijn</dt><dd>", Html(c.retention()), "</dd></dl>\n");
      for (const auto& r : c.records()) {
        absl::StrAppend(&h, "<table>");
        for (const auto& f : r.fields()) {
          absl::StrAppend(&h, "<tr><th>", Html(f.label()), "</th><td>", Html(f.value()), "</td></tr>");
        }
        absl::StrAppend(&h, "</table>\n");
      }
    }
    for (const auto& remark : s.remarks()) absl::StrAppend(&h, "<p><em>", Html(remark), "</em></p>\n");
  }
  absl::StrAppend(&h, "<h2>Wat er met uw gegevens is gedaan</h2>\n");
  if (report.history.empty()) {
    absl::StrAppend(&h, "<p>Er is niets over u vastgelegd.</p>\n");
  } else {
    absl::StrAppend(&h, "<table><tr><th>Wanneer</th><th>Wat</th><th>Grondslag</th><th>Door</th><th>Ontvanger</th>",
                    "<th>Onderdeel</th></tr>\n");
    for (const auto& e : report.history) {
      absl::StrAppend(&h, "<tr><td>", Local(TimeOf(e.start_time())), "</td><td>",
                      Html(ActivityName(e.processing_activity_id())),
                      e.status() == plog::PROCESSING_STATUS_ERROR ? " (mislukt)" : "", "</td><td>",
                      Html(Attribute(e, "dpl.core.legal_basis")), "</td><td>", Html(By(e)), "</td><td>",
                      Html(Recipient(e)), "</td><td>", ServiceTitle(e.resource()), "</td></tr>\n");
    }
    absl::StrAppend(&h, "</table>\n");
  }
  absl::StrAppend(&h,
                  "<p>Hebt u vragen, of wilt u bezwaar maken tegen het gebruik van uw gegevens voor voorlichting, "
                  "neem dan contact op met de functionaris gegevensbescherming van het CAK.</p>\n</body></html>\n");
  return h;
}

int WriteSubjectAccessReport(const Client& client, const Caller& caller, const common::Bsn& bsn,
                             const std::vector<std::string>& addresses, const std::string& dir,
                             const std::string& indent) {
  SubjectReport report;
  report.bsn_masked = bsn.Masked();
  report.generated = absl::Now();
  for (const std::string& address : addresses) {
    auto channel = client.ChannelTo(address);
    privacy::ExportSubjectDataRequest req;
    req.set_bsn(bsn.digits());
    privacy::SubjectDataExport out;
    grpc::Status st = privacy::DataSubjectService::NewStub(channel)->ExportSubjectData(
        client.Context(caller, false).get(), req, &out);
    if (st.ok()) {
      report.services.push_back(std::move(out));
      plog::ListProcessingLogEntriesRequest by_subject;
      by_subject.set_data_subject_bsn(bsn.digits());
      st = ListProcessingLog(client, caller, channel, by_subject, &report.history);
    }
    if (!st.ok()) {
      std::fprintf(stderr, "%s: ", address.c_str());
      return Fail(st);
    }
  }
  std::stable_sort(report.history.begin(), report.history.end(),
                   [](const auto& a, const auto& b) { return TimeOf(a.start_time()) < TimeOf(b.start_time()); });

  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  // Named by time and a random part, never by person; readable by the owner only (the copy
  // holds the person's whole record); never over an earlier report.
  uint8_t nonce[4];
  common::RandomBytes(nonce, sizeof(nonce));
  const std::string base =
      absl::StrCat("inzage-", absl::FormatTime("%Y%m%d-%H%M%S", report.generated, absl::LocalTimeZone()), "-",
                   common::HexEncode(absl::string_view(reinterpret_cast<const char*>(nonce), sizeof(nonce))));
  const std::filesystem::path json = std::filesystem::path(dir) / (base + ".json");
  const std::filesystem::path html = std::filesystem::path(dir) / (base + ".html");
  for (const auto& [path, text] :
       {std::pair{json, SubjectReportJson(report)}, std::pair{html, SubjectReportHtml(report)}}) {
    if (!WritePrivateFile(path, text)) {
      std::fprintf(stderr, "cannot write the report %s: %s\n", path.c_str(), std::strerror(errno));
      return 1;
    }
  }
  std::printf("%saccess report for BSN %s:\n", indent.c_str(), report.bsn_masked.c_str());
  for (const auto& s : report.services) {
    std::string held;
    for (const auto& c : s.categories())
      absl::StrAppend(&held, held.empty() ? "" : ", ", c.name(), " ", c.records_size());
    int64_t entries = 0;
    for (const auto& e : report.history) entries += e.resource() == s.service();
    std::printf("%s  %-13s %s; %lld processing-log entr%s\n", indent.c_str(), s.service().c_str(),
                s.holds_data() ? held.c_str() : "nothing held", static_cast<long long>(entries),
                entries == 1 ? "y" : "ies");
  }
  std::printf("%s  written: %s and %s\n", indent.c_str(), json.c_str(), html.c_str());
  return 0;
}

int SendObjection(const Client& client, const Caller& caller, const std::vector<std::string>& addresses,
                  const privacy::RecordObjectionRequest& request, bool lift, const std::string& indent) {
  std::vector<std::string> printed;
  for (const std::string& address : addresses) {
    auto stub = privacy::DataSubjectService::NewStub(client.ChannelTo(address));
    privacy::ObjectionAnswer answer;
    grpc::Status st;
    if (lift) {
      privacy::LiftObjectionRequest req;
      req.set_bsn(request.bsn());
      req.set_reason(request.reason());
      st = stub->LiftObjection(client.Context(caller, false).get(), req, &answer);
    } else {
      st = stub->RecordObjection(client.Context(caller, false).get(), request, &answer);
    }
    if (!st.ok()) {
      std::fprintf(stderr, "%s: ", address.c_str());
      return Fail(st);
    }
    std::string head = answer.service();
    if (answer.keeps_register()) {
      const auto& o = answer.objection();
      if (!answer.has_objection()) {
        absl::StrAppend(&head, ": geen actief bezwaar; niets veranderd");
      } else {
        absl::StrAppend(&head,
                        lift                 ? ": opgeheven "
                        : answer.unchanged() ? ": stond al vast "
                                             : ": vastgelegd ",
                        Short(privacy::ObjectionKind_Name(o.kind()), "OBJECTION_KIND_"), ", scope ",
                        Short(privacy::ObjectionScope_Name(o.scope()), "OBJECTION_SCOPE_"), " (ontvangen ",
                        Day(o.received_date()), ")");
      }
    }
    std::printf("%s%s\n", indent.c_str(), head.c_str());
    for (const std::string& e : answer.effects()) std::printf("%s  - %s\n", indent.c_str(), e.c_str());
    for (const std::string& r : answer.remarks()) {  // (a remark every service makes: once)
      if (std::find(printed.begin(), printed.end(), r) != printed.end()) continue;
      printed.push_back(r);
      std::printf("%s  (%s)\n", indent.c_str(), r.c_str());
    }
  }
  return 0;
}

namespace {

// The person a subject command names (the command line checked the BSN; exit code 2 otherwise).
std::optional<common::Bsn> SubjectBsn(const std::string& bsn, int* exit_code) {
  auto parsed = common::Bsn::Parse(bsn, "bsn");
  if (!parsed.ok()) {
    *exit_code = Usage(absl::StrCat("--bsn: ", parsed.status().message()));
    return std::nullopt;
  }
  return *std::move(parsed);
}

// The four addresses, analysis-svc (the register) first.
std::vector<std::string> RegisterFirst(const Client& client, const ServiceAddresses& services) {
  return {services.analysis, services.dispatch, client.options().intake_address, services.campaign};
}

}  // namespace

int SubjectObject(const Client& client, const SubjectObjectOptions& options) {
  int exit_code = 0;
  const std::optional<common::Bsn> bsn = SubjectBsn(options.bsn, &exit_code);
  if (!bsn) return exit_code;
  privacy::RecordObjectionRequest req;
  req.set_bsn(bsn->digits());
  req.set_kind(options.kind);
  req.set_scope(options.scope);
  req.set_reason(options.reason);
  if (options.received_date) SetDay(*options.received_date, req.mutable_received_date());
  return SendObjection(client, client.DefaultCaller(), RegisterFirst(client, options.services), req, /*lift=*/false,
                       "");
}

int SubjectLiftObjection(const Client& client, const SubjectLiftObjectionOptions& options) {
  int exit_code = 0;
  const std::optional<common::Bsn> bsn = SubjectBsn(options.bsn, &exit_code);
  if (!bsn) return exit_code;
  privacy::RecordObjectionRequest req;
  req.set_bsn(bsn->digits());
  req.set_reason(options.reason);
  return SendObjection(client, client.DefaultCaller(), RegisterFirst(client, options.services), req, /*lift=*/true, "");
}

int SubjectErase(const Client& client, const SubjectEraseOptions& options) {
  int exit_code = 0;
  const std::optional<common::Bsn> bsn = SubjectBsn(options.bsn, &exit_code);
  if (!bsn) return exit_code;
  const std::vector<std::string> addresses = RegisterFirst(client, options.services);
  privacy::EraseSubjectDataRequest req;
  req.set_bsn(bsn->digits());
  req.set_reason(options.reason);
  req.set_dry_run(options.dry_run);
  std::printf("%s of %s\n", req.dry_run() ? "What an erasure would remove (dry run)" : "Erased", bsn->Masked().c_str());
  std::vector<std::string> printed;
  for (const std::string& address : addresses) {
    auto stub = privacy::DataSubjectService::NewStub(client.ChannelTo(address));
    privacy::ErasureAnswer answer;
    const grpc::Status st = stub->EraseSubjectData(client.Context(client.DefaultCaller(), false).get(), req, &answer);
    if (!st.ok()) {
      std::fprintf(stderr, "%s: ", address.c_str());
      return Fail(st);
    }
    std::printf("%s: %s\n", answer.service().c_str(), answer.categories_size() == 0 ? "nothing held" : "");
    for (const auto& c : answer.categories()) {
      std::printf("  - %s (%s): %lld\n", c.title().c_str(), c.name().c_str(), static_cast<long long>(c.count()));
    }
    for (const std::string& k : answer.kept()) {  // (what every service keeps: once)
      if (std::find(printed.begin(), printed.end(), k) != printed.end()) continue;
      printed.push_back(k);
      std::printf("  kept: %s\n", k.c_str());
    }
  }
  return 0;
}

int SubjectAccess(const Client& client, const SubjectAccessOptions& options) {
  int exit_code = 0;
  const std::optional<common::Bsn> bsn = SubjectBsn(options.bsn, &exit_code);
  if (!bsn) return exit_code;
  const ServiceAddresses& s = options.services;
  return WriteSubjectAccessReport(client, client.DefaultCaller(), *bsn,
                                  {client.options().intake_address, s.analysis, s.campaign, s.dispatch}, options.out,
                                  "");
}

}  // namespace cak::cli
