// dispatch-svc as the outcome source (see dispatch_outcome_source.h).
#include "analysis-svc/src/clients/dispatch_outcome_source.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/base/errors.h"
#include "common/grpc/type_convert.h"

namespace cak::analysis::clients {

namespace pb = cak::voorlichting::dispatch::v1;

DispatchOutcomeSource::DispatchOutcomeSource(const common::PeerChannel* peer, absl::Duration call_timeout)
    : peer_(peer), stub_(pb::DispatchService::NewStub(peer->channel())), call_timeout_(call_timeout) {}

absl::StatusOr<std::vector<domain::PositionOutcome>> DispatchOutcomeSource::OrderOutcomes(
    const common::CallContext& call, const std::string& order_id) {
  std::vector<domain::PositionOutcome> out;
  pb::ListOutcomesRequest req;
  req.set_order(absl::StrCat("dispatchOrders/", order_id));
  req.set_page_size(10000);
  // The current outcome per recipient (the latest outcome_time, of equal times the later
  // report), never the superseded history: one outcome per position counts.
  req.set_include_superseded(false);
  do {
    CAK_ASSIGN_OR_RETURN(auto ctx, peer_->Context(call, call_timeout_));
    pb::ListOutcomesResponse page;
    const grpc::Status st = stub_->ListOutcomes(ctx.get(), req, &page);
    if (!st.ok()) {
      absl::Status peer = common::FromPeerStatus(st, "dispatch-svc");
      if (peer.code() == absl::StatusCode::kUnavailable || peer.code() == absl::StatusCode::kDeadlineExceeded ||
          peer.code() == absl::StatusCode::kResourceExhausted) {
        return common::MakeError(absl::StatusCode::kUnavailable, domain::reason::kDispatchUnavailable, peer.message());
      }
      return peer;
    }
    out.reserve(out.size() + static_cast<size_t>(page.outcomes_size()));
    for (const pb::RecordedOutcome& o : page.outcomes()) {
      domain::PositionOutcome& d = out.emplace_back();
      d.recipient_list = common::IdOfPeerName(o.recipient_list(), "recipientLists");
      d.position = o.position();
      const int outcome = o.outcome();
      d.outcome = static_cast<uint8_t>(outcome >= 0 && outcome < domain::kDeliveryOutcomeSlots ? outcome : 0);
      d.outcome_time = absl::FromUnixSeconds(o.outcome_time().seconds()) + absl::Nanoseconds(o.outcome_time().nanos());
    }
    req.set_page_token(page.next_page_token());
  } while (!req.page_token().empty());
  return out;
}

}  // namespace cak::analysis::clients
