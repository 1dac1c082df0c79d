// dispatch-svc's DispatchService with in-memory fakes of its repository, deliveries volume and
// recipient source: no PostgreSQL, no network, an injected clock. Orders planned over the
// executors' capacity (and refused when they do not fit), idempotent creation, batch
// generation (every position once and in order, objections withheld, files for FILES
// executors, the order READY after its last batch), failed attempts and their backoff (a full
// volume does not make analysis-svc disclose the list again), feasibility sign-off, and the
// executors' acknowledgements and outcomes.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <set>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/base/bsn.h"
#include "common/base/sha256.h"
#include "common/base/trace_context.h"
#include "common/testing/call_context.h"
#include "common/testing/fake_clock.h"
#include "common/testing/status_matchers.h"
#include "dispatch-svc/src/domain/delivery_format.h"
#include "dispatch-svc/src/domain/dispatch_service.h"
#include "dispatch-svc/test/fake_delivery_store.h"
#include "dispatch-svc/test/fake_dispatch_repository.h"
#include "dispatch-svc/test/fake_recipient_source.h"

namespace cak::dispatch::domain {
namespace {

namespace fakes = cak::dispatch::testing;
using common::testing::StatusIs;
using Attempt = DispatchRepository::Attempt;

constexpr char kHashKey[] = "unit-test-key-of-at-least-32-bytes!!";
constexpr char kRepro[] = "repro.executors.cak.nl";
constexpr char kKcc[] = "kcc.executors.cak.nl";
constexpr char kDataverkeer[] = "dataverkeer.executors.cak.nl";

common::CallContext Admin() { return common::testing::TestCall("beheerder-1", {"administrator"}); }
common::CallContext CampaignService() {
  return common::testing::TestCall("campaign-svc", {"campaign_service"}, common::PrincipalKind::kApplication);
}
common::CallContext ExecutorCall(const std::string& identity) {
  return common::testing::TestCall(identity, {"executor"}, common::PrincipalKind::kApplication);
}

class DispatchServiceTest : public ::testing::Test {
 protected:
  DispatchServiceTest()
      : hasher_(*common::DataSubjectHasher::Create(kHashKey)),
        service_(&repository_, &store_, &recipients_, &clock_, hasher_, Settings()) {}

  DispatchSettings Settings() {
    DispatchSettings s;
    s.max_batch_items = 1000;
    s.stream_chunk = 100;
    s.batch_retry_jitter = [this] { return jitter_; };
    s.batch_attempt_failed = [this](const std::string& reason) {
      std::lock_guard<std::mutex> lock(mu_);
      attempt_failures_.push_back(reason);
    };
    return s;
  }

  // NL, Monday to Friday, lead time 1 working day, `per_day` items a day.
  void Register(const std::string& id, Channel channel, const std::string& identity, int64_t per_day,
                DeliveryMethod method = DeliveryMethod::kFiles) {
    Executor e;
    e.id = id;
    e.display_name = absl::StrCat("Uitvoerder ", id);
    e.channel = channel;
    e.identity = identity;
    e.location_country = "NL";
    e.delivery_method = method;
    e.calendar.items_per_day = per_day;
    e.calendar.working_days = 0x1f;
    e.calendar.lead_time_days = 1;
    bool replayed = false;
    auto created = service_.CreateExecutor(Admin(), {absl::StrCat("exec-", id), "fp"}, e, &replayed);
    ASSERT_TRUE(created.ok()) << created.status();
  }
  void RegisterAll() {
    Register("repro", Channel::kLetter, kRepro, 2000);
    Register("kcc", Channel::kCall, kKcc, 500);
    Register("dataverkeer", Channel::kContactMoment, kDataverkeer, 5000);
  }

  // An order for `list` on `channel`, window 3-30 November 2026, with a fitting template.
  static Order NewOrder(const std::string& list, Channel channel) {
    Order o;
    o.campaign = "campaigns/5b3f7c1e-1111-4c1a-9a55-2f4a1c0de001";
    o.target_group = "Wlz-klanten met te hoge eigen bijdrage";
    o.recipient_list = list;
    o.channel = channel;
    o.template_reference = "campaigns/5b3f7c1e/messages/1/versions/2";
    switch (channel) {
      case Channel::kLetter:
        o.template_text =
            "{aanhef},\n\nOp {datum} ontvangt u, namens {naam}, een nieuwe factuur van {bedrag}.\nKenmerk: {kenmerk}";
        break;
      case Channel::kCall:
        o.template_text = "Vraag naar {naam_geadresseerde}. Leg uit dat de factuur van {naam} wordt hersteld.";
        break;
      case Channel::kContactMoment:
        o.template_text = "Klant {klantnummer} is op {datum} geïnformeerd over de herziene factuur ({kenmerk}).";
        o.contact_moment_code = "VK-EB-2026";
        break;
    }
    o.guidelines = "Verzenden in de standaard envelop; geen bijlagen.";
    o.values = {{"bedrag", "€ 12,50"}, {"kenmerk", "VK-2026-017"}};
    o.window_start = absl::CivilDay(2026, 11, 3);
    o.window_end = absl::CivilDay(2026, 11, 30);
    return o;
  }

  // The fingerprint stands for the request's content (RequestFingerprint in the API).
  absl::StatusOr<Order> Create(const std::string& request_id, const Order& order, bool* replayed = nullptr,
                               const std::string& fingerprint = "") {
    bool ignored = false;
    return service_.CreateOrder(CampaignService(), {request_id, fingerprint.empty() ? "fp:" + request_id : fingerprint},
                                order, replayed ? replayed : &ignored);
  }

  // Generates until no batch is due; returns how many were written (failed attempts fail the test).
  int GenerateAll() {
    int written = 0;
    for (int i = 0; i < 1000; ++i) {
      auto attempt = service_.GenerateNextBatch();
      EXPECT_TRUE(attempt.ok()) << attempt.status();
      if (!attempt.ok() || *attempt == Attempt::kNoneDue) return written;
      EXPECT_EQ(*attempt, Attempt::kWritten);
      ++written;
    }
    ADD_FAILURE() << "generation does not end";
    return written;
  }

  std::vector<Batch> Batches(const std::string& order_id) {
    auto batches = service_.ListBatches(CampaignService(), order_id, 0, 1000);
    EXPECT_TRUE(batches.ok()) << batches.status();
    return batches.ok() ? *batches : std::vector<Batch>();
  }
  Batch OnlyBatch(const std::string& order_id) {
    std::vector<Batch> batches = Batches(order_id);
    EXPECT_EQ(batches.size(), 1u);
    return batches.empty() ? Batch() : batches[0];
  }
  Order GetOrder(const std::string& id) {
    auto order = service_.GetOrder(CampaignService(), id);
    EXPECT_TRUE(order.ok()) << order.status();
    return order.ok() ? *order : Order();
  }
  std::vector<std::string> AttemptFailures() {
    std::lock_guard<std::mutex> lock(mu_);
    return attempt_failures_;
  }

  common::testing::FakeClock clock_;  // Monday 2 November 2026, 09:00 UTC
  fakes::FakeDispatchRepository repository_;
  fakes::FakeDeliveryStore store_;
  fakes::FakeRecipientSource recipients_{/*chunk=*/100};
  common::DataSubjectHasher hasher_;
  std::mutex mu_;
  std::vector<std::string> attempt_failures_;
  double jitter_ = 0.5;  // RetryBackoff's unit for the batches' retries
  DispatchService service_;
};

// ---------------------------------------------------------------------------------------------
// Orders

TEST_F(DispatchServiceTest, CreateOrderPlansConsecutiveBatchesWithinCapacityAndWindow) {
  RegisterAll();
  const std::string list = recipients_.AddList(2500);
  bool replayed = true;
  CAK_ASSERT_OK_AND_ASSIGN(const Order order, Create("letters-1", NewOrder(list, Channel::kLetter), &replayed));
  EXPECT_FALSE(replayed);
  EXPECT_EQ(order.state, OrderState::kGenerating);
  EXPECT_EQ(order.executor_id, "repro");
  EXPECT_EQ(order.recipient_count, 2500);
  // 2,000 a day from Wednesday the 4th (lead time 1), at most 1,000 a batch.
  ASSERT_EQ(order.batch_count, 3);
  const std::vector<Batch> batches = Batches(order.id);
  ASSERT_EQ(batches.size(), 3u);
  int64_t next = 1;
  for (const Batch& b : batches) {
    EXPECT_EQ(b.state, BatchState::kPlanned);
    EXPECT_EQ(b.first_position, next);
    EXPECT_LE(b.last_position - b.first_position + 1, 1000);
    EXPECT_GE(b.planned_date, absl::CivilDay(2026, 11, 4));
    EXPECT_LE(b.planned_date, order.window_end);
    next = b.last_position + 1;
  }
  EXPECT_EQ(next, 2501);
  EXPECT_EQ(batches[0].planned_date, absl::CivilDay(2026, 11, 4));
  EXPECT_EQ(batches[1].planned_date, absl::CivilDay(2026, 11, 4));
  EXPECT_EQ(batches[2].planned_date, absl::CivilDay(2026, 11, 5));
  EXPECT_EQ(batches[2].last_position - batches[2].first_position + 1, 500);

  // A second order books around the first: no day holds more than the executor's 2,000.
  CAK_ASSERT_OK_AND_ASSIGN(const Order second,
                           Create("letters-2", NewOrder(recipients_.AddList(3000), Channel::kLetter)));
  EXPECT_EQ(Batches(second.id).front().planned_date, absl::CivilDay(2026, 11, 5));
  CAK_ASSERT_OK_AND_ASSIGN(
      auto booked, repository_.BookedCapacity("repro", absl::CivilDay(2026, 11, 1), absl::CivilDay(2026, 11, 30),
                                              absl::InfiniteFuture()));
  EXPECT_THAT(booked, ::testing::ElementsAre(::testing::Pair(absl::CivilDay(2026, 11, 4), 2000),
                                             ::testing::Pair(absl::CivilDay(2026, 11, 5), 2000),
                                             ::testing::Pair(absl::CivilDay(2026, 11, 6), 1500)));

  // The creation is logged (no subjects: nobody is read yet), with its batch count.
  const std::vector<fakes::LoggedEntry> created = repository_.LogEntries("dispatch.CreateDispatchOrder");
  ASSERT_EQ(created.size(), 2u);
  EXPECT_EQ(created[0].record.attributes.at("batches"), "3");
  EXPECT_EQ(created[0].record.attributes.at("processor"), kRepro);
  EXPECT_TRUE(created[0].subject_ids.empty());
  EXPECT_TRUE(recipients_.stream_calls().empty());
}

TEST_F(DispatchServiceTest, CreateOrderRefusesWhatDoesNotFitAndWritesNothing) {
  const std::string list = recipients_.AddList(50);
  EXPECT_THAT(Create("o-1", NewOrder(list, Channel::kLetter)),
              StatusIs(absl::StatusCode::kFailedPrecondition, "NO_EXECUTOR_FOR_CHANNEL", "order.channel"));
  RegisterAll();
  // More than KCC can take in the window (500 a day, 19 working days from the 4th).
  EXPECT_THAT(Create("o-2", NewOrder(recipients_.AddList(20000), Channel::kCall)),
              StatusIs(absl::StatusCode::kFailedPrecondition, "INSUFFICIENT_CAPACITY", "order.window_end"));
  // A window that ends before the executor's first possible day.
  Order early = NewOrder(list, Channel::kCall);
  early.window_end = absl::CivilDay(2026, 11, 3);
  EXPECT_THAT(Create("o-3", early),
              StatusIs(absl::StatusCode::kFailedPrecondition, "INSUFFICIENT_CAPACITY", "order.window_end"));
  EXPECT_THAT(Create("o-4", NewOrder("0f0f0f0f-0000-4000-8000-000000000000", Channel::kLetter)),
              StatusIs(absl::StatusCode::kNotFound, "RECIPIENT_LIST_NOT_FOUND", "order.recipient_list"));
  EXPECT_THAT(Create("o-5", NewOrder(recipients_.AddList(0), Channel::kLetter)),
              StatusIs(absl::StatusCode::kFailedPrecondition, "EMPTY_RECIPIENT_LIST", "order.recipient_list"));
  Order past = NewOrder(list, Channel::kLetter);
  past.window_start = absl::CivilDay(2026, 11, 1);
  EXPECT_THAT(Create("o-6", past),
              StatusIs(absl::StatusCode::kInvalidArgument, "WINDOW_IN_PAST", "order.window_start"));

  EXPECT_EQ(repository_.order_count(), 0);
  EXPECT_EQ(repository_.batch_count(), 0);
  EXPECT_TRUE(repository_.LogEntries("dispatch.CreateDispatchOrder").empty());
  // A refused request claims no request id: it may be sent again once it fits.
  EXPECT_EQ(repository_.idempotency_key_count(), 3);  // the three executors'
  CAK_ASSERT_OK_AND_ASSIGN(auto claim,
                           repository_.FindClaim({"CreateDispatchOrder", "o-2", "fp:o-2"}, absl::InfiniteFuture()));
  EXPECT_FALSE(claim.has_value());
}

TEST_F(DispatchServiceTest, CreateOrderReplaysARepeatAndRefusesAReusedRequestId) {
  RegisterAll();
  const std::string list = recipients_.AddList(2500);
  CAK_ASSERT_OK_AND_ASSIGN(const Order first, Create("letters-1", NewOrder(list, Channel::kLetter)));
  const int list_reads = recipients_.get_list_calls();

  bool replayed = false;
  CAK_ASSERT_OK_AND_ASSIGN(Order again, Create("letters-1", NewOrder(list, Channel::kLetter), &replayed));
  EXPECT_TRUE(replayed);
  EXPECT_EQ(again.id, first.id);
  // Also once the window has started (a retry after a lost answer may come days later), and
  // without asking analysis-svc again.
  clock_.Advance(absl::Hours(24 * 40));
  replayed = false;
  CAK_ASSERT_OK_AND_ASSIGN(again, Create("letters-1", NewOrder(list, Channel::kLetter), &replayed));
  EXPECT_TRUE(replayed);
  EXPECT_EQ(again.id, first.id);
  EXPECT_EQ(again.batch_count, 3);
  EXPECT_EQ(recipients_.get_list_calls(), list_reads);
  clock_.Advance(-absl::Hours(24 * 40));

  // The same request id for another request.
  Order other = NewOrder(list, Channel::kLetter);
  other.values["bedrag"] = "€ 99,00";
  EXPECT_THAT(Create("letters-1", other, nullptr, "fp:letters-1-other"),
              StatusIs(absl::StatusCode::kInvalidArgument, "REQUEST_ID_REUSED", "request_id"));
  EXPECT_EQ(repository_.order_count(), 1);
  EXPECT_EQ(repository_.batch_count(), 3);
  EXPECT_EQ(repository_.LogEntries("dispatch.CreateDispatchOrder").size(), 1u);
}

// ---------------------------------------------------------------------------------------------
// Generation

TEST_F(DispatchServiceTest, GenerationWritesEveryPositionOnceInOrderAndTheOrderBecomesReady) {
  RegisterAll();
  const int64_t n = 2500;
  const std::string list = recipients_.AddList(n);
  CAK_ASSERT_OK_AND_ASSIGN(const Order created, Create("letters-1", NewOrder(list, Channel::kLetter)));

  // Batch by batch: the order is READY after its last one, not before.
  for (int i = 1; i <= 3; ++i) {
    CAK_ASSERT_OK_AND_ASSIGN(const Attempt attempt, service_.GenerateNextBatch());
    EXPECT_EQ(attempt, Attempt::kWritten);
    const Order order = GetOrder(created.id);
    EXPECT_EQ(order.batches_written, i);
    EXPECT_EQ(order.state, i < 3 ? OrderState::kGenerating : OrderState::kReady) << i;
  }
  CAK_ASSERT_OK_AND_ASSIGN(const Attempt none, service_.GenerateNextBatch());
  EXPECT_EQ(none, Attempt::kNoneDue);

  std::set<std::string> bsns;
  for (int64_t p = 1; p <= n; ++p) bsns.insert(recipients_.BsnOf(list, p));
  const std::optional<common::TraceContext> order_trace = common::ParseTraceparent(created.traceparent);
  ASSERT_TRUE(order_trace.has_value());
  const std::vector<fakes::LoggedEntry> handed_over = repository_.LogEntries("dispatch.DeliverBatch");
  ASSERT_EQ(handed_over.size(), 3u);
  int64_t total = 0, representatives = 0;
  const std::vector<Batch> batches = Batches(created.id);
  ASSERT_EQ(batches.size(), 3u);
  for (size_t i = 0; i < batches.size(); ++i) {
    const Batch& b = batches[i];
    SCOPED_TRACE(absl::StrCat("batch ", b.batch_no));
    ASSERT_EQ(b.state, BatchState::kWritten);
    // Items: every position of the slice once, ascending, each with its customer's log id.
    const std::vector<Item> items = repository_.Items(created.id, b.batch_no);
    ASSERT_EQ(static_cast<int64_t>(items.size()), b.last_position - b.first_position + 1);
    EXPECT_EQ(b.item_count, static_cast<int64_t>(items.size()));
    for (size_t k = 0; k < items.size(); ++k) {
      ASSERT_EQ(items[k].position, b.first_position + static_cast<int64_t>(k));
    }
    EXPECT_EQ(items[0].data_subject_id, hasher_.Hash(*common::Bsn::Parse(recipients_.BsnOf(list, b.first_position))));
    EXPECT_TRUE(items[0].phone.empty());            // letters keep no phone number
    EXPECT_TRUE(items[0].customer_number.empty());  // nor the customer number (the text does not quote it)
    total += b.item_count;

    // The slice was read once, with the letter field set.
    int reads = 0;
    for (const auto& call : recipients_.stream_calls()) {
      if (call.after_position == b.first_position - 1 && call.until_position == b.last_position) {
        ++reads;
        EXPECT_EQ(call.channel, Channel::kLetter);
        EXPECT_FALSE(call.with_customer_number);
      }
    }
    EXPECT_EQ(reads, 1);

    // Data file and manifest (FILES): header, one line per item, no BSN, the manifest last.
    EXPECT_EQ(b.data_file, DataFileName(b, Channel::kLetter));
    EXPECT_EQ(b.manifest_file, ManifestFileName(b));
    const std::string data = store_.Read(b.data_file);
    const std::string manifest = store_.Read(b.manifest_file);
    ASSERT_FALSE(data.empty());
    EXPECT_TRUE(absl::StartsWith(data, FileHeader(Channel::kLetter)));
    EXPECT_EQ(common::Sha256Hex(data), b.sha256);
    EXPECT_EQ(
        static_cast<int64_t>(std::vector<absl::string_view>(absl::StrSplit(data, "\r\n", absl::SkipEmpty())).size()),
        b.item_count + 1);
    EXPECT_TRUE(absl::StrContains(data, absl::StrCat("\r\n", b.first_position, ",")));
    EXPECT_TRUE(absl::StrContains(manifest, absl::StrCat("\"count\": ", b.item_count)));
    EXPECT_TRUE(absl::StrContains(manifest, absl::StrCat("\"sha256\": \"", b.sha256, "\"")));
    for (absl::string_view token : absl::StrSplit(data, absl::ByAnyChar(",\r\n \""), absl::SkipEmpty())) {
      ASSERT_EQ(bsns.count(std::string(token)), 0u) << "a BSN in " << b.data_file;
    }

    // The hand-over: one entry per batch in the order's trace, one subject per item.
    const fakes::LoggedEntry& entry = handed_over[i];
    EXPECT_EQ(entry.record.status, common::ProcessingStatus::kOk);
    EXPECT_EQ(entry.record.attributes.at("batch"), absl::StrCat(b.batch_no));
    EXPECT_EQ(entry.record.attributes.at("processor"), kRepro);
    EXPECT_EQ(entry.record.attributes.at("items"), absl::StrCat(b.item_count));
    EXPECT_EQ(entry.call.trace.trace_id, order_trace->trace_id);
    ASSERT_EQ(static_cast<int64_t>(entry.subject_ids.size()), b.item_count);
    for (size_t k = 0; k < items.size(); ++k) ASSERT_EQ(entry.subject_ids[k], items[k].data_subject_id);
    for (const std::string& a : entry.addressees) representatives += absl::StartsWith(a, "REPRESENTATIVE:") ? 1 : 0;
  }
  EXPECT_EQ(total, n);
  EXPECT_EQ(repository_.item_count(), n);
  EXPECT_EQ(representatives, n / 10);
  EXPECT_EQ(store_.files().size(), 6u);
  EXPECT_EQ(store_.files_open(), 0);
  EXPECT_TRUE(AttemptFailures().empty());
}

TEST_F(DispatchServiceTest, ObjectedMembersGetNoItemNoFileLineAndNoOutcome) {
  RegisterAll();
  const std::string list = recipients_.AddList(300);
  recipients_.Withhold(list, 5);
  recipients_.Withhold(list, 17);
  CAK_ASSERT_OK_AND_ASSIGN(const Order order, Create("letters-1", NewOrder(list, Channel::kLetter)));
  EXPECT_EQ(GenerateAll(), 1);

  const Batch b = OnlyBatch(order.id);
  EXPECT_EQ(b.item_count, 298);
  EXPECT_EQ(b.withheld_count, 2);
  std::vector<int64_t> positions;
  for (const Item& item : repository_.Items(order.id, 1)) positions.push_back(item.position);
  EXPECT_THAT(positions, ::testing::Not(::testing::Contains(5)));
  EXPECT_THAT(positions, ::testing::Not(::testing::Contains(17)));
  EXPECT_EQ(positions.size(), 298u);
  const std::string data = store_.Read(b.data_file);
  EXPECT_FALSE(absl::StrContains(data, "\r\n5,"));
  EXPECT_FALSE(absl::StrContains(data, "J. Jansen-17,"));
  EXPECT_TRUE(absl::StrContains(data, "\r\n6,"));
  const std::vector<fakes::LoggedEntry> handed_over = repository_.LogEntries("dispatch.DeliverBatch");
  ASSERT_EQ(handed_over.size(), 1u);
  EXPECT_EQ(handed_over[0].subject_ids.size(), 298u);
  EXPECT_EQ(handed_over[0].record.attributes.at("withheld_objection"), "2");

  // A withheld position lies inside the batch but is no recipient of it.
  std::vector<ItemOutcome> outcomes = {{4, Outcome::kLetterPrinted, clock_.Now() - absl::Minutes(1)},
                                       {5, Outcome::kLetterPrinted, clock_.Now() - absl::Minutes(1)}};
  bool replayed = false;
  EXPECT_THAT(service_.ReportOutcomes(ExecutorCall(kRepro), {"out-1", "fp"}, order.id, 1, outcomes, &replayed),
              StatusIs(absl::StatusCode::kInvalidArgument, "OUTCOME_RECIPIENT_NOT_IN_BATCH", "outcomes[1].position"));
  EXPECT_EQ(repository_.outcome_count(), 0);
}

TEST_F(DispatchServiceTest, PullBatchesAreStoredWithoutFilesAndStreamedRendered) {
  Register("kcc", Channel::kCall, kKcc, 500, DeliveryMethod::kPull);
  const std::string list = recipients_.AddList(300);
  CAK_ASSERT_OK_AND_ASSIGN(const Order order, Create("calls-1", NewOrder(list, Channel::kCall)));
  EXPECT_EQ(GenerateAll(), 1);
  const Batch b = OnlyBatch(order.id);
  EXPECT_EQ(b.state, BatchState::kWritten);
  EXPECT_TRUE(b.data_file.empty());
  EXPECT_TRUE(b.manifest_file.empty());
  EXPECT_EQ(store_.files_created(), 0);
  EXPECT_EQ(store_.free_bytes_calls(), 0);  // no volume involved
  EXPECT_EQ(GetOrder(order.id).state, OrderState::kReady);

  std::vector<RenderedItem> got;
  CAK_ASSERT_OK(
      service_.StreamBatchItems(ExecutorCall(kKcc), order.id, 1, [&](Channel c, std::vector<RenderedItem>& items) {
        EXPECT_EQ(c, Channel::kCall);
        got.insert(got.end(), items.begin(), items.end());
        return true;
      }));
  ASSERT_EQ(got.size(), 300u);
  for (size_t i = 0; i < got.size(); ++i) ASSERT_EQ(got[i].item.position, static_cast<int64_t>(i) + 1);
  EXPECT_FALSE(got[0].item.phone.empty());
  EXPECT_TRUE(got[0].item.street.empty());  // calls carry no postal address
  EXPECT_EQ(got[0].text, "Vraag naar J. Jansen-1. Leg uit dat de factuur van J. Jansen-1 wordt hersteld.");
  EXPECT_EQ(repository_.LogEntries("dispatch.StreamBatchItems").size(), 1u);
}

// README step 4: with the deliveries volume full, an attempt fails before it reads anyone and
// the batch waits a growing, capped backoff; it is not streamed from analysis-svc again while
// the volume cannot take it (the check uses the bytes per item an earlier attempt measured).
// Once there is room, it is written.
TEST_F(DispatchServiceTest, AFullVolumeReschedulesWithBackoffWithoutReadingTheListAgain) {
  RegisterAll();
  const std::string list = recipients_.AddList(900);  // one batch of letters, about 200 KB
  CAK_ASSERT_OK_AND_ASSIGN(const Order order, Create("letters-full", NewOrder(list, Channel::kLetter)));

  // 1. Full: the attempt stops before reading; the first wait is the minimum.
  store_.SetFree(1024);
  CAK_ASSERT_OK_AND_ASSIGN(Attempt attempt, service_.GenerateNextBatch());
  EXPECT_EQ(attempt, Attempt::kRescheduled);
  Batch b = OnlyBatch(order.id);
  EXPECT_EQ(b.state, BatchState::kPlanned);
  EXPECT_EQ(b.failed_attempts, 1);
  EXPECT_EQ(b.last_failure, "DELIVERY_STORAGE_FULL");
  ASSERT_TRUE(b.next_attempt_time.has_value());
  EXPECT_EQ(*b.next_attempt_time - clock_.Now(), absl::Seconds(2));
  EXPECT_TRUE(recipients_.stream_calls().empty());
  EXPECT_EQ(store_.files_created(), 0);
  EXPECT_TRUE(repository_.LogEntries("dispatch.DeliverBatch").empty());  // nothing read, nothing to log
  // Not due before its time.
  clock_.Advance(absl::Seconds(2) - absl::Nanoseconds(1));
  CAK_ASSERT_OK_AND_ASSIGN(attempt, service_.GenerateNextBatch());
  EXPECT_EQ(attempt, Attempt::kNoneDue);
  clock_.Advance(absl::Nanoseconds(1));

  // 2. Room for about half: the attempt reads, the write fails part-way and is undone.
  store_.SetFree(100 * 1024);
  CAK_ASSERT_OK_AND_ASSIGN(attempt, service_.GenerateNextBatch());
  EXPECT_EQ(attempt, Attempt::kRescheduled);
  b = OnlyBatch(order.id);
  EXPECT_EQ(b.failed_attempts, 2);
  EXPECT_EQ(b.last_failure, "DELIVERY_STORAGE_FULL");
  EXPECT_GT(b.bytes_per_item, 64);
  ASSERT_EQ(recipients_.stream_calls().size(), 1u);
  const int64_t read = recipients_.recipients_sent();
  EXPECT_GT(read, 0);
  EXPECT_LT(read, 900);
  EXPECT_EQ(repository_.item_count(), 0);
  EXPECT_TRUE(store_.files().empty());
  EXPECT_EQ(store_.files_open(), 0);
  // Read and not delivered: a failed processing in the log, without subjects.
  std::vector<fakes::LoggedEntry> failed = repository_.LogEntries("dispatch.DeliverBatch");
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_EQ(failed[0].record.status, common::ProcessingStatus::kError);
  EXPECT_EQ(failed[0].record.attributes.at("error_reason"), "DELIVERY_STORAGE_FULL");
  EXPECT_EQ(failed[0].record.attributes.at("recipients_read"), absl::StrCat(read));
  EXPECT_TRUE(failed[0].subject_ids.empty());

  // 3. Still too little room for what that attempt measured: each due attempt stops before it
  //    reads, and waits longer each time: with the jitter at its top, exactly double, up to the
  //    cap (attempt 2's wait was drawn at the default 0.5).
  jitter_ = 1.0;
  for (int failures = 3; failures <= 12; ++failures) {
    SCOPED_TRACE(absl::StrCat("attempt ", failures));
    const absl::Duration wait = *b.next_attempt_time - clock_.Now();
    const absl::Duration cap = std::min(absl::Seconds(2) * (int64_t{1} << (failures - 2)), absl::Minutes(10));
    if (failures == 3) {
      EXPECT_EQ(wait, absl::Seconds(3));  // 2 s + 0.5 * (4 s - 2 s)
    } else {
      EXPECT_EQ(wait, cap);
    }
    clock_.Advance(wait - absl::Nanoseconds(1));
    CAK_ASSERT_OK_AND_ASSIGN(attempt, service_.GenerateNextBatch());
    ASSERT_EQ(attempt, Attempt::kNoneDue);
    clock_.Advance(absl::Nanoseconds(1));
    CAK_ASSERT_OK_AND_ASSIGN(attempt, service_.GenerateNextBatch());
    ASSERT_EQ(attempt, Attempt::kRescheduled);
    b = OnlyBatch(order.id);
    ASSERT_EQ(b.failed_attempts, failures);
    EXPECT_EQ(b.last_failure, "DELIVERY_STORAGE_FULL");
  }
  EXPECT_EQ(recipients_.stream_calls().size(), 1u);
  EXPECT_EQ(recipients_.recipients_sent(), read);
  EXPECT_EQ(repository_.LogEntries("dispatch.DeliverBatch").size(), 1u);
  EXPECT_THAT(AttemptFailures(), ::testing::AllOf(::testing::SizeIs(12), ::testing::Each("DELIVERY_STORAGE_FULL")));

  // 4. Room again: the batch is written, every position once.
  store_.SetFree(-1);
  clock_.Advance(absl::Minutes(10));
  CAK_ASSERT_OK_AND_ASSIGN(attempt, service_.GenerateNextBatch());
  EXPECT_EQ(attempt, Attempt::kWritten);
  b = OnlyBatch(order.id);
  EXPECT_EQ(b.state, BatchState::kWritten);
  EXPECT_EQ(b.item_count, 900);
  EXPECT_EQ(repository_.item_count(), 900);
  EXPECT_EQ(recipients_.stream_calls().size(), 2u);
  EXPECT_EQ(GetOrder(order.id).state, OrderState::kReady);
  EXPECT_EQ(store_.files().size(), 2u);
  failed = repository_.LogEntries("dispatch.DeliverBatch");
  ASSERT_EQ(failed.size(), 2u);
  EXPECT_EQ(failed[1].record.status, common::ProcessingStatus::kOk);
  EXPECT_EQ(failed[1].subject_ids.size(), 900u);
}

TEST_F(DispatchServiceTest, ABrokenStreamIsUndoneLoggedAndRetriedWhileOtherBatchesGoOn) {
  RegisterAll();
  const std::string list = recipients_.AddList(2500);
  CAK_ASSERT_OK_AND_ASSIGN(const Order order, Create("letters-broken", NewOrder(list, Channel::kLetter)));
  recipients_.FailStreamsAfter(300);  // 300 recipients arrive, then analysis-svc goes away

  CAK_ASSERT_OK_AND_ASSIGN(Attempt attempt, service_.GenerateNextBatch());
  EXPECT_EQ(attempt, Attempt::kRescheduled);
  Batch first = Batches(order.id)[0];
  EXPECT_EQ(first.failed_attempts, 1);
  EXPECT_EQ(first.last_failure, "RECIPIENT_SOURCE_UNAVAILABLE");
  EXPECT_EQ(*first.next_attempt_time - clock_.Now(), absl::Seconds(2));
  EXPECT_EQ(repository_.item_count(), 0);  // the 300 stored items were undone
  EXPECT_TRUE(store_.files().empty());
  std::vector<fakes::LoggedEntry> entries = repository_.LogEntries("dispatch.DeliverBatch");
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].record.status, common::ProcessingStatus::kError);
  EXPECT_EQ(entries[0].record.attributes.at("error_code"), "UNAVAILABLE");
  EXPECT_EQ(entries[0].record.attributes.at("recipients_read"), "300");
  EXPECT_EQ(AttemptFailures(), std::vector<std::string>{"RECIPIENT_SOURCE_UNAVAILABLE"});

  // analysis-svc is back: the other batches go on while the first waits its backoff.
  recipients_.FailStreamsAfter(-1);
  EXPECT_EQ(GenerateAll(), 2);
  EXPECT_EQ(Batches(order.id)[0].state, BatchState::kPlanned);
  EXPECT_EQ(GetOrder(order.id).state, OrderState::kGenerating);
  clock_.Advance(absl::Seconds(2));
  EXPECT_EQ(GenerateAll(), 1);
  first = Batches(order.id)[0];
  EXPECT_EQ(first.state, BatchState::kWritten);
  EXPECT_EQ(repository_.Items(order.id, 1).size(), 1000u);
  EXPECT_EQ(repository_.item_count(), 2500);
  EXPECT_EQ(GetOrder(order.id).state, OrderState::kReady);
}

TEST_F(DispatchServiceTest, ConcurrentGeneratorsWriteEachBatchOnce) {
  Register("repro", Channel::kLetter, kRepro, 5000);
  const std::string list = recipients_.AddList(4500);
  CAK_ASSERT_OK_AND_ASSIGN(const Order order, Create("letters-1", NewOrder(list, Channel::kLetter)));
  ASSERT_EQ(order.batch_count, 5);
  std::atomic<int> written{0};
  std::vector<std::thread> workers;
  for (int t = 0; t < 3; ++t) {
    workers.emplace_back([&] {
      for (;;) {
        auto attempt = service_.GenerateNextBatch();
        if (!attempt.ok() || *attempt != Attempt::kWritten) return;
        written.fetch_add(1);
      }
    });
  }
  for (std::thread& w : workers) w.join();
  EXPECT_EQ(written.load(), 5);
  EXPECT_EQ(recipients_.stream_calls().size(), 5u);
  EXPECT_EQ(repository_.item_count(), 4500);
  EXPECT_EQ(repository_.claims_held(), 0);
  EXPECT_EQ(GetOrder(order.id).state, OrderState::kReady);
}

// The fake keeps GenerateNextBatch's contract where the service cannot reach it: an error
// without a retry rolls the whole attempt back and is returned.
TEST_F(DispatchServiceTest, FakeRepositoryRollsBackAnAttemptWithoutRetry) {
  RegisterAll();
  CAK_ASSERT_OK_AND_ASSIGN(const Order order, Create("letters-1", NewOrder(recipients_.AddList(10), Channel::kLetter)));
  auto st = repository_.GenerateNextBatch(
      clock_.Now(), [&](const ClaimedBatch& claimed, BatchWriter& writer, std::optional<BatchRetry>*) {
        EXPECT_EQ(claimed.order.id, order.id);
        EXPECT_EQ(claimed.executor.id, "repro");
        EXPECT_EQ(repository_.claims_held(), 1);
        Item item;
        item.position = 1;
        CAK_RETURN_IF_ERROR(writer.AddItems({item}));
        return absl::InternalError("the database went away");
      });
  EXPECT_THAT(st, StatusIs(absl::StatusCode::kInternal, "", ""));
  const Batch b = OnlyBatch(order.id);
  EXPECT_EQ(b.state, BatchState::kPlanned);
  EXPECT_EQ(b.failed_attempts, 0);
  EXPECT_FALSE(b.next_attempt_time.has_value());
  EXPECT_EQ(repository_.item_count(), 0);
  EXPECT_EQ(repository_.claims_held(), 0);
  EXPECT_EQ(GenerateAll(), 1);  // and the batch is due again at once
}

// ---------------------------------------------------------------------------------------------
// Feasibility

TEST_F(DispatchServiceTest, FeasibilityIsSignedOffByItsOwnExecutorOnce) {
  FeasibilityRequest req;
  req.create = {"feas-1", "fp:feas-1"};
  req.channel = Channel::kCall;
  req.volume = 1200;
  req.window_start = absl::CivilDay(2026, 11, 2);
  req.window_end = absl::CivilDay(2026, 11, 6);
  bool replayed = false;
  EXPECT_THAT(service_.CheckFeasibility(CampaignService(), req, &replayed),
              StatusIs(absl::StatusCode::kFailedPrecondition, "NO_EXECUTOR_FOR_CHANNEL", "channel"));
  RegisterAll();

  // Monday the 2nd, lead time 1: from Wednesday the 4th, 500 calls a day.
  CAK_ASSERT_OK_AND_ASSIGN(const FeasibilityCheck check, service_.CheckFeasibility(CampaignService(), req, &replayed));
  EXPECT_FALSE(replayed);
  EXPECT_TRUE(check.feasible);
  EXPECT_EQ(check.executor_id, "kcc");
  EXPECT_EQ(check.earliest_start, absl::CivilDay(2026, 11, 4));
  ASSERT_EQ(check.spread.size(), 3u);
  EXPECT_EQ(check.spread[2].count, 200);
  EXPECT_EQ(check.state, FeasibilityState::kAwaitingSignOff);
  CAK_ASSERT_OK_AND_ASSIGN(const FeasibilityCheck again, service_.CheckFeasibility(CampaignService(), req, &replayed));
  EXPECT_TRUE(replayed);
  EXPECT_EQ(again.id, check.id);

  // Another executor's sign-off finds no such check; an unknown caller is no executor.
  EXPECT_THAT(service_.DecideFeasibility(ExecutorCall(kRepro), check.id, true, ""),
              StatusIs(absl::StatusCode::kNotFound, "FEASIBILITY_CHECK_NOT_FOUND", ""));
  EXPECT_THAT(service_.DecideFeasibility(ExecutorCall("unknown.example"), check.id, true, ""),
              StatusIs(absl::StatusCode::kPermissionDenied, "UNKNOWN_EXECUTOR_IDENTITY", ""));
  EXPECT_THAT(service_.DecideFeasibility(ExecutorCall(kKcc), check.id, false, ""),
              StatusIs(absl::StatusCode::kInvalidArgument, "REQUIRED_FIELD_MISSING", "comment"));
  CAK_ASSERT_OK_AND_ASSIGN(const FeasibilityCheck stored, service_.GetFeasibilityCheck(CampaignService(), check.id));
  EXPECT_EQ(stored.state, FeasibilityState::kAwaitingSignOff);

  CAK_ASSERT_OK_AND_ASSIGN(const FeasibilityCheck confirmed,
                           service_.DecideFeasibility(ExecutorCall(kKcc), check.id, true, ""));
  EXPECT_EQ(confirmed.state, FeasibilityState::kConfirmed);
  EXPECT_EQ(confirmed.decided_by, kKcc);
  EXPECT_EQ(confirmed.decide_time, clock_.Now());
  EXPECT_THAT(service_.DecideFeasibility(ExecutorCall(kKcc), check.id, false, "toch niet"),
              StatusIs(absl::StatusCode::kFailedPrecondition, "ALREADY_DECIDED", ""));

  // An order may follow only a check its executor confirmed, for its channel.
  const std::string list = recipients_.AddList(1200);
  Order letters = NewOrder(list, Channel::kLetter);
  letters.feasibility_check = check.id;
  EXPECT_THAT(Create("o-mismatch", letters),
              StatusIs(absl::StatusCode::kFailedPrecondition, "FEASIBILITY_CHECK_MISMATCH", "order.feasibility_check"));
  req.create = {"feas-2", "fp:feas-2"};
  CAK_ASSERT_OK_AND_ASSIGN(const FeasibilityCheck open, service_.CheckFeasibility(CampaignService(), req, &replayed));
  Order calls = NewOrder(list, Channel::kCall);
  calls.feasibility_check = open.id;
  EXPECT_THAT(Create("o-unconfirmed", calls),
              StatusIs(absl::StatusCode::kFailedPrecondition, "FEASIBILITY_NOT_CONFIRMED", "order.feasibility_check"));
  EXPECT_EQ(repository_.order_count(), 0);
  calls.feasibility_check = check.id;
  CAK_EXPECT_OK(Create("o-confirmed", calls));
}

// ---------------------------------------------------------------------------------------------
// Executors' side

TEST_F(DispatchServiceTest, AcknowledgingNeedsAWrittenBatchOfTheCallerAndCompletesTheOrder) {
  RegisterAll();
  CAK_ASSERT_OK_AND_ASSIGN(const Order order, Create("calls-1", NewOrder(recipients_.AddList(1200), Channel::kCall)));
  ASSERT_EQ(order.batch_count, 3);  // 500 + 500 + 200 calls

  // Not written yet.
  EXPECT_THAT(service_.AcknowledgeBatch(ExecutorCall(kKcc), order.id, 1),
              StatusIs(absl::StatusCode::kFailedPrecondition, "BATCH_NOT_WRITTEN", ""));
  EXPECT_THAT(service_.StreamBatchItems(ExecutorCall(kKcc), order.id, 1,
                                        [](Channel, std::vector<RenderedItem>&) { return true; }),
              StatusIs(absl::StatusCode::kFailedPrecondition, "BATCH_NOT_WRITTEN", ""));
  bool replayed = false;
  EXPECT_THAT(service_.ReportOutcomes(ExecutorCall(kKcc), {"out-0", "fp"}, order.id, 1,
                                      {{1, Outcome::kCallReached, clock_.Now()}}, &replayed),
              StatusIs(absl::StatusCode::kFailedPrecondition, "BATCH_NOT_WRITTEN", ""));
  EXPECT_EQ(repository_.outcome_count(), 0);

  EXPECT_EQ(GenerateAll(), 3);
  // Not the caller's batch; no such batch.
  EXPECT_THAT(service_.AcknowledgeBatch(ExecutorCall(kRepro), order.id, 1),
              StatusIs(absl::StatusCode::kNotFound, "BATCH_NOT_FOUND", ""));
  EXPECT_THAT(service_.AcknowledgeBatch(ExecutorCall(kKcc), order.id, 9),
              StatusIs(absl::StatusCode::kNotFound, "BATCH_NOT_FOUND", ""));
  CAK_ASSERT_OK_AND_ASSIGN(auto open, service_.ListOpenBatches(ExecutorCall(kKcc), std::nullopt, 10));
  EXPECT_EQ(open.size(), 3u);

  CAK_ASSERT_OK_AND_ASSIGN(const Batch acked, service_.AcknowledgeBatch(ExecutorCall(kKcc), order.id, 1));
  EXPECT_EQ(acked.state, BatchState::kAcknowledged);
  EXPECT_EQ(acked.acknowledged_by, kKcc);
  EXPECT_EQ(acked.acknowledge_time, clock_.Now());
  clock_.Advance(absl::Hours(1));
  CAK_ASSERT_OK_AND_ASSIGN(const Batch twice, service_.AcknowledgeBatch(ExecutorCall(kKcc), order.id, 1));
  EXPECT_EQ(twice.acknowledge_time, acked.acknowledge_time);  // stays as it was
  Order o = GetOrder(order.id);
  EXPECT_EQ(o.batches_acknowledged, 1);
  EXPECT_EQ(o.state, OrderState::kReady);
  CAK_ASSERT_OK_AND_ASSIGN(open, service_.ListOpenBatches(ExecutorCall(kKcc), std::nullopt, 10));
  EXPECT_EQ(open.size(), 2u);

  CAK_ASSERT_OK(service_.AcknowledgeBatch(ExecutorCall(kKcc), order.id, 2));
  EXPECT_EQ(GetOrder(order.id).state, OrderState::kReady);
  CAK_ASSERT_OK(service_.AcknowledgeBatch(ExecutorCall(kKcc), order.id, 3));
  o = GetOrder(order.id);
  EXPECT_EQ(o.batches_acknowledged, 3);
  EXPECT_EQ(o.state, OrderState::kCompleted);
}

TEST_F(DispatchServiceTest, OutcomesAreStoredAllOrNothingForRecipientsOfTheBatchOnly) {
  RegisterAll();
  const std::string list = recipients_.AddList(1200);
  CAK_ASSERT_OK_AND_ASSIGN(const Order order, Create("calls-1", NewOrder(list, Channel::kCall)));
  EXPECT_EQ(GenerateAll(), 3);
  const Batch batch = Batches(order.id)[0];
  const absl::Time when = clock_.Now() - absl::Minutes(1);
  auto report = [&](const std::string& request_id, std::vector<ItemOutcome> outcomes, bool* replayed,
                    const std::string& fingerprint = "fp:out-1", const std::string& caller = kKcc) {
    return service_.ReportOutcomes(ExecutorCall(caller), {request_id, fingerprint}, order.id, batch.batch_no,
                                   std::move(outcomes), replayed);
  };
  bool replayed = false;
  const std::vector<ItemOutcome> good = {{batch.first_position, Outcome::kCallReached, when},
                                         {batch.first_position + 1, Outcome::kCallWrongNumber, when}};

  // A recipient of another batch: nothing of the report is stored.
  EXPECT_THAT(report("out-1",
                     {{batch.first_position, Outcome::kCallReached, when},
                      {batch.last_position + 1, Outcome::kCallNotReached, when}},
                     &replayed),
              StatusIs(absl::StatusCode::kInvalidArgument, "OUTCOME_RECIPIENT_NOT_IN_BATCH", "outcomes[1].position"));
  EXPECT_THAT(report("out-1",
                     {{batch.first_position, Outcome::kCallReached, when},
                      {batch.first_position + 1, Outcome::kLetterPrinted, when}},
                     &replayed),
              StatusIs(absl::StatusCode::kInvalidArgument, "OUTCOME_NOT_FOR_CHANNEL", "outcomes[1].outcome"));
  EXPECT_THAT(report("out-1", good, &replayed, "fp:out-1", kRepro),
              StatusIs(absl::StatusCode::kNotFound, "BATCH_NOT_FOUND", ""));
  EXPECT_EQ(repository_.outcome_count(), 0);
  EXPECT_TRUE(repository_.LogEntries("dispatch.ReportOutcomes").empty());

  CAK_ASSERT_OK_AND_ASSIGN(int64_t stored, report("out-1", good, &replayed));
  EXPECT_EQ(stored, 2);
  EXPECT_FALSE(replayed);
  CAK_ASSERT_OK_AND_ASSIGN(stored, report("out-1", good, &replayed));
  EXPECT_EQ(stored, 2);
  EXPECT_TRUE(replayed);
  EXPECT_THAT(report("out-1", {good[0]}, &replayed, "fp:out-1-other"),
              StatusIs(absl::StatusCode::kInvalidArgument, "REQUEST_ID_REUSED", "request_id"));
  EXPECT_EQ(repository_.outcome_count(), 2);

  CAK_ASSERT_OK_AND_ASSIGN(const std::vector<RecordedOutcome> outcomes,
                           service_.ListOutcomes(CampaignService(), order.id, false, 0, 10));
  ASSERT_EQ(outcomes.size(), 2u);
  EXPECT_EQ(outcomes[0].recipient_list, list);
  EXPECT_EQ(outcomes[0].position, batch.first_position);
  EXPECT_EQ(outcomes[1].outcome, Outcome::kCallWrongNumber);
  EXPECT_EQ(outcomes[1].report_time, clock_.Now());
  // The report is logged with the reported recipients as its subjects (their log ids).
  const std::vector<fakes::LoggedEntry> logged = repository_.LogEntries("dispatch.ReportOutcomes");
  ASSERT_EQ(logged.size(), 1u);
  const std::vector<Item> items = repository_.Items(order.id, batch.batch_no);
  EXPECT_THAT(logged[0].subject_ids, ::testing::ElementsAre(items[0].data_subject_id, items[1].data_subject_id));
  EXPECT_EQ(logged[0].record.attributes.at("processor"), kKcc);
}

}  // namespace
}  // namespace cak::dispatch::domain
