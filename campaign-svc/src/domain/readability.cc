// Dutch plain-language check (see readability.h). One pass over the text decodes UTF-8 by
// hand and classifies code points with fixed tables, so the result depends on nothing but
// the text: no locale, no <cctype>, no dictionary.
#include "campaign-svc/src/domain/readability.h"

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace cak::campaign::domain {
namespace {

constexpr char32_t kReplacement = 0xFFFD;

// Decodes the code point at text[pos] and sets *len to its size in bytes. A malformed or
// truncated sequence is one byte long and decodes to U+FFFD, which is punctuation here.
char32_t Decode(absl::string_view text, size_t pos, int* len) {
  const auto c = static_cast<unsigned char>(text[pos]);
  *len = 1;
  if (c < 0x80) return c;
  int n;
  char32_t cp;
  if ((c & 0xE0) == 0xC0) {
    n = 2;
    cp = c & 0x1F;
  } else if ((c & 0xF0) == 0xE0) {
    n = 3;
    cp = c & 0x0F;
  } else if ((c & 0xF8) == 0xF0) {
    n = 4;
    cp = c & 0x07;
  } else {
    return kReplacement;
  }
  if (pos + n > text.size()) return kReplacement;
  for (int i = 1; i < n; ++i) {
    const auto cc = static_cast<unsigned char>(text[pos + i]);
    if ((cc & 0xC0) != 0x80) return kReplacement;
    cp = (cp << 6) | (cc & 0x3F);
  }
  *len = n;
  return cp;
}

void AppendUtf8(char32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

bool IsDigit(char32_t cp) { return cp >= '0' && cp <= '9'; }

bool IsLetter(char32_t cp) {
  if (cp < 0x80) return absl::ascii_isalpha(static_cast<unsigned char>(cp));
  if (cp >= 0xC0 && cp <= 0x24F) return cp != 0xD7 && cp != 0xF7;  // not × and ÷
  return (cp >= 0x370 && cp <= 0x3FF) || (cp >= 0x400 && cp <= 0x52F) || (cp >= 0x1E00 && cp <= 0x1EFF);
}

bool IsAlnum(char32_t cp) { return IsDigit(cp) || IsLetter(cp); }

bool IsLineBreak(char32_t cp) { return cp == '\n' || cp == '\r' || cp == 0x2028 || cp == 0x2029; }

bool IsSpace(char32_t cp) {
  switch (cp) {
    case ' ':
    case '\t':
    case '\v':
    case '\f':
    case 0xA0:    // no-break space, as in "€ 12,50"
    case 0x1680:  // ogham space mark
    case 0x202F:  // narrow no-break space
    case 0x205F:  // medium mathematical space
    case 0x3000:  // ideographic space
      return true;
    default:
      return IsLineBreak(cp) || (cp >= 0x2000 && cp <= 0x200A);
  }
}

// Closing quotes and brackets that may stand between a sentence's final mark and the space.
bool IsCloser(char32_t cp) {
  return cp == '"' || cp == '\'' || cp == ')' || cp == ']' || cp == 0x2019 || cp == 0x201D || cp == 0xBB;
}

// Opening quotes and brackets that may stand before a sentence's first word.
bool IsOpener(char32_t cp) {
  return cp == '"' || cp == '\'' || cp == '(' || cp == '[' || cp == 0x2018 || cp == 0x201C || cp == 0x201E ||
         cp == 0xAB;
}

// Lower case of the Latin (and basic Greek and Cyrillic) capitals; everything else unchanged.
char32_t FoldCase(char32_t cp) {
  if (cp < 0x80) return absl::ascii_tolower(static_cast<unsigned char>(cp));
  if (cp >= 0xC0 && cp <= 0xDE && cp != 0xD7) return cp + 0x20;
  if ((cp >= 0x100 && cp <= 0x137) || (cp >= 0x14A && cp <= 0x177)) return cp | 1;
  if ((cp >= 0x139 && cp <= 0x148) || (cp >= 0x179 && cp <= 0x17E)) return (cp & 1) ? cp + 1 : cp;
  if (cp == 0x178) return 0xFF;  // Ÿ
  if (cp >= 0x391 && cp <= 0x3AB && cp != 0x3A2) return cp + 0x20;
  if (cp >= 0x410 && cp <= 0x42F) return cp + 0x20;
  if (cp >= 0x400 && cp <= 0x40F) return cp + 0x50;
  return cp;
}

bool IsLowercaseLetter(char32_t cp) { return IsLetter(cp) && FoldCase(cp) == cp; }

// Sound classes of the accented Latin vowels: the base vowel, or the base vowel in upper case
// when it carries a diaeresis. Latin-1 à..ÿ, one character per code point from U+00E0.
constexpr absl::string_view kLatin1Classes = "aaaaAae#eeeEiiiI##ooooO#ouuuUy#Y";
struct VowelRange {
  char32_t first;
  char32_t last;
  char sound_class;
};
// Latin Extended-A, both cases (ĳ is spelled out as "ij" before it gets here).
constexpr VowelRange kExtendedAVowels[] = {
    {0x100, 0x105, 'a'}, {0x112, 0x11B, 'e'}, {0x128, 0x131, 'i'}, {0x14C, 0x151, 'o'},
    {0x152, 0x153, 'e'}, {0x168, 0x173, 'u'}, {0x176, 0x177, 'y'}, {0x178, 0x178, 'Y'},
};

// The sound class of a letter for syllable counting: the ASCII lower-case letter for ASCII
// letters, the base vowel for accented vowels, the base vowel in upper case for a vowel with
// a diaeresis (which starts a new syllable), '#' for any other consonant. `cp` is folded.
char SoundClass(char32_t cp) {
  if (cp < 0x80) return static_cast<char>(cp);
  if (cp >= 0xE0 && cp <= 0xFF) return kLatin1Classes[cp - 0xE0];
  for (const VowelRange& r : kExtendedAVowels) {
    if (cp >= r.first && cp <= r.last) return r.sound_class;
  }
  return '#';
}

bool IsVowelClass(char c) { return absl::string_view("aeiouyAEIOUY").find(c) != absl::string_view::npos; }

bool HasDiaeresis(char c) { return c >= 'A' && c <= 'Z'; }

char Base(char c) { return HasDiaeresis(c) ? static_cast<char>(c - 'A' + 'a') : c; }

constexpr absl::string_view kTrigraphs[] = {"aai", "ooi", "oei", "eeu", "ieu", "eau"};
constexpr absl::string_view kDigraphs[] = {"aa", "ee", "oo", "uu", "ie", "oe", "eu",
                                           "ui", "au", "ou", "ei", "ij", "ai", "oi"};

// English loanwords whose final e is silent, as word endings (a plural s may follow), with
// the shortest word they apply to ("ware" alone is Dutch and has two syllables).
struct SilentEnding {
  absl::string_view ending;
  int syllables_less;
  size_t min_length;
};
constexpr SilentEnding kSilentEndings[] = {
    {"update", 1, 0}, {"site", 1, 0},    {"service", 1, 0},  {"ware", 1, 5},
    {"online", 1, 0}, {"offline", 1, 0}, {"deadline", 2, 0}, {"phone", 1, 0},
};

// Whether the run's letters at `i` begin the vowel spelling `unit`. Only the first letter
// may carry a diaeresis: "ëi" in "beëindigen" is one group, "ië" in "België" two.
bool StartsUnit(absl::string_view run, size_t i, absl::string_view unit) {
  if (i + unit.size() > run.size() || Base(run[i]) != unit[0]) return false;
  for (size_t k = 1; k < unit.size(); ++k) {
    if (run[i + k] != unit[k]) return false;
  }
  return true;
}

// Syllables of one run of letters in sound classes (see SoundClass); at least 1.
int RunSyllables(absl::string_view run) {
  int count = 0;
  size_t i = 0;
  while (i < run.size()) {
    const char c = run[i];
    const bool consonant_y = Base(c) == 'y' && i + 1 < run.size() && IsVowelClass(run[i + 1]);
    if (!IsVowelClass(c) || consonant_y) {
      ++i;
      continue;
    }
    ++count;
    size_t len = 1;
    for (absl::string_view unit : kTrigraphs) {
      if (StartsUnit(run, i, unit)) len = 3;
    }
    if (len == 1) {
      for (absl::string_view unit : kDigraphs) {
        if (StartsUnit(run, i, unit)) len = 2;
      }
    }
    i += len;
  }
  absl::string_view stem = run;
  if (!stem.empty() && stem.back() == 's') stem.remove_suffix(1);
  for (const SilentEnding& e : kSilentEndings) {
    if (stem.size() >= e.min_length && absl::EndsWith(stem, e.ending) && count > e.syllables_less) {
      count -= e.syllables_less;
      break;
    }
  }
  return count > 0 ? count : 1;
}

// End of the placeholder "{name}" (name in [a-z_]) that starts at text[pos], or 0.
size_t PlaceholderEnd(absl::string_view text, size_t pos) {
  if (pos >= text.size() || text[pos] != '{') return 0;
  size_t i = pos + 1;
  while (i < text.size() && (absl::ascii_islower(static_cast<unsigned char>(text[i])) || text[i] == '_')) ++i;
  if (i == pos + 1 || i >= text.size() || text[i] != '}') return 0;
  return i + 1;
}

struct WordCount {
  int syllables = 0;
  int letters = 0;
};

// Syllables and letters of `word`; `run` is scratch space for the sound classes of one run of
// letters (kept by the caller so that a long text reuses one buffer).
WordCount CountWord(absl::string_view word, std::string* run) {
  WordCount wc;
  if (PlaceholderEnd(word, 0) == word.size() && !word.empty()) {
    wc.syllables = kPlaceholderSyllables;
    return wc;
  }
  run->clear();
  bool in_digits = false;
  for (size_t pos = 0; pos < word.size();) {
    int len;
    const char32_t cp = Decode(word, pos, &len);
    pos += len;
    if ((cp == '\'' || cp == 0x2019) && !run->empty()) continue;  // "auto's" is au-to's
    if (IsLetter(cp)) {
      ++wc.letters;
      const char32_t folded = FoldCase(cp);
      if (folded == 0x133) {  // the ligature ĳ
        run->append("ij");
      } else {
        run->push_back(SoundClass(folded));
      }
      in_digits = false;
      continue;
    }
    if (!run->empty()) {
      wc.syllables += RunSyllables(*run);
      run->clear();
    }
    if (IsDigit(cp)) {
      if (!in_digits) ++wc.syllables;
      in_digits = true;
    } else {
      in_digits = false;
    }
  }
  if (!run->empty()) wc.syllables += RunSyllables(*run);
  return wc;
}

// Whether the token before a sentence-ending dot is an abbreviation, so the dot is not the
// end of a sentence. `word` is the token without that final dot.
constexpr absl::string_view kAbbreviations[] = {
    "afd", "apr", "art", "aug",  "bijv", "blz", "bv",   "ca",  "dec", "dhr", "dr",  "drs",
    "enz", "etc", "evt", "excl", "feb",  "hr",  "incl", "ing", "ir",  "jan", "jl",  "jr",
    "jul", "jun", "max", "min",  "mr",   "mrt", "mevr", "mw",  "nl",  "nov", "nr",  "nrs",
    "okt", "ong", "pag", "prof", "resp", "sep", "sept", "sr",  "st",  "tel", "vgl", "zgn",
};

bool IsAbbreviation(absl::string_view word) {
  // Single letters joined by dots ("o.a", "d.w.z", "m.b.t") and initials ("J"; not "u").
  bool letters_and_dots = true;
  int letters_in_part = 0;
  int parts = 1;
  char32_t first = 0;
  for (size_t pos = 0; pos < word.size() && letters_and_dots;) {
    int len;
    const char32_t cp = Decode(word, pos, &len);
    pos += len;
    if (first == 0) first = cp;
    if (cp == '.') {
      letters_and_dots = letters_in_part == 1;
      letters_in_part = 0;
      ++parts;
    } else if (IsLetter(cp)) {
      letters_and_dots = ++letters_in_part == 1;
    } else {
      letters_and_dots = false;
    }
  }
  if (letters_and_dots && letters_in_part == 1 && (parts > 1 || !IsLowercaseLetter(first))) return true;
  if (word.size() > 4) return false;
  char lower[5];
  for (size_t i = 0; i < word.size(); ++i) lower[i] = absl::ascii_tolower(static_cast<unsigned char>(word[i]));
  const absl::string_view key(lower, word.size());
  for (absl::string_view a : kAbbreviations) {
    if (a == key) return true;
  }
  return false;
}

bool AllDigits(absl::string_view word) {
  for (char c : word) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
  }
  return !word.empty();
}

// One decimal, with a decimal comma as Dutch readers expect: 42.25 -> "42,3".
std::string FormatDutchDecimal(double v) {
  long long tenths = std::llround(v * 10);
  std::string out;
  if (tenths < 0) {
    out = "-";
    tenths = -tenths;
  }
  absl::StrAppend(&out, tenths / 10, ",", tenths % 10);
  return out;
}

std::string CollapseSpaces(absl::string_view text) {
  std::string out;
  out.reserve(text.size());
  bool space = false;
  for (size_t pos = 0; pos < text.size();) {
    int len;
    const char32_t cp = Decode(text, pos, &len);
    if (IsSpace(cp)) {
      space = true;
    } else {
      if (space && !out.empty()) out.push_back(' ');
      space = false;
      out.append(text.data() + pos, len);
    }
    pos += len;
  }
  return out;
}

std::string FoldKey(absl::string_view word) {
  std::string key;
  key.reserve(word.size());
  for (size_t pos = 0; pos < word.size();) {
    int len;
    AppendUtf8(FoldCase(Decode(word, pos, &len)), &key);
    pos += len;
  }
  return key;
}

// "1", "1 en 2", "1, 2 en 3".
std::string DutchList(const std::vector<LongSentence>& sentences) {
  std::string out;
  for (size_t i = 0; i < sentences.size(); ++i) {
    if (i > 0) out += i + 1 == sentences.size() ? " en " : ", ";
    absl::StrAppend(&out, sentences[i].index);
  }
  return out;
}

// The single pass over a text: words feed the current sentence, sentence ends close it.
class Assessor {
 public:
  explicit Assessor(absl::string_view text, Readability* r) : text_(text), r_(r) {}

  void Run() {
    size_t pos = 0;
    while (pos < text_.size()) {
      int len;
      const char32_t cp = Decode(text_, pos, &len);
      if (cp == '{') {
        if (const size_t end = PlaceholderEnd(text_, pos); end != 0) {
          AddWord(pos, end, /*placeholder=*/true);
          pos = end;
          continue;
        }
      }
      if (IsAlnum(cp)) {
        const size_t end = WordEnd(pos);
        AddWord(pos, end, /*placeholder=*/false);
        pos = end;
      } else if (cp == '.' || cp == '!' || cp == '?' || cp == ':' || cp == 0x2026) {
        pos = SentenceMarks(pos);
      } else if (IsLineBreak(cp)) {
        pos = LineBreak(pos, cp, len);
      } else {
        pos += len;
      }
    }
    EndSentence();
  }

  int words() const { return words_; }
  int64_t syllables() const { return syllables_; }

 private:
  // End of the word that starts at text_[pos], a letter or digit.
  size_t WordEnd(size_t pos) const {
    bool prev_letter = false;
    bool prev_digit = false;
    while (pos < text_.size()) {
      int len;
      const char32_t cp = Decode(text_, pos, &len);
      if (IsAlnum(cp)) {
        prev_letter = IsLetter(cp);
        prev_digit = !prev_letter;
        pos += len;
        continue;
      }
      if (pos + len >= text_.size()) break;
      int next_len;
      const char32_t next = Decode(text_, pos + len, &next_len);
      bool joins = false;
      switch (cp) {
        case '-':
        case 0x2010:  // hyphen
        case 0x2011:  // non-breaking hyphen
        case '.':
        case '@':
          joins = IsAlnum(next);
          break;
        case '\'':
        case 0x2019:  // right single quotation mark, the typographic apostrophe
          joins = prev_letter && IsLetter(next);
          break;
        case ',':
        case ':':
          joins = prev_digit && IsDigit(next);
          break;
        default:
          break;
      }
      if (!joins) break;
      pos += len;
    }
    return pos;
  }

  void AddWord(size_t begin, size_t end, bool placeholder) {
    const absl::string_view word = text_.substr(begin, end - begin);
    const WordCount wc = CountWord(word, &scratch_);
    ++words_;
    syllables_ += wc.syllables;
    if (++sentence_words_ == 1) sentence_begin_ = begin;
    if (sentence_words_ <= kSentenceStartWords) sentence_start_end_ = end;
    last_word_begin_ = begin;
    last_word_end_ = end;
    if (!placeholder && wc.letters > 0 && (wc.syllables > kLongWordSyllables || wc.letters > kLongWordLetters)) {
      AddLongWord(word);
    }
  }

  void AddLongWord(absl::string_view word) {
    if (r_->long_words.size() >= static_cast<size_t>(kMaxLongWords)) return;
    std::string key = FoldKey(word);
    for (const std::string& seen : long_word_keys_) {
      if (seen == key) return;
    }
    long_word_keys_.push_back(std::move(key));
    r_->long_words.emplace_back(word);
  }

  // Handles a run of sentence marks at text_[pos]; returns where scanning goes on.
  size_t SentenceMarks(size_t pos) {
    size_t p = pos;
    bool only_dots = true;
    int marks = 0;
    while (p < text_.size()) {
      int len;
      const char32_t cp = Decode(text_, p, &len);
      if (cp == '.' || cp == 0x2026) {
        ++marks;
      } else if (cp == '!' || cp == '?' || cp == ':') {
        ++marks;
        only_dots = false;
      } else {
        break;
      }
      p += len;
    }
    while (p < text_.size()) {
      int len;
      if (!IsCloser(Decode(text_, p, &len))) break;
      p += len;
    }
    if (p < text_.size()) {
      int len;
      if (!IsSpace(Decode(text_, p, &len))) return p;  // "a.b" or ".," : not an end
    }
    if (only_dots) {
      const absl::string_view last = text_.substr(last_word_begin_, last_word_end_ - last_word_begin_);
      const bool right_after_word = last_word_end_ == pos && sentence_words_ > 0;
      if (right_after_word && marks == 1 && text_[pos] == '.') {
        if (IsAbbreviation(last)) return p;
        if (sentence_words_ == 1 && AllDigits(last)) return p;  // "1. " of a numbered list
      }
      if (NextWordStartsLowercase(p)) return p;
    }
    EndSentence();
    return p;
  }

  // Whether the next visible character after `pos`, past white space within the line and
  // opening quotes, is a lower-case letter.
  bool NextWordStartsLowercase(size_t pos) const {
    while (pos < text_.size()) {
      int len;
      const char32_t cp = Decode(text_, pos, &len);
      if (IsSpace(cp) || IsOpener(cp)) {
        pos += len;
        continue;
      }
      return IsLowercaseLetter(cp);
    }
    return false;
  }

  // A line break at text_[pos] (code point `cp`, `len` bytes): a blank line or a paragraph
  // separator ends the sentence, and so does a single break unless the next line starts
  // with a lower-case letter.
  size_t LineBreak(size_t pos, char32_t cp, int len) {
    size_t p = pos + len;
    if (cp == '\r' && p < text_.size() && text_[p] == '\n') ++p;
    bool ends = cp == 0x2029;
    size_t q = p;
    while (!ends && q < text_.size()) {
      int next_len;
      const char32_t next = Decode(text_, q, &next_len);
      if (IsLineBreak(next)) {
        ends = true;
      } else if (IsSpace(next)) {
        q += next_len;
      } else {
        ends = !IsLowercaseLetter(next);
        break;
      }
    }
    if (ends || q >= text_.size()) EndSentence();
    return p;
  }

  void EndSentence() {
    if (sentence_words_ == 0) return;
    ++r_->sentences;
    if (sentence_words_ > kLongSentenceWords) {
      r_->long_sentences.push_back(
          {r_->sentences, sentence_words_,
           CollapseSpaces(text_.substr(sentence_begin_, sentence_start_end_ - sentence_begin_))});
    }
    sentence_words_ = 0;
  }

  const absl::string_view text_;
  Readability* const r_;
  int words_ = 0;
  int64_t syllables_ = 0;
  int sentence_words_ = 0;
  size_t sentence_begin_ = 0;
  size_t sentence_start_end_ = 0;
  size_t last_word_begin_ = 0;
  size_t last_word_end_ = 0;
  std::string scratch_;
  std::vector<std::string> long_word_keys_;
};

}  // namespace

int DutchSyllables(absl::string_view word) {
  std::string run;
  return CountWord(word, &run).syllables;
}

Readability AssessDutch(absl::string_view text) {
  Readability r;
  Assessor assessor(text, &r);
  assessor.Run();
  r.words = assessor.words();
  if (r.words == 0) {
    r.sentences = 0;
    bool blank = true;
    for (size_t pos = 0; pos < text.size() && blank;) {
      int len;
      blank = IsSpace(Decode(text, pos, &len));
      pos += len;
    }
    r.warnings.push_back(blank ? "De tekst is leeg." : "De tekst bevat geen woorden.");
    return r;
  }
  // Every word belongs to a sentence, so sentences >= 1 here.
  r.words_per_sentence = static_cast<double>(r.words) / r.sentences;
  r.syllables_per_word = static_cast<double>(assessor.syllables()) / r.words;
  r.flesch_douma = 206.84 - 0.77 * (100.0 * r.syllables_per_word) - 0.93 * r.words_per_sentence;
  r.level = r.flesch_douma >= 80 ? "A2" : r.flesch_douma >= 60 ? "B1" : r.flesch_douma >= 50 ? "B2" : "C1";
  r.below_b1 = r.flesch_douma < 60;

  if (r.below_b1) {
    r.warnings.push_back(
        absl::StrCat("Het taalniveau is hoger dan B1 (Flesch-Douma ", FormatDutchDecimal(r.flesch_douma), ")."));
  }
  if (r.long_sentences.size() == 1) {
    const LongSentence& s = r.long_sentences.front();
    r.warnings.push_back(absl::StrCat("Zin ", s.index, " heeft ", s.words, " woorden; schrijf zinnen van hoogstens ",
                                      kLongSentenceWords, " woorden."));
  } else if (r.long_sentences.size() > 1) {
    r.warnings.push_back(absl::StrCat(r.long_sentences.size(), " zinnen hebben meer dan ", kLongSentenceWords,
                                      " woorden (zin ", DutchList(r.long_sentences), "); schrijf zinnen van hoogstens ",
                                      kLongSentenceWords, " woorden."));
  }
  const std::string long_word_rule =
      absl::StrCat("(meer dan ", kLongWordSyllables, " lettergrepen of ", kLongWordLetters, " letters)");
  if (r.long_words.size() == 1) {
    r.warnings.push_back(absl::StrCat("Het woord \"", r.long_words.front(), "\" is lang ", long_word_rule,
                                      "; kies waar het kan een korter woord."));
  } else if (r.long_words.size() > 1) {
    r.warnings.push_back(absl::StrCat("De tekst heeft ", r.long_words.size(),
                                      r.long_words.size() >= static_cast<size_t>(kMaxLongWords) ? " of meer" : "",
                                      " lange woorden ", long_word_rule, "; kies waar het kan kortere woorden."));
  }
  return r;
}

}  // namespace cak::campaign::domain
