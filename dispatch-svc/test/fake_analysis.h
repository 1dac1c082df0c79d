// A fake of analysis-svc's contract for dispatch-svc's tests and benchmark: a real gRPC server
// on 127.0.0.1 (port 0) serving GetRecipientList and StreamRecipients from synthetic lists
// made in memory (the project's synthetic BSNs; every 10th member routed to a legal
// representative, every 25th to a contact person). It honours until_position, applies the
// field set as analysis-svc does, counts the slices it streamed (exactly-once tests), and can
// slow its stream down (crash tests).
#pragma once

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <utility>

#include "absl/time/time.h"
#include "cak/voorlichting/analysis/v1/analysis_service.grpc.pb.h"

namespace cak::dispatch::testing {

namespace apb = cak::voorlichting::analysis::v1;

class FakeAnalysis final : public apb::AnalysisService::Service {
 public:
  FakeAnalysis();
  ~FakeAnalysis() override;

  // Adds a list of `members` (0: an empty list); returns its id (a uuid).
  std::string AddList(int64_t members, uint64_t seed = 7);
  // The BSN of a member (for checking that it never reaches a file).
  std::string BsnOf(const std::string& list_id, int64_t position) const;
  void SetDelayPerMessage(absl::Duration d) { delay_ = d; }
  // The member at `position` objected after the freeze: streamed withheld (position only).
  void Withhold(const std::string& list_id, int64_t position);
  // Streams fail (UNAVAILABLE) right after sending their first `recipients` recipients;
  // negative: they do not fail.
  void FailStreamsAfter(int64_t recipients) { fail_after_ = recipients; }

  int port() const { return port_; }
  // How often the slice (after, until] of a list was streamed to the end.
  int SliceStreams(const std::string& list_id, int64_t after, int64_t until) const;
  int64_t members_streamed() const;
  // Recipients sent in any stream, finished or broken off (what analysis-svc would log as
  // disclosed).
  int64_t recipients_sent() const { return sent_; }

  grpc::Status GetRecipientList(grpc::ServerContext* ctx, const apb::GetRecipientListRequest* req,
                                apb::RecipientList* resp) override;
  grpc::Status StreamRecipients(grpc::ServerContext* ctx, const apb::StreamRecipientsRequest* req,
                                grpc::ServerWriter<apb::StreamRecipientsResponse>* writer) override;

 private:
  struct List {
    int64_t members = 0;
    uint64_t seed = 0;
    std::vector<std::string> bsns;
    std::set<int64_t> withheld;
  };
  void Fill(const List& list, int64_t position, apb::FieldSet set, apb::Recipient* r) const;

  mutable std::mutex mu_;
  std::map<std::string, List> lists_;
  std::map<std::tuple<std::string, int64_t, int64_t>, int> slices_;
  int64_t streamed_ = 0;
  absl::Duration delay_;
  std::atomic<int64_t> fail_after_{-1};
  std::atomic<int64_t> sent_{0};
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
};

}  // namespace cak::dispatch::testing
