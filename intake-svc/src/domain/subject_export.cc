// intake-svc's answer to an access request (see subject_export.h).
#include "intake-svc/src/domain/subject_export.h"

#include "absl/strings/str_cat.h"

namespace cak::intake::domain {
namespace {

std::string Time(absl::Time t) { return absl::FormatTime(absl::RFC3339_sec, t, absl::UTCTimeZone()); }

const char* CategoryLabel(Category c) {
  switch (c) {
    case Category::kWrongInvoice:
      return "Onjuiste factuur";
    case Category::kRuleChange:
      return "Wijziging van regels";
    case Category::kConfusingLetter:
      return "Onduidelijke brief";
    case Category::kCustomerSignal:
      return "Signaal van een klant";
    case Category::kPaymentProblem:
      return "Betalingsprobleem";
    case Category::kOther:
      return "Overig";
  }
  return "Overig";
}

const char* StateLabel(SignalState s) {
  switch (s) {
    case SignalState::kReceived:
      return "Ontvangen";
    case SignalState::kInAssessment:
      return "In beoordeling";
    case SignalState::kNoAction:
      return "Geen actie";
    case SignalState::kActionPlanned:
      return "Actie gepland";
    case SignalState::kClosed:
      return "Afgesloten";
  }
  return "Onbekend";
}

const char* ChannelLabel(SourceChannel c) {
  switch (c) {
    case SourceChannel::kKcc:
      return "Klantcontactcentrum";
    case SourceChannel::kEmail:
      return "E-mail";
    case SourceChannel::kLetter:
      return "Brief";
    case SourceChannel::kApplication:
      return "Andere CAK-applicatie";
    case SourceChannel::kEmployee:
      return "Medewerker van het CAK";
  }
  return "Onbekend";
}

const char* DeclineLabel(DeclineReason r) {
  switch (r) {
    case DeclineReason::kNone:
      return "";
    case DeclineReason::kNoActionNeeded:
      return "Geen actie nodig";
    case DeclineReason::kIncomplete:
      return "Onvolledig";
    case DeclineReason::kDuplicate:
      return "Dubbele melding";
    case DeclineReason::kOutOfScope:
      return "Valt buiten dit proces";
  }
  return "";
}

}  // namespace

common::SubjectData SubjectExport(const std::vector<Signal>& signals, absl::Duration retention) {
  common::SubjectDataCategory c = common::SubjectCategory(
      "signals", "Meldingen waarin u als voorbeeld wordt genoemd",
      "Een melding over een mogelijke informatiebehoefte van klanten vastleggen en beoordelen of een "
      "voorlichtingsactie nodig is (verwerking M7624, stappen 1 tot en met 3).",
      common::ProcessingActivity::kMeldingOntvangen,
      "De melder: een medewerker, het klantcontactcentrum of een andere applicatie van het CAK.",
      absl::StrCat("Tot ", absl::ToInt64Hours(retention) / 24,
                   " dagen nadat de melding is afgewezen of afgesloten; daarna verwijderd."));
  for (const Signal& s : signals) {
    common::SubjectDataRecord r;
    r.Add("signal", "Melding", SignalName(s.id))
        .Add("receive_time", "Ontvangen op", Time(s.receive_time))
        .Add("source_channel", "Ontvangen via", ChannelLabel(s.source_channel))
        .Add("category", "Soort melding", CategoryLabel(s.category))
        .Add("regulation", "Regeling", s.regulation == Regulation::kWlz ? "Wlz" : "Wmo")
        .Add("description", "Wat is gemeld", s.description)
        .Add("example_customer_count", "Aantal genoemde klanten (u inbegrepen)", absl::StrCat(s.example_customer_count))
        .Add("state", "Stand van zaken", StateLabel(s.state));
    if (s.decline_reason != DeclineReason::kNone)
      r.Add("decline_reason", "Reden geen actie", DeclineLabel(s.decline_reason));
    if (!s.feedback.empty()) r.Add("feedback", "Terugkoppeling", s.feedback);
    if (!s.campaign.empty()) r.Add("campaign", "Voorlichtingsactie", s.campaign);
    for (const Information& i : s.information) {
      r.Add("information", absl::StrCat("Aanvullende informatie van ", Time(i.add_time)), i.text);
    }
    if (s.final_time) r.Add("final_time", "Afgehandeld op", Time(*s.final_time));
    c.records.push_back(std::move(r));
  }
  common::SubjectData out;
  out.categories.push_back(std::move(c));
  return out;
}

}  // namespace cak::intake::domain
