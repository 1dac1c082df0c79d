// What campaign-svc holds about one person, for an access request (GDPR art. 15): nothing but
// the previews that showed them (a preview is only logged, per shown subject; which campaigns'
// recipient lists they were on, analysis-svc answers). Pure: rows in, categories out.
#pragma once

#include <vector>

#include "common/base/subject_data.h"

namespace cak::campaign::domain {

// `previews` as CampaignRepository::SubjectPreviews reads them.
common::SubjectData SubjectExport(const std::vector<common::SubjectRow>& previews);

}  // namespace cak::campaign::domain
