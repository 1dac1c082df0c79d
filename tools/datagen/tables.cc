// The generator's reference tables (see tables.h).
#include "tools/datagen/tables.h"

namespace cak::tools::datagen {

namespace {

// Forty municipalities, weighted roughly by population; postcode ranges and area codes are
// approximately those of the place.
// clang-format off
constexpr Municipality kMunicipalities[] = {
    {"GM0363", "Amsterdam", 920, 1011, 1109, "20"},
    {"GM0599", "Rotterdam", 660, 3011, 3089, "10"},
    {"GM0518", "'s-Gravenhage", 560, 2491, 2597, "70"},
    {"GM0344", "Utrecht", 370, 3511, 3585, "30"},
    {"GM0772", "Eindhoven", 240, 5611, 5658, "40"},
    {"GM0014", "Groningen", 240, 9711, 9747, "50"},
    {"GM0855", "Tilburg", 225, 5011, 5049, "13"},
    {"GM0034", "Almere", 220, 1311, 1363, "36"},
    {"GM0758", "Breda", 185, 4811, 4839, "76"},
    {"GM0268", "Nijmegen", 180, 6511, 6546, "24"},
    {"GM0202", "Arnhem", 165, 6811, 6846, "26"},
    {"GM0392", "Haarlem", 165, 2011, 2037, "23"},
    {"GM0200", "Apeldoorn", 165, 7311, 7339, "55"},
    {"GM0153", "Enschede", 160, 7511, 7548, "53"},
    {"GM0307", "Amersfoort", 160, 3811, 3830, "33"},
    {"GM0796", "'s-Hertogenbosch", 160, 5211, 5249, "73"},
    {"GM0394", "Hoofddorp", 160, 2131, 2136, "23"},
    {"GM0479", "Zaandam", 160, 1501, 1509, "75"},
    {"GM0193", "Zwolle", 132, 8011, 8047, "38"},
    {"GM0546", "Leiden", 127, 2311, 2334, "71"},
    {"GM0637", "Zoetermeer", 127, 2711, 2729, "79"},
    {"GM0080", "Leeuwarden", 125, 8911, 8939, "58"},
    {"GM0935", "Maastricht", 122, 6211, 6229, "43"},
    {"GM0505", "Dordrecht", 120, 3311, 3319, "78"},
    {"GM0228", "Ede", 120, 6711, 6718, "318"},
    {"GM0361", "Alkmaar", 110, 1811, 1827, "72"},
    {"GM0114", "Emmen", 108, 7811, 7828, "591"},
    {"GM0503", "Delft", 105, 2611, 2629, "15"},
    {"GM0983", "Venlo", 103, 5911, 5928, "77"},
    {"GM0150", "Deventer", 102, 7411, 7429, "570"},
    {"GM0402", "Hilversum", 92, 1211, 1223, "35"},
    {"GM0917", "Heerlen", 87, 6411, 6422, "45"},
    {"GM0164", "Hengelo", 81, 7551, 7559, "74"},
    {"GM0995", "Lelystad", 80, 8211, 8245, "320"},
    {"GM0513", "Gouda", 74, 2801, 2809, "182"},
    {"GM0106", "Assen", 69, 9401, 9409, "592"},
    {"GM0355", "Zeist", 66, 3701, 3709, "30"},
    {"GM0356", "Nieuwegein", 65, 3430, 3439, "30"},
    {"GM0687", "Middelburg", 49, 4331, 4338, "118"},
    {"GM0718", "Vlissingen", 45, 4381, 4389, "118"},
};
// clang-format on

constexpr Surname kSurnames[] = {
    {"de", "Jong"},         {"", "Jansen"},       {"de", "Vries"},      {"van den", "Berg"},  {"van", "Dijk"},
    {"", "Bakker"},         {"", "Janssen"},      {"", "Visser"},       {"", "Smit"},         {"", "Meijer"},
    {"de", "Boer"},         {"", "Mulder"},       {"de", "Groot"},      {"", "Bos"},          {"", "Vos"},
    {"", "Peters"},         {"", "Hendriks"},     {"van", "Leeuwen"},   {"", "Dekker"},       {"", "Brouwer"},
    {"de", "Wit"},          {"", "Dijkstra"},     {"", "Smits"},        {"de", "Graaf"},      {"van der", "Meer"},
    {"van der", "Linden"},  {"", "Kok"},          {"", "Jacobs"},       {"de", "Haan"},       {"", "Vermeulen"},
    {"van den", "Heuvel"},  {"van der", "Veen"},  {"van den", "Broek"}, {"de", "Bruijn"},     {"de", "Bruin"},
    {"van der", "Heijden"}, {"", "Schouten"},     {"van", "Beek"},      {"", "Willems"},      {"van", "Vliet"},
    {"van de", "Ven"},      {"", "Hoekstra"},     {"", "Maas"},         {"", "Verhoeven"},    {"", "Koster"},
    {"van", "Dam"},         {"van der", "Wal"},   {"", "Prins"},        {"", "Blom"},         {"", "Huisman"},
    {"", "Peeters"},        {"de", "Jonge"},      {"", "Kuipers"},      {"van", "Veen"},      {"", "Post"},
    {"", "Kuiper"},         {"", "Veenstra"},     {"", "Kramer"},       {"van den", "Brink"}, {"", "Scholten"},
    {"van", "Wijk"},        {"", "Postma"},       {"", "Martens"},      {"", "Vink"},         {"de", "Ruiter"},
    {"", "Timmermans"},     {"", "Groen"},        {"", "Gerritsen"},    {"", "Jonker"},       {"van", "Loon"},
    {"", "Boersma"},        {"van den", "Bosch"}, {"", "Evers"},        {"", "Koning"},       {"", "Wouters"},
    {"van", "Rijn"},        {"", "Hermans"},      {"ter", "Horst"},     {"ten", "Have"},      {"in 't", "Veld"},
    {"van 't", "Hof"},      {"'t", "Hart"},       {"", "Willemsen"},    {"", "Mol"},          {"", "Verbeek"},
    {"", "Kersten"},        {"", "Sanders"},      {"", "Bosman"},       {"", "Hoogendoorn"},  {"", "Claassen"},
    {"", "Driessen"},       {"", "Coenen"},       {"", "Geerts"},       {"de", "Lange"},      {"", "Verhagen"},
    {"", "Kroon"},          {"ten", "Brink"},     {"van", "Doorn"},     {"", "Zwart"},        {"", "Schipper"},
};

// clang-format off
constexpr const char* kStreets[] = {
    "Kerkstraat", "Schoolstraat", "Molenweg", "Dorpsstraat", "Stationsweg", "Julianastraat", "Wilhelminastraat",
    "Beatrixstraat", "Prins Bernhardlaan", "Oranjestraat", "Nieuwstraat", "Hoofdstraat", "Markt", "Parallelweg",
    "Industrieweg", "Kastanjelaan", "Eikenlaan", "Lindelaan", "Berkenlaan", "Beukenlaan", "Sportlaan", "Emmastraat",
    "Rembrandtlaan", "Vondelstraat", "Spoorstraat", "Havenstraat", "Raadhuisstraat", "Prinses Irenestraat",
    "Koningin Julianalaan", "Tulpstraat", "Rozenstraat", "Merelstraat", "Lijsterstraat", "Zwanenlaan", "Meidoornlaan",
    "Acacialaan", "Populierenlaan", "Esdoornlaan", "Wilgenlaan", "Hazelaarstraat", "Dahliastraat", "Zonnebloemstraat",
    "Het Plein", "De Ruyterstraat", "Tromplaan", "Pieter de Hoochstraat", "Frans Halsstraat", "Jan Steenstraat",
    "Thorbeckelaan", "Kennedylaan", "Molenstraat", "Veldweg", "Zandweg", "Achterweg", "Torenstraat", "Kanaalweg",
    "Dijkstraat", "Van Goghstraat", "Burgemeester de Withstraat", "Johan de Wittlaan",
};
// clang-format on

constexpr Weighted kInitialLetters[] = {
    {"J", 14}, {"A", 9}, {"M", 9}, {"H", 7}, {"W", 6}, {"P", 6}, {"C", 6}, {"G", 5}, {"E", 5}, {"R", 5}, {"B", 4},
    {"L", 4},  {"T", 4}, {"S", 4}, {"F", 3}, {"K", 3}, {"D", 3}, {"N", 2}, {"I", 2}, {"Y", 1}, {"V", 1}, {"O", 1},
};

constexpr Weighted kHouseNumberSuffixes[] = {
    {"A", 40}, {"B", 25}, {"C", 8}, {"1", 8}, {"2", 6}, {"3", 2}, {"bis", 3}, {"hs", 5}, {"II", 3},
};

// Some topics hold a comma or quotes, so files exercise RFC 4180 quoting.
constexpr Weighted kContactTopics[] = {
    {"Vraag over factuur", 20},
    {"Betalingsregeling", 12},
    {"Adreswijziging", 8},
    {"Eigen bijdrage", 14},
    {"Hoogte eigen bijdrage, inkomensgegevens", 6},
    {"Bezwaar tegen beschikking", 5},
    {"Machtiging automatische incasso", 5},
    {"Wijziging rekeningnummer", 4},
    {"Overlijden melden", 3},
    {"Betalingsherinnering ontvangen", 6},
    {"Vraag over Wlz-indicatie", 3},
    {"Vraag over Wmo-voorziening", 3},
    {"Bestuursrechtelijke premie", 3},
    {"Aanmelding bij de zorgverzekeraar", 2},
    {"Terugbetaling te veel betaald", 3},
    {"Brief niet begrepen", 4},
    {"Klacht over \"onduidelijke\" brief", 2},
    {"Verhuizing naar zorginstelling", 2},
    {"Wachttijd, bereikbaarheid", 1},
    {"Inloggen op Mijn CAK", 4},
};

// A reaction to a letter about the personal contribution: mostly "did not understand it" and
// questions about the amount; a few complaints and refunds.
constexpr Weighted kResponseTopics[] = {
    {"Brief niet begrepen", 30},
    {"Vraag over factuur", 25},
    {"Eigen bijdrage", 20},
    {"Hoogte eigen bijdrage, inkomensgegevens", 10},
    {"Betalingsregeling", 8},
    {"Klacht over \"onduidelijke\" brief", 4},
    {"Terugbetaling te veel betaald", 3},
};

constexpr const char* kLongTermCareSummaries[] = {
    "Verblijf in zorginstelling",
    "Volledig pakket thuis",
    "Modulair pakket thuis",
    "Verblijf met behandeling",
    "Persoonsgebonden budget, verpleging en verzorging",
    "Kortdurend verblijf",
    "Verblijf, dagbesteding en vervoer",
};

constexpr const char* kSocialSupportSummaries[] = {
    "Huishoudelijke hulp, 3 uur per week",
    "Huishoudelijke hulp, 2 uur per week",
    "Begeleiding thuis",
    "Dagbesteding, 2 dagdelen per week",
    "Woningaanpassing",
    "Rolstoel in bruikleen",
    "Scootmobiel",
    "Beschermd wonen",
    "Vervoersvoorziening (regiotaxi)",
    "Persoonlijke verzorging",
};

constexpr const char* kBankCodes[] = {"ABNA", "INGB", "RABO", "SNSB", "ASNB", "TRIO", "KNAB", "BUNQ", "RBRB"};

constexpr const char* kEmailDomains[] = {"example.com", "example.net", "example.org"};

}  // namespace

std::span<const Municipality> Municipalities() { return kMunicipalities; }
std::span<const Surname> Surnames() { return kSurnames; }
std::span<const char* const> Streets() { return kStreets; }
std::span<const Weighted> InitialLetters() { return kInitialLetters; }
std::span<const Weighted> HouseNumberSuffixes() { return kHouseNumberSuffixes; }
std::span<const Weighted> ContactTopics() { return kContactTopics; }
std::span<const Weighted> ResponseTopics() { return kResponseTopics; }
std::span<const char* const> LongTermCareSummaries() { return kLongTermCareSummaries; }
std::span<const char* const> SocialSupportSummaries() { return kSocialSupportSummaries; }
std::span<const char* const> BankCodes() { return kBankCodes; }
std::span<const char* const> EmailDomains() { return kEmailDomains; }

}  // namespace cak::tools::datagen
