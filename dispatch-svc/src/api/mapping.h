// Proto <-> domain mapping of dispatch-svc's contract (dispatch.v1), with the validation
// errors (reason + field) the contract promises for malformed requests.
#pragma once

#include "absl/status/statusor.h"
#include "cak/voorlichting/dispatch/v1/dispatch_service.pb.h"
#include "common/grpc/type_convert.h"
#include "dispatch-svc/src/domain/dispatch_service.h"

namespace cak::dispatch::api {

namespace pb = cak::voorlichting::dispatch::v1;

absl::StatusOr<domain::Executor> ExecutorFromProto(const pb::Executor& e);
// Only the fields named in `paths` (UpdateExecutor), each converted as ExecutorFromProto does.
absl::StatusOr<domain::Executor> ExecutorPatchFromProto(const pb::Executor& e, const std::vector<std::string>& paths);
void ToProto(const domain::Executor& e, pb::Executor* out);
void ToProto(const domain::FeasibilityCheck& c, pb::FeasibilityCheck* out);
// The order's input fields (output-only fields are ignored).
absl::StatusOr<domain::Order> OrderFromProto(const pb::DispatchOrder& o);
void ToProto(const domain::Order& o, pb::DispatchOrder* out);
void ToProto(const domain::Batch& b, pb::Batch* out);
void ToProto(domain::RenderedItem&& item, domain::Channel channel, pb::BatchItem* out);
void ToProto(const domain::RecordedOutcome& o, pb::RecordedOutcome* out);

// "dispatchOrders/{uuid}/batches/{n}" -> (order id, n). INVALID_ARGUMENT INVALID_RESOURCE_NAME.
absl::StatusOr<std::pair<std::string, int32_t>> ParseBatchName(absl::string_view name, absl::string_view field);
// "executors/{id}" -> id.
absl::StatusOr<std::string> ParseExecutorName(absl::string_view name, absl::string_view field);

}  // namespace cak::dispatch::api
