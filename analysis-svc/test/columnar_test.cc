// The columnar builder: rows in any order come out by BSN with their events in CSR layout by
// day, the same whether the parts are laid out in one Build() or on four threads as the loader
// does (FinishCustomers first, then the other three at once).
#include "analysis-svc/src/domain/columnar.h"

#include <gtest/gtest.h>

#include <random>
#include <thread>

namespace cak::analysis::domain {
namespace {

// A few thousand customers with spread-out BSNs, arriving shuffled, with relations, mailings
// and contact reports (some of customers that are not there).
void Fill(ColumnarBuilder& b, std::vector<int32_t>* bsns) {
  std::mt19937 rng(7);
  for (int i = 0; i < 3000; ++i) bsns->push_back(100000000 + i * 299993 % 899999999);
  std::shuffle(bsns->begin(), bsns->end(), rng);
  for (int32_t bsn : *bsns) {
    ColumnarBuilder::CustomerRow c;
    c.bsn = bsn;
    c.regulation = 1 + bsn % 4;
    c.municipality = 300 + bsn % 7;
    b.AddCustomer(c);
  }
  for (int k = 0; k < 20000; ++k) {
    const int32_t bsn = k % 10 == 0 ? 42 : (*bsns)[rng() % bsns->size()];
    b.AddMailing(bsn, static_cast<uint8_t>(1 + rng() % 5), static_cast<DayNumber>(20000 + rng() % 400));
    b.AddContact(bsn, static_cast<uint8_t>(1 + rng() % 4), rng() % 2 == 0, static_cast<DayNumber>(20000 + rng() % 400),
                 k % 3 == 0 ? "" : (k % 3 == 1 ? "betaling" : "adres"));
  }
  for (int k = 0; k < 500; ++k) {
    ColumnarBuilder::RelationRow r;
    r.seq = k;
    r.customer_bsn = (*bsns)[k * 5];
    r.kind = static_cast<uint8_t>(k % 2 == 0 ? RelationKind::kLegalRepresentative : RelationKind::kContactPerson);
    r.routing = static_cast<uint8_t>(RoutingPreference::kRelation);
    b.AddRelation(r);
  }
}

TEST(ColumnarBuilderTest, StagedOnThreadsEqualsBuild) {
  std::vector<int32_t> bsns_a, bsns_b;
  ColumnarBuilder a(1), b(1);
  Fill(a, &bsns_a);
  Fill(b, &bsns_b);
  const ColumnarSnapshot one = std::move(a).Build();
  b.FinishCustomers();
  std::thread relations([&] { b.FinishRelations(); });
  std::thread mailings([&] { b.FinishMailings(); });
  b.FinishContacts();
  relations.join();
  mailings.join();
  const ColumnarSnapshot staged = std::move(b).Take();

  EXPECT_TRUE(std::is_sorted(one.bsn.begin(), one.bsn.end()));
  EXPECT_EQ(one.size(), 3000u);
  EXPECT_EQ(one.bsn, staged.bsn);
  EXPECT_EQ(one.regulation, staged.regulation);
  EXPECT_EQ(one.municipality, staged.municipality);
  EXPECT_EQ(one.flags, staged.flags);
  EXPECT_EQ(one.routing, staged.routing);
  EXPECT_EQ(one.addressee_relation, staged.addressee_relation);
  EXPECT_EQ(one.mailing_offset, staged.mailing_offset);
  EXPECT_EQ(one.mailing_day, staged.mailing_day);
  EXPECT_EQ(one.contact_offset, staged.contact_offset);
  EXPECT_EQ(one.contact_day, staged.contact_day);
  EXPECT_EQ(one.contact_channel, staged.contact_channel);
  EXPECT_EQ(one.contact_topics, staged.contact_topics);
  EXPECT_EQ(one.contact_topics.size(), 3u);  // none, and the two topics
  // BSN 42 is no customer: its 2,000 mailings are left out; each customer's events by day.
  EXPECT_EQ(one.mailing_offset.back(), 18000u);
  for (uint32_t row = 0; row < one.size(); ++row) {
    for (uint32_t k = one.contact_offset[row] + 1; k < one.contact_offset[row + 1]; ++k) {
      EXPECT_LE(one.contact_day[k - 1], one.contact_day[k]);
    }
  }
  EXPECT_EQ(one.RowOf(bsns_a[0]).has_value(), true);
  EXPECT_FALSE(one.RowOf(42).has_value());
}

// What the build log reports as the snapshot's memory: at least every column's elements (3,000
// customers at 34 bytes of per-customer columns, 18,000 mailings at 5, 18,000 contacts at 9,
// plus the two offset arrays), and nothing for an empty snapshot beyond its vectors' capacity.
TEST(ColumnarBuilderTest, MemoryBytesCountsEveryColumn) {
  std::vector<int32_t> bsns;
  ColumnarBuilder b(1);
  Fill(b, &bsns);
  const ColumnarSnapshot s = std::move(b).Build();
  const int64_t at_least = 3000 * 34 + 18000 * 5 + 18000 * 9 + 2 * 3001 * 4;
  EXPECT_GE(s.MemoryBytes(), at_least);
  EXPECT_LT(s.MemoryBytes(), 2 * at_least);
  EXPECT_EQ(ColumnarSnapshot().MemoryBytes(), 0);
}

}  // namespace
}  // namespace cak::analysis::domain
