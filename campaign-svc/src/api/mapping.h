// Proto <-> domain mapping of campaign-svc's contract.
#pragma once

#include "cak/voorlichting/campaign/v1/campaign_service.pb.h"
#include "campaign-svc/src/domain/campaign_service.h"
#include "campaign-svc/src/domain/readability.h"

namespace cak::campaign::api {

namespace pb = cak::voorlichting::campaign::v1;

void ToProto(const domain::Campaign& c, pb::Campaign* out);
void ToProto(const domain::Campaign& c, const domain::CampaignGroup& g, const domain::MessageVersion& m,
             pb::MessageVersion* out);
void ToProto(const domain::Readability& r, pb::ReadabilityReport* out);

}  // namespace cak::campaign::api
