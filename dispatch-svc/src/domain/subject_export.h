// What dispatch-svc holds about one person, for an access request (GDPR art. 15): the items of
// deliveries where they are the customer (channel, executor, dates, addressee, outcome). Pure:
// rows in, categories out.
#pragma once

#include <vector>

#include "absl/time/time.h"
#include "common/base/subject_data.h"

namespace cak::dispatch::domain {

// `items` as DispatchRepository::SubjectItems reads them; `retention`: how long after the
// order's window a delivery is kept.
common::SubjectData SubjectExport(const std::vector<common::SubjectRow>& items, absl::Duration retention);

}  // namespace cak::dispatch::domain
