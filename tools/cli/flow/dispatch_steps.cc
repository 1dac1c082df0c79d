// voorlichting-cli `flow`, step 8 of processing record M7624 (see flow_run.h): each dispatch
// order becomes batches and delivery files; each executor, as itself, finds its orders in its
// inbox (message version, guidelines), pulls its open batches (each carrying the guidelines),
// acknowledges them and reports an outcome per recipient (mostly delivered, some returned or not
// reached); the KCC calls those it did not reach a second time, and that outcome supersedes the
// first. The flow notes who was reached, for step 9, and checks that the customer who objected
// in step 2 is in no delivery.
#include <cstdio>
#include <filesystem>

#include "absl/strings/ascii.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "cli/flow/flow_run.h"
#include "cli/output.h"

namespace cak::cli::flow {

namespace {

// The last path segment of a resource name ("dispatchOrders/x/batches/3" -> "3").
std::string Leaf(const std::string& name) { return name.substr(name.rfind('/') + 1); }

// The first run of exactly ten digits in a rendered text: the {klantnummer} the flow's messages
// carry (amounts, dates and references in them never have ten digits in a row).
std::string CustomerNumberIn(const std::string& text) {
  for (size_t i = 0; i < text.size();) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(text[i]))) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < text.size() && absl::ascii_isdigit(static_cast<unsigned char>(text[j]))) ++j;
    if (j - i == 10) return text.substr(i, 10);
    i = j;
  }
  return "";
}

bool Delivered(dpb::Outcome o) {
  return o == dpb::OUTCOME_LETTER_PRINTED || o == dpb::OUTCOME_CALL_REACHED || o == dpb::OUTCOME_CONTACT_MOMENT_PLACED;
}

}  // namespace

std::string FlowRun::CustomerOf(const dpb::BatchItem& item, dpb::Channel channel) {
  if (channel == dpb::CHANNEL_CONTACT_MOMENT)
    return by_number_.count(item.customer_number()) ? item.customer_number() : "";
  const std::string number = CustomerNumberIn(item.text());
  if (by_number_.count(number)) return number;
  // Every letter and call script carries {klantnummer} (the flow writes them so); one without
  // it cannot be tied to its customer and fails the flow's check at the end.
  ++missing_number_[channel];
  return "";
}

// Reports `outcomes` of one batch as `exec`, at most 10,000 a call, each part with its own
// request id (`request_prefix` and the part's number).
bool FlowRun::ReportOutcomes(const ExecutorUse& exec, const std::string& batch, const std::string& request_prefix,
                             const std::vector<dpb::ItemOutcome>& outcomes) {
  for (size_t from = 0, part = 1; from < outcomes.size(); from += 10000, ++part) {
    dpb::ReportOutcomesRequest report;
    report.set_request_id(absl::StrCat(request_prefix, "-", part));
    report.set_batch(batch);
    for (size_t i = from; i < outcomes.size() && i < from + 10000; ++i) *report.add_outcomes() = outcomes[i];
    dpb::ReportOutcomesResponse stored;
    if (!Ok(executors_->ReportOutcomes(As(exec.caller).get(), report, &stored), "ReportOutcomes")) return false;
    if (!Expect(stored.stored() == report.outcomes_size(),
                absl::StrCat(batch, ": ", stored.stored(), " of ", report.outcomes_size(), " outcomes stored"))) {
      return false;
    }
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// Step 8: the orders become delivery files; the executors pull, acknowledge and report.

bool FlowRun::Deliver() {
  Step(8, "Stap 8 Uitvoeren actie: delivery files per executor; each executor pulls, acknowledges and reports");
  for (OrderRun& run : orders_) {
    dpb::DispatchOrder order;
    if (!PollUntil(absl::Seconds(120), absl::StrCat(run.order, " READY"), [&]() -> std::optional<bool> {
          dpb::GetDispatchOrderRequest get;
          get.set_name(run.order);
          if (!Ok(dispatch_->GetDispatchOrder(As(designer_).get(), get, &order), "GetDispatchOrder")) return false;
          if (order.state() == dpb::ORDER_STATE_READY || order.state() == dpb::ORDER_STATE_COMPLETED) return true;
          return std::nullopt;
        })) {
      return false;
    }
    dpb::ListBatchesRequest lb;
    lb.set_parent(run.order);
    lb.set_page_size(1000);
    do {
      dpb::ListBatchesResponse page;
      if (!Ok(dispatch_->ListBatches(As(designer_).get(), lb, &page), "ListBatches")) return false;
      run.batches.insert(run.batches.end(), page.batches().begin(), page.batches().end());
      lb.set_page_token(page.next_page_token());
    } while (!lb.page_token().empty());
    std::printf("  %s '%s' (%s, executor %s): %s, %s recipients in %d batch(es)\n", run.order.c_str(),
                run.group.c_str(), Short(dpb::Channel_Name(order.channel()), "CHANNEL_").c_str(),
                order.executor().c_str(), Short(dpb::OrderState_Name(order.state()), "ORDER_STATE_").c_str(),
                Thousands(order.recipient_count()).c_str(), order.batch_count());
    if (!Expect(order.recipient_count() == run.recipients, absl::StrCat(run.order, " holds ", order.recipient_count(),
                                                                        " recipients, the list ", run.recipients))) {
      return false;
    }
    for (const dpb::Batch& b : run.batches) {
      for (const std::string& file : {b.data_file(), b.manifest_file()}) {
        if (file.empty()) continue;
        const std::filesystem::path path = std::filesystem::path(delivery_dir_) / file;
        if (!Expect(std::filesystem::exists(path), absl::StrCat("delivery file ", path.string(), " is missing"))) {
          return false;
        }
        ++run.files;
      }
      std::printf("    batch %-3s %s  %6s items  %s/%s\n", Leaf(b.name()).c_str(), Day(b.planned_date()).c_str(),
                  Thousands(b.item_count()).c_str(), delivery_dir_.c_str(), b.data_file().c_str());
    }
  }

  // The executors, each as itself: its orders of this campaign from its own inbox (with the
  // message version and the guidelines), then its open batches, each carrying its order's
  // guidelines (the PULL executor has no manifest to read them from).
  std::map<std::string, OrderRun*> order_of;
  for (auto& [channel, exec] : executor_of_) {
    std::map<std::string, std::string> guidelines_of;  // order -> guidelines, from the inbox
    dpb::ListDispatchOrdersRequest lorders;
    lorders.set_page_size(200);
    do {
      dpb::ListDispatchOrdersResponse page;
      if (!Ok(executors_->ListDispatchOrders(As(exec.caller).get(), lorders, &page),
              absl::StrCat("ListDispatchOrders by ", exec.caller.id))) {
        return false;
      }
      for (const auto& o : page.dispatch_orders()) {
        if (o.campaign() != campaign_.name()) continue;
        OrderRun* run = nullptr;
        for (OrderRun& r : orders_) {
          if (r.order == o.name()) run = &r;
        }
        if (!Expect(run != nullptr, absl::StrCat(exec.caller.id, " has ", o.name(), ", which the campaign does not"))) {
          return false;
        }
        order_of[o.name()] = run;
        guidelines_of[o.name()] = o.guidelines();
        std::printf("  %s finds %s in its inbox: %s, message %s, guidelines \"%s\"\n", exec.caller.id.c_str(),
                    o.name().c_str(), Short(dpb::OrderState_Name(o.state()), "ORDER_STATE_").c_str(),
                    o.message().reference().c_str(), o.guidelines().c_str());
      }
      lorders.set_page_token(page.next_page_token());
    } while (!lorders.page_token().empty());
    std::vector<dpb::Batch> open;
    dpb::ListOpenBatchesRequest lo;
    lo.set_page_size(1000);
    do {
      dpb::ListOpenBatchesResponse page;
      if (!Ok(executors_->ListOpenBatches(As(exec.caller).get(), lo, &page), "ListOpenBatches")) return false;
      for (const auto& b : page.batches()) {
        const std::string order = b.name().substr(0, b.name().find("/batches/"));
        if (!guidelines_of.count(order)) continue;
        if (!Expect(b.guidelines() == guidelines_of[order] && !b.guidelines().empty(),
                    absl::StrCat(b.name(), " does not carry its order's guidelines"))) {
          return false;
        }
        open.push_back(b);
      }
      lo.set_page_token(page.next_page_token());
    } while (!lo.page_token().empty());
    if (open.empty()) continue;
    std::map<dpb::Outcome, int64_t> reported;
    int64_t pulled = 0, second_attempts = 0;
    for (const dpb::Batch& b : open) {
      OrderRun* run = order_of[b.name().substr(0, b.name().find("/batches/"))];
      dpb::StreamBatchItemsRequest sreq;
      sreq.set_batch(b.name());
      auto ctx = As(exec.caller);
      auto reader = executors_->StreamBatchItems(ctx.get(), sreq);
      dpb::StreamBatchItemsResponse chunk;
      std::vector<dpb::BatchItem> items;
      while (reader->Read(&chunk)) {
        for (auto& it : *chunk.mutable_items()) items.push_back(std::move(it));
      }
      if (!Ok(reader->Finish(), absl::StrCat("StreamBatchItems ", b.name()))) return false;
      if (!Expect(static_cast<int64_t>(items.size()) == b.item_count(),
                  absl::StrCat(b.name(), ": ", items.size(), " items pulled, ", b.item_count(), " written"))) {
        return false;
      }
      pulled += static_cast<int64_t>(items.size());
      dpb::AcknowledgeBatchRequest ack;
      ack.set_batch(b.name());
      dpb::Batch acked;
      if (!Ok(executors_->AcknowledgeBatch(As(exec.caller).get(), ack, &acked), "AcknowledgeBatch")) return false;

      // What happened per recipient: mostly delivered, some returned or not reached.
      std::uniform_real_distribution<double> u(0, 1);
      const int64_t when = absl::ToUnixSeconds(absl::Now()) - 5;
      std::vector<dpb::ItemOutcome> outcomes;
      std::vector<std::string> numbers;  // per item: its customer number ("" when unknown)
      for (const dpb::BatchItem& it : items) {
        dpb::Outcome o = dpb::OUTCOME_CONTACT_MOMENT_PLACED;
        if (channel == dpb::CHANNEL_LETTER) {
          o = it.address().postcode().empty() || u(rng_) < 0.03 ? dpb::OUTCOME_LETTER_RETURNED_UNDELIVERABLE
                                                                : dpb::OUTCOME_LETTER_PRINTED;
        } else if (channel == dpb::CHANNEL_CALL) {
          const double x = u(rng_);
          o = it.phone().empty() || x < 0.15 ? dpb::OUTCOME_CALL_NOT_REACHED
              : x < 0.17                     ? dpb::OUTCOME_CALL_WRONG_NUMBER
                                             : dpb::OUTCOME_CALL_REACHED;
        }
        const std::string number = CustomerOf(it, channel);
        numbers.push_back(number);
        if (!number.empty()) (Delivered(o) ? delivered_ : undelivered_).insert(number);
        dpb::ItemOutcome& out = outcomes.emplace_back();
        out.set_position(it.position());
        out.set_outcome(o);
        out.mutable_outcome_time()->set_seconds(when);
        ++reported[o];
        ++run->outcomes[o];
      }
      if (!ReportOutcomes(exec, b.name(), absl::StrCat(stamp_, "-outcomes-", Leaf(run->order), "-", Leaf(b.name())),
                          outcomes)) {
        return false;
      }
      // The KCC calls whom it did not reach a second time (the group's guidelines: two
      // attempts); about half answer now. The later outcome supersedes the first one.
      if (channel == dpb::CHANNEL_CALL) {
        std::vector<dpb::ItemOutcome> second;
        for (size_t k = 0; k < outcomes.size(); ++k) {
          if (outcomes[k].outcome() != dpb::OUTCOME_CALL_NOT_REACHED || items[k].phone().empty() || u(rng_) >= 0.5) {
            continue;
          }
          dpb::ItemOutcome& again = second.emplace_back(outcomes[k]);
          again.set_outcome(dpb::OUTCOME_CALL_REACHED);
          again.mutable_outcome_time()->set_seconds(when + 3);
          --reported[dpb::OUTCOME_CALL_NOT_REACHED];
          ++reported[dpb::OUTCOME_CALL_REACHED];
          --run->outcomes[dpb::OUTCOME_CALL_NOT_REACHED];
          ++run->outcomes[dpb::OUTCOME_CALL_REACHED];
          if (!numbers[k].empty()) {
            undelivered_.erase(numbers[k]);
            delivered_.insert(numbers[k]);
          }
        }
        if (!ReportOutcomes(exec, b.name(),
                            absl::StrCat(stamp_, "-second-call-", Leaf(run->order), "-", Leaf(b.name())), second)) {
          return false;
        }
        run->superseded += static_cast<int64_t>(second.size());
        second_attempts += static_cast<int64_t>(second.size());
      }
      run->items += static_cast<int64_t>(items.size());
    }
    std::vector<std::string> counts;
    for (const auto& [o, n] : reported)
      counts.push_back(absl::StrCat(Short(dpb::Outcome_Name(o), "OUTCOME_"), " ", Thousands(n)));
    std::printf("  %-30s pulled %d batch(es), %s items, acknowledged them; outcomes: %s\n", exec.caller.id.c_str(),
                static_cast<int>(open.size()), Thousands(pulled).c_str(), absl::StrJoin(counts, ", ").c_str());
    if (second_attempts > 0) {
      std::printf("  %-30s called %s not reached again and reached them: their new outcome supersedes the first\n", "",
                  Thousands(second_attempts).c_str());
    }
  }
  // dispatch-svc keeps every report and names one current outcome per recipient.
  for (const OrderRun& run : orders_) {
    int64_t current = 0, all = 0, superseded = 0;
    for (const bool history : {false, true}) {
      dpb::ListOutcomesRequest lreq;
      lreq.set_order(run.order);
      lreq.set_page_size(10000);
      lreq.set_include_superseded(history);
      do {
        dpb::ListOutcomesResponse page;
        if (!Ok(dispatch_->ListOutcomes(As(admin_).get(), lreq, &page), "ListOutcomes")) return false;
        for (const auto& o : page.outcomes()) {
          (history ? all : current) += 1;
          if (history && !o.current()) ++superseded;
        }
        lreq.set_page_token(page.next_page_token());
      } while (!lreq.page_token().empty());
    }
    if (!Expect(current == run.items && all == run.items + run.superseded && superseded == run.superseded,
                absl::StrCat(run.order, ": ", current, " current outcomes of ", all, " (", superseded,
                             " superseded); expected ", run.items, " and ", run.superseded, " superseded"))) {
      return false;
    }
    if (run.superseded > 0) {
      std::printf("  %s: %s current outcomes, one per recipient; %s earlier ones superseded and kept\n",
                  run.order.c_str(), Thousands(current).c_str(), Thousands(superseded).c_str());
    }
  }
  for (const OrderRun& run : orders_) {
    if (!Expect(run.items == run.recipients,
                absl::StrCat("'", run.group, "': ", run.items, " items pulled of ", run.recipients, " recipients"))) {
      return false;
    }
  }
  const std::string& objector = customers_[*objector_].customer_number;
  std::printf("  customer %s, who objected in step 2: in no delivery\n", objector.c_str());
  return Expect(delivered_.count(objector) == 0 && undelivered_.count(objector) == 0,
                "the customer who objected was delivered to");
}

}  // namespace cak::cli::flow
