// What analysis-svc holds about one customer, for an access request (GDPR art. 15): the
// customer record of the current snapshot, their relations, planned mailings and contacts, and
// the samples and frozen recipient lists they are in, each category with its purpose in record
// M7624. Pure: rows in, categories out.
#pragma once

#include "analysis-svc/src/domain/repository.h"
#include "common/base/subject_data.h"

namespace cak::analysis::domain {

// `customer_retention_years`: how long after becoming inactive a customer is kept.
common::SubjectData SubjectExport(const SubjectRows& rows, int customer_retention_years);

}  // namespace cak::analysis::domain
