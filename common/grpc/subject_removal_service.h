// The removal feed (cak.voorlichting.privacy.v1.SubjectRemovalService,
// common/base/subject_removals.h): the server side analysis-svc serves, and the client its
// followers (intake-svc, dispatch-svc) read it with.
#pragma once

#include <functional>
#include <memory>
#include <vector>

#include "cak/voorlichting/privacy/v1/subject_removal_service.grpc.pb.h"
#include "common/base/subject_removals.h"
#include "common/grpc/peer_channel.h"
#include "common/grpc/rpc.h"

namespace cak::common {

// Method name for role tables; grant it to the followers' roles (kIntakeService,
// kDispatchService) only.
inline constexpr char kListSubjectRemovals[] = "ListSubjectRemovals";

// The removals after a position, at most a page (the service validates).
using SubjectRemovalLister = std::function<absl::StatusOr<std::vector<SubjectRemoval>>(
    const CallContext&, const RemovalPosition& after, int page_size)>;

class SubjectRemovalServiceImpl final : public cak::voorlichting::privacy::v1::SubjectRemovalService::Service {
 public:
  // `env` not owned.
  SubjectRemovalServiceImpl(const RpcEnvironment* env, SubjectRemovalLister list);

  grpc::Status ListSubjectRemovals(grpc::ServerContext* context,
                                   const cak::voorlichting::privacy::v1::ListSubjectRemovalsRequest* request,
                                   cak::voorlichting::privacy::v1::ListSubjectRemovalsResponse* response) override;

 private:
  const RpcEnvironment* env_;
  SubjectRemovalLister list_;
};

// Reads analysis-svc's feed over `peer` (not owned), each call at most `timeout`.
class SubjectRemovalClient final : public SubjectRemovalFeed {
 public:
  SubjectRemovalClient(const PeerChannel* peer, absl::Duration timeout);
  absl::StatusOr<std::vector<SubjectRemoval>> After(const CallContext& call, const RemovalPosition& after,
                                                    int limit) override;

 private:
  const PeerChannel* peer_;
  std::unique_ptr<cak::voorlichting::privacy::v1::SubjectRemovalService::Stub> stub_;
  absl::Duration timeout_;
};

}  // namespace cak::common
