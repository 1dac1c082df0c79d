// Fake dispatch-svc (see fake_dispatch.h).
#include "analysis-svc/test/fake_dispatch.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"

namespace cak::analysis::testing {

FakeDispatch::FakeDispatch(int page_size) : page_size_(page_size) {
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
  builder.RegisterService(this);
  server_ = builder.BuildAndStart();
}

FakeDispatch::~FakeDispatch() { Stop(); }

void FakeDispatch::Stop() {
  if (server_) server_->Shutdown(absl::ToChronoTime(absl::Now() + absl::Seconds(2)));
}

void FakeDispatch::AddOutcome(const std::string& order_id, const std::string& list_id, int64_t position,
                              dpb::Outcome outcome, int64_t outcome_unix_seconds) {
  dpb::RecordedOutcome o;
  o.set_order("dispatchOrders/" + order_id);
  o.set_recipient_list("recipientLists/" + list_id);
  o.set_position(position);
  o.set_outcome(outcome);
  o.mutable_outcome_time()->set_seconds(outcome_unix_seconds);
  std::lock_guard<std::mutex> lock(mu_);
  by_order_[order_id].push_back(o);
}

int FakeDispatch::pages_served() const {
  std::lock_guard<std::mutex> lock(mu_);
  return pages_;
}

grpc::Status FakeDispatch::ListOutcomes(grpc::ServerContext*, const dpb::ListOutcomesRequest* req,
                                        dpb::ListOutcomesResponse* resp) {
  const std::string id = req->order().substr(req->order().find('/') + 1);
  std::lock_guard<std::mutex> lock(mu_);
  auto it = by_order_.find(id);
  if (it == by_order_.end()) return grpc::Status(grpc::StatusCode::NOT_FOUND, "dispatch order not found");
  size_t from = 0;
  if (!req->page_token().empty() && !absl::SimpleAtoi(req->page_token(), &from)) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "bad page token");
  }
  const size_t to = std::min(it->second.size(), from + static_cast<size_t>(page_size_));
  for (size_t i = from; i < to; ++i) *resp->add_outcomes() = it->second[i];
  if (to < it->second.size()) resp->set_next_page_token(absl::StrCat(to));
  ++pages_;
  return grpc::Status::OK;
}

}  // namespace cak::analysis::testing
