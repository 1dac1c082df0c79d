// dispatch-svc's answer to an access request (see subject_export.h).
#include "dispatch-svc/src/domain/subject_export.h"

#include <map>

#include "absl/strings/str_cat.h"

namespace cak::dispatch::domain {
namespace {

const std::map<std::string, std::string>& Labels() {
  static const auto* labels = new std::map<std::string, std::string>{
      {"dispatch_order", "Verzendopdracht"},
      {"campaign", "Voorlichtingsactie"},
      {"target_group", "Doelgroep"},
      {"channel", "Kanaal"},
      {"executor", "Uitvoerder"},
      {"batch", "Deel van de opdracht"},
      {"planned_date", "Gepland op"},
      {"handed_over", "Aan de uitvoerder gegeven op"},
      {"acknowledged", "Door de uitvoerder ontvangen op"},
      {"routing", "Gericht aan"},
      {"outcome", "Resultaat"},
      {"outcome_time", "Resultaat op"},
  };
  return *labels;
}

// Stored codes as the person reads them.
const common::SubjectValueNames& Values() {
  static const auto* values = new common::SubjectValueNames{
      {"channel", {{"1", "Brief"}, {"2", "Telefoongesprek"}, {"3", "Contactmoment"}}},
      {"routing", {{"1", "U zelf"}, {"2", "Uw wettelijk vertegenwoordiger"}, {"3", "Uw contactpersoon"}}},
      {"outcome",
       {{"1", "Brief gedrukt"},
        {"2", "Brief onbestelbaar retour"},
        {"3", "Gesprek gevoerd"},
        {"4", "Niet bereikt"},
        {"5", "Verkeerd telefoonnummer"},
        {"6", "Contactmoment ingepland"}}},
  };
  return *values;
}

}  // namespace

common::SubjectData SubjectExport(const std::vector<common::SubjectRow>& items, absl::Duration retention) {
  common::SubjectDataCategory c = common::SubjectCategory(
      "deliveries", "Voorlichting die aan u is verzonden of voor u is klaargezet",
      "De voorlichtingsactie uitvoeren: de brief, het telefoongesprek of het contactmoment door de uitvoerder "
      "laten verzorgen, en vastleggen wat het resultaat was (verwerking M7624, stap 8).",
      common::ProcessingActivity::kUitvoerenActie,
      "De verzendlijst van de doelgroep waarin u zat, en de uitvoerder voor het resultaat.",
      absl::StrCat("Tot ", absl::ToInt64Hours(retention) / 24,
                   " dagen na het einde van de verzendperiode; daarna verwijderd."));
  for (const common::SubjectRow& row : items) c.records.push_back(common::RecordOf(row, Labels(), Values()));
  common::SubjectData out;
  out.categories.push_back(std::move(c));
  return out;
}

}  // namespace cak::dispatch::domain
