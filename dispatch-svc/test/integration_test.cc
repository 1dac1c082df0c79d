// dispatch-svc against the real analysis-svc (both in-process, each on its own schema, over
// gRPC with their own identities): a frozen list of customers with a legal representative
// becomes letters to the representatives, each recipient handed over once, and analysis-svc
// discloses exactly the batches' slices (its own processing log says so).
#include <gtest/gtest.h>

#include <regex>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "analysis-svc/test/analysis_test_server.h"
#include "common/base/sha256.h"
#include "common/testing/status_matchers.h"
#include "dispatch-svc/test/dispatch_test_server.h"

namespace cak::dispatch::testing {
namespace {

using common::testing::ContextFor;
namespace apb = cak::voorlichting::analysis::v1;

TEST(DispatchIntegrationTest, LettersForARealRecipientListGoToTheRepresentativesOnce) {
  analysis::testing::TestServerOptions ao;
  ao.customers = 3000;
  auto analysis = analysis::testing::AnalysisTestServer::Start(ao);
  ASSERT_TRUE(analysis.ok()) << analysis.status();
  CAK_ASSERT_OK((*analysis)->ImportGenerated());
  const common::testing::TestCaller analyst{"emp-2001", {"analyst"}};
  apb::DefineTargetGroupsRequest define;
  define.set_signal("signals/5b7f2f0e-2a43-4d7e-8c57-2f3a9d1b6e01");
  apb::NamedCriteria* group = define.add_groups();
  group->set_name("vertegenwoordigd");
  group->mutable_criteria()->mutable_predicate()->set_has_representative(true);
  apb::TargetGroupSet set;
  CAK_ASSERT_GRPC_OK((*analysis)->stub().DefineTargetGroups(ContextFor(analyst).get(), define, &set));
  apb::FreezeRecipientListRequest freeze;
  freeze.set_target_group_set(set.name());
  freeze.set_group("vertegenwoordigd");
  apb::RecipientList list;
  CAK_ASSERT_GRPC_OK((*analysis)->stub().FreezeRecipientList(ContextFor(analyst).get(), freeze, &list));
  ASSERT_GT(list.member_count(), 100);

  TestServerOptions o;
  o.analysis_port = (*analysis)->server().grpc_port();
  o.max_batch_items = 100;
  auto dispatch = DispatchTestServer::Start(o);
  ASSERT_TRUE(dispatch.ok()) << dispatch.status();
  pb::Executor executor;
  CAK_ASSERT_GRPC_OK((*dispatch)->stub().CreateExecutor(
      ContextFor(Admin()).get(), ExecutorRequest("repro", pb::CHANNEL_LETTER, "repro.executors.cak.nl", 100000),
      &executor));
  const std::string list_id = list.name().substr(std::string("recipientLists/").size());
  pb::DispatchOrder order;
  CAK_ASSERT_GRPC_OK((*dispatch)->stub().CreateDispatchOrder(
      ContextFor(CampaignService()).get(), OrderRequest("real-1", list_id, pb::CHANNEL_LETTER), &order));
  EXPECT_EQ(order.recipient_count(), list.member_count());
  for (int i = 0; i < 600 && order.state() == pb::ORDER_STATE_GENERATING; ++i) {
    absl::SleepFor(absl::Milliseconds(50));
    pb::GetDispatchOrderRequest get;
    get.set_name(order.name());
    CAK_ASSERT_GRPC_OK((*dispatch)->stub().GetDispatchOrder(ContextFor(CampaignService()).get(), get, &order));
  }
  ASSERT_EQ(order.state(), pb::ORDER_STATE_READY);

  // Every member once; every letter to a representative, logged as such.
  EXPECT_EQ((*dispatch)->Count("items"), list.member_count());
  EXPECT_EQ((*dispatch)->Count("items", "routing = 2"), list.member_count());
  EXPECT_EQ((*dispatch)->Count("processing_log_subjects", "addressee LIKE 'REPRESENTATIVE:%'"), list.member_count());
  // analysis-svc disclosed each batch's slice once, and nothing beyond the list.
  EXPECT_EQ((*analysis)->Count("processing_log WHERE name = 'analysis.StreamRecipients'"), order.batch_count());
  EXPECT_EQ(
      (*analysis)->Count("processing_log_subjects WHERE entry_id IN (SELECT id FROM " + (*analysis)->schema().name() +
                         ".processing_log WHERE name = 'analysis.StreamRecipients')"),
      list.member_count());
  // The letters name the representative, not the customer, in the address block.
  pb::ListBatchesRequest lb;
  lb.set_parent(order.name());
  pb::ListBatchesResponse batches;
  CAK_ASSERT_GRPC_OK((*dispatch)->stub().ListBatches(ContextFor(CampaignService()).get(), lb, &batches));
  const std::string data = ReadFile((*dispatch)->delivery_dir() + "/" + batches.batches(0).data_file());
  EXPECT_EQ(common::Sha256Hex(data), batches.batches(0).sha256());
  EXPECT_TRUE(absl::StrContains(data, "\"Geachte "));

  // Data minimisation on the bytes, with analysis-svc's real data: no member's BSN and no IBAN
  // in any letter file.
  std::set<std::string> bsns;
  {
    apb::StreamRecipientsRequest req;
    req.set_name(list.name());
    req.set_field_set(apb::FIELD_SET_CONTACT_MOMENT);
    auto ctx = ContextFor({"dispatch-svc", {"dispatch_service"}, true});
    auto reader = (*analysis)->stub().StreamRecipients(ctx.get(), req);
    apb::StreamRecipientsResponse r;
    while (reader->Read(&r)) {
      for (const auto& m : r.recipients()) bsns.insert(m.bsn());
    }
    CAK_ASSERT_GRPC_OK(reader->Finish());
  }
  ASSERT_EQ(static_cast<int64_t>(bsns.size()), list.member_count());
  const std::regex iban("NL[0-9]{2}[A-Z]{4}[0-9]{10}");
  for (const auto& b : batches.batches()) {
    const std::string bytes = ReadFile((*dispatch)->delivery_dir() + "/" + b.data_file());
    for (absl::string_view token : absl::StrSplit(bytes, absl::ByAnyChar(",\r\n \""), absl::SkipEmpty())) {
      ASSERT_EQ(bsns.count(std::string(token)), 0u) << "a BSN in " << b.data_file();
    }
    EXPECT_FALSE(std::regex_search(bytes, iban)) << b.data_file();
  }
}

}  // namespace
}  // namespace cak::dispatch::testing
