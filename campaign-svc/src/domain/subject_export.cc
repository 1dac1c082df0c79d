// campaign-svc's answer to an access request (see subject_export.h).
#include "campaign-svc/src/domain/subject_export.h"

#include <map>

namespace cak::campaign::domain {

common::SubjectData SubjectExport(const std::vector<common::SubjectRow>& previews) {
  static const auto* labels = new std::map<std::string, std::string>{
      {"campaign", "Voorlichtingsactie"}, {"title", "Naam van de actie"},
      {"group_name", "Doelgroep"},        {"message_version", "Versie van de boodschap"},
      {"shown_at", "Getoond op"},
  };
  common::SubjectDataCategory c = common::SubjectCategory(
      "previews", "Voorbeelden van een boodschap waarin u als voorbeeldklant werd getoond",
      "De boodschap van een voorlichtingsactie controleren aan de hand van voorbeelden uit de doelgroep, getoond "
      "aan de medewerkers die de actie voorbereiden (verwerking M7624, stap 5).",
      common::ProcessingActivity::kFormulerenBoodschap,
      "Een steekproef uit de doelgroep, getrokken uit uw klantgegevens; getoond onder een pseudoniem.",
      "Alleen vastgelegd in het verwerkingenlogboek, en zo lang bewaard als dat logboek.");
  for (const common::SubjectRow& row : previews) c.records.push_back(common::RecordOf(row, *labels));
  common::SubjectData out;
  out.categories.push_back(std::move(c));
  return out;
}

}  // namespace cak::campaign::domain
