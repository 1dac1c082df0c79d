// Proto <-> domain mapping for intake-svc. Parsing a request validates what the proto itself
// cannot express (enum values, BSNs, timestamps) and names the offending field.
#pragma once

#include "cak/voorlichting/intake/v1/intake_service.pb.h"
#include "intake-svc/src/domain/signal.h"
#include "intake-svc/src/domain/signal_repository.h"
#include "intake-svc/src/domain/signal_service.h"

namespace cak::intake::api {

namespace pb = cak::voorlichting::intake::v1;

// The content of a new signal. INVALID_ARGUMENT naming e.g. "signal.category" or
// "signal.example_customer_bsns[2]".
absl::StatusOr<domain::Signal> FromProto(const pb::NewSignal& proto);

// The filters of a list request.
absl::StatusOr<domain::ListQuery> FromProto(const pb::ListSignalsRequest& proto);

absl::StatusOr<domain::View> ViewFromProto(pb::SignalView view);

void ToProto(const domain::Signal& signal, domain::View view, pb::Signal* out);
void ToProto(const domain::SignalEvent& event, pb::SignalEvent* out);

}  // namespace cak::intake::api
