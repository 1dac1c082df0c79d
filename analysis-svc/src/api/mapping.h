// proto <-> domain for AnalysisService. Every conversion from a request checks what the proto
// cannot express (enum numbers, dates, resource names, BSNs) and names the offending field by
// its request path; the domain then checks the rules.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "analysis-svc/src/domain/analysis_service.h"
#include "cak/voorlichting/analysis/v1/analysis_service.pb.h"
#include "common/grpc/type_convert.h"

namespace cak::analysis::api {

namespace pb = cak::voorlichting::analysis::v1;

using common::DayFromProto;  // (common/grpc/type_convert.h)
using common::DayToProto;

// The criteria tree under `path` ("criteria", "groups[2].criteria"): INVALID_ARGUMENT for an
// empty node (REQUIRED_FIELD_MISSING), a predicate with no field or a field this server does
// not know (UNKNOWN_FIELD), a bad municipality code or BSN, a bad date, a tree that nests too
// deep; then domain::Validate.
absl::StatusOr<domain::Criteria> CriteriaFromProto(const pb::Criteria& criteria, const std::string& path);

// Import rows as the fields of domain::InputColumns() (unknown enum numbers become a value
// the row rules reject by name).
void RowFields(const pb::Customer& row, std::vector<std::string>* fields);
void RowFields(const pb::Relation& row, std::vector<std::string>* fields);
void RowFields(const pb::Mailing& row, std::vector<std::string>* fields);
void RowFields(const pb::ContactReport& row, std::vector<std::string>* fields);

domain::ImportOptions FromProto(const pb::ImportOptions& options);
void ToProto(const domain::ImportReport& report, pb::ImportReport* out);
void ToProto(const domain::SnapshotInfo& snapshot, pb::Snapshot* out);
void ToProto(const domain::Impact& impact, pb::ImpactAnalysis* out);
void ToProto(const domain::TargetGroupSetRecord& set, pb::TargetGroupSet* out);
void ToProto(const domain::RecipientListRecord& list, pb::RecipientList* out);
void ToProto(const domain::SampleOutcome& sample, pb::Sample* out);
// Moves the row's strings into the message (a streamed list is half a million of them).
void ToProto(domain::RecipientRow&& row, pb::Recipient* out);

// MeasureResponse's request: resource names ("recipientLists/{uuid}", "dispatchOrders/{uuid}",
// "campaigns/..."), dates and the channel checked, each error naming its request path
// ("groups[2].control_list"); the domain checks the rest.
absl::StatusOr<domain::MeasureRequest> FromProto(const pb::MeasureResponseRequest& request);
void ToProto(const domain::MeasureOutcome& measurement, pb::ResponseMeasurement* out);
// A kept measurement (no sample).
void ToProto(const domain::KeptMeasurement& measurement, pb::ResponseMeasurement* out);

// ExportListing's request: criteria or "targetGroupSets/{uuid}" (exactly one), the date, the
// view; field numbers pass as they are (the domain checks them against the whitelist).
absl::StatusOr<domain::ListingRequest> FromProto(const pb::ExportListingRequest& request);

// Criteria back to the proto (stored target group sets).
void ToProto(const domain::Criteria& criteria, pb::Criteria* out);

using common::ParseName;

}  // namespace cak::analysis::api
