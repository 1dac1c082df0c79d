// analysis-svc's answer to an access request (see subject_export.h).
#include "analysis-svc/src/domain/subject_export.h"

#include <map>

#include "absl/strings/str_cat.h"

namespace cak::analysis::domain {
namespace {

using common::ProcessingActivity;

// Dutch labels of the columns shown beyond common::PersonFieldLabels().
const std::map<std::string, std::string>& Labels() {
  static const auto* labels = new std::map<std::string, std::string>{
      {"bsn", "BSN"},
      {"salutation", "Aanhef"},
      {"regulation", "Regeling"},
      {"municipality_code", "Gemeentecode"},
      {"birth_date", "Geboortedatum"},
      {"debt_cents", "Openstaand bedrag (eurocent)"},
      {"payment_plan", "Betalingsregeling"},
      {"iban", "IBAN"},
      {"care_summary", "Zorg"},
      {"active", "Klant"},
      {"inactive_since", "Geen klant meer sinds"},
      {"kind", "Soort relatie"},
      {"routing", "Post gaat naar"},
      {"mailing_type", "Soort post"},
      {"planned_date", "Gepland op"},
      {"channel", "Kanaal"},
      {"topic", "Onderwerp"},
      {"contact_time", "Moment"},
      {"reached", "Bereikt"},
      {"sample", "Steekproef"},
      {"purpose", "Doel"},
      {"create_time", "Gemaakt op"},
      {"full_view", "Met naam en adres"},
      {"recipient_list", "Verzendlijst"},
      {"group_name", "Doelgroep"},
      {"control_list", "Controlegroep (geen voorlichting)"},
      {"objection_kind", "Soort"},
      {"objection_scope", "Geldt voor"},
      {"reason", "Reden"},
      {"received_date", "Ontvangen op"},
      {"record_time", "Vastgelegd op"},
      {"recorded_by", "Vastgelegd door"},
      {"lift_time", "Opgeheven op"},
      {"lift_reason", "Reden van opheffen"},
  };
  return *labels;
}

// Stored codes as the person reads them.
const common::SubjectValueNames& Values() {
  static const std::map<std::string, std::string> yes_no = {{"true", "ja"}, {"false", "nee"}};
  static const auto* values = new common::SubjectValueNames{
      {"salutation", {{"MR", "De heer"}, {"MS", "Mevrouw"}, {"NEUTRAL", "Geen (neutraal)"}}},
      {"regulation",
       {{"WLZ", "Wlz"}, {"WMO", "Wmo"}, {"WANBETALERS", "Wanbetalersregeling"}, {"ONVERZEKERDEN", "Onverzekerden"}}},
      {"kind", {{"LEGAL_REPRESENTATIVE", "Wettelijk vertegenwoordiger"}, {"CONTACT_PERSON", "Contactpersoon"}}},
      // Relations: who receives the customer's post; list members: to whom this list writes.
      {"routing",
       {{"CUSTOMER", "De klant"},
        {"RELATION", "Deze relatie"},
        {"1", "U zelf"},
        {"2", "Uw wettelijk vertegenwoordiger"},
        {"3", "Uw contactpersoon"}}},
      {"mailing_type",
       {{"ANNUAL_STATEMENT", "Jaaroverzicht"},
        {"INVOICE", "Factuur"},
        {"DECISION", "Beschikking"},
        {"PAYMENT_REMINDER", "Betalingsherinnering"},
        {"NEWSLETTER", "Nieuwsbrief"}}},
      {"channel", {{"PHONE", "Telefoon"}, {"LETTER", "Brief"}, {"EMAIL", "E-mail"}, {"WEBSITE", "Website"}}},
      {"active", {{"true", "ja"}, {"false", "nee, niet meer"}}},
      {"payment_plan", yes_no},
      {"reached", yes_no},
      {"full_view", yes_no},
      {"control_list", yes_no},
      {"objection_kind", {{"1", "Bezwaar (art. 21 AVG)"}, {"2", "Beperking (art. 18 AVG)"}}},
      {"objection_scope",
       {{"1", "Geen enkele selectie (ook niet in statistieken)"},
        {"2", "Niet benaderen (wel anoniem meegeteld in statistieken)"}}},
  };
  return *values;
}

common::SubjectDataCategory Category(std::string name, std::string title, std::string purpose,
                                     ProcessingActivity activity, std::string source, std::string retention,
                                     const std::vector<common::SubjectRow>& rows) {
  common::SubjectDataCategory c = common::SubjectCategory(std::move(name), std::move(title), std::move(purpose),
                                                          activity, std::move(source), std::move(retention));
  for (const common::SubjectRow& row : rows) c.records.push_back(common::RecordOf(row, Labels(), Values()));
  return c;
}

}  // namespace

common::SubjectData SubjectExport(const SubjectRows& rows, int customer_retention_years) {
  const std::string copy = "Een kopie uit de klantadministratie van het CAK, bijgewerkt bij elke import.";
  const std::string kept = absl::StrCat("Zolang u klant bent, en tot ", customer_retention_years,
                                        " jaar nadat u geen klant meer bent; daarna verwijderd.");
  common::SubjectData out;
  out.categories.push_back(Category(
      "customer", "Uw klantgegevens",
      "Bepalen welke klanten voorlichting nodig hebben (doelgroepen, steekproeven, verzendlijsten) en meten of "
      "voorlichting helpt (verwerking M7624, stappen 2, 4 en 9).",
      ProcessingActivity::kAfstemmenProcesdeskundigen, copy, kept, rows.customer));
  out.categories.push_back(Category("relations", "Uw wettelijk vertegenwoordigers en contactpersonen",
                                    "Voorlichting sturen aan wie uw post ontvangt (verwerking M7624, stap 8).",
                                    ProcessingActivity::kUitvoerenActie, copy, kept, rows.relations));
  out.categories.push_back(Category("mailings", "Geplande post van het CAK aan u",
                                    "Voorlichting afstemmen op post die u al krijgt (verwerking M7624, stap 4).",
                                    ProcessingActivity::kAfstemmenProcesdeskundigen, copy, kept, rows.mailings));
  out.categories.push_back(
      Category("contact_reports", "Uw contacten met het CAK",
               "Meten of voorlichting helpt: wie na de voorlichting contact opnam (verwerking M7624, stap 9).",
               ProcessingActivity::kResponsmeting, copy, kept, rows.contact_reports));
  out.categories.push_back(
      Category("samples", "Steekproeven waarin u zat",
               "Doelgroepen en de boodschap toetsen aan een steekproef van klanten (verwerking M7624, stappen 4 en 5).",
               ProcessingActivity::kAfstemmenProcesdeskundigen, "Getrokken uit uw klantgegevens.", kept, rows.samples));
  out.categories.push_back(
      Category("recipient_lists", "Verzendlijsten waarop u staat",
               "Voorlichting verzenden aan de vastgestelde doelgroep, en met een controlegroep meten of die helpt "
               "(verwerking M7624, stappen 8 en 9).",
               ProcessingActivity::kUitvoerenActie,
               "Vastgelegd uit uw klantgegevens (en die van wie uw post ontvangt) toen de lijst werd vastgesteld.",
               kept, rows.recipient_lists));
  out.categories.push_back(
      Category("objections", "Uw bezwaren en beperkingen",
               "Uw bezwaar of beperking uitvoeren: u wordt niet geselecteerd voor voorlichting zolang het geldt.",
               ProcessingActivity::kRechtenBetrokkene, "Uw verzoek aan het CAK.",
               "Zolang u klant bent, en tot het bezwaar is opgeheven of u wordt verwijderd.", rows.objections));
  if (!rows.mailings.empty()) {
    out.remarks.push_back(
        "Facturen, beschikkingen en andere wettelijke post verstuurt het CAK vanuit andere systemen. Ze staan hier "
        "alleen als geplande post, om voorlichting op af te stemmen; dit systeem verstuurt of stopt ze niet.");
  }
  return out;
}

}  // namespace cak::analysis::domain
