// The objection register as selection applies it: mapping onto a snapshot's rows by scope, and
// excluding from a selection with a count (unit, no database).
#include "analysis-svc/src/domain/objections.h"

#include <gtest/gtest.h>

namespace cak::analysis::domain {
namespace {

ColumnarSnapshot Snapshot(std::vector<int32_t> bsns) {
  ColumnarBuilder b(3);
  for (int32_t bsn : bsns) {
    ColumnarBuilder::CustomerRow c;
    c.bsn = bsn;
    c.regulation = 1;
    c.municipality = 363;
    c.birth_ymd = 19500101;
    b.AddCustomer(c);
  }
  return std::move(b).Build();
}

TEST(ObjectionsTest, MappedByScopeAndExcludedWithACount) {
  const ColumnarSnapshot s = Snapshot({40, 10, 30, 20});  // rows by BSN: 10, 20, 30, 40
  const std::vector<ActiveObjection> active = {{30, common::ObjectionScope::kContact},
                                               {10, common::ObjectionScope::kAllSelection},
                                               {99, common::ObjectionScope::kAllSelection}};  // not a customer (yet)
  const ObjectionRows rows = MapObjections(s, active, 5);
  EXPECT_EQ(rows.register_version, 5);
  EXPECT_EQ(rows.snapshot_version, 3);
  EXPECT_EQ(rows.all_selection, (std::vector<uint32_t>{0}));
  EXPECT_EQ(rows.contact, (std::vector<uint32_t>{0, 2}));

  Bitmap all(s.size(), true);
  EXPECT_EQ(Exclude(rows.all_selection, &all), 1);
  EXPECT_EQ(all.Count(), 3);
  Bitmap some(s.size());
  some.Set(1);
  some.Set(2);
  EXPECT_EQ(Exclude(rows.contact, &some), 1);  // row 0 was not selected: not counted
  EXPECT_FALSE(some.Test(2));
  EXPECT_TRUE(some.Test(1));
  EXPECT_EQ(Exclude(rows.contact, &some), 0);  // (twice: nothing more)
}

TEST(ObjectionsTest, ObjectedBsnsAreFoundWhetherCustomersOrNot) {
  ObjectedBsns b{.register_version = 1, .bsns = {10, 99}};
  EXPECT_TRUE(b.Contains(99));
  EXPECT_TRUE(b.Contains(10));
  EXPECT_FALSE(b.Contains(20));
}

}  // namespace
}  // namespace cak::analysis::domain
