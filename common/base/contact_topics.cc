// The contact-report topic vocabulary (see contact_topics.h).
#include "common/base/contact_topics.h"

#include <algorithm>

namespace cak::common {

namespace {

// Some topics hold a comma or quotes, as the source system allows.
constexpr std::string_view kTopics[] = {
    "Vraag over factuur",
    "Betalingsregeling",
    "Adreswijziging",
    "Eigen bijdrage",
    "Hoogte eigen bijdrage, inkomensgegevens",
    "Bezwaar tegen beschikking",
    "Machtiging automatische incasso",
    "Wijziging rekeningnummer",
    "Overlijden melden",
    "Betalingsherinnering ontvangen",
    "Vraag over Wlz-indicatie",
    "Vraag over Wmo-voorziening",
    "Bestuursrechtelijke premie",
    "Aanmelding bij de zorgverzekeraar",
    "Terugbetaling te veel betaald",
    "Brief niet begrepen",
    "Klacht over \"onduidelijke\" brief",
    "Verhuizing naar zorginstelling",
    "Wachttijd, bereikbaarheid",
    "Inloggen op Mijn CAK",
};

}  // namespace

std::span<const std::string_view> ContactTopics() { return kTopics; }

bool IsContactTopic(std::string_view topic) {
  return std::find(std::begin(kTopics), std::end(kTopics), topic) != std::end(kTopics);
}

}  // namespace cak::common
