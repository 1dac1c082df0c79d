// voorlichting-cli commands for campaign-svc, for the people who decide on an information
// action: look a campaign up, list campaigns, approve (the second pair of eyes), release and
// cancel. The campaign designer's own work (groups, messages, feasibility) is driven by the
// `flow` command; these are the operator's hands on a campaign that already exists.
//
// Each command talks to --address (campaign-svc) as the command line's caller (--token, or in
// development mode --as/--roles) and returns the process exit code: 0 ok, 1 the call failed
// (printed by DescribeError), 2 bad usage.
#pragma once

#include <string>

#include "cak/voorlichting/campaign/v1/campaign_service.pb.h"
#include "cli/client.h"

namespace cak::cli {

// campaign-get campaigns/<id>
int CampaignGet(const Client& client, const Args& args);
// campaign-list [--state=draft|ready_for_review|approved|released|completed|cancelled] [--all]
int CampaignList(const Client& client, const Args& args);
// campaign-approve campaigns/<id> [--comment=TEXT] [--revision=N]
int CampaignApprove(const Client& client, const Args& args);
// campaign-release campaigns/<id>
int CampaignRelease(const Client& client, const Args& args);
// campaign-cancel campaigns/<id> --reason=TEXT
int CampaignCancel(const Client& client, const Args& args);

// A campaign as a person reads it: state, decisions, and per group action, volume, message
// version and readability, feasibility, lists and order. No personal data (campaign-svc holds
// none).
void PrintCampaign(const cak::voorlichting::campaign::v1::Campaign& c);

}  // namespace cak::cli
