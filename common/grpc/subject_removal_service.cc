#include "common/grpc/subject_removal_service.h"

#include "common/base/errors.h"
#include "common/grpc/convert.h"

namespace cak::common {

namespace pb = cak::voorlichting::privacy::v1;

SubjectRemovalServiceImpl::SubjectRemovalServiceImpl(const RpcEnvironment* env, SubjectRemovalLister list)
    : env_(env), list_(std::move(list)) {}

grpc::Status SubjectRemovalServiceImpl::ListSubjectRemovals(grpc::ServerContext* context,
                                                            const pb::ListSubjectRemovalsRequest* request,
                                                            pb::ListSubjectRemovalsResponse* response) {
  return env_->Run(context, kListSubjectRemovals, [&](const CallContext& call) -> absl::Status {
    CAK_ASSIGN_OR_RETURN(
        std::vector<SubjectRemoval> removals,
        list_(call, RemovalPosition{request->after_transaction(), request->after_entry_id()}, request->page_size()));
    for (SubjectRemoval& r : removals) {
      pb::SubjectRemoval* out = response->add_removals();
      out->set_transaction(r.position.transaction);
      out->set_entry_id(r.position.entry_id);
      out->set_data_subject_id(std::move(r.data_subject_id));
      out->set_cause(r.cause == RemovalCause::kErased ? pb::REMOVAL_CAUSE_ERASED : pb::REMOVAL_CAUSE_PAST_RETENTION);
      *out->mutable_removal_time() = ToProtoTime(r.removal_time);
    }
    return absl::OkStatus();
  });
}

SubjectRemovalClient::SubjectRemovalClient(const PeerChannel* peer, absl::Duration timeout)
    : peer_(peer), stub_(pb::SubjectRemovalService::NewStub(peer->channel())), timeout_(timeout) {}

absl::StatusOr<std::vector<SubjectRemoval>> SubjectRemovalClient::After(const CallContext& call,
                                                                        const RemovalPosition& after, int limit) {
  CAK_ASSIGN_OR_RETURN(auto ctx, peer_->Context(call, timeout_));
  pb::ListSubjectRemovalsRequest req;
  req.set_after_transaction(after.transaction);
  req.set_after_entry_id(after.entry_id);
  req.set_page_size(limit);
  pb::ListSubjectRemovalsResponse resp;
  CAK_RETURN_IF_ERROR(FromPeerStatus(stub_->ListSubjectRemovals(ctx.get(), req, &resp), "analysis-svc"));
  std::vector<SubjectRemoval> out;
  out.reserve(resp.removals_size());
  for (pb::SubjectRemoval& r : *resp.mutable_removals()) {
    SubjectRemoval removal;
    removal.position = {r.transaction(), r.entry_id()};
    removal.data_subject_id = std::move(*r.mutable_data_subject_id());
    removal.cause = r.cause() == pb::REMOVAL_CAUSE_ERASED ? RemovalCause::kErased : RemovalCause::kPastRetention;
    CAK_ASSIGN_OR_RETURN(removal.removal_time, FromProtoTime(r.removal_time(), "removal_time"));
    out.push_back(std::move(removal));
  }
  return out;
}

}  // namespace cak::common
