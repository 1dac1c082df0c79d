// What intake-svc holds about one person, for an access request (GDPR art. 15): the signals
// that name them as an example customer, with what was reported and what became of it. Other
// people named in the same signal are counted, never listed (free text is shown as reported:
// the privacy officer reviews it before handing it over).
#pragma once

#include <vector>

#include "absl/time/time.h"
#include "common/base/subject_data.h"
#include "intake-svc/src/domain/signal.h"

namespace cak::intake::domain {

// `signals` oldest first; `retention` is how long a finished signal is kept.
common::SubjectData SubjectExport(const std::vector<Signal>& signals, absl::Duration retention);

}  // namespace cak::intake::domain
