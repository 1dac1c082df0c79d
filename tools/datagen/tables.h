// Fixed reference tables of the synthetic population generator: municipalities (real CBS codes),
// Dutch surnames with their usual tussenvoegsel, street names, initials, topics and care
// summaries. Only generic, publicly known names and words; no person appears in them.
#pragma once

#include <cstdint>
#include <span>

namespace cak::tools::datagen {

struct Municipality {
  const char* code;  // CBS code, "GM" + 4 digits
  const char* city;  // the place name used in postal addresses
  int weight;        // relative share of the population (about thousands of inhabitants)
  int postcode_min;  // the range of 4-digit postcode numbers used for its addresses
  int postcode_max;
  const char* area_code;  // telephone area code without the leading 0
};

struct Surname {
  const char* prefix;  // tussenvoegsel ("" when none)
  const char* name;
};

struct Weighted {
  const char* text;
  int weight;
};

std::span<const Municipality> Municipalities();
std::span<const Surname> Surnames();  // most common first
std::span<const char* const> Streets();
std::span<const Weighted> InitialLetters();
std::span<const Weighted> HouseNumberSuffixes();
std::span<const Weighted> ContactTopics();  // every topic (common::ContactTopics), background weights
// The topics a customer's contact about a CAK letter on the personal contribution is recorded
// under (a response to such a campaign), with their weights; each one of ContactTopics().
std::span<const Weighted> ResponseTopics();
std::span<const char* const> LongTermCareSummaries();   // WLZ
std::span<const char* const> SocialSupportSummaries();  // WMO
std::span<const char* const> BankCodes();               // 4-letter bank codes in NL IBANs
std::span<const char* const> EmailDomains();            // reserved example domains only

}  // namespace cak::tools::datagen
