// analysis-svc's recipient lists in memory, for dispatch-svc's domain unit tests: the same
// synthetic members FakeAnalysis serves over gRPC for the API tests (the project's synthetic
// BSNs, invented names and addresses; every 10th member routed to a legal representative,
// every 25th to a contact person), the channel's field set only, in chunks, honouring
// after/until. It counts what it was asked and what it disclosed, can withhold members
// (objections since the freeze), and can break its streams off after some recipients.
#pragma once

#include <algorithm>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/base/errors.h"
#include "common/base/random.h"
#include "common/base/synthetic.h"
#include "dispatch-svc/src/domain/reasons.h"
#include "dispatch-svc/src/domain/repository.h"

namespace cak::dispatch::testing {

class FakeRecipientSource final : public domain::RecipientSource {
 public:
  // One Stream call as it was asked.
  struct StreamCall {
    std::string list_id;
    domain::Channel channel;
    bool with_customer_number;
    int64_t after_position, until_position;
  };

  explicit FakeRecipientSource(int chunk = 100) : chunk_(chunk) {}

  // Adds a list of `members` (0: an empty list); returns its id (a uuid).
  std::string AddList(int64_t members, uint64_t seed = 7) {
    List list;
    for (const common::Bsn& b : common::SyntheticBsns(seed, static_cast<int>(members))) {
      list.bsns.push_back(b.digits());
    }
    const std::string id = common::NewUuid();
    std::lock_guard<std::mutex> lock(mu_);
    lists_[id] = std::move(list);
    return id;
  }
  std::string BsnOf(const std::string& list_id, int64_t position) const {
    std::lock_guard<std::mutex> lock(mu_);
    return lists_.at(list_id).bsns.at(position - 1);
  }
  // The member at `position` objected after the freeze: streamed withheld (position only).
  void Withhold(const std::string& list_id, int64_t position) {
    std::lock_guard<std::mutex> lock(mu_);
    lists_.at(list_id).withheld.insert(position);
  }
  // Streams fail (UNAVAILABLE, RECIPIENT_SOURCE_UNAVAILABLE, as the gRPC client reports it)
  // once they have sent `recipients` recipients; negative: they do not fail.
  void FailStreamsAfter(int64_t recipients) {
    std::lock_guard<std::mutex> lock(mu_);
    fail_after_ = recipients;
  }

  int get_list_calls() const {
    std::lock_guard<std::mutex> lock(mu_);
    return get_list_calls_;
  }
  std::vector<StreamCall> stream_calls() const {
    std::lock_guard<std::mutex> lock(mu_);
    return stream_calls_;
  }
  // Recipients sent in any stream, finished or broken off (what analysis-svc logs as disclosed).
  int64_t recipients_sent() const {
    std::lock_guard<std::mutex> lock(mu_);
    return sent_;
  }

  absl::StatusOr<domain::RecipientListInfo> GetList(const common::CallContext&, const std::string& list_id) override {
    std::lock_guard<std::mutex> lock(mu_);
    ++get_list_calls_;
    auto it = lists_.find(list_id);
    if (it == lists_.end()) {
      return common::MakeError(absl::StatusCode::kNotFound, domain::reason::kRecipientListNotFound,
                               "recipient list not found");
    }
    return domain::RecipientListInfo{list_id, static_cast<int64_t>(it->second.bsns.size()), 3};
  }

  absl::Status Stream(const common::CallContext&, const std::string& list_id, domain::Channel channel,
                      bool with_customer_number, int64_t after_position, int64_t until_position,
                      const std::function<absl::Status(std::vector<domain::Recipient>&)>& sink) override {
    int64_t until = 0, fail_after = -1;
    {
      std::lock_guard<std::mutex> lock(mu_);
      stream_calls_.push_back({list_id, channel, with_customer_number, after_position, until_position});
      auto it = lists_.find(list_id);
      if (it == lists_.end()) {
        return common::MakeError(absl::StatusCode::kNotFound, domain::reason::kRecipientListNotFound,
                                 "recipient list not found");
      }
      const auto members = static_cast<int64_t>(it->second.bsns.size());
      until = until_position > 0 ? std::min(until_position, members) : members;
      fail_after = fail_after_;
    }
    std::vector<domain::Recipient> chunk;
    int64_t sent = 0;
    for (int64_t p = after_position + 1; p <= until; ++p) {
      if (fail_after >= 0 && sent + static_cast<int64_t>(chunk.size()) >= fail_after) {
        if (!chunk.empty()) CAK_RETURN_IF_ERROR(Send(chunk, sink, &sent));
        return common::MakeError(absl::StatusCode::kUnavailable, domain::reason::kRecipientsUnavailable,
                                 "analysis-svc went away mid-stream");
      }
      chunk.push_back(Member(list_id, p, channel, with_customer_number));
      if (static_cast<int>(chunk.size()) == chunk_ || p == until) CAK_RETURN_IF_ERROR(Send(chunk, sink, &sent));
    }
    return absl::OkStatus();
  }

 private:
  struct List {
    std::vector<std::string> bsns;
    std::set<int64_t> withheld;
  };

  absl::Status Send(std::vector<domain::Recipient>& chunk,
                    const std::function<absl::Status(std::vector<domain::Recipient>&)>& sink, int64_t* sent) {
    const auto n = static_cast<int64_t>(chunk.size());
    *sent += n;
    {
      std::lock_guard<std::mutex> lock(mu_);
      sent_ += n;
    }
    const absl::Status st = sink(chunk);
    chunk.clear();
    return st;
  }

  // The member at `p` with the channel's field set, as analysis-svc fills it.
  domain::Recipient Member(const std::string& list_id, int64_t p, domain::Channel channel,
                           bool with_customer_number) const {
    domain::Recipient r;
    r.position = p;
    std::lock_guard<std::mutex> lock(mu_);
    const List& list = lists_.at(list_id);
    if (list.withheld.count(p) > 0) {
      r.withheld = true;
      return r;
    }
    r.bsn = list.bsns[p - 1];
    r.routing = p % 10 == 0   ? domain::Routing::kRepresentative
                : p % 25 == 0 ? domain::Routing::kContactPerson
                              : domain::Routing::kCustomer;
    if (channel == domain::Channel::kContactMoment || with_customer_number) {
      r.customer_number = absl::StrFormat("K%08d", p);
    }
    if (channel == domain::Channel::kContactMoment) return r;
    r.salutation = p % 2 == 0 ? common::SalutationKind::kMs : common::SalutationKind::kMr;
    r.customer_name = absl::StrCat("J. Jansen-", p);
    r.addressee_name =
        r.routing == domain::Routing::kCustomer ? r.customer_name : absl::StrCat("mr. P. de Vries, \"Bewind\" ", p);
    if (channel == domain::Channel::kLetter) {
      r.street = r.routing == domain::Routing::kCustomer ? "Dorpsstraat" : "Kantoorlaan";
      r.house_number = static_cast<int32_t>(1 + p % 300);
      if (p % 7 == 0) r.house_number_suffix = "bis";
      r.postcode = "3511 AB";
      r.city = "Utrecht";
    }
    if (channel == domain::Channel::kCall) r.phone = absl::StrFormat("06%08d", p);
    return r;
  }

  const int chunk_;
  mutable std::mutex mu_;
  std::map<std::string, List> lists_;
  int64_t fail_after_ = -1;
  int get_list_calls_ = 0;
  std::vector<StreamCall> stream_calls_;
  int64_t sent_ = 0;
};

}  // namespace cak::dispatch::testing
