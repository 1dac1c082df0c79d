// Dutch plain-language check of message texts (step 5, *formuleren boodschap*): the
// Flesch-Douma reading ease, the language level it stands for, and the sentences and words
// that make a text hard. CAK writes to customers at B1; the check helps the campaign designer
// and the approver see where a letter, call script or contact moment is harder than that. It
// advises and never blocks: the report is stored with each message version and returned by
// CheckPlainLanguage.
//
// The counting is a deterministic approximation that needs no dictionary or locale:
// - Words are runs of letters and digits. A hyphen between two of them ("e-mail",
//   "Wlz-bijdrage"), an apostrophe between letters ("auto's"), a dot or @ inside a token
//   ("o.a", "www.hetcak.nl") and a dot, comma or colon between digits ("12.500", "12,50",
//   "1.1.2027", "10:30") keep one word together. A placeholder such as {aanhef} is one word
//   of 2 syllables, whatever it will be replaced with. Letters are those of the Latin
//   scripts (ASCII, Latin-1, Latin Extended-A/B and Additional) plus Greek and Cyrillic.
// - Syllables: see DutchSyllables.
// - A sentence ends at '.', '!', '?', ':' or '…' followed by white space or the end of the text
//   (closing quotes and brackets may come in between), at a blank line, and at a line break
//   unless the next line starts with a lower-case letter (then it is a wrapped line of the
//   same sentence); so "Geachte {aanhef}," on its own line is a sentence of its own. A dot
//   does not end a sentence after a known abbreviation ("bijv.", "nr.", "dhr."), after
//   single letters with dots ("o.a.", "d.w.z."), after an initial ("J.", a single capital;
//   "voor u." does end a sentence), after the number of a numbered list item ("1."), or
//   when the next word starts with a lower-case letter.
//   Only sentences that contain a word count.
#pragma once

#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace cak::campaign::domain {

// Thresholds of the report (CAK's writing guideline for customer letters).
inline constexpr int kLongSentenceWords = 20;    // a sentence with more words is long
inline constexpr int kLongWordSyllables = 4;     // a word with more syllables is long
inline constexpr int kLongWordLetters = 15;      // ... and so is a word with more letters
inline constexpr int kMaxLongWords = 50;         // long words listed at most
inline constexpr int kSentenceStartWords = 8;    // words quoted from a long sentence
inline constexpr int kPlaceholderSyllables = 2;  // what a placeholder counts for

struct LongSentence {
  int index = 0;      // 1-based number of the sentence in the text
  int words = 0;      // its word count
  std::string start;  // its first kSentenceStartWords words as written, white space collapsed
};

struct Readability {
  // 206.84 - 0.77 * (syllables per 100 words) - 0.93 * (words per sentence); higher is easier.
  // Not clamped: very simple text can score above 100. 0 for a text without words.
  double flesch_douma = 0;
  std::string level;      // "A2" (>= 80), "B1" (>= 60), "B2" (>= 50), "C1" (below); "" without words
  bool below_b1 = false;  // harder than B1, CAK's norm for customer texts
  int sentences = 0;
  int words = 0;
  double words_per_sentence = 0;
  double syllables_per_word = 0;
  std::vector<LongSentence> long_sentences;  // more than kLongSentenceWords words, in text order
  // Words of more than kLongWordSyllables syllables or kLongWordLetters letters, as first
  // written, each once (compared case-insensitively), in order of appearance, at most
  // kMaxLongWords. Numbers and placeholders are never long words.
  std::vector<std::string> long_words;
  // For the campaign designer, in Dutch, e.g. "Het taalniveau is hoger dan B1 (Flesch-Douma
  // 42,3)."; empty when the text is at B1 or easier without long sentences or long words.
  std::vector<std::string> warnings;
};

// Assesses `text`, Dutch in UTF-8 (malformed bytes count as punctuation). Never fails: an
// empty or blank text gives zero counts, level "" and the single warning "De tekst is leeg.".
// Linear in the length of the text.
Readability AssessDutch(absl::string_view text);

// Syllables of one Dutch word, spelled as in a text (any case, diacritics allowed).
//
// Every vowel group is a syllable, where a group is one of the Dutch vowel spellings (aai,
// ooi, oei, eeu, ieu, eau; aa, ee, oo, uu, ie, oe, eu, ui, au, ou, ei, ij, ai, oi) or else a
// single vowel, found greedily from the left: "ideaal" is i-e-aal (3), "bijdrage" 3. A
// diaeresis starts a new group ("België" 3, "ruïne" 3, "beëindigen" 4); y before a vowel is a
// consonant ("loyaal" 2). A few English loanwords lose their silent final e ("update",
// "website", "service", "software", "online", "deadline", "smartphone"). Each run of letters
// counts at least 1 ("Wlz", "CAK") and each group of digits exactly 1 ("12.500" 2, "B1" 2).
// A placeholder ("{aanhef}") counts kPlaceholderSyllables. 0 when `word` has no letters or
// digits. Characters other than letters, digits and apostrophes separate the parts of a
// compound ("e-mail" = e + mail, "auto's" = 2).
int DutchSyllables(absl::string_view word);

}  // namespace cak::campaign::domain
