// A fake of dispatch-svc's contract for analysis-svc's response-measurement tests: a real gRPC
// server on 127.0.0.1 (port 0) serving ListOutcomes from outcomes set in memory per order,
// a few per page (so that the client's paging is exercised), NOT_FOUND for an unknown order.
// Stop() takes it off the network (dispatch-svc unavailable).
#pragma once

#include <grpcpp/grpcpp.h>

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "cak/voorlichting/dispatch/v1/dispatch_service.grpc.pb.h"

namespace cak::analysis::testing {

namespace dpb = cak::voorlichting::dispatch::v1;

class FakeDispatch final : public dpb::DispatchService::Service {
 public:
  explicit FakeDispatch(int page_size = 3);
  ~FakeDispatch() override;

  // Records an outcome of `order_id` for position `position` of "recipientLists/{list_id}".
  void AddOutcome(const std::string& order_id, const std::string& list_id, int64_t position, dpb::Outcome outcome,
                  int64_t outcome_unix_seconds);
  int port() const { return port_; }
  int pages_served() const;
  void Stop();

  grpc::Status ListOutcomes(grpc::ServerContext* ctx, const dpb::ListOutcomesRequest* req,
                            dpb::ListOutcomesResponse* resp) override;

 private:
  int page_size_;
  mutable std::mutex mu_;
  std::map<std::string, std::vector<dpb::RecordedOutcome>> by_order_;
  int pages_ = 0;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
};

}  // namespace cak::analysis::testing
