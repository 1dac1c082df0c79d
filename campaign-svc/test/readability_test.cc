// The Dutch plain-language check: syllables of real Dutch words, sentence and word counting
// (abbreviations, numbers, placeholders, line breaks), the Flesch-Douma formula and its
// levels, and the long sentences and words a campaign designer is pointed at.
#include "campaign-svc/src/domain/readability.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

namespace cak::campaign::domain {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

// 206.84 - 0.77 * syllables per 100 words - 0.93 * words per sentence, computed by hand
// below from the counts so that a wrong formula and a wrong count both show.
double FleschDouma(double syllables, double words, double sentences) {
  return 206.84 - 0.77 * (100 * syllables / words) - 0.93 * (words / sentences);
}

TEST(DutchSyllablesTest, CommonWords) {
  EXPECT_EQ(DutchSyllables("bijdrage"), 3);          // bij-dra-ge
  EXPECT_EQ(DutchSyllables("eigen"), 2);             // ei-gen
  EXPECT_EQ(DutchSyllables("zorgverzekering"), 5);   // zorg-ver-ze-ke-ring
  EXPECT_EQ(DutchSyllables("ondersteuning"), 4);     // on-der-steu-ning
  EXPECT_EQ(DutchSyllables("maatschappelijke"), 5);  // maat-schap-pe-lij-ke
  EXPECT_EQ(DutchSyllables("vriendelijke"), 4);      // vrien-de-lij-ke
  EXPECT_EQ(DutchSyllables("uitgebreid"), 3);        // uit-ge-breid
  EXPECT_EQ(DutchSyllables("kwijtschelding"), 3);    // kwijt-schel-ding
  EXPECT_EQ(DutchSyllables("gemeente"), 3);          // ge-meen-te
  EXPECT_EQ(DutchSyllables("premie"), 2);            // pre-mie
  EXPECT_EQ(DutchSyllables("hierbij"), 2);           // hier-bij
  EXPECT_EQ(DutchSyllables("u"), 1);
  EXPECT_EQ(DutchSyllables("brief"), 1);
}

TEST(DutchSyllablesTest, VowelSequencesThatAreTwoSyllables) {
  EXPECT_EQ(DutchSyllables("ideaal"), 3);       // i-de-aal: "ea" is no Dutch vowel
  EXPECT_EQ(DutchSyllables("Geachte"), 3);      // ge-ach-te
  EXPECT_EQ(DutchSyllables("theater"), 3);      // the-a-ter
  EXPECT_EQ(DutchSyllables("situatie"), 4);     // si-tu-a-tie
  EXPECT_EQ(DutchSyllables("januari"), 4);      // ja-nu-a-ri
  EXPECT_EQ(DutchSyllables("individueel"), 5);  // in-di-vi-du-eel
}

TEST(DutchSyllablesTest, ThreeLetterVowels) {
  EXPECT_EQ(DutchSyllables("nieuwe"), 2);  // nieu-we
  EXPECT_EQ(DutchSyllables("eeuw"), 1);
  EXPECT_EQ(DutchSyllables("mooie"), 2);   // mooi-e
  EXPECT_EQ(DutchSyllables("haaien"), 2);  // haai-en
  EXPECT_EQ(DutchSyllables("bureau"), 2);  // bu-reau
  EXPECT_EQ(DutchSyllables("niveau"), 2);  // ni-veau
}

TEST(DutchSyllablesTest, DiaeresisStartsASyllable) {
  EXPECT_EQ(DutchSyllables("België"), 3);       // Bel-gi-ë
  EXPECT_EQ(DutchSyllables("BELGIË"), 3);       // capitals too
  EXPECT_EQ(DutchSyllables("ruïne"), 3);        // ru-ï-ne
  EXPECT_EQ(DutchSyllables("financiële"), 5);   // fi-nan-ci-ë-le
  EXPECT_EQ(DutchSyllables("beëindigen"), 4);   // be-ëin-di-gen
  EXPECT_EQ(DutchSyllables("coördinatie"), 5);  // co-ör-di-na-tie
  EXPECT_EQ(DutchSyllables("ideeën"), 3);       // i-dee-ën
  EXPECT_EQ(DutchSyllables("zeeën"), 2);        // zee-ën
  EXPECT_EQ(DutchSyllables("naïef"), 2);        // na-ïef
  EXPECT_EQ(DutchSyllables("geüpdatet"), 4);    // ge-üp-da-tet
}

TEST(DutchSyllablesTest, IjAndY) {
  EXPECT_EQ(DutchSyllables("IJsselmeer"), 3);  // IJs-sel-meer
  EXPECT_EQ(DutchSyllables("\xC4\xB3s"), 1);   // "ĳs" with the ligature
  EXPECT_EQ(DutchSyllables("systeem"), 2);     // sys-teem
  EXPECT_EQ(DutchSyllables("loyaal"), 2);      // lo-yaal: y before a vowel is a consonant
}

TEST(DutchSyllablesTest, LoanwordsWithSilentFinalE) {
  EXPECT_EQ(DutchSyllables("update"), 2);
  EXPECT_EQ(DutchSyllables("updates"), 2);
  EXPECT_EQ(DutchSyllables("website"), 2);
  EXPECT_EQ(DutchSyllables("service"), 2);
  EXPECT_EQ(DutchSyllables("software"), 2);
  EXPECT_EQ(DutchSyllables("ware"), 2);  // Dutch: "de ware"
  EXPECT_EQ(DutchSyllables("online"), 2);
  EXPECT_EQ(DutchSyllables("deadline"), 2);
}

TEST(DutchSyllablesTest, CompoundsAcronymsNumbersAndPlaceholders) {
  EXPECT_EQ(DutchSyllables("e-mail"), 2);
  EXPECT_EQ(DutchSyllables("auto's"), 2);
  EXPECT_EQ(DutchSyllables("zo'n"), 1);
  EXPECT_EQ(DutchSyllables("Wlz"), 1);  // a run of letters counts at least 1
  EXPECT_EQ(DutchSyllables("CAK"), 1);
  EXPECT_EQ(DutchSyllables("Wlz-bijdrage"), 4);
  EXPECT_EQ(DutchSyllables("2027"), 1);  // one per group of digits
  EXPECT_EQ(DutchSyllables("12.500"), 2);
  EXPECT_EQ(DutchSyllables("1.1.2027"), 3);
  EXPECT_EQ(DutchSyllables("B1"), 2);
  EXPECT_EQ(DutchSyllables("{aanhef}"), 2);
  EXPECT_EQ(DutchSyllables("{naam_geadresseerde}"), 2);
  EXPECT_EQ(DutchSyllables(""), 0);
  EXPECT_EQ(DutchSyllables("..."), 0);
}

TEST(AssessDutchTest, AppliesTheFleschDoumaFormula) {
  // Wij(1) be-ta-len(3) u(1) te-rug(2) / Dat(1) doen(1) wij(1) snel(1): 8 words, 11 syllables.
  const Readability r = AssessDutch("Wij betalen u terug. Dat doen wij snel.");
  EXPECT_EQ(r.sentences, 2);
  EXPECT_EQ(r.words, 8);
  EXPECT_DOUBLE_EQ(r.words_per_sentence, 4.0);
  EXPECT_DOUBLE_EQ(r.syllables_per_word, 11.0 / 8);
  EXPECT_NEAR(r.flesch_douma, 97.245, 1e-9);
  EXPECT_NEAR(r.flesch_douma, FleschDouma(11, 8, 2), 1e-9);
  EXPECT_EQ(r.level, "A2");
  EXPECT_FALSE(r.below_b1);
  EXPECT_THAT(r.warnings, IsEmpty());
}

// Three sentences of 10 words with 15, 16 and 18 syllables: reading ease 82.0, 74.3, 58.9.
TEST(AssessDutchTest, LevelFollowsTheReadingEase) {
  Readability a2 = AssessDutch("Wij sturen u een brief over uw eigen bijdrage nu.");
  EXPECT_EQ(a2.words, 10);
  EXPECT_NEAR(a2.flesch_douma, FleschDouma(15, 10, 1), 1e-9);
  EXPECT_EQ(a2.level, "A2");
  EXPECT_FALSE(a2.below_b1);

  Readability b1 = AssessDutch("Wij sturen u deze brief over uw eigen bijdrage nu.");
  EXPECT_NEAR(b1.flesch_douma, FleschDouma(16, 10, 1), 1e-9);
  EXPECT_EQ(b1.level, "B1");
  EXPECT_FALSE(b1.below_b1);
  EXPECT_THAT(b1.warnings, IsEmpty());

  Readability b2 = AssessDutch("Wij sturen deze brieven over uw eigen bijdrage voor thuiszorg.");
  EXPECT_EQ(b2.words, 10);
  EXPECT_NEAR(b2.flesch_douma, FleschDouma(18, 10, 1), 1e-9);
  EXPECT_EQ(b2.level, "B2");
  EXPECT_TRUE(b2.below_b1);
  EXPECT_THAT(b2.warnings, ElementsAre("Het taalniveau is hoger dan B1 (Flesch-Douma 58,9)."));
}

TEST(AssessDutchTest, PlainLetterIsB1OrEasier) {
  const Readability r = AssessDutch(
      "Geachte {aanhef},\n"
      "\n"
      "U krijgt deze brief omdat wij een fout hebben gemaakt. Uw eigen bijdrage voor de zorg was "
      "te hoog. Dat spijt ons. Wij betalen het geld terug. U hoeft daar niets voor te doen. Het "
      "geld staat binnen vier weken op uw rekening.\n"
      "\n"
      "Heeft u vragen? Bel ons dan op 0800 1925.\n"
      "\n"
      "Met vriendelijke groet,\n"
      "\n"
      "Het CAK\n");
  EXPECT_EQ(r.sentences, 11);
  EXPECT_EQ(r.words, 59);
  EXPECT_GE(r.flesch_douma, 60);
  EXPECT_FALSE(r.below_b1);
  EXPECT_TRUE(r.level == "A2" || r.level == "B1") << r.level;
  EXPECT_THAT(r.long_sentences, IsEmpty());
  EXPECT_THAT(r.long_words, IsEmpty());
  EXPECT_THAT(r.warnings, IsEmpty());
}

TEST(AssessDutchTest, BureaucraticTextIsBelowB1WithItsLongSentenceAndWords) {
  const Readability r = AssessDutch(
      "Als gevolg van gewijzigde inkomensgegevens van de Belastingdienst informeren wij u hierbij over "
      "de herberekening van de eigen bijdrage die in het kader van de Wet langdurige zorg noodzakelijk "
      "is. Deze tegemoetkoming wordt verrekend met de maandelijkse voorschotbetalingen. De "
      "Herberekening volgt.");
  EXPECT_EQ(r.sentences, 3);
  EXPECT_EQ(r.words, 30 + 8 + 3);
  EXPECT_LT(r.flesch_douma, 60);
  EXPECT_TRUE(r.below_b1);
  ASSERT_EQ(r.long_sentences.size(), 1u);
  EXPECT_EQ(r.long_sentences[0].index, 1);
  EXPECT_EQ(r.long_sentences[0].words, 30);
  EXPECT_EQ(r.long_sentences[0].start, "Als gevolg van gewijzigde inkomensgegevens van de Belastingdienst");
  // Belastingdienst has 15 letters and 4 syllables: just not long. Herberekening once.
  EXPECT_THAT(r.long_words, ElementsAre("inkomensgegevens", "herberekening", "tegemoetkoming", "voorschotbetalingen"));
  ASSERT_EQ(r.warnings.size(), 3u);
  EXPECT_EQ(r.warnings[0].rfind("Het taalniveau is hoger dan B1 (Flesch-Douma ", 0), 0u) << r.warnings[0];
  EXPECT_EQ(r.warnings[1], "Zin 1 heeft 30 woorden; schrijf zinnen van hoogstens 20 woorden.");
  EXPECT_EQ(r.warnings[2],
            "De tekst heeft 4 lange woorden (meer dan 4 lettergrepen of 15 letters); kies waar het kan kortere "
            "woorden.");
}

TEST(AssessDutchTest, ASentenceOfTwentyWordsIsNotLong) {
  const std::string twenty =
      "Een twee drie vier vijf zes zeven acht negen tien een twee drie vier vijf zes zeven "
      "acht negen tien.";
  EXPECT_THAT(AssessDutch(twenty).long_sentences, IsEmpty());
  const Readability r = AssessDutch("Kort. " + twenty.substr(0, twenty.size() - 1) + " elf. Kort.");
  ASSERT_EQ(r.long_sentences.size(), 1u);
  EXPECT_EQ(r.long_sentences[0].index, 2);
  EXPECT_EQ(r.long_sentences[0].words, 21);
  EXPECT_EQ(r.long_sentences[0].start, "Een twee drie vier vijf zes zeven acht");
}

TEST(AssessDutchTest, AbbreviationsAndNumbersDoNotEndASentence) {
  const Readability r = AssessDutch(
      "U betaalt o.a. de eigen bijdrage, bijv. voor zorg thuis. Het bedrag is € 12,50 per maand, "
      "d.w.z. € 150 per jaar. De regeling geldt sinds 1.1.2027 voor 12.500 klanten met dossier nr. "
      "17 en dhr. J. Jansen weet ervan.");
  EXPECT_EQ(r.sentences, 3);
  // 10 + 10 + 18 words; "o.a", "d.w.z", "12,50", "1.1.2027" and "12.500" are one word each.
  EXPECT_EQ(r.words, 38);
}

TEST(AssessDutchTest, SentenceMarksEndSentences) {
  EXPECT_EQ(AssessDutch("Kijk op www.hetcak.nl. Daar staat alles.").sentences, 2);
  EXPECT_EQ(AssessDutch("Heeft u vragen? Bel ons! Let op: dit is belangrijk.").sentences, 4);
  EXPECT_EQ(AssessDutch("Wij zeggen \"Dank u.\" Dan gaan wij.").sentences, 2);
  EXPECT_EQ(AssessDutch("Dit geldt voor u. Wij helpen.").sentences, 2);  // "u." is no initial
  EXPECT_EQ(AssessDutch("Dat is het... Of niet?").sentences, 2);
  EXPECT_EQ(AssessDutch("Het is 10:30 uur. Kom op tijd").sentences, 2);  // the end of the text ends one too
  // An unknown abbreviation followed by a lower-case word keeps the sentence together.
  EXPECT_EQ(AssessDutch("Zie hfdst. drie voor meer informatie. Dat is handig.").sentences, 2);
  EXPECT_EQ(AssessDutch("Neem contact op met afd. klantcontact.").sentences, 1);
  // A numbered list item's number is not a sentence of its own.
  EXPECT_EQ(AssessDutch("1. Betaal op tijd.\n2. Bel ons bij vragen.").sentences, 2);
}

TEST(AssessDutchTest, LineBreaksEndParagraphsButNotWrappedLines) {
  const Readability salutation = AssessDutch("Geachte {aanhef},\nWij schrijven u over uw bijdrage.");
  EXPECT_EQ(salutation.sentences, 2);
  EXPECT_EQ(salutation.words, 8);
  EXPECT_EQ(AssessDutch("Wij schrijven u\nomdat er iets mis ging.").sentences, 1);
  EXPECT_EQ(AssessDutch("Wij schrijven u\r\n\r\nomdat er iets mis ging.").sentences, 2);  // blank line
  EXPECT_EQ(AssessDutch("- Betaal op tijd\n- Bel ons bij vragen").sentences, 2);
}

TEST(AssessDutchTest, PlaceholdersAreOrdinaryWords) {
  // Ge-ach-te(3) + {aanhef}(2); {naam}(2) heeft(1) {bedrag}(2) be-taald(2).
  const Readability r = AssessDutch("Geachte {aanhef},\n\n{naam} heeft {bedrag} betaald.");
  EXPECT_EQ(r.sentences, 2);
  EXPECT_EQ(r.words, 6);
  EXPECT_DOUBLE_EQ(r.syllables_per_word, 12.0 / 6);
  EXPECT_NEAR(r.flesch_douma, FleschDouma(12, 6, 2), 1e-9);
  // Neither braces nor underscores are letters: this placeholder is not a long word.
  const Readability named = AssessDutch("Beste {naam_geadresseerde}.");
  EXPECT_EQ(named.words, 2);
  EXPECT_THAT(named.long_words, IsEmpty());
  // Something that is not a placeholder is just punctuation around a word.
  EXPECT_EQ(AssessDutch("Beste { Naam }.").words, 2);
}

TEST(AssessDutchTest, LongWordsOncePerWordAndCapped) {
  std::string text;
  for (int i = 0; i < 60; ++i) text += "arbeidsongeschiktheidsuitkering" + std::to_string(i) + "a. ";
  text += "Arbeidsongeschiktheidsuitkering0a.";
  const Readability r = AssessDutch(text);
  EXPECT_EQ(r.long_words.size(), 50u);
  EXPECT_EQ(r.long_words.front(), "arbeidsongeschiktheidsuitkering0a");
  EXPECT_EQ(r.warnings.back(),
            "De tekst heeft 50 of meer lange woorden (meer dan 4 lettergrepen of 15 letters); kies waar het kan "
            "kortere woorden.");
  // A long number is not a long word.
  EXPECT_THAT(AssessDutch("Het kenmerk is 1234567890123456789.").long_words, IsEmpty());
}

TEST(AssessDutchTest, EmptyText) {
  for (const char* text : {"", "   ", " \n\t\r\n "}) {
    const Readability r = AssessDutch(text);
    EXPECT_EQ(r.sentences, 0);
    EXPECT_EQ(r.words, 0);
    EXPECT_EQ(r.flesch_douma, 0);
    EXPECT_EQ(r.words_per_sentence, 0);
    EXPECT_EQ(r.syllables_per_word, 0);
    EXPECT_EQ(r.level, "");
    EXPECT_FALSE(r.below_b1);
    EXPECT_THAT(r.warnings, ElementsAre("De tekst is leeg."));
  }
  const Readability punctuation = AssessDutch("... !?");
  EXPECT_EQ(punctuation.words, 0);
  EXPECT_EQ(punctuation.flesch_douma, 0);
  EXPECT_THAT(punctuation.warnings, ElementsAre("De tekst bevat geen woorden."));
}

TEST(AssessDutchTest, MalformedUtf8IsPunctuation) {
  const Readability r = AssessDutch("Wij\xFF betalen\xC3 u terug.");
  EXPECT_EQ(r.words, 4);
  EXPECT_EQ(r.sentences, 1);
}

}  // namespace
}  // namespace cak::campaign::domain
