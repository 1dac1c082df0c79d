// What a service holds about a person, as the person reads it: labelled fields, named codes,
// the category's legal basis from its activity.
#include "common/base/subject_data.h"

#include <gtest/gtest.h>

namespace cak::common {
namespace {

TEST(SubjectDataTest, RecordsLabelColumnsAndNameCodesAndKeepWhatTheyDoNotKnow) {
  const SubjectRow row = {{"channel", "1"}, {"postcode", "1234 AB"}, {"outcome", "9"}, {"extra", ""}};
  const SubjectDataRecord r = RecordOf(row, {{"channel", "Kanaal"}, {"postcode", "Postcode"}, {"outcome", "Resultaat"}},
                                       {{"channel", {{"1", "Brief"}}}, {"outcome", {{"3", "Gesprek gevoerd"}}}});
  ASSERT_EQ(r.fields.size(), 4u);
  EXPECT_EQ(r.fields[0].name, "channel");
  EXPECT_EQ(r.fields[0].label, "Kanaal");
  EXPECT_EQ(r.fields[0].value, "Brief");
  EXPECT_EQ(r.fields[1].value, "1234 AB");  // not a coded column
  EXPECT_EQ(r.fields[2].value, "9");        // a code without a name stays as stored
  EXPECT_EQ(r.fields[3].label, "extra");    // a column without a label shows its name
  EXPECT_EQ(r.fields[3].value, "");         // and what is held, also nothing
}

TEST(SubjectDataTest, ACategoryTakesTheLegalBasisOfItsActivity) {
  const SubjectDataCategory c =
      SubjectCategory("signals", "Meldingen", "waarom", ProcessingActivity::kMeldingOntvangen, "bron", "termijn");
  EXPECT_EQ(c.name, "signals");
  EXPECT_EQ(c.legal_basis, LegalBasis(ProcessingActivity::kMeldingOntvangen));
  EXPECT_EQ(c.retention, "termijn");
  EXPECT_TRUE(c.records.empty());
}

}  // namespace
}  // namespace cak::common
