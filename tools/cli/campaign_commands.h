// voorlichting-cli commands for campaign-svc, for the people who decide on an information
// action: look a campaign up, list campaigns, approve (the second pair of eyes), release and
// cancel. The campaign designer's own work (groups, messages, feasibility) is driven by the
// `flow` command; these are the operator's hands on a campaign that already exists.
//
// Each command talks to --address (campaign-svc) as the command line's caller (--token, or in
// development mode --as/--roles) and returns the process exit code: 0 ok, 1 the call failed
// (printed by DescribeError); bad usage (exit code 2) is refused by the command line before.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "cak/voorlichting/campaign/v1/campaign_service.pb.h"
#include "cli/client.h"

namespace cak::cli {

// campaign-get campaigns/<id>, campaign-release campaigns/<id> (a bare id is taken as campaigns/<id>)
struct CampaignNameOptions {
  std::string name;
};
int CampaignGet(const Client& client, const CampaignNameOptions& options);
int CampaignRelease(const Client& client, const CampaignNameOptions& options);

// campaign-list [--state=STATE] [--signal=signals/<id>] [--page-size=N] [--all] (--signal is the
// global option: the campaigns of that signal)
struct CampaignListOptions {
  std::optional<cak::voorlichting::campaign::v1::CampaignState> state;
  int page_size = 50;
  bool all = false;
};
int CampaignList(const Client& client, const CampaignListOptions& options);

// campaign-approve campaigns/<id> [--comment=TEXT] [--revision=N]
struct CampaignApproveOptions {
  std::string name;
  std::string comment;
  int64_t revision = 0;
};
int CampaignApprove(const Client& client, const CampaignApproveOptions& options);

// campaign-cancel campaigns/<id> --reason=TEXT
struct CampaignCancelOptions {
  std::string name;
  std::string reason;
};
int CampaignCancel(const Client& client, const CampaignCancelOptions& options);

// A campaign as a person reads it: state, decisions, and per group action, volume, message
// version and readability, feasibility, lists and order. No personal data (campaign-svc holds
// none).
void PrintCampaign(const cak::voorlichting::campaign::v1::Campaign& c);

}  // namespace cak::cli
